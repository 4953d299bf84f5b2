/*
 * What an identity may not call is not listed either: a list answer
 * (tools, prompts, resources, resource templates) loses the items the
 * location's rules refuse to the caller, judged as a call of each one
 * (tools/call NAME, prompts/get NAME, resources/read URI).  A page may
 * come out short or empty; its nextCursor stays, for the next page is
 * the upstream's to give.  A template is judged on its text: a rule
 * whose glob matches "file:///{path}" hides it, one for a part of what
 * it expands to does not.  A 2026-07-28 list that says it may be cached
 * for everyone (cacheScope "public") is private once cut, for what it
 * holds depends on who asked.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "rules.h"

static const struct {
	unsigned    bit;
	const char *method; /* the list */
	const char *key;    /* its array in the result */
	const char *call;   /* what an item is judged as */
	const char *field;  /* the item's name for the rules */
} lists[] = {
	{ MG_LIST_TOOLS, "tools/list", "tools", "tools/call", "name" },
	{ MG_LIST_PROMPTS, "prompts/list", "prompts", "prompts/get", "name" },
	{ MG_LIST_RESOURCES, "resources/list", "resources", "resources/read",
	    "uri" },
	{ MG_LIST_TEMPLATES, "resources/templates/list", "resourceTemplates",
	    "resources/read", "uriTemplate" },
};

unsigned
mg_lists_of(const mg_mcp_rule_t *rules, const char *method)
{
	unsigned bits = 0;

	for (size_t i = 0; rules != NULL && i < MG_NELEM(lists); i++)
		if ((method == NULL || strcmp(method, lists[i].method) == 0) &&
		    mg_rules_cover(rules, lists[i].call))
			bits |= lists[i].bit;
	return bits;
}

/* Take out of ARRAY the items of row I that WHO may not call. */
static size_t
filter_items(const mg_mcp_rule_t *rules, const mg_who_t *who, size_t i,
    struct json_object *array)
{
	const mg_mcp_rule_t *by;
	struct json_object  *item, *v;
	const char          *name;
	size_t               n = 0;

	for (size_t k = json_object_array_length(array); k-- > 0;) {
		item = json_object_array_get_idx(array, k);
		name = NULL;
		if (json_object_object_get_ex(item, lists[i].field, &v) &&
		    json_object_is_type(v, json_type_string))
			name = json_object_get_string(v);
		if (mg_rules_refuse(rules, lists[i].call, name, who, &by)) {
			json_object_array_del_idx(array, k, 1);
			n++;
		}
	}
	return n;
}

/* RESULT's cacheScope, if it has one, "private".  1: it was not. */
static int
rescope(struct json_object *result)
{
	struct json_object *v;

	if (!json_object_object_get_ex(result, "cacheScope", &v) ||
	    (json_object_is_type(v, json_type_string) &&
		strcmp(json_object_get_string(v), "private") == 0))
		return 0;
	json_object_object_add(
	    result, "cacheScope", json_object_new_string("private"));
	return 1;
}

size_t
mg_lists_filter(const mg_mcp_rule_t *rules, const mg_who_t *who, unsigned which,
    struct json_object *result, int *rescoped)
{
	struct json_object *a;
	size_t              n = 0;
	int                 cut = 0;

	*rescoped = 0;
	if (!json_object_is_type(result, json_type_object))
		return 0;
	for (size_t i = 0; i < MG_NELEM(lists); i++)
		if ((which & lists[i].bit) &&
		    json_object_object_get_ex(result, lists[i].key, &a) &&
		    json_object_is_type(a, json_type_array)) {
			n += filter_items(rules, who, i, a);
			cut = 1;
		}
	if (cut)
		*rescoped = rescope(result);
	return n;
}
