/*
 * The head phase's checks: what every request must pass on its headers
 * alone (Host against DNS rebinding, Origin, the hop count), before any
 * body is read as JSON.
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

/* On a loopback listener, only local names and our own (DNS rebinding). */
static int
host_allowed(const mg_mcp_ex_t *ex, int loopback)
{
	const char *host = mg_http_req_host(ex->req);

	if (!loopback)
		return 1;
	if (host == NULL)
		return 0;
	return is_local_host(host, strlen(host)) ||
	    is_server_name(ex->srv, host, strlen(host));
}

/* Transport checks common to every method; MG_OK or answered. */
int
ex_check_common(mg_mcp_ex_t *ex, int loopback)
{
	const char *origin = mg_http_req_header(ex->req, "Origin");
	const char *pv = mg_http_req_header(ex->req, "MCP-Protocol-Version");

	if (!host_allowed(ex, loopback)) {
		ex_refuse(ex, 403, NULL, MG_RPC_INVALID_REQUEST,
		    "Forbidden: Host not allowed");
		return MG_ERROR;
	}
	if (origin != NULL && !origin_allowed(ex, origin)) {
		ex_refuse(ex, 403, NULL, MG_RPC_INVALID_REQUEST,
		    "Forbidden: Origin not allowed");
		return MG_ERROR;
	}
	/* a POST's body may speak 2026-07-28: ex_post decides */
	if (mg_http_req_method(ex->req) == MG_HTTP_POST) {
		ex->version = pv && known_old(pv) ? version_index(pv) : 0;
		return MG_OK;
	}
	if (pv != NULL && strcmp(pv, MG_ERA_2026) == 0) {
		ex->modern = 1;
		mg_http_add_header(ex->req, "Allow", "POST");
		ex_refuse(ex, 405, NULL, MG_RPC_INVALID_REQUEST,
		    "Method Not Allowed: 2026-07-28 has no GET stream and no "
		    "sessions to DELETE; use POST (subscriptions/listen)");
		return MG_ERROR;
	}
	if (pv != NULL && !known_old(pv)) {
		ex_refuse_old_version(ex, NULL);
		return MG_ERROR;
	}
	ex->version = pv ? version_index(pv) : 0;
	return MG_OK;
}

/* Loop safety: each gateway adds one to the hop header it passes on. */
int
ex_check_hops(mg_mcp_ex_t *ex)
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
	ex_refuse(ex, 508, NULL, -32000, msg);
	return MG_ERROR;
}
