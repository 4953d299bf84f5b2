/*
 * Connecting to a host by name without blocking: its addresses from the
 * resolver (resolve.h), in turn, and on a failed connect the next one,
 * until one answers or none is left.  The caller bounds the whole with
 * its connect_timeout (it cancels).
 */
#ifndef MG_DIAL_H
#define MG_DIAL_H

#include <event2/util.h>

#include "resolve.h"

struct bufferevent;

typedef struct mg_dial mg_dial_t;

/* FD connected (the caller's now), or -1 and ERR. */
typedef void (*mg_dial_cb)(void *arg, evutil_socket_t fd, const char *err);

/* Connects to HOST:PORT, then CB(ARG), never inside this call; a handle
 * for mg_dial_cancel until then, or NULL (out of memory). */
mg_dial_t *mg_dial(struct event_base *base, mg_resolver_t *r, const char *host,
    const char *port, mg_dial_cb cb, void *arg);
void       mg_dial_cancel(mg_dial_t *d);

/* The same into BEV (made with fd -1): it gets the socket and says
 * BEV_EVENT_CONNECTED (TLS: after its handshake); or FAILED(ARG, ERR).
 * *SLOT holds the dial until then (NULL after); 0, or -1 (no memory). */
typedef void (*mg_dial_failed_cb)(void *arg, const char *err);
int mg_dial_bev(struct bufferevent *bev, mg_resolver_t *r, const char *host,
    const char *port, int tls, mg_dial_t **slot, mg_dial_failed_cb failed,
    void *arg);

/* The same for a connection someone else makes (evhttp): the addresses
 * of HOST in turn, each as numeric text, READY(ARG, NULL) when one is
 * there to try (mg_turn_addr) and again after mg_turn_next, or
 * READY(ARG, ERR) when there is none. */
typedef struct mg_turn mg_turn_t;
typedef void (*mg_turn_cb)(void *arg, const char *err);

mg_turn_t  *mg_turn_new(struct event_base *base, mg_resolver_t *r,
     const char *host, const char *port, mg_turn_cb ready, void *arg);
const char *mg_turn_addr(const mg_turn_t *t);
/* The address given cannot be reached: 1 if another one comes (READY,
 * on the next turn of the loop), 0 if none is left. */
int  mg_turn_next(mg_turn_t *t);
void mg_turn_free(mg_turn_t *t);

#endif
