/*
 * Metrics counted in shared memory (docs/observability.md, "Metrics").
 *
 * The master maps one region before its first fork.  It holds a slot per
 * process: slot 0 "retired" (what exited processes counted), slot 1 the
 * master's own, the others claimed by the master for each child it forks
 * and handed to it.  Each slot is written by one process only, with plain
 * relaxed atomic stores of aligned 64-bit words: no lock, no system call.
 * A slot is a fixed-size open-addressing table of series, keyed by the
 * metric and its label values; a new series is published by a release
 * store of its "used" word after its key is written.
 *
 * A scrape sums every slot at once (mg_metrics_sum).  When a child exits,
 * the master folds its counters and histograms into the retired slot and
 * frees the slot (mg_metrics_release); gauges go with their process.  The
 * master bumps a sequence word around a fold: a scrape that saw it move
 * reads again, so nothing is counted twice or lost.
 *
 * On the hot path a process finds its series in a private cache, by two
 * words the caller makes of small integers and pointers of its own
 * (mg_metrics_find); only the first use of a series builds its labels
 * (mg_metrics_series).
 */
#ifndef MG_METRICS_H
#define MG_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "mcpgw.h"

typedef enum {
	MG_MT_COUNTER = 0,
	MG_MT_GAUGE,
	MG_MT_HISTOGRAM
} mg_metric_type_t;

/* Every metric, in the order the page shows them (metricdefs.c). */
typedef enum {
	MG_M_BUILD_INFO = 0,
	MG_M_START_TIME,
	MG_M_GENERATION,
	MG_M_PROCESSES,
	MG_M_PROC_RESTARTS,
	MG_M_RELOADS,
	MG_M_LAST_RELOAD,
	MG_M_HTTP_REQUESTS,
	MG_M_HTTP_DURATION,
	MG_M_HTTP_RECEIVED,
	MG_M_HTTP_SENT,
	MG_M_REFUSALS,
	MG_M_TOOL_CALLS,
	MG_M_TOOL_DURATION,
	MG_M_SESSIONS,
	MG_M_OPEN_STREAMS,
	MG_M_CONN_INFLIGHT,
	MG_M_CONN_QUEUED,
	MG_M_UP_DURATION,
	MG_M_UP_ERRORS,
	MG_M_STDIO_PROCS,
	MG_M_STDIO_RESTARTS,
	MG_M_SERIES_DROPPED,
	MG_M_NOSLOT,
	MG_M_POOL_EXCHANGES,
	MG_M_POOL_FAILURES,
	MG_M_POOL_OUT,
	MG_M_COUNT
} mg_metric_id_t;

#define MG_METRICS_MAX_LABELS 4
#define MG_METRICS_MAX_BUCKETS 12 /* finite bounds of a histogram */
/* the label values of a series, each ended by a NUL; a longer value is
 * cut to fit */
#define MG_METRICS_LABEL_BYTES 192
/* a histogram: its buckets (the last one +Inf), then the sum in us */
#define MG_METRICS_NVALUES (MG_METRICS_MAX_BUCKETS + 2)

typedef struct {
	const char        *name; /* counters: with _total */
	const char        *help;
	mg_metric_type_t   type;
	int                nlabels;
	const char        *labels[MG_METRICS_MAX_LABELS];
	int                nbuckets;  /* histograms */
	const int64_t     *bucket_us; /* their bounds, in microseconds */
	const char *const *bucket_le; /* the same, as "le" shows them */
} mg_metric_def_t;

extern const mg_metric_def_t mg_metric_defs[MG_M_COUNT];

typedef struct {
	uint64_t used; /* 0 free; 1 published (release store) */
	uint32_t metric;
	uint32_t hash;
	uint64_t v[MG_METRICS_NVALUES];
	char     labels[MG_METRICS_LABEL_BYTES];
} mg_metrics_series_t;

/* The slots the master gives itself and the retired counts. */
#define MG_METRICS_SLOT_RETIRED 0
#define MG_METRICS_SLOT_MASTER 1

/* ---- the master ------------------------------------------------------ */

/* Map NSLOTS slots of NSERIES series each (before the first fork); the
 * master then counts into MG_METRICS_SLOT_MASTER.  MG_OK, or MG_ERROR
 * (errno). */
int mg_metrics_init(int nslots, int nseries);
/* A free slot for a child about to be forked, or -1 when there is none
 * (the child counts nothing; the first time, *FIRST is set to 1). */
int mg_metrics_claim(int *first);
/* The child of SLOT is gone: fold its counters and histograms into the
 * retired slot, drop its gauges, and free the slot. */
void mg_metrics_release(int slot);
/* Slots and series per slot, as mapped (0 before mg_metrics_init). */
int mg_metrics_nslots(void);
int mg_metrics_nseries(void);

/* ---- every process ---------------------------------------------------- */

/* In a child, at start: count into SLOT (-1: count nothing).  Sets up the
 * private cache; MG_OK, or MG_ERROR (out of memory: counts nothing). */
int mg_metrics_use(int slot);

/* The private cache (metrics.c), inline for the hot path: NULL when
 * this process counts nothing. */
typedef struct {
	uint64_t             k1, k2;
	mg_metrics_series_t *s;
} mg_metrics_cache_ent_t;
extern mg_metrics_cache_ent_t *mg_metrics_cache;
extern size_t                  mg_metrics_cache_mask;

static inline size_t
mg_metrics_cache_at(uint64_t k1, uint64_t k2)
{
	uint64_t h =
	    (k1 ^ (k2 * 0x9E3779B97F4A7C15ULL)) * 0xBF58476D1CE4E5B9ULL;

	return (size_t)(h >> 40) & mg_metrics_cache_mask;
}

/* Whether this process counts: the hot path's first test, so that a
 * configuration without a metrics page pays nothing. */
static inline int
mg_metrics_on(void)
{
	return mg_metrics_cache != NULL;
}

/* The series the caller cached under (K1, K2), or NULL. */
static inline mg_metrics_series_t *
mg_metrics_find(uint64_t k1, uint64_t k2)
{
	mg_metrics_cache_ent_t *c = mg_metrics_cache;
	size_t                  i;

	if (c == NULL)
		return NULL;
	for (i = mg_metrics_cache_at(k1, k2); c[i].s != NULL;
	     i = (i + 1) & mg_metrics_cache_mask)
		if (c[i].k1 == k1 && c[i].k2 == k2)
			return c[i].s;
	return NULL;
}

/* The slow path of mg_metrics_series: the series created (or found in
 * the slot) and cached. */
mg_metrics_series_t *mg_metrics_series_new(
    uint64_t k1, uint64_t k2, int metric, const char *const *values);

/* The series of METRIC with label VALUES (as many as the metric has; NULL
 * counts as ""), created if need be and cached under (K1, K2).  NULL when
 * this process counts nothing, or its table is full (then counted in
 * mcpgw_metrics_series_dropped_total). */
static inline mg_metrics_series_t *
mg_metrics_series(
    uint64_t k1, uint64_t k2, int metric, const char *const *values)
{
	mg_metrics_series_t *s = mg_metrics_find(k1, k2);

	return s != NULL ? s : mg_metrics_series_new(k1, k2, metric, values);
}

/* The same for labels that are static strings or none: keyed by their
 * addresses (distinct static strings have distinct ones) and the metric. */
static inline mg_metrics_series_t *
mg_metrics_static(int metric, const char *v0, const char *v1)
{
	const char *const v[2] = { v0, v1 };
	uint64_t k2 = ((uint64_t)(uintptr_t)v1 << 8) | (uint64_t)metric;

	return mg_metrics_series(
	    (uint64_t)(uintptr_t)v0, k2 | (1ULL << 63), metric, v);
}

static inline uint64_t
mg_metrics_load(const uint64_t *w)
{
	return __atomic_load_n(w, __ATOMIC_RELAXED);
}

/* Single writer: a load and a store, no read-modify-write. */
static inline void
mg_metrics_add(mg_metrics_series_t *s, uint64_t n)
{
	if (s != NULL)
		__atomic_store_n(
		    &s->v[0], mg_metrics_load(&s->v[0]) + n, __ATOMIC_RELAXED);
}

static inline void
mg_metrics_set(mg_metrics_series_t *s, int64_t v)
{
	if (s != NULL)
		__atomic_store_n(&s->v[0], (uint64_t)v, __ATOMIC_RELAXED);
}

/* A gauge up or down (DELTA may be negative). */
static inline void
mg_metrics_move(mg_metrics_series_t *s, int64_t delta)
{
	mg_metrics_add(s, (uint64_t)delta);
}

/* One observation of US microseconds in histogram series S (inline: two
 * a request on the hot path). */
static inline void
mg_metrics_observe(mg_metrics_series_t *s, int64_t us)
{
	const mg_metric_def_t *d;
	int                    b = 0;

	if (s == NULL)
		return;
	d = &mg_metric_defs[s->metric];
	while (b < d->nbuckets && us > d->bucket_us[b])
		b++;
	if (us < 0)
		us = 0;
	__atomic_store_n(
	    &s->v[b], mg_metrics_load(&s->v[b]) + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->v[MG_METRICS_NVALUES - 1],
	    mg_metrics_load(&s->v[MG_METRICS_NVALUES - 1]) + (uint64_t)us,
	    __ATOMIC_RELAXED);
}

/* Shortcuts for static labels (mg_metrics_static). */
void mg_metrics_count(int metric, const char *v0, const char *v1);
void mg_metrics_gauge(int metric, const char *v0, int64_t delta);

/* ---- a scrape ----------------------------------------------------------- */

/* One series summed over every slot. */
typedef struct {
	int      metric;
	char     labels[MG_METRICS_LABEL_BYTES];
	uint64_t v[MG_METRICS_NVALUES];
} mg_metrics_row_t;

typedef struct {
	mg_metrics_row_t *rows; /* sorted by metric, then labels */
	size_t            n, cap;
	size_t           *index; /* open addressing into rows */
	size_t            index_cap;
} mg_metrics_sum_t;

/* Sum every slot now (retrying while a fold moves counts between slots).
 * MG_OK, or MG_ERROR (out of memory). */
int mg_metrics_sum(mg_metrics_sum_t *sum);
/* Add V to METRIC{VALUES} of SUM (a scrape-time gauge); MG_OK or
 * MG_ERROR. */
int mg_metrics_sum_add(
    mg_metrics_sum_t *sum, int metric, const char *const *values, int64_t v);
/* Sort SUM's rows for the page (after the last mg_metrics_sum_add). */
void mg_metrics_sum_sort(mg_metrics_sum_t *sum);
void mg_metrics_sum_free(mg_metrics_sum_t *sum);

/* Write VALUES as a series' labels into OUT; used by the tests too. */
void mg_metrics_labels_pack(char *out, int n, const char *const *values);

/* For tests: forget the region (the process's mapping stays). */
void mg_metrics_reset_for_tests(void);

#endif
