/*
 * Setters of a location's policy: the mcp_allow and mcp_deny rules that
 * say which methods and names it serves, and to whom.  One rule is one
 * line, so that a refusal can name the line that made it:
 *
 *   mcp_allow|mcp_deny METHOD [NAME] [if|unless COND...];
 *
 * COND is WHAT=V1|V2|... (the condition table below); what each one
 * means for a request is the worker's (worker/rules.c).
 */
#include "config.h"

#include <string.h>

#include "conf_int.h"

/* The conditions: "claim:" takes the claim's name before its "=". */
static const struct {
	const char        *name;
	mg_mcp_cond_what_t what;
	const char *const *values; /* the values it may take; NULL: any */
} conds[] = {
	{ "sub", MG_COND_SUB, NULL },
	{ "scope", MG_COND_SCOPE, NULL },
	{ "claim:", MG_COND_CLAIM, NULL },
	{ "key", MG_COND_KEY, NULL },
	{ "cert", MG_COND_CERT, NULL },
	{ "kind", MG_COND_KIND,
	    (const char *const[]){ "jwt", "key", "cert", "none", NULL } },
};

static int
policy_word_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '"')
			return 0;
	return 1;
}

static int
policy_value_known(const char *const *values, const char *v)
{
	if (values == NULL)
		return 1;
	for (; *values != NULL; values++)
		if (strcmp(*values, v) == 0)
			return 1;
	return 0;
}

/* V1|V2|... of condition row I into C's values: none empty, each one the
 * row knows.  MG_OK, MG_DECLINED (a bad value), or MG_ERROR (memory). */
static int
policy_values(mg_conf_t *conf, size_t i, const char *s, mg_mcp_cond_t *c)
{
	size_t      n = 1, k = 0;
	const char *bar;

	for (const char *p = s; *p; p++)
		n += *p == '|';
	if ((c->values.v = mg_conf_alloc(conf, n * sizeof(char *))) == NULL)
		return MG_ERROR;
	c->values.n = n;
	for (;; s = bar + 1) {
		bar = strchr(s, '|');
		if ((c->values.v[k] = mg_conf_strndup(
			 conf, s, bar ? (size_t)(bar - s) : strlen(s))) == NULL)
			return MG_ERROR;
		if (c->values.v[k][0] == '\0' ||
		    !policy_value_known(conds[i].values, c->values.v[k]))
			return MG_DECLINED;
		k++;
		if (bar == NULL)
			return MG_OK;
	}
}

/* One condition, WHAT=VALUES, into C. */
static int
policy_cond(conf_parse_t *cp, const conf_command_t *cmd, const char *s,
    mg_mcp_cond_t *c)
{
	const char *eq = strchr(s, '=');
	size_t      len;
	int         prefix, rc;

	for (size_t i = 0; eq != NULL && i < MG_NELEM(conds); i++) {
		len = strlen(conds[i].name);
		prefix = conds[i].name[len - 1] == ':';
		if (strncmp(s, conds[i].name, len) != 0 ||
		    (prefix ? eq == s + len : eq != s + len))
			continue;
		c->what = conds[i].what;
		if (prefix &&
		    (c->claim = mg_conf_strndup(
			 cp->conf, s + len, (size_t)(eq - s - len))) == NULL)
			return mg_conf_nomem(cp);
		if ((rc = policy_values(cp->conf, i, eq + 1, c)) == MG_ERROR)
			return mg_conf_nomem(cp);
		if (rc == MG_OK)
			return MG_OK;
		break;
	}
	return mg_conf_invalid(cp, cmd, "condition", s);
}

/* The conditions from cp->args->v[I] on ("if" or "unless" first). */
static int
policy_conds(
    conf_parse_t *cp, const conf_command_t *cmd, size_t i, mg_mcp_rule_t *r)
{
	const char *word = cp->args->v[i];

	if (strcmp(word, "if") != 0 && strcmp(word, "unless") != 0)
		return mg_conf_invalid(cp, cmd, "argument", word);
	r->unless = word[0] == 'u';
	if (++i == cp->args->n)
		return mg_conf_error(cp, cp->args->line,
		    "no condition after \"%s\" in \"%s\" directive", word,
		    cmd->name);
	r->nconds = cp->args->n - i;
	if ((r->conds = mg_conf_alloc(
		 cp->conf, r->nconds * sizeof(*r->conds))) == NULL)
		return mg_conf_nomem(cp);
	for (size_t k = 0; k < r->nconds; k++)
		if (policy_cond(cp, cmd, cp->args->v[i + k], &r->conds[k]) !=
		    MG_OK)
			return MG_ERROR;
	return MG_OK;
}

static int
is_keyword(const char *s)
{
	return strcmp(s, "if") == 0 || strcmp(s, "unless") == 0;
}

/*
 * mcp_allow|mcp_deny METHOD [NAME] [if|unless COND...]: repeatable, in
 * file order; METHOD a JSON-RPC method or a glob of it ("*"), NAME a glob
 * of the tool, prompt or resource named.  A NAME "if" or "unless" is
 * taken for a name only as the last word (else write it "[i]f").
 */
int
mg_conf_set_rule(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_location_t *loc = ctx;
	mg_mcp_rule_t *r, **tail;
	const char    *m = cp->args->v[1];
	size_t         i = 2;

	if (!policy_word_ok(m))
		return mg_conf_invalid(cp, cmd, "method", m);
	if ((r = mg_conf_alloc(cp->conf, sizeof(*r))) == NULL ||
	    (r->method = mg_conf_strdup(cp->conf, m)) == NULL)
		return mg_conf_nomem(cp);
	r->allow = strcmp(cmd->name, "mcp_allow") == 0;
	r->pos = mg_conf_pos(cp);
	if (i < cp->args->n &&
	    (!is_keyword(cp->args->v[i]) || i + 1 == cp->args->n) &&
	    (r->name = mg_conf_strdup(cp->conf, cp->args->v[i++])) == NULL)
		return mg_conf_nomem(cp);
	if (i < cp->args->n && policy_conds(cp, cmd, i, r) != MG_OK)
		return MG_ERROR;
	for (tail = &loc->rules; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = r;
	return MG_OK;
}
