/*
 * Setters of the location context: its handler (a built-in server or an
 * upstream, both resolved after parsing) and the methods it refuses.
 */
#include "config.h"

#include <string.h>

#include "conf_int.h"

int
mg_conf_set_builtin(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_location_t *loc = ctx;

	/* the name is checked by whoever hosts the built-in servers, after
	 * parsing (mg_builtin_resolve): this layer does not know them */
	if (loc->builtin != NULL)
		return mg_conf_duplicate(cp, cmd);
	if ((loc->builtin = mg_conf_strdup(cp->conf, cp->args->v[1])) == NULL)
		return mg_conf_nomem(cp);
	loc->builtin_pos = mg_conf_pos(cp);
	return MG_OK;
}

int
mg_conf_set_pass(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_location_t *loc = ctx;

	if (loc->pass != NULL)
		return mg_conf_duplicate(cp, cmd);
	/* the upstream may be defined further down: resolved in validation */
	if ((loc->pass = mg_conf_strdup(cp->conf, cp->args->v[1])) == NULL)
		return mg_conf_nomem(cp);
	return MG_OK;
}

/* mcp_deny METHOD [NAME]: repeatable; METHOD a JSON-RPC method or "*",
 * NAME a glob of the tool, prompt or resource named. */
int
mg_conf_set_deny(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_location_t *loc = ctx;
	mg_mcp_deny_t *d, **tail;
	const char    *m = cp->args->v[1];

	for (const char *p = m; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"')
			return mg_conf_invalid(cp, cmd, "method", m);
	if (*m == '\0')
		return mg_conf_invalid(cp, cmd, "method", m);
	if ((d = mg_conf_alloc(cp->conf, sizeof(*d))) == NULL ||
	    (d->method = mg_conf_strdup(cp->conf, m)) == NULL ||
	    (cp->args->n > 2 &&
		(d->name = mg_conf_strdup(cp->conf, cp->args->v[2])) == NULL))
		return mg_conf_nomem(cp);
	if (cp->args->n <= 2)
		d->name = NULL;
	d->next = NULL;
	d->pos = mg_conf_pos(cp);
	for (tail = &loc->deny; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = d;
	return MG_OK;
}
