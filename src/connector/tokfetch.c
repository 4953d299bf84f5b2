/*
 * A token endpoint's POST (tokfetch.h) through libevent's HTTP client,
 * over a bufferevent_openssl for https.  The fetch ends in its done
 * callback, which libevent calls once for every request it did not
 * cancel (after the error callback, if there was an error): the object
 * is freed there.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/crypto.h>

#include "log.h"
#include "tls.h"
#include "tokfetch.h"

#define TOKFETCH_BODY_MAX (64 * 1024) /* of the token endpoint's answer */
#define TOKFETCH_HEAD_MAX (16 * 1024)

struct mg_tokfetch {
	struct event_base          *base;
	const mg_upstream_t        *up;
	const mg_upstream_server_t *s;
	struct evhttp_connection   *conn; /* NULL: told already */
	mg_tokfetch_done_t          done;
	void                       *arg;
};

static void tokfetch_failed(mg_tokfetch_t *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The fetch failed: its owner hears why. */
static void
tokfetch_failed(mg_tokfetch_t *f, const char *fmt, ...)
{
	char    why[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	f->done(f->arg, NULL, why);
}

/* Why the connection failed.  A refused connect comes without an error
 * code (libevent's cleanup path, which leaves no errno to read); the
 * others with one. */
static void
tokfetch_conn_why(mg_tokfetch_t *f, int e)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(f->conn);
	int  dns = bev ? bufferevent_socket_get_dns_error(bev) : 0;
	char tlswhy[200];

	if (e < 0)
		tokfetch_failed(f,
		    "cannot connect to %s:%s (refused, or closed before an "
		    "answer)",
		    f->s->host, f->s->port);
	else if (e == EVREQ_HTTP_TIMEOUT)
		tokfetch_failed(f, "timed out (%lld ms)",
		    (long long)f->up->connect_timeout);
	else if (dns != 0)
		tokfetch_failed(f, "cannot resolve \"%s\" (%s)", f->s->host,
		    evutil_gai_strerror(dns));
	else if (e == EVREQ_HTTP_DATA_TOO_LONG)
		tokfetch_failed(
		    f, "its answer is larger than %d bytes", TOKFETCH_BODY_MAX);
	else if (e == EVREQ_HTTP_INVALID_HEADER)
		tokfetch_failed(f, "its answer is not HTTP");
	else if (f->s->tls && bev != NULL) {
		mg_tls_error(bev, tlswhy, sizeof(tlswhy));
		tokfetch_failed(f, "%s", tlswhy);
	} else
		tokfetch_failed(f,
		    "the connection failed or closed before "
		    "an answer");
}

static void
tokfetch_error_cb(enum evhttp_request_error e, void *arg)
{
	mg_tokfetch_t *f = arg;

	if (f->conn == NULL)
		return;
	tokfetch_conn_why(f, (int)e);
	f->conn = NULL; /* freed by libevent once the request is gone */
}

static void
tokfetch_conn_free(evutil_socket_t fd, short what, void *conn)
{
	(void)fd;
	(void)what;
	evhttp_connection_free(conn);
}

/* The answer, read into a token or a reason. */
static void
tokfetch_answer(mg_tokfetch_t *f, struct evhttp_request *req, int status)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	mg_oauth_token_t t;
	char             why[300];

	if (mg_oauth_token_parse(status, (const char *)evbuffer_pullup(in, -1),
		evbuffer_get_length(in), &t, why, sizeof(why)) != MG_OK)
		f->done(f->arg, NULL, why);
	else
		f->done(f->arg, &t, NULL);
	OPENSSL_cleanse(evbuffer_pullup(in, -1), evbuffer_get_length(in));
}

static void
tokfetch_done_cb(struct evhttp_request *req, void *arg)
{
	mg_tokfetch_t *f = arg;
	int            status;

	if (f->conn == NULL) {
		free(f); /* the error callback told */
		return;
	}
	status = req ? evhttp_request_get_response_code(req) : 0;
	if (status == 0) {
		tokfetch_conn_why(f, -1);
		/* libevent's cleanup path does not free the connection, and
		 * uses its bufferevent after this returns: next turn */
		if (event_base_once(f->base, -1, EV_TIMEOUT, tokfetch_conn_free,
			f->conn, NULL) != 0)
			mg_error("event_base_once() failed while freeing the "
				 "token request's connection");
	} else
		tokfetch_answer(f, req, status);
	free(f);
}

static int
tokfetch_request(mg_tokfetch_t *f, const char *basic, const char *form)
{
	struct evhttp_request *req;
	struct evkeyvalq      *h;

	if ((req = evhttp_request_new(tokfetch_done_cb, f)) == NULL)
		return MG_ERROR;
	evhttp_request_set_error_cb(req, tokfetch_error_cb);
	h = evhttp_request_get_output_headers(req);
	if (evhttp_add_header(h, "Host", f->s->authority) != 0 ||
	    evhttp_add_header(
		h, "Content-Type", "application/x-www-form-urlencoded") != 0 ||
	    evhttp_add_header(h, "Accept", "application/json") != 0 ||
	    evhttp_add_header(h, "Connection", "close") != 0 ||
	    (basic != NULL &&
		evhttp_add_header(h, "Authorization", basic) != 0) ||
	    evbuffer_add(evhttp_request_get_output_buffer(req), form,
		strlen(form)) != 0) {
		evhttp_request_free(req);
		return MG_ERROR;
	}
	/* on failure libevent has freed the request */
	return evhttp_make_request(f->conn, req, EVHTTP_REQ_POST, f->s->path) ==
		0
	    ? MG_OK
	    : MG_ERROR;
}

mg_tokfetch_t *
mg_tokfetch_start(struct event_base *base, struct evdns_base *dns,
    struct ssl_ctx_st *tls, const mg_upstream_t *up, const mg_oauth_client_t *o,
    const char *basic, const char *form, mg_tokfetch_done_t done, void *arg,
    char *why, size_t whylen)
{
	const mg_upstream_server_t *s = &o->token;
	struct bufferevent         *bev = NULL;
	int64_t                     ms = up->connect_timeout;
	struct timeval              tv = { ms / 1000, (ms % 1000) * 1000 };
	mg_tokfetch_t              *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	*f = (mg_tokfetch_t){ base, up, s, NULL, done, arg };
	if (s->tls && (bev = mg_tls_client_bev(base, tls, s->host)) == NULL) {
		snprintf(why, whylen, "cannot set up TLS");
		free(f);
		return NULL;
	}
	f->conn = evhttp_connection_base_bufferevent_new(
	    base, dns, bev, s->host, (unsigned short)atoi(s->port));
	if (f->conn == NULL) {
		if (bev != NULL)
			bufferevent_free(bev);
		snprintf(why, whylen, "out of memory");
		free(f);
		return NULL;
	}
	evhttp_connection_set_timeout_tv(f->conn, &tv);
	evhttp_connection_set_max_body_size(f->conn, TOKFETCH_BODY_MAX);
	evhttp_connection_set_max_headers_size(f->conn, TOKFETCH_HEAD_MAX);
	if (tokfetch_request(f, basic, form) != MG_OK) {
		evhttp_connection_free(f->conn);
		snprintf(why, whylen, "cannot send the token request");
		free(f);
		return NULL;
	}
	evhttp_connection_free_on_completion(f->conn);
	return f;
}

void
mg_tokfetch_cancel(mg_tokfetch_t *f)
{
	if (f == NULL)
		return;
	if (f->conn != NULL)
		evhttp_connection_free(f->conn);
	else
		return; /* told already: libevent's done callback frees it */
	free(f);
}
