/*
 * The request object of the HTTP server (net/http.c): its memory, taken
 * from the connection's last request when it can be, and what the
 * application may read of it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <http_parser.h>

#include "http.h"
#include "http_int.h"
#include "tls.h"

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

mg_http_req_t *
mg_http_req_new(mg_http_conn_t *c)
{
	mg_http_req_t *r;

	if ((r = c->spare) != NULL) {
		/* a keep-alive connection's next request: no allocation */
		c->spare = NULL;
		*r = (mg_http_req_t){ .conn = c,
			.head = r->head,
			.head_cap = r->head_cap,
			.headers = r->headers,
			.body = r->body,
			.out_headers = r->out_headers };
		r->start_us = now_us();
		r->body_limit = c->limits->max_body_size;
		return r;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->conn = c;
	r->start_us = now_us();
	r->head_cap = 512;
	r->head = malloc(r->head_cap);
	r->headers =
	    calloc((size_t)c->limits->max_headers + 1, sizeof(header_t));
	r->body = evbuffer_new();
	r->out_headers = evbuffer_new();
	r->body_limit = c->limits->max_body_size;
	if (r->head == NULL || r->headers == NULL || r->body == NULL ||
	    r->out_headers == NULL) {
		free(r->head);
		free(r->headers);
		if (r->body)
			evbuffer_free(r->body);
		if (r->out_headers)
			evbuffer_free(r->out_headers);
		free(r);
		return NULL;
	}
	return r;
}

/* ---- request accessors ---------------------------------------------- */

mg_http_method_t
mg_http_req_method(const mg_http_req_t *r)
{
	return r->method;
}

const char *
mg_http_req_method_name(const mg_http_req_t *r)
{
	if (r->path == NULL || r->path[0] == '\0')
		return "-"; /* refused before its request line was read */
	return http_method_str((enum http_method)r->conn->parser.method);
}

const char *
mg_http_req_path(const mg_http_req_t *r)
{
	return r->path ? r->path : "";
}

const char *
mg_http_req_query(const mg_http_req_t *r)
{
	return r->query != NULL ? r->query : "";
}

const char *
mg_http_req_header(const mg_http_req_t *r, const char *name)
{
	return req_header(r, name);
}

int
mg_http_req_header_count(const mg_http_req_t *r, const char *name)
{
	size_t len = strlen(name);
	int    n = 0;

	for (int i = 0; i < r->nheaders; i++)
		if (header_is(r, i, name, len))
			n++;
	return n;
}

const char *
mg_http_req_header_next(const mg_http_req_t *r, const char *name, int *pos)
{
	size_t len = strlen(name);

	for (int i = *pos; i < r->nheaders; i++)
		if (header_is(r, i, name, len)) {
			*pos = i + 1;
			return r->head + r->headers[i].value;
		}
	*pos = r->nheaders;
	return NULL;
}

void
mg_http_req_copy_headers(
    const mg_http_req_t *r, const char *name, int prefix, struct evbuffer *out)
{
	size_t    n = strlen(name);
	mg_head_t hb = { .out = out };

	for (int i = 0; i < r->nheaders; i++) {
		const char *h = r->head + r->headers[i].name;

		if (prefix ? strncasecmp(h, name, n) == 0
			   : header_is(r, i, name, n)) {
			mg_head_mem(&hb, h, r->headers[i].name_len);
			mg_head_mem(&hb, ": ", 2);
			mg_head_str(&hb, r->head + r->headers[i].value);
			mg_head_mem(&hb, "\r\n", 2);
		}
	}
	mg_head_end(&hb);
}

const char *
mg_http_req_host(const mg_http_req_t *r)
{
	const char *host = mg_http_req_header(r, "Host");
	static char buf[256];
	const char *end;
	size_t      len;

	if (host == NULL)
		return NULL;
	if (host[0] == '[')
		end = strchr(host, ']') ? strchr(host, ']') + 1
					: host + strlen(host);
	else
		end =
		    strchr(host, ':') ? strchr(host, ':') : host + strlen(host);
	len = (size_t)(end - host);
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, host, len);
	buf[len] = '\0';
	return buf;
}

struct evbuffer *
mg_http_req_body(mg_http_req_t *r)
{
	return r->body;
}

struct ssl_ctx_st *
mg_http_req_tls_ctx(const mg_http_req_t *r)
{
	return r->conn->tls ? mg_tls_bev_ctx(r->conn->bev) : NULL;
}

const char *
mg_http_req_client_subject(const mg_http_req_t *r)
{
	return r->conn->subject;
}

const char *
mg_http_req_peer(const mg_http_req_t *r)
{
	return r->conn->peer;
}

size_t
mg_http_req_peer_len(const mg_http_req_t *r)
{
	return r->conn->peer_len;
}

const struct sockaddr *
mg_http_req_peer_addr(const mg_http_req_t *r)
{
	return (const struct sockaddr *)&r->conn->peer_addr;
}

int
mg_http_req_peer_port(const mg_http_req_t *r)
{
	const struct sockaddr_storage *a = &r->conn->peer_addr;

	if (a->ss_family == AF_INET)
		return ntohs(
		    ((const struct sockaddr_in *)(const void *)a)->sin_port);
	if (a->ss_family == AF_INET6)
		return ntohs(
		    ((const struct sockaddr_in6 *)(const void *)a)->sin6_port);
	return 0;
}

const char *
mg_http_req_tls_protocol(const mg_http_req_t *r)
{
	return r->conn->tls ? mg_tls_protocol(r->conn->bev) : NULL;
}

void *
mg_http_req_listener(const mg_http_req_t *r)
{
	return r->conn->listener;
}

int64_t
mg_http_req_start_us(const mg_http_req_t *r)
{
	return r->start_us;
}

int64_t
mg_http_req_end_us(mg_http_req_t *r)
{
	if (r->end_us == 0)
		r->end_us = now_us();
	return r->end_us;
}

int64_t
mg_http_req_elapsed_us(mg_http_req_t *r)
{
	if (r->end_us == 0)
		r->end_us = now_us();
	return r->end_us - r->start_us;
}

void
mg_http_req_set_data(mg_http_req_t *r, void *data)
{
	r->data = data;
}

void *
mg_http_req_data(const mg_http_req_t *r)
{
	return r->data;
}

struct event_base *
mg_http_req_base(const mg_http_req_t *r)
{
	return r->conn->base;
}

void
mg_http_req_set_body_timeout(mg_http_req_t *r, int64_t ms)
{
	r->body_timeout = ms;
}

int
mg_http_req_status(const mg_http_req_t *r)
{
	return r->status;
}

size_t
mg_http_req_bytes_out(const mg_http_req_t *r)
{
	return r->bytes_out;
}

size_t
mg_http_req_bytes_in(const mg_http_req_t *r)
{
	return r->head_in + r->body_in;
}
