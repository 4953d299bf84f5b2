/*
 * A limit_req zone kept in the limit store (limitstore.h): the question
 * to Redis, asked while the request waits, and the answer given to the
 * row when it runs again.
 */
#include "config.h"

#include "exchange.h"
#include "limitstore.h"
#include "lstore.h"
#include "metrics.h"

static void
on_decided(void *arg, int verdict, int64_t ms)
{
	mg_phase_answer(arg, verdict, ms);
}

int
mg_limit_stored(mg_mcp_ex_t *ex, const mg_limit_zone_t *z, int64_t burst,
    const char *key, size_t len, int64_t *ms)
{
	mg_phase_wait_t *w;
	int              verdict;

	if (mg_phase_answered(ex, &verdict, ms) == MG_OK)
		return verdict;
	if ((w = mg_phase_wait(ex)) != NULL &&
	    mg_lstore_take(z->name, key, len, z->rate, burst, on_decided, w) ==
		MG_AGAIN)
		return MG_AGAIN;
	if (w != NULL)
		mg_phase_wait_cancel(w);
	return MG_DECLINED;
}

int
mg_limit_store_refuses(const mg_mcp_ex_t *ex)
{
	int closed = ex->ctx->conf->limit_store->fail_closed;

	mg_metrics_count(
	    MG_M_LSTORE, closed ? "fail_closed" : "fail_open", NULL);
	return closed;
}
