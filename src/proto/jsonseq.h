/*
 * A streamed JSON body (application/json, one JSON-RPC message a line),
 * as an upstream may answer a request: read message by message as the
 * bytes come.  Pure: no I/O.
 *
 * Most upstreams send one JSON object and no newline: that body is kept
 * as it came and given whole at its end, unparsed, as before.  From the
 * first newline on, the body is a sequence: each JSON value is given as
 * soon as its last byte is in (whitespace and newlines between values
 * are dropped), so a one-object body written over many lines reads as
 * one message too.
 */
#ifndef MG_JSONSEQ_H
#define MG_JSONSEQ_H

#include <stddef.h>

#include "mcpgw.h"

/* MSG (LEN bytes, not NUL-terminated) is one message of the body;
 * RESPONSE: it is a JSON-RPC response (an object with "result" or
 * "error" and no "method"), a batch (an array), or the whole body given
 * at its end.  The callback must not free the parser. */
typedef void mg_jsonseq_cb(
    void *arg, const char *msg, size_t len, int response);

typedef struct mg_jsonseq mg_jsonseq_t;

/* A parser for one body; MAX bounds one message (and the bytes before
 * the first newline).  NULL: out of memory. */
mg_jsonseq_t *mg_jsonseq_new(size_t max, mg_jsonseq_cb *cb, void *arg);

/* Read the body as a sequence from its first byte: for an answer that is
 * a stream by nature (subscriptions/listen), whose first message must
 * not wait for a newline.  Before any byte is fed.  MG_OK or MG_ERROR. */
int mg_jsonseq_begin(mg_jsonseq_t *p);

/* The next LEN bytes of the body, split anywhere.  MG_OK, or MG_ERROR
 * (a message over MAX, or not JSON): the parser then stays failed and
 * mg_jsonseq_error says why. */
int mg_jsonseq_feed(mg_jsonseq_t *p, const char *buf, size_t len);

/* The body ended.  MG_OK, or MG_ERROR if it ended inside a message. */
int mg_jsonseq_end(mg_jsonseq_t *p);

/* Why the parser failed ("" if it has not). */
const char *mg_jsonseq_error(const mg_jsonseq_t *p);

/* Messages given so far. */
size_t mg_jsonseq_count(const mg_jsonseq_t *p);

void mg_jsonseq_free(mg_jsonseq_t *p);

#endif
