/*
 * An access log line: a compiled log_format (conf.h) filled in with the
 * variables' values (logvar.c), each escaped as the format says, cut to
 * the line's limit without ever cutting an escape or a literal: a json
 * line stays one JSON object however long its values are.
 */
#include "config.h"

#include <string.h>

#include "logline.h"

static const char hexd[] = "0123456789abcdef";

/* The bytes from S on that neither escape changes: most of every value,
 * copied in one memcpy. */
static size_t
plain_run(const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t               i = 0;

	while (i < len && mg_log_plain[s[i]])
		i++;
	return i;
}

/* nginx's default: " \ and bytes outside 0x20-0x7e as \xHH */
static size_t
esc_default(const unsigned char *s, size_t len, char *out, size_t room)
{
	size_t n = plain_run(s, len);

	n = n < room ? n : room;
	memcpy(out, s, n);
	for (size_t i = n; i < len; i++) {
		unsigned char b = s[i];

		if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
			if (n == room)
				break;
			out[n++] = (char)b;
			continue;
		}
		if (n + 4 > room)
			break;
		out[n++] = '\\';
		out[n++] = 'x';
		out[n++] = hexd[b >> 4];
		out[n++] = hexd[b & 15];
	}
	return n;
}

/* The bytes of a well-formed UTF-8 sequence at S (RFC 3629), 0: none. */
static size_t
utf8_len(const unsigned char *s, size_t len)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xbf;
	size_t        n;

	if (b >= 0xc2 && b <= 0xdf)
		n = 2;
	else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		lo = b == 0xe0 ? 0xa0 : 0x80;
		hi = b == 0xed ? 0x9f : 0xbf;
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		lo = b == 0xf0 ? 0x90 : 0x80;
		hi = b == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* A JSON string's inside (RFC 8259 7): a byte that is not part of a
 * UTF-8 sequence goes as \u00HH, so the line stays valid UTF-8. */
static size_t
esc_json(const unsigned char *s, size_t len, char *out, size_t room)
{
	static const char short_esc[32] = { ['\b'] = 'b',
		['\t'] = 't',
		['\n'] = 'n',
		['\f'] = 'f',
		['\r'] = 'r' };
	size_t            n = plain_run(s, len), k;

	n = n < room ? n : room;
	memcpy(out, s, n);
	for (size_t i = n; i < len; i += k) {
		unsigned char b = s[i];

		k = 1;
		if (b >= 0x20 && b < 0x80 && b != '"' && b != '\\') {
			if (n == room)
				break;
			out[n++] = (char)b;
		} else if (b == '"' || b == '\\' ||
		    (b < 0x20 && short_esc[b])) {
			if (n + 2 > room)
				break;
			out[n++] = '\\';
			out[n++] = b < 0x20 ? short_esc[b] : (char)b;
		} else if (b >= 0x80 && (k = utf8_len(s + i, len - i)) > 0) {
			if (n + k > room)
				break;
			memcpy(out + n, s + i, k);
			n += k;
		} else {
			k = 1;
			if (n + 6 > room)
				break;
			memcpy(out + n, "\\u00", 4);
			out[n + 4] = hexd[b >> 4];
			out[n + 5] = hexd[b & 15];
			n += 6;
		}
	}
	return n;
}

size_t
mg_log_escape(int mode, const char *s, size_t len, char *out, size_t room)
{
	switch (mode) {
	case MG_LOG_ESC_JSON:
		return esc_json((const unsigned char *)s, len, out, room);
	case MG_LOG_ESC_NONE:
		len = len < room ? len : room;
		memcpy(out, s, len);
		return len;
	default: return esc_default((const unsigned char *)s, len, out, room);
	}
}

/* A literal, as much of it as the line has room for (all of it, but
 * when the line is full); most are one space. */
static size_t
literal(const mg_log_part_t *p, char *out, size_t room)
{
	size_t len = p->len < room ? p->len : room;

	if (len == 1)
		*out = p->text[0];
	else
		memcpy(out, p->text, len);
	return len;
}

size_t
mg_log_line_parts(
    const mg_log_format_t *f, mg_log_ctx_t *c, char *out, size_t max)
{
	char   scratch[MG_LOG_SCRATCH], *buf;
	size_t n = 0, room, len;
	int    json = f->escape == MG_LOG_ESC_JSON;

	if (max < 2)
		return 0;
	max--; /* the newline */
	for (size_t i = 0; i < f->nparts; i++) {
		const mg_log_part_t *p = &f->parts[i];
		const char          *v;

		if (p->len > 0)
			n += literal(p, out + n, max - n);
		if (p->name == NULL)
			continue;
		room = max - n > p->tail ? max - n - p->tail : 0;
		/* a value that needs no escaping is made in the line itself */
		buf = p->copy && room >= sizeof(scratch) ? out + n : scratch;
		len = 0;
		v = ((mg_logvar_fn_t)p->fn)(
		    c, p->arg, buf, sizeof(scratch), &len);
		if (v == NULL) {
			if (!json && room > 0)
				out[n++] = '-';
		} else if (v == out + n)
			n += len;
		else if (p->copy || (len <= room && plain_run(v, len) == len)) {
			/* nothing to escape (v may be in buf: in the line) */
			len = len < room ? len : room;
			memmove(out + n, v, len);
			n += len;
		} else
			n += mg_log_escape(f->escape, v, len, out + n, room);
	}
	out[n++] = '\n';
	return n;
}
