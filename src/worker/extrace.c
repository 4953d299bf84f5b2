/*
 * W3C trace context on an MCP endpoint: the head phase's row that keeps
 * the client's trace id and flags (or starts a trace) and gives the
 * request a span of mcpgw's own, the _meta of a 2026-07-28 request made
 * to carry them, and the ids the access log shows.  The relay sends them
 * upstream (proxy.c writes the header lines of every REQ).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bridge.h"
#include "exchange.h"

/* The client's tracestate fields, combined; none unless all are valid. */
static void
take_state(mg_mcp_ex_t *ex)
{
	mg_tracestate_t s; /* its members are set as they are read */
	char            out[MG_TRACESTATE_MAX + 1];
	const char     *v;
	int             pos = 0;

	s.n = s.bad = 0;

	while (
	    (v = mg_http_req_header_next(ex->req, "tracestate", &pos)) != NULL)
		if (mg_trace_state_add(&s, v, strlen(v)) != MG_OK)
			return;
	if (mg_trace_state_join(&s, out, sizeof(out)) > 0)
		ex->trace.state = strdup(out);
}

int
mg_ex_trace_begin(mg_mcp_ex_t *ex)
{
	mg_trace_t *t = &ex->trace;
	const char *tp = mg_http_req_header(ex->req, "traceparent");

	/* two traceparents: neither is surely the caller's, so a new trace
	 * (as the spec's test suite wants) */
	if (tp != NULL &&
	    mg_http_req_header_count(ex->req, "traceparent") == 1 &&
	    mg_trace_parse_parent(tp, strlen(tp), t) == MG_OK) {
		t->from_client = 1;
		take_state(ex);
	} else
		mg_trace_new_trace(t);
	mg_trace_new_span(t);
	return MG_OK;
}

/* A client of 2026-07-28 may send its trace in _meta alone (the
 * revision reserves traceparent and tracestate there): taken when no
 * header said otherwise. */
static void
adopt_meta(mg_mcp_ex_t *ex, struct json_object *meta)
{
	mg_tracestate_t     s = { .n = 0 };
	char                out[MG_TRACESTATE_MAX + 1];
	struct json_object *v;
	const char         *text;

	if (!json_object_object_get_ex(meta, "traceparent", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    mg_trace_parse_parent(json_object_get_string(v),
		(size_t)json_object_get_string_len(v), &ex->trace) != MG_OK)
		return;
	ex->trace.from_client = 1;
	if (!json_object_object_get_ex(meta, "tracestate", &v) ||
	    !json_object_is_type(v, json_type_string))
		return;
	text = json_object_get_string(v);
	if (mg_trace_state_add(&s, text, strlen(text)) == MG_OK &&
	    mg_trace_state_join(&s, out, sizeof(out)) > 0)
		ex->trace.state = strdup(out);
}

/* Does META's KEY hold VALUE (NULL: is it absent)? */
/* TP and the kept tracestate into META (a message's _meta). */
static void
meta_put(const mg_mcp_ex_t *ex, struct json_object *meta, const char *tp)
{
	json_object_object_add(meta, "traceparent", json_object_new_string(tp));
	if (ex->trace.state != NULL)
		json_object_object_add(meta, "tracestate",
		    json_object_new_string(ex->trace.state));
	else
		json_object_object_del(meta, "tracestate");
}

static int
meta_is(struct json_object *meta, const char *key, const char *value)
{
	struct json_object *v;

	if (!json_object_object_get_ex(meta, key, &v))
		return value == NULL;
	return value != NULL && json_object_is_type(v, json_type_string) &&
	    strcmp(json_object_get_string(v), value) == 0;
}

int
mg_ex_trace_meta(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m, char **text)
{
	struct json_object *meta;
	char                tp[MG_TRACEPARENT_LEN + 1];
	const char         *s;

	if (text != NULL)
		*text = NULL;
	if (m->params == NULL ||
	    !json_object_object_get_ex(m->params, "_meta", &meta) ||
	    !json_object_is_type(meta, json_type_object))
		return MG_OK;
	if (!ex->trace.from_client)
		adopt_meta(ex, meta);
	mg_trace_format(&ex->trace, tp);
	/* nothing goes upstream, or it carries them already */
	if (text == NULL ||
	    (meta_is(meta, "traceparent", tp) &&
		meta_is(meta, "tracestate", ex->trace.state)))
		return MG_OK;
	meta_put(ex, meta, tp);
	s = json_object_to_json_string_ext(
	    m->root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL || (*text = strdup(s)) == NULL) {
		mg_ex_refuse(
		    ex, 500, m->id, MG_RPC_INTERNAL_ERROR, "out of memory");
		return MG_ERROR;
	}
	return MG_OK;
}

void
mg_ex_trace_meta_set(mg_mcp_ex_t *ex, struct json_object *msg)
{
	struct json_object *meta = mg_bridge_meta(msg);
	char                tp[MG_TRACEPARENT_LEN + 1];

	mg_trace_format(&ex->trace, tp);
	meta_put(ex, meta, tp);
}

char *
mg_ex_request_id(const mg_mcp_ex_t *ex, char buf[MG_EX_ID_SIZE])
{
	if (ex == NULL)
		return NULL;
	mg_trace_hex(ex->trace.span_id, 8, buf);
	mg_trace_hex(ex->trace.trace_id + 8, 8, buf + 16);
	return buf;
}

char *
mg_ex_trace_id(const mg_mcp_ex_t *ex, char buf[MG_EX_ID_SIZE])
{
	if (ex == NULL)
		return NULL;
	mg_trace_hex(ex->trace.trace_id, 16, buf);
	return buf;
}

char *
mg_ex_traceparent(const mg_mcp_ex_t *ex, char buf[MG_TRACEPARENT_LEN + 1])
{
	if (ex == NULL)
		return NULL;
	mg_trace_format(&ex->trace, buf);
	return buf;
}

/* Not kept in the exchange (every exchange would grow for a rarely
 * logged id): read again from the header, while the request lives. */
char *
mg_ex_trace_parent_id(const mg_mcp_ex_t *ex, char buf[17])
{
	mg_trace_t  t;
	const char *v;

	if (ex == NULL || !ex->trace.from_client || ex->req == NULL ||
	    (v = mg_http_req_header(ex->req, "traceparent")) == NULL)
		return NULL;
	while (*v == ' ' || *v == '\t')
		v++;
	/* the header's, unless the trace came in _meta instead */
	if (mg_trace_parse_parent(v, strlen(v), &t) != MG_OK ||
	    memcmp(t.trace_id, ex->trace.trace_id, 16) != 0)
		return NULL;
	memcpy(buf, v + 36, 16);
	buf[16] = '\0';
	return buf;
}

const char *
mg_ex_tracestate(const mg_mcp_ex_t *ex)
{
	return ex != NULL ? ex->trace.state : NULL;
}
