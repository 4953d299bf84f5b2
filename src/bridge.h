/*
 * Turning messages of one era of MCP into the other's, for a proxy route
 * whose client and upstream speak different eras (era.h): pure functions
 * over JSON, no I/O.  mcp.c calls them on the requests it relays and the
 * answers it passes back.
 */
#ifndef MG_BRIDGE_H
#define MG_BRIDGE_H

#include <stddef.h>

#include "jsonrpc.h"

/* server/discover (2026-07-28) from an initialize RESULT (2025): the
 * capabilities without listChanged and subscribe (the bridge delivers no
 * notifications outside a request), instructions, serverInfo in _meta,
 * and SUPPORTED (N versions).  A new object. */
struct json_object *mg_bridge_discover_from_initialize(
    struct json_object *result, const char *const *supported, size_t n);

/* An initialize result at VERSION (2025) from a server/discover RESULT
 * (2026-07-28): capabilities (without listChanged and subscribe),
 * serverInfo (from _meta), instructions.  A new object. */
struct json_object *mg_bridge_initialize_from_discover(
    struct json_object *result, const char *version);

/*
 * A 2025 request M as the 2026-07-28 revision wants it: params._meta gets
 * the protocol version, the client's capabilities and clientInfo from
 * INIT_PARAMS (its initialize params, JSON text; may be NULL), and log
 * level "info" (a 2025 server logs unasked; logging/setLevel is not
 * carried).  The
 * new body, malloc'd, NUL-terminated (*LEN bytes), or NULL.
 */
char *mg_bridge_request_to_2026(
    const mg_rpc_msg_t *m, const char *init_params, size_t *len);

/* Does METHOD's result say how long a client may keep it (SEP-2549)? */
int mg_bridge_cacheable(const char *method);

#endif
