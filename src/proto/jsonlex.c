/*
 * The JSON-RPC token check (RFC 8259's tokens, strictly: UTF-8, numbers,
 * no control characters), and the text's tree built by json-c, with the
 * integers it would clamp kept exactly.  What passes here is JSON;
 * jsonrpc.c says whether it is a message.
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/json_visit.h>

#include "jsonrpc.h"
#include "jsonrpc_int.h"

/* Length of the well-formed UTF-8 sequence at S (RFC 3629), 0 if none. */
size_t
mg_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t        need;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80; /* overlong */
		hi = s[0] == 0xed ? 0x9f : 0xbf; /* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		lo = s[0] == 0xf0 ? 0x90 : 0x80; /* overlong */
		hi = s[0] == 0xf4 ? 0x8f : 0xbf; /* over U+10FFFF */
	} else
		return 0;
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

static int
is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* Bytes of the escape at S (N bytes left, S[0] is '\\'); 0 if invalid. */
static size_t
lex_escape(const unsigned char *s, size_t n)
{
	if (n >= 2 && s[1] != '\0' && strchr("\"\\/bfnrt", s[1]) != NULL)
		return 2;
	if (n < 6 || s[1] != 'u')
		return 0;
	for (size_t k = 2; k < 6; k++)
		if (!is_hex(s[k]))
			return 0;
	return 6;
}

/* A string, from its opening quote. */
int
mg_lex_string(rpc_lex_t *lx)
{
	const unsigned char *s = lx->s;
	size_t               i = lx->pos + 1, n;

	while (i < lx->len && s[i] != '"') {
		if (s[i] >= 0x20 && s[i] < 0x80 && s[i] != '\\') {
			i++; /* the common case: plain ASCII */
			continue;
		}
		if (s[i] == '\\') {
			if ((n = lex_escape(s + i, lx->len - i)) == 0)
				return lex_fail(lx, i, "invalid escape");
			lx->nesc++;
		} else if (s[i] < 0x20)
			return lex_fail(lx, i, "control character in string");
		else if ((n = mg_utf8_seq(s + i, lx->len - i)) == 0)
			return lex_fail(lx, i, "invalid UTF-8");
		i += n;
	}
	if (i >= lx->len)
		return lex_fail(lx, lx->pos, "unterminated string");
	lx->pos = i + 1;
	return MG_OK;
}

static size_t
lex_digits(rpc_lex_t *lx, size_t *i)
{
	size_t start = *i;

	while (*i < lx->len && lx->s[*i] >= '0' && lx->s[*i] <= '9')
		(*i)++;
	return *i - start;
}

/* Is the integer D (N digits, no leading zero) beyond json-c's range? */
static int
int_overflows(const unsigned char *d, size_t n, int neg)
{
	const char *lim = neg ? "9223372036854775808" : "18446744073709551615";
	size_t      limn = strlen(lim);

	if (n != limn)
		return n > limn;
	return memcmp(d, lim, n) > 0;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
int
mg_lex_number(rpc_lex_t *lx)
{
	const unsigned char *s = lx->s;
	size_t               i = lx->pos, start;
	int                  neg = 0, integer = 1;

	if (s[i] == '-') {
		neg = 1;
		i++;
	}
	start = i;
	if (i < lx->len && s[i] == '0')
		i++;
	else if (lex_digits(lx, &i) == 0)
		return lex_fail(lx, lx->pos, "invalid number");
	if (i < lx->len && s[i] == '.') {
		i++;
		integer = 0;
		if (lex_digits(lx, &i) == 0)
			return lex_fail(lx, lx->pos, "invalid number");
	}
	if (i < lx->len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		integer = 0;
		if (i < lx->len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (lex_digits(lx, &i) == 0)
			return lex_fail(lx, lx->pos, "invalid number");
	}
	if (integer && int_overflows(s + start, i - start, neg)) {
		if (lx->bigs != NULL)
			lx->bigs[lx->nbig] = i;
		lx->nbig++;
	}
	lx->pos = i;
	return MG_OK;
}

/*
 * Check every token of the text against RFC 8259; json-c checks the
 * structure.  json-c alone takes NaN, Infinity, "1.", "-01", "1-2" (as 1),
 * raw control characters and overlong UTF-8.
 */
static int
rpc_lex(rpc_lex_t *lx)
{
	size_t tokens = 0;
	int    rc, c;

	while (lx->pos < lx->len) {
		c = lx->s[lx->pos];
		if (is_ws(c)) {
			lx->pos++;
			continue;
		}
		tokens++;
		if (c == '{' || c == '}' || c == '[' || c == ']' || c == ':' ||
		    c == ',') {
			lx->nmembers += c == ':';
			lx->pos++;
			continue;
		}
		if (c == '"') {
			if (mg_lex_string(lx) != MG_OK)
				return MG_ERROR;
			continue;
		}
		if (c == '-' || (c >= '0' && c <= '9'))
			rc = mg_lex_number(lx);
		else if (c == 't')
			rc = lex_word(lx, "true");
		else if (c == 'f')
			rc = lex_word(lx, "false");
		else if (c == 'n')
			rc = lex_word(lx, "null");
		else
			return lex_fail(lx, lx->pos, "unexpected character");
		if (rc != MG_OK)
			return MG_ERROR;
		/* A number or literal ends at a delimiter: "1-2", "truex". */
		c = lx->pos < lx->len ? lx->s[lx->pos] : ' ';
		if (!is_ws(c) && c != ',' && c != ']' && c != '}')
			return lex_fail(lx, lx->pos, "unexpected character");
	}
	if (tokens == 0)
		return lex_fail(lx, lx->pos, "empty message");
	return MG_OK;
}

/* Build the tree of a text that passed the token check. */
/* One tokener per process (each has one thread), reset after each use:
 * making one allocates and clears a stack of MG_RPC_MAX_DEPTH levels. */
struct json_tokener *
mg_rpc_tokener(void)
{
	static struct json_tokener *tok;

	if (tok == NULL &&
	    (tok = json_tokener_new_ex(MG_RPC_MAX_DEPTH)) != NULL)
		json_tokener_set_flags(tok,
		    JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	return tok;
}

static int
rpc_tokenize(
    const char *buf, size_t len, struct json_object **root, mg_rpc_err_t *err)
{
	struct json_tokener    *tok;
	enum json_tokener_error jerr;
	size_t                  end;

	*root = NULL;
	if (len >= INT_MAX)
		return rpc_parse_error(err, "message too large", (size_t)0);
	if ((tok = mg_rpc_tokener()) == NULL)
		return rpc_nomem(err);
	*root = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* A number at the very end waits for a delimiter. */
		*root = json_tokener_parse_ex(tok, " ", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	json_tokener_reset(tok);
	if (jerr == json_tokener_continue)
		return rpc_parse_error(err, "unexpected end of data", len);
	if (jerr != json_tokener_success)
		return rpc_parse_error(err, json_tokener_error_desc(jerr), end);
	while (end < len && is_ws(buf[end]))
		end++;
	if (end < len) {
		json_object_put(*root);
		*root = NULL;
		return rpc_parse_error(err, "data after the JSON value", end);
	}
	return MG_OK;
}

/* Drop the '.' that rpc_tokenize_big appended to an integer's text. */
static int
rpc_undot(struct json_object *jso, int flags, struct json_object *parent,
    const char *key, size_t *index, void *arg)
{
	const char *text;
	char       *exact;
	size_t      n;

	if (!json_object_is_type(jso, json_type_double) ||
	    (text = json_object_get_userdata(jso)) == NULL ||
	    (n = strlen(text)) == 0 || text[n - 1] != '.')
		return JSON_C_VISIT_RETURN_CONTINUE;
	if ((exact = malloc(n)) == NULL)
		return JSON_C_VISIT_RETURN_ERROR;
	memcpy(exact, text, n - 1);
	exact[n - 1] = '\0';
	json_object_set_serializer(jso, json_object_userdata_to_json_string,
	    exact, json_object_free_userdata);
	return JSON_C_VISIT_RETURN_CONTINUE;
}

/*
 * json-c clamps integers beyond int64/uint64 to the nearest bound.  Parse
 * a copy in which each such integer ends in '.': json-c takes "123." as a
 * double and keeps its text for output.  Real input has no "123." (the
 * token check refuses it), so the dot marks exactly these; then drop it.
 * (Byte offsets in json-c's error messages then count the dots too.)
 */
static int
rpc_tokenize_big(const char *buf, size_t len, size_t nbig,
    struct json_object **root, mg_rpc_err_t *err)
{
	rpc_lex_t lx = { .s = (const unsigned char *)buf, .len = len };
	char     *copy;
	size_t    o = 0, prev = 0;
	int       rc;

	lx.bigs = calloc(nbig, sizeof(*lx.bigs));
	copy = malloc(len + nbig);
	if (lx.bigs == NULL || copy == NULL) {
		free(lx.bigs);
		free(copy);
		*root = NULL;
		return rpc_nomem(err);
	}
	(void)rpc_lex(&lx);
	for (size_t k = 0; k < nbig; k++) {
		memcpy(copy + o, buf + prev, lx.bigs[k] - prev);
		o += lx.bigs[k] - prev;
		copy[o++] = '.';
		prev = lx.bigs[k];
	}
	memcpy(copy + o, buf + prev, len - prev);
	rc = rpc_tokenize(copy, len + nbig, root, err);
	if (rc == MG_OK && *root != NULL &&
	    json_c_visit(*root, 0, rpc_undot, NULL) < 0) {
		json_object_put(*root);
		*root = NULL;
		rc = rpc_nomem(err);
	}
	free(copy);
	free(lx.bigs);
	return rc;
}

/* The text's tree; *NMEMBERS: how many object members the text has. */
int
mg_rpc_parse_text(const char *buf, size_t len, struct json_object **root,
    size_t *nmembers, mg_rpc_err_t *err)
{
	rpc_lex_t lx = { .s = (const unsigned char *)buf, .len = len };

	*root = NULL;
	if (rpc_lex(&lx) != MG_OK)
		return rpc_parse_error(err, lx.why, lx.pos);
	*nmembers = lx.nmembers;
	if (lx.nbig > 0)
		return rpc_tokenize_big(buf, len, lx.nbig, root, err);
	return rpc_tokenize(buf, len, root, err);
}

struct json_object *
mg_json_parse(const char *buf, size_t len)
{
	struct json_object *root;
	mg_rpc_err_t        err = { 0 };
	size_t              nmembers;

	if (mg_rpc_parse_text(buf, len, &root, &nmembers, &err) != MG_OK) {
		json_object_put(root);
		mg_rpc_err_clear(&err);
		return NULL;
	}
	return root;
}
