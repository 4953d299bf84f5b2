/*
 * The access phase's methods: the ways a route finds out who the client
 * is (docs/auth.md).  Each method is one file around one row:
 *
 *   auth_cert.c  a verified TLS client certificate (auth_cert on)
 *   auth_jwt.c   a bearer JWT (auth_jwt { ... })
 *   auth_key.c   an API key (auth_keys FILE)
 *
 * access.c tries the methods a route configures in the route's
 * auth_order.  The first that identifies the client wins; a credential
 * that is presented and fails is refused at once, never handed to the
 * next method; with no credential for any of them, the request gets 401
 * with every method's challenge.  Private to worker/.
 */
#ifndef MG_ACCESS_H
#define MG_ACCESS_H

#include <stddef.h>

#include "conf.h"
#include "exchange.h"

/* mcpgw's own JSON-RPC error code for a request without a valid
 * credential (HTTP 401, or 400 for a malformed header); a missing scope
 * is MG_MCP_ERR_FORBIDDEN (403). */
#define MG_AUTH_ERR_UNAUTHORIZED -32005

typedef struct {
	const char *directive; /* that configures it, for log lines */
	const char *noun;      /* what it asks for: "bearer token" */
	const char *article;   /* "a" or "an" */
	/* Where LOC configures the method, or NULL: LOC does not use it. */
	const mg_conf_pos_t *(*configured)(const mg_location_t *loc);
	/* MG_OK: the client is identified (ex->who_kind, who, who_claims);
	 * MG_DECLINED: the request holds no credential of this kind;
	 * MG_ERROR: it holds one that fails: refused and answered. */
	int (*check)(mg_mcp_ex_t *ex);
	/* Add the method's WWW-Authenticate challenge to EX's answer (of a
	 * request with no credential); 1 if it did, 0 if it has none. */
	int (*challenge)(mg_mcp_ex_t *ex);
} mg_access_method_t;

extern const mg_access_method_t mg_access_cert;
extern const mg_access_method_t mg_access_jwt;
extern const mg_access_method_t mg_access_key;

/* What a request holds for a method that reads bearer tokens. */
typedef enum {
	MG_AUTH_NONE,   /* nothing of this method's: decline */
	MG_AUTH_BEARER, /* "Bearer TOKEN" */
	MG_AUTH_BAD,    /* two Authorization headers, or "Bearer" alone */
} mg_auth_cred_t;

/*
 * The bearer token of EX's request for METHOD (MG_AUTH_JWT or
 * MG_AUTH_KEY), into TOKEN and LEN.  A route that takes both JWTs and
 * keys in "Authorization: Bearer" tells them apart by their shape: a
 * token with exactly two dots is a JWT (RFC 7519: three base64url parts),
 * anything else is a key.  A route with one of them gives it every
 * bearer token.
 */
mg_auth_cred_t mg_auth_bearer(
    mg_mcp_ex_t *ex, int method, const char **token, size_t *len);

/* "LOCATION: a request from PEER refused by DIRECTIVE in FILE:LINE:
 * WHAT", at LEVEL.  Never a credential in WHAT. */
void mg_auth_log(mg_mcp_ex_t *ex, int level, const char *directive,
    const mg_conf_pos_t *pos, const char *what);

/* S for a log line: printable ASCII, the rest as '?', cut to LEN. */
void mg_auth_printable(const char *s, char *out, size_t len);

/* Answer a refusal of the access phase: STATUS with a JSON-RPC error
 * CODE, MSG, whose id is the request's when the body is one request
 * (looked at without a tree; only refusals pay for it), else null. */
void mg_auth_refuse(mg_mcp_ex_t *ex, int status, int code, const char *msg);

/* The client is KIND ("cert", "jwt", "key") WHO, with CLAIMS (a
 * reference is taken; NULL: none).  MG_OK, or MG_ERROR without memory,
 * answered 500: a client is never served as nobody in particular. */
int mg_auth_identify(mg_mcp_ex_t *ex, const char *kind, const char *who,
    struct json_object *claims);

#endif
