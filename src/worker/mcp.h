/*
 * MCP Streamable HTTP endpoints (revisions 2025-03-26, 2025-06-18,
 * 2025-11-25 with sessions, and the stateless 2026-07-28, told apart per
 * request: era.h) in a worker: the transport rules (methods, Accept,
 * Content-Type, Origin, Host, MCP-Protocol-Version, sessions), JSON-RPC
 * framing, and answers as application/json or as an SSE stream.
 *
 * What the methods do is a backend's business (a built-in server now, a
 * proxy route later).  A backend gets each request as a call, answers it
 * now or later, and may send notifications first, which turns the answer
 * into an SSE stream.
 */
#ifndef MG_MCP_H
#define MG_MCP_H

#include "conf.h"
#include "http.h"
#include "msg.h"

struct json_object;
struct event_base;

typedef struct mg_mcp_call mg_mcp_call_t;

/* The lists a server may change (notifications/tools/list_changed ...). */
typedef enum {
	MG_MCP_LIST_TOOLS,
	MG_MCP_LIST_PROMPTS,
	MG_MCP_LIST_RESOURCES,
	MG_MCP_NLISTS
} mg_mcp_list_t;

typedef struct mg_mcp_backend {
	const char *name;
	/* serverInfo, capabilities and instructions for initialize */
	struct json_object *(*initialize)(const char *version);
	/* A request: answer with mg_mcp_call_result or _error, now or later.
	 * PARAMS is borrowed for the call. */
	void (*request)(mg_mcp_call_t *call, const char *method,
	    struct json_object *params);
	/* The call ends unanswered (cancelled, client gone, stopping): free
	 * what the backend holds for it; no answer is wanted. */
	void (*cancel)(mg_mcp_call_t *call);
	/* How many times list KIND has changed since the daemon started,
	 * the same in every worker; NULL: its lists never change. */
	uint64_t (*list_version)(mg_mcp_list_t kind);
	/* May a client subscribe to the resource URI (resourceSubscriptions
	 * of subscriptions/listen)?  NULL: to none. */
	int (*subscribable)(const char *uri);
} mg_mcp_backend_t;

/* What a worker needs to serve MCP; made once per worker. */
typedef struct mg_mcp_ctx mg_mcp_ctx_t;

struct mg_sesstab;
struct mg_session_key;

mg_mcp_ctx_t *mg_mcp_ctx_new(struct event_base *base,
    struct mg_sesstab *sessions, const struct mg_session_key *key,
    const mg_conf_t *conf);
void          mg_mcp_ctx_free(mg_mcp_ctx_t *ctx);

/* The checks on REQ's headers, before its body is read, for server SRV
 * (SERVER_TLS: the TLS context its certificate is in): MG_OK, or
 * MG_ERROR when REQ was answered. */
struct ssl_ctx_st;
int mg_mcp_headers(
    mg_http_req_t *req, const mg_server_t *srv, struct ssl_ctx_st *server_tls);
/* Serve REQ (its body is in) on location LOC of server SRV; LOOPBACK:
 * it came on a loopback listener (Host is checked against rebinding). */
void mg_mcp_handle(mg_mcp_ctx_t *ctx, mg_http_req_t *req,
    const mg_server_t *srv, const mg_location_t *loc, int loopback);
/* The client went away before the answer was complete. */
void mg_mcp_aborted(mg_http_req_t *req);
/* The answer is complete: write the access log line, free what is left. */
void mg_mcp_done(mg_mcp_ctx_t *ctx, mg_http_req_t *req);

/* Another worker forwarded notifications/cancelled for SESSION, or a
 * client's response (TEXT, LEN bytes of JSON) to a built-in server's
 * request. */
void mg_mcp_cancel_remote(
    mg_mcp_ctx_t *ctx, uint64_t session, const char *request_id);
/* A notification for SESSION's GET stream, if this worker holds it
 * (MG_MSG_NOTIFY_FWD: the reverse bridge's updates and list changes of
 * the upstream of index UPSTREAM - 1; 0: not said). */
void mg_mcp_notify_remote(mg_mcp_ctx_t *ctx, uint64_t session,
    uint64_t upstream, const char *text, size_t len);
void mg_mcp_answer_remote(
    mg_mcp_ctx_t *ctx, uint64_t session, const char *text, size_t len);
/* Graceful stop: end the GET streams; calls in flight finish. */
void mg_mcp_stop(mg_mcp_ctx_t *ctx);

/* Set by the worker: its slot and generation, which the ids of its
 * streams carry so that a client resuming one on another worker finds
 * it (through the connector). */
void mg_mcp_set_worker(mg_mcp_ctx_t *ctx, int slot, int generation);
/* The connector passes on another worker's MG_MSG_RESUME (request id
 * ID), and that worker's client leaving (MG_MSG_PEER_CANCEL). */
void mg_mcp_peer_resume(
    mg_mcp_ctx_t *ctx, uint64_t id, const mg_msg_resume_t *m);
void mg_mcp_peer_cancel(mg_mcp_ctx_t *ctx, uint64_t id);
/* The link to the connector is gone: streams other workers' clients
 * were reading wait for their clients again. */
void mg_mcp_peers_lost(mg_mcp_ctx_t *ctx);

/* Set by the worker: the relay to the connector (mcp_pass routes). */
struct mg_proxy;
void mg_mcp_set_proxy(mg_mcp_ctx_t *ctx, struct mg_proxy *proxy);

/* Set by the worker: pass on what belongs to a call we could not find
 * here (it is on another worker): a cancel (TEXT: the request id as
 * JSON) or a client's response (TEXT: the message). */
typedef enum { MG_MCP_FWD_CANCEL, MG_MCP_FWD_ANSWER } mg_mcp_fwd_t;
void mg_mcp_set_forward(mg_mcp_ctx_t *ctx,
    void (*fwd)(void *arg, mg_mcp_fwd_t what, uint64_t session,
	const char *text, size_t len),
    void *arg);

/* For backends. */
struct event_base *mg_mcp_call_base(const mg_mcp_call_t *call);
void               mg_mcp_call_set_data(mg_mcp_call_t *call, void *data);
void              *mg_mcp_call_data(const mg_mcp_call_t *call);
/* params._meta.progressToken, or NULL */
struct json_object *mg_mcp_call_progress_token(const mg_mcp_call_t *call);
/* Send a notification before the answer (takes PARAMS). */
void mg_mcp_call_notify(
    mg_mcp_call_t *call, const char *method, struct json_object *params);
/*
 * Ask the client something within the call (the 2025 revisions: a
 * request on the call's stream, such as elicitation/create or
 * sampling/createMessage; takes PARAMS).  ANSWERED runs once with the
 * client's result (borrowed; CODE 0) or its error (CODE, MESSAGE), on
 * whichever worker the response arrived.  MG_ERROR: the call cannot ask
 * (2026-07-28, which has input_required results instead; or already
 * asking).
 */
typedef void (*mg_mcp_answered_t)(mg_mcp_call_t *call,
    struct json_object *result, int code, const char *message);
int mg_mcp_call_ask(mg_mcp_call_t *call, const char *method,
    struct json_object *params, mg_mcp_answered_t answered);
/*
 * State a stateless server hands its client and must get back untouched
 * (an input_required result's requestState): TEXT sealed with the
 * gateway's session key into OUT (MG_SESSION_DATA_TOKEN_MAX + 1 bytes
 * hold any), and opened again (MG_OK with the NUL-terminated text in
 * OUT; MG_DECLINED for anything tampered, foreign or too long).  Any
 * worker, and any gateway with the same key file, opens what another
 * sealed.
 */
int mg_mcp_call_seal(
    const mg_mcp_call_t *call, const char *text, char *out, size_t n);
int mg_mcp_call_unseal(
    const mg_mcp_call_t *call, const char *token, char *out, size_t n);
/* Answer (takes RESULT); the call is gone afterwards. */
void mg_mcp_call_result(mg_mcp_call_t *call, struct json_object *result);
void mg_mcp_call_error(mg_mcp_call_t *call, int code, const char *message);
/* The call's params (borrowed; may be NULL), and the revision it speaks
 * ("2026-07-28" for a stateless request). */
struct json_object *mg_mcp_call_params(const mg_mcp_call_t *call);
const char         *mg_mcp_call_version(const mg_mcp_call_t *call);
/* The first value of the request's header NAME, while the client is
 * connected; else NULL. */
const char *mg_mcp_call_header(const mg_mcp_call_t *call, const char *name);
/* Answer with an error carrying DATA (taken; may be NULL). */
void mg_mcp_call_error_data(mg_mcp_call_t *call, int code, const char *message,
    struct json_object *data);
/* For the access log: the tool a tools/call names. */
void mg_mcp_call_set_tool(mg_mcp_call_t *call, const char *tool);

#endif
