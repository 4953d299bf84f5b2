/*
 * An exchange with a pool (pool.h): the member chosen for it (a new
 * session's by weight or load, a session's own from the tag of its id),
 * the member's exchange run under it through the member's transport, the
 * session id the member answers with tagged on its way to the worker, and
 * a connection failure tried again on the next member when the request
 * may be sent twice (docs/configuration.md, "Pools").
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "board.h"
#include "httpmsg.h"
#include "jsonrpc.h"
#include "log.h"
#include "pool.h"
#include "transport.h"

#define POOLX_ERR -32000

typedef struct poolx {
	mg_upx_t             h; /* first (transport.h) */
	mg_upstream_t const *pool, *member;
	mg_pools_t          *ps;
	mg_upstreams_t      *ups;
	struct event_base   *base;
	mg_upx_t            *inner; /* the member's exchange */
	mg_up_ops_t          ops;   /* the caller's */
	mg_up_ops_t          mine;  /* the member's exchange calls these */
	mg_up_req_t          req;   /* a copy (data), for another member */
	char                *data;
	int                  has_tag;
	uint32_t             tag;
	unsigned char        tried[MG_POOL_MEMBERS_MAX];
	int                  tries, max_tries;
	int                  head_sent;
	int                  status;   /* its head's */
	int                  in_start; /* inside the member's start */
	int                  again;    /* its end asked for the next one */
	int                  ended;    /* its end came inside its start */
	struct event        *later;    /* that end, told after the start */
	int                  code;
	char                 why[512];
	char                 tagged[MG_UP_SID_MAX];
} poolx_t;

static int poolx_fail_kind; /* mg_pool_note_failure */

void
mg_pool_note_failure(int kind)
{
	poolx_fail_kind = kind;
}

static void poolx_cancel(mg_upx_t *h);
static void poolx_park(mg_upx_t *h, const mg_up_ops_t *ops);
static void poolx_resume(mg_upx_t *h, const mg_up_ops_t *ops, const char *body,
    size_t len, int caps);
static const char *poolx_version(const mg_upx_t *h);

/* Not a row of the table (it serves no upstream): the calls on the
 * handle of a pool's exchange. */
static const mg_transport_t poolx_row = {
	.name = "pool",
	.cancel = poolx_cancel,
	.park = poolx_park,
	.resume = poolx_resume,
	.version = poolx_version,
};

static void
poolx_free(poolx_t *px)
{
	if (px->later != NULL)
		event_free(px->later);
	free(px->data);
	free(px);
}

/* May REQ go to another member after a failure of KIND? Nothing reached
 * the first: yes.  It was sent and no answer came: only a request that
 * changes nothing (initialize, server/discover, ping, a list, a GET
 * stream, a DELETE).  A tools/call that was sent is never sent twice. */
static int
poolx_may_retry(const poolx_t *px, int kind)
{
	const mg_up_req_t *q = &px->req;
	mg_rpc_peek_t      pk;
	size_t             n;
	int                safe = 0;

	if (px->head_sent || px->tries >= px->max_tries)
		return 0;
	if (kind == MG_POOL_FAIL_CONNECT)
		return 1;
	if (q->method != MG_HTTP_POST || q->initialize || q->discover)
		return 1;
	if (mg_rpc_peek(q->body, q->body_len, &pk) != MG_OK)
		return 0;
	n = strlen(pk.method);
	safe = pk.kind == MG_RPC_REQUEST &&
	    (strcmp(pk.method, "ping") == 0 ||
		(n > 5 && strcmp(pk.method + n - 5, "/list") == 0));
	mg_rpc_peek_clear(&pk);
	return safe;
}

/* ---- the member's exchange's calls ------------------------------------ */

static void
poolx_head(
    void *arg, int status, int kind, const char *sid, const char *version)
{
	poolx_t *px = arg;

	px->head_sent = 1;
	px->status = status;
	if (status < 500)
		mg_pool_member_ok(px->ps, px->member);
	/* the session's member travels with its id (sealed by the worker) */
	if (sid != NULL && sid[0] != '\0' &&
	    mg_pool_tag_sid(px->member->member->tag, sid, px->tagged,
		sizeof(px->tagged)) == MG_OK)
		sid = px->tagged;
	px->ops.head(px->ops.arg, status, kind, sid, version);
}

static void
poolx_data(void *arg, const char *msg, size_t len)
{
	poolx_t *px = arg;

	px->ops.data(px->ops.arg, msg, len);
}

static void
poolx_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	poolx_t *px = arg;

	px->ops.event(px->ops.arg, id, retry, data, len);
}

static void
poolx_upstream(void *arg, int status, const char *addr, int64_t us)
{
	poolx_t *px = arg;

	if (px->ops.upstream != NULL)
		px->ops.upstream(px->ops.arg, status, addr, us);
}

static void poolx_go(poolx_t *px);

/* The end that came inside the member's start, told now. */
static void
poolx_later(evutil_socket_t fd, short what, void *arg)
{
	poolx_t *px = arg;

	(void)fd;
	(void)what;
	px->ops.end(px->ops.arg, px->code, px->why);
	poolx_free(px);
}

static void
poolx_end(void *arg, int code, const char *message)
{
	poolx_t *px = arg;
	int      kind = code != 0 ? poolx_fail_kind : 0;

	mg_pool_member_conns(px->ps, px->member, -1);
	px->inner = NULL;
	px->code = code;
	snprintf(px->why, sizeof(px->why), "%s", message ? message : "");
	/* the member's own record on the status board (the relay writes
	 * the pool's) */
	if (code == 0 && px->status < 500)
		mg_board_up_result(px->member->index, 1, NULL);
	else
		mg_board_up_result(
		    px->member->index, 0, code != 0 ? px->why : "HTTP 5xx");
	if (kind != 0)
		mg_pool_member_fail(px->ps, px->member, message);
	if (kind != 0 && poolx_may_retry(px, kind)) {
		if (px->in_start)
			px->again = 1;
		else
			poolx_go(px);
		return;
	}
	if (px->in_start) {
		px->ended = 1;
		return;
	}
	px->ops.end(px->ops.arg, code, px->why);
	poolx_free(px);
}

/* ---- the choice of a member, and again -------------------------------- */

/* Start on the next member; the last failure is told when none is left.
 * 1: it runs (or its end is on its way); 0: it could not start at all. */
static int
poolx_try(poolx_t *px)
{
	const mg_upstream_t *m;
	mg_upx_t            *inner;

	for (;;) {
		m = mg_pool_choose(px->ps, px->pool, px->req.sid, px->has_tag,
		    px->tag, px->tried);
		if (m == NULL)
			return 0;
		px->member = m;
		px->tries++;
		px->req.up = m;
		mg_pool_member_conns(px->ps, m, 1);
		px->in_start = 1;
		px->again = px->ended = 0;
		inner = mg_upstream_start(px->ups, &px->req, &px->mine);
		px->in_start = 0;
		if (px->again)
			continue; /* it failed at once: the next one */
		if (px->ended) {
			event_active(px->later, EV_TIMEOUT, 0);
			return 1;
		}
		if (inner != NULL) {
			px->inner = inner;
			return 1;
		}
		mg_pool_member_conns(px->ps, m, -1);
		px->code = POOLX_ERR;
		snprintf(px->why, sizeof(px->why),
		    "upstream \"%s\": cannot start a request to \"%s\"",
		    m->name, m->server.url ? m->server.url : m->command[0]);
		if (px->tries >= px->max_tries)
			return 0;
	}
}

/* After a failure (not inside a start): the next member, or the end. */
static void
poolx_go(poolx_t *px)
{
	/* inside the failed exchange's end: the note is its (and its
	 * process's other exchanges'), not the next member's */
	int kind = poolx_fail_kind, more;

	poolx_fail_kind = 0;
	more = poolx_try(px);
	poolx_fail_kind = kind;
	if (more)
		return;
	px->ops.end(px->ops.arg, px->code ? px->code : POOLX_ERR, px->why);
	poolx_free(px);
}

/* The request's strings, copied into one block (a retry needs them after
 * the frame that brought them is gone). */
static int
poolx_copy(poolx_t *px, const mg_up_req_t *req, const char *sid)
{
	const char *s[] = { sid, req->version, req->last_event_id };
	size_t      sl[3], total = 0;
	char       *at;

	for (int i = 0; i < 3; i++) {
		s[i] = s[i] != NULL ? s[i] : "";
		total += (sl[i] = strlen(s[i])) + 1;
	}
	total += req->init_len + req->body_len + req->headers_len +
	    req->token_len + 4;
	if ((px->data = at = malloc(total)) == NULL)
		return MG_ERROR;
#define PUT(field, p, n)                                                       \
	do {                                                                   \
		if ((n) > 0)                                                   \
			memcpy(at, p, n);                                      \
		at[n] = '\0';                                                  \
		px->req.field = at;                                            \
		at += (n) + 1;                                                 \
	} while (0)
	PUT(sid, s[0], sl[0]);
	PUT(version, s[1], sl[1]);
	PUT(last_event_id, s[2], sl[2]);
	PUT(init, req->init, req->init_len);
	PUT(body, req->body, req->body_len);
	PUT(headers, req->headers, req->headers_len);
	if (req->token != NULL)
		PUT(token, req->token, req->token_len);
#undef PUT
	return MG_OK;
}

mg_upx_t *
mg_poolx_start(mg_upstreams_t *ups, mg_pools_t *ps, struct event_base *base,
    const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	poolx_t    *px = calloc(1, sizeof(*px));
	const char *sid = req->sid != NULL ? req->sid : "", *rest = sid;

	if (px == NULL)
		return NULL;
	px->h.t = &poolx_row;
	px->pool = req->up;
	px->ps = ps;
	px->ups = ups;
	px->base = base;
	px->ops = *ops;
	px->mine = (mg_up_ops_t){ poolx_head, poolx_data, poolx_event,
		poolx_end, px, ops->upstream ? poolx_upstream : NULL };
	px->req = *req;
	px->has_tag = mg_pool_sid_tag(sid, &px->tag, &rest);
	px->max_tries = px->pool->next_upstream_tries > 0
	    ? px->pool->next_upstream_tries
	    : (int)px->pool->nmembers;
	px->later = event_new(base, -1, 0, poolx_later, px);
	if (px->later == NULL || poolx_copy(px, req, rest) != MG_OK) {
		poolx_free(px);
		return NULL;
	}
	if (!poolx_try(px)) {
		if (px->tries == 0) {
			poolx_free(px);
			return NULL;
		}
		/* every member failed at once: the last failure, told
		 * after this start as any end */
		px->code = px->code ? px->code : POOLX_ERR;
		event_active(px->later, EV_TIMEOUT, 0);
	}
	return &px->h;
}

/* ---- the handle's calls ----------------------------------------------- */

static void
poolx_cancel(mg_upx_t *h)
{
	poolx_t *px = (poolx_t *)h;

	if (px->inner != NULL) {
		mg_pool_member_conns(px->ps, px->member, -1);
		mg_upstream_cancel(px->inner);
	}
	poolx_free(px);
}

static void
poolx_park(mg_upx_t *h, const mg_up_ops_t *ops)
{
	poolx_t *px = (poolx_t *)h;

	px->ops = *ops;
	px->mine.upstream = ops->upstream ? poolx_upstream : NULL;
	if (px->inner != NULL)
		mg_upstream_park(px->inner, &px->mine);
}

static void
poolx_resume(
    mg_upx_t *h, const mg_up_ops_t *ops, const char *body, size_t len, int caps)
{
	poolx_t *px = (poolx_t *)h;

	px->ops = *ops;
	px->mine.upstream = ops->upstream ? poolx_upstream : NULL;
	if (px->inner != NULL)
		mg_upstream_resume(px->inner, &px->mine, body, len, caps);
}

static const char *
poolx_version(const mg_upx_t *h)
{
	const poolx_t *px = (const poolx_t *)h;

	return px->inner != NULL ? mg_upstream_version(px->inner) : "";
}
