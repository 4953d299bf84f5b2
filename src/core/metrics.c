/*
 * The shared metrics region (metrics.h): slots, their series tables, a
 * process's private cache, and the master's claim, fold and release.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "metrics.h"
#include "metricspriv.h"

mg_metrics_region_t *mg_metrics_region;
static size_t        region_size;

/* This process: its slot's table, and its cache of (k1, k2) -> series
 * (metrics.h reads it inline; NULL while this process counts nothing). */
mg_metrics_cache_ent_t        *mg_metrics_cache;
size_t                         mg_metrics_cache_mask;
static mg_metrics_slot_t      *mine;
static mg_metrics_cache_ent_t *cache;
static int                     master_noslot_logged;

size_t
mg_metrics_slot_bytes(int nseries)
{
	return sizeof(mg_metrics_slot_t) +
	    (size_t)nseries * sizeof(mg_metrics_series_t);
}

mg_metrics_slot_t *
mg_metrics_slot(int i)
{
	mg_metrics_region_t *r = mg_metrics_region;

	return (mg_metrics_slot_t *)((char *)r + sizeof(*r) +
	    (size_t)i * mg_metrics_slot_bytes((int)r->nseries));
}

int
mg_metrics_nslots(void)
{
	return mg_metrics_region ? (int)mg_metrics_region->nslots : 0;
}

int
mg_metrics_nseries(void)
{
	return mg_metrics_region ? (int)mg_metrics_region->nseries : 0;
}

uint32_t
mg_metrics_hash(int metric, const char *labels)
{
	uint32_t h = 2166136261u ^ (uint32_t)metric;
	size_t   n = MG_METRICS_LABEL_BYTES;

	/* every byte up to the last value's end (an empty value counts) */
	while (n > 0 && labels[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)labels[i]) * 16777619u;
	return h;
}

void
mg_metrics_labels_pack(char *out, int n, const char *const *values)
{
	size_t at = 0;

	memset(out, 0, MG_METRICS_LABEL_BYTES);
	for (int i = 0; i < n; i++) {
		const char *v = values[i] ? values[i] : "";
		/* room for this one's NUL, the others' and the final one */
		size_t room = MG_METRICS_LABEL_BYTES - at - (size_t)(n - i) - 1;
		size_t len = strnlen(v, room);

		memcpy(out + at, v, len);
		at += len + 1;
	}
}

static int
cache_init(int nseries)
{
	size_t n = 64;

	while (n < (size_t)nseries * 2)
		n *= 2;
	free(cache);
	mg_metrics_cache = NULL;
	if ((cache = calloc(n, sizeof(*cache))) == NULL)
		return MG_ERROR;
	mg_metrics_cache_mask = n - 1;
	return MG_OK;
}

int
mg_metrics_init(int nslots, int nseries)
{
	size_t size;
	void  *p;

	if (nslots < 3 || nseries < 16)
		return MG_ERROR;
	size = sizeof(mg_metrics_region_t) +
	    (size_t)nslots * mg_metrics_slot_bytes(nseries);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return MG_ERROR;
	mg_metrics_region = p;
	region_size = size;
	mg_metrics_region->nslots = (uint32_t)nslots;
	mg_metrics_region->nseries = (uint32_t)nseries;
	mg_metrics_slot(MG_METRICS_SLOT_RETIRED)->taken = 1;
	mg_metrics_slot(MG_METRICS_SLOT_MASTER)->taken = 1;
	return mg_metrics_use(MG_METRICS_SLOT_MASTER);
}

void
mg_metrics_reset_for_tests(void)
{
	if (mg_metrics_region != NULL)
		munmap(mg_metrics_region, region_size);
	mg_metrics_region = NULL;
	mine = NULL;
	mg_metrics_cache = NULL;
	master_noslot_logged = 0;
}

int
mg_metrics_use(int slot)
{
	mine = NULL;
	mg_metrics_cache = NULL;
	if (mg_metrics_region == NULL || slot < 0 ||
	    slot >= (int)mg_metrics_region->nslots)
		return MG_OK;
	if (cache_init((int)mg_metrics_region->nseries) != MG_OK)
		return MG_ERROR;
	mine = mg_metrics_slot(slot);
	mg_metrics_cache = cache;
	return MG_OK;
}

/* ---- the series table of a slot --------------------------------------- */

mg_metrics_series_t *
mg_metrics_slot_lookup(
    mg_metrics_slot_t *sl, int metric, const char *labels, int create)
{
	uint32_t n = mg_metrics_region->nseries;
	uint32_t h = mg_metrics_hash(metric, labels);

	for (uint32_t j = 0, i = h % n; j < n; j++, i = (i + 1) % n) {
		mg_metrics_series_t *s = &sl->series[i];

		if (__atomic_load_n(&s->used, __ATOMIC_ACQUIRE) == 0) {
			if (!create)
				return NULL;
			/* only this slot's writer adds: no one races it */
			s->metric = (uint32_t)metric;
			s->hash = h;
			memcpy(s->labels, labels, MG_METRICS_LABEL_BYTES);
			memset(s->v, 0, sizeof(s->v));
			__atomic_store_n(&s->used, 1, __ATOMIC_RELEASE);
			__atomic_store_n(
			    &sl->nused, sl->nused + 1, __ATOMIC_RELAXED);
			return s;
		}
		if (s->hash == h && s->metric == (uint32_t)metric &&
		    memcmp(s->labels, labels, MG_METRICS_LABEL_BYTES) == 0)
			return s;
	}
	return NULL;
}

static void
cache_put(uint64_t k1, uint64_t k2, mg_metrics_series_t *s)
{
	size_t i, probes = 0;

	for (i = mg_metrics_cache_at(k1, k2); cache[i].s != NULL;
	     i = (i + 1) & mg_metrics_cache_mask)
		if (++probes > mg_metrics_cache_mask / 2)
			return; /* full enough: found the slow way */
	cache[i] = (mg_metrics_cache_ent_t){ k1, k2, s };
}

static void
dropped(mg_metrics_slot_t *sl)
{
	__atomic_store_n(&sl->dropped, sl->dropped + 1, __ATOMIC_RELAXED);
}

mg_metrics_series_t *
mg_metrics_series_new(
    uint64_t k1, uint64_t k2, int metric, const char *const *values)
{
	char                 labels[MG_METRICS_LABEL_BYTES];
	mg_metrics_series_t *s;

	if (mine == NULL)
		return NULL;
	if ((s = mg_metrics_find(k1, k2)) != NULL)
		return s;
	mg_metrics_labels_pack(labels, mg_metric_defs[metric].nlabels, values);
	if ((s = mg_metrics_slot_lookup(mine, metric, labels, 1)) == NULL) {
		dropped(mine);
		return NULL;
	}
	cache_put(k1, k2, s);
	return s;
}

void
mg_metrics_count(int metric, const char *v0, const char *v1)
{
	mg_metrics_add(mg_metrics_static(metric, v0, v1), 1);
}

void
mg_metrics_gauge(int metric, const char *v0, int64_t delta)
{
	mg_metrics_move(mg_metrics_static(metric, v0, NULL), delta);
}

/* ---- the master ---------------------------------------------------------- */

int
mg_metrics_claim(int *first)
{
	mg_metrics_region_t *r = mg_metrics_region;

	for (uint32_t i = 2; r != NULL && i < r->nslots; i++)
		if (!mg_metrics_slot(i)->taken) {
			mg_metrics_slot(i)->taken = 1;
			return (int)i;
		}
	if (r != NULL) {
		mg_metrics_count(MG_M_NOSLOT, NULL, NULL);
		if (first != NULL && !master_noslot_logged)
			*first = master_noslot_logged = 1;
	}
	return -1;
}

/* Add what S counted to the retired slot (the master writes both). */
static void
fold_series(const mg_metrics_series_t *s)
{
	mg_metrics_slot_t   *ret = mg_metrics_slot(MG_METRICS_SLOT_RETIRED);
	mg_metrics_series_t *t;

	if (mg_metric_defs[s->metric].type == MG_MT_GAUGE)
		return;
	if ((t = mg_metrics_slot_lookup(ret, (int)s->metric, s->labels, 1)) ==
	    NULL) {
		dropped(ret);
		return;
	}
	for (int i = 0; i < MG_METRICS_NVALUES; i++)
		__atomic_store_n(&t->v[i],
		    mg_metrics_load(&t->v[i]) + mg_metrics_load(&s->v[i]),
		    __ATOMIC_RELAXED);
}

void
mg_metrics_release(int slot)
{
	mg_metrics_region_t *r = mg_metrics_region;
	mg_metrics_slot_t   *sl, *ret;

	if (r == NULL || slot < 2 || slot >= (int)r->nslots)
		return;
	sl = mg_metrics_slot(slot);
	ret = mg_metrics_slot(MG_METRICS_SLOT_RETIRED);
	/* odd while counts move: a scrape then reads again */
	__atomic_store_n(&r->seq, r->seq + 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (uint32_t i = 0; i < r->nseries; i++) {
		mg_metrics_series_t *s = &sl->series[i];

		if (!__atomic_load_n(&s->used, __ATOMIC_ACQUIRE))
			continue;
		fold_series(s);
		__atomic_store_n(&s->used, 0, __ATOMIC_RELAXED);
	}
	__atomic_store_n(
	    &ret->dropped, ret->dropped + sl->dropped, __ATOMIC_RELAXED);
	__atomic_store_n(&sl->dropped, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&sl->nused, 0, __ATOMIC_RELAXED);
	sl->taken = 0;
	__atomic_store_n(&r->seq, r->seq + 1, __ATOMIC_RELEASE);
}
