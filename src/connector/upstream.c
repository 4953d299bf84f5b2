/*
 * HTTP/1.1 client exchanges with upstream MCP servers (the connector).
 *
 * An exchange (upx_t) relays one request.  It may take up to three
 * HTTP requests in turn when the upstream forgot the session: the
 * request (answered 404), an initialize with the client's own params, a
 * notifications/initialized, then the request again on the new session.
 * The parser only collects; what a complete answer means is decided in
 * conn_finish(), outside the parser's callbacks.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <http_parser.h>
#include <json-c/json.h>

#include "bridge.h"
#include "crash.h"
#include "era.h"
#include "httpmsg.h"
#include "ipc.h"
#include "jsonrpc.h"
#include "log.h"
#include "selfconn.h"
#include "sockopt.h"
#include "sse.h"
#include "transport.h"
#include "tls.h"
#include "upstream.h"
#include "wflush.h"

#define UP_BODY_MAX (MG_IPC_MAX_FRAME - 1024)
#define UP_IDLE_MS 60000  /* an idle pooled connection is closed */
#define UP_REMAP_MAX 1024 /* sessions opened again, remembered */
#define UP_ERR -32000     /* JSON-RPC code of upstream failures */
/* The bridge's own posts to one upstream (answers to its requests) in
 * flight at once: an upstream that streams requests faster than it takes
 * the answers gets no more connections than this. */
#define UP_BRIDGE_POSTS_MAX 8

typedef struct mg_upconn mg_upconn_t;
typedef struct httpups   httpups_t;
typedef struct upx       upx_t;

typedef struct {
	const mg_upstream_t *up;
	struct ssl_ctx_st   *tls;
	mg_upconn_t         *idle; /* kept-alive connections */
	int                  nidle;
	int                  era; /* ERA_*: what server/discover said */
	/* the bridge: one session this connector holds with an upstream of
	 * the 2025 revisions for all its 2026-07-28 clients */
	int     bridge; /* BRIDGE_* */
	char    bridge_sid[MG_UP_SID_MAX], bridge_version[32];
	char   *bridge_init;  /* the upstream's initialize answer */
	int     bridge_busy;  /* exchanges on it now (parked too) */
	int     bridge_posts; /* bridge_send's posts in flight */
	int64_t bridge_used;  /* ms (monotonic): the last one ended */
	/* subscriptions/listen over it: the session's GET stream, fanned
	 * out to the listens whose filters want each notification */
	struct upx         *listeners;
	struct upx         *get;  /* our GET stream, while anyone listens */
	struct json_object *subs; /* resources/subscribe'd: uri -> count */
	struct event       *get_again; /* the GET stream ended: again */
	int                 get_status;
	char                get_sid[MG_UP_SID_MAX];
	struct upx         *opener;  /* the exchange opening it */
	struct upx         *waiting; /* exchanges waiting for it */
} mg_pool_t;

enum { BRIDGE_NONE, BRIDGE_OPENING, BRIDGE_OPEN };

typedef struct remap {
	struct remap *next;
	char          old[MG_UP_SID_MAX], now[MG_UP_SID_MAX];
} remap_t;

struct httpups {
	struct event_base *base;
	struct evdns_base *dns;
	mg_pool_t         *pools; /* by upstream index */
	size_t             npools;
	remap_t           *remaps; /* newest first */
	int                nremaps;
	uint64_t           bridge_ids; /* ids of requests on bridge sessions */
	/* the last exchange's memory, for the next one: 2.4 KB, beyond
	 * malloc's per-thread cache */
	upx_t *spare;
};

struct mg_upconn {
	mg_pool_t          *pool;
	httpups_t          *ups;
	struct bufferevent *bev;
	mg_wflush_t        *wf; /* plain and connected: direct writes */
	http_parser         parser;
	upx_t              *x;        /* NULL while idle */
	mg_upconn_t        *next;     /* in the idle list */
	int                 reused;   /* came from the pool */
	int                 complete; /* the answer is all in */
	int                 in_value;
	char                hname[32];
	size_t              hname_len;
};

/* Before a request: our server/discover (to learn the upstream's era),
 * after a 404 our initialize and initialized (to reopen a session), or
 * the bridge's initialize and initialized (to open its session). */
enum {
	STEP_REQUEST,
	STEP_REINIT,
	STEP_INITIALIZED,
	STEP_DISCOVER,
	STEP_BRIDGE_INIT,
	STEP_BRIDGE_READY
};

struct upx {
	mg_upx_t     h; /* first: the handle (transport.h) */
	httpups_t   *ups;
	mg_pool_t   *pool;
	mg_upconn_t *c;
	mg_up_ops_t  ops;
	int          method, initialize, hops;
	char         version[32];
	/* the request, in one block (data); a body rewritten for the bridge
	 * in its own (body_alloc) */
	char  *init, *body, *lei, *headers, *data, *body_alloc;
	size_t init_len, body_len, headers_len;
	int    modern;      /* 2026-07-28 */
	int    discovered;  /* server/discover lists 2026-07-28 */
	int    discover;    /* the client's request is server/discover */
	int    bridged;     /* over the bridge's session */
	int    unsupported; /* a version the bridge does not carry */
	int    on_bridge;   /* counted in pool->bridge_busy */
	int    endless; /* a subscriptions/listen: no read_timeout, as GET */
	/* a subscriptions/listen over the bridge (bridge_listen) */
	struct upx         *listen_next;
	struct json_object *listen_id; /* the client's: the subscription */
	struct json_object *filter; /* what it asked, then what it agreed to */
	/* the upstream's requests to a 2026-07-28 client over the bridge */
	int                 caps;   /* what the client declared: MG_REQ_F_* */
	int                 parked; /* its client went: asks wait for a retry */
	struct json_object *answers;   /* inputResponses not used yet, by key */
	struct json_object *asks;      /* by key: {"id": id, "msg": text} */
	struct upx         *wait_next; /* in pool->waiting */
	struct event       *later; /* an answer given without the upstream */
	int                 step;
	int                 reinit; /* this answer is a 404 to retry */
	int                 retried, conn_retried;
	struct event       *timer;
	/* the answer being read */
	int              status, kind, head_sent, got_bytes;
	int              foreign; /* the answer is not JSON or SSE */
	char             ctype[64];
	struct evbuffer *json;
	mg_sse_parser_t *sse;
	/* last, and not cleared by upx_alloc: 2 KB of strings */
	char sid[MG_UP_SID_MAX], resp_sid[MG_UP_SID_MAX];
};

static http_parser_settings settings;

static void   upx_send(upx_t *x);
static upx_t *upx_start(
    httpups_t *ups, const mg_up_req_t *req, const mg_up_ops_t *ops);
static void  upx_cancel(upx_t *x);
static char *copy(const char *p, size_t len);
static void  upx_reading(upx_t *x);
static void  conn_free(mg_upconn_t *c);

/* ---- the end of an exchange ----------------------------------------- */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void bridge_unlisten(upx_t *x);

/* Under AddressSanitizer every exchange is freed: a use after free must
 * still show. */
#if defined(__SANITIZE_ADDRESS__)
#define UPX_KEEP_SPARE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UPX_KEEP_SPARE 0
#endif
#endif
#ifndef UPX_KEEP_SPARE
#define UPX_KEEP_SPARE 1
#endif

/* X's memory back: kept for the next exchange, or freed. */
static void
upx_put(upx_t *x)
{
	if (UPX_KEEP_SPARE && x->ups != NULL && x->ups->spare == NULL)
		x->ups->spare = x;
	else
		free(x);
}

static void
upx_free(upx_t *x)
{
	if (x->listen_id != NULL)
		bridge_unlisten(x);
	if (x->on_bridge) {
		x->pool->bridge_busy--;
		x->pool->bridge_used = mono_ms();
	}
	if (x->timer)
		event_free(x->timer);
	if (x->json)
		evbuffer_free(x->json);
	mg_sse_parser_free(x->sse);
	free(x->data);
	free(x->body_alloc);
	if (x->later)
		event_free(x->later);
	json_object_put(x->answers);
	json_object_put(x->asks);
	upx_put(x);
}

/* Detach from the connection; it goes back to the pool or is closed. */
static void
upx_release(upx_t *x, int reusable)
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

static void upx_end(upx_t *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void bridge_leave(upx_t *x, int code, const char *why);
static void bridge_enter(upx_t *x);
static void bridge_capture(upx_t *x, const char *msg, size_t len);
static void bridge_go(upx_t *x);
static void bridge_message(upx_t *x, const char *msg, size_t len);
static void bridge_own_request(upx_t *x);
static void bridge_listen(upx_t *x);

/* The last word to the worker side, then the exchange is gone. */
static void
upx_end(upx_t *x, int code, const char *fmt, ...)
{
	char    msg[512];
	va_list ap;
	int     n = 0;

	if (code != 0) {
		n = snprintf(
		    msg, sizeof(msg), "upstream \"%s\": ", x->pool->up->name);
		va_start(ap, fmt);
		vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
		va_end(ap);
		/* the client hears why; the log also says where */
		mg_warn("%s (%s)", msg, x->pool->up->server.url);
	} else
		msg[0] = '\0';
	bridge_leave(x, code, msg);
	upx_release(x, code == 0);
	x->ops.end(x->ops.arg, code, msg);
	upx_free(x);
}

/* ---- reading the answer ------------------------------------------------ */

/*
 * Which era an upstream speaks: its "protocol" directive, or for
 * "protocol auto" what its answer to server/discover said (asked before
 * the first 2026-07-28 request relayed to it).  2026-07-28 requests to an
 * ERA_OLD upstream go over the bridge: one session the connector holds
 * with it for them (the head of each answer then names the upstream's
 * version, which tells the worker to turn the answer into the new era's).
 */
enum { ERA_UNKNOWN, ERA_OLD, ERA_NEW };

static int
upstream_era(httpups_t *ups, const mg_upstream_t *up)
{
	if (up->protocol == MG_PROTOCOL_2026)
		return ERA_NEW;
	if (up->protocol == MG_PROTOCOL_2025)
		return ERA_OLD;
	return ups->pools[up->index].era;
}

/* The answer to our server/discover: does it list 2026-07-28? */
static void
discover_answer(upx_t *x, const char *msg, size_t len)
{
	struct json_object *root = mg_json_parse(msg, len), *result, *list;

	if (x->status == 200 && root != NULL &&
	    json_object_object_get_ex(root, "result", &result) &&
	    json_object_object_get_ex(result, "supportedVersions", &list) &&
	    json_object_is_type(list, json_type_array))
		for (size_t i = 0; i < json_object_array_length(list); i++)
			if (strcmp(json_object_get_string(
				       json_object_array_get_idx(list, i)),
				MG_ERA_2026) == 0)
				x->discovered = 1;
	json_object_put(root);
}

/* One JSON-RPC message of the answer (an SSE event's data, or a body). */
static void
upx_message(upx_t *x, const char *msg, size_t len)
{
	struct json_object *root, *result, *v;
	const char         *version = "";

	if (x->step == STEP_DISCOVER) {
		discover_answer(x, msg, len);
		return;
	}
	if (x->step == STEP_BRIDGE_INIT) {
		bridge_capture(x, msg, len);
		return;
	}
	if (x->step != STEP_REQUEST || x->reinit)
		return; /* our own initialize: only its headers matter */
	if (!x->initialize) {
		x->ops.data(x->ops.arg, msg, len);
		return;
	}
	if (x->head_sent)
		return; /* an initialize is answered once */
	/* the answer, not a notification sent before it; a result names the
	 * version the upstream chose, and only a result opens a session */
	root = mg_json_parse(msg, len);
	if (root == NULL ||
	    (!json_object_object_get_ex(root, "result", &result) &&
		!json_object_object_get_ex(root, "error", &v))) {
		json_object_put(root);
		return;
	}
	if (json_object_object_get_ex(root, "result", &result) &&
	    json_object_object_get_ex(result, "protocolVersion", &v) &&
	    json_object_is_type(v, json_type_string))
		version = json_object_get_string(v);
	x->head_sent = 1;
	x->ops.head(x->ops.arg, x->status, MG_RESP_JSON, x->resp_sid, version);
	x->ops.data(x->ops.arg, msg, len);
	json_object_put(root);
}

static void
upx_sse_event(void *arg, const mg_sse_event_t *ev)
{
	upx_t *x = arg;

	int message = ev->has_data && ev->data_len > 0 &&
	    strcmp(ev->type, "message") == 0;

	/* over the bridge, the upstream's requests to the client are
	 * answered here or become the client's input (bridge_ask); an
	 * initialize, which has no head before its result, is read as the
	 * relay reads it (workers send none over the bridge) */
	if (x->step == STEP_REQUEST && !x->reinit && x->bridged &&
	    !x->initialize && message) {
		bridge_message(x, ev->data, ev->data_len);
		return;
	}
	/* relayed whole, ids and retry included, so a client can resume
	 * through us; an initialize is answered as JSON (upx_message) */
	if (x->step == STEP_REQUEST && !x->reinit && !x->initialize) {
		x->ops.event(x->ops.arg, ev->id, ev->retry,
		    message ? ev->data : "", message ? ev->data_len : 0);
		return;
	}
	if (message)
		upx_message(x, ev->data, ev->data_len);
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
	if (x->foreign)
		return 0;
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
		x->sse = mg_sse_parser_new(UP_BODY_MAX, upx_sse_event, x);
	} else if (p->status_code == 202 || p->status_code == 204 ||
	    (p->content_length == 0 && !(p->flags & F_CHUNKED)))
		x->kind = MG_RESP_NONE;
	else {
		x->kind = MG_RESP_JSON;
		x->json = evbuffer_new();
	}
	/* a session the upstream forgot: open it again, once */
	if (x->step == STEP_REQUEST && p->status_code == 404 && x->sid[0] &&
	    !x->retried && (x->init_len > 0 || x->bridged)) {
		x->reinit = 1;
		return 0;
	}
	if (x->step == STEP_REQUEST && !x->initialize) {
		x->head_sent = 1;
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
	if (x->sse != NULL)
		return mg_sse_parser_feed(x->sse, at, len) == MG_OK ? 0 : -1;
	if (x->json == NULL)
		return 0;
	if (evbuffer_get_length(x->json) + len > UP_BODY_MAX)
		return -1;
	evbuffer_add(x->json, at, len);
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

/* ---- sessions opened again ------------------------------------------ */

static const char *
remap_find(httpups_t *ups, const char *sid)
{
	for (remap_t *r = ups->remaps; r != NULL; r = r->next)
		if (strcmp(r->old, sid) == 0)
			return r->now;
	return NULL;
}

static void
remap_add(httpups_t *ups, const char *old, const char *now)
{
	remap_t *r, **pp;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	snprintf(r->old, sizeof(r->old), "%s", old);
	snprintf(r->now, sizeof(r->now), "%s", now);
	r->next = ups->remaps;
	ups->remaps = r;
	if (++ups->nremaps <= UP_REMAP_MAX)
		return;
	/* forget the oldest: its client re-initializes if it comes back */
	for (pp = &ups->remaps; (*pp)->next != NULL; pp = &(*pp)->next)
		;
	free(*pp);
	*pp = NULL;
	ups->nremaps--;
}

/* ---- a complete answer ------------------------------------------------ */

static void
upx_reset_answer(upx_t *x)
{
	x->status = x->kind = x->got_bytes = x->foreign = 0;
	x->reinit = 0;
	x->resp_sid[0] = x->ctype[0] = '\0';
	if (x->json)
		evbuffer_free(x->json);
	x->json = NULL;
	mg_sse_parser_free(x->sse);
	x->sse = NULL;
}

/* Our own step (initialize, initialized) is answered: the next one. */
static void
upx_next_step(upx_t *x)
{
	char old[MG_UP_SID_MAX];

	if (x->step == STEP_DISCOVER) {
		if (x->json != NULL && evbuffer_get_length(x->json) > 0)
			discover_answer(x,
			    (const char *)evbuffer_pullup(x->json, -1),
			    evbuffer_get_length(x->json));
		/* a server error says nothing of the era: ask again next time
		 */
		if (!x->discovered && x->status >= 500) {
			upx_end(x, UP_ERR,
			    "could not tell which MCP revision it speaks "
			    "(server/discover answered HTTP %d)",
			    x->status);
			return;
		}
		x->pool->era = x->discovered ? ERA_NEW : ERA_OLD;
		mg_info("upstream \"%s\" speaks %s (its answer to "
			"server/discover: HTTP %d)",
		    x->pool->up->name,
		    x->discovered ? "2026-07-28" : "the 2025 revisions only",
		    x->status);
		if (!x->discovered) {
			upx_release(x, 1);
			upx_reset_answer(x);
			bridge_enter(x);
			return;
		}
		x->step = STEP_REQUEST;
	} else if (x->step == STEP_BRIDGE_INIT) {
		if (x->json != NULL && evbuffer_get_length(x->json) > 0)
			bridge_capture(x,
			    (const char *)evbuffer_pullup(x->json, -1),
			    evbuffer_get_length(x->json));
		if (x->status != 200 || x->pool->bridge_init == NULL) {
			upx_end(x, UP_ERR,
			    "could not open a session for its 2026-07-28 "
			    "clients (initialize answered HTTP %d)",
			    x->status);
			return;
		}
		snprintf(x->sid, sizeof(x->sid), "%s", x->resp_sid);
		snprintf(x->pool->bridge_sid, sizeof(x->pool->bridge_sid), "%s",
		    x->resp_sid);
		snprintf(x->version, sizeof(x->version), "%s",
		    x->pool->bridge_version);
		x->step = STEP_BRIDGE_READY;
	} else if (x->step == STEP_BRIDGE_READY) {
		mg_pool_t *p = x->pool;
		upx_t     *w;

		p->bridge = BRIDGE_OPEN;
		p->opener = NULL;
		mg_info(
		    "upstream \"%s\": opened a session (version %s) for its "
		    "2026-07-28 clients",
		    p->up->name, p->bridge_version);
		upx_release(x, 1);
		upx_reset_answer(x);
		while ((w = p->waiting) != NULL) {
			p->waiting = w->wait_next;
			bridge_go(w);
		}
		bridge_go(x);
		return;
	} else if (x->step == STEP_REQUEST && x->bridged) {
		/* the upstream forgot the bridge's session: another one */
		mg_pool_t *p = x->pool;

		if (p->bridge == BRIDGE_OPEN &&
		    strcmp(p->bridge_sid, x->sid) == 0)
			p->bridge = BRIDGE_NONE;
		mg_info("upstream \"%s\" forgot the session of its 2026-07-28 "
			"clients; opening another",
		    p->up->name);
		x->retried = 1;
		upx_release(x, 1);
		upx_reset_answer(x);
		bridge_enter(x);
		return;
	} else if (x->step == STEP_REQUEST) { /* the 404 */
		x->step = STEP_REINIT;
	} else if (x->step == STEP_REINIT) {
		if (x->status != 200 || x->resp_sid[0] == '\0') {
			upx_end(x, UP_ERR,
			    "could not open its session again "
			    "(initialize answered HTTP %d)",
			    x->status);
			return;
		}
		snprintf(old, sizeof(old), "%s", x->sid);
		snprintf(x->sid, sizeof(x->sid), "%s", x->resp_sid);
		remap_add(x->ups, old, x->sid);
		mg_info("upstream \"%s\" forgot a session; opened it again",
		    x->pool->up->name);
		x->step = STEP_INITIALIZED;
	} else {
		x->step = STEP_REQUEST;
		x->retried = 1;
	}
	upx_release(x, 1);
	upx_reset_answer(x);
	upx_send(x);
}

static void
conn_finish(mg_upconn_t *c)
{
	upx_t *x = c->x;
	size_t len;

	if (x->foreign) {
		c->complete = http_should_keep_alive(&c->parser) ? 1 : 0;
		if (x->foreign == 2)
			upx_end(x, UP_ERR,
			    "its Mcp-Session-Id is longer than "
			    "%d bytes",
			    MG_UP_SID_MAX - 1);
		else
			upx_end(x, UP_ERR,
			    "answered HTTP %d with \"%s\", not "
			    "MCP",
			    x->status, x->ctype);
		return;
	}
	if (x->reinit || x->step != STEP_REQUEST) {
		upx_next_step(x);
		return;
	}
	if (x->json != NULL && (len = evbuffer_get_length(x->json)) > 0)
		upx_message(x,
		    (const char *)evbuffer_pullup(x->json, (ev_ssize_t)len),
		    len);
	if (!x->head_sent) { /* an initialize answered without a result */
		x->head_sent = 1;
		x->ops.head(x->ops.arg, x->status, x->kind, x->resp_sid, "");
		if (x->json != NULL && evbuffer_get_length(x->json) > 0)
			x->ops.data(x->ops.arg,
			    (const char *)evbuffer_pullup(x->json, -1),
			    evbuffer_get_length(x->json));
	}
	c->complete = http_should_keep_alive(&c->parser) ? 1 : 0;
	upx_end(x, 0, "%s", "");
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
	if (c->bev) {
		mg_selfconn_release(bufferevent_getfd(c->bev));
		bufferevent_free(c->bev);
	}
	free(c);
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
		upx_release(x, 0);
		upx_send(x);
		return;
	}
	upx_end(x, UP_ERR, "%s", why);
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
	int          dns;

	if (what & BEV_EVENT_CONNECTED) {
		mg_tcp_nodelay(bufferevent_getfd(bev));
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
		    "timed out waiting for an answer "
		    "(%lld ms)",
		    (long long)c->pool->up->read_timeout);
	else if ((dns = bufferevent_socket_get_dns_error(bev)) != 0)
		snprintf(why, sizeof(why), "cannot resolve \"%s\" (%s)",
		    c->pool->up->server.host, evutil_gai_strerror(dns));
	else if (c->pool->up->server.tls && !c->x->got_bytes &&
	    (what & BEV_EVENT_ERROR))
		mg_tls_error(bev, why, sizeof(why));
	else if (what & BEV_EVENT_ERROR)
		snprintf(why, sizeof(why), "%s failed (%s)",
		    c->x->got_bytes ? "read()" : "connect()",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else
		snprintf(why, sizeof(why),
		    "closed the connection before "
		    "answering");
	conn_lost(c, why);
}

/* Connecting took too long (reading has its own bufferevent timeout). */
static void
upx_timeout(evutil_socket_t fd, short what, void *arg)
{
	upx_t *x = arg;

	upx_end(x, UP_ERR, "timed out connecting (%lld ms)",
	    (long long)x->pool->up->connect_timeout);
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

/*
 * Connect C's bufferevent.  An upstream at a numeric loopback address may
 * be this gateway: the socket is the connector's own, bound and marked
 * (selfconn.h), so that the workers do not count it against a client's
 * limits.  Any other host is resolved with evdns, without blocking.
 */
static int
conn_connect(httpups_t *ups, mg_upconn_t *c)
{
	const mg_upstream_server_t *s = &c->pool->up->server;
	struct sockaddr_storage     ss;
	socklen_t                   len;
	int                         fd;

	if (mg_selfconn_addr(s->host, s->port, &ss, &len) != MG_OK)
		return bufferevent_socket_connect_hostname(
		    c->bev, ups->dns, AF_UNSPEC, s->host, atoi(s->port));
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
	size_t               len = x->body_len;
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
		    "{\"jsonrpc\":\"2.0\",\"id\":\"mcpgw-bridge\",\"method\":"
		    "\"initialize\",\"params\":{\"protocolVersion\":"
		    "\"2025-11-25\",\"capabilities\":{\"elicitation\":{"
		    "\"form\":{},\"url\":{}},\"sampling\":{},\"roots\":{}},"
		    "\"clientInfo\":{"
		    "\"name\":\"mcpgw-bridge\",\"version\":\"" PACKAGE_VERSION
		    "\"}}}";
		len = strlen(body);
	} else if (x->step == STEP_INITIALIZED ||
	    x->step == STEP_BRIDGE_READY) {
		method = MG_HTTP_POST;
		body = "{\"jsonrpc\":\"2.0\",\"method\":"
		       "\"notifications/initialized\"}";
		len = strlen(body);
	} else if (x->sid[0] && (mapped = remap_find(x->ups, x->sid)))
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
	if (x->step == STEP_REQUEST && x->headers_len > 0)
		mg_head_mem(&h, x->headers, x->headers_len);
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
	mg_head_mem(&h, "\r\n", 2);
	mg_head_end(&h);
	if (method == MG_HTTP_POST && len > 0)
		evbuffer_add(out, body, len);
	free(own);
}

static void
upx_send(upx_t *x)
{
	const mg_upstream_t *up = x->pool->up;
	int64_t              ms = up->connect_timeout;
	struct timeval       tv = { ms / 1000, (ms % 1000) * 1000 };

	if ((x->c = conn_get(x)) == NULL) {
		upx_end(x, UP_ERR, "cannot open a connection");
		return;
	}
	x->c->x = x;
	upx_write(x, bufferevent_get_output(x->c->bev));
	if (x->c->reused)
		upx_reading(x);
	else
		evtimer_add(x->timer, &tv);
}

/* ---- the bridge: 2026-07-28 clients, an upstream of 2025 --------------- */

/*
 * A 2026-07-28 client's request to an upstream that speaks only the 2025
 * revisions goes over one session the connector opens for all such
 * clients (initialize without client capabilities, so the upstream asks
 * them nothing), opened by the first request while the others wait; the
 * upstream's initialize answer also answers server/discover.  The worker
 * turns the answers into the new era's (mcp.c).
 */

/* The upstream's initialize answer, for server/discover. */
static void
bridge_capture(upx_t *x, const char *msg, size_t len)
{
	mg_pool_t          *p = x->pool;
	struct json_object *root = mg_json_parse(msg, len), *result, *v;

	if (root != NULL &&
	    json_object_object_get_ex(root, "result", &result) &&
	    json_object_object_get_ex(result, "protocolVersion", &v) &&
	    json_object_is_type(v, json_type_string)) {
		snprintf(p->bridge_version, sizeof(p->bridge_version), "%s",
		    json_object_get_string(v));
		free(p->bridge_init);
		p->bridge_init = copy(msg, len);
	}
	json_object_put(root);
}

/* An answer given without asking the upstream: server/discover from its
 * initialize, or a version the bridge does not carry. */
static void
bridge_later(evutil_socket_t fd, short what, void *arg)
{
	upx_t      *x = arg;
	const char *init = x->pool->bridge_init;

	if (x->unsupported || init == NULL) {
		upx_end(x, MG_MCP_ERR_UNSUPPORTED_VERSION,
		    "protocol version %s is not served on this route",
		    x->version);
		return;
	}
	x->head_sent = 1;
	x->ops.head(x->ops.arg, 200, MG_RESP_JSON, "", x->pool->bridge_version);
	x->ops.data(x->ops.arg, init, strlen(init));
	upx_end(x, 0, "%s", "");
}

static void
bridge_go(upx_t *x)
{
	snprintf(x->sid, sizeof(x->sid), "%s", x->pool->bridge_sid);
	snprintf(x->version, sizeof(x->version), "%s", x->pool->bridge_version);
	x->step = STEP_REQUEST;
	if (!x->on_bridge) {
		x->on_bridge = 1;
		x->pool->bridge_busy++;
	}
	if (x->discover)
		event_active(x->later, EV_TIMEOUT, 1);
	else {
		bridge_own_request(x);
		if (x->listen_id != NULL)
			bridge_listen(x);
		else
			upx_send(x);
	}
}

static void
bridge_open(upx_t *x)
{
	x->pool->bridge = BRIDGE_OPENING;
	x->pool->opener = x;
	x->step = STEP_BRIDGE_INIT;
	upx_send(x);
}

static void
bridge_enter(upx_t *x)
{
	mg_pool_t *p = x->pool;

	x->bridged = 1;
	/* a new request (not one retried after a 404) at another version
	 * than 2026-07-28: this route serves the 2025 ones with sessions */
	if (strcmp(x->version, MG_ERA_2026) != 0 && !x->retried) {
		x->unsupported = 1;
		event_active(x->later, EV_TIMEOUT, 1);
		return;
	}
	if (p->bridge == BRIDGE_OPEN)
		bridge_go(x);
	else if (p->bridge == BRIDGE_OPENING) {
		x->wait_next = p->waiting;
		p->waiting = x;
	} else
		bridge_open(x);
}

/* X ends or its client left: out of the queue; if it was opening the
 * session, the next in the queue opens it, or with CODE (it failed)
 * everyone waiting hears WHY. */
static void
bridge_leave(upx_t *x, int code, const char *why)
{
	mg_pool_t *p = x->pool;
	upx_t    **pp, *w;

	for (pp = &p->waiting; *pp != NULL; pp = &(*pp)->wait_next)
		if (*pp == x) {
			*pp = x->wait_next;
			return;
		}
	if (p->opener != x)
		return;
	p->opener = NULL;
	p->bridge = BRIDGE_NONE;
	if (code == 0) {
		if ((w = p->waiting) != NULL) {
			p->waiting = w->wait_next;
			bridge_open(w);
		}
		return;
	}
	while ((w = p->waiting) != NULL) {
		p->waiting = w->wait_next;
		upx_release(w, 0);
		w->ops.end(w->ops.arg, code, why);
		upx_free(w);
	}
}

/* ---- the upstream's requests to a 2026-07-28 client ------------------- */

/*
 * Over the bridge, a request of the upstream to its client (elicitation,
 * sampling, roots) goes to the worker with its key in inputRequests set
 * in params._meta (bridge.h); the worker gathers them into an
 * input_required result and parks the exchange here (MG_MSG_PARK,
 * connector.c).  The client's retry resumes it: its inputResponses are
 * posted upstream as the responses, by key.  Answers on hand (sent with
 * a request, or not used yet) answer a later request of the same key at
 * once.  A ping is answered here; a method the client did not declare
 * the capability for, or one the bridge does not carry, gets an error.
 */

static void
bridge_post_end(void *arg, int code, const char *message)
{
	mg_pool_t *p = arg;

	p->bridge_posts--;
}

/* Post the message M on the bridge's session SID (at VERSION) of pool P,
 * its answer dropped (WHAT says what it was, should it not go). */
static void
bridge_send(mg_pool_t *p, httpups_t *ups, const char *sid, const char *version,
    int hops, struct json_object *m, const char *what)
{
	mg_up_ops_t ops = { mg_answer_ignore_head, mg_answer_ignore_data,
		mg_answer_ignore_event, bridge_post_end, p };
	size_t      len;
	const char *text = json_object_to_json_string_length(
	    m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	mg_up_req_t req = { .method = MG_HTTP_POST,
		.hops = hops,
		.up = p->up,
		.sid = sid,
		.version = version,
		.init = "",
		.body = text,
		.body_len = len,
		.last_event_id = "",
		.headers = "" };

	if (p->bridge_posts >= UP_BRIDGE_POSTS_MAX) {
		mg_warn("upstream \"%s\": %d posts of the bridge in flight; "
			"not posting %s for its 2026-07-28 clients",
		    p->up->name, p->bridge_posts, what);
		return;
	}
	/* counted first: the post may end (bridge_post_end) before the
	 * start returns */
	p->bridge_posts++;
	if (text == NULL || upx_start(ups, &req, &ops) == NULL) {
		p->bridge_posts--;
		mg_warn("upstream \"%s\": cannot post %s for its 2026-07-28 "
			"clients",
		    p->up->name, what);
	}
}

/* Post the response to the upstream's request ID on the bridge's session:
 * RESULT (a reference taken), or an error CODE and MESSAGE. */
static void
bridge_reply(upx_t *x, struct json_object *id, struct json_object *result,
    int code, const char *message)
{
	struct json_object *m = json_object_new_object(), *e;

	json_object_object_add(m, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(m, "id", json_object_get(id));
	if (result != NULL)
		json_object_object_add(m, "result", json_object_get(result));
	else {
		e = json_object_new_object();
		json_object_object_add(e, "code", json_object_new_int(code));
		json_object_object_add(
		    e, "message", json_object_new_string(message));
		json_object_object_add(m, "error", e);
	}
	/* on the session the request lives on */
	bridge_send(x->pool, x->ups, x->sid, x->version, x->hops, m,
	    "a response to its request");
	json_object_put(m);
}

/* The client's inputResponses (objects only) among the answers on hand. */
static void
bridge_add_answers(upx_t *x, struct json_object *answers)
{
	if (!json_object_is_type(answers, json_type_object))
		return;
	if (x->answers == NULL)
		x->answers = json_object_new_object();
	json_object_object_foreach(answers, key, v)
	{
		if (json_object_is_type(v, json_type_object))
			json_object_object_add(
			    x->answers, key, json_object_get(v));
	}
}

/* An answer on hand for KEY: posted as the response to ID, used up. */
static int
bridge_answer(upx_t *x, const char *key, struct json_object *id)
{
	struct json_object *v;

	if (!json_object_object_get_ex(x->answers, key, &v))
		return 0;
	bridge_reply(x, id, v, 0, NULL);
	json_object_object_del(x->answers, key);
	return 1;
}

/* The request as the bridge's session carries it: an id of our own (the
 * session is shared), the client's inputResponses kept on hand. */
static void
bridge_own_request(upx_t *x)
{
	struct json_object *answers = NULL;
	char                id[48], *body;
	size_t              len;

	if (x->method != MG_HTTP_POST)
		return;
	/* a subscriptions/listen is served here, not sent (bridge_listen) */
	if (memmem(x->body, x->body_len, "subscriptions/listen", 20) != NULL &&
	    x->listen_id == NULL) {
		struct json_object *root = mg_json_parse(x->body, x->body_len),
				   *v, *params, *asked;

		if (json_object_object_get_ex(root, "method", &v) &&
		    strcmp(json_object_get_string(v), "subscriptions/listen") ==
			0 &&
		    json_object_object_get_ex(root, "id", &v)) {
			x->listen_id = json_object_get(v);
			/* what it asks, until bridge_listen agrees */
			x->filter = json_object_object_get_ex(
					root, "params", &params) &&
				json_object_object_get_ex(
				    params, "notifications", &asked) &&
				json_object_is_type(asked, json_type_object)
			    ? json_object_get(asked)
			    : json_object_new_object();
		}
		json_object_put(root);
		if (x->listen_id != NULL)
			return;
	}
	snprintf(id, sizeof(id), "mcpgw-%llu",
	    (unsigned long long)++x->ups->bridge_ids);
	body = mg_bridge_request_for_session(
	    x->body, x->body_len, id, &answers, &len);
	if (body == NULL)
		return; /* not a request: as it is */
	free(x->body_alloc);
	x->body = x->body_alloc = body;
	x->body_len = len;
	bridge_add_answers(x, answers);
	json_object_put(answers);
}

/* One message of a bridged answer: on to the client, unless it is a
 * request of the upstream (above). */
static void
bridge_message(upx_t *x, const char *msg, size_t len)
{
	struct json_object *root, *method, *id, *meta, *ask;
	const char         *name, *text;
	char                key[MG_BRIDGE_KEY_MAX + 8], why[160];
	size_t              tlen;
	int                 need;

	/* the answer itself, most messages, is not read here */
	if (memmem(msg, len, "\"method\"", 8) == NULL ||
	    (root = mg_json_parse(msg, len)) == NULL) {
		x->ops.event(x->ops.arg, NULL, -1, msg, len);
		return;
	}
	if (!json_object_object_get_ex(root, "method", &method) ||
	    !json_object_object_get_ex(root, "id", &id)) {
		json_object_put(root);
		x->ops.event(x->ops.arg, NULL, -1, msg, len);
		return;
	}
	name = json_object_get_string(method);
	need = mg_bridge_ask_need(name);
	if (need == 0) {
		struct json_object *empty = json_object_new_object();

		bridge_reply(x, id, empty, 0, NULL);
		json_object_put(empty);
	} else if (need < 0 || !(x->caps & need)) {
		snprintf(why, sizeof(why),
		    need < 0 ? "Method not found: %.80s does not cross mcpgw's "
			       "bridge to a 2026-07-28 client"
			     : "Method not found: the 2026-07-28 client did "
			       "not declare the capability for %.80s",
		    name);
		bridge_reply(x, id, NULL, MG_RPC_METHOD_NOT_FOUND, why);
		/* should the request fail for it, the worker says why */
		if (need > 0 && !x->parked) {
			char note[160];
			int  n = snprintf(note, sizeof(note),
			     "{\"jsonrpc\":\"2.0\",\"method\":\"%s\","
			      "\"params\":{\"capability\":\"%s\"}}",
			     MG_BRIDGE_REFUSED, mg_bridge_cap_name(need));

			x->ops.event(x->ops.arg, NULL, -1, note, (size_t)n);
		}
	} else {
		mg_bridge_input_key(root, x->asks, key, sizeof(key));
		if (!bridge_answer(x, key, id)) {
			meta = mg_bridge_meta(root);
			json_object_object_add(meta, MG_BRIDGE_INPUT_KEY,
			    json_object_new_string(key));
			text = json_object_to_json_string_length(root,
			    JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE,
			    &tlen);
			if (x->asks == NULL)
				x->asks = json_object_new_object();
			ask = json_object_new_object();
			json_object_object_add(ask, "id", json_object_get(id));
			json_object_object_add(ask, "msg",
			    json_object_new_string_len(text, (int)tlen));
			json_object_object_add(x->asks, key, ask);
			/* parked: the retry hears it (mg_upstream_resume) */
			if (!x->parked)
				x->ops.event(x->ops.arg, NULL, -1, text, tlen);
		}
	}
	json_object_put(root);
}

/* ---- subscriptions/listen over the bridge ------------------------------ */

/*
 * A 2026-07-28 client's subscriptions/listen over the bridge is served by
 * the connector: the listen agrees to what the upstream's initialize
 * promised (listChanged, subscribe) of what it asked, is acknowledged at
 * once, and stays open.  While any listen is open, the connector keeps a
 * GET stream on the bridge's session and resources/subscribe's upstream
 * the URIs the listens want (counted; resources/unsubscribe when none
 * does); each notification of the GET stream goes to the listens whose
 * filters want it, tagged with their subscription ids.  If the GET stream
 * ends, it is opened again a second later; if the session is gone, the
 * listens end with an error (the client listens again).
 */
#define BRIDGE_GET_AGAIN_MS 1000

static const struct {
	const char *filter, *cap, *key, *method;
} listen_kinds[] = {
	{ "toolsListChanged", "tools", "listChanged",
	    "notifications/tools/list_changed" },
	{ "promptsListChanged", "prompts", "listChanged",
	    "notifications/prompts/list_changed" },
	{ "resourcesListChanged", "resources", "listChanged",
	    "notifications/resources/list_changed" },
};

/* Do CAPS (the upstream's, from its initialize) promise CAP's KEY? */
static int
promises(struct json_object *caps, const char *cap, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(caps, cap, &v) &&
	    json_object_object_get_ex(v, key, &v) && json_object_get_boolean(v);
}

/* Post METHOD (resources/subscribe or unsubscribe) of URI on the
 * bridge's session, its answer dropped. */
static void
bridge_post(mg_pool_t *p, httpups_t *ups, const char *method, const char *uri)
{
	struct json_object *m = json_object_new_object(), *params;
	char                id[48];

	snprintf(id, sizeof(id), "mcpgw-%llu",
	    (unsigned long long)++ups->bridge_ids);
	json_object_object_add(m, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(m, "id", json_object_new_string(id));
	json_object_object_add(m, "method", json_object_new_string(method));
	params = mg_bridge_params(m);
	json_object_object_add(params, "uri", json_object_new_string(uri));
	bridge_send(p, ups, p->bridge_sid, p->bridge_version, 1, m, method);
	json_object_put(m);
}

/* One more (or one less, DELTA -1) listen wants URI's updates. */
static void
bridge_sub(mg_pool_t *p, httpups_t *ups, const char *uri, int delta)
{
	struct json_object *v;
	int                 n = 0;

	if (p->subs == NULL)
		p->subs = json_object_new_object();
	if (json_object_object_get_ex(p->subs, uri, &v))
		n = json_object_get_int(v);
	n += delta;
	if (n <= 0)
		json_object_object_del(p->subs, uri);
	else
		json_object_object_add(p->subs, uri, json_object_new_int(n));
	if ((delta > 0 && n == 1) || (delta < 0 && n == 0))
		bridge_post(p, ups,
		    delta > 0 ? "resources/subscribe" : "resources/unsubscribe",
		    uri);
}

static void get_end(void *arg, int code, const char *message);

/* Every listen ends: CODE and WHY (the session is gone). */
static void
bridge_end_listens(mg_pool_t *p, int code, const char *why)
{
	upx_t *x;

	while ((x = p->listeners) != NULL)
		upx_end(x, code, "%s", why);
}

/* A notification of the GET stream, to the listens that want it. */
static void
get_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	mg_pool_t          *p = arg;
	struct json_object *root, *method, *params, *meta, *uri = NULL;
	const char         *m, *kind = NULL, *text;
	size_t              tlen;

	(void)id, (void)retry;
	if (len == 0 || (root = mg_json_parse(data, len)) == NULL)
		return;
	if (!json_object_object_get_ex(root, "method", &method) ||
	    json_object_object_get_ex(root, "id", NULL)) {
		/* a request on the GET stream: no listen takes requests */
		json_object_put(root);
		return;
	}
	m = json_object_get_string(method);
	for (size_t i = 0; i < MG_NELEM(listen_kinds); i++)
		if (strcmp(m, listen_kinds[i].method) == 0)
			kind = listen_kinds[i].filter;
	if (strcmp(m, "notifications/resources/updated") == 0 &&
	    json_object_object_get_ex(root, "params", &params) &&
	    json_object_object_get_ex(params, "uri", &uri))
		kind = "resourceSubscriptions";
	if (kind == NULL) {
		json_object_put(root);
		return;
	}
	meta = mg_bridge_meta(root);
	for (upx_t *x = p->listeners; x != NULL; x = x->listen_next) {
		struct json_object *want = NULL;
		int                 wants = 0;

		if (!json_object_object_get_ex(x->filter, kind, &want))
			continue;
		if (uri == NULL)
			wants = json_object_get_boolean(want);
		else
			for (size_t i = 0; i < json_object_array_length(want);
			     i++)
				wants |=
				    strcmp(
					json_object_get_string(
					    json_object_array_get_idx(want, i)),
					json_object_get_string(uri)) == 0;
		if (!wants)
			continue;
		json_object_object_add(
		    meta, MG_META_SUBSCRIPTION, json_object_get(x->listen_id));
		text = json_object_to_json_string_length(root,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &tlen);
		x->ops.event(x->ops.arg, NULL, -1, text, tlen);
	}
	json_object_put(root);
}

static void
get_head(void *arg, int status, int kind, const char *sid, const char *v)
{
	mg_pool_t *p = arg;

	(void)kind, (void)sid, (void)v;
	if (status != 200)
		mg_info("upstream \"%s\": the GET stream of the session of its "
			"2026-07-28 clients answered HTTP %d",
		    p->up->name, status);
	if (status == 404 && strcmp(p->bridge_sid, p->get_sid) == 0 &&
	    p->bridge == BRIDGE_OPEN)
		p->bridge = BRIDGE_NONE; /* forgotten: the next one opens */
	p->get_status = status;
}

/* Open the GET stream of the bridge's session, and (again) every
 * subscription the listens want. */
static void
get_open(mg_pool_t *p, httpups_t *ups)
{
	static const mg_up_ops_t ops = { get_head, mg_answer_ignore_data,
		get_event, get_end, NULL };
	mg_up_ops_t              o = ops;
	mg_up_req_t              req = { .method = MG_HTTP_GET,
			     .hops = 1,
			     .up = p->up,
			     .sid = p->bridge_sid,
			     .version = p->bridge_version,
			     .init = "",
			     .body = "",
			     .last_event_id = "",
			     .headers = "" };

	o.arg = p;
	p->get_status = 0;
	snprintf(p->get_sid, sizeof(p->get_sid), "%s", p->bridge_sid);
	p->get = upx_start(ups, &req, &o);
	if (p->get == NULL) {
		bridge_end_listens(p, UP_ERR,
		    "cannot open the GET stream of the bridge's session");
		return;
	}
	if (p->subs != NULL) {
		json_object_object_foreach(p->subs, uri, n)
		{
			(void)n;
			bridge_post(p, ups, "resources/subscribe", uri);
		}
	}
}

static void
get_again(evutil_socket_t fd, short what, void *arg)
{
	mg_pool_t *p = arg;

	(void)fd, (void)what;
	if (p->listeners != NULL && p->get == NULL && p->bridge == BRIDGE_OPEN)
		get_open(p, p->listeners->ups);
}

/* The GET stream ended: again in a second while anyone listens, unless
 * the session is gone (the listens end: their clients listen again, on a
 * new session). */
static void
get_end(void *arg, int code, const char *message)
{
	mg_pool_t     *p = arg;
	struct timeval tv = { BRIDGE_GET_AGAIN_MS / 1000,
		(BRIDGE_GET_AGAIN_MS % 1000) * 1000 };

	p->get = NULL;
	if (p->listeners == NULL)
		return;
	/* no GET stream there (405): the listens stay, with nothing to say */
	if (p->get_status == 405)
		return;
	if (p->bridge != BRIDGE_OPEN || code != 0 || p->get_status != 200) {
		char why[300];

		snprintf(why, sizeof(why),
		    "the stream of notifications of the bridge's session "
		    "ended (%s); listen again",
		    code != 0 ? message : "the upstream ended it");
		bridge_end_listens(p, UP_ERR, why);
		return;
	}
	if (p->get_again == NULL)
		p->get_again =
		    evtimer_new(p->listeners->ups->base, get_again, p);
	if (p->get_again != NULL)
		evtimer_add(p->get_again, &tv);
}

/* X is a subscriptions/listen: agreed, acknowledged, kept open. */
static void
bridge_listen(upx_t *x)
{
	mg_pool_t          *p = x->pool;
	struct json_object *asked = x->filter,
			   *agreed = json_object_new_object(), *init = NULL,
			   *caps = NULL, *v, *ack, *params, *meta;
	const char *text;
	size_t      len;

	/* what the upstream's initialize promised */
	if (p->bridge_init != NULL &&
	    (init = mg_json_parse(p->bridge_init, strlen(p->bridge_init))) &&
	    json_object_object_get_ex(init, "result", &v))
		json_object_object_get_ex(v, "capabilities", &caps);
	for (size_t i = 0; i < MG_NELEM(listen_kinds); i++)
		if (json_object_object_get_ex(
			asked, listen_kinds[i].filter, &v) &&
		    json_object_get_boolean(v) &&
		    promises(caps, listen_kinds[i].cap, listen_kinds[i].key))
			json_object_object_add(agreed, listen_kinds[i].filter,
			    json_object_new_boolean(1));
	if (json_object_object_get_ex(asked, "resourceSubscriptions", &v) &&
	    json_object_is_type(v, json_type_array) &&
	    promises(caps, "resources", "subscribe")) {
		struct json_object *uris = json_object_new_array();

		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *u = json_object_array_get_idx(v, i);

			if (json_object_is_type(u, json_type_string))
				json_object_array_add(uris, json_object_get(u));
		}
		json_object_object_add(agreed, "resourceSubscriptions", uris);
	}
	json_object_put(init);
	json_object_put(x->filter);
	x->filter = agreed;
	x->listen_next = p->listeners;
	p->listeners = x;
	x->head_sent = 1;
	x->ops.head(x->ops.arg, 200, MG_RESP_SSE, "", x->version);
	ack = json_object_new_object();
	params = json_object_new_object();
	meta = json_object_new_object();
	json_object_object_add(ack, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(ack, "method",
	    json_object_new_string("notifications/subscriptions/acknowledged"));
	json_object_object_add(
	    params, "notifications", json_object_get(agreed));
	json_object_object_add(
	    meta, MG_META_SUBSCRIPTION, json_object_get(x->listen_id));
	json_object_object_add(params, "_meta", meta);
	json_object_object_add(ack, "params", params);
	text = json_object_to_json_string_length(
	    ack, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	x->ops.event(x->ops.arg, NULL, -1, text, len);
	json_object_put(ack);
	if (json_object_object_get_ex(agreed, "resourceSubscriptions", &v))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			bridge_sub(p, x->ups,
			    json_object_get_string(
				json_object_array_get_idx(v, i)),
			    1);
	if (p->get == NULL)
		get_open(p, x->ups);
}

/* A listen ends: out of the list, its subscriptions given back; the GET
 * stream closes with the last. */
static void
bridge_unlisten(upx_t *x)
{
	mg_pool_t          *p = x->pool;
	struct json_object *v;

	for (upx_t **pp = &p->listeners; *pp != NULL; pp = &(*pp)->listen_next)
		if (*pp == x) {
			*pp = x->listen_next;
			if (json_object_object_get_ex(
				x->filter, "resourceSubscriptions", &v) &&
			    p->bridge == BRIDGE_OPEN)
				for (size_t i = 0;
				     i < json_object_array_length(v); i++)
					bridge_sub(p, x->ups,
					    json_object_get_string(
						json_object_array_get_idx(
						    v, i)),
					    -1);
			break;
		}
	json_object_put(x->listen_id);
	json_object_put(x->filter);
	x->listen_id = x->filter = NULL;
	if (p->listeners == NULL && p->get != NULL) {
		upx_t *get = p->get;

		p->get = NULL;
		upx_cancel(get);
	}
	if (p->listeners == NULL) {
		json_object_put(p->subs);
		p->subs = NULL;
	}
}

static void
http_park(mg_upx_t *h, const mg_up_ops_t *ops)
{
	upx_t *x = (upx_t *)h;

	x->parked = 1;
	x->ops = *ops;
}

static void
http_resume(
    mg_upx_t *h, const mg_up_ops_t *ops, const char *body, size_t len, int caps)
{
	upx_t              *x = (upx_t *)h;
	struct json_object *root = mg_json_parse(body, len), *params, *answers,
			   *still = json_object_new_object();

	x->parked = 0;
	x->ops = *ops;
	x->caps = caps;
	x->ops.head(x->ops.arg, 200, MG_RESP_SSE, "", x->version);
	if (json_object_object_get_ex(root, "params", &params) &&
	    json_object_object_get_ex(params, "inputResponses", &answers))
		bridge_add_answers(x, answers);
	json_object_put(root);
	if (x->asks == NULL) {
		json_object_put(still);
		return;
	}
	/* the requests answered go upstream; the others to the client again */
	json_object_object_foreach(x->asks, key, ask)
	{
		struct json_object *id = NULL, *msg = NULL;

		json_object_object_get_ex(ask, "id", &id);
		json_object_object_get_ex(ask, "msg", &msg);
		if (bridge_answer(x, key, id))
			continue;
		json_object_object_add(still, key, json_object_get(ask));
		x->ops.event(x->ops.arg, NULL, -1, json_object_get_string(msg),
		    (size_t)json_object_get_string_len(msg));
	}
	json_object_put(x->asks);
	x->asks = still;
}

static const char *
http_version(const mg_upx_t *h)
{
	return ((const upx_t *)h)->version;
}

/* ---- exchanges ---------------------------------------------------------- */

/* An exchange of UPS, cleared but for its session id strings (2 KB, set
 * as strings before they are read): an exchange a call. */
static upx_t *
upx_alloc(httpups_t *ups)
{
	upx_t *x = ups->spare;

	if (x != NULL)
		ups->spare = NULL;
	else if ((x = malloc(sizeof(*x))) == NULL)
		return NULL;
	memset(x, 0, offsetof(upx_t, sid));
	x->sid[0] = x->resp_sid[0] = '\0';
	x->ups = ups;
	return x;
}

/* S as a string in DST of SIZE bytes, cut short if it must be. */
static void
set_str(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static char *
copy(const char *p, size_t len)
{
	char *s = malloc(len + 1);

	if (s != NULL) {
		memcpy(s, p, len);
		s[len] = '\0';
	}
	return s;
}

/* LEN bytes of P at AT, and a NUL: where the next string goes. */
static char *
put(char *at, const char *p, size_t len)
{
	if (len > 0)
		memcpy(at, p, len);
	at[len] = '\0';
	return at + len + 1;
}

/* Do the routing headers LINES say subscriptions/listen? */
static int
is_listen(const char *lines, size_t len)
{
	static const char want[] = "Mcp-Method: subscriptions/listen\r\n";
	const char       *p = lines, *end = lines ? lines + len : NULL;

	while (p != NULL && (size_t)(end - p) >= sizeof(want) - 1) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (strncasecmp(p, want, sizeof(want) - 1) == 0)
			return 1;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

static upx_t *
upx_start(httpups_t *ups, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	const char *lei = req->last_event_id ? req->last_event_id : "";
	size_t      lei_len = strlen(lei);
	upx_t      *x;

	if (req->up->index < 0 || (size_t)req->up->index >= ups->npools ||
	    (x = upx_alloc(ups)) == NULL)
		return NULL;
	x->h.t = &mg_transport_http;
	x->pool = &ups->pools[req->up->index];
	x->ops = *ops;
	x->method = req->method;
	x->initialize = req->initialize;
	x->hops = req->hops;
	set_str(x->sid, sizeof(x->sid), req->sid);
	set_str(x->version, sizeof(x->version), req->version);
	x->data = malloc(
	    req->init_len + req->body_len + lei_len + req->headers_len + 4);
	if (x->data == NULL) {
		upx_free(x);
		return NULL;
	}
	x->init = x->data;
	x->body = put(x->init, req->init, req->init_len);
	x->lei = put(x->body, req->body, req->body_len);
	x->headers = put(x->lei, lei, lei_len);
	put(x->headers, req->headers, req->headers_len);
	x->init_len = req->init_len;
	x->body_len = req->body_len;
	x->modern = req->modern;
	x->discover = req->discover;
	x->caps = req->caps;
	x->endless = req->modern && is_listen(req->headers, req->headers_len);
	x->headers_len = req->headers_len;
	x->timer = evtimer_new(ups->base, upx_timeout, x);
	x->later =
	    x->modern ? event_new(ups->base, -1, 0, bridge_later, x) : NULL;
	if (x->timer == NULL || (x->modern && x->later == NULL)) {
		upx_free(x);
		return NULL;
	}
	/* the first 2026-07-28 request to an upstream of unknown era asks
	 * it first what it speaks; one of the 2025 revisions is bridged */
	switch (x->modern ? upstream_era(ups, req->up) : ERA_NEW) {
	case ERA_UNKNOWN:
		x->step = STEP_DISCOVER;
		upx_send(x);
		break;
	case ERA_OLD: bridge_enter(x); break;
	default: upx_send(x); break;
	}
	return x;
}

static void
upx_cancel(upx_t *x)
{
	bridge_leave(x, 0, NULL);
	/* the answer is cut short: the connection cannot be reused */
	upx_release(x, 0);
	upx_free(x);
}

/* ---- the transport ---------------------------------------------------- */

static void
http_take_own(void *state, int64_t idle_ms,
    void (*fn)(void *arg, const mg_upstream_t *up, const char *sid,
	const char *version),
    void *arg)
{
	httpups_t *ups = state;
	int64_t    now = mono_ms();

	for (size_t i = 0; i < ups->npools; i++) {
		mg_pool_t *p = &ups->pools[i];

		if (p->up == NULL || p->bridge != BRIDGE_OPEN ||
		    p->bridge_busy > 0 ||
		    (idle_ms >= 0 && now - p->bridge_used < idle_ms))
			continue;
		p->bridge = BRIDGE_NONE;
		mg_info("upstream \"%s\": closing the session of its "
			"2026-07-28 clients (%s)",
		    p->up->name,
		    idle_ms >= 0 ? "idle for session_timeout" : "stopping");
		fn(arg, p->up, p->bridge_sid, p->bridge_version);
	}
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
	ups->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
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
		if (ups->pools[i].get != NULL)
			upx_cancel(ups->pools[i].get);
		if (ups->pools[i].get_again != NULL)
			event_free(ups->pools[i].get_again);
		json_object_put(ups->pools[i].subs);
		free(ups->pools[i].bridge_init);
	}
	while (ups->remaps != NULL) {
		remap_t *r = ups->remaps;

		ups->remaps = r->next;
		free(r);
	}
	if (ups->dns)
		evdns_base_free(ups->dns, 0);
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
	x = upx_start(ups, req, ops);
	return x ? &x->h : NULL;
}

static void
http_cancel(mg_upx_t *h)
{
	upx_cancel((upx_t *)h);
}

const mg_transport_t mg_transport_http = {
	.name = "http",
	.serves = http_serves,
	.new = http_new,
	.start = http_start,
	.cancel = http_cancel,
	.park = http_park,
	.resume = http_resume,
	.version = http_version,
	.take_own = http_take_own,
	.stop_all = NULL,
	.free = http_free,
};

/* ---- upstreams, each through its transport ---------------------------- */

/* The rows, in the order they are asked which upstreams they serve. */
static const mg_transport_t *const transports[] = {
	&mg_transport_http,
	&mg_transport_stdio,
};
#define NTRANSPORTS (sizeof(transports) / sizeof(transports[0]))

struct mg_upstreams {
	void   *state[NTRANSPORTS]; /* each row's */
	size_t *row;                /* by upstream index: its transport */
	size_t  nup;
	int     stopping; /* rows with something still running */
	void (*stopped)(void *arg);
	void *stopped_arg;
};

const mg_transport_t *
mg_transport_for(const mg_upstream_t *up)
{
	for (size_t i = 0; i < NTRANSPORTS; i++)
		if (transports[i]->serves(up))
			return transports[i];
	return NULL;
}

mg_upstreams_t *
mg_upstreams_new(struct event_base *base, const mg_conf_t *conf,
    const mg_tls_set_t *tls, char **err)
{
	mg_upstreams_t *ups = calloc(1, sizeof(*ups));
	size_t          n = 0, i;

	*err = NULL;
	if (ups == NULL)
		return NULL;
	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next)
		n++;
	ups->nup = n;
	if ((ups->row = calloc(n ? n : 1, sizeof(*ups->row))) == NULL)
		goto fail;
	/* every row is set up, whether it serves any upstream or not: the
	 * DNS base, the self-connection marks swept, SIGCHLD watched */
	for (i = 0; i < NTRANSPORTS; i++)
		if ((ups->state[i] = transports[i]->new (base, conf, tls)) ==
		    NULL)
			goto fail;
	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next) {
		for (i = 0; i < NTRANSPORTS; i++)
			if (transports[i]->serves(u))
				break;
		if (i == NTRANSPORTS || (size_t)u->index >= n)
			goto fail;
		ups->row[u->index] = i;
	}
	return ups;
fail:
	*err = strdup("cannot set up DNS and upstream pools");
	mg_upstreams_free(ups);
	return NULL;
}

mg_upx_t *
mg_upstream_start(
    mg_upstreams_t *ups, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	size_t i;

	if (req->up->index < 0 || (size_t)req->up->index >= ups->nup)
		return NULL;
	i = ups->row[req->up->index];
	return transports[i]->start(ups->state[i], req, ops);
}

void
mg_upstream_cancel(mg_upx_t *x)
{
	x->t->cancel(x);
}

void
mg_upstream_park(mg_upx_t *x, const mg_up_ops_t *ops)
{
	x->t->park(x, ops);
}

void
mg_upstream_resume(
    mg_upx_t *x, const mg_up_ops_t *ops, const char *body, size_t len, int caps)
{
	x->t->resume(x, ops, body, len, caps);
}

const char *
mg_upstream_version(const mg_upx_t *x)
{
	return x->t->version(x);
}

void
mg_upstreams_take_bridges(mg_upstreams_t *ups, int64_t idle_ms,
    void (*fn)(void *arg, const mg_upstream_t *up, const char *sid,
	const char *version),
    void *arg)
{
	for (size_t i = 0; i < NTRANSPORTS; i++)
		if (ups->state[i] != NULL && transports[i]->take_own != NULL)
			transports[i]->take_own(
			    ups->state[i], idle_ms, fn, arg);
}

/* A row has nothing running any more: the last tells the connector. */
static void
upstreams_row_stopped(void *arg)
{
	mg_upstreams_t *ups = arg;

	if (ups->stopping > 0 && --ups->stopping == 0 && ups->stopped != NULL)
		ups->stopped(ups->stopped_arg);
}

int
mg_upstreams_stop_all(
    mg_upstreams_t *ups, void (*stopped)(void *arg), void *arg)
{
	int n = 0, k;

	ups->stopped = stopped;
	ups->stopped_arg = arg;
	ups->stopping = 0; /* counted afresh: this may be asked again */
	for (size_t i = 0; i < NTRANSPORTS; i++) {
		if (transports[i]->stop_all == NULL)
			continue;
		k = transports[i]->stop_all(
		    ups->state[i], upstreams_row_stopped, ups);
		ups->stopping += k > 0;
		n += k;
	}
	return n;
}

void
mg_upstreams_free(mg_upstreams_t *ups)
{
	if (ups == NULL)
		return;
	for (size_t i = 0; i < NTRANSPORTS; i++)
		if (ups->state[i] != NULL)
			transports[i]->free(ups->state[i]);
	free(ups->row);
	free(ups);
}
