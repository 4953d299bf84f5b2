/*
 * The built-in servers' side of an exchange: the call API of mcp.h
 * (answer, notify, ask the client, seal state), and the paths by which a
 * cancel or a client's response finds its call, here or on another
 * worker.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "exchange.h"
#include "log.h"

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
	return c->ex->modern ? MG_ERA_2026 : mg_ex_versions[c->ex->version];
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
	mg_ex_copy_token(c->ex->tool, sizeof(c->ex->tool), tool);
}

void
mg_mcp_call_notify(
    mg_mcp_call_t *c, const char *method, struct json_object *params)
{
	mg_mcp_ex_t     *ex = c->ex;
	struct evbuffer *msg;

	if (ex->req != NULL || ex->replay != NULL) {
		if (ex->req != NULL)
			mg_ex_stream_begin(ex);
		msg = evbuffer_new();
		mg_rpc_write_notification(msg, method, params);
		mg_ex_event(ex, msg);
		evbuffer_free(msg);
	}
	json_object_put(params);
}

static void
call_answered(mg_mcp_call_t *c, struct evbuffer *msg)
{
	mg_mcp_ex_t *ex = c->ex;

	mg_ex_call_unlink(c);
	mg_ex_call_free(c);
	mg_ex_send(ex, msg);
	evbuffer_free(msg);
	mg_ex_finish(ex);
}

void
mg_mcp_call_result(mg_mcp_call_t *c, struct json_object *result)
{
	struct evbuffer *msg = evbuffer_new();

	mg_ex_lists_filter(c->ex, result);
	mg_wmetrics_result(c->ex, result);
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

	mg_ex_call_unlink(c);
	if (ex->backend && ex->backend->cancel) /* a bridge's ask has none */
		ex->backend->cancel(c);
	mg_ex_call_free(c);
	mg_ex_finish(ex);
}

void
mg_ex_cancelled(mg_mcp_ex_t *ex, struct json_object *params)
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
		mg_ex_stream_begin(ex);
	msg = evbuffer_new();
	mg_rpc_write_request(msg, id, method, params);
	mg_ex_event(ex, msg);
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
void
mg_ex_answer(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
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
mg_mcp_notify_remote(mg_mcp_ctx_t *ctx, uint64_t session, uint64_t upstream,
    const char *text, size_t len)
{
	for (mg_mcp_ex_t *ex = ctx->exchanges; ex != NULL; ex = ex->next)
		if (ex->get_stream && ex->session == session && session != 0 &&
		    ex->req != NULL && ex->streaming) {
			struct evbuffer *b = evbuffer_new();

			/* a federated route's: in the names of the member */
			if (mg_ex_fed_remote(ex, upstream, text, len, b) !=
			    MG_OK)
				evbuffer_add(b, text, len);
			mg_ex_event(ex, b);
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
mg_mcp_call_t *
mg_ex_call_new(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
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
