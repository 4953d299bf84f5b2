/*
 * The connector process.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "child.h"
#include "connector.h"
#include "bridge.h"
#include "era.h"
#include "jsonrpc.h"
#include "httpmsg.h"
#include "link.h"
#include "log.h"
#include "served.h"
#include "sesstab.h"
#include "upstream.h"

#define MG_CONNECTOR_MAX_LINKS 1024

/* One request a worker asked us to relay. */
typedef struct relay {
	struct relay          *next;
	struct mg_connector_s *c;
	int                    slot; /* the worker's link */
	uint64_t               id;   /* its request id */
	int                    upstream;
	mg_upx_t              *x;
} relay_t;

/* A relay over the bridge whose client went with an input_required
 * result, kept for the retry (MG_MSG_PARK): what the upstream sends
 * meanwhile is queued; X is NULL once its answer ended (END kept). */
#define MG_PARK_QUEUE_MAX (1024 * 1024) /* bytes queued: more ends it */

typedef struct parked {
	struct parked         *next;
	struct mg_connector_s *c;
	uint8_t                key[MG_PARK_KEY];
	int                    upstream;
	mg_upx_t              *x;
	char                   version[32];
	struct evbuffer       *queue; /* messages: 4-byte length, text */
	int                    ended, code;
	char                  *why;
	struct event          *timer;
	int64_t                ms; /* how long it waits */
} parked_t;

static void      connector_subscribe(struct mg_connector_s *c, relay_t *r,
	 const mg_msg_req_t *q, const mg_upstream_t *up, const char *body,
	 size_t len);
static parked_t *park_take(
    struct mg_connector_s *c, const uint8_t *key, const mg_upstream_t *up);
static void park_resume(
    parked_t *p, relay_t *r, const mg_up_req_t *req, const mg_up_ops_t *ops);

/* A 2025 client's session on a route whose upstream speaks 2026-07-28
 * (the reverse bridge) with resources/subscribe'd URIs: the connector
 * holds one subscriptions/listen for them upstream and sends each update
 * to the workers (MG_MSG_NOTIFY_FWD); the one holding the session's GET
 * stream writes it there. */
typedef struct rsub {
	struct rsub           *next;
	struct mg_connector_s *c;
	uint64_t               session;
	const mg_upstream_t   *up;
	struct json_object    *uris; /* uri -> true */
	mg_upx_t              *x;    /* the listen, while open */
	struct event          *again;
} rsub_t;

/* A client came back to worker FROM for a stream that worker TO holds:
 * frames pass between them under each one's own request id. */
typedef struct peer {
	struct peer *next;
	int          from_slot, to_slot;
	uint64_t     from_id, to_id;
} peer_t;

/* The upstream session behind a gateway session, learnt from relayed
 * requests, so that it is closed upstream when ours idles out. */
#define MG_USESS_BUCKETS 4096
/* DELETEs of idle sessions' upstream sessions in flight at once: a sweep
 * that ends thousands queues them rather than open a connection each. */
#define MG_CLOSE_PARALLEL 8

typedef struct usess {
	struct usess *next;
	uint64_t      session;
	int           upstream;
	char         *sid;
	char          version[32];
} usess_t;

typedef struct mg_connector_s {
	usess_t           *usess[MG_USESS_BUCKETS];
	usess_t           *closing, *closing_last; /* to close upstream */
	int                nclosing;               /* DELETEs in flight */
	struct event      *sweep;                  /* ends idle sessions */
	mg_upstreams_t    *ups;
	relay_t           *relays;
	int                nrelays;
	peer_t            *peers;
	uint64_t           next_peer_id;
	parked_t          *parked;
	int                nparked;
	rsub_t            *rsubs;
	uint64_t           listens; /* ids of our listens */
	mg_child_ctx_t    *ctx;
	struct event_base *base;
	mg_child_t        *child;
	mg_link_t         *links[MG_CONNECTOR_MAX_LINKS]; /* by slot */
	int                quitting;
	int                bridges_closed; /* stopping: DELETEs queued */
} mg_connector_t;

static void peer_remove(mg_connector_t *c, peer_t *p);

/* The configuration's upstream of index I, or NULL. */
static const mg_upstream_t *
upstream_at(const mg_connector_t *c, int i)
{
	const mg_upstream_t *up = c->ctx->conf->upstreams;

	while (up != NULL && up->index != i)
		up = up->next;
	return up;
}

static void
connector_terminate(void *arg)
{
	mg_connector_t *c = arg;

	event_base_loopbreak(c->base);
}

static void bridge_close(
    void *arg, const mg_upstream_t *up, const char *sid, const char *version);
static void    usess_free(usess_t *u);
static void    park_free(parked_t *p);
static void    rsub_free(rsub_t *s);
static rsub_t *rsub_find(struct mg_connector_s *c, uint64_t session);

/* Stopping: the workers of this generation go first (each may still
 * take a request on a connection it held, and relay it here, until it
 * exits and its link closes), and relays in flight finish; then the
 * bridge's sessions are closed upstream (the idle sessions' DELETEs not
 * begun are not) and the stdio servers stopped (they get their time in
 * the loop), then the loop ends. */
static void connector_stdio_stopped(void *arg);

static int
connector_linked(const mg_connector_t *c)
{
	for (size_t i = 0; i < MG_CONNECTOR_MAX_LINKS; i++)
		if (c->links[i] != NULL)
			return 1;
	return 0;
}

static void
connector_maybe_exit(mg_connector_t *c)
{
	if (!c->quitting || c->nrelays > 0 || connector_linked(c))
		return;
	if (!c->bridges_closed) {
		c->bridges_closed = 1;
		while (c->closing != NULL) {
			usess_t *u = c->closing;

			c->closing = u->next;
			usess_free(u);
		}
		c->closing_last = NULL;
		while (c->parked != NULL)
			park_free(c->parked);
		while (c->rsubs != NULL)
			rsub_free(c->rsubs);
		mg_upstreams_take_bridges(c->ups, -1, bridge_close, c);
	}
	if (c->nclosing == 0 && c->closing == NULL &&
	    mg_upstreams_stop_stdio(c->ups, connector_stdio_stopped, c) == 0)
		event_base_loopexit(c->base, NULL);
}

/* The last stdio server of a stopping connector has exited. */
static void
connector_stdio_stopped(void *arg)
{
	connector_maybe_exit(arg);
}

static void
connector_quit(void *arg)
{
	mg_connector_t *c = arg;

	c->quitting = 1;
	if (connector_linked(c))
		mg_info("waiting for the workers of generation %d to exit",
		    c->ctx->generation);
	connector_maybe_exit(c);
}

/* ---- relaying requests to upstreams ---------------------------------- */

static void
relay_remove(relay_t *r)
{
	relay_t **pp;

	for (pp = &r->c->relays; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			r->c->nrelays--;
			break;
		}
	connector_maybe_exit(r->c);
	free(r);
}

static void
relay_head(
    void *arg, int status, int kind, const char *sid, const char *version)
{
	relay_t *r = arg;
	mg_msg_t m = { .type = MG_MSG_RESP_HEAD,
		.head = { status, (uint8_t)kind, { sid, strlen(sid) },
		    { version, strlen(version) } } };

	/* what does not fit the frame goes as nothing */
	if (m.head.sid.len >= MG_UP_SID_MAX ||
	    m.head.version.len > MG_MSG_VERSION_MAX)
		m.head.sid.len = m.head.version.len = 0;
	mg_link_send_msg(r->c->links[r->slot], r->id, &m);
}

static void
relay_data(void *arg, const char *msg, size_t len)
{
	relay_t *r = arg;
	mg_msg_t m = { .type = MG_MSG_RESP_DATA, .data = { { msg, len } } };

	mg_link_send_msg(r->c->links[r->slot], r->id, &m);
}

static void
relay_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	relay_t *r = arg;

	mg_link_send_event(r->c->links[r->slot], MG_MSG_RESP_EVENT, r->id, id,
	    retry, data, len);
}

static void
relay_end(void *arg, int code, const char *message)
{
	relay_t *r = arg;

	mg_link_send_end(
	    r->c->links[r->slot], MG_MSG_RESP_END, r->id, code, message);
	relay_remove(r);
}

static usess_t **
usess_find(mg_connector_t *c, uint64_t session)
{
	usess_t **pp = &c->usess[session % MG_USESS_BUCKETS];

	while (*pp != NULL && (*pp)->session != session)
		pp = &(*pp)->next;
	return pp;
}

static void
usess_free(usess_t *u)
{
	free(u->sid);
	free(u);
}

static void
usess_forget(mg_connector_t *c, uint64_t session)
{
	usess_t **pp = usess_find(c, session), *u = *pp;

	if (u == NULL)
		return;
	*pp = u->next;
	usess_free(u);
}

/* Remember (or forget, on DELETE) the upstream session of SESSION. */
static void
usess_note(mg_connector_t *c, const mg_msg_req_t *q, const char *sid,
    const char *version)
{
	usess_t **pp, *u;

	if (q->session == 0 || sid[0] == '\0')
		return;
	if (q->method == MG_HTTP_DELETE) {
		usess_forget(c, q->session);
		return;
	}
	pp = usess_find(c, q->session);
	if (*pp != NULL)
		return;
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->sid = strdup(sid)) == NULL) {
		free(u);
		return;
	}
	u->session = q->session;
	u->upstream = q->upstream;
	snprintf(u->version, sizeof(u->version), "%s", version);
	*pp = u;
}

static void close_next(mg_connector_t *c);

static void
close_end(void *arg, int code, const char *message)
{
	mg_connector_t *c = arg;

	if (code != 0)
		mg_info("closing an idle session upstream failed: %s", message);
	c->nclosing--;
	close_next(c);
	/* the last of a burst: what the sessions held goes back */
	if (c->nclosing == 0 && c->closing == NULL)
		mg_memory_trim();
	connector_maybe_exit(c);
}

/* U's session to close upstream: last in the queue. */
static void
close_queue(mg_connector_t *c, usess_t *u)
{
	u->next = NULL;
	if (c->closing_last)
		c->closing_last->next = u;
	else
		c->closing = u;
	c->closing_last = u;
	close_next(c);
}

/* A session of the bridge to close upstream: queued with the others. */
static void
bridge_close(
    void *arg, const mg_upstream_t *up, const char *sid, const char *version)
{
	mg_connector_t *c = arg;
	usess_t        *u = calloc(1, sizeof(*u));

	if (u == NULL || (u->sid = strdup(sid)) == NULL) {
		free(u);
		return;
	}
	u->upstream = up->index;
	snprintf(u->version, sizeof(u->version), "%s", version);
	close_queue(c, u);
}

/* Start the queued DELETEs, MG_CLOSE_PARALLEL at most at once. */
static void
close_next(mg_connector_t *c)
{
	static const mg_up_ops_t ops = { mg_answer_ignore_head,
		mg_answer_ignore_data, mg_answer_ignore_event, close_end,
		NULL };
	mg_up_ops_t              o = ops;
	const mg_upstream_t     *up;
	usess_t                 *u;
	mg_up_req_t              req;

	o.arg = c;
	while (c->nclosing < MG_CLOSE_PARALLEL && (u = c->closing) != NULL) {
		if ((c->closing = u->next) == NULL)
			c->closing_last = NULL;
		up = upstream_at(c, u->upstream);
		req = (mg_up_req_t){ MG_HTTP_DELETE, 0, 1, up, u->sid,
			u->version, "", 0, "", 0, "", 0, 0, "", 0, 0,
			u->session != 0 }; /* idle (else the bridge's) */
		c->nclosing++; /* before: the end may come at once */
		if (up == NULL || mg_upstream_start(c->ups, &req, &o) == NULL)
			c->nclosing--;
		else if (u->session != 0)
			mg_debug("closing upstream \"%s\"'s session of idle "
				 "session %016llx",
			    up->name, (unsigned long long)u->session);
		usess_free(u);
	}
}

/* A gateway session idled out: end the upstream's session too (DELETE),
 * so abandoned sessions do not pile up there. */
static void
connector_session_ended(void *arg, uint64_t session)
{
	mg_connector_t *c = arg;
	usess_t       **pp = usess_find(c, session), *u = *pp;
	rsub_t         *s = rsub_find(c, session);

	if (s != NULL)
		rsub_free(s);
	if (u == NULL)
		return;
	*pp = u->next;
	close_queue(c, u);
}

/* MG_MSG_REQ: start the exchange. */
static void
connector_request(mg_connector_t *c, mg_link_t *link, const mg_ipc_hdr_t *hdr,
    const mg_msg_req_t *q)
{
	static const char   *bad = "malformed REQ";
	char                 sid[MG_UP_SID_MAX], ver[MG_MSG_VERSION_MAX + 1];
	char                 lei[MG_MSG_LEI_MAX + 1];
	const mg_upstream_t *up = NULL;
	relay_t             *r;
	parked_t            *p;
	mg_up_ops_t ops = { relay_head, relay_data, relay_event, relay_end,
		NULL };
	mg_up_req_t req;

	if ((up = upstream_at(c, q->upstream)) == NULL)
		goto malformed;
	mg_msg_cstr(q->sid, sid, sizeof(sid));
	mg_msg_cstr(q->version, ver, sizeof(ver));
	mg_msg_cstr(q->lei, lei, sizeof(lei));
	usess_note(c, q, sid, ver);
	req = (mg_up_req_t){ q->method, q->flags & MG_REQ_F_INITIALIZE, q->hops,
		up, sid, ver, q->init.p, q->init.len, q->body.p, q->body.len,
		lei, (q->flags & MG_REQ_F_MODERN) != 0,
		(q->flags & MG_REQ_F_DISCOVER) != 0, q->headers.p,
		q->headers.len,
		q->flags & (MG_REQ_F_ELICIT | MG_REQ_F_SAMPLE | MG_REQ_F_ROOTS),
		0 };
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto failed;
	r->c = c;
	r->slot = mg_link_slot(link);
	r->id = hdr->id;
	r->upstream = up->index;
	ops.arg = r;
	r->next = c->relays;
	c->relays = r;
	c->nrelays++;
	if (q->flags & MG_REQ_F_SUBSCRIBE)
		connector_subscribe(c, r, q, up, q->body.p, q->body.len);
	/* a retry of a request parked here takes it over; a key we do not
	 * hold (it ended, or another connector parked it) starts afresh */
	else if ((q->flags & MG_REQ_F_RESUME) &&
	    (p = park_take(c, q->park, up)))
		park_resume(p, r, &req, &ops);
	/* on failure to start, the relay answers at once */
	else if ((r->x = mg_upstream_start(c->ups, &req, &ops)) == NULL) {
		relay_end(r, -32000, "cannot start a request to the upstream");
	}
	return;
malformed:
	mg_error("%s frame from worker %d", bad, mg_link_slot(link));
failed:
	mg_link_send_end(link, MG_MSG_RESP_END, hdr->id, -32603, NULL);
}

/* Tells a worker that the client reading its stream is gone. */
static const mg_msg_t peer_cancel = { .type = MG_MSG_PEER_CANCEL };

static void
connector_request_cancel(mg_connector_t *c, mg_link_t *link, uint64_t id)
{
	int slot = mg_link_slot(link);

	for (relay_t *r = c->relays; r != NULL; r = r->next)
		if (r->slot == slot && r->id == id) {
			if (r->x)
				mg_upstream_cancel(r->x);
			relay_remove(r);
			return;
		}
	for (peer_t *p = c->peers; p != NULL; p = p->next)
		if (p->from_slot == slot && p->from_id == id) {
			if (c->links[p->to_slot] != NULL)
				mg_link_send_msg(c->links[p->to_slot], p->to_id,
				    &peer_cancel);
			peer_remove(c, p);
			return;
		}
}

/* ---- relays parked over the bridge --------------------------------- */

/* P, out of the table already (park_take) or never in it. */
static void
park_destroy(parked_t *p)
{
	if (p->x != NULL)
		mg_upstream_cancel(p->x);
	if (p->timer)
		event_free(p->timer);
	if (p->queue)
		evbuffer_free(p->queue);
	free(p->why);
	free(p);
}

static void
park_free(parked_t *p)
{
	parked_t **pp;

	for (pp = &p->c->parked; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			p->c->nparked--;
			break;
		}
	park_destroy(p);
}

static void
park_queue(parked_t *p, const char *msg, size_t len)
{
	uint32_t n = (uint32_t)len;

	if (p->ended)
		return;
	if (evbuffer_get_length(p->queue) + len > MG_PARK_QUEUE_MAX) {
		mg_warn("a request parked for its client's retry got more "
			"than %d bytes meanwhile: ended",
		    MG_PARK_QUEUE_MAX);
		mg_upstream_cancel(p->x);
		p->x = NULL;
		p->ended = 1;
		p->code = -32603;
		p->why = strdup("the upstream sent too much while the "
				"request waited for the client's input");
		return;
	}
	evbuffer_add(p->queue, &n, sizeof(n));
	evbuffer_add(p->queue, msg, len);
}

static void
park_data(void *arg, const char *msg, size_t len)
{
	park_queue(arg, msg, len);
}

static void
park_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	(void)id, (void)retry;
	if (len > 0)
		park_queue(arg, data, len);
}

/* The upstream's answer ended while the client was away: kept for the
 * retry (the exchange itself is gone). */
static void
park_end(void *arg, int code, const char *message)
{
	parked_t *p = arg;

	p->x = NULL;
	if (p->ended)
		return;
	p->ended = 1;
	p->code = code;
	p->why = strdup(message ? message : "");
}

static void
park_expire(evutil_socket_t fd, short what, void *arg)
{
	parked_t *p = arg;

	(void)fd, (void)what;
	mg_info("a request parked for its client's retry waited %lld ms "
		"(the upstream's read_timeout): dropped",
	    (long long)p->ms);
	park_free(p);
}

static int
park_count(mg_connector_t *c, int upstream)
{
	int n = 0;

	for (parked_t *p = c->parked; p != NULL; p = p->next)
		n += p->upstream == upstream;
	return n;
}

/* MG_MSG_PARK: the relay ID of LINK's worker waits for a retry under the
 * key M, as long as the upstream's read_timeout. */
static void
connector_park(mg_connector_t *c, mg_link_t *link, const mg_ipc_hdr_t *hdr,
    const mg_msg_park_t *m)
{
	static const mg_up_ops_t ops = { mg_answer_ignore_head, park_data,
		park_event, park_end, NULL };
	mg_up_ops_t              o = ops;
	int                      slot = mg_link_slot(link);
	relay_t                 *r;
	parked_t                *p = NULL;
	const mg_upstream_t     *up;
	struct timeval           tv;

	for (r = c->relays; r != NULL; r = r->next)
		if (r->slot == slot && r->id == hdr->id)
			break;
	if (r == NULL || r->x == NULL)
		return; /* its answer ended already */
	up = upstream_at(c, r->upstream);
	if (up != NULL && park_count(c, up->index) >= up->max_input_waits) {
		/* the retry starts afresh (the key is not held) */
		mg_warn("upstream \"%s\": %d requests wait for their "
			"clients' input already (max_input_waits): one more "
			"is dropped",
		    up->name, up->max_input_waits);
		up = NULL;
	}
	if (up == NULL || (p = calloc(1, sizeof(*p))) == NULL ||
	    (p->queue = evbuffer_new()) == NULL ||
	    (p->timer = evtimer_new(c->base, park_expire, p)) == NULL) {
		if (p != NULL) {
			if (p->queue)
				evbuffer_free(p->queue);
			free(p);
		}
		mg_upstream_cancel(r->x);
		relay_remove(r);
		return;
	}
	p->c = c;
	memcpy(p->key, m->key, MG_PARK_KEY);
	p->upstream = r->upstream;
	p->x = r->x;
	snprintf(
	    p->version, sizeof(p->version), "%s", mg_upstream_version(r->x));
	o.arg = p;
	mg_upstream_park(p->x, &o);
	relay_remove(r);
	p->next = c->parked;
	c->parked = p;
	c->nparked++;
	mg_debug("upstream \"%s\": a request waits for its client's input "
		 "(%d in all)",
	    up->name, c->nparked);
	p->ms = up->read_timeout;
	tv.tv_sec = up->read_timeout / 1000;
	tv.tv_usec = (up->read_timeout % 1000) * 1000;
	evtimer_add(p->timer, &tv);
}

/* The parked relay under KEY for upstream UP, out of the table. */
static parked_t *
park_take(mg_connector_t *c, const uint8_t *key, const mg_upstream_t *up)
{
	parked_t **pp, *p;

	for (pp = &c->parked; (p = *pp) != NULL; pp = &p->next)
		if (p->upstream == up->index &&
		    CRYPTO_memcmp(p->key, key, MG_PARK_KEY) == 0) {
			*pp = p->next;
			c->nparked--;
			return p;
		}
	return NULL;
}

/* The retry R takes the parked relay P over: the upstream's requests
 * still waiting (or answered by REQ's inputResponses), then what came
 * meanwhile, then its end if it ended. */
static void
park_resume(
    parked_t *p, relay_t *r, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	uint32_t n;
	char    *msg;

	r->x = p->x;
	p->x = NULL;
	if (r->x != NULL)
		mg_upstream_resume(
		    r->x, ops, req->body, req->body_len, req->caps);
	else
		relay_head(r, 200, MG_RESP_SSE, "", p->version);
	while (evbuffer_remove(p->queue, &n, sizeof(n)) == sizeof(n) &&
	    (msg = malloc(n ? n : 1)) != NULL) {
		evbuffer_remove(p->queue, msg, n);
		relay_event(r, NULL, -1, msg, n);
		free(msg);
	}
	if (p->ended) {
		r->x = NULL;
		relay_end(r, p->code, p->why);
	}
	park_destroy(p);
}

/* ---- the reverse bridge's resource subscriptions ------------------- */

#define MG_RSUB_URIS_MAX 256 /* resources one session subscribes to */

static void rsub_open(rsub_t *s);

static rsub_t *
rsub_find(mg_connector_t *c, uint64_t session)
{
	for (rsub_t *s = c->rsubs; s != NULL; s = s->next)
		if (s->session == session)
			return s;
	return NULL;
}

static void
rsub_free(rsub_t *s)
{
	for (rsub_t **pp = &s->c->rsubs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (s->x != NULL) {
		mg_upx_t *x = s->x;

		s->x = NULL;
		mg_upstream_cancel(x);
	}
	if (s->again)
		event_free(s->again);
	json_object_put(s->uris);
	free(s);
}

/* A message of the listen: an update goes to the workers, for the
 * session's GET stream, without the subscription id (the 2025 client
 * has none); the acknowledgement and anything else stop here. */
static void
rsub_message(rsub_t *s, const char *msg, size_t len)
{
	struct json_object *root = mg_json_parse(msg, len), *v, *params;
	mg_msg_t            m = { .type = MG_MSG_NOTIFY_FWD };
	size_t              n;

	if (!json_object_object_get_ex(root, "method", &v) ||
	    strcmp(json_object_get_string(v),
		"notifications/resources/updated") != 0) {
		json_object_put(root);
		return;
	}
	if (json_object_object_get_ex(root, "params", &params))
		mg_bridge_meta_drop(params, MG_META_SUBSCRIPTION);
	m.note.session = s->session;
	m.note.text.p = json_object_to_json_string_length(
	    root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	m.note.text.len = n;
	for (size_t i = 0; i < MG_CONNECTOR_MAX_LINKS; i++)
		if (s->c->links[i] != NULL)
			mg_link_send_msg(s->c->links[i], 0, &m);
	json_object_put(root);
}

static void
rsub_head(void *arg, int status, int kind, const char *sid, const char *v)
{
	rsub_t *s = arg;

	(void)kind, (void)sid, (void)v;
	if (status != 200)
		mg_info("upstream \"%s\" answered the subscriptions/listen for "
			"session %016llx with HTTP %d",
		    s->up->name, (unsigned long long)s->session, status);
}

static void
rsub_data(void *arg, const char *msg, size_t len)
{
	rsub_message(arg, msg, len);
}

static void
rsub_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	(void)id, (void)retry;
	if (len > 0)
		rsub_message(arg, data, len);
}

static void
rsub_again(evutil_socket_t fd, short what, void *arg)
{
	rsub_t *s = arg;

	(void)fd, (void)what;
	if (s->x == NULL && json_object_object_length(s->uris) > 0)
		rsub_open(s);
}

/* The listen ended (the upstream ended it, or failed): again in 1 s. */
static void
rsub_end(void *arg, int code, const char *message)
{
	rsub_t        *s = arg;
	struct timeval tv = { 1, 0 };

	s->x = NULL;
	mg_info("the subscriptions/listen for session %016llx at upstream "
		"\"%s\" ended%s%s; again in 1 s",
	    (unsigned long long)s->session, s->up->name, code ? ": " : "",
	    code ? message : "");
	if (s->again == NULL)
		s->again = evtimer_new(s->c->base, rsub_again, s);
	if (s->again != NULL)
		evtimer_add(s->again, &tv);
}

/* (Again) the session's listen upstream, for the URIs it wants now. */
static void
rsub_open(rsub_t *s)
{
	static const mg_up_ops_t ops = { rsub_head, rsub_data, rsub_event,
		rsub_end, NULL };
	mg_up_ops_t              o = ops;
	struct json_object      *body = json_object_new_object(), *p, *n, *m,
			   *uris = json_object_new_array(), *info;
	const char *text;
	char        id[48];
	size_t      len;
	mg_up_req_t req = { .method = MG_HTTP_POST,
		.hops = 1,
		.up = s->up,
		.sid = "",
		.version = MG_ERA_2026,
		.init = "",
		.last_event_id = "",
		.modern = 1,
		.headers = "Mcp-Method: subscriptions/listen\r\n" };

	if (s->x != NULL) {
		mg_upx_t *x = s->x;

		s->x = NULL;
		mg_upstream_cancel(x);
	}
	json_object_object_foreach(s->uris, uri, v)
	{
		(void)v;
		json_object_array_add(uris, json_object_new_string(uri));
	}
	snprintf(id, sizeof(id), "mcpgw-listen-%llu",
	    (unsigned long long)++s->c->listens);
	json_object_object_add(body, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(body, "id", json_object_new_string(id));
	json_object_object_add(
	    body, "method", json_object_new_string("subscriptions/listen"));
	p = json_object_new_object();
	n = json_object_new_object();
	m = json_object_new_object();
	info = json_object_new_object();
	json_object_object_add(n, "resourceSubscriptions", uris);
	json_object_object_add(p, "notifications", n);
	json_object_object_add(
	    m, MG_META_VERSION, json_object_new_string(MG_ERA_2026));
	json_object_object_add(
	    m, MG_META_CAPABILITIES, json_object_new_object());
	json_object_object_add(info, "name", json_object_new_string("mcpgw"));
	json_object_object_add(
	    info, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(m, MG_META_CLIENT_INFO, info);
	json_object_object_add(p, "_meta", m);
	json_object_object_add(body, "params", p);
	text = json_object_to_json_string_length(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	req.body = text;
	req.body_len = len;
	req.headers_len = strlen(req.headers);
	o.arg = s;
	s->x = mg_upstream_start(s->c->ups, &req, &o);
	json_object_put(body);
}

/* Answer relay R with a result {} (CODE 0) or an error. */
static void
rsub_reply(relay_t *r, struct json_object *id, int code, const char *message)
{
	struct json_object *m = json_object_new_object(), *e;
	const char         *text;
	size_t              len;

	json_object_object_add(m, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(m, "id", json_object_get(id));
	if (code == 0)
		json_object_object_add(m, "result", json_object_new_object());
	else {
		e = json_object_new_object();
		json_object_object_add(e, "code", json_object_new_int(code));
		json_object_object_add(
		    e, "message", json_object_new_string(message));
		json_object_object_add(m, "error", e);
	}
	text = json_object_to_json_string_length(
	    m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	relay_head(r, 200, MG_RESP_JSON, "", "");
	relay_data(r, text, len);
	relay_end(r, 0, "");
	json_object_put(m);
}

/* MG_REQ_F_SUBSCRIBE: a 2025 client's resources/subscribe or
 * unsubscribe (BODY) for its session, or the session's end (DELETE). */
static void
connector_subscribe(mg_connector_t *c, relay_t *r, const mg_msg_req_t *q,
    const mg_upstream_t *up, const char *body, size_t len)
{
	rsub_t             *s = rsub_find(c, q->session);
	struct json_object *root, *v, *id = NULL, *uri = NULL;
	int                 sub;

	if (q->method == MG_HTTP_DELETE || q->session == 0) {
		if (s != NULL)
			rsub_free(s);
		relay_end(r, 0, "");
		return;
	}
	root = mg_json_parse(body, len);
	json_object_object_get_ex(root, "id", &id);
	sub = json_object_object_get_ex(root, "method", &v) &&
	    strcmp(json_object_get_string(v), "resources/subscribe") == 0;
	if (!json_object_object_get_ex(root, "params", &v) ||
	    !json_object_object_get_ex(v, "uri", &uri) ||
	    !json_object_is_type(uri, json_type_string)) {
		rsub_reply(r, id, -32602, "Invalid params: uri (a string)");
		json_object_put(root);
		return;
	}
	if (sub && s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL) {
			rsub_reply(r, id, -32603, "out of memory");
			json_object_put(root);
			return;
		}
		s->c = c;
		s->session = q->session;
		s->up = up;
		s->uris = json_object_new_object();
		s->next = c->rsubs;
		c->rsubs = s;
	}
	if (sub &&
	    !json_object_object_get_ex(
		s->uris, json_object_get_string(uri), NULL)) {
		if (json_object_object_length(s->uris) >= MG_RSUB_URIS_MAX) {
			rsub_reply(r, id, -32603,
			    "too many subscriptions in this session (256)");
			json_object_put(root);
			return;
		}
		json_object_object_add(s->uris, json_object_get_string(uri),
		    json_object_new_boolean(1));
		rsub_open(s);
	} else if (!sub && s != NULL &&
	    json_object_object_get_ex(
		s->uris, json_object_get_string(uri), NULL)) {
		json_object_object_del(s->uris, json_object_get_string(uri));
		if (json_object_object_length(s->uris) == 0)
			rsub_free(s);
		else
			rsub_open(s);
	}
	rsub_reply(r, id, 0, NULL);
	json_object_put(root);
}

/* ---- streams another worker holds (resumption) ---------------------- */

static void
peer_remove(mg_connector_t *c, peer_t *p)
{
	peer_t **pp;

	for (pp = &c->peers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p);
}

static void
connector_resume(mg_connector_t *c, mg_link_t *link, const mg_ipc_hdr_t *hdr,
    const mg_msg_t *m)
{
	mg_msg_t fwd = *m;
	int      slot = m->resume.slot;
	peer_t  *p;

	if (slot < 0 || slot >= MG_CONNECTOR_MAX_LINKS ||
	    c->links[slot] == NULL || (p = calloc(1, sizeof(*p))) == NULL) {
		mg_link_send_end(link, MG_MSG_RESP_END, hdr->id, -32000,
		    "the stream is gone with the worker that held it; send "
		    "the request again");
		return;
	}
	mg_debug("worker %d resumes a stream of worker %d for its client",
	    mg_link_slot(link), slot);
	p->from_slot = mg_link_slot(link);
	p->from_id = hdr->id;
	p->to_slot = slot;
	p->to_id = ++c->next_peer_id;
	p->next = c->peers;
	c->peers = p;
	fwd.type = MG_MSG_RESUME_FWD;
	mg_link_send_msg(c->links[slot], p->to_id, &fwd);
}

/* The holder's answer goes to the asker as RESP_HEAD, _EVENT, _END. */
static void
connector_peer_frame(mg_connector_t *c, mg_link_t *link,
    const mg_ipc_hdr_t *hdr, const mg_msg_t *m)
{
	int      slot = mg_link_slot(link);
	mg_msg_t fwd = *m;
	peer_t  *p;

	for (p = c->peers; p != NULL; p = p->next)
		if (p->to_slot == slot && p->to_id == hdr->id)
			break;
	if (p == NULL)
		return; /* the asker's client left meanwhile */
	fwd.type = hdr->type == MG_MSG_PEER_HEAD ? MG_MSG_RESP_HEAD
	    : hdr->type == MG_MSG_PEER_EVENT     ? MG_MSG_RESP_EVENT
						 : MG_MSG_RESP_END;
	if (c->links[p->from_slot] != NULL)
		mg_link_send_msg(c->links[p->from_slot], p->from_id, &fwd);
	if (hdr->type == MG_MSG_PEER_END)
		peer_remove(c, p);
}

/* A worker is gone: nobody waits for what it asked. */
static void
connector_drop_slot(mg_connector_t *c, int slot)
{
	relay_t *r, *next;
	peer_t  *p, *pnext;

	for (p = c->peers; p != NULL; p = pnext) {
		pnext = p->next;
		if (p->from_slot == slot && c->links[p->to_slot] != NULL)
			mg_link_send_msg(
			    c->links[p->to_slot], p->to_id, &peer_cancel);
		else if (p->to_slot == slot && c->links[p->from_slot] != NULL)
			mg_link_send_end(c->links[p->from_slot],
			    MG_MSG_RESP_END, p->from_id, -32000,
			    "the worker holding the stream went away; send "
			    "the request again");
		if (p->from_slot == slot || p->to_slot == slot)
			peer_remove(c, p);
	}

	for (r = c->relays; r != NULL; r = next) {
		next = r->next;
		if (r->slot != slot)
			continue;
		if (r->x)
			mg_upstream_cancel(r->x);
		relay_remove(r);
	}
}

/* A worker could not place notifications/cancelled or a client's
 * response: the call is on another worker, so every other worker hears
 * of it. */
static void
connector_forward(
    void *arg, mg_link_t *from, const mg_ipc_hdr_t *hdr, const mg_msg_t *m)
{
	mg_connector_t *c = arg;
	mg_msg_t        fwd = *m;

	fwd.type =
	    hdr->type == MG_MSG_CANCEL ? MG_MSG_CANCEL_FWD : MG_MSG_ANSWER_FWD;
	for (size_t i = 0; i < MG_CONNECTOR_MAX_LINKS; i++)
		if (c->links[i] != NULL && c->links[i] != from)
			mg_link_send_msg(c->links[i], hdr->id, &fwd);
}

static void
connector_frame(
    void *arg, mg_link_t *link, const mg_ipc_hdr_t *hdr, const mg_msg_t *m)
{
	if (hdr->type == MG_MSG_HELLO) {
		mg_msg_t welcome = { .type = MG_MSG_WELCOME, .link = m->link };

		mg_debug("worker %d of generation %d said hello", m->link.slot,
		    m->link.generation);
		mg_link_send_msg(link, 0, &welcome);
		return;
	}
	if (hdr->type == MG_MSG_CANCEL || hdr->type == MG_MSG_ANSWER) {
		connector_forward(arg, link, hdr, m);
		return;
	}
	if (hdr->type == MG_MSG_REQ) {
		mg_served_mark(); /* a crash from now on is no start-up one */
		connector_request(arg, link, hdr, &m->req);
		return;
	}
	if (hdr->type == MG_MSG_REQ_CANCEL) {
		connector_request_cancel(arg, link, hdr->id);
		return;
	}
	if (hdr->type == MG_MSG_PARK) {
		connector_park(arg, link, hdr, &m->park);
		return;
	}
	if (hdr->type == MG_MSG_RESUME) {
		connector_resume(arg, link, hdr, m);
		return;
	}
	if (hdr->type >= MG_MSG_PEER_HEAD && hdr->type <= MG_MSG_PEER_END) {
		connector_peer_frame(arg, link, hdr, m);
		return;
	}
	mg_debug("%s frame from worker %d", mg_ipc_type_name(hdr->type),
	    mg_link_slot(link));
}

static void
connector_lost(void *arg, mg_link_t *link, const char *why)
{
	mg_connector_t *c = arg;
	int             slot = mg_link_slot(link);

	mg_info("link to worker %d closed: %s", slot, why);
	if (c->links[slot] == link) {
		c->links[slot] = NULL;
		connector_drop_slot(c, slot);
	}
	connector_maybe_exit(c);
}

static void
connector_link(void *arg, int fd, const mg_msg_link_t *msg)
{
	static const mg_link_ops_t ops = { connector_frame, connector_lost,
		NULL };
	mg_connector_t            *c = arg;
	mg_link_ops_t              o = ops;

	if (msg->slot < 0 || msg->slot >= MG_CONNECTOR_MAX_LINKS) {
		mg_error("LINK for worker slot %d out of range", msg->slot);
		close(fd);
		return;
	}
	o.arg = c;
	connector_drop_slot(c, msg->slot);
	mg_link_free(c->links[msg->slot]);
	c->links[msg->slot] = mg_link_new(c->base, fd, msg->slot, &o);
	if (c->links[msg->slot] == NULL)
		mg_error("cannot set up the link to worker %d", msg->slot);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The connector sweeps the shared session table: one process, so the
 * work is done once, and it will own what idle sessions hold upstream. */
static void
connector_sweep(evutil_socket_t fd, short what, void *arg)
{
	mg_connector_t *c = arg;
	size_t          alive;

	alive = mg_sesstab_sweep(c->ctx->sessions, now_ms(),
	    c->ctx->conf->session_timeout, connector_session_ended, c);
	mg_debug("session sweep: %zu alive", alive);
	/* the bridge's sessions too, idle as long */
	mg_upstreams_take_bridges(
	    c->ups, c->ctx->conf->session_timeout, bridge_close, c);
}

static int
connector_sweep_start(mg_connector_t *c)
{
	int64_t        ms = c->ctx->conf->session_timeout / 10;
	struct timeval tv;

	if (ms < 1000)
		ms = 1000;
	if (ms > 60000)
		ms = 60000;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	c->sweep = event_new(c->base, -1, EV_PERSIST, connector_sweep, c);
	return c->sweep != NULL && event_add(c->sweep, &tv) == 0 ? MG_OK
								 : MG_ERROR;
}

int
mg_connector_main(mg_child_ctx_t *ctx)
{
	mg_connector_t c = { .ctx = ctx };
	mg_child_ops_t ops = { connector_quit, connector_terminate,
		connector_link, NULL, &c };
	int            rc = 1;
	char          *err = NULL;

	mg_child_init(ctx);
	if ((c.base = mg_event_base_new()) == NULL) {
		mg_error("cannot create the event loop");
		goto out;
	}
	if ((c.ups = mg_upstreams_new(c.base, ctx->conf, ctx->tls, &err)) ==
	    NULL) {
		mg_error("%s", err ? err : "out of memory");
		free(err);
		goto out;
	}
	if ((c.child = mg_child_new(ctx, c.base, &ops)) == NULL ||
	    connector_sweep_start(&c) != MG_OK)
		goto out;
	mg_child_ready(c.child);
	mg_info("connector serving");
	event_base_dispatch(c.base);
	rc = 0;
out:
	for (size_t i = 0; i < MG_CONNECTOR_MAX_LINKS; i++) {
		connector_drop_slot(&c, (int)i);
		mg_link_free(c.links[i]);
	}
	while (c.parked != NULL)
		park_free(c.parked);
	while (c.rsubs != NULL)
		rsub_free(c.rsubs);
	mg_upstreams_free(c.ups);
	for (size_t i = 0; i < MG_USESS_BUCKETS; i++)
		while (c.usess[i] != NULL)
			usess_forget(&c, c.usess[i]->session);
	while (c.closing != NULL) {
		usess_t *u = c.closing;

		c.closing = u->next;
		usess_free(u);
	}
	mg_child_free(c.child);
	if (c.sweep)
		event_free(c.sweep);
	if (c.base)
		event_base_free(c.base);
	return rc;
}
