/*
 * The status board: what the status page shows of every process and
 * upstream, in memory the master maps shared before its first fork.
 *
 * Each record has one writer, so nothing takes a lock:
 *  - a process record (one per child of the master's table, and one for
 *    the master itself): the master writes who it is (pid, role, slot,
 *    generation, start, restarts); the process writes its counters (the
 *    last minute's requests and errors, open connections and streams).
 *    A respawned child takes over its predecessor's record, so its
 *    slot's last minute goes on; a record the master frees (an old
 *    generation gone) is folded into the master's own first.
 *  - an upstream record, keyed by the upstream's name, written only by
 *    the connector of the running generation (the generation the master
 *    last started): a reload keeps the health of an upstream whose name
 *    stays, and a connector of an older generation, still finishing its
 *    exchanges, writes nothing.
 * Readers (the status page, in any worker) read with relaxed atomics; a
 * text is read under a sequence count and never torn.  The hot path (a
 * request's end) costs a coarse clock read (vDSO, no system call) and
 * two relaxed increments.
 */
#ifndef MG_BOARD_H
#define MG_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "mcpgw.h"

#define MG_BOARD_PROCS 1024    /* process records: children alive at once */
#define MG_BOARD_UPSTREAMS 512 /* upstream records */
#define MG_BOARD_RATE_S 60     /* the rates' window: one bucket a second */
#define MG_BOARD_NAME 128      /* an upstream name, NUL included */
#define MG_BOARD_TEXT 200      /* an upstream's last error, cut to this */

#define MG_BOARD_UNKNOWN 0 /* no exchange yet */
#define MG_BOARD_OK 1      /* its last exchange got an answer */
#define MG_BOARD_FAILING 2 /* its last exchange failed */

/* A process, as the page reads it. */
typedef struct {
	int      pid; /* 0: dead, waiting to be respawned */
	int      role, slot, generation;
	int64_t  started_ms; /* wall clock, ms since the epoch */
	int64_t  uptime_ms;  /* since that start */
	unsigned restarts;   /* of its slot, in its generation */
	int      conns;      /* open connections (a worker) */
	int      streams;    /* open SSE streams (a worker) */
	uint64_t requests;   /* in the last MG_BOARD_RATE_S seconds */
	uint64_t errors;     /* status >= 500 or a JSON-RPC error */
} mg_board_proc_t;

/* An upstream, as the page reads it. */
typedef struct {
	int      state;                     /* MG_BOARD_* */
	int64_t  last_ok_ms, last_error_ms; /* wall clock; 0: never */
	char     last_error[MG_BOARD_TEXT];
	int      procs;      /* stdio: processes running */
	uint64_t ok, failed; /* exchanges, since the record was claimed */
} mg_board_up_t;

typedef struct {
	int      generation; /* the running one */
	unsigned reloads;
	int64_t  reload_ms; /* wall clock of the last; 0: none */
} mg_board_info_t;

/* ---- the master ---------------------------------------------------- */

/* Map the board, before the first fork; the master's record is 0.
 * MG_OK, or MG_ERROR (errno).  Without it every call is a no-op. */
int mg_board_init(void);
/* A new generation runs: the connectors of older ones stop writing. */
void mg_board_generation(int generation, int reload);
/* A record for a child of ROLE, SLOT, GENERATION: its index, or -1 when
 * every record is taken (that child is then not shown). */
int mg_board_claim(int role, int slot, int generation);
/* Child I started as PID (0: it died and waits to be respawned), after
 * RESTARTS restarts of its slot. */
void mg_board_started(int i, int pid, unsigned restarts);
/* Record I's child is gone for good: its last minute goes to the
 * master's record, and I is free. */
void mg_board_release(int i);

/* ---- a child -------------------------------------------------------- */

/* Its record (from mg_board_claim; -1: none). */
void mg_board_use(int i);
/* A request ended at END_US on CLOCK_MONOTONIC (0: now); ERROR: it counts
 * as an error too.  The readers' coarse clock may lag END_US by a tick:
 * a bucket up to a second ahead of theirs is counted. */
void mg_board_request(int error, int64_t end_us);
/* Its open connections and streams (a worker). */
void mg_board_conns(int n);
void mg_board_streams(int delta);

/* The connector of GENERATION: the records of its upstreams, by index,
 * NAMES[0..N-1] (one claimed for each name not on the board, taking a
 * free record or one of a name not in NAMES).  Nothing when it is not
 * the running generation's connector. */
void mg_board_bind_upstreams(int generation, const char *const *names, int n);
/* Upstream I's exchange got an answer (OK), or failed saying WHY. */
void mg_board_up_result(int i, int ok, const char *why);
/* Upstream I's stdio processes running now. */
void mg_board_up_procs(int i, int n);

/* ---- the page -------------------------------------------------------- */

void mg_board_info(mg_board_info_t *info);
/* Process record I (0 .. MG_BOARD_PROCS-1): MG_OK, or MG_DECLINED when
 * the record is free. */
int mg_board_proc(int i, mg_board_proc_t *p);
/* The upstream NAME: MG_OK, or MG_DECLINED when it has no record. */
int mg_board_upstream(const char *name, mg_board_up_t *u);

/* Clocks: wall and monotonic ms; the coarse second the rates count in. */
int64_t mg_board_wall_ms(void);
int64_t mg_board_mono_ms(void);

#endif
