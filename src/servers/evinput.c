/*
 * The "everything" server's tools that answer 2026-07-28 clients with
 * input_required results (SEP-2322): what each asks its client for, the
 * sealed requestState some hand out and insist on getting back, and the
 * multi-round one; the 2025 revisions get the same questions as requests
 * on the call's stream.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "era.h"
#include "evserver.h"
#include "jsonrpc.h"
#include "session.h"

/* What a tool may ask its client for: KEY in inputRequests. */
typedef struct {
	const char *key, *cap, *method, *params;
} ev_input_t;

#define ASK_TEXT(q, field, type)                                               \
	"{\"message\":\"" q "\",\"requestedSchema\":{\"type\":\"object\","     \
	"\"properties\":{\"" field "\":{\"type\":\"" type "\"}},\"required\":" \
	"[\"" field "\"]}}"
#define ASK_MODEL(q, max)                                                      \
	"{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\","    \
	"\"text\":\"" q "\"}}],\"maxTokens\":" #max "}"

static const ev_input_t inputs[] = {
	{ "user_name", "elicitation", "elicitation/create",
	    ASK_TEXT("What is your name?", "name", "string") },
	{ "capital_question", "sampling", "sampling/createMessage",
	    ASK_MODEL("What is the capital of France?", 100) },
	{ "client_roots", "roots", "roots/list", "{}" },
	{ "confirm", "elicitation", "elicitation/create",
	    ASK_TEXT("Please confirm", "ok", "boolean") },
	{ "greeting", "sampling", "sampling/createMessage",
	    ASK_MODEL("Generate a greeting", 50) },
	{ "step1", "elicitation", "elicitation/create",
	    ASK_TEXT("Step 1: What is your name?", "name", "string") },
	{ "step2", "elicitation", "elicitation/create",
	    ASK_TEXT(
		"Step 2: What is your favorite color?", "color", "string") },
	{ "user_context", "elicitation", "elicitation/create",
	    ASK_TEXT(
		"What context should the prompt use?", "context", "string") },
};

/*
 * A tool (or prompt) that asks before it answers: the inputs it needs,
 * whether it hands a sealed requestState (and insists on getting it
 * back), and whether it asks only for what the client can answer.
 */
typedef struct {
	const char *name;
	const char *keys[3];
	int         sealed;
	int         any; /* ask what the client's capabilities allow */
} ev_mrtr_t;

static const ev_mrtr_t mrtrs[] = {
	{ "elicitation", { "user_name" }, 0, 0 },
	{ "sampling", { "capital_question" }, 0, 0 },
	{ "list_roots", { "client_roots" }, 0, 0 },
	{ "request_state", { "confirm" }, 1, 0 },
	{ "multiple_inputs", { "user_name", "greeting", "client_roots" }, 1,
	    0 },
	{ "tampered_state", { "confirm" }, 1, 0 },
	{ "capabilities", { "user_name", "capital_question", "client_roots" },
	    0, 1 },
	{ "prompt", { "user_context" }, 0, 0 },
};

static const ev_input_t *
input_named(const char *key)
{
	for (size_t i = 0; i < MG_NELEM(inputs); i++)
		if (strcmp(inputs[i].key, key) == 0)
			return &inputs[i];
	return NULL;
}

/* params.inputResponses[KEY] when it is an object, else NULL. */
static struct json_object *
response_to(struct json_object *params, const char *key)
{
	struct json_object *all, *r;

	if (!json_object_object_get_ex(params, "inputResponses", &all) ||
	    !json_object_object_get_ex(all, key, &r) ||
	    !json_object_is_type(r, json_type_object))
		return NULL;
	return r;
}

/* Malformed inputResponses (not an object, or an awaited answer that is
 * not one): a protocol error.  Unknown keys are ignored. */
static int
responses_malformed(struct json_object *params, const char *const *keys, int n)
{
	struct json_object *all, *r;

	if (!json_object_object_get_ex(params, "inputResponses", &all))
		return 0;
	if (!json_object_is_type(all, json_type_object))
		return 1;
	for (int k = 0; k < n; k++)
		if (json_object_object_get_ex(all, keys[k], &r) &&
		    !json_object_is_type(r, json_type_object))
			return 1;
	return 0;
}

/* The usable text of an answer to input KEY, or NULL: an accepted
 * elicitation's field, a sampling answer's text, the roots listed. */
static const char *
answer_text(struct json_object *r, const ev_input_t *in, char *buf, size_t n)
{
	struct json_object *v, *c, *list;
	size_t              o;

	if (r == NULL)
		return NULL;
	if (strcmp(in->cap, "elicitation") == 0) {
		if (!json_object_object_get_ex(r, "action", &v) ||
		    strcmp(json_object_get_string(v), "accept") != 0 ||
		    !json_object_object_get_ex(r, "content", &c) ||
		    !json_object_is_type(c, json_type_object))
			return NULL;
		/* the one field the schema asks for */
		json_object_object_foreach(c, field, val)
		{
			if (strstr(in->params, field) == NULL)
				continue;
			snprintf(buf, n, "%s", json_object_get_string(val));
			return buf;
		}
		return NULL;
	}
	if (strcmp(in->cap, "sampling") == 0)
		return json_object_object_get_ex(r, "content", &c) &&
			json_object_object_get_ex(c, "text", &v) &&
			json_object_is_type(v, json_type_string)
		    ? json_object_get_string(v)
		    : NULL;
	if (!json_object_object_get_ex(r, "roots", &list) ||
	    !json_object_is_type(list, json_type_array))
		return NULL;
	o = (size_t)snprintf(
	    buf, n, "%zu root(s):", json_object_array_length(list));
	for (size_t i = 0; i < json_object_array_length(list) && o < n; i++)
		if (json_object_object_get_ex(
			json_object_array_get_idx(list, i), "uri", &v))
			o += (size_t)snprintf(
			    buf + o, n - o, " %s", json_object_get_string(v));
	return buf;
}

/* Answer with an input_required result asking for KEYS (N of them). */
static void
input_required(
    mg_mcp_call_t *call, const char *const *keys, int n, const char *state)
{
	struct json_object *r = json_object_new_object();
	struct json_object *reqs = json_object_new_object();
	char                sealed[MG_SESSION_DATA_TOKEN_MAX + 1];

	mg_ev_add_string(r, "resultType", "input_required");
	for (int k = 0; k < n; k++) {
		const ev_input_t   *in = input_named(keys[k]);
		struct json_object *q = json_object_new_object();

		mg_ev_add_string(q, "method", in->method);
		json_object_object_add(q, "params", mg_ev_parse(in->params));
		json_object_object_add(reqs, in->key, q);
	}
	json_object_object_add(r, "inputRequests", reqs);
	if (state != NULL) {
		if (mg_mcp_call_seal(call, state, sealed, sizeof(sealed)) !=
		    MG_OK) {
			json_object_put(r);
			mg_mcp_call_error(call, MG_RPC_INTERNAL_ERROR,
			    "cannot seal the requestState");
			return;
		}
		mg_ev_add_string(r, "requestState", sealed);
	}
	mg_mcp_call_result(call, r);
}

/* -32021: the client did not declare CAP, which the call needs. */
static void
missing_capability(mg_mcp_call_t *call, const char *cap)
{
	struct json_object *data = json_object_new_object();
	struct json_object *need = json_object_new_object();
	char                why[128];

	json_object_object_add(need, cap, json_object_new_object());
	json_object_object_add(data, "requiredCapabilities", need);
	snprintf(
	    why, sizeof(why), "Missing required client capability: %s", cap);
	mg_mcp_call_error_data(call, MG_MCP_ERR_MISSING_CAPABILITY, why, data);
}

/* The requestState the client handed back, opened: MG_OK with the text
 * in BUF; MG_DECLINED when absent; MG_ERROR (answered) when not ours. */
static int
request_state(mg_mcp_call_t *call, struct json_object *params, const char *want,
    char *buf, size_t n)
{
	const char *token = mg_ev_string_param(params, "requestState");

	if (token == NULL)
		return MG_DECLINED;
	if (mg_mcp_call_unseal(call, token, buf, n) != MG_OK ||
	    strncmp(buf, want, strlen(want)) != 0) {
		mg_mcp_call_error(call, MG_RPC_INVALID_PARAMS,
		    "Invalid requestState: integrity check failed");
		return MG_ERROR;
	}
	return MG_OK;
}

/* The inputs of M this client can be asked for, in KEYS; the first
 * capability missing, if one is. */
static int
askable(mg_mcp_call_t *call, const ev_mrtr_t *m, const char **keys,
    const char **missing)
{
	int n = 0;

	*missing = NULL;
	for (int k = 0; k < 3 && m->keys[k]; k++) {
		const ev_input_t *in = input_named(m->keys[k]);

		if (mg_era_client_capability(
			mg_mcp_call_params(call), in->cap) != NULL)
			keys[n++] = m->keys[k];
		else if (*missing == NULL)
			*missing = in->cap;
	}
	return n;
}

/* Everything M asked for is answered: the result (a prompt's messages
 * for "prompt"). */
static void
mrtr_done(mg_mcp_call_t *call, const ev_mrtr_t *m, const char **keys,
    const char **texts, int n)
{
	char text[1200];
	int  o = 0;

	if (strcmp(m->name, "prompt") == 0) {
		struct json_object *r = json_object_new_object();
		struct json_object *list = json_object_new_array();

		snprintf(
		    text, sizeof(text), "Prompt with context: %s", texts[0]);
		json_object_array_add(
		    list, mg_ev_message("user", mg_ev_text_content(text)));
		mg_ev_add_string(
		    r, "description", "A prompt that asks for its context");
		json_object_object_add(r, "messages", list);
		mg_mcp_call_result(call, r);
		return;
	}
	if (m->sealed)
		o = snprintf(
		    text, sizeof(text), "state-ok: requestState validated;");
	for (int k = 0; k < n && o < (int)sizeof(text); k++)
		o += snprintf(text + o, sizeof(text) - (size_t)o, "%s%s: %s",
		    o ? " " : "", keys[k], texts[k]);
	if (strcmp(m->name, "elicitation") == 0)
		snprintf(text, sizeof(text), "Hello, %s!", texts[0]);
	mg_mcp_call_result(call, mg_ev_text_result(text));
}

static void
mrtr_run(mg_mcp_call_t *call, const ev_mrtr_t *m)
{
	struct json_object *params = mg_mcp_call_params(call);
	const char         *keys[3], *missing, *texts[3];
	char                bufs[3][400], state[MG_SESSION_DATA_MAX + 1];
	int                 n, got = 0, rc = MG_DECLINED;

	if (!mg_ev_modern(call)) {
		mg_mcp_call_result(call,
		    mg_ev_parse("{\"content\":[" TEXT(
			"input_required results are part of 2026-07-28; at "
			"the 2025 revisions see test_elicitation and "
			"test_sampling") "],\"isError\":true}"));
		return;
	}
	n = askable(call, m, keys, &missing);
	if ((missing != NULL && !m->any) || n == 0) {
		missing_capability(call, missing);
		return;
	}
	if (responses_malformed(params, keys, n)) {
		mg_mcp_call_error(call, MG_RPC_INVALID_PARAMS,
		    "Invalid params: inputResponses must be an object of "
		    "response objects");
		return;
	}
	if (m->sealed &&
	    (rc = request_state(call, params, m->name, state, sizeof(state))) ==
		MG_ERROR)
		return;
	for (int k = 0; k < n; k++)
		if ((texts[k] = answer_text(response_to(params, keys[k]),
			 input_named(keys[k]), bufs[k], sizeof(bufs[k]))) !=
		    NULL)
			got++;
	/* a sealed round needs its state back; a missing answer is asked
	 * again */
	if (got == n && (!m->sealed || rc == MG_OK))
		mrtr_done(call, m, keys, texts, n);
	else
		input_required(call, keys, n, m->sealed ? m->name : NULL);
}

void
mg_ev_mrtr(mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args)
{
	for (size_t i = 0; i < MG_NELEM(mrtrs); i++)
		if (strcmp(mrtrs[i].name, tool->result) == 0) {
			mrtr_run(call, &mrtrs[i]);
			return;
		}
}

/* Two rounds: the name, then the color; the name travels sealed in the
 * requestState of round 2 ("multi_round|2|NAME"). */
void
mg_ev_multi_round(
    mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args)
{
	static const char *const        one[] = { "step1" },
				 *const two[] = { "step2" };
	struct json_object             *params = mg_mcp_call_params(call);
	char state[MG_SESSION_DATA_MAX + 1], name[400], color[400], next[512];
	int  rc;

	if (!mg_ev_modern(call) || responses_malformed(params, two, 1) ||
	    responses_malformed(params, one, 1)) {
		mrtr_run(call, &mrtrs[0]); /* says why, or refuses */
		return;
	}
	if ((rc = request_state(call, params, "multi_round|", state,
		 sizeof(state))) == MG_ERROR)
		return;
	if (rc == MG_DECLINED) {
		input_required(call, one, 1, "multi_round|1|");
		return;
	}
	if (strncmp(state, "multi_round|1|", 14) == 0) {
		if (answer_text(response_to(params, "step1"),
			input_named("step1"), name, sizeof(name)) == NULL) {
			input_required(call, one, 1, "multi_round|1|");
			return;
		}
		snprintf(next, sizeof(next), "multi_round|2|%s", name);
		input_required(call, two, 1, next);
		return;
	}
	if (answer_text(response_to(params, "step2"), input_named("step2"),
		color, sizeof(color)) == NULL) {
		input_required(call, two, 1, state);
		return;
	}
	snprintf(next, sizeof(next),
	    "Multi-round complete for %.200s who likes %.200s", state + 14,
	    color);
	mg_mcp_call_result(call, mg_ev_text_result(next));
}

void
mg_ev_needs_sampling(
    mg_mcp_call_t *call, const ev_tool_t *tool, struct json_object *args)
{
	if (mg_ev_modern(call) &&
	    mg_era_client_capability(mg_mcp_call_params(call), "sampling") ==
		NULL) {
		missing_capability(call, "sampling");
		return;
	}
	mg_mcp_call_result(call,
	    mg_ev_text_result("The client declared the sampling capability."));
}

/* The prompt that asks for its context first (prompts[]). */
void
mg_ev_prompt_input(mg_mcp_call_t *call)
{
	mrtr_run(call, &mrtrs[MG_NELEM(mrtrs) - 1]);
}
