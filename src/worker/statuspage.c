/*
 * The status page (page.h).  Not built yet: helper i21-status replaces this
 * file; until then the page says so.
 */
#include "config.h"

#include "exchange.h"
#include "page.h"

void
mg_page_status(mg_mcp_ex_t *ex)
{
	mg_http_reply_error(ex->req, 501, MG_RPC_INTERNAL_ERROR,
	    "the status page is not built yet");
}
