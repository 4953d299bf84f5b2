/*
 * New trace and span ids (trace.h).  RAND_bytes costs about 6,800
 * instructions a call (measured with callgrind, 24 bytes), more than a
 * tenth of a whole proxied call; so each process seeds a generator of its
 * own from RAND_bytes once, on first use, and draws from it after:
 * splitmix64 (a counter over a random start, through a bijective mix),
 * which never gives one process the same 64 bits twice and costs a few
 * instructions.  Ids are for telling requests apart, not secrets.
 *
 * The master never draws: each worker (forked from it) seeds its own.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "trace.h"

static uint64_t state;
static int      seeded;

static void
seed(void)
{
	struct timespec ts;

	if (RAND_bytes((unsigned char *)&state, sizeof(state)) != 1) {
		/* no entropy: still distinct per process and moment */
		clock_gettime(CLOCK_REALTIME, &ts);
		state = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
		    ((uint64_t)getpid() << 40);
	}
	seeded = 1;
}

static uint64_t
next64(void)
{
	uint64_t z;

	if (!seeded)
		seed();
	z = (state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* 8 bytes, never all zeros (the spec forbids such ids). */
static void
draw(uint8_t *out)
{
	uint64_t v;

	while ((v = next64()) == 0)
		;
	memcpy(out, &v, sizeof(v));
}

void
mg_trace_new_trace(mg_trace_t *t)
{
	draw(t->trace_id);
	draw(t->trace_id + 8);
	t->flags = 0; /* not sampled: we record no trace data ourselves */
	t->from_client = 0;
}

void
mg_trace_new_span(mg_trace_t *t)
{
	draw(t->span_id);
}
