/*
 * The connector's way to upstream MCP servers, whatever reaches them: one
 * exchange per relayed request, through the transport (transport.h) that
 * was chosen for its upstream when the configuration was loaded
 * (Streamable HTTP(S), or a stdio server the connector runs).
 *
 * Every transport keeps the few MCP rules a relay needs: the upstream's
 * Mcp-Session-Id and protocol version from an initialize; an SSE answer
 * relayed event by event as it arrives; and a session the upstream forgot
 * opened again, once, with the client's own initialize params.
 */
#ifndef MG_UPSTREAM_H
#define MG_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "ipc.h"

struct event_base;

typedef struct mg_upstreams mg_upstreams_t;
typedef struct mg_upx       mg_upx_t;

typedef struct {
	int                  method; /* mg_http_method_t */
	int                  initialize;
	int                  hops;
	const mg_upstream_t *up;
	const char          *sid; /* upstream session id, "" for none */
	const char          *version;
	const char          *init; /* client's initialize params, or "" */
	size_t               init_len;
	const char          *body;
	size_t               body_len;
	const char          *last_event_id; /* a GET that resumes, or "" */
	int                  modern;        /* 2026-07-28: no session */
	int                  discover;      /* the request is server/discover */
	const char          *headers; /* lines for the upstream, as they are */
	size_t               headers_len;
	int caps; /* a 2026-07-28 client's: MG_REQ_F_ELICIT.. */
	int idle; /* a DELETE of the connector's sweep: the session idled */
	/* the client's bearer token (msg.h: only for an upstream that
	 * takes it), NULL otherwise, and its exp (s) */
	const char *token;
	size_t      token_len;
	int64_t     token_exp;
	/* handed over (protocol auto): the HTTP status that refused our POST
	 * of its initialize or discover; 0 otherwise */
	int detect;
	/* the connector's own health check (health.c): its failures are
	 * the prober's to log, once per change of state */
	int quiet;
} mg_up_req_t;

/* The answer, as the frames to the worker carry it (ipc.h). */
typedef mg_answer_ops_t mg_up_ops_t;

/* TLS: the master's contexts for the https upstreams (tls.h). */
struct mg_tls_set;
mg_upstreams_t *mg_upstreams_new(struct event_base *base, const mg_conf_t *conf,
    const struct mg_tls_set *tls, char **err);
void            mg_upstreams_free(mg_upstreams_t *ups);
/* Its pools' members' state (pool.h), for the health checks. */
struct mg_pools *mg_upstreams_pools(mg_upstreams_t *ups);
/* The connector stops: what its transports run of their own (stdio
 * servers) is stopped; how many still run; STOPPED(ARG) when none does
 * any more. */
int mg_upstreams_stop_all(
    mg_upstreams_t *ups, void (*stopped)(void *arg), void *arg);

/*
 * Start an exchange; NULL if it cannot even start (ops->end not called).
 * No op of OPS but head and data is ever called before this returns: an
 * exchange that fails at once (no descriptor, a connect or a fork refused)
 * still returns its handle, and its end comes from the loop after, so a
 * caller may keep the handle and free itself in its end (upstart.c).
 */
mg_upx_t *mg_upstream_start(
    mg_upstreams_t *ups, const mg_up_req_t *req, const mg_up_ops_t *ops);
/* The client is gone: stop, with no more callbacks. */
void mg_upstream_cancel(mg_upx_t *x);

/*
 * Over the bridge (a 2026-07-28 client, an upstream of 2025): the
 * client went with an input_required result; the exchange goes on, its
 * calls to OPS now, and the upstream's requests to the client wait for
 * the retry.  Resume: the retry's calls to OPS from now on (a head
 * first), its request BODY's inputResponses posted upstream as the
 * answers to the waiting requests, the others heard again.
 */
void mg_upstream_park(mg_upx_t *x, const mg_up_ops_t *ops);
void mg_upstream_resume(mg_upx_t *x, const mg_up_ops_t *ops, const char *body,
    size_t len, int caps);
const char *mg_upstream_version(const mg_upx_t *x);

/* The era UP speaks, as its transport knows it now (transport.h). */
int mg_upstream_era(mg_upstreams_t *ups, const mg_upstream_t *up);

/*
 * The bridge's sessions to close: those no exchange uses now and none has
 * for IDLE_MS (all, IDLE_MS < 0), each forgotten here (the next request
 * opens another) and handed to FN to DELETE.
 */
void mg_upstreams_take_bridges(mg_upstreams_t *ups, int64_t idle_ms,
    void (*fn)(void *arg, const mg_upstream_t *up, const char *sid,
	const char *version),
    void *arg);

#endif
