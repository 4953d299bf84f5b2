/*
 * What a worker counts (exchange.h): its requests, their durations,
 * bytes and refusals in the log phase, tools/call outcomes with a bounded
 * tool label, and its open streams; the other worker/ files only tell it
 * what they saw, one line each.  Per request: no string is formatted
 * and nothing allocated once a series is known; a series is found by two
 * words made of the location's address and small integers (method index,
 * status, outcome, tool index), and its labels are built only the first
 * time.  Tool names are bounded per route in this process: the first
 * metrics_max_tools names that an upstream answered with a result (or a
 * tool error) keep their name, for those outcomes and any later one;
 * every other call is tool="other".
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "exchange.h"
#include "metrics.h"
#include "rpcoutcome.h"

#define OUT_TIMEOUT 4
#define OUT_CANCELLED 5
static const char *const outcomes[] = { "none", "result", "tool_error",
	"rpc_error", "timeout", "cancelled" };

static const char *const stream_kinds[] = { "post", "get", "listen" };

/* The MCP methods a label may name; any other is "other". */
static const char *const methods[] = { "initialize", "ping", "tools/list",
	"tools/call", "resources/list", "resources/read",
	"resources/templates/list", "resources/subscribe",
	"resources/unsubscribe", "prompts/list", "prompts/get",
	"completion/complete", "logging/setLevel", "server/discover",
	"subscriptions/listen", "notifications/initialized",
	"notifications/cancelled", "notifications/progress",
	"notifications/roots/list_changed", "tasks/get", "tasks/list",
	"tasks/result", "tasks/cancel" };
#define METHOD_OTHER ((int)MG_NELEM(methods))
#define METHOD_TOOLS_CALL 3

/* ---- tool names, per route ------------------------------------------ */

typedef struct {
	const void *route; /* NULL: free */
	uint32_t    hash;
	int         idx; /* from 0; in the route's "" entry: names so far */
	char        name[64];
} tool_t;

static tool_t       *tools;
static size_t        tools_cap, tools_n;
static const tool_t *known; /* the last name found (tools moves: reset) */

static uint32_t
tool_hash(const void *route, const char *name)
{
	uint32_t h = 2166136261u ^ (uint32_t)((uintptr_t)route >> 4);

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

static tool_t *
tool_slot(const void *route, const char *name, uint32_t h)
{
	size_t i;

	if (tools_cap == 0)
		return NULL;
	for (i = h & (tools_cap - 1); tools[i].route != NULL;
	     i = (i + 1) & (tools_cap - 1))
		if (tools[i].hash == h && tools[i].route == route &&
		    strcmp(tools[i].name, name) == 0)
			return &tools[i];
	return &tools[i];
}

static int
tools_grow(void)
{
	size_t  cap = tools_cap ? tools_cap * 2 : 64, old = tools_cap;
	tool_t *was = tools;

	if ((tools = calloc(cap, sizeof(*tools))) == NULL) {
		tools = was;
		return -1;
	}
	tools_cap = cap;
	known = NULL;
	for (size_t i = 0; i < old; i++)
		if (was[i].route != NULL)
			*tool_slot(was[i].route, was[i].name, was[i].hash) =
			    was[i];
	free(was);
	return 0;
}

static tool_t *
tool_add(const void *route, const char *name, int idx)
{
	tool_t  *t;
	uint32_t h = tool_hash(route, name);

	if ((tools_n + 1) * 2 > tools_cap && tools_grow() != 0)
		return NULL;
	t = tool_slot(route, name, h);
	if (t->route == NULL) {
		*t = (tool_t){ route, h, idx, { 0 } };
		snprintf(t->name, sizeof(t->name), "%s", name);
		tools_n++;
	}
	return t;
}

/* NAME's index on ROUTE, -1: "other".  KEEP: the upstream answered it,
 * so a new name takes the route's next index while there is room. */
static int
tool_index(const void *route, const char *name, int keep, int max)
{
	tool_t *t, *count;

	if (name[0] == '\0')
		return -1;
	if (known != NULL && known->route == route &&
	    strcmp(known->name, name) == 0)
		return known->idx;
	t = tool_slot(route, name, tool_hash(route, name));
	if (t != NULL && t->route != NULL) {
		known = t;
		return t->idx;
	}
	if (!keep || max <= 0 || (count = tool_add(route, "", 0)) == NULL ||
	    count->idx >= max)
		return -1;
	if (tool_add(route, name, count->idx) == NULL)
		return -1;
	return tool_slot(route, "", tool_hash(route, ""))->idx++;
}

/* ---- the log phase ---------------------------------------------------- */

/* Whether S, a tool name in an array of 64 (bytes after its NUL unknown),
 * is NAME, LEN bytes in an array of 64 that is zero after them: compared
 * a word at a time up to NAME's NUL, the last word masked (strcmp cost
 * 31 instructions a log phase, this about 10 for a short name). */
static inline int
same_tool(const char *name, size_t len, const char *s)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	size_t   i, n = len + 1; /* with the NUL */
	uint64_t a, b;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&a, name + i, 8);
		memcpy(&b, s + i, 8);
		if (a != b)
			return 0;
	}
	if (i == n)
		return 1;
	memcpy(&a, name + i, 8); /* i + 8 <= 64: within both arrays */
	memcpy(&b, s + i, 8);
	return ((a ^ b) & ((UINT64_C(1) << (n - i) * 8) - 1)) == 0;
#else
	return strcmp(name, s) == 0;
#endif
}

int
mg_wmetrics_same_tool(const char *name, size_t len, const char *s)
{
	return same_tool(name, len, s); /* for the unit test */
}

static int
method_index(const char *m)
{
	/* most requests are tools/call: the one compare first */
	if (memcmp(m, "tools/call", sizeof("tools/call")) == 0)
		return METHOD_TOOLS_CALL;
	for (int i = 0; i < METHOD_OTHER; i++)
		if (m[0] == methods[i][0] && strcmp(m, methods[i]) == 0)
			return i;
	return METHOD_OTHER;
}

static const char *
http_method_name(mg_http_method_t m)
{
	switch (m) {
	case MG_HTTP_GET: return "GET";
	case MG_HTTP_HEAD: return "HEAD";
	case MG_HTTP_POST: return "POST";
	case MG_HTTP_DELETE: return "DELETE";
	case MG_HTTP_OPTIONS: return "OPTIONS";
	default: return "other";
	}
}

/* What a refusal the phases did not name says by its status alone. */
static const char *
refusal_of(const mg_mcp_ex_t *ex, int status)
{
	if (ex != NULL && ex->refusal != NULL)
		return ex->refusal;
	switch (status) {
	case 400: return ex == NULL ? "bad_request" : NULL;
	case 401: return ex == NULL ? "auth" : NULL;
	case 403: return ex == NULL ? "auth" : NULL; /* a client cert */
	case 408: return "timeout";
	case 413: return "body_size";
	case 421: return "host";
	case 431: return "header_size";
	}
	return NULL;
}

static const char *
upstream_of(const mg_mcp_ex_t *ex)
{
	if (ex->upstream != NULL)
		return ex->upstream->name;
	if (ex->loc->builtin != NULL)
		return ex->loc->builtin;
	return ex->loc->members != NULL ? "federation" : "";
}

/* The series of a location that do not depend on the request, and
 * those its last request and last tool call counted into (most requests
 * of a route are the same method, status and tool), in a small table by
 * the location's address (a proxy route and the route it calls on the
 * same daemon alternate): a request like the last one finds its series
 * without a lookup. */
typedef struct {
	const void          *loc, *srv;
	mg_metrics_series_t *dur, *sent, *received;
	uint32_t             req_key; /* 0: none yet */
	mg_metrics_series_t *req;
	int                  tool_out; /* 0: none yet */
	char                 tool[64]; /* a known name, zero after it */
	size_t               tool_len;
	mg_metrics_series_t *tool_calls, *tool_dur;
} loc_series_t;
#define LOC_MEMO 16
static loc_series_t loc_memo[LOC_MEMO];

static loc_series_t *
location_series(const void *loc, const void *srv, const char *const *v)
{
	uint64_t k1 = (uint64_t)(uintptr_t)loc, ks = (uint64_t)(uintptr_t)srv;
	loc_series_t *m = &loc_memo[(k1 >> 4 ^ k1 >> 9) % LOC_MEMO];

	if (m->loc == loc && m->srv == srv && m->dur != NULL)
		return m;
	*m = (loc_series_t){ .loc = loc, .srv = srv };
	m->dur =
	    mg_metrics_series(k1, MG_M_HTTP_DURATION, MG_M_HTTP_DURATION, v);
	m->sent = mg_metrics_series(ks, MG_M_HTTP_SENT, MG_M_HTTP_SENT, v);
	m->received =
	    mg_metrics_series(ks, MG_M_HTTP_RECEIVED, MG_M_HTTP_RECEIVED, v);
	/* a series not made (a full table) is looked for again next time */
	if (m->dur == NULL || m->sent == NULL || m->received == NULL)
		m->dur = NULL;
	return m;
}

static void
tool_call(const mg_mcp_ex_t *ex, int status, int64_t us, loc_series_t *ls)
{
	int                  out = ex->mx_outcome, idx;
	const char          *v[4];
	uint64_t             k1 = (uint64_t)(uintptr_t)ex->loc, k2;
	mg_metrics_series_t *calls, *dur;

	if (out == 0 || out == MG_OUTCOME_NONE)
		out = ex->rpc_error != 0 ? MG_OUTCOME_RPC_ERROR
		    : status == 499      ? OUT_CANCELLED
		    : status >= 400      ? MG_OUTCOME_RPC_ERROR
					 : MG_OUTCOME_RESULT;
	/* the route's last call: the same known name, the same outcome */
	if (ls->tool_out == out &&
	    same_tool(ls->tool, ls->tool_len, ex->tool)) {
		mg_metrics_add(ls->tool_calls, 1);
		mg_metrics_observe(ls->tool_dur, us);
		return;
	}
	/* only a call the upstream answered (a result or a tool error)
	 * makes a name known; an error, a timeout, a cancel shows the name
	 * when it is known already, else "other" */
	idx = tool_index(ex->loc, ex->tool,
	    out == MG_OUTCOME_RESULT || out == MG_OUTCOME_TOOL_ERROR,
	    ex->ctx->conf->metrics_max_tools);
	k2 = MG_M_TOOL_CALLS | (uint64_t)out << 8 | (uint64_t)(idx + 1) << 16;
	v[0] = ex->loc->path;
	v[1] = upstream_of(ex);
	v[2] = idx < 0 ? "other" : ex->tool;
	v[3] = outcomes[out];
	calls = mg_metrics_series(k1, k2, MG_M_TOOL_CALLS, v);
	mg_metrics_add(calls, 1);
	k2 = MG_M_TOOL_DURATION | (uint64_t)(idx + 1) << 16;
	v[1] = v[2];
	dur = mg_metrics_series(k1, k2, MG_M_TOOL_DURATION, v);
	mg_metrics_observe(dur, us);
	/* a known name keeps its index: its series are the next call's */
	ls->tool_out = 0;
	if (idx >= 0 && calls != NULL && dur != NULL &&
	    (ls->tool_len = strlen(ex->tool)) < sizeof(ls->tool)) {
		memset(ls->tool, 0, sizeof(ls->tool));
		memcpy(ls->tool, ex->tool, ls->tool_len);
		ls->tool_calls = calls;
		ls->tool_dur = dur;
		ls->tool_out = out;
	}
}

/* A request unlike its route's last: the location's series and the
 * request counter found (or made), and kept as the route's last. */
static loc_series_t *
request_series(mg_http_req_t *req, const mg_server_t *srv,
    const mg_location_t *loc, int status, int mi, uint32_t key)
{
	const char *v[4];
	uint64_t    k1 = (uint64_t)(uintptr_t)loc;
	uint64_t    k2 = MG_M_HTTP_REQUESTS | (uint64_t)(status & 0xfff) << 8 |
	    (uint64_t)mi << 20;
	loc_series_t        *ls;
	mg_metrics_series_t *s;
	char                 code[8];

	v[0] = srv && srv->nnames ? srv->names[0] : "";
	v[1] = loc ? loc->path : "none";
	v[2] = mi < 64 ? (mi < METHOD_OTHER ? methods[mi] : "other")
		       : http_method_name(mg_http_req_method(req));
	v[3] = NULL; /* the status, written only for a new series */
	ls = location_series(loc, srv, v);
	if (ls->req_key == key) {
		mg_metrics_add(ls->req, 1);
		return ls;
	}
	if ((s = mg_metrics_find(k1, k2)) == NULL) {
		snprintf(code, sizeof(code), "%d", status);
		v[3] = code;
		s = mg_metrics_series(k1, k2, MG_M_HTTP_REQUESTS, v);
	}
	mg_metrics_add(s, 1);
	ls->req_key = s != NULL ? key : 0;
	ls->req = s;
	return ls;
}

void
mg_wmetrics_log(mg_mcp_ctx_t *ctx, mg_http_req_t *req, const mg_mcp_ex_t *ex)
{
	const mg_server_t   *srv = ex ? ex->srv : NULL;
	const mg_location_t *loc = ex ? ex->loc : NULL;
	int                  status = mg_http_req_status(req), mi;
	const char          *why;
	uint64_t             k1 = (uint64_t)(uintptr_t)loc;
	loc_series_t        *ls;
	int64_t              us;
	uint32_t             key;

	if (!mg_metrics_on())
		return;
	us = mg_http_req_elapsed_us(req); /* the access log's too */
	mi = ex && ex->rpc_method[0] ? method_index(ex->rpc_method)
				     : 64 + (int)mg_http_req_method(req);
	key = (uint32_t)(status & 0xfff) | (uint32_t)mi << 12 | 1u << 31;
	ls = &loc_memo[(k1 >> 4 ^ k1 >> 9) % LOC_MEMO];
	if (ls->loc == loc && ls->srv == srv && ls->dur != NULL &&
	    ls->req_key == key)
		mg_metrics_add(ls->req, 1); /* like the route's last request */
	else
		ls = request_series(req, srv, loc, status, mi, key);
	mg_metrics_observe(ls->dur, us);
	mg_metrics_add(ls->sent, mg_http_req_bytes_out(req));
	mg_metrics_add(ls->received, mg_http_req_bytes_in(req));
	if (status >= 400 && (why = refusal_of(ex, status)) != NULL)
		mg_metrics_count(MG_M_REFUSALS, why, NULL);
	if (ex == NULL)
		return;
	if (mi == METHOD_TOOLS_CALL)
		tool_call(ex, status, us, ls);
	if (ex->mx_stream) {
		mg_metrics_gauge(
		    MG_M_OPEN_STREAMS, stream_kinds[ex->mx_stream - 1], -1);
		((mg_mcp_ex_t *)ex)->mx_stream = 0; /* the request's, ended */
	}
	(void)ctx;
}

/* ---- what the other files saw ------------------------------------------ */

void
mg_wmetrics_stream(mg_mcp_ex_t *ex)
{
	int kind = ex->get_stream ? 1 : ex->listen ? 2 : 0;

	if (ex->mx_stream || !mg_metrics_on())
		return;
	ex->mx_stream = (unsigned char)(kind + 1);
	mg_metrics_gauge(MG_M_OPEN_STREAMS, stream_kinds[kind], 1);
}

static int
is_tool_call(const mg_mcp_ex_t *ex)
{
	return memcmp(ex->rpc_method, "tools/call", sizeof("tools/call")) == 0;
}

void
mg_wmetrics_answer(mg_mcp_ex_t *ex, const char *msg, size_t len)
{
	if (ex->mx_outcome == 0 && mg_metrics_on() && is_tool_call(ex))
		ex->mx_outcome = (unsigned char)mg_rpc_outcome(msg, len);
}

void
mg_wmetrics_result(mg_mcp_ex_t *ex, struct json_object *result)
{
	if (ex->mx_outcome != 0 || !mg_metrics_on() || !is_tool_call(ex))
		return;
	ex->mx_outcome = MG_OUTCOME_RESULT;
	if (!json_object_is_type(result, json_type_object))
		return;
	/* a result has few members: cheaper walked than hashed */
	json_object_object_foreach(result, key, v)
	{
		if (key[0] == 'i' && strcmp(key, "isError") == 0 &&
		    json_object_get_boolean(v))
			ex->mx_outcome = MG_OUTCOME_TOOL_ERROR;
	}
}

void
mg_wmetrics_failed(mg_mcp_ex_t *ex, const char *message)
{
	if (ex->mx_outcome == 0 && message != NULL && mg_metrics_on() &&
	    (strstr(message, "timed out") || strstr(message, "timeout")))
		ex->mx_outcome = OUT_TIMEOUT;
}
