/*
 * Upstream pools in the connector (docs/configuration.md, "Pools"): the
 * state of each member (up or out, its failures), the choice of a member
 * for a new session, and the tag that names a member in the session ids
 * the connector hands to the workers.
 *
 * A member is an upstream of its own (conf.h: mg_upstream_member_t, its
 * up), so every transport serves it as any upstream; a pool's exchanges
 * go through poolx.c, which picks, tags, follows and retries.
 */
#ifndef MG_POOL_H
#define MG_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* ---- the picker (poolpick.c): pure, no clock, no log ------------------ */

typedef struct {
	int     weight;  /* >= 1 */
	int     backup;  /* used when no other member is */
	int     down;    /* out now (failures, or a health check) */
	int     conns;   /* exchanges in flight on it */
	int64_t current; /* smooth weighted round-robin's (as nginx's) */
} mg_pick_t;

/*
 * The member of V[N] the next session goes to, or -1: among those not
 * TRIED (TRIED[i] nonzero; NULL: none), the members up that are no
 * backup, else the backups up, else, when every member is down, any of
 * them (as nginx: they are tried anyway).  Smooth weighted round-robin
 * (nginx's): each candidate's current grows by its weight, the highest
 * is chosen and loses the candidates' total.  LEAST_CONN: only the
 * candidates with the fewest conns for their weight, round-robin among
 * them.
 */
int mg_pick(mg_pick_t *v, size_t n, int least_conn, const unsigned char *tried);

/* The member of V[N] a session SID whose own member is gone goes to:
 * the same on every connector that sees the same members up (the
 * highest hash of SID and TAGS[i]), among those not TRIED: the members
 * up that are no backup, else the backups up, else any; -1 if none. */
int mg_pick_hash(const mg_pick_t *v, const uint32_t *tags, size_t n,
    const char *sid, const unsigned char *tried);

/* A member's tag before an upstream's session id: "xxxxxxxx." */
#define MG_POOL_TAG_LEN 9

/* SID with TAG before it into OUT[SIZE]: MG_OK, or MG_DECLINED when it
 * does not fit (the session then follows mg_pick_hash). */
int mg_pool_tag_sid(uint32_t tag, const char *sid, char *out, size_t size);
/* 1 and *TAG, *REST (the upstream's own id) if SID begins with a tag
 * and has an id after it; 0 otherwise. */
int mg_pool_sid_tag(const char *sid, uint32_t *tag, const char **rest);

/* ---- member state (pool.c): one place, for passive and active health -- */

typedef struct mg_pools mg_pools_t;

/* The connector's is made by mg_upstreams_new (upstream.h:
 * mg_upstreams_pools). */
mg_pools_t *mg_pools_new(const mg_conf_t *conf);
void        mg_pools_free(mg_pools_t *ps);
/* Its members' series (metrics.h), once the connector counts. */
void mg_pools_metrics(mg_pools_t *ps);

/* M (a member's upstream, conf.h's member->up) failed to answer: the
 * max_fails-th failure within fail_timeout takes it out for
 * fail_timeout (logged once). */
void mg_pool_member_fail(
    mg_pools_t *ps, const mg_upstream_t *m, const char *why);
/* M answered: its failures are forgotten (back in: logged once). */
void mg_pool_member_ok(mg_pools_t *ps, const mg_upstream_t *m);
/* An active check's verdict: DOWN 1 takes M out until a call with 0
 * (logged once per change), whatever its passive failures say. */
void mg_pool_member_down(
    mg_pools_t *ps, const mg_upstream_t *m, int down, const char *why);
/* Does M take new sessions now? */
int mg_pool_member_usable(mg_pools_t *ps, const mg_upstream_t *m);
/* Exchanges in flight on M (least_conn): +1 or -1. */
void mg_pool_member_conns(mg_pools_t *ps, const mg_upstream_t *m, int delta);

/* The member of POOL (an upstream with members) for a new session, or
 * for session SID ("" : a new one) whose member is TAG (HAS_TAG 0: none
 * or gone), skipping those TRIED[MG_POOL_MEMBERS_MAX] marks (by member
 * number) and marking the one chosen; NULL if none is left. */
const mg_upstream_t *mg_pool_choose(mg_pools_t *ps, const mg_upstream_t *pool,
    const char *sid, int has_tag, uint32_t tag, unsigned char *tried);

/* Why the exchange whose end op comes next failed, noted by its transport
 * just before that call, and 0 after it: */
#define MG_POOL_FAIL_CONNECT                                                   \
	1 /* nothing reached the server (connect,                              \
	     TLS handshake, a process that did not                             \
	     start) */
#define MG_POOL_FAIL_ANSWER                                                    \
	2 /* sent; not a byte of an answer came                                \
	     (reset, closed, read_timeout) */
void mg_pool_note_failure(int kind);

#endif
