/*
 * The Streamable HTTP(S) transport (the connector): HTTP/1.1 client
 * connections to upstream MCP servers, kept alive in a bounded pool per
 * upstream, host names resolved by evdns and https verified (tls.c).
 *
 * The parser only collects; what a complete answer means is decided by
 * the exchange (upx.c), outside the parser's callbacks.  This file is
 * the "http" row of the transport table (transport.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <http_parser.h>

#include "crash.h"
#include "dial.h"
#include "era.h"
#include "httpmsg.h"
#include "ipc.h"
#include "jsonseq.h"
#include "log.h"
#include "peername.h"
#include "pool.h"
#include "selfconn.h"
#include "sockopt.h"
#include "sse.h"
#include "tls.h"
#include "trace.h"
#include "upx.h"
#include "wflush.h"

#define UP_IDLE_MS 60000 /* an idle pooled connection is closed */

struct mg_upconn {
	mg_pool_t          *pool;
	httpups_t          *ups;
	struct bufferevent *bev;
	mg_wflush_t        *wf; /* plain and connected: direct writes */
	http_parser         parser;
	upx_t              *x;        /* NULL while idle */
	char                peer[56]; /* "127.0.0.1:9000" once connected */
	mg_upconn_t        *next;     /* in the idle list */
	int                 reused;   /* came from the pool */
	int                 complete; /* the answer is all in */
	int                 in_value;
	char                hname[32];
	size_t              hname_len;
	mg_dial_t          *dial;      /* connecting by name */
	int                 connected; /* the connect completed (pool.h) */
};

static http_parser_settings settings;

static void upx_reading(upx_t *x);
static void conn_free(mg_upconn_t *c);

/* Detach from the connection; it goes back to the pool or is closed. */
void
mg_upx_release(upx_t *x, int reusable)
{
	mg_upconn_t *c = x->c;

	x->c = NULL;
	if (c == NULL)
		return;
	c->x = NULL;
	if (!reusable || !c->complete ||
	    c->pool->nidle >= c->pool->up->keepalive ||
	    evbuffer_get_length(bufferevent_get_input(c->bev)) > 0) {
		conn_free(c);
		return;
	}
	struct timeval idle = { UP_IDLE_MS / 1000, 0 };

	http_parser_init(&c->parser, HTTP_RESPONSE);
	c->parser.data = c;
	c->complete = 0;
	c->next = c->pool->idle;
	c->pool->idle = c;
	c->pool->nidle++;
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	bufferevent_enable(c->bev, EV_READ);
}

static int
up_on_header_field(http_parser *p, const char *at, size_t len)
{
	mg_upconn_t *c = p->data;

	if (c->in_value) {
		c->hname_len = 0;
		c->in_value = 0;
	}
	while (len-- > 0 && c->hname_len < sizeof(c->hname) - 1)
		c->hname[c->hname_len++] = *at++;
	c->hname[c->hname_len] = '\0';
	return 0;
}

static void
append(char *dst, size_t size, const char *at, size_t len)
{
	size_t have = strlen(dst);

	if (have + len >= size)
		len = size - have - 1;
	memcpy(dst + have, at, len);
	dst[have + len] = '\0';
}

static int
up_on_header_value(http_parser *p, const char *at, size_t len)
{
	mg_upconn_t *c = p->data;
	upx_t       *x = c->x;

	c->in_value = 1;
	if (x == NULL)
		return 0;
	if (strcasecmp(c->hname, "Mcp-Session-Id") == 0) {
		if (strlen(x->resp_sid) + len >= sizeof(x->resp_sid))
			x->foreign = 2; /* a session id we cannot carry */
		append(x->resp_sid, sizeof(x->resp_sid), at, len);
	} else if (strcasecmp(c->hname, "Content-Type") == 0)
		append(x->ctype, sizeof(x->ctype), at, len);
	return 0;
}

static int
up_on_headers_complete(http_parser *p)
{
	mg_upconn_t *c = p->data;
	upx_t       *x = c->x;

	if (x == NULL)
		return 0;
	x->status = p->status_code;
	memcpy(x->peer, c->peer, sizeof(x->peer));
	if (mg_uplegacy_wanted(x, x->status)) {
		x->hand_over = 1; /* once its answer is read: conn_finish */
		return 0;
	}
	if (x->foreign)
		return 0;
	/* refused what mcpgw sent of its own: upcred.c decides */
	if (p->status_code == 401 && mg_upcred_sent(x)) {
		x->cred_refused = 1;
		return 0;
	}
	if (p->status_code != 202 && p->status_code != 204 && x->ctype[0] &&
	    (p->content_length > 0 || (p->flags & F_CHUNKED)) &&
	    strncasecmp(x->ctype, "text/event-stream", 17) != 0 &&
	    strncasecmp(x->ctype, "application/json", 16) != 0) {
		/* not MCP: said in our own words at the end (conn_finish) */
		x->foreign = 1;
		return 0;
	}
	if (strncasecmp(x->ctype, "text/event-stream", 17) == 0) {
		x->kind = MG_RESP_SSE;
		x->sse = mg_sse_parser_new(
		    (size_t)c->pool->up->max_message_size, mg_upx_sse_event, x);
	} else if (p->status_code == 202 || p->status_code == 204 ||
	    (p->content_length == 0 && !(p->flags & F_CHUNKED)))
		x->kind = MG_RESP_NONE;
	else {
		x->kind = MG_RESP_JSON;
		/* the client's request: read message by message as it comes
		 * (a body may stream them, a line each); our own steps and an
		 * initialize read the body whole */
		if (x->step == STEP_REQUEST && !x->initialize && !x->bridged)
			x->seq = mg_jsonseq_new(
			    (size_t)c->pool->up->max_message_size,
			    mg_upx_json_message, x);
		/* a listen is a stream: its acknowledgement waits for
		 * nothing, not even a newline */
		if (x->seq != NULL && x->endless &&
		    mg_jsonseq_begin(x->seq) != MG_OK) {
			mg_jsonseq_free(x->seq);
			x->seq = NULL;
		}
		if (x->seq == NULL)
			x->json = evbuffer_new();
	}
	/* a session the upstream forgot: open it again, once (upx.c) */
	if (mg_upx_forgot(x, p->status_code))
		return 0;
	if (x->step == STEP_REQUEST && !x->initialize) {
		x->head_sent = 1;
		mg_upx_note_peer(x);
		x->ops.head(x->ops.arg, x->status, x->kind, "",
		    x->bridged ? x->version : "");
	}
	return 0;
}

static int
up_on_body(http_parser *p, const char *at, size_t len)
{
	mg_upconn_t *c = p->data;
	upx_t       *x = c->x;

	if (x == NULL)
		return 0;
	x->body_bad = 1; /* unless all is well below */
	if (x->sse != NULL) {
		if (mg_sse_parser_feed(x->sse, at, len) != MG_OK)
			return -1;
	} else if (x->seq != NULL) {
		if (mg_jsonseq_feed(x->seq, at, len) != MG_OK)
			return -1;
	} else if (x->json != NULL) {
		if (evbuffer_get_length(x->json) + len >
		    (size_t)c->pool->up->max_message_size)
			return -1;
		evbuffer_add(x->json, at, len);
	}
	x->body_bad = 0;
	return 0;
}

static int
up_on_message_complete(http_parser *p)
{
	mg_upconn_t *c = p->data;

	c->complete = 1;
	http_parser_pause(p, 1);
	return 0;
}

static void
conn_finish(mg_upconn_t *c)
{
	upx_t *x = c->x;
	size_t len;

	if (x->hand_over) {
		c->complete = http_should_keep_alive(&c->parser) ? 1 : 0;
		mg_upx_release(x, 1);
		mg_uplegacy_hand_over(x);
		return;
	}
	if (x->foreign) {
		c->complete = http_should_keep_alive(&c->parser) ? 1 : 0;
		if (x->foreign == 2)
			mg_upx_end(x, UP_ERR,
			    "its Mcp-Session-Id is longer than "
			    "%d bytes",
			    MG_UP_SID_MAX - 1);
		else
			mg_upx_end(x, UP_ERR,
			    "answered HTTP %d with \"%s\", not "
			    "MCP",
			    x->status, x->ctype);
		return;
	}
	if (x->forgot400)
		mg_upx_forgot_body(x);
	if (x->reinit || x->cred_refused || x->step != STEP_REQUEST) {
		mg_upx_next_step(x);
		return;
	}
	/* the rest of a streamed body, or all of a body of one message */
	if (x->seq != NULL && mg_jsonseq_end(x->seq) != MG_OK) {
		mg_upx_end(x, UP_ERR, "%s", mg_jsonseq_error(x->seq));
		return;
	}
	if (x->json != NULL && (len = evbuffer_get_length(x->json)) > 0)
		mg_upx_message(x,
		    (const char *)evbuffer_pullup(x->json, (ev_ssize_t)len),
		    len);
	if (!x->head_sent) { /* an initialize answered without a result */
		x->head_sent = 1;
		mg_upx_note_peer(x);
		x->ops.head(x->ops.arg, x->status, x->kind, x->resp_sid, "");
		if (x->json != NULL && evbuffer_get_length(x->json) > 0)
			x->ops.data(x->ops.arg,
			    (const char *)evbuffer_pullup(x->json, -1),
			    evbuffer_get_length(x->json));
	}
	c->complete = http_should_keep_alive(&c->parser) ? 1 : 0;
	mg_upx_end(x, 0, "%s", "");
}

/* ---- the connection --------------------------------------------------- */

static void
conn_free(mg_upconn_t *c)
{
	mg_upconn_t **pp;

	if (c->x == NULL) {
		for (pp = &c->pool->idle; *pp != NULL; pp = &(*pp)->next)
			if (*pp == c) {
				*pp = c->next;
				c->pool->nidle--;
				break;
			}
	}
	mg_wflush_free(c->wf);
	mg_dial_cancel(c->dial);
	if (c->bev) {
		mg_selfconn_release(bufferevent_getfd(c->bev));
		bufferevent_free(c->bev);
	}
	free(c);
}

void
mg_upx_note_peer(const upx_t *x)
{
	mg_relay_note_peer(x->peer);
}

/* The connection failed or closed: one path for all. */
static void
conn_lost(mg_upconn_t *c, const char *why)
{
	upx_t *x = c->x;

	if (x == NULL) { /* idle in the pool: just forget it */
		conn_free(c);
		return;
	}
	/* a kept-alive connection the upstream closed as we reused it */
	if (c->reused && !x->got_bytes && !x->conn_retried) {
		x->conn_retried = 1;
		mg_upx_release(x, 0);
		mg_upx_send(x);
		return;
	}
	/* for a pool (pool.h): did anything reach the server, and answer */
	if (!c->connected)
		x->fail = MG_POOL_FAIL_CONNECT;
	else if (!x->got_bytes)
		x->fail = MG_POOL_FAIL_ANSWER;
	mg_upx_end(x, UP_ERR, "%s", why);
}

static void conn_read_in(mg_upconn_t *c, struct evbuffer *in);

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	mg_upconn_t     *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->x == NULL) { /* an idle connection must say nothing */
		conn_free(c);
		return;
	}
	c->x->got_bytes = 1;
	mg_crash_doing(
	    "reading a response of upstream", c->pool->up->name, NULL);
	conn_read_in(c, in);
	mg_crash_done();
}

static void
conn_read_in(mg_upconn_t *c, struct evbuffer *in)
{
	struct evbuffer_iovec v;
	size_t                n;

	while (!c->complete && evbuffer_get_length(in) > 0) {
		evbuffer_peek(in, -1, NULL, &v, 1);
		n = http_parser_execute(
		    &c->parser, &settings, v.iov_base, v.iov_len);
		evbuffer_drain(in, n);
		if (HTTP_PARSER_ERRNO(&c->parser) == HPE_CB_body &&
		    c->x->body_bad) {
			mg_upx_body_refused(c->x);
			return;
		}
		if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK &&
		    HTTP_PARSER_ERRNO(&c->parser) != HPE_PAUSED) {
			conn_lost(c,
			    http_errno_description(
				HTTP_PARSER_ERRNO(&c->parser)));
			return;
		}
	}
	if (c->complete)
		conn_finish(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	mg_upconn_t *c = arg;

	mg_wflush_idle(c->wf);
}

static void
conn_write_failed(void *arg, int err)
{
	char why[160];

	snprintf(why, sizeof(why), "write() failed (%s)",
	    evutil_socket_error_to_string(err));
	conn_lost(arg, why);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	mg_upconn_t *c = arg;
	char         why[300];

	if (what & BEV_EVENT_CONNECTED) {
		c->connected = 1;
		mg_tcp_nodelay(bufferevent_getfd(bev));
		/* where it went, once (the access log's upstream_addr) */
		mg_peer_text(bufferevent_getfd(bev), c->peer, sizeof(c->peer));
		/* from now on requests go out without waiting for EV_WRITE */
		if (!c->pool->up->server.tls && c->wf == NULL) {
			mg_wflush_ops_t o = { NULL, conn_write_failed, c };

			c->wf = mg_wflush_new(c->ups->base, c->bev, &o);
		}
		if (c->x != NULL)
			upx_reading(c->x);
		return;
	}
	if (c->x == NULL) {
		conn_free(c); /* an idle connection closed or timed out */
		return;
	}
	if ((what & BEV_EVENT_EOF) && c->parser.http_errno == HPE_OK &&
	    !c->complete && c->x->got_bytes) {
		/* an answer that ends when the connection does */
		http_parser_execute(&c->parser, &settings, NULL, 0);
		if (c->complete) {
			conn_finish(c);
			return;
		}
	}
	if (what & BEV_EVENT_TIMEOUT)
		snprintf(why, sizeof(why),
		    "timed out waiting for an answer (%lld ms)",
		    (long long)c->pool->up->read_timeout);
	else if (c->pool->up->server.tls && !c->x->got_bytes &&
	    (what & BEV_EVENT_ERROR))
		mg_tls_error(bev, why, sizeof(why));
	else if (what & BEV_EVENT_ERROR)
		snprintf(why, sizeof(why), "%s failed (%s)",
		    c->x->got_bytes ? "read()" : "connect()",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else if (c->x->seq != NULL) /* a streamed body, cut short */
		snprintf(why, sizeof(why),
		    "closed the connection in the middle of its answer "
		    "(after %zu messages)",
		    mg_jsonseq_count(c->x->seq));
	else
		snprintf(why, sizeof(why),
		    "closed the connection before "
		    "answering");
	conn_lost(c, why);
}

/* Connected: from now on, no more than read_timeout between reads; a GET
 * stream waits for the server as long as it likes. */
static void
upx_reading(upx_t *x)
{
	int64_t        ms = x->pool->up->read_timeout;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_del(x->timer);
	if ((x->method == MG_HTTP_GET || x->endless) && x->step == STEP_REQUEST)
		bufferevent_set_timeouts(x->c->bev, NULL, NULL);
	else
		bufferevent_set_timeouts(x->c->bev, &tv, NULL);
}

/* Not connected by name (dial.h): the why of every address. */
static void
conn_dial_failed(void *arg, const char *err)
{
	conn_lost(arg, err);
}

/*
 * Connect C's bufferevent.  An upstream at a numeric loopback address may
 * be this gateway: the socket is the connector's own, bound and marked
 * (selfconn.h), so that the workers do not count it against a client's
 * limits.  Any other host: each of its addresses in turn (dial.h).
 */
static int
conn_connect(httpups_t *ups, mg_upconn_t *c)
{
	const mg_upstream_server_t *s = &c->pool->up->server;
	struct sockaddr_storage     ss;
	socklen_t                   len;
	int                         fd;

	if (mg_selfconn_addr(s->host, s->port, &ss, &len) != MG_OK)
		return mg_dial_bev(c->bev, ups->resolver, s->host, s->port,
		    s->tls, &c->dial, conn_dial_failed, c);
	if ((fd = mg_selfconn_socket((struct sockaddr *)&ss)) < 0)
		return -1;
	bufferevent_setfd(c->bev, fd);
	return bufferevent_socket_connect(
	    c->bev, (struct sockaddr *)&ss, (int)len);
}

static mg_upconn_t *
conn_new(httpups_t *ups, mg_pool_t *pool)
{
	const mg_upstream_server_t *s = &pool->up->server;
	mg_upconn_t                *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->pool = pool;
	c->ups = ups;
	http_parser_init(&c->parser, HTTP_RESPONSE);
	c->parser.data = c;
	if (s->tls)
		c->bev = mg_tls_client_bev(ups->base, pool->tls, s->host);
	else
		c->bev = bufferevent_socket_new(
		    ups->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		free(c);
		return NULL;
	}
	bufferevent_setcb(
	    c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (conn_connect(ups, c) != 0) {
		mg_selfconn_release(bufferevent_getfd(c->bev));
		bufferevent_free(c->bev);
		free(c);
		return NULL;
	}
	return c;
}

/* A connection for X: a kept-alive one, or a new one. */
static mg_upconn_t *
conn_get(upx_t *x)
{
	mg_pool_t   *pool = x->pool;
	mg_upconn_t *c = pool->idle;

	if (c != NULL && !x->conn_retried) {
		pool->idle = c->next;
		pool->nidle--;
		c->next = NULL;
		c->reused = 1;
		/* its idle timeout: upx_send replaces it (upx_reading) */
		return c;
	}
	return conn_new(x->ups, pool);
}

static const char *
method_name(int method)
{
	switch (method) {
	case MG_HTTP_GET: return "GET";
	case MG_HTTP_DELETE: return "DELETE";
	default: return "POST";
	}
}

/* What this step sends: the request, or our initialize / initialized. */
static void
upx_write(upx_t *x, struct evbuffer *out)
{
	const mg_upstream_t *up = x->pool->up;
	const char          *body = x->body, *mapped;
	size_t               len = x->body_len, tl;
	char                *own = NULL;
	int                  method = x->method;
	mg_head_t            h = { .out = out };

	if (x->step == STEP_DISCOVER) {
		method = MG_HTTP_POST;
		body =
		    "{\"jsonrpc\":\"2.0\",\"id\":\"mcpgw-discover\",\"method\":"
		    "\"server/discover\",\"params\":{\"_meta\":{"
		    "\"" MG_META_VERSION "\":\"" MG_ERA_2026
		    "\",\"" MG_META_CAPABILITIES "\":{},\"" MG_META_CLIENT_INFO
		    "\":{\"name\":\"mcpgw\",\"version\":\"" PACKAGE_VERSION
		    "\"}}}}";
		len = strlen(body);
	} else if (x->step == STEP_REINIT) {
		method = MG_HTTP_POST;
		len = (size_t)asprintf(&own,
		    "{\"jsonrpc\":\"2.0\",\"id\":"
		    "\"mcpgw-reinitialize\",\"method\":\"initialize\","
		    "\"params\":%.*s}",
		    (int)x->init_len, x->init);
		body = own;
	} else if (x->step == STEP_BRIDGE_INIT) {
		method = MG_HTTP_POST;
		body =
		    "{\"jsonrpc\":\"2.0\",\"id\":\"mcpgw-bridge\","
		    "\"method\":\"initialize\",\"params\":" MG_UPASK_INIT_PARAMS
		    "}";
		len = strlen(body);
	} else if (x->step == STEP_INITIALIZED ||
	    x->step == STEP_BRIDGE_READY) {
		method = MG_HTTP_POST;
		body = "{\"jsonrpc\":\"2.0\",\"method\":"
		       "\"notifications/initialized\"}";
		len = strlen(body);
	} else if (x->sid[0] && (mapped = mg_upx_remap_find(x->ups, x->sid)))
		snprintf(x->sid, sizeof(x->sid), "%s", mapped);
	mg_head_str(&h, method_name(method));
	mg_head_mem(&h, " ", 1);
	mg_head_str(&h, up->server.path);
	mg_head_str(&h, " HTTP/1.1\r\nHost: ");
	mg_head_str(&h, up->server.authority);
	mg_head_mem(&h, "\r\n", 2);
	if (method == MG_HTTP_POST) {
		mg_head_str(&h,
		    "Content-Type: application/json\r\n"
		    "Accept: application/json, text/event-stream\r\n"
		    "Content-Length: ");
		mg_head_num(&h, len);
		mg_head_mem(&h, "\r\n", 2);
	} else if (method == MG_HTTP_GET)
		mg_head_str(&h, "Accept: text/event-stream\r\n");
	if (x->sid[0] && x->step != STEP_REINIT &&
	    x->step != STEP_BRIDGE_INIT) {
		mg_head_str(&h, "Mcp-Session-Id: ");
		mg_head_str(&h, x->sid);
		mg_head_mem(&h, "\r\n", 2);
	}
	if (x->step == STEP_DISCOVER)
		mg_head_str(&h,
		    "MCP-Protocol-Version: " MG_ERA_2026 "\r\n"
		    "Mcp-Method: server/discover\r\n");
	else if (x->version[0] && x->step != STEP_BRIDGE_INIT) {
		mg_head_str(&h, "MCP-Protocol-Version: ");
		mg_head_str(&h, x->version);
		mg_head_mem(&h, "\r\n", 2);
	}
	/* the client's trace context (the first lines): on every request
	 * of the exchange, ours (a reopened session, the bridge's) too */
	tl = mg_trace_lines_len(x->headers, x->headers_len);
	mg_head_mem(&h, x->headers, tl);
	/* the 2026-07-28 routing headers (Mcp-Method, Mcp-Name,
	 * Mcp-Param-*): not for an upstream of 2025 over the bridge */
	if (x->step == STEP_REQUEST && x->headers_len > tl && !x->bridged)
		mg_head_mem(&h, x->headers + tl, x->headers_len - tl);
	if (x->lei[0] && x->step == STEP_REQUEST) {
		mg_head_str(&h, "Last-Event-ID: ");
		mg_head_str(&h, x->lei);
		mg_head_mem(&h, "\r\n", 2);
	}
	mg_head_str(&h, MG_HOPS_HEADER ": ");
	mg_head_num(&h, (uint64_t)x->hops);
	mg_head_mem(&h, "\r\n", 2);
	for (size_t i = 0; i < up->nheaders; i++) {
		mg_head_str(&h, up->headers[i]);
		mg_head_mem(&h, "\r\n", 2);
	}
	mg_upcred_head(x, &h);
	mg_head_mem(&h, "\r\n", 2);
	mg_head_end(&h);
	if (method == MG_HTTP_POST && len > 0)
		evbuffer_add(out, body, len);
	free(own);
}

void
mg_upx_send(upx_t *x)
{
	const mg_upstream_t *up = x->pool->up;
	int64_t              ms = up->connect_timeout;
	struct timeval       tv = { ms / 1000, (ms % 1000) * 1000 };

	if (mg_upcred_ready(x) != MG_OK)
		return; /* waits for a token: sent again, or ended */
	if ((x->c = conn_get(x)) == NULL) {
		x->fail = MG_POOL_FAIL_CONNECT;
		mg_upx_end(x, UP_ERR, "cannot open a connection");
		return;
	}
	x->c->x = x;
	upx_write(x, bufferevent_get_output(x->c->bev));
	if (x->c->reused)
		upx_reading(x);
	else
		evtimer_add(x->timer, &tv);
}

static void http_free(void *state);

/* The pools of CONF's upstreams that this transport serves (the others'
 * stay empty: pools are by upstream index). */
static void *
http_new(
    struct event_base *base, const mg_conf_t *conf, const mg_tls_set_t *tls)
{
	httpups_t *ups = calloc(1, sizeof(*ups));
	size_t     n = 0;

	settings.on_header_field = up_on_header_field;
	settings.on_header_value = up_on_header_value;
	settings.on_headers_complete = up_on_headers_complete;
	settings.on_body = up_on_body;
	settings.on_message_complete = up_on_message_complete;
	if (ups == NULL)
		return NULL;
	/* a connector killed before it released its marks: they go now */
	mg_selfconn_sweep();
	ups->base = base;
	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next)
		n++;
	ups->pools = calloc(n ? n : 1, sizeof(*ups->pools));
	ups->dns = mg_resolver_dns(ups->resolver = mg_resolver_new(base, conf));
	if (ups->pools == NULL || ups->dns == NULL) {
		http_free(ups);
		return NULL;
	}
	ups->npools = n;
	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next) {
		if (mg_transport_for(u) != &mg_transport_http)
			continue;
		ups->pools[u->index].up = u;
		ups->pools[u->index].tls = tls->upstreams[u->index];
		if (mg_upcred_pool_new(&ups->pools[u->index], ups,
			tls->upstreams[u->index]) != MG_OK) {
			http_free(ups);
			return NULL;
		}
	}
	return ups;
}

static void
http_free(void *state)
{
	httpups_t *ups = state;

	for (size_t i = 0; i < ups->npools; i++) {
		while (ups->pools[i].idle != NULL)
			conn_free(ups->pools[i].idle);
		mg_upbridge_pool_free(&ups->pools[i]);
		mg_upcred_pool_free(&ups->pools[i]);
	}
	while (ups->remaps != NULL) {
		remap_t *r = ups->remaps;

		ups->remaps = r->next;
		free(r);
	}
	mg_resolver_free(ups->resolver); /* and ups->dns */
	free(ups->pools);
	free(ups->spare);
	free(ups);
}

static int
http_serves(const mg_upstream_t *up)
{
	return up->server.url != NULL;
}

static mg_upx_t *
http_start(void *state, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	httpups_t *ups = state;
	upx_t     *x;

	if (req->up->index < 0 || (size_t)req->up->index >= ups->npools ||
	    ups->pools[req->up->index].up == NULL)
		return NULL;
	x = mg_upx_start(ups, req, ops);
	return x ? &x->h : NULL;
}

const mg_transport_t mg_transport_http = {
	.name = "http",
	.serves = http_serves,
	.new = http_new,
	.start = http_start,
	.cancel = mg_uplegacy_cancel,
	.park = mg_uplegacy_park,
	.resume = mg_uplegacy_resume,
	.version = mg_uplegacy_version,
	.take_own = mg_upbridge_take,
	.stop_all = NULL,
	.set_handover = mg_uplegacy_set_handover,
	.free = http_free,
	.era = mg_upx_era,
};
