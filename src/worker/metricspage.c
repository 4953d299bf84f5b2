/*
 * The metrics page (page.h).  Not built yet: helper i21-metrics replaces this
 * file; until then the page says so.
 */
#include "config.h"

#include "exchange.h"
#include "page.h"

void
mg_page_metrics(mg_mcp_ex_t *ex)
{
	mg_http_reply_error(ex->req, 501, MG_RPC_INTERNAL_ERROR,
	    "the metrics page is not built yet");
}
