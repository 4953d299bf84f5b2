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
#define EV_TTL_MS 60000

/* A 1x1 PNG and a minimal WAV, Base64. */
#define EV_PNG                                                                 \
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAF" \
	"BQIAX8jx0gAAAABJRU5ErkJggg=="
#define EV_WAV "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="

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

typedef struct {
	const char *uri, *name, *title, *description, *mime;
	const char *text, *blob; /* one of them */
} ev_resource_t;

static const ev_resource_t resources[] = {
	{ "test://static-text", "static-text", "Static Text Resource",
	    "A static text resource for testing", "text/plain",
	    "This is the content of the static text resource.", NULL },
	{ "test://static-binary", "static-binary", "Static Binary Resource",
	    "A static binary resource (image) for testing", "image/png", NULL,
	    EV_PNG },
	{ "test://watched-resource", "watched-resource", "Watched Resource",
	    "A resource a client may subscribe to", "text/plain",
	    "Watched resource content", NULL },
};

#define EV_TEMPLATE "test://template/{id}/data"
#define EV_TEMPLATE_PREFIX "test://template/"
#define EV_TEMPLATE_SUFFIX "/data"

typedef struct {
	const char *name, *title, *description;
	const char *arguments; /* JSON array, or NULL */
	const char *messages;  /* JSON array; %1 %2: arguments in order */
	const char *args[2];
} ev_prompt_t;

static const ev_prompt_t prompts[] = {
	{ "test_simple_prompt", "Simple Test Prompt",
	    "A simple prompt without arguments", NULL,
	    "[{\"role\":\"user\",\"content\":" TEXT(
		"This is a simple prompt for testing.") "}]",
	    { NULL, NULL } },
	{ "test_prompt_with_arguments", "Prompt With Arguments",
	    "A prompt with required arguments",
	    "[{\"name\":\"arg1\",\"description\":\"First test argument\","
	    "\"required\":true},{\"name\":\"arg2\",\"description\":\"Second "
	    "test argument\",\"required\":true}]",
	    NULL, { "arg1", "arg2" } },
	{ "test_prompt_with_embedded_resource", "Prompt With Embedded Resource",
	    "A prompt that includes an embedded resource",
	    "[{\"name\":\"resourceUri\",\"description\":\"URI of the resource "
	    "to embed\",\"required\":true}]",
	    NULL, { "resourceUri", NULL } },
	{ "test_input_required_result_prompt", "Prompt With Input Required",
	    "A prompt that asks for its context (2026-07-28: an "
	    "input_required result)",
	    NULL, NULL, { NULL, NULL } },
	{ "test_prompt_with_image", "Prompt With Image",
	    "A prompt that includes image content", NULL,
	    "[{\"role\":\"user\",\"content\":{\"type\":\"image\",\"data\":"
	    "\"" EV_PNG "\",\"mimeType\":\"image/"
	    "png\"}},{\"role\":\"user\",\"content\":" TEXT(
		"Please analyze the image above.") "}]",
	    { NULL, NULL } },
};

/* SEP-2549: lists and reads say how long a client may keep them. */
static struct json_object *
cacheable(mg_mcp_call_t *call, struct json_object *r)
{
	if (mg_ev_modern(call)) {
		json_object_object_add(
		    r, "ttlMs", json_object_new_int(EV_TTL_MS));
		json_object_object_add(
		    r, "cacheScope", json_object_new_string("public"));
	}
	return r;
}

/* ---- initialize / server/discover ------------------------------------- */

static struct json_object *
ev_initialize(const char *version)
{
	struct json_object *r = json_object_new_object();
	struct json_object *info = json_object_new_object();

	json_object_object_add(r, "capabilities",
	    mg_ev_parse(strcmp(version, MG_ERA_2026) == 0
		    ? "{\"tools\":{},\"resources\":{},\"prompts\":{},"
		      "\"completions\":{}}"
		    : "{\"tools\":{},\"resources\":{\"subscribe\":true},"
		      "\"prompts\":{},\"logging\":{},\"completions\":{}}"));
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
	json_object_object_add(r, "tools", list);
	mg_mcp_call_result(call, cacheable(call, r));
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

/* ---- resources -------------------------------------------------------- */

static struct json_object *
resource_entry(const ev_resource_t *res)
{
	struct json_object *o = json_object_new_object();

	mg_ev_add_string(o, "uri", res->uri);
	mg_ev_add_string(o, "name", res->name);
	mg_ev_add_string(o, "title", res->title);
	mg_ev_add_string(o, "description", res->description);
	mg_ev_add_string(o, "mimeType", res->mime);
	return o;
}

static void
ev_resources_list(mg_mcp_call_t *call)
{
	struct json_object *r = json_object_new_object();
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < MG_NELEM(resources); i++)
		json_object_array_add(list, resource_entry(&resources[i]));
	json_object_object_add(r, "resources", list);
	mg_mcp_call_result(call, cacheable(call, r));
}

static void
ev_templates_list(mg_mcp_call_t *call)
{
	struct json_object *r = json_object_new_object();
	struct json_object *list = json_object_new_array();
	struct json_object *t = json_object_new_object();

	mg_ev_add_string(t, "uriTemplate", EV_TEMPLATE);
	mg_ev_add_string(t, "name", "template");
	mg_ev_add_string(t, "title", "Resource Template");
	mg_ev_add_string(t, "description",
	    "A resource template with parameter substitution");
	mg_ev_add_string(t, "mimeType", "application/json");
	json_object_array_add(list, t);
	json_object_object_add(r, "resourceTemplates", list);
	mg_mcp_call_result(call, cacheable(call, r));
}

static struct json_object *
contents_of(
    const char *uri, const char *mime, const char *text, const char *blob)
{
	struct json_object *r = json_object_new_object();
	struct json_object *list = json_object_new_array();
	struct json_object *c = json_object_new_object();

	mg_ev_add_string(c, "uri", uri);
	mg_ev_add_string(c, "mimeType", mime);
	mg_ev_add_string(c, "text", text);
	mg_ev_add_string(c, "blob", blob);
	json_object_array_add(list, c);
	json_object_object_add(r, "contents", list);
	return r;
}

/* test://template/ID/data: the ID, if URI is one. */
static int
template_id(const char *uri, char *id, size_t n)
{
	size_t pre = strlen(EV_TEMPLATE_PREFIX),
	       suf = strlen(EV_TEMPLATE_SUFFIX);
	size_t len = strlen(uri);

	if (len <= pre + suf || strncmp(uri, EV_TEMPLATE_PREFIX, pre) != 0 ||
	    strcmp(uri + len - suf, EV_TEMPLATE_SUFFIX) != 0 ||
	    len - pre - suf >= n)
		return MG_ERROR;
	memcpy(id, uri + pre, len - pre - suf);
	id[len - pre - suf] = '\0';
	return strchr(id, '/') == NULL ? MG_OK : MG_ERROR;
}

static void
ev_resources_read(mg_mcp_call_t *call, struct json_object *params)
{
	const char         *uri = mg_ev_string_param(params, "uri");
	struct json_object *data, *o;
	char                id[256];

	if (uri == NULL) {
		mg_mcp_call_error(call, MG_RPC_INVALID_PARAMS,
		    "resources/read needs params.uri");
		return;
	}
	mg_mcp_call_set_tool(call, uri);
	for (size_t i = 0; i < MG_NELEM(resources); i++)
		if (strcmp(resources[i].uri, uri) == 0) {
			mg_mcp_call_result(call,
			    cacheable(call,
				contents_of(uri, resources[i].mime,
				    resources[i].text, resources[i].blob)));
			return;
		}
	if (template_id(uri, id, sizeof(id)) == MG_OK) {
		char text[512];

		o = json_object_new_object();
		mg_ev_add_string(o, "id", id);
		json_object_object_add(
		    o, "templateTest", json_object_new_boolean(1));
		snprintf(text, sizeof(text), "Data for ID: %s", id);
		mg_ev_add_string(o, "data", text);
		snprintf(text, sizeof(text), "%s",
		    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		mg_mcp_call_result(call,
		    cacheable(call,
			contents_of(uri, "application/json", text, NULL)));
		return;
	}
	/* SEP-2164: an unknown resource is invalid params, naming it */
	data = json_object_new_object();
	mg_ev_add_string(data, "uri", uri);
	mg_mcp_call_error_data(
	    call, MG_RPC_INVALID_PARAMS, "Resource not found", data);
}

/* ---- prompts ---------------------------------------------------------- */

static void
ev_prompts_list(mg_mcp_call_t *call)
{
	struct json_object *r = json_object_new_object();
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < MG_NELEM(prompts); i++) {
		struct json_object *p = json_object_new_object();

		mg_ev_add_string(p, "name", prompts[i].name);
		mg_ev_add_string(p, "title", prompts[i].title);
		mg_ev_add_string(p, "description", prompts[i].description);
		if (prompts[i].arguments)
			json_object_object_add(
			    p, "arguments", mg_ev_parse(prompts[i].arguments));
		json_object_array_add(list, p);
	}
	json_object_object_add(r, "prompts", list);
	mg_mcp_call_result(call, cacheable(call, r));
}

/* The messages of the prompts that take arguments. */
static struct json_object *
prompt_messages(const ev_prompt_t *p, const char *a1, const char *a2)
{
	struct json_object *list = json_object_new_array();
	struct json_object *c;
	char                text[1024];

	if (strcmp(p->name, "test_prompt_with_arguments") == 0) {
		snprintf(text, sizeof(text),
		    "Prompt with arguments: arg1='%s', arg2='%s'", a1, a2);
		json_object_array_add(
		    list, mg_ev_message("user", mg_ev_text_content(text)));
		return list;
	}
	c = mg_ev_parse(
	    "{\"type\":\"resource\",\"resource\":{\"mimeType\":"
	    "\"text/plain\",\"text\":\"Embedded resource content for "
	    "testing.\"}}");
	mg_ev_add_string(json_object_object_get(c, "resource"), "uri", a1);
	json_object_array_add(list, mg_ev_message("user", c));
	json_object_array_add(list,
	    mg_ev_message("user",
		mg_ev_parse(
		    TEXT("Please process the embedded resource above."))));
	return list;
}

static void
ev_prompts_get(mg_mcp_call_t *call, struct json_object *params)
{
	const char         *name = mg_ev_string_param(params, "name");
	struct json_object *args = NULL, *r;
	const char         *a[2] = { NULL, NULL };
	char                why[160];

	if (name == NULL) {
		mg_mcp_call_error(call, MG_RPC_INVALID_PARAMS,
		    "prompts/get needs params.name");
		return;
	}
	mg_mcp_call_set_tool(call, name);
	json_object_object_get_ex(params, "arguments", &args);
	for (size_t i = 0; i < MG_NELEM(prompts); i++) {
		const ev_prompt_t *p = &prompts[i];

		if (strcmp(p->name, name) != 0)
			continue;
		if (p->messages == NULL && p->args[0] == NULL) {
			mg_ev_prompt_input(call);
			return;
		}
		for (int k = 0; k < 2 && p->args[k]; k++)
			if ((a[k] = mg_ev_string_param(args, p->args[k])) ==
			    NULL) {
				snprintf(why, sizeof(why),
				    "Invalid params: argument \"%s\" (a "
				    "string) is required",
				    p->args[k]);
				mg_mcp_call_error(
				    call, MG_RPC_INVALID_PARAMS, why);
				return;
			}
		r = json_object_new_object();
		mg_ev_add_string(r, "description", p->description);
		json_object_object_add(r, "messages",
		    p->messages ? mg_ev_parse(p->messages)
				: prompt_messages(p, a[0], a[1]));
		mg_mcp_call_result(call, r);
		return;
	}
	mg_mcp_call_error(call, MG_RPC_INVALID_PARAMS, "Unknown prompt");
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
		ev_resources_list(call);
	else if (strcmp(method, "resources/templates/list") == 0)
		ev_templates_list(call);
	else if (strcmp(method, "resources/read") == 0)
		ev_resources_read(call, params);
	else if (strcmp(method, "prompts/list") == 0)
		ev_prompts_list(call);
	else if (strcmp(method, "prompts/get") == 0)
		ev_prompts_get(call, params);
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
	ev_request, ev_free };
