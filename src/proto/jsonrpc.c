/*
 * JSON-RPC 2.0 messages: a text the token check passed, classified as
 * request, notification, response or batch; refused with the JSON-RPC
 * error it deserves, among them a member name that comes twice.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonrpc.h"
#include "jsonrpc_int.h"

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
	/* Only an error response may have a null id, or none (the request's
	 * was bad: JSON-RPC 2.0 writes null, the MCP schemas leave it out). */
	if (!json_object_object_get_ex(root, "id", &id) && !has_error)
		return rpc_invalid(err, "response without id");
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
	struct json_tokener *tok = mg_rpc_tokener();
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
			if (mg_lex_string(&lx) != MG_OK)
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
	if (mg_rpc_parse_text(buf, len, &root, &nmembers, err) != MG_OK)
		return MG_ERROR;
	/* json-c keeps the last of two members of the same name */
	if (rpc_members(root) != nmembers)
		return rpc_duplicate(buf, len, root, err);
	return rpc_adopt(root, 1, msg, err);
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
