/*
 * The Streamable HTTP transport's exchange (private to connector/): what
 * its files share.  upx.c holds an exchange's life and its steps,
 * httpup.c the HTTP/1.1 connections it runs on, upbridge.c and
 * uplisten.c the bridge that carries 2026-07-28 clients to an upstream
 * of the 2025 revisions.  The exchange (upx_t) begins with the handle
 * the connector holds (mg_upx_t, transport.h).
 */
#ifndef MG_UPX_H
#define MG_UPX_H

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

#include "httpmsg.h"
#include "oauthcc.h"
#include "sse.h"
#include "transport.h"
#include "upask.h"

struct event;
struct evbuffer;
struct json_object;

#define UP_BODY_MAX (MG_IPC_MAX_FRAME - 1024)
#define UP_ERR -32000 /* JSON-RPC code of upstream failures */

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
	mg_oauthcc_t       *cc;      /* its oauth_client's token, or NULL */
	struct mg_tokex    *tx;      /* its oauth_token_exchange, or NULL */
	int no_token_said; /* logged: a request came without a client token */
	struct mg_uptools *tools; /* its tools' x-mcp-header (uptools.c) */
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
	/* where a legacy HTTP+SSE upstream's exchange goes (uplegacy.c) */
	mg_transport_handover_t handover;
	void                   *handover_arg;
	/* the last exchange's memory, for the next one: 2.4 KB, beyond
	 * malloc's per-thread cache */
	upx_t *spare;
	/* host names of server URLs (resolve.h); dns is its evdns base */
	struct mg_resolver *resolver;
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
	char         peer[56]; /* its connection's address, at its head */
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
	/* a subscriptions/listen over the bridge (mg_upbridge_listen) */
	struct upx         *listen_next;
	struct json_object *listen_id; /* the client's: the subscription */
	struct json_object *filter; /* what it asked, then what it agreed to */
	/* the upstream's requests to a 2026-07-28 client over the bridge */
	mg_upask_t    ask;
	struct upx   *wait_next;    /* in pool->waiting, or uptools.c's */
	int           tools_waited; /* for a tools/list (uptools.c) */
	char         *refusal;      /* the error answered (uptools.c) */
	struct event *later;        /* an answer given without the upstream */
	mg_upx_t     *handed;    /* the exchange it handed over (uplegacy.c) */
	int           hand_over; /* its answer says: hand it over */
	int           step;
	int           reinit;    /* this answer is a 404 to retry */
	int           forgot400; /* a 400 that may name the session */
	int           retried, conn_retried;
	int           fail; /* MG_POOL_FAIL_* of its end (pool.h) */
	struct event *timer;
	/* the upstream's own credentials (upcred.c) */
	mg_oauthcc_wait_t cred_wait;    /* for a token */
	const char       *cred_token;   /* handed to the next write */
	unsigned          cred_gen;     /* of the token sent */
	int               cred_sent;    /* the request carries a token */
	int               cred_refused; /* answered 401 to them */
	int               cred_retried; /* once with a new token */
	/* the client's token (in data), for forward_client_token and
	 * oauth_token_exchange only; its exp (s) */
	char   *ctok;
	size_t  ctok_len;
	int64_t ctok_exp;
	/* the answer being read */
	int              status, kind, head_sent, got_bytes;
	int              foreign; /* the answer is not JSON or SSE */
	char             ctype[64];
	struct evbuffer *json;
	mg_sse_parser_t *sse;

	/* a JSON body of the client's request, read message by message
	 * (jsonseq.h); its messages go on as events once STREAMED; BODY_BAD:
	 * a body parser refused the body */
	struct mg_jsonseq *seq;
	int                streamed, body_bad;
	int                quiet; /* a health check's (mg_up_req_t) */

	/* its id on the bridge's session ("mcpgw-N"), once sent there */
	char bridge_rid[48];

	/* last, and not cleared by upx_alloc: 2 KB of strings */
	char sid[MG_UP_SID_MAX], resp_sid[MG_UP_SID_MAX];
};

/* upx.c: an exchange's life and steps */
upx_t *mg_upx_start(
    httpups_t *ups, const mg_up_req_t *req, const mg_up_ops_t *ops);
void mg_upx_cancel(upx_t *x);
void mg_upx_free(upx_t *x);
/* The last word to the worker side, then the exchange is gone. */
void mg_upx_end(upx_t *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void        mg_upx_message(upx_t *x, const char *msg, size_t len);
void        mg_upx_sse_event(void *arg, const mg_sse_event_t *ev);
void        mg_upx_next_step(upx_t *x);
int         mg_upx_era(void *state, const mg_upstream_t *up);
const char *mg_upx_remap_find(httpups_t *ups, const char *sid);
char       *mg_upx_copy(const char *p, size_t len);
int64_t     mg_upx_mono_ms(void);
/* A message of a JSON body of the client's request (jsonseq.h). */
void mg_upx_json_message(void *arg, const char *msg, size_t len, int response);
/* The body parser refused the answer: the end, saying why. */
void mg_upx_body_refused(upx_t *x);
/* A session the upstream forgot is opened again, once: an answer with
 * STATUS 404, as the specification says, or 400 with a JSON body that
 * names the session, as servers made from the SDK's examples answer
 * ("Bad Request: No valid session ID provided").  1: X's head is held
 * back for it (a 400: mg_upx_forgot_body decides once the body is in). */
int  mg_upx_forgot(upx_t *x, int status);
void mg_upx_forgot_body(upx_t *x);

/* httpup.c: the connection under it */
void mg_upx_send(upx_t *x);
void mg_upx_release(upx_t *x, int reusable);

/* upbridge.c: 2026-07-28 clients over one session of a 2025 upstream */
void mg_upbridge_enter(upx_t *x);
void mg_upbridge_go(upx_t *x);
void mg_upbridge_leave(upx_t *x, int code, const char *why);
/* X is cut short by its worker (its client gone, its time up): its
 * request on the bridge's session is cancelled (notifications/cancelled),
 * the session being shared and nobody left to read the answer. */
void mg_upbridge_cancelled(upx_t *x);
void mg_upbridge_capture(upx_t *x, const char *msg, size_t len);
void mg_upbridge_message(upx_t *x, const char *msg, size_t len);
void mg_upbridge_later(evutil_socket_t fd, short what, void *arg);
void mg_upbridge_send(mg_pool_t *p, httpups_t *ups, const char *sid,
    const char *version, int hops, struct json_object *m, const char *what);
void mg_upbridge_pool_free(mg_pool_t *p);
/* X starts: its part in the upstream's requests to its client (CAPS:
 * what the client declared). */
void mg_upbridge_ask_init(upx_t *x, int caps);
void mg_upbridge_park(mg_upx_t *h, const mg_up_ops_t *ops);
void mg_upbridge_resume(mg_upx_t *h, const mg_up_ops_t *ops, const char *body,
    size_t len, int caps);
const char *mg_upbridge_version(const mg_upx_t *h);
void        mg_upbridge_take(void *state, int64_t idle_ms,
	   void (*fn)(void *arg, const mg_upstream_t *up, const char *sid,
        const char *version),
	   void *arg);

/* uptools.c: the upstream's tools' x-mcp-header, for the Mcp-Param-*
 * checks over the bridge.  Check X (a request over the bridge's session,
 * before it goes): MG_OK, or it waits for the tools/list in flight
 * (mg_upbridge_go goes on with it later), or it is answered with the
 * error. */
int  mg_uptools_check(upx_t *x);
void mg_uptools_changed(mg_pool_t *p); /* its tools/list_changed */
int  mg_uptools_leave(upx_t *x);       /* 1: it was waiting, and is not */
void mg_uptools_free(mg_pool_t *p);

/* uplegacy.c: an upstream under protocol auto that speaks the legacy
 * HTTP+SSE transport: the exchange handed over to that row */
int  mg_uplegacy_wanted(const upx_t *x, int status);
void mg_uplegacy_hand_over(upx_t *x);
/* the http row's cancel, park, resume, version and set_handover */
void mg_uplegacy_cancel(mg_upx_t *h);
void mg_uplegacy_park(mg_upx_t *h, const mg_up_ops_t *ops);
void mg_uplegacy_resume(mg_upx_t *h, const mg_up_ops_t *ops, const char *body,
    size_t len, int caps);
const char *mg_uplegacy_version(const mg_upx_t *h);
void        mg_uplegacy_set_handover(
	   void *state, mg_transport_handover_t fn, void *arg);

/* upcred.c: the upstream's own credentials on each request */
int  mg_upcred_pool_new(mg_pool_t *p, httpups_t *ups, struct ssl_ctx_st *tls);
void mg_upcred_pool_free(mg_pool_t *p);
int  mg_upcred_ready(upx_t *x);
void mg_upcred_head(upx_t *x, mg_head_t *h);
/* httpup.c: X's connection's address, for the head that follows
 * (mg_relay_note_peer) */
void mg_upx_note_peer(const upx_t *x);
int  mg_upcred_sent(const upx_t *x);
int  mg_upcred_refused(upx_t *x);
void mg_upcred_forget(upx_t *x);

/* uplisten.c: subscriptions/listen over the bridge */
void mg_upbridge_listen(upx_t *x);
/* A notification of the bridge's session (its GET stream, or the answer
 * to a request): to the listens of pool P that asked for it.  1 if it is
 * one a listen may ask for (list changes, resource updates), else 0. */
int  mg_upbridge_notify(mg_pool_t *p, const char *data, size_t len);
void mg_upbridge_unlisten(upx_t *x);

#endif
