/*
 * Relays (the connector): one request a worker asked it to send
 * upstream, from the MG_MSG_REQ frame to the end frame, each answer's
 * head, data and events passed back to that worker as they come.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "board.h"
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
#include "health.h"
#include "transport.h"
#include "upstream.h"

/* ---- relaying requests to upstreams ---------------------------------- */

void
mg_relay_remove(relay_t *r)
{
	relay_t **pp;

	for (pp = &r->c->relays; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			r->c->nrelays--;
			mg_cmetrics_relay_gone(r);
			break;
		}
	mg_connector_maybe_exit(r->c);
	free(r);
}

static char relay_peer[MG_MSG_ADDR_MAX + 1];

void
mg_relay_note_peer(const char *addr)
{
	size_t n = addr != NULL ? strnlen(addr, sizeof(relay_peer) - 1) : 0;

	if (n > 0)
		memcpy(relay_peer, addr, n);
	relay_peer[n] = '\0';
}

static int64_t
relay_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
mg_relay_head(
    void *arg, int status, int kind, const char *sid, const char *version)
{
	relay_t *r = arg;
	mg_msg_t m = { .type = MG_MSG_RESP_HEAD,
		.head = { status, (uint8_t)kind, { sid, strlen(sid) },
		    { version, strlen(version) },
		    r->start_us ? relay_now_us() - r->start_us : -1,
		    { relay_peer, strlen(relay_peer) } } };

	r->status = status;
	/* what does not fit the frame goes as nothing */
	if (m.head.sid.len >= MG_UP_SID_MAX ||
	    m.head.version.len > MG_MSG_VERSION_MAX)
		m.head.sid.len = m.head.version.len = 0;
	mg_link_send_msg(r->c->links[r->slot], r->id, &m);
	relay_peer[0] = '\0'; /* the next head's is noted anew */
}

void
mg_relay_data(void *arg, const char *msg, size_t len)
{
	relay_t *r = arg;
	mg_msg_t m = { .type = MG_MSG_RESP_DATA, .data = { { msg, len } } };

	mg_link_send_msg(r->c->links[r->slot], r->id, &m);
}

void
mg_relay_event(
    void *arg, const char *id, long retry, const char *data, size_t len)
{
	relay_t *r = arg;

	mg_link_send_event(r->c->links[r->slot], MG_MSG_RESP_EVENT, r->id, id,
	    retry, data, len);
}

/* The upstream's health on the status board (board.h): it answered, or
 * the exchange failed (no answer, a 5xx, or an answer cut short). */
static void
relay_board(const relay_t *r, int code, const char *message)
{
	char why[MG_BOARD_TEXT];

	if (code == 0 && r->status > 0 && r->status < 500) {
		mg_board_up_result(r->upstream, 1, NULL);
		return;
	}
	if (r->status >= 500)
		snprintf(why, sizeof(why), "HTTP %d%s%s", r->status,
		    message ? ": " : "", message ? message : "");
	else
		snprintf(why, sizeof(why), "%s",
		    message ? message : "the exchange failed");
	mg_board_up_result(r->upstream, 0, why);
}

void
mg_relay_end(void *arg, int code, const char *message)
{
	relay_t *r = arg;

	mg_cmetrics_relay_end(r, code, message);
	relay_board(r, code, message);
	mg_link_send_end(
	    r->c->links[r->slot], MG_MSG_RESP_END, r->id, code, message);
	mg_relay_remove(r);
}

/* MG_MSG_REQ: start the exchange. */
void
mg_connector_request(mg_connector_t *c, mg_link_t *link,
    const mg_ipc_hdr_t *hdr, const mg_msg_req_t *q)
{
	static const char   *bad = "malformed REQ";
	char                 sid[MG_UP_SID_MAX], ver[MG_MSG_VERSION_MAX + 1];
	char                 lei[MG_MSG_LEI_MAX + 1];
	const mg_upstream_t *up = NULL;
	relay_t             *r;
	parked_t            *p;
	mg_up_ops_t ops = { mg_relay_head, mg_relay_data, mg_relay_event,
		mg_relay_end, NULL, NULL };
	mg_up_req_t req;

	if ((up = mg_connector_upstream(c, q->upstream)) == NULL)
		goto malformed;
	mg_msg_cstr(q->sid, sid, sizeof(sid));
	mg_msg_cstr(q->version, ver, sizeof(ver));
	mg_msg_cstr(q->lei, lei, sizeof(lei));
	mg_usess_note(c, q, sid, ver);
	req = (mg_up_req_t){ q->method, q->flags & MG_REQ_F_INITIALIZE, q->hops,
		up, sid, ver, q->init.p, q->init.len, q->body.p, q->body.len,
		lei, (q->flags & MG_REQ_F_MODERN) != 0,
		(q->flags & MG_REQ_F_DISCOVER) != 0, q->headers.p,
		q->headers.len,
		q->flags & (MG_REQ_F_ELICIT | MG_REQ_F_SAMPLE | MG_REQ_F_ROOTS),
		0, q->token.len ? q->token.p : NULL, q->token.len, q->token_exp,
		0, 0 };
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto failed;
	r->c = c;
	r->slot = mg_link_slot(link);
	r->id = hdr->id;
	r->upstream = up->index;
	r->start_us = relay_now_us();
	ops.arg = r;
	r->next = c->relays;
	c->relays = r;
	c->nrelays++;
	mg_cmetrics_relay_start(r);
	if (q->flags & MG_REQ_F_SUBSCRIBE)
		mg_connector_subscribe(c, r, q, up, q->body.p, q->body.len);
	/* a retry of a request parked here takes it over; a key we do not
	 * hold (it ended, or another connector parked it) starts afresh */
	else if ((q->flags & MG_REQ_F_RESUME) &&
	    (p = mg_park_take(c, q->park, up)))
		mg_park_resume(p, r, &req, &ops);
	/* a new session (or a 2026-07-28 request, which has none) is not
	 * given to a server its health checks took down (health.c) */
	else if ((req.initialize || req.modern) &&
	    mg_health_is_down(c->health, up->index))
		mg_relay_end(r, -32000,
		    "its server is down (health_check): no new session");
	/* on failure to start, the relay answers at once */
	else if ((r->x = mg_upstream_start(c->ups, &req, &ops)) == NULL) {
		mg_relay_end(
		    r, -32000, "cannot start a request to the upstream");
	}
	return;
malformed:
	mg_error("%s frame from worker %d", bad, mg_link_slot(link));
failed:
	mg_link_send_end(link, MG_MSG_RESP_END, hdr->id, -32603, NULL);
}

void
mg_connector_request_cancel(mg_connector_t *c, mg_link_t *link, uint64_t id)
{
	int slot = mg_link_slot(link);

	for (relay_t *r = c->relays; r != NULL; r = r->next)
		if (r->slot == slot && r->id == id) {
			if (r->x)
				mg_upstream_cancel(r->x);
			mg_relay_remove(r);
			return;
		}
	for (peer_t *p = c->peers; p != NULL; p = p->next)
		if (p->from_slot == slot && p->from_id == id) {
			if (c->links[p->to_slot] != NULL)
				mg_link_send_msg(c->links[p->to_slot], p->to_id,
				    &mg_peer_cancel);
			mg_peer_remove(c, p);
			return;
		}
}
