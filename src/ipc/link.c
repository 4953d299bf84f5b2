/*
 * A worker <-> connector link on an event loop.
 *
 * Frames queued while a callback runs are written once that callback's
 * turn of the loop is over (an activated event, no system call), all in
 * one sendmsg where they fit; the write event is added only when the
 * socket does not take everything, so a link that keeps up costs no
 * epoll_ctl per frame.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "crash.h"
#include "link.h"
#include "log.h"

struct mg_link {
	struct event_base *base;
	mg_channel_t      *ch;
	struct event      *rev, *wev; /* readable; writable, when waiting */
	struct event      *flush;     /* activated when frames are queued */
	mg_link_ops_t      ops;
	int                slot;
	int                writing;
	int                flushing;
};

static void
link_lost(mg_link_t *l, const char *why)
{
	l->ops.lost(l->ops.arg, l, why);
	mg_link_free(l);
}

/* Write what is queued; wait for the socket only if it is full. */
static void
link_flush(mg_link_t *l)
{
	int pending;

	l->flushing = 0;
	if (mg_channel_flush(l->ch) == MG_ERROR) {
		link_lost(l, "write failed");
		return;
	}
	pending = mg_channel_pending(l->ch) != 0;
	if (pending == l->writing)
		return;
	if (pending)
		event_add(l->wev, NULL);
	else
		event_del(l->wev);
	l->writing = pending;
}

static void
link_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	link_flush(arg);
}

/* A frame the codec refuses: the peer broke the protocol. */
static void
link_malformed(mg_link_t *l, const mg_ipc_hdr_t *hdr)
{
	char why[96];

	snprintf(why, sizeof(why), "malformed %s frame (%u bytes)",
	    mg_ipc_type_name(hdr->type), (unsigned)hdr->len);
	/* a broken peer, not a peer that went away: said at error level
	 * whatever level the owner gives its lost link */
	mg_error("%s on the link of worker %d; closing the link", why, l->slot);
	link_lost(l, why);
}

static void
link_read_cb(evutil_socket_t fd, short what, void *arg)
{
	mg_link_t     *l = arg;
	mg_ipc_hdr_t   hdr;
	mg_msg_t       msg;
	const uint8_t *payload;
	int            rc, next, pfd;

	rc = mg_channel_read(l->ch);
	while ((next = mg_channel_next(l->ch, &hdr, &payload, &pfd)) == MG_OK) {
		if (pfd >= 0)
			close(pfd); /* links carry no descriptors */
		if (mg_msg_unpack(hdr.type, payload, hdr.len, &msg) != MG_OK) {
			mg_crash_done();
			link_malformed(l, &hdr);
			return;
		}
		mg_crash_doing(
		    "a link frame:", mg_ipc_type_name(hdr.type), NULL);
		l->ops.frame(l->ops.arg, l, &hdr, &msg);
	}
	mg_crash_done();
	if (next == MG_ERROR || rc != MG_OK)
		link_lost(l,
		    next == MG_ERROR        ? "bad frame"
			: rc == MG_DECLINED ? "peer closed the link"
					    : "read failed");
}

static void
link_schedule(mg_link_t *l)
{
	if (l->flushing || l->writing)
		return; /* a flush is due, or the write event will do it */
	l->flushing = 1;
	event_active(l->flush, 0, 0);
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
	l->rev = event_new(base, fd, EV_READ | EV_PERSIST, link_read_cb, l);
	l->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, link_flush_cb, l);
	l->flush = event_new(base, -1, 0, link_flush_cb, l);
	if (l->rev == NULL || l->wev == NULL || l->flush == NULL ||
	    event_add(l->rev, NULL) != 0) {
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
	if (l->rev)
		event_free(l->rev);
	if (l->wev)
		event_free(l->wev);
	if (l->flush)
		event_free(l->flush);
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
	link_schedule(l);
	return MG_OK;
}

int
mg_link_sendv(mg_link_t *l, unsigned type, uint64_t id,
    const mg_ipc_part_t *parts, size_t n)
{
	if (mg_channel_sendv(l->ch, type, id, parts, n, -1) != MG_OK)
		return MG_ERROR;
	link_schedule(l);
	return MG_OK;
}

int
mg_link_send_msg(mg_link_t *l, uint64_t id, const mg_msg_t *m)
{
	mg_msg_out_t out;

	if (mg_msg_pack(m, &out) != MG_OK)
		return MG_ERROR;
	return mg_link_sendv(l, m->type, id, out.part, out.n);
}

int
mg_link_send_event(mg_link_t *link, unsigned type, uint64_t id,
    const char *evid, long retry, const char *data, size_t len)
{
	size_t   n = evid ? strlen(evid) : 0;
	mg_msg_t m = { .type = type,
		.event = { (int32_t)(retry > INT32_MAX ? -1 : retry),
		    evid != NULL,
		    { evid, n > MG_MSG_EVENT_ID_MAX ? MG_MSG_EVENT_ID_MAX : n },
		    { data, len } } };

	return mg_link_send_msg(link, id, &m);
}

int
mg_link_send_end(
    mg_link_t *link, unsigned type, uint64_t id, int code, const char *message)
{
	size_t   n = code && message ? strlen(message) : 0;
	mg_msg_t m = { .type = type,
		.end = { code,
		    { message, n > MG_MSG_END_MAX ? MG_MSG_END_MAX : n } } };

	return mg_link_send_msg(link, id, &m);
}
