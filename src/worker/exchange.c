/*
 * The exchange: one per HTTP request on an MCP endpoint, its life (made,
 * linked in the worker's list, freed) and its output: a refusal, the JSON
 * answer held until every call is answered, or the SSE stream it turns
 * into.  Every other worker/ file works on an exchange through these.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "exchange.h"
#include "tokcache.h"
#include "sse.h"

static uint64_t
stream_new(const mg_mcp_ctx_t *ctx, int get)
{
	return (uint64_t)(ctx->generation & 0xffff) << 48 |
	    (uint64_t)(ctx->slot & 0xfff) << 36 | (get ? STREAM_GET : 0) |
	    (mg_sesstab_new_id() & (STREAM_GET - 1));
}

int64_t
mg_ex_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	if ((ctx->tokens = mg_tokcache_new((size_t)conf->auth_token_cache)) ==
	    NULL) {
		free(ctx);
		return NULL;
	}
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
void
mg_ex_copy_token_n(char *dst, size_t n, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < n && i < len && src[i] != '\0'; i++)
		dst[i] = src[i] > 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

void
mg_ex_copy_token(char *dst, size_t n, const char *src)
{
	mg_ex_copy_token_n(dst, n, src, SIZE_MAX);
}

mg_mcp_ex_t *
mg_ex_new(mg_mcp_ctx_t *ctx, mg_http_req_t *req, const mg_server_t *srv,
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

void
mg_ex_call_free(mg_mcp_call_t *c)
{
	json_object_put(c->id);
	json_object_put(c->params);
	free(c->idtext);
	free(c->ask_id);
	free(c);
}

void
mg_ex_call_unlink(mg_mcp_call_t *c)
{
	mg_mcp_call_t **pp;

	for (pp = &c->ex->calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
}

/* End every call unanswered: the backend forgets them. */
void
mg_ex_cancel_calls(mg_mcp_ex_t *ex)
{
	mg_mcp_call_t *c;

	while ((c = ex->calls) != NULL) {
		ex->calls = c->next;
		if (ex->backend && ex->backend->cancel)
			ex->backend->cancel(c);
		mg_ex_call_free(c);
	}
}

void
mg_ex_free(mg_mcp_ex_t *ex)
{
	mg_mcp_ctx_t *ctx = ex->ctx;

	mg_ex_deadline_free(ex);
	mg_ex_cancel_calls(ex);
	mg_ex_limits_end(ex);
	/* a JSON answer is whole at its DATA: the END that follows needs no
	 * cancel (which would wake the connector for nothing) */
	if (ex->relay && ex->answered_relay)
		mg_proxy_forget(ex->relay);
	else if (ex->relay)
		mg_proxy_cancel(ex->relay);
	mg_ex_fed_free(ex);
	json_object_put(ex->req_id);
	json_object_put(ex->who_claims);
	free(ex->who);
	free(ex->trace.state);
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

/* An HTTP-level refusal with a JSON-RPC error body (DATA borrowed). */
void
mg_ex_refuse_data(mg_mcp_ex_t *ex, int status, struct json_object *id, int code,
    const char *message, struct json_object *data)
{
	struct evbuffer *body = evbuffer_new();

	ex->rpc_error = code;
	mg_rpc_write_error(body, id, code, message, data);
	mg_http_reply_buffer(ex->req, status, "application/json", body);
	evbuffer_free(body);
}

void
mg_ex_refuse(mg_mcp_ex_t *ex, int status, struct json_object *id, int code,
    const char *message)
{
	mg_ex_refuse_data(ex, status, id, code, message, NULL);
}

/*
 * The HTTP status of a JSON answer.  2026-07-28 says it for some errors:
 * an unknown method is 404, the header, capability and version errors
 * are 400.  The 2025 revisions answer every JSON-RPC error with 200.
 */
int
mg_ex_answer_status(const mg_mcp_ex_t *ex)
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
	    mg_sesstab_touch(ex->ctx->sessions, ex->session, mg_ex_now_ms(),
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
mg_link_t *
mg_ex_peer_link(const mg_mcp_ctx_t *ctx)
{
	return ctx->proxy ? mg_proxy_link(ctx->proxy) : NULL;
}

void
mg_ex_peer_end(mg_mcp_ctx_t *ctx, uint64_t id, int code, const char *message)
{
	mg_link_t *link = mg_ex_peer_link(ctx);

	if (link != NULL)
		mg_link_send_end(link, MG_MSG_PEER_END, id, code, message);
}

/* One event to whoever reads the stream now: our client, another
 * worker's, or nobody (it waits in the replay buffer). */
void
mg_ex_deliver(mg_mcp_ex_t *ex, unsigned seq, const char *data, size_t len)
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
	} else if (ex->peer_id != 0 && mg_ex_peer_link(ex->ctx) != NULL)
		mg_link_send_event(mg_ex_peer_link(ex->ctx), MG_MSG_PEER_EVENT,
		    ex->peer_id, id, -1, data, len);
}

void
mg_ex_event(mg_mcp_ex_t *ex, struct evbuffer *msg)
{
	size_t      len = evbuffer_get_length(msg);
	const char *data = len ? (const char *)evbuffer_pullup(msg, -1) : "";

	ex->seq++;
	if (ex->replay != NULL)
		mg_replay_add(ex->replay, ex->seq, data, len);
	mg_ex_deliver(ex, ex->seq, data, len);
	evbuffer_drain(msg, len);
}

/* The headers of an SSE answer to our client, and its keep-alives. */
void
mg_ex_stream_headers(mg_mcp_ex_t *ex)
{
	struct timeval tv;

	mg_http_add_header(ex->req, "Cache-Control", "no-cache");
	mg_http_add_header(ex->req, "X-Accel-Buffering", "no");
	mg_http_stream_begin(ex->req, 200, "text/event-stream");
	mg_wmetrics_stream(ex);
	if (ex->keepalive == NULL)
		ex->keepalive = event_new(
		    ex->ctx->base, -1, EV_PERSIST, ex_stream_keepalive, ex);
	tv.tv_sec = ex->loc->http.sse_keepalive / 1000;
	tv.tv_usec = (ex->loc->http.sse_keepalive % 1000) * 1000;
	if (ex->keepalive)
		event_add(ex->keepalive, &tv);
}

/* Priming events and retry came with 2025-11-25. */
static int
primes_streams(int version)
{
	return version >= 2;
}

/* Turn the answer into an SSE stream (once). */
void
mg_ex_stream_begin(mg_mcp_ex_t *ex)
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
	mg_ex_stream_headers(ex);
	/* a relayed stream carries the upstream's own priming event */
	if (primes_streams(ex->version) && ex->upstream == NULL &&
	    !ex->resuming) {
		struct evbuffer *empty = evbuffer_new();

		mg_ex_event(ex, empty); /* the priming event: an id, no data */
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
			mg_ex_event(ex, one);
			evbuffer_free(one);
		}
		evbuffer_free(out);
	}
}

/* Every call is answered: finish the HTTP answer. */
void
mg_ex_finish(mg_mcp_ex_t *ex)
{
	if (ex->calls != NULL)
		return;
	if (ex->req == NULL) {
		/* read elsewhere: that is the end; dropped: the answers wait
		 * for the client until the linger timer */
		if (ex->peer_id != 0) {
			mg_ex_peer_end(ex->ctx, ex->peer_id, 0, NULL);
			mg_ex_free(ex);
		}
		return;
	}
	if (ex->streaming) {
		mg_http_stream_end(ex->req);
		return;
	}
	if (ex->nanswers == 0) {
		/* every call was cancelled: an empty stream, no response */
		mg_ex_stream_begin(ex);
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
		    ex->req, mg_ex_answer_status(ex), "application/json", body);
		evbuffer_free(body);
	}
}

/* Queue one serialized message: as an event, or held for a JSON reply. */
void
mg_ex_send(mg_mcp_ex_t *ex, struct evbuffer *msg)
{
	if (ex->req == NULL && ex->replay == NULL)
		return;
	if (ex->streaming) {
		mg_ex_event(ex, msg);
		return;
	}
	if (ex->answers == NULL)
		ex->answers = evbuffer_new();
	evbuffer_add_buffer(ex->answers, msg);
	evbuffer_add(ex->answers, "\n", 1);
	ex->nanswers++;
}

/* The method and tool of a message, for the access log. */
void
mg_ex_note(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	const char *name;

	if (m->method == NULL)
		return;
	mg_ex_copy_token(ex->rpc_method, sizeof(ex->rpc_method), m->method);
	/* the tool, prompt or resource: what Mcp-Name carries */
	if ((name = mg_era_name_of(m->method, m->params)) != NULL)
		mg_ex_copy_token(ex->tool, sizeof(ex->tool), name);
}

/* The access log shows what Mcp-Method and Mcp-Name say (what the
 * request was routed on), which the body must repeat. */
void
mg_ex_note_headers(mg_mcp_ex_t *ex, const mg_era_headers_t *h)
{
	char v[MG_ERA_HEADER_MAX];

	if (h->method && mg_era_header_value(h->method, v, sizeof(v)) == MG_OK)
		mg_ex_copy_token(ex->rpc_method, sizeof(ex->rpc_method), v);
	if (h->name && mg_era_header_value(h->name, v, sizeof(v)) == MG_OK)
		mg_ex_copy_token(ex->tool, sizeof(ex->tool), v);
}

/* An answer of our own, in JSON (RESULT taken; or an error). */
void
mg_ex_reply_local(mg_mcp_ex_t *ex, struct json_object *id,
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

void
mg_mcp_ctx_free(mg_mcp_ctx_t *ctx)
{
	if (ctx == NULL)
		return;
	while (ctx->exchanges != NULL)
		mg_ex_free(ctx->exchanges);
	mg_ex_lists_stop(ctx);
	mg_tokcache_free(ctx->tokens);
	free(ctx);
}
