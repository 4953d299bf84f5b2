/*
 * The whole time a request may take (call_timeout, tool_timeout): a
 * timer on each exchange that has a limit, armed when its request goes
 * to the upstream or to a built-in server.  When it fires, the client
 * hears a JSON-RPC error for its request on the answer it waits for
 * (JSON or stream), the upstream hears notifications/cancelled for it
 * (a 2025 session's request; a stdio process too), and the relay ends:
 * its connection is closed, nothing it says later reaches the client.
 * Progress does not move the deadline: read_timeout bounds silence.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "exchange.h"
#include "log.h"

/* The TypeScript SDK's RequestTimeout. */
#define DEADLINE_CODE -32001
#define DEADLINE_MESSAGE "Request timed out"

/* The tool as the upstream names it: a federated route's without its
 * member's prefix; NULL: as the client names it. */
static const char *
upstream_tool(const mg_mcp_ex_t *ex)
{
	const char *p, *sep = ex->loc->name_sep;
	size_t      n;

	if (ex->member == NULL || (p = ex->member->prefix) == NULL ||
	    sep == NULL)
		return NULL;
	n = strlen(p);
	if (strncmp(ex->tool, p, n) != 0 ||
	    strncmp(ex->tool + n, sep, strlen(sep)) != 0)
		return NULL;
	return ex->tool + n + strlen(sep);
}

/* notifications/cancelled for the request, on its session, answer
 * ignored; before the relay's cancel, so that a stdio upstream still
 * knows which of its own ids the client's stands for. */
static void
tell_upstream(mg_mcp_ex_t *ex, int64_t ms)
{
	mg_relay_req_t      q = { 0 };
	struct json_object *msg, *params;
	char                why[96];
	const char         *body;
	size_t              len;

	if (ex->modern || ex->reverse || ex->relay_init || ex->req_id == NULL ||
	    ex->upstream == NULL || ex->ctx->proxy == NULL)
		return;
	q.sid = q.init = q.lei = q.headers = "";
	if (ex->session != 0 &&
	    (ex->sess == NULL ||
		mg_ex_blob_unpack(ex->sess, &q.sid, &q.sid_len, &q.init,
		    &q.init_len) != MG_OK))
		return;
	q.method = MG_HTTP_POST;
	q.hops = ex->hops + 1;
	q.trace = &ex->trace;
	q.upstream = ex->upstream->index;
	q.session = ex->session;
	q.version =
	    ex->sess != NULL ? ex->sess->version : mg_ex_versions[ex->version];
	q.version_len = strlen(q.version);
	snprintf(why, sizeof(why),
	    "mcpgw: the request took longer than %lld ms", (long long)ms);
	params = json_object_new_object();
	json_object_object_add(
	    params, "requestId", json_object_get(ex->req_id));
	json_object_object_add(params, "reason", json_object_new_string(why));
	msg = json_object_new_object();
	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(
	    msg, "method", json_object_new_string("notifications/cancelled"));
	json_object_object_add(msg, "params", params);
	body = json_object_to_json_string_length(
	    msg, JSON_C_TO_STRING_PLAIN, &len);
	q.body = body;
	q.body_len = len;
	mg_proxy_open(ex->ctx->proxy, &q, &mg_answer_ignore);
	json_object_put(msg);
}

/* A built-in server's calls: each forgotten by its server, answered
 * with the error. */
static void
expire_calls(mg_mcp_ex_t *ex)
{
	mg_mcp_call_t      *c;
	struct json_object *id;
	struct evbuffer    *msg;

	while ((c = ex->calls) != NULL) {
		id = json_object_get(c->id);
		mg_ex_call_unlink(c);
		if (ex->backend && ex->backend->cancel)
			ex->backend->cancel(c);
		mg_ex_call_free(c);
		msg = evbuffer_new();
		mg_rpc_write_error(
		    msg, id, DEADLINE_CODE, DEADLINE_MESSAGE, NULL);
		json_object_put(id);
		mg_ex_send(ex, msg);
		evbuffer_free(msg);
	}
	ex->rpc_error = DEADLINE_CODE;
	mg_wmetrics_failed(ex, DEADLINE_MESSAGE);
	mg_ex_finish(ex); /* may free EX */
}

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
deadline_fired(evutil_socket_t fd, short what, void *arg)
{
	mg_mcp_ex_t *ex = arg;
	int64_t ms = ex->deadline_ms, left = ex->deadline_at_us - mono_us();

	(void)fd;
	(void)what;
	/* libevent's timers run on its cached, coarse clock: one may fire a
	 * few ms early; the call gets its whole limit */
	if (left > 0) {
		struct timeval tv = { left / 1000000, left % 1000000 };

		evtimer_add(ex->deadline, &tv);
		return;
	}
	/* a relay whose answer came whole (JSON) is only waiting for its
	 * end; an exchange may linger for its stream's client */
	if (ex->answered_relay || (ex->relay == NULL && ex->calls == NULL))
		return;
	mg_notice("%s \"%s\" on \"%s\" (session %08llx) timed out after "
		  "%lld ms",
	    ex->rpc_method, ex->tool, ex->loc->path,
	    (unsigned long long)(ex->session >> 32), (long long)ms);
	if (ex->relay != NULL) {
		mg_relay_t *r = ex->relay;

		tell_upstream(ex, ms);
		ex->relay = NULL;
		ex->answered_relay = 1; /* nothing more of it, whatever comes */
		mg_proxy_cancel(r);
		/* last: the answer's end may free EX */
		mg_ex_relay_failed(ex, DEADLINE_CODE, DEADLINE_MESSAGE);
	} else if (ex->calls != NULL)
		expire_calls(ex);
}

/* EX's limit for METHOD of TOOL (NULL: none), armed. */
static void
arm(mg_mcp_ex_t *ex, const char *method, const char *tool, const char *up_tool)
{
	struct timeval tv;
	int64_t        ms;

	if (ex->deadline != NULL || ex->listen || method == NULL ||
	    strcmp(method, "subscriptions/listen") == 0)
		return;
	ms = mg_conf_timeout_of(ex->loc, ex->upstream, method, tool, up_tool);
	if (ms <= 0 ||
	    (ex->deadline = evtimer_new(ex->ctx->base, deadline_fired, ex)) ==
		NULL)
		return;
	ex->deadline_ms = ms;
	ex->deadline_at_us = mono_us() + ms * 1000;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ex->deadline, &tv);
}

void
mg_ex_deadline_arm(mg_mcp_ex_t *ex)
{
	/* a name kept at full length may have been cut: no tool's */
	const char *tool =
	    strlen(ex->tool) > MG_TOOL_TIMEOUT_NAME_MAX ? NULL : ex->tool;

	arm(ex, ex->rpc_method, tool,
	    ex->upstream != NULL && tool != NULL ? upstream_tool(ex) : NULL);
}

void
mg_ex_deadline_call(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	const char *tool = NULL;

	if (m->method != NULL && strcmp(m->method, "tools/call") == 0)
		tool = mg_era_name_of(m->method, m->params);
	arm(ex, m->method, tool, NULL);
}

void
mg_ex_deadline_free(mg_mcp_ex_t *ex)
{
	if (ex->deadline != NULL)
		event_free(ex->deadline);
	ex->deadline = NULL;
}
