/*
 * The phases a request on an MCP endpoint goes through, as nginx's do:
 *
 *   head     what the headers alone say: the server TLS chose and the
 *            client certificate (as soon as the headers are in), then
 *            Host, Origin, the version spoken, the hop count (head.c)
 *   access   who the client is: a client certificate, a bearer token
 *            or an API key, in the route's auth_order (access.c)
 *   message  what it may do: method and tool policy (policy.c), run on
 *            each POST's message once it is read
 *   content  a built-in server (dispatch.c) or the relay (relay.c)
 *   log      once per request, at its end: the access log (metrics go
 *            here)
 *
 * Each phase is a table of handlers (phase.c, policy.c); a new check is
 * one function and one row.  A handler returns MG_OK (passed) or
 * MG_DECLINED (not its business) to go on to the next, or MG_ERROR when
 * it refused the request (and answered it); the rows run in order, so the
 * order of a table is which refusal a request with several faults gets.
 * Private to worker/.
 */
#ifndef MG_PHASE_H
#define MG_PHASE_H

#include "conf.h"
#include "era.h"
#include "http.h"
#include "jsonrpc.h"

struct ssl_ctx_st;
typedef struct mg_mcp_ex  mg_mcp_ex_t;
typedef struct mg_mcp_ctx mg_mcp_ctx_t;

/* The head phase on the headers, before there is an exchange: SERVER_TLS
 * is the TLS context of the server the Host header names. */
typedef int (*mg_phase_headers_t)(mg_http_req_t *req, const mg_server_t *srv,
    const struct ssl_ctx_st *server_tls);
/* The head and access phases, on the exchange. */
typedef int (*mg_phase_handler_t)(mg_mcp_ex_t *ex);

/* The message phase sees a POST's message twice: by its 2026-07-28
 * routing headers before its body is parsed (M NULL), then, for the 2025
 * revisions, by the parsed message (or batch) M. */
typedef struct {
	const mg_era_headers_t *h;
	const char             *text;
	size_t                  len;
	const mg_rpc_msg_t     *m;
} mg_phase_msg_t;
typedef int (*mg_phase_message_t)(mg_mcp_ex_t *ex, const mg_phase_msg_t *msg);

/* The content phase: what a method does. */
typedef void (*mg_phase_content_t)(mg_mcp_ex_t *ex);

/* The log phase: EX is NULL for a request refused before it had one. */
typedef void (*mg_phase_log_t)(
    mg_mcp_ctx_t *ctx, mg_http_req_t *req, const mg_mcp_ex_t *ex);

/* policy.c: run the message phase; MG_OK, or MG_ERROR (refused). */
int mg_phase_message(mg_mcp_ex_t *ex, const mg_phase_msg_t *msg);
/* policy.c: no handler of the message phase has anything to judge on
 * LOC, so its messages may go on unread (the relay's plain path). */
int mg_phase_message_none(const mg_location_t *loc);

/* limitphase.c: limit_req and limit_conn, a row of the message phase;
 * MG_OK, MG_DECLINED, or MG_ERROR (refused and answered, or delayed: a
 * timer takes the message on). */
int mg_limit_phase(mg_mcp_ex_t *ex, const mg_phase_msg_t *msg);

#endif
