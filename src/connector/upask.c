/*
 * The bridge's era rules that its transports share (the connector): a
 * 2026-07-28 request rewritten for the bridge's 2025 session, the
 * upstream's requests to its 2026-07-28 client answered or held as the
 * client's input, and subscriptions/listen agreed and fanned out
 * (upask.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "bridge.h"
#include "era.h"
#include "jsonrpc.h"
#include "upask.h"

/*
 * Over the bridge, a request of the upstream to its client (elicitation,
 * sampling, roots) goes to the worker with its key in inputRequests set
 * in params._meta (bridge.h); the worker gathers them into an
 * input_required result and parks the exchange (MG_MSG_PARK,
 * connector.c).  The client's retry resumes it: its inputResponses are
 * posted upstream as the responses, by key.  Answers on hand (sent with
 * a request, or not used yet) answer a later request of the same key at
 * once.  A ping is answered here; a method the bridge does not carry
 * gets an error.
 *
 * A request for a capability the client did not declare is refused
 * (-32601), but not at once: a 2025 server asks what its session
 * declared, and may ask the declared things in the same breath (the SDK's
 * shim sends every input request of a round together, and gives up the
 * round at the first error).  Refused at once, it would fail the round
 * before the client is asked the rest; so it waits UPASK_REFUSE_MS, time
 * for the worker to gather the others into an input_required result and
 * park the exchange, and is then refused when the client's retry comes
 * (mg_upask_resume), or at the end of the wait if nothing was parked.
 * Should the request then fail, the worker hears which capability was
 * refused (MG_BRIDGE_REFUSED) and answers -32021.
 */
#define UPASK_REFUSE_MS 100

void
mg_upask_init(mg_upask_t *a, struct event_base *base, const mg_up_ops_t *ops,
    void (*reply)(void *arg, struct json_object *m), void *arg, int caps)
{
	a->base = base;
	a->ops = ops;
	a->reply = reply;
	a->arg = arg;
	a->caps = caps;
}

/* The response to the upstream's request ID: RESULT (a reference
 * taken), or an error CODE and MESSAGE. */
static void
ask_reply(mg_upask_t *a, struct json_object *id, struct json_object *result,
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
	a->reply(a->arg, m);
	json_object_put(m);
}

/* The client's inputResponses (objects only) among the answers on hand. */
static void
ask_add_answers(mg_upask_t *a, struct json_object *answers)
{
	if (!json_object_is_type(answers, json_type_object))
		return;
	if (a->answers == NULL)
		a->answers = json_object_new_object();
	json_object_object_foreach(answers, key, v)
	{
		if (json_object_is_type(v, json_type_object))
			json_object_object_add(
			    a->answers, key, json_object_get(v));
	}
}

/* An answer on hand for KEY: posted as the response to ID, used up. */
static int
ask_answer(mg_upask_t *a, const char *key, struct json_object *id)
{
	struct json_object *v;

	if (!json_object_object_get_ex(a->answers, key, &v))
		return 0;
	ask_reply(a, id, v, 0, NULL);
	json_object_object_del(a->answers, key);
	return 1;
}

char *
mg_upask_rewrite(mg_upask_t *a, const char *body, size_t len, const char *id,
    size_t *out_len)
{
	struct json_object *answers = NULL;
	char               *text;

	text = mg_bridge_request_for_session(body, len, id, &answers, out_len);
	if (text != NULL)
		ask_add_answers(a, answers);
	json_object_put(answers);
	return text;
}

/* Refuse the requests A holds; NOTE: tell the worker (A's ops live). */
static void
ask_refuse(mg_upask_t *a, int note)
{
	struct json_object *r = a->refusing;
	char                why[160], text[160];

	if (r == NULL)
		return;
	a->refusing = NULL;
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
		ask_reply(a, id, NULL, MG_RPC_METHOD_NOT_FOUND, why);
		if (!note)
			continue;
		n = snprintf(text, sizeof(text),
		    "{\"jsonrpc\":\"2.0\",\"method\":\"%s\","
		    "\"params\":{\"capability\":\"%s\"}}",
		    MG_BRIDGE_REFUSED,
		    mg_bridge_cap_name(json_object_get_int(need)));
		a->ops->event(a->ops->arg, NULL, -1, text, (size_t)n);
	}
	json_object_put(r);
}

static void
ask_refuse_due(evutil_socket_t fd, short what, void *arg)
{
	mg_upask_t *a = arg;

	(void)fd, (void)what;
	if (!a->parked) /* else the retry refuses them */
		ask_refuse(a, 1);
}

static void
ask_refuse_later(
    mg_upask_t *a, struct json_object *id, const char *method, int need)
{
	struct json_object *e = json_object_new_object();
	struct timeval      tv = { 0, UPASK_REFUSE_MS * 1000 };

	json_object_object_add(e, "id", json_object_get(id));
	json_object_object_add(e, "method", json_object_new_string(method));
	json_object_object_add(e, "need", json_object_new_int(need));
	if (a->refusing == NULL)
		a->refusing = json_object_new_array();
	json_object_array_add(a->refusing, e);
	if (a->parked)
		return;
	if (a->refuse_timer == NULL)
		a->refuse_timer = evtimer_new(a->base, ask_refuse_due, a);
	if (a->refuse_timer == NULL)
		ask_refuse(a, 1);
	else if (!evtimer_pending(a->refuse_timer, NULL))
		evtimer_add(a->refuse_timer, &tv);
}

/* A request the client must answer: with an answer on hand, or to the
 * client under its key (held while parked). */
static void
ask_client(mg_upask_t *a, struct json_object *root, struct json_object *id)
{
	struct json_object *ask;
	char                key[MG_BRIDGE_KEY_MAX + 8];
	const char         *text;
	size_t              tlen;

	mg_bridge_input_key(root, a->asks, key, sizeof(key));
	if (ask_answer(a, key, id))
		return;
	json_object_object_add(mg_bridge_meta(root), MG_BRIDGE_INPUT_KEY,
	    json_object_new_string(key));
	text = json_object_to_json_string_length(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &tlen);
	if (a->asks == NULL)
		a->asks = json_object_new_object();
	ask = json_object_new_object();
	json_object_object_add(ask, "id", json_object_get(id));
	json_object_object_add(
	    ask, "msg", json_object_new_string_len(text, (int)tlen));
	json_object_object_add(a->asks, key, ask);
	/* parked: the retry hears it (mg_upask_resume) */
	if (!a->parked)
		a->ops->event(a->ops->arg, NULL, -1, text, tlen);
}

void
mg_upask_message(mg_upask_t *a, const char *msg, size_t len)
{
	struct json_object *root, *method, *id;
	const char         *name;
	char                why[160];
	int                 need;

	/* the answer itself, most messages, is not read here */
	if (memmem(msg, len, "\"method\"", 8) == NULL ||
	    (root = mg_json_parse(msg, len)) == NULL) {
		a->ops->event(a->ops->arg, NULL, -1, msg, len);
		return;
	}
	if (!json_object_object_get_ex(root, "method", &method) ||
	    !json_object_object_get_ex(root, "id", &id)) {
		json_object_put(root);
		a->ops->event(a->ops->arg, NULL, -1, msg, len);
		return;
	}
	name = json_object_get_string(method);
	need = mg_bridge_ask_need(name);
	if (need == 0) {
		struct json_object *empty = json_object_new_object();

		ask_reply(a, id, empty, 0, NULL);
		json_object_put(empty);
	} else if (need < 0) {
		snprintf(why, sizeof(why),
		    "Method not found: %.80s does not cross mcpgw's bridge to "
		    "a 2026-07-28 client",
		    name);
		ask_reply(a, id, NULL, MG_RPC_METHOD_NOT_FOUND, why);
	} else if (!(a->caps & need))
		ask_refuse_later(a, id, name, need);
	else
		ask_client(a, root, id);
	json_object_put(root);
}

void
mg_upask_resume(mg_upask_t *a, const char *body, size_t len, int caps)
{
	struct json_object *root = mg_json_parse(body, len), *params, *answers,
			   *still;

	a->parked = 0;
	a->caps = caps;
	if (json_object_object_get_ex(root, "params", &params) &&
	    json_object_object_get_ex(params, "inputResponses", &answers))
		ask_add_answers(a, answers);
	json_object_put(root);
	if (a->asks != NULL) {
		/* the requests answered go upstream; the others to the client
		 * again */
		still = json_object_new_object();
		json_object_object_foreach(a->asks, key, ask)
		{
			struct json_object *id = NULL, *msg = NULL;

			json_object_object_get_ex(ask, "id", &id);
			json_object_object_get_ex(ask, "msg", &msg);
			if (ask_answer(a, key, id))
				continue;
			json_object_object_add(
			    still, key, json_object_get(ask));
			a->ops->event(a->ops->arg, NULL, -1,
			    json_object_get_string(msg),
			    (size_t)json_object_get_string_len(msg));
		}
		json_object_put(a->asks);
		a->asks = still;
	}
	/* what the client cannot answer: refused */
	ask_refuse(a, 1);
}

void
mg_upask_free(mg_upask_t *a)
{
	if (a->refuse_timer != NULL)
		event_free(a->refuse_timer);
	a->refuse_timer = NULL;
	ask_refuse(a, 0); /* the worker side has gone */
	json_object_put(a->answers);
	json_object_put(a->asks);
	a->answers = a->asks = NULL;
}

/* ---- subscriptions/listen ------------------------------------------- */

static const struct {
	const char *filter, *cap, *key, *method;
} listen_kinds[] = {
	{ "toolsListChanged", "tools", "listChanged",
	    "notifications/tools/list_changed" },
	{ "promptsListChanged", "prompts", "listChanged",
	    "notifications/prompts/list_changed" },
	{ "resourcesListChanged", "resources", "listChanged",
	    "notifications/resources/list_changed" },
};

/* Do CAPS (the upstream's, from its initialize) promise CAP's KEY? */
static int
promises(struct json_object *caps, const char *cap, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(caps, cap, &v) &&
	    json_object_object_get_ex(v, key, &v) && json_object_get_boolean(v);
}

struct json_object *
mg_upask_listen_of(const char *body, size_t len, struct json_object **asked)
{
	struct json_object *root, *v, *params, *want, *id = NULL;

	*asked = NULL;
	if (memmem(body, len, "subscriptions/listen", 20) == NULL ||
	    (root = mg_json_parse(body, len)) == NULL)
		return NULL;
	if (json_object_object_get_ex(root, "method", &v) &&
	    strcmp(json_object_get_string(v), "subscriptions/listen") == 0 &&
	    json_object_object_get_ex(root, "id", &v)) {
		id = json_object_get(v);
		*asked = json_object_object_get_ex(root, "params", &params) &&
			json_object_object_get_ex(
			    params, "notifications", &want) &&
			json_object_is_type(want, json_type_object)
		    ? json_object_get(want)
		    : json_object_new_object();
	}
	json_object_put(root);
	return id;
}

struct json_object *
mg_upask_listen_agree(const char *init, struct json_object *asked)
{
	struct json_object *agreed = json_object_new_object(), *root = NULL,
			   *caps = NULL, *v;

	if (init != NULL && (root = mg_json_parse(init, strlen(init))) &&
	    json_object_object_get_ex(root, "result", &v))
		json_object_object_get_ex(v, "capabilities", &caps);
	for (size_t i = 0; i < MG_NELEM(listen_kinds); i++)
		if (json_object_object_get_ex(
			asked, listen_kinds[i].filter, &v) &&
		    json_object_get_boolean(v) &&
		    promises(caps, listen_kinds[i].cap, listen_kinds[i].key))
			json_object_object_add(agreed, listen_kinds[i].filter,
			    json_object_new_boolean(1));
	if (json_object_object_get_ex(asked, "resourceSubscriptions", &v) &&
	    json_object_is_type(v, json_type_array) &&
	    promises(caps, "resources", "subscribe")) {
		struct json_object *uris = json_object_new_array();

		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *u = json_object_array_get_idx(v, i);

			if (json_object_is_type(u, json_type_string))
				json_object_array_add(uris, json_object_get(u));
		}
		json_object_object_add(agreed, "resourceSubscriptions", uris);
	}
	json_object_put(root);
	return agreed;
}

void
mg_upask_listen_ack(
    const mg_up_ops_t *ops, struct json_object *id, struct json_object *agreed)
{
	struct json_object *ack = json_object_new_object(),
			   *params = json_object_new_object(),
			   *meta = json_object_new_object();
	const char *text;
	size_t      len;

	json_object_object_add(ack, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(ack, "method",
	    json_object_new_string("notifications/subscriptions/acknowledged"));
	json_object_object_add(
	    params, "notifications", json_object_get(agreed));
	json_object_object_add(meta, MG_META_SUBSCRIPTION, json_object_get(id));
	json_object_object_add(params, "_meta", meta);
	json_object_object_add(ack, "params", params);
	text = json_object_to_json_string_length(
	    ack, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	ops->event(ops->arg, NULL, -1, text, len);
	json_object_put(ack);
}

const char *
mg_upask_listen_kind(struct json_object *m, struct json_object **uri)
{
	struct json_object *method, *params;
	const char         *name;

	*uri = NULL;
	if (!json_object_object_get_ex(m, "method", &method) ||
	    json_object_object_get_ex(m, "id", NULL))
		return NULL; /* a request: no listen takes requests */
	name = json_object_get_string(method);
	for (size_t i = 0; i < MG_NELEM(listen_kinds); i++)
		if (strcmp(name, listen_kinds[i].method) == 0)
			return listen_kinds[i].filter;
	if (strcmp(name, "notifications/resources/updated") == 0 &&
	    json_object_object_get_ex(m, "params", &params) &&
	    json_object_object_get_ex(params, "uri", uri))
		return "resourceSubscriptions";
	return NULL;
}

void
mg_upask_listen_send(const mg_up_ops_t *ops, struct json_object *id,
    struct json_object *filter, struct json_object *m, const char *kind,
    struct json_object *uri)
{
	struct json_object *want = NULL;
	const char         *text;
	size_t              len;
	int                 wants = 0;

	if (!json_object_object_get_ex(filter, kind, &want))
		return;
	if (uri == NULL)
		wants = json_object_get_boolean(want);
	else
		for (size_t i = 0; i < json_object_array_length(want); i++)
			wants |= strcmp(json_object_get_string(
					    json_object_array_get_idx(want, i)),
				     json_object_get_string(uri)) == 0;
	if (!wants)
		return;
	json_object_object_add(
	    mg_bridge_meta(m), MG_META_SUBSCRIPTION, json_object_get(id));
	text = json_object_to_json_string_length(
	    m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	ops->event(ops->arg, NULL, -1, text, len);
}
