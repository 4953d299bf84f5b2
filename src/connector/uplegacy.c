/*
 * An upstream under "protocol auto" that turns out to speak the legacy
 * HTTP+SSE transport (revision 2024-11-05), found as the specification's
 * backwards-compatibility section says: our POST of an initialize (a 2025
 * client's, or our server/discover for a 2026-07-28 client's) is refused
 * with 400, 404 or 405.  The exchange is then handed over to the row that
 * the connector's upstreams name for that (upstream.c: the "sse" row),
 * which GETs the server URL for an "endpoint" event and, if one comes,
 * keeps the upstream for itself from then on.  The http exchange stays
 * as a shell the connector holds: the new exchange's calls go through it,
 * and the connector's calls on it go to the new one.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "log.h"
#include "upx.h"

/* Is X's answer (STATUS, its head just read) the sign of a legacy
 * HTTP+SSE upstream, X the exchange to hand over? */
int
mg_uplegacy_wanted(const upx_t *x, int status)
{
	const mg_upstream_t *up = x->pool->up;

	/* the sse row carries header lines only, no tokens */
	if (x->ups->handover == NULL || up->protocol != MG_PROTOCOL_AUTO ||
	    up->oauth != NULL || up->forward_token || up->exchange != NULL)
		return 0;
	/* a client's initialize, or ours to open its session again (the
	 * connector restarted and forgot what it had learned: the session
	 * was the legacy row's) */
	if ((x->step == STEP_REQUEST && x->initialize && !x->retried) ||
	    x->step == STEP_REINIT)
		return status == 400 || status == 404 || status == 405;
	/* a session's request refused with a page that is not MCP: the
	 * connector restarted and forgot what it had learned, the session
	 * being the legacy row's (a Streamable HTTP server that forgot a
	 * session says 404 in JSON, or with no body, and is asked again) */
	if (x->step == STEP_REQUEST && !x->initialize && x->sid[0] &&
	    x->init_len > 0 && !x->retried &&
	    (status == 404 || status == 405) &&
	    strncasecmp(x->ctype, "application/json", 16) != 0 &&
	    strncasecmp(x->ctype, "text/event-stream", 17) != 0 &&
	    x->ctype[0] != '\0')
		return 1;
	/* a server of the 2025 revisions may refuse a discover without a
	 * session with 400: only a POST refused outright counts */
	return x->step == STEP_DISCOVER && (status == 404 || status == 405);
}

static void
shell_head(void *arg, int status, int kind, const char *sid, const char *v)
{
	upx_t *x = arg;

	x->ops.head(x->ops.arg, status, kind, sid, v);
}

static void
shell_data(void *arg, const char *msg, size_t len)
{
	upx_t *x = arg;

	x->ops.data(x->ops.arg, msg, len);
}

static void
shell_event(void *arg, const char *id, long retry, const char *d, size_t len)
{
	upx_t *x = arg;

	x->ops.event(x->ops.arg, id, retry, d, len);
}

static void
shell_end(void *arg, int code, const char *message)
{
	upx_t      *x = arg;
	mg_up_ops_t ops = x->ops;

	x->handed = NULL;
	mg_upx_free(x);
	mg_upstream_end(&ops, code, message);
}

static mg_up_ops_t
shell_ops(upx_t *x)
{
	return (mg_up_ops_t){ shell_head, shell_data, shell_event, shell_end, x,
		NULL };
}

/* Hand X over (its answer read, its connection released). */
void
mg_uplegacy_hand_over(upx_t *x)
{
	mg_up_ops_t ops = shell_ops(x);
	/* the client's body as it came (the data block: init, body, lei) */
	const char *body = x->init + x->init_len + 1;
	mg_up_req_t req = {
		.method = x->method,
		.initialize = x->initialize,
		.hops = x->hops,
		.up = x->pool->up,
		.sid = x->sid, /* "" but for a session to open again */
		.version = x->version,
		.init = x->init,
		.init_len = x->init_len,
		.body = body,
		.body_len = (size_t)(x->lei - body - 1),
		.last_event_id = "",
		.modern = x->modern,
		.discover = x->discover,
		.headers = x->headers,
		.headers_len = x->headers_len,
		.caps = x->ask.caps,
		.detect = x->status,
	};

	evtimer_del(x->timer);
	mg_info("upstream \"%s\" (protocol auto) refused our POST of %s with "
		"HTTP %d: trying the 2024-11-05 HTTP+SSE transport",
	    x->pool->up->name,
	    x->step == STEP_DISCOVER ? "a discover"
		: x->initialize || x->step == STEP_REINIT
		? "an initialize"
		: "a session's request",
	    x->status);
	if ((x->handed = x->ups->handover(x->ups->handover_arg, &req, &ops)) ==
	    NULL)
		mg_upx_end(x, UP_ERR,
		    "refused an initialize (HTTP %d), and the HTTP+SSE "
		    "transport could not be tried",
		    x->status);
}

/* The http row's calls: on a shell, to the exchange it handed over. */
void
mg_uplegacy_cancel(mg_upx_t *h)
{
	upx_t    *x = (upx_t *)h;
	mg_upx_t *to = x->handed;

	if (to == NULL) {
		mg_upx_cancel(x);
		return;
	}
	x->handed = NULL;
	to->t->cancel(to);
	mg_upx_free(x);
}

void
mg_uplegacy_park(mg_upx_t *h, const mg_up_ops_t *ops)
{
	upx_t      *x = (upx_t *)h;
	mg_up_ops_t shell = shell_ops(x);

	if (x->handed == NULL) {
		mg_upbridge_park(h, ops);
		return;
	}
	x->ops = *ops;
	x->handed->t->park(x->handed, &shell);
}

void
mg_uplegacy_resume(
    mg_upx_t *h, const mg_up_ops_t *ops, const char *body, size_t len, int caps)
{
	upx_t      *x = (upx_t *)h;
	mg_up_ops_t shell = shell_ops(x);

	if (x->handed == NULL) {
		mg_upbridge_resume(h, ops, body, len, caps);
		return;
	}
	x->ops = *ops;
	x->handed->t->resume(x->handed, &shell, body, len, caps);
}

const char *
mg_uplegacy_version(const mg_upx_t *h)
{
	const upx_t *x = (const upx_t *)h;

	return x->handed != NULL ? x->handed->t->version(x->handed)
				 : mg_upbridge_version(h);
}

void
mg_uplegacy_set_handover(void *state, mg_transport_handover_t fn, void *arg)
{
	httpups_t *ups = state;

	ups->handover = fn;
	ups->handover_arg = arg;
}
