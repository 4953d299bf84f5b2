/*
 * The Streamable HTTP transport's exchange (the connector): the life of
 * one relayed request and the steps it may take.
 *
 * An exchange (upx_t) relays one request.  It may take up to three
 * HTTP requests in turn when the upstream forgot the session: the
 * request (answered 404), an initialize with the client's own params, a
 * notifications/initialized, then the request again on the new session.
 * Before a 2026-07-28 request to an upstream of unknown era, it asks
 * server/discover; to one of the 2025 revisions, it goes over the bridge
 * (upbridge.c).  What each answer means is decided here, once the
 * connection (httpup.c) has it all.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "era.h"
#include "httpmsg.h"
#include "ipc.h"
#include "jsonrpc.h"
#include "jsonseq.h"
#include "log.h"
#include "pool.h"
#include "upx.h"

#define UP_REMAP_MAX 1024 /* sessions opened again, remembered */

/* ---- the end of an exchange ----------------------------------------- */

int64_t
mg_upx_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

void
mg_upx_free(upx_t *x)
{
	if (x->listen_id != NULL)
		mg_upbridge_unlisten(x);
	mg_upask_free(&x->ask); /* what it was yet to refuse, refused */
	mg_upcred_forget(x);
	if (x->on_bridge) {
		x->pool->bridge_busy--;
		x->pool->bridge_used = mg_upx_mono_ms();
	}
	if (x->timer)
		event_free(x->timer);
	if (x->json)
		evbuffer_free(x->json);
	mg_sse_parser_free(x->sse);
	mg_jsonseq_free(x->seq);
	free(x->data);
	free(x->body_alloc);
	free(x->refusal);
	if (x->later)
		event_free(x->later);
	upx_put(x);
}

/* The last word to the worker side, then the exchange is gone. */
void
mg_upx_end(upx_t *x, int code, const char *fmt, ...)
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
		/* the client hears why; the log also says where (a health
		 * check's prober logs its changes of state instead) */
		if (x->quiet)
			mg_debug("%s (%s)", msg, x->pool->up->server.url);
		else
			mg_warn("%s (%s)", msg, x->pool->up->server.url);
	} else
		msg[0] = '\0';
	mg_upbridge_leave(x, code, msg);
	mg_upx_release(x, code == 0);
	mg_pool_note_failure(code != 0 ? x->fail : 0);
	mg_upstream_end(&x->ops, code, msg);
	mg_pool_note_failure(0);
	mg_upx_free(x);
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

/* The http row's era of UP (transport.h). */
int
mg_upx_era(void *state, const mg_upstream_t *up)
{
	httpups_t *ups = state;

	if ((size_t)up->index >= ups->npools)
		return MG_PROTOCOL_AUTO;
	switch (upstream_era(ups, up)) {
	case ERA_NEW: return MG_PROTOCOL_2026;
	case ERA_OLD: return MG_PROTOCOL_2025;
	default: return MG_PROTOCOL_AUTO;
	}
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
void
mg_upx_message(upx_t *x, const char *msg, size_t len)
{
	struct json_object *root, *result, *v;
	const char         *version = "";

	if (x->step == STEP_DISCOVER) {
		discover_answer(x, msg, len);
		return;
	}
	if (x->step == STEP_BRIDGE_INIT) {
		mg_upbridge_capture(x, msg, len);
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
	mg_upx_note_peer(x);
	x->ops.head(x->ops.arg, x->status, MG_RESP_JSON, x->resp_sid, version);
	x->ops.data(x->ops.arg, msg, len);
	json_object_put(root);
}

void
mg_upx_sse_event(void *arg, const mg_sse_event_t *ev)
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
		mg_upbridge_message(x, ev->data, ev->data_len);
		return;
	}
	/* relayed whole, ids and retry included, so a client can resume
	 * through us; an initialize is answered as JSON (mg_upx_message) */
	if (x->step == STEP_REQUEST && !x->reinit && !x->initialize) {
		x->ops.event(x->ops.arg, ev->id, ev->retry,
		    message ? ev->data : "", message ? ev->data_len : 0);
		return;
	}
	if (message)
		mg_upx_message(x, ev->data, ev->data_len);
}

/*
 * A message of a JSON body (jsonseq.h), as soon as it is in.  A body of
 * one answer is the JSON answer it always was.  Anything before the
 * answer (a notification, as the acknowledgement that opens a
 * subscriptions/listen) makes the body a stream: its messages go on as
 * events, each at once, as an SSE stream's would.
 */
void
mg_upx_json_message(void *arg, const char *msg, size_t len, int response)
{
	upx_t *x = arg;

	if (x->step != STEP_REQUEST || x->reinit)
		return; /* a 404 to retry: its body means nothing */
	if (response && !x->streamed) {
		mg_upx_message(x, msg, len);
		return;
	}
	x->streamed = 1;
	x->ops.event(x->ops.arg, NULL, -1, msg, len);
}

/* Why the body was refused (httpup.c's up_on_body): to the client and
 * the log. */
void
mg_upx_body_refused(upx_t *x)
{
	long long max = (long long)x->pool->up->max_message_size;

	if (x->seq != NULL)
		mg_upx_end(x, UP_ERR, "%s", mg_jsonseq_error(x->seq));
	else if (x->sse != NULL)
		mg_upx_end(x, UP_ERR,
		    "sent an SSE event or line longer than %lld bytes "
		    "(max_message_size)",
		    max);
	else
		mg_upx_end(x, UP_ERR,
		    "answered with a body longer than %lld bytes "
		    "(max_message_size)",
		    max);
}

/* ---- sessions opened again ------------------------------------------ */

const char *
mg_upx_remap_find(httpups_t *ups, const char *sid)
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
	x->reinit = x->cred_refused = 0;
	x->resp_sid[0] = x->ctype[0] = '\0';
	if (x->json)
		evbuffer_free(x->json);
	x->json = NULL;
	mg_sse_parser_free(x->sse);
	x->sse = NULL;
	mg_jsonseq_free(x->seq);
	x->seq = NULL;
	x->streamed = x->body_bad = 0;
}

/* ---- a session the upstream forgot ----------------------------------- */

int
mg_upx_forgot(upx_t *x, int status)
{
	if (x->step != STEP_REQUEST || !x->sid[0] || x->retried ||
	    (x->init_len == 0 && !x->bridged))
		return 0;
	if (status == 404) {
		x->reinit = 1;
		return 1;
	}
	if (status != 400 || x->kind != MG_RESP_JSON)
		return 0;
	/* the body, read whole, decides (mg_upx_forgot_body) */
	x->forgot400 = 1;
	if (x->seq != NULL) {
		mg_jsonseq_free(x->seq);
		x->seq = NULL;
		x->json = evbuffer_new();
	}
	return 1;
}

void
mg_upx_forgot_body(upx_t *x)
{
	size_t len = x->json != NULL ? evbuffer_get_length(x->json) : 0;

	x->forgot400 = 0;
	if (len > 0 &&
	    memmem(evbuffer_pullup(x->json, (ev_ssize_t)len), len, "ession",
		6) != NULL) {
		mg_info("upstream \"%s\" answered 400 naming the session: it "
			"forgot it; opening it again",
		    x->pool->up->name);
		x->reinit = 1;
	} else if (!x->initialize) {
		x->head_sent = 1;
		mg_upx_note_peer(x);
		x->ops.head(x->ops.arg, x->status, x->kind, "",
		    x->bridged ? x->version : "");
	}
}

/* Our own step (initialize, initialized) is answered: the next one. */
void
mg_upx_next_step(upx_t *x)
{
	char old[MG_UP_SID_MAX];

	if (x->cred_refused) {
		/* once more with a new token, or the end (upcred.c) */
		if (mg_upcred_refused(x) != MG_OK)
			return;
	} else if (x->step == STEP_DISCOVER) {
		if (x->json != NULL && evbuffer_get_length(x->json) > 0)
			discover_answer(x,
			    (const char *)evbuffer_pullup(x->json, -1),
			    evbuffer_get_length(x->json));
		/* a server error says nothing of the era: ask again next time
		 */
		if (!x->discovered && x->status >= 500) {
			mg_upx_end(x, UP_ERR,
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
			mg_upx_release(x, 1);
			upx_reset_answer(x);
			mg_upbridge_enter(x);
			return;
		}
		x->step = STEP_REQUEST;
	} else if (x->step == STEP_BRIDGE_INIT) {
		if (x->json != NULL && evbuffer_get_length(x->json) > 0)
			mg_upbridge_capture(x,
			    (const char *)evbuffer_pullup(x->json, -1),
			    evbuffer_get_length(x->json));
		if (x->status != 200 || x->pool->bridge_init == NULL) {
			mg_upx_end(x, UP_ERR,
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
		mg_upx_release(x, 1);
		upx_reset_answer(x);
		while ((w = p->waiting) != NULL) {
			p->waiting = w->wait_next;
			mg_upbridge_go(w);
		}
		mg_upbridge_go(x);
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
		mg_upx_release(x, 1);
		upx_reset_answer(x);
		mg_upbridge_enter(x);
		return;
	} else if (x->step == STEP_REQUEST) { /* the 404 */
		x->step = STEP_REINIT;
	} else if (x->step == STEP_REINIT) {
		if (x->status != 200 || x->resp_sid[0] == '\0') {
			mg_upx_end(x, UP_ERR,
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
	mg_upx_release(x, 1);
	upx_reset_answer(x);
	mg_upx_send(x);
}

/* Connecting took too long (reading has its own bufferevent timeout). */
static void
upx_timeout(evutil_socket_t fd, short what, void *arg)
{
	upx_t *x = arg;

	x->fail = MG_POOL_FAIL_CONNECT;
	mg_upx_end(x, UP_ERR, "timed out connecting (%lld ms)",
	    (long long)x->pool->up->connect_timeout);
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

char *
mg_upx_copy(const char *p, size_t len)
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

upx_t *
mg_upx_start(httpups_t *ups, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	const char *lei = req->last_event_id ? req->last_event_id : "";
	size_t      lei_len = strlen(lei);
	upx_t      *x;

	/* the connector's loop is over (it stops, and frees what it holds):
	 * nothing new starts, such as the bridge's refusals to an upstream
	 * when a parked exchange is freed, which nothing would free */
	if (event_base_got_exit(ups->base) || event_base_got_break(ups->base))
		return NULL;
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
	x->data = malloc(req->init_len + req->body_len + lei_len +
	    req->headers_len + req->token_len + 5);
	if (x->data == NULL) {
		mg_upx_free(x);
		return NULL;
	}
	x->init = x->data;
	x->body = put(x->init, req->init, req->init_len);
	x->lei = put(x->body, req->body, req->body_len);
	x->headers = put(x->lei, lei, lei_len);
	x->ctok = put(x->headers, req->headers, req->headers_len);
	put(x->ctok, req->token, req->token_len);
	x->ctok_len = req->token_len;
	x->ctok_exp = req->token_exp;
	x->init_len = req->init_len;
	x->body_len = req->body_len;
	x->modern = req->modern;
	x->discover = req->discover;
	x->quiet = req->quiet;
	mg_upbridge_ask_init(x, req->caps);
	x->endless = req->modern && is_listen(req->headers, req->headers_len);
	x->headers_len = req->headers_len;
	x->timer = evtimer_new(ups->base, upx_timeout, x);
	x->later = x->modern ? event_new(ups->base, -1, 0, mg_upbridge_later, x)
			     : NULL;
	if (x->timer == NULL || (x->modern && x->later == NULL)) {
		mg_upx_free(x);
		return NULL;
	}
	/* the first 2026-07-28 request to an upstream of unknown era asks
	 * it first what it speaks; one of the 2025 revisions is bridged */
	switch (x->modern ? upstream_era(ups, req->up) : ERA_NEW) {
	case ERA_UNKNOWN:
		x->step = STEP_DISCOVER;
		mg_upx_send(x);
		break;
	case ERA_OLD: mg_upbridge_enter(x); break;
	default: mg_upx_send(x); break;
	}
	return x;
}

void
mg_upx_cancel(upx_t *x)
{
	mg_upbridge_cancelled(x);
	mg_upbridge_leave(x, 0, NULL);
	/* the answer is cut short: the connection cannot be reused */
	mg_upx_release(x, 0);
	mg_upx_free(x);
}
