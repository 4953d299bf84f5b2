/*
 * What the worker/ files that serve MCP share, and nothing beyond them:
 * the exchange, its calls and the worker's context, and the functions
 * each file offers the others (grouped by file).  Not for servers/ or
 * the rest of the worker: they use mcp.h.
 */
#ifndef MG_EXCHANGE_H
#define MG_EXCHANGE_H

#include <stdint.h>

#include "era.h"
#include "ipc.h"
#include "jsonrpc.h"
#include "mcp.h"
#include "phase.h"
#include "proxy.h"
#include "replay.h"
#include "session.h"
#include "sesstab.h"

struct evbuffer;
struct event;
struct json_object;
struct ssl_ctx_st;

typedef struct mg_mcp_ex mg_mcp_ex_t;

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
	int                     loopback; /* came on a loopback listener */
	mg_mcp_ex_t            *prev, *next;
	mg_mcp_call_t          *calls;   /* unanswered */
	uint64_t                session; /* 0: none */
	int                     version; /* index into versions[] */
	int                     modern;  /* 2026-07-28: stateless */
	int                     listen;  /* a subscriptions/listen stream */
	int                     batch;
	int                     streaming;
	int                     get_stream; /* the session's GET stream */
	int                     nanswers;
	struct evbuffer        *answers; /* JSON answers held back */
	struct event           *keepalive;
	uint64_t                stream_id;
	unsigned                seq;
	/* resumption of the built-in servers' POST streams */
	mg_replay_t  *replay;     /* the stream's recent events */
	struct event *linger;     /* dropped: its client may come back */
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
	struct json_object  *req_id;      /* for an error answer; a reference */
	char                *init_params; /* the client's, for the token */
	ex_sess_t           *sess; /* what the token said (proxy routes) */
	int                  hops;
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
	int                 caps;   /* it declared: MG_REQ_F_ELICIT.. */
	struct json_object *asks;   /* gathered inputRequests, by key */
	struct event       *gather; /* then the input_required result */
	int                 resume; /* a retry: the connector holds PARK */
	uint8_t             park[MG_PARK_KEY];
	struct json_object *refused; /* capabilities refused upstream */
	char                input_target[256]; /* its name or uri */
	/* for the access log */
	char rpc_method[48];
	char tool[64];
	int  rpc_error;
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
	void    *fwd_arg;
	uint64_t asked;            /* requests to clients so far */
	int      slot, generation; /* the worker's, in stream ids */
	int      ndropped;         /* streams waiting for their clients */
};

/*
 * A stream id: the worker's generation (16 bits) and slot (12 bits),
 * whether it is a GET stream, and 35 random bits.  Event ids are the
 * stream id and the event's number (replay.h).
 */
#define STREAM_GET (1ULL << 35)

/* Batches went away in 2025-06-18. */
static inline int
batches_allowed(int version)
{
	return version == 0;
}

/* The stateful revisions (sessions); versions[] indexes ex->version. */
extern const char *const versions[3];
/* Every revision an endpoint serves, oldest first: server/discover and the
 * unsupported-version error list them. */
extern const char *const all_versions[4];

/* exchange.c */
int64_t      now_ms(void);
void         copy_token_n(char *dst, size_t n, const char *src, size_t len);
void         copy_token(char *dst, size_t n, const char *src);
mg_mcp_ex_t *ex_new(mg_mcp_ctx_t *ctx, mg_http_req_t *req,
    const mg_server_t *srv, const mg_location_t *loc);
void         call_free(mg_mcp_call_t *c);
void         call_unlink(mg_mcp_call_t *c);
void         ex_cancel_calls(mg_mcp_ex_t *ex);
void         ex_free(mg_mcp_ex_t *ex);
void         ex_refuse_data(mg_mcp_ex_t *ex, int status, struct json_object *id,
	    int code, const char *message, struct json_object *data);
void ex_refuse(mg_mcp_ex_t *ex, int status, struct json_object *id, int code,
    const char *message);
mg_link_t *peer_link(const mg_mcp_ctx_t *ctx);
void peer_end(mg_mcp_ctx_t *ctx, uint64_t id, int code, const char *message);
void ex_deliver(mg_mcp_ex_t *ex, unsigned seq, const char *data, size_t len);
void ex_event(mg_mcp_ex_t *ex, struct evbuffer *msg);
void ex_stream_headers(mg_mcp_ex_t *ex);
void ex_stream_begin(mg_mcp_ex_t *ex);
void ex_finish(mg_mcp_ex_t *ex);
void ex_send(mg_mcp_ex_t *ex, struct evbuffer *msg);
void ex_note(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m);
void ex_note_headers(mg_mcp_ex_t *ex, const mg_era_headers_t *h);
void ex_reply_local(mg_mcp_ex_t *ex, struct json_object *id,
    struct json_object *result, int code, const char *message);

/* version.c */
int  version_index(const char *v);
int  known_old(const char *v);
void ex_refuse_old_version(mg_mcp_ex_t *ex, struct json_object *id);
int  negotiate_version(mg_mcp_ex_t *ex);
int  removed_in_2026(const char *method);
struct json_object *version_list(const char *const *v, size_t n);
void                ex_refuse_version(
		   mg_mcp_ex_t *ex, struct json_object *id, const char *message);

/* call.c */
void           ex_cancelled(mg_mcp_ex_t *ex, struct json_object *params);
void           ex_answer(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m);
mg_mcp_call_t *call_new(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m);

/* head.c */
int check_host(mg_mcp_ex_t *ex);
int check_origin(mg_mcp_ex_t *ex);
int check_tls_server(mg_http_req_t *req, const mg_server_t *srv,
    const struct ssl_ctx_st *server_tls);
int check_client_cert(mg_http_req_t *req, const mg_server_t *srv,
    const struct ssl_ctx_st *server_tls);
int check_hops(mg_mcp_ex_t *ex);

/* exsession.c */
uint32_t session_owner(const mg_mcp_ex_t *ex);
uint32_t session_limit(const mg_mcp_ex_t *ex);
int      session_refused(
	 const mg_mcp_ex_t *ex, int rc, int *code, char *msg, size_t len);
void session_refuse(mg_mcp_ex_t *ex, struct json_object *id, int rc);
int  session_room(mg_mcp_ex_t *ex, struct json_object *id);
int  ex_check_session(mg_mcp_ex_t *ex);
int  blob_unpack(const ex_sess_t *s, const char **sid, size_t *sid_len,
     const char **init, size_t *init_len);
int  ex_relay_session(mg_mcp_ex_t *ex, const char *sid, const char *version);

/* dispatch.c */
int  accepts(const char *accept, const char *type);
void ex_listen_end(mg_mcp_ex_t *ex);
void ex_relayed_listen_end(mg_mcp_ex_t *ex);
void ex_post(mg_mcp_ex_t *ex);

/* policy.c */

/* relay.c */
extern const mg_relay_ops_t relay_ops;
void                        ex_post_relay(
			   mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char *body, size_t len);
int  ex_post_relay_plain(mg_mcp_ex_t *ex, const char *body, size_t len);
void ex_relay_failed(mg_mcp_ex_t *ex, int code, const char *message);
void ex_relay(mg_mcp_ex_t *ex, const char *body, size_t len);
void ex_keep_init_params(mg_mcp_ex_t *ex, mg_rpc_msg_t *m);
void ex_forget_subscriptions(mg_mcp_ex_t *ex);

/* wbridge.c */
void ex_relay_modern(
    mg_mcp_ex_t *ex, const mg_rpc_msg_t *m, const char *body, size_t len);
void ex_post_reverse(mg_mcp_ex_t *ex, mg_rpc_msg_t *m);

/* input.c */
int  ex_input_check(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m);
void ex_input_gather(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m);

/* stream.c */
void ex_get(mg_mcp_ex_t *ex);
void ex_delete(mg_mcp_ex_t *ex);

#endif
