/*
 * The relay of a proxy route's request to the connector (mcp_pass): the
 * request framed with the upstream session the token holds, and the
 * upstream's answer passed on to the client as JSON or as a stream.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "exchange.h"
#include "rules.h"
#include "sse.h"

/* A POST on an mcp_pass location whose upstream speaks a 2025 revision:
 * checked here, answered upstream. */
void
mg_ex_post_relay(mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char *body, size_t len)
{
	mg_ex_note(ex, m);
	if (m->kind == MG_RPC_REQUEST)
		ex->req_id = json_object_get(m->id);
	if (m->kind == MG_RPC_REQUEST && strcmp(m->method, "initialize") == 0) {
		if (mg_ex_session_room(ex, m->id) != MG_OK)
			return;
		ex->relay_init = 1;
		mg_ex_keep_init_params(ex, m);
		mg_ex_relay(ex, body, len);
		return;
	}
	if (mg_ex_check_session(ex) != MG_OK)
		return;
	if (m->kind == MG_RPC_BATCH && !mg_ex_batches_allowed(ex->version)) {
		mg_ex_refuse(ex, 400, NULL, MG_RPC_INVALID_REQUEST,
		    "batches are not supported on this protocol version");
		return;
	}
	mg_ex_relay(ex, body, len);
}

/*
 * The same for a plain request or notification of 2025 (mg_rpc_peek), on
 * a location without policy rules: checked as mg_rpc_parse would, but with
 * no tree built or freed, for the message goes on as it came.
 * MG_DECLINED: mg_ex_post_relay's turn.
 */
int
mg_ex_post_relay_plain(mg_mcp_ex_t *ex, const char *body, size_t len)
{
	mg_rpc_peek_t pk;
	const char   *key;

	if (ex->limit_peek != NULL) { /* the limits looked at it already */
		pk = *ex->limit_peek;
		free(ex->limit_peek);
		ex->limit_peek = NULL;
	} else if (mg_rpc_peek(body, len, &pk) != MG_OK)
		return MG_DECLINED;
	if (strcmp(pk.method, "initialize") == 0 ||
	    strcmp(pk.method, "ping") == 0) {
		mg_rpc_peek_clear(&pk);
		return MG_DECLINED;
	}
	/* what mg_ex_note keeps for the log */
	mg_ex_copy_token(ex->rpc_method, sizeof(ex->rpc_method), pk.method);
	key = mg_era_name_key(pk.method);
	if (key != NULL && strcmp(key, "name") == 0 && pk.name != NULL)
		mg_ex_copy_token_n(
		    ex->tool, sizeof(ex->tool), pk.name, pk.name_len);
	else if (key != NULL && strcmp(key, "uri") == 0 && pk.uri != NULL)
		mg_ex_copy_token_n(
		    ex->tool, sizeof(ex->tool), pk.uri, pk.uri_len);
	ex->req_id = pk.id; /* taken over */
	pk.id = NULL;
	mg_rpc_peek_clear(&pk);
	if (mg_ex_check_session(ex) == MG_OK)
		mg_ex_relay(ex, body, len);
	return MG_OK;
}

/* The upstream failed before a whole answer: a JSON-RPC error that
 * names it and why. */
void
mg_ex_relay_failed(mg_mcp_ex_t *ex, int code, const char *message)
{
	struct evbuffer *msg;

	ex->rpc_error = code;
	mg_wmetrics_failed(ex, message);
	if (ex->req == NULL)
		return;
	if (ex->modern && code == MG_MCP_ERR_UNSUPPORTED_VERSION &&
	    !ex->streaming) {
		mg_ex_refuse_version(ex, ex->req_id, message);
		return;
	}
	if (ex->streaming) {
		if (ex->req_id != NULL) {
			msg = evbuffer_new();
			mg_rpc_write_error(
			    msg, ex->req_id, code, message, NULL);
			mg_ex_event(ex, msg);
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
	mg_ex_refuse(ex, ex->resuming ? 400 : 502, NULL, code, message);
}

/*
 * Where mcpgw is the server a 2025 client sees, not a relay of one (a
 * stdio process, or an upstream of 2026-07-28 over the reverse bridge),
 * it answers a request as the official SDKs' servers do by default: on a
 * stream, which its client accepts (dispatch.c refuses a POST without
 * text/event-stream with 406).  A relayed upstream's JSON stays JSON: it
 * chose.  Not an initialize (its answer sets up the session) nor an
 * error status.
 */
static int
relay_as_stream(const mg_mcp_ex_t *ex, int status)
{
	return status == 200 && !ex->modern && ex->req_id != NULL &&
	    !ex->relay_init && !ex->reverse_init && ex->upstream != NULL &&
	    (ex->reverse || ex->upstream->command != NULL);
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
	else if (ex->modern)
		ex->translate = NULL; /* as it came: no bridge */
	/* our session for an initialize result (version set), even over an
	 * upstream without sessions (sid "") */
	if (ex->relay_init && status == 200 && version[0] != '\0' &&
	    (rc = mg_ex_relay_session(ex, sid, version)) != MG_OK) {
		ex->relay_init = 0;
		mg_ex_session_refuse(ex, ex->req_id, rc);
		return;
	}
	/* over the bridge the stream begins with the first notification:
	 * an answer alone goes as JSON, with the status the new era wants */
	if (kind == MG_RESP_SSE && status == 200 && !ex->bridged &&
	    !ex->reverse_init)
		mg_ex_stream_begin(ex);
	else if (kind == MG_RESP_JSON && relay_as_stream(ex, status))
		mg_ex_stream_begin(ex);
}

/* One message of a relayed answer: an event of the stream, or the JSON
 * answer with the upstream's status. */
static void
relay_message(mg_mcp_ex_t *ex, const char *msg, size_t len)
{
	if (ex->streaming) {
		struct evbuffer *b = evbuffer_new();

		evbuffer_add(b, msg, len);
		mg_ex_event(ex, b);
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

	if (ex->translate(ex, msg, len, b) == MG_OK) {
		if (ex->streaming)
			mg_ex_event(ex, b);
		else
			relay_message(ex, (const char *)evbuffer_pullup(b, -1),
			    evbuffer_get_length(b));
	}
	evbuffer_free(b);
}

/* MSG as the client may see it: a list answer cut to what it may call
 * (policy.c), in CUT; else MSG as it came (always on a route without
 * rules, which copies nothing). */
static const char *
relay_seen(mg_mcp_ex_t *ex, const char *msg, size_t *len, struct evbuffer **cut)
{
	*cut = NULL;
	/* a federated route's member: in the names the client sees */
	if (ex->fed_seen && mg_ex_fed_touches(msg, *len) &&
	    (*cut = evbuffer_new()) != NULL) {
		if (mg_ex_fed_seen(ex, msg, *len, *cut) == MG_OK) {
			*len = evbuffer_get_length(*cut);
			return (const char *)evbuffer_pullup(*cut, -1);
		}
		evbuffer_free(*cut);
		*cut = NULL;
	}
	if (ex->lists == 0 || (*cut = evbuffer_new()) == NULL ||
	    mg_ex_lists_filter_text(ex, msg, *len, *cut) != MG_OK)
		return msg;
	*len = evbuffer_get_length(*cut);
	return (const char *)evbuffer_pullup(*cut, -1);
}

static void
relay_data(void *arg, const char *msg, size_t len)
{
	mg_mcp_ex_t     *ex = arg;
	struct evbuffer *cut;

	if (ex->req == NULL || ex->answered_relay)
		return;
	mg_wmetrics_answer(ex, msg, len);
	msg = relay_seen(ex, msg, &len, &cut);
	if (ex->translate != NULL)
		relay_turned(ex, msg, len);
	else
		relay_message(ex, msg, len);
	if (cut != NULL)
		evbuffer_free(cut);
}

/* An upstream's SSE event, passed on with its own id and retry, so the
 * client can resume through the gateway. */
static void
relay_event_out(
    mg_mcp_ex_t *ex, const char *id, long retry, const char *data, size_t len)
{
	struct evbuffer *out;
	char             fid[300];

	/* over either bridge: the messages turned, the upstream stream's
	 * ids, retry and priming event dropped (the other era's ids mean
	 * nothing to the client); an answer alone goes as JSON */
	if (ex->translate != NULL) {
		if (len > 0)
			relay_turned(ex, data, len);
		return;
	}
	if (!ex->streaming)
		return;
	out = evbuffer_new();
	if (retry >= 0)
		mg_sse_write_retry(out, (unsigned)retry);
	/* a federated route's member: its ids name it, for a resumption */
	if (id != NULL && ex->member != NULL &&
	    mg_ex_fed_event_id(ex, id, fid, sizeof(fid)) == MG_OK)
		id = fid;
	if (id != NULL || len > 0)
		mg_sse_write_event(out, id, NULL, data, len);
	if (mg_http_stream_write_buffer(ex->req, out) != MG_OK)
		mg_http_stream_end(ex->req);
	evbuffer_free(out);
}

/*
 * An upstream that streams a JSON body (a message a line) sends what
 * comes before its answer as events (connector/upx.c): from the first
 * one, the client reads an SSE stream, as from an upstream that sent one.
 * Every POST client accepts text/event-stream (dispatch.c refuses the
 * others with 406), so there is no other framing to keep.
 */
static void
relay_json_stream(mg_mcp_ex_t *ex)
{
	if (!ex->streaming && ex->relay_kind == MG_RESP_JSON &&
	    ex->relay_status == 200 && !ex->bridged && !ex->reverse_init)
		mg_ex_stream_begin(ex);
}

static void
relay_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	mg_mcp_ex_t     *ex = arg;
	struct evbuffer *cut;

	if (ex->req == NULL || ex->answered_relay)
		return;
	relay_json_stream(ex);
	mg_wmetrics_answer(ex, data, len);
	data = relay_seen(ex, data, &len, &cut);
	relay_event_out(ex, id, retry, data, len);
	if (cut != NULL)
		evbuffer_free(cut);
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
			mg_ex_relay_failed(ex, code, message);
		return;
	}
	if (mg_http_req_method(ex->req) == MG_HTTP_DELETE) {
		mg_sesstab_delete(
		    ex->ctx->sessions, ex->session, mg_ex_now_ms());
		mg_http_reply(ex->req, 204, NULL, NULL, 0);
	} else if (ex->streaming)
		mg_http_stream_end(ex->req);
	else if (!ex->answered_relay)
		mg_http_reply(ex->req, ex->relay_status, NULL, NULL, 0);
}

static void
relay_upstream(void *arg, int status, const char *addr, int64_t us)
{
	mg_mcp_ex_t *ex = arg;

	ex->up_status = status;
	mg_ex_copy_token(ex->up_addr, sizeof(ex->up_addr), addr);
	ex->up_us = us;
}

/* What comes back of a relayed request (or a resumed stream's). */
const mg_relay_ops_t mg_ex_relay_ops = { relay_head, relay_data, relay_event,
	relay_end, NULL, relay_upstream };

/* Relay this request, with the upstream session the token holds. */
void
mg_ex_relay(mg_mcp_ex_t *ex, const char *body, size_t len)
{
	mg_relay_ops_t   o = mg_ex_relay_ops;
	mg_relay_req_t   q = { 0 };
	const char      *v = mg_ex_versions[ex->version];
	struct evbuffer *headers = NULL;

	q.method = mg_http_req_method(ex->req);
	q.initialize = ex->relay_init;
	q.hops = ex->hops + 1;
	q.trace = &ex->trace;
	q.upstream = ex->upstream->index;
	q.session = ex->session;
	q.body = body;
	q.body_len = len;
	/* a GET that resumes a stream: the upstream replays from there */
	q.lei = ex->fed_lei != NULL
	    ? ex->fed_lei
	    : mg_http_req_header(ex->req, "Last-Event-ID");
	if (q.lei == NULL || q.method != MG_HTTP_GET)
		q.lei = "";
	else /* it may replay the answer to a list: cut like the first */
		ex->lists = mg_lists_of(ex->loc->rules, NULL);
	q.lei_len = strlen(q.lei);
	if (len > MG_IPC_MAX_FRAME - 4096) {
		mg_ex_refuse(ex, 413, ex->req_id, MG_RPC_INVALID_REQUEST,
		    "request too large to relay (16 MB at most)");
		return;
	}
	q.sid = q.init = "";
	if (ex->session != 0 &&
	    (ex->sess == NULL ||
		mg_ex_blob_unpack(ex->sess, &q.sid, &q.sid_len, &q.init,
		    &q.init_len) != MG_OK)) {
		mg_ex_refuse(
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
			if (ex->fed_name != NULL) /* the member's */
				evbuffer_add_printf(
				    headers, "Mcp-Name: %s\r\n", ex->fed_name);
			else
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
	q.token = ex->bearer; /* NULL but for an upstream that takes it */
	q.token_len = ex->bearer_len;
	q.token_exp = ex->bearer_exp;
	q.park = ex->resume ? ex->park : NULL;
	q.subscribe = ex->rev_subscribe;
	o.arg = ex;
	if (ex->ctx->proxy == NULL ||
	    (ex->relay = mg_proxy_open(ex->ctx->proxy, &q, &o)) == NULL)
		mg_ex_relay_failed(ex, -32000,
		    "the connector process is not "
		    "available; try again");
	else if (q.method == MG_HTTP_POST && ex->req_id != NULL && !q.subscribe)
		mg_ex_deadline_arm(ex);
	if (headers != NULL)
		evbuffer_free(headers);
}

/* The params of an initialize, compact, for reopening upstream later. */
void
mg_ex_keep_init_params(mg_mcp_ex_t *ex, mg_rpc_msg_t *m)
{
	if (m->params != NULL)
		ex->init_params = strdup(json_object_to_json_string_ext(
		    m->params, JSON_C_TO_STRING_PLAIN));
}

/* Over the reverse bridge, tell the connector of the session's GET
 * stream (METHOD GET: it listens for the list changes too) or its end
 * (DELETE: it drops what it holds for it); its answer is not waited for. */
void
mg_ex_tell_subscriptions(mg_mcp_ex_t *ex, int method)
{
	mg_relay_req_t q = { 0 };

	q.method = method;
	q.hops = ex->hops + 1;
	q.trace = &ex->trace;
	q.upstream = ex->upstream->index;
	q.session = ex->session;
	q.subscribe = 1;
	q.sid = q.version = q.init = q.body = q.lei = q.headers = "";
	if (ex->ctx->proxy != NULL)
		mg_proxy_open(ex->ctx->proxy, &q, &mg_answer_ignore);
}
