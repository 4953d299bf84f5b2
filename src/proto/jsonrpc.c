/*
 * JSON-RPC 2.0 messages: token check, json-c parse, classification,
 * encoders.
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>
#include <json-c/json_visit.h>

#include "jsonrpc.h"

#define RPC_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

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

/* A piece of an encoded message. */
typedef struct {
	const char *s;
	size_t      n;
	int         quote; /* write S as an escaped JSON string */
	size_t      out;   /* bytes it takes in the output */
} rpc_piece_t;

/* A piece of fixed text; QUOTED: a C string to escape. */
#define PIECE(str) ((rpc_piece_t){ (str), sizeof(str) - 1, 0, 0 })
#define QUOTED(str) ((rpc_piece_t){ (str), strlen(str), 1, 0 })

/* Length of the well-formed UTF-8 sequence at S (RFC 3629), 0 if none. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
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
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
lex_fail(rpc_lex_t *lx, size_t pos, const char *why)
{
	lx->pos = pos;
	lx->why = why;
	return MG_ERROR;
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
static int
lex_string(rpc_lex_t *lx)
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
		else if ((n = utf8_seq(s + i, lx->len - i)) == 0)
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
static int
lex_number(rpc_lex_t *lx)
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

static int
lex_word(rpc_lex_t *lx, const char *word)
{
	size_t n = strlen(word);

	if (lx->len - lx->pos < n || memcmp(lx->s + lx->pos, word, n) != 0)
		return lex_fail(lx, lx->pos, "unexpected character");
	lx->pos += n;
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
			if (lex_string(lx) != MG_OK)
				return MG_ERROR;
			continue;
		}
		if (c == '-' || (c >= '0' && c <= '9'))
			rc = lex_number(lx);
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

static int
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

/* Build the tree of a text that passed the token check. */
/* One tokener per process (each has one thread), reset after each use:
 * making one allocates and clears a stack of MG_RPC_MAX_DEPTH levels. */
static struct json_tokener *
rpc_tokener(void)
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
	if ((tok = rpc_tokener()) == NULL)
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
static int
rpc_parse_text(const char *buf, size_t len, struct json_object **root,
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

	if (rpc_parse_text(buf, len, &root, &nmembers, &err) != MG_OK) {
		json_object_put(root);
		mg_rpc_err_clear(&err);
		return NULL;
	}
	return root;
}

static int
rpc_is_id(struct json_object *id)
{
	return json_object_is_type(id, json_type_string) ||
	    json_object_is_type(id, json_type_int);
}

/* Why ID is not a valid id, or NULL if it is. */
static const char *
rpc_check_id(struct json_object *id, int null_ok)
{
	const char *text;

	if (rpc_is_id(id) || (id == NULL && null_ok))
		return NULL;
	if (id == NULL)
		return "id must not be null";
	/* An integer json-c cannot hold came back as a double (above). */
	if (json_object_is_type(id, json_type_double) &&
	    (text = json_object_get_userdata(id)) != NULL &&
	    strpbrk(text, ".eE") == NULL)
		return "id out of range";
	return "id must be a string or an integer";
}

static const char *
rpc_check_error(struct json_object *error, int64_t *code)
{
	struct json_object *c, *m;

	if (!json_object_is_type(error, json_type_object))
		return "error must be an object";
	if (!json_object_object_get_ex(error, "code", &c) ||
	    !json_object_is_type(c, json_type_int))
		return "error.code must be an integer";
	*code = json_object_get_int64(c);
	if (*code == INT64_MAX && json_object_get_uint64(c) > INT64_MAX)
		return "error.code out of range";
	if (!json_object_object_get_ex(error, "message", &m) ||
	    !json_object_is_type(m, json_type_string))
		return "error.message must be a string";
	return NULL;
}

/* A request or a notification. */
static int
rpc_call(struct json_object *root, mg_rpc_msg_t *msg, mg_rpc_err_t *err)
{
	struct json_object *m = NULL, *params = NULL, *id;
	const char         *why;

	json_object_object_get_ex(root, "method", &m);
	if (json_object_object_get_ex(root, "result", NULL) ||
	    json_object_object_get_ex(root, "error", NULL))
		return rpc_invalid(err, "method with result or error");
	if (!json_object_is_type(m, json_type_string))
		return rpc_invalid(err, "method must be a string");
	msg->method = json_object_get_string(m);
	if (strlen(msg->method) != (size_t)json_object_get_string_len(m))
		return rpc_invalid(err, "NUL in method");
	if (json_object_object_get_ex(root, "params", &params) &&
	    !json_object_is_type(params, json_type_object) &&
	    !json_object_is_type(params, json_type_array))
		return rpc_invalid(err, "params must be an object or an array");
	msg->params = params;
	msg->kind = MG_RPC_NOTIFICATION;
	if (json_object_object_get_ex(root, "id", &id)) {
		if ((why = rpc_check_id(id, 0)) != NULL)
			return rpc_invalid(err, why);
		msg->kind = MG_RPC_REQUEST;
		msg->id = id;
	}
	return MG_OK;
}

static int
rpc_response(struct json_object *root, mg_rpc_msg_t *msg, mg_rpc_err_t *err)
{
	struct json_object *result = NULL, *error = NULL, *id = NULL;
	int                 has_result, has_error;
	const char         *why;

	has_result = json_object_object_get_ex(root, "result", &result);
	has_error = json_object_object_get_ex(root, "error", &error);
	if (has_result && has_error)
		return rpc_invalid(err, "both result and error");
	if (!has_result && !has_error)
		return rpc_invalid(err, "no method, result or error");
	if (!json_object_object_get_ex(root, "id", &id))
		return rpc_invalid(err, "response without id");
	/* Only an error response may have a null id (the request's was bad). */
	if ((why = rpc_check_id(id, has_error)) != NULL)
		return rpc_invalid(err, why);
	if (has_error && (why = rpc_check_error(error, &msg->error_code)))
		return rpc_invalid(err, why);
	msg->kind = has_result ? MG_RPC_RESULT : MG_RPC_ERROR;
	msg->id = id;
	msg->result = result;
	msg->error = error;
	return MG_OK;
}

static int
rpc_classify(
    struct json_object *root, int top, mg_rpc_msg_t *msg, mg_rpc_err_t *err)
{
	struct json_object *v = NULL;

	if (json_object_is_type(root, json_type_array)) {
		if (!top)
			return rpc_invalid(err, "nested batch");
		if (json_object_array_length(root) == 0)
			return rpc_invalid(err, "empty batch");
		msg->kind = MG_RPC_BATCH;
		return MG_OK;
	}
	if (!json_object_is_type(root, json_type_object))
		return rpc_invalid(err, "not an object");
	/* Read the id first, so that the error response can carry it. */
	if (json_object_object_get_ex(root, "id", &v) && rpc_is_id(v))
		err->id = v;
	if (!json_object_object_get_ex(root, "jsonrpc", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) != 3 ||
	    memcmp(json_object_get_string(v), "2.0", 3) != 0)
		return rpc_invalid(err, "jsonrpc must be \"2.0\"");
	if (json_object_object_get_ex(root, "method", NULL))
		return rpc_call(root, msg, err);
	return rpc_response(root, msg, err);
}

/* Classify ROOT, taking over the caller's reference to it. */
static int
rpc_adopt(
    struct json_object *root, int top, mg_rpc_msg_t *msg, mg_rpc_err_t *err)
{
	if (rpc_classify(root, top, msg, err) != MG_OK) {
		memset(msg, 0, sizeof(*msg));
		err->root = root;
		return MG_ERROR;
	}
	msg->root = root;
	return MG_OK;
}

/* ---- member names that come twice ------------------------------------- */

/* The members of the objects in the tree V, as json-c holds them. */
static size_t
rpc_members(struct json_object *v)
{
	size_t n = 0;

	switch (json_object_get_type(v)) {
	case json_type_object: {
		json_object_object_foreach(v, key, child)
		{
			(void)key;
			n += 1 + rpc_members(child);
		}
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++)
			n += rpc_members(json_object_array_get_idx(v, i));
		break;
	default: break;
	}
	return n;
}

/* What rpc_dup_find saw. */
typedef struct {
	int  found;
	char name[48]; /* the first name that came twice, printable */
	int  id_twice; /* the message's own id came twice */
} rpc_dup_t;

/* S, cut short and with '?' for what is not printable ASCII, into OUT. */
static void
rpc_printable(char *out, size_t size, const char *s)
{
	size_t        i;
	unsigned char c;

	for (i = 0; s[i] != '\0' && i + 4 < size; i++) {
		c = (unsigned char)s[i];
		out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (s[i] != '\0') {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

/* The member name KEY (N bytes, quotes included), decoded by json-c: a
 * name of NAMES, the names of its object so far, or a new one of them. */
static void
rpc_dup_name(
    rpc_dup_t *d, struct json_object *names, int top, const char *key, size_t n)
{
	struct json_tokener *tok = rpc_tokener();
	struct json_object  *s;
	const char          *k;

	if (tok == NULL)
		return;
	s = json_tokener_parse_ex(tok, key, (int)n);
	json_tokener_reset(tok);
	/* json-c keeps a member's name as a C string: up to a NUL */
	if ((k = json_object_get_string(s)) != NULL &&
	    json_object_object_get_ex(names, k, NULL)) {
		if (!d->found)
			rpc_printable(d->name, sizeof(d->name), k);
		d->found = 1;
		d->id_twice |= top && strcmp(k, "id") == 0;
	} else if (k != NULL)
		json_object_object_add(names, k, NULL);
	json_object_put(s);
}

/*
 * The member names that come twice in an object of BUF, a text json-c
 * took (so valid, at most MG_RPC_MAX_DEPTH levels), compared as json-c
 * compares them.  Only for a refused text: it allocates for every name.
 */
static void
rpc_dup_find(const char *buf, size_t len, rpc_dup_t *d)
{
	rpc_lex_t lx = { .s = (const unsigned char *)buf, .len = len };
	struct json_object *names[MG_RPC_MAX_DEPTH]; /* NULL for an array */
	size_t              at, k;
	int                 depth = 0, c;

	while (lx.pos < len) {
		c = buf[lx.pos];
		if (c == '"') {
			at = lx.pos;
			if (lex_string(&lx) != MG_OK)
				break;
			for (k = lx.pos; k < len && is_ws(buf[k]); k++)
				;
			if (depth > 0 && names[depth - 1] != NULL && k < len &&
			    buf[k] == ':')
				rpc_dup_name(d, names[depth - 1], depth == 1,
				    buf + at, lx.pos - at);
			continue;
		}
		if (c == '{' || c == '[') {
			if (depth == MG_RPC_MAX_DEPTH)
				break;
			names[depth++] =
			    c == '{' ? json_object_new_object() : NULL;
		} else if ((c == '}' || c == ']') && depth > 0)
			json_object_put(names[--depth]);
		lx.pos++;
	}
	while (depth > 0)
		json_object_put(names[--depth]);
}

/*
 * ROOT, the tree of BUF, has fewer members than the text: two members of
 * an object had the same name, and json-c kept the last one.  A receiver
 * that keeps the first would read another message than the gateway
 * judged.  Refused, with the id unless the id is what came twice.
 */
static int
rpc_duplicate(
    const char *buf, size_t len, struct json_object *root, mg_rpc_err_t *err)
{
	rpc_dup_t           d = { 0 };
	struct json_object *id;
	char                why[80];

	rpc_dup_find(buf, len, &d);
	err->root = root;
	if (!d.id_twice && json_object_object_get_ex(root, "id", &id) &&
	    rpc_is_id(id))
		err->id = id;
	if (d.found)
		snprintf(why, sizeof(why), "duplicate member \"%s\"", d.name);
	else
		snprintf(why, sizeof(why), "duplicate member name");
	return rpc_invalid(err, why);
}

int
mg_rpc_parse(const char *buf, size_t len, mg_rpc_msg_t *msg, mg_rpc_err_t *err)
{
	struct json_object *root;
	size_t              nmembers;

	memset(msg, 0, sizeof(*msg));
	memset(err, 0, sizeof(*err));
	if (rpc_parse_text(buf, len, &root, &nmembers, err) != MG_OK)
		return MG_ERROR;
	/* json-c keeps the last of two members of the same name */
	if (rpc_members(root) != nmembers)
		return rpc_duplicate(buf, len, root, err);
	return rpc_adopt(root, 1, msg, err);
}

/* ---- a look without a tree (mg_rpc_peek) ------------------------------ */

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

	if (lex_string(&w->lx) != MG_OK)
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
		rc = lex_number(&w->lx);
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

int
mg_rpc_from_object(
    struct json_object *obj, mg_rpc_msg_t *msg, mg_rpc_err_t *err)
{
	memset(msg, 0, sizeof(*msg));
	memset(err, 0, sizeof(*err));
	return rpc_adopt(json_object_get(obj), 0, msg, err);
}

void
mg_rpc_msg_clear(mg_rpc_msg_t *msg)
{
	json_object_put(msg->root);
	memset(msg, 0, sizeof(*msg));
}

void
mg_rpc_err_clear(mg_rpc_err_t *err)
{
	json_object_put(err->root);
	memset(err, 0, sizeof(*err));
}

int
mg_rpc_id_equal(struct json_object *a, struct json_object *b)
{
	int64_t ia, ib;

	if (a == b)
		return 1;
	if (a == NULL || b == NULL ||
	    json_object_get_type(a) != json_object_get_type(b))
		return 0;
	switch (json_object_get_type(a)) {
	case json_type_string:
		return json_object_get_string_len(a) ==
		    json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a), json_object_get_string(b),
			(size_t)json_object_get_string_len(a)) == 0;
	case json_type_int:
		/*
		 * Negative values are held as int64, exact.  Non-negative
		 * ones may be int64 or uint64; get_uint64 is exact for both.
		 */
		ia = json_object_get_int64(a);
		ib = json_object_get_int64(b);
		if (ia < 0 || ib < 0)
			return ia == ib;
		return json_object_get_uint64(a) == json_object_get_uint64(b);
	default: return 0;
	}
}

static size_t
esc_put(char *dst, size_t o, const char *s, size_t n)
{
	if (dst != NULL)
		memcpy(dst + o, s, n);
	return o + n;
}

/*
 * Write S as a quoted JSON string to DST (or only count, if DST is NULL);
 * return the bytes it takes.  Invalid UTF-8 bytes become U+FFFD.
 */
static size_t
rpc_escape(char *dst, const char *src, size_t n)
{
	static const char    hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	char                 u[6] = { '\\', 'u', '0', '0' };
	size_t               o = esc_put(dst, 0, "\"", 1), i = 0, k;

	while (i < n) {
		switch (s[i]) {
		case '"': o = esc_put(dst, o, "\\\"", 2); break;
		case '\\': o = esc_put(dst, o, "\\\\", 2); break;
		case '\b': o = esc_put(dst, o, "\\b", 2); break;
		case '\f': o = esc_put(dst, o, "\\f", 2); break;
		case '\n': o = esc_put(dst, o, "\\n", 2); break;
		case '\r': o = esc_put(dst, o, "\\r", 2); break;
		case '\t': o = esc_put(dst, o, "\\t", 2); break;
		default:
			if (s[i] < 0x20) {
				u[4] = hex[s[i] >> 4];
				u[5] = hex[s[i] & 0xf];
				o = esc_put(dst, o, u, 6);
			} else if ((k = utf8_seq(s + i, n - i)) == 0)
				o = esc_put(dst, o, "\xef\xbf\xbd", 3);
			else {
				o = esc_put(dst, o, src + i, k);
				i += k;
				continue;
			}
		}
		i++;
	}
	return esc_put(dst, o, "\"", 1);
}

/* Append the pieces to OUT in one contiguous reservation: all or nothing. */
static int
rpc_emit(struct evbuffer *out, rpc_piece_t *pc, size_t npc)
{
	struct evbuffer_iovec v;
	size_t                total = 0, o = 0;
	char                 *dst;

	for (size_t i = 0; i < npc; i++) {
		if (pc[i].s == NULL)
			return MG_ERROR;
		pc[i].out =
		    pc[i].quote ? rpc_escape(NULL, pc[i].s, pc[i].n) : pc[i].n;
		total += pc[i].out;
	}
	if (evbuffer_reserve_space(out, (ev_ssize_t)total, &v, 1) != 1)
		return MG_ERROR;
	dst = v.iov_base;
	for (size_t i = 0; i < npc; i++)
		if (pc[i].quote)
			o += rpc_escape(dst + o, pc[i].s, pc[i].n);
		else
			o = esc_put(dst, o, pc[i].s, pc[i].n);
	v.iov_len = total;
	return evbuffer_commit_space(out, &v, 1) == 0 ? MG_OK : MG_ERROR;
}

/* A JSON value as json-c serializes it; NULL is null. */
static void
rpc_value(rpc_piece_t *pc, struct json_object *v)
{
	*pc = PIECE("null");
	if (v != NULL)
		pc->s = json_object_to_json_string_length(
		    v, RPC_JSON_FLAGS, &pc->n);
}

int
mg_rpc_write_result(
    struct evbuffer *out, struct json_object *id, struct json_object *result)
{
	rpc_piece_t pc[] = { PIECE("{\"jsonrpc\":\"2.0\",\"id\":"), PIECE(""),
		PIECE(",\"result\":"), PIECE(""), PIECE("}") };

	rpc_value(&pc[1], id);
	rpc_value(&pc[3], result);
	return rpc_emit(out, pc, MG_NELEM(pc));
}

int
mg_rpc_write_error(struct evbuffer *out, struct json_object *id, int code,
    const char *message, struct json_object *data)
{
	char        num[16];
	rpc_piece_t pc[] = { PIECE("{\"jsonrpc\":\"2.0\",\"id\":"), PIECE(""),
		PIECE(",\"error\":{\"code\":"), PIECE(""),
		PIECE(",\"message\":"), PIECE(""), PIECE(",\"data\":"),
		PIECE(""), PIECE("}}") };

	if (message == NULL)
		message = "";
	rpc_value(&pc[1], id);
	pc[3].s = num;
	pc[3].n = (size_t)snprintf(num, sizeof(num), "%d", code);
	pc[5] = QUOTED(message);
	if (data == NULL)
		pc[6] = pc[7] = PIECE("");
	else
		rpc_value(&pc[7], data);
	return rpc_emit(out, pc, MG_NELEM(pc));
}

int
mg_rpc_write_request(struct evbuffer *out, struct json_object *id,
    const char *method, struct json_object *params)
{
	rpc_piece_t pc[] = { PIECE("{\"jsonrpc\":\"2.0\",\"id\":"), PIECE(""),
		PIECE(",\"method\":"), PIECE(""), PIECE(",\"params\":"),
		PIECE(""), PIECE("}") };

	if (method == NULL)
		return MG_ERROR;
	pc[3] = QUOTED(method);
	if (params == NULL)
		pc[4] = pc[5] = PIECE("");
	else
		rpc_value(&pc[5], params);
	rpc_value(&pc[1], id);
	return rpc_emit(out, pc, MG_NELEM(pc));
}

int
mg_rpc_write_notification(
    struct evbuffer *out, const char *method, struct json_object *params)
{
	rpc_piece_t pc[] = { PIECE("{\"jsonrpc\":\"2.0\",\"method\":"),
		PIECE(""), PIECE(",\"params\":"), PIECE(""), PIECE("}") };

	if (method == NULL)
		return MG_ERROR;
	pc[1] = QUOTED(method);
	if (params == NULL)
		pc[2] = pc[3] = PIECE("");
	else
		rpc_value(&pc[3], params);
	return rpc_emit(out, pc, MG_NELEM(pc));
}
