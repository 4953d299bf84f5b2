/*
 * TLS with OpenSSL: every OpenSSL call of the TLS layer is here.  For now
 * the client side (the connector to https upstreams): the system trust
 * store, peer verification with the host name, SNI.
 */
#ifndef MG_TLS_H
#define MG_TLS_H

#include "conf.h"

struct bufferevent;
struct event_base;
struct ssl_ctx_st;

/* A client context for UP; NULL with *err (malloc'd) on failure. */
struct ssl_ctx_st *mg_tls_client_ctx(const mg_upstream_t *up, char **err);
void               mg_tls_ctx_free(struct ssl_ctx_st *ctx);

/* A bufferevent that will speak TLS to HOST once connected; NULL on
 * failure. */
struct bufferevent *mg_tls_client_bev(
    struct event_base *base, struct ssl_ctx_st *ctx, const char *host);

/* Why the TLS of BEV failed, for a log line and the caller's error. */
void mg_tls_error(struct bufferevent *bev, char *buf, size_t len);

#endif
