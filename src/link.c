/*
 * A worker <-> connector link on an event loop.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "link.h"
#include "log.h"

struct mg_link {
	struct event_base *base;
	mg_channel_t      *ch;
	struct event      *ev;
	mg_link_ops_t      ops;
	int                slot;
	int                writing;
};

static void link_cb(evutil_socket_t fd, short what, void *arg);

static void
link_want_write(mg_link_t *l, int on)
{
	if (l->writing == on)
		return;
	event_del(l->ev);
	event_assign(l->ev, l->base, mg_channel_fd(l->ch),
	    EV_READ | EV_PERSIST | (on ? EV_WRITE : 0), link_cb, l);
	event_add(l->ev, NULL);
	l->writing = on;
}

static void
link_lost(mg_link_t *l, const char *why)
{
	l->ops.lost(l->ops.arg, l, why);
	mg_link_free(l);
}

static void
link_cb(evutil_socket_t fd, short what, void *arg)
{
	mg_link_t     *l = arg;
	mg_ipc_hdr_t   hdr;
	const uint8_t *payload;
	int            rc, next, pfd;

	if ((what & EV_WRITE) && mg_channel_flush(l->ch) == MG_ERROR) {
		link_lost(l, "write failed");
		return;
	}
	if (what & EV_READ) {
		rc = mg_channel_read(l->ch);
		while ((next = mg_channel_next(l->ch, &hdr, &payload, &pfd)) ==
		    MG_OK) {
			if (pfd >= 0)
				close(pfd); /* links carry no descriptors */
			l->ops.frame(l->ops.arg, l, &hdr, payload);
		}
		if (next == MG_ERROR || rc != MG_OK) {
			link_lost(l,
			    next == MG_ERROR        ? "bad frame"
				: rc == MG_DECLINED ? "peer closed the link"
						    : "read failed");
			return;
		}
	}
	link_want_write(l, mg_channel_pending(l->ch));
}

mg_link_t *
mg_link_new(struct event_base *base, int fd, int slot, const mg_link_ops_t *ops)
{
	mg_link_t *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		close(fd);
		return NULL;
	}
	l->base = base;
	l->ops = *ops;
	l->slot = slot;
	evutil_make_socket_nonblocking(fd);
	if ((l->ch = mg_channel_new(fd, 0)) == NULL) {
		close(fd);
		free(l);
		return NULL;
	}
	l->ev = event_new(base, fd, EV_READ | EV_PERSIST, link_cb, l);
	if (l->ev == NULL || event_add(l->ev, NULL) != 0) {
		mg_link_free(l);
		return NULL;
	}
	return l;
}

void
mg_link_free(mg_link_t *l)
{
	if (l == NULL)
		return;
	if (l->ev)
		event_free(l->ev);
	mg_channel_free(l->ch);
	free(l);
}

int
mg_link_slot(const mg_link_t *l)
{
	return l->slot;
}

int
mg_link_send(
    mg_link_t *l, unsigned type, uint64_t id, const void *payload, size_t len)
{
	if (mg_channel_send(l->ch, type, id, payload, len, -1) != MG_OK)
		return MG_ERROR;
	link_want_write(l, 1);
	return MG_OK;
}

int
mg_link_sendv(mg_link_t *l, unsigned type, uint64_t id,
    const mg_ipc_part_t *parts, size_t n)
{
	if (mg_channel_sendv(l->ch, type, id, parts, n) != MG_OK)
		return MG_ERROR;
	link_want_write(l, 1);
	return MG_OK;
}

int
mg_link_send_end(
    mg_link_t *link, unsigned type, uint64_t id, int code, const char *message)
{
	mg_msg_end_t  e = { code };
	size_t        n = code && message ? strlen(message) : 0;
	mg_ipc_part_t parts[] = { { (const uint8_t *)&e, sizeof(e) },
		{ (const uint8_t *)(n ? message : ""), n > 512 ? 512 : n } };

	return mg_link_sendv(link, type, id, parts, MG_NELEM(parts));
}
