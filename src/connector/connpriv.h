/*
 * The connector's tables (private to connector/): what its files share.
 * connector.c is the role and its loop; relay.c the requests it relays;
 * usess.c the upstream sessions behind gateway sessions, closed when
 * those idle out; park.c the bridged requests parked for their client's
 * retry; rsub.c the reverse bridge's subscriptions; jwksurl.c
 * the auth_jwt key sets it fetches for the workers.
 */
#ifndef MG_CONNPRIV_H
#define MG_CONNPRIV_H

#include <stdint.h>

#include "child.h"
#include "ipc.h"
#include "link.h"
#include "upstream.h"

struct event;
struct evbuffer;
struct json_object;

#define MG_CONNECTOR_MAX_LINKS 1024

/* One request a worker asked us to relay. */
typedef struct relay {
	struct relay          *next;
	struct mg_connector_s *c;
	int                    slot; /* the worker's link */
	uint64_t               id;   /* its request id */
	int                    upstream;
	mg_upx_t              *x;
	int64_t                start_us;    /* the REQ came (monotonic) */
	int64_t                mx_start_us; /* cmetrics.c */
	int                    status; /* the upstream's, once its head came */
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

/* A 2025 client's session on a route whose upstream speaks 2026-07-28
 * (the reverse bridge) with resources/subscribe'd URIs, or whose GET
 * stream opened (LISTS): the connector holds one subscriptions/listen
 * for them upstream and sends each update and list change to the workers
 * (MG_MSG_NOTIFY_FWD); the one holding the session's GET stream writes it
 * there. */
typedef struct rsub {
	struct rsub           *next;
	struct mg_connector_s *c;
	uint64_t               session;
	const mg_upstream_t   *up;
	struct json_object    *uris;  /* uri -> true */
	int                    lists; /* the list changes too */
	mg_upx_t              *x;     /* the listen, while open */
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
	usess_t            *usess[MG_USESS_BUCKETS];
	usess_t            *closing, *closing_last; /* to close upstream */
	int                 nclosing;               /* DELETEs in flight */
	struct event       *sweep;                  /* ends idle sessions */
	mg_upstreams_t     *ups;
	relay_t            *relays;
	int                 nrelays;
	peer_t             *peers;
	uint64_t            next_peer_id;
	parked_t           *parked;
	int                 nparked;
	rsub_t             *rsubs;
	uint64_t            listens; /* ids of our listens */
	mg_child_ctx_t     *ctx;
	struct event_base  *base;
	mg_child_t         *child;
	mg_link_t          *links[MG_CONNECTOR_MAX_LINKS]; /* by slot */
	struct mg_jwksurls *jwks; /* jwksurl.c; NULL: no auth_jwt */
	int                 quitting;
	int                 terminating;    /* exit once the workers did */
	int                 bridges_closed; /* stopping: DELETEs queued */
	struct mg_health   *health; /* health.c: its probes; NULL: stopped */
} mg_connector_t;

/* connector.c */
const mg_upstream_t *mg_connector_upstream(const mg_connector_t *c, int i);
void                 mg_connector_maybe_exit(mg_connector_t *c);
void                 mg_peer_remove(mg_connector_t *c, peer_t *p);

/* relay.c */
void mg_relay_remove(relay_t *r);
void mg_relay_head(
    void *arg, int status, int kind, const char *sid, const char *version);
void mg_relay_data(void *arg, const char *msg, size_t len);
void mg_relay_event(
    void *arg, const char *id, long retry, const char *data, size_t len);
void mg_relay_end(void *arg, int code, const char *message);
void mg_connector_request(mg_connector_t *c, mg_link_t *link,
    const mg_ipc_hdr_t *hdr, const mg_msg_req_t *q);
/* Tells a worker that the client reading its stream is gone. */
extern const mg_msg_t mg_peer_cancel;
void                  mg_connector_request_cancel(
		     mg_connector_t *c, mg_link_t *link, uint64_t id);

/* usess.c */
void mg_usess_free(usess_t *u);
void mg_usess_forget(mg_connector_t *c, uint64_t session);
void mg_usess_note(mg_connector_t *c, const mg_msg_req_t *q, const char *sid,
    const char *version);
void mg_usess_bridge_close(
    void *arg, const mg_upstream_t *up, const char *sid, const char *version);
void mg_connector_session_ended(void *arg, uint64_t session);

/* park.c */
void      mg_park_free(parked_t *p);
void      mg_connector_park(mg_connector_t *c, mg_link_t *link,
	 const mg_ipc_hdr_t *hdr, const mg_msg_park_t *m);
parked_t *mg_park_take(
    mg_connector_t *c, const uint8_t *key, const mg_upstream_t *up);
void mg_park_resume(
    parked_t *p, relay_t *r, const mg_up_req_t *req, const mg_up_ops_t *ops);

/* rsub.c */
rsub_t *mg_rsub_find(
    mg_connector_t *c, uint64_t session, const mg_upstream_t *up);
void mg_rsub_free(rsub_t *s);
void mg_connector_subscribe(mg_connector_t *c, relay_t *r,
    const mg_msg_req_t *q, const mg_upstream_t *up, const char *body,
    size_t len);

/* jwksurl.c: fetch every jwks_url now and then; a worker's link came up
 * (it gets every set there is); a worker met a kid a set lacks. */
int  mg_jwksurl_start(mg_connector_t *c);
void mg_jwksurl_free(mg_connector_t *c);
void mg_jwksurl_welcome(mg_connector_t *c, mg_link_t *link);
void mg_jwksurl_unknown_kid(
    mg_connector_t *c, mg_link_t *link, const mg_msg_keys_t *m);

/* cmetrics.c: a relay started, is gone, ended (CODE 0: answered). */
void        mg_cmetrics_start(const mg_conf_t *conf);
void        mg_cmetrics_relay_start(relay_t *r);
void        mg_cmetrics_relay_gone(relay_t *r);
void        mg_cmetrics_relay_end(relay_t *r, int code, const char *message);
const char *mg_cmetrics_reason(const char *message);

#endif
