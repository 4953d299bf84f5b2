/*
 * List changes of the built-in servers, to the streams that asked for
 * them: a 2026-07-28 subscriptions/listen stream whose acknowledgement
 * agreed to toolsListChanged (promptsListChanged, resourcesListChanged),
 * tagged with its subscription id, and the GET stream of a 2025 session
 * whose server declared listChanged.  A list may change on any worker
 * (a server keeps its counts in memory shared by the workers), so each
 * worker compares its watching streams' counts every LISTS_POLL_MS, and
 * only while it holds such a stream.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "era.h"
#include "exchange.h"
#include "jsonrpc.h"

#define LISTS_POLL_MS 100

static const struct {
	const char *cap, *notification;
} lists[MG_MCP_NLISTS] = {
	[MG_MCP_LIST_TOOLS] = { "tools", "notifications/tools/list_changed" },
	[MG_MCP_LIST_PROMPTS] = { "prompts",
	    "notifications/prompts/list_changed" },
	[MG_MCP_LIST_RESOURCES] = { "resources",
	    "notifications/resources/list_changed" },
};

unsigned
mg_ex_lists_declared(const mg_mcp_ex_t *ex, const char *version)
{
	struct json_object *init, *caps, *c, *v;
	unsigned            kinds = 0;

	if (ex->backend == NULL || ex->backend->list_version == NULL)
		return 0;
	init = ex->backend->initialize(version);
	for (int k = 0; k < MG_MCP_NLISTS; k++)
		if (json_object_object_get_ex(init, "capabilities", &caps) &&
		    json_object_object_get_ex(caps, lists[k].cap, &c) &&
		    json_object_object_get_ex(c, "listChanged", &v) &&
		    json_object_get_boolean(v))
			kinds |= 1u << k;
	json_object_put(init);
	return kinds;
}

/* The change of list K, on EX's stream. */
static void
lists_notify(mg_mcp_ex_t *ex, int k)
{
	struct json_object *params = NULL, *meta;
	struct evbuffer    *out = evbuffer_new();

	if (ex->listen && ex->calls != NULL) {
		params = json_object_new_object();
		meta = json_object_new_object();
		json_object_object_add(
		    meta, MG_META_SUBSCRIPTION, json_object_get(ex->calls->id));
		json_object_object_add(params, "_meta", meta);
	}
	mg_rpc_write_notification(out, lists[k].notification, params);
	json_object_put(params);
	mg_ex_event(ex, out);
	evbuffer_free(out);
}

static void
lists_tick(evutil_socket_t fd, short what, void *arg)
{
	mg_mcp_ctx_t *ctx = arg;
	int           watching = 0;

	(void)fd;
	(void)what;
	for (mg_mcp_ex_t *ex = ctx->exchanges; ex != NULL; ex = ex->next) {
		if (ex->list_kinds == 0 || ex->req == NULL)
			continue;
		watching = 1;
		for (int k = 0; k < MG_MCP_NLISTS; k++) {
			uint32_t v = (uint32_t)ex->backend->list_version(k);

			if (v == ex->list_seen[k])
				continue;
			ex->list_seen[k] = v;
			if (ex->list_kinds & 1u << k)
				lists_notify(ex, k);
		}
	}
	if (!watching)
		event_del(ctx->lists_timer);
}

void
mg_ex_lists_watch(mg_mcp_ex_t *ex, unsigned kinds)
{
	mg_mcp_ctx_t  *ctx = ex->ctx;
	struct timeval tv = { 0, LISTS_POLL_MS * 1000 };

	if (kinds == 0 || ex->backend == NULL ||
	    ex->backend->list_version == NULL)
		return;
	ex->list_kinds = kinds;
	for (int k = 0; k < MG_MCP_NLISTS; k++)
		ex->list_seen[k] = (uint32_t)ex->backend->list_version(k);
	if (ctx->lists_timer == NULL &&
	    (ctx->lists_timer = event_new(
		 ctx->base, -1, EV_PERSIST, lists_tick, ctx)) == NULL)
		return;
	if (!event_pending(ctx->lists_timer, EV_TIMEOUT, NULL))
		event_add(ctx->lists_timer, &tv);
}

void
mg_ex_lists_stop(mg_mcp_ctx_t *ctx)
{
	if (ctx->lists_timer != NULL)
		event_free(ctx->lists_timer);
	ctx->lists_timer = NULL;
}
