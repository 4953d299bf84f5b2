/*
 * What workers and the connector share: their event loop's link to the
 * master (control channel, signals, readiness).  The master's word comes
 * as callbacks; a master that is gone ends the child.
 */
#ifndef MG_CHILD_H
#define MG_CHILD_H

#include "msg.h"
#include "proc.h"

struct event_base;

typedef struct {
	void (*quit)(void *arg);      /* finish what is in flight, then exit */
	void (*terminate)(void *arg); /* exit now */
	void (*link)(void *arg, int fd, const mg_msg_link_t *link);
	/* a reopened access log (USR1): the child owns FD; NULL: no logs */
	void (*reopen_log)(void *arg, int index, int fd);
	void *arg;
} mg_child_ops_t;

typedef struct mg_child mg_child_t;

/* Set up the loop's control side: channel, signals.  NULL on failure. */
mg_child_t *mg_child_new(
    mg_child_ctx_t *ctx, struct event_base *base, const mg_child_ops_t *ops);
/* Tell the master this child serves. */
int  mg_child_ready(mg_child_t *child);
void mg_child_free(mg_child_t *child);

/* Common start of every child: signals, log role, title, privileges. */
void mg_child_init(mg_child_ctx_t *ctx);

/* The event loop of a child.  epoll changes made during one turn of the
 * loop are applied together before it waits (libevent's changelist), so
 * an event added and removed in one turn costs no system call. */
struct event_base *mg_event_base_new(void);

/* Give freed heap memory back to the system (glibc's malloc_trim; a no-op
 * elsewhere): after a burst of connections or sessions is over. */
void mg_memory_trim(void);

#endif
