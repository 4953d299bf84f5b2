/*
 * The reverse bridge's subscriptions (the connector): a 2025 client's
 * resources/subscribe, and its GET stream's list changes, on a route whose
 * upstream speaks 2026-07-28, held as one subscriptions/listen upstream
 * per session, each notification sent to the workers (MG_MSG_NOTIFY_FWD).
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "child.h"
#include "connector.h"
#include "bridge.h"
#include "era.h"
#include "jsonrpc.h"
#include "httpmsg.h"
#include "link.h"
#include "log.h"
#include "served.h"
#include "sesstab.h"
#include "connpriv.h"
#include "upstream.h"

/* ---- the reverse bridge's subscriptions ---------------------------- */

#define MG_RSUB_URIS_MAX 256 /* resources one session subscribes to */

/* What the listen passes on to the session's GET stream: the updates of
 * its URIs, and (once the GET stream opened) the list changes, asked for
 * with the filter FILTER. */
static const struct {
	const char *method, *filter;
} rsub_kinds[] = {
	{ "notifications/resources/updated", NULL },
	{ "notifications/tools/list_changed", "toolsListChanged" },
	{ "notifications/prompts/list_changed", "promptsListChanged" },
	{ "notifications/resources/list_changed", "resourcesListChanged" },
};
#define RSUB_NKINDS (sizeof(rsub_kinds) / sizeof(rsub_kinds[0]))

static void rsub_open(rsub_t *s);

/* A session's record for upstream UP (NULL: any of its upstreams: a
 * federated session has one per member of 2026-07-28). */
rsub_t *
mg_rsub_find(mg_connector_t *c, uint64_t session, const mg_upstream_t *up)
{
	for (rsub_t *s = c->rsubs; s != NULL; s = s->next)
		if (s->session == session && (up == NULL || s->up == up))
			return s;
	return NULL;
}

void
mg_rsub_free(rsub_t *s)
{
	for (rsub_t **pp = &s->c->rsubs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (s->x != NULL) {
		mg_upx_t *x = s->x;

		s->x = NULL;
		mg_upstream_cancel(x);
		mg_debug("closed the subscriptions/listen for session %016llx "
			 "at upstream \"%s\"",
		    (unsigned long long)s->session, s->up->name);
	}
	if (s->again)
		event_free(s->again);
	json_object_put(s->uris);
	free(s);
}

/* Does the session still want its listen? */
static int
rsub_wanted(const rsub_t *s)
{
	return s->lists || json_object_object_length(s->uris) > 0;
}

/* Is METHOD a notification the listen passes on? */
static int
rsub_passes(const char *method)
{
	for (size_t i = 0; i < RSUB_NKINDS; i++)
		if (strcmp(method, rsub_kinds[i].method) == 0)
			return 1;
	return 0;
}

/* A message of the listen: an update or a list change goes to the
 * workers, for the session's GET stream, without the subscription id
 * (the 2025 client has none); the acknowledgement and anything else stop
 * here. */
static void
rsub_message(rsub_t *s, const char *msg, size_t len)
{
	struct json_object *root = mg_json_parse(msg, len), *v, *params;
	mg_msg_t            m = { .type = MG_MSG_NOTIFY_FWD };
	size_t              n;

	if (json_object_object_get_ex(root, "method", &v) &&
	    strcmp(json_object_get_string(v),
		"notifications/subscriptions/acknowledged") == 0 &&
	    json_object_object_get_ex(root, "params", &params) &&
	    json_object_object_get_ex(params, "notifications", &v))
		mg_debug("upstream \"%s\" agreed to %s for session %016llx",
		    s->up->name,
		    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
		    (unsigned long long)s->session);
	if (!json_object_object_get_ex(root, "method", &v) ||
	    !rsub_passes(json_object_get_string(v))) {
		json_object_put(root);
		return;
	}
	if (json_object_object_get_ex(root, "params", &params))
		mg_bridge_meta_drop(params, MG_META_SUBSCRIPTION);
	m.note.session = s->session;
	m.note.text.p = json_object_to_json_string_length(
	    root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	m.note.text.len = n;
	/* the frame's id names the upstream (its index plus 1): on a
	 * federated route the worker puts the message in the client's names
	 * of that member */
	for (size_t i = 0; i < MG_CONNECTOR_MAX_LINKS; i++)
		if (s->c->links[i] != NULL)
			mg_link_send_msg(
			    s->c->links[i], (uint64_t)s->up->index + 1, &m);
	json_object_put(root);
}

static void
rsub_head(void *arg, int status, int kind, const char *sid, const char *v)
{
	rsub_t *s = arg;

	(void)kind, (void)sid, (void)v;
	if (status != 200)
		mg_info("upstream \"%s\" answered the subscriptions/listen for "
			"session %016llx with HTTP %d",
		    s->up->name, (unsigned long long)s->session, status);
}

static void
rsub_data(void *arg, const char *msg, size_t len)
{
	rsub_message(arg, msg, len);
}

static void
rsub_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	(void)id, (void)retry;
	if (len > 0)
		rsub_message(arg, data, len);
}

static void
rsub_again(evutil_socket_t fd, short what, void *arg)
{
	rsub_t *s = arg;

	(void)fd, (void)what;
	if (s->x == NULL && rsub_wanted(s))
		rsub_open(s);
}

/* The listen ended (the upstream ended it, or failed): again in 1 s. */
static void
rsub_end(void *arg, int code, const char *message)
{
	rsub_t        *s = arg;
	struct timeval tv = { 1, 0 };

	s->x = NULL;
	mg_info("the subscriptions/listen for session %016llx at upstream "
		"\"%s\" ended%s%s; again in 1 s",
	    (unsigned long long)s->session, s->up->name, code ? ": " : "",
	    code ? message : "");
	if (s->again == NULL)
		s->again = evtimer_new(s->c->base, rsub_again, s);
	if (s->again != NULL)
		evtimer_add(s->again, &tv);
}

/* (Again) the session's listen upstream, for the URIs it wants now. */
static void
rsub_open(rsub_t *s)
{
	static const mg_up_ops_t ops = { rsub_head, rsub_data, rsub_event,
		rsub_end, NULL, NULL };
	mg_up_ops_t              o = ops;
	struct json_object      *body = json_object_new_object(), *p, *n, *m,
			   *uris = json_object_new_array(), *info;
	const char *text;
	char        id[48];
	size_t      len;
	mg_up_req_t req = { .method = MG_HTTP_POST,
		.hops = 1,
		.up = s->up,
		.sid = "",
		.version = MG_ERA_2026,
		.init = "",
		.last_event_id = "",
		.modern = 1,
		.headers = "Mcp-Method: subscriptions/listen\r\n" };

	if (s->x != NULL) {
		mg_upx_t *x = s->x;

		s->x = NULL;
		mg_upstream_cancel(x);
	}
	json_object_object_foreach(s->uris, uri, v)
	{
		(void)v;
		json_object_array_add(uris, json_object_new_string(uri));
	}
	snprintf(id, sizeof(id), "mcpgw-listen-%llu",
	    (unsigned long long)++s->c->listens);
	json_object_object_add(body, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(body, "id", json_object_new_string(id));
	json_object_object_add(
	    body, "method", json_object_new_string("subscriptions/listen"));
	p = json_object_new_object();
	n = json_object_new_object();
	m = json_object_new_object();
	info = json_object_new_object();
	if (json_object_array_length(uris) > 0)
		json_object_object_add(n, "resourceSubscriptions", uris);
	else
		json_object_put(uris);
	/* all three: the upstream agrees to those its capabilities declare
	 * (as its discover, and so our initialize result, does) */
	for (size_t i = 1; s->lists && i < RSUB_NKINDS; i++)
		json_object_object_add(
		    n, rsub_kinds[i].filter, json_object_new_boolean(1));
	json_object_object_add(p, "notifications", n);
	json_object_object_add(
	    m, MG_META_VERSION, json_object_new_string(MG_ERA_2026));
	json_object_object_add(
	    m, MG_META_CAPABILITIES, json_object_new_object());
	json_object_object_add(info, "name", json_object_new_string("mcpgw"));
	json_object_object_add(
	    info, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(m, MG_META_CLIENT_INFO, info);
	json_object_object_add(p, "_meta", m);
	json_object_object_add(body, "params", p);
	text = json_object_to_json_string_length(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	req.body = text;
	req.body_len = len;
	req.headers_len = strlen(req.headers);
	o.arg = s;
	s->x = mg_upstream_start(s->c->ups, &req, &o);
	json_object_put(body);
}

/* Answer relay R with a result {} (CODE 0) or an error. */
static void
rsub_reply(relay_t *r, struct json_object *id, int code, const char *message)
{
	struct json_object *m = json_object_new_object(), *e;
	const char         *text;
	size_t              len;

	json_object_object_add(m, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(m, "id", json_object_get(id));
	if (code == 0)
		json_object_object_add(m, "result", json_object_new_object());
	else {
		e = json_object_new_object();
		json_object_object_add(e, "code", json_object_new_int(code));
		json_object_object_add(
		    e, "message", json_object_new_string(message));
		json_object_object_add(m, "error", e);
	}
	text = json_object_to_json_string_length(
	    m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	mg_relay_head(r, 200, MG_RESP_JSON, "", "");
	mg_relay_data(r, text, len);
	mg_relay_end(r, 0, "");
	json_object_put(m);
}

/* The session's record, made if it has none (NULL: out of memory). */
static rsub_t *
rsub_get(mg_connector_t *c, uint64_t session, const mg_upstream_t *up)
{
	rsub_t *s = mg_rsub_find(c, session, up);

	if (s != NULL || (s = calloc(1, sizeof(*s))) == NULL)
		return s;
	s->c = c;
	s->session = session;
	s->up = up;
	s->uris = json_object_new_object();
	s->next = c->rsubs;
	c->rsubs = s;
	return s;
}

/* MG_REQ_F_SUBSCRIBE: a 2025 client's resources/subscribe or
 * unsubscribe (BODY) for its session, its GET stream's opening (GET: the
 * list changes too, from now until the session ends), or the session's
 * end (DELETE). */
void
mg_connector_subscribe(mg_connector_t *c, relay_t *r, const mg_msg_req_t *q,
    const mg_upstream_t *up, const char *body, size_t len)
{
	rsub_t             *s = mg_rsub_find(c, q->session, up);
	struct json_object *root, *v, *id = NULL, *uri = NULL;
	int                 sub;

	if (q->method == MG_HTTP_DELETE || q->session == 0) {
		if (s != NULL)
			mg_rsub_free(s);
		mg_relay_end(r, 0, "");
		return;
	}
	if (q->method == MG_HTTP_GET) {
		if ((s = rsub_get(c, q->session, up)) != NULL && !s->lists) {
			s->lists = 1;
			rsub_open(s);
		}
		mg_relay_end(r, s ? 0 : -32603, s ? "" : "out of memory");
		return;
	}
	root = mg_json_parse(body, len);
	json_object_object_get_ex(root, "id", &id);
	sub = json_object_object_get_ex(root, "method", &v) &&
	    strcmp(json_object_get_string(v), "resources/subscribe") == 0;
	if (!json_object_object_get_ex(root, "params", &v) ||
	    !json_object_object_get_ex(v, "uri", &uri) ||
	    !json_object_is_type(uri, json_type_string)) {
		rsub_reply(r, id, -32602, "Invalid params: uri (a string)");
		json_object_put(root);
		return;
	}
	if (sub && (s = rsub_get(c, q->session, up)) == NULL) {
		rsub_reply(r, id, -32603, "out of memory");
		json_object_put(root);
		return;
	}
	if (sub &&
	    !json_object_object_get_ex(
		s->uris, json_object_get_string(uri), NULL)) {
		if (json_object_object_length(s->uris) >= MG_RSUB_URIS_MAX) {
			rsub_reply(r, id, -32603,
			    "too many subscriptions in this session (256)");
			json_object_put(root);
			return;
		}
		json_object_object_add(s->uris, json_object_get_string(uri),
		    json_object_new_boolean(1));
		rsub_open(s);
	} else if (!sub && s != NULL &&
	    json_object_object_get_ex(
		s->uris, json_object_get_string(uri), NULL)) {
		json_object_object_del(s->uris, json_object_get_string(uri));
		if (!rsub_wanted(s))
			mg_rsub_free(s);
		else
			rsub_open(s);
	}
	rsub_reply(r, id, 0, NULL);
	json_object_put(root);
}
