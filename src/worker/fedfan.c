/*
 * A federated route's fan-out: one request of the client's sent to
 * several members at once, each member's answer kept, and one call to
 * the caller when every member has answered or failed, or when the
 * route's mcp_member_timeout has passed (the slow ones cancelled, and
 * each member that failed named in the error log).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "bridge.h"
#include "exchange.h"
#include "fedpriv.h"
#include "log.h"

static void
fan_finish(mg_fed_t *f)
{
	if (f->timer != NULL)
		evtimer_del(f->timer);
	if (f->finished)
		return;
	f->finished = 1;
	for (int i = 0; i < f->nlegs; i++) {
		mg_fed_leg_t *l = &f->leg[i];

		if (l->code != 0)
			mg_warn("route \"%s\": member \"%s\" failed %s: %s",
			    f->ex->loc->path, l->member->name, f->what,
			    l->why ? l->why : "no answer");
	}
	f->done(f);
}

static void
leg_head(void *arg, int status, int kind, const char *sid, const char *version)
{
	mg_fed_leg_t *l = arg;

	(void)kind;
	l->status = status;
	free(l->sid);
	l->sid = strdup(sid);
	snprintf(l->version, sizeof(l->version), "%s", version);
}

/* A message of a member's answer: the response is kept; what comes
 * before it (progress, logs) is not passed on by a fan-out. */
static void
leg_message(mg_fed_leg_t *l, const char *msg, size_t len)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t err;

	if (l->answer != NULL)
		return;
	if (mg_rpc_parse(msg, len, &m, &err) == MG_OK) {
		if (m.kind == MG_RPC_RESULT || m.kind == MG_RPC_ERROR)
			l->answer = json_object_get(m.root);
		mg_rpc_msg_clear(&m);
	}
	mg_rpc_err_clear(&err);
}

static void
leg_data(void *arg, const char *msg, size_t len)
{
	leg_message(arg, msg, len);
}

static void
leg_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	(void)id;
	(void)retry;
	if (len > 0)
		leg_message(arg, data, len);
}

static void
leg_failed(mg_fed_leg_t *l, int code, const char *why)
{
	l->code = code;
	free(l->why);
	l->why = strdup(why);
}

static void
leg_end(void *arg, int code, const char *message)
{
	mg_fed_leg_t *l = arg;
	mg_fed_t     *f = l->fed;
	char          why[64];

	l->relay = NULL; /* proxy.c freed it */
	if (l->done)
		return;
	l->done = 1;
	if (code != 0)
		leg_failed(l, code, message ? message : "failed");
	else if (l->answer == NULL && l->status >= 300 && !f->no_answer) {
		snprintf(why, sizeof(why), "HTTP status %d", l->status);
		leg_failed(l, -32000, why);
	} else if (l->answer == NULL && !f->no_answer)
		leg_failed(l, -32000, "no answer");
	if (--f->pending == 0 && f->started)
		fan_finish(f);
}

static void
fan_timeout(evutil_socket_t fd, short what, void *arg)
{
	mg_fed_t *f = arg;
	char      why[96];

	(void)fd;
	(void)what;
	snprintf(why, sizeof(why), "no answer within %lld ms",
	    (long long)f->ex->loc->member_timeout);
	for (int i = 0; i < f->nlegs; i++) {
		mg_fed_leg_t *l = &f->leg[i];

		if (l->done)
			continue;
		l->done = 1;
		if (l->relay != NULL)
			mg_proxy_cancel(l->relay);
		l->relay = NULL;
		leg_failed(l, -32001, why);
	}
	f->pending = 0;
	fan_finish(f);
}

mg_fed_t *
mg_fed_new(mg_mcp_ex_t *ex, const char *what, void (*done)(mg_fed_t *f))
{
	mg_fed_t *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->ex = ex;
	f->what = what;
	f->done = done;
	f->timer = evtimer_new(ex->ctx->base, fan_timeout, f);
	if (f->timer == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

/* The client's bearer token on Q, for a member that takes it only. */
void
mg_fed_token(const mg_mcp_ex_t *ex, const mg_member_t *m, mg_relay_req_t *q)
{
	if (!m->upstream->forward_token && m->upstream->exchange == NULL)
		return;
	q->token = ex->bearer;
	q->token_len = ex->bearer_len;
	q->token_exp = ex->bearer_exp;
}

/* Does member M speak only 2026-07-28 while the client speaks 2025?
 * Then its legs go over the reverse bridge. */
int
mg_fed_reverse(const mg_mcp_ex_t *ex, const mg_member_t *m)
{
	return !ex->modern && m->upstream->protocol == MG_PROTOCOL_2026;
}

/* A 2025 client's BODY as a 2026-07-28 member takes it (an initialize
 * as its server/discover), with the client's params in _meta; malloc'd,
 * or NULL. */
static char *
leg_body_2026(mg_mcp_ex_t *ex, const char *body, size_t len, size_t *n)
{
	mg_rpc_msg_t m,
	    d = { .kind = MG_RPC_REQUEST, .method = "server/discover" };
	mg_rpc_err_t err;
	const char  *init;
	size_t       init_len;
	char        *params = NULL, *out = NULL;

	if (mg_rpc_parse(body, len, &m, &err) != MG_OK) {
		mg_rpc_err_clear(&err);
		return NULL;
	}
	if (ex->init_params != NULL)
		params = strdup(ex->init_params);
	else {
		mg_ex_fed_init(ex, &init, &init_len);
		if ((params = malloc(init_len + 1)) != NULL) {
			memcpy(params, init, init_len);
			params[init_len] = '\0';
		}
	}
	if (m.kind == MG_RPC_REQUEST && strcmp(m.method, "initialize") == 0) {
		d.root = json_object_new_object();
		json_object_object_add(
		    d.root, "jsonrpc", json_object_new_string("2.0"));
		json_object_object_add(d.root, "id", json_object_get(m.id));
		json_object_object_add(d.root, "method",
		    json_object_new_string("server/discover"));
		out = mg_bridge_request_to_2026(&d, params, n);
		json_object_put(d.root);
	} else
		out = mg_bridge_request_to_2026(&m, params, n);
	free(params);
	mg_rpc_msg_clear(&m);
	mg_rpc_err_clear(&err);
	return out;
}

/*
 * Send BODY (LEN bytes, a request or notification of the client's era)
 * to member M as one leg of F.  FLAGS: MG_FED_INIT (an initialize: no
 * session yet), MG_FED_DISCOVER (a server/discover).  METHOD: the
 * JSON-RPC method, for the routing header of 2026-07-28.
 */
void
mg_fed_leg(mg_fed_t *f, const mg_member_t *m, const char *method,
    const char *body, size_t len, unsigned flags)
{
	mg_mcp_ex_t   *ex = f->ex;
	mg_fed_leg_t  *l = &f->leg[f->nlegs++];
	mg_relay_ops_t o = { leg_head, leg_data, leg_event, leg_end, l, NULL };
	mg_relay_req_t q = { 0 };
	struct evbuffer *headers = NULL;
	char             sid[MG_UP_SID_MAX];
	char            *turned = NULL;
	int              reverse = mg_fed_reverse(ex, m);

	l->fed = f;
	l->member = m;
	q.method = MG_HTTP_POST;
	q.initialize = (flags & MG_FED_INIT) != 0;
	q.hops = ex->hops + 1;
	q.trace = &ex->trace;
	q.upstream = m->upstream->index;
	q.session = ex->session;
	q.body = body;
	q.body_len = len;
	q.lei = "";
	q.sid = q.init = "";
	if (reverse) {
		if ((turned = leg_body_2026(ex, body, len, &q.body_len)) ==
		    NULL) {
			l->done = 1;
			leg_failed(l, -32603,
			    "cannot turn the request into "
			    "2026-07-28's");
			return;
		}
		q.body = turned;
		q.initialize = 0;
		if (flags & MG_FED_INIT)
			flags |= MG_FED_DISCOVER;
		method = (flags & MG_FED_INIT) ? "server/discover" : method;
	}
	if (!ex->modern && !q.initialize && !reverse) {
		mg_ex_fed_sid(ex, m, sid, sizeof(sid));
		q.sid = sid;
		q.sid_len = strlen(sid);
		mg_ex_fed_init(ex, &q.init, &q.init_len);
	}
	q.version = q.initialize ? ""
	    : reverse            ? MG_ERA_2026
				 : mg_ex_fed_version(ex);
	q.version_len = strlen(q.version);
	if ((ex->modern || reverse) && (headers = evbuffer_new()) != NULL) {
		q.modern = 1;
		q.discover = (flags & MG_FED_DISCOVER) != 0;
		evbuffer_add_printf(headers, "Mcp-Method: %s\r\n", method);
		q.headers_len = evbuffer_get_length(headers);
		q.headers = (const char *)evbuffer_pullup(headers, -1);
	}
	q.caps = ex->caps;
	mg_fed_token(ex, m, &q);
	f->pending++;
	if (ex->ctx->proxy == NULL ||
	    (l->relay = mg_proxy_open(ex->ctx->proxy, &q, &o)) == NULL) {
		if (!l->done) {
			l->done = 1;
			f->pending--;
			leg_failed(l, -32000,
			    "the connector process is not available");
		}
	}
	if (headers != NULL)
		evbuffer_free(headers);
	free(turned);
}

/* The result of L's answer, or NULL (failed, or an error, noted). */
struct json_object *
mg_fed_result(mg_fed_leg_t *l)
{
	struct json_object *r, *e, *msg;

	if (l->code != 0 || l->answer == NULL)
		return NULL;
	if (json_object_object_get_ex(l->answer, "result", &r) &&
	    json_object_is_type(r, json_type_object))
		return r;
	l->code = -32000;
	free(l->why);
	l->why = strdup(json_object_object_get_ex(l->answer, "error", &e) &&
		    json_object_object_get_ex(e, "message", &msg)
		? json_object_get_string(msg)
		: "an answer that is not a result");
	return NULL;
}

/* No member answered: the error names each and why. */
void
mg_fed_refuse(mg_fed_t *f)
{
	mg_mcp_ex_t     *ex = f->ex;
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b, "no member of this route answered");
	for (int i = 0; i < f->nlegs; i++)
		evbuffer_add_printf(b, "%s member \"%s\": %s", i ? ";" : ":",
		    f->leg[i].member->name,
		    f->leg[i].why ? f->leg[i].why : "failed");
	evbuffer_add(b, "", 1);
	mg_ex_refuse(
	    ex, 502, ex->req_id, -32000, (const char *)evbuffer_pullup(b, -1));
	evbuffer_free(b);
}

/* Every leg is out: wait for them (the route's mcp_member_timeout). */
void
mg_fed_start(mg_fed_t *f)
{
	struct timeval tv;
	int64_t        ms = f->ex->loc->member_timeout;

	f->started = 1;
	if (f->pending == 0) {
		fan_finish(f);
		return;
	}
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(f->timer, &tv);
}

void
mg_fed_free(mg_fed_t *f)
{
	if (f == NULL)
		return;
	for (int i = 0; i < f->nlegs; i++) {
		mg_fed_leg_t *l = &f->leg[i];

		if (l->relay != NULL)
			mg_proxy_cancel(l->relay);
		free(l->sid);
		free(l->why);
		json_object_put(l->answer);
	}
	event_free(f->timer);
	json_object_put(f->data);
	free(f);
}

void
mg_fed_to_all(mg_mcp_ex_t *ex, struct json_object *id, const char *what,
    void (*done)(mg_fed_t *f), const char *method, const char *body, size_t len,
    unsigned flags)
{
	mg_fed_t *f = mg_fed_new(ex, what, done);

	if (f == NULL) {
		mg_ex_refuse(
		    ex, 500, id, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	ex->fed = f;
	for (const mg_member_t *m = ex->loc->members; m; m = m->next)
		if (!(flags & MG_FED_NOT_REVERSE) || !mg_fed_reverse(ex, m))
			mg_fed_leg(f, m, method, body, len, flags);
	mg_fed_start(f);
}

/* Send a notification (or a client's message that wants no answer) to
 * every member, without waiting for them. */
void
mg_fed_tell_all(mg_mcp_ex_t *ex, const char *method, const char *body,
    size_t len, int method_http)
{
	const mg_location_t *loc = ex->loc;
	char                 sid[MG_UP_SID_MAX];

	for (const mg_member_t *m = loc->members; m != NULL; m = m->next) {
		mg_relay_req_t   q = { 0 };
		struct evbuffer *headers = NULL;

		/* a 2025 client's notifications and DELETE mean nothing to
		 * a member of 2026-07-28: it has no session */
		if (mg_fed_reverse(ex, m))
			continue;
		q.method = method_http;
		q.hops = ex->hops + 1;
		q.trace = &ex->trace;
		q.upstream = m->upstream->index;
		q.session = ex->session;
		q.body = body;
		q.body_len = len;
		q.lei = q.init = q.sid = "";
		if (!ex->modern) {
			mg_ex_fed_sid(ex, m, sid, sizeof(sid));
			q.sid = sid;
			q.sid_len = strlen(sid);
			mg_ex_fed_init(ex, &q.init, &q.init_len);
		}
		q.version = mg_ex_fed_version(ex);
		q.version_len = strlen(q.version);
		if (ex->modern && method != NULL &&
		    (headers = evbuffer_new()) != NULL) {
			q.modern = 1;
			evbuffer_add_printf(
			    headers, "Mcp-Method: %s\r\n", method);
			q.headers_len = evbuffer_get_length(headers);
			q.headers = (const char *)evbuffer_pullup(headers, -1);
		}
		mg_fed_token(ex, m, &q);
		if (ex->ctx->proxy != NULL)
			mg_proxy_open(ex->ctx->proxy, &q, &mg_answer_ignore);
		if (headers != NULL)
			evbuffer_free(headers);
	}
}
