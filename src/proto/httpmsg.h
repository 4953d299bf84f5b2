/*
 * The HTTP vocabulary both sides share (httpmsg.c): methods, status
 * texts, and a head builder that formats without printf.
 */
#ifndef MG_HTTPMSG_H
#define MG_HTTPMSG_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

typedef enum {
	MG_HTTP_OTHER = 0,
	MG_HTTP_GET,
	MG_HTTP_HEAD,
	MG_HTTP_POST,
	MG_HTTP_DELETE,
	MG_HTTP_OPTIONS
} mg_http_method_t;

const char *mg_http_status_text(int status);

/*
 * Header lines built without printf, in a buffer on the stack, moved to
 * OUT when full and by mg_head_end: one evbuffer_add per head.
 */
typedef struct {
	struct evbuffer *out;
	size_t           len;
	char             buf[512];
} mg_head_t;

void mg_head_mem(mg_head_t *h, const char *p, size_t len);
void mg_head_str(mg_head_t *h, const char *s);
void mg_head_num(mg_head_t *h, uint64_t v); /* decimal */
void mg_head_end(mg_head_t *h);

#endif
