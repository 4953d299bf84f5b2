/*
 * Setters of auth_jwt: the block (or "auth_jwt off;") in a server or a
 * location, and the directives of its body.  They keep words, numbers and
 * file names only: which algorithm a name means and what a key file holds
 * are the master's to find out (master/auth.c), since this layer knows no
 * JWT; a jwks_url is only taken apart (the connector fetches it).  What one
 * directive cannot see alone is checked in validate.c.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "conf_int.h"

static mg_auth_jwt_t *
conf_auth_new(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_auth_jwt_t **field = CONF_FIELD(ctx, cmd, mg_auth_jwt_t *);

	if (*field != NULL) {
		mg_conf_duplicate(cp, cmd);
		return NULL;
	}
	if ((*field = mg_conf_alloc(cp->conf, sizeof(**field))) == NULL) {
		mg_conf_nomem(cp);
		return NULL;
	}
	mg_conf_unset(MG_CTX_AUTH_JWT, *field);
	(*field)->pos = mg_conf_pos(cp);
	return *field;
}

int
mg_conf_auth_jwt(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_auth_jwt_t *a;

	if ((a = conf_auth_new(cp, cmd, ctx)) == NULL)
		return MG_ERROR;
	return mg_conf_parse_block(cp, MG_CTX_AUTH_JWT, a, 1);
}

/* auth_jwt off: no token is asked for here, whatever the server says. */
int
mg_conf_auth_jwt_off(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_auth_jwt_t *a;

	if (strcmp(cp->args->v[1], "off") != 0)
		return mg_conf_invalid(cp, cmd, "value", cp->args->v[1]);
	if ((a = conf_auth_new(cp, cmd, ctx)) == NULL)
		return MG_ERROR;
	a->off = 1;
	return MG_OK;
}

/* Words that go into log lines, headers and JSON as they are: no space,
 * no control character, no quote or backslash, not empty. */
static int
conf_auth_uri_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '"' ||
		    *s == '\\')
			return 0;
	return 1;
}

/* A scope token (RFC 6749 3.3): %x21 / %x23-5B / %x5D-7E. */
static int
conf_auth_scope_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

/* The arguments, each checked by OK, added to the words at the field. */
static int
conf_auth_words(conf_parse_t *cp, const conf_command_t *cmd, void *ctx,
    int (*ok)(const char *))
{
	mg_conf_words_t *w = CONF_FIELD(ctx, cmd, mg_conf_words_t);
	conf_args_t     *a = cp->args;
	char           **v;
	size_t           i, n = w->n + a->n - 1;

	for (i = 1; i < a->n; i++)
		if (!ok(a->v[i]))
			return mg_conf_invalid(cp, cmd, "value", a->v[i]);
	if ((v = mg_conf_alloc(cp->conf, n * sizeof(*v))) == NULL)
		return mg_conf_nomem(cp);
	for (i = 0; i < w->n; i++)
		v[i] = w->v[i];
	for (i = 1; i < a->n; i++)
		if ((v[w->n + i - 1] = mg_conf_strdup(cp->conf, a->v[i])) ==
		    NULL)
			return mg_conf_nomem(cp);
	w->v = v;
	w->n = n;
	return MG_OK;
}

/* issuer URI ...; audience URI ...: repeatable, they add up. */
int
mg_conf_set_auth_uris(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	return conf_auth_words(cp, cmd, ctx, conf_auth_uri_ok);
}

/* scope NAME ...: repeatable; every one is required. */
int
mg_conf_set_auth_scope(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	return conf_auth_words(cp, cmd, ctx, conf_auth_scope_ok);
}

/* A path relative to the directory of the file being read, as include's:
 * the master may run elsewhere, and a file beside the configuration is
 * found wherever that is. */
char *
mg_conf_path(conf_parse_t *cp, const char *path)
{
	const char *slash = strrchr(cp->file, '/');
	size_t      dlen;
	char       *s;

	if (path[0] == '/' || slash == NULL)
		return mg_conf_strdup(cp->conf, path);
	dlen = (size_t)(slash - cp->file) + 1;
	if ((s = mg_conf_alloc(cp->conf, dlen + strlen(path) + 1)) == NULL)
		return NULL;
	memcpy(s, cp->file, dlen);
	strcpy(s + dlen, path);
	return s;
}

/* jwks_file PATH; hs256_secret_file PATH: read by the master. */
int
mg_conf_set_auth_file(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_conf_file_t *f = CONF_FIELD(ctx, cmd, mg_conf_file_t);

	if (f->path != NULL)
		return mg_conf_duplicate(cp, cmd);
	if (cp->args->v[1][0] == '\0')
		return mg_conf_invalid(cp, cmd, "value", cp->args->v[1]);
	if ((f->path = mg_conf_path(cp, cp->args->v[1])) == NULL)
		return mg_conf_nomem(cp);
	f->pos = mg_conf_pos(cp);
	return MG_OK;
}

/* jwks_url https://HOST[:PORT]/PATH: fetched by the connector, over TLS
 * only (a key set over plain HTTP is anybody's on the path). */
int
mg_conf_set_auth_jwks_url(
    conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_auth_jwt_t *a = ctx;
	const char    *v = cp->args->v[1], *why = NULL;
	int            rc;

	if (a->jwks_url.url != NULL)
		return mg_conf_duplicate(cp, cmd);
	if ((rc = mg_conf_url_set(cp->conf, v, &a->jwks_url, &why)) == MG_ERROR)
		return mg_conf_nomem(cp);
	if (rc != MG_OK || !a->jwks_url.tls) {
		a->jwks_url.url = NULL;
		return mg_conf_error(cp, cp->args->line,
		    "invalid value \"%s\" in \"%s\" directive (%s%swant "
		    "https://HOST[:PORT]/PATH: keys are fetched over TLS only)",
		    v, cmd->name, why ? why : "", why ? "; " : "");
	}
	a->jwks_url.pos = mg_conf_pos(cp);
	return MG_OK;
}

/* algorithms NAME ...: names only (master/auth.c knows them), but never
 * "none", whatever its case.  Once per block: a list that adds up would
 * hide which line allowed what. */
int
mg_conf_set_auth_algorithms(
    conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_auth_jwt_t *a = ctx;
	conf_args_t   *args = cp->args;

	if (a->algorithms.n > 0)
		return mg_conf_duplicate(cp, cmd);
	for (size_t i = 1; i < args->n; i++)
		if (strcasecmp(args->v[i], "none") == 0)
			return mg_conf_error(cp, args->line,
			    "invalid value \"%s\" in \"%s\" directive "
			    "(unsigned tokens are never accepted)",
			    args->v[i], cmd->name);
	a->algorithms_pos = mg_conf_pos(cp);
	return conf_auth_words(cp, cmd, ctx, conf_auth_uri_ok);
}
