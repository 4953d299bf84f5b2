/*
 * The request limits' shared tables (limitzone.h): the regions the
 * master maps for the zones, the entries in them, nginx's leaky bucket
 * and the compare-and-swap steps that apply it.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "limitzone.h"
#include "log.h"

/* slots a key may land in from its home: past them, one is taken over */
#define LIMIT_PROBE 8

const char *const mg_limit_status_names[MG_LIMIT_NSTATUS] = { "PASSED",
	"DELAYED", "REJECTED", "DELAYED_DRY_RUN", "REJECTED_DRY_RUN" };

/* One key: its hash (0: a free slot); limit_req's state, the excess in
 * milli-requests (high 32 bits) and the time it was last updated (low
 * 32 bits of the monotonic ms; 0 as a whole: never counted); or
 * limit_conn's calls in flight, and when one was last acquired. */
typedef struct {
	_Atomic uint64_t hash;
	_Atomic uint64_t state;
	_Atomic uint32_t used;
	uint32_t         pad;
} limit_entry_t;

/* limit_conn: which process holds a call in flight of which key, so
 * that the master gives back the calls of a process that died without
 * ending them (SIGKILL): written before the count is taken, cleared
 * after it is given back. */
typedef struct {
	_Atomic uint64_t pid; /* 0: free */
	_Atomic uint64_t hash;
} limit_cell_t;

typedef struct {
	uint64_t         seed;
	size_t           n;      /* entries */
	size_t           ncells; /* limit_conn: after the entries */
	_Atomic uint64_t evictions;
	_Atomic int      logged; /* the first eviction was logged */
	limit_entry_t    e[];
} limit_shm_t;

/* The master's regions, each used by one or more configurations. */
typedef struct limit_region {
	struct limit_region *next;
	char                *name, *key;
	int                  kind, refs;
	int64_t              size, rate;
	limit_shm_t         *shm;
} limit_region_t;

static limit_region_t *regions;

void
mg_limit_bucket(int64_t excess, int64_t ms, int fresh, int64_t rate,
    int64_t burst, int64_t delay, int64_t *next, mg_limit_verdict_t *v)
{
	v->status = MG_LIMIT_PASSED;
	v->delay_ms = v->retry_ms = 0;
	*next = 0;
	if (fresh)
		return;
	if (ms < 0)
		ms = 0;
	excess = excess - rate * ms / 1000 + 1000;
	if (excess < 0)
		excess = 0;
	if (excess > burst) {
		v->status = MG_LIMIT_REJECTED;
		/* until excess - rate * t / 1000 + 1000 <= burst */
		v->retry_ms = ((excess - burst) * 1000 + rate - 1) / rate;
		*next = excess; /* not kept: the request is not counted */
		return;
	}
	*next = excess;
	if (excess > delay) {
		v->status = MG_LIMIT_DELAYED;
		v->delay_ms = (excess - delay) * 1000 / rate;
		if (v->delay_ms == 0)
			v->status = MG_LIMIT_PASSED;
	}
}

/* ---- the master's regions ------------------------------------------- */

static void
region_unref(void *arg)
{
	limit_region_t *r = arg, **p;

	if (--r->refs > 0)
		return;
	for (p = &regions; *p != NULL && *p != r; p = &(*p)->next)
		;
	if (*p != NULL)
		*p = r->next;
	munmap(r->shm, (size_t)r->size);
	free(r->name);
	free(r->key);
	free(r);
}

static limit_region_t *
region_find(const mg_limit_zone_t *z)
{
	for (limit_region_t *r = regions; r != NULL; r = r->next)
		if (strcmp(r->name, z->name) == 0 && r->kind == z->kind &&
		    r->size == z->size && r->rate == z->rate &&
		    strcmp(r->key, z->key_text) == 0)
			return r;
	return NULL;
}

static limit_region_t *
region_new(const mg_limit_zone_t *z)
{
	limit_region_t *r = calloc(1, sizeof(*r));
	void           *p;

	if (r == NULL || (r->name = strdup(z->name)) == NULL ||
	    (r->key = strdup(z->key_text)) == NULL)
		goto fail;
	p = mmap(NULL, (size_t)z->size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		goto fail;
	r->shm = p;
	r->shm->n =
	    ((size_t)z->size - sizeof(limit_shm_t)) / sizeof(limit_entry_t);
	if (z->kind == MG_LIMIT_ZONE_CONN) { /* a quarter for the cells */
		r->shm->n = r->shm->n * 3 / 4;
		r->shm->ncells = ((size_t)z->size - sizeof(limit_shm_t) -
				     r->shm->n * sizeof(limit_entry_t)) /
		    sizeof(limit_cell_t);
	}
	if (getentropy(&r->shm->seed, sizeof(r->shm->seed)) != 0)
		r->shm->seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	r->kind = z->kind;
	r->size = z->size;
	r->rate = z->rate;
	r->next = regions;
	regions = r;
	return r;
fail:
	if (r != NULL) {
		free(r->name);
		free(r->key);
	}
	free(r);
	return NULL;
}

int
mg_limitzones_map(mg_conf_t *conf, char **err)
{
	limit_region_t *r;

	for (mg_limit_zone_t *z = conf->limit_zones; z != NULL; z = z->next) {
		if ((r = region_find(z)) == NULL &&
		    (r = region_new(z)) == NULL) {
			if (asprintf(err,
				"mmap() of %lld bytes for zone \"%s\" failed "
				"(%s) in %s:%d",
				(long long)z->size, z->name, strerror(errno),
				z->pos.file, z->pos.line) < 0)
				*err = NULL;
			return MG_ERROR;
		}
		r->refs++;
		if (mg_conf_cleanup_add(conf, region_unref, r) != MG_OK) {
			region_unref(r);
			*err = NULL;
			return MG_ERROR;
		}
		z->shm = r->shm;
	}
	return MG_OK;
}

/* ---- keys and entries ------------------------------------------------ */

static uint64_t
mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

uint64_t
mg_limitzone_hash(const mg_limit_zone_t *zone, const char *text, size_t len)
{
	const limit_shm_t *shm = zone->shm;
	uint64_t h = (shm ? shm->seed : 0) ^ (len * 0x9e3779b97f4a7c15ULL);
	uint64_t k;

	for (; len >= 8; len -= 8, text += 8) {
		memcpy(&k, text, 8);
		h = mix(h ^ k) + 0x9e3779b97f4a7c15ULL;
	}
	k = 0;
	memcpy(&k, text, len);
	h = mix(h ^ k ^ 0x5bd1e995);
	return h != 0 ? h : 1;
}

/* How long ago E was last used, in ms. */
static uint32_t
entry_age(const limit_entry_t *e, int kind, uint32_t now)
{
	uint32_t last = kind == MG_LIMIT_ZONE_REQ
	    ? (uint32_t)atomic_load_explicit(&e->state, memory_order_relaxed)
	    : atomic_load_explicit(&e->used, memory_order_relaxed);

	return now - last;
}

static void
zone_evicted(const mg_limit_zone_t *zone, limit_shm_t *shm)
{
	int no = 0;

	atomic_fetch_add(&shm->evictions, 1);
	if (atomic_compare_exchange_strong(&shm->logged, &no, 1))
		mg_warn("zone \"%s\" is full (%zu keys): the least recently "
			"used keys are dropped from now on (logged once; "
			"see its size in %s:%d)",
		    zone->name, shm->n, zone->pos.file, zone->pos.line);
}

/* HASH's entry: found, claimed free, or taken over from the least
 * recently used of its window (never one with calls in flight); NULL
 * when there is none to take. */
static limit_entry_t *
entry_get(
    const mg_limit_zone_t *zone, limit_shm_t *shm, uint64_t hash, uint32_t now)
{
	limit_entry_t *e, *cand = NULL;
	uint64_t       h, old;
	uint32_t       age, oldest = 0;
	size_t         home = (size_t)(hash % shm->n);

	for (size_t k = 0; k < LIMIT_PROBE && k < shm->n; k++) {
		e = &shm->e[(home + k) % shm->n];
		h = atomic_load_explicit(&e->hash, memory_order_acquire);
		if (h == 0 &&
		    atomic_compare_exchange_strong(&e->hash, &h, hash))
			return e;
		if (h == hash)
			return e;
		if (zone->kind == MG_LIMIT_ZONE_CONN &&
		    atomic_load_explicit(&e->state, memory_order_relaxed) != 0)
			continue;
		age = entry_age(e, zone->kind, now);
		if (cand == NULL || age > oldest) {
			cand = e;
			oldest = age;
		}
	}
	if (cand == NULL)
		return NULL;
	old = atomic_load(&cand->hash);
	if (!atomic_compare_exchange_strong(&cand->hash, &old, hash))
		return old == hash ? cand : NULL;
	/* a limit_req key whose bucket has not drained yet loses its state */
	if (zone->kind == MG_LIMIT_ZONE_REQ &&
	    (atomic_load(&cand->state) >> 32) >
		(uint64_t)zone->rate * oldest / 1000)
		zone_evicted(zone, shm);
	atomic_store(&cand->state, 0);
	return cand;
}

static uint64_t
pack(int64_t excess, uint32_t now)
{
	uint64_t s = (uint64_t)excess << 32 | now;

	return s != 0 ? s : 1;
}

int
mg_limitreq_take(const mg_limit_zone_t *zone, const mg_limit_ref_t *ref,
    uint64_t hash, int64_t now_ms, int account, mg_limit_verdict_t *v)
{
	limit_shm_t   *shm = zone->shm;
	limit_entry_t *e;
	uint32_t       now = (uint32_t)now_ms, last;
	uint64_t       old, s;
	int64_t        next, ms;

	if (shm == NULL || (e = entry_get(zone, shm, hash, now)) == NULL)
		return MG_DECLINED;
	old = atomic_load(&e->state);
	do {
		last = (uint32_t)old;
		ms = (int64_t)(uint32_t)(now - last);
		mg_limit_bucket((int64_t)(old >> 32), ms, old == 0, zone->rate,
		    ref->burst * 1000, ref->delay * 1000, &next, v);
		if (!account || v->status == MG_LIMIT_REJECTED)
			return MG_OK;
		/* as nginx: the time moves only when some of it leaked */
		s = pack(next, old == 0 || ms != 0 ? now : last);
	} while (!atomic_compare_exchange_weak(&e->state, &old, s));
	return MG_OK;
}

static limit_cell_t *
cells_of(limit_shm_t *shm)
{
	return (limit_cell_t *)(void *)(shm->e + shm->n);
}

/* A free cell for this process's call of HASH, or -1 (none near). */
static int64_t
cell_claim(limit_shm_t *shm, uint64_t hash)
{
	limit_cell_t *c = cells_of(shm);
	uint64_t      me = (uint64_t)getpid(), none;
	size_t        i;

	for (size_t k = 0; k < 64 && k < shm->ncells; k++) {
		i = (size_t)((hash ^ me * 0x9e3779b97f4a7c15ULL) + k) %
		    shm->ncells;
		none = 0;
		if (atomic_load_explicit(&c[i].pid, memory_order_relaxed) ==
			0 &&
		    atomic_compare_exchange_strong(&c[i].pid, &none, me)) {
			atomic_store(&c[i].hash, hash);
			return (int64_t)i;
		}
	}
	return -1;
}

static void
cell_free(limit_shm_t *shm, int64_t cell)
{
	limit_cell_t *c = cells_of(shm);

	if (cell < 0 || (size_t)cell >= shm->ncells)
		return;
	atomic_store(&c[cell].hash, 0);
	atomic_store(&c[cell].pid, 0);
}

int
mg_limitconn_acquire(const mg_limit_zone_t *zone, uint64_t hash, int64_t max,
    int64_t now_ms, int64_t *cell)
{
	limit_shm_t   *shm = zone->shm;
	limit_entry_t *e;
	uint32_t       now;

	*cell = -1;
	if (shm == NULL)
		return MG_DECLINED;
	now = (uint32_t)now_ms;
	if ((e = entry_get(zone, shm, hash, now)) == NULL) {
		zone_evicted(zone, shm);
		return MG_BUSY;
	}
	atomic_store_explicit(&e->used, now, memory_order_relaxed);
	/* the cell first: a process killed between the two gives back one
	 * count it never took, rather than keep one forever */
	*cell = cell_claim(shm, hash);
	if (atomic_fetch_add(&e->state, 1) + 1 > (uint64_t)max) {
		atomic_fetch_sub(&e->state, 1);
		cell_free(shm, *cell);
		*cell = -1;
		return MG_BUSY;
	}
	return MG_OK;
}

static void
conn_release(limit_shm_t *shm, uint64_t hash)
{
	limit_entry_t *e;
	uint64_t       n;
	size_t         home = (size_t)(hash % shm->n);

	for (size_t k = 0; k < LIMIT_PROBE && k < shm->n; k++) {
		e = &shm->e[(home + k) % shm->n];
		if (atomic_load(&e->hash) != hash)
			continue;
		n = atomic_load(&e->state);
		while (n > 0 &&
		    !atomic_compare_exchange_weak(&e->state, &n, n - 1))
			;
		return;
	}
}

void
mg_limitconn_release(const mg_limit_zone_t *zone, uint64_t hash, int64_t cell)
{
	if (zone->shm == NULL)
		return;
	conn_release(zone->shm, hash);
	cell_free(zone->shm, cell);
}

void
mg_limitzones_reaped(pid_t pid)
{
	limit_cell_t *c;
	uint64_t      h;
	size_t        n;

	for (limit_region_t *r = regions; r != NULL; r = r->next) {
		c = cells_of(r->shm);
		n = 0;
		for (size_t i = 0; i < r->shm->ncells; i++) {
			if (atomic_load(&c[i].pid) != (uint64_t)pid)
				continue;
			if ((h = atomic_load(&c[i].hash)) != 0) {
				conn_release(r->shm, h);
				n++;
			}
			cell_free(r->shm, (int64_t)i);
		}
		if (n > 0)
			mg_notice(
			    "zone \"%s\": gave back %zu call(s) in flight "
			    "of process %ld, which ended without them",
			    r->name, n, (long)pid);
	}
}

uint64_t
mg_limitzone_evictions(const mg_limit_zone_t *zone)
{
	const limit_shm_t *shm = zone->shm;

	return shm ? atomic_load(&shm->evictions) : 0;
}
