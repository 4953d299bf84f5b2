/*
 * One GET of a jwks_url over HTTPS, in the connector's loop: the name
 * resolved by evdns, the connect, the TLS handshake and every read are
 * events, bounded by a deadline and a size, so that fetching keys never
 * holds up a relay.  Private to connector/ (jwksurl.c uses it).
 */
#ifndef MG_JWKSGET_H
#define MG_JWKSGET_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct event_base;
struct evdns_base;
struct ssl_ctx_st;

typedef struct mg_jwksget mg_jwksget_t;

/* The end of a GET: BODY (LEN bytes, valid during the call) when the
 * server answered 200 with a body of at most the limit; else BODY NULL
 * and WHY says what failed (connect, TLS, status, size, timeout).  The
 * GET is freed after the call returns. */
typedef void (*mg_jwksget_done_fn)(
    void *arg, const char *body, size_t len, const char *why);

/* GET URL, verified with CTX, within MS milliseconds and MAX bytes of
 * body; DONE is called once, never from inside this call.  NULL if it
 * cannot start (out of memory or descriptors). */
mg_jwksget_t *mg_jwksget_start(struct event_base *base, struct evdns_base *dns,
    struct ssl_ctx_st *ctx, const mg_upstream_server_t *url, int64_t ms,
    size_t max, mg_jwksget_done_fn done, void *arg);

/* Stop G without calling its DONE. */
void mg_jwksget_cancel(mg_jwksget_t *g);

#endif
