/*
 * The status page (page.h, status.h): the same data as JSON or as HTML.
 * JSON for "?format=json", or for an Accept that names application/json
 * and not text/html; HTML otherwise ("?format=html" forces it), so a
 * browser gets the page and a script asks for JSON either way.
 */
#include "config.h"

#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "board.h"
#include "exchange.h"
#include "page.h"
#include "status.h"

/* Does the query hold the parameter "format=WANT"? */
static int
query_says(const char *q, const char *want)
{
	size_t n = strlen(want);

	while (*q) {
		size_t len = strcspn(q, "&;");

		if (len == 7 + n && strncmp(q, "format=", 7) == 0 &&
		    strncmp(q + 7, want, n) == 0)
			return 1;
		q += len;
		q += *q != '\0';
	}
	return 0;
}

static int
wants_json(mg_http_req_t *req)
{
	const char *q = mg_http_req_query(req), *accept;

	if (query_says(q, "json"))
		return 1;
	if (query_says(q, "html"))
		return 0;
	accept = mg_http_req_header(req, "Accept");
	return accept != NULL && strstr(accept, "application/json") != NULL &&
	    strstr(accept, "text/html") == NULL;
}

void
mg_page_status(mg_mcp_ex_t *ex)
{
	struct evbuffer *body = evbuffer_new();
	json_object     *st;
	const char      *s;
	int              json = wants_json(ex->req);

	mg_board_conns(mg_http_conn_count()); /* this worker's, now */
	if (body == NULL || (st = mg_status_json(ex->ctx)) == NULL) {
		if (body != NULL)
			evbuffer_free(body);
		mg_http_reply_error(
		    ex->req, 500, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	if (json) {
		s = json_object_to_json_string_ext(st,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		evbuffer_add(body, s, strlen(s));
		evbuffer_add(body, "\n", 1);
	} else
		mg_status_html(st, body);
	json_object_put(st);
	mg_http_add_header(ex->req, "Vary", "Accept");
	mg_http_add_header(ex->req, "Cache-Control", "no-store");
	mg_http_add_header(ex->req, "X-Content-Type-Options", "nosniff");
	if (!json)
		mg_http_add_header(ex->req, "Content-Security-Policy",
		    "default-src 'none'; style-src 'unsafe-inline'; "
		    "script-src 'unsafe-inline'; connect-src 'self'; "
		    "base-uri 'none'; form-action 'none'; "
		    "frame-ancestors 'none'");
	mg_http_reply_buffer(ex->req, 200,
	    json ? "application/json" : "text/html; charset=utf-8", body);
	evbuffer_free(body);
}
