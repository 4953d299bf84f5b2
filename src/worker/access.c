/*
 * The access phase's one handler: the methods a route configures, tried
 * in its auth_order (access.h says the rules), and the answer to a
 * request that holds no credential for any of them.  What one method
 * does is its own file's; what several share (the bearer token, the log
 * line, the identity) is here.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "access.h"
#include "log.h"

/* By MG_AUTH_*: the names auth_order knows. */
static const mg_access_method_t *const access_methods[MG_AUTH_NMETHODS] = {
	[MG_AUTH_CERT] = &mg_access_cert,
	[MG_AUTH_JWT] = &mg_access_jwt,
	[MG_AUTH_KEY] = &mg_access_key,
};

static mg_auth_cred_t
auth_bearer(mg_http_req_t *req, const char **token, size_t *len)
{
	const char *v = mg_http_req_header(req, "Authorization");
	size_t      n;

	if (v == NULL)
		return MG_AUTH_NONE;
	if (mg_http_req_header_count(req, "Authorization") != 1)
		return MG_AUTH_BAD;
	if (strncasecmp(v, "Bearer", 6) != 0 || (v[6] != ' ' && v[6] != '\0'))
		return MG_AUTH_NONE;
	for (v += 6; *v == ' '; v++)
		;
	for (n = strlen(v); n > 0 && v[n - 1] == ' '; n--)
		;
	if (n == 0)
		return MG_AUTH_BAD;
	*token = v;
	*len = n;
	return MG_AUTH_BEARER;
}

static int
auth_jwt_shaped(const char *token, size_t len)
{
	const char *end = token + len, *a, *b;

	/* memchr, not a byte loop: a token is most of a kilobyte */
	if ((a = memchr(token, '.', len)) == NULL ||
	    (b = memchr(a + 1, '.', (size_t)(end - a - 1))) == NULL)
		return 0;
	return memchr(b + 1, '.', (size_t)(end - b - 1)) == NULL;
}

mg_auth_cred_t
mg_auth_bearer(mg_mcp_ex_t *ex, int method, const char **token, size_t *len)
{
	mg_auth_cred_t c = auth_bearer(ex->req, token, len);

	if (c != MG_AUTH_BEARER || ex->loc->auth_jwt == NULL ||
	    ex->loc->auth_keys == NULL)
		return c;
	return auth_jwt_shaped(*token, *len) == (method == MG_AUTH_JWT)
	    ? MG_AUTH_BEARER
	    : MG_AUTH_NONE;
}

void
mg_auth_printable(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < len; s++)
		out[n++] = *s >= 0x20 && *s < 0x7f && *s != '"' ? *s : '?';
	out[n] = '\0';
}

void
mg_auth_log(mg_mcp_ex_t *ex, int level, const char *directive,
    const mg_conf_pos_t *pos, const char *what)
{
	mg_log(level, "%s: a request from %s refused by %s in %s:%d: %s",
	    ex->loc->path, mg_http_req_peer(ex->req), directive, pos->file,
	    pos->line, what);
}

/* The id of the request in EX's body (a reference), or NULL. */
static struct json_object *
auth_request_id(mg_mcp_ex_t *ex)
{
	struct evbuffer    *b = mg_http_req_body(ex->req);
	struct json_object *id;
	mg_rpc_peek_t       pk;
	size_t              n;

	if (mg_http_req_method(ex->req) != MG_HTTP_POST || b == NULL ||
	    (n = evbuffer_get_length(b)) == 0)
		return NULL;
	if (mg_rpc_peek((const char *)evbuffer_pullup(b, -1), n, &pk) != MG_OK)
		return NULL;
	id = pk.id;
	pk.id = NULL;
	mg_rpc_peek_clear(&pk);
	return id;
}

void
mg_auth_refuse(mg_mcp_ex_t *ex, int status, int code, const char *msg)
{
	struct json_object *id = auth_request_id(ex);

	ex->refusal = "auth";
	mg_ex_refuse(ex, status, id, code, msg);
	json_object_put(id);
}

int
mg_auth_identify(mg_mcp_ex_t *ex, const char *kind, const char *who,
    struct json_object *claims)
{
	size_t n = strlen(who);

	free(ex->who);
	if ((ex->who = malloc(n + 1)) == NULL) {
		ex->who_kind = NULL;
		mg_ex_refuse(
		    ex, 500, NULL, MG_RPC_INTERNAL_ERROR, "out of memory");
		return MG_ERROR;
	}
	memcpy(ex->who, who, n + 1); /* cheaper than strdup's twin scan */
	ex->who_kind = kind;
	json_object_put(ex->who_claims);
	ex->who_claims = json_object_get(claims);
	return MG_OK;
}

/* "a bearer token, an API key or a client certificate" (ARTICLES) or
 * "bearer token, API key or client certificate", into OUT. */
static void
access_nouns(const mg_access_method_t *const *m, size_t n, int articles,
    char *out, size_t len)
{
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(out + at, len - at, "%s%s%s%s",
		    i == 0           ? ""
			: i + 1 == n ? " or "
				     : ", ",
		    articles ? m[i]->article : "", articles ? " " : "",
		    m[i]->noun);
}

/* No credential for any of the N methods M: one info line naming each
 * method's directive, 401 with their challenges (403 when none has one:
 * a client certificate is not asked for in HTTP). */
static int
access_none(mg_mcp_ex_t *ex, const mg_access_method_t *const *m, size_t n)
{
	char   by[512], nouns[128], msg[192];
	size_t at = 0;
	int    asked = 0;

	for (size_t i = 0; i < n; i++) {
		const mg_conf_pos_t *pos = m[i]->configured(ex->loc);

		if (at < sizeof(by))
			at += (size_t)snprintf(by + at, sizeof(by) - at,
			    "%s%s in %s:%d", i ? ", " : "", m[i]->directive,
			    pos->file, pos->line);
		asked |= m[i]->challenge(ex);
	}
	access_nouns(m, n, 0, nouns, sizeof(nouns));
	mg_log(MG_LOG_INFO, "%s: a request from %s refused by %s: no %s",
	    ex->loc->path, mg_http_req_peer(ex->req), by, nouns);
	access_nouns(m, n, 1, nouns, sizeof(nouns));
	snprintf(msg, sizeof(msg), "%s: %s is required",
	    asked ? "Unauthorized" : "Forbidden", nouns);
	mg_auth_refuse(ex, asked ? 401 : 403,
	    asked ? MG_AUTH_ERR_UNAUTHORIZED : MG_MCP_ERR_FORBIDDEN, msg);
	return MG_ERROR;
}

int
mg_ex_access(mg_mcp_ex_t *ex)
{
	const mg_auth_order_t    *o = &ex->loc->auth_order;
	const mg_access_method_t *used[MG_AUTH_NMETHODS];
	size_t                    n = 0;
	int                       rc;

	for (size_t i = 0; i < o->n; i++) {
		const mg_access_method_t *m = access_methods[o->v[i]];

		if (m->configured(ex->loc) == NULL)
			continue;
		used[n++] = m;
		if ((rc = m->check(ex)) != MG_DECLINED)
			return rc;
	}
	return n == 0 ? MG_OK : access_none(ex, used, n);
}
