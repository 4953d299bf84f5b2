/*
 * The client-credentials token of an upstream (oauthcc.h), in the
 * connector's loop.  One fetch at a time: a POST of the form (proto/
 * oauth.c) to the token endpoint through libevent's HTTP client, over a
 * bufferevent_openssl for https, names resolved by evdns.  The token is
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

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/crypto.h>

#include "log.h"
#include "oauth.h"
#include "oauthcc.h"
#include "tls.h"

#define OAUTHCC_HOLD_MS 1000         /* after a failure: no new fetch */
#define OAUTHCC_BODY_MAX (64 * 1024) /* of the token endpoint's answer */
#define OAUTHCC_HEAD_MAX (16 * 1024)
#define OAUTHCC_LIFE_MAX (365 * 86400LL) /* s: longer is as long */

struct mg_oauthcc {
	struct event_base        *base;
	struct evdns_base        *dns;
	const mg_upstream_t      *up;
	const mg_oauth_client_t  *o;
	struct ssl_ctx_st        *tls;
	char                     *basic; /* Authorization to the endpoint */
	char                     *form;  /* the request body */
	char                     *token; /* NULL: none yet, or dropped */
	unsigned                  gen;   /* of the token, counted up */
	int64_t                   renew_ms, expire_ms; /* INT64_MAX: never */
	struct evhttp_connection *conn;                /* a fetch in flight */
	int64_t                   started_ms;
	int                       failed;    /* the last fetch failed ... */
	int64_t                   failed_ms; /* ... then */
	char                      why[300];
	mg_oauthcc_wait_t        *waiters;
	struct event             *answer; /* tells the waiters, from the loop */
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
oauthcc_got(mg_oauthcc_t *cc, const mg_oauth_token_t *t)
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

/* Why the connection failed.  A refused connect comes without an error
 * code (libevent's cleanup path, which leaves no errno to read); the
 * others with one. */
static void
oauthcc_conn_why(mg_oauthcc_t *cc, int e)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(cc->conn);
	int  dns = bev ? bufferevent_socket_get_dns_error(bev) : 0;
	char tlswhy[200];

	if (e < 0)
		oauthcc_failed(cc,
		    "cannot connect to %s:%s (refused, or closed before an "
		    "answer)",
		    cc->o->token.host, cc->o->token.port);
	else if (e == EVREQ_HTTP_TIMEOUT)
		oauthcc_failed(cc, "timed out (%lld ms)",
		    (long long)cc->up->connect_timeout);
	else if (dns != 0)
		oauthcc_failed(cc, "cannot resolve \"%s\" (%s)",
		    cc->o->token.host, evutil_gai_strerror(dns));
	else if (e == EVREQ_HTTP_DATA_TOO_LONG)
		oauthcc_failed(
		    cc, "its answer is larger than %d bytes", OAUTHCC_BODY_MAX);
	else if (e == EVREQ_HTTP_INVALID_HEADER)
		oauthcc_failed(cc, "its answer is not HTTP");
	else if (cc->o->token.tls && bev != NULL) {
		mg_tls_error(bev, tlswhy, sizeof(tlswhy));
		oauthcc_failed(cc, "%s", tlswhy);
	} else
		oauthcc_failed(cc,
		    "the connection failed or closed before "
		    "an answer");
}

static void
oauthcc_error_cb(enum evhttp_request_error e, void *arg)
{
	mg_oauthcc_t *cc = arg;

	if (cc->conn == NULL)
		return;
	oauthcc_conn_why(cc, (int)e);
	cc->conn = NULL; /* freed by libevent once the request is gone */
}

static void
oauthcc_conn_free(evutil_socket_t fd, short what, void *conn)
{
	(void)fd;
	(void)what;
	evhttp_connection_free(conn);
}

static void
oauthcc_done_cb(struct evhttp_request *req, void *arg)
{
	mg_oauthcc_t    *cc = arg;
	struct evbuffer *in;
	mg_oauth_token_t t;
	char             why[300];
	int              status;

	if (cc->conn == NULL)
		return; /* the error callback said why */
	status = req ? evhttp_request_get_response_code(req) : 0;
	if (status == 0) {
		oauthcc_conn_why(cc, -1);
		/* libevent's cleanup path does not free the connection, and
		 * uses its bufferevent after this returns: next turn */
		if (event_base_once(cc->base, -1, EV_TIMEOUT, oauthcc_conn_free,
			cc->conn, NULL) != 0)
			mg_error("event_base_once() failed while freeing the "
				 "token request's connection");
		cc->conn = NULL;
		return;
	}
	cc->conn = NULL;
	in = evhttp_request_get_input_buffer(req);
	if (mg_oauth_token_parse(status, (const char *)evbuffer_pullup(in, -1),
		evbuffer_get_length(in), &t, why, sizeof(why)) != MG_OK)
		oauthcc_failed(cc, "%s", why);
	else
		oauthcc_got(cc, &t);
	OPENSSL_cleanse(evbuffer_pullup(in, -1), evbuffer_get_length(in));
}

static int
oauthcc_request(mg_oauthcc_t *cc)
{
	const mg_upstream_server_t *s = &cc->o->token;
	struct evhttp_request      *req;
	struct evkeyvalq           *h;

	if ((req = evhttp_request_new(oauthcc_done_cb, cc)) == NULL)
		return MG_ERROR;
	evhttp_request_set_error_cb(req, oauthcc_error_cb);
	h = evhttp_request_get_output_headers(req);
	if (evhttp_add_header(h, "Host", s->authority) != 0 ||
	    evhttp_add_header(
		h, "Content-Type", "application/x-www-form-urlencoded") != 0 ||
	    evhttp_add_header(h, "Accept", "application/json") != 0 ||
	    evhttp_add_header(h, "Connection", "close") != 0 ||
	    (cc->o->client_auth == MG_OAUTH_BASIC &&
		evhttp_add_header(h, "Authorization", cc->basic) != 0) ||
	    evbuffer_add(evhttp_request_get_output_buffer(req), cc->form,
		strlen(cc->form)) != 0) {
		evhttp_request_free(req);
		return MG_ERROR;
	}
	/* on failure libevent has freed the request */
	return evhttp_make_request(cc->conn, req, EVHTTP_REQ_POST, s->path) == 0
	    ? MG_OK
	    : MG_ERROR;
}

/* One POST to the token endpoint; its answer comes in the loop. */
static void
oauthcc_fetch(mg_oauthcc_t *cc)
{
	const mg_upstream_server_t *s = &cc->o->token;
	struct bufferevent         *bev = NULL;
	int64_t                     ms = cc->up->connect_timeout;
	struct timeval              tv = { ms / 1000, (ms % 1000) * 1000 };

	cc->started_ms = oauthcc_now();
	if (s->tls &&
	    (bev = mg_tls_client_bev(cc->base, cc->tls, s->host)) == NULL) {
		oauthcc_failed(cc, "cannot set up TLS");
		return;
	}
	cc->conn = evhttp_connection_base_bufferevent_new(
	    cc->base, cc->dns, bev, s->host, (unsigned short)atoi(s->port));
	if (cc->conn == NULL) {
		if (bev != NULL)
			bufferevent_free(bev);
		oauthcc_failed(cc, "out of memory");
		return;
	}
	evhttp_connection_set_timeout_tv(cc->conn, &tv);
	evhttp_connection_set_max_body_size(cc->conn, OAUTHCC_BODY_MAX);
	evhttp_connection_set_max_headers_size(cc->conn, OAUTHCC_HEAD_MAX);
	if (oauthcc_request(cc) != MG_OK) {
		evhttp_connection_free(cc->conn);
		cc->conn = NULL;
		oauthcc_failed(cc, "cannot send the token request");
		return;
	}
	evhttp_connection_free_on_completion(cc->conn);
}

/* ---- the token ---------------------------------------------------------- */

const char *
mg_oauthcc_token(mg_oauthcc_t *cc, mg_oauthcc_wait_t *w, unsigned *gen)
{
	int64_t now = oauthcc_now();
	int     hold = cc->failed && now - cc->failed_ms < OAUTHCC_HOLD_MS;

	if (cc->token != NULL && now < cc->expire_ms) {
		if (now >= cc->renew_ms && cc->conn == NULL && !hold)
			oauthcc_fetch(cc); /* in the background */
		*gen = cc->gen;
		return cc->token;
	}
	if (!w->queued) {
		w->next = cc->waiters;
		cc->waiters = w;
		w->queued = 1;
	}
	if (cc->conn == NULL && hold)
		event_active(cc->answer, 0, 0);
	else if (cc->conn == NULL)
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
	if (cc->conn != NULL)
		evhttp_connection_free(cc->conn);
	if (cc->answer != NULL)
		event_free(cc->answer);
	oauthcc_forget(&cc->basic);
	oauthcc_forget(&cc->form);
	oauthcc_forget(&cc->token);
	free(cc);
}
