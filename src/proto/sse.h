/*
 * Server-Sent Events (WHATWG HTML, "Server-sent events"), as MCP's
 * Streamable HTTP transport carries them: an encoder for the streams the
 * gateway serves, and an incremental parser for the streams it reads from
 * upstream servers.  Pure: no I/O.
 */
#ifndef MG_SSE_H
#define MG_SSE_H

#include <stddef.h>

#include "mcpgw.h"

struct evbuffer;

/* The parser's event limit when none is given. */
#define MG_SSE_MAX_EVENT (16u * 1024 * 1024)

/*
 * Append one event: "id: ID\n" if ID is not NULL, "event: TYPE\n" if TYPE is
 * neither NULL nor empty, one "data: LINE\n" per line of DATA (split at
 * "\r\n", "\n" and "\r"; a reader joins the lines with "\n"), then "\n".  An
 * empty value drops the space after the colon: empty DATA (MCP's priming
 * event) is "data:\n", which a reader takes as data "".  ID and TYPE must
 * not contain "\r" or "\n" (MG_ERROR, nothing written).  The event is
 * appended whole or not at all.
 */
int mg_sse_write_event(struct evbuffer *out, const char *id, const char *type,
    const char *data, size_t len);

/* "retry: MS\n\n": how long a reader waits before reconnecting. */
int mg_sse_write_retry(struct evbuffer *out, unsigned ms);

/* ": TEXT\n\n" (":\n\n" for NULL or ""), a keep-alive readers ignore. */
int mg_sse_write_comment(struct evbuffer *out, const char *text);

/*
 * One event as the parser hands it over; the strings are valid during the
 * callback only.  The parser calls back for every block, ended by a blank
 * line, that had at least one data, event, id or retry field; a block with
 * no data line (HAS_DATA 0) is one WHATWG would not dispatch, but its id or
 * retry still matters to the reader.  A lone "data:" line gives HAS_DATA 1
 * and DATA "" (WHATWG dispatches that).
 */
typedef struct {
	/* This block's id field; NULL if it had none. */
	const char *id;
	/* WHATWG's last event ID, which persists across events ("" until an
	   id comes): what a reconnection's Last-Event-ID carries. */
	const char *last_id;
	/* "message" if no event field.  A NUL in it is given as U+FFFD, so
	   that "message\0x" cannot pass for "message". */
	const char *type;
	/* The data lines joined by "\n"; NUL-terminated, may hold NULs. */
	const char *data;
	size_t      data_len;
	int         has_data;
	long        retry; /* milliseconds; -1 if no valid retry field */
} mg_sse_event_t;

typedef void mg_sse_event_cb(void *arg, const mg_sse_event_t *ev);

typedef struct mg_sse_parser mg_sse_parser_t;

/*
 * A parser calling CB(ARG, event) for each event.  MAX_EVENT (0: the
 * default) bounds the bytes kept for one event (the lines of its data,
 * event, id and retry fields) and the length of any one line.
 */
mg_sse_parser_t *mg_sse_parser_new(
    size_t max_event, mg_sse_event_cb *cb, void *arg);

/*
 * Feed the next LEN bytes of the stream, split anywhere.  MG_OK, or
 * MG_ERROR when an event or line is over the limit; the parser then stays
 * failed.  The callback must not free the parser.  Bytes are taken as they
 * are: a leading UTF-8 BOM is dropped, but invalid UTF-8 is not replaced
 * (the JSON-RPC parser refuses it).  An event cut off by the end of the
 * stream is never reported, as WHATWG requires.
 */
int mg_sse_parser_feed(mg_sse_parser_t *p, const char *buf, size_t len);

void mg_sse_parser_free(mg_sse_parser_t *p);

#endif
