/*
 * The message phase across an asynchronous row (phase.h): the rows run in
 * order until one waits, the handle its answer comes back with (which
 * outlives the exchange: a client may leave first), and the request taken
 * up again at that row, with its answer.
 */
#include "config.h"

#include <stdlib.h>

#include "exchange.h"
#include "log.h"
#include "phase.h"

struct mg_phase_wait {
	mg_mcp_ex_t *ex; /* NULL once the exchange is freed */
};

/* The rows of the headers' pass come first, those of the message's
 * after them: ex->phase_next counts through both. */
#define PHASE_PASS 64

int
mg_phase_run(
    const mg_phase_message_t *rows, mg_mcp_ex_t *ex, const mg_phase_msg_t *msg)
{
	unsigned base = msg->m != NULL ? PHASE_PASS : 0;
	int      rc;

	for (unsigned i = 0; rows[i] != NULL && i < PHASE_PASS; i++) {
		if (base + i < ex->phase_next)
			continue;
		if ((rc = rows[i](ex, msg)) == MG_ERROR)
			return MG_ERROR;
		if (rc == MG_AGAIN) {
			ex->phase_next = base + i; /* it runs again */
			return MG_AGAIN;
		}
	}
	return MG_OK;
}

mg_phase_wait_t *
mg_phase_wait(mg_mcp_ex_t *ex)
{
	mg_phase_wait_t *w;

	if (ex->wait != NULL || (w = malloc(sizeof(*w))) == NULL)
		return NULL; /* one wait at a time */
	w->ex = ex;
	ex->wait = w;
	return w;
}

void
mg_phase_answer(mg_phase_wait_t *w, int verdict, int64_t value)
{
	mg_mcp_ex_t *ex = w->ex;

	free(w);
	if (ex == NULL) {
		mg_debug("an answer came for a request whose client is gone");
		return; /* freed */
	}
	ex->wait = NULL;
	if (ex->req == NULL)
		return; /* gone, to be freed */
	ex->phase_answered = 1;
	ex->phase_verdict = verdict;
	ex->phase_value = value;
	mg_ex_post(ex);
}

void
mg_phase_wait_cancel(mg_phase_wait_t *w)
{
	if (w->ex != NULL)
		w->ex->wait = NULL;
	free(w);
}

int
mg_phase_answered(mg_mcp_ex_t *ex, int *verdict, int64_t *value)
{
	if (!ex->phase_answered)
		return MG_DECLINED;
	ex->phase_answered = 0;
	*verdict = ex->phase_verdict;
	*value = ex->phase_value;
	return MG_OK;
}

void
mg_phase_wait_drop(mg_mcp_ex_t *ex)
{
	if (ex->wait != NULL)
		ex->wait->ex = NULL;
	ex->wait = NULL;
}
