/*
 * Legacy HTTP+SSE upstreams (revision 2024-11-05, the connector): the
 * "sse" row of the transport table.  Such a server is a message stream
 * per session, as a stdio server is: the connector GETs the server URL
 * and holds the SSE stream, whose first event ("endpoint") names the URL
 * to POST each message to; the server answers a POST with 202 and sends
 * its answers, notifications and requests as "message" events on the
 * stream.  So a session here is the stdio transport's session (stdioup.c:
 * exchanges, ids of our own, messages routed by id and progressToken,
 * reopened with the client's initialize params, the bridge) on a link of
 * this file instead of a process's pipes.
 *
 * The endpoint is resolved against the server URL (evhttp_uri) and must
 * be on the server's scheme, host and port.  It must come within
 * connect_timeout; max_message_size bounds an event; an idle stream is
 * kept (TCP keep-alive), and its end ends the session: its next request
 * opens another.
 */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <json-c/json.h>

#include "ipc.h"
#include "jsonrpc.h"
#include "log.h"
#include "dial.h"
#include "sse.h"
#include "stdioup.h"
#include "tls.h"

#define SSE_HEAD_MAX (16 * 1024) /* of an answer's head */
#define SSE_POST_MAX (64 * 1024) /* of a POST's answer ("Accepted") */
#define SSE_KEEPIDLE 60          /* s of silence before TCP keep-alives */

typedef struct {
	struct evdns_base  *dns; /* resolver's */
	mg_resolver_t      *resolver;
	struct ssl_ctx_st **tls; /* by upstream index; NULL: http */
	size_t              ntls;
	/* protocol auto: found to speak HTTP+SSE, by upstream index */
	unsigned char *learned;
	int            detect; /* the exchange starting was handed over */
} sse_state_t;

typedef struct early {
	struct early *next;
	size_t        len;
	char          msg[];
} early_t;

struct post;

typedef struct {
	proc_t                   *p;
	struct evhttp_connection *get, *post;
	struct post              *posts; /* in flight: freed with the link
					  * (libevent frees their requests
					  * without calling back) */
	mg_sse_parser_t *parser;
	char            *endpoint; /* path?query; NULL: not yet */
	early_t         *early;    /* messages before it, in order */
	struct event    *wait;     /* for the endpoint */
	int              closed;
	int              streaming; /* its head was 200 SSE */
	int        detect; /* protocol auto: the status that refused our POST */
	mg_turn_t *turn;   /* the server's addresses, in turn (dial.h) */
} sselink_t;

/* A message posted: its id (ours, JSON text), to answer a failure. */
typedef struct post {
	sselink_t   *l;
	struct post *next, **prev; /* in l->posts */
	char         key[32];      /* "": none */
	char         head[81];     /* its first bytes, for the log */
} post_t;

static void
post_free(post_t *pm)
{
	if ((*pm->prev = pm->next) != NULL)
		pm->next->prev = pm->prev;
	free(pm);
}

static sse_state_t *
link_state(const proc_t *p)
{
	return p->s->link_state;
}

/* The session fails: why, in the words of a detection if it was one. */
static void
link_fail(sselink_t *l, const char *why)
{
	char msg[320];

	if (l->detect && l->endpoint == NULL) {
		snprintf(msg, sizeof(msg),
		    "neither Streamable HTTP (it refused our POST with HTTP "
		    "%d) nor HTTP+SSE (%s)",
		    l->detect, why);
		why = msg;
	}
	mg_warn("upstream \"%s\": %s", l->p->up->name, why);
	mg_stdio_stop(l->p, why);
}

/* ---- connections ------------------------------------------------------ */

static struct evhttp_connection *
sse_conn(proc_t *p, int64_t ms)
{
	const mg_upstream_server_t *sv = &p->up->server;
	sse_state_t                *st = link_state(p);
	struct bufferevent         *bev = NULL;
	struct evhttp_connection   *c;
	struct timeval              tv = { ms / 1000, (ms % 1000) * 1000 };

	if (sv->tls &&
	    (bev = mg_tls_client_bev(
		 p->s->base, st->tls[p->up->index], sv->host)) == NULL)
		return NULL;
	c = evhttp_connection_base_bufferevent_new(p->s->base, st->dns, bev,
	    mg_turn_addr(((sselink_t *)p->link)->turn),
	    (unsigned short)atoi(sv->port));
	if (c == NULL) {
		if (bev != NULL)
			bufferevent_free(bev);
		return NULL;
	}
	if (ms > 0)
		evhttp_connection_set_timeout_tv(c, &tv);
	evhttp_connection_set_max_headers_size(c, SSE_HEAD_MAX);
	return c;
}

/* The upstream's header lines and Host on a request of ours. */
static int
sse_headers(proc_t *p, struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char       *line, *colon;
	char              name[128];

	if (evhttp_add_header(h, "Host", p->up->server.authority) != 0)
		return MG_ERROR;
	for (size_t i = 0; i < p->up->nheaders; i++) {
		line = p->up->headers[i];
		if ((colon = strchr(line, ':')) == NULL ||
		    (size_t)(colon - line) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(colon - line), line);
		if (evhttp_add_header(h, name, colon + 1 + (colon[1] == ' ')) !=
		    0)
			return MG_ERROR;
	}
	for (const mg_upstream_var_t *v = p->up->secret_headers; v; v = v->next)
		if (v->value != NULL &&
		    evhttp_add_header(h, v->name, v->value) != 0)
			return MG_ERROR;
	return MG_OK;
}

/* ---- posting messages -------------------------------------------------- */

/* The POST of a request failed: its exchange hears why, as an error
 * answer under its id. */
static void
post_failed(post_t *pm, const char *why)
{
	proc_t *p = pm->l->p;
	char    line[512];
	int     n;

	mg_warn("upstream \"%s\": %s: %s", p->up->name, why, pm->head);
	if (pm->key[0] == '\0' || pm->l->closed)
		return;
	n = snprintf(line, sizeof(line),
	    "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":%d,"
	    "\"message\":\"%s\"}}",
	    pm->key, STDIO_ERR, why);
	if (n > 0 && (size_t)n < sizeof(line))
		mg_stdio_line(p, line, (size_t)n);
}

static void
post_done_cb(struct evhttp_request *req, void *arg)
{
	post_t *pm = arg;
	int     status = req ? evhttp_request_get_response_code(req) : 0;
	char    why[160];

	if (status == 0)
		snprintf(why, sizeof(why),
		    "a message posted to the HTTP+SSE endpoint got no answer "
		    "(refused, timed out or closed)");
	else if (status < 200 || status > 299)
		snprintf(why, sizeof(why),
		    "the HTTP+SSE endpoint answered HTTP %d to a message",
		    status);
	if (status < 200 || status > 299)
		post_failed(pm, why);
	post_free(pm);
}

/* The id of MSG (JSON text) if it is a request, into KEY. */
static void
post_key(const char *msg, size_t len, char *key, size_t n)
{
	struct json_object *m = mg_json_parse(msg, len), *id;

	key[0] = '\0';
	if (m != NULL && json_object_object_get_ex(m, "method", NULL) &&
	    json_object_object_get_ex(m, "id", &id))
		snprintf(key, n, "%s",
		    json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN));
	json_object_put(m);
}

static int
post_send(sselink_t *l, const char *msg, size_t len)
{
	struct evhttp_request *req;
	post_t                *pm = calloc(1, sizeof(*pm));

	if (pm == NULL)
		return MG_ERROR;
	pm->l = l;
	if ((pm->next = l->posts) != NULL)
		pm->next->prev = &pm->next;
	pm->prev = &l->posts;
	l->posts = pm;
	post_key(msg, len, pm->key, sizeof(pm->key));
	snprintf(pm->head, sizeof(pm->head), "%.*s", (int)(len < 80 ? len : 80),
	    msg);
	if ((req = evhttp_request_new(post_done_cb, pm)) == NULL) {
		post_free(pm);
		return MG_ERROR;
	}
	if (sse_headers(l->p, req) != MG_OK ||
	    evhttp_add_header(evhttp_request_get_output_headers(req),
		"Content-Type", "application/json") != 0 ||
	    evbuffer_add(evhttp_request_get_output_buffer(req), msg, len) !=
		0) {
		evhttp_request_free(req);
		post_free(pm);
		return MG_ERROR;
	}
	/* on failure libevent has freed the request and called back */
	return evhttp_make_request(
		   l->post, req, EVHTTP_REQ_POST, l->endpoint) == 0
	    ? MG_OK
	    : MG_ERROR;
}

static int
link_write(proc_t *p, const char *msg, size_t len)
{
	sselink_t *l = p->link;
	early_t   *e, **ep;

	if (l->closed)
		return MG_ERROR;
	if (l->endpoint != NULL) {
		if (post_send(l, msg, len) == MG_OK)
			return MG_OK;
		/* as a process that takes no more: its exchanges end */
		mg_stdio_stop(p, "cannot post to its endpoint");
		return MG_ERROR;
	}
	if ((e = malloc(sizeof(*e) + len)) == NULL)
		return MG_ERROR;
	e->next = NULL;
	e->len = len;
	memcpy(e->msg, msg, len);
	for (ep = &l->early; *ep != NULL; ep = &(*ep)->next)
		;
	*ep = e;
	return MG_OK;
}

/* ---- the endpoint ------------------------------------------------------- */

static int
uri_port(const struct evhttp_uri *u, const char *scheme)
{
	int port = evhttp_uri_get_port(u);

	return port >= 0 ? port : strcasecmp(scheme, "https") == 0 ? 443 : 80;
}

/* Is E (with a host) on BASE's scheme, host and port? */
static int
endpoint_same_origin(const struct evhttp_uri *base, const struct evhttp_uri *e)
{
	const char *bs = evhttp_uri_get_scheme(base);
	const char *es =
	    evhttp_uri_get_scheme(e) ? evhttp_uri_get_scheme(e) : bs;

	return strcasecmp(bs, es) == 0 &&
	    strcasecmp(evhttp_uri_get_host(base), evhttp_uri_get_host(e)) ==
	    0 &&
	    uri_port(base, bs) == uri_port(e, es);
}

/* The endpoint DATA announced, resolved against the server URL: its path
 * and query, or NULL (WHY says why). */
static char *
endpoint_resolve(const mg_upstream_t *up, const char *data, char *why, size_t n)
{
	struct evhttp_uri *base = evhttp_uri_parse(up->server.url);
	struct evhttp_uri *e = evhttp_uri_parse(data);
	const char        *path, *query, *slash;
	char              *out = NULL;
	int                dir = 0;

	if (base == NULL || e == NULL)
		snprintf(
		    why, n, "its endpoint event is not a URL: %.80s", data);
	else if (evhttp_uri_get_host(e) != NULL &&
	    !endpoint_same_origin(base, e))
		snprintf(why, n,
		    "its endpoint event names another origin than the server "
		    "URL's (%.80s): refused",
		    data);
	else if (evhttp_uri_get_scheme(e) != NULL &&
	    evhttp_uri_get_host(e) == NULL)
		snprintf(
		    why, n, "its endpoint event is not a URL: %.80s", data);
	else {
		path = evhttp_uri_get_path(e);
		query = evhttp_uri_get_query(e);
		if (path == NULL || path[0] == '\0')
			path = evhttp_uri_get_path(base);
		else if (path[0] != '/') {
			slash = strrchr(evhttp_uri_get_path(base), '/');
			dir = slash ? (int)(slash - evhttp_uri_get_path(base))
				    : 0;
		}
		if (asprintf(&out, "%.*s%s%s%s%s", dir,
			evhttp_uri_get_path(base), path[0] != '/' ? "/" : "",
			path, query ? "?" : "", query ? query : "") < 0)
			out = NULL;
	}
	if (base != NULL)
		evhttp_uri_free(base);
	if (e != NULL)
		evhttp_uri_free(e);
	return out;
}

static void
link_endpoint(sselink_t *l, const char *data)
{
	proc_t  *p = l->p;
	char     why[200];
	early_t *e;

	if (l->endpoint != NULL) {
		mg_warn("upstream \"%s\": a second endpoint event, ignored",
		    p->up->name);
		return;
	}
	if ((l->endpoint = endpoint_resolve(p->up, data, why, sizeof(why))) ==
	    NULL) {
		link_fail(l, why);
		return;
	}
	if (l->detect && !link_state(p)->learned[p->up->index]) {
		link_state(p)->learned[p->up->index] = 1;
		mg_notice("upstream \"%s\" speaks the 2024-11-05 HTTP+SSE "
			  "transport (it refused our POST with HTTP %d and "
			  "its GET stream names an endpoint): used from now "
			  "on",
		    p->up->name, l->detect);
	}
	evtimer_del(l->wait);
	l->post = sse_conn(p,
	    p->up->read_timeout > 0 ? p->up->read_timeout
				    : p->up->connect_timeout);
	if (l->post == NULL) {
		mg_stdio_stop(p, "cannot set up a connection for its POSTs");
		return;
	}
	mg_info("upstream \"%s\": HTTP+SSE session open, posting to %s",
	    p->up->name, l->endpoint);
	while ((e = l->early) != NULL && !l->closed) {
		l->early = e->next;
		if (post_send(l, e->msg, e->len) != MG_OK)
			mg_stdio_stop(p, "cannot post to its endpoint");
		free(e);
	}
}

/* ---- the stream -------------------------------------------------------- */

static void
link_event(void *arg, const mg_sse_event_t *ev)
{
	sselink_t *l = arg;

	if (l->closed || !ev->has_data)
		return;
	if (strcmp(ev->type, "endpoint") == 0)
		link_endpoint(l, ev->data);
	else if (l->endpoint == NULL)
		link_fail(l, "its stream did not begin with an endpoint event");
	else if (strcmp(ev->type, "message") == 0)
		mg_stdio_line(l->p, ev->data, ev->data_len);
	else
		mg_debug("upstream \"%s\": an SSE event \"%.40s\" ignored",
		    l->p->up->name, ev->type);
}

static void
get_chunk_cb(struct evhttp_request *req, void *arg)
{
	sselink_t       *l = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t           len = evbuffer_get_length(in);

	if (l->closed || len == 0)
		return;
	if (mg_sse_parser_feed(l->parser,
		(const char *)evbuffer_pullup(in, (ev_ssize_t)len),
		len) != MG_OK)
		mg_stdio_stop(l->p,
		    "an SSE event of its stream is over max_message_size");
}

/* The stream's head: 200 and text/event-stream, or the session fails. */
static int
get_head_cb(struct evhttp_request *req, void *arg)
{
	sselink_t  *l = arg;
	int         status = evhttp_request_get_response_code(req);
	const char *ct = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");
	char why[160];
	int  fd;

	if (l->closed)
		return -1;
	if (status != 200 || ct == NULL ||
	    strncasecmp(ct, "text/event-stream", 17) != 0) {
		snprintf(why, sizeof(why),
		    "GET %s answered HTTP %d (%.40s), not an SSE stream",
		    l->p->up->server.path, status, ct ? ct : "no Content-Type");
		link_fail(l, why);
		return -1;
	}
	l->streaming = 1;
	/* an idle stream stays: no read timeout, TCP keep-alives instead */
	bufferevent_set_timeouts(
	    evhttp_connection_get_bufferevent(l->get), NULL, NULL);
	if ((fd = bufferevent_getfd(
		 evhttp_connection_get_bufferevent(l->get))) >= 0) {
		int on = 1, idle = SSE_KEEPIDLE;

		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	}
	return 0;
}

/* Why the stream's TLS failed, if it did: 1 and WHY. */
static int
tls_why(sselink_t *l, char *why, size_t n)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(l->get);

	why[0] = '\0';
	if (l->p->up->server.tls && bev != NULL)
		mg_tls_error(bev, why, n);
	return why[0] != '\0';
}

/* The stream ended (or never began). */
static void
get_done_cb(struct evhttp_request *req, void *arg)
{
	sselink_t *l = arg;
	int        status = req ? evhttp_request_get_response_code(req) : 0;
	char       why[300], tlswhy[120];

	if (l->closed)
		return;
	if (!l->streaming && status == 0 && mg_turn_next(l->turn))
		return; /* link_ready, with its next address */
	if (l->streaming || status != 0)
		snprintf(why, sizeof(why), "its SSE stream ended");
	else
		snprintf(why, sizeof(why),
		    "cannot connect to %s:%s, or it closed before an "
		    "answer%s%s",
		    l->p->up->server.host, l->p->up->server.port,
		    tls_why(l, tlswhy, sizeof(tlswhy)) ? ": " : "", tlswhy);
	link_fail(l, why);
}

static int link_get(sselink_t *l);

/* An address of the server to try: the GET stream there. */
static void
link_ready(void *arg, const char *err)
{
	sselink_t *l = arg;

	if (l->closed)
		return;
	if (err != NULL) {
		link_fail(l, err);
		return;
	}
	if (l->get != NULL)
		evhttp_connection_free(l->get);
	if (link_get(l) != MG_OK)
		link_fail(l,
		    "cannot start its SSE stream (out of memory or "
		    "TLS)");
}

static void
link_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	sselink_t *l = arg;
	char       why[120];

	(void)fd;
	(void)what;
	snprintf(why, sizeof(why),
	    "no endpoint event on its SSE stream within connect_timeout "
	    "(%lld ms)",
	    (long long)l->p->up->connect_timeout);
	link_fail(l, why);
}

/* The GET that opens the stream, to l->addr. */
static int
link_get(sselink_t *l)
{
	proc_t                *p = l->p;
	struct evhttp_request *req;

	if ((l->get = sse_conn(p, p->up->connect_timeout)) == NULL ||
	    (req = evhttp_request_new(get_done_cb, l)) == NULL)
		return MG_ERROR;
	evhttp_request_set_header_cb(req, get_head_cb);
	evhttp_request_set_chunked_cb(req, get_chunk_cb);
	if (sse_headers(p, req) != MG_OK ||
	    evhttp_add_header(evhttp_request_get_output_headers(req), "Accept",
		"text/event-stream") != 0) {
		evhttp_request_free(req);
		return MG_ERROR;
	}
	/* on failure evhttp frees REQ */
	return evhttp_make_request(
		   l->get, req, EVHTTP_REQ_GET, p->up->server.path) == 0
	    ? MG_OK
	    : MG_ERROR;
}

/* The stream opens once the server's name is resolved (link_resolved),
 * all within connect_timeout. */
static int
link_open(proc_t *p)
{
	sselink_t     *l = calloc(1, sizeof(*l));
	int64_t        ms = p->up->connect_timeout;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (l == NULL)
		return MG_ERROR;
	l->p = p;
	l->detect = link_state(p)->detect;
	p->link = l;
	l->parser =
	    mg_sse_parser_new((size_t)p->up->max_message_size, link_event, l);
	l->wait = evtimer_new(p->s->base, link_wait_cb, l);
	if (l->parser == NULL || l->wait == NULL ||
	    (l->turn = mg_turn_new(p->s->base, link_state(p)->resolver,
		 p->up->server.host, p->up->server.port, link_ready, l)) ==
		NULL)
		goto fail;
	if (ms > 0)
		evtimer_add(l->wait, &tv);
	mg_info("upstream \"%s\": opening an HTTP+SSE session (GET %s)",
	    p->up->name, p->up->server.url);
	return MG_OK;
fail:
	mg_error("upstream \"%s\": cannot start its SSE stream (out of "
		 "memory)",
	    p->up->name);
	mg_sse_parser_free(l->parser);
	if (l->wait)
		event_free(l->wait);
	free(l);
	p->link = NULL;
	return MG_ERROR;
}

/* No more callbacks are heard; the connections go with the link. */
static void
link_close(proc_t *p)
{
	sselink_t *l = p->link;

	l->closed = 1;
	evtimer_del(l->wait);
}

static void
link_free(proc_t *p)
{
	sselink_t *l = p->link;
	early_t   *e;

	if (l == NULL)
		return;
	if (l->get)
		evhttp_connection_free(l->get);
	if (l->post)
		evhttp_connection_free(l->post);
	while (l->posts != NULL)
		post_free(l->posts);
	mg_sse_parser_free(l->parser);
	event_free(l->wait);
	mg_turn_free(l->turn);
	while ((e = l->early) != NULL) {
		l->early = e->next;
		free(e);
	}
	free(l->endpoint);
	free(l);
	p->link = NULL;
}

static const mg_stdio_link_t sse_link = {
	.prefix = "sse-",
	.open = link_open,
	.write = link_write,
	.close = link_close,
	.free = link_free,
};

/* ---- the transport ---------------------------------------------------- */

static int
sse_serves(const mg_upstream_t *up)
{
	return up->server.url != NULL && up->protocol == MG_PROTOCOL_2024;
}

static void sse_free(void *state);

static void *
sse_new(struct event_base *base, const mg_conf_t *conf,
    const struct mg_tls_set *tls)
{
	sse_state_t *st = calloc(1, sizeof(*st));
	mg_stdio_t  *s;
	size_t       n = 0;

	if (st == NULL)
		return NULL;
	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next)
		n++;
	st->ntls = n;
	st->tls = calloc(n ? n : 1, sizeof(*st->tls));
	st->learned = calloc(n ? n : 1, 1);
	if ((st->resolver = mg_resolver_new(base, conf)) != NULL)
		st->dns = mg_resolver_dns(st->resolver);
	s = mg_stdio_new_link(base, conf, &mg_transport_sse, &sse_link);
	if (st->tls == NULL || st->learned == NULL || st->dns == NULL ||
	    s == NULL) {
		mg_resolver_free(st->resolver);
		free(st->tls);
		free(st->learned);
		free(st);
		if (s != NULL)
			mg_stdio_free(s);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		st->tls[i] = tls->upstreams[i];
	s->link_state = st;
	return s;
}

static void
sse_free(void *state)
{
	mg_stdio_t  *s = state;
	sse_state_t *st = s->link_state;

	mg_stdio_free(s); /* its links' connections first */
	mg_resolver_free(st->resolver);
	free(st->tls);
	free(st->learned);
	free(st);
}

/* The rest is the stdio row's: the same exchanges on another link. */
static mg_upx_t *
sse_start(void *state, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	mg_stdio_t  *s = state;
	sse_state_t *st = s->link_state;
	mg_upx_t    *h;

	st->detect = req->detect; /* for the link it may open */
	h = mg_transport_stdio.start(state, req, ops);
	st->detect = 0;
	return h;
}

/* Under protocol auto, found to speak HTTP+SSE (its endpoint came). */
static int
sse_learned(void *state, const mg_upstream_t *up)
{
	mg_stdio_t  *s = state;
	sse_state_t *st = s->link_state;

	return up->index >= 0 && (size_t)up->index < st->ntls &&
	    st->learned[up->index];
}

static void
sse_take_own(void *state, int64_t idle_ms,
    void (*fn)(void *arg, const mg_upstream_t *up, const char *sid,
	const char *version),
    void *arg)
{
	mg_transport_stdio.take_own(state, idle_ms, fn, arg);
}

static int
sse_stop_all(void *state, void (*stopped)(void *arg), void *arg)
{
	return mg_transport_stdio.stop_all(state, stopped, arg);
}

static void
sse_cancel(mg_upx_t *h)
{
	mg_transport_stdio.cancel(h);
}

static void
sse_park(mg_upx_t *h, const mg_up_ops_t *ops)
{
	mg_transport_stdio.park(h, ops);
}

static void
sse_resume(
    mg_upx_t *h, const mg_up_ops_t *ops, const char *body, size_t len, int caps)
{
	mg_transport_stdio.resume(h, ops, body, len, caps);
}

static const char *
sse_version(const mg_upx_t *h)
{
	return mg_transport_stdio.version(h);
}

const mg_transport_t mg_transport_sse = {
	.name = "sse",
	.serves = sse_serves,
	.new = sse_new,
	.start = sse_start,
	.cancel = sse_cancel,
	.park = sse_park,
	.resume = sse_resume,
	.version = sse_version,
	.take_own = sse_take_own,
	.stop_all = sse_stop_all,
	.learned = sse_learned,
	.free = sse_free,
};
