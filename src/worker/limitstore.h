/*
 * A request rate limit decided by the limit store (lstore.h) for a row of
 * the message phase: the zone's bucket in Redis, shared by every instance,
 * and what its answer (or its silence) means for the request.  Private to
 * worker/.
 */
#ifndef MG_LIMITSTORE_H
#define MG_LIMITSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "phase.h"

/* A stored zone's parameters, as the limit row has them. */
typedef struct {
	const char *zone;  /* its name: part of the key in Redis */
	int64_t     rate;  /* requests per 1000 s (nginx's r/s * 1000) */
	int64_t     burst; /* requests */
} mg_limit_stored_t;

/*
 * One request of KEY (LEN bytes) in zone Z, for EX's message MSG: MG_AGAIN
 * (asked; the row is run again with the answer and calls this again),
 * MG_OK (admitted; or the store is unavailable and fail=open), or MG_ERROR
 * (refused and answered: 429 with Retry-After, or 503 while the store is
 * unavailable with fail=closed).
 */
int mg_ex_limit_stored(mg_mcp_ex_t *ex, const mg_phase_msg_t *msg,
    const mg_limit_stored_t *z, const char *key, size_t len);

#endif
