/*
 * The built-in "everything" server ("mcp_builtin everything;"): the tools,
 * resources, prompts, completion and logging of the MCP conformance
 * suite's fixtures, in both eras.
 */
#ifndef MG_EVERYTHING_H
#define MG_EVERYTHING_H

#include "mcp.h"

extern const mg_mcp_backend_t mg_everything;

#endif
