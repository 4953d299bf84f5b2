/*
 * The access log's variables (logvar.c): what a line's variable parts
 * are made of, and the master's check that every name a log_format uses
 * is one of them.
 */
#ifndef MG_LOGVAR_H
#define MG_LOGVAR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "conf.h"
#include "http.h"

struct mg_mcp_ex;

#define MG_LOG_SCRATCH 1024 /* bytes a variable may make its value in */

/* The request being logged, and what its variables found out so far. */
typedef struct {
	mg_http_req_t          *req;
	const struct mg_mcp_ex *ex; /* NULL: the request had no exchange */
	struct timeval          tv; /* the wall clock, once read */
	int                     have_tv;
} mg_log_ctx_t;

/* A variable's value and *LEN, or NULL when there is none. */
typedef const char *(*mg_logvar_fn_t)(
    mg_log_ctx_t *c, const char *arg, char *buf, size_t size, size_t *len);

/* For the writers of logfast.c, the same values as the variables': the
 * local time's seconds ("2026-12-07T18:46:46", made once a second), and
 * a value quoted with '?' for unsafe bytes, KIND: before it (NULL: none),
 * in SIZE bytes at most. */
extern const char mg_log_pairs[201]; /* "00" to "99", for numbers */
/* 1: a byte that no escape changes (printable ASCII but " and \\) */
extern const unsigned char mg_log_plain[256];
const char *mg_logvar_local_seconds(mg_log_ctx_t *c, size_t *len);
const char *mg_logvar_quoted(
    const char *kind, const char *s, char *buf, size_t size, size_t *len);

/* Master: each variable of CONF's formats resolved to its row (the
 * part's var, fn, arg and raw); MG_ERROR with *err naming file and line of
 * a format that names an unknown one. */
int mg_logvar_resolve(mg_conf_t *conf, char **err);

#endif
