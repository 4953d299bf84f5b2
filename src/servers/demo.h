/*
 * The built-in "demo" server ("mcp_builtin demo;"): three tools that show
 * what the gateway does with answers that come at once, later, and
 * streamed.
 */
#ifndef MG_DEMO_H
#define MG_DEMO_H

#include "mcp.h"

extern const mg_mcp_backend_t mg_demo;

#endif
