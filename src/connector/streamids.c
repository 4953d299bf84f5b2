/*
 * The ids of a message-stream session (stdio, legacy HTTP+SSE: one
 * stream of messages each way, stdioup.c), and the progressTokens that
 * name a request in the server's messages: each request of a client goes
 * upstream under an id of the session's own, a number it counts, and its
 * answer comes back under the client's id.  A client's ids are never
 * trusted across exchanges: two requests with the same id (a client's
 * own, or its retry's) never take each other's answer, and a cancel
 * names the request by our id.  Bridged requests have the bridge's ids
 * (stdiobridge.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonrpc.h"
#include "stdioup.h"

static char *
json_text(struct json_object *v)
{
	return strdup(
	    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

/* The waiting request of P whose client's id is KEY, or NULL. */
static mg_stdx_t *
proc_request(proc_t *p, const char *key)
{
	for (mg_stdx_t *x = p->xs; x != NULL; x = x->next)
		if (x->key != NULL && x->ukey != NULL &&
		    strcmp(x->key, key) == 0)
			return x;
	return NULL;
}

/* A cancel M names the client's id of a request: ours instead.  1 if it
 * was rewritten. */
static int
stdx_cancel_rewrite(proc_t *p, struct json_object *m)
{
	struct json_object *method, *params, *rid;
	mg_stdx_t          *o;
	char               *key;

	if (!json_object_object_get_ex(m, "method", &method) ||
	    strcmp(json_object_get_string(method), "notifications/cancelled") !=
		0 ||
	    !json_object_object_get_ex(m, "params", &params) ||
	    !json_object_object_get_ex(params, "requestId", &rid) ||
	    (key = json_text(rid)) == NULL)
		return 0;
	o = proc_request(p, key);
	free(key);
	if (o == NULL)
		return 0;
	json_object_object_add(
	    params, "requestId", json_object_new_int64(atoll(o->ukey)));
	return 1;
}

/* X's request under an id of P's own (a cancel: the id it names);
 * MG_ERROR: out of memory. */
int
mg_stdx_own_id(mg_stdx_t *x, proc_t *p)
{
	struct json_object *m;
	char                id[24], *text;

	if (x->bridged || (m = mg_json_parse(x->body, x->body_len)) == NULL)
		return MG_OK;
	if (x->key != NULL) {
		snprintf(id, sizeof(id), "%lld", (long long)++p->ids);
		json_object_object_add(m, "id", json_object_new_int64(p->ids));
		if ((x->ukey = strdup(id)) == NULL) {
			json_object_put(m);
			return MG_ERROR;
		}
	} else if (!stdx_cancel_rewrite(p, m)) {
		json_object_put(m);
		return MG_OK;
	}
	text = json_text(m);
	json_object_put(m);
	if (text == NULL)
		return MG_ERROR;
	free(x->body);
	x->body = text;
	x->body_len = strlen(text);
	return MG_OK;
}

/* The exchange of P that waits for the answer with id KEY (ours, or the
 * client's for a request that kept it), or NULL. */
mg_stdx_t *
mg_stdx_answered(proc_t *p, const char *key)
{
	for (mg_stdx_t *x = p->xs; x != NULL; x = x->next)
		if (x->key != NULL && x->body == NULL &&
		    strcmp(x->ukey != NULL ? x->ukey : x->key, key) == 0)
			return x;
	return NULL;
}

/* The answer M to X with the client's id back on it: its text (M's, valid
 * while M is) and *LEN. */
const char *
mg_stdx_client_id(mg_stdx_t *x, struct json_object *m, size_t *len)
{
	const char *line;

	json_object_object_add(m, "id", mg_json_parse(x->key, strlen(x->key)));
	line = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN);
	*len = strlen(line);
	return line;
}

/* The progressToken a message names (params._meta.progressToken of a
 * request, params.progressToken of a progress notification), as JSON
 * text, or NULL. */
char *
mg_stdx_progress_of(struct json_object *m)
{
	struct json_object *params, *meta, *tok;

	if (!json_object_object_get_ex(m, "params", &params) ||
	    !json_object_is_type(params, json_type_object))
		return NULL;
	if (json_object_object_get_ex(params, "progressToken", &tok))
		return json_text(tok);
	if (json_object_object_get_ex(params, "_meta", &meta) &&
	    json_object_is_type(meta, json_type_object) &&
	    json_object_object_get_ex(meta, "progressToken", &tok))
		return json_text(tok);
	return NULL;
}

/* May X carry a message of P naming no progressToken?  (On the bridge's:
 * not a listen, nor a request parked for its client's retry.) */
static int
proc_may_carry(const proc_t *p, const mg_stdx_t *x)
{
	return !x->get && x->key != NULL && x->body == NULL &&
	    (!p->bridge || (x->listen_id == NULL && !x->ask.parked));
}

/* The exchange that should carry a message of the process: the one it
 * names by progressToken, else the newest waiting request, else the GET
 * stream.  NULL: none; *SHARED: a request of the bridge's process (many
 * clients') with several waiting, none told (the newest of them got
 * another client's elicitation, and answered it). */
mg_stdx_t *
mg_stdx_carrier(proc_t *p, struct json_object *m, int *shared)
{
	char      *tok = mg_stdx_progress_of(m);
	mg_stdx_t *x, *newest = NULL, *get = NULL;
	int        n = 0;

	for (x = p->xs; x != NULL; x = x->next) {
		if (tok != NULL && x->progress != NULL &&
		    strcmp(tok, x->progress) == 0)
			break;
		if (x->get)
			get = x;
		else if (proc_may_carry(p, x)) {
			newest = x;
			n++;
		}
	}
	free(tok);
	*shared = x == NULL && p->bridge && n > 1 &&
	    json_object_object_get_ex(m, "id", NULL);
	return x != NULL ? x : *shared ? NULL : newest != NULL ? newest : get;
}
