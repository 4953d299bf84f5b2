/*
 * The bridge between the eras of MCP: messages of one turned into the
 * other's.  See bridge.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bridge.h"
#include "era.h"
#include "mcpgw.h"

int
mg_bridge_cacheable(const char *method)
{
	static const char *const methods[] = { "tools/list", "prompts/list",
		"resources/list", "resources/templates/list",
		"resources/read" };

	for (size_t i = 0; method != NULL && i < MG_NELEM(methods); i++)
		if (strcmp(method, methods[i]) == 0)
			return 1;
	return 0;
}

static struct json_object *
deep_copy(struct json_object *v)
{
	struct json_object *copy = NULL;

	if (v == NULL || json_object_deep_copy(v, &copy, NULL) != 0)
		return json_object_new_object();
	return copy;
}

/* A server's capabilities as the bridge can honour them: without
 * listChanged and subscribe (it delivers no notification outside a
 * request, in either direction). */
static struct json_object *
capabilities_of(struct json_object *caps)
{
	struct json_object *v = deep_copy(caps);

	json_object_object_foreach(v, cap, spec)
	{
		(void)cap;
		if (json_object_is_type(spec, json_type_object)) {
			json_object_object_del(spec, "listChanged");
			json_object_object_del(spec, "subscribe");
		}
	}
	return v;
}

struct json_object *
mg_bridge_discover_from_initialize(
    struct json_object *result, const char *const *supported, size_t n)
{
	struct json_object *r = json_object_new_object(), *v = NULL, *meta;
	struct json_object *list = json_object_new_array();

	json_object_object_get_ex(result, "capabilities", &v);
	json_object_object_add(r, "capabilities", capabilities_of(v));
	if (json_object_object_get_ex(result, "instructions", &v))
		json_object_object_add(r, "instructions", json_object_get(v));
	if (json_object_object_get_ex(result, "serverInfo", &v)) {
		meta = json_object_new_object();
		json_object_object_add(
		    meta, MG_META_SERVER_INFO, json_object_get(v));
		json_object_object_add(r, "_meta", meta);
	}
	for (size_t i = 0; i < n; i++)
		json_object_array_add(
		    list, json_object_new_string(supported[i]));
	json_object_object_add(r, "supportedVersions", list);
	return r;
}

struct json_object *
mg_bridge_initialize_from_discover(
    struct json_object *result, const char *version)
{
	struct json_object *r = json_object_new_object(), *v = NULL, *meta;

	json_object_object_add(
	    r, "protocolVersion", json_object_new_string(version));
	json_object_object_get_ex(result, "capabilities", &v);
	json_object_object_add(r, "capabilities", capabilities_of(v));
	if (json_object_object_get_ex(result, "_meta", &meta) &&
	    json_object_object_get_ex(meta, MG_META_SERVER_INFO, &v))
		json_object_object_add(r, "serverInfo", json_object_get(v));
	else {
		v = json_object_new_object();
		json_object_object_add(
		    v, "name", json_object_new_string("mcp-server"));
		json_object_object_add(
		    v, "version", json_object_new_string("unknown"));
		json_object_object_add(r, "serverInfo", v);
	}
	if (json_object_object_get_ex(result, "instructions", &v))
		json_object_object_add(r, "instructions", json_object_get(v));
	return r;
}

char *
mg_bridge_request_to_2026(
    const mg_rpc_msg_t *m, const char *init_params, size_t *len)
{
	struct json_object *root = NULL, *params, *meta, *init, *v;
	const char         *text;
	char               *out;

	if (m->kind != MG_RPC_REQUEST && m->kind != MG_RPC_NOTIFICATION)
		return NULL;
	if (json_object_deep_copy(m->root, &root, NULL) != 0)
		return NULL;
	if (!json_object_object_get_ex(root, "params", &params) ||
	    !json_object_is_type(params, json_type_object)) {
		params = json_object_new_object();
		json_object_object_add(root, "params", params);
	}
	if (!json_object_object_get_ex(params, "_meta", &meta) ||
	    !json_object_is_type(meta, json_type_object)) {
		meta = json_object_new_object();
		json_object_object_add(params, "_meta", meta);
	}
	init = init_params ? json_tokener_parse(init_params) : NULL;
	json_object_object_add(
	    meta, MG_META_VERSION, json_object_new_string(MG_ERA_2026));
	v = NULL;
	json_object_object_get_ex(init, "capabilities", &v);
	json_object_object_add(meta, MG_META_CAPABILITIES,
	    json_object_is_type(v, json_type_object)
		? json_object_get(v)
		: json_object_new_object());
	if (json_object_object_get_ex(init, "clientInfo", &v))
		json_object_object_add(
		    meta, MG_META_CLIENT_INFO, json_object_get(v));
	/* a 2025 server logs unasked; a 2026-07-28 one only when asked */
	if (!json_object_object_get_ex(meta, MG_META_LOG_LEVEL, NULL))
		json_object_object_add(
		    meta, MG_META_LOG_LEVEL, json_object_new_string("info"));
	json_object_put(init);
	text = json_object_to_json_string_length(
	    root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
	out = text ? strdup(text) : NULL;
	json_object_put(root);
	return out;
}
