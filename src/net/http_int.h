/*
 * What the HTTP server's files share and nobody else may see: the
 * connection and request objects (opaque to http.h's users), and the
 * small steps that several of them take on the hot path, inline as they
 * were when these files were one.  http.h is the API, and is included
 * first: this header does not include it, so that no file's includes
 * come back to it.
 */
#ifndef MG_HTTP_INT_H
#define MG_HTTP_INT_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <http_parser.h>

#include "board.h"
#include "httpmsg.h"
#include "wflush.h"

typedef enum {
	PHASE_HANDSHAKE, /* TLS, before the first request */
	PHASE_IDLE,      /* between requests */
	PHASE_HEADERS,   /* reading a request's head */
	PHASE_BODY,      /* reading its body */
	PHASE_BUSY,      /* the application has it */
	PHASE_STREAM,    /* answering with a chunked stream */
	PHASE_CLOSING,   /* flushing the last answer, then close */
	PHASE_LINGER /* answered early: reading what the client still sends */
} phase_t;

typedef struct {
	uint32_t name, name_len, value, value_len; /* offsets into head */
} header_t;

struct mg_http_req {
	mg_http_conn_t  *conn;
	mg_http_method_t method;
	char            *path;  /* into head, NUL-terminated */
	const char      *query; /* after '?', into head; "" for none */
	header_t        *headers;
	int              nheaders;
	char            *head; /* url and header bytes */
	size_t           head_len, head_cap;
	int              in_value; /* the parser is in a header value */
	struct evbuffer *body;
	size_t           body_limit;
	int64_t          body_timeout; /* 0: the connection's */
	struct evbuffer *out_headers;  /* extra header lines of the answer */
	void            *data;
	int64_t          start_us;
	int64_t          end_us; /* mg_http_req_elapsed_us's; 0: not read */
	int              status;
	size_t           bytes_out;
	size_t           body_in; /* body bytes received */
	size_t           head_in; /* its request line and headers, as written */
	int              keepalive;
	int              answered;
	int              streaming; /* counted on the status board */
};

struct mg_http_conn {
	struct event_base       *base;
	struct bufferevent      *bev;
	mg_wflush_t             *wf; /* plain sockets: direct writes */
	struct event            *timer;
	struct event            *resume;
	http_parser              parser;
	phase_t                  phase;
	mg_http_req_t           *req;
	const mg_http_limits_t  *limits;
	const mg_http_handler_t *handler;
	void                    *listener;
	struct sockaddr_storage  peer_addr;
	char                     peer[INET6_ADDRSTRLEN];
	char                    *subject; /* verified client certificate */
	int                      tls;
	mg_http_conn_t          *prev, *next;
	int            linger;  /* answered before the request was all in */
	int            linked;  /* on the conns list */
	int            watched; /* the handler hears of the close */
	int            paused;
	mg_http_req_t *spare;    /* the last request's memory, for the next */
	size_t         peer_len; /* strlen(peer) */
};

/* The worker stops: no keep-alive (mg_http_conn_drain_all). */
extern int mg_http_draining;

/* A request's memory kept for the next request of its connection: the
 * head up to this size, its header table, its two buffers. */
#define REQ_SPARE_HEAD 4096

/* A streamed answer is over (board.h counts the open ones). */
static inline void
req_unstream(mg_http_req_t *r)
{
	if (r->streaming) {
		r->streaming = 0;
		mg_board_streams(-1);
	}
}

static inline void
req_destroy(mg_http_req_t *r)
{
	req_unstream(r);
	free(r->head);
	free(r->headers);
	evbuffer_free(r->body);
	evbuffer_free(r->out_headers);
	free(r);
}

static inline void
req_free(mg_http_req_t *r)
{
	mg_http_conn_t *c;

	if (r == NULL)
		return;
	req_unstream(r);
	c = r->conn;
	if (c != NULL && c->spare == NULL && r->head_cap <= REQ_SPARE_HEAD &&
	    evbuffer_drain(r->body, evbuffer_get_length(r->body)) == 0 &&
	    evbuffer_drain(
		r->out_headers, evbuffer_get_length(r->out_headers)) == 0) {
		c->spare = r;
		return;
	}
	req_destroy(r);
}

/*
 * Read no more of this connection's requests for now.  http_parser asserts
 * (and aborts the worker) when it is paused or resumed in an error state,
 * so a parser that already failed is left as it is: c->paused alone stops
 * conn_parse, and such a connection is closed, never resumed.
 */
static inline void
conn_unhold(mg_http_conn_t *c)
{
	enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);

	if (e == HPE_OK || e == HPE_PAUSED) {
		http_parser_pause(&c->parser, 0);
		c->paused = 0;
	}
}

static inline void
conn_hold(mg_http_conn_t *c)
{
	enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);

	if (e == HPE_OK || e == HPE_PAUSED)
		http_parser_pause(&c->parser, 1);
	c->paused = 1;
}

/* Header I is NAME (LEN bytes), in any case: lengths compared first. */
static inline int
header_is(const mg_http_req_t *r, int i, const char *name, size_t len)
{
	const header_t *h = &r->headers[i];

	return h->name_len == len &&
	    strncasecmp(r->head + h->name, name, len) == 0;
}

/* The first value of header NAME (any case), or NULL. */
static inline const char *
req_header(const mg_http_req_t *r, const char *name)
{
	size_t len = strlen(name);

	for (int i = 0; i < r->nheaders; i++)
		if (header_is(r, i, name, len))
			return r->head + r->headers[i].value;
	return NULL;
}

/* A new request on C, or NULL when out of memory (httpreq.c). */
mg_http_req_t *mg_http_req_new(mg_http_conn_t *c);
/* The answer is queued: go on with the connection, or close it (http.c). */
void mg_http_req_done(mg_http_req_t *r);

#endif
