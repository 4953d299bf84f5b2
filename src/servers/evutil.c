/*
 * Small JSON builders of the "everything" server (evserver.h), shared by
 * its tools in everything.c and evinput.c.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "era.h"
#include "evserver.h"

struct json_object *
mg_ev_parse(const char *json)
{
	return json_tokener_parse(json);
}

int
mg_ev_modern(mg_mcp_call_t *call)
{
	return strcmp(mg_mcp_call_version(call), MG_ERA_2026) == 0;
}

void
mg_ev_add_string(struct json_object *o, const char *key, const char *value)
{
	if (value != NULL)
		json_object_object_add(o, key, json_object_new_string(value));
}

struct json_object *
mg_ev_text_content(const char *text)
{
	struct json_object *item = json_object_new_object();

	mg_ev_add_string(item, "type", "text");
	mg_ev_add_string(item, "text", text);
	return item;
}

struct json_object *
mg_ev_text_result(const char *text)
{
	struct json_object *r = json_object_new_object();
	struct json_object *content = json_object_new_array();

	json_object_array_add(content, mg_ev_text_content(text));
	json_object_object_add(r, "content", content);
	return r;
}

struct json_object *
mg_ev_message(const char *role, struct json_object *content)
{
	struct json_object *m = json_object_new_object();

	mg_ev_add_string(m, "role", role);
	json_object_object_add(m, "content", content);
	return m;
}

const char *
mg_ev_string_param(struct json_object *params, const char *key)
{
	struct json_object *v;

	if (params == NULL || !json_object_object_get_ex(params, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* SEP-2549: lists and reads say how long a client may keep them. */
struct json_object *
mg_ev_cacheable(mg_mcp_call_t *call, struct json_object *r)
{
	if (mg_ev_modern(call)) {
		json_object_object_add(
		    r, "ttlMs", json_object_new_int(EV_TTL_MS));
		json_object_object_add(
		    r, "cacheScope", json_object_new_string("public"));
	}
	return r;
}
