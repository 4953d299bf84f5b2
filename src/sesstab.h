/*
 * The session table shared by every process of one master: anonymous
 * shared memory made before the first fork, so any worker sees a session
 * that another created, touched or deleted.  Lock-free: slots change by
 * atomic compare-and-swap only, so no process ever waits on another.
 *
 * The sealed session token (session.c) says what a session is; this
 * table says whether it is still alive: last use (for the idle timeout)
 * and deletion (DELETE answers 404 afterwards on every worker).
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

/* A new live session: MG_OK, or MG_DECLINED when the table is full or
 * already holds ID. */
int mg_sesstab_add(mg_sesstab_t *t, uint64_t id, int64_t now_ms);

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
