/*
 * The access phase's bearer tokens (auth_jwt; access.h): a route with an
 * auth_jwt block identifies a client by "Authorization: Bearer TOKEN"
 * whose JWT verifies against the block's keys and rules and grants every
 * scope the block requires, as an OAuth 2.1 resource server does (the MCP
 * authorization specification; RFC 6750 for the answers, RFC 9728 for the
 * metadata they point to, RFC 8707 for the default audience).  A request
 * without a token is not this file's to answer (access.c asks for one
 * with the challenge below).
 *
 * A verified token is remembered by the worker (tokcache.h) until it
 * expires, so that the calls of a session cost a lookup each, not a
 * signature check.  Each refusal is one line in the error log, with the
 * reason and never the token: info for a request without a token (every
 * client's first step of discovery), warn for a token that fails.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "access.h"
#include "authkeys.h"
#include "authmeta.h"
#include "exchange.h"
#include "log.h"
#include "tokcache.h"

/* "S1 S2" of the block's required scopes into OUT. */
static void
auth_scopes(const mg_auth_jwt_t *a, struct evbuffer *out)
{
	for (size_t i = 0; i < a->scopes.n; i++)
		evbuffer_add_printf(out, "%s%s", i ? " " : "", a->scopes.v[i]);
}

/* The metadata's URL for this request's route, into BUF; MG_ERROR when
 * the resource cannot be named (no server_name, a Host not ours). */
static int
auth_meta_url(mg_mcp_ex_t *ex, char *buf, size_t len)
{
	const char *path = mg_http_req_path(ex->req);
	char        meta[MG_AUTH_URL_MAX];
	int         n;

	n = snprintf(meta, sizeof(meta), "%s%s", MG_AUTHMETA_PATH,
	    strcmp(path, "/") == 0 ? "" : path);
	if (n < 0 || (size_t)n >= sizeof(meta))
		return MG_ERROR;
	return mg_auth_resource(ex->req, ex->srv, ex->loopback, meta, buf, len);
}

/*
 * Add WWW-Authenticate: Bearer [error="ERROR", error_description="WHY",]
 * resource_metadata="URL", scope="..." to EX's answer.  The metadata URL
 * is left out when the resource cannot be named.  MG_ERROR: out of
 * memory.
 */
static int
auth_challenge(mg_mcp_ex_t *ex, const char *error, const char *why)
{
	const mg_auth_jwt_t *a = ex->loc->auth_jwt;
	struct evbuffer     *h = evbuffer_new();
	char                 url[MG_AUTH_URL_MAX];
	const char          *sep = "";

	if (h == NULL)
		return MG_ERROR;
	evbuffer_add_printf(h, "Bearer ");
	if (error != NULL) {
		evbuffer_add_printf(
		    h, "error=\"%s\", error_description=\"%s\"", error, why);
		sep = ", ";
	}
	if (auth_meta_url(ex, url, sizeof(url)) == MG_OK) {
		evbuffer_add_printf(h, "%sresource_metadata=\"%s\"", sep, url);
		sep = ", ";
	}
	if (a->scopes.n > 0) {
		evbuffer_add_printf(h, "%sscope=\"", sep);
		auth_scopes(a, h);
		evbuffer_add(h, "\"", 1);
	}
	evbuffer_add(h, "", 1);
	mg_http_add_header(
	    ex->req, "WWW-Authenticate", (const char *)evbuffer_pullup(h, -1));
	evbuffer_free(h);
	return MG_OK;
}

/* Answer STATUS with the challenge and a JSON-RPC error body. */
static int
auth_refuse(mg_mcp_ex_t *ex, int status, const char *error, const char *why)
{
	char msg[160];

	if (auth_challenge(ex, error, why) != MG_OK) {
		mg_ex_refuse(
		    ex, 500, NULL, MG_RPC_INTERNAL_ERROR, "out of memory");
		return MG_ERROR;
	}
	snprintf(msg, sizeof(msg), "%s: %s", mg_http_status_text(status), why);
	mg_auth_refuse(ex, status,
	    status == 403 ? MG_MCP_ERR_FORBIDDEN : MG_AUTH_ERR_UNAUTHORIZED,
	    msg);
	return MG_ERROR;
}

static void
auth_log(mg_mcp_ex_t *ex, int level, const char *what)
{
	mg_auth_log(ex, level, "auth_jwt", &ex->loc->auth_jwt->pos, what);
}

/*
 * Verify TOKEN for EX's route into *T (always initialized), from the
 * worker's cache when it is there.  AUD: the default audience, or NULL
 * for the block's own.  A MG_JWT_* result.
 */
static int
auth_verify(mg_mcp_ex_t *ex, const char *token, size_t len, const char *aud,
    mg_jwt_t *t)
{
	const mg_auth_jwt_t *a = ex->loc->auth_jwt;
	uint64_t             gen;
	const mg_jwks_t     *keys = mg_authkeys_get(a, &gen);
	mg_tokcache_key_t    k = { a, gen, aud };
	int64_t              now = (int64_t)time(NULL);
	const mg_jwt_t      *hit;
	mg_jwt_rules_t       r = { 0 };
	int                  rc;

	memset(t, 0, sizeof(*t));
	if ((hit = mg_tokcache_find(ex->ctx->tokens, &k, token, len, now))) {
		*t = *hit;
		t->claims = json_object_get(hit->claims);
		return MG_JWT_OK;
	}
	if (keys == NULL)
		return MG_JWT_UNKNOWN_KEY; /* none fetched yet */
	r.issuers = (const char *const *)a->issuers.v;
	r.nissuers = a->issuers.n;
	r.audiences = aud != NULL ? &aud : (const char *const *)a->audiences.v;
	r.naudiences = aud != NULL ? 1 : a->audiences.n;
	r.algs = a->algs;
	r.leeway_s = a->leeway / 1000;
	r.max_size = (size_t)a->max_token_size;
	r.now = now;
	if ((rc = mg_jwt_verify(token, len, keys, &r, t)) == MG_JWT_OK)
		(void)mg_tokcache_put(
		    ex->ctx->tokens, &k, token, len, t->exp + r.leeway_s, t);
	return rc;
}

/* The first scope of the block that T lacks, or NULL. */
static const char *
auth_missing_scope(const mg_auth_jwt_t *a, const mg_jwt_t *t)
{
	for (size_t i = 0; i < a->scopes.n; i++)
		if (!mg_jwt_has_scope(t, a->scopes.v[i]))
			return a->scopes.v[i];
	return NULL;
}

/* A token that did not verify: 401 invalid_token, and one warn line. */
static int
auth_invalid(mg_mcp_ex_t *ex, int rc, const mg_jwt_t *t)
{
	char kid[sizeof(t->kid)], what[256];

	if (rc == MG_JWT_UNKNOWN_KEY) {
		mg_authkeys_unknown_kid(ex->loc->auth_jwt, t->kid);
		mg_auth_printable(t->kid, kid, sizeof(kid));
		snprintf(what, sizeof(what), "unknown key (kid \"%s\")", kid);
	} else
		snprintf(what, sizeof(what), "%s", mg_jwt_reason(rc));
	auth_log(ex, rc == MG_JWT_NOMEM ? MG_LOG_ERROR : MG_LOG_WARN, what);
	if (rc == MG_JWT_NOMEM) {
		mg_ex_refuse(
		    ex, 500, NULL, MG_RPC_INTERNAL_ERROR, "out of memory");
		return MG_ERROR;
	}
	return auth_refuse(ex, 401, "invalid_token", mg_jwt_reason(rc));
}

/* The token goes upstream with the request only if the upstream takes
 * it: no other request keeps it. */
static void
auth_keep_token(
    mg_mcp_ex_t *ex, const char *token, size_t len, const mg_jwt_t *t)
{
	const mg_upstream_t *u = ex->upstream;

	/* a federated route: if a member takes it (the member a request
	 * goes to gets it only if it takes it: fedfan.c) */
	for (const mg_member_t *m = ex->loc->members; u == NULL && m != NULL;
	     m = m->next)
		if (m->upstream->forward_token || m->upstream->exchange != NULL)
			u = m->upstream;
	if (u == NULL || (!u->forward_token && u->exchange == NULL))
		return;
	ex->bearer = token;
	ex->bearer_len = len;
	ex->bearer_exp = t->exp;
}

static int
auth_check(mg_mcp_ex_t *ex)
{
	const mg_auth_jwt_t *a = ex->loc->auth_jwt;
	const char          *token = NULL, *aud = NULL, *scope;
	char                 url[MG_AUTH_URL_MAX], what[320], sub[64];
	size_t               len = 0;
	mg_jwt_t             t;
	int                  rc;

	switch (mg_auth_bearer(ex, MG_AUTH_JWT, &token, &len)) {
	case MG_AUTH_NONE: return MG_DECLINED;
	case MG_AUTH_BAD: /* RFC 6750 3.1: a malformed request */
		auth_log(ex, MG_LOG_WARN, "a malformed Authorization header");
		return auth_refuse(ex, 400, "invalid_request",
		    "malformed Authorization header");
	case MG_AUTH_BEARER: break;
	}
	if (a->audiences.n == 0) {
		if (mg_auth_resource(ex->req, ex->srv, ex->loopback,
			mg_http_req_path(ex->req), url, sizeof(url)) != MG_OK) {
			auth_log(ex, MG_LOG_WARN,
			    "no audience: the Host names no server_name");
			return auth_refuse(
			    ex, 401, "invalid_token", "wrong audience");
		}
		aud = url;
	}
	if ((rc = auth_verify(ex, token, len, aud, &t)) != MG_JWT_OK) {
		rc = auth_invalid(ex, rc, &t);
		mg_jwt_clear(&t);
		return rc;
	}
	if ((scope = auth_missing_scope(a, &t)) != NULL) {
		mg_auth_printable(t.sub, sub, sizeof(sub));
		snprintf(what, sizeof(what), "sub \"%s\" lacks scope \"%s\"",
		    sub, scope);
		auth_log(ex, MG_LOG_WARN, what);
		snprintf(
		    what, sizeof(what), "the token lacks the scope %s", scope);
		mg_jwt_clear(&t);
		return auth_refuse(ex, 403, "insufficient_scope", what);
	}
	auth_keep_token(ex, token, len, &t);
	/* who the client is, for the access log and the message phase */
	rc = mg_auth_identify(ex, "jwt", t.sub, t.claims);
	mg_jwt_clear(&t);
	return rc;
}

static const mg_conf_pos_t *
auth_configured(const mg_location_t *loc)
{
	return loc->auth_jwt != NULL ? &loc->auth_jwt->pos : NULL;
}

/* For a request without a token: where to get one. */
static int
auth_ask(mg_mcp_ex_t *ex)
{
	return auth_challenge(ex, NULL, NULL) == MG_OK;
}

const mg_access_method_t mg_access_jwt = {
	"auth_jwt",
	"bearer token",
	"a",
	auth_configured,
	auth_check,
	auth_ask,
};
