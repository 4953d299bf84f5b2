/*
 * What the JSON-RPC files share and nobody else may use: the token
 * check's state and the small steps of it that the cheap peek and the
 * duplicate-name search take too (inline, as they were when these files
 * were one), and the error a refused text gets.  jsonrpc.h is the API,
 * and is included first: this header does not include it, so that no
 * file's includes come back to it.
 */
#ifndef MG_JSONRPC_INT_H
#define MG_JSONRPC_INT_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mcpgw.h"

struct json_tokener;

/* The token check's state. */
typedef struct {
	const unsigned char *s;
	size_t               len;
	size_t               pos; /* where it stopped, on failure */
	const char          *why;
	size_t               nbig;     /* integers json-c would clamp */
	size_t              *bigs;     /* if not NULL: where each one ends */
	size_t               nesc;     /* escapes seen in strings */
	size_t               nmembers; /* ':' tokens: members of objects */
} rpc_lex_t;

static inline int
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline int
lex_fail(rpc_lex_t *lx, size_t pos, const char *why)
{
	lx->pos = pos;
	lx->why = why;
	return MG_ERROR;
}

static inline int
lex_word(rpc_lex_t *lx, const char *word)
{
	size_t n = strlen(word);

	if (lx->len - lx->pos < n || memcmp(lx->s + lx->pos, word, n) != 0)
		return lex_fail(lx, lx->pos, "unexpected character");
	lx->pos += n;
	return MG_OK;
}

static inline int
rpc_fail(
    mg_rpc_err_t *err, int code, const char *what, const char *why, size_t pos)
{
	err->code = code;
	if (code == MG_RPC_PARSE_ERROR)
		snprintf(err->message, sizeof(err->message),
		    "%s: %s at byte %zu", what, why, pos);
	else
		snprintf(
		    err->message, sizeof(err->message), "%s: %s", what, why);
	return MG_ERROR;
}

#define rpc_parse_error(err, why, pos)                                         \
	rpc_fail(err, MG_RPC_PARSE_ERROR, "Parse error", why, pos)
#define rpc_invalid(err, why)                                                  \
	rpc_fail(err, MG_RPC_INVALID_REQUEST, "Invalid Request", why, 0)
#define rpc_nomem(err)                                                         \
	rpc_fail(                                                              \
	    err, MG_RPC_INTERNAL_ERROR, "Internal error", "out of memory", 0)

/* Length of the well-formed UTF-8 sequence at S (RFC 3629), 0 if none. */
size_t mg_utf8_seq(const unsigned char *s, size_t n);
/* A string, from its opening quote; a number (jsonlex.c). */
int mg_lex_string(rpc_lex_t *lx);
int mg_lex_number(rpc_lex_t *lx);
/* The process's one tokener (strict, MG_RPC_MAX_DEPTH levels), reset
 * after each use; NULL when out of memory. */
struct json_tokener *mg_rpc_tokener(void);
/* The text's tree; *NMEMBERS: how many object members the text has. */
int mg_rpc_parse_text(const char *buf, size_t len, struct json_object **root,
    size_t *nmembers, mg_rpc_err_t *err);

#endif
