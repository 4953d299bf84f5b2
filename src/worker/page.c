/*
 * The content phase of a page location (page.h): one row per page, named
 * by the directive that configures it.
 */
#include "config.h"

#include <string.h>

#include "exchange.h"
#include "page.h"

static const struct {
	const char *name; /* the directive */
	void (*serve)(mg_mcp_ex_t *ex);
} pages[] = {
	{ "metrics", mg_page_metrics },
	{ "status", mg_page_status },
};

void
mg_page_serve(mg_mcp_ex_t *ex)
{
	mg_http_method_t method = mg_http_req_method(ex->req);

	if (method != MG_HTTP_GET && method != MG_HTTP_HEAD) {
		mg_http_add_header(ex->req, "Allow", "GET, HEAD");
		mg_http_reply(ex->req, 405, "text/plain; charset=utf-8",
		    "Method Not Allowed: this page answers GET\n",
		    strlen("Method Not Allowed: this page answers GET\n"));
		return;
	}
	for (size_t i = 0; i < MG_NELEM(pages); i++)
		if (strcmp(pages[i].name, ex->loc->page) == 0) {
			pages[i].serve(ex);
			return;
		}
	/* the configuration knows no other page */
	mg_http_reply_error(
	    ex->req, 500, MG_RPC_INTERNAL_ERROR, "unknown page");
}
