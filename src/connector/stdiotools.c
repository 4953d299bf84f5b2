/*
 * The stdio bridge's knowledge of its process's tools: which of their
 * arguments are mirrored into Mcp-Param-* headers (x-mcp-header,
 * SEP-2243), listed with tools/list on the bridge's process, so that a
 * 2026-07-28 client's tools/call is checked here as the new era's server
 * would check it (a 2025 server has no such headers), as uptools.c does
 * over an HTTP upstream's bridge.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "httpmsg.h"
#include "ipc.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpparam.h"
#include "stdioup.h"

/* Pages of one tools/list followed at most (as uptools.c). */
#define STDIO_TOOLS_PAGES_MAX 64

/* Ask the process for the next page of its tools (P->tools_cursor, or
 * the first), under an id of the bridge's. */
static void
tools_ask(proc_t *p)
{
	struct json_object *m = json_object_new_object(), *params;
	const char         *text;
	size_t              len;

	snprintf(p->tools_key, sizeof(p->tools_key), "\"mcpgw-tools-%llu\"",
	    (unsigned long long)++p->s->bridge_ids);
	json_object_object_add(m, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(m, "id",
	    json_object_new_string_len(
		p->tools_key + 1, (int)strlen(p->tools_key) - 2));
	json_object_object_add(
	    m, "method", json_object_new_string("tools/list"));
	if (p->tools_cursor != NULL) {
		params = json_object_new_object();
		json_object_object_add(
		    params, "cursor", json_object_new_string(p->tools_cursor));
		json_object_object_add(m, "params", params);
	}
	p->tools_pages++;
	text = json_object_to_json_string_length(
	    m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (text == NULL || mg_stdio_write(p, text, len) != MG_OK)
		p->tools_key[0] = '\0';
	json_object_put(m);
}

/* List P's tools (again): at the start, and after a list change. */
void
mg_stdtools_fetch(proc_t *p)
{
	struct json_object *root, *v;
	int                 offered;

	root = mg_json_parse(p->binit, strlen(p->binit));
	offered = json_object_object_get_ex(root, "result", &v) &&
	    json_object_object_get_ex(v, "capabilities", &v) &&
	    json_object_object_get_ex(v, "tools", NULL);
	json_object_put(root);
	if (!offered)
		return;
	/* none known yet: a tools/call waits for the list */
	if (p->tools_map == NULL)
		p->tools_map = mg_mcpparam_new(
		    MG_MCPPARAM_TOOLS_MAX, MG_MCPPARAM_PER_TOOL_MAX);
	mg_mcpparam_free(p->tools_next);
	p->tools_next =
	    mg_mcpparam_new(MG_MCPPARAM_TOOLS_MAX, MG_MCPPARAM_PER_TOOL_MAX);
	free(p->tools_cursor);
	p->tools_cursor = NULL;
	p->tools_pages = 0;
	if (p->tools_next != NULL)
		tools_ask(p);
}

/* The list is whole (or failed, FAILED): the waiting calls go on. */
static void
tools_done(proc_t *p, int failed)
{
	mg_stdx_t *x, *next;

	p->tools_key[0] = '\0';
	if (failed)
		mg_warn("upstream \"%s\": no tools/list for the Mcp-Param-* "
			"checks of its 2026-07-28 clients; tools not known "
			"before are not checked",
		    p->up->name);
	else {
		mg_info("upstream \"%s\": %zu tools with x-mcp-header "
			"parameters, for the Mcp-Param-* checks of its "
			"2026-07-28 clients",
		    p->up->name, mg_mcpparam_count(p->tools_next));
		mg_mcpparam_free(p->tools_map);
		p->tools_map = p->tools_next;
		p->tools_next = NULL;
	}
	for (x = p->xs; x != NULL && !p->stopping; x = next) {
		next = x->next;
		if (x->tools_waited && x->body != NULL)
			mg_stdbridge_go(x);
	}
}

/* An answer of P under KEY (JSON text): a page of our tools/list (1), or
 * not (0). */
int
mg_stdtools_answer(proc_t *p, const char *key, struct json_object *m)
{
	struct json_object *result;
	const char         *next;

	if (p->tools_key[0] == '\0' || strcmp(key, p->tools_key) != 0)
		return 0;
	if (!json_object_object_get_ex(m, "result", &result) ||
	    p->tools_next == NULL) {
		tools_done(p, 1);
		return 1;
	}
	next = mg_mcpparam_add_page(p->tools_next, result);
	free(p->tools_cursor);
	p->tools_cursor = next != NULL ? strdup(next) : NULL;
	if (p->tools_cursor != NULL && p->tools_pages < STDIO_TOOLS_PAGES_MAX)
		tools_ask(p);
	else
		tools_done(p, 0);
	return 1;
}

/* X's tools/call (its client's BODY and header LINES, kept for this) and
 * the tools known: MG_OK (it goes), MG_AGAIN (it waits for the list in
 * flight), MG_ERROR (answered with the error, -32020). */
int
mg_stdtools_check(mg_stdx_t *x, proc_t *p)
{
	mg_era_err_t        err;
	struct json_object *id;
	char               *text;
	size_t              len = 0;
	int                 rc;

	if (x->call == NULL || p->tools_map == NULL)
		return MG_OK;
	rc = mg_mcpparam_check(p->tools_map, x->call, x->call_len, x->lines,
	    x->lines_len, &err, &id);
	if (rc == MG_DECLINED && p->tools_key[0] != '\0' && !x->tools_waited) {
		x->tools_waited = 1;
		return MG_AGAIN;
	}
	if (rc != MG_ERROR)
		return MG_OK;
	text = mg_mcpparam_refusal(id, &err, &len);
	mg_stdx_head(x, 200, MG_RESP_JSON, "", p->bversion);
	x->ops.data(x->ops.arg, text ? text : "", len);
	free(text);
	mg_stdx_end(x, 0, NULL);
	return MG_ERROR;
}

/* What P holds of its tools. */
void
mg_stdtools_free(proc_t *p)
{
	mg_mcpparam_free(p->tools_map);
	mg_mcpparam_free(p->tools_next);
	free(p->tools_cursor);
}
