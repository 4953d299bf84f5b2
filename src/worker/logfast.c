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

#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "exchange.h"
#include "logfast.h"
#include "trace.h"

/* The end a value written at P must stay within so that the parts after
 * it keep their room (part K's tail, as the generic loop reserves it). */
#define LIM(k) (out + max - f->parts[(k)].tail)

/* S whole (not NULL, not empty), as mcpgw made it: no escaping */
static inline char *
put_raw(char *p, const char *lim, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(lim - p) < n)
		return NULL;
	memcpy(p, s, n);
	return p + n;
}

/* The same escaped as the default escape does: ", \ and bytes outside
 * 0x20-0x7e as \xHH; the room checked once, when there is room for the
 * worst, else byte by byte */
static inline char *
put_esc(char *p, const char *lim, const char *s)
{
	size_t n = strlen(s);
	int    checked = (size_t)(lim - p) / 4 < n;

	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)s[i];

		if (mg_log_plain[b]) {
			if (checked && p >= lim)
				return NULL;
			*p++ = (char)b;
			continue;
		}
		if (checked && p + 4 > lim)
			return NULL;
		p[0] = '\\';
		p[1] = 'x';
		memcpy(p + 2, mg_hex2 + b * 2, 2);
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

#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL

/* The bytes of W that are not plain (below 0x20, NUL too, from 0x7f, "
 * or \\), each as its high bit, by the borrow and carry tricks of "Bit
 * Twiddling Hacks": 0 when all are plain; the lowest bit set is exact
 * (a borrow only marks bytes above a marked one) */
static inline uint64_t
not_plain(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');

	return (((w - ONES * 0x20) & ~w) | ((w + ONES) | w) |
		   ((q - ONES) & ~q) | ((b - ONES) & ~b)) &
	    HIGH;
}

/* S, a string within an array of SIZE bytes (all of them readable),
 * escaped: eight bytes at a time, each load copied whole and the line
 * moved on to its first byte that is not plain (its end, most often),
 * then byte by byte; the room checked once for the worst */
static inline __attribute__((always_inline)) char *
put_arr(char *p, const char *lim, const char *s, size_t size)
{
	const char *end = s + size;

	if (*s == '\0' || (size_t)(lim - p) / 4 < size + 8)
		return put_text(p, lim, s, 1);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (s + 8 <= end) {
		uint64_t      w, m;
		unsigned      k;
		unsigned char b;

		memcpy(&w, s, 8);
		memcpy(p, &w, 8);
		if ((m = not_plain(w)) == 0) {
			p += 8;
			s += 8;
			continue;
		}
		k = (unsigned)__builtin_ctzll(m) >> 3; /* the first one */
		p += k;
		s += k;
		if ((b = (unsigned char)*s) == '\0')
			return p;
		p[0] = '\\';
		p[1] = 'x';
		memcpy(p + 2, mg_hex2 + b * 2, 2);
		p += 4;
		s++;
	}
#endif
	for (unsigned char b; (b = (unsigned char)*s) != '\0'; s++) {
		if (mg_log_plain[b])
			*p++ = (char)b;
		else {
			p[0] = '\\';
			p[1] = 'x';
			memcpy(p + 2, mg_hex2 + b * 2, 2);
			p += 4;
		}
	}
	return p;
}

/* a value escaped at load (PRE, LEN bytes, 16 readable), or S escaped
 * now when it was not */
static inline char *
put_pre(char *p, const char *lim, const char *pre, size_t len, const char *s)
{
	if (pre == NULL)
		return put_text(p, lim, s, 1);
	if ((size_t)(lim - p) < len)
		return NULL;
	if (len <= 16 && lim - p >= 16)
		memcpy(p, pre, 16); /* one move, no call */
	else
		memcpy(p, pre, len);
	return p + len;
}

/* V in decimal: made from its last digits back, then copied whole */
static inline char *
put_num(char *p, const char *lim, long long v)
{
	unsigned long long u =
	    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	char   tmp[48], *q = tmp + 24; /* 20 digits and a sign at most */
	size_t n;

	for (; u >= 100; u /= 100) {
		q -= 2;
		memcpy(q, mg_log_pairs + u % 100 * 2, 2);
	}
	if (u >= 10) {
		q -= 2;
		memcpy(q, mg_log_pairs + u * 2, 2);
	} else
		*--q = (char)('0' + u);
	if (v < 0)
		*--q = '-';
	n = (size_t)(tmp + 24 - q);
	if ((size_t)(lim - p) < n)
		return NULL;
	if ((size_t)(lim - p) < 24)
		memcpy(p, q, n);
	else
		memcpy(p, q, 24); /* a fixed length: two moves, no call */
	return p + n;
}

/* one of the quoted values (logvar.c makes it, in the room the loop
 * gives it) */
static char *
put_quoted(char *p, const char *lim, const char *kind, const char *s)
{
	char        buf[MG_LOG_SCRATCH];
	size_t      len = 0;
	const char *v;

	if ((v = mg_logvar_quoted(kind, s, buf, sizeof(buf), &len)) == NULL)
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
	static char             secs[40];
	static size_t           secs_len;
	static time_t           sec = -1;
	const struct mg_mcp_ex *ex = c->ex;
	char                   *p = out;
	const char             *s;
	size_t                  len;
	unsigned                ms;
	int                     st;

	if (max < f->parts[0].tail + 32)
		return 0;
	/* the seconds change once a second: kept here too */
	if (!c->have_tv) { /* the wall clock, read once a line */
		gettimeofday(&c->tv, NULL);
		c->have_tv = 1;
	}
	if (c->tv.tv_sec != sec) {
		s = mg_logvar_local_seconds(c, &len);
		if (len > sizeof(secs))
			return 0;
		memcpy(secs, s, len);
		secs_len = len;
		sec = c->tv.tv_sec;
	}
	if (p + secs_len + 4 > LIM(0))
		return 0;
	if (secs_len <= 32 && LIM(0) - p >= 32)
		memcpy(p, secs, 32); /* a fixed length: moves, no call */
	else
		memcpy(p, secs, secs_len);
	p += secs_len;
	ms = (unsigned)(c->tv.tv_usec / 1000);
	p[0] = '.';
	p[1] = (char)('0' + ms / 100);
	memcpy(p + 2, mg_log_pairs + ms % 100 * 2, 2);
	p += 4;
	SP(p);
	if ((len = mg_http_req_peer_len(c->req)) != 0 && len <= 16 &&
	    LIM(1) - p >= 16) { /* an address: one move of its array */
		memcpy(p, mg_http_req_peer(c->req), 16);
		p += len;
	} else
		OR_LOOP(put_text(p, LIM(1), mg_http_req_peer(c->req), 0));
	SP(p);
	if (ex == NULL)
		OR_LOOP(put_text(p, LIM(2), NULL, 0));
	else
		OR_LOOP(
		    put_pre(p, LIM(2), ex->srv->log_name, ex->srv->log_name_len,
			ex->srv->nnames ? ex->srv->names[0] : NULL));
	SP(p);
	if (ex == NULL)
		OR_LOOP(put_text(p, LIM(3), NULL, 0));
	else
		OR_LOOP(put_pre(p, LIM(3), ex->loc->log_path,
		    ex->loc->log_path_len, ex->loc->path));
	SP(p);
	if (ex != NULL && ex->session != 0) {
		uint32_t v = (uint32_t)(ex->session >> 32);

		if (p + 8 > LIM(4))
			return 0;
		memcpy(p, mg_hex2 + (v >> 24) * 2, 2);
		memcpy(p + 2, mg_hex2 + (v >> 16 & 255) * 2, 2);
		memcpy(p + 4, mg_hex2 + (v >> 8 & 255) * 2, 2);
		memcpy(p + 6, mg_hex2 + (v & 255) * 2, 2);
		p += 8;
	} else
		OR_LOOP(put_text(p, LIM(4), NULL, 0));
	SP(p);
	if (mg_http_req_method(c->req) == MG_HTTP_POST &&
	    mg_http_req_path(c->req)[0] != '\0' && LIM(5) - p >= 8) {
		memcpy(p, "POST\0\0\0\0", 8); /* most requests: one move */
		p += 4; /* what mg_http_req_method_name says, without its call,
			 * strlen and memcpy (about 40 instructions) */
	} else
		OR_LOOP(
		    put_text(p, LIM(5), mg_http_req_method_name(c->req), 0));
	SP(p);
	if (ex == NULL)
		OR_LOOP(put_text(p, LIM(6), NULL, 0));
	else if (memcmp(ex->rpc_method, "tools/call", 11) == 0 &&
	    LIM(6) - p >= 16) { /* most requests: a constant, one move */
		memcpy(p, "tools/call\0\0\0\0\0", 16);
		p += 10;
	} else
		OR_LOOP(
		    put_arr(p, LIM(6), ex->rpc_method, sizeof(ex->rpc_method)));
	SP(p);
	if (ex == NULL)
		OR_LOOP(put_text(p, LIM(7), NULL, 0));
	else
		OR_LOOP(put_arr(p, LIM(7), ex->tool, sizeof(ex->tool)));
	SP(p);
	if ((st = mg_http_req_status(c->req)) >= 100 && st <= 999 &&
	    LIM(8) - p >= 3) { /* three digits, without the loop */
		p[0] = (char)('0' + st / 100);
		memcpy(p + 1, mg_log_pairs + st % 100 * 2, 2);
		p += 3;
	} else
		OR_LOOP(put_num(p, LIM(8), st));
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
	if ((s = mg_http_req_client_subject(c->req)) != NULL)
		OR_LOOP(put_quoted(p, LIM(12), NULL, s));
	else
		OR_LOOP(put_text(p, LIM(12), NULL, 0));
	SP(p);
	if (ex != NULL && ex->who_kind != NULL && ex->who != NULL)
		OR_LOOP(put_quoted(p, LIM(13), ex->who_kind, ex->who));
	else
		OR_LOOP(put_text(p, LIM(13), NULL, 0));
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

char *
mg_log_fast_escape(const char *s, size_t *len)
{
	size_t n = s != NULL ? strlen(s) : 0;
	char  *e = calloc(1, 4 * n + 17), *end;

	if (e == NULL)
		return NULL;
	end = put_text(e, e + 4 * n + 1, s, 1);
	*len = (size_t)(end - e);
	return e;
}

static int
prepare(mg_conf_t *conf, const char *s, char **out, size_t *len)
{
	if ((*out = mg_log_fast_escape(s, len)) == NULL ||
	    mg_conf_cleanup_add(conf, free, *out) != MG_OK) {
		free(*out);
		*out = NULL;
		return MG_ERROR;
	}
	return MG_OK;
}

static int
prepare_names(mg_conf_t *conf)
{
	for (mg_server_t *srv = conf->servers; srv != NULL; srv = srv->next) {
		if (prepare(conf, srv->nnames ? srv->names[0] : NULL,
			&srv->log_name, &srv->log_name_len) != MG_OK)
			return MG_ERROR;
		for (mg_location_t *l = srv->locations; l != NULL; l = l->next)
			if (prepare(conf, l->path, &l->log_path,
				&l->log_path_len) != MG_OK)
				return MG_ERROR;
	}
	return MG_OK;
}

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

static mg_log_fast_fn_t
fast_find(const mg_log_format_t *f)
{
	for (size_t i = 0; i < MG_NELEM(writers); i++)
		if (f->builtin && strcmp(f->name, writers[i].format) == 0 &&
		    f->escape == writers[i].escape &&
		    same_parts(f, writers[i].vars))
			return writers[i].fn;
	return NULL;
}

int
mg_log_fast_resolve(mg_conf_t *conf, char **err)
{
	for (mg_log_format_t *f = conf->log_formats; f != NULL; f = f->next)
		f->fast = (void (*)(void))fast_find(f);
	if (prepare_names(conf) != MG_OK) {
		*err = NULL; /* out of memory */
		return MG_ERROR;
	}
	return MG_OK;
}
