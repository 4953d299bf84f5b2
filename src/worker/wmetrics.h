/*
 * What a worker counts (metrics.h, docs/observability/metrics.md): its
 * requests, their durations, bytes and refusals in the log phase, tools/
 * call outcomes with a bounded tool label, and its open streams.  The
 * other worker/ files only tell it what they saw, one line each.
 * Private to worker/.
 */
#ifndef MG_WMETRICS_H
#define MG_WMETRICS_H

#include <stddef.h>

#include "http.h"

typedef struct mg_mcp_ex  mg_mcp_ex_t;
typedef struct mg_mcp_ctx mg_mcp_ctx_t;
struct json_object;

/* The log phase's row (phase.h): EX may be NULL. */
void mg_wmetrics_log(
    mg_mcp_ctx_t *ctx, mg_http_req_t *req, const mg_mcp_ex_t *ex);

/* EX's answer became an SSE stream (mg_ex_stream_headers). */
void mg_wmetrics_stream(mg_mcp_ex_t *ex);
/* A message the upstream sent for EX (the relay): a tools/call's answer
 * says its outcome. */
void mg_wmetrics_answer(mg_mcp_ex_t *ex, const char *msg, size_t len);
/* A built-in server's RESULT for EX's tools/call. */
void mg_wmetrics_result(mg_mcp_ex_t *ex, struct json_object *result);
/* The relay of EX failed with MESSAGE (a timeout says so). */
void mg_wmetrics_failed(mg_mcp_ex_t *ex, const char *message);

#endif
