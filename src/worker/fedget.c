/*
 * A federated session's GET stream and its end: the client's one stream
 * carries every member's (each opened through the connector with that
 * member's session), their messages in the names the client sees and
 * their requests under ids that name the member; a member without a
 * stream (405) or whose stream ends leaves the others going.  DELETE
 * ends every member's session and ours.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "fedpriv.h"

static void
get_head(void *arg, int status, int kind, const char *sid, const char *version)
{
	mg_fed_leg_t *l = arg;

	(void)sid;
	(void)version;
	l->status = status;
	if (status != 200 || kind != MG_RESP_SSE)
		l->code = -32000; /* no stream: its end comes */
}

/* A list change that another member's of the same list made a moment
 * ago says nothing new: the client lists again once, and gets every
 * member's. */
#define FED_CHANGE_MS 200

static int
change_said(mg_fed_t *f, const char *msg, size_t len)
{
	static const char *const kinds[] = { "notifications/tools/list_changed",
		"notifications/prompts/list_changed",
		"notifications/resources/list_changed" };
	int64_t                  now;

	for (size_t i = 0; i < MG_NELEM(kinds); i++) {
		if (memmem(msg, len, kinds[i], strlen(kinds[i])) == NULL)
			continue;
		now = mg_ex_now_ms();
		if (f->changed[i] != 0 && now - f->changed[i] < FED_CHANGE_MS)
			return 1;
		f->changed[i] = now;
		return 0;
	}
	return 0;
}

static void
get_message(mg_fed_leg_t *l, const char *msg, size_t len)
{
	mg_mcp_ex_t     *ex = l->fed->ex;
	struct evbuffer *out;

	if (ex->req == NULL || l->code != 0 || len == 0 ||
	    change_said(l->fed, msg, len))
		return;
	out = evbuffer_new();
	ex->member = l->member;
	if (mg_ex_fed_seen(ex, msg, len, out) != MG_OK)
		evbuffer_add(out, msg, len);
	mg_ex_event(ex, out);
	evbuffer_free(out);
}

static void
get_data(void *arg, const char *msg, size_t len)
{
	get_message(arg, msg, len);
}

static void
get_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	(void)id;
	(void)retry;
	get_message(arg, data, len);
}

static void
get_end(void *arg, int code, const char *message)
{
	mg_fed_leg_t *l = arg;
	mg_fed_t     *f = l->fed;

	(void)code;
	(void)message;
	l->relay = NULL;
	l->done = 1;
	/* the others go on; with none left, the client opens it again */
	if (--f->pending == 0 && f->ex->req != NULL)
		mg_http_stream_end(f->ex->req);
}

static void
get_leg(mg_fed_t *f, const mg_member_t *m)
{
	mg_mcp_ex_t   *ex = f->ex;
	mg_fed_leg_t  *l = &f->leg[f->nlegs++];
	mg_relay_ops_t o = { get_head, get_data, get_event, get_end, l, NULL };
	mg_relay_req_t q = { 0 };
	char           sid[MG_UP_SID_MAX];

	l->fed = f;
	l->member = m;
	q.method = MG_HTTP_GET;
	q.hops = ex->hops + 1;
	q.trace = &ex->trace;
	q.upstream = m->upstream->index;
	q.session = ex->session;
	q.body = q.lei = q.headers = "";
	mg_ex_fed_sid(ex, m, sid, sizeof(sid));
	q.sid = sid;
	q.sid_len = strlen(sid);
	mg_ex_fed_init(ex, &q.init, &q.init_len);
	q.version = mg_ex_fed_version(ex);
	q.version_len = strlen(q.version);
	mg_fed_token(ex, m, &q);
	if (ex->ctx->proxy != NULL &&
	    (l->relay = mg_proxy_open(ex->ctx->proxy, &q, &o)) != NULL)
		f->pending++;
	else
		l->done = 1;
}

/* A member of 2026-07-28 has no GET stream: the connector's listen for
 * the session brings its list changes and updates (as on its mcp_pass
 * route), from the GET on until the DELETE. */
static void
tell_2026_member(mg_mcp_ex_t *ex, const mg_member_t *m, int method)
{
	const mg_upstream_t *up = ex->upstream;

	ex->upstream = m->upstream;
	mg_ex_tell_subscriptions(ex, method);
	ex->upstream = up;
}

static void
get_none(mg_fed_t *f)
{
	(void)f;
}

int
mg_ex_fed_remote(mg_mcp_ex_t *ex, uint64_t upstream, const char *msg,
    size_t len, struct evbuffer *out)
{
	if (ex->loc->members == NULL || upstream == 0)
		return MG_DECLINED;
	for (const mg_member_t *m = ex->loc->members; m != NULL; m = m->next)
		if ((uint64_t)m->upstream->index + 1 == upstream) {
			ex->member = m;
			if (mg_ex_fed_seen(ex, msg, len, out) == MG_OK)
				return MG_OK;
			evbuffer_add(out, msg, len);
			return MG_OK;
		}
	return MG_DECLINED;
}

int
mg_ex_fed_event_id(
    const mg_mcp_ex_t *ex, const char *id, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "fed%d-%s", ex->member->index, id);

	return n > 0 && (size_t)n < outlen ? MG_OK : MG_DECLINED;
}

/* A Last-Event-ID of a member's stream (mg_ex_fed_event_id): the member
 * and its own id; NULL: none of ours. */
static const mg_member_t *
resumed_member(const mg_mcp_ex_t *ex, const char *lei, const char **own)
{
	char *end;
	long  i;

	if (lei == NULL || strncmp(lei, "fed", 3) != 0 || lei[3] < '0' ||
	    lei[3] > '9')
		return NULL;
	i = strtol(lei + 3, &end, 10);
	if (*end != '-' || end[1] == '\0' || i >= ex->loc->nmembers)
		return NULL;
	*own = end + 1;
	for (const mg_member_t *m = ex->loc->members; m != NULL; m = m->next)
		if (m->index == i)
			return m;
	return NULL;
}

void
mg_ex_fed_get(mg_mcp_ex_t *ex)
{
	const char        *own;
	const mg_member_t *m = resumed_member(
	    ex, mg_http_req_header(ex->req, "Last-Event-ID"), &own);
	mg_fed_t *f;

	/* a member's stream resumed: that member's, as on its own route */
	if (m != NULL && m->upstream->protocol != MG_PROTOCOL_2026) {
		if (mg_ex_fed_member_blob(ex, m) != MG_OK) {
			mg_ex_refuse(ex, 500, NULL, MG_RPC_INTERNAL_ERROR,
			    "out of memory");
			return;
		}
		ex->member = m;
		ex->upstream = m->upstream;
		ex->fed_seen = 1;
		ex->fed_lei = own;
		ex->get_stream = 1;
		mg_ex_relay(ex, "", 0);
		return;
	}
	f = mg_fed_new(ex, "to the GET stream", get_none);

	if (f == NULL) {
		mg_ex_refuse(
		    ex, 500, NULL, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	ex->fed = f;
	ex->get_stream = 1;
	mg_ex_stream_begin(ex);
	for (m = ex->loc->members; m != NULL; m = m->next)
		if (m->upstream->protocol != MG_PROTOCOL_2026)
			get_leg(f, m);
		else
			tell_2026_member(ex, m, MG_HTTP_GET);
}

void
mg_ex_fed_delete(mg_mcp_ex_t *ex)
{
	mg_fed_tell_all(ex, NULL, "", 0, MG_HTTP_DELETE);
	for (const mg_member_t *m = ex->loc->members; m != NULL; m = m->next)
		if (m->upstream->protocol == MG_PROTOCOL_2026)
			tell_2026_member(ex, m, MG_HTTP_DELETE);
	mg_sesstab_delete(ex->ctx->sessions, ex->session, mg_ex_now_ms());
	mg_http_reply(ex->req, 204, NULL, NULL, 0);
}
