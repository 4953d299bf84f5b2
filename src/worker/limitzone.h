/*
 * The request limits' shared tables (limitzone.c): one region per
 * limit_req_zone or limit_conn_zone, mapped MAP_SHARED by the master
 * before it forks the workers, holding a fixed number of entries (the
 * zone's size over an entry's), one per key (a 64-bit keyed hash of the
 * key's text).  Entries are claimed and updated with compare-and-swap
 * alone: no lock, so a worker killed at any instruction leaves nothing
 * held.  When the probe window of a key is full, the least recently
 * used entry is taken over (limit_req) or the call refused (limit_conn:
 * a count in flight is never dropped).
 *
 * The decision of limit_req is one function, mg_limitreq_take: a store
 * shared by several instances (Redis) decides the same way elsewhere.
 */
#ifndef MG_LIMITZONE_H
#define MG_LIMITZONE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"

/* What limit_req says of a request, as nginx's $limit_req_status. */
typedef enum {
	MG_LIMIT_PASSED = 0,
	MG_LIMIT_DELAYED,
	MG_LIMIT_REJECTED,
	MG_LIMIT_DELAYED_DRY_RUN,
	MG_LIMIT_REJECTED_DRY_RUN,
	MG_LIMIT_NSTATUS
} mg_limit_status_t;

extern const char *const mg_limit_status_names[MG_LIMIT_NSTATUS];

typedef struct {
	mg_limit_status_t status;   /* PASSED, DELAYED or REJECTED */
	int64_t           delay_ms; /* DELAYED: how long */
	int64_t           retry_ms; /* REJECTED: until one would pass */
} mg_limit_verdict_t;

/*
 * The leaky bucket of nginx's limit_req, on one key's state: EXCESS
 * milli-requests above the rate, MS since it was last updated (FRESH: a
 * key never seen, which passes and starts at 0).  RATE in
 * milli-requests a second, BURST and DELAY in milli-requests.  Sets
 * *NEXT, the excess to keep when the request is counted, and V.  Pure:
 * the unit tests drive it with their own clock.
 */
void mg_limit_bucket(int64_t excess, int64_t ms, int fresh, int64_t rate,
    int64_t burst, int64_t delay, int64_t *next, mg_limit_verdict_t *v);

/* Master: a region for each zone of CONF (zone->shm), the running one's
 * kept for a zone of the same name, kind, key, size and rate (its state
 * goes on across a reload); unmapped with the last configuration that
 * uses it.  MG_OK, or MG_ERROR with *ERR (malloc'd). */
int mg_limitzones_map(mg_conf_t *conf, char **err);

/* The 64-bit key of TEXT in ZONE (keyed by the zone's random seed). */
uint64_t mg_limitzone_hash(
    const mg_limit_zone_t *zone, const char *text, size_t len);

/*
 * limit_req: one request of key HASH at NOW_MS (CLOCK_MONOTONIC) against
 * ZONE with REF's burst and delay; ACCOUNT 0 only asks (the state is not
 * changed), as nginx does for every zone of a request but the last.
 * MG_OK with *V, or MG_DECLINED (the zone has no table: not counted).
 */
int mg_limitreq_take(const mg_limit_zone_t *zone, const mg_limit_ref_t *ref,
    uint64_t hash, int64_t now_ms, int account, mg_limit_verdict_t *v);

/* limit_conn: one more call in flight for HASH, at most MAX: MG_OK
 * (release it with mg_limitconn_release and *CELL, where the zone
 * records which process holds it), MG_BUSY (refused), or MG_DECLINED
 * (no table: not counted). */
int  mg_limitconn_acquire(const mg_limit_zone_t *zone, uint64_t hash,
     int64_t max, int64_t now_ms, int64_t *cell);
void mg_limitconn_release(
    const mg_limit_zone_t *zone, uint64_t hash, int64_t cell);

/* Master: process PID ended (reaped): the calls in flight it still held
 * in any zone are given back (a worker killed with SIGKILL). */
void mg_limitzones_reaped(pid_t pid);

/* Keys taken over in ZONE because it was full, so far (every process). */
uint64_t mg_limitzone_evictions(const mg_limit_zone_t *zone);

#endif
