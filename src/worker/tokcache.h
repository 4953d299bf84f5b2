/*
 * The verified-token cache of one worker: a token that passed every check
 * of an auth_jwt block is remembered, with what it said, until it expires,
 * so that the next request with it costs a hash and a compare instead of
 * a signature check.  An entry is found only for the same block, the same
 * key set (a set that changed verifies again) and the same audience (a
 * default audience follows the request's Host), which is what a fresh
 * verification would depend on besides the clock.
 *
 * Only verified tokens are stored, so a client cannot fill the cache with
 * garbage; it holds at most a configured number of entries (auth_token_cache)
 * and, when full, forgets the oldest.  Private to worker/.
 */
#ifndef MG_TOKCACHE_H
#define MG_TOKCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "jwt.h"

typedef struct mg_tokcache mg_tokcache_t;

/* What a lookup must match besides the token. */
typedef struct {
	const void *block;    /* the auth_jwt block */
	uint64_t    keys;     /* the key set it was verified with: its gen */
	const char *audience; /* the default audience used, or NULL */
} mg_tokcache_key_t;

/* A cache of at most MAX entries (0: none is kept); NULL without memory. */
mg_tokcache_t *mg_tokcache_new(size_t max);
void           mg_tokcache_free(mg_tokcache_t *c);

/* The verified token for K and TOKEN (LEN bytes) if it is cached and
 * still valid at NOW (seconds), else NULL (an expired entry is dropped).
 * The pointer is good until the next mg_tokcache_put. */
const mg_jwt_t *mg_tokcache_find(mg_tokcache_t *c, const mg_tokcache_key_t *k,
    const char *token, size_t len, int64_t now);

/* Remember T (its claims are shared, not moved) for K and TOKEN until
 * UNTIL (seconds).  MG_OK, or MG_ERROR without memory (nothing kept). */
int mg_tokcache_put(mg_tokcache_t *c, const mg_tokcache_key_t *k,
    const char *token, size_t len, int64_t until, const mg_jwt_t *t);

/* Entries now (tests and metrics). */
size_t mg_tokcache_count(const mg_tokcache_t *c);

#endif
