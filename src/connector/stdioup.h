/*
 * Stdio upstreams (the connector): an upstream with a "command" is a
 * local MCP server the connector runs, one process per session, and
 * speaks to over its standard input and output (newline-delimited
 * JSON-RPC, the MCP stdio transport); what it writes on its standard
 * error goes to the error log.
 *
 * An exchange gets the same request as an HTTP upstream's and answers
 * with the same calls (head, data or events, end), so the worker cannot
 * tell the two apart.  The upstream session id is ours ("stdio-" and 32
 * hex digits): an initialize starts a process; a request whose session
 * has no process (the connector restarted, the process exited) starts one
 * under the same id with the client's initialize params, as an HTTP
 * upstream's forgotten session is opened again; DELETE stops it.
 */
#ifndef MG_STDIOUP_H
#define MG_STDIOUP_H

#include "upstream.h"

typedef struct mg_stdio mg_stdio_t;
typedef struct mg_stdx  mg_stdx_t;

mg_stdio_t *mg_stdio_new(struct event_base *base, const mg_conf_t *conf);
/*
 * The connector is stopping: every process has its stdin closed, SIGTERM
 * 1 s later and SIGKILL 2 s after that, in the loop.  Returns how many
 * still run; STOPPED(ARG) is called when the last has exited.
 */
int mg_stdio_stop_all(mg_stdio_t *s, void (*stopped)(void *arg), void *arg);
/* Free it all; a process still there is sent SIGKILL, not waited for. */
void mg_stdio_free(mg_stdio_t *s);

/* Start an exchange with REQ->up, which has a command; NULL if it cannot
 * start (OPS->end not called). */
mg_stdx_t *mg_stdio_start(
    mg_stdio_t *s, const mg_up_req_t *req, const mg_up_ops_t *ops);
/* The client is gone: no more calls to its ops. */
void mg_stdio_cancel(mg_stdx_t *x);

#endif
