/*
 * A federated route (mcp_member): each message of the client's, by its
 * method, sent to every member at once (the handshake, the lists,
 * logging/setLevel, notifications) or to the one member that owns the
 * name it carries (a tool, a prompt, a resource URI, a completion's
 * reference, the id of a member's request the client answers).  A
 * routed message then goes on exactly as on an mcp_pass route to that
 * member, with the member's own names, so the era bridges, sessions
 * opened again and streams work alike; what the member sends back is
 * turned into the names the client sees (mg_ex_fed_seen).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "fedpriv.h"
#include "log.h"

enum {
	FED_INIT,     /* initialize */
	FED_DISCOVER, /* server/discover */
	FED_PING,     /* answered by the gateway */
	FED_LIST,     /* merged over the members */
	FED_ALL,      /* every member, one empty result */
	FED_NAME,     /* params.name: a tool or a prompt */
	FED_URI,      /* params.uri */
	FED_REF,      /* params.ref: a prompt's name or a resource's URI */
	FED_LISTEN    /* 2026-07-28: every member's, on one stream */
};

static const struct {
	const char *method;
	int         how;
	int         kind;      /* MG_FED_TOOL, MG_FED_PROMPT */
	int         only_2026; /* a 2025 session's: Method not found */
} fed_methods[] = {
	{ "initialize", FED_INIT, 0, 0 },
	{ "server/discover", FED_DISCOVER, 0, 1 },
	{ "ping", FED_PING, 0, 0 },
	{ "tools/list", FED_LIST, 0, 0 },
	{ "prompts/list", FED_LIST, 0, 0 },
	{ "resources/list", FED_LIST, 0, 0 },
	{ "resources/templates/list", FED_LIST, 0, 0 },
	{ "logging/setLevel", FED_ALL, 0, 0 },
	{ "tools/call", FED_NAME, MG_FED_TOOL, 0 },
	{ "prompts/get", FED_NAME, MG_FED_PROMPT, 0 },
	{ "resources/read", FED_URI, 0, 0 },
	{ "resources/subscribe", FED_URI, 0, 0 },
	{ "resources/unsubscribe", FED_URI, 0, 0 },
	{ "completion/complete", FED_REF, 0, 0 },
	{ "subscriptions/listen", FED_LISTEN, 0, 1 },
};

static void
fed_error(mg_mcp_ex_t *ex, struct json_object *id, int code, const char *msg)
{
	ex->rpc_error = code;
	mg_ex_refuse(ex, mg_ex_answer_status(ex), id, code, msg);
}

/* The string KEY of OBJ, or NULL. */
static struct json_object *
str_at(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return v;
}

/* Which member owns OBJ's KEY (a name of KIND, or a URI if KIND < 0),
 * and OBJ's KEY set to the member's own.  NULL: none (refused). */
static const mg_member_t *
owner_of(mg_mcp_ex_t *ex, mg_rpc_msg_t *m, struct json_object *obj,
    const char *key, int kind)
{
	struct json_object *v = str_at(obj, key);
	const mg_member_t  *mb = NULL;
	char                own[512], why[640];
	const char         *u;
	size_t              n;
	int                 rc;

	if (v == NULL) {
		snprintf(why, sizeof(why),
		    "Invalid params: %s needs a string \"%s\"", m->method, key);
		fed_error(ex, m->id, MG_RPC_INVALID_PARAMS, why);
		return NULL;
	}
	if (kind >= 0)
		rc = mg_fed_name_in(ex->loc, kind, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), &mb, own,
		    sizeof(own));
	else if ((rc = mg_fed_uri_in(ex->loc, json_object_get_string(v),
		      (size_t)json_object_get_string_len(v), &mb, &u, &n)) ==
	    MG_OK) {
		if (n >= sizeof(own))
			rc = MG_DECLINED;
		else {
			memcpy(own, u, n);
			own[n] = '\0';
		}
	}
	if ((rc != MG_OK || mb == NULL) && kind < 0) {
		/* as a server answers a URI it does not have */
		snprintf(why, sizeof(why), "Resource not found: %.400s",
		    json_object_get_string(v));
		fed_error(ex, m->id, -32002, why);
		return NULL;
	}
	if (rc != MG_OK || mb == NULL) {
		snprintf(why, sizeof(why),
		    "Invalid params: no %s \"%.400s\" here",
		    kind == MG_FED_TOOL ? "tool" : "prompt",
		    json_object_get_string(v));
		fed_error(ex, m->id, MG_RPC_INVALID_PARAMS, why);
		return NULL;
	}
	json_object_object_add(obj, key, json_object_new_string(own));
	free(ex->fed_name);
	ex->fed_name = strdup(own);
	return mb;
}

/* completion/complete: its ref names a prompt or a resource (template). */
static const mg_member_t *
owner_of_ref(mg_mcp_ex_t *ex, mg_rpc_msg_t *m)
{
	struct json_object *ref = NULL, *type;

	if (m->params != NULL)
		json_object_object_get_ex(m->params, "ref", &ref);
	if ((type = str_at(ref, "type")) == NULL) {
		fed_error(ex, m->id, MG_RPC_INVALID_PARAMS,
		    "Invalid params: completion/complete needs params.ref");
		return NULL;
	}
	if (strcmp(json_object_get_string(type), "ref/prompt") == 0)
		return owner_of(ex, m, ref, "name", MG_FED_PROMPT);
	return owner_of(ex, m, ref, "uri", -1);
}

/* M, as member MB gets it: on from here as on MB's mcp_pass route. */
static int
route_to(mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const mg_member_t *mb,
    const char **body, size_t *len)
{
	free(ex->fed_body);
	ex->fed_body = strdup(json_object_to_json_string_ext(
	    m->root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (ex->fed_body == NULL || mg_ex_fed_member_blob(ex, mb) != MG_OK) {
		mg_ex_refuse(
		    ex, 500, m->id, MG_RPC_INTERNAL_ERROR, "out of memory");
		return MG_OK;
	}
	ex->member = mb;
	ex->upstream = mb->upstream;
	ex->fed_seen = 1;
	if (!mb->upstream->forward_token && mb->upstream->exchange == NULL)
		ex->bearer = NULL; /* kept for another member */
	/* the relay's own code takes the id again */
	json_object_put(ex->req_id);
	ex->req_id = NULL;
	*body = ex->fed_body;
	*len = strlen(ex->fed_body);
	return MG_DECLINED;
}

/* The client's answer to a member's request: to that member, under the
 * member's own id. */
static int
fed_response(mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char **body, size_t *len)
{
	struct json_object *orig;
	const mg_member_t  *mb = NULL;
	int                 i;

	if (m->id == NULL || mg_fed_id_in(ex->loc, m->id, &i, &orig) != MG_OK) {
		/* the gateway's own request (the reverse bridge asks for a
		 * member of 2026-07-28 under its ids), or nobody's */
		mg_ex_answer(ex, m);
		mg_http_reply(ex->req, 202, NULL, NULL, 0);
		return MG_OK;
	}
	for (mb = ex->loc->members; mb != NULL && mb->index != i; mb = mb->next)
		;
	json_object_object_add(m->root, "id", orig);
	m->id = orig;
	if (mb == NULL) {
		mg_http_reply(ex->req, 202, NULL, NULL, 0);
		return MG_OK;
	}
	return route_to(ex, m, mb, body, len);
}

/* A request, by its method's row. */
static int
fed_request(mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char **body, size_t *len)
{
	const mg_member_t *mb = NULL;
	char               why[160];
	size_t             i;

	for (i = 0; i < MG_NELEM(fed_methods); i++)
		if (strcmp(fed_methods[i].method, m->method) == 0)
			break;
	if (i == MG_NELEM(fed_methods) ||
	    (fed_methods[i].only_2026 && !ex->modern)) {
		snprintf(
		    why, sizeof(why), "Method not found: %.100s", m->method);
		fed_error(ex, m->id, MG_RPC_METHOD_NOT_FOUND, why);
		return MG_OK;
	}
	switch (fed_methods[i].how) {
	case FED_INIT: mg_ex_fed_initialize(ex, m, *body, *len); return MG_OK;
	case FED_DISCOVER: mg_ex_fed_discover(ex, m, *body, *len); return MG_OK;
	case FED_PING:
		mg_ex_reply_local(ex, m->id, json_object_new_object(), 0, NULL);
		return MG_OK;
	case FED_LIST: mg_ex_fed_list(ex, m); return MG_OK;
	case FED_ALL: mg_ex_fed_all(ex, m, *body, *len); return MG_OK;
	case FED_LISTEN: mg_ex_fed_listen(ex, m); return MG_OK;
	case FED_NAME:
		mb = owner_of(ex, m, m->params, "name", fed_methods[i].kind);
		break;
	case FED_URI: mb = owner_of(ex, m, m->params, "uri", -1); break;
	case FED_REF: mb = owner_of_ref(ex, m); break;
	}
	if (mb == NULL)
		return MG_OK;
	return route_to(ex, m, mb, body, len);
}

int
mg_ex_fed(mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char **body, size_t *len)
{
	if (m->kind == MG_RPC_BATCH) {
		mg_ex_refuse(ex, 400, NULL, MG_RPC_INVALID_REQUEST,
		    "batches are not supported on a federated route");
		return MG_OK;
	}
	if (m->kind == MG_RPC_REQUEST) {
		mg_ex_note(ex, m);
		json_object_put(ex->req_id);
		ex->req_id = json_object_get(m->id);
	}
	/* a 2025 session's token names the members' sessions */
	if (!ex->modern &&
	    !(m->kind == MG_RPC_REQUEST &&
		strcmp(m->method, "initialize") == 0) &&
	    !(m->kind == MG_RPC_REQUEST && strcmp(m->method, "ping") == 0 &&
		mg_http_req_header(ex->req, "Mcp-Session-Id") == NULL) &&
	    mg_ex_check_session(ex) != MG_OK)
		return MG_OK;
	switch (m->kind) {
	case MG_RPC_REQUEST: return fed_request(ex, m, body, len);
	case MG_RPC_RESULT:
	case MG_RPC_ERROR: return fed_response(ex, m, body, len);
	default: break;
	}
	/* a notification: every member (cancellations too: a member
	 * ignores a request id it does not have) */
	mg_fed_tell_all(ex, m->method, *body, *len, MG_HTTP_POST);
	mg_http_reply(ex->req, 202, NULL, NULL, 0);
	return MG_OK;
}

/* A name that needs no escape in JSON, so it can be written as it is. */
static int
plain_name(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/*
 * The common call of a 2025 client, looked at without a tree (PK, from
 * mg_rpc_peek): a tools/call, prompts/get or resources/read whose name
 * or URI is plain, to a member of the 2025 revisions; its body is BODY
 * with the member's own name put in place of the client's, and it goes
 * on as on that member's route without being parsed.  MG_DECLINED: the
 * full path's turn (mg_ex_fed).
 */
static int
fed_plain(mg_mcp_ex_t *ex, mg_rpc_peek_t *pk, const char *body, size_t len)
{
	const mg_member_t *mb = NULL;
	const char        *at, *u;
	size_t             n, head, olen;
	char               own[512];
	int                kind = -1;

	if (strcmp(pk->method, "tools/call") == 0)
		kind = MG_FED_TOOL;
	else if (strcmp(pk->method, "prompts/get") == 0)
		kind = MG_FED_PROMPT;
	else if (strcmp(pk->method, "resources/read") != 0)
		return MG_DECLINED;
	at = kind >= 0 ? pk->name : pk->uri;
	n = kind >= 0 ? pk->name_len : pk->uri_len;
	if (at == NULL)
		return MG_DECLINED;
	if (kind >= 0 ? mg_fed_name_in(ex->loc, kind, at, n, &mb, own,
			    sizeof(own)) != MG_OK
		      : mg_fed_uri_in(ex->loc, at, n, &mb, &u, &n) != MG_OK ||
		    n >= sizeof(own))
		return MG_DECLINED;
	if (kind < 0) {
		memcpy(own, u, n);
		own[n] = '\0';
		n = pk->uri_len;
	}
	if (mb->upstream->protocol == MG_PROTOCOL_2026 || !plain_name(own))
		return MG_DECLINED;
	mg_ex_copy_token(ex->rpc_method, sizeof(ex->rpc_method), pk->method);
	mg_ex_copy_token_n(ex->tool, sizeof(ex->tool), at, n);
	if (mg_ex_check_session(ex) != MG_OK ||
	    mg_ex_fed_member_blob(ex, mb) != MG_OK)
		return MG_OK; /* answered */
	head = (size_t)(at - body);
	olen = strlen(own);
	free(ex->fed_body);
	if ((ex->fed_body = malloc(len - n + olen + 1)) == NULL) {
		mg_ex_refuse(
		    ex, 500, NULL, MG_RPC_INTERNAL_ERROR, "out of memory");
		return MG_OK;
	}
	memcpy(ex->fed_body, body, head);
	memcpy(ex->fed_body + head, own, olen);
	memcpy(ex->fed_body + head + olen, at + n, len - head - n);
	ex->fed_body[len - n + olen] = '\0';
	ex->req_id = pk->id; /* taken over */
	pk->id = NULL;
	ex->member = mb;
	ex->upstream = mb->upstream;
	ex->fed_seen = 1;
	if (!mb->upstream->forward_token && mb->upstream->exchange == NULL)
		ex->bearer = NULL; /* kept for another member */
	mg_ex_relay(ex, ex->fed_body, len - n + olen);
	return MG_OK;
}

int
mg_ex_post_fed_plain(mg_mcp_ex_t *ex, const char *body, size_t len)
{
	mg_rpc_peek_t pk;
	int           rc = MG_DECLINED;

	if (mg_rpc_peek(body, len, &pk) != MG_OK)
		return MG_DECLINED;
	if (pk.kind == MG_RPC_REQUEST)
		rc = fed_plain(ex, &pk, body, len);
	mg_rpc_peek_clear(&pk);
	return rc;
}

/* What has no URI and is no request or notification (most answers to
 * a tool) reads the same in the client's names: it goes as it came. */
int
mg_ex_fed_touches(const char *msg, size_t len)
{
	return memmem(msg, len, "\"uri\"", 5) != NULL ||
	    memmem(msg, len, "\"method\"", 8) != NULL;
}

/* A routed request's answer from its member, as the client sees it. */
int
mg_ex_fed_seen(
    mg_mcp_ex_t *ex, const char *msg, size_t len, struct evbuffer *out)
{
	struct json_object *root, *id;

	if (!mg_ex_fed_touches(msg, len) ||
	    (root = mg_json_parse(msg, len)) == NULL)
		return MG_DECLINED;
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return MG_DECLINED;
	}
	mg_fed_message_out(ex->loc, ex->member, root);
	/* a member's request to a 2025 client: answered under an id that
	 * names the member (2026-07-28 clients get none: the bridge asks) */
	if (!ex->modern && json_object_object_get_ex(root, "method", NULL) &&
	    json_object_object_get_ex(root, "id", &id))
		json_object_object_add(
		    root, "id", mg_fed_id_out(ex->member, id));
	evbuffer_add_printf(out, "%s",
	    json_object_to_json_string_ext(
		root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return MG_OK;
}

void
mg_ex_fed_free(mg_mcp_ex_t *ex)
{
	mg_fed_free(ex->fed);
	ex->fed = NULL;
	free(ex->fed_body);
	ex->fed_body = NULL;
	free(ex->fed_name);
	ex->fed_name = NULL;
}
