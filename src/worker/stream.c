/*
 * The session's streams: GET and DELETE, and the resumption of the
 * built-in servers' POST streams (dropped, lingering, taken by a client
 * that comes back on this worker or another).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "exchange.h"
#include "log.h"

static int
stream_slot(uint64_t stream)
{
	return (int)(stream >> 36 & 0xfff);
}

static int
stream_generation(uint64_t stream)
{
	return (int)(stream >> 48);
}

static void
ex_linger_end(evutil_socket_t fd, short what, void *arg)
{
	mg_mcp_ex_t *ex = arg;

	mg_info("session %08llx: a dropped stream ended, its client did not "
		"come back within sse_resume_timeout (%s)",
	    (unsigned long long)(ex->session >> 32), ex->loc->path);
	mg_ex_free(ex);
}

/* A worker keeps at most worker_connections dropped streams (their
 * clients hold no connection, so nothing else bounds them): past that,
 * the one dropped longest ago ends. */
static void
ex_drop_make_room(mg_mcp_ctx_t *ctx)
{
	mg_mcp_ex_t *oldest = NULL;

	if (ctx->ndropped < ctx->conf->worker_connections)
		return;
	for (mg_mcp_ex_t *ex = ctx->exchanges; ex != NULL; ex = ex->next)
		if (ex->dropped &&
		    (oldest == NULL || ex->dropped_at < oldest->dropped_at))
			oldest = ex;
	if (oldest == NULL)
		return;
	mg_warn("more than worker_connections (%d) dropped streams wait for "
		"their clients: the oldest, of session %08llx, ends",
	    ctx->conf->worker_connections,
	    (unsigned long long)(oldest->session >> 32));
	mg_ex_free(oldest);
}

/* Nobody reads the stream now: the calls go on and their events wait
 * in the replay buffer for sse_resume_timeout. */
static int
ex_drop(mg_mcp_ex_t *ex)
{
	int64_t        ms = ex->loc->http.sse_resume_timeout;
	struct timeval tv = { (time_t)(ms / 1000),
		(suseconds_t)(ms % 1000) * 1000 };

	ex->req = NULL;
	ex->peer_id = 0;
	if (ex->keepalive)
		event_del(ex->keepalive);
	if (ex->linger == NULL)
		ex->linger = evtimer_new(ex->ctx->base, ex_linger_end, ex);
	if (ex->linger == NULL || evtimer_add(ex->linger, &tv) != 0)
		return MG_ERROR;
	ex_drop_make_room(ex->ctx);
	ex->dropped = 1;
	ex->dropped_at = mg_ex_now_ms();
	ex->ctx->ndropped++;
	return MG_OK;
}

/* The stream a Last-Event-ID names, if every event after it is held;
 * else NULL and why, for the client. */
static mg_mcp_ex_t *
ex_find_stream(mg_mcp_ctx_t *ctx, uint64_t session, uint64_t stream,
    unsigned seq, char *why, size_t n)
{
	mg_mcp_ex_t *ex;
	char         id[MG_REPLAY_ID_MAX];

	mg_replay_format_id(id, stream, seq);
	for (ex = ctx->exchanges; ex != NULL; ex = ex->next)
		if (ex->stream_id == stream && ex->session == session &&
		    ex->replay != NULL)
			break;
	if (ex == NULL) {
		snprintf(why, n,
		    "the stream of Last-Event-ID %s is gone: it ended, or "
		    "its client did not come back within "
		    "sse_resume_timeout; send the request again",
		    id);
		return NULL;
	}
	switch (mg_replay_check(ex->replay, seq)) {
	case MG_OK: return ex;
	case MG_DECLINED:
		snprintf(why, n,
		    "the events after Last-Event-ID %s are no longer held "
		    "(more than sse_buffer bytes came after it); send the "
		    "request again",
		    id);
		return NULL;
	default:
		snprintf(why, n,
		    "Last-Event-ID %s was never sent on its stream", id);
		return NULL;
	}
}

/* A new reader takes the stream: the old one, if any, is ended. */
static void
ex_take(mg_mcp_ex_t *ex)
{
	mg_http_req_t *old = ex->req;

	if (old != NULL) {
		/* its client went quiet without us noticing */
		ex->req = NULL;
		mg_http_req_set_data(old, NULL);
		mg_http_stream_end(old);
	}
	if (ex->peer_id != 0) {
		mg_ex_peer_end(ex->ctx, ex->peer_id, -32000,
		    "the stream was resumed by another connection");
		ex->peer_id = 0;
	}
	if (ex->dropped)
		ex->ctx->ndropped--;
	ex->dropped = 0;
	if (ex->linger)
		evtimer_del(ex->linger);
}

static void
replay_one(void *arg, unsigned seq, const char *data, size_t len)
{
	mg_ex_deliver(arg, seq, data, len);
}

/* GET with Last-Event-ID of a stream this worker holds: the GET's
 * connection reads it from now on (exchange EX is only the GET's). */
static void
ex_resume_here(mg_mcp_ex_t *ex, uint64_t stream, unsigned seq)
{
	char         why[256];
	mg_mcp_ex_t *s =
	    ex_find_stream(ex->ctx, ex->session, stream, seq, why, sizeof(why));
	mg_http_req_t *req = ex->req;

	if (s == NULL) {
		mg_ex_refuse(ex, 400, NULL, -32000, why);
		return;
	}
	ex_take(s);
	s->req = req;
	mg_http_req_set_data(req, s);
	ex->req = NULL;
	mg_ex_free(ex);
	mg_ex_stream_headers(s);
	mg_replay_since(s->replay, seq, replay_one, s);
	if (s->calls == NULL)
		mg_http_stream_end(req);
}

/* Another worker's client resumes a stream of ours (via the connector,
 * which named this request ID). */
void
mg_mcp_peer_resume(mg_mcp_ctx_t *ctx, uint64_t id, const mg_msg_resume_t *m)
{
	mg_msg_t     h = { .type = MG_MSG_PEER_HEAD,
		    .head = { .status = 200, .kind = MG_RESP_SSE } };
	mg_mcp_ex_t *s;
	char         why[256];

	s = ex_find_stream(
	    ctx, m->session, m->stream, m->seq, why, sizeof(why));
	if (s == NULL) {
		mg_ex_peer_end(ctx, id, -32000, why);
		return;
	}
	ex_take(s);
	s->peer_id = id;
	if (mg_ex_peer_link(ctx) != NULL)
		mg_link_send_msg(mg_ex_peer_link(ctx), id, &h);
	mg_replay_since(s->replay, m->seq, replay_one, s);
	if (s->calls == NULL) {
		mg_ex_peer_end(ctx, id, 0, NULL);
		mg_ex_free(s);
	}
}

void
mg_mcp_peer_cancel(mg_mcp_ctx_t *ctx, uint64_t id)
{
	for (mg_mcp_ex_t *ex = ctx->exchanges; ex != NULL; ex = ex->next)
		if (ex->peer_id == id && ex->req == NULL) {
			if (ex_drop(ex) != MG_OK)
				mg_ex_free(ex);
			return;
		}
}

void
mg_mcp_peers_lost(mg_mcp_ctx_t *ctx)
{
	mg_mcp_ex_t *ex;

	/* from the start after each: dropping one may end another */
again:
	for (ex = ctx->exchanges; ex != NULL; ex = ex->next)
		if (ex->peer_id != 0 && ex->req == NULL) {
			if (ex_drop(ex) != MG_OK)
				mg_ex_free(ex);
			goto again;
		}
}

/* GET with Last-Event-ID on a built-in server's route: MG_DECLINED
 * when it opens a new GET stream after all. */
static int
ex_resume(mg_mcp_ex_t *ex, const char *lei)
{
	mg_relay_ops_t  o = mg_ex_relay_ops;
	mg_msg_resume_t m = { 0 };
	char            why[256];

	if (mg_replay_parse_id(lei, &m.stream, &m.seq) != MG_OK) {
		mg_ex_refuse(ex, 400, NULL, -32000,
		    "Last-Event-ID is not an event id of this gateway's "
		    "streams");
		return MG_OK;
	}
	/* nothing is ever sent unasked on the built-in servers' GET
	 * streams: the client missed nothing */
	if (m.stream & STREAM_GET)
		return MG_DECLINED;
	if (stream_generation(m.stream) != (ex->ctx->generation & 0xffff)) {
		snprintf(why, sizeof(why),
		    "the stream of Last-Event-ID %s is gone: the workers "
		    "were replaced (reload or restart) after it; send the "
		    "request again",
		    lei);
		mg_ex_refuse(ex, 400, NULL, -32000, why);
		return MG_OK;
	}
	snprintf(ex->rpc_method, sizeof(ex->rpc_method), "(resume)");
	if (stream_slot(m.stream) == ex->ctx->slot) {
		ex_resume_here(ex, m.stream, m.seq);
		return MG_OK;
	}
	m.slot = stream_slot(m.stream);
	m.session = ex->session;
	ex->resuming = 1;
	o.arg = ex;
	if (ex->ctx->proxy == NULL ||
	    (ex->relay = mg_proxy_resume(ex->ctx->proxy, &m, &o)) == NULL)
		mg_ex_refuse(ex, 503, NULL, -32000,
		    "the connector process is not available; try again");
	return MG_OK;
}

void
mg_ex_get(mg_mcp_ex_t *ex)
{
	const char *lei;

	if (!mg_ex_accepts(
		mg_http_req_header(ex->req, "Accept"), "text/event-stream")) {
		mg_ex_refuse(ex, 406, NULL, MG_RPC_INVALID_REQUEST,
		    "Not Acceptable: Accept must list text/event-stream");
		return;
	}
	if (mg_ex_check_session(ex) != MG_OK)
		return;
	snprintf(ex->rpc_method, sizeof(ex->rpc_method), "(stream)");
	if (ex->loc->members != NULL) {
		mg_ex_fed_get(ex);
		return;
	}
	/* an upstream of 2026-07-28 has no GET stream: ours carries
	 * keep-alives, as a built-in server's */
	if (ex->upstream != NULL &&
	    ex->upstream->protocol != MG_PROTOCOL_2026) {
		ex->get_stream = 1;
		mg_ex_relay(ex, "", 0);
		return;
	}
	lei = mg_http_req_header(ex->req, "Last-Event-ID");
	if (lei != NULL && ex_resume(ex, lei) == MG_OK)
		return;
	ex->get_stream = 1;
	mg_ex_stream_begin(ex);
	/* over the bridge to an upstream of 2026-07-28, the connector's
	 * listen for the session brings the list changes here */
	if (ex->upstream != NULL)
		mg_ex_tell_subscriptions(ex, MG_HTTP_GET);
	/* The built-in servers send only the changes of the lists they said
	 * change (listChanged); else the stream carries keep-alive comments
	 * until the session or the client ends. */
	mg_ex_lists_watch(
	    ex, mg_ex_lists_declared(ex, mg_ex_versions[ex->version]));
}

void
mg_ex_delete(mg_mcp_ex_t *ex)
{
	if (mg_ex_check_session(ex) != MG_OK)
		return;
	if (ex->loc->members != NULL) {
		mg_ex_fed_delete(ex);
		return;
	}
	if (ex->upstream != NULL &&
	    ex->upstream->protocol != MG_PROTOCOL_2026) {
		mg_ex_relay(ex, "", 0); /* relay_end deletes ours too */
		return;
	}
	mg_sesstab_delete(ex->ctx->sessions, ex->session, mg_ex_now_ms());
	/* over the bridge to an upstream of 2026-07-28, the connector drops
	 * the session's subscriptions */
	if (ex->upstream != NULL)
		mg_ex_tell_subscriptions(ex, MG_HTTP_DELETE);
	mg_http_reply(ex->req, 204, NULL, NULL, 0);
}

void
mg_mcp_aborted(mg_http_req_t *req)
{
	mg_mcp_ex_t *ex = mg_http_req_data(req);

	if (ex == NULL)
		return;
	/* a resumable stream waits for its client to come back */
	if (ex->replay != NULL && ex->calls != NULL && ex_drop(ex) == MG_OK)
		return;
	/* nobody can take the answers now */
	ex->req = NULL;
	mg_ex_cancel_calls(ex);
	if (ex->relay) {
		mg_proxy_cancel(ex->relay);
		ex->relay = NULL;
	}
	mg_ex_fed_free(ex); /* every member's part */
	if (ex->keepalive)
		event_del(ex->keepalive);
}

void
mg_mcp_stop(mg_mcp_ctx_t *ctx)
{
	/* Streams that would never end on their own: the GET streams, and
	 * the listen streams (which end with their result). */
	for (mg_mcp_ex_t *ex = ctx->exchanges, *next; ex != NULL; ex = next) {
		next = ex->next;
		/* (a relayed one ends once its head is out: not before) */
		if (ex->get_stream && ex->req != NULL && ex->streaming)
			mg_http_stream_end(ex->req);
		else if (ex->listen && ex->req != NULL)
			mg_ex_listen_end(ex);
		else if ((ex->relay != NULL || ex->fed != NULL) &&
		    ex->req != NULL && ex->streaming && ex->modern &&
		    strcmp(ex->rpc_method, "subscriptions/listen") == 0)
			mg_ex_relayed_listen_end(ex);
	}
}
