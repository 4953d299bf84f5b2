/*
 * The built-in "demo" server offers three tools that show what the
 * gateway does with answers that come at once, later, and streamed:
 *   echo {message}   text "echo: MESSAGE"
 *   sleep {ms}       waits on a timer (the loop keeps serving), then
 *                    text "slept MS ms"
 *   progress {steps} one notifications/progress per step when the request
 *                    has a progressToken, then the result
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "demo.h"
#include "era.h"
#include "jsonrpc.h"

#define DEMO_SLEEP_MAX_MS 600000
#define DEMO_STEPS_MAX 10000
#define DEMO_STEP_MS 10
#define DEMO_TTL_MS 300000

typedef struct {
	struct event *timer;
	int           step, steps;
	int           ms;
} demo_call_t;

static struct json_object *
text_result(const char *text, int is_error)
{
	struct json_object *r = json_object_new_object();
	struct json_object *content = json_object_new_array();
	struct json_object *item = json_object_new_object();

	json_object_object_add(item, "type", json_object_new_string("text"));
	json_object_object_add(item, "text", json_object_new_string(text));
	json_object_array_add(content, item);
	json_object_object_add(r, "content", content);
	if (is_error)
		json_object_object_add(
		    r, "isError", json_object_new_boolean(1));
	return r;
}

static struct json_object *
demo_initialize(const char *version)
{
	struct json_object *r = json_object_new_object();
	struct json_object *caps = json_object_new_object();
	struct json_object *tools = json_object_new_object();
	struct json_object *info = json_object_new_object();

	json_object_object_add(
	    tools, "listChanged", json_object_new_boolean(0));
	json_object_object_add(caps, "tools", tools);
	json_object_object_add(r, "capabilities", caps);
	json_object_object_add(
	    info, "name", json_object_new_string("mcpgw-demo"));
	json_object_object_add(
	    info, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(r, "serverInfo", info);
	json_object_object_add(r, "instructions",
	    json_object_new_string(
		"A demo server hosted inside mcpgw: echo, sleep, progress."));
	return r;
}

/* One tool of tools/list: its input schema is one required property. */
static struct json_object *
tool(const char *name, const char *description, const char *prop,
    const char *type, const char *prop_description)
{
	struct json_object *t = json_object_new_object();
	struct json_object *schema = json_object_new_object();
	struct json_object *props = json_object_new_object();
	struct json_object *p = json_object_new_object();
	struct json_object *req = json_object_new_array();

	json_object_object_add(p, "type", json_object_new_string(type));
	json_object_object_add(
	    p, "description", json_object_new_string(prop_description));
	if (strcmp(type, "integer") == 0)
		json_object_object_add(p, "minimum", json_object_new_int(0));
	json_object_object_add(props, prop, p);
	json_object_array_add(req, json_object_new_string(prop));
	json_object_object_add(
	    schema, "type", json_object_new_string("object"));
	json_object_object_add(schema, "properties", props);
	json_object_object_add(schema, "required", req);
	json_object_object_add(t, "name", json_object_new_string(name));
	json_object_object_add(
	    t, "description", json_object_new_string(description));
	json_object_object_add(t, "inputSchema", schema);
	return t;
}

static struct json_object *
demo_tools(void)
{
	struct json_object *r = json_object_new_object();
	struct json_object *list = json_object_new_array();

	json_object_array_add(list,
	    tool("echo", "Returns its message.", "message", "string",
		"The text to echo back."));
	json_object_array_add(list,
	    tool("sleep",
		"Waits, then answers; the "
		"gateway keeps serving meanwhile.",
		"ms", "integer",
		"How long to wait, in milliseconds (at most 600000)."));
	json_object_array_add(list,
	    tool("progress",
		"Sends one progress "
		"notification per step, then answers.",
		"steps", "integer", "How many steps (at most 10000)."));
	json_object_object_add(r, "tools", list);
	return r;
}

static void
demo_free(mg_mcp_call_t *call)
{
	demo_call_t *d = mg_mcp_call_data(call);

	if (d == NULL)
		return;
	if (d->timer)
		event_free(d->timer);
	free(d);
	mg_mcp_call_set_data(call, NULL);
}

static void
sleep_done(evutil_socket_t fd, short what, void *arg)
{
	mg_mcp_call_t *call = arg;
	demo_call_t   *d = mg_mcp_call_data(call);
	char           text[64];

	snprintf(text, sizeof(text), "slept %d ms", d->ms);
	demo_free(call);
	mg_mcp_call_result(call, text_result(text, 0));
}

static void
progress_step(evutil_socket_t fd, short what, void *arg)
{
	mg_mcp_call_t      *call = arg;
	demo_call_t        *d = mg_mcp_call_data(call);
	struct json_object *token = mg_mcp_call_progress_token(call);
	struct json_object *params;
	struct timeval      tv = { 0, DEMO_STEP_MS * 1000 };
	char                text[64];

	if (d->step < d->steps) {
		d->step++;
		if (token != NULL) {
			params = json_object_new_object();
			json_object_object_add(
			    params, "progressToken", json_object_get(token));
			json_object_object_add(
			    params, "progress", json_object_new_int(d->step));
			json_object_object_add(
			    params, "total", json_object_new_int(d->steps));
			mg_mcp_call_notify(
			    call, "notifications/progress", params);
		}
		evtimer_add(d->timer, &tv);
		return;
	}
	snprintf(text, sizeof(text), "progress: %d steps", d->steps);
	demo_free(call);
	mg_mcp_call_result(call, text_result(text, 0));
}

/* Start a timed tool: FN runs after MS, then as the tool wishes. */
static void
demo_later(mg_mcp_call_t *call, int ms, int steps, event_callback_fn fn)
{
	demo_call_t   *d = calloc(1, sizeof(*d));
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (d == NULL ||
	    (d->timer = evtimer_new(mg_mcp_call_base(call), fn, call)) ==
		NULL) {
		free(d);
		mg_mcp_call_error(call, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	d->ms = ms;
	d->steps = steps;
	mg_mcp_call_set_data(call, d);
	evtimer_add(d->timer, &tv);
}

/* An integer argument in [0, max]: MG_OK, or answered as a tool error. */
static int
int_arg(mg_mcp_call_t *call, struct json_object *args, const char *name,
    int max, int *out)
{
	struct json_object *v;
	char                text[128];

	if (args != NULL && json_object_object_get_ex(args, name, &v) &&
	    json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) >= 0 && json_object_get_int64(v) <= max) {
		*out = (int)json_object_get_int64(v);
		return MG_OK;
	}
	snprintf(text, sizeof(text),
	    "invalid arguments: \"%s\" must be an "
	    "integer from 0 to %d",
	    name, max);
	mg_mcp_call_result(call, text_result(text, 1));
	return MG_ERROR;
}

static void
demo_call_tool(mg_mcp_call_t *call, struct json_object *params)
{
	struct json_object *name = NULL, *args = NULL, *msg;
	const char         *tool_name;
	char               *text;
	int                 n;

	if (params == NULL ||
	    !json_object_object_get_ex(params, "name", &name) ||
	    !json_object_is_type(name, json_type_string)) {
		mg_mcp_call_error(call, MG_RPC_INVALID_PARAMS,
		    "tools/call needs params.name");
		return;
	}
	tool_name = json_object_get_string(name);
	mg_mcp_call_set_tool(call, tool_name);
	json_object_object_get_ex(params, "arguments", &args);
	if (strcmp(tool_name, "echo") == 0) {
		if (args == NULL ||
		    !json_object_object_get_ex(args, "message", &msg) ||
		    !json_object_is_type(msg, json_type_string)) {
			mg_mcp_call_result(call,
			    text_result("invalid arguments: "
					"\"message\" must be a string",
				1));
			return;
		}
		if (asprintf(&text, "echo: %s", json_object_get_string(msg)) <
		    0) {
			mg_mcp_call_error(
			    call, MG_RPC_INTERNAL_ERROR, "out of memory");
			return;
		}
		mg_mcp_call_result(call, text_result(text, 0));
		free(text);
	} else if (strcmp(tool_name, "sleep") == 0) {
		if (int_arg(call, args, "ms", DEMO_SLEEP_MAX_MS, &n) == MG_OK)
			demo_later(call, n, 0, sleep_done);
	} else if (strcmp(tool_name, "progress") == 0) {
		if (int_arg(call, args, "steps", DEMO_STEPS_MAX, &n) == MG_OK)
			demo_later(call, 0, n, progress_step);
	} else {
		mg_mcp_call_error(call, MG_RPC_INVALID_PARAMS, "Unknown tool");
	}
}

/* 2026-07-28 lists carry how long a client may keep them (SEP-2549):
 * the demo's never change while the gateway runs. */
static struct json_object *
cacheable(mg_mcp_call_t *call, struct json_object *result)
{
	if (strcmp(mg_mcp_call_version(call), MG_ERA_2026) == 0) {
		json_object_object_add(
		    result, "ttlMs", json_object_new_int(DEMO_TTL_MS));
		json_object_object_add(
		    result, "cacheScope", json_object_new_string("public"));
	}
	return result;
}

static void
demo_request(
    mg_mcp_call_t *call, const char *method, struct json_object *params)
{
	if (strcmp(method, "tools/list") == 0)
		mg_mcp_call_result(call, cacheable(call, demo_tools()));
	else if (strcmp(method, "tools/call") == 0)
		demo_call_tool(call, params);
	else
		mg_mcp_call_error(
		    call, MG_RPC_METHOD_NOT_FOUND, "Method not found");
}

/* its one list never changes (listChanged false), it has no resources */
const mg_mcp_backend_t mg_demo = { "demo", demo_initialize, demo_request,
	demo_free, NULL, NULL };
