/*
 * The session table shared by every process of one master: anonymous
 * shared memory made before the first fork, so any worker sees a session
 * that another created, touched or deleted.  Lock-free: slots change by
 * atomic compare-and-swap only, so no process ever waits on another.
 *
 * The sealed session token (session.c) says what a session is; this
 * table says whether it is still alive: last use (for the idle timeout)
 * and deletion (DELETE answers 404 afterwards on every worker).
 *
 * It also counts the live sessions of each owner (a client address, for
 * sessions_per_address): a slot remembers its session's owner, and the
 * count goes down when the session is deleted or the sweep ends it,
 * whichever worker created it.
 */
#ifndef MG_SESSTAB_H
#define MG_SESSTAB_H

#include <stddef.h>
#include <stdint.h>

#include "mcpgw.h"

typedef struct mg_sesstab mg_sesstab_t;

/* Room for at least CAPACITY live sessions.  NULL (errno) on failure. */
mg_sesstab_t *mg_sesstab_create(size_t capacity);
void          mg_sesstab_destroy(mg_sesstab_t *t);
size_t        mg_sesstab_capacity(const mg_sesstab_t *t);
/* Live sessions now (for the metrics: a moment's count). */
size_t mg_sesstab_live(const mg_sesstab_t *t);

/*
 * Who a session is counted against, from a client key (limit.h): never 0.
 * Owners are counted approximately (a count-min sketch of two rows of
 * counters, keyed with a random seed per table, at least 4096 a row): a
 * count is never below the truth, and above it only when two busy owners
 * share both counters.
 */
uint32_t mg_sesstab_owner(const mg_sesstab_t *t, uint64_t client);
/* Live sessions of OWNER now (the early check of a proxy route). */
uint32_t mg_sesstab_owner_count(const mg_sesstab_t *t, uint32_t owner);

/* A new live session, counted against no one: MG_OK, or MG_DECLINED
 * when the table is full or already holds ID. */
int mg_sesstab_add(mg_sesstab_t *t, uint64_t id, int64_t now_ms);
/*
 * A new live session of OWNER (0: no one): as mg_sesstab_add, or MG_BUSY
 * when OWNER has LIMIT live sessions already (LIMIT 0: no limit).  A full
 * table is checked first.  Two adds racing at the limit on different
 * workers may both pass: an owner holds LIMIT + 1 at most.
 */
int mg_sesstab_add_for(mg_sesstab_t *t, uint64_t id, int64_t now_ms,
    uint32_t owner, uint32_t limit);

/*
 * Use a session: MG_OK (alive; its idle clock restarts), MG_DECLINED
 * (deleted or idle past TIMEOUT_MS: it is gone), MG_AGAIN (not in the
 * table at all).
 */
int mg_sesstab_touch(
    mg_sesstab_t *t, uint64_t id, int64_t now_ms, int64_t timeout_ms);

/* End a session: MG_OK, or MG_DECLINED if it was not alive. */
int mg_sesstab_delete(mg_sesstab_t *t, uint64_t id, int64_t now_ms);

/*
 * Forget sessions that ended (deleted or idle) more than TIMEOUT_MS ago;
 * until then their ids still answer "gone".  Returns how many are alive.
 * ENDED, if not NULL, is called with each session that went idle since
 * the last sweep (to close what it held upstream).
 */
size_t mg_sesstab_sweep(mg_sesstab_t *t, int64_t now_ms, int64_t timeout_ms,
    void (*ended)(void *arg, uint64_t id), void *arg);

/* A random session number, never one of the table's reserved values. */
uint64_t mg_sesstab_new_id(void);

#endif
