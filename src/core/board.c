/*
 * The status board (board.h): one anonymous shared mapping of process
 * and upstream records, each with one writer, read with relaxed atomics
 * and, for texts, under a sequence count.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "board.h"

#define RLX memory_order_relaxed

typedef struct {
	_Atomic int64_t  sec; /* the coarse monotonic second it counts */
	_Atomic uint32_t req, err;
} bucket_t;

typedef struct {
	_Atomic int      used;
	_Atomic int      pid;
	_Atomic int      role, slot, generation;
	_Atomic int64_t  started_ms, started_mono;
	_Atomic unsigned restarts;
	_Atomic int      conns, streams;
	bucket_t         ring[MG_BOARD_RATE_S];
} proc_rec_t;

typedef struct {
	_Atomic unsigned seq; /* odd while NAME or TEXT is written */
	char             name[MG_BOARD_NAME]; /* "": free */
	char             text[MG_BOARD_TEXT];
	_Atomic int      state;
	_Atomic int64_t  ok_ms, err_ms;
	_Atomic int      procs;
	_Atomic uint64_t ok, failed;
} up_rec_t;

typedef struct {
	_Atomic int      generation;
	_Atomic unsigned reloads;
	_Atomic int64_t  reload_ms;
	proc_rec_t       procs[MG_BOARD_PROCS];
	up_rec_t         ups[MG_BOARD_UPSTREAMS];
} board_t;

static board_t    *board;
static proc_rec_t *me;        /* this process's record */
static up_rec_t  **bound;     /* the connector's, by upstream index */
static int         nbound;    /* entries of bound */
static int         bound_gen; /* the generation it bound for */

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
	board = p; /* fresh pages are zero: every record free */
	me = &board->procs[0];
	atomic_store(&me->role, MG_ROLE_MASTER);
	mg_board_started(0, 0, 0);
	atomic_store(&me->used, 1);
	return MG_OK;
}

void
mg_board_generation(int generation, int reload)
{
	if (board == NULL)
		return;
	atomic_store(&board->generation, generation);
	atomic_store(&board->procs[0].pid, (int)getpid()); /* backgrounded */
	if (reload) {
		atomic_fetch_add(&board->reloads, 1);
		atomic_store(&board->reload_ms, mg_board_wall_ms());
	}
}

/* ---- process records -------------------------------------------------- */

int
mg_board_claim(int role, int slot, int generation)
{
	for (int i = 1; board != NULL && i < MG_BOARD_PROCS; i++) {
		proc_rec_t *r = &board->procs[i];

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

	if (board == NULL || i < 0 || i >= MG_BOARD_PROCS)
		return;
	r = &board->procs[i];
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

		if (s <= now - MG_BOARD_RATE_S || s > now)
			continue;
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
	if (board == NULL || i <= 0 || i >= MG_BOARD_PROCS)
		return;
	fold(&board->procs[i]);
	atomic_store(&board->procs[i].pid, 0);
	atomic_store(&board->procs[i].used, 0);
}

void
mg_board_use(int i)
{
	me = board != NULL && i > 0 && i < MG_BOARD_PROCS ? &board->procs[i]
							  : NULL;
	if (me != NULL) { /* what a killed predecessor left */
		atomic_store_explicit(&me->conns, 0, RLX);
		atomic_store_explicit(&me->streams, 0, RLX);
	}
}

/* The hot path: a coarse clock read and two relaxed increments. */
void
mg_board_request(int error)
{
	int64_t   s;
	bucket_t *b;

	if (me == NULL)
		return;
	s = now_sec();
	b = &me->ring[s % MG_BOARD_RATE_S];
	if (atomic_load_explicit(&b->sec, RLX) != s) {
		atomic_store_explicit(&b->req, 0, RLX);
		atomic_store_explicit(&b->err, 0, RLX);
		atomic_store_explicit(&b->sec, s, memory_order_release);
	}
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

	if (board == NULL || i < 0 || i >= MG_BOARD_PROCS ||
	    !atomic_load(&(r = &board->procs[i])->used))
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
		p->generation = atomic_load_explicit(&board->generation, RLX);
	if (p->streams < 0)
		p->streams = 0;
	if (p->pid != 0 || i == 0)
		p->uptime_ms = clock_ms(CLOCK_MONOTONIC) -
		    atomic_load_explicit(&r->started_mono, RLX);
	for (int k = 0; k < MG_BOARD_RATE_S; k++) {
		const bucket_t *b = &r->ring[k];
		int64_t s = atomic_load_explicit(&b->sec, memory_order_acquire);

		if (s > now - MG_BOARD_RATE_S && s <= now) {
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
	if (board == NULL)
		return;
	info->generation = atomic_load(&board->generation);
	info->reloads = atomic_load(&board->reloads);
	info->reload_ms = atomic_load(&board->reload_ms);
}

/* ---- upstream records ------------------------------------------------- */

static void
text_begin(up_rec_t *u)
{
	atomic_fetch_add_explicit(&u->seq, 1, RLX);
	atomic_thread_fence(memory_order_release);
}

static void
text_end(up_rec_t *u)
{
	atomic_fetch_add_explicit(&u->seq, 1, memory_order_release);
}

/* Copy NAME and TEXT of U as they were between two writes: MG_OK, or
 * MG_AGAIN when a writer kept changing them. */
static int
text_read(const up_rec_t *u, char *name, char *text)
{
	for (int tries = 0; tries < 8; tries++) {
		unsigned s =
		    atomic_load_explicit(&u->seq, memory_order_acquire);

		if (s & 1)
			continue;
		memcpy(name, u->name, MG_BOARD_NAME);
		if (text != NULL)
			memcpy(text, u->text, MG_BOARD_TEXT);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&u->seq, RLX) == s) {
			name[MG_BOARD_NAME - 1] = '\0';
			if (text != NULL)
				text[MG_BOARD_TEXT - 1] = '\0';
			return MG_OK;
		}
	}
	return MG_AGAIN;
}

static up_rec_t *
up_find(const char *name)
{
	char n[MG_BOARD_NAME];

	for (int i = 0; i < MG_BOARD_UPSTREAMS; i++)
		if (text_read(&board->ups[i], n, NULL) == MG_OK &&
		    strcmp(n, name) == 0)
			return &board->ups[i];
	return NULL;
}

static int
named(const char *name, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* A record for NAME: a free one, or one whose name is not in NAMES. */
static up_rec_t *
up_claim(const char *name, const char *const *names, int n)
{
	up_rec_t *u = NULL;

	for (int i = 0; u == NULL && i < MG_BOARD_UPSTREAMS; i++)
		if (board->ups[i].name[0] == '\0')
			u = &board->ups[i];
	for (int i = 0; u == NULL && i < MG_BOARD_UPSTREAMS; i++)
		if (!named(board->ups[i].name, names, n))
			u = &board->ups[i];
	if (u == NULL)
		return NULL;
	text_begin(u);
	memset(u->name, 0, sizeof(u->name));
	memcpy(u->name, name, strlen(name));
	u->text[0] = '\0';
	atomic_store(&u->state, MG_BOARD_UNKNOWN);
	atomic_store(&u->ok_ms, 0);
	atomic_store(&u->err_ms, 0);
	atomic_store(&u->procs, 0);
	atomic_store(&u->ok, 0);
	atomic_store(&u->failed, 0);
	text_end(u);
	return u;
}

void
mg_board_bind_upstreams(int generation, const char *const *names, int n)
{
	free(bound);
	bound = NULL;
	nbound = 0;
	if (board == NULL || n <= 0 ||
	    atomic_load(&board->generation) != generation ||
	    (bound = calloc((size_t)n, sizeof(*bound))) == NULL)
		return;
	nbound = n;
	bound_gen = generation;
	for (int i = 0; i < n; i++) {
		if (names[i] == NULL || strlen(names[i]) >= MG_BOARD_NAME)
			continue; /* shown as unknown */
		if ((bound[i] = up_find(names[i])) == NULL)
			bound[i] = up_claim(names[i], names, n);
		else /* an older connector's processes are not ours */
			atomic_store(&bound[i]->procs, 0);
	}
}

/* Upstream I's record, if this connector still writes the board. */
static up_rec_t *
up_mine(int i)
{
	if (i < 0 || i >= nbound || bound[i] == NULL ||
	    atomic_load_explicit(&board->generation, RLX) != bound_gen)
		return NULL;
	return bound[i];
}

/* The length of the valid UTF-8 character at P (of N bytes), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] < 0x80           ? 1
	    : p[0] >= 0xC2 && p[0] <= 0xDF ? 2
	    : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
	    : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4
					   : 0;

	if (len == 0 || len > n)
		return 0;
	for (size_t k = 1; k < len; k++)
		if ((p[k] & 0xC0) != 0x80)
			return 0;
	return len;
}

/* WHY into the record, cut at a character's start; controls become
 * spaces, bytes that are not UTF-8 '?': it came from the upstream, and
 * the page's JSON must stay valid UTF-8. */
static void
text_set(up_rec_t *u, const char *why)
{
	const unsigned char *p = (const unsigned char *)why;
	size_t               n = strlen(why), o = 0, len;

	text_begin(u);
	for (size_t i = 0; i < n; i += len) {
		if ((len = utf8_len(p + i, n - i)) == 0) {
			len = 1;
			if (o + 1 >= MG_BOARD_TEXT)
				break;
			u->text[o++] = '?';
			continue;
		}
		if (o + len >= MG_BOARD_TEXT)
			break;
		if (len == 1 && (p[i] < 0x20 || p[i] == 0x7f))
			u->text[o++] = ' ';
		else
			for (size_t k = 0; k < len; k++)
				u->text[o++] = (char)p[i + k];
	}
	u->text[o] = '\0';
	text_end(u);
}

void
mg_board_up_result(int i, int ok, const char *why)
{
	up_rec_t *u = up_mine(i);

	if (u == NULL)
		return;
	if (ok) {
		atomic_store_explicit(&u->ok_ms, mg_board_wall_ms(), RLX);
		atomic_fetch_add_explicit(&u->ok, 1, RLX);
		atomic_store_explicit(&u->state, MG_BOARD_OK, RLX);
		return;
	}
	text_set(u, why != NULL && *why ? why : "failed");
	atomic_store_explicit(&u->err_ms, mg_board_wall_ms(), RLX);
	atomic_fetch_add_explicit(&u->failed, 1, RLX);
	atomic_store_explicit(&u->state, MG_BOARD_FAILING, RLX);
}

void
mg_board_up_procs(int i, int n)
{
	up_rec_t *u = up_mine(i);

	if (u != NULL)
		atomic_store_explicit(&u->procs, n, RLX);
}

int
mg_board_upstream(const char *name, mg_board_up_t *out)
{
	char      n[MG_BOARD_NAME];
	up_rec_t *u;

	*out = (mg_board_up_t){ 0 };
	if (board == NULL || (u = up_find(name)) == NULL ||
	    text_read(u, n, out->last_error) != MG_OK || strcmp(n, name) != 0)
		return MG_DECLINED;
	out->state = atomic_load_explicit(&u->state, RLX);
	out->last_ok_ms = atomic_load_explicit(&u->ok_ms, RLX);
	out->last_error_ms = atomic_load_explicit(&u->err_ms, RLX);
	out->procs = atomic_load_explicit(&u->procs, RLX);
	out->ok = atomic_load_explicit(&u->ok, RLX);
	out->failed = atomic_load_explicit(&u->failed, RLX);
	return MG_OK;
}
