/*
 * The exchanged tokens of an upstream (tokex.h), in the connector's
 * loop.  An entry per client token: found by the SHA-256 of the token
 * in a hash table, aged in a list (oldest first) for eviction.  An entry
 * that is being exchanged, or has requests waiting, is never evicted:
 * the table may hold more than token_cache while they last, and shrinks
 * back at the next entries.  After a failed exchange the entry answers
 * at once with the same reason for TOKEX_HOLD_MS, so that a client whose
 * token the authorization server refuses costs it one request a second.
 * Neither the client's token nor an exchanged one is ever logged.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "log.h"
#include "oauth.h"
#include "tokex.h"
#include "tokfetch.h"

#define TOKEX_HOLD_MS 1000
#define TOKEX_LIFE_MAX (365 * 86400LL) /* s: longer is as long */
#define TOKEX_BUCKETS_MAX (1u << 20)

typedef struct tokex_entry tokex_entry_t;

struct tokex_entry {
	mg_tokex_t        *tx;
	tokex_entry_t     *chain; /* in its bucket */
	tokex_entry_t     *older, *newer;
	uint8_t            key[SHA256_DIGEST_LENGTH];
	char              *token; /* NULL: none yet, or dropped */
	unsigned           gen;
	int64_t            expire_ms; /* INT64_MAX: never */
	int64_t            client_ms; /* the client's token expires */
	mg_tokfetch_t     *fetch;
	int64_t            started_ms;
	int                failed;
	int64_t            failed_ms;
	char               why[300];
	mg_oauthcc_wait_t *waiters;
	struct event      *answer;
};

struct mg_tokex {
	struct event_base       *base;
	struct evdns_base       *dns;
	const mg_upstream_t     *up;
	const mg_oauth_client_t *o;
	struct ssl_ctx_st       *tls;
	char                    *basic;
	tokex_entry_t          **buckets;
	size_t                   mask;
	tokex_entry_t           *oldest, *newest;
	int                      n;
	unsigned                 gen;
};

static int64_t
tokex_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
tokex_forget(char **s)
{
	if (*s != NULL) {
		OPENSSL_cleanse(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

static tokex_entry_t **
tokex_bucket(mg_tokex_t *tx, const uint8_t *key)
{
	size_t h;

	memcpy(&h, key, sizeof(h));
	return &tx->buckets[h & tx->mask];
}

/* ---- telling the waiters ------------------------------------------------ */

/* Every waiter of the entry, in turn; one's done may end another
 * request, which unwaits it meanwhile. */
static void
tokex_answer(evutil_socket_t fd, short what, void *arg)
{
	tokex_entry_t     *e = arg;
	mg_oauthcc_wait_t *w;
	unsigned           gen = e->gen;

	(void)fd;
	(void)what;
	while ((w = e->waiters) != NULL) {
		e->waiters = w->next;
		w->next = NULL;
		w->queued = 0;
		w->queue = NULL;
		if (!e->failed && e->token != NULL && e->gen == gen)
			w->done(w, e->token, gen, NULL);
		else
			w->done(w, NULL, 0,
			    e->failed ? e->why : "the token was dropped");
	}
}

static void tokex_failed(tokex_entry_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tokex_failed(tokex_entry_t *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->why, sizeof(e->why), fmt, ap);
	va_end(ap);
	e->failed = 1;
	e->failed_ms = tokex_now();
	mg_warn("upstream \"%s\": cannot exchange a client's token at %s: %s",
	    e->tx->up->name, e->tx->o->token.url, e->why);
	event_active(e->answer, 0, 0);
}

/* ---- the exchange ------------------------------------------------------- */

static void
tokex_got(tokex_entry_t *e, mg_oauth_token_t *t)
{
	int64_t life =
	    t->expires_in > TOKEX_LIFE_MAX ? TOKEX_LIFE_MAX : t->expires_in;

	tokex_forget(&e->token);
	e->token = t->token;
	e->gen = ++e->tx->gen;
	e->failed = 0;
	e->expire_ms =
	    t->expires_in < 0 ? INT64_MAX : e->started_ms + life * 1000;
	if (e->client_ms < e->expire_ms)
		e->expire_ms = e->client_ms;
	mg_debug("upstream \"%s\": exchanged a client's token at %s (expires "
		 "in %lld s)",
	    e->tx->up->name, e->tx->o->token.url, (long long)t->expires_in);
	event_active(e->answer, 0, 0);
}

static void
tokex_fetched(void *arg, mg_oauth_token_t *t, const char *why)
{
	tokex_entry_t *e = arg;

	e->fetch = NULL;
	if (t == NULL)
		tokex_failed(e, "%s", why);
	else
		tokex_got(e, t);
}

/* One POST to the token endpoint with CTOK as the subject token. */
static void
tokex_fetch(tokex_entry_t *e, const char *ctok, size_t len)
{
	mg_tokex_t *tx = e->tx;
	char       *subject = malloc(len + 1), *form = NULL, why[300];

	e->started_ms = tokex_now();
	if (subject != NULL) {
		memcpy(subject, ctok, len);
		subject[len] = '\0';
		form = mg_oauth_exchange_form(tx->o, subject);
		tokex_forget(&subject);
	}
	if (form == NULL) {
		tokex_failed(e, "out of memory");
		return;
	}
	e->fetch = mg_tokfetch_start(tx->base, tx->dns, tx->tls, tx->up, tx->o,
	    tx->o->client_auth == MG_OAUTH_BASIC ? tx->basic : NULL, form,
	    tokex_fetched, e, why, sizeof(why));
	tokex_forget(&form);
	if (e->fetch == NULL)
		tokex_failed(e, "%s", why);
}

/* ---- the table ---------------------------------------------------------- */

static void
tokex_entry_free(tokex_entry_t *e)
{
	mg_tokex_t     *tx = e->tx;
	tokex_entry_t **pp = tokex_bucket(tx, e->key);

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	*(e->older ? &e->older->newer : &tx->oldest) = e->newer;
	*(e->newer ? &e->newer->older : &tx->newest) = e->older;
	tx->n--;
	mg_tokfetch_cancel(e->fetch);
	if (e->answer != NULL)
		event_free(e->answer);
	tokex_forget(&e->token);
	free(e);
}

/* Room for one more: the oldest entries that nobody waits for go. */
static void
tokex_evict(mg_tokex_t *tx)
{
	tokex_entry_t *e = tx->oldest, *next;

	for (; e != NULL && tx->n >= tx->o->cache; e = next) {
		next = e->newer;
		if (e->fetch == NULL && e->waiters == NULL)
			tokex_entry_free(e);
	}
}

static tokex_entry_t *
tokex_find(mg_tokex_t *tx, const uint8_t *key)
{
	tokex_entry_t *e = *tokex_bucket(tx, key);

	while (e != NULL && memcmp(e->key, key, sizeof(e->key)) != 0)
		e = e->chain;
	return e;
}

static tokex_entry_t *
tokex_add(mg_tokex_t *tx, const uint8_t *key)
{
	tokex_entry_t  *e;
	tokex_entry_t **b;

	tokex_evict(tx);
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->tx = tx;
	memcpy(e->key, key, sizeof(e->key));
	if ((e->answer = event_new(tx->base, -1, 0, tokex_answer, e)) == NULL) {
		free(e);
		return NULL;
	}
	b = tokex_bucket(tx, key);
	e->chain = *b;
	*b = e;
	e->older = tx->newest;
	*(tx->newest ? &tx->newest->newer : &tx->oldest) = e;
	tx->newest = e;
	tx->n++;
	return e;
}

/* When the client's token expires, on the monotonic clock. */
static int64_t
tokex_client_ms(int64_t exp, int64_t now)
{
	int64_t left = exp - (int64_t)time(NULL);

	if (exp <= 0 || left > TOKEX_LIFE_MAX)
		return INT64_MAX;
	return now + (left > 0 ? left * 1000 : 0);
}

const char *
mg_tokex_token(mg_tokex_t *tx, const char *ctok, size_t len, int64_t exp,
    mg_oauthcc_wait_t *w, unsigned *gen)
{
	uint8_t        key[SHA256_DIGEST_LENGTH];
	int64_t        now = tokex_now();
	tokex_entry_t *e;

	SHA256((const unsigned char *)ctok, len, key);
	if ((e = tokex_find(tx, key)) == NULL &&
	    (e = tokex_add(tx, key)) == NULL)
		return NULL; /* no memory: W is not queued, and told nothing */
	e->client_ms = tokex_client_ms(exp, now);
	if (e->token != NULL && now < e->expire_ms) {
		*gen = e->gen;
		return e->token;
	}
	if (!w->queued) {
		w->next = e->waiters;
		e->waiters = w;
		w->queued = 1;
		w->queue = e;
	}
	if (e->fetch == NULL && e->failed && now - e->failed_ms < TOKEX_HOLD_MS)
		event_active(e->answer, 0, 0);
	else if (e->fetch == NULL)
		tokex_fetch(e, ctok, len);
	return NULL;
}

void
mg_tokex_unwait(mg_tokex_t *tx, mg_oauthcc_wait_t *w)
{
	tokex_entry_t      *e = w->queue;
	mg_oauthcc_wait_t **pp;

	(void)tx;
	if (!w->queued || e == NULL)
		return;
	for (pp = &e->waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	w->next = NULL;
	w->queued = 0;
	w->queue = NULL;
}

void
mg_tokex_refused(mg_tokex_t *tx, const char *ctok, size_t len, unsigned gen)
{
	uint8_t        key[SHA256_DIGEST_LENGTH];
	tokex_entry_t *e;

	SHA256((const unsigned char *)ctok, len, key);
	if ((e = tokex_find(tx, key)) == NULL || e->token == NULL ||
	    e->gen != gen)
		return; /* another token has come since */
	mg_info("upstream \"%s\" refused a token exchanged for a client "
		"(HTTP 401); exchanging again",
	    tx->up->name);
	tokex_forget(&e->token);
}

mg_tokex_t *
mg_tokex_new(struct event_base *base, struct evdns_base *dns,
    const mg_upstream_t *up, struct ssl_ctx_st *tls)
{
	mg_tokex_t              *tx = calloc(1, sizeof(*tx));
	const mg_oauth_client_t *o = up->exchange;
	size_t                   nb = 16;

	if (tx == NULL)
		return NULL;
	while (nb < (size_t)o->cache && nb < TOKEX_BUCKETS_MAX)
		nb *= 2;
	*tx = (mg_tokex_t){ .base = base,
		.dns = dns,
		.up = up,
		.o = o,
		.tls = tls,
		.mask = nb - 1 };
	tx->basic = mg_oauth_basic(
	    o->client_id, o->client_secret ? o->client_secret : "");
	tx->buckets = calloc(nb, sizeof(*tx->buckets));
	if (tx->basic == NULL || tx->buckets == NULL) {
		mg_tokex_free(tx);
		return NULL;
	}
	return tx;
}

void
mg_tokex_free(mg_tokex_t *tx)
{
	if (tx == NULL)
		return;
	while (tx->oldest != NULL && tx->buckets != NULL)
		tokex_entry_free(tx->oldest);
	free(tx->buckets);
	tokex_forget(&tx->basic);
	free(tx);
}
