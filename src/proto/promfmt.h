/*
 * The exposition formats of a scrape (pure: no I/O): the Prometheus text
 * format 0.0.4, and OpenMetrics 1.0.0 when the scraper asks for it.
 */
#ifndef MG_PROMFMT_H
#define MG_PROMFMT_H

#include "metrics.h"

struct evbuffer;

#define MG_PROM_TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define MG_PROM_OM_TYPE                                                        \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

/* Whether an Accept header value asks for OpenMetrics (a media range
 * application/openmetrics-text with a q above 0). */
int mg_prom_wants_openmetrics(const char *accept);

/* Write SUM (sorted: mg_metrics_sum_sort) to OUT with the families of
 * mg_metric_defs; OPENMETRICS: that format, ended by "# EOF".  MG_OK, or
 * MG_ERROR (out of memory). */
int mg_prom_render(
    struct evbuffer *out, const mg_metrics_sum_t *sum, int openmetrics);

/* A label value between its quotes: \ " and newline escaped. */
int mg_prom_label_value(struct evbuffer *out, const char *v, size_t len);
/* HELP text: \ and newline escaped (and " in OpenMetrics). */
int mg_prom_help(struct evbuffer *out, const char *v, int openmetrics);

#endif
