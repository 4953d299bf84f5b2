/*
 * The shared session table: open addressing with linear probing.
 * A slot's id is 0 (never used: ends a probe), 1 (a tombstone: reusable,
 * probes go on), 2 (claimed by an adder that is filling it) or a session
 * number.  After the slots come the owners' counters: two rows of as
 * many counters as slots, each owner counted in one counter of each row.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/rand.h>

#include "sesstab.h"

#define SLOT_EMPTY 0
#define SLOT_TOMB 1
#define SLOT_BUSY 2 /* being filled by an adder */
#define MAX_PROBE 128
#define COUNTS_MIN 4096 /* counters in a row at least */

enum { STATE_LIVE = 1, STATE_DELETED, STATE_EXPIRED };

typedef struct {
	_Atomic uint64_t id;
	_Atomic int64_t  last; /* ms, CLOCK_MONOTONIC (system-wide) */
	_Atomic uint32_t state;
	uint32_t         owner; /* counted against; 0: no one */
} slot_t;

struct mg_sesstab {
	size_t            nslots;  /* a power of two */
	size_t            ncounts; /* each row of counts: a power of two */
	size_t            size;    /* bytes mapped */
	size_t            limit;   /* live sessions at most: max_sessions */
	uint64_t          seed;    /* of the owners' counters */
	_Atomic uint32_t *counts;  /* 2 x ncounts, after the slots */
	_Atomic uint64_t  live;
	slot_t            slots[];
};

mg_sesstab_t *
mg_sesstab_create(size_t capacity)
{
	mg_sesstab_t *t;
	size_t        n = 64, size, c;

	/* at most half full, so probes stay short */
	while (n < capacity * 2)
		n *= 2;
	/* a small table still has rows of counts wide enough that two
	 * clients rarely share both of their counters (4096 a row: one
	 * pair in 16 million; 32 KB) */
	c = n < COUNTS_MIN ? COUNTS_MIN : n;
	size = sizeof(*t) + n * sizeof(slot_t) + 2 * c * sizeof(uint32_t);
	t = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (t == MAP_FAILED)
		return NULL;
	/* fresh anonymous pages are zero: every slot empty, every count 0 */
	t->nslots = n;
	t->ncounts = c;
	t->size = size;
	t->limit = capacity;
	t->seed = mg_sesstab_new_id();
	t->counts = (_Atomic uint32_t *)(void *)(t->slots + n);
	return t;
}

void
mg_sesstab_destroy(mg_sesstab_t *t)
{
	if (t != NULL)
		munmap(t, t->size);
}

size_t
mg_sesstab_capacity(const mg_sesstab_t *t)
{
	return t->limit;
}

size_t
mg_sesstab_live(const mg_sesstab_t *t)
{
	return t == NULL ? 0 : (size_t)atomic_load(&t->live);
}

uint64_t
mg_sesstab_new_id(void)
{
	uint64_t id = 0;

	while (id <= SLOT_BUSY)
		if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1)
			id = 0;
	return id;
}

static uint64_t
mix(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	v *= 0xc4ceb9fe1a85ec53ULL;
	v ^= v >> 33;
	return v;
}

static size_t
home(const mg_sesstab_t *t, uint64_t id)
{
	/* ids are random already; mix anyway against chosen ids */
	return (size_t)mix(id) & (t->nslots - 1);
}

/* ---- owners ---------------------------------------------------------- */

/* The seed is secret: no client can choose an address whose counters
 * are those of another client. */
uint32_t
mg_sesstab_owner(const mg_sesstab_t *t, uint64_t client)
{
	uint32_t o = (uint32_t)mix(client ^ t->seed);

	return o != 0 ? o : 1;
}

/* OWNER's counter in row ROW (0 or 1). */
static _Atomic uint32_t *
owner_counter(const mg_sesstab_t *t, uint32_t owner, int row)
{
	size_t i = row == 0 ? owner : (size_t)mix(owner);

	return &t->counts[(size_t)row * t->ncounts + (i & (t->ncounts - 1))];
}

uint32_t
mg_sesstab_owner_count(const mg_sesstab_t *t, uint32_t owner)
{
	uint32_t a, b;

	if (owner == 0)
		return 0;
	a = atomic_load(owner_counter(t, owner, 0));
	b = atomic_load(owner_counter(t, owner, 1));
	return a < b ? a : b;
}

static void
owner_sub(mg_sesstab_t *t, uint32_t owner)
{
	if (owner == 0)
		return;
	atomic_fetch_sub(owner_counter(t, owner, 0), 1);
	atomic_fetch_sub(owner_counter(t, owner, 1), 1);
}

/* Count first, undo over the limit: the estimate is the smaller count. */
static int
owner_add(mg_sesstab_t *t, uint32_t owner, uint32_t limit)
{
	uint32_t a, b;

	if (owner == 0)
		return MG_OK;
	a = atomic_fetch_add(owner_counter(t, owner, 0), 1);
	b = atomic_fetch_add(owner_counter(t, owner, 1), 1);
	if (limit > 0 && (a < b ? a : b) >= limit) {
		owner_sub(t, owner);
		return MG_BUSY;
	}
	return MG_OK;
}

static slot_t *
find(mg_sesstab_t *t, uint64_t id)
{
	size_t   i = home(t, id);
	uint64_t have;

	for (int n = 0; n < MAX_PROBE; n++, i = (i + 1) & (t->nslots - 1)) {
		have = atomic_load(&t->slots[i].id);
		if (have == id)
			return &t->slots[i];
		if (have == SLOT_EMPTY)
			return NULL;
	}
	return NULL;
}

int
mg_sesstab_add(mg_sesstab_t *t, uint64_t id, int64_t now_ms)
{
	return mg_sesstab_add_for(t, id, now_ms, 0, 0);
}

int
mg_sesstab_add_for(mg_sesstab_t *t, uint64_t id, int64_t now_ms, uint32_t owner,
    uint32_t limit)
{
	size_t   i = home(t, id);
	uint64_t have;

	/* taken in by another worker already (sessions from elsewhere) */
	if (find(t, id) != NULL)
		return MG_DECLINED;
	/* max_sessions is a hard limit: count first, undo on failure */
	if (atomic_fetch_add(&t->live, 1) >= t->limit) {
		atomic_fetch_sub(&t->live, 1);
		return MG_DECLINED;
	}
	if (owner_add(t, owner, limit) != MG_OK) {
		atomic_fetch_sub(&t->live, 1);
		return MG_BUSY;
	}
	for (int n = 0; n < MAX_PROBE; n++, i = (i + 1) & (t->nslots - 1)) {
		slot_t *s = &t->slots[i];

		have = atomic_load(&s->id);
		if (have != SLOT_EMPTY && have != SLOT_TOMB)
			continue;
		/* claim it, then state and time: a reader that sees the id
		 * sees them */
		if (!atomic_compare_exchange_strong(&s->id, &have, SLOT_BUSY))
			continue;
		s->owner = owner;
		atomic_store(&s->last, now_ms);
		atomic_store(&s->state, STATE_LIVE);
		atomic_store(&s->id, id);
		return MG_OK;
	}
	owner_sub(t, owner);
	atomic_fetch_sub(&t->live, 1);
	return MG_DECLINED;
}

int
mg_sesstab_touch(
    mg_sesstab_t *t, uint64_t id, int64_t now_ms, int64_t timeout_ms)
{
	slot_t *s = find(t, id);

	if (s == NULL)
		return MG_AGAIN;
	if (atomic_load(&s->state) != STATE_LIVE)
		return MG_DECLINED;
	if (now_ms - atomic_load(&s->last) > timeout_ms)
		return MG_DECLINED; /* the sweep marks it soon */
	atomic_store(&s->last, now_ms);
	return MG_OK;
}

int
mg_sesstab_delete(mg_sesstab_t *t, uint64_t id, int64_t now_ms)
{
	slot_t  *s = find(t, id);
	uint32_t live = STATE_LIVE;

	if (s == NULL ||
	    !atomic_compare_exchange_strong(&s->state, &live, STATE_DELETED))
		return MG_DECLINED;
	atomic_fetch_sub(&t->live, 1);
	owner_sub(t, s->owner);
	atomic_store(&s->last, now_ms);
	return MG_OK;
}

size_t
mg_sesstab_sweep(mg_sesstab_t *t, int64_t now_ms, int64_t timeout_ms,
    void (*ended)(void *arg, uint64_t id), void *arg)
{
	size_t alive = 0;

	for (size_t i = 0; i < t->nslots; i++) {
		slot_t  *s = &t->slots[i];
		uint64_t id = atomic_load(&s->id);
		uint32_t state = STATE_LIVE;
		int64_t  idle;

		if (id <= SLOT_BUSY)
			continue;
		idle = now_ms - atomic_load(&s->last);
		if (idle <= timeout_ms) {
			alive += atomic_load(&s->state) == STATE_LIVE;
			continue;
		}
		if (atomic_compare_exchange_strong(
			&s->state, &state, STATE_EXPIRED)) {
			/* it stays "gone" for one more timeout */
			atomic_fetch_sub(&t->live, 1);
			owner_sub(t, s->owner);
			atomic_store(&s->last, now_ms);
			if (ended)
				ended(arg, id);
			continue;
		}
		atomic_compare_exchange_strong(&s->id, &id, SLOT_TOMB);
	}
	return alive;
}
