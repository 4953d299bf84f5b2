/*
 * The bridge's knowledge of its upstream's tools: which of their
 * arguments are mirrored into Mcp-Param-* headers (x-mcp-header,
 * SEP-2243), fetched with tools/list over the bridge's session, so that
 * a 2026-07-28 client's tools/call is checked here as the new era's
 * server would check it: a 2025 upstream has no such headers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "ipc.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpparam.h"
#include "upx.h"

/* Pages of one tools/list fetch followed at most: an upstream whose
 * cursors never end cannot keep the connector asking. */
#define UP_TOOLS_PAGES_MAX 64

/*
 * One per pool with a bridge.  MAP is what the last whole fetch found
 * (on the session SID); NEXT is filled by the fetch in flight (FETCH),
 * page by page, and replaces MAP when it ends.  A tools/call of a tool
 * MAP does not hold waits for a fetch in flight (WAITING); WAKE wakes
 * them, and starts the next page or the fetch AGAIN that a list change
 * asked for meanwhile, outside the callbacks of the exchange that ended.
 */
struct mg_uptools {
	mg_pool_t     *p;
	httpups_t     *ups;
	mg_mcpparam_t *map, *next;
	upx_t         *fetch;
	unsigned       ends; /* fetch exchanges ended, to spot a quick one */
	int            fetching, again, pages, hops, failed, warned;
	int            got;    /* the page asked was answered with a result */
	char          *cursor; /* the page to ask next, or NULL */
	char           sid[MG_UP_SID_MAX];
	upx_t         *waiting;
	struct event  *wake;
};

typedef struct mg_uptools uptools_t;

static void tools_wake(evutil_socket_t fd, short what, void *arg);

static uptools_t *
tools_of(mg_pool_t *p, httpups_t *ups)
{
	uptools_t *t = p->tools;

	if (t != NULL)
		return t;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->p = p;
	t->ups = ups;
	t->map =
	    mg_mcpparam_new(MG_MCPPARAM_TOOLS_MAX, MG_MCPPARAM_PER_TOOL_MAX);
	t->wake = event_new(ups->base, -1, 0, tools_wake, t);
	if (t->map == NULL || t->wake == NULL) {
		mg_mcpparam_free(t->map);
		if (t->wake != NULL)
			event_free(t->wake);
		free(t);
		return NULL;
	}
	p->tools = t;
	return t;
}

static void
page_message(uptools_t *t, const char *msg, size_t len)
{
	struct json_object *root = mg_json_parse(msg, len), *result;
	const char         *next;

	if (root == NULL)
		return;
	if (json_object_object_get_ex(root, "result", &result) &&
	    t->next != NULL) {
		next = mg_mcpparam_add_page(t->next, result);
		t->got = 1;
		free(t->cursor);
		t->cursor = next != NULL ? strdup(next) : NULL;
	} else if (json_object_object_get_ex(root, "error", NULL))
		t->failed = 1;
	json_object_put(root);
}

static void
page_data(void *arg, const char *msg, size_t len)
{
	page_message(arg, msg, len);
}

static void
page_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	(void)id, (void)retry;
	if (len > 0)
		page_message(arg, data, len);
}

static void
page_end(void *arg, int code, const char *message)
{
	uptools_t *t = arg;

	t->fetch = NULL;
	t->ends++;
	if (code != 0) {
		t->failed = 1;
		mg_warn("upstream \"%s\": tools/list for the Mcp-Param-* "
			"checks of its 2026-07-28 clients failed (%s)",
		    t->p->up->name, message);
	}
	event_active(t->wake, EV_TIMEOUT, 1);
}

/* Ask for the next page (T->cursor, or the first). */
static void
page_ask(uptools_t *t)
{
	mg_up_ops_t ops = { mg_answer_ignore_head, page_data, page_event,
		page_end, t, NULL };
	struct json_object *m = json_object_new_object(), *params;
	char                id[48];
	size_t              len;
	const char         *text;
	unsigned            ends = t->ends;
	upx_t              *x;

	snprintf(id, sizeof(id), "mcpgw-%llu",
	    (unsigned long long)++t->ups->bridge_ids);
	json_object_object_add(m, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(m, "id", json_object_new_string(id));
	json_object_object_add(
	    m, "method", json_object_new_string("tools/list"));
	if (t->cursor != NULL) {
		params = json_object_new_object();
		json_object_object_add(
		    params, "cursor", json_object_new_string(t->cursor));
		json_object_object_add(m, "params", params);
	}
	text =
	    json_object_to_json_string_length(m, JSON_C_TO_STRING_PLAIN, &len);
	{
		mg_up_req_t req = { .method = MG_HTTP_POST,
			.hops = t->hops,
			.up = t->p->up,
			.sid = t->p->bridge_sid,
			.version = t->p->bridge_version,
			.init = "",
			.body = text,
			.body_len = len,
			.last_event_id = "",
			.headers = "" };

		t->pages++;
		t->got = 0;
		x = text != NULL ? mg_upx_start(t->ups, &req, &ops) : NULL;
	}
	json_object_put(m);
	if (x == NULL) {
		page_end(t, UP_ERR, "cannot start the request");
		return;
	}
	if (t->ends == ends) /* not ended already */
		t->fetch = x;
}

/* Fetch the whole list again (the session is new, or the list changed). */
static void
tools_fetch(uptools_t *t, int hops)
{
	if (t->fetching) {
		t->again = 1;
		return;
	}
	mg_mcpparam_free(t->next);
	t->next =
	    mg_mcpparam_new(MG_MCPPARAM_TOOLS_MAX, MG_MCPPARAM_PER_TOOL_MAX);
	if (t->next == NULL)
		return;
	free(t->cursor);
	t->cursor = NULL;
	t->fetching = 1;
	t->again = t->pages = t->failed = 0;
	t->hops = hops;
	page_ask(t);
}

/* The fetch's page ended: the next page, or the list is whole. */
static void
tools_fetched(uptools_t *t)
{
	if (!t->got)
		t->failed = 1; /* an answer without a result */
	if (!t->failed && t->cursor != NULL && t->pages < UP_TOOLS_PAGES_MAX) {
		page_ask(t);
		return;
	}
	if (!t->failed) {
		if (t->cursor != NULL)
			mg_warn("upstream \"%s\": tools/list still has pages "
				"after %d; the tools of the rest have their "
				"Mcp-Param-* headers unchecked",
			    t->p->up->name, UP_TOOLS_PAGES_MAX);
		if (mg_mcpparam_dropped(t->next) > 0 && !t->warned++)
			mg_warn("upstream \"%s\": %zu tools or parameters "
				"with x-mcp-header past the limits (%d tools, "
				"%d parameters each): their Mcp-Param-* "
				"headers are not checked",
			    t->p->up->name, mg_mcpparam_dropped(t->next),
			    MG_MCPPARAM_TOOLS_MAX, MG_MCPPARAM_PER_TOOL_MAX);
		mg_info("upstream \"%s\": %zu tools with x-mcp-header "
			"parameters, for the Mcp-Param-* checks of its "
			"2026-07-28 clients",
		    t->p->up->name, mg_mcpparam_count(t->next));
		mg_mcpparam_free(t->map);
		t->map = t->next;
		t->next = NULL;
	} else
		mg_warn("upstream \"%s\": no tools/list for the Mcp-Param-* "
			"checks of its 2026-07-28 clients; tools not known "
			"before are not checked",
		    t->p->up->name);
	t->fetching = 0;
	if (t->again)
		tools_fetch(t, t->hops);
}

static void
tools_wake(evutil_socket_t fd, short what, void *arg)
{
	uptools_t *t = arg;
	upx_t     *w;

	(void)fd, (void)what;
	if (t->fetching && t->fetch == NULL)
		tools_fetched(t);
	if (t->fetching)
		return;
	while ((w = t->waiting) != NULL) {
		t->waiting = w->wait_next;
		w->wait_next = NULL;
		mg_upbridge_go(w);
	}
}

/* X's request, with the map: MG_OK, or answered with the error. */
static int
tools_check(uptools_t *t, upx_t *x)
{
	mg_era_err_t        err;
	struct json_object *id;
	size_t              len;
	int                 rc;

	rc = mg_mcpparam_check(t->map, x->body, x->body_len, x->headers,
	    x->headers_len, &err, &id);
	if (rc == MG_DECLINED && t->fetching && !x->tools_waited) {
		x->tools_waited = 1;
		x->wait_next = t->waiting;
		t->waiting = x;
		return MG_AGAIN;
	}
	if (rc != MG_ERROR)
		return MG_OK;
	free(x->refusal);
	x->refusal = mg_mcpparam_refusal(id, &err, &len);
	/* answered as server/discover is, without the upstream */
	event_active(x->later, EV_TIMEOUT, 1);
	return MG_ERROR;
}

/* Does P's upstream say (its initialize answer) that it has tools? */
static int
tools_offered(const mg_pool_t *p)
{
	struct json_object *root, *v;
	int                 yes;

	if (p->bridge_init == NULL)
		return 0;
	root = mg_json_parse(p->bridge_init, strlen(p->bridge_init));
	yes = json_object_object_get_ex(root, "result", &v) &&
	    json_object_object_get_ex(v, "capabilities", &v) &&
	    json_object_object_get_ex(v, "tools", NULL);
	json_object_put(root);
	return yes;
}

int
mg_uptools_check(upx_t *x)
{
	uptools_t *t;

	if (x->method != MG_HTTP_POST || x->later == NULL ||
	    (t = tools_of(x->pool, x->ups)) == NULL)
		return MG_OK;
	if (strcmp(t->sid, x->pool->bridge_sid) != 0) {
		/* a new session: its upstream's tools, if it has any */
		snprintf(t->sid, sizeof(t->sid), "%s", x->pool->bridge_sid);
		if (tools_offered(x->pool))
			tools_fetch(t, x->hops);
	}
	if (memmem(x->body, x->body_len, "tools/call", 10) == NULL)
		return MG_OK;
	return tools_check(t, x);
}

void
mg_uptools_changed(mg_pool_t *p)
{
	uptools_t *t = p->tools;

	if (t != NULL && p->bridge == BRIDGE_OPEN)
		tools_fetch(t, t->hops);
}

int
mg_uptools_leave(upx_t *x)
{
	uptools_t *t = x->pool->tools;

	for (upx_t **pp = t ? &t->waiting : NULL; pp && *pp;
	     pp = &(*pp)->wait_next)
		if (*pp == x) {
			*pp = x->wait_next;
			x->wait_next = NULL;
			return 1;
		}
	return 0;
}

void
mg_uptools_free(mg_pool_t *p)
{
	uptools_t *t = p->tools;

	if (t == NULL)
		return;
	if (t->fetch != NULL)
		mg_upx_cancel(t->fetch);
	event_free(t->wake);
	mg_mcpparam_free(t->map);
	mg_mcpparam_free(t->next);
	free(t->cursor);
	free(t);
	p->tools = NULL;
}
