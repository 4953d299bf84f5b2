/*
 * A POST's messages, dispatched: parsed, told apart by era, and run as
 * calls on a built-in server (initialize, batches, server/discover,
 * subscriptions/listen); a proxy route's go on to the relay.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "exchange.h"
#include "phase.h"

/* Does the Accept header admit TYPE ("application/json")? */
int
mg_ex_accepts(const char *accept, const char *type)
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
		v = mg_ex_version_index(json_object_get_string(pv));
	if (m->params == NULL || pv == NULL) {
		mg_ex_refuse(ex, 400, m->id, MG_RPC_INVALID_PARAMS,
		    "initialize needs params.protocolVersion");
		return;
	}
	ex->version = v >= 0 ? v : (int)MG_NELEM(mg_ex_versions) - 1;
	memset(&s, 0, sizeof(s));
	s.id = mg_sesstab_new_id();
	s.issued = (int64_t)time(NULL);
	snprintf(s.route, sizeof(s.route), "%s", ex->loc->path);
	snprintf(
	    s.version, sizeof(s.version), "%s", mg_ex_versions[ex->version]);
	if (mg_session_seal(ex->ctx->key, &s, token, sizeof(token)) != MG_OK) {
		mg_ex_refuse(ex, 500, m->id, MG_RPC_INTERNAL_ERROR,
		    "cannot seal a session id");
		return;
	}
	rc = mg_sesstab_add_for(ex->ctx->sessions, s.id, mg_ex_now_ms(),
	    mg_ex_session_owner(ex), mg_ex_session_limit(ex));
	if (rc != MG_OK) {
		mg_ex_session_refuse(ex, m->id, rc);
		return;
	}
	ex->session = s.id;
	result = ex->backend->initialize(mg_ex_versions[ex->version]);
	json_object_object_add(result, "protocolVersion",
	    json_object_new_string(mg_ex_versions[ex->version]));
	body = evbuffer_new();
	mg_rpc_write_result(body, m->id, result);
	json_object_put(result);
	mg_http_add_header(ex->req, "Mcp-Session-Id", token);
	mg_http_reply_buffer(ex->req, 200, "application/json", body);
	evbuffer_free(body);
}

/* A message of the POST (one, or one of a batch). */
static void
ex_message(mg_mcp_ex_t *ex, mg_rpc_msg_t *m)
{
	mg_mcp_call_t *c;

	if (ex->rpc_method[0] == '\0' && m->method)
		mg_ex_copy_token(
		    ex->rpc_method, sizeof(ex->rpc_method), m->method);
	if (m->kind == MG_RPC_NOTIFICATION) {
		if (strcmp(m->method, "notifications/cancelled") == 0)
			mg_ex_cancelled(ex, m->params);
		return;
	}
	if (m->kind == MG_RPC_RESULT || m->kind == MG_RPC_ERROR) {
		mg_ex_answer(ex, m);
		return;
	}
	if (m->kind != MG_RPC_REQUEST)
		return;
	if ((c = mg_ex_call_new(ex, m)) == NULL)
		return;
	mg_ex_deadline_call(ex, m); /* before: an answer may free EX */
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
		mg_ex_call_unlink(&hold);
	}
	mg_ex_finish(ex);
}

/* A JSON array on 2025-03-26: each element is a message. */
static void
ex_batch(mg_mcp_ex_t *ex, mg_rpc_msg_t *m)
{
	size_t        n = json_object_array_length(m->root);
	mg_rpc_msg_t *msgs = calloc(n, sizeof(*msgs));
	mg_rpc_err_t  err;

	if (!mg_ex_batches_allowed(ex->version)) {
		mg_ex_refuse(ex, 400, NULL, MG_RPC_INVALID_REQUEST,
		    "batches are not supported on this protocol version");
		free(msgs);
		return;
	}
	ex->batch = 1;
	for (size_t i = 0; i < n && msgs; i++)
		if (mg_rpc_from_object(json_object_array_get_idx(m->root, i),
			&msgs[i], &err) != MG_OK) {
			mg_ex_refuse(ex, 400, err.id, err.code, err.message);
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

/* How long a client may keep a built-in server's discover result: its
 * capabilities change only with the configuration (a reload). */
#define DISCOVER_TTL_MS 60000

/* server/discover: what initialize would say, the server's identity in
 * _meta, every version this endpoint serves, and the caching hints the
 * revision requires (the same answer for every client: "public"). */
static void
ex_discover(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	struct json_object *r = ex->backend->initialize(MG_ERA_2026);
	struct json_object *info, *meta;
	mg_mcp_call_t      *c = mg_ex_call_new(ex, m);

	if (json_object_object_get_ex(r, "serverInfo", &info)) {
		meta = json_object_new_object();
		json_object_object_add(
		    meta, MG_META_SERVER_INFO, json_object_get(info));
		json_object_object_del(r, "serverInfo");
		json_object_object_add(r, "_meta", meta);
	}
	json_object_object_add(r, "supportedVersions",
	    mg_ex_version_list(
		mg_ex_all_versions, MG_NELEM(mg_ex_all_versions)));
	json_object_object_add(
	    r, "ttlMs", json_object_new_int(DISCOVER_TTL_MS));
	json_object_object_add(
	    r, "cacheScope", json_object_new_string("public"));
	if (c == NULL) {
		json_object_put(r);
		mg_ex_refuse(
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

/* Of the resources ASKED (resourceSubscriptions, an array of URIs), those
 * the server lets a client subscribe to, as a new array. */
static struct json_object *
listen_resources(const mg_mcp_ex_t *ex, struct json_object *asked)
{
	struct json_object *agreed = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(asked); i++) {
		struct json_object *u = json_object_array_get_idx(asked, i);

		if (json_object_is_type(u, json_type_string) &&
		    ex->backend->subscribable != NULL &&
		    ex->backend->subscribable(json_object_get_string(u)))
			json_object_array_add(agreed, json_object_get(u));
	}
	return agreed;
}

/*
 * subscriptions/listen: a POST stream that stays open.  Its first event
 * acknowledges the notification types this server will send of those
 * asked for (what its capabilities promise; of resourceSubscriptions,
 * the URIs of its resources); the list changes follow (listwatch.c),
 * each notification carrying the request's id as the subscription id.
 * It ends when the client leaves, or with an empty result when the
 * worker stops.
 */
static void
ex_listen(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	static const struct {
		const char *filter, *cap, *key;
		int         list; /* mg_mcp_list_t; -1: resources/updated */
	} kinds[] = {
		{ "toolsListChanged", "tools", "listChanged",
		    MG_MCP_LIST_TOOLS },
		{ "promptsListChanged", "prompts", "listChanged",
		    MG_MCP_LIST_PROMPTS },
		{ "resourcesListChanged", "resources", "listChanged",
		    MG_MCP_LIST_RESOURCES },
		{ "resourceSubscriptions", "resources", "subscribe", -1 },
	};
	struct json_object *asked, *v, *agreed, *params, *meta;
	struct json_object *init, *caps = NULL;
	struct evbuffer    *msg;
	unsigned            lists = 0;

	if (!json_object_object_get_ex(m->params, "notifications", &asked) ||
	    !json_object_is_type(asked, json_type_object)) {
		mg_ex_refuse(ex, 400, m->id, MG_RPC_INVALID_PARAMS,
		    "Invalid params: subscriptions/listen needs "
		    "params.notifications (an object)");
		return;
	}
	init = ex->backend->initialize(MG_ERA_2026);
	json_object_object_get_ex(init, "capabilities", &caps);
	agreed = json_object_new_object();
	for (size_t i = 0; i < MG_NELEM(kinds); i++) {
		if (!json_object_object_get_ex(asked, kinds[i].filter, &v) ||
		    !cap_says(caps, kinds[i].cap, kinds[i].key))
			continue;
		if (kinds[i].list < 0 &&
		    json_object_is_type(v, json_type_array))
			json_object_object_add(
			    agreed, kinds[i].filter, listen_resources(ex, v));
		else if (kinds[i].list >= 0 &&
		    json_object_is_type(v, json_type_boolean) &&
		    json_object_get_boolean(v)) {
			json_object_object_add(
			    agreed, kinds[i].filter, json_object_get(v));
			lists |= 1u << kinds[i].list;
		}
	}
	json_object_put(init);
	if (mg_ex_call_new(ex, m) == NULL) {
		json_object_put(agreed);
		mg_ex_refuse(
		    ex, 500, m->id, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	ex->listen = 1;
	mg_ex_stream_begin(ex);
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
	mg_ex_event(ex, msg);
	evbuffer_free(msg);
	mg_ex_lists_watch(ex, lists);
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
void
mg_ex_listen_end(mg_mcp_ex_t *ex)
{
	if (ex->calls != NULL)
		mg_mcp_call_result(ex->calls, listen_end_result(ex->calls->id));
}

/* A relayed listen stream (to an upstream, or over the bridge) ends as
 * ours do when this worker stops: the result naming the subscription;
 * the relay is cancelled with the exchange. */
void
mg_ex_relayed_listen_end(mg_mcp_ex_t *ex)
{
	struct json_object *r = listen_end_result(ex->req_id);
	struct evbuffer    *out = evbuffer_new();

	json_object_object_add(
	    r, "resultType", json_object_new_string("complete"));
	mg_rpc_write_result(out, ex->req_id, r);
	json_object_put(r);
	if (ex->relay != NULL)
		mg_proxy_cancel(ex->relay);
	ex->relay = NULL;
	mg_ex_fed_free(ex); /* a federated route's: every member's */
	mg_ex_event(ex, out);
	evbuffer_free(out);
	mg_http_stream_end(ex->req);
}

/* A 2026-07-28 request on to an upstream, or to a federated route's
 * members, with the trace in its _meta too (where this revision carries
 * it; the text is written again only when that changes it). */
static void
ex_post_2026_on(mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char *body, size_t len)
{
	char *traced;

	if (mg_ex_trace_meta(ex, m, &traced) != MG_OK)
		return;
	if (traced != NULL) {
		body = traced;
		len = strlen(traced);
	}
	/* a federated route: to every member, or on to the one (what
	 * goes upstream is copied as it goes) */
	if (ex->loc->members == NULL || mg_ex_fed(ex, m, &body, &len) != MG_OK)
		mg_ex_relay_modern(ex, m, body, len);
	free(traced);
}

static const char *const era_headers[] = { "MCP-Protocol-Version", "Mcp-Method",
	"Mcp-Name" };
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
			mg_ex_refuse(ex, 400,
			    m->kind == MG_RPC_REQUEST ? m->id : NULL,
			    MG_MCP_ERR_HEADER_MISMATCH, why);
			return;
		}
	if (m->kind == MG_RPC_BATCH) {
		mg_ex_refuse(ex, 400, NULL, MG_RPC_INVALID_REQUEST,
		    "Invalid Request: 2026-07-28 has no batches");
		return;
	}
	mg_ex_note(ex, m);
	mg_ex_note_headers(ex, h);
	/* on a proxy route the upstream says which versions it serves */
	if (mg_era_check(h, m, ex->upstream ? NULL : mg_ex_all_versions,
		MG_NELEM(mg_ex_all_versions), &err) != MG_OK) {
		mg_ex_refuse_data(
		    ex, err.status, m->id, err.code, err.message, err.data);
		mg_era_err_clear(&err);
		return;
	}
	if (m->kind == MG_RPC_NOTIFICATION) {
		mg_http_reply(ex->req, 202, NULL, NULL, 0);
		return;
	}
	if (m->kind != MG_RPC_REQUEST) {
		mg_ex_refuse(ex, 400, NULL, MG_RPC_INVALID_REQUEST,
		    "Invalid Request: on 2026-07-28 the server sends no "
		    "requests, so no response is awaited");
		return;
	}
	if (mg_ex_removed_in_2026(m->method)) {
		snprintf(why, sizeof(why),
		    "Method not found: %s is not part of 2026-07-28",
		    m->method);
		mg_ex_refuse(ex, 404, m->id, MG_RPC_METHOD_NOT_FOUND, why);
		return;
	}
	if (ex->upstream != NULL || ex->loc->members != NULL) {
		ex_post_2026_on(ex, m, body, len);
		return;
	}
	/* the trace a client sent in _meta alone, for the log */
	mg_ex_trace_meta(ex, m, NULL);
	if (strcmp(m->method, "server/discover") == 0)
		ex_discover(ex, m);
	else if (strcmp(m->method, "subscriptions/listen") == 0)
		ex_listen(ex, m);
	else
		ex_run(ex, m, 1);
}

/* A POST's transport rules: Accept and Content-Type.  MG_OK, or
 * answered. */
static int
post_acceptable(mg_mcp_ex_t *ex)
{
	const char *accept = mg_http_req_header(ex->req, "Accept");

	if (!mg_ex_accepts(accept, "application/json") ||
	    !mg_ex_accepts(accept, "text/event-stream")) {
		mg_ex_refuse(ex, 406, NULL, MG_RPC_INVALID_REQUEST,
		    "Not Acceptable: Accept must list application/json and "
		    "text/event-stream");
		return MG_ERROR;
	}
	if (!is_json(mg_http_req_header(ex->req, "Content-Type"))) {
		mg_ex_refuse(ex, 415, NULL, MG_RPC_INVALID_REQUEST,
		    "Unsupported Media Type: Content-Type must be "
		    "application/json");
		return MG_ERROR;
	}
	return MG_OK;
}

void
mg_ex_post(mg_mcp_ex_t *ex)
{
	struct evbuffer *body = mg_http_req_body(ex->req);
	size_t           len = evbuffer_get_length(body);
	const char      *text;
	mg_rpc_msg_t     m;
	mg_rpc_err_t     err;
	mg_era_headers_t h;
	mg_phase_msg_t   pm = { 0 };

	if (post_acceptable(ex) != MG_OK)
		return;
	text = (const char *)evbuffer_pullup(body, (ev_ssize_t)len);
	h.version = mg_http_req_header(ex->req, "MCP-Protocol-Version");
	h.method = mg_http_req_header(ex->req, "Mcp-Method");
	h.name = mg_http_req_header(ex->req, "Mcp-Name");
	/* policy first, on the routing headers of 2026-07-28 */
	pm.h = &h;
	pm.text = text;
	pm.len = len;
	if (mg_phase_message(ex, &pm) != MG_OK)
		return;
	/* the most common relay: a 2025 request passed on as it is */
	if (ex->upstream != NULL && mg_phase_message_none(ex->loc) &&
	    h.version != NULL && mg_ex_known_old(h.version) &&
	    ex->upstream->protocol != MG_PROTOCOL_2026 &&
	    mg_ex_post_relay_plain(ex, text, len) == MG_OK)
		return;
	/* and the most common on a federated route */
	if (ex->loc->members != NULL && mg_phase_message_none(ex->loc) &&
	    h.version != NULL && mg_ex_known_old(h.version) &&
	    mg_ex_post_fed_plain(ex, text, len) == MG_OK)
		return;
	if (mg_rpc_parse(text, len, &m, &err) != MG_OK) {
		mg_ex_refuse(ex, 400, err.id, err.code, err.message);
		mg_rpc_err_clear(&err);
		return;
	}
	if (mg_era_is_2026(&h, &m, mg_ex_known_old)) {
		ex_post_2026(ex, &h, &m, text, len);
		mg_rpc_msg_clear(&m);
		return;
	}
	if (h.version != NULL && !mg_ex_known_old(h.version)) {
		mg_ex_refuse_old_version(
		    ex, m.kind == MG_RPC_REQUEST ? m.id : NULL);
		mg_rpc_msg_clear(&m);
		return;
	}
	pm.m = &m;
	if (mg_phase_message(ex, &pm) != MG_OK) {
		mg_rpc_msg_clear(&m);
		return;
	}
	/* a federated route: to every member, or on to the one */
	if (ex->loc->members != NULL &&
	    mg_ex_fed(ex, &m, &text, &len) == MG_OK) {
		mg_rpc_msg_clear(&m);
		return;
	}
	if (ex->upstream != NULL) {
		if (ex->upstream->protocol == MG_PROTOCOL_2026)
			mg_ex_post_reverse(ex, &m);
		else if (m.kind == MG_RPC_REQUEST &&
		    strcmp(m.method, "ping") == 0 &&
		    mg_http_req_header(ex->req, "Mcp-Session-Id") == NULL)
			ex_run(
			    ex, &m, 1); /* the gateway answers: it is alive */
		else
			mg_ex_post_relay(ex, &m, text, len);
		mg_rpc_msg_clear(&m);
		return;
	}
	if (m.kind == MG_RPC_REQUEST && strcmp(m.method, "initialize") == 0) {
		snprintf(ex->rpc_method, sizeof(ex->rpc_method), "initialize");
		ex_initialize(ex, &m);
	} else if (m.kind == MG_RPC_REQUEST && strcmp(m.method, "ping") == 0 &&
	    mg_http_req_header(ex->req, "Mcp-Session-Id") == NULL) {
		ex_run(ex, &m, 1); /* ping needs no session */
	} else if (mg_ex_check_session(ex) == MG_OK) {
		if (m.kind == MG_RPC_BATCH)
			ex_batch(ex, &m);
		else
			ex_run(ex, &m, 1);
	}
	mg_rpc_msg_clear(&m);
}
