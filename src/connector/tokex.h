/*
 * Token exchange (RFC 8693) for an upstream with oauth_token_exchange:
 * the client's token, as the worker verified it, is exchanged at the
 * upstream's authorization server for one meant for the upstream, and
 * the answer kept per client token (by its SHA-256, never the token
 * itself) until it expires or the client's token does, whichever comes
 * first; at most token_cache of them, the oldest forgotten first.  One
 * exchange per client token at a time: the requests that come meanwhile
 * wait for it, and each is told from the loop.  The waiter is the
 * client-credentials client's (oauthcc.h), so that upcred.c treats both
 * alike.
 */
#ifndef MG_TOKEX_H
#define MG_TOKEX_H

#include <stddef.h>
#include <stdint.h>

#include "oauthcc.h"

typedef struct mg_tokex mg_tokex_t;

/* The exchange client of UP (its oauth_token_exchange block); TLS for an
 * https token_url.  NULL: no memory. */
mg_tokex_t *mg_tokex_new(struct event_base *base, struct evdns_base *dns,
    const mg_upstream_t *up, struct ssl_ctx_st *tls);
/* Everything of TX now, exchanges in flight too; waiters are not
 * called. */
void mg_tokex_free(mg_tokex_t *tx);

/* The token to send for the client token CTOK (LEN bytes, its exp EXP
 * seconds since the epoch or 0) and its generation in *GEN; or NULL,
 * and W waits for W->done. */
const char *mg_tokex_token(mg_tokex_t *tx, const char *ctok, size_t len,
    int64_t exp, mg_oauthcc_wait_t *w, unsigned *gen);
void        mg_tokex_unwait(mg_tokex_t *tx, mg_oauthcc_wait_t *w);

/* The upstream answered 401 to the token GEN exchanged for CTOK: it is
 * dropped if still held, and the next request exchanges again. */
void mg_tokex_refused(
    mg_tokex_t *tx, const char *ctok, size_t len, unsigned gen);

#endif
