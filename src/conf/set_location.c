/*
 * Setters of the location context: its handler (a built-in server or an
 * upstream, both resolved after parsing, or a page of mcpgw's own).  What it
 * refuses is set_policy.c's.
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

/* "metrics;" or "status;": the page is named by the directive itself. */
int
mg_conf_set_page(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_location_t *loc = ctx;

	if (loc->page != NULL)
		return mg_conf_error(cp, cp->args->line,
		    "location \"%s\" already serves the %s page", loc->path,
		    loc->page);
	loc->page = cmd->name;
	return MG_OK;
}
