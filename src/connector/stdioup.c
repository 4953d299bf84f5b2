/*
 * Stdio upstreams (the connector): an upstream with a "command" is a
 * local MCP server the connector runs, one process per session, and
 * speaks to over its standard input and output (newline-delimited
 * JSON-RPC, the MCP stdio transport); what it writes on its standard
 * error goes to the error log.
 *
 * An exchange gets the same request as an HTTP upstream's and answers
 * with the same calls (head, data or events, end), so the worker cannot
 * tell the two apart.  The upstream session id is ours ("stdio-" and 32
 * hex digits): an initialize starts a process; a request whose session
 * has no process (the connector restarted, the process exited) starts one
 * under the same id with the client's initialize params, as an HTTP
 * upstream's forgotten session is opened again; DELETE stops it.
 *
 * This file is the stdio row of the transport table (transport.h).
 *
 * A process (proc_t) has three pipes on bufferevents: its stdin, where
 * requests go one JSON-RPC message per line; its stdout, read line by
 * line; its stderr, logged line by line.  Exchanges waiting on it are
 * kept in order.  A line from it is:
 *   - an answer (an id, no method): it ends the exchange that sent that
 *     id, as JSON if nothing went on the exchange's stream before, else
 *     as the last event of its stream;
 *   - a notification or a request (a method): it goes to the exchange
 *     whose progressToken it names, else to the newest waiting request,
 *     else to the session's GET stream; a request that no stream can
 *     carry is answered with an error at once, so the server does not
 *     wait for a client that will never hear it.
 * A process that exits ends its exchanges with an error naming how it
 * ended; a live session's process is restarted at once (stdiosup.c),
 * and the session's requests wait for it.  A session with no process
 * (the connector restarted) gets one at its next request, under the same
 * session id, initialized with the client's initialize params.
 *
 * A 2026-07-28 client has no session: its requests go over the bridge
 * (stdiobridge.c), one process per upstream for all such clients,
 * initialized by the connector as a 2025 session, each request with an
 * id of the bridge's own; the answers are turned into the new era's by
 * the worker, as over an HTTP upstream's bridge.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "era.h"
#include "httpmsg.h"
#include "ipc.h"
#include "jsonrpc.h"
#include "log.h"
#include "sesstab.h"
#include "stdioup.h"
#include "transport.h"

/* ---- exchanges ------------------------------------------------------ */

/* A request of the process waits for its answer. */
static int
proc_busy(const proc_t *p)
{
	for (const mg_stdx_t *x = p->xs; x != NULL; x = x->next)
		if (!x->get)
			return 1;
	return 0;
}

static void
stdx_detach(mg_stdx_t *x)
{
	proc_t     *p = x->p;
	mg_stdx_t **pp;

	if (p == NULL)
		return;
	if (x->listen_id != NULL)
		mg_stdbridge_unlisten(x, p);
	for (pp = &p->xs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	x->p = NULL;
	x->next = NULL;
	if (p->bridge && p->xs == NULL)
		mg_stdbridge_idle(p);
	if (p->drain && !p->stopping && !proc_busy(p))
		mg_stdio_stop(p,
		    "its session idled out, and its last request is "
		    "answered");
}

static void
stdx_free(mg_stdx_t *x)
{
	/* on its process still: what it was yet to refuse is written */
	mg_upask_free(&x->ask);
	mg_stdwait_leave(x);
	stdx_detach(x);
	if (x->timer)
		event_free(x->timer);
	if (x->go)
		event_free(x->go);
	free(x->key);
	free(x->ukey);
	free(x->progress);
	free(x->body);
	free(x->call);
	free(x->lines);
	free(x->init);
	json_object_put(x->listen_id);
	json_object_put(x->filter);
	json_object_put(x->token);
	free(x);
}

void
mg_stdx_head(
    mg_stdx_t *x, int status, int kind, const char *sid, const char *version)
{
	if (x->head_sent)
		return;
	x->head_sent = 1;
	/* over the bridge the head names the process's version: the worker
	 * turns the answer into the 2026-07-28 one */
	if (x->bridged && x->p != NULL)
		version = x->p->bversion;
	x->sse = kind == MG_RESP_SSE;
	if (x->p != NULL && x->p->pid > 0) {
		char peer[32];

		snprintf(peer, sizeof(peer), "stdio:%ld", (long)x->p->pid);
		mg_relay_note_peer(peer);
	}
	x->ops.head(x->ops.arg, status, kind, sid, version);
}

/* The last call to the exchange's ops; the exchange is freed. */
void
mg_stdx_end(mg_stdx_t *x, int code, const char *message)
{
	mg_up_ops_t ops = x->ops;

	stdx_free(x);
	mg_upstream_end(&ops, code, message);
}

/* A whole JSON answer with STATUS, and the end. */
static void
stdx_answer(mg_stdx_t *x, int status, const char *msg, size_t len)
{
	mg_stdx_head(x, status, MG_RESP_JSON, "", "");
	x->ops.data(x->ops.arg, msg, len);
	mg_stdx_end(x, 0, NULL);
}

/* A JSON-RPC error answer with STATUS, under the request's id (null if
 * it has none or is not known), with DATA if not NULL. */
static void
stdx_refuse_data(mg_stdx_t *x, int status, int code, const char *message,
    struct json_object *data)
{
	struct evbuffer    *b = evbuffer_new();
	struct json_object *id =
	    x->key ? mg_json_parse(x->key, strlen(x->key)) : NULL;

	if (b == NULL) {
		json_object_put(id);
		mg_stdx_end(x, code, message);
		return;
	}
	mg_rpc_write_error(b, id, code, message, data);
	json_object_put(id);
	stdx_answer(x, status, (const char *)evbuffer_pullup(b, -1),
	    evbuffer_get_length(b));
	evbuffer_free(b);
}

void
mg_stdx_refuse(mg_stdx_t *x, int status, int code, const char *message)
{
	stdx_refuse_data(x, status, code, message, NULL);
}

/* A message of the process on the exchange's stream. */
static void
stdx_event(mg_stdx_t *x, const char *line, size_t len)
{
	mg_stdx_head(x, 200, MG_RESP_SSE, "", "");
	x->ops.event(x->ops.arg, NULL, -1, line, len);
}

/* A message of the process for X: read_timeout is the longest silence,
 * as for an HTTP upstream. */
static void
stdx_rearm(mg_stdx_t *x)
{
	if (evtimer_pending(x->timer, NULL)) {
		struct timeval tv = { x->up->read_timeout / 1000,
			(x->up->read_timeout % 1000) * 1000 };

		evtimer_add(x->timer, &tv);
	}
}

static void
stdx_timeout(evutil_socket_t fd, short what, void *arg)
{
	mg_stdx_t *x = arg;
	proc_t    *p;
	char       why[128];

	(void)fd;
	(void)what;
	snprintf(why, sizeof(why),
	    "the %s server did not answer within read_timeout (%lld ms)",
	    x->s->link != NULL ? "HTTP+SSE" : "stdio",
	    (long long)x->up->read_timeout);
	mg_warn("upstream \"%s\": %s", x->up->name, why);
	/* a process that never answered its initialize is no use */
	p = x->initialize || (x->bridged && x->p != NULL && !x->p->ready)
	    ? x->p
	    : NULL;
	mg_stdx_end(x, STDIO_ERR, why);
	if (p != NULL)
		mg_stdio_stop(p, "its initialize was not answered");
}

/* Send X's request now; it waits for its answer (if it has an id). */
void
mg_stdx_send(mg_stdx_t *x)
{
	proc_t *p = x->p;

	if (mg_stdx_own_id(x, p) != MG_OK) {
		mg_stdx_end(x, STDIO_ERR, "out of memory");
		return;
	}
	if (mg_stdio_write(p, x->body, x->body_len) != MG_OK)
		return; /* X ended with the process */
	free(x->body);
	x->body = NULL;
	if (x->key == NULL) {
		/* a notification, or the client's answer to a request */
		mg_stdx_head(x, 202, MG_RESP_NONE, "", "");
		mg_stdx_end(x, 0, NULL);
		return;
	}
	if (x->up->read_timeout > 0) {
		struct timeval tv = { x->up->read_timeout / 1000,
			(x->up->read_timeout % 1000) * 1000 };

		evtimer_add(x->timer, &tv);
	}
}

/* ---- reading from a process ------------------------------------------- */

static char *
json_text(struct json_object *v)
{
	return strdup(
	    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

/* Our own initialize (a session whose process had gone) is answered:
 * the session is ready, its waiting requests go. */
static void
proc_reinitialized(proc_t *p, struct json_object *m)
{
	mg_stdx_t *x, *next;

	if (!json_object_object_get_ex(m, "result", NULL)) {
		mg_warn("upstream \"%s\": the stdio server refused to "
			"initialize the session again (pid %d)",
		    p->up->name, (int)p->pid);
		for (x = p->xs; x != NULL; x = next) {
			next = x->next;
			mg_stdx_refuse(x, 404, -32001, "Session not found");
		}
		mg_stdio_stop(p, "its initialize failed");
		return;
	}
	mg_stdio_write(p, STDIO_INITIALIZED, sizeof(STDIO_INITIALIZED) - 1);
	p->ready = 1;
	p->live = 1;
	for (x = p->xs; x != NULL && !p->stopping; x = next) {
		next = x->next;
		if (x->body != NULL)
			mg_stdx_send(x);
	}
}

static void
proc_answer(proc_t *p, struct json_object *m, const char *line, size_t len)
{
	struct json_object *id, *result, *v;
	char               *key;
	mg_stdx_t          *x;

	json_object_object_get_ex(m, "id", &id);
	if ((key = json_text(id)) == NULL)
		return;
	if (!p->ready && strcmp(key, STDIO_REINIT_ID) == 0) {
		free(key);
		if (p->bridge)
			mg_stdbridge_ready(p, m, line, len);
		else
			proc_reinitialized(p, m);
		return;
	}
	if (p->bridge && mg_stdtools_answer(p, key, m)) {
		free(key);
		return;
	}
	x = mg_stdx_answered(p, key);
	free(key);
	if (x == NULL) {
		mg_debug("upstream \"%s\": an answer to no waiting request "
			 "(pid %d)",
		    p->up->name, (int)p->pid);
		return;
	}
	if (x->ukey != NULL)
		line = mg_stdx_client_id(x, m, &len);
	if (x->sse) {
		x->ops.event(x->ops.arg, NULL, -1, line, len);
		mg_stdx_end(x, 0, NULL);
		return;
	}
	if (x->initialize) {
		const char *version = "";

		if (json_object_object_get_ex(m, "result", &result) &&
		    json_object_object_get_ex(result, "protocolVersion", &v) &&
		    json_object_is_type(v, json_type_string))
			version = json_object_get_string(v);
		/* the session is the process's: an initialize that failed
		 * leaves none */
		mg_stdx_head(
		    x, 200, MG_RESP_JSON, version[0] ? p->sid : "", version);
		if (version[0] != '\0' && x->init != NULL) {
			/* kept to initialize a restart (stdiosup.c) */
			p->live = 1;
			free(p->init);
			p->init = x->init;
			x->init = NULL;
		}
		x->ops.data(x->ops.arg, line, len);
		mg_stdx_end(x, 0, NULL);
		if (version[0] == '\0')
			mg_stdio_stop(p, "its initialize failed");
		return;
	}
	stdx_answer(x, 200, line, len);
}

/* A notification or request of the process. */
static void
proc_message(proc_t *p, struct json_object *m, const char *line, size_t len)
{
	mg_stdx_t          *x;
	struct json_object *id;
	struct evbuffer    *b;
	int                 shared;

	/* the bridge's list changes and updates: to its listens */
	if (p->bridge && mg_stdbridge_notify(p, m))
		return;
	x = mg_stdx_carrier(p, m, &shared);
	if (x != NULL) {
		stdx_rearm(x);
		if (x->bridged)
			mg_stdbridge_message(x, line, len);
		else
			stdx_event(x, line, len);
		return;
	}
	if (!json_object_object_get_ex(m, "id", &id)) {
		mg_debug("upstream \"%s\": a notification with no stream to "
			 "carry it, dropped (pid %d)",
		    p->up->name, (int)p->pid);
		return;
	}
	/* a request no client can hear: answered now */
	if ((b = evbuffer_new()) == NULL)
		return;
	mg_rpc_write_error(b, id, MG_RPC_INTERNAL_ERROR,
	    shared ? "several clients wait: whose request this is is unknown"
		   : "no stream to the client is open to carry this request",
	    NULL);
	mg_stdio_write(
	    p, (const char *)evbuffer_pullup(b, -1), evbuffer_get_length(b));
	evbuffer_free(b);
}

void
mg_stdio_line(proc_t *p, const char *line, size_t len)
{
	struct json_object *m;

	if (len == 0)
		return;
	if ((m = mg_json_parse(line, len)) == NULL ||
	    !json_object_is_type(m, json_type_object)) {
		mg_warn("upstream \"%s\": %s that is not a JSON-RPC message "
			"(pid %d): %.80s",
		    p->up->name,
		    p->link != NULL ? "the HTTP+SSE server sent an event"
				    : "the stdio server wrote a line",
		    (int)p->pid, line);
		json_object_put(m);
		return;
	}
	if (json_object_object_get_ex(m, "method", NULL))
		proc_message(p, m, line, len);
	else if (json_object_object_get_ex(m, "id", NULL))
		proc_answer(p, m, line, len);
	json_object_put(m);
}

/* What the request is: its id and progressToken, if any; MG_ERROR if it
 * is not one JSON-RPC message (a batch: not relayed to stdio). */
static int
stdx_parse(mg_stdx_t *x, const char *body, size_t len)
{
	struct json_object *m = mg_json_parse(body, len), *id;

	if (m == NULL || !json_object_is_type(m, json_type_object)) {
		json_object_put(m);
		return MG_ERROR;
	}
	if (json_object_object_get_ex(m, "method", NULL) &&
	    json_object_object_get_ex(m, "id", &id) &&
	    (x->key = json_text(id)) == NULL) {
		json_object_put(m);
		return MG_ERROR;
	}
	x->progress = mg_stdx_progress_of(m);
	json_object_put(m);
	return MG_OK;
}

/* The exchange's first calls to its ops, on the turn of the loop after
 * stdx_start (whose caller has not seen the exchange yet). */
static void
stdx_go(evutil_socket_t fd, short what, void *arg)
{
	mg_stdx_t *x = arg;

	(void)fd;
	(void)what;
	if (x->refuse_status == STDIO_REFUSE_END) {
		/* the worker words it (an unsupported version) */
		stdx_detach(x);
		mg_stdx_end(x, x->refuse_code, x->refuse_why);
		return;
	}
	if (x->refuse_status != 0) {
		stdx_detach(x);
		mg_stdx_refuse(
		    x, x->refuse_status, x->refuse_code, x->refuse_why);
		return;
	}
	if (x->method == MG_HTTP_DELETE) {
		mg_stdx_head(x, 200, MG_RESP_NONE, "", "");
		mg_stdx_end(x, 0, NULL);
		return;
	}
	if (x->get) {
		mg_stdx_head(x, 200, MG_RESP_SSE, "", "");
		return;
	}
	if (x->bridged)
		mg_stdbridge_go(x);
	else if (x->p != NULL && x->p->ready && x->body != NULL)
		mg_stdx_send(x);
	else if (x->p != NULL && x->body != NULL && x->up->read_timeout > 0) {
		/* its process is (re)starting: it waits, read_timeout at most
		 */
		struct timeval tv = { x->up->read_timeout / 1000,
			(x->up->read_timeout % 1000) * 1000 };

		evtimer_add(x->timer, &tv);
	}
}

void
mg_stdx_refuse_later(mg_stdx_t *x, int status, int code, const char *why)
{
	x->refuse_status = status;
	x->refuse_code = code;
	x->refuse_why = why;
}

/* A process for X's session: a new one for an initialize (or its place
 * in the queue at max_processes, stdiowait.c); the session's (one that
 * restarts included); or, when it has none (the connector restarted, or
 * a link's stream ended), a new one that we initialize first with the
 * client's params, under the same session id.  NULL (and X set to be
 * refused, or waiting): none. */
static proc_t *
stdx_proc(mg_stdx_t *x, const mg_up_req_t *req)
{
	mg_stdio_t *s = x->s;
	const char *pre = mg_stdio_prefix(s);
	proc_t     *p;

	if (x->initialize)
		return mg_stdwait_open(x);
	if ((p = mg_stdio_find(s, x->up, req->sid)) != NULL)
		return p;
	if (strncmp(req->sid, pre, strlen(pre)) != 0 || req->init_len == 0 ||
	    req->init_len > STDIO_LINE_MAX) {
		mg_stdx_refuse_later(x, 404, -32001, "Session not found");
		return NULL;
	}
	if ((p = mg_stdio_spawn(s, x->up, req->sid)) == NULL) {
		mg_stdx_refuse_later(x, 503, STDIO_ERR, mg_stdio_no_start(s));
		return NULL;
	}
	if (p->link != NULL)
		mg_info("upstream \"%s\": a session had no HTTP+SSE stream: "
			"a new one, initialized with the client's params",
		    x->up->name);
	else
		mg_info("upstream \"%s\": a session had no process: "
			"initializing pid %d with the client's params",
		    x->up->name, (int)p->pid);
	if ((p->init = strndup(req->init, req->init_len)) == NULL ||
	    mg_stdsup_initialize(p, req->init, req->init_len) != MG_OK) {
		mg_stdio_stop(p, "out of memory");
		mg_stdx_refuse_later(x, 503, STDIO_ERR, "out of memory");
		return NULL;
	}
	return p;
}

/* X waits on P, after the others. */
void
mg_stdx_attach(mg_stdx_t *x, proc_t *p)
{
	mg_stdx_t **pp = &p->xs;

	x->p = p;
	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = x;
}

/* Start an exchange with REQ->up, which has a command; NULL if it cannot
 * start (OPS->end not called). */
static mg_stdx_t *
stdx_start(mg_stdio_t *s, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	mg_stdx_t *x;
	proc_t    *p;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->h.t = s->row;
	x->s = s;
	x->up = req->up;
	x->ops = *ops;
	x->method = req->method;
	x->initialize = req->initialize;
	x->timer = evtimer_new(s->base, stdx_timeout, x);
	x->go = event_new(s->base, -1, 0, stdx_go, x);
	if (x->timer == NULL || x->go == NULL) {
		stdx_free(x);
		return NULL;
	}
	event_active(x->go, EV_TIMEOUT, 0);
	if (req->modern) {
		if (x->method == MG_HTTP_POST)
			stdx_parse(x, req->body, req->body_len); /* its id */
		mg_stdbridge_enter(x, req);
		return x;
	}
	if (x->method == MG_HTTP_DELETE) {
		if ((p = mg_stdio_find(s, x->up, req->sid)) == NULL)
			return x;
		if (req->idle && proc_busy(p)) {
			/* the sweep found the session idle, but a request of
			 * it runs still: the process goes when it is answered
			 */
			p->drain = 1;
			p->sid[0] = '\0';
			mg_info("upstream \"%s\": pid %d: its session idled "
				"out with a request still running; it stops "
				"once that is answered",
			    x->up->name, (int)p->pid);
		} else
			mg_stdio_stop(p,
			    req->idle ? "its session idled out"
				      : "its session was deleted");
		return x;
	}
	if (x->method == MG_HTTP_POST) {
		if (stdx_parse(x, req->body, req->body_len) != MG_OK) {
			mg_stdx_refuse_later(x, 400, MG_RPC_INVALID_REQUEST,
			    "a stdio upstream takes one JSON-RPC message per "
			    "request (no batches)");
			return x;
		}
		if ((x->body = malloc(req->body_len ? req->body_len : 1)) ==
		    NULL) {
			stdx_free(x);
			return NULL;
		}
		memcpy(x->body, req->body, req->body_len);
		x->body_len = req->body_len;
		if (x->initialize)
			x->init = mg_stdwait_params(req->body, req->body_len);
	}
	if ((p = stdx_proc(x, req)) == NULL)
		return x;
	mg_stdx_attach(x, p);
	if (x->method == MG_HTTP_GET) {
		for (mg_stdx_t *o = p->xs; o != NULL; o = o->next)
			if (o != x && o->get) {
				mg_stdx_refuse_later(x, 409, STDIO_ERR,
				    "the session has a GET stream open "
				    "already");
				return x;
			}
		x->get = 1;
	}
	return x;
}

/* The client is gone: no more calls to its ops. */
static void
stdx_cancel(mg_stdx_t *x)
{
	/* an initialize its client will not hear: the process has no
	 * session, and nothing else would ever stop it */
	proc_t *p = x->initialize && !x->head_sent ? x->p : NULL;

	stdx_free(x);
	if (p != NULL)
		mg_stdio_stop(p,
		    "its client left before the initialize was "
		    "answered");
}

/* ---- the transport ---------------------------------------------------- */

static int
stdio_serves(const mg_upstream_t *up)
{
	return up->command != NULL;
}

static void *
stdio_new(struct event_base *base, const mg_conf_t *conf,
    const struct mg_tls_set *tls)
{
	(void)tls;
	return mg_stdio_new(base, conf);
}

static mg_upx_t *
stdio_start(void *state, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	mg_stdx_t *x = stdx_start(state, req, ops);

	return x ? &x->h : NULL;
}

static void
stdio_cancel(mg_upx_t *h)
{
	stdx_cancel((mg_stdx_t *)h);
}

/* Only a bridged exchange waits for a client's retry (stdiobridge.c);
 * another's calls just go to OPS from now on, and a retry hears a
 * stream's head. */
static void
stdio_park(mg_upx_t *h, const mg_up_ops_t *ops)
{
	mg_stdx_t *x = (mg_stdx_t *)h;

	if (x->bridged)
		mg_stdbridge_park(x, ops);
	else
		x->ops = *ops;
}

static void
stdio_resume(
    mg_upx_t *h, const mg_up_ops_t *ops, const char *body, size_t len, int caps)
{
	mg_stdx_t *x = (mg_stdx_t *)h;

	if (x->bridged) {
		mg_stdbridge_resume(x, ops, body, len, caps);
		return;
	}
	x->ops = *ops;
	x->ops.head(x->ops.arg, 200, MG_RESP_SSE, "", "");
}

static const char *
stdio_version(const mg_upx_t *h)
{
	const mg_stdx_t *x = (const mg_stdx_t *)h;

	return x->bridged && x->p != NULL ? x->p->bversion : "";
}

static void
stdio_take_own(void *state, int64_t idle_ms,
    void (*fn)(void *arg, const mg_upstream_t *up, const char *sid,
	const char *version),
    void *arg)
{
	(void)fn, (void)arg; /* a process is stopped, not DELETEd */
	mg_stdbridge_take(state, idle_ms);
}

static int
stdio_stop_all(void *state, void (*stopped)(void *arg), void *arg)
{
	return mg_stdio_stop_all(state, stopped, arg);
}

static void
stdio_free(void *state)
{
	mg_stdio_free(state);
}

const mg_transport_t mg_transport_stdio = {
	.name = "stdio",
	.serves = stdio_serves,
	.new = stdio_new,
	.start = stdio_start,
	.cancel = stdio_cancel,
	.park = stdio_park,
	.resume = stdio_resume,
	.version = stdio_version,
	.take_own = stdio_take_own,
	.stop_all = stdio_stop_all,
	.free = stdio_free,
};
