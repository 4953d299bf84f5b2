/*
 * A federated route's lists (tools, prompts, resources, resource
 * templates): one page asked of every member at once, the items renamed
 * as the client sees them and merged in member order, and a cursor,
 * sealed with the session key, naming the members that have more and
 * each one's own cursor.  A member that fails is left out of the page
 * (the error log names it); the others' items come.  Also the requests
 * every member gets (logging/setLevel) and the notifications.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "fedpriv.h"
#include "log.h"

static const char *const list_keys[] = { "tools", "prompts", "resources",
	"resourceTemplates" };

/* The merged page's nextCursor: F's pages sealed; NULL: no more. */
static struct json_object *
seal_cursor(mg_mcp_ex_t *ex, mg_fed_cursor_t *c)
{
	uint8_t raw[MG_SESSION_DATA_MAX];
	char    tok[MG_SESSION_DATA_TOKEN_MAX + 1];
	size_t  n;

	/* pages that do not fit: the members' last ones are dropped */
	while (
	    c->n > 0 && mg_fed_cursor_pack(c, raw, sizeof(raw), &n) != MG_OK) {
		c->n--;
		mg_warn("route \"%s\": the cursor of %s is too long for "
			"member \"%d\"'s pages; its next ones are left out",
		    ex->loc->path, ex->rpc_method, c->page[c->n].member);
		free(c->page[c->n].cursor);
		c->page[c->n].cursor = NULL;
	}
	if (c->n == 0 ||
	    mg_session_seal_data(ex->ctx->key, raw, n, tok, sizeof(tok)) !=
		MG_OK)
		return NULL;
	return json_object_new_string(tok);
}

static void
answer_list(mg_mcp_ex_t *ex, struct json_object *r)
{
	if (ex->lists != 0)
		mg_ex_lists_filter(ex, r);
	if (ex->modern) {
		json_object_object_add(
		    r, "resultType", json_object_new_string("complete"));
		json_object_object_add(r, "ttlMs", json_object_new_int(0));
		json_object_object_add(
		    r, "cacheScope", json_object_new_string("private"));
	}
	mg_ex_reply_local(ex, ex->req_id, json_object_get(r), 0, NULL);
}

static void
fed_done_list(mg_fed_t *f)
{
	mg_mcp_ex_t        *ex = f->ex;
	int                 kind = mg_fed_list_method(ex->rpc_method);
	struct json_object *into, *r, *next;
	mg_fed_cursor_t     c = { 0 };
	int                 answered = 0;

	ex->fed = NULL;
	if (ex->req == NULL || kind < 0) {
		mg_fed_free(f);
		return;
	}
	into = json_object_new_object();
	json_object_object_add(into, list_keys[kind], json_object_new_array());
	c.route = mg_fed_route_hash(ex->loc);
	c.method = (uint8_t)kind;
	for (int i = 0; i < f->nlegs; i++) {
		mg_fed_leg_t *l = &f->leg[i];
		char         *more;

		if ((r = mg_fed_result(l)) == NULL)
			continue;
		answered++;
		more = mg_fed_list_out(ex->loc, l->member, ex->rpc_method, r);
		mg_fed_list_merge(into, r, ex->rpc_method);
		if (more != NULL) {
			c.page[c.n].member = l->member->index;
			c.page[c.n++].cursor = more;
		}
	}
	if (answered == 0) {
		mg_fed_refuse(f);
	} else {
		if ((next = seal_cursor(ex, &c)) != NULL)
			json_object_object_add(into, "nextCursor", next);
		answer_list(ex, into);
	}
	json_object_put(into);
	mg_fed_cursor_clear(&c);
	mg_fed_free(f);
}

/* The client's cursor opened: MG_OK with C filled; else refused. */
static int
open_cursor(mg_mcp_ex_t *ex, struct json_object *id, struct json_object *v,
    mg_fed_cursor_t *c)
{
	uint8_t raw[MG_SESSION_DATA_MAX];
	size_t  n;

	if (!json_object_is_type(v, json_type_string) ||
	    mg_session_open_data(ex->ctx->key, json_object_get_string(v),
		(size_t)json_object_get_string_len(v), raw, sizeof(raw),
		&n) != MG_OK ||
	    mg_fed_cursor_unpack(raw, n, c) != MG_OK ||
	    c->route != mg_fed_route_hash(ex->loc) ||
	    (int)c->method != mg_fed_list_method(ex->rpc_method)) {
		mg_fed_cursor_clear(c);
		mg_ex_refuse(ex, ex->modern ? 400 : 200, id,
		    MG_RPC_INVALID_PARAMS, "Invalid params: unknown cursor");
		return MG_ERROR;
	}
	return MG_OK;
}

static const mg_member_t *
member_at(const mg_location_t *loc, int index)
{
	for (const mg_member_t *m = loc->members; m != NULL; m = m->next)
		if (m->index == index)
			return m;
	return NULL;
}

/* M's request as member MB gets it: with CURSOR, or none. */
static void
leg_with_cursor(
    mg_fed_t *f, const mg_member_t *mb, mg_rpc_msg_t *m, const char *cursor)
{
	struct json_object *copy = NULL, *params;
	const char         *text;

	if (json_object_deep_copy(m->root, &copy, NULL) != 0)
		return;
	if (!json_object_object_get_ex(copy, "params", &params) ||
	    !json_object_is_type(params, json_type_object)) {
		params = json_object_new_object();
		json_object_object_add(copy, "params", params);
	}
	if (cursor != NULL)
		json_object_object_add(
		    params, "cursor", json_object_new_string(cursor));
	else
		json_object_object_del(params, "cursor");
	text = json_object_to_json_string_ext(
	    copy, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	mg_fed_leg(f, mb, m->method, text, strlen(text), 0);
	json_object_put(copy);
}

void
mg_ex_fed_list(mg_mcp_ex_t *ex, mg_rpc_msg_t *m)
{
	struct json_object *v;
	mg_fed_cursor_t     c = { 0 };
	mg_fed_t           *f;
	int                 paged = 0;

	if (m->params != NULL &&
	    json_object_object_get_ex(m->params, "cursor", &v)) {
		if (open_cursor(ex, m->id, v, &c) != MG_OK)
			return;
		paged = 1;
	}
	if ((f = mg_fed_new(ex, "to a list", fed_done_list)) == NULL) {
		mg_fed_cursor_clear(&c);
		mg_ex_refuse(
		    ex, 500, m->id, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	ex->fed = f;
	if (paged) {
		for (int i = 0; i < c.n; i++) {
			const mg_member_t *mb =
			    member_at(ex->loc, c.page[i].member);

			if (mb != NULL)
				leg_with_cursor(f, mb, m, c.page[i].cursor);
		}
	} else {
		for (const mg_member_t *mb = ex->loc->members; mb;
		     mb = mb->next)
			leg_with_cursor(f, mb, m, NULL);
	}
	mg_fed_cursor_clear(&c);
	mg_fed_start(f);
}

/* L's member answered that it has no such method. */
static int
leg_not_found(const mg_fed_leg_t *l)
{
	struct json_object *e, *code;

	return l->answer != NULL &&
	    json_object_object_get_ex(l->answer, "error", &e) &&
	    json_object_object_get_ex(e, "code", &code) &&
	    json_object_get_int(code) == MG_RPC_METHOD_NOT_FOUND;
}

static void
fed_done_all(mg_fed_t *f)
{
	mg_mcp_ex_t        *ex = f->ex;
	struct json_object *r;
	int                 answered = 0;

	ex->fed = NULL;
	/* a member without logging (Method not found) has nothing to set */
	for (int i = 0; i < f->nlegs; i++)
		if (mg_fed_result(&f->leg[i]) != NULL ||
		    leg_not_found(&f->leg[i]))
			answered++;
	if (ex->req == NULL) {
		/* gone */
	} else if (answered < f->nlegs && answered == 0) {
		mg_fed_refuse(f);
	} else {
		r = json_object_new_object();
		if (ex->modern)
			json_object_object_add(r, "resultType",
			    json_object_new_string("complete"));
		mg_ex_reply_local(ex, ex->req_id, r, 0, NULL);
	}
	mg_fed_free(f);
}

/* A request every member gets and that has an empty result
 * (logging/setLevel): answered once all did, or the time is up. */
void
mg_ex_fed_all(mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char *body, size_t len)
{
	/* a member of 2026-07-28 has no logging/setLevel: a 2025 client's is
	 * answered for it, as on its own route (the reverse bridge asks for
	 * "info" on each request) */
	mg_fed_to_all(ex, m->id, "to logging/setLevel", fed_done_all, m->method,
	    body, len, MG_FED_NOT_REVERSE);
}
