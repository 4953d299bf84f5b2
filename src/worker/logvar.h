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

/* Master: each variable of CONF's formats resolved to its row (the
 * part's var, fn, arg and raw); MG_ERROR with *err naming file and line of
 * a format that names an unknown one. */
int mg_logvar_resolve(mg_conf_t *conf, char **err);

#endif
