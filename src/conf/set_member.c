/*
 * Federation's directives: mcp_member NAME [{ prefix, tools_allow,
 * tools_deny, tool_rename }] in a location, and the location's
 * mcp_name_separator and mcp_uri_separator; what they need of each other
 * (validation: the upstreams exist, prefixes are apart, no mcp_pass or
 * mcp_builtin beside them) and their defaults.  What the names become is
 * proto/fedname.c's.
 */
#include "config.h"

#include <string.h>

#include "conf_int.h"

#define CONF_PREFIX_MAX 64
#define CONF_SEP_MAX 8

/* [A-Za-z0-9_.-], and '/' where EXTRA says so. */
static int
conf_fed_char(int c, const char *extra)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
	    (c != '\0' && extra != NULL && strchr(extra, c) != NULL);
}

static int
conf_fed_word(const char *s, size_t max, const char *extra)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (; *s != '\0'; s++)
		if (!conf_fed_char((unsigned char)*s, extra))
			return 0;
	return 1;
}

/* A tool name as a member gives it or a rename shows it: no space, no
 * control character, not empty. */
static int
conf_fed_name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 128)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

/* mcp_member NAME; and mcp_member NAME { ... } */
int
mg_conf_member(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_location_t *loc = ctx;
	mg_member_t   *m, **tail;
	const char    *name = cp->args->v[1];

	if (loc->nmembers >= MG_FED_MAX_MEMBERS)
		return mg_conf_error(cp, cp->args->line,
		    "too many \"mcp_member\" in location \"%s\" (at most %d)",
		    loc->path, MG_FED_MAX_MEMBERS);
	for (tail = &loc->members; *tail != NULL; tail = &(*tail)->next)
		if (strcmp((*tail)->name, name) == 0)
			return mg_conf_duplicate_name(
			    cp, "mcp_member", "", name, &(*tail)->pos);
	if ((m = mg_conf_alloc(cp->conf, sizeof(*m))) == NULL ||
	    (m->name = mg_conf_strdup(cp->conf, name)) == NULL)
		return mg_conf_nomem(cp);
	m->index = loc->nmembers++;
	m->pos = mg_conf_pos(cp);
	*tail = m;
	if (!(cmd->flags & CONF_BLOCK))
		return MG_OK;
	return mg_conf_parse_block(cp, MG_CTX_MEMBER, m, 1);
}

/* prefix NAME | off */
int
mg_conf_set_prefix(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_member_t *m = ctx;
	const char  *v = cp->args->v[1];

	if (m->prefix != NULL || m->prefix_off)
		return mg_conf_duplicate(cp, cmd);
	if (strcmp(v, "off") == 0) {
		m->prefix_off = 1;
		return MG_OK;
	}
	if (!conf_fed_word(v, CONF_PREFIX_MAX, NULL))
		return mg_conf_error(cp, cp->args->line,
		    "invalid value \"%s\" in \"prefix\" directive (1 to %d "
		    "of A-Z a-z 0-9 _ . -, or off)",
		    v, CONF_PREFIX_MAX);
	if ((m->prefix = mg_conf_strdup(cp->conf, v)) == NULL)
		return mg_conf_nomem(cp);
	return MG_OK;
}

/* The arguments from FIRST on, added to W. */
static int
conf_fed_add(conf_parse_t *cp, mg_conf_words_t *w, size_t first)
{
	conf_args_t *a = cp->args;
	size_t       n = w->n + a->n - first;
	char       **v;

	if ((v = mg_conf_alloc(cp->conf, n * sizeof(*v))) == NULL)
		return mg_conf_nomem(cp);
	if (w->n > 0)
		memcpy(v, w->v, w->n * sizeof(*v));
	for (size_t i = first; i < a->n; i++)
		if ((v[w->n + i - first] = mg_conf_strdup(cp->conf, a->v[i])) ==
		    NULL)
			return mg_conf_nomem(cp);
	w->v = v;
	w->n = n;
	return MG_OK;
}

/* tools_allow GLOB ...; tools_deny GLOB ...: repeatable, they add up. */
int
mg_conf_set_tools_glob(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	for (size_t i = 1; i < cp->args->n; i++)
		if (!conf_fed_name_ok(cp->args->v[i]))
			return mg_conf_invalid(
			    cp, cmd, "value", cp->args->v[i]);
	return conf_fed_add(cp, CONF_FIELD(ctx, cmd, mg_conf_words_t), 1);
}

/* tool_rename OWN SHOWN: one name once, one target once. */
int
mg_conf_set_tool_rename(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_member_t *m = ctx;
	const char  *own = cp->args->v[1], *shown = cp->args->v[2];

	if (!conf_fed_name_ok(own))
		return mg_conf_invalid(cp, cmd, "value", own);
	if (!conf_fed_name_ok(shown))
		return mg_conf_invalid(cp, cmd, "value", shown);
	for (size_t i = 0; i + 1 < m->rename.n; i += 2) {
		if (strcmp(m->rename.v[i], own) == 0)
			return mg_conf_error(cp, cp->args->line,
			    "tool \"%s\" of member \"%s\" is renamed twice",
			    own, m->name);
		if (strcmp(m->rename.v[i + 1], shown) == 0)
			return mg_conf_error(cp, cp->args->line,
			    "two tools of member \"%s\" are renamed to \"%s\"",
			    m->name, shown);
	}
	return conf_fed_add(cp, &m->rename, 1);
}

/* mcp_name_separator SEP: 1-8 of [A-Za-z0-9_.-/]; mcp_uri_separator
 * SEP: 1-8 visible ASCII characters. */
int
mg_conf_set_fed_sep(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	char      **field = CONF_FIELD(ctx, cmd, char *);
	const char *v = cp->args->v[1];
	int         ok = cmd->data != NULL;

	if (*field != NULL)
		return mg_conf_duplicate(cp, cmd);
	if (ok) /* data: what it takes beside [A-Za-z0-9_.-] */
		ok = conf_fed_word(v, CONF_SEP_MAX, cmd->data);
	else {
		ok = *v != '\0' && strlen(v) <= CONF_SEP_MAX;
		for (const char *s = v; *s != '\0'; s++)
			ok &= *s > ' ' && *s < 0x7f;
	}
	if (!ok)
		return mg_conf_invalid(cp, cmd, "value", v);
	if ((*field = mg_conf_strdup(cp->conf, v)) == NULL)
		return mg_conf_nomem(cp);
	((mg_location_t *)ctx)->sep_pos = mg_conf_pos(cp);
	return MG_OK;
}

/* Validation. */

static int
conf_member_resolve(conf_parse_t *cp, const mg_server_t *srv,
    const mg_location_t *loc, mg_member_t *m)
{
	const mg_auth_jwt_t *a = loc->auth_jwt ? loc->auth_jwt : srv->auth_jwt;
	mg_upstream_t       *u;

	for (u = cp->conf->upstreams; u != NULL; u = u->next)
		if (strcmp(u->name, m->name) == 0)
			break;
	if (u == NULL)
		return mg_conf_error_at(cp, &m->pos,
		    "location \"%s\" has member \"%s\", which is no "
		    "upstream",
		    loc->path, m->name);
	m->upstream = u;
	if ((u->forward_token == 1 || u->exchange != NULL) &&
	    (a == NULL || a->off))
		return mg_conf_error_at(cp, &m->pos,
		    "location \"%s\" has member \"%s\", which takes the "
		    "client's token, but asks for no token: add \"auth_jwt\"",
		    loc->path, m->name);
	if (!m->prefix_off && m->prefix == NULL &&
	    !conf_fed_word(m->name, CONF_PREFIX_MAX, NULL))
		return mg_conf_error_at(cp, &m->pos,
		    "member \"%s\" needs a \"prefix\": its name is no "
		    "prefix (1 to %d of A-Z a-z 0-9 _ . -)",
		    m->name, CONF_PREFIX_MAX);
	return MG_OK;
}

/* M's prefix against the separator and the members before it. */
static int
conf_member_prefix(
    conf_parse_t *cp, const mg_location_t *loc, const mg_member_t *m)
{
	const char *p = m->prefix_off ? NULL : m->prefix ? m->prefix : m->name;
	const char *sep = loc->name_sep ? loc->name_sep : "__";

	for (const mg_member_t *o = loc->members; o != m; o = o->next) {
		const char *q = o->prefix_off ? NULL
		    : o->prefix               ? o->prefix
					      : o->name;
		if (p == NULL && q == NULL)
			return mg_conf_error_at(cp, &m->pos,
			    "members \"%s\" and \"%s\" both have \"prefix "
			    "off\": one member at most",
			    o->name, m->name);
		if (p != NULL && q != NULL && strcmp(p, q) == 0)
			return mg_conf_error_at(cp, &m->pos,
			    "members \"%s\" and \"%s\" have the same prefix "
			    "\"%s\"",
			    o->name, m->name, p);
	}
	if (p != NULL && strstr(p, sep) != NULL)
		return mg_conf_error_at(cp, &m->pos,
		    "the prefix \"%s\" of member \"%s\" holds the name "
		    "separator \"%s\"",
		    p, m->name, sep);
	if (p != NULL && loc->uri_sep != NULL && strstr(p, loc->uri_sep))
		return mg_conf_error_at(cp, &m->pos,
		    "the prefix \"%s\" of member \"%s\" holds the URI "
		    "separator \"%s\"",
		    p, m->name, loc->uri_sep);
	return MG_OK;
}

int
mg_conf_validate_members(
    conf_parse_t *cp, const mg_server_t *srv, mg_location_t *loc)
{
	if (loc->members == NULL) {
		if (loc->sep_pos.file != NULL ||
		    loc->member_timeout != MG_UNSET_SIZE)
			return mg_conf_error_at(cp, &loc->pos,
			    "location \"%s\" has \"mcp_name_separator\", "
			    "\"mcp_uri_separator\" or \"mcp_member_timeout\" "
			    "but no \"mcp_member\"",
			    loc->path);
		return MG_OK;
	}
	if (loc->builtin != NULL || loc->pass != NULL)
		return mg_conf_error_at(cp, &loc->members->pos,
		    "location \"%s\" has \"mcp_member\" and \"%s\": one or "
		    "the other",
		    loc->path, loc->pass != NULL ? "mcp_pass" : "mcp_builtin");
	for (mg_member_t *m = loc->members; m != NULL; m = m->next)
		if (conf_member_resolve(cp, srv, loc, m) != MG_OK ||
		    conf_member_prefix(cp, loc, m) != MG_OK)
			return MG_ERROR;
	return MG_OK;
}

/* After validation: the prefixes and separators every reader expects. */
int
mg_conf_members_defaults(mg_conf_t *conf, mg_location_t *loc)
{
	for (mg_member_t *m = loc->members; m != NULL; m = m->next)
		if (!m->prefix_off && m->prefix == NULL)
			m->prefix = m->name;
	if (loc->name_sep == NULL &&
	    (loc->name_sep = mg_conf_strdup(conf, "__")) == NULL)
		return MG_ERROR;
	if (loc->uri_sep == NULL &&
	    (loc->uri_sep = mg_conf_strdup(conf, "+")) == NULL)
		return MG_ERROR;
	return MG_OK;
}
