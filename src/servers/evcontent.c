/*
 * The "everything" server's resources and prompts (evserver.h): their
 * tables, lists, reads (a template's instances too) and prompts/get, with
 * the names and contents the MCP conformance suite asks for.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "evserver.h"
#include "jsonrpc.h"

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

/* ---- resources -------------------------------------------------------- */

/* Its resources never change: a subscription to one is agreed to, and
 * no notifications/resources/updated ever comes. */
int
mg_ev_subscribable(const char *uri)
{
	for (size_t i = 0; i < MG_NELEM(resources); i++)
		if (strcmp(resources[i].uri, uri) == 0)
			return 1;
	return 0;
}

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

void
mg_ev_resources_list(mg_mcp_call_t *call)
{
	struct json_object *r = json_object_new_object();
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < MG_NELEM(resources); i++)
		json_object_array_add(list, resource_entry(&resources[i]));
	json_object_object_add(r, "resources", list);
	mg_mcp_call_result(call, mg_ev_cacheable(call, r));
}

void
mg_ev_templates_list(mg_mcp_call_t *call)
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
	mg_mcp_call_result(call, mg_ev_cacheable(call, r));
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

void
mg_ev_resources_read(mg_mcp_call_t *call, struct json_object *params)
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
			    mg_ev_cacheable(call,
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
		    mg_ev_cacheable(call,
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

void
mg_ev_prompts_list(mg_mcp_call_t *call)
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
	mg_ev_dynamic_prompts(list);
	json_object_object_add(r, "prompts", list);
	mg_mcp_call_result(call, mg_ev_cacheable(call, r));
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

void
mg_ev_prompts_get(mg_mcp_call_t *call, struct json_object *params)
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
	if (!mg_ev_dynamic_prompt_get(call, name))
		mg_mcp_call_error(
		    call, MG_RPC_INVALID_PARAMS, "Unknown prompt");
}
