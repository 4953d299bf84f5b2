/*
 * Upstreams, each through its transport (the connector): the rows of the
 * transport table, the choice of one per upstream when the configuration
 * is loaded, and the generic calls of upstream.h passed to that row.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "transport.h"
#include "upstream.h"

/* ---- upstreams, each through its transport ---------------------------- */

/* The rows, in the order they are asked which upstreams they serve. */
static const mg_transport_t *const transports[] = {
	&mg_transport_sse, /* before http: a server URL with protocol
			      2024-11-05 */
	&mg_transport_http,
	&mg_transport_stdio,
};
#define NTRANSPORTS (sizeof(transports) / sizeof(transports[0]))

struct mg_upstreams {
	void              *state[NTRANSPORTS]; /* each row's */
	size_t            *row; /* by upstream index: its transport */
	size_t             nup;
	int                stopping; /* rows with something still running */
	mg_pools_t        *pools;    /* the members' state (pool.h) */
	struct event_base *base;
	void (*stopped)(void *arg);
	void *stopped_arg;
};

static mg_upx_t *upstreams_handover(
    void *arg, const mg_up_req_t *req, const mg_up_ops_t *ops);

const mg_transport_t *
mg_transport_for(const mg_upstream_t *up)
{
	for (size_t i = 0; i < NTRANSPORTS; i++)
		if (transports[i]->serves(up))
			return transports[i];
	return NULL;
}

mg_upstreams_t *
mg_upstreams_new(struct event_base *base, const mg_conf_t *conf,
    const struct mg_tls_set *tls, char **err)
{
	mg_upstreams_t *ups = calloc(1, sizeof(*ups));
	size_t          n = 0, i;

	*err = NULL;
	if (ups == NULL)
		return NULL;
	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next)
		n++;
	ups->nup = n;
	ups->base = base;
	if ((ups->row = calloc(n ? n : 1, sizeof(*ups->row))) == NULL ||
	    (ups->pools = mg_pools_new(conf)) == NULL)
		goto fail;
	/* every row is set up, whether it serves any upstream or not: the
	 * DNS base, the self-connection marks swept, SIGCHLD watched */
	for (i = 0; i < NTRANSPORTS; i++)
		if ((ups->state[i] = transports[i]->new (base, conf, tls)) ==
		    NULL)
			goto fail;
	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next) {
		for (i = 0; i < NTRANSPORTS; i++)
			if (transports[i]->serves(u))
				break;
		if (i == NTRANSPORTS || (size_t)u->index >= n)
			goto fail;
		ups->row[u->index] = i;
	}
	for (i = 0; i < NTRANSPORTS; i++)
		if (transports[i]->set_handover != NULL)
			transports[i]->set_handover(
			    ups->state[i], upstreams_handover, ups);
	return ups;
fail:
	*err = strdup("cannot set up DNS and upstream pools");
	mg_upstreams_free(ups);
	return NULL;
}

/* The row that takes exchanges over from another, or NTRANSPORTS. */
static size_t
upstreams_taker(void)
{
	size_t i;

	for (i = 0; i < NTRANSPORTS; i++)
		if (transports[i]->learned != NULL)
			break;
	return i;
}

mg_upx_t *
mg_upstream_start(
    mg_upstreams_t *ups, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	size_t i, k = upstreams_taker();

	if (req->up->index < 0 || (size_t)req->up->index >= ups->nup)
		return NULL;
	if (req->up->nmembers > 1) /* a pool: one of its members */
		return mg_poolx_start(ups, ups->pools, ups->base, req, ops);
	i = ups->row[req->up->index];
	if (k < NTRANSPORTS && transports[k]->learned(ups->state[k], req->up))
		i = k;
	return mg_upstart_run(
	    ups->base, transports[i], ups->state[i], req, ops);
}

/* An exchange whose row found its upstream speaks another transport. */
static mg_upx_t *
upstreams_handover(void *arg, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	mg_upstreams_t *ups = arg;
	size_t          k = upstreams_taker();

	if (k == NTRANSPORTS)
		return NULL;
	return mg_upstart_run(
	    ups->base, transports[k], ups->state[k], req, ops);
}

mg_pools_t *
mg_upstreams_pools(mg_upstreams_t *ups)
{
	return ups->pools;
}

void
mg_upstream_cancel(mg_upx_t *x)
{
	x->t->cancel(x);
}

void
mg_upstream_park(mg_upx_t *x, const mg_up_ops_t *ops)
{
	x->t->park(x, ops);
}

void
mg_upstream_resume(
    mg_upx_t *x, const mg_up_ops_t *ops, const char *body, size_t len, int caps)
{
	x->t->resume(x, ops, body, len, caps);
}

const char *
mg_upstream_version(const mg_upx_t *x)
{
	return x->t->version(x);
}

int
mg_upstream_era(mg_upstreams_t *ups, const mg_upstream_t *up)
{
	size_t i;

	if (up->index < 0 || (size_t)up->index >= ups->nup)
		return MG_PROTOCOL_AUTO;
	i = ups->row[up->index];
	return transports[i]->era != NULL
	    ? transports[i]->era(ups->state[i], up)
	    : MG_PROTOCOL_AUTO;
}

void
mg_upstreams_take_bridges(mg_upstreams_t *ups, int64_t idle_ms,
    void (*fn)(void *arg, const mg_upstream_t *up, const char *sid,
	const char *version),
    void *arg)
{
	for (size_t i = 0; i < NTRANSPORTS; i++)
		if (ups->state[i] != NULL && transports[i]->take_own != NULL)
			transports[i]->take_own(
			    ups->state[i], idle_ms, fn, arg);
}

/* A row has nothing running any more: the last tells the connector. */
static void
upstreams_row_stopped(void *arg)
{
	mg_upstreams_t *ups = arg;

	if (ups->stopping > 0 && --ups->stopping == 0 && ups->stopped != NULL)
		ups->stopped(ups->stopped_arg);
}

int
mg_upstreams_stop_all(
    mg_upstreams_t *ups, void (*stopped)(void *arg), void *arg)
{
	int n = 0, k;

	ups->stopped = stopped;
	ups->stopped_arg = arg;
	ups->stopping = 0; /* counted afresh: this may be asked again */
	for (size_t i = 0; i < NTRANSPORTS; i++) {
		if (transports[i]->stop_all == NULL)
			continue;
		k = transports[i]->stop_all(
		    ups->state[i], upstreams_row_stopped, ups);
		ups->stopping += k > 0;
		n += k;
	}
	return n;
}

void
mg_upstreams_free(mg_upstreams_t *ups)
{
	if (ups == NULL)
		return;
	for (size_t i = 0; i < NTRANSPORTS; i++)
		if (ups->state[i] != NULL)
			transports[i]->free(ups->state[i]);
	mg_pools_free(ups->pools);
	free(ups->row);
	free(ups);
}
