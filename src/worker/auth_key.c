/*
 * The access phase's API keys (auth_keys; access.h): a route with
 * auth_keys identifies a client by a key it sends as "Authorization:
 * Bearer KEY" or, with header=NAME, in that header (which is read first
 * when both are there).  The key's SHA-256 is looked up among the
 * digests the master read from the keys file (apikeys.h); the key's name
 * is who the client is.  A key that is not in the file is refused with
 * 401 and one warn line that names the first 8 hex digits of its digest,
 * so that an operator can tell which revoked key is still in use, and
 * never the key.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "access.h"
#include "apikeys.h"
#include "log.h"

/* The key of EX's request, from the configured header or the bearer
 * token. */
static mg_auth_cred_t
key_credential(mg_mcp_ex_t *ex, const char **key, size_t *len)
{
	const char *h = ex->loc->auth_keys->header, *v;
	size_t      n;

	if (h == NULL || (v = mg_http_req_header(ex->req, h)) == NULL)
		return mg_auth_bearer(ex, MG_AUTH_KEY, key, len);
	if (mg_http_req_header_count(ex->req, h) != 1)
		return MG_AUTH_BAD;
	for (; *v == ' ' || *v == '\t'; v++)
		;
	for (n = strlen(v); n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'); n--)
		;
	if (n == 0)
		return MG_AUTH_BAD;
	*key = v;
	*len = n;
	return MG_AUTH_BEARER;
}

/* STATUS with a Bearer challenge of ERROR and WHY, and one warn line. */
static int
key_refuse(mg_mcp_ex_t *ex, int status, const char *error, const char *why,
    const char *what)
{
	char msg[160];

	mg_auth_log(
	    ex, MG_LOG_WARN, "auth_keys", &ex->loc->auth_keys->pos, what);
	snprintf(msg, sizeof(msg),
	    "Bearer error=\"%s\", error_description=\"%s\"", error, why);
	mg_http_add_header(ex->req, "WWW-Authenticate", msg);
	snprintf(msg, sizeof(msg), "%s: %s", mg_http_status_text(status), why);
	mg_auth_refuse(ex, status, MG_AUTH_ERR_UNAUTHORIZED, msg);
	return MG_ERROR;
}

static int
key_check(mg_mcp_ex_t *ex)
{
	const mg_apikeys_t *keys = ex->loc->auth_keys->keys;
	const char         *key = NULL, *name;
	size_t              len = 0;
	uint8_t             d[MG_APIKEY_DIGEST];
	char                what[64];

	switch (key_credential(ex, &key, &len)) {
	case MG_AUTH_NONE: return MG_DECLINED;
	case MG_AUTH_BAD: /* RFC 6750 3.1: a malformed request */
		return key_refuse(ex, 400, "invalid_request", "malformed key",
		    "a malformed key header");
	case MG_AUTH_BEARER: break;
	}
	if (mg_apikeys_digest(keys, key, len, d) != MG_OK) {
		mg_ex_refuse(
		    ex, 500, NULL, MG_RPC_INTERNAL_ERROR, "out of memory");
		return MG_ERROR;
	}
	if ((name = mg_apikeys_find(keys, d)) == NULL) {
		snprintf(what, sizeof(what),
		    "unknown key (SHA-256 %02x%02x%02x%02x...)", d[0], d[1],
		    d[2], d[3]);
		return key_refuse(
		    ex, 401, "invalid_token", "unknown key", what);
	}
	return mg_auth_identify(ex, "key", name, NULL);
}

static const mg_conf_pos_t *
key_configured(const mg_location_t *loc)
{
	return loc->auth_keys != NULL ? &loc->auth_keys->pos : NULL;
}

/* A key goes in a bearer token; auth_jwt's challenge says so already
 * (with where to get a token), when the route has both. */
static int
key_ask(mg_mcp_ex_t *ex)
{
	if (ex->loc->auth_jwt != NULL)
		return 0;
	mg_http_add_header(
	    ex->req, "WWW-Authenticate", "Bearer realm=\"mcpgw\"");
	return 1;
}

const mg_access_method_t mg_access_key = {
	"auth_keys",
	"API key",
	"an",
	key_configured,
	key_check,
	key_ask,
};
