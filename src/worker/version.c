/*
 * The protocol revisions an endpoint serves and the version a request
 * speaks: told from its MCP-Protocol-Version header (or its session's),
 * refused with the list of what is served.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "exchange.h"

const char *const mg_ex_versions[3] = { "2025-03-26", "2025-06-18",
	"2025-11-25" };
const char *const mg_ex_all_versions[4] = { "2025-03-26", "2025-06-18",
	"2025-11-25", MG_ERA_2026 };

int
mg_ex_version_index(const char *v)
{
	for (size_t i = 0; v != NULL && i < MG_NELEM(mg_ex_versions); i++)
		if (strcmp(v, mg_ex_versions[i]) == 0)
			return (int)i;
	return -1;
}

int
mg_ex_known_old(const char *v)
{
	return mg_ex_version_index(v) >= 0;
}

void
mg_ex_refuse_old_version(mg_mcp_ex_t *ex, struct json_object *id)
{
	ex->refusal = "version";
	mg_ex_refuse(ex, 400, id, MG_RPC_INVALID_REQUEST,
	    "Bad Request: unsupported MCP-Protocol-Version "
	    "(supported: 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28)");
}

/* What the revision removed: 404 and -32601, as for an unknown method. */
int
mg_ex_removed_in_2026(const char *method)
{
	static const char *const removed[] = { "initialize", "ping",
		"logging/setLevel", "resources/subscribe",
		"resources/unsubscribe" };

	for (size_t i = 0; i < MG_NELEM(removed); i++)
		if (strcmp(method, removed[i]) == 0)
			return 1;
	return 0;
}

struct json_object *
mg_ex_version_list(const char *const *v, size_t n)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, json_object_new_string(v[i]));
	return list;
}

/* A version a proxy route does not serve at 2026-07-28 (the connector
 * said so for an upstream it bridges): 400, -32022, what the route
 * serves (the 2025 versions with sessions, and 2026-07-28). */
void
mg_ex_refuse_version(
    mg_mcp_ex_t *ex, struct json_object *id, const char *message)
{
	struct json_object *data = json_object_new_object();

	json_object_object_add(data, "supported",
	    mg_ex_version_list(
		mg_ex_all_versions, MG_NELEM(mg_ex_all_versions)));
	json_object_object_add(data, "requested",
	    json_object_new_string(
		mg_http_req_header(ex->req, "MCP-Protocol-Version")));
	ex->refusal = "version";
	mg_ex_refuse_data(
	    ex, 400, id, MG_MCP_ERR_UNSUPPORTED_VERSION, message, data);
	json_object_put(data);
}

/*
 * The version a request speaks, from its MCP-Protocol-Version header (a
 * session's own comes later, mg_ex_check_session).  A POST's body may speak
 * 2026-07-28: mg_ex_post decides.  A GET or DELETE of 2026-07-28 (which has
 * neither), or of a version not served, is refused.  Not a check, but it
 * runs among the head phase's, where a refusal of it always came: after
 * Origin, before the hop count.
 */
int
mg_ex_negotiate_version(mg_mcp_ex_t *ex)
{
	const char *pv = mg_http_req_header(ex->req, "MCP-Protocol-Version");

	if (mg_http_req_method(ex->req) == MG_HTTP_POST) {
		ex->version =
		    pv && mg_ex_known_old(pv) ? mg_ex_version_index(pv) : 0;
		return MG_OK;
	}
	if (pv != NULL && strcmp(pv, MG_ERA_2026) == 0) {
		ex->modern = 1;
		mg_http_add_header(ex->req, "Allow", "POST");
		mg_ex_refuse(ex, 405, NULL, MG_RPC_INVALID_REQUEST,
		    "Method Not Allowed: 2026-07-28 has no GET stream and no "
		    "sessions to DELETE; use POST (subscriptions/listen)");
		return MG_ERROR;
	}
	if (pv != NULL && !mg_ex_known_old(pv)) {
		mg_ex_refuse_old_version(ex, NULL);
		return MG_ERROR;
	}
	ex->version = pv ? mg_ex_version_index(pv) : 0;
	return MG_OK;
}
