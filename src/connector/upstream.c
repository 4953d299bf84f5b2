/*
 * Upstreams, each through its transport (the connector): the rows of the
 * transport table, the choice of one per upstream when the configuration
 * is loaded, and the generic calls of upstream.h passed to that row.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

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
	void   *state[NTRANSPORTS]; /* each row's */
	size_t *row;                /* by upstream index: its transport */
	size_t  nup;
	int     stopping; /* rows with something still running */
	void (*stopped)(void *arg);
	void *stopped_arg;
};

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
	if ((ups->row = calloc(n ? n : 1, sizeof(*ups->row))) == NULL)
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
	return ups;
fail:
	*err = strdup("cannot set up DNS and upstream pools");
	mg_upstreams_free(ups);
	return NULL;
}

mg_upx_t *
mg_upstream_start(
    mg_upstreams_t *ups, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	size_t i;

	if (req->up->index < 0 || (size_t)req->up->index >= ups->nup)
		return NULL;
	i = ups->row[req->up->index];
	return transports[i]->start(ups->state[i], req, ops);
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
	free(ups->row);
	free(ups);
}
