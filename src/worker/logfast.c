/*
 * Writers made for one format each: a line of the predefined mcpgw
 * format (conf/set_log.c) written field by field into the line, with
 * the same values (logvar.c) and escapes (logline.c) as the generic loop
 * over a compiled format's parts, without its calls per part.  A value
 * that would not fit whole leaves the line to the generic loop, which
 * cuts it: the output is the same byte for byte (check_logfmt.c compares
 * the two on hostile requests).  To add one: a function of type
 * mg_log_fast_fn_t and its row in writers[], naming the format and its
 * variables in order; a format that differs in anything keeps the loop.
 */
#include "config.h"

#include <string.h>

#include "exchange.h"
#include "logfast.h"
#include "logline.h"

/* The end a value written at P must stay within so that the parts after
 * it keep their room (part K's tail, as the generic loop reserves it). */
#define LIM(k) (out + max - f->parts[(k)].tail)

/* S whole (not NULL, not empty), as mcpgw made it: no escaping */
static inline char *
put_raw(char *p, const char *lim, const char *s)
{
	for (; *s != '\0'; s++) {
		if (p >= lim)
			return NULL;
		*p++ = *s;
	}
	return p;
}

/* S whole (not NULL, not empty), escaped as the default escape does:
 * ", \ and bytes outside 0x20-0x7e as \xHH */
static inline char *
put_esc(char *p, const char *lim, const char *s)
{
	static const char hexd[] = "0123456789abcdef";

	for (; *s != '\0'; s++) {
		unsigned char b = (unsigned char)*s;

		if (mg_log_plain[b]) {
			if (p >= lim)
				return NULL;
			*p++ = (char)b;
			continue;
		}
		if (p + 4 > lim)
			return NULL;
		p[0] = '\\';
		p[1] = 'x';
		p[2] = hexd[b >> 4];
		p[3] = hexd[b & 15];
		p += 4;
	}
	return p;
}

/* a text value: NULL and "" are "-" */
static inline char *
put_text(char *p, const char *lim, const char *s, int esc)
{
	if (s == NULL || *s == '\0') {
		if (p >= lim)
			return NULL;
		*p++ = '-';
		return p;
	}
	return esc ? put_esc(p, lim, s) : put_raw(p, lim, s);
}

/* V in decimal */
static inline char *
put_num(char *p, const char *lim, long long v)
{
	unsigned long long u =
	    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	unsigned long long t = u;
	size_t             n = v < 0;
	char              *q;

	for (; t >= 100; t /= 100)
		n += 2;
	n += t >= 10 ? 2 : 1;
	if (p + n > lim)
		return NULL;
	if (v < 0)
		*p = '-';
	p += n;
	q = p;
	for (; u >= 100; u /= 100) {
		q -= 2;
		memcpy(q, mg_log_pairs + u % 100 * 2, 2);
	}
	if (u >= 10)
		memcpy(q - 2, mg_log_pairs + u * 2, 2);
	else
		q[-1] = (char)('0' + u);
	return p;
}

/* one of the quoted values (logvar.c makes it, in the room the loop
 * gives it), NULL: "-" */
static inline char *
put_quoted(char *p, const char *lim, const char *kind, const char *s)
{
	char        buf[MG_LOG_SCRATCH];
	size_t      len = 0;
	const char *v;

	if (s == NULL ||
	    (v = mg_logvar_quoted(kind, s, buf, sizeof(buf), &len)) == NULL)
		return put_text(p, lim, NULL, 0);
	if (p + len > lim)
		return NULL;
	memcpy(p, v, len);
	return p + len;
}

#define SP(p) (*(p)++ = ' ')
#define OR_LOOP(x)                                                             \
	do {                                                                   \
		if ((p = (x)) == NULL)                                         \
			return 0;                                              \
	} while (0)

/* $time_local_ms $remote_addr $server_name $location $mcp_session
 * $request_method $mcp_method $mcp_tool $status $mcp_error
 * $body_bytes_sent $request_time_us $ssl_client_subject_quoted
 * $client_identity_quoted */
static size_t
line_mcpgw(const mg_log_format_t *f, mg_log_ctx_t *c, char *out, size_t max)
{
	static const char       hexd[] = "0123456789abcdef";
	const struct mg_mcp_ex *ex = c->ex;
	char                   *p = out;
	const char             *s;
	size_t                  len;
	unsigned                ms;

	if (max < f->parts[0].tail + 32)
		return 0;
	s = mg_logvar_local_seconds(c, &len);
	if (p + len + 4 > LIM(0))
		return 0;
	memcpy(p, s, len);
	p += len;
	ms = (unsigned)(c->tv.tv_usec / 1000);
	p[0] = '.';
	p[1] = (char)('0' + ms / 100);
	memcpy(p + 2, mg_log_pairs + ms % 100 * 2, 2);
	p += 4;
	SP(p);
	OR_LOOP(put_text(p, LIM(1), mg_http_req_peer(c->req), 0));
	SP(p);
	OR_LOOP(put_text(
	    p, LIM(2), ex && ex->srv->nnames ? ex->srv->names[0] : NULL, 1));
	SP(p);
	OR_LOOP(put_text(p, LIM(3), ex ? ex->loc->path : NULL, 1));
	SP(p);
	if (ex != NULL && ex->session != 0) {
		uint32_t v = (uint32_t)(ex->session >> 32);

		if (p + 8 > LIM(4))
			return 0;
		for (int i = 6; i >= 0; i -= 2, v >>= 8) {
			p[i] = hexd[v >> 4 & 15];
			p[i + 1] = hexd[v & 15];
		}
		p += 8;
	} else
		OR_LOOP(put_text(p, LIM(4), NULL, 0));
	SP(p);
	OR_LOOP(put_text(p, LIM(5), mg_http_req_method_name(c->req), 0));
	SP(p);
	OR_LOOP(put_text(p, LIM(6), ex ? ex->rpc_method : NULL, 1));
	SP(p);
	OR_LOOP(put_text(p, LIM(7), ex ? ex->tool : NULL, 1));
	SP(p);
	OR_LOOP(put_num(p, LIM(8), mg_http_req_status(c->req)));
	SP(p);
	if (ex != NULL && ex->rpc_error != 0)
		OR_LOOP(put_num(p, LIM(9), ex->rpc_error));
	else
		OR_LOOP(put_text(p, LIM(9), NULL, 0));
	SP(p);
	OR_LOOP(put_num(p, LIM(10), (long long)mg_http_req_bytes_out(c->req)));
	SP(p);
	OR_LOOP(put_num(p, LIM(11), mg_http_req_elapsed_us(c->req)));
	SP(p);
	OR_LOOP(
	    put_quoted(p, LIM(12), NULL, mg_http_req_client_subject(c->req)));
	SP(p);
	OR_LOOP(put_quoted(p, LIM(13), ex ? ex->who_kind : NULL,
	    ex && ex->who_kind ? ex->who : NULL));
	return (size_t)(p - out);
}

static const struct {
	const char      *format;
	int              escape;
	mg_log_fast_fn_t fn;
	const char      *vars[16]; /* each after one space, but the first */
} writers[] = {
	{ "mcpgw", MG_LOG_ESC_DEFAULT, line_mcpgw,
	    { "time_local_ms", "remote_addr", "server_name", "location",
		"mcp_session", "request_method", "mcp_method", "mcp_tool",
		"status", "mcp_error", "body_bytes_sent", "request_time_us",
		"ssl_client_subject_quoted", "client_identity_quoted" } },
};

static int
same_parts(const mg_log_format_t *f, const char *const *vars)
{
	size_t n = 0;

	while (n < 16 && vars[n] != NULL)
		n++;
	if (f->nparts != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const mg_log_part_t *p = &f->parts[i];

		if (p->name == NULL || strcmp(p->name, vars[i]) != 0 ||
		    p->len != (i > 0) || (i > 0 && p->text[0] != ' '))
			return 0;
	}
	return 1;
}

mg_log_fast_fn_t
mg_log_fast_find(const mg_log_format_t *f)
{
	for (size_t i = 0; i < MG_NELEM(writers); i++)
		if (f->builtin && strcmp(f->name, writers[i].format) == 0 &&
		    f->escape == writers[i].escape &&
		    same_parts(f, writers[i].vars))
			return writers[i].fn;
	return NULL;
}
