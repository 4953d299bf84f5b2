/*
 * A scrape (metrics.h): every slot summed into a private table of rows,
 * read again while the master folds a slot, then sorted for the page.
 */
#include "config.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "metricspriv.h"

/* Reads of a scrape that a fold may spoil before it takes the last. */
#define SUM_TRIES 100

static int
sum_grow(mg_metrics_sum_t *sum)
{
	size_t            cap = sum->cap ? sum->cap * 2 : 256;
	mg_metrics_row_t *rows = realloc(sum->rows, cap * sizeof(*rows));
	size_t           *index;

	if (rows == NULL)
		return MG_ERROR;
	sum->rows = rows;
	sum->cap = cap;
	if ((index = calloc(cap * 2, sizeof(*index))) == NULL)
		return MG_ERROR;
	free(sum->index);
	sum->index = index;
	sum->index_cap = cap * 2;
	/* index entries are row numbers plus one; 0 is empty */
	for (size_t r = 0; r < sum->n; r++) {
		size_t i =
		    mg_metrics_hash(sum->rows[r].metric, sum->rows[r].labels) &
		    (sum->index_cap - 1);

		while (sum->index[i] != 0)
			i = (i + 1) & (sum->index_cap - 1);
		sum->index[i] = r + 1;
	}
	return MG_OK;
}

/* The row of METRIC{LABELS}, added (zero) if need be; NULL: no memory. */
static mg_metrics_row_t *
sum_row(mg_metrics_sum_t *sum, int metric, const char *labels)
{
	size_t i;

	if (sum->n >= sum->cap && sum_grow(sum) != MG_OK)
		return NULL;
	i = mg_metrics_hash(metric, labels) & (sum->index_cap - 1);
	for (; sum->index[i] != 0; i = (i + 1) & (sum->index_cap - 1)) {
		mg_metrics_row_t *r = &sum->rows[sum->index[i] - 1];

		if (r->metric == metric &&
		    memcmp(r->labels, labels, MG_METRICS_LABEL_BYTES) == 0)
			return r;
	}
	sum->rows[sum->n] = (mg_metrics_row_t){ .metric = metric };
	memcpy(sum->rows[sum->n].labels, labels, MG_METRICS_LABEL_BYTES);
	sum->index[i] = ++sum->n;
	return &sum->rows[sum->n - 1];
}

static void
sum_clear(mg_metrics_sum_t *sum)
{
	sum->n = 0;
	if (sum->index != NULL)
		memset(sum->index, 0, sum->index_cap * sizeof(*sum->index));
}

/* One read of every slot; MG_ERROR: out of memory. */
static int
sum_once(mg_metrics_sum_t *sum)
{
	mg_metrics_region_t *reg = mg_metrics_region;
	char                 none[MG_METRICS_LABEL_BYTES] = { 0 };
	uint64_t             dropped = 0;
	mg_metrics_row_t    *r;

	for (uint32_t i = 0; i < reg->nslots; i++) {
		mg_metrics_slot_t *sl = mg_metrics_slot((int)i);

		dropped += mg_metrics_load(&sl->dropped);
		for (uint32_t j = 0; j < reg->nseries; j++) {
			mg_metrics_series_t *s = &sl->series[j];

			if (!__atomic_load_n(&s->used, __ATOMIC_ACQUIRE))
				continue;
			if ((r = sum_row(sum, (int)s->metric, s->labels)) ==
			    NULL)
				return MG_ERROR;
			for (int k = 0; k < MG_METRICS_NVALUES; k++)
				r->v[k] += mg_metrics_load(&s->v[k]);
		}
	}
	if ((r = sum_row(sum, MG_M_SERIES_DROPPED, none)) == NULL)
		return MG_ERROR;
	r->v[0] += dropped;
	return MG_OK;
}

int
mg_metrics_sum(mg_metrics_sum_t *sum)
{
	mg_metrics_region_t *reg = mg_metrics_region;
	uint64_t             s1;

	memset(sum, 0, sizeof(*sum));
	if (reg == NULL)
		return MG_OK;
	for (int t = 0; t < SUM_TRIES; t++) {
		s1 = __atomic_load_n(&reg->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1) {
			sched_yield(); /* a fold is short */
			continue;
		}
		sum_clear(sum);
		if (sum_once(sum) != MG_OK)
			return MG_ERROR;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&reg->seq, __ATOMIC_ACQUIRE) == s1)
			return MG_OK;
	}
	return MG_OK; /* the last read: folds without end are not likely */
}

int
mg_metrics_sum_add(
    mg_metrics_sum_t *sum, int metric, const char *const *values, int64_t v)
{
	char              labels[MG_METRICS_LABEL_BYTES];
	mg_metrics_row_t *r;

	mg_metrics_labels_pack(labels, mg_metric_defs[metric].nlabels, values);
	if ((r = sum_row(sum, metric, labels)) == NULL)
		return MG_ERROR;
	r->v[0] += (uint64_t)v;
	return MG_OK;
}

static int
row_cmp(const void *a, const void *b)
{
	const mg_metrics_row_t *x = a, *y = b;

	if (x->metric != y->metric)
		return x->metric < y->metric ? -1 : 1;
	return memcmp(x->labels, y->labels, MG_METRICS_LABEL_BYTES);
}

void
mg_metrics_sum_sort(mg_metrics_sum_t *sum)
{
	if (sum->n > 1)
		qsort(sum->rows, sum->n, sizeof(*sum->rows), row_cmp);
	free(sum->index); /* the rows moved */
	sum->index = NULL;
	sum->index_cap = 0;
}

void
mg_metrics_sum_free(mg_metrics_sum_t *sum)
{
	free(sum->rows);
	free(sum->index);
	memset(sum, 0, sizeof(*sum));
}
