/*
 * Parked relays (the connector): a request over the bridge whose client
 * went with an input_required result, kept under its key for the
 * client's retry (MG_MSG_PARK), what the upstream sends meanwhile queued.
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
#include "connpriv.h"
#include "upstream.h"

/* ---- relays parked over the bridge --------------------------------- */

/* P, out of the table already (mg_park_take) or never in it. */
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

void
mg_park_free(parked_t *p)
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
	mg_park_free(p);
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
void
mg_connector_park(mg_connector_t *c, mg_link_t *link, const mg_ipc_hdr_t *hdr,
    const mg_msg_park_t *m)
{
	static const mg_up_ops_t ops = { mg_answer_ignore_head, park_data,
		park_event, park_end, NULL, NULL };
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
	up = mg_connector_upstream(c, r->upstream);
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
		mg_relay_remove(r);
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
	mg_relay_remove(r);
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
parked_t *
mg_park_take(mg_connector_t *c, const uint8_t *key, const mg_upstream_t *up)
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
void
mg_park_resume(
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
		mg_relay_head(r, 200, MG_RESP_SSE, "", p->version);
	while (evbuffer_remove(p->queue, &n, sizeof(n)) == sizeof(n) &&
	    (msg = malloc(n ? n : 1)) != NULL) {
		evbuffer_remove(p->queue, msg, n);
		mg_relay_event(r, NULL, -1, msg, n);
		free(msg);
	}
	if (p->ended) {
		r->x = NULL;
		mg_relay_end(r, p->code, p->why);
	}
	park_destroy(p);
}
