/*
 * Upstream sessions (the connector): the upstream session behind each
 * gateway session, learnt from relayed requests, so that it is closed
 * upstream (DELETE, a few at a time) when ours idles out or ends, and
 * the bridge's own sessions when the connector stops.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "child.h"
#include "connector.h"
#include "bridge.h"
#include "era.h"
#include "jsonrpc.h"
#include "httpmsg.h"
#include "link.h"
#include "log.h"
#include "served.h"
#include "sesstab.h"
#include "connpriv.h"
#include "upstream.h"

static usess_t **
usess_find(mg_connector_t *c, uint64_t session)
{
	usess_t **pp = &c->usess[session % MG_USESS_BUCKETS];

	while (*pp != NULL && (*pp)->session != session)
		pp = &(*pp)->next;
	return pp;
}

void
mg_usess_free(usess_t *u)
{
	free(u->sid);
	free(u);
}

void
mg_usess_forget(mg_connector_t *c, uint64_t session)
{
	usess_t **pp = usess_find(c, session), *u = *pp;

	if (u == NULL)
		return;
	*pp = u->next;
	mg_usess_free(u);
}

/* Remember (or forget, on DELETE) the upstream session of SESSION. */
void
mg_usess_note(mg_connector_t *c, const mg_msg_req_t *q, const char *sid,
    const char *version)
{
	usess_t **pp, *u;

	if (q->session == 0 || sid[0] == '\0')
		return;
	if (q->method == MG_HTTP_DELETE) {
		mg_usess_forget(c, q->session);
		return;
	}
	pp = usess_find(c, q->session);
	if (*pp != NULL)
		return;
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->sid = strdup(sid)) == NULL) {
		free(u);
		return;
	}
	u->session = q->session;
	u->upstream = q->upstream;
	snprintf(u->version, sizeof(u->version), "%s", version);
	*pp = u;
}

static void close_next(mg_connector_t *c);

static void
close_end(void *arg, int code, const char *message)
{
	mg_connector_t *c = arg;

	if (code != 0)
		mg_info("closing an idle session upstream failed: %s", message);
	c->nclosing--;
	close_next(c);
	/* the last of a burst: what the sessions held goes back */
	if (c->nclosing == 0 && c->closing == NULL)
		mg_memory_trim();
	mg_connector_maybe_exit(c);
}

/* U's session to close upstream: last in the queue. */
static void
close_queue(mg_connector_t *c, usess_t *u)
{
	u->next = NULL;
	if (c->closing_last)
		c->closing_last->next = u;
	else
		c->closing = u;
	c->closing_last = u;
	close_next(c);
}

/* A session of the bridge to close upstream: queued with the others. */
void
mg_usess_bridge_close(
    void *arg, const mg_upstream_t *up, const char *sid, const char *version)
{
	mg_connector_t *c = arg;
	usess_t        *u = calloc(1, sizeof(*u));

	if (u == NULL || (u->sid = strdup(sid)) == NULL) {
		free(u);
		return;
	}
	u->upstream = up->index;
	snprintf(u->version, sizeof(u->version), "%s", version);
	close_queue(c, u);
}

/* Start the queued DELETEs, MG_CLOSE_PARALLEL at most at once. */
static void
close_next(mg_connector_t *c)
{
	static const mg_up_ops_t ops = { mg_answer_ignore_head,
		mg_answer_ignore_data, mg_answer_ignore_event, close_end, NULL,
		NULL };
	mg_up_ops_t              o = ops;
	const mg_upstream_t     *up;
	usess_t                 *u;
	mg_up_req_t              req;

	o.arg = c;
	while (c->nclosing < MG_CLOSE_PARALLEL && (u = c->closing) != NULL) {
		if ((c->closing = u->next) == NULL)
			c->closing_last = NULL;
		up = mg_connector_upstream(c, u->upstream);
		req = (mg_up_req_t){ MG_HTTP_DELETE, 0, 1, up, u->sid,
			u->version, "", 0, "", 0, "", 0, 0, "", 0, 0,
			u->session != 0, /* idle (else the bridge's) */
			NULL, 0, 0, 0, 0 };
		c->nclosing++; /* before: the end may come at once */
		if (up == NULL || mg_upstream_start(c->ups, &req, &o) == NULL)
			c->nclosing--;
		else if (u->session != 0)
			mg_debug("closing upstream \"%s\"'s session of idle "
				 "session %016llx",
			    up->name, (unsigned long long)u->session);
		mg_usess_free(u);
	}
}

/* A gateway session idled out: end the upstream's session too (DELETE),
 * so abandoned sessions do not pile up there. */
void
mg_connector_session_ended(void *arg, uint64_t session)
{
	mg_connector_t *c = arg;
	usess_t       **pp = usess_find(c, session), *u = *pp;
	rsub_t         *s;

	while ((s = mg_rsub_find(c, session, NULL)) != NULL)
		mg_rsub_free(s);
	if (u == NULL)
		return;
	*pp = u->next;
	close_queue(c, u);
}
