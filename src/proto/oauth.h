/*
 * The messages of the OAuth 2.0 client-credentials grant (RFC 6749 4.4)
 * and of token exchange (RFC 8693), pure (oauth.c): the token request's
 * form body and the client's Basic
 * credentials, and the token endpoint's answer read into a token or a
 * reason.  The connector's token client (connector/oauthcc.c) sends and
 * receives them; tests drive them directly.
 */
#ifndef MG_OAUTH_H
#define MG_OAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define MG_OAUTH_TOKEN_MAX 16384 /* bytes of an access token we carry */

/* The body of the token request: grant_type=client_credentials, the
 * scope, each resource (RFC 8707) and audience, and with client_auth
 * post the client's id and secret; NUL-terminated, malloc'd (the caller
 * cleanses it: it may hold the secret).  NULL when out of memory. */
char *mg_oauth_form(const mg_oauth_client_t *o);

#define MG_OAUTH_GRANT_EXCHANGE                                                \
	"urn:ietf:params:oauth:grant-type:token-exchange"
#define MG_OAUTH_TYPE_ACCESS "urn:ietf:params:oauth:token-type:access_token"

/* The body of a token-exchange request (RFC 8693 2.1): grant_type
 * token-exchange, SUBJECT as subject_token of type access_token, an
 * access token requested, then the scope, resources, audiences and
 * client as mg_oauth_form; malloc'd, for the caller to cleanse. */
char *mg_oauth_exchange_form(const mg_oauth_client_t *o, const char *subject);

/* "Basic " and the Base64 of ID:SECRET, each form-encoded first (RFC
 * 6749 2.3.1); malloc'd, for the caller to cleanse.  NULL: no memory. */
char *mg_oauth_basic(const char *id, const char *secret);

typedef struct {
	char   *token;      /* malloc'd, NUL-terminated */
	int64_t expires_in; /* seconds; -1 when the server did not say */
} mg_oauth_token_t;

/* The token endpoint answered STATUS with BODY: MG_OK and *T filled, or
 * MG_ERROR and WHY (never the token) such as "HTTP 401: invalid_client
 * (Client authentication failed)" or "its answer has no access_token". */
int mg_oauth_token_parse(int status, const char *body, size_t len,
    mg_oauth_token_t *t, char *why, size_t whylen);

#endif
