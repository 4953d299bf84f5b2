/*
 * A streamed JSON body read message by message (jsonseq.h): the bytes of
 * the message being read kept as they came, json-c's tokener told where
 * it ends.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonrpc.h"
#include "jsonseq.h"

struct mg_jsonseq {
	size_t               max;
	mg_jsonseq_cb       *cb;
	void                *arg;
	int                  seq;    /* a newline came: a sequence */
	int                  failed; /* why in error */
	char                *buf;    /* the message being read */
	size_t               len, cap;
	size_t               count;
	struct json_tokener *tok; /* once a sequence */
	char                 error[128];
};

mg_jsonseq_t *
mg_jsonseq_new(size_t max, mg_jsonseq_cb *cb, void *arg)
{
	mg_jsonseq_t *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->max = max;
	p->cb = cb;
	p->arg = arg;
	return p;
}

void
mg_jsonseq_free(mg_jsonseq_t *p)
{
	if (p == NULL)
		return;
	if (p->tok != NULL)
		json_tokener_free(p->tok);
	free(p->buf);
	free(p);
}

static int
seq_fail(mg_jsonseq_t *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	p->failed = 1;
	return MG_ERROR;
}

/* Keep LEN more bytes of the message; the caller checked the limit. */
static int
seq_keep(mg_jsonseq_t *p, const char *s, size_t len)
{
	size_t cap = p->cap ? p->cap : 4096;
	char  *nb;

	while (cap < p->len + len)
		cap *= 2;
	if (cap != p->cap) {
		if ((nb = realloc(p->buf, cap)) == NULL)
			return seq_fail(p, "out of memory");
		p->buf = nb;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, len);
	p->len += len;
	return MG_OK;
}

static int
seq_too_long(mg_jsonseq_t *p)
{
	return seq_fail(p,
	    "message %zu is longer than %zu bytes (max_message_size)",
	    p->count + 1, p->max);
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Is ROOT a JSON-RPC response (or a batch)?  -1: no JSON-RPC message. */
static int
seq_kind(struct json_object *root)
{
	struct json_object *v;

	if (json_object_is_type(root, json_type_array))
		return 1;
	if (!json_object_is_type(root, json_type_object))
		return -1;
	if (json_object_object_get_ex(root, "method", &v))
		return 0;
	return json_object_object_get_ex(root, "result", &v) ||
	    json_object_object_get_ex(root, "error", &v);
}

/*
 * A message read in pieces is read again whole: json-c's tokener, fed in
 * pieces, takes some numbers it refuses whole ("[1-" then "]").  ROOT is
 * put; the message's tree, or NULL and why in P.
 */
static struct json_object *
seq_again(mg_jsonseq_t *p, struct json_object *root, const char *m, size_t n)
{
	enum json_tokener_error jerr;

	json_object_put(root);
	json_tokener_reset(p->tok);
	root = json_tokener_parse_ex(p->tok, m, (int)n);
	jerr = json_tokener_get_error(p->tok);
	if (jerr == json_tokener_success &&
	    json_tokener_get_parse_end(p->tok) == n)
		return root;
	/* a number ("2-" in pieces), or one waiting for its end */
	if (jerr == json_tokener_continue ||
	    (root != NULL && seq_kind(root) < 0))
		seq_fail(p, "message %zu is not a JSON object or array",
		    p->count + 1);
	else
		seq_fail(p, "message %zu is not JSON (%s)", p->count + 1,
		    jerr == json_tokener_success
			? "bytes after its end"
			: json_tokener_error_desc(jerr));
	json_object_put(root);
	return NULL;
}

/* The message ends USED bytes into S (json-c counts the whitespace
 * after it in): given, and the next one begins. */
static int
seq_give(mg_jsonseq_t *p, struct json_object *root, const char *s, size_t used)
{
	const char *m = s;
	size_t      n = used;
	int         kind, pieces = p->len > 0;

	if (pieces) {
		if (seq_keep(p, s, used) != MG_OK) {
			json_object_put(root);
			return MG_ERROR;
		}
		m = p->buf;
		n = p->len;
	}
	while (n > 0 && is_ws(m[n - 1]))
		n--;
	/* the limit first: cut anywhere, the body reads the same */
	if (n > p->max) {
		json_object_put(root);
		return seq_too_long(p);
	}
	if (pieces && (root = seq_again(p, root, m, n)) == NULL)
		return MG_ERROR;
	kind = seq_kind(root);
	json_object_put(root);
	json_tokener_reset(p->tok);
	if (kind < 0)
		return seq_fail(p, "message %zu is not a JSON object or array",
		    p->count + 1);
	p->len = 0; /* the buffer is the next message's, after the call */
	p->count++;
	p->cb(p->arg, m, n, kind);
	return MG_OK;
}

/* LEN bytes of a sequence. */
static int
seq_scan(mg_jsonseq_t *p, const char *s, size_t len)
{
	struct json_object     *root;
	enum json_tokener_error jerr;
	size_t                  n, used;

	while (len > 0) {
		if (p->len == 0)
			while (len > 0 && is_ws(*s))
				s++, len--;
		if (len == 0)
			break;
		/* a JSON-RPC message is an object or a batch; json-c would
		 * read a number ("8-2") otherwise whole than in pieces */
		if (p->len == 0 && *s != '{' && *s != '[')
			return seq_fail(p,
			    "message %zu is not a JSON object or array",
			    p->count + 1);
		n = len > INT_MAX ? INT_MAX : len;
		root = json_tokener_parse_ex(p->tok, s, (int)n);
		jerr = json_tokener_get_error(p->tok);
		if (jerr == json_tokener_continue) {
			if (p->len + n > p->max)
				return seq_too_long(p);
			if (seq_keep(p, s, n) != MG_OK)
				return MG_ERROR;
		} else if (jerr == json_tokener_success) {
			used = json_tokener_get_parse_end(p->tok);
			if (seq_give(p, root, s, used) != MG_OK)
				return MG_ERROR;
			n = used;
		} else if (p->len + json_tokener_get_parse_end(p->tok) > p->max)
			return seq_too_long(p); /* as if cut before the error */
		else
			return seq_fail(p, "message %zu is not JSON (%s)",
			    p->count + 1, json_tokener_error_desc(jerr));
		s += n;
		len -= n;
	}
	return MG_OK;
}

/* The first newline: what came before it is read again as the start of
 * a sequence. */
static int
seq_begin(mg_jsonseq_t *p)
{
	char  *old = p->buf;
	size_t len = p->len;
	int    rc;

	p->tok = json_tokener_new_ex(MG_RPC_MAX_DEPTH);
	if (p->tok == NULL)
		return seq_fail(p, "out of memory");
	json_tokener_set_flags(
	    p->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	p->seq = 1;
	p->buf = NULL;
	p->len = p->cap = 0;
	rc = seq_scan(p, old, len);
	free(old);
	return rc;
}

int
mg_jsonseq_begin(mg_jsonseq_t *p)
{
	if (p->failed)
		return MG_ERROR;
	return p->seq ? MG_OK : seq_begin(p);
}

int
mg_jsonseq_feed(mg_jsonseq_t *p, const char *buf, size_t len)
{
	const char *nl;

	if (p->failed)
		return MG_ERROR;
	if (p->seq)
		return seq_scan(p, buf, len);
	nl = len > 0 ? memchr(buf, '\n', len) : NULL;
	if (p->len + (nl ? (size_t)(nl - buf) : len) > p->max)
		return seq_fail(p,
		    "more than %zu bytes without a newline "
		    "(max_message_size)",
		    p->max);
	if (seq_keep(p, buf, len) != MG_OK)
		return MG_ERROR;
	return nl != NULL ? seq_begin(p) : MG_OK;
}

int
mg_jsonseq_end(mg_jsonseq_t *p)
{
	if (p->failed)
		return MG_ERROR;
	if (!p->seq) {
		if (p->len > 0) {
			p->count++;
			p->cb(p->arg, p->buf, p->len, 1);
		}
		p->len = 0;
		return MG_OK;
	}
	if (p->len > 0)
		return seq_fail(p,
		    "the body ended inside message %zu (%zu bytes of it came)",
		    p->count + 1, p->len);
	return MG_OK;
}

const char *
mg_jsonseq_error(const mg_jsonseq_t *p)
{
	return p->failed ? p->error : "";
}

size_t
mg_jsonseq_count(const mg_jsonseq_t *p)
{
	return p->count;
}
