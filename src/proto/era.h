/*
 * The two eras of MCP on one endpoint.  Revisions 2025-03-26, 2025-06-18
 * and 2025-11-25 are stateful (initialize, Mcp-Session-Id, GET stream);
 * 2026-07-28 is stateless: every request carries its protocol version and
 * the client's capabilities in params._meta, the HTTP headers
 * MCP-Protocol-Version, Mcp-Method and Mcp-Name repeat what the body says
 * (so that intermediaries can route without reading it), and a request
 * that does not agree with them is refused.
 *
 * Pure functions over a parsed message and header values: no I/O.
 */
#ifndef MG_ERA_H
#define MG_ERA_H

#include <stddef.h>

#include "jsonrpc.h"

#define MG_ERA_2026 "2026-07-28"

/* The 2026-07-28 revision's JSON-RPC error codes (HTTP 400 each). */
/* How many gateways a request has crossed (loop safety). */
#define MG_HOPS_HEADER "Mcp-Gateway-Hops"

/* MCP's own JSON-RPC error codes (the eras' are below). */
#define MG_MCP_ERR_SESSION -32001 /* session not found */
/* mcpgw's own: a request the location's mcp_deny refuses (HTTP 403) */
#define MG_MCP_ERR_FORBIDDEN -32003

#define MG_MCP_ERR_HEADER_MISMATCH -32020
#define MG_MCP_ERR_MISSING_CAPABILITY -32021
#define MG_MCP_ERR_UNSUPPORTED_VERSION -32022

/* The _meta keys a 2026-07-28 request carries. */
#define MG_META_VERSION "io.modelcontextprotocol/protocolVersion"
#define MG_META_CAPABILITIES "io.modelcontextprotocol/clientCapabilities"
#define MG_META_CLIENT_INFO "io.modelcontextprotocol/clientInfo"
#define MG_META_SERVER_INFO "io.modelcontextprotocol/serverInfo"
#define MG_META_SUBSCRIPTION "io.modelcontextprotocol/subscriptionId"
#define MG_META_LOG_LEVEL "io.modelcontextprotocol/logLevel"

/* Longest Mcp-Method / Mcp-Name value compared (decoded). */
#define MG_ERA_HEADER_MAX 1024

/* What the HTTP request says besides its body; NULL: header absent. */
typedef struct {
	const char *version; /* MCP-Protocol-Version */
	const char *method;  /* Mcp-Method */
	const char *name;    /* Mcp-Name */
} mg_era_headers_t;

/* Why a request is refused: HTTP STATUS, JSON-RPC CODE and MESSAGE, and
 * DATA (owned; NULL when none). */
typedef struct {
	int                 status;
	int                 code;
	char                message[256];
	struct json_object *data;
} mg_era_err_t;

/* params._meta[MG_META_VERSION] of a message, or NULL. */
const char *mg_era_meta_version(const mg_rpc_msg_t *m);

/*
 * Does this POST speak 2026-07-28?  Yes when its MCP-Protocol-Version
 * says so, or when its body carries the revision's _meta version key (a
 * client of the new era that sent no header, or an unknown version: both
 * get the new era's errors).  A 2025 revision in the header decides for
 * the old era.  KNOWN_OLD(v) tells a 2025 revision.
 */
int mg_era_is_2026(const mg_era_headers_t *h, const mg_rpc_msg_t *m,
    int (*known_old)(const char *v));

/*
 * Check a 2026-07-28 message against the revision: MG_OK, or MG_ERROR
 * with *err filled (clear it with mg_era_err_clear).  SUPPORTED (N
 * entries) are the versions an unsupported-version error lists.  In this
 * order: params._meta with the version and clientCapabilities (-32602),
 * MCP-Protocol-Version present and equal to _meta's (-32020), the version
 * supported (-32022, data {supported, requested}; not checked when
 * SUPPORTED is NULL: an upstream decides), Mcp-Method equal to
 * the method, Mcp-Name equal to the name or uri the method names (-32020).
 * Header values may carry spaces around them and may be Base64 as
 * "=?base64?...?="; the comparison is exact otherwise.
 */
int  mg_era_check(const mg_era_headers_t *h, const mg_rpc_msg_t *m,
     const char *const *supported, size_t n, mg_era_err_t *err);
void mg_era_err_clear(mg_era_err_t *err);

/*
 * SEP-2243 custom headers: a tool's inputSchema property annotated
 * "x-mcp-header": "Suffix" is mirrored into the header Mcp-Param-Suffix.
 * For each such property present (not null) in ARGS, the header must be
 * there (HEADER(ARG, name) gives its first value, or NULL) and say the
 * same: the string exactly, a number numerically, a boolean as
 * true/false; Base64 "=?base64?..?=" decoded.  MG_OK, or MG_ERROR with
 * *err (-32020, 400).
 */
int mg_era_check_params(struct json_object *schema, struct json_object *args,
    const char *(*header)(void *arg, const char *name), void           *arg,
    mg_era_err_t *err);

/* The name a method's Mcp-Name carries (tools/call, prompts/get:
 * params.name; resources/read: params.uri), or NULL. */
const char *mg_era_name_of(const char *method, struct json_object *params);
/* The member of params that holds it: "name", "uri", or NULL. */
const char *mg_era_name_key(const char *method);

/*
 * A header value as the sender meant it: spaces and tabs around it gone,
 * "=?base64?B64?=" decoded (strict Base64: padding, alphabet, and the
 * result must be text without NUL).  MG_OK with OUT (N bytes) filled, or
 * MG_ERROR (invalid encoding, too long).
 */
int mg_era_header_value(const char *raw, char *out, size_t n);

/* Append "NAME: VALUE\r\n" to OUT, VALUE as "=?base64?...?=" when it is
 * not plain visible ASCII (SEP-2243), as a gateway sends Mcp-Name. */
struct evbuffer;
void mg_era_header_add(
    struct evbuffer *out, const char *name, const char *value);

/* params._meta[MG_META_CAPABILITIES][NAME] of a 2026-07-28 request, or
 * NULL when the client did not declare NAME ("sampling", ...). */
struct json_object *mg_era_client_capability(
    struct json_object *params, const char *name);

#endif
