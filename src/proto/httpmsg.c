/*
 * The HTTP vocabulary that the server side (net/http.c) and the
 * connector's client side share: status texts and the head builder.
 */
#include "config.h"

#include <string.h>

#include <event2/buffer.h>

#include "httpmsg.h"
#include "mcpgw.h"

static const struct {
	int         status;
	const char *text;
} status_texts[] = {
	{ 200, "OK" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 413, "Content Too Large" },
	{ 415, "Unsupported Media Type" },
	{ 421, "Misdirected Request" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
	{ 508, "Loop Detected" },
};

const char *
mg_http_status_text(int status)
{
	for (size_t i = 0; i < MG_NELEM(status_texts); i++)
		if (status_texts[i].status == status)
			return status_texts[i].text;
	/* a status relayed from an upstream that the table lacks */
	return status < 300 ? "OK"
	    : status < 400  ? "Redirect"
	    : status < 500  ? "Client Error"
			    : "Server Error";
}

void
mg_head_mem(mg_head_t *h, const char *p, size_t len)
{
	if (h->len + len > sizeof(h->buf)) {
		evbuffer_add(h->out, h->buf, h->len);
		h->len = 0;
		if (len > sizeof(h->buf)) {
			evbuffer_add(h->out, p, len);
			return;
		}
	}
	memcpy(h->buf + h->len, p, len);
	h->len += len;
}

void
mg_head_str(mg_head_t *h, const char *s)
{
	mg_head_mem(h, s, strlen(s));
}

void
mg_head_num(mg_head_t *h, uint64_t v)
{
	char  d[20];
	char *p = d + sizeof(d);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	mg_head_mem(h, p, (size_t)(d + sizeof(d) - p));
}

void
mg_head_end(mg_head_t *h)
{
	if (h->len > 0)
		evbuffer_add(h->out, h->buf, h->len);
	h->len = 0;
}
