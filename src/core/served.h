/*
 * Whether a child has begun to serve: one flag per child in memory that
 * the master shares with it, set by the child on its first piece of
 * outside work (a worker's first connection, the connector's first
 * relayed request) and read by the master when the child dies.  A child
 * that crashed on a request had been serving: it is replaced at once, and
 * only a child that dies before it serves (a crash loop at start) backs
 * off.  Timing alone cannot tell them apart: a worker killed by a bad
 * request in its first second looks like one that failed to start.
 */
#ifndef MG_SERVED_H
#define MG_SERVED_H

#include "mcpgw.h"

/* In the master, before the first fork.  MG_OK, or MG_ERROR (errno). */
int mg_served_init(void);

/* In the master, before it forks a child: the child's flag, cleared, or
 * -1 when every flag is taken (then only the time rule applies). */
int mg_served_claim(void);
/* In the master, when the child of flag I is gone: was it set?  The flag
 * is free again. */
int mg_served_release(int i);

/* In the child, at start: its flag (from mg_served_claim). */
void mg_served_use(int i);
/* In the child: it serves now.  A load and a compare after the first. */
void mg_served_mark(void);

#endif
