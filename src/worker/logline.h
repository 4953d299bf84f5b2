/*
 * An access log line (logline.c): a compiled format filled in and
 * escaped.  Pure functions over buffers: the unit tests drive them.
 */
#ifndef MG_LOGLINE_H
#define MG_LOGLINE_H

#include <stddef.h>

#include "conf.h"
#include "logvar.h"

#define MG_LOG_SCRATCH 1024 /* bytes a variable may make its value in */

/* 1: a byte that no escape changes (printable ASCII but " and \\) */
extern const unsigned char mg_log_plain[256];

/* S (LEN bytes) escaped as MODE (MG_LOG_ESC_*) into OUT, at most ROOM
 * bytes and never part of an escape or of a UTF-8 sequence; returns the
 * bytes written. */
size_t mg_log_escape(
    int mode, const char *s, size_t len, char *out, size_t room);

/* F's line for C, newline included, into OUT (MAX bytes at most: longer
 * values are cut, the literals kept); returns its length. */
size_t mg_log_line(
    const mg_log_format_t *f, mg_log_ctx_t *c, char *out, size_t max);

#endif
