/*
 * Federation's JSON rewriting: a member's list page, notification or
 * result as the client of the federated location sees it (fedname.c
 * names things), list pages merged, and the members' capabilities as
 * one.  Pure: changes json-c objects in place.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fedname.h"

/* What each list method lists, and the field of an item that names it. */
static const struct {
	const char *method;
	const char *array;
	const char *field;
} fed_lists[] = {
	{ "tools/list", "tools", "name" },
	{ "prompts/list", "prompts", "name" },
	{ "resources/list", "resources", "uri" },
	{ "resources/templates/list", "resourceTemplates", "uriTemplate" },
};

int
mg_fed_list_method(const char *method)
{
	for (size_t i = 0; method != NULL && i < MG_NELEM(fed_lists); i++)
		if (strcmp(fed_lists[i].method, method) == 0)
			return (int)i;
	return -1;
}

/* O's string member KEY, or NULL. */
static const char *
fed_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* O's KEY, a URI of member M, as the client sees it.  CHECK: only if it
 * comes back to M (a list's item another member's prefix would claim is
 * left out rather than misrouted). */
static int
fed_map_uri(const mg_location_t *loc, const mg_member_t *m,
    struct json_object *o, const char *key, int check)
{
	const mg_member_t *owner;
	const char        *uri = fed_str(o, key), *own;
	char              *s;
	size_t             n;
	int                rc;

	if (uri == NULL)
		return MG_DECLINED;
	if ((s = mg_fed_uri_out(loc, m, uri)) == NULL)
		return MG_ERROR;
	if (check &&
	    (mg_fed_uri_in(loc, s, strlen(s), &owner, &own, &n) != MG_OK ||
		owner != m || n != strlen(uri)))
		rc = MG_DECLINED;
	else
		rc = json_object_object_add(o, key, json_object_new_string(s))
		    ? MG_ERROR
		    : MG_OK;
	free(s);
	return rc;
}

/* O's "name", a tool's or a prompt's of member M, as the client sees it. */
static int
fed_map_name(const mg_location_t *loc, const mg_member_t *m, int kind,
    struct json_object *o)
{
	const char *name = fed_str(o, "name");
	char       *s;
	size_t      n;
	int         rc;

	if (name == NULL)
		return MG_DECLINED;
	n = strlen(name) + strlen(loc->name_sep) +
	    (m->prefix ? strlen(m->prefix) : 0) + 1;
	for (size_t i = 1; kind == MG_FED_TOOL && i < m->rename.n; i += 2)
		n += strlen(m->rename.v[i]);
	if ((s = malloc(n)) == NULL)
		return MG_ERROR;
	rc = mg_fed_name_out(loc, m, kind, name, s, n);
	if (rc == MG_OK &&
	    json_object_object_add(o, "name", json_object_new_string(s)) != 0)
		rc = MG_ERROR;
	free(s);
	return rc;
}

/* The item of list K mapped: MG_OK, or not to be shown. */
static int
fed_map_item(const mg_location_t *loc, const mg_member_t *m, int k,
    struct json_object *item)
{
	if (k <= 1)
		return fed_map_name(
		    loc, m, k == 0 ? MG_FED_TOOL : MG_FED_PROMPT, item);
	return fed_map_uri(loc, m, item, fed_lists[k].field, 1);
}

char *
mg_fed_list_out(const mg_location_t *loc, const mg_member_t *m,
    const char *method, struct json_object *result)
{
	struct json_object *a, *kept, *item;
	const char         *cursor;
	char               *next = NULL;
	int                 k = mg_fed_list_method(method);

	if (k < 0 || !json_object_is_type(result, json_type_object))
		return NULL;
	if ((cursor = fed_str(result, "nextCursor")) != NULL)
		next = strdup(cursor);
	json_object_object_del(result, "nextCursor");
	if (!json_object_object_get_ex(result, fed_lists[k].array, &a))
		return next;
	if ((kept = json_object_new_array()) == NULL)
		return next;
	for (size_t i = 0; json_object_is_type(a, json_type_array) &&
	     i < json_object_array_length(a);
	     i++) {
		item = json_object_array_get_idx(a, i);
		if (fed_map_item(loc, m, k, item) == MG_OK)
			json_object_array_add(kept, json_object_get(item));
	}
	json_object_object_add(result, fed_lists[k].array, kept);
	return next;
}

void
mg_fed_list_merge(
    struct json_object *into, struct json_object *from, const char *method)
{
	struct json_object *a, *to;
	int                 k = mg_fed_list_method(method);

	if (k < 0 || !json_object_is_type(into, json_type_object) ||
	    !json_object_is_type(from, json_type_object) ||
	    !json_object_object_get_ex(from, fed_lists[k].array, &a) ||
	    !json_object_is_type(a, json_type_array))
		return;
	if (!json_object_object_get_ex(into, fed_lists[k].array, &to) ||
	    !json_object_is_type(to, json_type_array)) {
		if ((to = json_object_new_array()) == NULL ||
		    json_object_object_add(into, fed_lists[k].array, to) != 0)
			return;
	}
	for (size_t i = 0; i < json_object_array_length(a); i++)
		json_object_array_add(
		    to, json_object_get(json_object_array_get_idx(a, i)));
}

/* One capability's sub-keys: booleans ORed, the rest first wins. */
static void
fed_caps_sub(struct json_object *into, struct json_object *from)
{
	struct json_object *have, *copy;

	json_object_object_foreach(from, key, v)
	{
		if (json_object_object_get_ex(into, key, &have)) {
			if (json_object_is_type(have, json_type_boolean) &&
			    json_object_is_type(v, json_type_boolean) &&
			    json_object_get_boolean(v))
				json_object_object_add(
				    into, key, json_object_new_boolean(1));
			continue;
		}
		copy = NULL;
		if (json_object_deep_copy(v, &copy, NULL) == 0)
			json_object_object_add(into, key, copy);
	}
}

void
mg_fed_caps_merge(struct json_object *into, struct json_object *caps)
{
	struct json_object *have, *copy;

	if (into == caps || !json_object_is_type(into, json_type_object) ||
	    !json_object_is_type(caps, json_type_object))
		return;
	json_object_object_foreach(caps, key, v)
	{
		if (json_object_object_get_ex(into, key, &have) &&
		    json_object_is_type(have, json_type_object)) {
			if (json_object_is_type(v, json_type_object))
				fed_caps_sub(have, v);
			continue;
		}
		copy = NULL;
		if (json_object_deep_copy(v, &copy, NULL) == 0)
			json_object_object_add(into, key, copy);
	}
}

/* notifications/message: the logger says which member spoke. */
static void
fed_logger(const mg_member_t *m, struct json_object *params)
{
	const char *who = m->prefix ? m->prefix : m->name;
	const char *logger = fed_str(params, "logger");
	size_t      n;
	char       *s;

	n = strlen(who) + (logger ? strlen(logger) + 1 : 0) + 1;
	if ((s = malloc(n)) == NULL)
		return;
	strcpy(s, who);
	if (logger != NULL) {
		strcat(s, "/");
		strcat(s, logger);
	}
	json_object_object_add(params, "logger", json_object_new_string(s));
	free(s);
}

/* The uris a result of tools/call or resources/read carries. */
static void
fed_result_uris(
    const mg_location_t *loc, const mg_member_t *m, struct json_object *result)
{
	struct json_object *a, *item, *res;
	const char         *type;

	if (json_object_object_get_ex(result, "content", &a) &&
	    json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			item = json_object_array_get_idx(a, i);
			if ((type = fed_str(item, "type")) == NULL)
				continue;
			if (strcmp(type, "resource_link") == 0)
				fed_map_uri(loc, m, item, "uri", 0);
			else if (strcmp(type, "resource") == 0 &&
			    json_object_object_get_ex(item, "resource", &res))
				fed_map_uri(loc, m, res, "uri", 0);
		}
	if (json_object_object_get_ex(result, "contents", &a) &&
	    json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a); i++)
			fed_map_uri(
			    loc, m, json_object_array_get_idx(a, i), "uri", 0);
}

void
mg_fed_message_out(
    const mg_location_t *loc, const mg_member_t *m, struct json_object *msg)
{
	struct json_object *params, *result;
	const char         *method = fed_str(msg, "method");

	if (method != NULL) {
		if (!json_object_object_get_ex(msg, "params", &params) ||
		    !json_object_is_type(params, json_type_object))
			return;
		if (strcmp(method, "notifications/resources/updated") == 0)
			fed_map_uri(loc, m, params, "uri", 0);
		else if (strcmp(method, "notifications/message") == 0)
			fed_logger(m, params);
		return;
	}
	if (json_object_is_type(msg, json_type_object) &&
	    json_object_object_get_ex(msg, "result", &result) &&
	    json_object_is_type(result, json_type_object))
		fed_result_uris(loc, m, result);
}
