/*
 * subscriptions/listen over the bridge (the connector): a 2026-07-28
 * client's listen, served from the GET stream of the bridge's session
 * with a 2025 upstream, which this file keeps open while anyone listens.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "bridge.h"
#include "era.h"
#include "httpmsg.h"
#include "ipc.h"
#include "jsonrpc.h"
#include "log.h"
#include "upask.h"
#include "upx.h"

/* ---- subscriptions/listen over the bridge ------------------------------ */

/*
 * A 2026-07-28 client's subscriptions/listen over the bridge is served by
 * the connector: the listen agrees to what the upstream's initialize
 * promised (listChanged, subscribe) of what it asked, is acknowledged at
 * once, and stays open.  While any listen is open, the connector keeps a
 * GET stream on the bridge's session and resources/subscribe's upstream
 * the URIs the listens want (counted; resources/unsubscribe when none
 * does); each notification of the GET stream goes to the listens whose
 * filters want it, tagged with their subscription ids.  If the GET stream
 * ends, it is opened again a second later; if the session is gone, the
 * listens end with an error (the client listens again).
 */
#define BRIDGE_GET_AGAIN_MS 1000

/* Post METHOD (resources/subscribe or unsubscribe) of URI on the
 * bridge's session, its answer dropped. */
static void
bridge_post(mg_pool_t *p, httpups_t *ups, const char *method, const char *uri)
{
	struct json_object *m = json_object_new_object(), *params;
	char                id[48];

	snprintf(id, sizeof(id), "mcpgw-%llu",
	    (unsigned long long)++ups->bridge_ids);
	json_object_object_add(m, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(m, "id", json_object_new_string(id));
	json_object_object_add(m, "method", json_object_new_string(method));
	params = mg_bridge_params(m);
	json_object_object_add(params, "uri", json_object_new_string(uri));
	mg_upbridge_send(
	    p, ups, p->bridge_sid, p->bridge_version, 1, m, method);
	json_object_put(m);
}

/* One more (or one less, DELTA -1) listen wants URI's updates. */
static void
bridge_sub(mg_pool_t *p, httpups_t *ups, const char *uri, int delta)
{
	struct json_object *v;
	int                 n = 0;

	if (p->subs == NULL)
		p->subs = json_object_new_object();
	if (json_object_object_get_ex(p->subs, uri, &v))
		n = json_object_get_int(v);
	n += delta;
	if (n <= 0)
		json_object_object_del(p->subs, uri);
	else
		json_object_object_add(p->subs, uri, json_object_new_int(n));
	if ((delta > 0 && n == 1) || (delta < 0 && n == 0))
		bridge_post(p, ups,
		    delta > 0 ? "resources/subscribe" : "resources/unsubscribe",
		    uri);
}

static void get_end(void *arg, int code, const char *message);

/* Every listen ends: CODE and WHY (the session is gone). */
static void
bridge_end_listens(mg_pool_t *p, int code, const char *why)
{
	upx_t *x;

	while ((x = p->listeners) != NULL)
		mg_upx_end(x, code, "%s", why);
}

/* A notification of the GET stream, to the listens that want it. */
static void
get_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	(void)id, (void)retry;
	mg_upbridge_notify(arg, data, len);
}

int
mg_upbridge_notify(mg_pool_t *p, const char *data, size_t len)
{
	struct json_object *root, *uri;
	const char         *kind;

	if (len == 0 || (root = mg_json_parse(data, len)) == NULL)
		return 0;
	if ((kind = mg_upask_listen_kind(root, &uri)) != NULL &&
	    strcmp(kind, "toolsListChanged") == 0)
		mg_uptools_changed(p); /* the Mcp-Param-* checks' tools */
	if (kind != NULL)
		for (upx_t *x = p->listeners; x != NULL; x = x->listen_next)
			mg_upask_listen_send(
			    &x->ops, x->listen_id, x->filter, root, kind, uri);
	json_object_put(root);
	return kind != NULL;
}

static void
get_head(void *arg, int status, int kind, const char *sid, const char *v)
{
	mg_pool_t *p = arg;

	(void)kind, (void)sid, (void)v;
	if (status != 200)
		mg_info("upstream \"%s\": the GET stream of the session of its "
			"2026-07-28 clients answered HTTP %d",
		    p->up->name, status);
	if (status == 404 && strcmp(p->bridge_sid, p->get_sid) == 0 &&
	    p->bridge == BRIDGE_OPEN)
		p->bridge = BRIDGE_NONE; /* forgotten: the next one opens */
	p->get_status = status;
}

/* Open the GET stream of the bridge's session, and (again) every
 * subscription the listens want. */
static void
get_open(mg_pool_t *p, httpups_t *ups)
{
	static const mg_up_ops_t ops = { get_head, mg_answer_ignore_data,
		get_event, get_end, NULL, NULL };
	mg_up_ops_t              o = ops;
	mg_up_req_t              req = { .method = MG_HTTP_GET,
			     .hops = 1,
			     .up = p->up,
			     .sid = p->bridge_sid,
			     .version = p->bridge_version,
			     .init = "",
			     .body = "",
			     .last_event_id = "",
			     .headers = "" };

	o.arg = p;
	p->get_status = 0;
	snprintf(p->get_sid, sizeof(p->get_sid), "%s", p->bridge_sid);
	p->get = mg_upx_start(ups, &req, &o);
	if (p->get == NULL) {
		bridge_end_listens(p, UP_ERR,
		    "cannot open the GET stream of the bridge's session");
		return;
	}
	if (p->subs != NULL) {
		json_object_object_foreach(p->subs, uri, n)
		{
			(void)n;
			bridge_post(p, ups, "resources/subscribe", uri);
		}
	}
}

static void
get_again(evutil_socket_t fd, short what, void *arg)
{
	mg_pool_t *p = arg;

	(void)fd, (void)what;
	if (p->listeners != NULL && p->get == NULL && p->bridge == BRIDGE_OPEN)
		get_open(p, p->listeners->ups);
}

/* The GET stream ended: again in a second while anyone listens, unless
 * the session is gone (the listens end: their clients listen again, on a
 * new session). */
static void
get_end(void *arg, int code, const char *message)
{
	mg_pool_t     *p = arg;
	struct timeval tv = { BRIDGE_GET_AGAIN_MS / 1000,
		(BRIDGE_GET_AGAIN_MS % 1000) * 1000 };

	p->get = NULL;
	if (p->listeners == NULL)
		return;
	/* no GET stream there (405): the listens stay, with nothing to say */
	if (p->get_status == 405)
		return;
	if (p->bridge != BRIDGE_OPEN || code != 0 || p->get_status != 200) {
		char why[300];

		snprintf(why, sizeof(why),
		    "the stream of notifications of the bridge's session "
		    "ended (%s); listen again",
		    code != 0 ? message : "the upstream ended it");
		bridge_end_listens(p, UP_ERR, why);
		return;
	}
	if (p->get_again == NULL)
		p->get_again =
		    evtimer_new(p->listeners->ups->base, get_again, p);
	if (p->get_again != NULL)
		evtimer_add(p->get_again, &tv);
}

/* X is a subscriptions/listen: agreed, acknowledged, kept open. */
void
mg_upbridge_listen(upx_t *x)
{
	mg_pool_t          *p = x->pool;
	struct json_object *agreed, *v;

	agreed = mg_upask_listen_agree(p->bridge_init, x->filter);
	json_object_put(x->filter);
	x->filter = agreed;
	x->listen_next = p->listeners;
	p->listeners = x;
	x->head_sent = 1;
	x->ops.head(x->ops.arg, 200, MG_RESP_SSE, "", x->version);
	mg_upask_listen_ack(&x->ops, x->listen_id, agreed);
	if (json_object_object_get_ex(agreed, "resourceSubscriptions", &v))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			bridge_sub(p, x->ups,
			    json_object_get_string(
				json_object_array_get_idx(v, i)),
			    1);
	if (p->get == NULL)
		get_open(p, x->ups);
}

/* A listen ends: out of the list, its subscriptions given back; the GET
 * stream closes with the last. */
void
mg_upbridge_unlisten(upx_t *x)
{
	mg_pool_t          *p = x->pool;
	struct json_object *v;

	for (upx_t **pp = &p->listeners; *pp != NULL; pp = &(*pp)->listen_next)
		if (*pp == x) {
			*pp = x->listen_next;
			if (json_object_object_get_ex(
				x->filter, "resourceSubscriptions", &v) &&
			    p->bridge == BRIDGE_OPEN)
				for (size_t i = 0;
				     i < json_object_array_length(v); i++)
					bridge_sub(p, x->ups,
					    json_object_get_string(
						json_object_array_get_idx(
						    v, i)),
					    -1);
			break;
		}
	json_object_put(x->listen_id);
	json_object_put(x->filter);
	x->listen_id = x->filter = NULL;
	if (p->listeners == NULL && p->get != NULL) {
		upx_t *get = p->get;

		p->get = NULL;
		mg_upx_cancel(get);
	}
	if (p->listeners == NULL) {
		json_object_put(p->subs);
		p->subs = NULL;
	}
}
