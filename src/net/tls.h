/*
 * TLS with OpenSSL: every OpenSSL call of the TLS layer is here.
 *
 * The contexts are made by the master (it can read key files before the
 * children drop privileges) for a whole configuration at once, as a set:
 * one per server that listens with ssl, one per https upstream, one per
 * auth_jwt block with a jwks_url (the connector fetches it).  The
 * children inherit them.  A reload makes a new set; if any certificate or
 * key fails, the reload fails and the old set keeps serving.
 */
#ifndef MG_TLS_H
#define MG_TLS_H

#include <stddef.h>

#include "conf.h"

struct bufferevent;
struct event_base;
struct ssl_ctx_st;

typedef struct mg_tls_set {
	struct ssl_ctx_st **servers; /* by server index; NULL: no ssl */
	size_t              nservers;
	struct ssl_ctx_st **upstreams; /* by upstream index; NULL: http */
	size_t              nupstreams;
	struct ssl_ctx_st **jwks; /* by auth_jwt index; NULL: no jwks_url */
	size_t              njwks;
} mg_tls_set_t;

/* Every context CONF needs; NULL with *err (malloc'd, naming the file and
 * the directive's file:line) on failure. */
mg_tls_set_t *mg_tls_set_new(const mg_conf_t *conf, char **err);
void          mg_tls_set_free(mg_tls_set_t *set);

/* Server side: choose the context of the server named by SNI.  FIND gets
 * the listener the connection came on (mg_tls_server_bev's LISTENER) and
 * returns the context, or NULL to keep the listener's default. */
typedef struct ssl_ctx_st *(*mg_tls_sni_fn)(void *listener, const char *name);
void mg_tls_server_sni(struct ssl_ctx_st *dflt, mg_tls_sni_fn find);
struct bufferevent *mg_tls_server_bev(
    struct event_base *base, int fd, struct ssl_ctx_st *ctx, void *listener);
/* The context the handshake of BEV ended with (after SNI). */
struct ssl_ctx_st *mg_tls_bev_ctx(struct bufferevent *bev);
/* The verified client certificate's subject, or "" if none. */
void mg_tls_peer_subject(struct bufferevent *bev, char *buf, size_t len);
/* The connection's protocol ("TLSv1.3"), or NULL. */
const char *mg_tls_protocol(struct bufferevent *bev);

/* Client side: a bufferevent that will speak TLS to HOST once connected
 * (SNI and host name verification unless the upstream says ssl_verify
 * off). */
struct bufferevent *mg_tls_client_bev(
    struct event_base *base, struct ssl_ctx_st *ctx, const char *host);

/* Why the TLS of BEV failed, for a log line and the caller's error. */
void mg_tls_error(struct bufferevent *bev, char *buf, size_t len);

#endif
