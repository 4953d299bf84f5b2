/*
 * The worker's side of both era bridges: a 2026-07-28 client over the
 * connector's bridge to a 2025 upstream (its answers turned into the new
 * era's), and a 2025 client on a route whose upstream speaks 2026-07-28
 * (its requests turned, input_required results asked of the client).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "bridge.h"
#include "exchange.h"

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
 * session declared no capability for; a log message the client did not
 * ask for).  An error gets the status 2026-07-28 gives its code
 * (mg_ex_answer_status: an unknown method 404).
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
		    ? mg_bridge_discover_from_initialize(m.result,
			  mg_ex_all_versions, MG_NELEM(mg_ex_all_versions))
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
		mg_ex_input_gather(ex, &m);
		rc = MG_DECLINED;
	} else if (m.kind == MG_RPC_NOTIFICATION &&
	    strcmp(m.method, "notifications/message") == 0 &&
	    !mg_bridge_log_passes(ex->log_want - 1, m.params)) {
		rc = MG_DECLINED; /* not asked for (mg_bridge_log_passes) */
	} else if (m.kind == MG_RPC_ERROR && ex->req_id != NULL) {
		/* a 2025 error comes in a 200: with the status the new era
		 * gives its code, as mcpgw's own answers have it */
		ex->rpc_error = m.error_code;
		ex->relay_status = mg_ex_answer_status(ex);
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
		if (m.kind == MG_RPC_ERROR) {
			ex->rpc_error = m.error_code;
			ex->relay_status = mg_ex_answer_status(ex);
		}
		/* a notification before the answer: the answer is a stream */
		if (m.kind == MG_RPC_NOTIFICATION && !ex->streaming)
			mg_ex_stream_begin(ex);
		evbuffer_add(out, msg, len);
	}
	mg_rpc_msg_clear(&m);
	mg_rpc_err_clear(&err);
	return rc;
}

/* The log level the request asks for (params._meta logLevel), for
 * bridge_message. */
static void
bridge_note_log_level(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	struct json_object *meta, *v;

	ex->log_want = 0;
	if (json_object_object_get_ex(m->params, "_meta", &meta) &&
	    json_object_object_get_ex(meta, MG_META_LOG_LEVEL, &v) &&
	    json_object_is_type(v, json_type_string))
		ex->log_want = (unsigned char)(mg_bridge_log_rank(
						   json_object_get_string(v)) +
		    1);
}

/* A 2026-07-28 message on a proxy route: checked here, relayed with its
 * routing headers, as it came to an upstream that speaks 2026-07-28, or
 * over the connector's bridge to one of the 2025 revisions (the answers
 * are then turned into the new era's: bridge_message). */
void
mg_ex_relay_modern(
    mg_mcp_ex_t *ex, const mg_rpc_msg_t *m, const char *body, size_t len)
{
	if (strlen(mg_http_req_header(ex->req, "MCP-Protocol-Version")) > 31) {
		mg_ex_refuse(ex, 400, m->id, MG_MCP_ERR_UNSUPPORTED_VERSION,
		    "Unsupported protocol version (longer than 31 bytes)");
		return;
	}
	if (m->kind == MG_RPC_REQUEST) {
		ex->req_id = json_object_get(m->id);
		if (mg_ex_input_check(ex, m) != MG_OK)
			return;
		const char *target = mg_era_name_of(m->method, m->params);

		snprintf(ex->input_target, sizeof(ex->input_target), "%s",
		    target ? target : "");
		bridge_note_log_level(ex, m);
	}
	/* turned if the connector's head says it bridges (relay_head) */
	ex->translate = bridge_message;
	mg_ex_relay(ex, body, len);
}

static int reverse_message(
    mg_mcp_ex_t *ex, const char *msg, size_t len, struct evbuffer *out);

/* Relay BODY (a 2026-07-28 message) with its routing headers. */
static void
ex_relay_reverse(mg_mcp_ex_t *ex, const char *method,
    struct json_object *params, char *body, size_t len)
{
	const char *name = mg_era_name_of(method, params);

	ex->reverse = 1;
	ex->translate = reverse_message;
	if (body == NULL || (ex->rev_headers = evbuffer_new()) == NULL) {
		free(body);
		mg_ex_refuse(ex, 500, ex->req_id, MG_RPC_INTERNAL_ERROR,
		    "out of memory");
		return;
	}
	evbuffer_add_printf(ex->rev_headers, "Mcp-Method: %s\r\n", method);
	if (name != NULL)
		mg_era_header_add(ex->rev_headers, "Mcp-Name", name);
	mg_ex_relay(ex, body, len);
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
void
mg_ex_post_reverse(mg_mcp_ex_t *ex, mg_rpc_msg_t *m)
{
	const char *sid, *init;
	size_t      sid_len, init_len, len;
	char       *params, *body;

	mg_ex_note(ex, m);
	if (m->kind == MG_RPC_REQUEST)
		ex->req_id = json_object_get(m->id);
	if (m->kind == MG_RPC_REQUEST && strcmp(m->method, "initialize") == 0) {
		mg_rpc_msg_t d = { .kind = MG_RPC_REQUEST,
			.method = "server/discover" };

		if (mg_ex_session_room(ex, m->id) != MG_OK)
			return;
		mg_ex_keep_init_params(ex, m);
		ex->reverse_init = 1;
		d.root = json_object_new_object();
		json_object_object_add(
		    d.root, "jsonrpc", json_object_new_string("2.0"));
		json_object_object_add(d.root, "id", json_object_get(m->id));
		json_object_object_add(d.root, "method",
		    json_object_new_string("server/discover"));
		mg_ex_trace_meta_set(ex, d.root);
		body = mg_bridge_request_to_2026(&d, ex->init_params, &len);
		json_object_put(d.root);
		ex_relay_reverse(ex, "server/discover", NULL, body, len);
		return;
	}
	if (m->kind == MG_RPC_REQUEST && strcmp(m->method, "ping") == 0 &&
	    mg_http_req_header(ex->req, "Mcp-Session-Id") == NULL) {
		mg_ex_reply_local(ex, m->id, json_object_new_object(), 0, NULL);
		return;
	}
	if (mg_ex_check_session(ex) != MG_OK)
		return;
	if (m->kind == MG_RPC_BATCH) {
		mg_ex_refuse(ex, 400, NULL, MG_RPC_INVALID_REQUEST,
		    "batches are not supported over the bridge to an upstream "
		    "of 2026-07-28");
		return;
	}
	/* notifications (initialized, cancelled): nothing upstream awaits
	 * them in the new era; responses answer our requests (reverse_ask) */
	if (m->kind != MG_RPC_REQUEST) {
		if (m->kind == MG_RPC_RESULT || m->kind == MG_RPC_ERROR)
			mg_ex_answer(ex, m);
		mg_http_reply(ex->req, 202, NULL, NULL, 0);
		return;
	}
	if (strcmp(m->method, "ping") == 0 ||
	    strcmp(m->method, "logging/setLevel") == 0) {
		mg_ex_reply_local(ex, m->id, json_object_new_object(), 0, NULL);
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
	    mg_ex_blob_unpack(ex->sess, &sid, &sid_len, &init, &init_len) ==
		MG_OK &&
	    (params = malloc(init_len + 1)) != NULL) {
		memcpy(params, init, init_len);
		params[init_len] = '\0';
	}
	mg_ex_trace_meta_set(ex, m->root); /* the new era carries it there */
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
		mg_ex_relay_failed(ex, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	/* the round before may not have ended yet: its END is dropped */
	if (ex->relay != NULL) {
		mg_proxy_forget(ex->relay);
		ex->relay = NULL;
	}
	mg_ex_relay(ex, body, len);
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

	mg_ex_call_unlink(c);
	mg_ex_call_free(c);
	if (ex->req == NULL)
		return;
	if (code != 0) {
		/* inputResponses carry results only: the request fails */
		snprintf(why, sizeof(why),
		    "the client answered the upstream's request \"%.64s\" "
		    "with error %d: %.120s",
		    key ? key : "", code, message ? message : "");
		mg_ex_cancel_calls(ex);
		mg_ex_relay_failed(ex, code, why);
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
			mg_ex_cancel_calls(ex);
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
		version = mg_ex_versions[MG_NELEM(mg_ex_versions) - 1];
		if (ex->init_params != NULL) {
			struct json_object *p =
			    json_tokener_parse(ex->init_params);

			if (json_object_object_get_ex(
				p, "protocolVersion", &v) &&
			    mg_ex_version_index(json_object_get_string(v)) >= 0)
				version = mg_ex_versions[mg_ex_version_index(
				    json_object_get_string(v))];
			json_object_put(p);
		}
		r = mg_bridge_initialize_from_discover(m.result, version);
		if ((rc = mg_ex_relay_session(ex, "", version)) != MG_OK) {
			char why[160];
			int  code;

			json_object_put(r);
			mg_ex_session_refused(ex, rc, &code, why, sizeof(why));
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
