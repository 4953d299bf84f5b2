/*
 * A rate limit held in the limit store (limitstore.h): the question to
 * Redis while the request waits, and the answer made a verdict: admitted,
 * refused with 429, or, when the store cannot say, its fail= policy.
 */
#include "config.h"

#include <stdio.h>

#include "exchange.h"
#include "limit.h"
#include "limitstore.h"
#include "lstore.h"
#include "metrics.h"

static void
on_decided(void *arg, int verdict, int64_t ms)
{
	mg_phase_answer(arg, verdict, ms);
}

/* The id of the request refused: the parsed message's, or (2026-07-28,
 * judged on its headers) the body's, parsed for it. */
static void
refuse(mg_mcp_ex_t *ex, const mg_phase_msg_t *msg, int status, const char *why)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t err;

	if (msg->m != NULL) {
		mg_ex_refuse(ex, status,
		    msg->m->kind == MG_RPC_REQUEST ? msg->m->id : NULL,
		    MG_LIMIT_ERR, why);
		return;
	}
	if (mg_rpc_parse(msg->text, msg->len, &m, &err) == MG_OK) {
		mg_ex_note(ex, &m);
		mg_ex_refuse(ex, status, m.kind == MG_RPC_REQUEST ? m.id : NULL,
		    MG_LIMIT_ERR, why);
		mg_rpc_msg_clear(&m);
	} else {
		mg_ex_refuse(ex, status, err.id, MG_LIMIT_ERR, why);
		mg_rpc_err_clear(&err);
	}
}

static int
refuse_busy(mg_mcp_ex_t *ex, const mg_phase_msg_t *msg,
    const mg_limit_stored_t *z, int64_t ms)
{
	char after[24], why[160];

	/* whole seconds, rounded up: at least 1 */
	snprintf(after, sizeof(after), "%lld",
	    (long long)(ms <= 0 ? 1 : (ms + 999) / 1000));
	mg_http_add_header(ex->req, "Retry-After", after);
	snprintf(why, sizeof(why),
	    "Too Many Requests: the rate limit of zone \"%.64s\" is reached; "
	    "retry after %lld ms",
	    z->zone, (long long)ms);
	ex->refusal = "limit_req";
	refuse(ex, msg, 429, why);
	return MG_ERROR;
}

/* The store did not answer: the limit_store's fail= says. */
static int
unavailable(
    mg_mcp_ex_t *ex, const mg_phase_msg_t *msg, const mg_limit_stored_t *z)
{
	char why[160];

	if (!ex->ctx->conf->limit_store->fail_closed) {
		mg_metrics_count(MG_M_LSTORE, "fail_open", NULL);
		return MG_OK;
	}
	mg_metrics_count(MG_M_LSTORE, "fail_closed", NULL);
	mg_http_add_header(ex->req, "Retry-After", "1");
	snprintf(why, sizeof(why),
	    "Service Unavailable: the limit store of zone \"%.64s\" cannot be "
	    "reached",
	    z->zone);
	ex->refusal = "limit_store";
	refuse(ex, msg, 503, why);
	return MG_ERROR;
}

int
mg_ex_limit_stored(mg_mcp_ex_t *ex, const mg_phase_msg_t *msg,
    const mg_limit_stored_t *z, const char *key, size_t len)
{
	mg_phase_wait_t *w;
	int              verdict;
	int64_t          ms;

	if (mg_phase_answered(ex, &verdict, &ms) != MG_OK) {
		if ((w = mg_phase_wait(ex)) != NULL &&
		    mg_lstore_take(z->zone, key, len, z->rate, z->burst,
			on_decided, w) == MG_AGAIN)
			return MG_AGAIN;
		if (w != NULL)
			mg_phase_wait_cancel(w);
		verdict = MG_DECLINED;
	}
	if (verdict == MG_OK)
		return MG_OK;
	if (verdict == MG_BUSY)
		return refuse_busy(ex, msg, z, ms);
	return unavailable(ex, msg, z);
}
