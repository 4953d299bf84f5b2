/*
 * A 2026-07-28 client's subscriptions/listen on a federated route: one
 * listen per member (each asked for what the client asked, and for the
 * resources that member owns, in its own URIs), one acknowledgement to
 * the client once every member acknowledged or the route's
 * mcp_member_timeout passed (what any member agreed to, in the client's
 * names), then every member's notifications on the one stream, in the
 * client's names.  The stream ends when the client leaves, or when no
 * member's listen is left.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "fedpriv.h"

#define ACK "notifications/subscriptions/acknowledged"

/* What the members agreed to, as one, to the client: booleans if any
 * member's is true, the resources of all (in the client's URIs). */
static void
ack_merge(mg_fed_t *f, const mg_member_t *m, struct json_object *agreed)
{
	struct json_object *into = f->data, *v, *cur;

	/* a member's word only: not an object, nothing agreed (json-c's
	 * foreach reads any other type as a NULL table) */
	if (!json_object_is_type(agreed, json_type_object))
		return;
	json_object_object_foreach(agreed, key, val)
	{
		if (json_object_is_type(val, json_type_array)) {
			if (!json_object_object_get_ex(into, key, &cur)) {
				cur = json_object_new_array();
				json_object_object_add(into, key, cur);
			}
			for (size_t i = 0; i < json_object_array_length(val);
			     i++) {
				char *u;

				v = json_object_array_get_idx(val, i);
				if (!json_object_is_type(v, json_type_string) ||
				    (u = mg_fed_uri_out(f->ex->loc, m,
					 json_object_get_string(v))) == NULL)
					continue;
				json_object_array_add(
				    cur, json_object_new_string(u));
				free(u);
			}
		} else if (json_object_get_boolean(val))
			json_object_object_add(
			    into, key, json_object_new_boolean(1));
	}
}

static void
ack_send(mg_fed_t *f)
{
	mg_mcp_ex_t        *ex = f->ex;
	struct json_object *params, *meta;
	struct evbuffer    *out;

	if (f->finished || ex->req == NULL)
		return;
	f->finished = 1;
	evtimer_del(f->timer);
	params = json_object_new_object();
	meta = json_object_new_object();
	json_object_object_add(
	    meta, MG_META_SUBSCRIPTION, json_object_get(ex->req_id));
	json_object_object_add(
	    params, "notifications", json_object_get(f->data));
	json_object_object_add(params, "_meta", meta);
	out = evbuffer_new();
	mg_rpc_write_notification(out, ACK, params);
	json_object_put(params);
	mg_ex_event(ex, out);
	evbuffer_free(out);
}

static void
ack_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ack_send(arg);
}

static void
listen_head(
    void *arg, int status, int kind, const char *sid, const char *version)
{
	mg_fed_leg_t *l = arg;

	(void)kind;
	(void)sid;
	(void)version;
	l->status = status;
}

/* A member's message: its acknowledgement merged, the rest passed on
 * in the client's names (not its result: the client's stream ends when
 * the client or the last member ends it). */
static void
listen_message(mg_fed_leg_t *l, const char *msg, size_t len)
{
	mg_fed_t           *f = l->fed;
	mg_mcp_ex_t        *ex = f->ex;
	mg_rpc_msg_t        m;
	mg_rpc_err_t        err;
	struct json_object *agreed;
	struct evbuffer    *out;

	if (ex->req == NULL || len == 0 ||
	    mg_rpc_parse(msg, len, &m, &err) != MG_OK) {
		mg_rpc_err_clear(&err);
		return;
	}
	if (m.kind == MG_RPC_NOTIFICATION && strcmp(m.method, ACK) == 0) {
		if (!l->done &&
		    json_object_object_get_ex(
			m.params, "notifications", &agreed))
			ack_merge(f, l->member, agreed);
		if (!l->done && (l->done = 1) && --f->pending == 0)
			ack_send(f);
	} else if (m.kind == MG_RPC_NOTIFICATION && f->finished) {
		out = evbuffer_new();
		ex->member = l->member;
		if (mg_ex_fed_seen(ex, msg, len, out) == MG_OK)
			mg_ex_event(ex, out);
		evbuffer_free(out);
	}
	mg_rpc_msg_clear(&m);
	mg_rpc_err_clear(&err);
}

static void
listen_data(void *arg, const char *msg, size_t len)
{
	listen_message(arg, msg, len);
}

static void
listen_event(
    void *arg, const char *id, long retry, const char *data, size_t len)
{
	(void)id;
	(void)retry;
	listen_message(arg, data, len);
}

static void
listen_end(void *arg, int code, const char *message)
{
	mg_fed_leg_t *l = arg;
	mg_fed_t     *f = l->fed;
	int           left = 0;

	(void)code;
	(void)message;
	l->relay = NULL;
	if (!l->done && (l->done = 1) && --f->pending == 0)
		ack_send(f);
	for (int i = 0; i < f->nlegs; i++)
		left += f->leg[i].relay != NULL;
	if (left == 0 && f->ex->req != NULL) {
		ack_send(f);
		mg_ex_relayed_listen_end(f->ex);
	}
}

/* The client's params for member M: its own resources only, in its
 * URIs.  A new object. */
static struct json_object *
params_for(mg_mcp_ex_t *ex, const mg_member_t *m, struct json_object *params)
{
	struct json_object *copy = NULL, *n, *res, *own;

	if (json_object_deep_copy(params, &copy, NULL) != 0)
		return NULL;
	if (!json_object_object_get_ex(copy, "notifications", &n) ||
	    !json_object_object_get_ex(n, "resourceSubscriptions", &res) ||
	    !json_object_is_type(res, json_type_array))
		return copy;
	own = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(res); i++) {
		struct json_object *v = json_object_array_get_idx(res, i);
		const mg_member_t  *owner;
		const char         *u;
		size_t              len;

		if (json_object_is_type(v, json_type_string) &&
		    mg_fed_uri_in(ex->loc, json_object_get_string(v),
			(size_t)json_object_get_string_len(v), &owner, &u,
			&len) == MG_OK &&
		    owner == m)
			json_object_array_add(
			    own, json_object_new_string_len(u, (int)len));
	}
	json_object_object_add(n, "resourceSubscriptions", own);
	return copy;
}

static void
listen_leg(mg_fed_t *f, const mg_member_t *m, mg_rpc_msg_t *msg)
{
	mg_mcp_ex_t   *ex = f->ex;
	mg_fed_leg_t  *l = &f->leg[f->nlegs++];
	mg_relay_ops_t o = { listen_head, listen_data, listen_event, listen_end,
		l, NULL };
	mg_relay_req_t q = { 0 };
	struct json_object *root = NULL, *p;
	struct evbuffer    *h = evbuffer_new();
	const char         *text;

	l->fed = f;
	l->member = m;
	l->done = 1; /* until it is out */
	if (h == NULL || json_object_deep_copy(msg->root, &root, NULL) != 0 ||
	    (p = params_for(ex, m, msg->params)) == NULL) {
		json_object_put(root);
		if (h != NULL)
			evbuffer_free(h);
		return;
	}
	json_object_object_add(root, "params", p);
	text = json_object_to_json_string_ext(
	    root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	evbuffer_add_printf(h, "Mcp-Method: subscriptions/listen\r\n");
	q.method = MG_HTTP_POST;
	q.hops = ex->hops + 1;
	q.trace = &ex->trace;
	q.upstream = m->upstream->index;
	q.body = text;
	q.body_len = strlen(text);
	q.sid = q.init = q.lei = "";
	q.version = mg_ex_fed_version(ex);
	q.version_len = strlen(q.version);
	q.modern = 1;
	q.headers = (const char *)evbuffer_pullup(h, -1);
	q.headers_len = evbuffer_get_length(h);
	q.caps = ex->caps;
	mg_fed_token(ex, m, &q);
	if (ex->ctx->proxy != NULL &&
	    (l->relay = mg_proxy_open(ex->ctx->proxy, &q, &o)) != NULL) {
		l->done = 0;
		f->pending++;
	}
	json_object_put(root);
	evbuffer_free(h);
}

void
mg_ex_fed_listen(mg_mcp_ex_t *ex, mg_rpc_msg_t *m)
{
	struct json_object *asked;
	struct timeval      tv;
	mg_fed_t           *f;

	if (m->params == NULL ||
	    !json_object_object_get_ex(m->params, "notifications", &asked) ||
	    !json_object_is_type(asked, json_type_object)) {
		mg_ex_refuse(ex, 400, m->id, MG_RPC_INVALID_PARAMS,
		    "Invalid params: subscriptions/listen needs "
		    "params.notifications (an object)");
		return;
	}
	if ((f = mg_fed_new(ex, "to subscriptions/listen", NULL)) == NULL) {
		mg_ex_refuse(
		    ex, 500, m->id, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	event_free(f->timer);
	f->timer = evtimer_new(ex->ctx->base, ack_timeout, f);
	f->data = json_object_new_object();
	ex->fed = f;
	mg_ex_stream_begin(ex);
	for (const mg_member_t *mb = ex->loc->members; mb; mb = mb->next)
		listen_leg(f, mb, m);
	if (f->pending == 0) {
		ack_send(f);
		mg_ex_relayed_listen_end(ex);
		return;
	}
	tv.tv_sec = (time_t)(ex->loc->member_timeout / 1000);
	tv.tv_usec = (suseconds_t)(ex->loc->member_timeout % 1000) * 1000;
	evtimer_add(f->timer, &tv);
}
