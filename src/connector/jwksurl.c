/*
 * The key sets of the auth_jwt blocks with a jwks_url: the connector
 * fetches them (jwksget.c), because a worker never waits on anything,
 * and hands each to every worker as a JWKS frame.  A block's set is
 * fetched when the connector starts, every jwks_refresh after a success,
 * every jwks_min_refresh while fetches fail, and early when a worker met
 * a kid the set lacks (KID_UNKNOWN), but never twice within
 * jwks_min_refresh: a stream of tokens with made-up kids costs the
 * identity provider one GET per interval.  A fetched document is checked
 * with mg_jwks_parse before anyone gets it; a failed fetch keeps the
 * last good set until it is jwks_max_stale old, then drops it (tokens
 * are refused as "unknown key" until a fetch succeeds).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "connpriv.h"
#include "jwksget.h"
#include "jwt.h"
#include "log.h"
#include "msg.h"
#include "tls.h"

#define JWKS_TIMEOUT_MS 10000 /* a whole GET: connect, TLS, answer */

typedef struct {
	mg_connector_t      *c;
	const mg_auth_jwt_t *a; /* NULL: the block has no jwks_url */
	struct ssl_ctx_st   *ctx;
	struct event        *timer; /* the next fetch */
	mg_jwksget_t        *get;   /* the fetch in flight */
	char                *doc;   /* the last good set, as fetched */
	size_t               len;
	int64_t              got_ms;   /* when it was last fetched */
	int64_t              start_ms; /* when the last fetch began */
	int64_t              next_ms;  /* when the timer fires */
} jwksurl_t;

struct mg_jwksurls {
	jwksurl_t         *v; /* by block index */
	int                n;
	struct evdns_base *dns;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
jwksurl_schedule(jwksurl_t *u, int64_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	u->next_ms = now_ms() + ms;
	evtimer_add(u->timer, &tv);
}

/* The set of U (or none) to one worker, or to all when LINK is NULL. */
static void
jwksurl_send(jwksurl_t *u, mg_link_t *link)
{
	mg_msg_t m = { .type = MG_MSG_JWKS,
		.keys = { u->a->index, { u->doc, u->doc ? u->len : 0 } } };

	if (link != NULL) {
		mg_link_send_msg(link, 0, &m);
		return;
	}
	for (size_t i = 0; i < MG_CONNECTOR_MAX_LINKS; i++)
		if (u->c->links[i] != NULL)
			mg_link_send_msg(u->c->links[i], 0, &m);
}

static void
jwksurl_got(jwksurl_t *u, const char *body, size_t len, size_t nkeys)
{
	const mg_auth_jwt_t *a = u->a;
	char                *doc;

	u->got_ms = now_ms();
	jwksurl_schedule(u, a->jwks_refresh);
	if (u->doc != NULL && u->len == len && memcmp(u->doc, body, len) == 0) {
		mg_debug("the JWK Set of auth_jwt in %s:%d is unchanged",
		    a->pos.file, a->pos.line);
		return;
	}
	if ((doc = malloc(len ? len : 1)) == NULL) {
		mg_error("out of memory keeping the JWK Set of auth_jwt in "
			 "%s:%d",
		    a->pos.file, a->pos.line);
		return;
	}
	memcpy(doc, body, len);
	free(u->doc);
	u->doc = doc;
	u->len = len;
	mg_info("fetched %zu key(s) from %s for auth_jwt in %s:%d", nkeys,
	    a->jwks_url.url, a->pos.file, a->pos.line);
	jwksurl_send(u, NULL);
}

/* A fetch failed: keep the last set while it is young enough. */
static void
jwksurl_failed(jwksurl_t *u, const char *why)
{
	const mg_auth_jwt_t *a = u->a;
	int64_t              age = now_ms() - u->got_ms;

	mg_error("cannot fetch the JWK Set of auth_jwt in %s:%d from %s: %s",
	    a->pos.file, a->pos.line, a->jwks_url.url, why);
	jwksurl_schedule(u,
	    a->jwks_min_refresh < a->jwks_refresh ? a->jwks_min_refresh
						  : a->jwks_refresh);
	if (u->doc == NULL)
		return;
	if (age < a->jwks_max_stale) {
		mg_warn("keeping the JWK Set of auth_jwt in %s:%d fetched %lld "
			"s ago (jwks_max_stale %lld s)",
		    a->pos.file, a->pos.line, (long long)(age / 1000),
		    (long long)(a->jwks_max_stale / 1000));
		return;
	}
	mg_error("the JWK Set of auth_jwt in %s:%d, fetched %lld s ago, is "
		 "older than jwks_max_stale (%lld s): dropped; its tokens are "
		 "refused (unknown key) until a fetch succeeds",
	    a->pos.file, a->pos.line, (long long)(age / 1000),
	    (long long)(a->jwks_max_stale / 1000));
	free(u->doc);
	u->doc = NULL;
	jwksurl_send(u, NULL);
}

/* The end of a GET: a document is checked as the workers will read it. */
static void
jwksurl_done(void *arg, const char *body, size_t len, const char *why)
{
	jwksurl_t *u = arg;
	mg_jwks_t *keys;
	char      *err = NULL, text[300];
	size_t     n;

	u->get = NULL;
	if (body == NULL) {
		jwksurl_failed(u, why);
		return;
	}
	if ((keys = mg_jwks_parse(body, len, &err)) == NULL) {
		snprintf(text, sizeof(text), "not a JWK Set: %s",
		    err ? err : "out of memory");
		free(err);
		jwksurl_failed(u, text);
		return;
	}
	n = mg_jwks_count(keys);
	mg_jwks_free(keys);
	if (n == 0)
		jwksurl_failed(u, "the set holds no key mcpgw can use");
	else
		jwksurl_got(u, body, len, n);
}

static void
jwksurl_fetch(jwksurl_t *u)
{
	struct mg_jwksurls *s = u->c->jwks;

	if (u->get != NULL)
		return;
	evtimer_del(u->timer);
	u->start_ms = now_ms();
	mg_debug("fetching %s for auth_jwt in %s:%d", u->a->jwks_url.url,
	    u->a->pos.file, u->a->pos.line);
	u->get = mg_jwksget_start(u->c->base, s->dns, u->ctx, &u->a->jwks_url,
	    JWKS_TIMEOUT_MS, MG_MSG_JWKS_MAX, jwksurl_done, u);
	if (u->get == NULL)
		jwksurl_failed(u, "out of memory or descriptors");
}

static void
jwksurl_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	jwksurl_fetch(arg);
}

/* ---- the connector's calls ------------------------------------------- */

void
mg_jwksurl_welcome(mg_connector_t *c, mg_link_t *link)
{
	for (int i = 0; c->jwks != NULL && i < c->jwks->n; i++)
		if (c->jwks->v[i].a != NULL && c->jwks->v[i].doc != NULL)
			jwksurl_send(&c->jwks->v[i], link);
}

/* A kid the set lacks: the provider may have rotated its keys.  Fetch
 * now, or at the end of this jwks_min_refresh if sooner than planned. */
void
mg_jwksurl_unknown_kid(
    mg_connector_t *c, mg_link_t *link, const mg_msg_keys_t *m)
{
	jwksurl_t     *u;
	int64_t        now = now_ms(), want;
	struct timeval tv;

	if (c->jwks == NULL || m->block >= c->jwks->n ||
	    (u = &c->jwks->v[m->block])->a == NULL) {
		mg_debug("KID_UNKNOWN for auth_jwt %d, which has no jwks_url, "
			 "from worker %d",
		    (int)m->block, mg_link_slot(link));
		return;
	}
	want = u->start_ms + u->a->jwks_min_refresh;
	mg_debug("worker %d met a kid the JWK Set of auth_jwt in %s:%d "
		 "lacks; %s",
	    mg_link_slot(link), u->a->pos.file, u->a->pos.line,
	    u->get            ? "a fetch is under way"
		: now >= want ? "fetching it again"
			      : "fetching it again after jwks_min_refresh");
	if (u->get != NULL)
		return;
	if (now >= want) {
		jwksurl_fetch(u);
	} else if (want < u->next_ms) {
		tv = (struct timeval){ (want - now) / 1000,
			((want - now) % 1000) * 1000 };
		u->next_ms = want;
		evtimer_add(u->timer, &tv);
	}
}

static int
jwksurl_add(mg_connector_t *c, const mg_auth_jwt_t *a)
{
	jwksurl_t *u;

	if (a == NULL || a->jwks_url.url == NULL || a->index >= c->jwks->n ||
	    c->jwks->v[a->index].a != NULL)
		return MG_OK;
	/* names are resolved without blocking; the name servers and the
	 * hosts file are read now, at start-up */
	if (c->jwks->dns == NULL &&
	    (c->jwks->dns = evdns_base_new(
		 c->base, EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL)
		return MG_ERROR;
	u = &c->jwks->v[a->index];
	*u = (jwksurl_t){ .c = c, .a = a, .ctx = c->ctx->tls->jwks[a->index] };
	if ((u->timer = evtimer_new(c->base, jwksurl_timer, u)) == NULL)
		return MG_ERROR;
	jwksurl_fetch(u);
	return MG_OK;
}

int
mg_jwksurl_start(mg_connector_t *c)
{
	const mg_conf_t *conf = c->ctx->conf;
	int              rc = MG_OK;

	if (conf->nauth_jwt == 0)
		return MG_OK;
	if ((c->jwks = calloc(1, sizeof(*c->jwks))) == NULL ||
	    (c->jwks->v = calloc((size_t)conf->nauth_jwt, sizeof(jwksurl_t))) ==
		NULL)
		return MG_ERROR;
	c->jwks->n = conf->nauth_jwt;
	for (const mg_server_t *s = conf->servers; s != NULL; s = s->next) {
		rc |= jwksurl_add(c, s->auth_jwt);
		for (const mg_location_t *l = s->locations; l; l = l->next)
			rc |= jwksurl_add(c, l->auth_jwt);
	}
	return rc;
}

void
mg_jwksurl_free(mg_connector_t *c)
{
	if (c->jwks == NULL)
		return;
	for (int i = 0; i < c->jwks->n; i++) {
		jwksurl_t *u = &c->jwks->v[i];

		mg_jwksget_cancel(u->get);
		if (u->timer != NULL)
			event_free(u->timer);
		free(u->doc);
	}
	if (c->jwks->dns != NULL)
		evdns_base_free(c->jwks->dns, 0);
	free(c->jwks->v);
	free(c->jwks);
	c->jwks = NULL;
}
