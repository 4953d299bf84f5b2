/*
 * An access log line (logline.c): a compiled format filled in and
 * escaped.  Pure functions over buffers: the unit tests drive them.
 */
#ifndef MG_LOGLINE_H
#define MG_LOGLINE_H

#include <stddef.h>

#include "conf.h"
#include "logfast.h"
#include "logvar.h"

/* S (LEN bytes) escaped as MODE (MG_LOG_ESC_*) into OUT, at most ROOM
 * bytes and never part of an escape or of a UTF-8 sequence; returns the
 * bytes written. */
size_t mg_log_escape(
    int mode, const char *s, size_t len, char *out, size_t room);

/* F's line for C, newline included, into OUT (MAX bytes at most: longer
 * values are cut, the literals kept); returns its length.  The generic
 * loop over F's parts: */
size_t mg_log_line_parts(
    const mg_log_format_t *f, mg_log_ctx_t *c, char *out, size_t max);

/* and the same by the format's own writer (logfast.c) when it has one
 * and the line is whole, else by the loop */
static inline size_t
mg_log_line(const mg_log_format_t *f, mg_log_ctx_t *c, char *out, size_t max)
{
	size_t n;

	if (f->fast != NULL && max >= 2 &&
	    (n = ((mg_log_fast_fn_t)f->fast)(f, c, out, max - 1)) > 0) {
		out[n] = '\n';
		return n + 1;
	}
	return mg_log_line_parts(f, c, out, max);
}

#endif
