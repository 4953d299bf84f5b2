/*
 * Built-in MCP servers, hosted inside the workers: "location /x {
 * mcp_builtin demo; }" serves one with no upstream at all.
 */
#ifndef MG_BUILTIN_H
#define MG_BUILTIN_H

#include "conf.h"
#include "mcp.h"

/* The backend named NAME, or NULL. */
const mg_mcp_backend_t *mg_builtin_find(const char *name);
/* Point each location's mcp_builtin at its server, after parsing: an
 * unknown name is an error naming its file and line. */
int mg_builtin_resolve(mg_conf_t *conf, char **err);
/* "demo": for messages that list what exists */
const char *mg_builtin_names(void);

#endif
