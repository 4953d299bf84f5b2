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
		w->ops.end(w->ops.arg, code, why);
		mg_upx_free(w);
	}
}

/* ---- the upstream's requests to a 2026-07-28 client ------------------- */

/*
 * Over the bridge, a request of the upstream to its client (elicitation,
 * sampling, roots) goes to the worker with its key in inputRequests set
 * in params._meta (bridge.h); the worker gathers them into an
 * input_required result and parks the exchange here (MG_MSG_PARK,
 * connector.c).  The client's retry resumes it: its inputResponses are
 * posted upstream as the responses, by key.  Answers on hand (sent with
 * a request, or not used yet) answer a later request of the same key at
 * once.  A ping is answered here; a method the client did not declare
 * the capability for, or one the bridge does not carry, gets an error.
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
		mg_answer_ignore_event, bridge_post_end, p };
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

/* Post the response to the upstream's request ID on the bridge's session:
 * RESULT (a reference taken), or an error CODE and MESSAGE. */
static void
bridge_reply(upx_t *x, struct json_object *id, struct json_object *result,
    int code, const char *message)
{
	struct json_object *m = json_object_new_object(), *e;

	json_object_object_add(m, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(m, "id", json_object_get(id));
	if (result != NULL)
		json_object_object_add(m, "result", json_object_get(result));
	else {
		e = json_object_new_object();
		json_object_object_add(e, "code", json_object_new_int(code));
		json_object_object_add(
		    e, "message", json_object_new_string(message));
		json_object_object_add(m, "error", e);
	}
	/* on the session the request lives on */
	mg_upbridge_send(x->pool, x->ups, x->sid, x->version, x->hops, m,
	    "a response to its request");
	json_object_put(m);
}

/* The client's inputResponses (objects only) among the answers on hand. */
static void
bridge_add_answers(upx_t *x, struct json_object *answers)
{
	if (!json_object_is_type(answers, json_type_object))
		return;
	if (x->answers == NULL)
		x->answers = json_object_new_object();
	json_object_object_foreach(answers, key, v)
	{
		if (json_object_is_type(v, json_type_object))
			json_object_object_add(
			    x->answers, key, json_object_get(v));
	}
}

/* An answer on hand for KEY: posted as the response to ID, used up. */
static int
bridge_answer(upx_t *x, const char *key, struct json_object *id)
{
	struct json_object *v;

	if (!json_object_object_get_ex(x->answers, key, &v))
		return 0;
	bridge_reply(x, id, v, 0, NULL);
	json_object_object_del(x->answers, key);
	return 1;
}

/* The request as the bridge's session carries it: an id of our own (the
 * session is shared), the client's inputResponses kept on hand. */
static void
bridge_own_request(upx_t *x)
{
	struct json_object *answers = NULL;
	char                id[48], *body;
	size_t              len;

	if (x->method != MG_HTTP_POST)
		return;
	/* a subscriptions/listen is served here, not sent (mg_upbridge_listen)
	 */
	if (memmem(x->body, x->body_len, "subscriptions/listen", 20) != NULL &&
	    x->listen_id == NULL) {
		struct json_object *root = mg_json_parse(x->body, x->body_len),
				   *v, *params, *asked;

		if (json_object_object_get_ex(root, "method", &v) &&
		    strcmp(json_object_get_string(v), "subscriptions/listen") ==
			0 &&
		    json_object_object_get_ex(root, "id", &v)) {
			x->listen_id = json_object_get(v);
			/* what it asks, until bridge_listen agrees */
			x->filter = json_object_object_get_ex(
					root, "params", &params) &&
				json_object_object_get_ex(
				    params, "notifications", &asked) &&
				json_object_is_type(asked, json_type_object)
			    ? json_object_get(asked)
			    : json_object_new_object();
		}
		json_object_put(root);
		if (x->listen_id != NULL)
			return;
	}
	snprintf(id, sizeof(id), "mcpgw-%llu",
	    (unsigned long long)++x->ups->bridge_ids);
	body = mg_bridge_request_for_session(
	    x->body, x->body_len, id, &answers, &len);
	if (body == NULL)
		return; /* not a request: as it is */
	free(x->body_alloc);
	x->body = x->body_alloc = body;
	x->body_len = len;
	bridge_add_answers(x, answers);
	json_object_put(answers);
}

/*
 * A request of the upstream for a capability the client did not declare
 * is refused (-32601), but not at once: a 2025 server asks what its
 * session declared, and may ask the declared things in the same breath
 * (the SDK's shim sends every input request of a round together, and
 * gives up the round at the first error).  Refused at once, it would
 * fail the round before the client is asked the rest; so it waits
 * UP_BRIDGE_REFUSE_MS, time for the worker to gather the others into an
 * input_required result and park the exchange, and is then refused when
 * the client's retry comes (mg_upbridge_resume), or at the end of the
 * wait if nothing was parked.  Should the request then fail, the worker
 * hears which capability was refused (MG_BRIDGE_REFUSED) and answers
 * -32021.
 */
#define UP_BRIDGE_REFUSE_MS 100

/* Refuse the requests X holds; NOTE: tell the worker (X's ops live). */
static void
bridge_refuse(upx_t *x, int note)
{
	struct json_object *r = x->refusing;
	char                why[160], text[160];

	if (r == NULL)
		return;
	x->refusing = NULL;
	for (size_t i = 0; i < json_object_array_length(r); i++) {
		struct json_object *e = json_object_array_get_idx(r, i), *id,
				   *method, *need;
		int n;

		json_object_object_get_ex(e, "id", &id);
		json_object_object_get_ex(e, "method", &method);
		json_object_object_get_ex(e, "need", &need);
		snprintf(why, sizeof(why),
		    "Method not found: the 2026-07-28 client did not declare "
		    "the capability for %.80s",
		    json_object_get_string(method));
		bridge_reply(x, id, NULL, MG_RPC_METHOD_NOT_FOUND, why);
		if (!note)
			continue;
		n = snprintf(text, sizeof(text),
		    "{\"jsonrpc\":\"2.0\",\"method\":\"%s\","
		    "\"params\":{\"capability\":\"%s\"}}",
		    MG_BRIDGE_REFUSED,
		    mg_bridge_cap_name(json_object_get_int(need)));
		x->ops.event(x->ops.arg, NULL, -1, text, (size_t)n);
	}
	json_object_put(r);
}

static void
bridge_refuse_due(evutil_socket_t fd, short what, void *arg)
{
	upx_t *x = arg;

	(void)fd, (void)what;
	if (!x->parked) /* else the retry refuses them */
		bridge_refuse(x, 1);
}

static void
bridge_refuse_later(
    upx_t *x, struct json_object *id, const char *method, int need)
{
	struct json_object *e = json_object_new_object();
	struct timeval      tv = { 0, UP_BRIDGE_REFUSE_MS * 1000 };

	json_object_object_add(e, "id", json_object_get(id));
	json_object_object_add(e, "method", json_object_new_string(method));
	json_object_object_add(e, "need", json_object_new_int(need));
	if (x->refusing == NULL)
		x->refusing = json_object_new_array();
	json_object_array_add(x->refusing, e);
	if (x->parked)
		return;
	if (x->refuse_timer == NULL)
		x->refuse_timer =
		    evtimer_new(x->ups->base, bridge_refuse_due, x);
	if (x->refuse_timer == NULL)
		bridge_refuse(x, 1);
	else if (!evtimer_pending(x->refuse_timer, NULL))
		evtimer_add(x->refuse_timer, &tv);
}

void
mg_upbridge_forget(upx_t *x)
{
	if (x->refuse_timer != NULL)
		event_free(x->refuse_timer);
	x->refuse_timer = NULL;
	bridge_refuse(x, 0); /* the worker side has gone */
}

/* One message of a bridged answer: on to the client, unless it is a
 * request of the upstream (above). */
void
mg_upbridge_message(upx_t *x, const char *msg, size_t len)
{
	struct json_object *root, *method, *id, *meta, *ask;
	const char         *name, *text;
	char                key[MG_BRIDGE_KEY_MAX + 8], why[160];
	size_t              tlen;
	int                 need;

	/* the answer itself, most messages, is not read here */
	if (memmem(msg, len, "\"method\"", 8) == NULL ||
	    (root = mg_json_parse(msg, len)) == NULL) {
		x->ops.event(x->ops.arg, NULL, -1, msg, len);
		return;
	}
	if (!json_object_object_get_ex(root, "method", &method) ||
	    !json_object_object_get_ex(root, "id", &id)) {
		json_object_put(root);
		/* a list change or resource update sent on a request's
		 * stream: 2026-07-28 carries them on listens only */
		if (mg_upbridge_notify(x->pool, msg, len))
			return;
		x->ops.event(x->ops.arg, NULL, -1, msg, len);
		return;
	}
	name = json_object_get_string(method);
	need = mg_bridge_ask_need(name);
	if (need == 0) {
		struct json_object *empty = json_object_new_object();

		bridge_reply(x, id, empty, 0, NULL);
		json_object_put(empty);
	} else if (need < 0) {
		snprintf(why, sizeof(why),
		    "Method not found: %.80s does not cross mcpgw's bridge to "
		    "a 2026-07-28 client",
		    name);
		bridge_reply(x, id, NULL, MG_RPC_METHOD_NOT_FOUND, why);
	} else if (!(x->caps & need)) {
		bridge_refuse_later(x, id, name, need);
	} else {
		mg_bridge_input_key(root, x->asks, key, sizeof(key));
		if (!bridge_answer(x, key, id)) {
			meta = mg_bridge_meta(root);
			json_object_object_add(meta, MG_BRIDGE_INPUT_KEY,
			    json_object_new_string(key));
			text = json_object_to_json_string_length(root,
			    JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE,
			    &tlen);
			if (x->asks == NULL)
				x->asks = json_object_new_object();
			ask = json_object_new_object();
			json_object_object_add(ask, "id", json_object_get(id));
			json_object_object_add(ask, "msg",
			    json_object_new_string_len(text, (int)tlen));
			json_object_object_add(x->asks, key, ask);
			/* parked: the retry hears it (mg_upstream_resume) */
			if (!x->parked)
				x->ops.event(x->ops.arg, NULL, -1, text, tlen);
		}
	}
	json_object_put(root);
}

void
mg_upbridge_park(mg_upx_t *h, const mg_up_ops_t *ops)
{
	upx_t *x = (upx_t *)h;

	x->parked = 1;
	x->ops = *ops;
}

void
mg_upbridge_resume(
    mg_upx_t *h, const mg_up_ops_t *ops, const char *body, size_t len, int caps)
{
	upx_t              *x = (upx_t *)h;
	struct json_object *root = mg_json_parse(body, len), *params, *answers,
			   *still = json_object_new_object();

	x->parked = 0;
	x->ops = *ops;
	x->caps = caps;
	x->ops.head(x->ops.arg, 200, MG_RESP_SSE, "", x->version);
	if (json_object_object_get_ex(root, "params", &params) &&
	    json_object_object_get_ex(params, "inputResponses", &answers))
		bridge_add_answers(x, answers);
	json_object_put(root);
	if (x->asks == NULL) {
		json_object_put(still);
		if (x->refusing != NULL)
			bridge_refuse(x, 1);
		return;
	}
	/* the requests answered go upstream; the others to the client again */
	json_object_object_foreach(x->asks, key, ask)
	{
		struct json_object *id = NULL, *msg = NULL;

		json_object_object_get_ex(ask, "id", &id);
		json_object_object_get_ex(ask, "msg", &msg);
		if (bridge_answer(x, key, id))
			continue;
		json_object_object_add(still, key, json_object_get(ask));
		x->ops.event(x->ops.arg, NULL, -1, json_object_get_string(msg),
		    (size_t)json_object_get_string_len(msg));
	}
	json_object_put(x->asks);
	x->asks = still;
	/* the rest asked again; what the client cannot answer refused */
	if (x->refusing != NULL)
		bridge_refuse(x, 1);
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
