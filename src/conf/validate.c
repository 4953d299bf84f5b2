/*
 * Validation of a parsed configuration, before defaults and before anyone
 * uses it: what one directive cannot see alone (a server without listen,
 * TLS without a certificate, a location without a handler, an upstream
 * with both a server and a command, an auth_jwt without keys).  Each
 * refusal names where.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string.h>

#include "conf_int.h"

/* A server that listens with ssl has what TLS needs; an address is TLS
 * for every server on it or for none. */
static int
conf_validate_tls(conf_parse_t *cp, mg_server_t *srv)
{
	for (mg_listen_t *l = srv->listens; l != NULL; l = l->next) {
		if (l->ssl &&
		    (srv->tls.certificate == NULL ||
			srv->tls.certificate_key == NULL))
			return mg_conf_error_at(cp, &l->pos,
			    "\"listen %s ssl\" "
			    "needs \"ssl_certificate\" and "
			    "\"ssl_certificate_key\" "
			    "in its server",
			    l->text);
		for (mg_server_t *o = cp->conf->servers; o != NULL; o = o->next)
			for (mg_listen_t *m = o->listens; m != NULL;
			     m = m->next)
				if (m->ssl != l->ssl &&
				    m->addrlen == l->addrlen &&
				    memcmp(&m->addr, &l->addr, l->addrlen) == 0)
					return mg_conf_error_at(cp, &m->pos,
					    "\"%s\" is listened on with and "
					    "without ssl",
					    m->text);
		if (srv->tls.verify_client != MG_VERIFY_OFF &&
		    srv->tls.client_certificate == NULL)
			return mg_conf_error_at(cp, &srv->tls.verify_pos,
			    "\"ssl_verify_client\" needs "
			    "\"ssl_client_certificate\"");
	}
	if (srv->tls.protocols == 0)
		srv->tls.protocols = MG_TLS_V12 | MG_TLS_V13;
	srv->tls.certificate_pos = srv->pos; /* what a failed load names */
	return MG_OK;
}

/* One handler, and what mcp_pass names exists. */
static int
conf_validate_location(conf_parse_t *cp, mg_location_t *loc)
{
	mg_upstream_t *u;

	if (loc->page != NULL) {
		if (strcmp(loc->page, "metrics") == 0)
			cp->conf->metrics_page = 1;
		else
			cp->conf->status_page = 1;
		if (loc->members != NULL || loc->builtin != NULL ||
		    loc->pass != NULL)
			return mg_conf_error_at(cp, &loc->pos,
			    "location \"%s\" serves the %s page: it takes "
			    "no \"mcp_builtin\", \"mcp_pass\" or "
			    "\"mcp_member\"",
			    loc->path, loc->page);
		return MG_OK;
	}
	if (loc->members != NULL) /* set_member.c */
		return MG_OK;
	if (loc->builtin == NULL && loc->pass == NULL)
		return mg_conf_error_at(cp, &loc->pos,
		    "location \"%s\" has no "
		    "handler: add \"mcp_builtin NAME;\", \"mcp_pass "
		    "UPSTREAM;\", \"mcp_member UPSTREAM;\", \"metrics;\" "
		    "or \"status;\"",
		    loc->path);
	if (loc->builtin != NULL && loc->pass != NULL)
		return mg_conf_error_at(cp, &loc->pos,
		    "location \"%s\" has both "
		    "\"mcp_builtin\" and \"mcp_pass\"",
		    loc->path);
	if (loc->pass == NULL)
		return MG_OK;
	for (u = cp->conf->upstreams; u != NULL; u = u->next)
		if (strcmp(u->name, loc->pass) == 0) {
			loc->upstream = u;
			return MG_OK;
		}
	return mg_conf_error_at(cp, &loc->pos,
	    "location \"%s\" passes to "
	    "unknown upstream \"%s\"",
	    loc->path, loc->pass);
}

/* The jwks_ settings go with a jwks_url; a jwks_url goes alone. */
static int
conf_validate_jwks_url(conf_parse_t *cp, const mg_auth_jwt_t *a)
{
	if (a->jwks_url.url == NULL) {
		if (a->jwks_trusted_certificate.path != NULL ||
		    a->jwks_refresh != MG_UNSET_SIZE ||
		    a->jwks_min_refresh != MG_UNSET_SIZE ||
		    a->jwks_max_stale != MG_UNSET_SIZE)
			return mg_conf_error_at(cp, &a->pos,
			    "auth_jwt has \"jwks_trusted_certificate\", "
			    "\"jwks_refresh\", \"jwks_min_refresh\" or "
			    "\"jwks_max_stale\" without \"jwks_url\"");
		return MG_OK;
	}
	if (a->jwks_file.path != NULL || a->hs256_secret_file.path != NULL)
		return mg_conf_error_at(cp, &a->jwks_url.pos,
		    "auth_jwt has both \"jwks_url\" and \"%s\": one source "
		    "of keys",
		    a->jwks_file.path != NULL ? "jwks_file"
					      : "hs256_secret_file");
	return MG_OK;
}

/* An issuer, one source of keys, and HS256 with a secret and alone: a
 * JWK Set never gives an HMAC key, so that a public key cannot serve as
 * one (the classic RS256-to-HS256 forgery). */
static int
conf_validate_auth(conf_parse_t *cp, const mg_auth_jwt_t *a)
{
	int hs256 = 0;

	if (a == NULL || a->off)
		return MG_OK;
	for (size_t i = 0; i < a->algorithms.n; i++)
		if (strcmp(a->algorithms.v[i], "HS256") == 0)
			hs256 = 1;
	if (a->issuers.n == 0)
		return mg_conf_error_at(
		    cp, &a->pos, "auth_jwt has no \"issuer\"");
	if (a->jwks_file.path == NULL && a->hs256_secret_file.path == NULL &&
	    a->jwks_url.url == NULL)
		return mg_conf_error_at(cp, &a->pos,
		    "auth_jwt has no \"jwks_file\", no \"jwks_url\" and no "
		    "\"hs256_secret_file\"");
	if (a->jwks_file.path != NULL && a->hs256_secret_file.path != NULL)
		return mg_conf_error_at(cp, &a->hs256_secret_file.pos,
		    "auth_jwt has both \"jwks_file\" and "
		    "\"hs256_secret_file\": one or the other");
	if (conf_validate_jwks_url(cp, a) != MG_OK)
		return MG_ERROR;
	if (a->hs256_secret_file.path != NULL &&
	    (!hs256 || a->algorithms.n != 1))
		return mg_conf_error_at(cp, &a->hs256_secret_file.pos,
		    "\"hs256_secret_file\" needs \"algorithms HS256;\" "
		    "(and no other algorithm)");
	if (a->hs256_secret_file.path == NULL && hs256)
		return mg_conf_error_at(cp, &a->algorithms_pos,
		    "\"algorithms\" allows HS256 only with "
		    "\"hs256_secret_file\", not with \"%s\"",
		    a->jwks_file.path != NULL ? "jwks_file" : "jwks_url");
	return MG_OK;
}

/* Number the blocks as master/auth.c walks them (a server's, then each
 * location's own), so that every process names a block alike. */
static void
conf_number_auth(mg_conf_t *conf)
{
	for (mg_server_t *s = conf->servers; s != NULL; s = s->next) {
		if (s->auth_jwt != NULL && !s->auth_jwt->off)
			s->auth_jwt->index = conf->nauth_jwt++;
		for (mg_location_t *l = s->locations; l != NULL; l = l->next)
			if (l->auth_jwt != NULL && !l->auth_jwt->off)
				l->auth_jwt->index = conf->nauth_jwt++;
	}
}

static int
conf_listen_loopback(const mg_listen_t *l)
{
	const struct sockaddr_in  *sin = (const void *)&l->addr;
	const struct sockaddr_in6 *sin6 = (const void *)&l->addr;

	if (l->addr.ss_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	return l->addr.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
}

/* Without "audience", a token must be for the route's URL, named by the
 * Host header only when Host is one of the server's names (or, on a
 * loopback listener, a local name): a server reachable from outside
 * needs a server_name, or any Host would pick the audience. */
static int
conf_validate_audience(
    conf_parse_t *cp, const mg_server_t *srv, const mg_auth_jwt_t *a)
{
	if (a == NULL || a->off || a->audiences.n > 0 || srv->nnames > 0)
		return MG_OK;
	for (const mg_listen_t *l = srv->listens; l != NULL; l = l->next)
		if (!conf_listen_loopback(l))
			return mg_conf_error_at(cp, &a->pos,
			    "auth_jwt has no \"audience\" and its server, "
			    "listening on %s, has no \"server_name\" to name "
			    "the resource by: add one of them",
			    l->text);
	return MG_OK;
}

int
mg_conf_validate(conf_parse_t *cp)
{
	mg_server_t   *srv;
	mg_upstream_t *u;
	mg_location_t *loc;
	int            i = 0;

	for (u = cp->conf->upstreams; u != NULL; u = u->next)
		u->index = i++;
	i = 0;
	for (srv = cp->conf->servers; srv != NULL; srv = srv->next)
		srv->index = i++;
	for (srv = cp->conf->servers; srv != NULL; srv = srv->next) {
		if (srv->listens == NULL)
			return mg_conf_error_at(cp, &srv->pos,
			    "no \"listen\" directive in server block");
		if (conf_validate_tls(cp, srv) != MG_OK ||
		    conf_validate_auth(cp, srv->auth_jwt) != MG_OK ||
		    conf_validate_audience(cp, srv, srv->auth_jwt) != MG_OK ||
		    mg_conf_validate_access(cp, srv) != MG_OK)
			return MG_ERROR;
		for (loc = srv->locations; loc != NULL; loc = loc->next)
			if (mg_conf_validate_members(cp, srv, loc) != MG_OK ||
			    conf_validate_location(cp, loc) != MG_OK ||
			    conf_validate_auth(cp, loc->auth_jwt) != MG_OK ||
			    conf_validate_audience(cp, srv, loc->auth_jwt) !=
				MG_OK ||
			    mg_conf_validate_pass_token(cp, srv, loc) != MG_OK)
				return MG_ERROR;
	}
	conf_number_auth(cp->conf);
	if (mg_conf_validate_limits(cp) != MG_OK)
		return MG_ERROR;
	if (mg_conf_validate_logs(cp) != MG_OK)
		return MG_ERROR;
	for (u = cp->conf->upstreams; u != NULL; u = u->next) {
		if (u->server.url == NULL && u->command == NULL)
			return mg_conf_error_at(cp, &u->pos,
			    "upstream \"%s\" has no \"server\" and no "
			    "\"command\"",
			    u->name);
		if (u->server.url != NULL && u->command != NULL)
			return mg_conf_error_at(cp, &u->command_pos,
			    "upstream \"%s\" has both a \"server\" and a "
			    "\"command\": one or the other",
			    u->name);
		if (u->command != NULL &&
		    (u->nheaders > 0 || u->tls.trusted_certificate != NULL ||
			u->tls.certificate != NULL))
			return mg_conf_error_at(cp, &u->command_pos,
			    "upstream \"%s\" runs a command: \"header\" and "
			    "the ssl_ directives are for a \"server\"",
			    u->name);
		if (u->command != NULL && u->protocol == MG_PROTOCOL_2024)
			return mg_conf_error_at(cp, &u->protocol_pos,
			    "upstream \"%s\" runs a command: \"protocol "
			    "2024-11-05\" (HTTP+SSE) is for a \"server\"",
			    u->name);
		if (u->protocol == MG_PROTOCOL_2024 &&
		    (u->oauth != NULL || u->forward_token ||
			u->exchange != NULL))
			return mg_conf_error_at(cp, &u->protocol_pos,
			    "upstream \"%s\": \"protocol 2024-11-05\" "
			    "(HTTP+SSE) carries \"header\" and "
			    "\"header_secret_file\" only, not oauth_client, "
			    "forward_client_token or oauth_token_exchange",
			    u->name);
		if (mg_conf_validate_upcred(cp, u) != MG_OK ||
		    mg_conf_validate_stdio(cp, u) != MG_OK ||
		    mg_conf_validate_health(cp, u) != MG_OK)
			return MG_ERROR;
	}
	return MG_OK;
}
