/*
 * The worker's end of the link to the connector (proxy.h): REQ frames out
 * under per-worker request ids, the answer frames matched back to their
 * relays, and every waiting relay ended at once when the link is lost.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "proxy.h"

#define NO_CONNECTOR "the connector process is not available; try again"

struct mg_relay {
	mg_relay_t    *next;
	mg_proxy_t    *p;
	uint64_t       id;
	mg_relay_ops_t ops;
	/* waiting for a link: the frame to send once there is one */
	int      held;
	unsigned type;
	uint8_t *frame;
	size_t   frame_len;
	int64_t  until; /* ms, monotonic: then it fails */
};

struct mg_proxy {
	mg_link_t    *link;
	mg_relay_t   *relays;
	mg_relay_t   *held, **held_tail; /* oldest first */
	struct event *expire;            /* the oldest held relay's end */
	int64_t       hold_ms;           /* 0: a relay without a link fails */
	uint64_t      next_id;
};

static void proxy_expire(evutil_socket_t fd, short what, void *arg);

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

mg_proxy_t *
mg_proxy_new(void)
{
	mg_proxy_t *p = calloc(1, sizeof(mg_proxy_t));

	if (p != NULL)
		p->held_tail = &p->held;
	return p;
}

static void
relay_unlink(mg_relay_t *r)
{
	mg_relay_t **pp;

	if (!r->held) {
		for (pp = &r->p->relays; *pp != NULL; pp = &(*pp)->next)
			if (*pp == r) {
				*pp = r->next;
				return;
			}
		return;
	}
	for (pp = &r->p->held; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			if ((*pp = r->next) == NULL)
				r->p->held_tail = pp;
			break;
		}
	free(r->frame);
	r->frame = NULL;
	r->held = 0;
}

static void
relay_end(mg_relay_t *r, int code, const char *message)
{
	mg_relay_ops_t ops = r->ops;

	relay_unlink(r);
	free(r);
	ops.end(ops.arg, code, message);
}

/* Arm the timer for the oldest relay still waiting for a link. */
static void
hold_arm(mg_proxy_t *p)
{
	int64_t        ms;
	struct timeval tv;

	if (p->expire == NULL)
		return;
	if (p->held == NULL) {
		evtimer_del(p->expire);
		return;
	}
	ms = p->held->until - now_ms();
	ms = ms > 0 ? ms : 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(p->expire, &tv);
}

static void
proxy_expire(evutil_socket_t fd, short what, void *arg)
{
	mg_proxy_t *p = arg;
	int64_t     now = now_ms();

	(void)fd, (void)what;
	while (p->held != NULL && p->held->until <= now)
		relay_end(p->held, -32000, NO_CONNECTOR);
	hold_arm(p);
}

/* The relays that waited for a link go out on it, oldest first. */
static void
hold_flush(mg_proxy_t *p)
{
	mg_relay_t *r;

	while ((r = p->held) != NULL) {
		if (mg_link_send(p->link, r->type, r->id, r->frame,
			r->frame_len) != MG_OK) {
			relay_end(r, -32000, NO_CONNECTOR);
			continue;
		}
		relay_unlink(r);
		r->next = p->relays;
		p->relays = r;
	}
	hold_arm(p);
}

void
mg_proxy_set_link(mg_proxy_t *p, mg_link_t *link)
{
	/* relays of a lost (or replaced) link will never be answered; one
	 * their ends start waits for the new link */
	p->link = NULL;
	while (p->relays != NULL)
		relay_end(p->relays, -32000,
		    "the connector process went away; try again");
	p->link = link;
	if (link != NULL)
		hold_flush(p);
}

int
mg_proxy_set_hold(mg_proxy_t *p, struct event_base *base, int64_t hold_ms)
{
	if (hold_ms > 0 && p->expire == NULL &&
	    (p->expire = evtimer_new(base, proxy_expire, p)) == NULL)
		return MG_ERROR;
	p->hold_ms = hold_ms;
	if (hold_ms > 0)
		return MG_OK;
	while (p->held != NULL)
		relay_end(p->held, -32000, NO_CONNECTOR);
	hold_arm(p);
	return MG_OK;
}

void
mg_proxy_free(mg_proxy_t *p)
{
	if (p == NULL)
		return;
	mg_proxy_set_link(p, NULL);
	mg_proxy_set_hold(p, NULL, 0);
	if (p->expire)
		event_free(p->expire);
	free(p);
}

static mg_relay_t *
relay_find(mg_proxy_t *p, uint64_t id)
{
	for (mg_relay_t *r = p->relays; r != NULL; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

static void
relay_head(mg_relay_t *r, const mg_msg_head_t *h)
{
	char sid[MG_UP_SID_MAX], ver[MG_MSG_VERSION_MAX + 1];
	char addr[MG_MSG_ADDR_MAX + 1];

	if (r->ops.upstream != NULL)
		r->ops.upstream(r->ops.arg, h->status,
		    mg_msg_cstr(h->addr, addr, sizeof(addr)), h->us);
	r->ops.head(r->ops.arg, h->status, h->kind,
	    mg_msg_cstr(h->sid, sid, sizeof(sid)),
	    mg_msg_cstr(h->version, ver, sizeof(ver)));
}

static void
relay_event(mg_relay_t *r, const mg_msg_event_t *e)
{
	char id[MG_MSG_EVENT_ID_MAX + 1];

	r->ops.event(r->ops.arg,
	    e->has_id ? mg_msg_cstr(e->id, id, sizeof(id)) : NULL, e->retry,
	    e->data.p, e->data.len);
}

void
mg_proxy_frame(mg_proxy_t *p, const mg_ipc_hdr_t *hdr, const mg_msg_t *m)
{
	mg_relay_t *r = relay_find(p, hdr->id);
	char        msg[MG_MSG_END_MAX + 1];

	if (r == NULL)
		return; /* cancelled meanwhile */
	switch (hdr->type) {
	case MG_MSG_RESP_HEAD: relay_head(r, &m->head); break;
	case MG_MSG_RESP_DATA:
		r->ops.data(r->ops.arg, m->data.msg.p, m->data.msg.len);
		break;
	case MG_MSG_RESP_EVENT: relay_event(r, &m->event); break;
	case MG_MSG_RESP_END:
		relay_end(r, m->end.code,
		    mg_msg_cstr(m->end.message, msg, sizeof(msg)));
		break;
	}
}

/* No link now: the relay's frame waits for the next one (the master
 * starts a new connector at once), up to hold_ms. */
static int
relay_hold(mg_relay_t *r, unsigned type, const mg_ipc_part_t *parts, size_t n)
{
	mg_proxy_t *p = r->p;
	size_t      len = 0;

	for (size_t i = 0; i < n; i++)
		len += parts[i].len;
	if ((r->frame = malloc(len ? len : 1)) == NULL)
		return MG_ERROR;
	len = 0;
	for (size_t i = 0; i < n; i++) {
		if (parts[i].len > 0)
			memcpy(r->frame + len, parts[i].p, parts[i].len);
		len += parts[i].len;
	}
	r->frame_len = len;
	r->type = type;
	r->held = 1;
	r->until = now_ms() + p->hold_ms;
	*p->held_tail = r;
	p->held_tail = &r->next;
	if (p->held == r)
		hold_arm(p);
	return MG_OK;
}

/* A new relay whose answers come under a fresh request id. */
static mg_relay_t *
relay_start(mg_proxy_t *p, unsigned type, const mg_ipc_part_t *parts, size_t n,
    const mg_relay_ops_t *ops)
{
	mg_relay_t *r;

	if ((p->link == NULL && p->hold_ms <= 0) ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->p = p;
	r->id = ++p->next_id;
	r->ops = *ops;
	if (p->link == NULL) {
		if (relay_hold(r, type, parts, n) != MG_OK) {
			free(r);
			return NULL;
		}
		return r;
	}
	if (mg_link_sendv(p->link, type, r->id, parts, n) != MG_OK) {
		free(r);
		return NULL;
	}
	r->next = p->relays;
	p->relays = r;
	return r;
}

/* MG_MSG_REQ's flags for REQ. */
static uint8_t
req_flags(const mg_relay_req_t *req)
{
	return (uint8_t)((req->initialize ? MG_REQ_F_INITIALIZE : 0) |
	    (req->modern ? MG_REQ_F_MODERN : 0) |
	    (req->discover ? MG_REQ_F_DISCOVER : 0) |
	    (req->park ? MG_REQ_F_RESUME : 0) |
	    (req->subscribe ? MG_REQ_F_SUBSCRIBE : 0) |
	    (req->caps & (MG_REQ_F_ELICIT | MG_REQ_F_SAMPLE | MG_REQ_F_ROOTS)));
}

mg_relay_t *
mg_proxy_open(
    mg_proxy_t *p, const mg_relay_req_t *req, const mg_relay_ops_t *ops)
{
	mg_msg_t     m = { .type = MG_MSG_REQ,
		    .req = { (uint8_t)req->method, req_flags(req),
			(uint16_t)req->hops, req->upstream, req->session, req->park,
			{ req->sid, req->sid_len },
			{ req->version, req->version_len },
			{ req->init, req->init_len }, { req->body, req->body_len },
			{ req->lei, req->lei_len },
			{ req->headers, req->headers_len },
			{ req->token, req->token_len }, req->token_exp,
			{ NULL, 0 } } };
	mg_msg_out_t out;
	char         lines[MG_TRACE_LINES_MAX];

	if (req->trace != NULL)
		m.req.pre = (mg_msg_text_t){ lines,
			mg_trace_lines(req->trace, lines, sizeof(lines)) };

	/* the parts go into the link's output as they are: one copy */
	if (mg_msg_pack(&m, &out) != MG_OK)
		return NULL;
	return relay_start(p, MG_MSG_REQ, out.part, out.n, ops);
}

mg_relay_t *
mg_proxy_resume(
    mg_proxy_t *p, const mg_msg_resume_t *m, const mg_relay_ops_t *ops)
{
	mg_msg_t     msg = { .type = MG_MSG_RESUME, .resume = *m };
	mg_msg_out_t out;

	if (mg_msg_pack(&msg, &out) != MG_OK)
		return NULL;
	return relay_start(p, MG_MSG_RESUME, out.part, out.n, ops);
}

mg_link_t *
mg_proxy_link(const mg_proxy_t *p)
{
	return p->link;
}

void
mg_proxy_forget(mg_relay_t *r)
{
	relay_unlink(r);
	free(r);
}

void
mg_proxy_park(mg_relay_t *r, const uint8_t key[MG_PARK_KEY])
{
	mg_proxy_t *p = r->p;
	mg_msg_t    m = { .type = MG_MSG_PARK, .park = { key } };

	/* (one still waiting for a link was never sent: nothing to keep) */
	if (p->link != NULL && !r->held)
		mg_link_send_msg(p->link, r->id, &m);
	relay_unlink(r);
	free(r);
}

void
mg_proxy_cancel(mg_relay_t *r)
{
	mg_proxy_t *p = r->p;
	mg_msg_t    m = { .type = MG_MSG_REQ_CANCEL };

	if (p->link != NULL && !r->held)
		mg_link_send_msg(p->link, r->id, &m);
	relay_unlink(r);
	free(r);
}
