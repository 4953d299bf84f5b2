/*
 * Server-Sent Events: encoder and incremental parser, after WHATWG HTML's
 * "Parsing an event stream" and "Interpreting an event stream".
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "sse.h"

/* A buffer bigger than this is freed once its event is out. */
#define SSE_KEEP 65536

typedef struct {
	char  *p; /* NUL-terminated once allocated */
	size_t len;
	size_t cap;
} sse_buf_t;

struct mg_sse_parser {
	mg_sse_event_cb *cb;
	void            *arg;
	size_t           max;
	int              failed;
	int              bom;  /* bytes of a leading BOM seen; 3: past */
	int              cr;   /* a line ended in "\r": drop one "\n" */
	sse_buf_t        line; /* a line still without its end */
	sse_buf_t        data;
	sse_buf_t        type;
	sse_buf_t        last_id; /* persists across events */
	size_t           size;    /* bytes of this block's fields */
	int              fields;  /* this block had a field */
	int              has_id;
	long             retry;
};

/*
 * The line at S: its length in *N; returns the bytes it takes with its end
 * ("\r\n", "\n" or "\r"), or *N if it has no end yet.
 */
static size_t
sse_line(const char *s, size_t len, size_t *n)
{
	const char *nl, *cr, *eol;

	if (len == 0) {
		*n = 0;
		return 0;
	}
	nl = memchr(s, '\n', len);
	cr = memchr(s, '\r', nl != NULL ? (size_t)(nl - s) : len);
	eol = cr != NULL ? cr : nl;
	if (eol == NULL) {
		*n = len;
		return len;
	}
	*n = (size_t)(eol - s);
	if (*eol == '\r' && *n + 1 < len && eol[1] == '\n')
		return *n + 2;
	return *n + 1;
}

static size_t
sse_put(char *dst, size_t o, const char *s, size_t n)
{
	if (dst != NULL && n > 0)
		memcpy(dst + o, s, n);
	return o + n;
}

/* "NAME: VALUE\n", or "NAME:\n" for an empty value. */
static size_t
sse_field(char *dst, size_t o, const char *name, const char *val, size_t n)
{
	o = sse_put(dst, o, name, strlen(name));
	if (n > 0) {
		o = sse_put(dst, o, ": ", 2);
		o = sse_put(dst, o, val, n);
	} else
		o = sse_put(dst, o, ":", 1);
	return sse_put(dst, o, "\n", 1);
}

/* Write the event to DST, or only count its bytes if DST is NULL. */
static size_t
sse_event(
    char *dst, const char *id, const char *type, const char *data, size_t len)
{
	size_t o = 0, off = 0, n, skip;

	if (id != NULL)
		o = sse_field(dst, o, "id", id, strlen(id));
	if (type != NULL)
		o = sse_field(dst, o, "event", type, strlen(type));
	do {
		skip = sse_line(data + off, len - off, &n);
		o = sse_field(dst, o, "data", data + off, n);
		off += skip;
	} while (skip > n); /* the line had an end: another follows */
	return sse_put(dst, o, "\n", 1);
}

static int
sse_one_line(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") == NULL;
}

int
mg_sse_write_event(struct evbuffer *out, const char *id, const char *type,
    const char *data, size_t len)
{
	struct evbuffer_iovec v;
	size_t                total;

	if (!sse_one_line(id) || !sse_one_line(type) ||
	    (data == NULL && len > 0))
		return MG_ERROR;
	if (data == NULL)
		data = "";
	if (type != NULL && *type == '\0')
		type = NULL;
	total = sse_event(NULL, id, type, data, len);
	if (evbuffer_reserve_space(out, (ev_ssize_t)total, &v, 1) != 1)
		return MG_ERROR;
	v.iov_len = sse_event(v.iov_base, id, type, data, len);
	return evbuffer_commit_space(out, &v, 1) == 0 ? MG_OK : MG_ERROR;
}

int
mg_sse_write_retry(struct evbuffer *out, unsigned ms)
{
	if (evbuffer_add_printf(out, "retry: %u\n\n", ms) < 0)
		return MG_ERROR;
	return MG_OK;
}

int
mg_sse_write_comment(struct evbuffer *out, const char *text)
{
	int rc;

	if (!sse_one_line(text))
		return MG_ERROR;
	if (text == NULL || *text == '\0')
		rc = evbuffer_add(out, ":\n\n", 3);
	else
		rc = evbuffer_add_printf(out, ": %s\n\n", text) < 0 ? -1 : 0;
	return rc == 0 ? MG_OK : MG_ERROR;
}

static int
sse_buf_add(sse_buf_t *b, const char *s, size_t n)
{
	size_t cap;
	char  *np;

	if (b->cap - b->len <= n) {
		cap = b->cap > 0 ? b->cap : 64;
		while (cap - b->len <= n) {
			if (cap > SIZE_MAX / 2)
				return MG_ERROR;
			cap *= 2;
		}
		if ((np = realloc(b->p, cap)) == NULL)
			return MG_ERROR;
		b->p = np;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return MG_OK;
}

static int
sse_buf_set(sse_buf_t *b, const char *s, size_t n)
{
	b->len = 0;
	return sse_buf_add(b, s, n);
}

/*
 * The event type, a C string for the caller: a NUL becomes U+FFFD, so that
 * "message\0x" (which WHATWG dispatches as its own type) can never pass
 * for "message".
 */
static int
sse_type_set(sse_buf_t *b, const char *s, size_t n)
{
	const char *nul;

	b->len = 0;
	while ((nul = memchr(s, '\0', n)) != NULL) {
		if (sse_buf_add(b, s, (size_t)(nul - s)) != MG_OK ||
		    sse_buf_add(b, "\xef\xbf\xbd", 3) != MG_OK)
			return MG_ERROR;
		n -= (size_t)(nul - s) + 1;
		s = nul + 1;
	}
	return sse_buf_add(b, s, n);
}

/* Empty B, and give its memory back if one big event grew it. */
static void
sse_buf_reset(sse_buf_t *b)
{
	b->len = 0;
	if (b->cap > SSE_KEEP) {
		free(b->p);
		b->p = NULL;
		b->cap = 0;
	}
}

/* A blank line: hand the block over if it had a field, then start anew. */
static void
sse_dispatch(mg_sse_parser_t *p)
{
	mg_sse_event_t ev;

	if (p->fields) {
		ev.id = p->has_id ? p->last_id.p : NULL;
		ev.last_id = p->last_id.p != NULL ? p->last_id.p : "";
		ev.type = p->type.len > 0 ? p->type.p : "message";
		ev.has_data = p->data.len > 0;
		ev.data = "";
		ev.data_len = 0;
		if (ev.has_data) {
			/* Every data line appended "\n"; drop the last. */
			ev.data_len = p->data.len - 1;
			p->data.p[ev.data_len] = '\0';
			ev.data = p->data.p;
		}
		ev.retry = p->retry;
		p->cb(p->arg, &ev);
	}
	sse_buf_reset(&p->data);
	p->type.len = 0;
	p->size = 0;
	p->fields = 0;
	p->has_id = 0;
	p->retry = -1;
}

/* The value of a retry field: ASCII digits only, else -1 (ignored). */
static long
sse_retry(const char *v, size_t n)
{
	long ms = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || ms > (LONG_MAX - 9) / 10)
			return -1;
		ms = ms * 10 + (v[i] - '0');
	}
	return ms;
}

#define FIELD_IS(name, s, n)                                                   \
	((n) == sizeof(name) - 1 && memcmp((s), (name), (n)) == 0)

/* One field of LINELEN bytes: NAME (N bytes) and VAL (VN bytes). */
static int
sse_field_do(mg_sse_parser_t *p, const char *name, size_t n, const char *val,
    size_t vn, size_t linelen)
{
	long ms;
	int  rc;

	if (FIELD_IS("data", name, n)) {
		rc = sse_buf_add(&p->data, val, vn);
		if (rc == MG_OK)
			rc = sse_buf_add(&p->data, "\n", 1);
	} else if (FIELD_IS("event", name, n))
		rc = sse_type_set(&p->type, val, vn);
	else if (FIELD_IS("id", name, n) && memchr(val, '\0', vn) == NULL) {
		rc = sse_buf_set(&p->last_id, val, vn);
		p->has_id = 1;
	} else if (FIELD_IS("retry", name, n) &&
	    (ms = sse_retry(val, vn)) >= 0) {
		p->retry = ms;
		rc = MG_OK;
	} else
		return MG_OK; /* unknown, or a value to ignore */
	p->fields = 1;
	p->size += linelen;
	if (p->size > p->max)
		return MG_ERROR;
	return rc;
}

static int
sse_line_do(mg_sse_parser_t *p, const char *line, size_t n)
{
	const char *colon, *val;
	size_t      namelen, vn;

	if (n == 0) {
		sse_dispatch(p);
		return MG_OK;
	}
	if (line[0] == ':')
		return MG_OK; /* a comment */
	if ((colon = memchr(line, ':', n)) != NULL) {
		namelen = (size_t)(colon - line);
		val = colon + 1;
		vn = n - namelen - 1;
		if (vn > 0 && val[0] == ' ') {
			val++;
			vn--;
		}
	} else {
		namelen = n;
		val = line + n;
		vn = 0;
	}
	return sse_field_do(p, line, namelen, val, vn, n);
}

static int
sse_feed(mg_sse_parser_t *p, const char *buf, size_t len)
{
	size_t n, skip;
	int    rc;

	while (len > 0) {
		if (p->cr) {
			p->cr = 0;
			if (*buf == '\n') {
				buf++;
				len--;
				continue;
			}
		}
		skip = sse_line(buf, len, &n);
		if (p->line.len + n > p->max)
			return MG_ERROR;
		if (skip == n) /* no end yet: keep it for the next feed */
			return sse_buf_add(&p->line, buf, n);
		/* A "\r" at the end of BUF: its "\n" may open the next one. */
		p->cr = buf[n] == '\r' && skip == n + 1;
		if (p->line.len > 0) {
			if (sse_buf_add(&p->line, buf, n) != MG_OK)
				return MG_ERROR;
			rc = sse_line_do(p, p->line.p, p->line.len);
			sse_buf_reset(&p->line);
		} else
			rc = sse_line_do(p, buf, n);
		if (rc != MG_OK)
			return MG_ERROR;
		buf += skip;
		len -= skip;
	}
	return MG_OK;
}

int
mg_sse_parser_feed(mg_sse_parser_t *p, const char *buf, size_t len)
{
	static const char bom[] = "\xef\xbb\xbf";
	int               rc = MG_OK;

	if (p->failed)
		return MG_ERROR;
	/* One BOM at the very start is dropped; a part of one is data. */
	while (p->bom < 3 && len > 0) {
		if (*buf != bom[p->bom]) {
			rc = sse_feed(p, bom, (size_t)p->bom);
			p->bom = 3;
			break;
		}
		p->bom++;
		buf++;
		len--;
	}
	if (rc == MG_OK)
		rc = sse_feed(p, buf, len);
	if (rc != MG_OK)
		p->failed = 1;
	return rc;
}

mg_sse_parser_t *
mg_sse_parser_new(size_t max_event, mg_sse_event_cb *cb, void *arg)
{
	mg_sse_parser_t *p;

	if (cb == NULL || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->cb = cb;
	p->arg = arg;
	p->max = max_event > 0 ? max_event : MG_SSE_MAX_EVENT;
	p->retry = -1;
	return p;
}

void
mg_sse_parser_free(mg_sse_parser_t *p)
{
	if (p == NULL)
		return;
	free(p->line.p);
	free(p->data.p);
	free(p->type.p);
	free(p->last_id.p);
	free(p);
}
