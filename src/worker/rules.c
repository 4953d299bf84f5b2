/*
 * Which of a location's mcp_allow and mcp_deny rules decides a request,
 * for the identity that sent it: the first rule whose method, name and
 * conditions match, in file order; with none, the allow list of the
 * method (an mcp_allow rule for it) refuses, and without one the request
 * is served.  Conditions are a table, one matcher per kind.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "jwt.h"
#include "rules.h"

typedef int (*cond_match_t)(
    const mg_mcp_cond_t *c, const char *v, const mg_who_t *w);

static int
who_is(const mg_who_t *w, const char *kind)
{
	return w->kind != NULL && strcmp(w->kind, kind) == 0;
}

static int
glob(const char *pattern, const char *s)
{
	return s != NULL && fnmatch(pattern, s, 0) == 0;
}

static int
match_sub(const mg_mcp_cond_t *c, const char *v, const mg_who_t *w)
{
	return who_is(w, "jwt") && glob(v, w->name);
}

static int
match_scope(const mg_mcp_cond_t *c, const char *v, const mg_who_t *w)
{
	mg_jwt_t t = { .claims = w->claims };

	return w->claims != NULL && mg_jwt_has_scope(&t, v);
}

/* A claim's value O is V: a string as it is, a number or a boolean as
 * its JSON text. */
static int
claim_is(struct json_object *o, const char *v)
{
	switch (json_object_get_type(o)) {
	case json_type_string:
		return strlen(v) == (size_t)json_object_get_string_len(o) &&
		    strcmp(json_object_get_string(o), v) == 0;
	case json_type_boolean:
	case json_type_int:
	case json_type_double:
		return strcmp(json_object_to_json_string_ext(
				  o, JSON_C_TO_STRING_PLAIN),
			   v) == 0;
	default: return 0;
	}
}

/* claim:NAME=V: the claim is V, or an array that holds V. */
static int
match_claim(const mg_mcp_cond_t *c, const char *v, const mg_who_t *w)
{
	struct json_object *o;

	if (w->claims == NULL ||
	    !json_object_object_get_ex(w->claims, c->claim, &o))
		return 0;
	if (!json_object_is_type(o, json_type_array))
		return claim_is(o, v);
	for (size_t i = 0; i < json_object_array_length(o); i++)
		if (claim_is(json_object_array_get_idx(o, i), v))
			return 1;
	return 0;
}

static int
match_key(const mg_mcp_cond_t *c, const char *v, const mg_who_t *w)
{
	return who_is(w, "key") && glob(v, w->name);
}

/* The certificate the client was known by, or one it showed beside
 * another identity. */
static int
match_cert(const mg_mcp_cond_t *c, const char *v, const mg_who_t *w)
{
	return glob(v, who_is(w, "cert") ? w->name : w->cert);
}

static int
match_kind(const mg_mcp_cond_t *c, const char *v, const mg_who_t *w)
{
	return strcmp(v, w->kind != NULL ? w->kind : "none") == 0;
}

static const cond_match_t cond_match[MG_COND_COUNT] = {
	[MG_COND_SUB] = match_sub,
	[MG_COND_SCOPE] = match_scope,
	[MG_COND_CLAIM] = match_claim,
	[MG_COND_KEY] = match_key,
	[MG_COND_CERT] = match_cert,
	[MG_COND_KIND] = match_kind,
};

/* One of the condition's values holds. */
static int
cond_holds(const mg_mcp_cond_t *c, const mg_who_t *w)
{
	for (size_t i = 0; i < c->values.n; i++)
		if (cond_match[c->what](c, c->values.v[i], w))
			return 1;
	return 0;
}

/* "if": every condition holds; "unless": not every one does. */
static int
rule_applies(const mg_mcp_rule_t *r, const mg_who_t *w)
{
	for (size_t i = 0; i < r->nconds; i++)
		if (!cond_holds(&r->conds[i], w))
			return r->unless;
	return !r->unless;
}

static int
rule_method(const mg_mcp_rule_t *r, const char *method)
{
	return strcmp(r->method, method) == 0 || glob(r->method, method);
}

int
mg_rules_refuse(const mg_mcp_rule_t *rules, const char *method,
    const char *name, const mg_who_t *who, const mg_mcp_rule_t **by)
{
	const mg_mcp_rule_t *list = NULL;

	for (const mg_mcp_rule_t *r = rules; r != NULL; r = r->next) {
		if (!rule_method(r, method))
			continue;
		if (r->allow && list == NULL)
			list = r;
		if ((r->name == NULL || glob(r->name, name)) &&
		    rule_applies(r, who)) {
			*by = r;
			return !r->allow;
		}
	}
	*by = list;
	return list != NULL;
}

int
mg_rules_cover(const mg_mcp_rule_t *rules, const char *method)
{
	for (const mg_mcp_rule_t *r = rules; r != NULL; r = r->next)
		if (rule_method(r, method))
			return 1;
	return 0;
}

void
mg_who_print(const mg_who_t *who, char *out, size_t len)
{
	size_t n;

	if (len == 0)
		return;
	if (who->kind == NULL) {
		snprintf(out, len, "nobody");
		return;
	}
	if ((n = (size_t)snprintf(out, len, "%s \"", who->kind)) >= len)
		return;
	for (const char *s = who->name; s && *s && n + 2 < len; s++)
		out[n++] = *s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\'
		    ? *s
		    : '?';
	if (n + 1 < len)
		out[n++] = '"';
	out[n < len ? n : len - 1] = '\0';
}
