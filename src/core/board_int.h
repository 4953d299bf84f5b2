/*
 * The status board's shared layout (board.h), between its two files:
 * board.c (the mapping, process records and rates) and boardup.c
 * (upstream records).  Private to core/.
 */
#ifndef MG_BOARD_INT_H
#define MG_BOARD_INT_H

#include <stdatomic.h>

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

/* The mapping (board.c); NULL until mg_board_init. */
extern board_t *mg_board_map;

#endif
