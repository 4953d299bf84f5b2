/*
 * A look at a request or notification without a tree (mg_rpc_peek): the
 * common message the gateway passes on as it is costs no json-c
 * allocations; anything unusual is declined, for mg_rpc_parse to judge.
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonrpc.h"
#include "jsonrpc_int.h"

/* Deeper than this, or with more members in an object, mg_rpc_peek
 * leaves the text to json-c. */
#define PEEK_MAX_DEPTH 32
#define PEEK_MAX_MEMBERS 32

/* A value or key in the text (quotes included for a string); COUNT: how
 * many times its member came (0 or 1: peek_object declines a name that
 * comes twice). */
typedef struct {
	size_t at, len;
	int    esc, count;
} peek_span_t;

/* The walk: every token checked by the token check's own functions (so
 * the text is checked in one pass), the structure here. */
typedef struct {
	rpc_lex_t   lx;
	peek_span_t jsonrpc, id, method, params, result, error, name, uri;
} peek_t;

static void
peek_ws(peek_t *w)
{
	while (w->lx.pos < w->lx.len && is_ws(w->lx.s[w->lx.pos]))
		w->lx.pos++;
}

/* Is the next byte C? */
static int
peek_at(const peek_t *w, int c)
{
	return w->lx.pos < w->lx.len && w->lx.s[w->lx.pos] == c;
}

/* A string, from its quote: its span, and whether it has escapes. */
static int
peek_string(peek_t *w, peek_span_t *sp)
{
	size_t at = w->lx.pos, esc = w->lx.nesc;

	if (mg_lex_string(&w->lx) != MG_OK)
		return MG_DECLINED;
	sp->at = at;
	sp->len = w->lx.pos - at;
	sp->esc = w->lx.nesc != esc;
	return MG_OK;
}

static int peek_object(peek_t *w, int depth, int level);

/* After the opening of an object or array: is it empty (CLOSE next)? */
static int
peek_empty(peek_t *w, int close)
{
	w->lx.pos++;
	peek_ws(w);
	if (!peek_at(w, close))
		return 0;
	w->lx.pos++;
	return 1;
}

/* After a member or element: CLOSE ends the object or array (1), a comma
 * means another follows (0), anything else is not JSON (-1). */
static int
peek_next(peek_t *w, int close)
{
	peek_ws(w);
	if (peek_at(w, close)) {
		w->lx.pos++;
		return 1;
	}
	if (!peek_at(w, ','))
		return -1;
	w->lx.pos++;
	peek_ws(w);
	return 0;
}

/* Any value; ends where a delimiter may follow. */
static int
peek_value(peek_t *w, int depth)
{
	peek_span_t sp;
	int         c, rc;

	if (w->lx.pos >= w->lx.len || depth > PEEK_MAX_DEPTH)
		return MG_DECLINED;
	c = w->lx.s[w->lx.pos];
	if (c == '{')
		return peek_object(w, depth, -1);
	if (c == '"')
		return peek_string(w, &sp);
	if (c == '[') {
		if (peek_empty(w, ']'))
			return MG_OK;
		do
			if (peek_value(w, depth + 1) != MG_OK)
				return MG_DECLINED;
		while ((rc = peek_next(w, ']')) == 0);
		return rc == 1 ? MG_OK : MG_DECLINED;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		rc = mg_lex_number(&w->lx);
	else if (c == 't')
		rc = lex_word(&w->lx, "true");
	else if (c == 'f')
		rc = lex_word(&w->lx, "false");
	else if (c == 'n')
		rc = lex_word(&w->lx, "null");
	else
		return MG_DECLINED;
	/* what follows ("1-2", "truex") is the caller's: only a delimiter
	 * passes there */
	return rc == MG_OK ? MG_OK : MG_DECLINED;
}

/* The member KEY (a plain string, quotes included) of the top (LEVEL 0)
 * or of params (LEVEL 1), if it is one read here. */
static peek_span_t *
peek_member(peek_t *w, const peek_span_t *key, int level)
{
	const char *k = (const char *)w->lx.s + key->at + 1;
	size_t      n = key->len - 2;

#define PEEK_IS(name) (n == sizeof(name) - 1 && memcmp(k, name, n) == 0)
	if (level == 1)
		return PEEK_IS("name") ? &w->name
		    : PEEK_IS("uri")   ? &w->uri
				       : NULL;
	return PEEK_IS("jsonrpc") ? &w->jsonrpc
	    : PEEK_IS("id")       ? &w->id
	    : PEEK_IS("method")   ? &w->method
	    : PEEK_IS("params")   ? &w->params
	    : PEEK_IS("result")   ? &w->result
	    : PEEK_IS("error")    ? &w->error
				  : NULL;
#undef PEEK_IS
}

/*
 * Is KEY, a name without escapes, not one of the N names of KEYS?  Two
 * such names are the same to json-c when their bytes are.
 */
static int
peek_name_new(
    const peek_t *w, const peek_span_t *key, const peek_span_t *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i].len == key->len &&
		    memcmp(w->lx.s + keys[i].at, w->lx.s + key->at, key->len) ==
			0)
			return 0;
	return 1;
}

/* An object; LEVEL 0 the message, 1 its params, -1 any other. */
static int
peek_object(peek_t *w, int depth, int level)
{
	peek_span_t key, *sp, keys[PEEK_MAX_MEMBERS];
	size_t      at, n = 0;
	int         rc;

	if (depth > PEEK_MAX_DEPTH)
		return MG_DECLINED;
	if (peek_empty(w, '}'))
		return MG_OK;
	do {
		if (!peek_at(w, '"') || peek_string(w, &key) != MG_OK)
			return MG_DECLINED;
		/* A name that comes twice is the parse's to refuse (a receiver
		 * may read the first where json-c reads the last); an escaped
		 * name might be another one, decoded. */
		if (key.esc || n == PEEK_MAX_MEMBERS ||
		    !peek_name_new(w, &key, keys, n))
			return MG_DECLINED;
		keys[n++] = key;
		sp = level >= 0 ? peek_member(w, &key, level) : NULL;
		if (sp != NULL)
			sp->count++;
		peek_ws(w);
		if (!peek_at(w, ':'))
			return MG_DECLINED;
		w->lx.pos++;
		peek_ws(w);
		at = w->lx.pos;
		if (sp == &w->params && peek_at(w, '{'))
			rc = peek_object(w, depth + 1, 1);
		else
			rc = peek_value(w, depth + 1);
		if (rc != MG_OK)
			return MG_DECLINED;
		if (sp != NULL) {
			sp->at = at;
			sp->len = w->lx.pos - at;
		}
	} while ((rc = peek_next(w, '}')) == 0);
	return rc == 1 ? MG_OK : MG_DECLINED;
}

/* SP, a member's value, as a string without escapes: into OUT. */
static int
peek_plain_string(
    const peek_t *w, const peek_span_t *sp, const char **out, size_t *len)
{
	const unsigned char *v = w->lx.s + sp->at;

	if (sp->len < 2 || v[0] != '"' ||
	    memchr(v + 1, '\\', sp->len - 2) != NULL)
		return MG_DECLINED;
	*out = (const char *)v + 1;
	*len = sp->len - 2;
	return MG_OK;
}

/* The id: a string without escapes, or an integer of up to 18 digits. */
static struct json_object *
peek_id(const peek_t *w)
{
	const char *v;
	size_t      n;

	if (peek_plain_string(w, &w->id, &v, &n) == MG_OK)
		return json_object_new_string_len(v, (int)n);
	v = (const char *)w->lx.s + w->id.at;
	if (w->id.len == 0 || w->id.len > 18 || (v[0] == '0' && w->id.len > 1))
		return NULL;
	for (size_t i = 0; i < w->id.len; i++)
		if (v[i] < '0' || v[i] > '9')
			return NULL;
	return json_object_new_int64(strtoll(v, NULL, 10));
}

int
mg_rpc_peek(const char *buf, size_t len, mg_rpc_peek_t *pk)
{
	peek_t      w;
	const char *v;
	size_t      n;

	memset(&w, 0, sizeof(w));
	w.lx.s = (const unsigned char *)buf;
	w.lx.len = len;
	memset(pk, 0, sizeof(*pk));
	if (len >= INT_MAX)
		return MG_DECLINED;
	peek_ws(&w);
	if (!peek_at(&w, '{') || peek_object(&w, 1, 0) != MG_OK)
		return MG_DECLINED;
	peek_ws(&w);
	if (w.lx.pos != len || w.lx.nbig > 0 || w.jsonrpc.count != 1 ||
	    w.method.count != 1 || w.result.count != 0 || w.error.count != 0)
		return MG_DECLINED;
	if (peek_plain_string(&w, &w.jsonrpc, &v, &n) != MG_OK || n != 3 ||
	    memcmp(v, "2.0", 3) != 0)
		return MG_DECLINED;
	if (peek_plain_string(&w, &w.method, &v, &n) != MG_OK ||
	    n >= sizeof(pk->method))
		return MG_DECLINED;
	memcpy(pk->method, v, n);
	pk->method[n] = '\0';
	if (w.params.count == 1 && buf[w.params.at] != '{' &&
	    buf[w.params.at] != '[')
		return MG_DECLINED;
	/* params.name and params.uri, for the log: strings as they are */
	if (w.name.count == 1 && buf[w.name.at] == '"' &&
	    peek_plain_string(&w, &w.name, &pk->name, &pk->name_len) != MG_OK)
		return MG_DECLINED;
	if (w.uri.count == 1 && buf[w.uri.at] == '"' &&
	    peek_plain_string(&w, &w.uri, &pk->uri, &pk->uri_len) != MG_OK)
		return MG_DECLINED;
	pk->kind = MG_RPC_NOTIFICATION;
	if (w.id.count == 1) {
		if ((pk->id = peek_id(&w)) == NULL)
			return MG_DECLINED;
		pk->kind = MG_RPC_REQUEST;
	}
	return MG_OK;
}

void
mg_rpc_peek_clear(mg_rpc_peek_t *pk)
{
	json_object_put(pk->id);
	memset(pk, 0, sizeof(*pk));
}
