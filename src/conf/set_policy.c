/*
 * Setters of a location's policy: the mcp_allow and mcp_deny rules that
 * say which methods and names it serves, and to whom.
 */
#include "config.h"

#include <string.h>

#include "conf_int.h"

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
