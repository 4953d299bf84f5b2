/*
 * The connector's active health checks: for each server of an upstream
 * with a health_check, a timer that sends one MCP request of its own (a
 * 2026-07-28 request through the upstream's transport, which carries it
 * over its bridge session to a server of the 2025 revisions, opened
 * again when forgotten) and judges the answer: a JSON-RPC result within
 * the timeout passes, anything else fails.  Never more than one probe in
 * flight per server; probes are not relays, so they count in no client
 * metric; a change of state is logged once (healthstate.c decides).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "board.h"
#include "era.h"
#include "health.h"
#include "httpmsg.h"
#include "jsonrpc.h"
#include "log.h"
#include "pool.h"

#define HEALTH_WHY 160

typedef struct probe {
	struct mg_health    *h;
	const mg_upstream_t *up;
	const char          *url; /* its address, for the log */
	mg_health_state_t    st;
	struct event        *tick, *deadline;
	mg_upx_t            *x;    /* the probe in flight */
	int                  busy; /* a probe is in flight */
	int                  status;
	int                  answer; /* 1: a result, -1: an error */
	const char          *method; /* of the probe in flight */
	char                 why[HEALTH_WHY];
	unsigned long long   n; /* probes sent: each one's id */
} probe_t;

struct mg_health {
	struct event_base *base;
	mg_upstreams_t    *ups;
	probe_t           *probes;
	size_t             nprobes;
};

static struct timeval
health_tv(int64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
		(suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

/* ---- the end of a probe ------------------------------------------------ */

/*
 * P's server changed state (DOWN), WHY: a pool's member tells its pool
 * (pool.c takes it out or back, and logs it once); the server of an
 * upstream of its own is logged here, in the same words, and shown on
 * the status board.
 */
static void
probe_changed(probe_t *p, int down, const char *why)
{
	if (p->up->pool != NULL) {
		mg_pool_member_down(
		    mg_upstreams_pools(p->h->ups), p->up, down, why);
		return;
	}
	if (down)
		mg_warn("upstream \"%s\": server \"%s\" taken out by its "
			"health check (%s)",
		    p->up->name, p->url, why);
	else
		mg_notice("upstream \"%s\": server \"%s\" back in service "
			  "(its health check passed)",
		    p->up->name, p->url);
	mg_board_up_result(p->up->index, !down, down ? why : NULL);
}

/* P's probe is over: OK or not (WHY), and what that makes of P. */
static void
probe_done(probe_t *p, int ok, const char *why)
{
	const mg_health_conf_t *hc = &p->up->health;
	char                    text[HEALTH_WHY + 128];

	p->busy = 0;
	p->x = NULL;
	event_del(p->deadline);
	switch (mg_health_note(&p->st, ok, hc)) {
	case MG_HEALTH_WENT_DOWN:
		snprintf(text, sizeof(text), "%d failed in a row: %s",
		    hc->fails, why);
		probe_changed(p, 1, text);
		break;
	case MG_HEALTH_CAME_UP: probe_changed(p, 0, NULL); break;
	default: break;
	}
}

static void
probe_head(
    void *arg, int status, int kind, const char *sid, const char *version)
{
	probe_t *p = arg;

	(void)kind, (void)sid, (void)version;
	p->status = status;
}

/* A message of the answer: the response to our request decides. */
static void
probe_data(void *arg, const char *msg, size_t len)
{
	probe_t            *p = arg;
	struct json_object *root = mg_json_parse(msg, len), *v, *e;

	if (root == NULL || !json_object_object_get_ex(root, "id", &v))
		; /* a notification, or not JSON: not the answer */
	else if (json_object_object_get_ex(root, "result", &v))
		p->answer = 1;
	else if (json_object_object_get_ex(root, "error", &e)) {
		p->answer = -1;
		snprintf(p->why, sizeof(p->why), "answered error %d: %.80s",
		    json_object_object_get_ex(e, "code", &v)
			? json_object_get_int(v)
			: 0,
		    json_object_object_get_ex(e, "message", &v)
			? json_object_get_string(v)
			: "");
	}
	json_object_put(root);
}

static void
probe_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	(void)id, (void)retry;
	if (len > 0)
		probe_data(arg, data, len);
}

static void
probe_end(void *arg, int code, const char *message)
{
	probe_t *p = arg;
	char     why[HEALTH_WHY + 64] = "";

	if (code != 0)
		snprintf(why, sizeof(why), "%s", message ? message : "failed");
	else if (p->status < 200 || p->status > 299)
		snprintf(why, sizeof(why), "%s answered HTTP %d", p->method,
		    p->status);
	else if (p->answer < 0)
		snprintf(why, sizeof(why), "%s %s", p->method, p->why);
	else if (p->answer == 0)
		snprintf(why, sizeof(why), "%s answered no JSON-RPC response",
		    p->method);
	probe_done(p,
	    code == 0 && p->answer > 0 && p->status >= 200 && p->status <= 299,
	    why);
}

/* The timeout: the probe is cancelled (no more calls) and failed. */
static void
probe_timeout(evutil_socket_t fd, short what, void *arg)
{
	probe_t *p = arg;
	char     why[HEALTH_WHY];

	(void)fd, (void)what;
	if (p->x != NULL)
		mg_upstream_cancel(p->x);
	snprintf(why, sizeof(why), "%s not answered within %lld ms", p->method,
	    (long long)p->up->health.timeout);
	probe_done(p, 0, why);
}

/* ---- a probe ------------------------------------------------------------ */

/* The method configured; or by what the server speaks: server/discover
 * to a 2026-07-28 server (ping is not part of it) and while that is not
 * known (its transport asks server/discover first: a real exchange
 * either way), ping to one of the 2025 revisions (over the session the
 * connector holds with it, which would answer server/discover itself). */
static const char *
probe_method(const probe_t *p)
{
	if (p->up->health.method != NULL)
		return p->up->health.method;
	return mg_upstream_era(p->h->ups, p->up) == MG_PROTOCOL_2025
	    ? "ping"
	    : "server/discover";
}

static void
probe_send(evutil_socket_t fd, short what, void *arg)
{
	static const mg_up_ops_t ops = { probe_head, probe_data, probe_event,
		probe_end, NULL, NULL };
	probe_t                 *p = arg;
	const char              *method = probe_method(p);
	char                     body[512], headers[64];
	struct timeval           tv = health_tv(p->up->health.timeout);
	mg_up_ops_t              o = ops;
	mg_upx_t                *x;
	mg_up_req_t              req = { .method = MG_HTTP_POST,
			     .hops = 1,
			     .up = p->up,
			     .sid = "",
			     .version = MG_ERA_2026,
			     .init = "",
			     .last_event_id = "",
			     .modern = 1,
			     .headers = headers,
			     .quiet = 1 };

	(void)fd, (void)what;
	if (p->busy)
		return; /* one in flight at most: this tick is skipped */
	req.discover = strcmp(method, "server/discover") == 0;
	req.body = body;
	req.body_len = (size_t)snprintf(body, sizeof(body),
	    "{\"jsonrpc\":\"2.0\",\"id\":\"mcpgw-health-%llu\",\"method\":"
	    "\"%s\",\"params\":{\"_meta\":{\"" MG_META_VERSION
	    "\":\"" MG_ERA_2026 "\",\"" MG_META_CAPABILITIES
	    "\":{},\"" MG_META_CLIENT_INFO "\":{\"name\":\"mcpgw-health\","
	    "\"version\":\"" PACKAGE_VERSION "\"}}}}",
	    ++p->n, method);
	req.headers_len = (size_t)snprintf(
	    headers, sizeof(headers), "Mcp-Method: %s\r\n", method);
	p->method = method;
	p->status = p->answer = 0;
	p->why[0] = '\0';
	p->busy = 1;
	o.arg = p;
	event_add(p->deadline, &tv);
	x = mg_upstream_start(p->h->ups, &req, &o);
	if (!p->busy)
		return; /* ended already, X with it */
	if (x == NULL)
		probe_done(p, 0, "the probe could not start");
	else
		p->x = x;
}

/* ---- the prober --------------------------------------------------------- */

static int
probe_init(mg_health_t *h, probe_t *p, const mg_upstream_t *up)
{
	struct timeval tv = health_tv(up->health.interval);

	p->h = h;
	p->up = up;
	p->url = up->server.url;
	p->tick = event_new(h->base, -1, EV_PERSIST, probe_send, p);
	p->deadline = evtimer_new(h->base, probe_timeout, p);
	if (p->tick == NULL || p->deadline == NULL ||
	    event_add(p->tick, &tv) != 0)
		return MG_ERROR;
	return MG_OK;
}

/* Is U probed?  A server of an upstream with a health_check: the
 * upstream's own, or each member's of a pool (each an upstream of its
 * own, pool.h), not a stdio one (watched through its process). */
static int
health_probed(const mg_upstream_t *u)
{
	return u->health.pos.file != NULL && u->nmembers <= 1 &&
	    u->server.url != NULL;
}

mg_health_t *
mg_health_start(
    struct event_base *base, const mg_conf_t *conf, mg_upstreams_t *ups)
{
	mg_health_t *h = calloc(1, sizeof(*h));
	size_t       n = 0;

	if (h == NULL)
		return NULL;
	h->base = base;
	h->ups = ups;
	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next)
		n += health_probed(u);
	if (n > 0 && (h->probes = calloc(n, sizeof(*h->probes))) == NULL) {
		free(h);
		return NULL;
	}
	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next) {
		if (!health_probed(u))
			continue;
		if (probe_init(h, &h->probes[h->nprobes++], u) != MG_OK) {
			mg_health_stop(h);
			return NULL;
		}
	}
	if (n > 0)
		mg_info("health checks of %zu upstream server%s", n,
		    n > 1 ? "s" : "");
	return h;
}

void
mg_health_stop(mg_health_t *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->nprobes; i++) {
		probe_t *p = &h->probes[i];

		if (p->x != NULL)
			mg_upstream_cancel(p->x);
		if (p->tick != NULL)
			event_free(p->tick);
		if (p->deadline != NULL)
			event_free(p->deadline);
	}
	free(h->probes);
	free(h);
}

int
mg_health_is_down(const mg_health_t *h, int up)
{
	for (size_t i = 0; h != NULL && i < h->nprobes; i++)
		if (h->probes[i].up->index == up)
			return h->probes[i].st.down;
	return 0;
}
