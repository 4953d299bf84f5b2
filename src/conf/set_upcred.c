/*
 * Setters of an upstream's own credentials: a header whose value is a
 * secret file's, the environment of a stdio server (plain or from secret
 * files), and the oauth_client block of the client-credentials grant.
 * They keep names and file names: the master reads the files
 * (master/upcred.c), and the connector sends what they hold.  What one
 * directive cannot see alone is checked here too, after parsing
 * (mg_conf_validate_upcred), since it concerns these directives only.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "conf_int.h"

/* A header name: an RFC 9110 token. */
static int
conf_token_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (strchr("!#$%&'*+-.^_`|~", *s) == NULL &&
		    !(*s >= '0' && *s <= '9') && !(*s >= 'a' && *s <= 'z') &&
		    !(*s >= 'A' && *s <= 'Z'))
			return 0;
	return 1;
}

/* An environment variable's name, as a shell would take it. */
static int
conf_env_name_ok(const char *s)
{
	if (!(*s == '_' || (*s >= 'a' && *s <= 'z') ||
		(*s >= 'A' && *s <= 'Z')))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!(*s == '_' || (*s >= '0' && *s <= '9') ||
			(*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return 0;
	return 1;
}

/* NAME with VALUE, or with the secret file PATH, at the end of *LIST. */
static int
conf_var_add(conf_parse_t *cp, mg_upstream_var_t **list, const char *name,
    const char *value, const char *path)
{
	mg_upstream_var_t *v, **tail;

	for (tail = list; *tail != NULL; tail = &(*tail)->next)
		;
	if ((v = mg_conf_alloc(cp->conf, sizeof(*v))) == NULL ||
	    (v->name = mg_conf_strdup(cp->conf, name)) == NULL)
		return mg_conf_nomem(cp);
	if (value != NULL &&
	    (v->value = mg_conf_strdup(cp->conf, value)) == NULL)
		return mg_conf_nomem(cp);
	if (path != NULL && (v->file.path = mg_conf_path(cp, path)) == NULL)
		return mg_conf_nomem(cp);
	v->file.pos = mg_conf_pos(cp);
	*tail = v;
	return MG_OK;
}

/* header_secret_file NAME FILE: the file's content is the value. */
int
mg_conf_set_header_secret(
    conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;
	const char    *name = cp->args->v[1], *path = cp->args->v[2];

	if (!conf_token_ok(name))
		return mg_conf_invalid(cp, cmd, "header name", name);
	if (path[0] == '\0')
		return mg_conf_invalid(cp, cmd, "value", path);
	return conf_var_add(cp, &u->secret_headers, name, NULL, path);
}

/* env NAME VALUE: in the environment of the upstream's command. */
int
mg_conf_set_env(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;
	const char    *name = cp->args->v[1];

	if (!conf_env_name_ok(name))
		return mg_conf_invalid(cp, cmd, "variable name", name);
	return conf_var_add(cp, &u->env, name, cp->args->v[2], NULL);
}

/* env_secret_file NAME FILE: the same, its value a secret file's. */
int
mg_conf_set_env_secret(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;
	const char    *name = cp->args->v[1], *path = cp->args->v[2];

	if (!conf_env_name_ok(name))
		return mg_conf_invalid(cp, cmd, "variable name", name);
	if (path[0] == '\0')
		return mg_conf_invalid(cp, cmd, "value", path);
	return conf_var_add(cp, &u->env, name, NULL, path);
}

int
mg_conf_oauth_client(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;

	if (u->oauth != NULL)
		return mg_conf_duplicate(cp, cmd);
	if ((u->oauth = mg_conf_alloc(cp->conf, sizeof(*u->oauth))) == NULL)
		return mg_conf_nomem(cp);
	mg_conf_unset(MG_CTX_OAUTH_CLIENT, u->oauth);
	u->oauth->pos = mg_conf_pos(cp);
	return mg_conf_parse_block(cp, MG_CTX_OAUTH_CLIENT, u->oauth, 1);
}

/* token_url URL: the authorization server's token endpoint. */
int
mg_conf_set_token_url(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_oauth_client_t *o = ctx;
	const char        *why = NULL;
	int                rc;

	if (o->token.url != NULL)
		return mg_conf_duplicate(cp, cmd);
	rc = mg_conf_url_set(cp->conf, cp->args->v[1], &o->token, &why);
	if (rc == MG_DECLINED)
		return mg_conf_error(cp, cp->args->line,
		    "invalid value \"%s\" in \"%s\" directive: %s (want "
		    "https://HOST[:PORT]/PATH or http://)",
		    cp->args->v[1], cmd->name, why);
	if (rc != MG_OK)
		return mg_conf_nomem(cp);
	o->token.pos = mg_conf_pos(cp);
	return MG_OK;
}

/* client_id ID: any printable text but a colon (RFC 6749 2.3.1 puts it
 * before one in the Basic credentials, form-encoded: a colon would be
 * encoded, but some servers do not decode it). */
int
mg_conf_set_client_id(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_oauth_client_t *o = ctx;
	const char        *v = cp->args->v[1];

	if (o->client_id != NULL)
		return mg_conf_duplicate(cp, cmd);
	if (*v == '\0' || strchr(v, ':') != NULL)
		return mg_conf_invalid(cp, cmd, "value", v);
	for (const char *s = v; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return mg_conf_invalid(cp, cmd, "value", v);
	if ((o->client_id = mg_conf_strdup(cp->conf, v)) == NULL)
		return mg_conf_nomem(cp);
	return MG_OK;
}

/* client_auth basic | post: where the client secret goes. */
int
mg_conf_set_client_auth(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_oauth_client_t *o = ctx;
	const char        *v = cp->args->v[1];

	if (o->client_auth_pos.file != NULL)
		return mg_conf_duplicate(cp, cmd);
	if (strcmp(v, "basic") == 0)
		o->client_auth = MG_OAUTH_BASIC;
	else if (strcmp(v, "post") == 0)
		o->client_auth = MG_OAUTH_POST;
	else
		return mg_conf_error(cp, cp->args->line,
		    "invalid value \"%s\" in \"%s\" directive (basic or post)",
		    v, cmd->name);
	o->client_auth_pos = mg_conf_pos(cp);
	return MG_OK;
}

/* The first of LIST named NAME (ignoring case if NOCASE) after FROM. */
static const mg_upstream_var_t *
conf_var_find(const mg_upstream_var_t *from, const char *name, int nocase)
{
	for (const mg_upstream_var_t *v = from; v != NULL; v = v->next)
		if (nocase ? strcasecmp(v->name, name) == 0
			   : strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

/* Each name of LIST once: a second one would silently win or lose. */
static int
conf_vars_once(conf_parse_t *cp, const mg_upstream_var_t *list,
    const char *what, int nocase)
{
	for (const mg_upstream_var_t *v = list; v != NULL; v = v->next)
		if (conf_var_find(v->next, v->name, nocase) != NULL)
			return mg_conf_error_at(cp,
			    &conf_var_find(v->next, v->name, nocase)->file.pos,
			    "%s \"%s\" is set twice in upstream (first in "
			    "%s:%d)",
			    what, v->name, v->file.pos.file, v->file.pos.line);
	return MG_OK;
}

/* Does a "header" line of U name NAME? */
static int
conf_header_named(const mg_upstream_t *u, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < u->nheaders; i++)
		if (strncasecmp(u->headers[i], name, n) == 0 &&
		    u->headers[i][n] == ':')
			return 1;
	return 0;
}

int
mg_conf_upstream_sets_auth(const mg_upstream_t *u)
{
	return conf_header_named(u, "Authorization") ||
	    conf_var_find(u->secret_headers, "Authorization", 1) != NULL;
}

static int
conf_validate_oauth(conf_parse_t *cp, const mg_upstream_t *u)
{
	const mg_oauth_client_t *o = u->oauth;

	if (u->command != NULL)
		return mg_conf_error_at(cp, &o->pos,
		    "upstream \"%s\" runs a command: \"oauth_client\" is for "
		    "a \"server\" (give a stdio server its secrets with "
		    "\"env_secret_file\")",
		    u->name);
	if (o->token.url == NULL || o->client_id == NULL ||
	    o->client_secret_file.path == NULL)
		return mg_conf_error_at(cp, &o->pos,
		    "oauth_client needs \"token_url\", \"client_id\" and "
		    "\"client_secret_file\"");
	if (mg_conf_upstream_sets_auth(u))
		return mg_conf_error_at(cp, &o->pos,
		    "upstream \"%s\" sends an Authorization header already: "
		    "\"oauth_client\" sets it",
		    u->name);
	return MG_OK;
}

int
mg_conf_validate_upcred(conf_parse_t *cp, const mg_upstream_t *u)
{
	if (u->command != NULL && u->secret_headers != NULL)
		return mg_conf_error_at(cp, &u->secret_headers->file.pos,
		    "upstream \"%s\" runs a command: \"header_secret_file\" "
		    "is for a \"server\" (use \"env_secret_file\")",
		    u->name);
	if (u->command == NULL && u->env != NULL)
		return mg_conf_error_at(cp, &u->env->file.pos,
		    "upstream \"%s\" has no \"command\": \"env\" and "
		    "\"env_secret_file\" are for a stdio server",
		    u->name);
	if (conf_vars_once(cp, u->env, "environment variable", 0) != MG_OK ||
	    conf_vars_once(cp, u->secret_headers, "header", 1) != MG_OK)
		return MG_ERROR;
	for (const mg_upstream_var_t *v = u->secret_headers; v; v = v->next)
		if (conf_header_named(u, v->name))
			return mg_conf_error_at(cp, &v->file.pos,
			    "header \"%s\" is set by \"header\" too in "
			    "upstream \"%s\"",
			    v->name, u->name);
	if (u->oauth != NULL && conf_validate_oauth(cp, u) != MG_OK)
		return MG_ERROR;
	return mg_conf_validate_upfwd(cp, u);
}
