/*
 * The access log: lines in the operator's formats (log_format, logline.c)
 * written by the worker that answered the request, to files the master
 * opened (before privileges are dropped) and the children inherited; on
 * SIGUSR1 the master reopens them and hands the new descriptors to every
 * child.  A file named with buffer=SIZE keeps lines in the worker's
 * memory and writes them when SIZE would be passed, flush=TIME after the
 * first one kept (an event timer), at a reopen and when the worker stops.
 */
#ifndef MG_ACCESSLOG_H
#define MG_ACCESSLOG_H

#include "conf.h"
#include "http.h"
#include "logvar.h"

struct event_base;

/* Master: open every access_log file CONF names (reusing open ones), and
 * number each access_log with its file; MG_ERROR with *err naming the
 * file if one cannot be opened. */
int mg_accesslog_open(mg_conf_t *conf, char **err);
/* Master: reopen all; calls SEND(arg, index, fd) for each new fd. */
void mg_accesslog_reopen(void (*send)(void *arg, int index, int fd), void *arg);
/* Child: the master reopened file INDEX; FD replaces it (what the
 * worker kept for the old one is written first). */
void mg_accesslog_replace(int index, int fd);

/* Worker: the buffers CONF's access_log lines ask for, their timers on
 * BASE.  MG_ERROR when out of memory. */
int mg_accesslog_init(struct event_base *base, const mg_conf_t *conf);
/* Worker: write whatever is kept (a stop, a reopen). */
void mg_accesslog_flush(void);
/* Worker: and free the buffers. */
void mg_accesslog_free(void);

/* A line for C to each file of H's access_log. */
void mg_accesslog_write(const mg_http_conf_t *h, mg_log_ctx_t *c);

#endif
