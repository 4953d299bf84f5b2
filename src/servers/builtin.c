/*
 * The registry of built-in MCP servers: the names "mcp_builtin" may use,
 * resolved by the master once the configuration is parsed (conf/ does not
 * know them).  A new built-in server is one file and one row here.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "demo.h"
#include "everything.h"

static const mg_mcp_backend_t *const builtins[] = { &mg_demo, &mg_everything };

const mg_mcp_backend_t *
mg_builtin_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < MG_NELEM(builtins); i++)
		if (strcmp(builtins[i]->name, name) == 0)
			return builtins[i];
	return NULL;
}

int
mg_builtin_resolve(mg_conf_t *conf, char **err)
{
	for (mg_server_t *srv = conf->servers; srv != NULL; srv = srv->next)
		for (mg_location_t *loc = srv->locations; loc != NULL;
		     loc = loc->next) {
			if (loc->builtin == NULL)
				continue;
			loc->backend = mg_builtin_find(loc->builtin);
			if (loc->backend != NULL)
				continue;
			if (asprintf(err,
				"unknown built-in MCP server \"%s\" (known: "
				"%s) "
				"in %s:%d",
				loc->builtin, mg_builtin_names(),
				loc->builtin_pos.file,
				loc->builtin_pos.line) < 0)
				*err = NULL;
			return MG_ERROR;
		}
	return MG_OK;
}

const char *
mg_builtin_names(void)
{
	return "demo, everything";
}
