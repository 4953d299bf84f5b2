/*
 * HTTP/1.1 server connections on bufferevents, parsed by http-parser:
 * keep-alive, pipelining, chunked responses for streams, and every limit
 * answered with its own status (413, 431, 408) and a JSON-RPC error body.
 *
 * The application sees a request twice: when its headers are in (to pick
 * a route and that route's body limit, or to answer at once) and when its
 * body is in.  It answers with mg_http_reply, or streams with
 * mg_http_stream_*.  If the client goes away first, the aborted callback
 * says so and the request is gone when it returns.
 */
#ifndef MG_HTTP_H
#define MG_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "httpmsg.h"
#include "mcpgw.h"

struct evbuffer;
struct event_base;

typedef struct mg_http_req  mg_http_req_t;
typedef struct mg_http_conn mg_http_conn_t;

typedef struct {
	size_t  max_header_size;   /* request line and headers: 431 */
	int     max_headers;       /* header count: 431 */
	int64_t header_timeout;    /* ms, first byte to headers: 408 */
	int64_t body_timeout;      /* ms, between two body reads: 408 */
	int64_t keepalive_timeout; /* ms, idle between requests */
	size_t  max_body_size;     /* unless the route says otherwise */
	int64_t handshake_timeout; /* ms, TLS listeners */
} mg_http_limits_t;

typedef struct {
	/* Headers are in.  Return the body limit for this request, or answer
	 * at once with mg_http_reply and return 0. */
	size_t (*headers)(void *arg, mg_http_req_t *req);
	/* The body is in: answer now or later. */
	void (*request)(void *arg, mg_http_req_t *req);
	/* The client went away before the answer was complete. */
	void (*aborted)(void *arg, mg_http_req_t *req);
	/* The answer is complete (for the access log); may be NULL. */
	void (*done)(void *arg, mg_http_req_t *req);
	void *arg;
	/* A connection given to mg_http_conn_watch closed; PEER as it was
	 * accepted.  May be NULL. */
	void (*closed)(void *arg, const struct sockaddr *peer);
} mg_http_handler_t;

/* Take over an accepted socket.  LISTENER is opaque to http.c (the
 * worker's per-listener data, for choosing a server). */
struct ssl_ctx_st;
/* TLS, if not NULL: the listener's context; the handshake comes first. */
mg_http_conn_t *mg_http_conn_new(struct event_base *base, int fd,
    const struct sockaddr *peer, socklen_t peerlen, void *listener,
    struct ssl_ctx_st *tls, const mg_http_limits_t *limits,
    const mg_http_handler_t *handler);
/* Call the handler's closed callback when C closes (the accepting side
 * counts connections per client). */
void mg_http_conn_watch(mg_http_conn_t *c);
/* Open connections of this process (for worker_connections). */
int mg_http_conn_count(void);
/* Graceful stop: every answer from now on is the last of its connection
 * (Connection: close); a connection that is idle closes once it has been
 * for MS (at most its keepalive_timeout; the first call's value), unless
 * its client sends one more request first.  Returns how many connections
 * remain. */
int  mg_http_conn_drain_all(int64_t ms);
void mg_http_conn_close_all(void);

/* The request. */
mg_http_method_t mg_http_req_method(const mg_http_req_t *req);
const char      *mg_http_req_method_name(const mg_http_req_t *req);
const char      *mg_http_req_path(const mg_http_req_t *req);  /* no query */
const char      *mg_http_req_query(const mg_http_req_t *req); /* "" */
/* The first value of header NAME (any case), or NULL; how many there are. */
const char *mg_http_req_header(const mg_http_req_t *req, const char *name);
int mg_http_req_header_count(const mg_http_req_t *req, const char *name);
/* The value of the next header NAME (any case) from *POS on (0 at first),
 * or NULL; *POS moves past it: for a header that may come several times. */
const char *mg_http_req_header_next(
    const mg_http_req_t *req, const char *name, int *pos);
/* Append "Name: value\r\n" to OUT for each header named NAME (any case),
 * or, with PREFIX set, whose name starts with NAME. */
void        mg_http_req_copy_headers(const mg_http_req_t *req, const char *name,
	   int prefix, struct evbuffer *out);
const char *mg_http_req_host(const mg_http_req_t *req); /* no port */
struct evbuffer *mg_http_req_body(mg_http_req_t *req);
const char      *mg_http_req_peer(const mg_http_req_t *req); /* "127.0.0.1" */
/* its length, in an array of INET6_ADDRSTRLEN bytes (0: not known) */
size_t                 mg_http_req_peer_len(const mg_http_req_t *req);
const struct sockaddr *mg_http_req_peer_addr(const mg_http_req_t *req);
/* The TLS context the connection's handshake ended with, or NULL. */
struct ssl_ctx_st *mg_http_req_tls_ctx(const mg_http_req_t *req);
/* The verified TLS client certificate's subject, or NULL. */
const char *mg_http_req_client_subject(const mg_http_req_t *req);
void       *mg_http_req_listener(const mg_http_req_t *req);
int         mg_http_req_peer_port(const mg_http_req_t *req);
/* "TLSv1.3", or NULL on a plain connection. */
const char        *mg_http_req_tls_protocol(const mg_http_req_t *req);
int64_t            mg_http_req_start_us(const mg_http_req_t *req);
void               mg_http_req_set_data(mg_http_req_t *req, void *data);
void              *mg_http_req_data(const mg_http_req_t *req);
struct event_base *mg_http_req_base(const mg_http_req_t *req);

/* Microseconds since the request's first byte (monotonic), the clock read
 * at the first call (its log phase) and kept: the access log and the
 * metrics get the same figure for one clock read. */
int64_t mg_http_req_elapsed_us(mg_http_req_t *req);
/* The same end (monotonic microseconds, the status board's second). */
int64_t mg_http_req_end_us(mg_http_req_t *req);

/* The route's own client_body_timeout (ms), set in the headers callback. */
void mg_http_req_set_body_timeout(mg_http_req_t *req, int64_t ms);

/* The answer. */
void mg_http_add_header(
    mg_http_req_t *req, const char *name, const char *value);
void mg_http_reply(mg_http_req_t *req, int status, const char *type,
    const void *body, size_t len);
void mg_http_reply_buffer(
    mg_http_req_t *req, int status, const char *type, struct evbuffer *body);
/* status with a JSON-RPC error body {"jsonrpc":"2.0","error":...}: no id
 * (the MCP schemas have no null id) */
void mg_http_reply_error(
    mg_http_req_t *req, int status, int code, const char *message);
void mg_http_stream_begin(mg_http_req_t *req, int status, const char *type);
/* Queue bytes of a stream (moved out of BUF, or copied from P). */
int  mg_http_stream_write(mg_http_req_t *req, const void *p, size_t len);
int  mg_http_stream_write_buffer(mg_http_req_t *req, struct evbuffer *buf);
void mg_http_stream_end(mg_http_req_t *req);
/* Bytes queued for the client and not yet written. */
size_t mg_http_req_pending(const mg_http_req_t *req);

/* What was answered: status and body bytes, after the answer began. */
int    mg_http_req_status(const mg_http_req_t *req);
size_t mg_http_req_bytes_out(const mg_http_req_t *req);
/* What was received: the request line and headers (as written in
 * HTTP/1.1: one space after each colon) and the body bytes. */
size_t mg_http_req_bytes_in(const mg_http_req_t *req);

#endif
