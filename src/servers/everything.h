/*
 * The built-in "everything" server ("mcp_builtin everything;"): the tools,
 * resources, prompts, completion and logging of the MCP conformance
 * suite's fixtures, in both eras.
 */
#ifndef MG_EVERYTHING_H
#define MG_EVERYTHING_H

#include "mcp.h"

extern const mg_mcp_backend_t mg_everything;

/* Map the counts of its changing lists (evlists.c) where every worker
 * sees them: once, in the master, before it forks. */
int mg_everything_lists_init(void);

#endif
