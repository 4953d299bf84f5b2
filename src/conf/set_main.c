/*
 * Setters of the main context: the daemon's own settings, the blocks
 * that open the other contexts (connector, upstream, server), and
 * allow_origins, written in main, server and location alike.
 */
#include "config.h"

#include <string.h>

#include "conf_int.h"
#include "log.h"

int
mg_conf_set_workers(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	int *field = CONF_FIELD(ctx, cmd, int);

	if (*field == MG_UNSET && strcmp(cp->args->v[1], "auto") == 0) {
		*field = CONF_AUTO;
		return MG_OK;
	}
	return mg_conf_set_num(cp, cmd, ctx);
}

int
mg_conf_set_error_log(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_conf_t   *conf = ctx;
	conf_args_t *a = cp->args;
	int          level;

	if (conf->error_log != NULL)
		return mg_conf_duplicate(cp, cmd);
	if (a->n == 3) {
		level = mg_log_level_parse(a->v[2]);
		/* crit and emerg are for the daemon's own use, not a filter. */
		if (level < MG_LOG_DEBUG || level > MG_LOG_ERROR)
			return mg_conf_invalid(cp, cmd, "value", a->v[2]);
		conf->error_log_level = level;
	}
	if ((conf->error_log = mg_conf_strdup(conf, a->v[1])) == NULL)
		return mg_conf_nomem(cp);
	return MG_OK;
}

/* Names only: the master resolves them, so a test needs no such user. */
int
mg_conf_set_user(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_conf_t   *conf = ctx;
	conf_args_t *a = cp->args;

	if (conf->user != NULL)
		return mg_conf_duplicate(cp, cmd);
	if ((conf->user = mg_conf_strdup(conf, a->v[1])) == NULL)
		return mg_conf_nomem(cp);
	if (a->n == 3 && (conf->group = mg_conf_strdup(conf, a->v[2])) == NULL)
		return mg_conf_nomem(cp);
	conf->user_pos = mg_conf_pos(cp);
	return MG_OK;
}

int
mg_conf_connector(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_connector_conf_t *cc = CONF_FIELD(ctx, cmd, mg_connector_conf_t);

	if (cc->present)
		return mg_conf_duplicate(cp, cmd);
	cc->present = 1;
	cc->pos = mg_conf_pos(cp);
	return mg_conf_parse_block(cp, MG_CTX_CONNECTOR, cc, 1);
}

int
mg_conf_upstream(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_conf_t     *conf = ctx;
	mg_upstream_t *u, **tail;
	const char    *name = cp->args->v[1];

	(void)cmd;
	for (tail = &conf->upstreams; *tail != NULL; tail = &(*tail)->next)
		if (strcmp((*tail)->name, name) == 0)
			return mg_conf_duplicate_name(
			    cp, "upstream", "", name, &(*tail)->pos);
	if ((u = mg_conf_alloc(conf, sizeof(*u))) == NULL ||
	    (u->name = mg_conf_strdup(conf, name)) == NULL)
		return mg_conf_nomem(cp);
	mg_conf_unset(MG_CTX_UPSTREAM, u);
	u->pos = mg_conf_pos(cp);
	*tail = u;
	return mg_conf_parse_block(cp, MG_CTX_UPSTREAM, u, 1);
}

int
mg_conf_server(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_conf_t   *conf = ctx;
	mg_server_t *srv, **tail;

	(void)cmd;
	if ((srv = mg_conf_alloc(conf, sizeof(*srv))) == NULL)
		return mg_conf_nomem(cp);
	mg_conf_unset(MG_CTX_SERVER, srv);
	srv->pos = mg_conf_pos(cp);
	for (tail = &conf->servers; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = srv;
	return mg_conf_parse_block(cp, MG_CTX_SERVER, srv, 1);
}

/* allow_origins ORIGIN ...: in main, server and location. */
int
mg_conf_set_origins(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_http_conf_t *h = CONF_FIELD(ctx, cmd, mg_http_conf_t);
	conf_args_t    *a = cp->args;

	if (h->allow_origins != NULL)
		return mg_conf_duplicate(cp, cmd);
	h->allow_origins = mg_conf_alloc(cp->conf, (a->n - 1) * sizeof(char *));
	if (h->allow_origins == NULL)
		return mg_conf_nomem(cp);
	for (size_t i = 1; i < a->n; i++)
		if ((h->allow_origins[i - 1] =
			    mg_conf_strdup(cp->conf, a->v[i])) == NULL)
			return mg_conf_nomem(cp);
	h->nallow_origins = a->n - 1;
	return MG_OK;
}
