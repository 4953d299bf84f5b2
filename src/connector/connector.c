/*
 * The connector process: the role and its loop.  It takes the links the
 * master hands it (MG_MSG_LINK), reads each worker's frames and passes
 * them on (relay.c, park.c, rsub.c, jwksurl.c), ties a resumed stream to the
 * worker that holds it, sweeps idle sessions, and stops: at once (terminate),
 * or draining (quit) until its relays, its DELETEs and its transports' own
 * processes are done.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "board.h"
#include "child.h"
#include "connector.h"
#include "bridge.h"
#include "era.h"
#include "health.h"
#include "jsonrpc.h"
#include "httpmsg.h"
#include "link.h"
#include "log.h"
#include "served.h"
#include "sesstab.h"
#include "connpriv.h"
#include "pool.h"
#include "upstream.h"

/* The configuration's upstream of index I, or NULL. */
const mg_upstream_t *
mg_connector_upstream(const mg_connector_t *c, int i)
{
	const mg_upstream_t *up = c->ctx->conf->upstreams;

	while (up != NULL && up->index != i)
		up = up->next;
	return up;
}

static int connector_linked(const mg_connector_t *c);

static void
connector_terminate_now(evutil_socket_t fd, short what, void *arg)
{
	mg_connector_t *c = arg;

	event_base_loopbreak(c->base);
}

/* Exit now; but the master tells every child at once, and a worker that
 * saw its link close before it read its own word would take the
 * connector for lost (a warning at every stop): so exit once the links
 * are closed (the workers exit at once too), or after
 * CONNECTOR_TERMINATE_MS at most. */
#define CONNECTOR_TERMINATE_MS 1000

static void
connector_terminate(void *arg)
{
	mg_connector_t *c = arg;
	struct timeval  tv = { 0, CONNECTOR_TERMINATE_MS * 1000 };

	c->terminating = 1;
	if (!connector_linked(c) ||
	    event_base_once(
		c->base, -1, EV_TIMEOUT, connector_terminate_now, c, &tv) != 0)
		event_base_loopbreak(c->base);
}

/* Stopping: the workers of this generation go first (each may still
 * take a request on a connection it held, and relay it here, until it
 * exits and its link closes), and relays in flight finish; then the
 * bridge's sessions are closed upstream (the idle sessions' DELETEs not
 * begun are not) and the stdio servers stopped (they get their time in
 * the loop), then the loop ends. */
static void connector_stdio_stopped(void *arg);

static int
connector_linked(const mg_connector_t *c)
{
	for (size_t i = 0; i < MG_CONNECTOR_MAX_LINKS; i++)
		if (c->links[i] != NULL)
			return 1;
	return 0;
}

void
mg_connector_maybe_exit(mg_connector_t *c)
{
	if (!c->quitting || c->nrelays > 0 || connector_linked(c))
		return;
	if (!c->bridges_closed) {
		c->bridges_closed = 1;
		while (c->closing != NULL) {
			usess_t *u = c->closing;

			c->closing = u->next;
			mg_usess_free(u);
		}
		c->closing_last = NULL;
		while (c->parked != NULL)
			mg_park_free(c->parked);
		while (c->rsubs != NULL)
			mg_rsub_free(c->rsubs);
		mg_upstreams_take_bridges(c->ups, -1, mg_usess_bridge_close, c);
	}
	if (c->nclosing == 0 && c->closing == NULL &&
	    mg_upstreams_stop_all(c->ups, connector_stdio_stopped, c) == 0)
		event_base_loopexit(c->base, NULL);
}

/* The last stdio server of a stopping connector has exited. */
static void
connector_stdio_stopped(void *arg)
{
	mg_connector_maybe_exit(arg);
}

static void
connector_quit(void *arg)
{
	mg_connector_t *c = arg;

	c->quitting = 1;
	/* no more probes: one in flight would hold the bridge's session */
	mg_health_stop(c->health);
	c->health = NULL;
	if (connector_linked(c))
		mg_info("waiting for the workers of generation %d to exit",
		    c->ctx->generation);
	mg_connector_maybe_exit(c);
}

/* ---- streams another worker holds (resumption) ---------------------- */

void
mg_peer_remove(mg_connector_t *c, peer_t *p)
{
	peer_t **pp;

	for (pp = &c->peers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p);
}

/* Tells a worker that the client reading its stream is gone. */
const mg_msg_t mg_peer_cancel = { .type = MG_MSG_PEER_CANCEL };

static void
connector_resume(mg_connector_t *c, mg_link_t *link, const mg_ipc_hdr_t *hdr,
    const mg_msg_t *m)
{
	mg_msg_t fwd = *m;
	int      slot = m->resume.slot;
	peer_t  *p;

	if (slot < 0 || slot >= MG_CONNECTOR_MAX_LINKS ||
	    c->links[slot] == NULL || (p = calloc(1, sizeof(*p))) == NULL) {
		mg_link_send_end(link, MG_MSG_RESP_END, hdr->id, -32000,
		    "the stream is gone with the worker that held it; send "
		    "the request again");
		return;
	}
	mg_debug("worker %d resumes a stream of worker %d for its client",
	    mg_link_slot(link), slot);
	p->from_slot = mg_link_slot(link);
	p->from_id = hdr->id;
	p->to_slot = slot;
	p->to_id = ++c->next_peer_id;
	p->next = c->peers;
	c->peers = p;
	fwd.type = MG_MSG_RESUME_FWD;
	mg_link_send_msg(c->links[slot], p->to_id, &fwd);
}

/* The holder's answer goes to the asker as RESP_HEAD, _EVENT, _END. */
static void
connector_peer_frame(mg_connector_t *c, mg_link_t *link,
    const mg_ipc_hdr_t *hdr, const mg_msg_t *m)
{
	int      slot = mg_link_slot(link);
	mg_msg_t fwd = *m;
	peer_t  *p;

	for (p = c->peers; p != NULL; p = p->next)
		if (p->to_slot == slot && p->to_id == hdr->id)
			break;
	if (p == NULL)
		return; /* the asker's client left meanwhile */
	fwd.type = hdr->type == MG_MSG_PEER_HEAD ? MG_MSG_RESP_HEAD
	    : hdr->type == MG_MSG_PEER_EVENT     ? MG_MSG_RESP_EVENT
						 : MG_MSG_RESP_END;
	if (c->links[p->from_slot] != NULL)
		mg_link_send_msg(c->links[p->from_slot], p->from_id, &fwd);
	if (hdr->type == MG_MSG_PEER_END)
		mg_peer_remove(c, p);
}

/* A worker is gone: nobody waits for what it asked. */
static void
connector_drop_slot(mg_connector_t *c, int slot)
{
	relay_t *r, *next;
	peer_t  *p, *pnext;

	for (p = c->peers; p != NULL; p = pnext) {
		pnext = p->next;
		if (p->from_slot == slot && c->links[p->to_slot] != NULL)
			mg_link_send_msg(
			    c->links[p->to_slot], p->to_id, &mg_peer_cancel);
		else if (p->to_slot == slot && c->links[p->from_slot] != NULL)
			mg_link_send_end(c->links[p->from_slot],
			    MG_MSG_RESP_END, p->from_id, -32000,
			    "the worker holding the stream went away; send "
			    "the request again");
		if (p->from_slot == slot || p->to_slot == slot)
			mg_peer_remove(c, p);
	}

	for (r = c->relays; r != NULL; r = next) {
		next = r->next;
		if (r->slot != slot)
			continue;
		if (r->x)
			mg_upstream_cancel(r->x);
		mg_relay_remove(r);
	}
}

/* A worker could not place notifications/cancelled or a client's
 * response: the call is on another worker, so every other worker hears
 * of it. */
static void
connector_forward(
    void *arg, mg_link_t *from, const mg_ipc_hdr_t *hdr, const mg_msg_t *m)
{
	mg_connector_t *c = arg;
	mg_msg_t        fwd = *m;

	fwd.type =
	    hdr->type == MG_MSG_CANCEL ? MG_MSG_CANCEL_FWD : MG_MSG_ANSWER_FWD;
	for (size_t i = 0; i < MG_CONNECTOR_MAX_LINKS; i++)
		if (c->links[i] != NULL && c->links[i] != from)
			mg_link_send_msg(c->links[i], hdr->id, &fwd);
}

static void
connector_frame(
    void *arg, mg_link_t *link, const mg_ipc_hdr_t *hdr, const mg_msg_t *m)
{
	if (hdr->type == MG_MSG_HELLO) {
		mg_msg_t welcome = { .type = MG_MSG_WELCOME, .link = m->link };

		mg_debug("worker %d of generation %d said hello", m->link.slot,
		    m->link.generation);
		mg_link_send_msg(link, 0, &welcome);
		mg_jwksurl_welcome(
		    arg, link); /* a new worker gets keys at once */
		return;
	}
	if (hdr->type == MG_MSG_CANCEL || hdr->type == MG_MSG_ANSWER) {
		connector_forward(arg, link, hdr, m);
		return;
	}
	if (hdr->type == MG_MSG_REQ) {
		mg_served_mark(); /* a crash from now on is no start-up one */
		mg_connector_request(arg, link, hdr, &m->req);
		return;
	}
	if (hdr->type == MG_MSG_REQ_CANCEL) {
		mg_connector_request_cancel(arg, link, hdr->id);
		return;
	}
	if (hdr->type == MG_MSG_PARK) {
		mg_connector_park(arg, link, hdr, &m->park);
		return;
	}
	if (hdr->type == MG_MSG_KID_UNKNOWN) {
		mg_jwksurl_unknown_kid(arg, link, &m->keys);
		return;
	}
	if (hdr->type == MG_MSG_RESUME) {
		connector_resume(arg, link, hdr, m);
		return;
	}
	if (hdr->type >= MG_MSG_PEER_HEAD && hdr->type <= MG_MSG_PEER_END) {
		connector_peer_frame(arg, link, hdr, m);
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
	if (c->links[slot] == link) {
		c->links[slot] = NULL;
		connector_drop_slot(c, slot);
	}
	if (c->terminating && !connector_linked(c))
		event_base_loopbreak(c->base);
	mg_connector_maybe_exit(c);
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
	connector_drop_slot(c, msg->slot);
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
	    c->ctx->conf->session_timeout, mg_connector_session_ended, c);
	mg_debug("session sweep: %zu alive", alive);
	/* the bridge's sessions too, idle as long */
	mg_upstreams_take_bridges(
	    c->ups, c->ctx->conf->session_timeout, mg_usess_bridge_close, c);
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

/* Its upstreams' records on the status board (board.h), by index. */
static void
connector_board(const mg_conf_t *conf, int generation)
{
	const char *names[MG_BOARD_UPSTREAMS] = { NULL };
	int         n = 0;

	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next)
		if (u->index >= 0 && u->index < MG_BOARD_UPSTREAMS) {
			/* a pool's member: a record of its own */
			names[u->index] =
			    u->member ? u->member->board : u->name;
			n = u->index + 1 > n ? u->index + 1 : n;
		}
	mg_board_bind_upstreams(generation, names, n);
}

int
mg_connector_main(mg_child_ctx_t *ctx)
{
	mg_connector_t c = { .ctx = ctx };
	mg_child_ops_t ops = { connector_quit, connector_terminate,
		connector_link, NULL, &c };
	int            rc = 1;
	char          *err = NULL;

	mg_child_init(ctx);
	if ((c.base = mg_event_base_new()) == NULL) {
		mg_error("cannot create the event loop");
		goto out;
	}
	if ((c.ups = mg_upstreams_new(c.base, ctx->conf, ctx->tls, &err)) ==
	    NULL) {
		mg_error("%s", err ? err : "out of memory");
		free(err);
		goto out;
	}
	if ((c.child = mg_child_new(ctx, c.base, &ops)) == NULL ||
	    connector_sweep_start(&c) != MG_OK)
		goto out;
	if (mg_jwksurl_start(&c) != MG_OK) {
		mg_error("cannot set up fetching the jwks_url key sets");
		goto out;
	}
	if ((c.health = mg_health_start(c.base, ctx->conf, c.ups)) == NULL) {
		mg_error("cannot set up the upstreams' health checks");
		goto out;
	}
	connector_board(ctx->conf, ctx->generation);
	mg_cmetrics_start(ctx->conf);
	mg_pools_metrics(mg_upstreams_pools(c.ups));
	mg_child_ready(c.child);
	mg_info("connector serving");
	event_base_dispatch(c.base);
	rc = 0;
out:
	for (size_t i = 0; i < MG_CONNECTOR_MAX_LINKS; i++) {
		connector_drop_slot(&c, (int)i);
		mg_link_free(c.links[i]);
	}
	while (c.parked != NULL)
		mg_park_free(c.parked);
	while (c.rsubs != NULL)
		mg_rsub_free(c.rsubs);
	mg_jwksurl_free(&c);
	mg_health_stop(c.health);
	mg_upstreams_free(c.ups);
	for (size_t i = 0; i < MG_USESS_BUCKETS; i++)
		while (c.usess[i] != NULL)
			mg_usess_forget(&c, c.usess[i]->session);
	while (c.closing != NULL) {
		usess_t *u = c.closing;

		c.closing = u->next;
		mg_usess_free(u);
	}
	mg_child_free(c.child);
	if (c.sweep)
		event_free(c.sweep);
	if (c.base)
		event_base_free(c.base);
	return rc;
}
