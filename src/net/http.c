/*
 * HTTP/1.1 server connections: their life, from the accept (or the TLS
 * handshake) to the close, and the reading and parsing of their requests.
 * The request object is httpreq.c's, the answer httpout.c's.
 *
 * One request at a time per connection: when a request is complete the
 * parser is paused, and it resumes on what the client pipelined once the
 * answer is queued.  Each connection has one timer, armed for the phase
 * it is in: idle (keepalive_timeout), headers (header_timeout), body
 * (body_timeout); none while the application works or streams.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <http_parser.h>

#include "crash.h"
#include "http.h"
#include "http_int.h"
#include "log.h"
#include "sockopt.h"
#include "tls.h"

#define MG_HTTP_IN_PAUSED (64u * 1024) /* pipelined bytes held while busy */
#define MG_HTTP_FLUSH_MS 30000         /* to take the last answer */
#define MG_HTTP_LINGER_MS                                                      \
	2000 /* reading and dropping after an early answer                     \
	      */

static mg_http_conn_t      *conns;
static int                  nconns;
static int64_t              drain_idle_ms;
static http_parser_settings parser_settings;
int                         mg_http_draining;

static void conn_free(mg_http_conn_t *c);
static void conn_parse(mg_http_conn_t *c);

static void
conn_arm(mg_http_conn_t *c, int64_t ms)
{
	struct timeval tv;

	if (ms <= 0) {
		evtimer_del(c->timer);
		return;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/* How long an idle connection stays open: while the worker stops, never
 * longer than the drain allows, and never forever. */
static int64_t
idle_ms(const mg_http_conn_t *c)
{
	int64_t ms = c->limits->keepalive_timeout;

	if (!mg_http_draining)
		return ms;
	if (ms <= 0 || ms > drain_idle_ms)
		ms = drain_idle_ms;
	return ms > 0 ? ms : 1;
}

static void
conn_phase(mg_http_conn_t *c, phase_t phase)
{
	c->phase = phase;
	switch (phase) {
	case PHASE_IDLE: conn_arm(c, idle_ms(c)); break;
	case PHASE_HEADERS: conn_arm(c, c->limits->header_timeout); break;
	case PHASE_BODY:
		conn_arm(c,
		    c->req && c->req->body_timeout ? c->req->body_timeout
						   : c->limits->body_timeout);
		break;
	default: conn_arm(c, 0); break;
	}
}

/* ---- the head ----------------------------------------------------- */

/* Append parser bytes to the head; MG_ERROR past the header limit. */
static int
head_add(mg_http_req_t *r, const char *p, size_t len)
{
	char  *head;
	size_t cap = r->head_cap;

	if (r->head_len + len + 1 > r->conn->limits->max_header_size)
		return MG_ERROR;
	while (r->head_len + len + 1 > cap)
		cap *= 2;
	if (cap != r->head_cap) {
		if ((head = realloc(r->head, cap)) == NULL)
			return MG_ERROR;
		r->head = head;
		r->head_cap = cap;
	}
	memcpy(r->head + r->head_len, p, len);
	r->head_len += len;
	return MG_OK;
}

static int
head_end(mg_http_req_t *r)
{
	return head_add(r, "", 1);
}

/* The answer is queued: log it, then go on with the connection, or close
 * it once the answer is out. */
void
mg_http_req_done(mg_http_req_t *r)
{
	mg_http_conn_t *c = r->conn;
	/* keepalive_timeout 0: no keep-alive, as in nginx */
	int keep = r->keepalive && c->limits->keepalive_timeout > 0;

	if (c->handler->done)
		c->handler->done(c->handler->arg, r);
	c->req = NULL;
	req_free(r);
	if (!keep) {
		c->phase = PHASE_CLOSING;
		bufferevent_disable(c->bev, EV_READ);
		conn_arm(c, MG_HTTP_FLUSH_MS); /* a client that will not read */
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			conn_free(c);
		return;
	}
	conn_phase(c, PHASE_IDLE);
	if (c->paused)
		event_active(c->resume, EV_TIMEOUT, 0);
}

/* ---- parsing -------------------------------------------------------- */

/* Answer a request that cannot go on (limits, bad syntax) and stop
 * reading this connection. */
static int
early_error(mg_http_conn_t *c, int status, const char *message)
{
	mg_http_req_t *r = c->req;

	conn_hold(c);
	if (r == NULL && (r = c->req = mg_http_req_new(c)) == NULL) {
		conn_free(c);
		return -1;
	}
	if (r->path == NULL)
		r->path = "";
	r->keepalive = 0;
	mg_info("client %s: %d %s", c->peer, status, message);
	mg_http_reply_error(r, status, -32600, message);
	return 0;
}

static int
on_message_begin(http_parser *p)
{
	mg_http_conn_t *c = p->data;

	if ((c->req = mg_http_req_new(c)) == NULL)
		return -1;
	conn_phase(c, PHASE_HEADERS);
	return 0;
}

static int
on_url(http_parser *p, const char *at, size_t len)
{
	mg_http_conn_t *c = p->data;

	if (head_add(c->req, at, len) != MG_OK)
		return early_error(c, 431, "request line too long");
	return 0;
}

/* A header that had no value callback gets the empty string. */
static int
value_end(mg_http_req_t *r)
{
	header_t *h;

	if (r->nheaders == 0)
		return head_end(r); /* ends the url */
	h = &r->headers[r->nheaders - 1];
	if (!r->in_value)
		h->value = (uint32_t)r->head_len;
	return head_end(r);
}

/*
 * The fields of a chunked body's trailer are dropped, as RFC 9112 (7.1.2)
 * allows: the request was checked and routed on its header section, which
 * is complete and NUL-terminated by then, and a trailer field must not
 * pass for one of its fields.
 */
static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	mg_http_conn_t *c = p->data;
	mg_http_req_t  *r = c->req;
	header_t       *h;

	if (p->flags & F_TRAILING)
		return 0;
	if (r->nheaders == 0 || r->in_value) {
		/* a new header starts */
		if (r->nheaders == c->limits->max_headers)
			return early_error(c, 431, "too many header fields");
		if (value_end(r) != MG_OK)
			return early_error(c, 431, "header fields too large");
		h = &r->headers[r->nheaders++];
		*h = (header_t){ .name = (uint32_t)r->head_len };
		r->in_value = 0;
	}
	h = &r->headers[r->nheaders - 1];
	/* RFC 9112 5.1: a server MUST refuse whitespace in a field name
	 * (http_parser's lenient build takes spaces there; tabs it refuses) */
	if (memchr(at, ' ', len) != NULL)
		return early_error(c, 400,
		    "malformed HTTP request: whitespace in a header field "
		    "name");
	if (head_add(r, at, len) != MG_OK)
		return early_error(c, 431, "header fields too large");
	h->name_len += (uint32_t)len;
	return 0;
}

static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	mg_http_conn_t *c = p->data;
	mg_http_req_t  *r = c->req;
	header_t       *h = &r->headers[r->nheaders - 1];

	if (p->flags & F_TRAILING)
		return 0; /* a trailer field (on_header_field) */
	if (!r->in_value) {
		if (head_end(r) != MG_OK)
			return early_error(c, 431, "header fields too large");
		h->value = (uint32_t)r->head_len;
		r->in_value = 1;
	}
	if (head_add(r, at, len) != MG_OK)
		return early_error(c, 431, "header fields too large");
	h->value_len += (uint32_t)len;
	return 0;
}

static mg_http_method_t
method_of(unsigned m)
{
	switch (m) {
	case HTTP_GET: return MG_HTTP_GET;
	case HTTP_HEAD: return MG_HTTP_HEAD;
	case HTTP_POST: return MG_HTTP_POST;
	case HTTP_DELETE: return MG_HTTP_DELETE;
	case HTTP_OPTIONS: return MG_HTTP_OPTIONS;
	default: return MG_HTTP_OTHER;
	}
}

/* The path of the url: absolute-form loses scheme and authority; the
 * query is cut off (into *QUERY, "" if none). */
static char *
url_path(char *url, const char **query)
{
	char *p;

	if (strncasecmp(url, "http://", 7) == 0 ||
	    strncasecmp(url, "https://", 8) == 0) {
		p = strchr(url + 8, '/');
		url = p ? p : (char *)"/";
	}
	*query = "";
	if ((p = strchr(url, '#')) != NULL)
		*p = '\0';
	if ((p = strchr(url, '?')) != NULL) {
		*p = '\0';
		*query = p + 1;
	}
	return url;
}

static int
on_headers_complete(http_parser *p)
{
	mg_http_conn_t *c = p->data;
	mg_http_req_t  *r = c->req;
	size_t          limit;

	if (value_end(r) != MG_OK)
		return early_error(c, 431, "header fields too large");
	if (p->http_major != 1) /* 0.9, or a 2.0 and up that is no HTTP/1 */
		return early_error(c, 505, "HTTP version not supported");
	r->path = url_path(r->head, &r->query);
	/* the request line and headers as written ("M URL HTTP/1.1", "N:
	 * V" lines, CRLFs): HEAD holds the url and each name and value,
	 * NUL-ended (the body's bytes are added as they come) */
	r->head_in = strlen(http_method_str(p->method)) + r->head_len + 13 +
	    2 * (size_t)r->nheaders;
	r->method = method_of(p->method);
	mg_crash_doing(http_method_str(p->method), r->path, c->peer);
	r->keepalive = http_should_keep_alive(p);
	limit = c->handler->headers(c->handler->arg, r);
	if (c->req != r)
		return 0; /* answered (and gone) already: R is freed */
	r->body_limit = limit;
	if ((p->flags & F_CONTENTLENGTH) && p->content_length > r->body_limit)
		return early_error(c, 413, "request body too large");
	if (p->content_length > 0 || (p->flags & F_CHUNKED)) {
		const char *expect = req_header(r, "Expect");

		if (expect && strcasecmp(expect, "100-continue") == 0)
			bufferevent_write(
			    c->bev, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		conn_phase(c, PHASE_BODY);
	}
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	mg_http_conn_t *c = p->data;
	mg_http_req_t  *r = c->req;

	if (r->answered)
		return 0;
	if (evbuffer_get_length(r->body) + len > r->body_limit)
		return early_error(c, 413, "request body too large");
	evbuffer_add(r->body, at, len);
	r->body_in += len;
	conn_phase(c, PHASE_BODY); /* the body timeout runs between reads */
	return 0;
}

static int
on_message_complete(http_parser *p)
{
	mg_http_conn_t *c = p->data;
	mg_http_req_t  *r = c->req;

	http_parser_pause(p, 1);
	c->paused = 1;
	if (r->answered)
		return 0;
	conn_phase(c, PHASE_BUSY);
	/* Hold what the client pipelines, up to a bound, while we work. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, MG_HTTP_IN_PAUSED);
	c->handler->request(c->handler->arg, r);
	return 0;
}

static void
parse_error(mg_http_conn_t *c)
{
	enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
	char            msg[160];

	if (c->req != NULL && c->req->answered)
		return;
	snprintf(msg, sizeof(msg), "malformed HTTP request: %s",
	    http_errno_description(e));
	early_error(c, e == HPE_HEADER_OVERFLOW ? 431 : 400, msg);
}

static void conn_parse_in(mg_http_conn_t *c);

/* Parse what came, with what this worker has in hand named for a crash
 * report (on_headers_complete names the request). */
static void
conn_parse(mg_http_conn_t *c)
{
	mg_crash_doing("reading a request from", c->peer, NULL);
	conn_parse_in(c);
	mg_crash_done();
}

static void
conn_parse_in(mg_http_conn_t *c)
{
	struct evbuffer      *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	size_t                n;

	while (!c->paused && evbuffer_get_length(in) > 0) {
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		n = http_parser_execute(
		    &c->parser, &parser_settings, v.iov_base, v.iov_len);
		/* the connection may be gone: a callback answered and closed */
		if (c->phase == PHASE_CLOSING && c->req == NULL)
			return;
		evbuffer_drain(in, n);
		if (HTTP_PARSER_ERRNO(&c->parser) == HPE_PAUSED)
			break;
		if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) {
			parse_error(c);
			return;
		}
	}
}

/* ---- the connection ------------------------------------------------- */

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	mg_http_conn_t *c = arg;

	if (c->phase == PHASE_LINGER) {
		evbuffer_drain(bufferevent_get_input(bev),
		    evbuffer_get_length(bufferevent_get_input(bev)));
		return;
	}
	conn_parse(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	mg_http_conn_t *c = arg;

	mg_wflush_idle(c->wf);
	if (c->phase != PHASE_CLOSING || c->req != NULL)
		return;
	if (!c->linger) {
		conn_free(c);
		return;
	}
	/*
	 * The answer went out before the request was all in (413, 408, 431):
	 * closing now would reset the connection under bytes the client is
	 * still sending and destroy the answer.  Stop writing, read and drop
	 * what comes for a while, then close (nginx's lingering close).
	 */
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	c->phase = PHASE_LINGER;
	bufferevent_enable(c->bev, EV_READ);
	conn_arm(c, MG_HTTP_LINGER_MS);
}

/* The client is gone (or broke the connection): one path for all. */
static void
conn_lost(mg_http_conn_t *c, const char *why)
{
	mg_http_req_t *r = c->req;

	if (r != NULL && !r->answered && (c->phase == PHASE_BUSY)) {
		mg_debug(
		    "client %s closed the connection before the answer (%s)",
		    c->peer, why);
		r->status = 499;
		c->handler->aborted(c->handler->arg, r);
		if (c->handler->done)
			c->handler->done(c->handler->arg, r);
	} else if (r != NULL && c->phase == PHASE_STREAM) {
		mg_debug("client %s closed a stream (%s)", c->peer, why);
		c->handler->aborted(c->handler->arg, r);
		if (c->handler->done)
			c->handler->done(c->handler->arg, r);
	}
	conn_free(c);
}

/* The TLS handshake is done: the first request may come. */
static void
conn_handshaken(mg_http_conn_t *c)
{
	char subject[512];

	mg_tls_peer_subject(c->bev, subject, sizeof(subject));
	if (subject[0] != '\0')
		c->subject = strdup(subject);
	conn_phase(c, PHASE_HEADERS);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	mg_http_conn_t *c = arg;

	char why[300];

	if (c->phase == PHASE_HANDSHAKE) {
		if (what & BEV_EVENT_CONNECTED) {
			conn_handshaken(c);
			return;
		}
		/* garbage, plain HTTP, a peer that gave up: one line, gone */
		mg_tls_error(bev, why, sizeof(why));
		mg_info("TLS handshake with %s failed: %s", c->peer, why);
		conn_free(c);
		return;
	}
	if (what & BEV_EVENT_EOF)
		conn_lost(c, "end of file");
	else if (what & BEV_EVENT_ERROR)
		conn_lost(
		    c, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static void
conn_drained(void *arg)
{
	mg_http_conn_t *c = arg;

	conn_write_cb(c->bev, c);
}

static void
conn_write_failed(void *arg, int err)
{
	conn_lost(arg, evutil_socket_error_to_string(err));
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	mg_http_conn_t *c = arg;

	switch (c->phase) {
	case PHASE_HANDSHAKE:
		mg_info("TLS handshake with %s timed out", c->peer);
		conn_free(c);
		break;
	case PHASE_HEADERS:
		early_error(c, 408, "timed out reading the request headers");
		break;
	case PHASE_BODY:
		early_error(c, 408, "timed out reading the request body");
		break;
	default:
		/* idle keep-alive, or an answer the client would not take */
		conn_free(c);
		break;
	}
}

static void
conn_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	mg_http_conn_t *c = arg;

	if (c->req != NULL)
		return;
	conn_unhold(c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	conn_parse(c);
}

static void
settings_init(void)
{
	if (parser_settings.on_message_begin != NULL)
		return;
	parser_settings.on_message_begin = on_message_begin;
	parser_settings.on_url = on_url;
	parser_settings.on_header_field = on_header_field;
	parser_settings.on_header_value = on_header_value;
	parser_settings.on_headers_complete = on_headers_complete;
	parser_settings.on_body = on_body;
	parser_settings.on_message_complete = on_message_complete;
	/* ours is the limit that answers 431; the parser's is a backstop */
	http_parser_set_max_header_size(1024 * 1024);
}

static void
peer_text(char *out, size_t len, const struct sockaddr *sa)
{
	const void *a = NULL;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (a == NULL ||
	    inet_ntop(sa->sa_family, a, out, (socklen_t)len) == NULL)
		snprintf(out, len, "unix");
}

mg_http_conn_t *
mg_http_conn_new(struct event_base *base, int fd, const struct sockaddr *peer,
    socklen_t peerlen, void *listener, struct ssl_ctx_st *tls,
    const mg_http_limits_t *limits, const mg_http_handler_t *handler)
{
	mg_http_conn_t *c;

	settings_init();
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return NULL;
	}
	c->base = base;
	c->limits = limits;
	c->handler = handler;
	c->listener = listener;
	memcpy(&c->peer_addr, peer,
	    peerlen < sizeof(c->peer_addr) ? peerlen : sizeof(c->peer_addr));
	peer_text(c->peer, sizeof(c->peer), peer);
	c->peer_len = strlen(c->peer);
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	c->tls = tls != NULL;
	if (peer->sa_family == AF_INET || peer->sa_family == AF_INET6)
		mg_tcp_nodelay(fd);
	if (tls != NULL)
		c->bev = mg_tls_server_bev(base, fd, tls, listener);
	else
		c->bev =
		    bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->timer = evtimer_new(base, conn_timer_cb, c);
	c->resume = event_new(base, -1, 0, conn_resume_cb, c);
	if (c->bev == NULL || c->timer == NULL || c->resume == NULL) {
		if (c->bev == NULL)
			evutil_closesocket(fd);
		conn_free(c);
		return NULL;
	}
	bufferevent_setcb(
	    c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (tls == NULL) {
		mg_wflush_ops_t o = { conn_drained, conn_write_failed, c };

		if ((c->wf = mg_wflush_new(base, c->bev, &o)) == NULL) {
			conn_free(c);
			return NULL;
		}
	}
	/* The handshake, then the first request's headers, in their time. */
	c->phase = tls ? PHASE_HANDSHAKE : PHASE_HEADERS;
	conn_arm(c, tls ? limits->handshake_timeout : limits->header_timeout);
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	c->linked = 1;
	nconns++;
	return c;
}

static void
conn_free(mg_http_conn_t *c)
{
	if (c->req != NULL) {
		req_destroy(c->req);
		c->req = NULL;
	}
	if (c->spare != NULL)
		req_destroy(c->spare);
	mg_wflush_free(c->wf);
	if (c->bev)
		bufferevent_free(c->bev);
	free(c->subject);
	if (c->timer)
		event_free(c->timer);
	if (c->resume)
		event_free(c->resume);
	if (c->linked) {
		if (c->prev)
			c->prev->next = c->next;
		else
			conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		nconns--;
	}
	if (c->watched && c->handler->closed != NULL)
		c->handler->closed(
		    c->handler->arg, (struct sockaddr *)&c->peer_addr);
	free(c);
}

void
mg_http_conn_watch(mg_http_conn_t *c)
{
	c->watched = 1;
}

int
mg_http_conn_count(void)
{
	return nconns;
}

/*
 * A stopping worker closes no connection while its client may be sending
 * on it: answers in progress finish (those that begin from now on say
 * Connection: close, and their connection closes after them), and an
 * idle connection stays for one more request, answered so, or until it
 * has been idle for MS.  Closing idle connections at once would reset
 * the requests their clients were sending just then.
 */
int
mg_http_conn_drain_all(int64_t ms)
{
	if (!mg_http_draining) {
		mg_http_draining = 1;
		drain_idle_ms = ms;
		for (mg_http_conn_t *c = conns; c != NULL; c = c->next)
			if (c->phase == PHASE_IDLE ||
			    (c->phase == PHASE_HEADERS && c->req == NULL))
				conn_arm(c, idle_ms(c));
	}
	return nconns;
}

void
mg_http_conn_close_all(void)
{
	while (conns != NULL)
		conn_lost(conns, "shutting down");
}
