/*
 * The limit store (limit_store, conf.h): a worker's one connection to the
 * Redis that every mcpgw instance shares, and the one thing asked of it,
 * a leaky-bucket decision (nginx's limit_req: rate and burst) taken
 * atomically in Redis by a Lua script on Redis' own clock.
 *
 * Nothing here blocks: hiredis' asynchronous context on the worker's
 * event_base, commands pipelined, each with its own timer; the connection
 * comes back by itself, with backoff.  While it is down, a decision is
 * not asked for at all: the caller applies the store's fail= policy.
 */
#ifndef MG_LSTORE_H
#define MG_LSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct event_base;

/* A decision: MG_OK (admitted; MS the bucket's excess after it, in
 * 1/1000 of a request, of which nginx makes a delay), MG_BUSY (refused;
 * MS until it would be admitted), or MG_DECLINED (the store did not
 * answer in time, or went away). */
typedef void (*mg_lstore_cb_t)(void *arg, int verdict, int64_t ms);

/* The worker's connection to CONF's limit_store, if it has one (the
 * connect starts now and is not waited for).  MG_OK, or MG_ERROR when
 * out of memory. */
int  mg_lstore_init(struct event_base *base, const mg_conf_t *conf);
void mg_lstore_free(void);

/*
 * One request of KEY (LEN bytes) in ZONE, whose rate is RATE requests
 * per 1000 s (nginx's: 10r/s is 10000) and burst BURST requests: MG_AGAIN,
 * CB(ARG, ...) comes later (never before this returns); or MG_DECLINED at
 * once, CB never called: no store, the store is down, or its queue full.
 */
int mg_lstore_take(const char *zone, const char *key, size_t len, int64_t rate,
    int64_t burst, mg_lstore_cb_t cb, void *arg);

/* Whether the store answers now (for the status and the tests). */
int mg_lstore_up(void);

#endif
