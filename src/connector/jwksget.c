/*
 * One GET of a jwks_url (jwksget.h): a bufferevent over TLS (tls.c),
 * connected by name through evdns, the answer read with http-parser.  A
 * deadline covers the whole of it, and the body is refused past its
 * limit as soon as the length or the bytes say so, so that a slow or
 * endless server costs the connector a timer and a bounded buffer.  The
 * end is always told on a later turn of the loop (the timer, made
 * active), never from inside a call of the caller's.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <http_parser.h>

#include "jwksget.h"
#include "tls.h"

struct mg_jwksget {
	struct bufferevent         *bev;
	struct event               *timer; /* the deadline, then the end */
	http_parser                 parser;
	struct evbuffer            *body;
	const mg_upstream_server_t *url;
	size_t                      max;
	int64_t                     ms;
	int                         complete; /* the whole answer is in */
	int                         over;     /* the end is decided */
	int                         got_bytes;
	char                        why[256]; /* "": success */
	mg_jwksget_done_fn          done;
	void                       *arg;
};

/* Decide the end (the first reason wins), close the connection now and
 * tell the caller on the next turn of the loop. */
static void __attribute__((format(printf, 2, 3)))
get_end(mg_jwksget_t *g, const char *fmt, ...)
{
	va_list ap;

	if (g->over)
		return;
	g->over = 1;
	g->why[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(g->why, sizeof(g->why), fmt, ap);
		va_end(ap);
	}
	if (g->bev != NULL) {
		bufferevent_free(g->bev);
		g->bev = NULL;
	}
	event_del(g->timer);
	event_active(g->timer, EV_TIMEOUT, 0);
}

static void
get_free(mg_jwksget_t *g)
{
	if (g->bev != NULL)
		bufferevent_free(g->bev);
	if (g->timer != NULL)
		event_free(g->timer);
	if (g->body != NULL)
		evbuffer_free(g->body);
	free(g);
}

/* The deadline passed, or the end was decided: tell the caller. */
static void
get_timer(evutil_socket_t fd, short what, void *arg)
{
	mg_jwksget_t *g = arg;
	size_t        len;

	(void)fd, (void)what;
	if (!g->over) {
		get_end(g, "timed out after %lld ms", (long long)g->ms);
		return;
	}
	len = evbuffer_get_length(g->body);
	if (g->why[0] == '\0')
		g->done(g->arg, (const char *)evbuffer_pullup(g->body, -1), len,
		    NULL);
	else
		g->done(g->arg, NULL, 0, g->why);
	get_free(g);
}

/* ---- the answer ------------------------------------------------------ */

static int
on_headers_complete(http_parser *p)
{
	mg_jwksget_t *g = p->data;

	if (p->status_code != 200)
		get_end(g, "the server answered %u", p->status_code);
	else if (p->content_length != (uint64_t)-1 &&
	    p->content_length > g->max)
		get_end(g, "the set is larger than %zu bytes (%llu)", g->max,
		    (unsigned long long)p->content_length);
	return g->over;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	mg_jwksget_t *g = p->data;

	if (len > g->max - evbuffer_get_length(g->body))
		get_end(g, "the set is larger than %zu bytes", g->max);
	else if (evbuffer_add(g->body, at, len) != 0)
		get_end(g, "out of memory");
	return g->over;
}

static int
on_message_complete(http_parser *p)
{
	mg_jwksget_t *g = p->data;

	g->complete = 1;
	return 1; /* stop: nothing after it is read */
}

static const http_parser_settings settings = {
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

static void
get_parse(mg_jwksget_t *g, const char *p, size_t n)
{
	http_parser_execute(&g->parser, &settings, p, n);
	if (g->over)
		return;
	if (g->complete)
		get_end(g, NULL);
	else if (HTTP_PARSER_ERRNO(&g->parser) != HPE_OK)
		get_end(g, "malformed HTTP answer (%s)",
		    http_errno_description(HTTP_PARSER_ERRNO(&g->parser)));
}

static void
get_read(struct bufferevent *bev, void *arg)
{
	mg_jwksget_t    *g = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t           n;

	g->got_bytes = 1;
	while (!g->over && (n = evbuffer_get_contiguous_space(in)) > 0) {
		get_parse(g, (const char *)evbuffer_pullup(in, (ssize_t)n), n);
		if (g->bev != NULL)
			evbuffer_drain(in, n);
	}
}

/* Errors before the first byte: the name, the connect, or TLS. */
static void
get_failed(mg_jwksget_t *g, struct bufferevent *bev, int e)
{
	char why[200];
	int  dns = bufferevent_socket_get_dns_error(bev);

	if (dns != 0)
		get_end(g, "cannot resolve \"%s\" (%s)", g->url->host,
		    evutil_gai_strerror(dns));
	else if (e == ECONNREFUSED || e == ENETUNREACH || e == EHOSTUNREACH ||
	    e == ETIMEDOUT || e == EADDRNOTAVAIL)
		get_end(g, "connect() to %s failed (%s)", g->url->authority,
		    evutil_socket_error_to_string(e));
	else {
		mg_tls_error(bev, why, sizeof(why));
		get_end(g, "%s", why);
	}
}

static void
get_event(struct bufferevent *bev, short what, void *arg)
{
	mg_jwksget_t *g = arg;
	int           e = EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (!g->got_bytes)
		get_failed(g, bev, e); /* a refused connect may look like EOF */
	else if (what & BEV_EVENT_EOF) {
		get_parse(
		    g, NULL, 0); /* a body that ends with the connection */
		get_end(g,
		    "the server closed the connection before the "
		    "answer ended");
	} else
		get_end(
		    g, "read() failed (%s)", evutil_socket_error_to_string(e));
}

/* ---- the request ----------------------------------------------------- */

static int
get_request(mg_jwksget_t *g)
{
	return evbuffer_add_printf(bufferevent_get_output(g->bev),
		   "GET %s HTTP/1.1\r\n"
		   "Host: %s\r\n"
		   "Accept: application/jwk-set+json, application/json\r\n"
		   "User-Agent: mcpgw/" PACKAGE_VERSION "\r\n"
		   "Connection: close\r\n\r\n",
		   g->url->path, g->url->authority) < 0
	    ? MG_ERROR
	    : MG_OK;
}

mg_jwksget_t *
mg_jwksget_start(struct event_base *base, struct evdns_base *dns,
    struct ssl_ctx_st *ctx, const mg_upstream_server_t *url, int64_t ms,
    size_t max, mg_jwksget_done_fn done, void *arg)
{
	mg_jwksget_t  *g = calloc(1, sizeof(*g));
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (g == NULL)
		return NULL;
	*g = (mg_jwksget_t){
		.url = url, .max = max, .ms = ms, .done = done, .arg = arg
	};
	http_parser_init(&g->parser, HTTP_RESPONSE);
	g->parser.data = g;
	g->timer = evtimer_new(base, get_timer, g);
	g->body = evbuffer_new();
	g->bev = mg_tls_client_bev(base, ctx, url->host);
	if (g->timer == NULL || g->body == NULL || g->bev == NULL ||
	    evtimer_add(g->timer, &tv) != 0 || get_request(g) != MG_OK)
		goto fail;
	bufferevent_setcb(g->bev, get_read, NULL, get_event, g);
	bufferevent_enable(g->bev, EV_READ | EV_WRITE);
	/* a numeric host resolves at once; a name through evdns, later */
	if (bufferevent_socket_connect_hostname(
		g->bev, dns, AF_UNSPEC, url->host, atoi(url->port)) != 0 &&
	    !g->over)
		get_end(g, "connect() to %s failed (%s)", url->authority,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	return g;
fail:
	get_free(g);
	return NULL;
}

void
mg_jwksget_cancel(mg_jwksget_t *g)
{
	if (g != NULL)
		get_free(g);
}
