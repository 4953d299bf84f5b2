/*
 * Writes of a plain-socket bufferevent without waiting for EV_WRITE.
 *
 * libevent's socket bufferevents write only when epoll says the socket is
 * writable: queuing an answer costs an epoll_ctl to add the write event, a
 * turn of the loop, and another epoll_ctl to remove it.  A socket that is
 * not full takes the bytes at once, so mg_wflush writes the output itself
 * at the end of the turn in which it was queued (an activated event: no
 * system call), and hands over to the bufferevent (EV_WRITE enabled) only
 * when the socket did not take everything; the owner's write callback
 * calls mg_wflush_idle() once libevent drained it, and the direct path
 * takes over again.  TLS bufferevents keep libevent's own path.
 */
#ifndef MG_WFLUSH_H
#define MG_WFLUSH_H

struct bufferevent;
struct event_base;

typedef struct mg_wflush mg_wflush_t;

typedef struct {
	/* the output went out (as the bufferevent's write callback would) */
	void (*drained)(void *arg);
	/* writing failed: ERRNO says why */
	void (*failed)(void *arg, int err);
	void *arg;
} mg_wflush_ops_t;

/* Take over the writes of BEV (EV_WRITE is disabled); NULL on failure. */
mg_wflush_t *mg_wflush_new(struct event_base *base, struct bufferevent *bev,
    const mg_wflush_ops_t *ops);
void         mg_wflush_free(mg_wflush_t *w);
/* From the bufferevent's write callback: libevent emptied the output. */
void mg_wflush_idle(mg_wflush_t *w);

#endif
