/*
 * One POST to an upstream's token endpoint (an oauth_client's or an
 * oauth_token_exchange's token_url), in the connector's loop, without
 * blocking: its name resolved by evdns, https through the upstream's TLS
 * context, the upstream's connect_timeout for connecting and each read.
 * The client-credentials token (oauthcc.c) and the exchanged tokens
 * (tokex.c) are fetched with it.  The body holds secrets; nothing of it
 * or of the answer is logged.
 */
#ifndef MG_TOKFETCH_H
#define MG_TOKFETCH_H

#include "conf.h"
#include "oauth.h"

struct event_base;
struct evdns_base;
struct ssl_ctx_st;

typedef struct mg_tokfetch mg_tokfetch_t;

/* The answer, from the loop, once: T (its token the callee's to keep or
 * free) and WHY NULL, or T NULL and WHY the reason. */
typedef void (*mg_tokfetch_done_t)(
    void *arg, mg_oauth_token_t *t, const char *why);

/* POST FORM to O's token_url (with Authorization BASIC unless NULL) for
 * upstream UP; DONE(ARG) tells.  NULL: it could not start, WHY says why
 * (WHYLEN bytes) and DONE is not called. */
mg_tokfetch_t *mg_tokfetch_start(struct event_base *base,
    struct evdns_base *dns, struct ssl_ctx_st *tls, const mg_upstream_t *up,
    const mg_oauth_client_t *o, const char *basic, const char *form,
    mg_tokfetch_done_t done, void *arg, char *why, size_t whylen);
/* Stop F now; DONE is not called. */
void mg_tokfetch_cancel(mg_tokfetch_t *f);

#endif
