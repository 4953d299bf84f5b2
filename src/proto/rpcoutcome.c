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

/* A string from its quote: its contents' span; -1 if unterminated. */
static int
string(scan_t *c, size_t *at, size_t *n)
{
	size_t i = c->pos + 1;

	while (i < c->len && c->s[i] != '"')
		i += c->s[i] == '\\' ? 2 : 1;
	if (i >= c->len)
		return -1;
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

/* At a result's value: does it say "isError": true? */
static mg_rpc_outcome_t
result(scan_t *c)
{
	size_t at, n;

	if (c->pos >= c->len || c->s[c->pos] != '{' ||
	    memmem(c->s + c->pos, c->len - c->pos, "\"isError\"", 9) == NULL)
		return MG_OUTCOME_RESULT;
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

mg_rpc_outcome_t
mg_rpc_outcome(const char *msg, size_t len)
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
