/*
 * Setters of the server context: where it listens, its names, its
 * locations and its TLS.
 */
#include "config.h"

#include <string.h>

#include "conf_int.h"
#include "units.h"

int
mg_conf_listen(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_server_t *srv = ctx;
	mg_listen_t *l, **tail;
	const char  *v = cp->args->v[1];

	if ((l = mg_conf_alloc(cp->conf, sizeof(*l))) == NULL ||
	    (l->text = mg_conf_strdup(cp->conf, v)) == NULL)
		return mg_conf_nomem(cp);
	if (cp->args->n == 3) {
		if (strcmp(cp->args->v[2], "ssl") != 0)
			return mg_conf_invalid(
			    cp, cmd, "value", cp->args->v[2]);
		l->ssl = 1;
	}
	if (mg_conf_parse_listen(v, &l->addr, &l->addrlen) != MG_OK)
		return mg_conf_error(
		    cp, cp->args->line, "invalid listen \"%s\"", v);
	l->pos = mg_conf_pos(cp);
	for (tail = &srv->listens; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = l;
	return MG_OK;
}

/* A new array per directive; the old one stays in the pool till free. */
int
mg_conf_server_name(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_server_t *srv = ctx;
	conf_args_t *a = cp->args;
	char       **names;
	size_t       i, n = srv->nnames + a->n - 1;

	(void)cmd;
	if ((names = mg_conf_alloc(cp->conf, n * sizeof(*names))) == NULL)
		return mg_conf_nomem(cp);
	for (i = 0; i < srv->nnames; i++)
		names[i] = srv->names[i];
	for (i = 1; i < a->n; i++)
		if ((names[srv->nnames + i - 1] =
			    mg_conf_strdup(cp->conf, a->v[i])) == NULL)
			return mg_conf_nomem(cp);
	srv->names = names;
	srv->nnames = n;
	return MG_OK;
}

int
mg_conf_location(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_server_t   *srv = ctx;
	mg_location_t *loc, **tail;
	conf_args_t   *a = cp->args;
	const char    *path = a->v[a->n - 1];
	int            exact = a->n == 3;

	if (exact && strcmp(a->v[1], "=") != 0)
		return mg_conf_invalid(cp, cmd, "value", a->v[1]);
	if (path[0] != '/')
		return mg_conf_invalid(cp, cmd, "value", path);
	/* the path travels in every session id (session.c: route[128]) */
	if (strlen(path) > 127)
		return mg_conf_error(
		    cp, cp->args->line, "location path longer than 127 bytes");
	for (tail = &srv->locations; *tail != NULL; tail = &(*tail)->next)
		if ((*tail)->exact == exact && strcmp((*tail)->path, path) == 0)
			return mg_conf_duplicate_name(cp, "location",
			    exact ? "= " : "", path, &(*tail)->pos);
	if ((loc = mg_conf_alloc(cp->conf, sizeof(*loc))) == NULL ||
	    (loc->path = mg_conf_strdup(cp->conf, path)) == NULL)
		return mg_conf_nomem(cp);
	mg_conf_unset(MG_CTX_LOCATION, loc);
	loc->exact = exact;
	loc->pos = mg_conf_pos(cp);
	*tail = loc;
	return mg_conf_parse_block(cp, MG_CTX_LOCATION, loc, 1);
}

/* ssl_protocols TLSv1.2 [TLSv1.3] */
int
mg_conf_set_protocols(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	int *field = CONF_FIELD(ctx, cmd, int);

	if (*field != 0)
		return mg_conf_duplicate(cp, cmd);
	for (size_t i = 1; i < cp->args->n; i++) {
		if (strcmp(cp->args->v[i], "TLSv1.2") == 0)
			*field |= MG_TLS_V12;
		else if (strcmp(cp->args->v[i], "TLSv1.3") == 0)
			*field |= MG_TLS_V13;
		else
			return mg_conf_invalid(
			    cp, cmd, "value", cp->args->v[i]);
	}
	return MG_OK;
}

/* ssl_verify_client on | optional | off */
int
mg_conf_set_verify_client(
    conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_server_t *srv = ctx;
	const char  *v = cp->args->v[1];

	if (srv->tls.verify_pos.file != NULL)
		return mg_conf_duplicate(cp, cmd);
	if (strcmp(v, "on") == 0)
		srv->tls.verify_client = MG_VERIFY_ON;
	else if (strcmp(v, "optional") == 0)
		srv->tls.verify_client = MG_VERIFY_OPTIONAL;
	else if (strcmp(v, "off") == 0)
		srv->tls.verify_client = MG_VERIFY_OFF;
	else
		return mg_conf_invalid(cp, cmd, "value", v);
	srv->tls.verify_pos = mg_conf_pos(cp);
	return MG_OK;
}
