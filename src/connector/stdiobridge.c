/*
 * The bridge for stdio upstreams (the connector): 2026-07-28 clients
 * carried to a stdio server that speaks only the 2025 revisions, over one
 * process the connector runs for all of them, as upbridge.c does over one
 * HTTP session; the era rules both share are upask.c's.
 *
 * The process is started by the first bridged request while the others
 * wait, and initialized with the bridge's client capabilities
 * (MG_UPASK_INIT_PARAMS); its answer also answers server/discover.  Each
 * request goes with an id of the bridge's own ("mcpgw-N": the process is
 * shared), and its answer comes back by that id.  The process's requests
 * to a client (elicitation, sampling, roots) are answered or parked for
 * the client's retry (upask.c).  If the process exits, its waiting
 * exchanges end with an error at once, and the next request starts
 * another.  One idle for session_timeout is stopped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "bridge.h"
#include "era.h"
#include "httpmsg.h"
#include "ipc.h"
#include "jsonrpc.h"
#include "log.h"
#include "stdioup.h"

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The bridge's process for UP: running, or started now (and sent our
 * initialize).  NULL: it cannot start (logged). */
static proc_t *
bridge_proc(mg_stdio_t *s, const mg_upstream_t *up)
{
	static const char init[] =
	    "{\"jsonrpc\":\"2.0\",\"id\":" STDIO_REINIT_ID
	    ",\"method\":\"initialize\",\"params\":" MG_UPASK_INIT_PARAMS "}";
	proc_t *p;

	for (p = s->procs; p != NULL; p = p->next)
		if (p->bridge && p->up == up && !p->stopping)
			return p;
	if ((p = mg_stdio_spawn(s, up, "")) == NULL)
		return NULL;
	p->bridge = 1;
	mg_info("upstream \"%s\": pid %d is the process of its 2026-07-28 "
		"clients",
	    up->name, (int)p->pid);
	mg_stdio_write(p, init, sizeof(init) - 1);
	return p;
}

/* The process answered our initialize (M, LINE): its waiting exchanges
 * go, or it is stopped (they hear why). */
void
mg_stdbridge_ready(
    proc_t *p, struct json_object *m, const char *line, size_t len)
{
	struct json_object *result, *v;
	mg_stdx_t          *x, *next;

	if (!json_object_object_get_ex(m, "result", &result) ||
	    !json_object_object_get_ex(result, "protocolVersion", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (p->binit = strndup(line, len)) == NULL) {
		mg_stdio_stop(p,
		    "it refused the initialize of the bridge for "
		    "its 2026-07-28 clients");
		return;
	}
	snprintf(
	    p->bversion, sizeof(p->bversion), "%s", json_object_get_string(v));
	mg_stdio_write(p, STDIO_INITIALIZED, sizeof(STDIO_INITIALIZED) - 1);
	p->ready = 1;
	mg_stdtools_fetch(p); /* the Mcp-Param-* checks' tools */
	mg_info("upstream \"%s\": pid %d initialized (version %s) for its "
		"2026-07-28 clients",
	    p->up->name, (int)p->pid, p->bversion);
	for (x = p->xs; x != NULL && !p->stopping; x = next) {
		next = x->next;
		mg_stdbridge_go(x);
	}
}

/* Its response M to the process (an answer on hand, or an error). */
static void
bridge_reply(void *arg, struct json_object *m)
{
	mg_stdx_t  *x = arg;
	const char *text;
	size_t      len;

	text = json_object_to_json_string_length(
	    m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (x->p != NULL && text != NULL)
		mg_stdio_write(x->p, text, len);
}

/* ---- subscriptions/listen ------------------------------------------- */

/*
 * A 2026-07-28 client's subscriptions/listen is served here, as
 * uplisten.c serves it over HTTP: agreed to what the process's
 * initialize promised, acknowledged at once, kept open on the process;
 * list changes and resource updates the process writes go to the
 * listens whose filters want them, never to a request's stream; the URIs
 * the listens want are resources/subscribe'd (counted; unsubscribed when
 * none does).  If the process exits, the listens end with an error (the
 * client listens again).
 */

/* Write METHOD (resources/subscribe or unsubscribe) of URI to P, under
 * an id of the bridge's (its answer, to no exchange, is dropped). */
static void
bridge_post(proc_t *p, const char *method, const char *uri)
{
	struct json_object *m = json_object_new_object(), *params;
	char                id[48];
	const char         *text;
	size_t              len;

	snprintf(id, sizeof(id), "mcpgw-%llu",
	    (unsigned long long)++p->s->bridge_ids);
	json_object_object_add(m, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(m, "id", json_object_new_string(id));
	json_object_object_add(m, "method", json_object_new_string(method));
	params = json_object_new_object();
	json_object_object_add(params, "uri", json_object_new_string(uri));
	json_object_object_add(m, "params", params);
	text = json_object_to_json_string_length(
	    m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	mg_stdio_write(p, text, len);
	json_object_put(m);
}

/* The URIs X's listen agreed to: one more (DELTA 1) or one less (-1)
 * listen of P wants each. */
static void
bridge_subs(mg_stdx_t *x, proc_t *p, int delta)
{
	struct json_object *uris, *v;
	const char         *uri;
	int                 n;

	if (!json_object_object_get_ex(
		x->filter, "resourceSubscriptions", &uris))
		return;
	if (p->subs == NULL)
		p->subs = json_object_new_object();
	for (size_t i = 0; i < json_object_array_length(uris); i++) {
		uri =
		    json_object_get_string(json_object_array_get_idx(uris, i));
		n = json_object_object_get_ex(p->subs, uri, &v)
		    ? json_object_get_int(v)
		    : 0;
		n += delta;
		if (n <= 0)
			json_object_object_del(p->subs, uri);
		else
			json_object_object_add(
			    p->subs, uri, json_object_new_int(n));
		if (!p->stopping && ((delta > 0 && n == 1) || n == 0))
			bridge_post(p,
			    delta > 0 ? "resources/subscribe"
				      : "resources/unsubscribe",
			    uri);
	}
}

static void
bridge_listen(mg_stdx_t *x, proc_t *p)
{
	struct json_object *agreed = mg_upask_listen_agree(p->binit, x->filter);

	json_object_put(x->filter);
	x->filter = agreed;
	mg_stdx_head(x, 200, MG_RESP_SSE, "", p->bversion);
	mg_upask_listen_ack(&x->ops, x->listen_id, agreed);
	bridge_subs(x, p, 1);
}

/* X's listen ends (P: its process). */
void
mg_stdbridge_unlisten(mg_stdx_t *x, proc_t *p)
{
	if (x->head_sent) /* agreed: its subscriptions given back */
		bridge_subs(x, p, -1);
}

/* A message M of P, if a listen takes its kind: to the listens that want
 * it (1), else 0. */
int
mg_stdbridge_notify(proc_t *p, struct json_object *m)
{
	struct json_object *uri;
	const char         *kind = mg_upask_listen_kind(m, &uri);

	if (kind == NULL)
		return 0;
	if (strcmp(kind, "toolsListChanged") == 0)
		mg_stdtools_fetch(p); /* the Mcp-Param-* checks' tools */
	for (mg_stdx_t *x = p->xs; x != NULL; x = x->next)
		if (x->listen_id != NULL && x->head_sent)
			mg_upask_listen_send(
			    &x->ops, x->listen_id, x->filter, m, kind, uri);
	return 1;
}

/* ---- requests -------------------------------------------------------- */

/* X's process is ready: server/discover answered from its initialize,
 * a request sent. */
void
mg_stdbridge_go(mg_stdx_t *x)
{
	proc_t *p = x->p;

	if (p == NULL || !p->ready)
		return;
	if (x->listen_id != NULL) {
		bridge_listen(x, p);
		return;
	}
	if (x->discover) {
		mg_stdx_head(x, 200, MG_RESP_JSON, "", p->bversion);
		x->ops.data(x->ops.arg, p->binit, strlen(p->binit));
		mg_stdx_end(x, 0, NULL);
		return;
	}
	if (x->body != NULL && mg_stdtools_check(x, p) == MG_OK)
		mg_stdx_send(x);
}

/*
 * Clients choose their progressTokens (an SDK takes the request's id,
 * 0, 1 ..): two clients' tokens may be the same, and the process has one
 * stdout for both.  A bridged request's token is made its bridge id
 * (ID), unique; its progress notifications are told by it, and go back
 * to the client with its own token.  MG_ERROR: out of memory.
 */
static int
bridge_token(mg_stdx_t *x, const char *id, const char *key)
{
	struct json_object *root, *params, *meta, *tok;
	const char         *text;
	size_t              len;

	if (x->progress == NULL)
		return MG_OK;
	root = mg_json_parse(x->body, x->body_len);
	if (!json_object_object_get_ex(root, "params", &params) ||
	    !json_object_object_get_ex(params, "_meta", &meta) ||
	    !json_object_object_get_ex(meta, "progressToken", &tok)) {
		json_object_put(root);
		return MG_OK;
	}
	x->token = json_object_get(tok);
	json_object_object_add(
	    meta, "progressToken", json_object_new_string(id));
	text = json_object_to_json_string_length(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	free(x->body);
	free(x->progress);
	x->body = text != NULL ? strndup(text, len) : NULL;
	x->body_len = len;
	x->progress = strdup(key);
	json_object_put(root);
	return x->body != NULL && x->progress != NULL ? MG_OK : MG_ERROR;
}

/* The request as the process carries it: an id of the bridge's own (and
 * progressToken), the client's inputResponses kept on hand.  MG_ERROR:
 * out of memory. */
static int
bridge_body(mg_stdx_t *x, const mg_up_req_t *req)
{
	char   id[48], key[52];
	size_t len;

	snprintf(id, sizeof(id), "mcpgw-%llu",
	    (unsigned long long)++x->s->bridge_ids);
	x->body = mg_upask_rewrite(&x->ask, req->body, req->body_len, id, &len);
	if (x->body != NULL) {
		snprintf(key, sizeof(key), "\"%s\"", id);
		free(x->key); /* the client's */
		x->key = strdup(key);
		x->body_len = len;
		if (x->key == NULL)
			return MG_ERROR;
		return bridge_token(x, id, key);
	}
	/* not a request (a notification): without the new era's _meta,
	 * answered 202 */
	if ((x->body = mg_bridge_notification_for_session(
		 req->body, req->body_len, &len)) != NULL) {
		x->body_len = len;
		return MG_OK;
	}
	if ((x->body = malloc(req->body_len ? req->body_len : 1)) == NULL)
		return MG_ERROR;
	memcpy(x->body, req->body, req->body_len);
	x->body_len = req->body_len;
	return MG_OK;
}

/* X waits for the process as long as read_timeout, from now (a listen:
 * as long as it likes). */
static void
bridge_wait(mg_stdx_t *x)
{
	struct timeval tv = { x->up->read_timeout / 1000,
		(x->up->read_timeout % 1000) * 1000 };

	if (x->up->read_timeout > 0)
		evtimer_add(x->timer, &tv);
}

/* A 2026-07-28 request X (REQ) to a stdio upstream: over the bridge's
 * process, which may have to start first; refused (on the next turn of
 * the loop, stdx_go) if it cannot go. */
void
mg_stdbridge_enter(mg_stdx_t *x, const mg_up_req_t *req)
{
	proc_t *p;

	x->bridged = 1;
	x->discover = req->discover;
	mg_upask_init(&x->ask, x->s->base, &x->ops, bridge_reply, x, req->caps);
	if (strcmp(req->version, MG_ERA_2026) != 0) {
		mg_stdx_refuse_later(x, STDIO_REFUSE_END,
		    MG_MCP_ERR_UNSUPPORTED_VERSION,
		    "this protocol version is not served on this route");
		return;
	}
	if (x->method != MG_HTTP_POST) {
		mg_stdx_refuse_later(x, 405, MG_RPC_INVALID_REQUEST,
		    "a 2026-07-28 client only POSTs");
		return;
	}
	if ((p = bridge_proc(x->s, x->up)) == NULL) {
		mg_stdx_refuse_later(x, 503, STDIO_ERR,
		    "the stdio server could not be started (see the error "
		    "log); try again later");
		return;
	}
	if (x->discover ||
	    (x->listen_id = mg_upask_listen_of(
		 req->body, req->body_len, &x->filter)) != NULL) {
		/* served here (mg_stdbridge_go): no line of the process is
		 * for it */
		free(x->key);
		free(x->progress);
		x->key = x->progress = NULL;
		mg_stdx_attach(x, p);
		if (x->discover)
			bridge_wait(x);
		return;
	}
	/* a tools/call as the client sent it, for its Mcp-Param-* checks */
	if (memmem(req->body, req->body_len, "tools/call", 10) != NULL &&
	    ((x->call = malloc(req->body_len + 1)) == NULL ||
		(x->lines = malloc(req->headers_len + 1)) == NULL)) {
		mg_stdx_refuse_later(x, 503, STDIO_ERR, "out of memory");
		return;
	}
	if (x->call != NULL) {
		memcpy(x->call, req->body, req->body_len);
		x->call_len = req->body_len;
		if (req->headers_len > 0)
			memcpy(x->lines, req->headers, req->headers_len);
		x->lines_len = req->headers_len;
	}
	/* its own id from here on: refused before, it hears the client's */
	if (bridge_body(x, req) != MG_OK) {
		mg_stdx_refuse_later(x, 503, STDIO_ERR, "out of memory");
		return;
	}
	mg_stdx_attach(x, p);
	bridge_wait(x);
}

/* A message of the process on X's stream: on to the client, unless it
 * is a request of the process (upask.c). */
void
mg_stdbridge_message(mg_stdx_t *x, const char *line, size_t len)
{
	struct json_object *m, *params;
	const char         *text;
	size_t              tlen;

	mg_stdx_head(x, 200, MG_RESP_SSE, "", "");
	/* a progress notification: with the client's own token */
	if (x->token == NULL ||
	    memmem(line, len, "notifications/progress", 22) == NULL ||
	    (m = mg_json_parse(line, len)) == NULL) {
		mg_upask_message(&x->ask, line, len);
		return;
	}
	if (json_object_object_get_ex(m, "params", &params) &&
	    json_object_object_get_ex(params, "progressToken", NULL))
		json_object_object_add(
		    params, "progressToken", json_object_get(x->token));
	text = json_object_to_json_string_length(
	    m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &tlen);
	mg_upask_message(&x->ask, text, tlen);
	json_object_put(m);
}

void
mg_stdbridge_park(mg_stdx_t *x, const mg_up_ops_t *ops)
{
	x->ask.parked = 1;
	x->ops = *ops;
}

void
mg_stdbridge_resume(mg_stdx_t *x, const mg_up_ops_t *ops, const char *body,
    size_t len, int caps)
{
	x->ops = *ops;
	x->ops.head(x->ops.arg, 200, MG_RESP_SSE, "",
	    x->p != NULL ? x->p->bversion : "");
	mg_upask_resume(&x->ask, body, len, caps);
}

/* P, the bridge's process, has no exchange left: idle from now. */
void
mg_stdbridge_idle(proc_t *p)
{
	p->bused = mono_ms();
}

/* The bridge's processes no exchange has used for IDLE_MS (all, IDLE_MS
 * < 0) are stopped: the next request starts another. */
void
mg_stdbridge_take(mg_stdio_t *s, int64_t idle_ms)
{
	int64_t now = mono_ms();

	for (proc_t *p = s->procs; p != NULL; p = p->next) {
		if (!p->bridge || p->stopping || p->xs != NULL)
			continue;
		if (idle_ms >= 0 && now - p->bused < idle_ms)
			continue;
		mg_stdio_stop(p,
		    idle_ms >= 0 ? "the bridge's process idled for "
				   "session_timeout"
				 : "stopping the bridge");
	}
}
