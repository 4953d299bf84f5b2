/*
 * An upstream's access token by the OAuth 2.0 client-credentials grant
 * (RFC 6749 4.4), for the connector (oauthcc.c): fetched from the
 * upstream's token endpoint without blocking, cached, renewed before it
 * expires, and dropped when the upstream refuses it.  Requests that come
 * while there is no token wait here; each is told once when one came or
 * why none could be had.
 */
#ifndef MG_OAUTHCC_H
#define MG_OAUTHCC_H

#include "conf.h"

struct event_base;
struct evdns_base;
struct ssl_ctx_st;

typedef struct mg_oauthcc      mg_oauthcc_t;
typedef struct mg_oauthcc_wait mg_oauthcc_wait_t;

/* A request waiting for a token: owned by the caller, cleared to zero
 * before its first use, and taken out with mg_oauthcc_unwait if the
 * request ends first. */
struct mg_oauthcc_wait {
	mg_oauthcc_wait_t *next;
	int                queued;
	void              *queue; /* tokex.c: the entry it waits in */
	/* From the loop, never inside mg_oauthcc_token: ERR is NULL and
	 * TOKEN the new token (for this call), or ERR says why there is
	 * none. */
	void (*done)(mg_oauthcc_wait_t *w, const char *token, unsigned gen,
	    const char *err);
};

/* The token client of UP (its oauth_client block, its connect_timeout);
 * TLS is the client context for an https token_url.  NULL: no memory. */
mg_oauthcc_t *mg_oauthcc_new(struct event_base *base, struct evdns_base *dns,
    const mg_upstream_t *up, struct ssl_ctx_st *tls);
/* Everything of CC now, a fetch in flight too; waiters are not called. */
void mg_oauthcc_free(mg_oauthcc_t *cc);

/* The token to send now, and its generation in *GEN; or NULL, and W
 * waits for W->done. */
const char *mg_oauthcc_token(
    mg_oauthcc_t *cc, mg_oauthcc_wait_t *w, unsigned *gen);
void mg_oauthcc_unwait(mg_oauthcc_t *cc, mg_oauthcc_wait_t *w);

/* The upstream answered 401 to token GEN: if it is still the one held,
 * it is dropped, and the next request fetches another. */
void mg_oauthcc_refused(mg_oauthcc_t *cc, unsigned gen);

#endif
