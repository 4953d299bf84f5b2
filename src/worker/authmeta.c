/*
 * The protected resource's URL and metadata (authmeta.h).  The URL is
 * built from what the client used, so that it equals what an MCP client
 * computes from the URL it was given (the audience it asks its
 * authorization server for), but only from a Host that names this server:
 * a token minted for somebody else's resource is not accepted because
 * the client wrote that resource's name in Host.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "authmeta.h"
#include "exchange.h"

/* Host as sent: "name", "name:port", "[v6]:port"; nothing to escape. */
static int
resource_host_ok(const char *h)
{
	if (*h == '\0')
		return 0;
	for (; *h != '\0'; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
			(*h >= '0' && *h <= '9') || strchr(".-_:[]", *h)))
			return 0;
	return 1;
}

/* A path carried in a quoted header value and in JSON as it is. */
static int
resource_path_ok(const char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p >= 0x7f || *p == '"' ||
		    *p == '\\')
			return 0;
	return 1;
}

int
mg_auth_resource(mg_http_req_t *req, const mg_server_t *srv, int loopback,
    const char *path, char *buf, size_t len)
{
	const char *host = mg_http_req_header(req, "Host");
	const char *name = mg_http_req_host(req), *scheme;
	size_t      ns, nh, np;

	if (host == NULL || name == NULL || !resource_host_ok(host) ||
	    !mg_ex_host_ours(srv, name, strlen(name), loopback))
		host = srv->nnames > 0 ? srv->names[0] : NULL;
	if (host == NULL || !resource_path_ok(path))
		return MG_ERROR;
	/* on every request of a route with a default audience: no printf */
	scheme = mg_http_req_tls_ctx(req) != NULL ? "https://" : "http://";
	ns = strlen(scheme);
	nh = strlen(host);
	np = strlen(path);
	if (ns + nh + np >= len)
		return MG_ERROR;
	memcpy(buf, scheme, ns);
	memcpy(buf + ns, host, nh);
	memcpy(buf + ns + nh, path, np + 1);
	return MG_OK;
}

int
mg_authmeta_path(const mg_http_req_t *req, const char **suffix)
{
	const char *path = mg_http_req_path(req);
	size_t      n = strlen(MG_AUTHMETA_PATH);

	if (strncmp(path, MG_AUTHMETA_PATH, n) != 0)
		return 0;
	if (path[n] != '\0' && path[n] != '/')
		return 0;
	*suffix = path[n] == '\0' ? "/" : path + n;
	return 1;
}

static json_object *
authmeta_words(const mg_conf_words_t *w)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; a != NULL && i < w->n; i++)
		json_object_array_add(a, json_object_new_string(w->v[i]));
	return a;
}

static json_object *
authmeta_document(const mg_auth_jwt_t *a, const char *resource)
{
	json_object *o = json_object_new_object(), *m;

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "resource", json_object_new_string(resource));
	json_object_object_add(
	    o, "authorization_servers", authmeta_words(&a->issuers));
	if (a->scopes.n > 0)
		json_object_object_add(
		    o, "scopes_supported", authmeta_words(&a->scopes));
	m = json_object_new_array();
	json_object_array_add(m, json_object_new_string("header"));
	json_object_object_add(o, "bearer_methods_supported", m);
	return o;
}

void
mg_authmeta_reply(mg_http_req_t *req, const mg_server_t *srv,
    const mg_location_t *loc, const char *suffix, int loopback)
{
	char             url[MG_AUTH_URL_MAX];
	json_object     *doc;
	const char      *text;
	mg_http_method_t m = mg_http_req_method(req);

	if (m != MG_HTTP_GET && m != MG_HTTP_HEAD) {
		mg_http_add_header(req, "Allow", "GET, HEAD");
		mg_http_reply_error(
		    req, 405, MG_RPC_INVALID_REQUEST, "Method Not Allowed");
		return;
	}
	if (loc == NULL || loc->auth_jwt == NULL) {
		mg_http_reply_error(req, 404, MG_RPC_INVALID_REQUEST,
		    "Not Found: no protected MCP endpoint at this path");
		return;
	}
	if (mg_auth_resource(req, srv, loopback, suffix, url, sizeof(url)) !=
		MG_OK ||
	    (doc = authmeta_document(loc->auth_jwt, url)) == NULL) {
		mg_http_reply_error(req, 400, MG_RPC_INVALID_REQUEST,
		    "Bad Request: the resource cannot be named from this Host");
		return;
	}
	text = json_object_to_json_string_ext(
	    doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	/* public by design: a browser-based client reads it cross-origin */
	mg_http_add_header(req, "Access-Control-Allow-Origin", "*");
	mg_http_add_header(req, "Cache-Control", "max-age=60");
	mg_http_reply(req, 200, "application/json", text, strlen(text));
	json_object_put(doc);
}
