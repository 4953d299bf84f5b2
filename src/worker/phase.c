/*
 * The phases of a request on an MCP endpoint, as nginx has them.
 */
#include "config.h"

#include <stdio.h>

#include "accesslog.h"
#include "exchange.h"

void
mg_mcp_handle(mg_mcp_ctx_t *ctx, mg_http_req_t *req, const mg_server_t *srv,
    const mg_location_t *loc, int loopback)
{
	mg_mcp_ex_t *ex = ex_new(ctx, req, srv, loc);

	if (ex == NULL) {
		mg_http_reply_error(
		    req, 500, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	if (ex_check_common(ex, loopback) != MG_OK ||
	    ex_check_hops(ex) != MG_OK)
		return;
	switch (mg_http_req_method(req)) {
	case MG_HTTP_POST: ex_post(ex); break;
	case MG_HTTP_GET: ex_get(ex); break;
	case MG_HTTP_DELETE: ex_delete(ex); break;
	default:
		mg_http_add_header(req, "Allow", "GET, POST, DELETE");
		ex_refuse(ex, 405, NULL, MG_RPC_INVALID_REQUEST,
		    "Method Not Allowed");
		break;
	}
}

void
mg_mcp_done(mg_mcp_ctx_t *ctx, mg_http_req_t *req)
{
	mg_mcp_ex_t         *ex = mg_http_req_data(req);
	mg_accesslog_entry_t e = { 0 };
	char                 sid[17];

	e.req = req;
	if (ex != NULL) {
		e.server = ex->srv->nnames ? ex->srv->names[0] : NULL;
		e.location = ex->loc->path;
		if (ex->session) {
			snprintf(sid, sizeof(sid), "%08llx",
			    (unsigned long long)(ex->session >> 32));
			e.session = sid;
		}
		e.rpc_method = ex->rpc_method[0] ? ex->rpc_method : NULL;
		e.tool = ex->tool[0] ? ex->tool : NULL;
		e.rpc_error = ex->rpc_error;
		mg_accesslog_write(&ex->loc->http, &e);
		mg_http_req_set_data(req, NULL);
		if (ex->dropped)
			return; /* it lives on without this request */
		ex->req = NULL;
		ex_free(ex);
		return;
	}
	mg_accesslog_write(&ctx->conf->http, &e);
}
