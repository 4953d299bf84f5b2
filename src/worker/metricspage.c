/*
 * The metrics page (page.h): every process's slot summed now
 * (metrics.h), with the gauges read at scrape time from shared state (the
 * session table) and the build, in the Prometheus text format or, when
 * the scraper's Accept asks for it, OpenMetrics (promfmt.h).
 */
#include "config.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json_c_version.h>
#include <openssl/crypto.h>

#include "exchange.h"
#include "metrics.h"
#include "page.h"
#include "promfmt.h"
#include "sesstab.h"

static int
scrape_gauges(mg_metrics_sum_t *sum, const mg_mcp_ex_t *ex)
{
	const char *build[4] = { PACKAGE_VERSION,
		OpenSSL_version(OPENSSL_VERSION), event_get_version(),
		json_c_version() };

	if (mg_metrics_sum_add(sum, MG_M_BUILD_INFO, build, 1) != MG_OK)
		return MG_ERROR;
	return mg_metrics_sum_add(sum, MG_M_SESSIONS, NULL,
	    (int64_t)mg_sesstab_live(ex->ctx->sessions));
}

void
mg_page_metrics(mg_mcp_ex_t *ex)
{
	mg_metrics_sum_t sum = { 0 };
	struct evbuffer *out = evbuffer_new();
	int              om =
	    mg_prom_wants_openmetrics(mg_http_req_header(ex->req, "Accept"));

	if (out == NULL || mg_metrics_sum(&sum) != MG_OK ||
	    scrape_gauges(&sum, ex) != MG_OK ||
	    (mg_metrics_sum_sort(&sum), mg_prom_render(out, &sum, om)) !=
		MG_OK) {
		mg_metrics_sum_free(&sum);
		if (out != NULL)
			evbuffer_free(out);
		mg_http_reply_error(
		    ex->req, 500, MG_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	mg_metrics_sum_free(&sum);
	mg_http_add_header(ex->req, "Cache-Control", "no-store");
	mg_http_reply_buffer(
	    ex->req, 200, om ? MG_PROM_OM_TYPE : MG_PROM_TEXT_TYPE, out);
	evbuffer_free(out);
}
