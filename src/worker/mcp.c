/*
 * MCP Streamable HTTP endpoints.
 *
 * One exchange (mg_mcp_ex_t) per HTTP request: a POST carries one
 * JSON-RPC message (or, on 2025-03-26, a batch), whose requests become
 * calls handed to the location's backend; a GET is the session's
 * server-to-client stream.  An exchange answers with application/json
 * when every call is answered before anything else is sent, and turns
 * into an SSE stream as soon as a backend sends a notification first.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "accesslog.h"
#include "ipc.h"
#include "jsonrpc.h"
#include "limit.h"
#include "log.h"
#include "mcp.h"
#include "proxy.h"
#include "bridge.h"
#include "era.h"
#include "replay.h"
#include "selfconn.h"
#include "session.h"
#include "sesstab.h"
#include "sse.h"

/* The stateful revisions (sessions); versions[] indexes ex->version. */
static const char *versions[] = { "2025-03-26", "2025-06-18", "2025-11-25" };
/* Every revision an endpoint serves, oldest first: server/discover and the
 * unsupported-version error list them. */
static const char *const all_versions[] = { "2025-03-26", "2025-06-18",
	"2025-11-25", MG_ERA_2026 };

typedef struct mg_mcp_ex mg_mcp_ex_t;

/* What a proxy route keeps of its session's token: the version and the
 * upstream's part, as long as it is (a small allocation per call). */
typedef struct {
	char    version[sizeof(((mg_session_t *)0)->version)];
	size_t  upstream_len;
	uint8_t upstream[];
} ex_sess_t;

struct mg_mcp_call {
	mg_mcp_ex_t        *ex;
	mg_mcp_call_t      *next;
	struct json_object *id;     /* a reference */
	struct json_object *params; /* a reference, or NULL */
	char               *idtext; /* the id as JSON, for cancels */
	void               *data;
	char               *ask_id; /* our request to the client, as JSON */
	mg_mcp_answered_t   answered;
};

struct mg_mcp_ex {
	mg_mcp_ctx_t           *ctx;
	mg_http_req_t          *req; /* NULL once the client is gone */
	const mg_server_t      *srv;
	const mg_location_t    *loc;
	const mg_mcp_backend_t *backend;
	mg_mcp_ex_t            *prev, *next;
	mg_mcp_call_t          *calls;   /* unanswered */
	uint64_t                session; /* 0: none */
	int                     version; /* index into versions[] */
	int                     modern;  /* 2026-07-28: stateless */
	int                     listen;  /* a subscriptions/listen stream */
	int                     batch;
	int                     streaming;
	int                     get_stream; /* the session's GET stream */
	int                     nanswers;
	struct evbuffer        *answers; /* JSON answers held back */
	struct event           *keepalive;
	uint64_t                stream_id;
	unsigned                seq;
	/* resumption of the built-in servers' POST streams */
	mg_replay_t  *replay;     /* the stream's recent events */
	struct event *linger;     /* dropped: its client may come back */
	int           dropped;    /* no client now, calls go on */
	int64_t       dropped_at; /* ms, when it was dropped */
	uint64_t      peer_id;    /* read by another worker's client */
	int           resuming;   /* a GET reading another worker's stream */
	/* relaying to an upstream (mcp_pass) */
	const mg_upstream_t *upstream;
	mg_relay_t          *relay;
	int                  relay_status;
	int                  relay_kind;
	int                  relay_init;
	struct json_object  *req_id;      /* for an error answer; a reference */
	char                *init_params; /* the client's, for the token */
	ex_sess_t           *sess; /* what the token said (proxy routes) */
	int                  hops;
	int                  answered_relay;
	int bridged; /* 2026-07-28 over the bridge to a 2025 upstream */
	/* a 2025 client over the bridge to an upstream of 2026-07-28 */
	int              reverse;
	int              reverse_init; /* its initialize, as server/discover */
	struct evbuffer *rev_headers;  /* Mcp-Method, Mcp-Name */
	/* its input_required results, as requests to it (reverse_ask) */
	char               *rev_body;    /* the request as relayed */
	struct json_object *rev_keys;    /* the inputRequests' keys */
	struct json_object *rev_answers; /* the client's results, by key */
	struct json_object *rev_state;   /* the upstream's requestState */
	int                 rev_rounds;
	int                 rev_subscribe; /* held by the connector */
	/* the upstream's requests to a 2026-07-28 client over the bridge */
	int                 caps;   /* it declared: MG_REQ_F_ELICIT.. */
	struct json_object *asks;   /* gathered inputRequests, by key */
	struct event       *gather; /* then the input_required result */
	int                 resume; /* a retry: the connector holds PARK */
	uint8_t             park[MG_PARK_KEY];
	struct json_object *refused; /* capabilities refused upstream */
	char                input_target[256]; /* its name or uri */
	/* for the access log */
	char rpc_method[48];
	char tool[64];
	int  rpc_error;
};

struct mg_mcp_ctx {
	struct event_base      *base;
	mg_sesstab_t           *sessions;
	const mg_session_key_t *key;
	const mg_conf_t        *conf;
	mg_mcp_ex_t            *exchanges;
	mg_proxy_t             *proxy;
	void (*fwd)(void *arg, mg_mcp_fwd_t what, uint64_t session,
	    const char *text, size_t len);
	void    *fwd_arg;
	uint64_t asked;            /* requests to clients so far */
	int      slot, generation; /* the worker's, in stream ids */
	int      ndropped;         /* streams waiting for their clients */
};

/*
 * A stream id: the worker's generation (16 bits) and slot (12 bits),
 * whether it is a GET stream, and 35 random bits.  Event ids are the
 * stream id and the event's number (replay.h).
 */
#define STREAM_GET (1ULL << 35)

static uint64_t
stream_new(const mg_mcp_ctx_t *ctx, int get)
{
	return (uint64_t)(ctx->generation & 0xffff) << 48 |
	    (uint64_t)(ctx->slot & 0xfff) << 36 | (get ? STREAM_GET : 0) |
	    (mg_sesstab_new_id() & (STREAM_GET - 1));
}

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

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
version_index(const char *v)
{
	for (size_t i = 0; v != NULL && i < MG_NELEM(versions); i++)
		if (strcmp(v, versions[i]) == 0)
			return (int)i;
	return -1;
}

static int
known_old(const char *v)
{
	return version_index(v) >= 0;
}

/* Batches went away in 2025-06-18. */
static int
batches_allowed(int version)
{
	return version == 0;
}

/* Priming events and retry came with 2025-11-25. */
static int
primes_streams(int version)
{
	return version >= 2;
}

mg_mcp_ctx_t *
mg_mcp_ctx_new(struct event_base *base, mg_sesstab_t *sessions,
    const mg_session_key_t *key, const mg_conf_t *conf)
{
	mg_mcp_ctx_t *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL)
		return NULL;
	ctx->base = base;
	ctx->sessions = sessions;
	ctx->key = key;
	ctx->conf = conf;
	return ctx;
}

void
mg_mcp_set_proxy(mg_mcp_ctx_t *ctx, mg_proxy_t *proxy)
{
	ctx->proxy = proxy;
}

void
mg_mcp_set_worker(mg_mcp_ctx_t *ctx, int slot, int generation)
{
	ctx->slot = slot;
	ctx->generation = generation;
}

void
mg_mcp_set_forward(mg_mcp_ctx_t *ctx,
    void (*fwd)(void *arg, mg_mcp_fwd_t what, uint64_t session,
	const char *text, size_t len),
    void *arg)
{
	ctx->fwd = fwd;
	ctx->fwd_arg = arg;
}

/* Client text for a log line (LEN bytes of SRC, or up to a NUL):
 * printable, no spaces, bounded. */
static void
copy_token_n(char *dst, size_t n, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < n && i < len && src[i] != '\0'; i++)
		dst[i] = src[i] > 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

static void
copy_token(char *dst, size_t n, const char *src)
{
	copy_token_n(dst, n, src, SIZE_MAX);
}

/* ---- exchanges ------------------------------------------------------ */

static mg_mcp_ex_t *
ex_new(mg_mcp_ctx_t *ctx, mg_http_req_t *req, const mg_server_t *srv,
    const mg_location_t *loc)
{
	mg_mcp_ex_t *ex = calloc(1, sizeof(*ex));

	if (ex == NULL)
		return NULL;
	ex->ctx = ctx;
	ex->req = req;
	ex->srv = srv;
	ex->loc = loc;
	ex->backend = loc->backend;
	ex->upstream = loc->upstream;
	ex->version = 0;
	ex->next = ctx->exchanges;
	if (ctx->exchanges)
		ctx->exchanges->prev = ex;
	ctx->exchanges = ex;
	mg_http_req_set_data(req, ex);
	return ex;
}

static void
call_free(mg_mcp_call_t *c)
{
	json_object_put(c->id);
	json_object_put(c->params);
	free(c->idtext);
	free(c->ask_id);
	free(c);
}

static void
call_unlink(mg_mcp_call_t *c)
{
	mg_mcp_call_t **pp;

	for (pp = &c->ex->calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
}

/* End every call unanswered: the backend forgets them. */
static void
ex_cancel_calls(mg_mcp_ex_t *ex)
{
	mg_mcp_call_t *c;

	while ((c = ex->calls) != NULL) {
		ex->calls = c->next;
		if (ex->backend && ex->backend->cancel)
			ex->backend->cancel(c);
		call_free(c);
	}
}

static void
ex_free(mg_mcp_ex_t *ex)
{
	mg_mcp_ctx_t *ctx = ex->ctx;

	ex_cancel_calls(ex);
	/* a JSON answer is whole at its DATA: the END that follows needs no
	 * cancel (which would wake the connector for nothing) */
	if (ex->relay && ex->answered_relay)
		mg_proxy_forget(ex->relay);
	else if (ex->relay)
		mg_proxy_cancel(ex->relay);
	json_object_put(ex->req_id);
	json_object_put(ex->asks);
	json_object_put(ex->refused);
	if (ex->gather)
		event_free(ex->gather);
	free(ex->init_params);
	free(ex->sess);
	if (ex->rev_headers)
		evbuffer_free(ex->rev_headers);
	free(ex->rev_body);
	json_object_put(ex->rev_keys);
	json_object_put(ex->rev_answers);
	json_object_put(ex->rev_state);
	mg_replay_free(ex->replay);
	if (ex->linger)
		event_free(ex->linger);
	if (ex->dropped)
		ctx->ndropped--;
	if (ex->keepalive)
		event_free(ex->keepalive);
	if (ex->answers)
		evbuffer_free(ex->answers);
	if (ex->prev)
		ex->prev->next = ex->next;
	else
		ctx->exchanges = ex->next;
	if (ex->next)
		ex->next->prev = ex->prev;
	free(ex);
}

/* ---- answers -------------------------------------------------------- */

/* An HTTP-level refusal with a JSON-RPC error body (DATA borrowed). */
static void
ex_refuse_data(mg_mcp_ex_t *ex, int status, struct json_object *id, int code,
    const char *message, struct json_object *data)
{
	struct evbuffer *body = evbuffer_new();

	ex->rpc_error = code;
	mg_rpc_write_error(body, id, code, message, data);
	mg_http_reply_buffer(ex->req, status, "application/json", body);
	evbuffer_free(body);
}

static void
ex_refuse(mg_mcp_ex_t *ex, int status, struct json_object *id, int code,
    const char *message)
{
	ex_refuse_data(ex, status, id, code, message, NULL);
}

static void
ex_refuse_old_version(mg_mcp_ex_t *ex, struct json_object *id)
{
	ex_refuse(ex, 400, id, MG_RPC_INVALID_REQUEST,
	    "Bad Request: unsupported MCP-Protocol-Version "
	    "(supported: 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28)");
}

/*
 * The HTTP status of a JSON answer.  2026-07-28 says it for some errors:
 * an unknown method is 404, the header, capability and version errors
 * are 400.  The 2025 revisions answer every JSON-RPC error with 200.
 */
static int
ex_answer_status(const mg_mcp_ex_t *ex)
{
	if (!ex->modern)
		return 200;
	switch (ex->rpc_error) {
	case MG_RPC_METHOD_NOT_FOUND: return 404;
	case MG_MCP_ERR_HEADER_MISMATCH:
	case MG_MCP_ERR_MISSING_CAPABILITY:
	case MG_MCP_ERR_UNSUPPORTED_VERSION: return 400;
	}
	return 200;
}

static void
ex_stream_keepalive(evutil_socket_t fd, short what, void *arg)
{
	mg_mcp_ex_t     *ex = arg;
	struct evbuffer *out;

	if (ex->req == NULL)
		return;
	/* a GET stream ends with its session (deleted on another worker) */
	if (ex->get_stream &&
	    mg_sesstab_touch(ex->ctx->sessions, ex->session, now_ms(),
		ex->ctx->conf->session_timeout) != MG_OK) {
		mg_http_stream_end(ex->req);
		return;
	}
	out = evbuffer_new();
	mg_sse_write_comment(out, "keepalive");
	if (mg_http_stream_write_buffer(ex->req, out) != MG_OK)
		mg_http_stream_end(ex->req);
	evbuffer_free(out);
}

/* A stream read by another worker's client: frames to the connector,
 * while there is one (a lost link drops such readers: peers_lost). */
static mg_link_t *
peer_link(const mg_mcp_ctx_t *ctx)
{
	return ctx->proxy ? mg_proxy_link(ctx->proxy) : NULL;
}

static void
peer_end(mg_mcp_ctx_t *ctx, uint64_t id, int code, const char *message)
{
	mg_link_t *link = peer_link(ctx);

	if (link != NULL)
		mg_link_send_end(link, MG_MSG_PEER_END, id, code, message);
}

/* One event to whoever reads the stream now: our client, another
 * worker's, or nobody (it waits in the replay buffer). */
static void
ex_deliver(mg_mcp_ex_t *ex, unsigned seq, const char *data, size_t len)
{
	char             id[MG_REPLAY_ID_MAX];
	struct evbuffer *out;

	mg_replay_format_id(id, ex->stream_id, seq);
	if (ex->req != NULL) {
		out = evbuffer_new();
		/* 2026-07-28 streams cannot be resumed: no ids */
		mg_sse_write_event(
		    out, ex->modern ? NULL : id, NULL, data, len);
		mg_http_stream_write_buffer(ex->req, out);
		evbuffer_free(out);
	} else if (ex->peer_id != 0 && peer_link(ex->ctx) != NULL)
		mg_link_send_event(peer_link(ex->ctx), MG_MSG_PEER_EVENT,
		    ex->peer_id, id, -1, data, len);
}

static void
ex_event(mg_mcp_ex_t *ex, struct evbuffer *msg)
{
	size_t      len = evbuffer_get_length(msg);
	const char *data = len ? (const char *)evbuffer_pullup(msg, -1) : "";

	ex->seq++;
	if (ex->replay != NULL)
		mg_replay_add(ex->replay, ex->seq, data, len);
	ex_deliver(ex, ex->seq, data, len);
	evbuffer_drain(msg, len);
}

/* The headers of an SSE answer to our client, and its keep-alives. */
static void
ex_stream_headers(mg_mcp_ex_t *ex)
{
	struct timeval tv;

	mg_http_add_header(ex->req, "Cache-Control", "no-cache");
	mg_http_add_header(ex->req, "X-Accel-Buffering", "no");
	mg_http_stream_begin(ex->req, 200, "text/event-stream");
	if (ex->keepalive == NULL)
		ex->keepalive = event_new(
		    ex->ctx->base, -1, EV_PERSIST, ex_stream_keepalive, ex);
	tv.tv_sec = ex->loc->http.sse_keepalive / 1000;
	tv.tv_usec = (ex->loc->http.sse_keepalive % 1000) * 1000;
	if (ex->keepalive)
		event_add(ex->keepalive, &tv);
}

/* Turn the answer into an SSE stream (once). */
static void
ex_stream_begin(mg_mcp_ex_t *ex)
{
	struct evbuffer *out;

	if (ex->streaming)
		return;
	ex->streaming = 1;
	ex->stream_id = stream_new(ex->ctx, ex->get_stream);
	/* the built-in servers' POST streams can be resumed: a dropped
	 * connection is not a cancel */
	if (ex->upstream == NULL && !ex->get_stream && !ex->resuming &&
	    ex->session != 0 && ex->loc->http.sse_buffer > 0)
		ex->replay = mg_replay_new((size_t)ex->loc->http.sse_buffer);
	ex_stream_headers(ex);
	/* a relayed stream carries the upstream's own priming event */
	if (primes_streams(ex->version) && ex->upstream == NULL &&
	    !ex->resuming) {
		struct evbuffer *empty = evbuffer_new();

		ex_event(ex, empty); /* the priming event: an id, no data */
		evbuffer_free(empty);
	}
	/* answers held back for a JSON reply go out as events now */
	if (ex->answers && evbuffer_get_length(ex->answers) > 0) {
		out = ex->answers;
		ex->answers = NULL;
		/* held answers are separated by "\n" */
		while (evbuffer_get_length(out) > 0) {
			struct evbuffer_ptr nl =
			    evbuffer_search(out, "\n", 1, NULL);
			struct evbuffer *one = evbuffer_new();

			evbuffer_remove_buffer(out, one,
			    nl.pos < 0 ? evbuffer_get_length(out)
				       : (size_t)nl.pos);
			evbuffer_drain(out, nl.pos < 0 ? 0 : 1);
			ex_event(ex, one);
			evbuffer_free(one);
		}
		evbuffer_free(out);
	}
}

/* Every call is answered: finish the HTTP answer. */
static void
ex_finish(mg_mcp_ex_t *ex)
{
	if (ex->calls != NULL)
		return;
	if (ex->req == NULL) {
		/* read elsewhere: that is the end; dropped: the answers wait
		 * for the client until the linger timer */
		if (ex->peer_id != 0) {
			peer_end(ex->ctx, ex->peer_id, 0, NULL);
			ex_free(ex);
		}
		return;
	}
	if (ex->streaming) {
		mg_http_stream_end(ex->req);
		return;
	}
	if (ex->nanswers == 0) {
		/* every call was cancelled: an empty stream, no response */
		ex_stream_begin(ex);
		mg_http_stream_end(ex->req);
		return;
	}
	if (ex->batch) {
		struct evbuffer *body = evbuffer_new();

		/* held answers are separated by "\n": make them an array */
		evbuffer_add(body, "[", 1);
		while (evbuffer_get_length(ex->answers) > 0) {
			struct evbuffer_ptr nl =
			    evbuffer_search(ex->answers, "\n", 1, NULL);

			evbuffer_remove_buffer(
			    ex->answers, body, (size_t)nl.pos);
			evbuffer_drain(ex->answers, 1);
			if (evbuffer_get_length(ex->answers) > 0)
				evbuffer_add(body, ",", 1);
		}
		evbuffer_add(body, "]", 1);
		mg_http_reply_buffer(ex->req, 200, "application/json", body);
		evbuffer_free(body);
		return;
	}
	/* one answer: all but its trailing "\n" */
	{
		struct evbuffer *body = evbuffer_new();

		evbuffer_remove_buffer(
		    ex->answers, body, evbuffer_get_length(ex->answers) - 1);
		mg_http_reply_buffer(
		    ex->req, ex_answer_status(ex), "application/json", body);
		evbuffer_free(body);
	}
}

/* Queue one serialized message: as an event, or held for a JSON reply. */
static void
ex_send(mg_mcp_ex_t *ex, struct evbuffer *msg)
{
	if (ex->req == NULL && ex->replay == NULL)
		return;
	if (ex->streaming) {
		ex_event(ex, msg);
		return;
	}
	if (ex->answers == NULL)
		ex->answers = evbuffer_new();
	evbuffer_add_buffer(ex->answers, msg);
	evbuffer_add(ex->answers, "\n", 1);
	ex->nanswers++;
}

/* ---- calls (the backend's side) ------------------------------------- */

struct event_base *
mg_mcp_call_base(const mg_mcp_call_t *c)
{
	return c->ex->ctx->base;
}

void
mg_mcp_call_set_data(mg_mcp_call_t *c, void *data)
{
	c->data = data;
}

void *
mg_mcp_call_data(const mg_mcp_call_t *c)
{
	return c->data;
}

struct json_object *
mg_mcp_call_progress_token(const mg_mcp_call_t *c)
{
	struct json_object *meta, *token;

	if (c->params == NULL ||
	    !json_object_object_get_ex(c->params, "_meta", &meta) ||
	    !json_object_object_get_ex(meta, "progressToken", &token))
		return NULL;
	return token;
}

struct json_object *
mg_mcp_call_params(const mg_mcp_call_t *c)
{
	return c->params;
}

const char *
mg_mcp_call_version(const mg_mcp_call_t *c)
{
	return c->ex->modern ? MG_ERA_2026 : versions[c->ex->version];
}

const char *
mg_mcp_call_header(const mg_mcp_call_t *c, const char *name)
{
	return c->ex->req ? mg_http_req_header(c->ex->req, name) : NULL;
}

int
mg_mcp_call_seal(const mg_mcp_call_t *c, const char *text, char *out, size_t n)
{
	return mg_session_seal_data(
	    c->ex->ctx->key, text, strlen(text), out, n);
}

int
mg_mcp_call_unseal(
    const mg_mcp_call_t *c, const char *token, char *out, size_t n)
{
	size_t len;

	if (n == 0 ||
	    mg_session_open_data(c->ex->ctx->key, token, strlen(token), out,
		n - 1, &len) != MG_OK ||
	    memchr(out, '\0', len) != NULL)
		return MG_DECLINED;
	out[len] = '\0';
	return MG_OK;
}

void
mg_mcp_call_set_tool(mg_mcp_call_t *c, const char *tool)
{
	copy_token(c->ex->tool, sizeof(c->ex->tool), tool);
}

void
mg_mcp_call_notify(
    mg_mcp_call_t *c, const char *method, struct json_object *params)
{
	mg_mcp_ex_t     *ex = c->ex;
	struct evbuffer *msg;

	if (ex->req != NULL || ex->replay != NULL) {
		if (ex->req != NULL)
			ex_stream_begin(ex);
		msg = evbuffer_new();
		mg_rpc_write_notification(msg, method, params);
		ex_event(ex, msg);
		evbuffer_free(msg);
	}
	json_object_put(params);
}

static void
call_answered(mg_mcp_call_t *c, struct evbuffer *msg)
{
	mg_mcp_ex_t *ex = c->ex;

	call_unlink(c);
	call_free(c);
	ex_send(ex, msg);
	evbuffer_free(msg);
	ex_finish(ex);
}

void
mg_mcp_call_result(mg_mcp_call_t *c, struct json_object *result)
{
	struct evbuffer *msg = evbuffer_new();

	/* 2026-07-28: every result says what it is */
	if (c->ex->modern && json_object_is_type(result, json_type_object) &&
	    !json_object_object_get_ex(result, "resultType", NULL))
		json_object_object_add(
		    result, "resultType", json_object_new_string("complete"));
	mg_rpc_write_result(msg, c->id, result);
	json_object_put(result);
	call_answered(c, msg);
}

void
mg_mcp_call_error_data(
    mg_mcp_call_t *c, int code, const char *message, struct json_object *data)
{
	struct evbuffer *msg = evbuffer_new();

	c->ex->rpc_error = code;
	mg_rpc_write_error(msg, c->id, code, message, data);
	json_object_put(data);
	call_answered(c, msg);
}

void
mg_mcp_call_error(mg_mcp_call_t *c, int code, const char *message)
{
	mg_mcp_call_error_data(c, code, message, NULL);
}

/* ---- checks every request passes ------------------------------------ */

/* Does the Accept header admit TYPE ("application/json")? */
static int
accepts(const char *accept, const char *type)
{
	const char *slash = strchr(type, '/');
	const char *p = accept;

	if (accept == NULL)
		return 0;
	while (*p) {
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		n = strcspn(p, ",;");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if ((n == strlen(type) && strncasecmp(p, type, n) == 0) ||
		    (n == 3 && strncmp(p, "*/*", 3) == 0) ||
		    (n == (size_t)(slash - type) + 2 &&
			strncasecmp(p, type, (size_t)(slash - type) + 1) == 0 &&
			p[n - 1] == '*'))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

static int
is_json(const char *ctype)
{
	size_t n;

	if (ctype == NULL)
		return 0;
	n = strcspn(ctype, "; \t");
	return n == 16 && strncasecmp(ctype, "application/json", 16) == 0;
}

static int
is_local_host(const char *host, size_t len)
{
	return (len == 9 && strncasecmp(host, "localhost", 9) == 0) ||
	    (len == 9 && strncmp(host, "127.0.0.1", 9) == 0) ||
	    (len == 5 && strncmp(host, "[::1]", 5) == 0);
}

static int
is_server_name(const mg_server_t *srv, const char *host, size_t len)
{
	for (size_t i = 0; i < srv->nnames; i++)
		if (strlen(srv->names[i]) == len &&
		    strncasecmp(srv->names[i], host, len) == 0)
			return 1;
	return 0;
}

/* The host part of "scheme://host[:port]", as pointer and length. */
static int
origin_host(const char *origin, const char **host, size_t *len)
{
	const char *p = strstr(origin, "://"), *end;

	if (p == NULL)
		return MG_ERROR;
	p += 3;
	if (*p == '[')
		end = strchr(p, ']') ? strchr(p, ']') + 1 : NULL;
	else
		end = p + strcspn(p, ":/");
	if (end == NULL || end == p)
		return MG_ERROR;
	*host = p;
	*len = (size_t)(end - p);
	return MG_OK;
}

static int
origin_allowed(const mg_mcp_ex_t *ex, const char *origin)
{
	const mg_http_conf_t *h = &ex->loc->http;
	const char           *host;
	size_t                len;

	if (h->allow_origins != NULL) {
		for (size_t i = 0; i < h->nallow_origins; i++)
			if (strcmp(h->allow_origins[i], "*") == 0 ||
			    strcasecmp(h->allow_origins[i], origin) == 0)
				return 1;
		return 0;
	}
	if (origin_host(origin, &host, &len) != MG_OK)
		return 0;
	return is_local_host(host, len) || is_server_name(ex->srv, host, len);
}

/* On a loopback listener, only local names and our own (DNS rebinding). */
static int
host_allowed(const mg_mcp_ex_t *ex, int loopback)
{
	const char *host = mg_http_req_host(ex->req);

	if (!loopback)
		return 1;
	if (host == NULL)
		return 0;
	return is_local_host(host, strlen(host)) ||
	    is_server_name(ex->srv, host, strlen(host));
}

/* Transport checks common to every method; MG_OK or answered. */
static int
ex_check_common(mg_mcp_ex_t *ex, int loopback)
{
	const char *origin = mg_http_req_header(ex->req, "Origin");
	const char *pv = mg_http_req_header(ex->req, "MCP-Protocol-Version");

	if (!host_allowed(ex, loopback)) {
		ex_refuse(ex, 403, NULL, MG_RPC_INVALID_REQUEST,
		    "Forbidden: Host not allowed");
		return MG_ERROR;
	}
	if (origin != NULL && !origin_allowed(ex, origin)) {
		ex_refuse(ex, 403, NULL, MG_RPC_INVALID_REQUEST,
		    "Forbidden: Origin not allowed");
		return MG_ERROR;
	}
	/* a POST's body may speak 2026-07-28: ex_post decides */
	if (mg_http_req_method(ex->req) == MG_HTTP_POST) {
		ex->version = pv && known_old(pv) ? version_index(pv) : 0;
		return MG_OK;
	}
	if (pv != NULL && strcmp(pv, MG_ERA_2026) == 0) {
		ex->modern = 1;
		mg_http_add_header(ex->req, "Allow", "POST");
		ex_refuse(ex, 405, NULL, MG_RPC_INVALID_REQUEST,
		    "Method Not Allowed: 2026-07-28 has no GET stream and no "
		    "sessions to DELETE; use POST (subscriptions/listen)");
		return MG_ERROR;
	}
	if (pv != NULL && !known_old(pv)) {
		ex_refuse_old_version(ex, NULL);
		return MG_ERROR;
	}
	ex->version = pv ? version_index(pv) : 0;
	return MG_OK;
}

/* ---- who a new session counts against ---------------------------------- */

/*
 * The owner a new session of this request is counted against: the
 * client's address (limit.h: an IPv4 address, an IPv6 /64), or no one
 * for the connector's own requests (selfconn.h), whose clients were
 * counted on their way in.  Per identity limits go here once the access
 * phase establishes who a client is: the identity becomes an owner of its
 * own with its own limit, checked beside the address.
 */
static uint32_t
session_owner(const mg_mcp_ex_t *ex)
{
	const struct sockaddr *sa = mg_http_req_peer_addr(ex->req);
	uint64_t               client;

	if (mg_limit_client(sa, &client) != MG_OK || mg_selfconn_is(sa))
		return 0;
	return mg_sesstab_owner(ex->ctx->sessions, client);
}

static uint32_t
session_limit(const mg_mcp_ex_t *ex)
{
	return (uint32_t)ex->ctx->conf->sessions_per_address;
}

/*
 * A new session refused, RC as mg_sesstab_add_for said: counted, logged
 * once in a while, and the answer's status, JSON-RPC code and message.  A
 * client at its own limit gets 429 (it, not the gateway, must slow down;
 * others are served); a full table is the gateway's state: 503.
 */
static int
session_refused(const mg_mcp_ex_t *ex, int rc, int *code, char *msg, size_t len)
{
	char who[INET6_ADDRSTRLEN + 4];
	int  limit = ex->ctx->conf->sessions_per_address;

	if (rc == MG_ERROR) { /* ex_relay_session: no token */
		*code = MG_RPC_INTERNAL_ERROR;
		snprintf(msg, len, "cannot seal a session id");
		return 500;
	}
	mg_limit_client_text(mg_http_req_peer_addr(ex->req), who, sizeof(who));
	if (rc == MG_BUSY) {
		mg_limit_refused(MG_LIMIT_SESSIONS_ADDR,
		    "sessions_per_address (%d) reached by %s: refusing a new "
		    "session on %s",
		    limit, who, ex->loc->path);
		*code = MG_LIMIT_ERR;
		snprintf(msg, len,
		    "too many sessions from this address "
		    "(sessions_per_address %d); end some with DELETE or try "
		    "again later",
		    limit);
		return 429;
	}
	mg_limit_refused(MG_LIMIT_SESSIONS_FULL,
	    "session table full (max_sessions %d): refusing a new session "
	    "from %s on %s",
	    ex->ctx->conf->max_sessions, who, ex->loc->path);
	*code = MG_RPC_INTERNAL_ERROR;
	snprintf(msg, len, "too many sessions; try again later");
	return 503;
}

static void
session_refuse(mg_mcp_ex_t *ex, struct json_object *id, int rc)
{
	char msg[160];
	int  code, status = session_refused(ex, rc, &code, msg, sizeof(msg));

	ex_refuse(ex, status, id, code, msg);
}

/* Before a proxy route's initialize goes upstream: a client at its limit
 * is refused now, not once the upstream has opened a session for it. */
static int
session_room(mg_mcp_ex_t *ex, struct json_object *id)
{
	uint32_t limit = session_limit(ex);

	if (limit == 0 ||
	    mg_sesstab_owner_count(ex->ctx->sessions, session_owner(ex)) <
		limit)
		return MG_OK;
	session_refuse(ex, id, MG_BUSY);
	return MG_ERROR;
}

/*
 * Is the session S still alive here?  The shared table knows every session
 * this gateway has seen.  A sealed id it has never seen was issued by
 * another instance with the same key (or before this master started):
 * it is taken in while it is younger than session_timeout, since an
 * older one may have idled out or been deleted elsewhere.
 */
static int
session_alive(mg_mcp_ex_t *ex, const mg_session_t *s)
{
	mg_sesstab_t *t = ex->ctx->sessions;
	int64_t       timeout = ex->ctx->conf->session_timeout;
	int           rc = mg_sesstab_touch(t, s->id, now_ms(), timeout);

	if (rc != MG_AGAIN)
		return rc;
	if (((int64_t)time(NULL) - s->issued) * 1000 > timeout)
		return MG_DECLINED;
	/* counted against the client, but never refused: it exists */
	rc = mg_sesstab_add_for(t, s->id, now_ms(), session_owner(ex), 0);
	if (rc == MG_OK)
		return MG_OK;
	/* another worker took it in at the same moment, or the table is full */
	return mg_sesstab_touch(t, s->id, now_ms(), timeout);
}

/* The session of this request: MG_OK, or answered (400/404). */
static int
ex_check_session(mg_mcp_ex_t *ex)
{
	const char  *token = mg_http_req_header(ex->req, "Mcp-Session-Id");
	mg_session_t s;

	if (token == NULL) {
		ex_refuse(ex, 400, NULL, MG_RPC_INVALID_REQUEST,
		    "Bad Request: Mcp-Session-Id header is required");
		return MG_ERROR;
	}
	if (mg_session_open(ex->ctx->key, token, strlen(token), &s) != MG_OK ||
	    strcmp(s.route, ex->loc->path) != 0 ||
	    session_alive(ex, &s) != MG_OK) {
		ex_refuse(
		    ex, 404, NULL, MG_MCP_ERR_SESSION, "Session not found");
		return MG_ERROR;
	}
	ex->session = s.id;
	/* the upstream's part of the token: only a proxy route needs it */
	if (ex->upstream != NULL && ex->sess == NULL &&
	    (ex->sess = malloc(sizeof(*ex->sess) + s.upstream_len)) != NULL) {
		memcpy(ex->sess->version, s.version, sizeof(s.version));
		ex->sess->upstream_len = s.upstream_len;
		memcpy(ex->sess->upstream, s.upstream, s.upstream_len);
	}
	/* no MCP-Protocol-Version: the version the session negotiated */
	if (mg_http_req_header(ex->req, "MCP-Protocol-Version") == NULL &&
	    version_index(s.version) >= 0)
		ex->version = version_index(s.version);
	return MG_OK;
}

/* ---- POST ------------------------------------------------------------ */

static void
ex_initialize(mg_mcp_ex_t *ex, mg_rpc_msg_t *m)
{
	struct json_object *pv = NULL, *result;
	mg_session_t        s;
	char                token[MG_SESSION_TOKEN_MAX + 1];
	struct evbuffer    *body;
	int                 v = -1, rc;

	if (m->params &&
	    json_object_object_get_ex(m->params, "protocolVersion", &pv) &&
	    json_object_is_type(pv, json_type_string))
		v = version_index(json_object_get_string(pv));
	if (m->params == NULL || pv == NULL) {
		ex_refuse(ex, 400, m->id, MG_RPC_INVALID_PARAMS,
		    "initialize needs params.protocolVersion");
		return;
	}
	ex->version = v >= 0 ? v : (int)MG_NELEM(versions) - 1;
	memset(&s, 0, sizeof(s));
	s.id = mg_sesstab_new_id();
	s.issued = (int64_t)time(NULL);
	snprintf(s.route, sizeof(s.route), "%s", ex->loc->path);
	snprintf(s.version, sizeof(s.version), "%s", versions[ex->version]);
	if (mg_session_seal(ex->ctx->key, &s, token, sizeof(token)) != MG_OK) {
		ex_refuse(ex, 500, m->id, MG_RPC_INTERNAL_ERROR,
		    "cannot seal a session id");
		return;
	}
	rc = mg_sesstab_add_for(ex->ctx->sessions, s.id, now_ms(),
	    session_owner(ex), session_limit(ex));
	if (rc != MG_OK) {
		session_refuse(ex, m->id, rc);
		return;
	}
	ex->session = s.id;
	result = ex->backend->initialize(versions[ex->version]);
	json_object_object_add(result, "protocolVersion",
	    json_object_new_string(versions[ex->version]));
	body = evbuffer_new();
	mg_rpc_write_result(body, m->id, result);
	json_object_put(result);
	mg_http_add_header(ex->req, "Mcp-Session-Id", token);
	mg_http_reply_buffer(ex->req, 200, "application/json", body);
	evbuffer_free(body);
}

static char *
id_text(struct json_object *id)
{
	return strdup(
	    json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN));
}

/* Find the call of SESSION with id IDTEXT among this worker's exchanges. */
static mg_mcp_call_t *
find_call(mg_mcp_ctx_t *ctx, uint64_t session, const char *idtext)
{
	for (mg_mcp_ex_t *ex = ctx->exchanges; ex != NULL; ex = ex->next) {
		if (ex->session != session)
			continue;
		for (mg_mcp_call_t *c = ex->calls; c != NULL; c = c->next)
			if (c->idtext != NULL && strcmp(c->idtext, idtext) == 0)
				return c;
	}
	return NULL;
}

static void
cancel_call(mg_mcp_call_t *c)
{
	mg_mcp_ex_t *ex = c->ex;

	call_unlink(c);
	if (ex->backend->cancel)
		ex->backend->cancel(c);
	call_free(c);
	ex_finish(ex);
}

static void
ex_cancelled(mg_mcp_ex_t *ex, struct json_object *params)
{
	struct json_object *rid;
	mg_mcp_call_t      *c;
	char               *idtext;

	if (params == NULL ||
	    !json_object_object_get_ex(params, "requestId", &rid))
		return;
	if ((idtext = id_text(rid)) == NULL)
		return;
	if ((c = find_call(ex->ctx, ex->session, idtext)) != NULL)
		cancel_call(c);
	else if (ex->ctx->fwd)
		ex->ctx->fwd(ex->ctx->fwd_arg, MG_MCP_FWD_CANCEL, ex->session,
		    idtext, strlen(idtext));
	free(idtext);
}

void
mg_mcp_cancel_remote(
    mg_mcp_ctx_t *ctx, uint64_t session, const char *request_id)
{
	mg_mcp_call_t *c = find_call(ctx, session, request_id);

	if (c != NULL)
		cancel_call(c);
}

/* ---- asking the client (2025 revisions) --------------------------------- */

/* The call of SESSION that asked the client IDTEXT, among this worker's. */
static mg_mcp_call_t *
find_ask(mg_mcp_ctx_t *ctx, uint64_t session, const char *idtext)
{
	for (mg_mcp_ex_t *ex = ctx->exchanges; ex != NULL; ex = ex->next) {
		if (ex->session != session || session == 0)
			continue;
		for (mg_mcp_call_t *c = ex->calls; c != NULL; c = c->next)
			if (c->ask_id != NULL && strcmp(c->ask_id, idtext) == 0)
				return c;
	}
	return NULL;
}

int
mg_mcp_call_ask(mg_mcp_call_t *c, const char *method,
    struct json_object *params, mg_mcp_answered_t answered)
{
	mg_mcp_ex_t        *ex = c->ex;
	mg_mcp_ctx_t       *ctx = ex->ctx;
	struct json_object *id;
	struct evbuffer    *msg;
	char                text[64];

	if (ex->modern || ex->session == 0 || c->ask_id != NULL ||
	    (ex->req == NULL && ex->replay == NULL)) {
		json_object_put(params);
		return MG_ERROR;
	}
	/* unique in the session: the worker's slot and generation, a count */
	snprintf(text, sizeof(text), "mcpgw-%d-%d-%llu", ctx->generation,
	    ctx->slot, (unsigned long long)++ctx->asked);
	id = json_object_new_string(text);
	c->ask_id = id_text(id);
	c->answered = answered;
	if (ex->req != NULL)
		ex_stream_begin(ex);
	msg = evbuffer_new();
	mg_rpc_write_request(msg, id, method, params);
	ex_event(ex, msg);
	evbuffer_free(msg);
	json_object_put(id);
	json_object_put(params);
	return MG_OK;
}

/* The client's response M reached the call C that asked. */
static void
ask_answered(mg_mcp_call_t *c, const mg_rpc_msg_t *m)
{
	mg_mcp_answered_t   fn = c->answered;
	struct json_object *v;
	const char         *message = "";

	free(c->ask_id);
	c->ask_id = NULL;
	c->answered = NULL;
	if (m->kind == MG_RPC_RESULT) {
		fn(c, m->result, 0, NULL);
		return;
	}
	if (json_object_object_get_ex(m->error, "message", &v) &&
	    json_object_is_type(v, json_type_string))
		message = json_object_get_string(v);
	fn(c, NULL, m->error_code != 0 ? (int)m->error_code : -32603, message);
}

/* A response in a POST: to a call here, or passed on to the others. */
static void
ex_answer(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	mg_mcp_call_t *c;
	char          *idtext;
	const char    *text;
	size_t         len;

	if (m->id == NULL || (idtext = id_text(m->id)) == NULL)
		return;
	if ((c = find_ask(ex->ctx, ex->session, idtext)) != NULL)
		ask_answered(c, m);
	else if (ex->ctx->fwd) {
		text = json_object_to_json_string_length(
		    m->root, JSON_C_TO_STRING_PLAIN, &len);
		ex->ctx->fwd(ex->ctx->fwd_arg, MG_MCP_FWD_ANSWER, ex->session,
		    text, len);
	}
	free(idtext);
}

void
mg_mcp_notify_remote(
    mg_mcp_ctx_t *ctx, uint64_t session, const char *text, size_t len)
{
	for (mg_mcp_ex_t *ex = ctx->exchanges; ex != NULL; ex = ex->next)
		if (ex->get_stream && ex->session == session && session != 0 &&
		    ex->req != NULL && ex->streaming) {
			struct evbuffer *b = evbuffer_new();

			evbuffer_add(b, text, len);
			ex_event(ex, b);
			evbuffer_free(b);
		}
}

void
mg_mcp_answer_remote(
    mg_mcp_ctx_t *ctx, uint64_t session, const char *text, size_t len)
{
	mg_rpc_msg_t   m;
	mg_rpc_err_t   err;
	mg_mcp_call_t *c;
	char          *idtext;

	if (mg_rpc_parse(text, len, &m, &err) == MG_OK &&
	    (m.kind == MG_RPC_RESULT || m.kind == MG_RPC_ERROR) &&
	    m.id != NULL && (idtext = id_text(m.id)) != NULL) {
		if ((c = find_ask(ctx, session, idtext)) != NULL) {
			mg_debug("the response %s of session %08llx came "
				 "through another worker",
			    idtext, (unsigned long long)(session >> 32));
			ask_answered(c, &m);
		}
		free(idtext);
	}
	mg_rpc_msg_clear(&m);
	mg_rpc_err_clear(&err);
}

/* A call for request M, unanswered in EX. */
static mg_mcp_call_t *
call_new(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	mg_mcp_call_t *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->ex = ex;
	c->id = json_object_get(m->id);
	c->params = json_object_get(m->params);
	c->idtext = id_text(m->id);
	c->next = ex->calls;
	ex->calls = c;
	return c;
}

/* A message of the POST (one, or one of a batch). */
static void
ex_message(mg_mcp_ex_t *ex, mg_rpc_msg_t *m)
{
	mg_mcp_call_t *c;

	if (ex->rpc_method[0] == '\0' && m->method)
		copy_token(ex->rpc_method, sizeof(ex->rpc_method), m->method);
	if (m->kind == MG_RPC_NOTIFICATION) {
		if (strcmp(m->method, "notifications/cancelled") == 0)
			ex_cancelled(ex, m->params);
		return;
	}
	if (m->kind == MG_RPC_RESULT || m->kind == MG_RPC_ERROR) {
		ex_answer(ex, m);
		return;
	}
	if (m->kind != MG_RPC_REQUEST)
		return;
	if ((c = call_new(ex, m)) == NULL)
		return;
	if (strcmp(m->method, "ping") == 0)
		mg_mcp_call_result(c, json_object_new_object());
	else if (strcmp(m->method, "initialize") == 0)
		mg_mcp_call_error(c, MG_RPC_INVALID_REQUEST,
		    "initialize must not be part of a batch");
	else
		ex->backend->request(c, m->method, m->params);
}

static int
has_request(const mg_rpc_msg_t *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (msgs[i].kind == MG_RPC_REQUEST)
			return 1;
	return 0;
}

/* Run the messages; answer 202 if none was a request. */
static void
ex_run(mg_mcp_ex_t *ex, mg_rpc_msg_t *msgs, size_t n)
{
	if (!has_request(msgs, n)) {
		for (size_t i = 0; i < n; i++)
			ex_message(ex, &msgs[i]);
		if (ex->req != NULL)
			mg_http_reply(ex->req, 202, NULL, NULL, 0);
		return;
	}
	/* Hold the exchange open while the calls are dispatched: a call that
	 * answers at once must not finish it before the others exist. */
	ex->nanswers = 0;
	for (size_t i = 0; i < n && ex->req != NULL; i++) {
		mg_mcp_call_t hold = { .ex = ex };

		hold.next = ex->calls;
		ex->calls = &hold;
		ex_message(ex, &msgs[i]);
		call_unlink(&hold);
	}
	ex_finish(ex);
}

/* A JSON array on 2025-03-26: each element is a message. */
static void
ex_batch(mg_mcp_ex_t *ex, mg_rpc_msg_t *m)
{
	size_t        n = json_object_array_length(m->root);
	mg_rpc_msg_t *msgs = calloc(n, sizeof(*msgs));
	mg_rpc_err_t  err;

	if (!batches_allowed(ex->version)) {
		ex_refuse(ex, 400, NULL, MG_RPC_INVALID_REQUEST,
		    "batches are not supported on this protocol version");
		free(msgs);
		return;
	}
	ex->batch = 1;
	for (size_t i = 0; i < n && msgs; i++)
		if (mg_rpc_from_object(json_object_array_get_idx(m->root, i),
			&msgs[i], &err) != MG_OK) {
			ex_refuse(ex, 400, err.id, err.code, err.message);
			mg_rpc_err_clear(&err);
			n = i;
			goto out;
		}
	if (msgs)
		ex_run(ex, msgs, n);
out:
	for (size_t i = 0; i < n && msgs; i++)
		mg_rpc_msg_clear(&msgs[i]);
	free(msgs);
}

/* The method and tool of a message, for the access log. */
static void
ex_note(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	const char *name;

	if (m->method == NULL)
		return;
	copy_token(ex->rpc_method, sizeof(ex->rpc_method), m->method);
	/* the tool, prompt or resource: what Mcp-Name carries */
	if ((name = mg_era_name_of(m->method, m->params)) != NULL)
		copy_token(ex->tool, sizeof(ex->tool), name);
}

static void ex_relay(mg_mcp_ex_t *ex, const char *body, size_t len);
static void ex_relay_failed(mg_mcp_ex_t *ex, int code, const char *message);
static void ex_keep_init_params(mg_mcp_ex_t *ex, mg_rpc_msg_t *m);
static void ex_post_reverse(mg_mcp_ex_t *ex, mg_rpc_msg_t *m);

/* A POST on an mcp_pass location: checked here, answered upstream. */
static void
ex_post_relay(mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char *body, size_t len)
{
	if (ex->upstream->protocol == MG_PROTOCOL_2026) {
		ex_post_reverse(ex, m);
		return;
	}
	ex_note(ex, m);
	if (m->kind == MG_RPC_REQUEST)
		ex->req_id = json_object_get(m->id);
	if (m->kind == MG_RPC_REQUEST && strcmp(m->method, "initialize") == 0) {
		if (session_room(ex, m->id) != MG_OK)
			return;
		ex->relay_init = 1;
		ex_keep_init_params(ex, m);
		ex_relay(ex, body, len);
		return;
	}
	if (m->kind == MG_RPC_REQUEST && strcmp(m->method, "ping") == 0 &&
	    mg_http_req_header(ex->req, "Mcp-Session-Id") == NULL) {
		ex_run(ex, m, 1); /* the gateway answers: it is alive */
		return;
	}
	if (ex_check_session(ex) != MG_OK)
		return;
	if (m->kind == MG_RPC_BATCH && !batches_allowed(ex->version)) {
		ex_refuse(ex, 400, NULL, MG_RPC_INVALID_REQUEST,
		    "batches are not supported on this protocol version");
		return;
	}
	ex_relay(ex, body, len);
}

/*
 * The same for a plain request or notification of 2025 (mg_rpc_peek), on
 * a location without mcp_deny: checked as mg_rpc_parse would, but with
 * no tree built or freed, for the message goes on as it came.
 * MG_DECLINED: ex_post_relay's turn.
 */
static int
ex_post_relay_plain(mg_mcp_ex_t *ex, const char *body, size_t len)
{
	mg_rpc_peek_t pk;
	const char   *key;

	if (mg_rpc_peek(body, len, &pk) != MG_OK)
		return MG_DECLINED;
	if (strcmp(pk.method, "initialize") == 0 ||
	    strcmp(pk.method, "ping") == 0) {
		mg_rpc_peek_clear(&pk);
		return MG_DECLINED;
	}
	/* what ex_note keeps for the log */
	copy_token(ex->rpc_method, sizeof(ex->rpc_method), pk.method);
	key = mg_era_name_key(pk.method);
	if (key != NULL && strcmp(key, "name") == 0 && pk.name != NULL)
		copy_token_n(ex->tool, sizeof(ex->tool), pk.name, pk.name_len);
	else if (key != NULL && strcmp(key, "uri") == 0 && pk.uri != NULL)
		copy_token_n(ex->tool, sizeof(ex->tool), pk.uri, pk.uri_len);
	ex->req_id = pk.id; /* taken over */
	pk.id = NULL;
	mg_rpc_peek_clear(&pk);
	if (ex_check_session(ex) == MG_OK)
		ex_relay(ex, body, len);
	return MG_OK;
}

/* ---- 2026-07-28: stateless requests ------------------------------------ */

/* What the revision removed: 404 and -32601, as for an unknown method. */
static int
removed_in_2026(const char *method)
{
	static const char *const removed[] = { "initialize", "ping",
		"logging/setLevel", "resources/subscribe",
		"resources/unsubscribe" };

	for (size_t i = 0; i < MG_NELEM(removed); i++)
		if (strcmp(method, removed[i]) == 0)
			return 1;
	return 0;
}

static struct json_object *
version_list(const char *const *v, size_t n)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, json_object_new_string(v[i]));
	return list;
}

/* server/discover: what initialize would say, the server's identity in
 * _meta, and every version this endpoint serves. */
static void
ex_discover(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	struct json_object *r = ex->backend->initialize(MG_ERA_2026);
	struct json_object *info, *meta;
	mg_mcp_call_t      *c = call_new(ex, m);

	if (json_object_object_get_ex(r, "serverInfo", &info)) {
		meta = json_object_new_object();
		json_object_object_add(
		    meta, MG_META_SERVER_INFO, json_object_get(info));
		json_object_object_del(r, "serverInfo");
		json_object_object_add(r, "_meta", meta);
	}
	json_object_object_add(r, "supportedVersions",
	    version_list(all_versions, MG_NELEM(all_versions)));
	if (c == NULL) {
		json_object_put(r);
		ex_refuse(
		    ex, 500, m->id, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	ex->nanswers = 0;
	mg_mcp_call_result(c, r);
}

/* Does the backend's capability CAP say KEY (listChanged, subscribe)? */
static int
cap_says(struct json_object *caps, const char *cap, const char *key)
{
	struct json_object *c, *v;

	return json_object_object_get_ex(caps, cap, &c) &&
	    json_object_object_get_ex(c, key, &v) && json_object_get_boolean(v);
}

/*
 * subscriptions/listen: a POST stream that stays open.  Its first event
 * acknowledges the notification types this server will send of those
 * asked for (what its capabilities promise); every notification on it
 * carries the request's id as the subscription id.  It ends when the
 * client leaves, or with an empty result when the worker stops.
 */
static void
ex_listen(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	static const struct {
		const char *filter, *cap, *key;
	} kinds[] = {
		{ "toolsListChanged", "tools", "listChanged" },
		{ "promptsListChanged", "prompts", "listChanged" },
		{ "resourcesListChanged", "resources", "listChanged" },
		{ "resourceSubscriptions", "resources", "subscribe" },
	};
	struct json_object *asked, *v, *agreed, *params, *meta;
	struct json_object *init, *caps = NULL;
	struct evbuffer    *msg;

	if (!json_object_object_get_ex(m->params, "notifications", &asked) ||
	    !json_object_is_type(asked, json_type_object)) {
		ex_refuse(ex, 400, m->id, MG_RPC_INVALID_PARAMS,
		    "Invalid params: subscriptions/listen needs "
		    "params.notifications (an object)");
		return;
	}
	init = ex->backend->initialize(MG_ERA_2026);
	json_object_object_get_ex(init, "capabilities", &caps);
	agreed = json_object_new_object();
	for (size_t i = 0; i < MG_NELEM(kinds); i++)
		if (json_object_object_get_ex(asked, kinds[i].filter, &v) &&
		    json_object_get_boolean(v) &&
		    cap_says(caps, kinds[i].cap, kinds[i].key))
			json_object_object_add(
			    agreed, kinds[i].filter, json_object_get(v));
	json_object_put(init);
	if (call_new(ex, m) == NULL) {
		json_object_put(agreed);
		ex_refuse(
		    ex, 500, m->id, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	ex->listen = 1;
	ex_stream_begin(ex);
	params = json_object_new_object();
	meta = json_object_new_object();
	json_object_object_add(
	    meta, MG_META_SUBSCRIPTION, json_object_get(m->id));
	json_object_object_add(params, "notifications", agreed);
	json_object_object_add(params, "_meta", meta);
	msg = evbuffer_new();
	mg_rpc_write_notification(
	    msg, "notifications/subscriptions/acknowledged", params);
	json_object_put(params);
	ex_event(ex, msg);
	evbuffer_free(msg);
}

/* The result that ends the listen ID gracefully: it names the
 * subscription. */
static struct json_object *
listen_end_result(struct json_object *id)
{
	struct json_object *r = json_object_new_object();
	struct json_object *meta = json_object_new_object();

	json_object_object_add(meta, MG_META_SUBSCRIPTION, json_object_get(id));
	json_object_object_add(r, "_meta", meta);
	return r;
}

/* A listen stream ends gracefully. */
static void
ex_listen_end(mg_mcp_ex_t *ex)
{
	if (ex->calls != NULL)
		mg_mcp_call_result(ex->calls, listen_end_result(ex->calls->id));
}

/* A relayed listen stream (to an upstream, or over the bridge) ends as
 * ours do when this worker stops: the result naming the subscription;
 * the relay is cancelled with the exchange. */
static void
ex_relayed_listen_end(mg_mcp_ex_t *ex)
{
	struct json_object *r = listen_end_result(ex->req_id);
	struct evbuffer    *out = evbuffer_new();

	json_object_object_add(
	    r, "resultType", json_object_new_string("complete"));
	mg_rpc_write_result(out, ex->req_id, r);
	json_object_put(r);
	mg_proxy_cancel(ex->relay);
	ex->relay = NULL;
	ex_event(ex, out);
	evbuffer_free(out);
	mg_http_stream_end(ex->req);
}

/* The access log shows what Mcp-Method and Mcp-Name say (what the
 * request was routed on), which the body must repeat. */
static void
ex_note_headers(mg_mcp_ex_t *ex, const mg_era_headers_t *h)
{
	char v[MG_ERA_HEADER_MAX];

	if (h->method && mg_era_header_value(h->method, v, sizeof(v)) == MG_OK)
		copy_token(ex->rpc_method, sizeof(ex->rpc_method), v);
	if (h->name && mg_era_header_value(h->name, v, sizeof(v)) == MG_OK)
		copy_token(ex->tool, sizeof(ex->tool), v);
}

static const char *const era_headers[] = { "MCP-Protocol-Version", "Mcp-Method",
	"Mcp-Name" };

/* A version a proxy route does not serve at 2026-07-28 (the connector
 * said so for an upstream it bridges): 400, -32022, what the route
 * serves (the 2025 versions with sessions, and 2026-07-28). */
static void
ex_refuse_version(mg_mcp_ex_t *ex, struct json_object *id, const char *message)
{
	struct json_object *data = json_object_new_object();

	json_object_object_add(data, "supported",
	    version_list(all_versions, MG_NELEM(all_versions)));
	json_object_object_add(data, "requested",
	    json_object_new_string(
		mg_http_req_header(ex->req, "MCP-Protocol-Version")));
	ex_refuse_data(
	    ex, 400, id, MG_MCP_ERR_UNSUPPORTED_VERSION, message, data);
	json_object_put(data);
}

/* ---- input_required over the bridge (a 2025 upstream's requests) ------ */

/*
 * The requests a 2025 upstream sends its client during a 2026-07-28
 * client's request (the connector keys them, bridge.h) are gathered for
 * INPUT_GATHER_MS (one round trip of the client's, not one per request:
 * a server often asks several things at once), then the client gets an
 * input_required result and the connector parks the exchange
 * (MG_MSG_PARK) under a random key that the requestState carries, sealed
 * with the session key and bound to the upstream, method and name.  The
 * retry, on any worker, names the key: the connector posts its
 * inputResponses upstream and the answer goes on to it.  A requestState
 * of ours that does not open is refused; one whose exchange is gone
 * starts the request afresh (the inputResponses answer the same
 * questions asked again).
 */
#define INPUT_GATHER_MS 20
#define PARK_PREFIX "mcpgw-park."

/*
 * A 2026-07-28 request on a proxy route, before it goes: the client
 * capabilities the bridge may ask for, inputResponses checked (an object
 * of results), and a requestState of ours opened (the retry of a request
 * the bridge parked).  MG_ERROR: refused, answered.
 */
static int
ex_input_check(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	struct json_object *meta, *caps, *v;
	char                why[200], state[MG_SESSION_DATA_MAX + 1], want[400];
	const char         *s, *target = mg_era_name_of(m->method, m->params);
	size_t              n;

	if (json_object_object_get_ex(m->params, "_meta", &meta) &&
	    json_object_object_get_ex(meta, MG_META_CAPABILITIES, &caps)) {
		if (json_object_object_get_ex(caps, "elicitation", NULL))
			ex->caps |= MG_REQ_F_ELICIT;
		if (json_object_object_get_ex(caps, "sampling", NULL))
			ex->caps |= MG_REQ_F_SAMPLE;
		if (json_object_object_get_ex(caps, "roots", NULL))
			ex->caps |= MG_REQ_F_ROOTS;
	}
	if (json_object_object_get_ex(m->params, "inputResponses", &v)) {
		if (!json_object_is_type(v, json_type_object)) {
			ex_refuse(ex, 200, m->id, MG_RPC_INVALID_PARAMS,
			    "Invalid params: inputResponses must be an object "
			    "of results by key");
			return MG_ERROR;
		}
		json_object_object_foreach(v, key, answer)
		{
			if (json_object_is_type(answer, json_type_object))
				continue;
			snprintf(why, sizeof(why),
			    "Invalid params: inputResponses[\"%.64s\"] must be "
			    "an object (the result of the request)",
			    key);
			ex_refuse(ex, 200, m->id, MG_RPC_INVALID_PARAMS, why);
			return MG_ERROR;
		}
	}
	if (!json_object_object_get_ex(m->params, "requestState", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strncmp(json_object_get_string(v), PARK_PREFIX,
		strlen(PARK_PREFIX)) != 0)
		return MG_OK; /* none, or the upstream's own */
	s = json_object_get_string(v) + strlen(PARK_PREFIX);
	if (mg_session_open_data(ex->ctx->key, s, strlen(s), state,
		sizeof(state) - 1, &n) != MG_OK) {
		ex_refuse(ex, 200, m->id, MG_RPC_INVALID_PARAMS,
		    "Invalid params: requestState failed its integrity check");
		return MG_ERROR;
	}
	/* the key, then "park|UPSTREAM|METHOD|NAME" (input_state) */
	state[n] = '\0';
	snprintf(want, sizeof(want), "park|%d|%s|%s", ex->upstream->index,
	    m->method, target ? target : "");
	if (n <= MG_PARK_KEY || strcmp(state + MG_PARK_KEY, want) != 0) {
		ex_refuse(ex, 200, m->id, MG_RPC_INVALID_PARAMS,
		    "Invalid params: requestState belongs to another request");
		return MG_ERROR;
	}
	memcpy(ex->park, state, MG_PARK_KEY);
	ex->resume = 1;
	return MG_OK;
}

/* The gathered requests go to the client as an input_required result;
 * the connector keeps the exchange for the retry. */
static void
ex_input_required(evutil_socket_t fd, short what, void *arg)
{
	mg_mcp_ex_t        *ex = arg;
	struct json_object *r;
	struct evbuffer    *out;
	uint8_t             state[MG_SESSION_DATA_MAX];
	char sealed[sizeof(PARK_PREFIX) + MG_SESSION_DATA_TOKEN_MAX + 1];
	int  n;

	(void)fd, (void)what;
	if (ex->req == NULL || ex->relay == NULL || ex->asks == NULL)
		return;
	/* the park key, then what the retry must be (ex_input_check) */
	if (RAND_bytes(state, MG_PARK_KEY) != 1) {
		ERR_clear_error();
		ex_relay_failed(ex, MG_RPC_INTERNAL_ERROR,
		    "cannot make a key for the requestState");
		return;
	}
	n = snprintf((char *)state + MG_PARK_KEY, sizeof(state) - MG_PARK_KEY,
	    "park|%d|%s|%s", ex->upstream->index, ex->rpc_method,
	    ex->input_target);
	memcpy(sealed, PARK_PREFIX, strlen(PARK_PREFIX));
	if (n < 0 || (size_t)n >= sizeof(state) - MG_PARK_KEY ||
	    mg_session_seal_data(ex->ctx->key, state, MG_PARK_KEY + (size_t)n,
		sealed + strlen(PARK_PREFIX),
		sizeof(sealed) - strlen(PARK_PREFIX)) != MG_OK) {
		ex_relay_failed(
		    ex, MG_RPC_INTERNAL_ERROR, "cannot seal the requestState");
		return;
	}
	mg_proxy_park(ex->relay, state);
	ex->relay = NULL;
	r = json_object_new_object();
	json_object_object_add(
	    r, "resultType", json_object_new_string("input_required"));
	json_object_object_add(r, "inputRequests", ex->asks);
	ex->asks = NULL;
	json_object_object_add(
	    r, "requestState", json_object_new_string(sealed));
	out = evbuffer_new();
	mg_rpc_write_result(out, ex->req_id, r);
	json_object_put(r);
	ex->answered_relay = 1;
	if (ex->streaming) {
		ex_event(ex, out);
		mg_http_stream_end(ex->req);
	} else
		mg_http_reply(ex->req, 200, "application/json",
		    (const char *)evbuffer_pullup(out, -1),
		    evbuffer_get_length(out));
	evbuffer_free(out);
}

/* A request of the upstream to the client (the connector set its key):
 * into the input_required result soon to go. */
static void
ex_input_gather(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	struct json_object *params, *meta, *key;
	struct timeval      tv = { 0, INPUT_GATHER_MS * 1000 };

	if (!json_object_object_get_ex(m->root, "params", &params) ||
	    !json_object_object_get_ex(params, "_meta", &meta) ||
	    !json_object_object_get_ex(meta, MG_BRIDGE_INPUT_KEY, &key))
		return;
	if (ex->asks == NULL)
		ex->asks = json_object_new_object();
	json_object_object_add(ex->asks, json_object_get_string(key),
	    mg_bridge_input_request(m->root));
	if (ex->gather == NULL)
		ex->gather = evtimer_new(ex->ctx->base, ex_input_required, ex);
	if (ex->gather != NULL && !evtimer_pending(ex->gather, NULL))
		evtimer_add(ex->gather, &tv);
}

/* A 2026-07-28 message on a proxy route: checked here, relayed with its
 * routing headers, as it came to an upstream that speaks 2026-07-28, or
 * over the connector's bridge to one of the 2025 revisions (the answers
 * are then turned into the new era's: bridge_message). */
static void
ex_relay_modern(
    mg_mcp_ex_t *ex, const mg_rpc_msg_t *m, const char *body, size_t len)
{
	if (strlen(mg_http_req_header(ex->req, "MCP-Protocol-Version")) > 31) {
		ex_refuse(ex, 400, m->id, MG_MCP_ERR_UNSUPPORTED_VERSION,
		    "Unsupported protocol version (longer than 31 bytes)");
		return;
	}
	if (m->kind == MG_RPC_REQUEST) {
		ex->req_id = json_object_get(m->id);
		if (ex_input_check(ex, m) != MG_OK)
			return;
		const char *target = mg_era_name_of(m->method, m->params);

		snprintf(ex->input_target, sizeof(ex->input_target), "%s",
		    target ? target : "");
	}
	ex_relay(ex, body, len);
}

/* A POST of the 2026-07-28 revision (mg_era_is_2026). */
static void
ex_post_2026(mg_mcp_ex_t *ex, const mg_era_headers_t *h, mg_rpc_msg_t *m,
    const char *body, size_t len)
{
	mg_era_err_t err;
	char         why[160];

	ex->modern = 1;
	/* two values: an intermediary may have routed on the other one */
	for (size_t i = 0; i < MG_NELEM(era_headers); i++)
		if (mg_http_req_header_count(ex->req, era_headers[i]) > 1) {
			snprintf(why, sizeof(why),
			    "Header mismatch: %s appears more than once",
			    era_headers[i]);
			ex_refuse(ex, 400,
			    m->kind == MG_RPC_REQUEST ? m->id : NULL,
			    MG_MCP_ERR_HEADER_MISMATCH, why);
			return;
		}
	if (m->kind == MG_RPC_BATCH) {
		ex_refuse(ex, 400, NULL, MG_RPC_INVALID_REQUEST,
		    "Invalid Request: 2026-07-28 has no batches");
		return;
	}
	ex_note(ex, m);
	ex_note_headers(ex, h);
	/* on a proxy route the upstream says which versions it serves */
	if (mg_era_check(h, m, ex->upstream ? NULL : all_versions,
		MG_NELEM(all_versions), &err) != MG_OK) {
		ex_refuse_data(
		    ex, err.status, m->id, err.code, err.message, err.data);
		mg_era_err_clear(&err);
		return;
	}
	if (m->kind == MG_RPC_NOTIFICATION) {
		mg_http_reply(ex->req, 202, NULL, NULL, 0);
		return;
	}
	if (m->kind != MG_RPC_REQUEST) {
		ex_refuse(ex, 400, NULL, MG_RPC_INVALID_REQUEST,
		    "Invalid Request: on 2026-07-28 the server sends no "
		    "requests, so no response is awaited");
		return;
	}
	if (removed_in_2026(m->method)) {
		snprintf(why, sizeof(why),
		    "Method not found: %s is not part of 2026-07-28",
		    m->method);
		ex_refuse(ex, 404, m->id, MG_RPC_METHOD_NOT_FOUND, why);
		return;
	}
	if (ex->upstream != NULL) {
		ex_relay_modern(ex, m, body, len);
		return;
	}
	if (strcmp(m->method, "server/discover") == 0)
		ex_discover(ex, m);
	else if (strcmp(m->method, "subscriptions/listen") == 0)
		ex_listen(ex, m);
	else
		ex_run(ex, m, 1);
}

/* ---- policy: mcp_deny -----------------------------------------------------
 */

/* The location's rule that refuses METHOD on NAME (NULL: none), or NULL. */
static const mg_mcp_deny_t *
denied(const mg_location_t *loc, const char *method, const char *name)
{
	for (const mg_mcp_deny_t *d = loc->deny; d != NULL; d = d->next)
		if ((strcmp(d->method, "*") == 0 ||
			strcmp(d->method, method) == 0) &&
		    (d->name == NULL ||
			(name != NULL && fnmatch(d->name, name, 0) == 0)))
			return d;
	return NULL;
}

static void
ex_refuse_denied(mg_mcp_ex_t *ex, const mg_mcp_deny_t *d,
    struct json_object *id, const char *method, const char *name)
{
	char why[240];

	mg_debug("%s: %s%s%s refused by mcp_deny in %s:%d", ex->loc->path,
	    method, name ? " " : "", name ? name : "", d->pos.file,
	    d->pos.line);
	snprintf(why, sizeof(why),
	    "Forbidden: %.64s%s%.128s is not allowed here", method,
	    name ? " " : "", name ? name : "");
	ex_refuse(ex, 403, id, MG_MCP_ERR_FORBIDDEN, why);
}

/*
 * A 2026-07-28 request is judged on its Mcp-Method and Mcp-Name headers,
 * before its body is read as JSON (which is then only parsed for the id of
 * the answer; a request allowed on its headers must repeat them in its
 * body, mg_era_check).  1: refused, answered.
 */
static int
ex_deny_headers(
    mg_mcp_ex_t *ex, const mg_era_headers_t *h, const char *text, size_t len)
{
	char                 method[MG_ERA_HEADER_MAX], name[MG_ERA_HEADER_MAX];
	const mg_mcp_deny_t *d;
	mg_rpc_msg_t         m;
	mg_rpc_err_t         err;
	int                  have_name;

	if (mg_era_header_value(h->method, method, sizeof(method)) != MG_OK)
		return 0; /* mg_era_check says what is wrong with it */
	have_name = h->name != NULL &&
	    mg_era_header_value(h->name, name, sizeof(name)) == MG_OK;
	if ((d = denied(ex->loc, method, have_name ? name : NULL)) == NULL)
		return 0;
	ex_note_headers(ex, h);
	if (mg_rpc_parse(text, len, &m, &err) == MG_OK) {
		ex_refuse_denied(ex, d, m.kind == MG_RPC_REQUEST ? m.id : NULL,
		    method, have_name ? name : NULL);
		mg_rpc_msg_clear(&m);
	} else {
		ex_refuse_denied(
		    ex, d, err.id, method, have_name ? name : NULL);
		mg_rpc_err_clear(&err);
	}
	return 1;
}

/* A request of the 2025 revisions (or each of a batch) is judged on its
 * method and the name in its params.  1: refused, answered. */
static int
ex_deny_body(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	const mg_mcp_deny_t *d;
	struct json_object  *v, *params, *id;
	const char          *name;

	if (m->kind == MG_RPC_REQUEST || m->kind == MG_RPC_NOTIFICATION) {
		name = mg_era_name_of(m->method, m->params);
		if ((d = denied(ex->loc, m->method, name)) == NULL)
			return 0;
		ex_note(ex, m);
		ex_refuse_denied(ex, d,
		    m->kind == MG_RPC_REQUEST ? m->id : NULL, m->method, name);
		return 1;
	}
	if (m->kind != MG_RPC_BATCH)
		return 0;
	for (size_t i = 0; i < json_object_array_length(m->root); i++) {
		struct json_object *e = json_object_array_get_idx(m->root, i);

		if (!json_object_object_get_ex(e, "method", &v) ||
		    !json_object_is_type(v, json_type_string))
			continue;
		params = NULL;
		json_object_object_get_ex(e, "params", &params);
		name = mg_era_name_of(json_object_get_string(v), params);
		if ((d = denied(ex->loc, json_object_get_string(v), name)) ==
		    NULL)
			continue;
		id = NULL;
		json_object_object_get_ex(e, "id", &id);
		ex_refuse_denied(ex, d, id, json_object_get_string(v), name);
		return 1;
	}
	return 0;
}

static void
ex_post(mg_mcp_ex_t *ex)
{
	struct evbuffer *body = mg_http_req_body(ex->req);
	size_t           len = evbuffer_get_length(body);
	const char      *text;
	mg_rpc_msg_t     m;
	mg_rpc_err_t     err;
	mg_era_headers_t h;

	if (!accepts(
		mg_http_req_header(ex->req, "Accept"), "application/json") ||
	    !accepts(
		mg_http_req_header(ex->req, "Accept"), "text/event-stream")) {
		ex_refuse(ex, 406, NULL, MG_RPC_INVALID_REQUEST,
		    "Not Acceptable: Accept must list application/json and "
		    "text/event-stream");
		return;
	}
	if (!is_json(mg_http_req_header(ex->req, "Content-Type"))) {
		ex_refuse(ex, 415, NULL, MG_RPC_INVALID_REQUEST,
		    "Unsupported Media Type: Content-Type must be "
		    "application/json");
		return;
	}
	text = (const char *)evbuffer_pullup(body, (ev_ssize_t)len);
	h.version = mg_http_req_header(ex->req, "MCP-Protocol-Version");
	h.method = mg_http_req_header(ex->req, "Mcp-Method");
	h.name = mg_http_req_header(ex->req, "Mcp-Name");
	/* policy first, on the routing headers of 2026-07-28 */
	if (ex->loc->deny != NULL && h.version != NULL && h.method != NULL &&
	    strcmp(h.version, MG_ERA_2026) == 0 &&
	    ex_deny_headers(ex, &h, text, len))
		return;
	/* the most common relay: a 2025 request passed on as it is */
	if (ex->upstream != NULL && ex->loc->deny == NULL &&
	    h.version != NULL && known_old(h.version) &&
	    ex->upstream->protocol != MG_PROTOCOL_2026 &&
	    ex_post_relay_plain(ex, text, len) == MG_OK)
		return;
	if (mg_rpc_parse(text, len, &m, &err) != MG_OK) {
		ex_refuse(ex, 400, err.id, err.code, err.message);
		mg_rpc_err_clear(&err);
		return;
	}
	if (mg_era_is_2026(&h, &m, known_old)) {
		ex_post_2026(ex, &h, &m, text, len);
		mg_rpc_msg_clear(&m);
		return;
	}
	if (h.version != NULL && !known_old(h.version)) {
		ex_refuse_old_version(
		    ex, m.kind == MG_RPC_REQUEST ? m.id : NULL);
		mg_rpc_msg_clear(&m);
		return;
	}
	if (ex->loc->deny != NULL && ex_deny_body(ex, &m)) {
		mg_rpc_msg_clear(&m);
		return;
	}
	if (ex->upstream != NULL) {
		ex_post_relay(ex, &m, text, len);
		mg_rpc_msg_clear(&m);
		return;
	}
	if (m.kind == MG_RPC_REQUEST && strcmp(m.method, "initialize") == 0) {
		snprintf(ex->rpc_method, sizeof(ex->rpc_method), "initialize");
		ex_initialize(ex, &m);
	} else if (m.kind == MG_RPC_REQUEST && strcmp(m.method, "ping") == 0 &&
	    mg_http_req_header(ex->req, "Mcp-Session-Id") == NULL) {
		ex_run(ex, &m, 1); /* ping needs no session */
	} else if (ex_check_session(ex) == MG_OK) {
		if (m.kind == MG_RPC_BATCH)
			ex_batch(ex, &m);
		else
			ex_run(ex, &m, 1);
	}
	mg_rpc_msg_clear(&m);
}

/* ---- relaying to an upstream (mcp_pass) ---------------------------------- */

/* The token's upstream blob: [u16 n][upstream session id][u16 n][params]. */
static void
blob_pack(mg_session_t *s, const char *sid, const char *init)
{
	size_t n = strlen(sid), m = init ? strlen(init) : 0;

	/* the connector refuses longer ids (MG_UP_SID_MAX) */
	if (n >= MG_UP_SID_MAX)
		n = 0;
	/* params that do not fit: the upstream session cannot be reopened */
	if (4 + n + m > sizeof(s->upstream))
		m = 0;
	s->upstream[0] = (uint8_t)(n >> 8);
	s->upstream[1] = (uint8_t)n;
	memcpy(s->upstream + 2, sid, n);
	s->upstream[2 + n] = (uint8_t)(m >> 8);
	s->upstream[3 + n] = (uint8_t)m;
	memcpy(s->upstream + 4 + n, init, m);
	s->upstream_len = 4 + n + m;
}

static int
blob_unpack(const ex_sess_t *s, const char **sid, size_t *sid_len,
    const char **init, size_t *init_len)
{
	size_t n, m;

	if (s->upstream_len < 4)
		return MG_ERROR;
	n = (size_t)s->upstream[0] << 8 | s->upstream[1];
	if (4 + n > s->upstream_len)
		return MG_ERROR;
	m = (size_t)s->upstream[2 + n] << 8 | s->upstream[3 + n];
	if (4 + n + m != s->upstream_len)
		return MG_ERROR;
	*sid = (const char *)s->upstream + 2;
	*sid_len = n;
	*init = (const char *)s->upstream + 4 + n;
	*init_len = m;
	return MG_OK;
}

/* The upstream failed before a whole answer: a JSON-RPC error that
 * names it and why. */
static void
ex_relay_failed(mg_mcp_ex_t *ex, int code, const char *message)
{
	struct evbuffer *msg;

	ex->rpc_error = code;
	if (ex->req == NULL)
		return;
	if (ex->modern && code == MG_MCP_ERR_UNSUPPORTED_VERSION &&
	    !ex->streaming) {
		ex_refuse_version(ex, ex->req_id, message);
		return;
	}
	if (ex->streaming) {
		if (ex->req_id != NULL) {
			msg = evbuffer_new();
			mg_rpc_write_error(
			    msg, ex->req_id, code, message, NULL);
			ex_event(ex, msg);
			evbuffer_free(msg);
		}
		mg_http_stream_end(ex->req);
		return;
	}
	if (ex->req_id != NULL) {
		msg = evbuffer_new();
		mg_rpc_write_error(msg, ex->req_id, code, message, NULL);
		mg_http_reply_buffer(ex->req, 200, "application/json", msg);
		evbuffer_free(msg);
		return;
	}
	/* a resumed stream the holder could not give back is the client's
	 * error; anything else is the upstream's */
	ex_refuse(ex, ex->resuming ? 400 : 502, NULL, code, message);
}

/* An initialize answered by the upstream: our session wraps its own.
 * MG_OK, or what mg_sesstab_add_for said (MG_ERROR: no token). */
static int
ex_relay_session(mg_mcp_ex_t *ex, const char *sid, const char *version)
{
	char         token[MG_SESSION_TOKEN_MAX + 1];
	mg_session_t s;
	int          rc;

	memset(&s, 0, sizeof(s));
	s.id = mg_sesstab_new_id();
	s.issued = (int64_t)time(NULL);
	snprintf(s.route, sizeof(s.route), "%s", ex->loc->path);
	snprintf(s.version, sizeof(s.version), "%s", version);
	blob_pack(&s, sid, ex->init_params);
	if (mg_session_seal(ex->ctx->key, &s, token, sizeof(token)) != MG_OK)
		return MG_ERROR;
	rc = mg_sesstab_add_for(ex->ctx->sessions, s.id, now_ms(),
	    session_owner(ex), session_limit(ex));
	if (rc != MG_OK)
		return rc;
	ex->session = s.id;
	mg_http_add_header(ex->req, "Mcp-Session-Id", token);
	return MG_OK;
}

/* ---- the bridge: a 2026-07-28 client, an upstream of 2025 -------------- */

static void
add_if_absent(struct json_object *o, const char *key, struct json_object *v)
{
	if (json_object_object_get_ex(o, key, NULL))
		json_object_put(v);
	else
		json_object_object_add(o, key, v);
}

/* The connector refused the upstream a request for a capability the
 * client did not declare (MG_BRIDGE_REFUSED): noted. */
static void
bridge_refused(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	struct json_object *cap;

	if (!json_object_object_get_ex(m->params, "capability", &cap) ||
	    !json_object_is_type(cap, json_type_string))
		return;
	if (ex->refused == NULL)
		ex->refused = json_object_new_object();
	json_object_object_add(
	    ex->refused, json_object_get_string(cap), json_object_new_object());
}

/* A tool's result that says it failed. */
static int
bridge_is_error(const mg_rpc_msg_t *m)
{
	struct json_object *v;

	return m->kind == MG_RPC_RESULT &&
	    json_object_object_get_ex(m->result, "isError", &v) &&
	    json_object_get_boolean(v);
}

/* The request failed after the upstream was refused what the client
 * did not declare: -32021 naming it, as 2026-07-28 wants (400). */
static void
bridge_missing_capability(mg_mcp_ex_t *ex, struct evbuffer *out)
{
	struct json_object *data = json_object_new_object();
	char                why[160];
	size_t              n = 0;

	n += (size_t)snprintf(
	    why, sizeof(why), "Missing required client capability:");
	json_object_object_foreach(ex->refused, cap, v)
	{
		(void)v;
		if (n < sizeof(why))
			n += (size_t)snprintf(
			    why + n, sizeof(why) - n, " %s", cap);
	}
	json_object_object_add(
	    data, "requiredCapabilities", json_object_get(ex->refused));
	ex->rpc_error = MG_MCP_ERR_MISSING_CAPABILITY;
	ex->relay_status = 400;
	mg_rpc_write_error(
	    out, ex->req_id, MG_MCP_ERR_MISSING_CAPABILITY, why, data);
	json_object_put(data);
}

/*
 * One message of a bridged answer, as a 2026-07-28 client wants it, into
 * OUT: the result gets resultType (and ttlMs, cacheScope for lists and
 * reads: 0 and private, since the upstream says nothing about caching);
 * the answer to server/discover is the upstream's initialize, turned
 * into a discover result for the client's request.  MG_DECLINED: drop
 * it (a request of the upstream to the client, which the bridge's
 * session declared no capability for).  An unknown method is 404.
 */
static int
bridge_message(
    mg_mcp_ex_t *ex, const char *msg, size_t len, struct evbuffer *out)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t err;
	int          rc = MG_OK;

	if (mg_rpc_parse(msg, len, &m, &err) != MG_OK) {
		evbuffer_add(out, msg, len);
	} else if (m.kind == MG_RPC_NOTIFICATION &&
	    strcmp(m.method, MG_BRIDGE_REFUSED) == 0) {
		bridge_refused(ex, &m);
		rc = MG_DECLINED;
	} else if (ex->refused != NULL &&
	    (m.kind == MG_RPC_ERROR || bridge_is_error(&m))) {
		bridge_missing_capability(ex, out);
	} else if (m.kind == MG_RPC_RESULT &&
	    json_object_is_type(m.result, json_type_object)) {
		struct json_object *r;

		/* answered without the client's input after all */
		json_object_put(ex->asks);
		ex->asks = NULL;
		r = strcmp(ex->rpc_method, "server/discover") == 0
		    ? mg_bridge_discover_from_initialize(
			  m.result, all_versions, MG_NELEM(all_versions))
		    : json_object_get(m.result);

		add_if_absent(
		    r, "resultType", json_object_new_string("complete"));
		if (mg_bridge_cacheable(ex->rpc_method)) {
			add_if_absent(r, "ttlMs", json_object_new_int(0));
			add_if_absent(
			    r, "cacheScope", json_object_new_string("private"));
		}
		mg_rpc_write_result(out, ex->req_id ? ex->req_id : m.id, r);
		json_object_put(r);
	} else if (m.kind == MG_RPC_REQUEST) {
		ex_input_gather(ex, &m);
		rc = MG_DECLINED;
	} else if (m.kind == MG_RPC_ERROR && ex->req_id != NULL) {
		if (m.error_code == MG_RPC_METHOD_NOT_FOUND)
			ex->relay_status = 404;
		/* the error of the client's request, under its own id (the
		 * connector's id replaced) */
		m.id = NULL;
		json_object_object_add(
		    m.root, "id", json_object_get(ex->req_id));
		evbuffer_add_printf(out, "%s",
		    json_object_to_json_string_ext(m.root,
			JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		if (m.kind == MG_RPC_ERROR &&
		    m.error_code == MG_RPC_METHOD_NOT_FOUND)
			ex->relay_status = 404;
		/* a notification before the answer: the answer is a stream */
		if (m.kind == MG_RPC_NOTIFICATION && !ex->streaming)
			ex_stream_begin(ex);
		evbuffer_add(out, msg, len);
	}
	mg_rpc_msg_clear(&m);
	mg_rpc_err_clear(&err);
	return rc;
}

/* ---- the bridge: a 2025 client, an upstream of 2026-07-28 -------------- */

/* An answer of our own, in JSON (RESULT taken; or an error). */
static void
ex_reply_local(mg_mcp_ex_t *ex, struct json_object *id,
    struct json_object *result, int code, const char *message)
{
	struct evbuffer *body = evbuffer_new();

	if (result != NULL)
		mg_rpc_write_result(body, id, result);
	else {
		ex->rpc_error = code;
		mg_rpc_write_error(body, id, code, message, NULL);
	}
	json_object_put(result);
	mg_http_reply_buffer(ex->req, 200, "application/json", body);
	evbuffer_free(body);
}

/* Relay BODY (a 2026-07-28 message) with its routing headers. */
static void
ex_relay_reverse(mg_mcp_ex_t *ex, const char *method,
    struct json_object *params, char *body, size_t len)
{
	const char *name = mg_era_name_of(method, params);

	ex->reverse = 1;
	if (body == NULL || (ex->rev_headers = evbuffer_new()) == NULL) {
		free(body);
		ex_refuse(ex, 500, ex->req_id, MG_RPC_INTERNAL_ERROR,
		    "out of memory");
		return;
	}
	evbuffer_add_printf(ex->rev_headers, "Mcp-Method: %s\r\n", method);
	if (name != NULL)
		mg_era_header_add(ex->rev_headers, "Mcp-Name", name);
	ex_relay(ex, body, len);
	/* an input_required answer sends it again (reverse_retry) */
	ex->rev_body = body;
}

/*
 * A POST of a 2025 client on a route whose upstream speaks 2026-07-28
 * ("protocol 2026-07-28"): initialize is answered from the upstream's
 * server/discover and opens our session (the upstream has none); each
 * request goes upstream with the _meta the new era wants (the client's
 * capabilities and clientInfo from its initialize) and its routing
 * headers; what the new era removed is answered here.
 */
static void
ex_post_reverse(mg_mcp_ex_t *ex, mg_rpc_msg_t *m)
{
	const char *sid, *init;
	size_t      sid_len, init_len, len;
	char       *params, *body;

	ex_note(ex, m);
	if (m->kind == MG_RPC_REQUEST)
		ex->req_id = json_object_get(m->id);
	if (m->kind == MG_RPC_REQUEST && strcmp(m->method, "initialize") == 0) {
		mg_rpc_msg_t d = { .kind = MG_RPC_REQUEST,
			.method = "server/discover" };

		if (session_room(ex, m->id) != MG_OK)
			return;
		ex_keep_init_params(ex, m);
		ex->reverse_init = 1;
		d.root = json_object_new_object();
		json_object_object_add(
		    d.root, "jsonrpc", json_object_new_string("2.0"));
		json_object_object_add(d.root, "id", json_object_get(m->id));
		json_object_object_add(d.root, "method",
		    json_object_new_string("server/discover"));
		body = mg_bridge_request_to_2026(&d, ex->init_params, &len);
		json_object_put(d.root);
		ex_relay_reverse(ex, "server/discover", NULL, body, len);
		return;
	}
	if (m->kind == MG_RPC_REQUEST && strcmp(m->method, "ping") == 0 &&
	    mg_http_req_header(ex->req, "Mcp-Session-Id") == NULL) {
		ex_reply_local(ex, m->id, json_object_new_object(), 0, NULL);
		return;
	}
	if (ex_check_session(ex) != MG_OK)
		return;
	if (m->kind == MG_RPC_BATCH) {
		ex_refuse(ex, 400, NULL, MG_RPC_INVALID_REQUEST,
		    "batches are not supported over the bridge to an upstream "
		    "of 2026-07-28");
		return;
	}
	/* notifications (initialized, cancelled): nothing upstream awaits
	 * them in the new era; responses answer our requests (reverse_ask) */
	if (m->kind != MG_RPC_REQUEST) {
		if (m->kind == MG_RPC_RESULT || m->kind == MG_RPC_ERROR)
			ex_answer(ex, m);
		mg_http_reply(ex->req, 202, NULL, NULL, 0);
		return;
	}
	if (strcmp(m->method, "ping") == 0 ||
	    strcmp(m->method, "logging/setLevel") == 0) {
		ex_reply_local(ex, m->id, json_object_new_object(), 0, NULL);
		return;
	}
	/* the connector holds the session's subscriptions/listen upstream
	 * and sends its updates to the session's GET stream */
	if (strcmp(m->method, "resources/subscribe") == 0 ||
	    strcmp(m->method, "resources/unsubscribe") == 0) {
		const char *text = json_object_to_json_string_ext(
		    m->root, JSON_C_TO_STRING_PLAIN);

		ex->rev_subscribe = 1;
		ex_relay_reverse(
		    ex, m->method, m->params, strdup(text), strlen(text));
		return;
	}
	params = NULL;
	if (ex->sess != NULL &&
	    blob_unpack(ex->sess, &sid, &sid_len, &init, &init_len) == MG_OK &&
	    (params = malloc(init_len + 1)) != NULL) {
		memcpy(params, init, init_len);
		params[init_len] = '\0';
	}
	body = mg_bridge_request_to_2026(m, params, &len);
	free(params);
	ex_relay_reverse(ex, m->method, m->params, body, len);
}

/*
 * An input_required result over the reverse bridge: each inputRequest
 * goes to the 2025 client as a request on its response stream (as a
 * 2025 server asks); its responses, through whichever worker gets them,
 * fill inputResponses, and when all are in the request goes upstream
 * again with them and the requestState (reverse_retry).  At most
 * REVERSE_ROUNDS rounds.
 */
#define REVERSE_ROUNDS 16

static void reverse_answered(mg_mcp_call_t *c, struct json_object *result,
    int code, const char *message);

static void
reverse_retry(mg_mcp_ex_t *ex)
{
	struct json_object *root = mg_json_parse(
			       ex->rev_body, strlen(ex->rev_body)),
			   *params;
	const char *text;
	char       *body;
	size_t      len;

	params = mg_bridge_params(root);
	json_object_object_add(params, "inputResponses", ex->rev_answers);
	ex->rev_answers = NULL;
	if (ex->rev_state != NULL)
		json_object_object_add(
		    params, "requestState", json_object_get(ex->rev_state));
	else
		json_object_object_del(params, "requestState");
	text = json_object_to_json_string_length(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	body = text ? strdup(text) : NULL;
	json_object_put(root);
	if (body == NULL) {
		ex_relay_failed(ex, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	/* the round before may not have ended yet: its END is dropped */
	if (ex->relay != NULL) {
		mg_proxy_forget(ex->relay);
		ex->relay = NULL;
	}
	ex_relay(ex, body, len);
	free(body);
}

static void
reverse_answered(
    mg_mcp_call_t *c, struct json_object *result, int code, const char *message)
{
	mg_mcp_ex_t *ex = c->ex;
	const char  *key = json_object_get_string(
	     json_object_array_get_idx(ex->rev_keys, (size_t)(intptr_t)c->data));
	char why[256];

	call_unlink(c);
	call_free(c);
	if (ex->req == NULL)
		return;
	if (code != 0) {
		/* inputResponses carry results only: the request fails */
		snprintf(why, sizeof(why),
		    "the client answered the upstream's request \"%.64s\" "
		    "with error %d: %.120s",
		    key ? key : "", code, message ? message : "");
		ex_cancel_calls(ex);
		ex_relay_failed(ex, code, why);
		return;
	}
	if (ex->rev_answers == NULL)
		ex->rev_answers = json_object_new_object();
	json_object_object_add(
	    ex->rev_answers, key ? key : "", json_object_get(result));
	if (ex->calls == NULL)
		reverse_retry(ex);
}

/* RESULT is input_required: ask the client.  MG_OK: asked; else the
 * error is in OUT. */
static int
reverse_ask(mg_mcp_ex_t *ex, struct json_object *result, struct evbuffer *out)
{
	struct json_object *reqs, *v;
	size_t              n = 0;

	if (!json_object_object_get_ex(result, "inputRequests", &reqs) ||
	    !json_object_is_type(reqs, json_type_object) ||
	    json_object_object_length(reqs) == 0 || ex->session == 0 ||
	    ex->rev_body == NULL || ++ex->rev_rounds > REVERSE_ROUNDS) {
		ex->rpc_error = MG_RPC_INTERNAL_ERROR;
		mg_rpc_write_error(out, ex->req_id, MG_RPC_INTERNAL_ERROR,
		    ex->rev_rounds > REVERSE_ROUNDS
			? "the upstream asked the client for input more than "
			  "16 times in one request"
			: "the upstream's input_required result has no "
			  "inputRequests",
		    NULL);
		return MG_ERROR;
	}
	json_object_put(ex->rev_state);
	ex->rev_state = NULL;
	if (json_object_object_get_ex(result, "requestState", &v))
		ex->rev_state = json_object_get(v);
	json_object_put(ex->rev_keys);
	ex->rev_keys = json_object_new_array();
	json_object_object_foreach(reqs, key, r)
	{
		struct json_object *method = NULL, *params = NULL;
		mg_mcp_call_t      *c = calloc(1, sizeof(*c));

		json_object_object_get_ex(r, "method", &method);
		json_object_object_get_ex(r, "params", &params);
		if (c == NULL)
			break;
		c->ex = ex;
		c->data = (void *)(intptr_t)n++;
		c->next = ex->calls;
		ex->calls = c;
		json_object_array_add(
		    ex->rev_keys, json_object_new_string(key));
		if (mg_mcp_call_ask(c, json_object_get_string(method),
			params ? json_object_get(params)
			       : json_object_new_object(),
			reverse_answered) != MG_OK) {
			ex_cancel_calls(ex);
			mg_rpc_write_error(out, ex->req_id,
			    MG_RPC_INTERNAL_ERROR,
			    "cannot ask the client for the upstream's input",
			    NULL);
			return MG_ERROR;
		}
	}
	return MG_OK;
}

/*
 * One message of an answer over the reverse bridge into OUT: the answer to
 * initialize is built from the upstream's server/discover and opens our
 * session; an input_required result becomes requests to the client
 * (reverse_ask).  MG_DECLINED: nothing to send.
 */
static int
reverse_message(
    mg_mcp_ex_t *ex, const char *msg, size_t len, struct evbuffer *out)
{
	mg_rpc_msg_t        m;
	mg_rpc_err_t        err;
	struct json_object *v, *r;
	const char         *version;
	int                 rc = MG_OK;

	if (mg_rpc_parse(msg, len, &m, &err) != MG_OK ||
	    m.kind != MG_RPC_RESULT) {
		evbuffer_add(out, msg, len);
	} else if (ex->reverse_init) {
		version = versions[MG_NELEM(versions) - 1];
		if (ex->init_params != NULL) {
			struct json_object *p =
			    json_tokener_parse(ex->init_params);

			if (json_object_object_get_ex(
				p, "protocolVersion", &v) &&
			    version_index(json_object_get_string(v)) >= 0)
				version = versions[version_index(
				    json_object_get_string(v))];
			json_object_put(p);
		}
		r = mg_bridge_initialize_from_discover(m.result, version);
		if ((rc = ex_relay_session(ex, "", version)) != MG_OK) {
			char why[160];
			int  code;

			json_object_put(r);
			session_refused(ex, rc, &code, why, sizeof(why));
			mg_rpc_write_error(out, ex->req_id, code, why, NULL);
			rc = MG_OK;
		} else {
			mg_rpc_write_result(out, ex->req_id, r);
			json_object_put(r);
		}
	} else if (json_object_object_get_ex(m.result, "resultType", &v) &&
	    strcmp(json_object_get_string(v), "input_required") == 0) {
		if (reverse_ask(ex, m.result, out) == MG_OK)
			rc = MG_DECLINED;
	} else
		evbuffer_add(out, msg, len);
	mg_rpc_msg_clear(&m);
	mg_rpc_err_clear(&err);
	return rc;
}

static void
relay_head(
    void *arg, int status, int kind, const char *sid, const char *version)
{
	mg_mcp_ex_t *ex = arg;
	int          rc;

	ex->relay_status = status;
	ex->relay_kind = kind;
	if (ex->req == NULL)
		return;
	/* a 2026-07-28 request over the bridge: the head names the
	 * upstream's version */
	if (ex->modern && version[0] != '\0')
		ex->bridged = 1;
	/* our session for an initialize result (version set), even over an
	 * upstream without sessions (sid "") */
	if (ex->relay_init && status == 200 && version[0] != '\0' &&
	    (rc = ex_relay_session(ex, sid, version)) != MG_OK) {
		ex->relay_init = 0;
		session_refuse(ex, ex->req_id, rc);
		return;
	}
	/* over the bridge the stream begins with the first notification:
	 * an answer alone goes as JSON, with the status the new era wants */
	if (kind == MG_RESP_SSE && status == 200 && !ex->bridged &&
	    !ex->reverse_init)
		ex_stream_begin(ex);
}

/* One message of a relayed answer: an event of the stream, or the JSON
 * answer with the upstream's status. */
static void
relay_message(mg_mcp_ex_t *ex, const char *msg, size_t len)
{
	if (ex->streaming) {
		struct evbuffer *b = evbuffer_new();

		evbuffer_add(b, msg, len);
		ex_event(ex, b);
		evbuffer_free(b);
		return;
	}
	ex->answered_relay = 1;
	mg_http_reply(ex->req, ex->relay_status ? ex->relay_status : 200,
	    "application/json", msg, len);
}

/* A message of an answer over either bridge: turned into the client's
 * era, then on as any relayed message. */
static void
relay_turned(mg_mcp_ex_t *ex, const char *msg, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	if ((ex->reverse ? reverse_message(ex, msg, len, b)
			 : bridge_message(ex, msg, len, b)) == MG_OK) {
		if (ex->streaming)
			ex_event(ex, b);
		else
			relay_message(ex, (const char *)evbuffer_pullup(b, -1),
			    evbuffer_get_length(b));
	}
	evbuffer_free(b);
}

static void
relay_data(void *arg, const char *msg, size_t len)
{
	mg_mcp_ex_t *ex = arg;

	if (ex->req == NULL || ex->answered_relay)
		return;
	if (ex->bridged || ex->reverse)
		relay_turned(ex, msg, len);
	else
		relay_message(ex, msg, len);
}

/* An upstream's SSE event, passed on with its own id and retry, so the
 * client can resume through the gateway. */
static void
relay_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	mg_mcp_ex_t     *ex = arg;
	struct evbuffer *out;

	if (ex->req == NULL || ex->answered_relay)
		return;
	/* over either bridge: the messages turned, the upstream stream's
	 * ids, retry and priming event dropped (the other era's ids mean
	 * nothing to the client); an answer alone goes as JSON */
	if (ex->bridged || ex->reverse) {
		if (len > 0)
			relay_turned(ex, data, len);
		return;
	}
	if (!ex->streaming)
		return;
	out = evbuffer_new();
	if (retry >= 0)
		mg_sse_write_retry(out, (unsigned)retry);
	if (id != NULL || len > 0)
		mg_sse_write_event(out, id, NULL, data, len);
	if (mg_http_stream_write_buffer(ex->req, out) != MG_OK)
		mg_http_stream_end(ex->req);
	evbuffer_free(out);
}

static void
relay_end(void *arg, int code, const char *message)
{
	mg_mcp_ex_t *ex = arg;

	ex->relay = NULL; /* proxy.c freed it */
	if (ex->req == NULL)
		return;
	/* the answer was input_required: the client is being asked */
	if (code == 0 && ex->reverse && ex->calls != NULL)
		return;
	if (code != 0) {
		if (!ex->answered_relay)
			ex_relay_failed(ex, code, message);
		return;
	}
	if (mg_http_req_method(ex->req) == MG_HTTP_DELETE) {
		mg_sesstab_delete(ex->ctx->sessions, ex->session, now_ms());
		mg_http_reply(ex->req, 204, NULL, NULL, 0);
	} else if (ex->streaming)
		mg_http_stream_end(ex->req);
	else if (!ex->answered_relay)
		mg_http_reply(ex->req, ex->relay_status, NULL, NULL, 0);
}

/* Relay this request, with the upstream session the token holds. */
static void
ex_relay(mg_mcp_ex_t *ex, const char *body, size_t len)
{
	static const mg_relay_ops_t ops = { relay_head, relay_data, relay_event,
		relay_end, NULL };
	mg_relay_ops_t              o = ops;
	mg_relay_req_t              q = { 0 };
	const char                 *v = versions[ex->version];
	struct evbuffer            *headers = NULL;

	q.method = mg_http_req_method(ex->req);
	q.initialize = ex->relay_init;
	q.hops = ex->hops + 1;
	q.upstream = ex->upstream->index;
	q.session = ex->session;
	q.body = body;
	q.body_len = len;
	/* a GET that resumes a stream: the upstream replays from there */
	q.lei = mg_http_req_header(ex->req, "Last-Event-ID");
	if (q.lei == NULL || q.method != MG_HTTP_GET)
		q.lei = "";
	q.lei_len = strlen(q.lei);
	if (len > MG_IPC_MAX_FRAME - 4096) {
		ex_refuse(ex, 413, ex->req_id, MG_RPC_INVALID_REQUEST,
		    "request too large to relay (16 MB at most)");
		return;
	}
	q.sid = q.init = "";
	if (ex->session != 0 &&
	    (ex->sess == NULL ||
		blob_unpack(ex->sess, &q.sid, &q.sid_len, &q.init,
		    &q.init_len) != MG_OK)) {
		ex_refuse(
		    ex, 404, NULL, MG_MCP_ERR_SESSION, "Session not found");
		return;
	}
	/* the version the client speaks, if it said; else its session's */
	if (mg_http_req_header(ex->req, "MCP-Protocol-Version") == NULL &&
	    ex->session != 0)
		v = ex->sess->version;
	if (ex->modern)
		v = mg_http_req_header(ex->req, "MCP-Protocol-Version");
	if (ex->reverse)
		v = MG_ERA_2026;
	q.version = ex->relay_init ? "" : v;
	q.version_len = strlen(q.version);
	/* 2026-07-28: the routing headers go upstream as the client sent
	 * them (checked against the body) */
	if ((ex->modern || ex->reverse) && (headers = evbuffer_new()) != NULL) {
		q.modern = 1;
		q.discover = strcmp(ex->rpc_method, "server/discover") == 0 ||
		    ex->reverse_init;
		if (ex->reverse)
			evbuffer_add(headers,
			    evbuffer_pullup(ex->rev_headers, -1),
			    evbuffer_get_length(ex->rev_headers));
		else {
			mg_http_req_copy_headers(
			    ex->req, "Mcp-Method", 0, headers);
			mg_http_req_copy_headers(
			    ex->req, "Mcp-Name", 0, headers);
			mg_http_req_copy_headers(
			    ex->req, "Mcp-Param-", 1, headers);
		}
		q.headers_len = evbuffer_get_length(headers);
		q.headers = (const char *)evbuffer_pullup(headers, -1);
		if (q.headers == NULL)
			q.headers = "";
	}
	q.caps = ex->caps;
	q.park = ex->resume ? ex->park : NULL;
	q.subscribe = ex->rev_subscribe;
	o.arg = ex;
	if (ex->ctx->proxy == NULL ||
	    (ex->relay = mg_proxy_open(ex->ctx->proxy, &q, &o)) == NULL)
		ex_relay_failed(ex, -32000,
		    "the connector process is not "
		    "available; try again");
	if (headers != NULL)
		evbuffer_free(headers);
}

/* The params of an initialize, compact, for reopening upstream later. */
static void
ex_keep_init_params(mg_mcp_ex_t *ex, mg_rpc_msg_t *m)
{
	if (m->params != NULL)
		ex->init_params = strdup(json_object_to_json_string_ext(
		    m->params, JSON_C_TO_STRING_PLAIN));
}

/* ---- resuming the built-in servers' streams -------------------------- */

static void
ex_linger_end(evutil_socket_t fd, short what, void *arg)
{
	mg_mcp_ex_t *ex = arg;

	mg_info("session %08llx: a dropped stream ended, its client did not "
		"come back within sse_resume_timeout (%s)",
	    (unsigned long long)(ex->session >> 32), ex->loc->path);
	ex_free(ex);
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
	ex_free(oldest);
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
	ex->dropped_at = now_ms();
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
		peer_end(ex->ctx, ex->peer_id, -32000,
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
	ex_deliver(arg, seq, data, len);
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
		ex_refuse(ex, 400, NULL, -32000, why);
		return;
	}
	ex_take(s);
	s->req = req;
	mg_http_req_set_data(req, s);
	ex->req = NULL;
	ex_free(ex);
	ex_stream_headers(s);
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
		peer_end(ctx, id, -32000, why);
		return;
	}
	ex_take(s);
	s->peer_id = id;
	if (peer_link(ctx) != NULL)
		mg_link_send_msg(peer_link(ctx), id, &h);
	mg_replay_since(s->replay, m->seq, replay_one, s);
	if (s->calls == NULL) {
		peer_end(ctx, id, 0, NULL);
		ex_free(s);
	}
}

void
mg_mcp_peer_cancel(mg_mcp_ctx_t *ctx, uint64_t id)
{
	for (mg_mcp_ex_t *ex = ctx->exchanges; ex != NULL; ex = ex->next)
		if (ex->peer_id == id && ex->req == NULL) {
			if (ex_drop(ex) != MG_OK)
				ex_free(ex);
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
				ex_free(ex);
			goto again;
		}
}

/* GET with Last-Event-ID on a built-in server's route: MG_DECLINED
 * when it opens a new GET stream after all. */
static int
ex_resume(mg_mcp_ex_t *ex, const char *lei)
{
	static const mg_relay_ops_t ops = { relay_head, relay_data, relay_event,
		relay_end, NULL };
	mg_relay_ops_t              o = ops;
	mg_msg_resume_t             m = { 0 };
	char                        why[256];

	if (mg_replay_parse_id(lei, &m.stream, &m.seq) != MG_OK) {
		ex_refuse(ex, 400, NULL, -32000,
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
		ex_refuse(ex, 400, NULL, -32000, why);
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
		ex_refuse(ex, 503, NULL, -32000,
		    "the connector process is not available; try again");
	return MG_OK;
}

/* ---- GET and DELETE --------------------------------------------------- */

static void
ex_get(mg_mcp_ex_t *ex)
{
	const char *lei;

	if (!accepts(
		mg_http_req_header(ex->req, "Accept"), "text/event-stream")) {
		ex_refuse(ex, 406, NULL, MG_RPC_INVALID_REQUEST,
		    "Not Acceptable: Accept must list text/event-stream");
		return;
	}
	if (ex_check_session(ex) != MG_OK)
		return;
	snprintf(ex->rpc_method, sizeof(ex->rpc_method), "(stream)");
	/* an upstream of 2026-07-28 has no GET stream: ours carries
	 * keep-alives, as a built-in server's */
	if (ex->upstream != NULL &&
	    ex->upstream->protocol != MG_PROTOCOL_2026) {
		ex->get_stream = 1;
		ex_relay(ex, "", 0);
		return;
	}
	lei = mg_http_req_header(ex->req, "Last-Event-ID");
	if (lei != NULL && ex_resume(ex, lei) == MG_OK)
		return;
	ex->get_stream = 1;
	ex_stream_begin(ex);
	/* The built-in servers send nothing unasked: the stream carries
	 * keep-alive comments until the session or the client ends. */
}

/* The session ended: the connector drops what it holds for it (its
 * answer is not waited for). */
static void
ex_forget_subscriptions(mg_mcp_ex_t *ex)
{
	mg_relay_req_t q = { 0 };

	q.method = MG_HTTP_DELETE;
	q.hops = ex->hops + 1;
	q.upstream = ex->upstream->index;
	q.session = ex->session;
	q.subscribe = 1;
	q.sid = q.version = q.init = q.body = q.lei = q.headers = "";
	if (ex->ctx->proxy != NULL)
		mg_proxy_open(ex->ctx->proxy, &q, &mg_answer_ignore);
}

static void
ex_delete(mg_mcp_ex_t *ex)
{
	if (ex_check_session(ex) != MG_OK)
		return;
	if (ex->upstream != NULL &&
	    ex->upstream->protocol != MG_PROTOCOL_2026) {
		ex_relay(ex, "", 0); /* relay_end deletes ours too */
		return;
	}
	mg_sesstab_delete(ex->ctx->sessions, ex->session, now_ms());
	/* over the bridge to an upstream of 2026-07-28, the connector drops
	 * the session's subscriptions */
	if (ex->upstream != NULL)
		ex_forget_subscriptions(ex);
	mg_http_reply(ex->req, 204, NULL, NULL, 0);
}

/* Loop safety: each gateway adds one to the hop header it passes on. */
static int
ex_check_hops(mg_mcp_ex_t *ex)
{
	const char *h = mg_http_req_header(ex->req, MG_HOPS_HEADER);
	char        msg[160];
	long        n = h ? strtol(h, NULL, 10) : 0;

	if (n < 0 || n > 1000)
		n = 1000;
	ex->hops = (int)n;
	if (n < ex->loc->http.max_hops)
		return MG_OK;
	snprintf(msg, sizeof(msg),
	    "loop detected: the request crossed %ld "
	    "gateways (max_hops %d)",
	    n, ex->loc->http.max_hops);
	mg_warn("%s on %s", msg, ex->loc->path);
	ex_refuse(ex, 508, NULL, -32000, msg);
	return MG_ERROR;
}

void
mg_mcp_handle(mg_mcp_ctx_t *ctx, mg_http_req_t *req, const mg_server_t *srv,
    const mg_location_t *loc, int loopback)
{
	mg_mcp_ex_t *ex = ex_new(ctx, req, srv, loc);

	if (ex == NULL) {
		mg_http_reply_error(
		    req, 500, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	if (ex_check_common(ex, loopback) != MG_OK ||
	    ex_check_hops(ex) != MG_OK)
		return;
	switch (mg_http_req_method(req)) {
	case MG_HTTP_POST: ex_post(ex); break;
	case MG_HTTP_GET: ex_get(ex); break;
	case MG_HTTP_DELETE: ex_delete(ex); break;
	default:
		mg_http_add_header(req, "Allow", "GET, POST, DELETE");
		ex_refuse(ex, 405, NULL, MG_RPC_INVALID_REQUEST,
		    "Method Not Allowed");
		break;
	}
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
	ex_cancel_calls(ex);
	if (ex->relay) {
		mg_proxy_cancel(ex->relay);
		ex->relay = NULL;
	}
	if (ex->keepalive)
		event_del(ex->keepalive);
}

void
mg_mcp_done(mg_mcp_ctx_t *ctx, mg_http_req_t *req)
{
	mg_mcp_ex_t         *ex = mg_http_req_data(req);
	mg_accesslog_entry_t e = { 0 };
	char                 sid[17];

	e.req = req;
	if (ex != NULL) {
		e.server = ex->srv->nnames ? ex->srv->names[0] : NULL;
		e.location = ex->loc->path;
		if (ex->session) {
			snprintf(sid, sizeof(sid), "%08llx",
			    (unsigned long long)(ex->session >> 32));
			e.session = sid;
		}
		e.rpc_method = ex->rpc_method[0] ? ex->rpc_method : NULL;
		e.tool = ex->tool[0] ? ex->tool : NULL;
		e.rpc_error = ex->rpc_error;
		mg_accesslog_write(&ex->loc->http, &e);
		mg_http_req_set_data(req, NULL);
		if (ex->dropped)
			return; /* it lives on without this request */
		ex->req = NULL;
		ex_free(ex);
		return;
	}
	mg_accesslog_write(&ctx->conf->http, &e);
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
			ex_listen_end(ex);
		else if (ex->relay != NULL && ex->req != NULL &&
		    ex->streaming && ex->modern &&
		    strcmp(ex->rpc_method, "subscriptions/listen") == 0)
			ex_relayed_listen_end(ex);
	}
}

void
mg_mcp_ctx_free(mg_mcp_ctx_t *ctx)
{
	if (ctx == NULL)
		return;
	while (ctx->exchanges != NULL)
		ex_free(ctx->exchanges);
	free(ctx);
}
