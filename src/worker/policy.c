/*
 * The message phase: what a client may do on a location, judged on the
 * message (its method and the tool, prompt or resource it names):
 * mcp_deny today.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "exchange.h"
#include "phase.h"
#include "log.h"

/* The location's rule that refuses METHOD on NAME (NULL: none), or NULL. */
static const mg_mcp_deny_t *
denied(const mg_location_t *loc, const char *method, const char *name)
{
	for (const mg_mcp_deny_t *d = loc->deny; d != NULL; d = d->next)
		if ((strcmp(d->method, "*") == 0 ||
			strcmp(d->method, method) == 0) &&
		    (d->name == NULL ||
			(name != NULL && fnmatch(d->name, name, 0) == 0)))
			return d;
	return NULL;
}

static void
ex_refuse_denied(mg_mcp_ex_t *ex, const mg_mcp_deny_t *d,
    struct json_object *id, const char *method, const char *name)
{
	char why[240];

	mg_debug("%s: %s%s%s refused by mcp_deny in %s:%d", ex->loc->path,
	    method, name ? " " : "", name ? name : "", d->pos.file,
	    d->pos.line);
	snprintf(why, sizeof(why),
	    "Forbidden: %.64s%s%.128s is not allowed here", method,
	    name ? " " : "", name ? name : "");
	mg_ex_refuse(ex, 403, id, MG_MCP_ERR_FORBIDDEN, why);
}

/*
 * A 2026-07-28 request is judged on its Mcp-Method and Mcp-Name headers,
 * before its body is read as JSON (which is then only parsed for the id of
 * the answer; a request allowed on its headers must repeat them in its
 * body, mg_era_check).  1: refused, answered.
 */
static int
ex_deny_headers(
    mg_mcp_ex_t *ex, const mg_era_headers_t *h, const char *text, size_t len)
{
	char                 method[MG_ERA_HEADER_MAX], name[MG_ERA_HEADER_MAX];
	const mg_mcp_deny_t *d;
	mg_rpc_msg_t         m;
	mg_rpc_err_t         err;
	int                  have_name;

	if (mg_era_header_value(h->method, method, sizeof(method)) != MG_OK)
		return 0; /* mg_era_check says what is wrong with it */
	have_name = h->name != NULL &&
	    mg_era_header_value(h->name, name, sizeof(name)) == MG_OK;
	if ((d = denied(ex->loc, method, have_name ? name : NULL)) == NULL)
		return 0;
	mg_ex_note_headers(ex, h);
	if (mg_rpc_parse(text, len, &m, &err) == MG_OK) {
		ex_refuse_denied(ex, d, m.kind == MG_RPC_REQUEST ? m.id : NULL,
		    method, have_name ? name : NULL);
		mg_rpc_msg_clear(&m);
	} else {
		ex_refuse_denied(
		    ex, d, err.id, method, have_name ? name : NULL);
		mg_rpc_err_clear(&err);
	}
	return 1;
}

/* A request of the 2025 revisions (or each of a batch) is judged on its
 * method and the name in its params.  1: refused, answered. */
static int
ex_deny_body(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	const mg_mcp_deny_t *d;
	struct json_object  *v, *params, *id;
	const char          *name;

	if (m->kind == MG_RPC_REQUEST || m->kind == MG_RPC_NOTIFICATION) {
		name = mg_era_name_of(m->method, m->params);
		if ((d = denied(ex->loc, m->method, name)) == NULL)
			return 0;
		mg_ex_note(ex, m);
		ex_refuse_denied(ex, d,
		    m->kind == MG_RPC_REQUEST ? m->id : NULL, m->method, name);
		return 1;
	}
	if (m->kind != MG_RPC_BATCH)
		return 0;
	for (size_t i = 0; i < json_object_array_length(m->root); i++) {
		struct json_object *e = json_object_array_get_idx(m->root, i);

		if (!json_object_object_get_ex(e, "method", &v) ||
		    !json_object_is_type(v, json_type_string))
			continue;
		params = NULL;
		json_object_object_get_ex(e, "params", &params);
		name = mg_era_name_of(json_object_get_string(v), params);
		if ((d = denied(ex->loc, json_object_get_string(v), name)) ==
		    NULL)
			continue;
		id = NULL;
		json_object_object_get_ex(e, "id", &id);
		ex_refuse_denied(ex, d, id, json_object_get_string(v), name);
		return 1;
	}
	return 0;
}

/* mcp_deny: a 2026-07-28 request on its routing headers, any other
 * message (or each of a batch) on its body. */
static int
check_deny(mg_mcp_ex_t *ex, const mg_phase_msg_t *msg)
{
	const mg_era_headers_t *h = msg->h;

	if (ex->loc->deny == NULL)
		return MG_DECLINED;
	if (msg->m != NULL)
		return ex_deny_body(ex, msg->m) ? MG_ERROR : MG_OK;
	if (h->version == NULL || h->method == NULL ||
	    strcmp(h->version, MG_ERA_2026) != 0)
		return MG_DECLINED;
	return ex_deny_headers(ex, h, msg->text, msg->len) ? MG_ERROR : MG_OK;
}

/* Per address or identity limits on messages go here. */
static const mg_phase_message_t message_phase[] = { check_deny, NULL };

int
mg_phase_message(mg_mcp_ex_t *ex, const mg_phase_msg_t *msg)
{
	for (const mg_phase_message_t *h = message_phase; *h != NULL; h++)
		if ((*h)(ex, msg) == MG_ERROR)
			return MG_ERROR;
	return MG_OK;
}

int
mg_phase_message_none(const mg_location_t *loc)
{
	return loc->deny == NULL;
}
