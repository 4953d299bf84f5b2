/*
 * The built-in "everything" server: every kind of thing an MCP server
 * offers, with the names and contents the MCP conformance suite asks for
 * (tools test_*, resources test://..., prompts test_*, completion,
 * logging), in both eras.  It lets an operator point any MCP client or
 * test suite at the gateway itself, and it is what the gateway's own
 * conformance runs use.
 *
 * What the tools answer is JSON text in the tables below, parsed when
 * used; the few that take time or arguments have a function.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "era.h"
#include "everything.h"
#include "evserver.h"
#include "jsonrpc.h"
#include "session.h"

#define EV_STEP_MS 50

#define NO_ARGS "{\"type\":\"object\",\"properties\":{}}"

static void ev_steps(mg_mcp_call_t *, const ev_tool_t *, struct json_object *);
static void ev_sample(mg_mcp_call_t *, const ev_tool_t *, struct json_object *);
static void ev_elicit(mg_mcp_call_t *, const ev_tool_t *, struct json_object *);
static void ev_args_text(
    mg_mcp_call_t *, const ev_tool_t *, struct json_object *);
static void ev_region(mg_mcp_call_t *, const ev_tool_t *, struct json_object *);
static void ev_log_tool(
    mg_mcp_call_t *, const ev_tool_t *, struct json_object *);

static const ev_tool_t tools[] = {
	{ "test_simple_text", "Tests simple text content response", NO_ARGS,
	    "{\"content\":[" TEXT(
		"This is a simple text response for testing.") "]}",
	    NULL },
	{ "test_image_content", "Tests image content response", NO_ARGS,
	    "{\"content\":[{\"type\":\"image\",\"data\":\"" EV_PNG
	    "\",\"mimeType\":\"image/png\"}]}",
	    NULL },
	{ "test_audio_content", "Tests audio content response", NO_ARGS,
	    "{\"content\":[{\"type\":\"audio\",\"data\":\"" EV_WAV
	    "\",\"mimeType\":\"audio/wav\"}]}",
	    NULL },
	{ "test_embedded_resource", "Tests embedded resource content response",
	    NO_ARGS,
	    "{\"content\":[{\"type\":\"resource\",\"resource\":{\"uri\":"
	    "\"test://embedded-resource\",\"mimeType\":\"text/plain\","
	    "\"text\":\"This is an embedded resource content.\"}}]}",
	    NULL },
	{ "test_multiple_content_types",
	    "Tests response with multiple content types (text, image, "
	    "resource)",
	    NO_ARGS,
	    "{\"content\":[" TEXT(
		"Multiple content types test:") ","
						"{\"type\":\"image\",\"data\":"
						"\"" EV_PNG "\",\"mimeType\":"
						"\"image/"
						"png\"},{\"type\":\"resource\","
						"\"resource\":{\"uri\":"
						"\"test://"
						"mixed-content-resource\","
						"\"mimeType\":"
						"\"application/json\",\"text\":"
						"\"{\\\"test\\\":\\\"data\\\","
						"\\\"value\\\":123}\"}}]}",
	    NULL },
	{ "test_error_handling", "Tests error response handling", NO_ARGS,
	    "{\"content\":[" TEXT(
		"This tool intentionally returns an error for "
		"testing") "],\"isError\":true}",
	    NULL },
	{ "test_tool_with_progress",
	    "Tests tool that reports progress notifications", NO_ARGS, NULL,
	    ev_steps },
	{ "test_tool_with_logging",
	    "Tests tool that emits log messages during execution", NO_ARGS,
	    NULL, ev_steps },
	/* the 2025 revisions: requests to the client on the call's stream;
	 * RESULT is the request's params */
	{ "test_sampling",
	    "Tests server-initiated sampling (LLM completion request)",
	    "{\"type\":\"object\",\"properties\":{\"prompt\":{\"type\":"
	    "\"string\",\"description\":\"The prompt to send to the LLM\"}},"
	    "\"required\":[\"prompt\"]}",
	    "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":"
	    "\"text\",\"text\":\"\"}}],\"maxTokens\":100}",
	    ev_sample },
	{ "test_elicitation",
	    "Tests server-initiated elicitation (user input request)",
	    "{\"type\":\"object\",\"properties\":{\"message\":{\"type\":"
	    "\"string\",\"description\":\"The message to show the user\"}},"
	    "\"required\":[\"message\"]}",
	    "{\"mode\":\"form\",\"message\":\"\",\"requestedSchema\":{"
	    "\"type\":\"object\",\"properties\":{\"response\":{\"type\":"
	    "\"string\",\"description\":\"User's response\"}},\"required\":"
	    "[\"response\"]}}",
	    ev_elicit },
	{ "test_elicitation_sep1034_defaults",
	    "Tests elicitation with default values per SEP-1034", NO_ARGS,
	    "{\"mode\":\"form\",\"message\":\"Please review and update the "
	    "form fields with defaults\",\"requestedSchema\":{\"type\":"
	    "\"object\",\"properties\":{\"name\":{\"type\":\"string\","
	    "\"description\":\"User name\",\"default\":\"John Doe\"},"
	    "\"age\":{\"type\":\"integer\",\"description\":\"User age\","
	    "\"default\":30},\"score\":{\"type\":\"number\",\"description\":"
	    "\"User score\",\"default\":95.5},\"status\":{\"type\":"
	    "\"string\",\"description\":\"User status\",\"enum\":["
	    "\"active\",\"inactive\",\"pending\"],\"default\":\"active\"},"
	    "\"verified\":{\"type\":\"boolean\",\"description\":"
	    "\"Verification status\",\"default\":true}},\"required\":[]}}",
	    ev_elicit },
	{ "test_elicitation_sep1330_enums",
	    "Tests elicitation with enum schema improvements per SEP-1330",
	    NO_ARGS,
	    "{\"mode\":\"form\",\"message\":\"Please select options from "
	    "the enum fields\",\"requestedSchema\":{\"type\":\"object\","
	    "\"properties\":{\"untitledSingle\":{\"type\":\"string\","
	    "\"description\":\"Select one option\",\"enum\":[\"option1\","
	    "\"option2\",\"option3\"]},\"titledSingle\":{\"type\":"
	    "\"string\",\"description\":\"Select one option with titles\","
	    "\"oneOf\":[{\"const\":\"value1\",\"title\":\"First Option\"},"
	    "{\"const\":\"value2\",\"title\":\"Second Option\"},{\"const\":"
	    "\"value3\",\"title\":\"Third Option\"}]},\"legacyEnum\":{"
	    "\"type\":\"string\",\"description\":\"Select one option "
	    "(legacy)\",\"enum\":[\"opt1\",\"opt2\",\"opt3\"],"
	    "\"enumNames\":[\"Option One\",\"Option Two\",\"Option "
	    "Three\"]},\"untitledMulti\":{\"type\":\"array\",\"description\":"
	    "\"Select multiple options\",\"minItems\":1,\"maxItems\":3,"
	    "\"items\":{\"type\":\"string\",\"enum\":[\"option1\","
	    "\"option2\",\"option3\"]}},\"titledMulti\":{\"type\":\"array\","
	    "\"description\":\"Select multiple options with titles\","
	    "\"minItems\":1,\"maxItems\":3,\"items\":{\"anyOf\":[{\"const\":"
	    "\"value1\",\"title\":\"First Choice\"},{\"const\":\"value2\","
	    "\"title\":\"Second Choice\"},{\"const\":\"value3\",\"title\":"
	    "\"Third Choice\"}]}}},\"required\":[]}}",
	    ev_elicit },
	/* 2026-07-28: input_required results (SEP-2322); RESULT names the
	 * inputs (mrtrs[]) */
	{ "test_input_required_result_elicitation",
	    "Asks for a name with an input_required result (elicitation)",
	    NO_ARGS, "elicitation", mg_ev_mrtr },
	{ "test_input_required_result_sampling",
	    "Asks for a sampling answer with an input_required result", NO_ARGS,
	    "sampling", mg_ev_mrtr },
	{ "test_input_required_result_list_roots",
	    "Asks for the client's roots with an input_required result",
	    NO_ARGS, "list_roots", mg_ev_mrtr },
	{ "test_input_required_result_request_state",
	    "An input_required result with a sealed requestState", NO_ARGS,
	    "request_state", mg_ev_mrtr },
	{ "test_input_required_result_multiple_inputs",
	    "Asks for an elicitation, a sampling answer and the roots at once",
	    NO_ARGS, "multiple_inputs", mg_ev_mrtr },
	{ "test_input_required_result_multi_round",
	    "Asks in two rounds, carrying the first answer in requestState",
	    NO_ARGS, NULL, mg_ev_multi_round },
	{ "test_input_required_result_tampered_state",
	    "Refuses a requestState it did not seal", NO_ARGS, "tampered_state",
	    mg_ev_mrtr },
	{ "test_input_required_result_capabilities",
	    "Asks only for what the client's capabilities allow", NO_ARGS,
	    "capabilities", mg_ev_mrtr },
	{ "test_streaming_elicitation",
	    "Asks with an input_required result, never with a request on "
	    "the stream",
	    NO_ARGS, "elicitation", mg_ev_mrtr },
	{ "test_missing_capability",
	    "Needs the sampling capability: -32021 when the client did not "
	    "declare it",
	    NO_ARGS, NULL, mg_ev_needs_sampling },
	{ "test_logging_tool",
	    "Logs only when the request asks for a log level", NO_ARGS, NULL,
	    ev_log_tool },
	/* the runner's hooks that change a list (evlists.c) */
	{ "test_trigger_tool_change",
	    "Changes the tool list: adds or removes test_dynamic_tool", NO_ARGS,
	    NULL, mg_ev_trigger_change },
	{ "test_trigger_prompt_change",
	    "Changes the prompt list: adds or removes test_dynamic_prompt",
	    NO_ARGS, NULL, mg_ev_trigger_change },
	{ "json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features",
	    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
	    "\"type\":\"object\",\"$defs\":{\"address\":{\"$anchor\":"
	    "\"addressDef\",\"type\":\"object\",\"properties\":{\"street\":"
	    "{\"type\":\"string\"},\"city\":{\"type\":\"string\"}}}},"
	    "\"properties\":{\"name\":{\"type\":\"string\"},\"address\":{"
	    "\"$ref\":\"#/$defs/address\"},\"contactMethod\":{\"type\":"
	    "\"string\",\"enum\":[\"phone\",\"email\"]},\"phone\":{\"type\":"
	    "\"string\"},\"email\":{\"type\":\"string\"}},\"allOf\":[{"
	    "\"anyOf\":[{\"required\":[\"phone\"]},{\"required\":[\"email\"]}]"
	    "}],\"if\":{\"properties\":{\"contactMethod\":{\"const\":"
	    "\"phone\"}},\"required\":[\"contactMethod\"]},\"then\":{"
	    "\"required\":[\"phone\"]},\"else\":{\"required\":[\"email\"]},"
	    "\"additionalProperties\":false}",
	    NULL, ev_args_text },
	/* SEP-2243: an argument mirrored into a header, Mcp-Param-Region */
	{ "test_header_param",
	    "Echoes a value that is mirrored into the Mcp-Param-Region header",
	    "{\"type\":\"object\",\"properties\":{\"region\":{\"type\":"
	    "\"string\",\"description\":\"Region (mirrored to "
	    "Mcp-Param-Region)\",\"x-mcp-header\":\"Region\"}},\"required\":"
	    "[\"region\"]}",
	    NULL, ev_region },
};

/* ---- initialize / server/discover ------------------------------------- */

static struct json_object *
ev_initialize(const char *version)
{
	struct json_object *r = json_object_new_object();
	struct json_object *info = json_object_new_object();

	json_object_object_add(r, "capabilities",
	    mg_ev_parse(strcmp(version, MG_ERA_2026) == 0
		    ? "{\"tools\":{\"listChanged\":true},\"resources\":{"
		      "\"subscribe\":true},\"prompts\":{\"listChanged\":true},"
		      "\"completions\":{}}"
		    : "{\"tools\":{\"listChanged\":true},\"resources\":{"
		      "\"subscribe\":true},\"prompts\":{\"listChanged\":true},"
		      "\"logging\":{},\"completions\":{}}"));
	mg_ev_add_string(info, "name", "mcpgw-everything");
	mg_ev_add_string(info, "version", PACKAGE_VERSION);
	json_object_object_add(r, "serverInfo", info);
	mg_ev_add_string(r, "instructions",
	    "A server hosted inside mcpgw that offers every kind of MCP "
	    "feature with the conformance suite's names.");
	return r;
}

/* ---- tools ------------------------------------------------------------ */

static void
ev_tools_list(mg_mcp_call_t *call)
{
	struct json_object *r = json_object_new_object();
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < MG_NELEM(tools); i++) {
		struct json_object *t = json_object_new_object();

		mg_ev_add_string(t, "name", tools[i].name);
		mg_ev_add_string(t, "description", tools[i].description);
		json_object_object_add(
		    t, "inputSchema", mg_ev_parse(tools[i].schema));
		json_object_array_add(list, t);
	}
	mg_ev_dynamic_tools(list);
	json_object_object_add(r, "tools", list);
	mg_mcp_call_result(call, mg_ev_cacheable(call, r));
}

/* The timed tools: three steps EV_STEP_MS apart, then the result. */
typedef struct {
	const ev_tool_t *tool;
	struct event    *timer;
	int              step;
} ev_run_t;

static void
ev_free(mg_mcp_call_t *call)
{
	ev_run_t *run = mg_mcp_call_data(call);

	if (run == NULL)
		return;
	event_free(run->timer);
	free(run);
	mg_mcp_call_set_data(call, NULL);
}

static void
ev_log(mg_mcp_call_t *call, const char *text)
{
	struct json_object *p = json_object_new_object();

	mg_ev_add_string(p, "level", "info");
	mg_ev_add_string(p, "logger", "mcpgw-everything");
	mg_ev_add_string(p, "data", text);
	mg_mcp_call_notify(call, "notifications/message", p);
}

static void
ev_progress(mg_mcp_call_t *call, int done)
{
	struct json_object *token = mg_mcp_call_progress_token(call);
	struct json_object *p;
	char                text[64];

	if (token == NULL)
		return;
	p = json_object_new_object();
	json_object_object_add(p, "progressToken", json_object_get(token));
	json_object_object_add(p, "progress", json_object_new_int(done));
	json_object_object_add(p, "total", json_object_new_int(100));
	snprintf(text, sizeof(text), "Completed step %d of 100", done);
	mg_ev_add_string(p, "message", text);
	mg_mcp_call_notify(call, "notifications/progress", p);
}

static void
ev_step(evutil_socket_t fd, short what, void *arg)
{
	static const char *const logs[] = { "Tool execution started",
		"Tool processing data", "Tool execution completed" };
	mg_mcp_call_t           *call = arg;
	ev_run_t                *run = mg_mcp_call_data(call);
	int progress = strcmp(run->tool->name, "test_tool_with_progress") == 0;
	struct json_object *token;
	struct timeval      tv = { 0, EV_STEP_MS * 1000 };

	if (progress)
		ev_progress(call, run->step * 50);
	else
		ev_log(call, logs[run->step]);
	if (++run->step < 3) {
		evtimer_add(run->timer, &tv);
		return;
	}
	token = mg_mcp_call_progress_token(call);
	ev_free(call);
	if (!progress)
		mg_mcp_call_result(call,
		    mg_ev_text_result(
			"Tool with logging executed successfully"));
	else
		mg_mcp_call_result(call,
		    mg_ev_text_result(token ? json_object_to_json_string_ext(
						  token, JSON_C_TO_STRING_PLAIN)
					    : "0"));
}

static void
ev_steps(mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args)
{
	ev_run_t *run = calloc(1, sizeof(*run));

	if (run == NULL ||
	    (run->timer = evtimer_new(mg_mcp_call_base(call), ev_step, call)) ==
		NULL) {
		free(run);
		mg_mcp_call_error(call, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	run->tool = tool;
	mg_mcp_call_set_data(call, run);
	ev_step(-1, 0, call);
}

/* ---- asking the client (2025 revisions) -------------------------------- */

static void
ev_say(mg_mcp_call_t *call, const char *fmt, const char *a, const char *b)
{
	char *text;

	if (asprintf(&text, fmt, a, b) < 0) {
		mg_mcp_call_error(call, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	mg_mcp_call_result(call, mg_ev_text_result(text));
	free(text);
}

static void
sampled(mg_mcp_call_t *call, struct json_object *result, int code,
    const char *message)
{
	struct json_object *c = NULL, *m, *t;

	if (code != 0) {
		ev_say(
		    call, "Sampling not supported or error: %s%s", message, "");
		return;
	}
	/* the text of result.content, or of result.message.content */
	if (!json_object_object_get_ex(result, "content", &c) &&
	    json_object_object_get_ex(result, "message", &m))
		json_object_object_get_ex(m, "content", &c);
	ev_say(call, "LLM response: %s%s",
	    json_object_object_get_ex(c, "text", &t) &&
		    json_object_is_type(t, json_type_string)
		? json_object_get_string(t)
		: "No response",
	    "");
}

static void
elicited(mg_mcp_call_t *call, struct json_object *result, int code,
    const char *message, const char *fmt)
{
	struct json_object *action, *content;

	if (code != 0) {
		ev_say(call, "Elicitation not supported or error: %s%s",
		    message, "");
		return;
	}
	if (!json_object_object_get_ex(result, "action", &action))
		action = NULL;
	if (!json_object_object_get_ex(result, "content", &content))
		content = NULL;
	ev_say(call, fmt, action ? json_object_get_string(action) : "undefined",
	    content ? json_object_to_json_string_ext(
			  content, JSON_C_TO_STRING_PLAIN)
		    : "{}");
}

static void
elicited_response(mg_mcp_call_t *call, struct json_object *result, int code,
    const char *message)
{
	elicited(call, result, code, message,
	    "User response: action=%s, content=%s");
}

static void
elicited_form(mg_mcp_call_t *call, struct json_object *result, int code,
    const char *message)
{
	elicited(call, result, code, message,
	    "Elicitation completed: action=%s, content=%s");
}

/* Ask the client METHOD with PARAMS (taken), or say why not. */
static void
ev_ask(mg_mcp_call_t *call, const char *method, struct json_object *params,
    mg_mcp_answered_t answered, const char *what)
{
	if (mg_mcp_call_ask(call, method, params, answered) != MG_OK)
		ev_say(call, "%s not supported or error: %s", what,
		    mg_ev_modern(call)
			? "2026-07-28 has no requests from server "
			  "to client"
			: "the call cannot ask its client now");
}

static void
ev_sample(mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args)
{
	struct json_object *params = mg_ev_parse(tool->result);
	struct json_object *msgs, *content;
	const char         *prompt = mg_ev_string_param(args, "prompt");

	if (prompt != NULL &&
	    json_object_object_get_ex(params, "messages", &msgs) &&
	    json_object_object_get_ex(
		json_object_array_get_idx(msgs, 0), "content", &content))
		mg_ev_add_string(content, "text", prompt);
	ev_ask(call, "sampling/createMessage", params, sampled, "Sampling");
}

static void
ev_elicit(mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args)
{
	struct json_object *params = mg_ev_parse(tool->result);
	const char         *message = mg_ev_string_param(args, "message");
	int                 plain = strcmp(tool->name, "test_elicitation") == 0;

	if (plain && message != NULL)
		mg_ev_add_string(params, "message", message);
	ev_ask(call, "elicitation/create", params,
	    plain ? elicited_response : elicited_form, "Elicitation");
}

static void
ev_args_text(
    mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args)
{
	char *text;

	if (asprintf(&text, "JSON Schema 2020-12 tool called with: %s",
		args ? json_object_to_json_string_ext(
			   args, JSON_C_TO_STRING_PLAIN)
		     : "{}") < 0) {
		mg_mcp_call_error(call, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	mg_mcp_call_result(call, mg_ev_text_result(text));
	free(text);
}

static void
ev_region(mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args)
{
	const char *region = mg_ev_string_param(args, "region");

	ev_say(call, "region=%s%s", region ? region : "", "");
}

static const char *
call_header(void *arg, const char *name)
{
	return mg_mcp_call_header(arg, name);
}

/* 2026-07-28: arguments mirrored into Mcp-Param-* headers must agree. */
static int
params_agree(
    mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args)
{
	struct json_object *schema;
	mg_era_err_t        err;
	int                 rc;

	if (!mg_ev_modern(call) || strstr(tool->schema, "x-mcp-header") == NULL)
		return MG_OK;
	schema = mg_ev_parse(tool->schema);
	rc = mg_era_check_params(schema, args, call_header, call, &err);
	json_object_put(schema);
	if (rc != MG_OK) {
		mg_mcp_call_error(call, err.code, err.message);
		mg_era_err_clear(&err);
	}
	return rc;
}

static void
ev_tools_call(mg_mcp_call_t *call, struct json_object *params)
{
	const char         *name = mg_ev_string_param(params, "name");
	struct json_object *args = NULL;

	if (name == NULL) {
		mg_mcp_call_error(call, MG_RPC_INVALID_PARAMS,
		    "tools/call needs params.name");
		return;
	}
	mg_mcp_call_set_tool(call, name);
	json_object_object_get_ex(params, "arguments", &args);
	for (size_t i = 0; i < MG_NELEM(tools); i++) {
		if (strcmp(tools[i].name, name) != 0)
			continue;
		if (params_agree(call, &tools[i], args) != MG_OK)
			return;
		if (tools[i].handler != NULL)
			tools[i].handler(call, &tools[i], args);
		else
			mg_mcp_call_result(call, mg_ev_parse(tools[i].result));
		return;
	}
	if (!mg_ev_dynamic_tool_call(call, name))
		mg_mcp_call_error(call, MG_RPC_INVALID_PARAMS, "Unknown tool");
}

/* 2026-07-28: log only when the request's _meta asks for a level. */
static void
ev_log_tool(
    mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args)
{
	struct json_object *meta, *level;

	if (json_object_object_get_ex(
		mg_mcp_call_params(call), "_meta", &meta) &&
	    json_object_object_get_ex(meta, MG_META_LOG_LEVEL, &level))
		ev_log(call, "test_logging_tool ran");
	mg_mcp_call_result(call, mg_ev_text_result("test_logging_tool done"));
}

/* ---- dispatch --------------------------------------------------------- */

static void
ev_request(mg_mcp_call_t *call, const char *method, struct json_object *params)
{
	if (strcmp(method, "tools/list") == 0)
		ev_tools_list(call);
	else if (strcmp(method, "tools/call") == 0)
		ev_tools_call(call, params);
	else if (strcmp(method, "resources/list") == 0)
		mg_ev_resources_list(call);
	else if (strcmp(method, "resources/templates/list") == 0)
		mg_ev_templates_list(call);
	else if (strcmp(method, "resources/read") == 0)
		mg_ev_resources_read(call, params);
	else if (strcmp(method, "prompts/list") == 0)
		mg_ev_prompts_list(call);
	else if (strcmp(method, "prompts/get") == 0)
		mg_ev_prompts_get(call, params);
	else if (strcmp(method, "completion/complete") == 0)
		mg_mcp_call_result(call,
		    mg_ev_parse("{\"completion\":{\"values\":[],\"total\":0,"
				"\"hasMore\":false}}"));
	/* the 2025 revisions only (2026-07-28 refuses them before) */
	else if (strcmp(method, "logging/setLevel") == 0 ||
	    strcmp(method, "resources/subscribe") == 0 ||
	    strcmp(method, "resources/unsubscribe") == 0)
		mg_mcp_call_result(call, json_object_new_object());
	else
		mg_mcp_call_error(
		    call, MG_RPC_METHOD_NOT_FOUND, "Method not found");
}

const mg_mcp_backend_t mg_everything = { "everything", ev_initialize,
	ev_request, ev_free, mg_ev_list_version, mg_ev_subscribable };
