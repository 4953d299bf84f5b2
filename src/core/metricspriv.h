/*
 * The layout of the shared metrics region, for metrics.c (the writers
 * and the master) and metricsum.c (a scrape).  Private to core/.
 */
#ifndef MG_METRICSPRIV_H
#define MG_METRICSPRIV_H

#include "metrics.h"

typedef struct {
	uint64_t seq;     /* odd while the master folds a slot */
	uint32_t nslots;  /* slots after this header */
	uint32_t nseries; /* series in each slot */
	uint64_t pad[6];
} mg_metrics_region_t;

typedef struct {
	uint64_t            taken;   /* written by the master only */
	uint64_t            nused;   /* series published */
	uint64_t            dropped; /* series that found no room */
	uint64_t            pad[5];
	mg_metrics_series_t series[];
} mg_metrics_slot_t;

extern mg_metrics_region_t *mg_metrics_region;

size_t             mg_metrics_slot_bytes(int nseries);
mg_metrics_slot_t *mg_metrics_slot(int i);
uint32_t           mg_metrics_hash(int metric, const char *labels);
/* The series of METRIC{LABELS} in SL, or NULL; CREATE: add it (only
 * SL's writer may), NULL when SL is full. */
mg_metrics_series_t *mg_metrics_slot_lookup(
    mg_metrics_slot_t *sl, int metric, const char *labels, int create);

#endif
