/*
 * input_required over the bridge: the requests a 2025 upstream sends its
 * 2026-07-28 client are gathered into an input_required result, and the
 * retry's requestState is checked and finds the parked exchange.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "bridge.h"
#include "exchange.h"

/*
 * The requests a 2025 upstream sends its client during a 2026-07-28
 * client's request (the connector keys them, bridge.h) are gathered for
 * INPUT_GATHER_MS (one round trip of the client's, not one per request:
 * a server often asks several things at once), then the client gets an
 * input_required result and the connector parks the exchange
 * (MG_MSG_PARK) under a random key that the requestState carries, sealed
 * with the session key and bound to the upstream, method and name.  The
 * retry, on any worker, names the key: the connector posts its
 * inputResponses upstream and the answer goes on to it.  A requestState
 * of ours that does not open is refused; one whose exchange is gone
 * starts the request afresh (the inputResponses answer the same
 * questions asked again).
 */
#define INPUT_GATHER_MS 20
#define PARK_PREFIX "mcpgw-park."

/*
 * A 2026-07-28 request on a proxy route, before it goes: the client
 * capabilities the bridge may ask for, inputResponses checked (an object
 * of results), and a requestState of ours opened (the retry of a request
 * the bridge parked).  MG_ERROR: refused, answered.
 */
int
mg_ex_input_check(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	struct json_object *meta, *caps, *v;
	char                why[200], state[MG_SESSION_DATA_MAX + 1], want[400];
	const char         *s, *target = mg_era_name_of(m->method, m->params);
	size_t              n;

	if (json_object_object_get_ex(m->params, "_meta", &meta) &&
	    json_object_object_get_ex(meta, MG_META_CAPABILITIES, &caps)) {
		if (json_object_object_get_ex(caps, "elicitation", NULL))
			ex->caps |= MG_REQ_F_ELICIT;
		if (json_object_object_get_ex(caps, "sampling", NULL))
			ex->caps |= MG_REQ_F_SAMPLE;
		if (json_object_object_get_ex(caps, "roots", NULL))
			ex->caps |= MG_REQ_F_ROOTS;
	}
	if (json_object_object_get_ex(m->params, "inputResponses", &v)) {
		if (!json_object_is_type(v, json_type_object)) {
			mg_ex_refuse(ex, 200, m->id, MG_RPC_INVALID_PARAMS,
			    "Invalid params: inputResponses must be an object "
			    "of results by key");
			return MG_ERROR;
		}
		json_object_object_foreach(v, key, answer)
		{
			if (json_object_is_type(answer, json_type_object))
				continue;
			snprintf(why, sizeof(why),
			    "Invalid params: inputResponses[\"%.64s\"] must be "
			    "an object (the result of the request)",
			    key);
			mg_ex_refuse(
			    ex, 200, m->id, MG_RPC_INVALID_PARAMS, why);
			return MG_ERROR;
		}
	}
	if (!json_object_object_get_ex(m->params, "requestState", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strncmp(json_object_get_string(v), PARK_PREFIX,
		strlen(PARK_PREFIX)) != 0)
		return MG_OK; /* none, or the upstream's own */
	s = json_object_get_string(v) + strlen(PARK_PREFIX);
	if (mg_session_open_data(ex->ctx->key, s, strlen(s), state,
		sizeof(state) - 1, &n) != MG_OK) {
		mg_ex_refuse(ex, 200, m->id, MG_RPC_INVALID_PARAMS,
		    "Invalid params: requestState failed its integrity check");
		return MG_ERROR;
	}
	/* the key, then "park|UPSTREAM|METHOD|NAME" (input_state) */
	state[n] = '\0';
	snprintf(want, sizeof(want), "park|%d|%s|%s", ex->upstream->index,
	    m->method, target ? target : "");
	if (n <= MG_PARK_KEY || strcmp(state + MG_PARK_KEY, want) != 0) {
		mg_ex_refuse(ex, 200, m->id, MG_RPC_INVALID_PARAMS,
		    "Invalid params: requestState belongs to another request");
		return MG_ERROR;
	}
	memcpy(ex->park, state, MG_PARK_KEY);
	ex->resume = 1;
	return MG_OK;
}

/* The gathered requests go to the client as an input_required result;
 * the connector keeps the exchange for the retry. */
static void
ex_input_required(evutil_socket_t fd, short what, void *arg)
{
	mg_mcp_ex_t        *ex = arg;
	struct json_object *r;
	struct evbuffer    *out;
	uint8_t             state[MG_SESSION_DATA_MAX];
	char sealed[sizeof(PARK_PREFIX) + MG_SESSION_DATA_TOKEN_MAX + 1];
	int  n;

	(void)fd, (void)what;
	if (ex->req == NULL || ex->relay == NULL || ex->asks == NULL)
		return;
	/* the park key, then what the retry must be (mg_ex_input_check) */
	if (RAND_bytes(state, MG_PARK_KEY) != 1) {
		ERR_clear_error();
		mg_ex_relay_failed(ex, MG_RPC_INTERNAL_ERROR,
		    "cannot make a key for the requestState");
		return;
	}
	n = snprintf((char *)state + MG_PARK_KEY, sizeof(state) - MG_PARK_KEY,
	    "park|%d|%s|%s", ex->upstream->index, ex->rpc_method,
	    ex->input_target);
	memcpy(sealed, PARK_PREFIX, strlen(PARK_PREFIX));
	if (n < 0 || (size_t)n >= sizeof(state) - MG_PARK_KEY ||
	    mg_session_seal_data(ex->ctx->key, state, MG_PARK_KEY + (size_t)n,
		sealed + strlen(PARK_PREFIX),
		sizeof(sealed) - strlen(PARK_PREFIX)) != MG_OK) {
		mg_ex_relay_failed(
		    ex, MG_RPC_INTERNAL_ERROR, "cannot seal the requestState");
		return;
	}
	mg_proxy_park(ex->relay, state);
	ex->relay = NULL;
	r = json_object_new_object();
	json_object_object_add(
	    r, "resultType", json_object_new_string("input_required"));
	json_object_object_add(r, "inputRequests", ex->asks);
	ex->asks = NULL;
	json_object_object_add(
	    r, "requestState", json_object_new_string(sealed));
	out = evbuffer_new();
	mg_rpc_write_result(out, ex->req_id, r);
	json_object_put(r);
	ex->answered_relay = 1;
	if (ex->streaming) {
		mg_ex_event(ex, out);
		mg_http_stream_end(ex->req);
	} else
		mg_http_reply(ex->req, 200, "application/json",
		    (const char *)evbuffer_pullup(out, -1),
		    evbuffer_get_length(out));
	evbuffer_free(out);
}

/* A request of the upstream to the client (the connector set its key):
 * into the input_required result soon to go. */
void
mg_ex_input_gather(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m)
{
	struct json_object *params, *meta, *key;
	struct timeval      tv = { 0, INPUT_GATHER_MS * 1000 };

	if (!json_object_object_get_ex(m->root, "params", &params) ||
	    !json_object_object_get_ex(params, "_meta", &meta) ||
	    !json_object_object_get_ex(meta, MG_BRIDGE_INPUT_KEY, &key))
		return;
	if (ex->asks == NULL)
		ex->asks = json_object_new_object();
	json_object_object_add(ex->asks, json_object_get_string(key),
	    mg_bridge_input_request(m->root));
	if (ex->gather == NULL)
		ex->gather = evtimer_new(ex->ctx->base, ex_input_required, ex);
	if (ex->gather != NULL && !evtimer_pending(ex->gather, NULL))
		evtimer_add(ex->gather, &tv);
}
