/*
 * What a protected route says about itself, as an OAuth 2.0 protected
 * resource (RFC 9728): its resource URL, which a default audience binds
 * tokens to (RFC 8707), and the metadata document a client reads to find
 * the authorization server, at /.well-known/oauth-protected-resource
 * followed by the route's path.  Private to worker/.
 */
#ifndef MG_AUTHMETA_H
#define MG_AUTHMETA_H

#include <stddef.h>

#include "conf.h"
#include "http.h"

#define MG_AUTHMETA_PATH "/.well-known/oauth-protected-resource"

/* Room for a resource URL: scheme, Host, path. */
#define MG_AUTH_URL_MAX 2048

/*
 * The resource URL of a request REQ to PATH on SRV: "https://" over TLS,
 * else "http://", then the Host header as the client sent it (with its
 * port) when it names SRV (mg_ex_host_ours), else SRV's first
 * server_name, then PATH.  MG_OK, or MG_ERROR when there is no name to
 * use or the URL would not fit or holds a character that a quoted header
 * value cannot carry.
 */
int mg_auth_resource(mg_http_req_t *req, const mg_server_t *srv, int loopback,
    const char *path, char *buf, size_t len);

/* Whether REQ's path is the metadata's: *SUFFIX is then the path of the
 * route it describes ("/" for the bare form). */
int mg_authmeta_path(const mg_http_req_t *req, const char **suffix);

/* Answer the metadata of the route LOC (found for SUFFIX; NULL: none):
 * 200 with the JSON document if LOC is protected by auth_jwt, else 404;
 * 405 for a method other than GET or HEAD. */
void mg_authmeta_reply(mg_http_req_t *req, const mg_server_t *srv,
    const mg_location_t *loc, const char *suffix, int loopback);

#endif
