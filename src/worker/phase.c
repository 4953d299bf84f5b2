/*
 * The phase tables of a request on an MCP endpoint (phase.h says what
 * each phase is for), and the two entry points that run them: on the
 * headers, and on the whole request.  The end of every request, answered
 * or not, is the log phase.
 */
#include "config.h"

#include <stdio.h>

#include "accesslog.h"
#include "board.h"
#include "exchange.h"
#include "page.h"
#include "phase.h"

/* As soon as the headers are in: nothing of the body is read yet. */
static const mg_phase_headers_t headers_phase[] = { mg_ex_check_tls_server,
	mg_ex_check_client_cert, NULL };

/* The version is negotiated where it always was (phase.h, version.c). */
/* The trace first: a request refused here is logged with its ids too. */
static const mg_phase_handler_t head_phase[] = { mg_ex_trace_begin,
	mg_ex_check_host, mg_ex_check_origin, mg_ex_negotiate_version,
	mg_ex_check_hops, NULL };

/* Who the client is: a certificate, a bearer token or an API key, in
 * the route's auth_order (access.c). */
static const mg_phase_handler_t access_phase[] = { mg_ex_access, NULL };

static const struct {
	mg_http_method_t   method;
	mg_phase_content_t handler;
} content_phase[] = {
	{ MG_HTTP_POST, mg_ex_post },
	{ MG_HTTP_GET, mg_ex_get },
	{ MG_HTTP_DELETE, mg_ex_delete },
};

static void log_access(
    mg_mcp_ctx_t *ctx, mg_http_req_t *req, const mg_mcp_ex_t *ex);
static void log_board(
    mg_mcp_ctx_t *ctx, mg_http_req_t *req, const mg_mcp_ex_t *ex);

/* Metrics go here. */
static const mg_phase_log_t log_phase[] = { log_access, mg_wmetrics_log,
	log_board, NULL };

int
mg_mcp_headers(
    mg_http_req_t *req, const mg_server_t *srv, struct ssl_ctx_st *server_tls)
{
	for (const mg_phase_headers_t *h = headers_phase; *h != NULL; h++)
		if ((*h)(req, srv, server_tls) == MG_ERROR)
			return MG_ERROR;
	return MG_OK;
}

static int
run(const mg_phase_handler_t *phase, mg_mcp_ex_t *ex)
{
	for (const mg_phase_handler_t *h = phase; *h != NULL; h++)
		if ((*h)(ex) == MG_ERROR)
			return MG_ERROR;
	return MG_OK;
}

static void
content(mg_mcp_ex_t *ex)
{
	mg_http_method_t method = mg_http_req_method(ex->req);

	if (ex->loc->page != NULL) { /* not an MCP endpoint (page.h) */
		mg_page_serve(ex);
		return;
	}
	for (size_t i = 0; i < MG_NELEM(content_phase); i++)
		if (content_phase[i].method == method) {
			content_phase[i].handler(ex);
			return;
		}
	mg_http_add_header(ex->req, "Allow", "GET, POST, DELETE");
	mg_ex_refuse(
	    ex, 405, NULL, MG_RPC_INVALID_REQUEST, "Method Not Allowed");
}

void
mg_mcp_handle(mg_mcp_ctx_t *ctx, mg_http_req_t *req, const mg_server_t *srv,
    const mg_location_t *loc, int loopback)
{
	mg_mcp_ex_t *ex = mg_ex_new(ctx, req, srv, loc);

	if (ex == NULL) {
		mg_http_reply_error(
		    req, 500, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	ex->loopback = loopback;
	if (run(head_phase, ex) != MG_OK || run(access_phase, ex) != MG_OK)
		return;
	content(ex);
}

/* The variables find what they need in the request and its exchange
 * (logvar.c): nothing is gathered for a line that nobody writes. */
static void
log_access(mg_mcp_ctx_t *ctx, mg_http_req_t *req, const mg_mcp_ex_t *ex)
{
	mg_log_ctx_t c = { .req = req, .ex = ex };

	mg_accesslog_write(ex ? &ex->loc->http : &ctx->conf->http, &c);
}

/* The status page's last minute (board.h): an error is an answer with
 * HTTP status >= 500, or one carrying a JSON-RPC error of mcpgw's. */
static void
log_board(mg_mcp_ctx_t *ctx, mg_http_req_t *req, const mg_mcp_ex_t *ex)
{
	if (!ctx->conf->status_page) /* nobody reads the rates */
		return;
	mg_board_request(mg_http_req_status(req) >= 500 ||
		(ex != NULL && ex->rpc_error != 0),
	    mg_http_req_end_us(req));
	mg_board_conns(mg_http_conn_count());
}

void
mg_mcp_done(mg_mcp_ctx_t *ctx, mg_http_req_t *req)
{
	mg_mcp_ex_t *ex = mg_http_req_data(req);

	for (const mg_phase_log_t *h = log_phase; *h != NULL; h++)
		(*h)(ctx, req, ex);
	if (ex == NULL)
		return;
	mg_http_req_set_data(req, NULL);
	if (ex->dropped)
		return; /* it lives on without this request */
	ex->req = NULL;
	mg_ex_free(ex);
}
