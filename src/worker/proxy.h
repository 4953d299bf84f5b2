/*
 * The worker's side of relaying: requests go to the connector over the
 * link (MG_MSG_REQ) and the answers come back as frames under the same
 * request id (MG_MSG_RESP_HEAD, _DATA, _END).  The worker never waits:
 * it sends and returns to its loop.  If the connector goes away, every
 * relay still waiting for its answer ends at once with an error (one
 * path: lost()); a relay that starts while there is no link waits for the
 * next one, a bounded time, in the loop.
 */
#ifndef MG_PROXY_H
#define MG_PROXY_H

#include "ipc.h"
#include "link.h"
#include "trace.h"

typedef struct mg_proxy mg_proxy_t;
typedef struct mg_relay mg_relay_t;

/* The answer, as the connector's frames carry it (ipc.h). */
typedef mg_answer_ops_t mg_relay_ops_t;

typedef struct {
	int      method; /* mg_http_method_t */
	int      initialize;
	int      hops;
	int      upstream;     /* index */
	uint64_t session;      /* the gateway's, so the connector can close the
				* upstream's when it idles out */
	int            modern; /* 2026-07-28: no session, HEADERS go along */
	int            discover;  /* the request is server/discover */
	int            caps;      /* MG_REQ_F_ELICIT, _SAMPLE, _ROOTS */
	int            subscribe; /* MG_REQ_F_SUBSCRIBE */
	const uint8_t *park;      /* a retry of a parked request, or NULL */
	const char    *sid, *version, *init, *body, *lei, *headers;
	size_t sid_len, version_len, init_len, body_len, lei_len, headers_len;
	const char *token; /* the client's (msg.h), or NULL */
	size_t      token_len;
	int64_t     token_exp;
	/* the client's request's trace: its traceparent (our span) and
	 * tracestate go upstream as header lines; NULL: none */
	const mg_trace_t *trace;
} mg_relay_req_t;

struct event_base;

mg_proxy_t *mg_proxy_new(void);
void        mg_proxy_free(mg_proxy_t *p);
/* The link to the connector; NULL: it is gone (relays in flight end with
 * errors).  A new link takes the relays that waited for one. */
void mg_proxy_set_link(mg_proxy_t *p, mg_link_t *link);
/* From now on a relay that starts while there is no link waits up to
 * HOLD_MS for the next one (a timer of BASE ends it then); 0, as at
 * first, makes it fail at once, and ends those that wait (the worker
 * stops: no connector will come). */
int mg_proxy_set_hold(mg_proxy_t *p, struct event_base *base, int64_t hold_ms);
/* A RESP_* frame from the connector. */
void mg_proxy_frame(mg_proxy_t *p, const mg_ipc_hdr_t *hdr, const mg_msg_t *m);
/* Relay a request; NULL if it cannot start (no link, and none to wait
 * for). */
mg_relay_t *mg_proxy_open(
    mg_proxy_t *p, const mg_relay_req_t *req, const mg_relay_ops_t *ops);
/* The client is gone: tell the connector; no more callbacks. */
void mg_proxy_cancel(mg_relay_t *r);
/* The answer is complete (a JSON answer is whole at its DATA): no more
 * callbacks, and nothing to tell the connector, whose END follows and is
 * dropped. */
void mg_proxy_forget(mg_relay_t *r);

/* The answer stops here for now: the connector keeps the exchange under
 * KEY (MG_MSG_PARK) for a later request to resume; no more callbacks. */
void mg_proxy_park(mg_relay_t *r, const uint8_t key[MG_PARK_KEY]);
/* Ask for a stream another worker holds (MG_MSG_RESUME); its events come
 * back like a relayed answer.  NULL if the connector cannot be reached. */
mg_relay_t *mg_proxy_resume(
    mg_proxy_t *p, const mg_msg_resume_t *m, const mg_relay_ops_t *ops);
/* The link to the connector, for answers to MG_MSG_RESUME_FWD; NULL
 * while there is none. */
mg_link_t *mg_proxy_link(const mg_proxy_t *p);

#endif
