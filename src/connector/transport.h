/*
 * The connector's transports (private to connector/): how it reaches an
 * upstream, one row per way (Streamable HTTP(S), stdio, legacy
 * HTTP+SSE), as nginx's upstream modules or OpenSMTPD's table backends.
 *
 * upstream.c chooses each upstream's row once, when the configuration is
 * loaded (mg_upstreams_new), and from then on only calls through it: a
 * new transport is one file that fills one mg_transport_t, and one line
 * in upstream.c's list.  Each row keeps its own state for all the
 * upstreams it serves (STATE below), made by its new and ended by its
 * free.
 *
 * An exchange of any row starts with an mg_upx_t (its first member), so
 * the handle the connector holds names the row that serves it.
 */
#ifndef MG_TRANSPORT_H
#define MG_TRANSPORT_H

#include <stdint.h>

#include "upstream.h"

typedef struct mg_transport mg_transport_t;

/* Start REQ on the row that takes over from another (upstream.c). */
typedef mg_upx_t *(*mg_transport_handover_t)(
    void *arg, const mg_up_req_t *req, const mg_up_ops_t *ops);

/* The first member of every transport's exchange. */
struct mg_upx {
	const mg_transport_t *t;
};

struct mg_transport {
	const char *name;
	/* Does this row reach UP?  The first row that does serves it. */
	int (*serves)(const mg_upstream_t *up);
	/* Its state for CONF's upstreams; NULL if it cannot be set up. */
	void *(*new)(struct event_base *base, const mg_conf_t *conf,
	    const struct mg_tls_set *tls);
	/* As mg_upstream_start, for an upstream this row serves. */
	mg_upx_t *(*start)(
	    void *state, const mg_up_req_t *req, const mg_up_ops_t *ops);
	/* As mg_upstream_cancel, mg_upstream_park, mg_upstream_resume and
	 * mg_upstream_version (upstream.h). */
	void (*cancel)(mg_upx_t *x);
	void (*park)(mg_upx_t *x, const mg_up_ops_t *ops);
	void (*resume)(mg_upx_t *x, const mg_up_ops_t *ops, const char *body,
	    size_t len, int caps);
	const char *(*version)(const mg_upx_t *x);
	/* The sessions it opened for itself that nobody uses (as
	 * mg_upstreams_take_bridges); NULL: it opens none. */
	void (*take_own)(void *state, int64_t idle_ms,
	    void (*fn)(void *arg, const mg_upstream_t *up, const char *sid,
		const char *version),
	    void *arg);
	/* The connector stops: how many of its things still run, STOPPED(ARG)
	 * called when the last has gone; NULL: nothing of it outlives a
	 * stop. */
	int (*stop_all)(void *state, void (*stopped)(void *arg), void *arg);
	/* Where an exchange goes when this row finds that its upstream
	 * speaks another transport (the http row under protocol auto: an
	 * initialize refused with 400, 404 or 405 goes to the legacy HTTP+SSE
	 * row), set by upstream.c; NULL: it never finds that out. */
	void (*set_handover)(
	    void *state, mg_transport_handover_t fn, void *arg);
	/* The row that takes those over: has it learned at run time that it
	 * serves UP (from then on, UP's exchanges start on it)?  NULL for the
	 * other rows. */
	int (*learned)(void *state, const mg_upstream_t *up);
	/* Everything of STATE, now, not waiting for anything. */
	void (*free)(void *state);
	/* The era UP speaks as far as this row knows: MG_PROTOCOL_2026,
	 * MG_PROTOCOL_2025, or MG_PROTOCOL_AUTO while it does not know yet
	 * (health.c picks its probe by it); NULL: MG_PROTOCOL_AUTO. */
	int (*era)(void *state, const mg_upstream_t *up);
};

extern const mg_transport_t mg_transport_http;
extern const mg_transport_t mg_transport_stdio;
extern const mg_transport_t mg_transport_sse;

/* The address of the upstream whose head a transport gives next
 * ("127.0.0.1:9000", "stdio:PID"), for the access log: noted just before
 * the transport calls its head op, taken by the relay (relay.c). */
void mg_relay_note_peer(const char *addr);

/* A pool's exchange (poolx.c): as mg_upstream_start, for REQ to an
 * upstream with members (pool.h), each through its own row. */
struct mg_pools;
mg_upx_t *mg_poolx_start(mg_upstreams_t *ups, struct mg_pools *ps,
    struct event_base *base, const mg_up_req_t *req, const mg_up_ops_t *ops);

/*
 * Every exchange's end, from every row: an end that comes inside the
 * exchange's own start (it failed at once) is kept, and told from the loop
 * after the start has returned (upstart.c); any other is told now.  A row
 * frees its exchange when it tells its end, as always.
 */
void mg_upstream_end(const mg_up_ops_t *ops, int code, const char *message);
/* T's start of REQ under that rule (upstream.c's only way to start). */
mg_upx_t *mg_upstart_run(struct event_base *base, const mg_transport_t *t,
    void *state, const mg_up_req_t *req, const mg_up_ops_t *ops);

/* The row that serves UP; NULL if none does. */
const mg_transport_t *mg_transport_for(const mg_upstream_t *up);

#endif
