/*
 * The head phase's checks: what a request must pass on its headers alone.
 * The server TLS chose and the client certificate are checked as soon as
 * the headers are in (before the body is read); Host (DNS rebinding),
 * Origin and the hop count on the whole request, before its body is read
 * as JSON.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exchange.h"
#include "log.h"

static int
is_local_host(const char *host, size_t len)
{
	return (len == 9 && strncasecmp(host, "localhost", 9) == 0) ||
	    (len == 9 && strncmp(host, "127.0.0.1", 9) == 0) ||
	    (len == 5 && strncmp(host, "[::1]", 5) == 0);
}

static int
is_server_name(const mg_server_t *srv, const char *host, size_t len)
{
	for (size_t i = 0; i < srv->nnames; i++)
		if (strlen(srv->names[i]) == len &&
		    strncasecmp(srv->names[i], host, len) == 0)
			return 1;
	return 0;
}

/* The host part of "scheme://host[:port]", as pointer and length. */
static int
origin_host(const char *origin, const char **host, size_t *len)
{
	const char *p = strstr(origin, "://"), *end;

	if (p == NULL)
		return MG_ERROR;
	p += 3;
	if (*p == '[')
		end = strchr(p, ']') ? strchr(p, ']') + 1 : NULL;
	else
		end = p + strcspn(p, ":/");
	if (end == NULL || end == p)
		return MG_ERROR;
	*host = p;
	*len = (size_t)(end - p);
	return MG_OK;
}

static int
origin_allowed(const mg_mcp_ex_t *ex, const char *origin)
{
	const mg_http_conf_t *h = &ex->loc->http;
	const char           *host;
	size_t                len;

	if (h->allow_origins != NULL) {
		for (size_t i = 0; i < h->nallow_origins; i++)
			if (strcmp(h->allow_origins[i], "*") == 0 ||
			    strcasecmp(h->allow_origins[i], origin) == 0)
				return 1;
		return 0;
	}
	if (origin_host(origin, &host, &len) != MG_OK)
		return 0;
	return is_local_host(host, len) || is_server_name(ex->srv, host, len);
}

int
mg_ex_host_ours(
    const mg_server_t *srv, const char *host, size_t len, int loopback)
{
	return is_server_name(srv, host, len) ||
	    (loopback && is_local_host(host, len));
}

/* On a loopback listener, only local names and our own (DNS rebinding). */
static int
host_allowed(const mg_mcp_ex_t *ex, int loopback)
{
	const char *host = mg_http_req_host(ex->req);

	if (!loopback)
		return 1;
	if (host == NULL)
		return 0;
	return mg_ex_host_ours(ex->srv, host, strlen(host), 1);
}

/* On a loopback listener, Host must be a local name or ours (DNS
 * rebinding). */
int
mg_ex_check_host(mg_mcp_ex_t *ex)
{
	if (host_allowed(ex, ex->loopback))
		return MG_OK;
	ex->refusal = "host";
	mg_ex_refuse(ex, 403, NULL, MG_RPC_INVALID_REQUEST,
	    "Forbidden: Host not allowed");
	return MG_ERROR;
}

int
mg_ex_check_origin(mg_mcp_ex_t *ex)
{
	const char *origin = mg_http_req_header(ex->req, "Origin");

	if (origin == NULL)
		return MG_DECLINED;
	if (origin_allowed(ex, origin))
		return MG_OK;
	ex->refusal = "origin";
	mg_ex_refuse(ex, 403, NULL, MG_RPC_INVALID_REQUEST,
	    "Forbidden: Origin not allowed");
	return MG_ERROR;
}

/* Over TLS, the server Host names must be the one whose certificate (and
 * client verification) the handshake used: as nginx, 421. */
int
mg_ex_check_tls_server(mg_http_req_t *req, const mg_server_t *srv,
    const struct ssl_ctx_st *server_tls)
{
	const struct ssl_ctx_st *tls = mg_http_req_tls_ctx(req);

	if (tls == NULL || tls == server_tls)
		return MG_OK;
	mg_http_reply_error(req, 421, -32600,
	    "Misdirected Request: "
	    "the TLS server name and the Host header name different "
	    "servers");
	return MG_ERROR;
}

/* A session resumed from another server on this port skips the
 * handshake's demand for a certificate (TLS 1.3 tickets are checked
 * before SNI picks the server): demand it here as well. */
int
mg_ex_check_client_cert(mg_http_req_t *req, const mg_server_t *srv,
    const struct ssl_ctx_st *server_tls)
{
	if (mg_http_req_tls_ctx(req) == NULL ||
	    srv->tls.verify_client != MG_VERIFY_ON ||
	    mg_http_req_client_subject(req) != NULL)
		return MG_OK;
	mg_http_reply_error(
	    req, 403, -32600, "Forbidden: a client certificate is required");
	return MG_ERROR;
}

/* Loop safety: each gateway adds one to the hop header it passes on. */
int
mg_ex_check_hops(mg_mcp_ex_t *ex)
{
	const char *h = mg_http_req_header(ex->req, MG_HOPS_HEADER);
	char        msg[160];
	long        n = h ? strtol(h, NULL, 10) : 0;

	if (n < 0 || n > 1000)
		n = 1000;
	ex->hops = (int)n;
	if (n < ex->loc->http.max_hops)
		return MG_OK;
	snprintf(msg, sizeof(msg),
	    "loop detected: the request crossed %ld "
	    "gateways (max_hops %d)",
	    n, ex->loc->http.max_hops);
	mg_warn("%s on %s", msg, ex->loc->path);
	ex->refusal = "hops";
	mg_ex_refuse(ex, 508, NULL, -32000, msg);
	return MG_ERROR;
}
