/*
 * The access log: one line per HTTP request, written by the worker that
 * answered it.  The files are opened by the master (before privileges are
 * dropped) and inherited; on SIGUSR1 the master reopens them and hands
 * the new descriptors to every child.
 *
 * A line: time, client address, server, location, session (shortened),
 * HTTP method, JSON-RPC method, tool, HTTP status, JSON-RPC error code,
 * bytes sent, duration in microseconds, the verified client certificate's
 * subject, who the access phase found the client to be ("jwt:SUB",
 * "key:NAME", "cert:SUBJECT"); "-" where there is none.  Never a header value.
 */
#ifndef MG_ACCESSLOG_H
#define MG_ACCESSLOG_H

#include "conf.h"
#include "http.h"

typedef struct {
	mg_http_req_t *req;
	const char    *server;
	const char    *location;
	const char    *session;
	const char    *rpc_method;
	const char    *tool;
	int            rpc_error;
	const char    *who_kind; /* "jwt", "key", "cert"; NULL: nobody */
	const char    *who;
} mg_accesslog_entry_t;

/* Master: open every access_log file CONF names (reusing open ones);
 * MG_ERROR with *err naming the file if one cannot be opened. */
int mg_accesslog_open(const mg_conf_t *conf, char **err);
/* Master: reopen all; calls SEND(arg, index, fd) for each new fd. */
void mg_accesslog_reopen(void (*send)(void *arg, int index, int fd), void *arg);
/* Child: the master reopened file INDEX; FD replaces it. */
void mg_accesslog_replace(int index, int fd);

void mg_accesslog_write(const mg_http_conf_t *h, const mg_accesslog_entry_t *e);

#endif
