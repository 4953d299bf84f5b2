/*
 * What the worker/ files that serve MCP share, and nothing beyond them:
 * the exchange, its calls and the worker's context, and the functions
 * each file offers the others (grouped by file, named mg_ex_*).  Not for
 * servers/ or the rest of the worker: they use mcp.h.
 */
#ifndef MG_EXCHANGE_H
#define MG_EXCHANGE_H

#include <stdint.h>

#include "era.h"
#include "ipc.h"
#include "jsonrpc.h"
#include "jwt.h"
#include "mcp.h"
#include "proxy.h"
#include "replay.h"
#include "session.h"
#include "sesstab.h"
#include "trace.h"

struct evbuffer;
struct event;
struct json_object;
struct ssl_ctx_st;

typedef struct mg_mcp_ex mg_mcp_ex_t;
typedef struct mg_fed    mg_fed_t;

/* What a proxy route keeps of its session's token: the version and the
 * upstream's part, as long as it is (a small allocation per call). */
typedef struct {
	char    version[sizeof(((mg_session_t *)0)->version)];
	size_t  upstream_len;
	uint8_t upstream[];
} ex_sess_t;

struct mg_mcp_call {
	mg_mcp_ex_t        *ex;
	mg_mcp_call_t      *next;
	struct json_object *id;     /* a reference */
	struct json_object *params; /* a reference, or NULL */
	char               *idtext; /* the id as JSON, for cancels */
	void               *data;
	char               *ask_id; /* our request to the client, as JSON */
	mg_mcp_answered_t   answered;
};

struct mg_mcp_ex {
	mg_mcp_ctx_t           *ctx;
	mg_http_req_t          *req; /* NULL once the client is gone */
	const mg_server_t      *srv;
	const mg_location_t    *loc;
	const mg_mcp_backend_t *backend;
	mg_mcp_ex_t            *prev, *next;
	mg_mcp_call_t          *calls;    /* unanswered */
	uint64_t                session;  /* 0: none */
	int                     loopback; /* came on a loopback listener */
	int                     version;  /* index into versions[] */
	int                     modern;   /* 2026-07-28: stateless */
	int                     listen;   /* a subscriptions/listen stream */
	int                     batch;
	int                     streaming;
	int                     get_stream; /* the session's GET stream */
	unsigned                list_kinds; /* lists whose changes it gets */
	uint32_t list_seen[MG_MCP_NLISTS];  /* their versions (low 32 bits) */
	int      nanswers;
	struct evbuffer *answers; /* JSON answers held back */
	struct event    *keepalive;
	uint64_t         stream_id;
	/* resumption of the built-in servers' POST streams */
	mg_replay_t  *replay; /* the stream's recent events */
	struct event *linger; /* dropped: its client may come back */
	unsigned      seq;
	int           dropped;    /* no client now, calls go on */
	int64_t       dropped_at; /* ms, when it was dropped */
	uint64_t      peer_id;    /* read by another worker's client */
	int           resuming;   /* a GET reading another worker's stream */
	/* relaying to an upstream (mcp_pass) */
	const mg_upstream_t *upstream;
	mg_relay_t          *relay;
	int                  relay_status;
	int                  relay_kind;
	int                  relay_init;
	int                  hops;
	struct json_object  *req_id;      /* for an error answer; a reference */
	char                *init_params; /* the client's, for the token */
	ex_sess_t           *sess; /* what the token said (proxy routes) */
	int                  answered_relay;
	int bridged; /* 2026-07-28 over the bridge to a 2025 upstream */
	/* set when the relay starts over either bridge (wbridge.c): the
	 * upstream's messages turned into the client's era, into OUT;
	 * MG_DECLINED: nothing to send */
	int (*translate)(
	    mg_mcp_ex_t *ex, const char *msg, size_t len, struct evbuffer *out);
	/* a 2025 client over the bridge to an upstream of 2026-07-28 */
	int              reverse;
	int              reverse_init; /* its initialize, as server/discover */
	struct evbuffer *rev_headers;  /* Mcp-Method, Mcp-Name */
	/* its input_required results, as requests to it (reverse_ask) */
	char               *rev_body;    /* the request as relayed */
	struct json_object *rev_keys;    /* the inputRequests' keys */
	struct json_object *rev_answers; /* the client's results, by key */
	struct json_object *rev_state;   /* the upstream's requestState */
	int                 rev_rounds;
	int                 rev_subscribe; /* held by the connector */
	/* the upstream's requests to a 2026-07-28 client over the bridge */
	struct json_object *asks;   /* gathered inputRequests, by key */
	struct event       *gather; /* then the input_required result */
	int                 caps;   /* it declared: MG_REQ_F_ELICIT.. */
	int                 resume; /* a retry: the connector holds PARK */
	uint8_t             park[MG_PARK_KEY];
	struct json_object *refused; /* capabilities refused upstream */
	char                input_target[256]; /* its name or uri */
	/* its _meta logLevel's rank (mg_bridge_log_rank) plus 1; 0 (as
	 * calloc leaves it): it asked for none */
	unsigned char log_want;
	/* who the client is, as the access phase found (access.h) */
	const char *who_kind; /* "jwt", "key", "cert"; NULL: nobody */
	/* a token's sub, a key's name, a certificate's subject; malloc'd
	 * (a buffer here would grow every exchange past a malloc size class
	 * that costs 1,700 instructions a request) */
	char               *who;
	struct json_object *who_claims; /* a verified token's; a reference */
	unsigned lists; /* list answers cut for who (rules.h MG_LIST_*) */
	/* a federated route's member: its messages are rewritten */
	int fed_seen;
	/* the client's bearer token, as auth_jwt verified it, only when the
	 * route's upstream takes it (forward_client_token,
	 * oauth_token_exchange): it points into the request's header, and
	 * is read only by mg_ex_relay, while the request lives */
	const char *bearer;
	size_t      bearer_len;
	int64_t     bearer_exp; /* its exp (s), 0: none */
	/* a federated route (mcp_member, fed*.c) */
	mg_fed_t          *fed;      /* a fan-out to the members in flight */
	const mg_member_t *member;   /* a routed request's member */
	char              *fed_body; /* its body, in the member's names */
	char              *fed_name; /* its Mcp-Name for the member */
	const char        *fed_lei;  /* the member's Last-Event-ID */
	/* W3C trace context (extrace.c): the client's trace and our span */
	mg_trace_t trace;
	/* for the access log */
	char    up_addr[56]; /* the connector's peer for the upstream */
	int64_t up_us;       /* its time to the answer's head, us */
	int     up_status;   /* its HTTP status; 0: no answer */
	char    rpc_method[48];
	char    tool[64];
	int     rpc_error;
	/* for the metrics (wmetrics.c) */
	const char   *refusal;    /* why it was refused before content */
	unsigned char mx_outcome; /* a tools/call's answer (rpcoutcome.h) */
	unsigned char mx_stream;  /* its stream's kind, plus 1, while open */
	/* call_timeout, tool_timeout (deadline.c): armed once, ms */
	struct event *deadline;
	int64_t       deadline_ms;
	int64_t       deadline_at_us; /* CLOCK_MONOTONIC, when it is over */
	/* limit_req, limit_conn (limitphase.c) */
	unsigned char         limit_judged; /* the message phase ran them */
	unsigned char         limit_status; /* mg_limit_status_t + 1; 0: none */
	struct event         *limit_delay;  /* a delayed request's timer */
	struct mg_limit_hold *limit_hold;   /* the calls in flight it counts */
	/* their look at a 2025 body, taken over by the plain relay */
	mg_rpc_peek_t *limit_peek;
	/* the message phase waiting on a row's answer (phasewait.c): the
	 * rows of both its passes behind it, and the answer for the row */
	struct mg_phase_wait *wait;
	unsigned              phase_next;
	int                   phase_answered;
	int                   phase_verdict;
	int64_t               phase_value;
	/* limit_req lines of zones in the limit store answered (limitphase.c)
	 */
	int limit_stored;
};

struct mg_mcp_ctx {
	struct event_base      *base;
	mg_sesstab_t           *sessions;
	const mg_session_key_t *key;
	const mg_conf_t        *conf;
	mg_mcp_ex_t            *exchanges;
	mg_proxy_t             *proxy;
	void (*fwd)(void *arg, mg_mcp_fwd_t what, uint64_t session,
	    const char *text, size_t len);
	void               *fwd_arg;
	struct mg_tokcache *tokens; /* verified bearer tokens (auth_jwt.c) */
	uint64_t            asked;  /* requests to clients so far */
	int                 slot, generation; /* the worker's, in stream ids */
	int                 ndropped;    /* streams waiting for their clients */
	struct event       *lists_timer; /* listwatch.c, while streams watch */
};

/*
 * A stream id: the worker's generation (16 bits) and slot (12 bits),
 * whether it is a GET stream, and 35 random bits.  Event ids are the
 * stream id and the event's number (replay.h).
 */
#define STREAM_GET (1ULL << 35)

/* Batches went away in 2025-06-18. */
static inline int
mg_ex_batches_allowed(int version)
{
	return version == 0;
}

/* The stateful revisions (sessions); versions[] indexes ex->version. */
extern const char *const mg_ex_versions[3];
/* Every revision an endpoint serves, oldest first: server/discover and the
 * unsupported-version error list them. */
extern const char *const mg_ex_all_versions[4];

/* exchange.c */
int64_t mg_ex_now_ms(void);
void    mg_ex_copy_token_n(char *dst, size_t n, const char *src, size_t len);
void    mg_ex_copy_token(char *dst, size_t n, const char *src);
mg_mcp_ex_t *mg_ex_new(mg_mcp_ctx_t *ctx, mg_http_req_t *req,
    const mg_server_t *srv, const mg_location_t *loc);
void         mg_ex_call_free(mg_mcp_call_t *c);
void         mg_ex_call_unlink(mg_mcp_call_t *c);
void         mg_ex_cancel_calls(mg_mcp_ex_t *ex);
void         mg_ex_free(mg_mcp_ex_t *ex);
/* The HTTP status of a JSON answer carrying the error ex->rpc_error
 * (200 when none): 2026-07-28 gives some errors their own (404, 400). */
int  mg_ex_answer_status(const mg_mcp_ex_t *ex);
void mg_ex_refuse_data(mg_mcp_ex_t *ex, int status, struct json_object *id,
    int code, const char *message, struct json_object *data);
void mg_ex_refuse(mg_mcp_ex_t *ex, int status, struct json_object *id, int code,
    const char *message);
mg_link_t *mg_ex_peer_link(const mg_mcp_ctx_t *ctx);
void       mg_ex_peer_end(
	  mg_mcp_ctx_t *ctx, uint64_t id, int code, const char *message);
void mg_ex_deliver(mg_mcp_ex_t *ex, unsigned seq, const char *data, size_t len);
void mg_ex_event(mg_mcp_ex_t *ex, struct evbuffer *msg);
void mg_ex_stream_headers(mg_mcp_ex_t *ex);
void mg_ex_stream_begin(mg_mcp_ex_t *ex);
void mg_ex_finish(mg_mcp_ex_t *ex);
void mg_ex_send(mg_mcp_ex_t *ex, struct evbuffer *msg);
void mg_ex_note(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m);
void mg_ex_note_headers(mg_mcp_ex_t *ex, const mg_era_headers_t *h);
void mg_ex_reply_local(mg_mcp_ex_t *ex, struct json_object *id,
    struct json_object *result, int code, const char *message);

/* limitphase.c: the timer and the limit_conn counts of EX, ended (at
 * its end, whatever ends it); $limit_req_status, or NULL */
void        mg_ex_limits_end(mg_mcp_ex_t *ex);
const char *mg_limit_status_of(const mg_mcp_ex_t *ex);
/* phasewait.c: EX is freed; the answer its message phase waits for, if
 * any, will find it gone (phase.h) */
void mg_phase_wait_drop(mg_mcp_ex_t *ex);

/* version.c */
int  mg_ex_version_index(const char *v);
int  mg_ex_known_old(const char *v);
void mg_ex_refuse_old_version(mg_mcp_ex_t *ex, struct json_object *id);
int  mg_ex_negotiate_version(mg_mcp_ex_t *ex);
int  mg_ex_removed_in_2026(const char *method);
struct json_object *mg_ex_version_list(const char *const *v, size_t n);
void                mg_ex_refuse_version(
		   mg_mcp_ex_t *ex, struct json_object *id, const char *message);

/* call.c */
void           mg_ex_cancelled(mg_mcp_ex_t *ex, struct json_object *params);
void           mg_ex_answer(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m);
mg_mcp_call_t *mg_ex_call_new(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m);

/* access.c: the access phase (access.h) */
int mg_ex_access(mg_mcp_ex_t *ex);

/* head.c */
int mg_ex_check_host(mg_mcp_ex_t *ex);
/* Whether HOST (LEN bytes, no port) names SRV: one of its server_names,
 * or, on a LOOPBACK listener, a local name. */
int mg_ex_host_ours(
    const mg_server_t *srv, const char *host, size_t len, int loopback);
int mg_ex_check_origin(mg_mcp_ex_t *ex);
int mg_ex_check_tls_server(mg_http_req_t *req, const mg_server_t *srv,
    const struct ssl_ctx_st *server_tls);
int mg_ex_check_client_cert(mg_http_req_t *req, const mg_server_t *srv,
    const struct ssl_ctx_st *server_tls);
int mg_ex_check_hops(mg_mcp_ex_t *ex);

/* wmetrics.c: what a worker counts (docs/observability.md, "Metrics"): the
 * log phase's row (EX may be NULL); a stream opened (mg_ex_stream_headers);
 * a relayed message, whose outcome a tools/call's answer says; a built-in
 * server's result; a failed relay's message (a timeout says so) */
void mg_wmetrics_log(
    mg_mcp_ctx_t *ctx, mg_http_req_t *req, const mg_mcp_ex_t *ex);
void mg_wmetrics_stream(mg_mcp_ex_t *ex);
void mg_wmetrics_answer(mg_mcp_ex_t *ex, const char *msg, size_t len);
void mg_wmetrics_result(mg_mcp_ex_t *ex, struct json_object *result);
void mg_wmetrics_failed(mg_mcp_ex_t *ex, const char *message);
/* wmetrics.c: whether tool name S (in an array of 64) is NAME (LEN
 * bytes in an array of 64, zero after them) */
int mg_wmetrics_same_tool(const char *name, size_t len, const char *s);
/* extrace.c: the head phase's row that reads the client's traceparent
 * and tracestate and starts our span (always MG_OK: a bad value is one
 * that did not come); and a 2026-07-28 request's _meta, where a client may
 * send its trace alone, made to carry ours: *TEXT the message written
 * again (malloc'd), or NULL when it carries them already or TEXT is NULL
 * (nothing goes upstream); MG_ERROR: answered (out of memory). */
int mg_ex_trace_begin(mg_mcp_ex_t *ex);
int mg_ex_trace_meta(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m, char **text);
/* The same into the message MSG (a tree) mcpgw turns into a 2026-07-28
 * request for the reverse bridge. */
void mg_ex_trace_meta_set(mg_mcp_ex_t *ex, struct json_object *msg);
/* For the access log: EX's ids in BUF (returned), or NULL when EX is NULL
 * (a request refused before it had an exchange) or, for the tracestate,
 * when there is none.  $request_id: our span id then the trace id's last
 * 8 bytes (32 hex digits: the first 16 are the parent-id the upstream
 * got); $traceparent: the one sent upstream; $trace_id: 32 hex digits. */
#define MG_EX_ID_SIZE 33
char *mg_ex_request_id(const mg_mcp_ex_t *ex, char buf[MG_EX_ID_SIZE]);
char *mg_ex_trace_id(const mg_mcp_ex_t *ex, char buf[MG_EX_ID_SIZE]);
char *mg_ex_traceparent(
    const mg_mcp_ex_t *ex, char buf[MG_TRACEPARENT_LEN + 1]);
/* The parent-id the client's traceparent header named (16 hex digits: the
 * previous hop's span), read again while the request lives; else NULL. */
char       *mg_ex_trace_parent_id(const mg_mcp_ex_t *ex, char buf[17]);
const char *mg_ex_tracestate(const mg_mcp_ex_t *ex);

/* exsession.c */
uint32_t mg_ex_session_owner(const mg_mcp_ex_t *ex);
uint32_t mg_ex_session_limit(const mg_mcp_ex_t *ex);
int      mg_ex_session_refused(
	 const mg_mcp_ex_t *ex, int rc, int *code, char *msg, size_t len);
void mg_ex_session_refuse(mg_mcp_ex_t *ex, struct json_object *id, int rc);
int  mg_ex_session_room(mg_mcp_ex_t *ex, struct json_object *id);
int  mg_ex_check_session(mg_mcp_ex_t *ex);
int  mg_ex_blob_unpack(const ex_sess_t *s, const char **sid, size_t *sid_len,
     const char **init, size_t *init_len);
int  mg_ex_relay_session(mg_mcp_ex_t *ex, const char *sid, const char *version);
/* A new session of EX's route in VERSION (S's upstream part empty), and
 * S sealed into the answer's Mcp-Session-Id and taken into the table:
 * MG_OK, or what mg_sesstab_add_for said (MG_ERROR: no token). */
void mg_ex_session_init(mg_mcp_ex_t *ex, mg_session_t *s, const char *version);
int  mg_ex_session_issue(mg_mcp_ex_t *ex, const mg_session_t *s);

/* dispatch.c */
int  mg_ex_accepts(const char *accept, const char *type);
void mg_ex_listen_end(mg_mcp_ex_t *ex);
/* listwatch.c: EX (a listen stream, or a session's GET stream) gets the
 * changes of its server's lists KINDS (bits of mg_mcp_list_t) from now
 * on; the lists VERSION's capabilities say change (listChanged), as
 * bits; the timer freed with the context. */
void     mg_ex_lists_watch(mg_mcp_ex_t *ex, unsigned kinds);
unsigned mg_ex_lists_declared(const mg_mcp_ex_t *ex, const char *version);
void     mg_ex_lists_stop(mg_mcp_ctx_t *ctx);
void     mg_ex_relayed_listen_end(mg_mcp_ex_t *ex);
void     mg_ex_post(mg_mcp_ex_t *ex);

/* policy.c: list answers cut to what the client may call (ex->lists,
 * set by the message phase); _text: MG_OK with MSG cut into OUT, else
 * MG_DECLINED (MSG goes as it is) */
void mg_ex_lists_filter(mg_mcp_ex_t *ex, struct json_object *result);
int  mg_ex_lists_filter_text(
     mg_mcp_ex_t *ex, const char *msg, size_t len, struct evbuffer *out);

/* relay.c */
extern const mg_relay_ops_t mg_ex_relay_ops;
void                        mg_ex_post_relay(
			   mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char *body, size_t len);
int  mg_ex_post_relay_plain(mg_mcp_ex_t *ex, const char *body, size_t len);
void mg_ex_relay_failed(mg_mcp_ex_t *ex, int code, const char *message);
void mg_ex_relay(mg_mcp_ex_t *ex, const char *body, size_t len);
void mg_ex_keep_init_params(mg_mcp_ex_t *ex, mg_rpc_msg_t *m);
void mg_ex_tell_subscriptions(mg_mcp_ex_t *ex, int method);

/* wbridge.c */
void mg_ex_relay_modern(
    mg_mcp_ex_t *ex, const mg_rpc_msg_t *m, const char *body, size_t len);
void mg_ex_post_reverse(mg_mcp_ex_t *ex, mg_rpc_msg_t *m);

/* input.c */
int  mg_ex_input_check(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m);
void mg_ex_input_gather(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m);

/* fed.c: a message on a federated route.  MG_OK: answered, or on its
 * way to the members; MG_DECLINED: it goes to one member, ex->member,
 * as on an mcp_pass route (ex->upstream and *BODY set for it). */
int mg_ex_fed(mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char **body, size_t *len);
/* The same for the common call of a 2025 client, unparsed (mg_rpc_peek):
 * MG_OK: on its way, or answered; MG_DECLINED: mg_ex_fed's turn. */
int  mg_ex_post_fed_plain(mg_mcp_ex_t *ex, const char *body, size_t len);
void mg_ex_fed_free(mg_mcp_ex_t *ex);
/* A routed request's answer: member MSG as the client sees it, in OUT;
 * MG_DECLINED: nothing to send. */
int mg_ex_fed_seen(
    mg_mcp_ex_t *ex, const char *msg, size_t len, struct evbuffer *out);
/* May a member's MSG need the client's names (mg_ex_fed_seen)? */
int mg_ex_fed_touches(const char *msg, size_t len);
/* A member's SSE event id as the client gets it: "fed<N>-" and the
 * member's own, so that a GET with it as Last-Event-ID resumes at that
 * member (fedget.c).  MG_DECLINED: too long, sent as it is. */
int mg_ex_fed_event_id(
    const mg_mcp_ex_t *ex, const char *id, char *out, size_t outlen);
/* A message of the member whose upstream has index UPSTREAM - 1, for
 * EX's merged GET stream (MG_MSG_NOTIFY_FWD), in the client's names in
 * OUT; MG_DECLINED: not a federated stream, or no such member. */
int mg_ex_fed_remote(mg_mcp_ex_t *ex, uint64_t upstream, const char *msg,
    size_t len, struct evbuffer *out);
/* fedget.c: the session's GET stream and DELETE, merged */
void mg_ex_fed_get(mg_mcp_ex_t *ex);
void mg_ex_fed_delete(mg_mcp_ex_t *ex);

/* deadline.c: the whole time EX's request may take, if it has a limit,
 * armed once: for the request relayed upstream (ex->rpc_method and
 * ex->tool), or the call M of a built-in server; freed with EX */
void mg_ex_deadline_arm(mg_mcp_ex_t *ex);
void mg_ex_deadline_call(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m);
void mg_ex_deadline_free(mg_mcp_ex_t *ex);

/* stream.c */
void mg_ex_get(mg_mcp_ex_t *ex);
void mg_ex_delete(mg_mcp_ex_t *ex);

#endif
