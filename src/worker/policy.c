/*
 * The message phase: what a client may do on a location, judged on the
 * message (its method and the tool, prompt or resource it names) and on
 * who sent it, by the location's mcp_allow and mcp_deny rules (rules.c);
 * and the list answers cut to what that client may call (listfilter.c),
 * for the content phase to send.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <event2/buffer.h>

#include "exchange.h"
#include "phase.h"
#include "log.h"
#include "rules.h"

static void
ex_who(const mg_mcp_ex_t *ex, mg_who_t *who)
{
	who->kind = ex->who_kind;
	who->name = ex->who;
	who->claims = ex->who_claims;
	who->cert = ex->req ? mg_http_req_client_subject(ex->req) : NULL;
}

/* The rule that refuses METHOD on NAME to EX's client, or NULL; a
 * request it may make that answers a list marks the list for
 * filtering. */
static const mg_mcp_rule_t *
denied(mg_mcp_ex_t *ex, const char *method, const char *name)
{
	const mg_mcp_rule_t *by;
	mg_who_t             who;

	ex_who(ex, &who);
	if (mg_rules_refuse(ex->loc->rules, method, name, &who, &by))
		return by;
	ex->lists |= mg_lists_of(ex->loc->rules, method);
	return NULL;
}

/*
 * 403, and one line that names the rule and the client: at debug for a
 * rule that is the same for everyone (mcp_deny as it always was), at
 * info for one that told identities apart.
 */
static void
ex_refuse_denied(mg_mcp_ex_t *ex, const mg_mcp_rule_t *d,
    struct json_object *id, const char *method, const char *name)
{
	char     why[240], client[300];
	mg_who_t who;
	int      plain = !d->allow && d->nconds == 0;

	ex_who(ex, &who);
	mg_who_print(&who, client, sizeof(client));
	mg_log(plain ? MG_LOG_DEBUG : MG_LOG_INFO,
	    "%s: %s%s%s refused by %s in %s:%d%s to %s", ex->loc->path, method,
	    name ? " " : "", name ? name : "",
	    d->allow ? "mcp_allow" : "mcp_deny", d->pos.file, d->pos.line,
	    d->allow ? " (no rule allows it)" : "", client);
	snprintf(why, sizeof(why),
	    "Forbidden: %.64s%s%.128s is not allowed here", method,
	    name ? " " : "", name ? name : "");
	ex->refusal = "policy";
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
	const mg_mcp_rule_t *d;
	mg_rpc_msg_t         m;
	mg_rpc_err_t         err;
	int                  have_name;

	if (mg_era_header_value(h->method, method, sizeof(method)) != MG_OK)
		return 0; /* mg_era_check says what is wrong with it */
	have_name = h->name != NULL &&
	    mg_era_header_value(h->name, name, sizeof(name)) == MG_OK;
	if ((d = denied(ex, method, have_name ? name : NULL)) == NULL)
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
	const mg_mcp_rule_t *d;
	struct json_object  *v, *params, *id;
	const char          *name;

	if (m->kind == MG_RPC_REQUEST || m->kind == MG_RPC_NOTIFICATION) {
		name = mg_era_name_of(m->method, m->params);
		if ((d = denied(ex, m->method, name)) == NULL)
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
		if ((d = denied(ex, json_object_get_string(v), name)) == NULL)
			continue;
		id = NULL;
		json_object_object_get_ex(e, "id", &id);
		ex_refuse_denied(ex, d, id, json_object_get_string(v), name);
		return 1;
	}
	return 0;
}

/* mcp_allow, mcp_deny: a 2026-07-28 request on its routing headers, any
 * other message (or each of a batch) on its body. */
static int
check_rules(mg_mcp_ex_t *ex, const mg_phase_msg_t *msg)
{
	const mg_era_headers_t *h = msg->h;

	if (ex->loc->rules == NULL)
		return MG_DECLINED;
	if (msg->m != NULL)
		return ex_deny_body(ex, msg->m) ? MG_ERROR : MG_OK;
	if (h->version == NULL || h->method == NULL ||
	    strcmp(h->version, MG_ERA_2026) != 0)
		return MG_DECLINED;
	return ex_deny_headers(ex, h, msg->text, msg->len) ? MG_ERROR : MG_OK;
}

/* The rules first: a refused message takes nothing from a limit. */
static const mg_phase_message_t message_phase[] = { check_rules, mg_limit_phase,
	NULL };

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
	return loc->rules == NULL;
}

/* N items of a list were not shown to WHO. */
static void
lists_hidden(const mg_mcp_ex_t *ex, const mg_who_t *who, size_t n)
{
	char client[300];

	if (n == 0)
		return;
	mg_who_print(who, client, sizeof(client));
	mg_debug("%s: %zu of the items listed not shown to %s", ex->loc->path,
	    n, client);
}

void
mg_ex_lists_filter(mg_mcp_ex_t *ex, struct json_object *result)
{
	mg_who_t who;
	int      rescoped;

	if (ex->lists == 0)
		return;
	ex_who(ex, &who);
	lists_hidden(ex, &who,
	    mg_lists_filter(
		ex->loc->rules, &who, ex->lists, result, &rescoped));
}

/* Each result of MSG (one, or those of a batch answer); whether any
 * changed. */
static int
filter_results(mg_mcp_ex_t *ex, struct json_object *msg)
{
	struct json_object *r;
	mg_who_t            who;
	size_t              n = 0;
	int                 rescoped = 0, any = 0;

	ex_who(ex, &who);
	if (json_object_object_get_ex(msg, "result", &r))
		n = mg_lists_filter(
		    ex->loc->rules, &who, ex->lists, r, &rescoped);
	any |= rescoped;
	for (size_t i = 0; json_object_is_type(msg, json_type_array) &&
	     i < json_object_array_length(msg);
	     i++)
		if (json_object_object_get_ex(
			json_object_array_get_idx(msg, i), "result", &r)) {
			n += mg_lists_filter(
			    ex->loc->rules, &who, ex->lists, r, &rescoped);
			any |= rescoped;
		}
	lists_hidden(ex, &who, n);
	return n > 0 || any;
}

int
mg_ex_lists_filter_text(
    mg_mcp_ex_t *ex, const char *msg, size_t len, struct evbuffer *out)
{
	struct json_object *root;
	const char         *text;
	int                 rc = MG_DECLINED;

	if (ex->lists == 0 || (root = mg_json_parse(msg, len)) == NULL)
		return MG_DECLINED;
	if (filter_results(ex, root) &&
	    (text = json_object_to_json_string_ext(root,
		 JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) !=
		NULL &&
	    evbuffer_add(out, text, strlen(text)) == 0)
		rc = MG_OK;
	json_object_put(root);
	return rc;
}
