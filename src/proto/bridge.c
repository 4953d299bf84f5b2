/*
 * The bridge between the eras of MCP: messages of one turned into the
 * other's.  See bridge.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bridge.h"
#include "era.h"
#include "mcpgw.h"

/* KEY of object O: an object, made if O has none (or not an object). */
static struct json_object *
object_at(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_object)) {
		v = json_object_new_object();
		json_object_object_add(o, key, v);
	}
	return v;
}

struct json_object *
mg_bridge_params(struct json_object *msg)
{
	return object_at(msg, "params");
}

struct json_object *
mg_bridge_meta(struct json_object *msg)
{
	return object_at(object_at(msg, "params"), "_meta");
}

void
mg_bridge_meta_drop(struct json_object *params, const char *key)
{
	struct json_object *meta;

	if (!json_object_object_get_ex(params, "_meta", &meta) ||
	    !json_object_is_type(meta, json_type_object))
		return;
	json_object_object_del(meta, key);
	if (json_object_object_length(meta) == 0)
		json_object_object_del(params, "_meta");
}

/* The keys of a 2026-07-28 request's _meta (its RequestMetaObject) that
 * 2025-11-25 does not have; progressToken, related-task and the
 * client's own keys are valid in both. */
static const char *const meta_2026_only[] = { MG_META_VERSION,
	MG_META_CAPABILITIES, MG_META_CLIENT_INFO, MG_META_LOG_LEVEL };

void
mg_bridge_meta_to_2025(struct json_object *params)
{
	for (size_t i = 0; i < MG_NELEM(meta_2026_only); i++)
		mg_bridge_meta_drop(params, meta_2026_only[i]);
}

int
mg_bridge_log_rank(const char *name)
{
	static const char *const levels[] = { "debug", "info", "notice",
		"warning", "error", "critical", "alert", "emergency" };

	for (size_t i = 0; name != NULL && i < MG_NELEM(levels); i++)
		if (strcmp(name, levels[i]) == 0)
			return (int)i;
	return -1;
}

int
mg_bridge_log_passes(int want, struct json_object *params)
{
	struct json_object *level;

	if (want < 0)
		return 0;
	/* a level the revision does not name: as the most severe */
	if (!json_object_object_get_ex(params, "level", &level) ||
	    mg_bridge_log_rank(json_object_get_string(level)) < 0)
		return 1;
	return mg_bridge_log_rank(json_object_get_string(level)) >= want;
}

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

struct json_object *
mg_bridge_discover_from_initialize(
    struct json_object *result, const char *const *supported, size_t n)
{
	struct json_object *r = json_object_new_object(), *v = NULL, *meta;
	struct json_object *list = json_object_new_array();

	json_object_object_get_ex(result, "capabilities", &v);
	json_object_object_add(r, "capabilities", deep_copy(v));
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
	json_object_object_add(
	    r, "ttlMs", json_object_new_int(MG_BRIDGE_DISCOVER_TTL_MS));
	json_object_object_add(
	    r, "cacheScope", json_object_new_string("private"));
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
	json_object_object_add(r, "capabilities", deep_copy(v));
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
	struct json_object *root = NULL, *meta, *init, *v;
	const char         *text;
	char               *out;

	if (m->kind != MG_RPC_REQUEST && m->kind != MG_RPC_NOTIFICATION)
		return NULL;
	if (json_object_deep_copy(m->root, &root, NULL) != 0)
		return NULL;
	meta = mg_bridge_meta(root);
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

/* ---- requests of a 2025 server, as a 2026-07-28 client's input -------- */

int
mg_bridge_ask_need(const char *method)
{
	if (method == NULL)
		return -1;
	if (strcmp(method, "elicitation/create") == 0)
		return MG_CAP_ELICIT;
	if (strcmp(method, "sampling/createMessage") == 0)
		return MG_CAP_SAMPLE;
	if (strcmp(method, "roots/list") == 0)
		return MG_CAP_ROOTS;
	if (strcmp(method, "ping") == 0)
		return 0;
	return -1;
}

const char *
mg_bridge_cap_name(int need)
{
	switch (need) {
	case MG_CAP_ELICIT: return "elicitation";
	case MG_CAP_SAMPLE: return "sampling";
	case MG_CAP_ROOTS: return "roots";
	default: return "";
	}
}

void
mg_bridge_input_key(
    struct json_object *msg, struct json_object *taken, char *out, size_t n)
{
	struct json_object *params, *meta, *hint, *id;
	const char         *s;

	if (json_object_object_get_ex(msg, "params", &params) &&
	    json_object_object_get_ex(params, "_meta", &meta) &&
	    json_object_object_get_ex(meta, MG_BRIDGE_INPUT_KEY, &hint) &&
	    json_object_is_type(hint, json_type_string) &&
	    json_object_get_string_len(hint) > 0 &&
	    json_object_get_string_len(hint) <= MG_BRIDGE_KEY_MAX &&
	    (size_t)json_object_get_string_len(hint) < n &&
	    !json_object_object_get_ex(
		taken, json_object_get_string(hint), NULL)) {
		snprintf(out, n, "%s", json_object_get_string(hint));
		return;
	}
	id = NULL;
	json_object_object_get_ex(msg, "id", &id);
	s = json_object_is_type(id, json_type_string)
	    ? json_object_get_string(id)
	    : json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN);
	snprintf(out, n, "input-%.*s", MG_BRIDGE_KEY_MAX - 6, s ? s : "");
}

struct json_object *
mg_bridge_input_request(struct json_object *msg)
{
	struct json_object *r = json_object_new_object(), *v, *params;

	if (json_object_object_get_ex(msg, "method", &v))
		json_object_object_add(r, "method", json_object_get(v));
	if (!json_object_object_get_ex(msg, "params", &v) ||
	    !json_object_is_type(v, json_type_object))
		return r;
	params = deep_copy(v);
	mg_bridge_meta_drop(params, MG_BRIDGE_INPUT_KEY);
	json_object_object_add(r, "params", params);
	return r;
}

char *
mg_bridge_request_for_session(const char *body, size_t len, const char *id,
    struct json_object **answers, size_t *out_len)
{
	struct json_object *root = mg_json_parse(body, len), *params, *v;
	const char         *text;
	char               *out = NULL;

	*answers = NULL;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "method", NULL) ||
	    !json_object_object_get_ex(root, "id", NULL)) {
		json_object_put(root);
		return NULL;
	}
	json_object_object_add(root, "id", json_object_new_string(id));
	if (json_object_object_get_ex(root, "params", &params) &&
	    json_object_is_type(params, json_type_object)) {
		if (json_object_object_get_ex(params, "inputResponses", &v) &&
		    json_object_is_type(v, json_type_object))
			*answers = json_object_get(v);
		json_object_object_del(params, "inputResponses");
		json_object_object_del(params, "requestState");
		mg_bridge_meta_to_2025(params);
	}
	text = json_object_to_json_string_length(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, out_len);
	out = text ? strdup(text) : NULL;
	json_object_put(root);
	if (out == NULL) {
		json_object_put(*answers);
		*answers = NULL;
	}
	return out;
}

char *
mg_bridge_notification_for_session(
    const char *body, size_t len, size_t *out_len)
{
	struct json_object *root = mg_json_parse(body, len), *params;
	const char         *text = NULL;
	char               *out;

	if (json_object_is_type(root, json_type_object) &&
	    json_object_object_get_ex(root, "method", NULL) &&
	    !json_object_object_get_ex(root, "id", NULL)) {
		if (json_object_object_get_ex(root, "params", &params) &&
		    json_object_is_type(params, json_type_object))
			mg_bridge_meta_to_2025(params);
		text = json_object_to_json_string_length(root,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    out_len);
	}
	out = text ? strdup(text) : NULL;
	json_object_put(root);
	return out;
}
