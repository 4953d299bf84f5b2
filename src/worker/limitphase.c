/*
 * limit_req and limit_conn as a row of the message phase: the key of
 * each zone a location names, made of its variables once the method and
 * tool are known; the verdict of the zone's table (limitzone.c); the 429
 * with Retry-After and a JSON-RPC error, the delay of a request within
 * its burst (an event timer, then the message goes on where it stopped),
 * and the calls in flight given back when the exchange ends.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include <event2/event.h>

#include "exchange.h"
#include "limit.h"
#include "limitzone.h"
#include "log.h"
#include "logline.h"
#include "logvar.h"
#include "phase.h"

#define LIMIT_KEY_MAX 512 /* bytes of a key; longer ones are cut */
#define LIMIT_HOLD_MAX 8  /* limit_conn lines at one level (set_limit.c) */

struct mg_limit_hold {
	const mg_limit_zone_t *zone[LIMIT_HOLD_MAX];
	uint64_t               hash[LIMIT_HOLD_MAX];
	int64_t                cell[LIMIT_HOLD_MAX];
	int                    n;
};

/* What the limits judge a message on. */
typedef struct {
	const char           *method; /* in the message, or in hdr */
	char                  hdr[128];
	struct json_object   *id; /* a reference, or NULL */
	int                   id_known;
	const mg_phase_msg_t *msg;
} limit_msg_t;

static int64_t
limit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The key of ZONE for EX into BUF; its length (0: empty, not counted). */
static size_t
limit_key(const mg_limit_zone_t *zone, mg_mcp_ex_t *ex, char *buf)
{
	mg_log_ctx_t c = { .req = ex->req, .ex = ex };
	char         scratch[MG_LOG_SCRATCH];
	const char  *v;
	size_t       n = 0, len;

	for (size_t i = 0; i < zone->key.nparts; i++) {
		const mg_log_part_t *p = &zone->key.parts[i];

		len = p->len < LIMIT_KEY_MAX - n ? p->len : LIMIT_KEY_MAX - n;
		memcpy(buf + n, p->text, len);
		n += len;
		if (p->name == NULL)
			continue;
		len = 0;
		v = ((mg_logvar_fn_t)p->fn)(
		    &c, p->arg, scratch, sizeof(scratch), &len);
		if (v == NULL)
			continue;
		len = len < LIMIT_KEY_MAX - n ? len : LIMIT_KEY_MAX - n;
		memcpy(buf + n, v, len);
		n += len;
	}
	return n;
}

static int
limit_applies(const mg_limit_ref_t *r, const char *method)
{
	for (size_t i = 0; i < r->methods.n; i++)
		if (strcmp(r->methods.v[i], method) == 0)
			return 1;
	return r->methods.n == 0;
}

/* The id of the message, for the error answer: parsed from the body
 * only now, when a 2026-07-28 request on its headers is refused. */
static struct json_object *
limit_id(limit_msg_t *lm)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t err;

	if (lm->id_known)
		return lm->id;
	lm->id_known = 1;
	if (mg_rpc_parse(lm->msg->text, lm->msg->len, &m, &err) == MG_OK) {
		if (m.kind == MG_RPC_REQUEST && m.id != NULL)
			lm->id = json_object_get(m.id);
		mg_rpc_msg_clear(&m);
	} else
		mg_rpc_err_clear(&err);
	return lm->id;
}

/* STATUS, Retry-After, and the JSON-RPC error with the request's id (a
 * notification's has none). */
static void
limit_refuse(mg_mcp_ex_t *ex, limit_msg_t *lm, int status, int64_t retry_ms,
    const char *zone, const char *message)
{
	struct json_object *data = json_object_new_object();
	char                after[24];
	int64_t             s = (retry_ms + 999) / 1000;

	if (s < 1)
		s = 1;
	snprintf(after, sizeof(after), "%lld", (long long)s);
	mg_http_add_header(ex->req, "Retry-After", after);
	json_object_object_add(data, "zone", json_object_new_string(zone));
	json_object_object_add(data, "retryAfter", json_object_new_int64(s));
	mg_ex_refuse_data(
	    ex, status, limit_id(lm), MG_LIMIT_ERR, message, data);
	json_object_put(data);
}

/*
 * A refusal's line, at most one a second per zone (and kind of line) in
 * this worker, with how many were not logged since: a client refused
 * 10,000 times a second must not write 10,000 lines (the access log's
 * $limit_req_status has each one).  Zones share a throttle only when
 * their indexes meet modulo LIMIT_LOG_SLOTS.
 */
#define LIMIT_LOG_SLOTS 64
#define LIMIT_LOG_MS 1000

static struct {
	int64_t  last_ms;
	uint64_t quiet;
} limit_lines[2][LIMIT_LOG_SLOTS];

static int
limit_log_quiet(int kind, const mg_limit_zone_t *z, uint64_t *quiet)
{
	int64_t now = limit_now_ms();
	int     i = z->index % LIMIT_LOG_SLOTS;

	if (limit_lines[kind][i].last_ms != 0 &&
	    now - limit_lines[kind][i].last_ms < LIMIT_LOG_MS) {
		limit_lines[kind][i].quiet++;
		return 1;
	}
	*quiet = limit_lines[kind][i].quiet;
	limit_lines[kind][i].last_ms = now;
	limit_lines[kind][i].quiet = 0;
	return 0;
}

static void
limit_log(mg_mcp_ex_t *ex, int level, const char *what,
    const mg_limit_zone_t *z, const char *key, size_t klen)
{
	uint64_t quiet;

	if (limit_log_quiet(0, z, &quiet))
		return;
	mg_log((mg_log_level_t)level,
	    "%s: %s by zone \"%s\", key \"%.*s\", client %s, method %s "
	    "(%llu more in this zone not logged since the last such line)",
	    ex->loc->path, what, z->name, (int)(klen > 128 ? 128 : klen), key,
	    ex->req ? mg_http_req_peer(ex->req) : "-", ex->rpc_method,
	    (unsigned long long)quiet);
}

static void
limit_delay_done(evutil_socket_t fd, short what, void *arg)
{
	mg_mcp_ex_t *ex = arg;

	(void)fd, (void)what;
	event_free(ex->limit_delay);
	ex->limit_delay = NULL;
	if (ex->req != NULL)
		mg_ex_post(ex); /* again: the limits judged it already */
}

/* limit_req: MG_OK (passed), MG_AGAIN (delayed: a timer goes on with
 * it) or MG_ERROR (refused, answered). */
static int
limit_req(mg_mcp_ex_t *ex, limit_msg_t *lm)
{
	const mg_limit_conf_t *l = &ex->loc->limits;
	const mg_limit_ref_t  *r;
	mg_limit_verdict_t     v, worst = { MG_LIMIT_PASSED, 0, 0 };
	const mg_limit_zone_t *wz = NULL; /* worst's */
	char                   key[LIMIT_KEY_MAX];
	size_t                 n, nrefs = 0;
	int64_t                now = limit_now_ms();
	int                    level = l->log_level - 1, dry = l->dry_run == 2;
	uint64_t               quiet = 0;
	struct timeval         tv;

	for (r = l->req; r != NULL; r = r->next)
		nrefs += limit_applies(r, lm->method);
	/* several zones: each asked first, then all counted, as nginx */
	for (int pass = nrefs > 1 ? 0 : 1; pass < 2; pass++)
		for (r = l->req; r != NULL; r = r->next) {
			if (!limit_applies(r, lm->method) ||
			    (n = limit_key(r->zone, ex, key)) == 0 ||
			    mg_limitreq_take(r->zone, r,
				mg_limitzone_hash(r->zone, key, n), now, pass,
				&v) != MG_OK)
				continue;
			if (v.status == MG_LIMIT_REJECTED) {
				limit_log(ex, level, "limiting requests",
				    r->zone, key, n);
				if (dry) {
					ex->limit_status =
					    MG_LIMIT_REJECTED_DRY_RUN + 1;
					return MG_OK;
				}
				ex->limit_status = MG_LIMIT_REJECTED + 1;
				ex->refusal = "rate_limited";
				limit_refuse(ex, lm, l->req_status, v.retry_ms,
				    r->zone->name, "rate limit exceeded");
				return MG_ERROR;
			}
			if (pass == 1 && v.delay_ms > worst.delay_ms)
				worst = v, wz = r->zone;
			if (ex->limit_status == 0)
				ex->limit_status = MG_LIMIT_PASSED + 1;
		}
	if (worst.status != MG_LIMIT_DELAYED)
		return MG_OK;
	if (level > MG_LOG_DEBUG)
		level--; /* nginx: delays one level below refusals */
	if (wz == NULL || !limit_log_quiet(1, wz, &quiet))
		mg_log((mg_log_level_t)level,
		    "%s: delaying a request %lld ms by zone \"%s\", client "
		    "%s (%llu more in this zone not logged since the last such "
		    "line)",
		    ex->loc->path, (long long)worst.delay_ms,
		    wz ? wz->name : "-",
		    ex->req ? mg_http_req_peer(ex->req) : "-",
		    (unsigned long long)quiet);
	if (dry) {
		ex->limit_status = MG_LIMIT_DELAYED_DRY_RUN + 1;
		return MG_OK;
	}
	ex->limit_status = MG_LIMIT_DELAYED + 1;
	tv.tv_sec = worst.delay_ms / 1000;
	tv.tv_usec = (worst.delay_ms % 1000) * 1000;
	if ((ex->limit_delay =
		    evtimer_new(ex->ctx->base, limit_delay_done, ex)) == NULL ||
	    evtimer_add(ex->limit_delay, &tv) != 0)
		return MG_OK; /* out of memory: served at once */
	return MG_AGAIN;
}

/* limit_conn: MG_OK (counted until the exchange ends) or MG_ERROR. */
static int
limit_conn(mg_mcp_ex_t *ex, limit_msg_t *lm)
{
	const mg_limit_conf_t *l = &ex->loc->limits;
	char                   key[LIMIT_KEY_MAX];
	size_t                 n;
	uint64_t               h;
	int64_t                cell;
	int                    rc;

	for (const mg_limit_ref_t *r = l->conn; r != NULL; r = r->next) {
		if (!limit_applies(r, lm->method) ||
		    (n = limit_key(r->zone, ex, key)) == 0)
			continue;
		h = mg_limitzone_hash(r->zone, key, n);
		if ((rc = mg_limitconn_acquire(r->zone, h, r->conn,
			 limit_now_ms(), &cell)) == MG_BUSY) {
			limit_log(ex, l->log_level - 1, "limiting calls",
			    r->zone, key, n);
			mg_ex_limits_end(ex);
			ex->refusal = "concurrency_limited";
			limit_refuse(ex, lm, l->conn_status, 1000,
			    r->zone->name, "concurrency limit exceeded");
			return MG_ERROR;
		}
		if (rc != MG_OK)
			continue;
		if (ex->limit_hold == NULL &&
		    (ex->limit_hold = calloc(1, sizeof(*ex->limit_hold))) ==
			NULL) {
			mg_limitconn_release(r->zone, h, cell);
			continue;
		}
		ex->limit_hold->zone[ex->limit_hold->n] = r->zone;
		ex->limit_hold->cell[ex->limit_hold->n] = cell;
		ex->limit_hold->hash[ex->limit_hold->n++] = h;
	}
	return MG_OK;
}

/* A batch (2025-03-26) counts as one request, by its first element. */
static int
limit_batch(mg_mcp_ex_t *ex, const mg_rpc_msg_t *m, limit_msg_t *lm)
{
	struct json_object *e = json_object_array_get_idx(m->root, 0), *v;

	lm->id_known = 1;
	if (e == NULL || !json_object_object_get_ex(e, "method", &v) ||
	    !json_object_is_type(v, json_type_string))
		return MG_DECLINED;
	lm->method = json_object_get_string(v);
	mg_ex_copy_token(ex->rpc_method, sizeof(ex->rpc_method), lm->method);
	return MG_OK;
}

/*
 * What the message is: a 2026-07-28 request by its routing headers; a
 * parsed message (the first request of a batch stands for it); or, on
 * a route without mcp_allow or mcp_deny (whose body is then not parsed),
 * a peek at the body.  MG_DECLINED: not yet (the parsed message comes),
 * or nothing to limit (a response).
 */
static int
limit_what(mg_mcp_ex_t *ex, const mg_phase_msg_t *msg, limit_msg_t *lm)
{
	const mg_era_headers_t *h = msg->h;
	mg_rpc_peek_t          *pk;
	const mg_rpc_msg_t     *m = msg->m;

	if (m != NULL) {
		if (m->kind == MG_RPC_BATCH)
			return limit_batch(ex, m, lm);
		if (m->method == NULL)
			return MG_DECLINED; /* a response */
		mg_ex_note(ex, m);
		lm->method = m->method;
		lm->id =
		    m->kind == MG_RPC_REQUEST ? json_object_get(m->id) : NULL;
		lm->id_known = 1;
		return MG_OK;
	}
	if (h->version != NULL && h->method != NULL &&
	    strcmp(h->version, MG_ERA_2026) == 0) {
		if (mg_era_header_value(h->method, lm->hdr, sizeof(lm->hdr)) !=
		    MG_OK)
			return MG_DECLINED;
		lm->method = lm->hdr;
		mg_ex_note_headers(ex, h);
		return MG_OK;
	}
	if (ex->loc->rules != NULL)
		return MG_AGAIN; /* after the rules, on the parsed message */
	/* neither methods= nor an $mcp_ variable: every POST counts, judged
	 * unread (its id is read only for a refusal) */
	if (!ex->loc->limits.need_msg)
		return MG_OK;
	/* kept for the plain relay, which would look again (relay.c) */
	if ((pk = malloc(sizeof(*pk))) == NULL)
		return MG_AGAIN;
	if (mg_rpc_peek(msg->text, msg->len, pk) != MG_OK) {
		free(pk);
		return MG_AGAIN;
	}
	ex->limit_peek = pk;
	lm->method = pk->method;
	mg_ex_copy_token(ex->rpc_method, sizeof(ex->rpc_method), pk->method);
	if (pk->name != NULL)
		mg_ex_copy_token_n(
		    ex->tool, sizeof(ex->tool), pk->name, pk->name_len);
	lm->id = json_object_get(pk->id);
	lm->id_known = 1;
	return MG_OK;
}

int
mg_limit_phase(mg_mcp_ex_t *ex, const mg_phase_msg_t *msg)
{
	const mg_limit_conf_t *l = &ex->loc->limits;
	limit_msg_t            lm = { .method = "", .msg = msg };
	int                    rc;

	if ((l->req == NULL && l->conn == NULL) || ex->limit_judged)
		return MG_DECLINED;
	if ((rc = limit_what(ex, msg, &lm)) == MG_AGAIN)
		return MG_DECLINED; /* judged on the parsed message */
	ex->limit_judged = 1;
	if (rc != MG_OK)
		return MG_DECLINED;
	rc = limit_req(ex, &lm);
	/* a delayed request holds its place in flight while it waits (a
	 * refusal here frees the timer with the counts) */
	if (rc != MG_ERROR && limit_conn(ex, &lm) != MG_OK)
		rc = MG_ERROR;
	json_object_put(lm.id);
	/* a delayed request stops here; its timer takes it on */
	return rc == MG_OK ? MG_OK : MG_ERROR;
}

void
mg_ex_limits_end(mg_mcp_ex_t *ex)
{
	struct mg_limit_hold *h = ex->limit_hold;

	if (ex->limit_delay != NULL) {
		event_free(ex->limit_delay);
		ex->limit_delay = NULL;
	}
	if (ex->limit_peek != NULL) {
		mg_rpc_peek_clear(ex->limit_peek);
		free(ex->limit_peek);
		ex->limit_peek = NULL;
	}
	if (h == NULL)
		return;
	for (int i = 0; i < h->n; i++)
		mg_limitconn_release(h->zone[i], h->hash[i], h->cell[i]);
	free(h);
	ex->limit_hold = NULL;
}

const char *
mg_limit_status_of(const mg_mcp_ex_t *ex)
{
	if (ex == NULL || ex->limit_status == 0)
		return NULL;
	return mg_limit_status_names[ex->limit_status - 1];
}
