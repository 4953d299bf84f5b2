/*
 * The client-credentials token of an upstream (oauthcc.h), in the
 * connector's loop.  One fetch at a time: a POST of the form (proto/
 * oauth.c) to the token endpoint (tokfetch.c).  The token is
 * renewed in the background once 80% of its lifetime has passed (it is
 * still sent meanwhile), and fetched afresh when it has expired or the
 * upstream refused it.  After a failed fetch, requests for a token fail
 * at once for OAUTHCC_HOLD_MS, so that an authorization server that is
 * down is asked at most once a second, not once a request.  Waiters are
 * always answered from the loop (an event), never inside the call that
 * queued them.  Neither the client secret nor a token is ever logged.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "log.h"
#include "oauth.h"
#include "oauthcc.h"
#include "tokfetch.h"

#define OAUTHCC_HOLD_MS 1000             /* after a failure: no new fetch */
#define OAUTHCC_LIFE_MAX (365 * 86400LL) /* s: longer is as long */

struct mg_oauthcc {
	struct event_base       *base;
	struct evdns_base       *dns;
	const mg_upstream_t     *up;
	const mg_oauth_client_t *o;
	struct ssl_ctx_st       *tls;
	char                    *basic; /* Authorization to the endpoint */
	char                    *form;  /* the request body */
	char                    *token; /* NULL: none yet, or dropped */
	unsigned                 gen;   /* of the token, counted up */
	int64_t                  renew_ms, expire_ms; /* INT64_MAX: never */
	mg_tokfetch_t           *fetch;               /* one in flight */
	int64_t                  started_ms;
	int                      failed;    /* the last fetch failed ... */
	int64_t                  failed_ms; /* ... then */
	char                     why[300];
	mg_oauthcc_wait_t       *waiters;
	struct event            *answer; /* tells the waiters, from the loop */
};

static int64_t
oauthcc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
oauthcc_forget(char **s)
{
	if (*s != NULL) {
		OPENSSL_cleanse(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

/* ---- telling the waiters ------------------------------------------------ */

/* Every waiter, in turn: a token, or the last failure's reason.  One
 * waiter's done may end another request, which unwaits it meanwhile. */
static void
oauthcc_answer(evutil_socket_t fd, short what, void *arg)
{
	mg_oauthcc_t      *cc = arg;
	mg_oauthcc_wait_t *w;
	unsigned           gen = cc->gen;

	(void)fd;
	(void)what;
	while ((w = cc->waiters) != NULL) {
		cc->waiters = w->next;
		w->next = NULL;
		w->queued = 0;
		if (!cc->failed && cc->token != NULL && cc->gen == gen)
			w->done(w, cc->token, gen, NULL);
		else
			w->done(w, NULL, 0,
			    cc->failed ? cc->why : "the token was dropped");
	}
}

static void oauthcc_failed(mg_oauthcc_t *cc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A fetch failed: logged once, and its waiters told. */
static void
oauthcc_failed(mg_oauthcc_t *cc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cc->why, sizeof(cc->why), fmt, ap);
	va_end(ap);
	cc->failed = 1;
	cc->failed_ms = oauthcc_now();
	mg_warn("upstream \"%s\": cannot get an access token from %s: %s",
	    cc->up->name, cc->o->token.url, cc->why);
	event_active(cc->answer, 0, 0);
}

/* ---- the fetch ---------------------------------------------------------- */

static void
oauthcc_got(mg_oauthcc_t *cc, mg_oauth_token_t *t)
{
	/* a year at most: no overflow in milliseconds */
	int64_t life = (t->expires_in > OAUTHCC_LIFE_MAX ? OAUTHCC_LIFE_MAX
							 : t->expires_in) *
	    1000;

	oauthcc_forget(&cc->token);
	cc->token = t->token;
	cc->gen++;
	cc->failed = 0;
	/* from when it was asked for: the server's clock started earlier */
	cc->renew_ms =
	    t->expires_in < 0 ? INT64_MAX : cc->started_ms + life * 4 / 5;
	cc->expire_ms = t->expires_in < 0 ? INT64_MAX : cc->started_ms + life;
	if (t->expires_in < 0)
		mg_info("upstream \"%s\": got an access token from %s (no "
			"expiry given: kept until the upstream refuses it)",
		    cc->up->name, cc->o->token.url);
	else
		mg_info("upstream \"%s\": got an access token from %s "
			"(expires in %lld s)",
		    cc->up->name, cc->o->token.url, (long long)t->expires_in);
	event_active(cc->answer, 0, 0);
}

/* The token endpoint's answer (tokfetch.h). */
static void
oauthcc_fetched(void *arg, mg_oauth_token_t *t, const char *why)
{
	mg_oauthcc_t *cc = arg;

	cc->fetch = NULL;
	if (t == NULL)
		oauthcc_failed(cc, "%s", why);
	else
		oauthcc_got(cc, t);
}

/* One POST to the token endpoint; its answer comes in the loop. */
static void
oauthcc_fetch(mg_oauthcc_t *cc)
{
	char why[300];

	cc->started_ms = oauthcc_now();
	cc->fetch = mg_tokfetch_start(cc->base, cc->dns, cc->tls, cc->up, cc->o,
	    cc->o->client_auth == MG_OAUTH_BASIC ? cc->basic : NULL, cc->form,
	    oauthcc_fetched, cc, why, sizeof(why));
	if (cc->fetch == NULL)
		oauthcc_failed(cc, "%s", why);
}

/* ---- the token ---------------------------------------------------------- */

const char *
mg_oauthcc_token(mg_oauthcc_t *cc, mg_oauthcc_wait_t *w, unsigned *gen)
{
	int64_t now = oauthcc_now();
	int     hold = cc->failed && now - cc->failed_ms < OAUTHCC_HOLD_MS;

	if (cc->token != NULL && now < cc->expire_ms) {
		if (now >= cc->renew_ms && cc->fetch == NULL && !hold)
			oauthcc_fetch(cc); /* in the background */
		*gen = cc->gen;
		return cc->token;
	}
	if (!w->queued) {
		w->next = cc->waiters;
		cc->waiters = w;
		w->queued = 1;
	}
	if (cc->fetch == NULL && hold)
		event_active(cc->answer, 0, 0);
	else if (cc->fetch == NULL)
		oauthcc_fetch(cc);
	return NULL;
}

void
mg_oauthcc_unwait(mg_oauthcc_t *cc, mg_oauthcc_wait_t *w)
{
	mg_oauthcc_wait_t **pp;

	if (!w->queued)
		return;
	for (pp = &cc->waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	w->next = NULL;
	w->queued = 0;
}

void
mg_oauthcc_refused(mg_oauthcc_t *cc, unsigned gen)
{
	if (cc->token == NULL || cc->gen != gen)
		return; /* another token has come since */
	mg_info("upstream \"%s\" refused its access token (HTTP 401); "
		"getting another",
	    cc->up->name);
	oauthcc_forget(&cc->token);
}

mg_oauthcc_t *
mg_oauthcc_new(struct event_base *base, struct evdns_base *dns,
    const mg_upstream_t *up, struct ssl_ctx_st *tls)
{
	mg_oauthcc_t            *cc = calloc(1, sizeof(*cc));
	const mg_oauth_client_t *o = up->oauth;

	if (cc == NULL)
		return NULL;
	cc->base = base;
	cc->dns = dns;
	cc->up = up;
	cc->o = o;
	cc->tls = tls;
	cc->basic = mg_oauth_basic(
	    o->client_id, o->client_secret ? o->client_secret : "");
	cc->form = mg_oauth_form(o);
	cc->answer = event_new(base, -1, 0, oauthcc_answer, cc);
	if (cc->basic == NULL || cc->form == NULL || cc->answer == NULL) {
		mg_oauthcc_free(cc);
		return NULL;
	}
	return cc;
}

void
mg_oauthcc_free(mg_oauthcc_t *cc)
{
	if (cc == NULL)
		return;
	mg_tokfetch_cancel(cc->fetch);
	if (cc->answer != NULL)
		event_free(cc->answer);
	oauthcc_forget(&cc->basic);
	oauthcc_forget(&cc->form);
	oauthcc_forget(&cc->token);
	free(cc);
}
