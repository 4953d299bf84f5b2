/*
 * A limit_req zone kept in the limit store (limit_req_zone ... store): the
 * question to Redis for a row of the message phase, which waits for the
 * answer (phasewait.c), and the store's fail= policy when it cannot
 * answer.  Private to worker/.
 */
#ifndef MG_LIMITSTORE_H
#define MG_LIMITSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "phase.h"

/*
 * One request of KEY (LEN bytes) in zone Z, with BURST (requests) of the
 * limit_req line: MG_AGAIN (asked: the row returns MG_AGAIN, is run again
 * with the answer, and calls this again, which then gives it), MG_OK
 * (admitted; *MS the excess after it, in 1/1000 of a request, as nginx
 * counts it), MG_BUSY (refused; *MS until a request would pass), or
 * MG_DECLINED (the store cannot say: mg_limit_store_refuses).
 */
int mg_limit_stored(mg_mcp_ex_t *ex, const mg_limit_zone_t *z, int64_t burst,
    const char *key, size_t len, int64_t *ms);

/* The store could not say: whether its fail= refuses the request
 * (closed) or lets it pass (open); counted either way. */
int mg_limit_store_refuses(const mg_mcp_ex_t *ex);

#endif
