/*
 * The status board (board.h): the anonymous shared mapping, its process
 * records and their rates of the last minute (the upstream records are
 * boardup.c's).
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "board_int.h"

board_t           *mg_board_map;
static proc_rec_t *me; /* this process's record */
/* The bucket the last request counted into, and its second as the span
 * [cur_lo, cur_hi) of microseconds: a request that ended in the same
 * second finds it by two compares (no division, no look at the ring). */
static bucket_t *cur;
static int64_t   cur_lo = 1, cur_hi = 0; /* empty */

static int64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mg_board_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME_COARSE);
}

int64_t
mg_board_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC_COARSE);
}

static int64_t
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

int
mg_board_init(void)
{
	void *p = mmap(NULL, sizeof(board_t), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return MG_ERROR;
	mg_board_map = p; /* fresh pages are zero: every record free */
	me = &mg_board_map->procs[0];
	cur_hi = 0;
	atomic_store(&me->role, MG_ROLE_MASTER);
	mg_board_started(0, 0, 0);
	atomic_store(&me->used, 1);
	return MG_OK;
}

void
mg_board_generation(int generation, int reload)
{
	if (mg_board_map == NULL)
		return;
	atomic_store(&mg_board_map->generation, generation);
	atomic_store(
	    &mg_board_map->procs[0].pid, (int)getpid()); /* backgrounded */
	if (reload) {
		atomic_fetch_add(&mg_board_map->reloads, 1);
		atomic_store(&mg_board_map->reload_ms, mg_board_wall_ms());
	}
}

/* ---- process records -------------------------------------------------- */

int
mg_board_claim(int role, int slot, int generation)
{
	for (int i = 1; mg_board_map != NULL && i < MG_BOARD_PROCS; i++) {
		proc_rec_t *r = &mg_board_map->procs[i];

		if (atomic_load(&r->used))
			continue;
		memset(r->ring, 0, sizeof(r->ring));
		atomic_store(&r->pid, 0);
		atomic_store(&r->role, role);
		atomic_store(&r->slot, slot);
		atomic_store(&r->generation, generation);
		atomic_store(&r->restarts, 0);
		atomic_store(&r->started_ms, 0);
		atomic_store(&r->used, 1);
		return i;
	}
	return -1;
}

void
mg_board_started(int i, int pid, unsigned restarts)
{
	proc_rec_t *r;

	if (mg_board_map == NULL || i < 0 || i >= MG_BOARD_PROCS)
		return;
	r = &mg_board_map->procs[i];
	if (pid == 0) { /* dead: the new one zeroes its own (mg_board_use) */
		atomic_store(&r->conns, 0);
		atomic_store(&r->streams, 0);
	}
	atomic_store(&r->restarts, restarts);
	if (pid != 0 || i == 0) {
		atomic_store(&r->started_ms, clock_ms(CLOCK_REALTIME));
		atomic_store(&r->started_mono, clock_ms(CLOCK_MONOTONIC));
	}
	atomic_store(&r->pid, pid);
}

/* Add the live buckets of FROM to the master's ring. */
static void
fold(const proc_rec_t *from)
{
	int64_t now = now_sec();

	for (int k = 0; k < MG_BOARD_RATE_S; k++) {
		const bucket_t *b = &from->ring[k];
		bucket_t       *m = &me->ring[k];
		int64_t         s = atomic_load(&b->sec);

		if (s <= now - MG_BOARD_RATE_S || s > now + 1)
			continue; /* + 1: a writer's fine clock, ahead */
		if (atomic_load(&m->sec) != s) {
			atomic_store(&m->req, 0);
			atomic_store(&m->err, 0);
			atomic_store(&m->sec, s);
		}
		atomic_fetch_add(&m->req, atomic_load(&b->req));
		atomic_fetch_add(&m->err, atomic_load(&b->err));
	}
}

void
mg_board_release(int i)
{
	if (mg_board_map == NULL || i <= 0 || i >= MG_BOARD_PROCS)
		return;
	fold(&mg_board_map->procs[i]);
	atomic_store(&mg_board_map->procs[i].pid, 0);
	atomic_store(&mg_board_map->procs[i].used, 0);
}

void
mg_board_use(int i)
{
	me = mg_board_map != NULL && i > 0 && i < MG_BOARD_PROCS
	    ? &mg_board_map->procs[i]
	    : NULL;
	cur_hi = 0;       /* the last bucket was another record's */
	if (me != NULL) { /* what a killed predecessor left */
		atomic_store_explicit(&me->conns, 0, RLX);
		atomic_store_explicit(&me->streams, 0, RLX);
	}
}

static bucket_t *
bucket_of(int64_t s)
{
	bucket_t *b = &me->ring[s % MG_BOARD_RATE_S];

	if (atomic_load_explicit(&b->sec, RLX) != s) {
		atomic_store_explicit(&b->req, 0, RLX);
		atomic_store_explicit(&b->err, 0, RLX);
		atomic_store_explicit(&b->sec, s, memory_order_release);
	}
	cur = b;
	cur_lo = s * 1000000;
	cur_hi = cur_lo + 1000000;
	return b;
}

/* The hot path: no clock read (the request's end, which the access log
 * and the metrics read too) and one or two relaxed increments. */
void
mg_board_request(int error, int64_t end_us)
{
	bucket_t *b;

	if (me == NULL)
		return;
	if (end_us <= 0)
		end_us = now_sec() * 1000000;
	b = end_us >= cur_lo && end_us < cur_hi ? cur
						: bucket_of(end_us / 1000000);
	atomic_fetch_add_explicit(&b->req, 1, RLX);
	if (error)
		atomic_fetch_add_explicit(&b->err, 1, RLX);
}

void
mg_board_conns(int n)
{
	if (me != NULL)
		atomic_store_explicit(&me->conns, n, RLX);
}

void
mg_board_streams(int delta)
{
	if (me != NULL)
		atomic_fetch_add_explicit(&me->streams, delta, RLX);
}

int
mg_board_proc(int i, mg_board_proc_t *p)
{
	const proc_rec_t *r;
	int64_t           now = now_sec();

	if (mg_board_map == NULL || i < 0 || i >= MG_BOARD_PROCS ||
	    !atomic_load(&(r = &mg_board_map->procs[i])->used))
		return MG_DECLINED;
	*p = (mg_board_proc_t){ .pid = atomic_load_explicit(&r->pid, RLX),
		.role = atomic_load_explicit(&r->role, RLX),
		.slot = atomic_load_explicit(&r->slot, RLX),
		.generation = atomic_load_explicit(&r->generation, RLX),
		.started_ms = atomic_load_explicit(&r->started_ms, RLX),
		.restarts = atomic_load_explicit(&r->restarts, RLX),
		.conns = atomic_load_explicit(&r->conns, RLX),
		.streams = atomic_load_explicit(&r->streams, RLX) };
	if (i == 0)
		p->generation =
		    atomic_load_explicit(&mg_board_map->generation, RLX);
	if (p->streams < 0)
		p->streams = 0;
	if (p->pid != 0 || i == 0)
		p->uptime_ms = clock_ms(CLOCK_MONOTONIC) -
		    atomic_load_explicit(&r->started_mono, RLX);
	for (int k = 0; k < MG_BOARD_RATE_S; k++) {
		const bucket_t *b = &r->ring[k];
		int64_t s = atomic_load_explicit(&b->sec, memory_order_acquire);

		if (s > now - MG_BOARD_RATE_S && s <= now + 1) { /* see fold */
			p->requests += atomic_load_explicit(&b->req, RLX);
			p->errors += atomic_load_explicit(&b->err, RLX);
		}
	}
	return MG_OK;
}

void
mg_board_info(mg_board_info_t *info)
{
	*info = (mg_board_info_t){ 0 };
	if (mg_board_map == NULL)
		return;
	info->generation = atomic_load(&mg_board_map->generation);
	info->reloads = atomic_load(&mg_board_map->reloads);
	info->reload_ms = atomic_load(&mg_board_map->reload_ms);
}
