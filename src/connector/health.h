/*
 * Active health checks (the connector): every upstream with a
 * health_check has each of its servers probed at its interval by an MCP
 * request of its own (health.c); a server that fails `fails` probes in a
 * row is down until it passes `passes` in a row (healthstate.c), and a
 * down server is given no new session: a pool's member is taken out of
 * its pool (pool.h), the server of an upstream of its own refuses them.
 */
#ifndef MG_HEALTH_H
#define MG_HEALTH_H

#include "conf.h"
#include "upstream.h"

struct event_base;

/* ---- the state of one server (healthstate.c: pure, no I/O) ------------ */

typedef struct {
	int down;   /* 1: taken out by its probes */
	int fails;  /* failed in a row (while up) */
	int passes; /* passed in a row (while down) */
} mg_health_state_t;

enum { MG_HEALTH_SAME, MG_HEALTH_WENT_DOWN, MG_HEALTH_CAME_UP };

/* One probe's result (OK 1: passed) under H's fails and passes: what
 * became of S (MG_HEALTH_*). */
int mg_health_note(mg_health_state_t *s, int ok, const mg_health_conf_t *h);

/* ---- the prober (health.c) ------------------------------------------ */

typedef struct mg_health mg_health_t;

/* Probes for CONF's upstreams through UPS, from BASE's loop; NULL when
 * out of memory.  Nothing is probed before the first interval ends. */
mg_health_t *mg_health_start(
    struct event_base *base, const mg_conf_t *conf, mg_upstreams_t *ups);
/* No more probes: those in flight are cancelled, nothing waits. */
void mg_health_stop(mg_health_t *h);
/* Is the server of the upstream of index UP (not a pool's: pool.h keeps
 * its members' state) down?  0 when H is NULL. */
int mg_health_is_down(const mg_health_t *h, int up);

#endif
