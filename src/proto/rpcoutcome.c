/*
 * The outcome of a tools/call answer (rpcoutcome.h): the top-level
 * members are walked until "result", "error" or "method"; a result is
 * searched for "isError" only when the text holds the word at all, and
 * then its own members are walked.  Values are skipped by brackets and
 * strings, not checked: the connector passed the message on as JSON.
 */
#include "config.h"

#include <string.h>

#include "rpcoutcome.h"

typedef struct {
	const char *s;
	size_t      pos, len;
} scan_t;

static void
ws(scan_t *c)
{
	while (c->pos < c->len &&
	    (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' ||
		c->s[c->pos] == '\n' || c->s[c->pos] == '\r'))
		c->pos++;
}

/* A string from its quote: its contents' span; -1 if unterminated.
 * memchr finds each quote; one after an odd run of backslashes is not
 * the end. */
static int
string(scan_t *c, size_t *at, size_t *n)
{
	size_t      i = c->pos + 1, k;
	const char *q;

	for (;;) {
		if (i >= c->len ||
		    (q = memchr(c->s + i, '"', c->len - i)) == NULL)
			return -1;
		i = (size_t)(q - c->s);
		for (k = i; k > c->pos + 1 && c->s[k - 1] == '\\'; k--)
			;
		if ((i - k) % 2 == 0)
			break;
		i++;
	}
	*at = c->pos + 1;
	*n = i - *at;
	c->pos = i + 1;
	return 0;
}

/* Skip one value: a string, an object or array (by depth), or a word
 * (up to the ',' or the bracket that ends it). */
static int
skip(scan_t *c)
{
	size_t at, n;
	int    depth = 0;

	ws(c);
	while (c->pos < c->len) {
		char ch = c->s[c->pos];

		if (ch == '"') {
			if (string(c, &at, &n) != 0)
				return -1;
			if (depth == 0)
				return 0;
			continue;
		}
		if (ch == '{' || ch == '[')
			depth++;
		else if (ch == '}' || ch == ']') {
			if (depth == 0)
				return 0;
			if (--depth == 0) {
				c->pos++;
				return 0;
			}
		} else if (ch == ',' && depth == 0)
			return 0;
		c->pos++;
	}
	return -1;
}

/* At a member name of an object (after '{' or ','): the name, and the
 * scan left at its value.  1: a member; 0: the object ended; -1: bad. */
static int
member(scan_t *c, size_t *at, size_t *n)
{
	ws(c);
	if (c->pos < c->len && c->s[c->pos] == ',')
		c->pos++, ws(c);
	if (c->pos < c->len && c->s[c->pos] == '}')
		return 0;
	if (c->pos >= c->len || c->s[c->pos] != '"' || string(c, at, n) != 0)
		return -1;
	ws(c);
	if (c->pos >= c->len || c->s[c->pos] != ':')
		return -1;
	c->pos++;
	ws(c);
	return 1;
}

static int
named(const scan_t *c, size_t at, size_t n, const char *name)
{
	return n == strlen(name) && memcmp(c->s + at, name, n) == 0;
}

/* Whether S (N bytes) holds "isError": found by its rare capital E. */
static inline int
has_is_error(const char *s, size_t n)
{
	const char *e = s, *end = s + n;

	while ((e = memchr(e, 'E', (size_t)(end - e))) != NULL) {
		if (e - s >= 3 && end - e >= 6 &&
		    memcmp(e - 3, "\"is", 3) == 0 &&
		    memcmp(e + 1, "rror\"", 5) == 0)
			return 1;
		e++;
	}
	return 0;
}

/* At a result's value: does it say "isError": true?  Most results do
 * not hold the word: answered here, inline, without the walk's frame. */
static mg_rpc_outcome_t walk_result(scan_t *c);

static inline mg_rpc_outcome_t
result(scan_t *c)
{
	ws(c); /* the compact shape's "result": may have spaces after it */
	if (c->pos >= c->len || c->s[c->pos] != '{' ||
	    !has_is_error(c->s + c->pos, c->len - c->pos))
		return MG_OUTCOME_RESULT;
	return walk_result(c);
}

static mg_rpc_outcome_t
walk_result(scan_t *c)
{
	size_t at, n;

	c->pos++;
	while (member(c, &at, &n) == 1) {
		if (named(c, at, n, "isError"))
			return c->len - c->pos >= 4 &&
				memcmp(c->s + c->pos, "true", 4) == 0
			    ? MG_OUTCOME_TOOL_ERROR
			    : MG_OUTCOME_RESULT;
		if (skip(c) != 0)
			break;
	}
	return MG_OUTCOME_RESULT;
}

/* The common compact answer, {"jsonrpc":"2.0","id":ID,"result":... or
 * "error":..., with ID an integer or a string without escapes, read by
 * a few compares; -1: another shape, for the walk. */
static int
compact(const char *s, size_t len, size_t *at)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":";
	size_t            i = sizeof(head) - 1;
	const char       *q;

	if (len < i + 12 || memcmp(s, head, i) != 0)
		return -1;
	if (s[i] == '"') {
		/* its end: the first quote, unless a backslash is before it
		 * (an escaped quote, or an escaped backslash: the walk's) */
		if ((q = memchr(s + i + 1, '"', len - i - 1)) == NULL ||
		    q[-1] == '\\')
			return -1;
		i = (size_t)(q - s) + 1;
	} else
		while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			i++;
	if (len - i >= 10 && memcmp(s + i, ",\"result\":", 10) == 0) {
		*at = i + 10;
		return MG_OUTCOME_RESULT;
	}
	if (len - i >= 9 && memcmp(s + i, ",\"error\":", 9) == 0)
		return MG_OUTCOME_RPC_ERROR;
	return -1;
}

/* Any other shape: the top-level members walked (a frame of its own, so
 * that the common answer's path saves no registers for it). */
static __attribute__((noinline)) mg_rpc_outcome_t
walk(const char *msg, size_t len)
{
	scan_t c = { msg, 0, len };
	size_t at, n;

	ws(&c);
	if (c.pos >= c.len || c.s[c.pos] != '{')
		return MG_OUTCOME_NONE;
	c.pos++;
	while (member(&c, &at, &n) == 1) {
		if (named(&c, at, n, "result"))
			return result(&c);
		if (named(&c, at, n, "error"))
			return MG_OUTCOME_RPC_ERROR;
		if (named(&c, at, n, "method"))
			return MG_OUTCOME_NONE;
		if (skip(&c) != 0)
			break;
	}
	return MG_OUTCOME_NONE;
}

mg_rpc_outcome_t
mg_rpc_outcome(const char *msg, size_t len)
{
	scan_t c = { msg, 0, len };
	int    o = compact(msg, len, &c.pos);

	if (o == MG_OUTCOME_RPC_ERROR)
		return MG_OUTCOME_RPC_ERROR;
	if (o == MG_OUTCOME_RESULT)
		return result(&c);
	return walk(msg, len);
}
