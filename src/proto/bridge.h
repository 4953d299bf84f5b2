/*
 * Turning messages of one era of MCP into the other's, for a proxy route
 * whose client and upstream speak different eras (era.h): pure functions
 * over JSON, no I/O.  The worker (wbridge.c) calls them on the requests it
 * relays and the answers it passes back.
 */
#ifndef MG_BRIDGE_H
#define MG_BRIDGE_H

#include <stddef.h>

#include "caps.h"
#include "jsonrpc.h"

/* server/discover (2026-07-28) from an initialize RESULT (2025): the
 * capabilities (listChanged and subscribe too: the bridge serves
 * subscriptions/listen), instructions, serverInfo in _meta, SUPPORTED
 * (N versions), and the caching hints DiscoverResult requires (SEP-2549):
 * ttlMs MG_BRIDGE_DISCOVER_TTL_MS, since the bridge's session may be
 * opened again at any time (idle for session_timeout, the upstream
 * restarted) and get another answer, and asking again costs no trip
 * upstream; cacheScope "private", since the upstream answered the
 * route's own session and may tell one authorization context from
 * another.  A new object. */
#define MG_BRIDGE_DISCOVER_TTL_MS 0
struct json_object *mg_bridge_discover_from_initialize(
    struct json_object *result, const char *const *supported, size_t n);

/* An initialize result at VERSION (2025) from a server/discover RESULT
 * (2026-07-28): capabilities (listChanged and subscribe too: the reverse
 * bridge's listen per session brings resource updates and list changes
 * to the session's GET stream), serverInfo (from _meta), instructions.
 * A new object. */
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

/*
 * Requests of a 2025 server to its client (elicitation, sampling, roots)
 * reach a 2026-07-28 client as the inputRequests of an input_required
 * result, each under a key; the client's retry answers them by key in
 * inputResponses.  A 2025 server names no keys: the bridge takes
 * params._meta["mcpgw/inputKey"] when the server set it (so a server
 * written for the bridge controls its keys), else "input-" and the
 * request's id.
 */
#define MG_BRIDGE_INPUT_KEY "mcpgw/inputKey"
#define MG_BRIDGE_KEY_MAX 64

/* The client capability a server's request METHOD needs (MG_CAP_ELICIT,
 * _SAMPLE, _ROOTS of caps.h); 0 for ping (the bridge answers it itself);
 * -1 for a method the bridge does not carry. */
int mg_bridge_ask_need(const char *method);

/* The capability's name in ClientCapabilities for NEED (as above). */
const char *mg_bridge_cap_name(int need);

/*
 * The connector tells the worker, in the answer's stream, that it
 * refused the upstream a request for want of a client capability
 * (params.capability names it); if the request then fails, the client
 * gets -32021 naming it (the 2026-07-28 rule: a request that needs a
 * capability the client did not declare is refused so).
 */
#define MG_BRIDGE_REFUSED "notifications/mcpgw/refused"

/* The key of a server's request MSG, into OUT (N bytes): the hint when it
 * is a string of 1 to MG_BRIDGE_KEY_MAX bytes that TAKEN (an object whose
 * keys are in use, or NULL) does not hold, else "input-" and the id. */
void mg_bridge_input_key(
    struct json_object *msg, struct json_object *taken, char *out, size_t n);

/* The inputRequests entry for a server's request MSG: {method, params},
 * the params without the bridge's key hint.  A new object. */
struct json_object *mg_bridge_input_request(struct json_object *msg);

/*
 * A 2026-07-28 request BODY (LEN bytes) as the bridge's session carries
 * it: its id replaced by ID (the session is shared: ids must not clash),
 * params.requestState and the new era's _meta keys dropped
 * (mg_bridge_meta_to_2025), params.inputResponses taken out into
 * *ANSWERS (a new reference, or NULL).  The new text, malloc'd (*OUT_LEN
 * bytes), or NULL when BODY is not a request (a notification has no id
 * to replace: mg_bridge_notification_for_session).
 */
char *mg_bridge_request_for_session(const char *body, size_t len,
    const char *id, struct json_object **answers, size_t *out_len);

/* A 2026-07-28 notification BODY (LEN bytes) as the bridge's session
 * carries it: the new era's _meta keys dropped.  The new text, malloc'd
 * (*OUT_LEN bytes), or NULL when BODY is not a notification. */
char *mg_bridge_notification_for_session(
    const char *body, size_t len, size_t *out_len);

/* MSG's params, and its params._meta: objects, made where MSG has none
 * (borrowed references). */
struct json_object *mg_bridge_params(struct json_object *msg);
struct json_object *mg_bridge_meta(struct json_object *msg);
/* PARAMS without _meta's KEY (nor an empty _meta). */
void mg_bridge_meta_drop(struct json_object *params, const char *key);

/*
 * PARAMS of a 2026-07-28 request as a 2025-11-25 upstream may see them:
 * without the _meta keys only the new era has (protocolVersion,
 * clientCapabilities, clientInfo, logLevel: a strict 2025 server refuses
 * a body that names another version than its header), nor an emptied
 * _meta.  The session's own initialize stands for the first three; the
 * log level is the worker's to honour (wbridge.c).
 */
void mg_bridge_meta_to_2025(struct json_object *params);

/*
 * Does a 2025 server's notifications/message with PARAMS go to a
 * 2026-07-28 client that asked for log level ASKED (the rank of its
 * _meta logLevel, mg_bridge_log_rank; -1: it asked for none)?  The new era
 * sends no log message unasked, and none below the level asked; a 2025 server
 * logs on its session at one level for every client the bridge carries, so the
 * worker filters per request.
 */
int mg_bridge_log_passes(int asked, struct json_object *params);

/* The rank of log level NAME (LoggingLevel, least severe first: debug
 * 0 ... emergency 7); -1 for NULL or a name the revision does not have. */
int mg_bridge_log_rank(const char *name);

/* Does METHOD's result say how long a client may keep it (SEP-2549)? */
int mg_bridge_cacheable(const char *method);

#endif
