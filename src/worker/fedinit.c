/*
 * A federated route's handshake: a 2025 client's initialize and a
 * 2026-07-28 client's server/discover, sent to every member at once and
 * answered as one server: the members' capabilities merged, their
 * instructions named, and (2025) one session over the members' own.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "bridge.h"
#include "fedpriv.h"

/* Each member's instructions, named: "NAME: TEXT", a paragraph each. */
static void
add_instructions(
    struct evbuffer *b, const mg_member_t *m, struct json_object *r)
{
	struct json_object *v;

	if (!json_object_object_get_ex(r, "instructions", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0)
		return;
	evbuffer_add_printf(b, "%s%s: %s", evbuffer_get_length(b) ? "\n\n" : "",
	    m->prefix ? m->prefix : m->name, json_object_get_string(v));
}

/* Every member's answer as one result: capabilities, instructions;
 * NULL if none answered (the failures are in F's legs). */
static struct json_object *
merge_results(mg_fed_t *f, int discover)
{
	struct json_object *caps = json_object_new_object(), *r, *c, *out;
	struct evbuffer    *ins = evbuffer_new();
	int                 answered = 0;

	for (int i = 0; i < f->nlegs; i++) {
		mg_fed_leg_t *l = &f->leg[i];

		if ((r = mg_fed_result(l)) == NULL)
			continue;
		answered++;
		/* over the bridge a member's answer is its initialize's */
		if (json_object_object_get_ex(r, "capabilities", &c))
			mg_fed_caps_merge(caps, c);
		add_instructions(ins, l->member, r);
	}
	if (answered == 0) {
		json_object_put(caps);
		evbuffer_free(ins);
		return NULL;
	}
	out = json_object_new_object();
	json_object_object_add(out, "capabilities", caps);
	if (evbuffer_get_length(ins) > 0)
		json_object_object_add(out, "instructions",
		    json_object_new_string_len(
			(const char *)evbuffer_pullup(ins, -1),
			(int)evbuffer_get_length(ins)));
	evbuffer_free(ins);
	(void)discover;
	return out;
}

static struct json_object *
server_info(void)
{
	struct json_object *info = json_object_new_object();

	json_object_object_add(info, "name", json_object_new_string("mcpgw"));
	json_object_object_add(
	    info, "version", json_object_new_string(PACKAGE_VERSION));
	return info;
}

static void
fed_done_initialize(mg_fed_t *f)
{
	mg_mcp_ex_t        *ex = f->ex;
	struct json_object *r = merge_results(f, 0);
	const char         *v = mg_ex_versions[ex->version];
	int                 rc;

	ex->fed = NULL;
	if (ex->req == NULL)
		goto out;
	if (r == NULL) {
		mg_fed_refuse(f);
		goto out;
	}
	if ((rc = mg_ex_fed_session(ex, f, v)) != MG_OK) {
		mg_ex_session_refuse(ex, ex->req_id, rc);
		goto out;
	}
	json_object_object_add(r, "protocolVersion", json_object_new_string(v));
	json_object_object_add(r, "serverInfo", server_info());
	mg_ex_reply_local(ex, ex->req_id, json_object_get(r), 0, NULL);
out:
	json_object_put(r);
	mg_fed_free(f);
}

/* A 2025 client's initialize: the version it asked for if we serve it
 * (else our newest), each member initialized with its params. */
void
mg_ex_fed_initialize(
    mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char *body, size_t len)
{
	struct json_object *pv = NULL;
	int                 v = -1;

	if (m->params == NULL ||
	    !json_object_object_get_ex(m->params, "protocolVersion", &pv)) {
		mg_ex_refuse(ex, 400, m->id, MG_RPC_INVALID_PARAMS,
		    "initialize needs params.protocolVersion");
		return;
	}
	if (json_object_is_type(pv, json_type_string))
		v = mg_ex_version_index(json_object_get_string(pv));
	ex->version = v >= 0 ? v : (int)MG_NELEM(mg_ex_versions) - 1;
	if (mg_ex_session_room(ex, m->id) != MG_OK)
		return;
	mg_ex_keep_init_params(ex, m);
	mg_fed_to_all(ex, m->id, "to initialize", fed_done_initialize,
	    "initialize", body, len, MG_FED_INIT);
}

static void
fed_done_discover(mg_fed_t *f)
{
	mg_mcp_ex_t        *ex = f->ex;
	struct json_object *r = merge_results(f, 1), *meta;

	ex->fed = NULL;
	if (ex->req == NULL)
		goto out;
	if (r == NULL) {
		mg_fed_refuse(f);
		goto out;
	}
	json_object_object_del(r, "instructions");
	meta = json_object_new_object();
	json_object_object_add(meta, MG_META_SERVER_INFO, server_info());
	json_object_object_add(r, "_meta", meta);
	json_object_object_add(r, "supportedVersions",
	    mg_ex_version_list(
		mg_ex_all_versions, MG_NELEM(mg_ex_all_versions)));
	json_object_object_add(
	    r, "resultType", json_object_new_string("complete"));
	json_object_object_add(r, "ttlMs", json_object_new_int(0));
	json_object_object_add(
	    r, "cacheScope", json_object_new_string("private"));
	mg_ex_reply_local(ex, ex->req_id, json_object_get(r), 0, NULL);
out:
	json_object_put(r);
	mg_fed_free(f);
}

/* A 2026-07-28 client's server/discover: every member's, as one. */
void
mg_ex_fed_discover(
    mg_mcp_ex_t *ex, mg_rpc_msg_t *m, const char *body, size_t len)
{
	mg_fed_to_all(ex, m->id, "to server/discover", fed_done_discover,
	    "server/discover", body, len, MG_FED_DISCOVER);
}
