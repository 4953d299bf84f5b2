/*
 * The bridge, on the connector's side: 2026-07-28 clients carried to an
 * upstream that speaks only the 2025 revisions, over one session the
 * connector holds with it for them; the upstream's requests to those
 * clients, answered here or parked for their retry (the worker's side is
 * in worker/, the translation in proto/bridge.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "bridge.h"
#include "era.h"
#include "httpmsg.h"
#include "ipc.h"
#include "jsonrpc.h"
#include "log.h"
#include "upask.h"
#include "upx.h"

/* The bridge's own posts to one upstream (answers to its requests) in
 * flight at once: an upstream that streams requests faster than it takes
 * the answers gets no more connections than this. */
#define UP_BRIDGE_POSTS_MAX 8

static void bridge_own_request(upx_t *x);

/* ---- the bridge: 2026-07-28 clients, an upstream of 2025 --------------- */

/*
 * A 2026-07-28 client's request to an upstream that speaks only the 2025
 * revisions goes over one session the connector opens for all such
 * clients (initialize without client capabilities, so the upstream asks
 * them nothing), opened by the first request while the others wait; the
 * upstream's initialize answer also answers server/discover.  The worker
 * turns the answers into the new era's (wbridge.c).
 */

/* The upstream's initialize answer, for server/discover. */
void
mg_upbridge_capture(upx_t *x, const char *msg, size_t len)
{
	mg_pool_t          *p = x->pool;
	struct json_object *root = mg_json_parse(msg, len), *result, *v;

	if (root != NULL &&
	    json_object_object_get_ex(root, "result", &result) &&
	    json_object_object_get_ex(result, "protocolVersion", &v) &&
	    json_object_is_type(v, json_type_string)) {
		snprintf(p->bridge_version, sizeof(p->bridge_version), "%s",
		    json_object_get_string(v));
		free(p->bridge_init);
		p->bridge_init = mg_upx_copy(msg, len);
	}
	json_object_put(root);
}

/* An answer given without asking the upstream: server/discover from its
 * initialize, or a version the bridge does not carry. */
void
mg_upbridge_later(evutil_socket_t fd, short what, void *arg)
{
	upx_t      *x = arg;
	const char *init = x->pool->bridge_init;

	if (x->refusal != NULL) { /* its Mcp-Param-* headers (uptools.c) */
		x->head_sent = 1;
		x->ops.head(
		    x->ops.arg, 200, MG_RESP_JSON, "", x->pool->bridge_version);
		x->ops.data(x->ops.arg, x->refusal, strlen(x->refusal));
		mg_upx_end(x, 0, "%s", "");
		return;
	}
	if (x->unsupported || init == NULL) {
		mg_upx_end(x, MG_MCP_ERR_UNSUPPORTED_VERSION,
		    "protocol version %s is not served on this route",
		    x->version);
		return;
	}
	x->head_sent = 1;
	x->ops.head(x->ops.arg, 200, MG_RESP_JSON, "", x->pool->bridge_version);
	x->ops.data(x->ops.arg, init, strlen(init));
	mg_upx_end(x, 0, "%s", "");
}

void
mg_upbridge_go(upx_t *x)
{
	snprintf(x->sid, sizeof(x->sid), "%s", x->pool->bridge_sid);
	snprintf(x->version, sizeof(x->version), "%s", x->pool->bridge_version);
	x->step = STEP_REQUEST;
	if (!x->on_bridge) {
		x->on_bridge = 1;
		x->pool->bridge_busy++;
	}
	if (x->discover)
		event_active(x->later, EV_TIMEOUT, 1);
	else if (mg_uptools_check(x) == MG_OK) {
		bridge_own_request(x);
		if (x->listen_id != NULL)
			mg_upbridge_listen(x);
		else
			mg_upx_send(x);
	}
}

static void
bridge_open(upx_t *x)
{
	x->pool->bridge = BRIDGE_OPENING;
	x->pool->opener = x;
	x->step = STEP_BRIDGE_INIT;
	mg_upx_send(x);
}

void
mg_upbridge_enter(upx_t *x)
{
	mg_pool_t *p = x->pool;

	x->bridged = 1;
	/* a new request (not one retried after a 404) at another version
	 * than 2026-07-28: this route serves the 2025 ones with sessions */
	if (strcmp(x->version, MG_ERA_2026) != 0 && !x->retried) {
		x->unsupported = 1;
		event_active(x->later, EV_TIMEOUT, 1);
		return;
	}
	if (p->bridge == BRIDGE_OPEN)
		mg_upbridge_go(x);
	else if (p->bridge == BRIDGE_OPENING) {
		x->wait_next = p->waiting;
		p->waiting = x;
	} else
		bridge_open(x);
}

/* X ends or its client left: out of the queue; if it was opening the
 * session, the next in the queue opens it, or with CODE (it failed)
 * everyone waiting hears WHY. */
void
mg_upbridge_leave(upx_t *x, int code, const char *why)
{
	mg_pool_t *p = x->pool;
	upx_t    **pp, *w;

	if (mg_uptools_leave(x))
		return;
	for (pp = &p->waiting; *pp != NULL; pp = &(*pp)->wait_next)
		if (*pp == x) {
			*pp = x->wait_next;
			return;
		}
	if (p->opener != x)
		return;
	p->opener = NULL;
	p->bridge = BRIDGE_NONE;
	if (code == 0) {
		if ((w = p->waiting) != NULL) {
			p->waiting = w->wait_next;
			bridge_open(w);
		}
		return;
	}
	while ((w = p->waiting) != NULL) {
		p->waiting = w->wait_next;
		mg_upx_release(w, 0);
		mg_upstream_end(&w->ops, code, why);
		mg_upx_free(w);
	}
}

void
mg_upbridge_cancelled(upx_t *x)
{
	struct json_object *m, *params;

	if (!x->bridged || x->bridge_rid[0] == '\0' ||
	    x->step != STEP_REQUEST || x->listen_id != NULL)
		return;
	params = json_object_new_object();
	json_object_object_add(
	    params, "requestId", json_object_new_string(x->bridge_rid));
	json_object_object_add(params, "reason",
	    json_object_new_string("mcpgw: its 2026-07-28 client's request "
				   "ended before the answer"));
	m = json_object_new_object();
	json_object_object_add(m, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(
	    m, "method", json_object_new_string("notifications/cancelled"));
	json_object_object_add(m, "params", params);
	mg_upbridge_send(
	    x->pool, x->ups, x->sid, x->version, x->hops, m, "a cancellation");
	json_object_put(m);
}

/* ---- the upstream's requests to a 2026-07-28 client ------------------- */

/*
 * Answered here or parked for the client's retry by the rules of
 * upask.c; what this file adds is how a response reaches the upstream: a
 * post of its own on the bridge's session.
 */

static void
bridge_post_end(void *arg, int code, const char *message)
{
	mg_pool_t *p = arg;

	p->bridge_posts--;
}

/* Post the message M on the bridge's session SID (at VERSION) of pool P,
 * its answer dropped (WHAT says what it was, should it not go). */
void
mg_upbridge_send(mg_pool_t *p, httpups_t *ups, const char *sid,
    const char *version, int hops, struct json_object *m, const char *what)
{
	mg_up_ops_t ops = { mg_answer_ignore_head, mg_answer_ignore_data,
		mg_answer_ignore_event, bridge_post_end, p, NULL };
	size_t      len;
	const char *text = json_object_to_json_string_length(
	    m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	mg_up_req_t req = { .method = MG_HTTP_POST,
		.hops = hops,
		.up = p->up,
		.sid = sid,
		.version = version,
		.init = "",
		.body = text,
		.body_len = len,
		.last_event_id = "",
		.headers = "" };

	if (p->bridge_posts >= UP_BRIDGE_POSTS_MAX) {
		mg_warn("upstream \"%s\": %d posts of the bridge in flight; "
			"not posting %s for its 2026-07-28 clients",
		    p->up->name, p->bridge_posts, what);
		return;
	}
	/* counted first: the post may end (bridge_post_end) before the
	 * start returns */
	p->bridge_posts++;
	if (text == NULL || mg_upx_start(ups, &req, &ops) == NULL) {
		p->bridge_posts--;
		mg_warn("upstream \"%s\": cannot post %s for its 2026-07-28 "
			"clients",
		    p->up->name, what);
	}
}

/* Post the response M to the upstream's request on the bridge's session
 * (the one X's request lives on). */
static void
bridge_reply(void *arg, struct json_object *m)
{
	upx_t *x = arg;

	mg_upbridge_send(x->pool, x->ups, x->sid, x->version, x->hops, m,
	    "a response to its request");
}

/* The request as the bridge's session carries it: an id of our own (the
 * session is shared), the client's inputResponses kept on hand. */
static void
bridge_own_request(upx_t *x)
{
	char   id[48], *body;
	size_t len;

	if (x->method != MG_HTTP_POST)
		return;
	/* a subscriptions/listen is served here, not sent (mg_upbridge_listen);
	 * what it asks is its filter until it is agreed */
	if (x->listen_id == NULL &&
	    (x->listen_id = mg_upask_listen_of(
		 x->body, x->body_len, &x->filter)) != NULL)
		return;
	snprintf(id, sizeof(id), "mcpgw-%llu",
	    (unsigned long long)++x->ups->bridge_ids);
	body = mg_upask_rewrite(&x->ask, x->body, x->body_len, id, &len);
	if (body != NULL)
		snprintf(x->bridge_rid, sizeof(x->bridge_rid), "%s", id);
	if (body == NULL) /* a notification: without the new era's _meta */
		body = mg_bridge_notification_for_session(
		    x->body, x->body_len, &len);
	if (body == NULL)
		return; /* neither: as it is */
	free(x->body_alloc);
	x->body = x->body_alloc = body;
	x->body_len = len;
}

/* One message of a bridged answer: on to the client, unless it is a
 * request of the upstream (upask.c), or a list change or resource update
 * sent on a request's stream, which 2026-07-28 carries on listens only
 * (uplisten.c). */
void
mg_upbridge_message(upx_t *x, const char *msg, size_t len)
{
	if (memmem(msg, len, "\"method\"", 8) != NULL &&
	    mg_upbridge_notify(x->pool, msg, len))
		return;
	mg_upask_message(&x->ask, msg, len);
}

void
mg_upbridge_park(mg_upx_t *h, const mg_up_ops_t *ops)
{
	upx_t *x = (upx_t *)h;

	x->ask.parked = 1;
	x->ops = *ops;
}

void
mg_upbridge_resume(
    mg_upx_t *h, const mg_up_ops_t *ops, const char *body, size_t len, int caps)
{
	upx_t *x = (upx_t *)h;

	x->ops = *ops;
	x->ops.head(x->ops.arg, 200, MG_RESP_SSE, "", x->version);
	mg_upask_resume(&x->ask, body, len, caps);
}

/* X starts: its part in the upstream's requests to its client. */
void
mg_upbridge_ask_init(upx_t *x, int caps)
{
	mg_upask_init(&x->ask, x->ups->base, &x->ops, bridge_reply, x, caps);
}

const char *
mg_upbridge_version(const mg_upx_t *h)
{
	return ((const upx_t *)h)->version;
}

void
mg_upbridge_take(void *state, int64_t idle_ms,
    void (*fn)(void *arg, const mg_upstream_t *up, const char *sid,
	const char *version),
    void *arg)
{
	httpups_t *ups = state;
	int64_t    now = mg_upx_mono_ms();

	for (size_t i = 0; i < ups->npools; i++) {
		mg_pool_t *p = &ups->pools[i];

		if (p->up == NULL || p->bridge != BRIDGE_OPEN ||
		    p->bridge_busy > 0 ||
		    (idle_ms >= 0 && now - p->bridge_used < idle_ms))
			continue;
		p->bridge = BRIDGE_NONE;
		mg_info("upstream \"%s\": closing the session of its "
			"2026-07-28 clients (%s)",
		    p->up->name,
		    idle_ms >= 0 ? "idle for session_timeout" : "stopping");
		fn(arg, p->up, p->bridge_sid, p->bridge_version);
	}
}

/* What the bridge holds in pool P: its GET stream, subscriptions, the
 * upstream's initialize answer. */
void
mg_upbridge_pool_free(mg_pool_t *p)
{
	if (p->get != NULL)
		mg_upx_cancel(p->get);
	if (p->get_again != NULL)
		event_free(p->get_again);
	json_object_put(p->subs);
	free(p->bridge_init);
	mg_uptools_free(p);
}
