/*
 * The answer side of the HTTP server (net/http.c): the status line and
 * headers, a whole body, or a stream in chunks; a client that reads too
 * slowly is dropped rather than buffered.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "http.h"
#include "http_int.h"
#include "log.h"

#define MG_HTTP_OUT_MAX (8u * 1024 * 1024) /* a reader this slow is dropped */

/* ---- answering ------------------------------------------------------ */

static const char *
http_date(void)
{
	static char   buf[64];
	static time_t last;
	time_t        now = time(NULL);
	struct tm     tm;

	if (now != last) {
		gmtime_r(&now, &tm);
		strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		last = now;
	}
	return buf;
}

/* Only a request that said HTTP/1.0 gets 1.0 (one that said nothing yet,
 * answered 408 or 400, gets 1.1). */
static int
is_http11(const mg_http_req_t *r)
{
	return !(
	    r->conn->parser.http_major == 1 && r->conn->parser.http_minor == 0);
}

static void
write_head(mg_http_req_t *r, int status, const char *type, ssize_t len)
{
	mg_head_t h = { .out = bufferevent_get_output(r->conn->bev) };
	int       http11 = is_http11(r);

	r->status = status;
	r->answered = 1;
	if (r->conn->phase == PHASE_HEADERS || r->conn->phase == PHASE_BODY) {
		/* answered before the request is all in: read no more of it */
		r->keepalive = 0;
		r->conn->linger = 1;
		conn_hold(r->conn);
	}
	if ((len < 0 && !http11) || r->conn->limits->keepalive_timeout == 0)
		r->keepalive = 0; /* a 1.0 stream ends by closing */
	if (mg_http_draining)
		r->keepalive = 0; /* the client learns it is the last */
	mg_head_str(&h, http11 ? "HTTP/1.1 " : "HTTP/1.0 ");
	mg_head_num(&h, (uint64_t)status);
	mg_head_mem(&h, " ", 1);
	mg_head_str(&h, mg_http_status_text(status));
	mg_head_str(&h, "\r\nDate: ");
	mg_head_str(&h, http_date());
	mg_head_mem(&h, "\r\n", 2);
	if (type != NULL) {
		mg_head_str(&h, "Content-Type: ");
		mg_head_str(&h, type);
		mg_head_mem(&h, "\r\n", 2);
	}
	if (len >= 0 && status != 204) {
		mg_head_str(&h, "Content-Length: ");
		mg_head_num(&h, (uint64_t)len);
		mg_head_mem(&h, "\r\n", 2);
	} else if (len < 0 && http11)
		mg_head_str(&h, "Transfer-Encoding: chunked\r\n");
	if (!r->keepalive)
		mg_head_str(&h, "Connection: close\r\n");
	else if (!http11)
		mg_head_str(&h, "Connection: keep-alive\r\n");
	if (evbuffer_get_length(r->out_headers) > 0) {
		mg_head_end(&h);
		evbuffer_add_buffer(h.out, r->out_headers);
	}
	mg_head_mem(&h, "\r\n", 2);
	mg_head_end(&h);
}

void
mg_http_add_header(mg_http_req_t *r, const char *name, const char *value)
{
	mg_head_t h = { .out = r->out_headers };

	mg_head_str(&h, name);
	mg_head_mem(&h, ": ", 2);
	mg_head_str(&h, value);
	mg_head_mem(&h, "\r\n", 2);
	mg_head_end(&h);
}

void
mg_http_reply(mg_http_req_t *r, int status, const char *type, const void *body,
    size_t len)
{
	struct evbuffer *out = bufferevent_get_output(r->conn->bev);

	write_head(r, status, type, (ssize_t)len);
	if (r->method != MG_HTTP_HEAD && len > 0) {
		evbuffer_add(out, body, len);
		r->bytes_out = len;
	}
	mg_http_req_done(r);
}

void
mg_http_reply_buffer(
    mg_http_req_t *r, int status, const char *type, struct evbuffer *body)
{
	struct evbuffer *out = bufferevent_get_output(r->conn->bev);
	size_t           len = evbuffer_get_length(body);

	write_head(r, status, type, (ssize_t)len);
	if (r->method != MG_HTTP_HEAD)
		evbuffer_add_buffer(out, body);
	else
		evbuffer_drain(body, len);
	r->bytes_out = len;
	mg_http_req_done(r);
}

void
mg_http_reply_error(mg_http_req_t *r, int status, int code, const char *message)
{
	char body[512];
	int  n;

	n = snprintf(body, sizeof(body),
	    "{\"jsonrpc\":\"2.0\","
	    "\"error\":{\"code\":%d,\"message\":\"%s\"}}",
	    code, message);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = 0;
	mg_http_reply(r, status, "application/json", body, (size_t)n);
}

void
mg_http_stream_begin(mg_http_req_t *r, int status, const char *type)
{
	write_head(r, status, type, -1);
	r->conn->phase = PHASE_STREAM;
	if (!r->streaming) {
		r->streaming = 1;
		mg_board_streams(1);
	}
}

static int
chunked(const mg_http_req_t *r)
{
	return is_http11(r);
}

/* A reader that falls this far behind is dropped rather than buffered. */
static int
stream_check(mg_http_req_t *r)
{
	if (evbuffer_get_length(bufferevent_get_output(r->conn->bev)) <=
	    MG_HTTP_OUT_MAX)
		return MG_OK;
	mg_warn("client %s reads too slowly: %u bytes unsent; closing",
	    r->conn->peer, MG_HTTP_OUT_MAX);
	return MG_ERROR;
}

int
mg_http_stream_write(mg_http_req_t *r, const void *p, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(r->conn->bev);

	if (len == 0)
		return MG_OK;
	if (chunked(r))
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add(out, p, len);
	if (chunked(r))
		evbuffer_add(out, "\r\n", 2);
	r->bytes_out += len;
	return stream_check(r);
}

int
mg_http_stream_write_buffer(mg_http_req_t *r, struct evbuffer *buf)
{
	struct evbuffer *out = bufferevent_get_output(r->conn->bev);
	size_t           len = evbuffer_get_length(buf);

	if (len == 0)
		return MG_OK;
	if (chunked(r))
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add_buffer(out, buf);
	if (chunked(r))
		evbuffer_add(out, "\r\n", 2);
	r->bytes_out += len;
	return stream_check(r);
}

void
mg_http_stream_end(mg_http_req_t *r)
{
	if (chunked(r))
		evbuffer_add(
		    bufferevent_get_output(r->conn->bev), "0\r\n\r\n", 5);
	mg_http_req_done(r);
}

size_t
mg_http_req_pending(const mg_http_req_t *r)
{
	return evbuffer_get_length(bufferevent_get_output(r->conn->bev));
}
