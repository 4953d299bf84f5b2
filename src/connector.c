/*
 * The connector process.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "child.h"
#include "connector.h"
#include "link.h"
#include "log.h"
#include "sesstab.h"

#define MG_CONNECTOR_MAX_LINKS 1024

typedef struct {
	struct event      *sweep; /* ends idle sessions */
	mg_child_ctx_t    *ctx;
	struct event_base *base;
	mg_child_t        *child;
	mg_link_t         *links[MG_CONNECTOR_MAX_LINKS]; /* by slot */
	int                quitting;
} mg_connector_t;

static void
connector_terminate(void *arg)
{
	mg_connector_t *c = arg;

	event_base_loopbreak(c->base);
}

static void
connector_quit(void *arg)
{
	mg_connector_t *c = arg;

	c->quitting = 1;
	/* No outbound session exists yet; nothing to drain. */
	event_base_loopexit(c->base, NULL);
}

/* A worker could not place notifications/cancelled: the call is on
 * another worker, so every other worker hears of it. */
static void
connector_forward_cancel(
    void *arg, mg_link_t *from, const mg_ipc_hdr_t *hdr, const uint8_t *payload)
{
	mg_connector_t *c = arg;

	for (size_t i = 0; i < MG_CONNECTOR_MAX_LINKS; i++)
		if (c->links[i] != NULL && c->links[i] != from)
			mg_link_send(c->links[i], MG_MSG_CANCEL_FWD, hdr->id,
			    payload, hdr->len);
}

static void
connector_frame(
    void *arg, mg_link_t *link, const mg_ipc_hdr_t *hdr, const uint8_t *payload)
{
	mg_msg_link_t hello;

	if (hdr->type == MG_MSG_HELLO && hdr->len == sizeof(hello)) {
		memcpy(&hello, payload, sizeof(hello));
		mg_debug("worker %d of generation %d said hello", hello.slot,
		    hello.generation);
		mg_link_send(link, MG_MSG_WELCOME, 0, &hello, sizeof(hello));
		return;
	}
	if (hdr->type == MG_MSG_CANCEL) {
		connector_forward_cancel(arg, link, hdr, payload);
		return;
	}
	mg_debug("%s frame from worker %d", mg_ipc_type_name(hdr->type),
	    mg_link_slot(link));
}

static void
connector_lost(void *arg, mg_link_t *link, const char *why)
{
	mg_connector_t *c = arg;
	int             slot = mg_link_slot(link);

	mg_info("link to worker %d closed: %s", slot, why);
	if (c->links[slot] == link)
		c->links[slot] = NULL;
}

static void
connector_link(void *arg, int fd, const mg_msg_link_t *msg)
{
	static const mg_link_ops_t ops = { connector_frame, connector_lost,
		NULL };
	mg_connector_t            *c = arg;
	mg_link_ops_t              o = ops;

	if (msg->slot < 0 || msg->slot >= MG_CONNECTOR_MAX_LINKS) {
		mg_error("LINK for worker slot %d out of range", msg->slot);
		close(fd);
		return;
	}
	o.arg = c;
	mg_link_free(c->links[msg->slot]);
	c->links[msg->slot] = mg_link_new(c->base, fd, msg->slot, &o);
	if (c->links[msg->slot] == NULL)
		mg_error("cannot set up the link to worker %d", msg->slot);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The connector sweeps the shared session table: one process, so the
 * work is done once, and it will own what idle sessions hold upstream. */
static void
connector_sweep(evutil_socket_t fd, short what, void *arg)
{
	mg_connector_t *c = arg;
	size_t          alive;

	alive = mg_sesstab_sweep(c->ctx->sessions, now_ms(),
	    c->ctx->conf->session_timeout, NULL, NULL);
	mg_debug("session sweep: %zu alive", alive);
}

static int
connector_sweep_start(mg_connector_t *c)
{
	int64_t        ms = c->ctx->conf->session_timeout / 10;
	struct timeval tv;

	if (ms < 1000)
		ms = 1000;
	if (ms > 60000)
		ms = 60000;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	c->sweep = event_new(c->base, -1, EV_PERSIST, connector_sweep, c);
	return c->sweep != NULL && event_add(c->sweep, &tv) == 0 ? MG_OK
								 : MG_ERROR;
}

int
mg_connector_main(mg_child_ctx_t *ctx)
{
	mg_connector_t c = { .ctx = ctx };
	mg_child_ops_t ops = { connector_quit, connector_terminate,
		connector_link, &c };
	int            rc = 1;

	mg_child_init(ctx);
	if ((c.base = event_base_new()) == NULL) {
		mg_error("cannot create the event loop");
		goto out;
	}
	if ((c.child = mg_child_new(ctx, c.base, &ops)) == NULL ||
	    connector_sweep_start(&c) != MG_OK)
		goto out;
	mg_child_ready(c.child);
	mg_info("connector serving");
	event_base_dispatch(c.base);
	rc = 0;
out:
	for (size_t i = 0; i < MG_CONNECTOR_MAX_LINKS; i++)
		mg_link_free(c.links[i]);
	mg_child_free(c.child);
	if (c.sweep)
		event_free(c.sweep);
	if (c.base)
		event_base_free(c.base);
	return rc;
}
