/*
 * W3C Trace Context values read, checked and written (trace.h): the
 * grammar of https://www.w3.org/TR/trace-context/ (traceparent version 00
 * and its rules for later versions; tracestate's keys, values and
 * limits).
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "mcpgw.h"
#include "trace.h"

static int
ows(char c)
{
	return c == ' ' || c == '\t';
}

/* V without the spaces and tabs around it. */
static void
trim(const char **v, size_t *len)
{
	while (*len > 0 && ows(**v)) {
		(*v)++;
		(*len)--;
	}
	while (*len > 0 && ows((*v)[*len - 1]))
		(*len)--;
}

/* Lowercase hex digits: 0x10 | value; anything else (uppercase too: the
 * spec's HEXDIGLC) 0.  A table: this runs on every request. */
static const uint8_t hexv[256] = { ['0'] = 0x10,
	['1'] = 0x11,
	['2'] = 0x12,
	['3'] = 0x13,
	['4'] = 0x14,
	['5'] = 0x15,
	['6'] = 0x16,
	['7'] = 0x17,
	['8'] = 0x18,
	['9'] = 0x19,
	['a'] = 0x1a,
	['b'] = 0x1b,
	['c'] = 0x1c,
	['d'] = 0x1d,
	['e'] = 0x1e,
	['f'] = 0x1f };

/* Each byte's two digits (trace.h). */
const char mg_hex2[513] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/* N bytes from 2N lowercase hex digits at P; MG_DECLINED for anything
 * else, or all zeros when NONZERO. */
static int
unhex(const char *p, uint8_t *out, size_t n, int nonzero)
{
	const uint8_t *u = (const uint8_t *)p;
	uint8_t        valid = 0x10, any = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t hi = hexv[u[2 * i]], lo = hexv[u[2 * i + 1]];

		valid &= hi & lo;
		out[i] = (uint8_t)(hi << 4 | (lo & 0x0f));
		any |= out[i];
	}
	if (!valid || (nonzero && any == 0))
		return MG_DECLINED;
	return MG_OK;
}

int
mg_trace_parse_parent(const char *v, size_t len, mg_trace_t *t)
{
	uint8_t version, trace[16], parent[8], flags;

	trim(&v, &len);
	/* shorter than version 00's: restart, whatever the version */
	if (len < MG_TRACEPARENT_LEN || v[2] != '-' ||
	    unhex(v, &version, 1, 0) != MG_OK || version == 0xff)
		return MG_DECLINED;
	/* version 00 is exactly this long; a later one may go on after a
	 * dash, with fields we neither read nor pass on */
	if (version == 0 ? len != MG_TRACEPARENT_LEN
			 : len > MG_TRACEPARENT_LEN && v[55] != '-')
		return MG_DECLINED;
	if (v[35] != '-' || v[52] != '-' ||
	    unhex(v + 3, trace, 16, 1) != MG_OK ||
	    unhex(v + 36, parent, 8, 1) != MG_OK ||
	    unhex(v + 53, &flags, 1, 0) != MG_OK)
		return MG_DECLINED;
	memcpy(t->trace_id, trace, 16);
	/* of a later version only the sampled bit is known to mean what
	 * version 00 says */
	t->flags = version == 0 ? flags : (uint8_t)(flags & 0x01);
	return MG_OK;
}

static int
lcalpha(char c)
{
	return c >= 'a' && c <= 'z';
}

static int
keychar(char c)
{
	return lcalpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	    c == '*' || c == '/';
}

/* FIRST (a letter, or also a digit) then keychars, LEN in 1..MAX. */
static int
key_part(const char *k, size_t len, size_t max, int digit_first)
{
	if (len == 0 || len > max ||
	    !(lcalpha(k[0]) || (digit_first && k[0] >= '0' && k[0] <= '9')))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!keychar(k[i]))
			return 0;
	return 1;
}

/* simple-key, or tenant-id "@" system-id (the Recommendation's ABNF). */
static int
key_ok(const char *k, size_t len)
{
	const char *at = memchr(k, '@', len);
	size_t      tl;

	if (at == NULL)
		return key_part(k, len, 256, 0);
	tl = (size_t)(at - k);
	return key_part(k, tl, 241, 1) && key_part(at + 1, len - tl - 1, 14, 0);
}

/* 1 to 256 printable characters but "," and "=", not ending in a space. */
static int
value_ok(const char *v, size_t len)
{
	if (len == 0 || len > 256 || v[len - 1] == ' ')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] > 0x7e || v[i] == ',' || v[i] == '=')
			return 0;
	return 1;
}

static size_t
key_len(const char *m, size_t len)
{
	const char *eq = memchr(m, '=', len);

	return eq ? (size_t)(eq - m) : len;
}

/* One list member (trimmed, not empty) into S. */
static int
member_add(mg_tracestate_t *s, const char *m, size_t len)
{
	size_t k = key_len(m, len);

	if (k == len || !key_ok(m, k) || !value_ok(m + k + 1, len - k - 1) ||
	    s->n == MG_TRACESTATE_MEMBERS)
		return MG_DECLINED;
	for (int i = 0; i < s->n; i++)
		if (key_len(s->m[i].p, s->m[i].len) == k &&
		    memcmp(s->m[i].p, m, k) == 0)
			return MG_DECLINED; /* one entry per key */
	s->m[s->n].p = m;
	s->m[s->n].len = len;
	s->n++;
	return MG_OK;
}

int
mg_trace_state_add(mg_tracestate_t *s, const char *v, size_t len)
{
	const char *end = v + len, *comma;
	size_t      n;

	while (!s->bad && v <= end) {
		comma = memchr(v, ',', (size_t)(end - v));
		n = comma ? (size_t)(comma - v) : (size_t)(end - v);
		{
			const char *m = v;

			trim(&m, &n);
			if (n > 0 && member_add(s, m, n) != MG_OK)
				s->bad = 1;
		}
		if (comma == NULL)
			break;
		v = comma + 1;
	}
	return s->bad ? MG_DECLINED : MG_OK;
}

/* The members of S that KEEP says, joined into OUT; their length. */
static size_t
join(const mg_tracestate_t *s, const char *keep, char *out)
{
	size_t o = 0;

	for (int i = 0; i < s->n; i++) {
		if (!keep[i])
			continue;
		if (o > 0)
			out[o++] = ',';
		memcpy(out + o, s->m[i].p, s->m[i].len);
		o += s->m[i].len;
	}
	out[o] = '\0';
	return o;
}

static size_t
joined_len(const mg_tracestate_t *s, const char *keep)
{
	size_t total = 0;

	for (int i = 0; i < s->n; i++)
		if (keep[i])
			total += s->m[i].len + (total > 0);
	return total;
}

size_t
mg_trace_state_join(const mg_tracestate_t *s, char *out, size_t n)
{
	char keep[MG_TRACESTATE_MEMBERS];

	if (s->bad || s->n == 0 || n < MG_TRACESTATE_MAX + 1) {
		if (n > 0)
			out[0] = '\0';
		return 0;
	}
	memset(keep, 1, sizeof(keep));
	/* too long: whole members go, the longest (> 128) first, then from
	 * the end */
	for (int i = 0; i < s->n && joined_len(s, keep) > MG_TRACESTATE_MAX;
	     i++)
		if (s->m[i].len > 128)
			keep[i] = 0;
	for (int i = s->n - 1;
	     i >= 0 && joined_len(s, keep) > MG_TRACESTATE_MAX; i--)
		keep[i] = 0;
	return join(s, keep, out);
}

void
mg_trace_hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		memcpy(out + 2 * i, mg_hex2 + 2 * b[i], 2);
	out[2 * n] = '\0';
}

void
mg_trace_format(const mg_trace_t *t, char *out)
{
	out[0] = out[1] = '0';
	out[2] = '-';
	mg_trace_hex(t->trace_id, 16, out + 3);
	out[35] = '-';
	mg_trace_hex(t->span_id, 8, out + 36);
	out[52] = '-';
	mg_trace_hex(&t->flags, 1, out + 53);
}

size_t
mg_trace_lines(const mg_trace_t *t, char *out, size_t n)
{
	size_t o = sizeof("traceparent: ") - 1, slen;

	if (n < MG_TRACE_LINES_MAX)
		return 0;
	memcpy(out, "traceparent: ", o);
	mg_trace_format(t, out + o);
	o += MG_TRACEPARENT_LEN;
	memcpy(out + o, "\r\n", 2);
	o += 2;
	if (t->state != NULL &&
	    (slen = strnlen(t->state, MG_TRACESTATE_MAX + 1)) > 0 &&
	    slen <= MG_TRACESTATE_MAX) {
		memcpy(out + o, "tracestate: ", 12);
		memcpy(out + o + 12, t->state, slen);
		memcpy(out + o + 12 + slen, "\r\n", 2);
		o += 14 + slen;
	}
	return o;
}

/* Is the line at P (up to END) a "NAME:" line? */
static int
line_is(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	return (size_t)(end - p) > n && strncasecmp(p, name, n) == 0 &&
	    p[n] == ':';
}

size_t
mg_trace_lines_len(const char *lines, size_t len)
{
	const char *p = lines, *end = lines + len, *nl;

	while (p < end &&
	    (line_is(p, end, "traceparent") || line_is(p, end, "tracestate")) &&
	    (nl = memchr(p, '\n', (size_t)(end - p))) != NULL)
		p = nl + 1;
	return (size_t)(p - lines);
}
