/*
 * The replay buffer of one SSE stream: the last events sent, bounded in
 * bytes, so that a client that lost the stream and comes back with
 * Last-Event-ID gets what it missed.  Pure memory, no I/O.
 */
#ifndef MG_REPLAY_H
#define MG_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "mcpgw.h"

typedef struct mg_replay mg_replay_t;

/* A buffer holding at most LIMIT bytes of events (data plus a small
 * per-event overhead); NULL when out of memory. */
mg_replay_t *mg_replay_new(size_t limit);
void         mg_replay_free(mg_replay_t *r);

/* Keep event SEQ (one more than the last one added), dropping the
 * oldest events past the limit; an event larger than the limit is not
 * kept at all.  MG_ERROR when out of memory (the event counts as
 * dropped). */
int mg_replay_add(mg_replay_t *r, unsigned seq, const char *data, size_t len);

/*
 * Can a client whose last event is SEQ be given every later event?
 * MG_OK: yes; MG_DECLINED: some were dropped; MG_ERROR: SEQ was never
 * sent on this stream.
 */
int mg_replay_check(const mg_replay_t *r, unsigned seq);

/* Call CB for every event after SEQ, oldest first (check first). */
void mg_replay_since(const mg_replay_t *r, unsigned seq,
    void (*cb)(void *arg, unsigned seq, const char *data, size_t len),
    void *arg);

/* Bytes held now, as the limit counts them. */
size_t mg_replay_size(const mg_replay_t *r);

/*
 * Event ids of the gateway's own streams: "<stream as 16 hex digits>-<seq>",
 * at most MG_REPLAY_ID_MAX bytes with the NUL.  Parsing takes exactly
 * that form: MG_OK, or MG_ERROR for anything else (another server's id).
 */
#define MG_REPLAY_ID_MAX 28

void mg_replay_format_id(char *buf, uint64_t stream, unsigned seq);
int  mg_replay_parse_id(const char *text, uint64_t *stream, unsigned *seq);

#endif
