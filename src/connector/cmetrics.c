/*
 * What the connector counts (metrics.h): exchanges in flight, how long
 * each took upstream and why one failed.  The reason of a failure is read
 * from the message the transports end it with (one table here, not a
 * branch at each place an exchange can fail).
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "connpriv.h"
#include "metrics.h"

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The first row whose words the message holds names the reason. */
static const struct {
	const char *word, *reason;
} reasons[] = {
	{ "timed out", "timeout" },
	{ "timeout", "timeout" },
	{ "TLS", "tls" },
	{ "SSL", "tls" },
	{ "certificate", "tls" },
	{ "connect", "connect" },
	{ "resolv", "connect" },
	{ "answered HTTP", "http_status" },
	{ "(HTTP ", "http_status" },
	{ "spawn", "spawn" },
	{ "exec", "spawn" },
	{ "fork", "spawn" },
	{ "closed", "closed" },
	{ "exited", "closed" },
	{ "reset", "closed" },
	{ "lost", "closed" },
};

const char *
mg_cmetrics_reason(const char *message)
{
	for (size_t i = 0; message != NULL && i < MG_NELEM(reasons); i++)
		if (strstr(message, reasons[i].word) != NULL)
			return reasons[i].reason;
	return "protocol";
}

/* A series of this process stays where it is while the process lives:
 * the busiest ones are kept here, found once. */
static mg_metrics_series_t *inflight;
#define UP_MEMO 64
static struct {
	const mg_upstream_t *up;
	mg_metrics_series_t *dur;
} up_memo[UP_MEMO];

static mg_metrics_series_t *
in_flight(void)
{
	if (inflight == NULL)
		inflight = mg_metrics_static(MG_M_CONN_INFLIGHT, NULL, NULL);
	return inflight;
}

static mg_metrics_series_t *
up_duration(const mg_upstream_t *up)
{
	int i = up->index % UP_MEMO;

	if (up_memo[i].up != up || up_memo[i].dur == NULL) {
		up_memo[i].up = up;
		up_memo[i].dur =
		    mg_metrics_static(MG_M_UP_DURATION, up->name, NULL);
	}
	return up_memo[i].dur;
}

/* At start: what the page must show from its first scrape at 0, for a
 * missing series is "no data" to Prometheus, and a counter that first
 * appears at 1 is an increase it never sees: the gauges of this
 * process, and each stdio server's processes and restarts. */
void
mg_cmetrics_start(const mg_conf_t *conf)
{
	if (!mg_metrics_on())
		return;
	mg_metrics_move(in_flight(), 0);
	mg_metrics_gauge(MG_M_CONN_QUEUED, NULL, 0);
	for (const mg_upstream_t *up = conf->upstreams; up != NULL;
	     up = up->next) {
		if (up->command == NULL)
			continue;
		mg_metrics_gauge(MG_M_STDIO_PROCS, up->name, 0);
		mg_metrics_add(
		    mg_metrics_static(MG_M_STDIO_RESTARTS, up->name, NULL), 0);
	}
}

void
mg_cmetrics_relay_start(relay_t *r)
{
	if (!mg_metrics_on())
		return;
	r->mx_start_us = now_us();
	mg_metrics_move(in_flight(), 1);
}

void
mg_cmetrics_relay_gone(relay_t *r)
{
	(void)r;
	if (!mg_metrics_on())
		return;
	mg_metrics_move(in_flight(), -1);
}

void
mg_cmetrics_relay_end(relay_t *r, int code, const char *message)
{
	const mg_upstream_t *up = mg_connector_upstream(r->c, r->upstream);

	if (up == NULL || !mg_metrics_on())
		return;
	mg_metrics_observe(up_duration(up), now_us() - r->mx_start_us);
	if (code != 0)
		mg_metrics_count(
		    MG_M_UP_ERRORS, up->name, mg_cmetrics_reason(message));
}
