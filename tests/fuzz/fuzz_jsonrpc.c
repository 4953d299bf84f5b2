/*
 * The JSON-RPC layer (jsonrpc.c): the fast peek against the full parse.
 *
 * The relay trusts mg_rpc_peek instead of parsing; that is only right if
 * whatever it accepts, mg_rpc_parse accepts as the same message.  Input:
 * one JSON text.  Properties:
 *   - peek MG_OK => parse MG_OK, with the same kind, method and id, and
 *     params.name and params.uri as peek read them (a string peek left
 *     out must have been written with escapes);
 *   - a message parse accepts, written again by the encoders, parses as
 *     the same message (kind, method, id, error code);
 *   - parse always initializes what it says it does, whatever the input.
 */
#include "config.h"

#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "fuzz.h"
#include "jsonrpc.h"

/* The string member KEY of OBJ, or NULL; its length in *LEN. */
static const char *
member_str(struct json_object *obj, const char *key, size_t *len)
{
	struct json_object *v;

	if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/* Peek's reading of params.KEY (P, N) against the tree's. */
static void
check_member(const char *buf, size_t len, const mg_rpc_msg_t *msg,
    const char *key, const char *p, size_t n)
{
	const char *s;
	size_t      slen = 0;

	s = member_str(msg->params, key, &slen);
	if (p != NULL) {
		FUZZ_ASSERT(p >= buf && p + n <= buf + len,
		    "params.%s outside the text", key);
		FUZZ_ASSERT(s != NULL && slen == n && memcmp(s, p, n) == 0,
		    "params.%s: peek read \"%.*s\", parse \"%s\"", key, (int)n,
		    p, s ? s : "(none)");
	} else if (s != NULL)
		FUZZ_ASSERT(memchr(buf, '\\', len) != NULL,
		    "params.%s is the string \"%s\" without escapes, and "
		    "peek did not read it",
		    key, s);
}

static void
check_peek(const char *buf, size_t len, const mg_rpc_peek_t *pk)
{
	mg_rpc_msg_t msg;
	mg_rpc_err_t err;
	int          rc = mg_rpc_parse(buf, len, &msg, &err);

	FUZZ_ASSERT(rc == MG_OK, "peek accepted what parse refuses (%d %s)",
	    err.code, err.message);
	FUZZ_ASSERT(msg.kind == pk->kind, "kind: peek %d, parse %d", pk->kind,
	    msg.kind);
	FUZZ_ASSERT(msg.method != NULL && strcmp(msg.method, pk->method) == 0,
	    "method: peek \"%s\", parse \"%s\"", pk->method,
	    msg.method ? msg.method : "(none)");
	if (pk->kind == MG_RPC_REQUEST)
		FUZZ_ASSERT(pk->id != NULL && mg_rpc_id_equal(pk->id, msg.id),
		    "id: peek %s, parse %s", json_object_to_json_string(pk->id),
		    json_object_to_json_string(msg.id));
	else
		FUZZ_ASSERT(pk->id == NULL && msg.id == NULL,
		    "a notification with an id");
	FUZZ_ASSERT(msg.params == NULL ||
		json_object_is_type(msg.params, json_type_object) ||
		json_object_is_type(msg.params, json_type_array),
	    "params neither an object nor an array");
	check_member(buf, len, &msg, "name", pk->name, pk->name_len);
	check_member(buf, len, &msg, "uri", pk->uri, pk->uri_len);
	mg_rpc_msg_clear(&msg);
	mg_rpc_err_clear(&err);
}

/* MSG written by the encoders, parsed again: the same message. */
static void
check_rewrite(const mg_rpc_msg_t *msg)
{
	struct evbuffer *out = evbuffer_new();
	mg_rpc_msg_t     again;
	mg_rpc_err_t     err;
	const char      *text = NULL;
	size_t           n = 0;
	int              rc = MG_ERROR;

	switch (msg->kind) {
	case MG_RPC_REQUEST:
		rc = mg_rpc_write_request(
		    out, msg->id, msg->method, msg->params);
		break;
	case MG_RPC_NOTIFICATION:
		rc = mg_rpc_write_notification(out, msg->method, msg->params);
		break;
	case MG_RPC_RESULT:
		rc = mg_rpc_write_result(out, msg->id, msg->result);
		break;
	case MG_RPC_ERROR:
		text = member_str(msg->error, "message", &n);
		rc = mg_rpc_write_error(
		    out, msg->id, (int)msg->error_code, text ? text : "", NULL);
		break;
	default: break;
	}
	if (rc != MG_OK || msg->kind == MG_RPC_BATCH ||
	    (msg->kind == MG_RPC_ERROR &&
		(msg->error_code < INT32_MIN || msg->error_code > INT32_MAX))) {
		evbuffer_free(out);
		return;
	}
	rc = mg_rpc_parse((const char *)evbuffer_pullup(out, -1),
	    evbuffer_get_length(out), &again, &err);
	FUZZ_ASSERT(rc == MG_OK, "the encoders' text is refused: %d %s: %.*s",
	    err.code, err.message, (int)evbuffer_get_length(out),
	    (const char *)evbuffer_pullup(out, -1));
	FUZZ_ASSERT(again.kind == msg->kind, "kind %d became %d", msg->kind,
	    again.kind);
	FUZZ_ASSERT((msg->method == NULL) == (again.method == NULL) &&
		(msg->method == NULL || strcmp(msg->method, again.method) == 0),
	    "method changed");
	FUZZ_ASSERT(mg_rpc_id_equal(msg->id, again.id) ||
		(msg->id == NULL && again.id == NULL),
	    "id %s became %s", json_object_to_json_string(msg->id),
	    json_object_to_json_string(again.id));
	FUZZ_ASSERT(
	    msg->kind != MG_RPC_ERROR || again.error_code == msg->error_code,
	    "error code %lld became %lld", (long long)msg->error_code,
	    (long long)again.error_code);
	mg_rpc_msg_clear(&again);
	mg_rpc_err_clear(&err);
	evbuffer_free(out);
}

static void
check_parse(const char *buf, size_t len)
{
	mg_rpc_msg_t msg;
	mg_rpc_err_t err;
	mg_rpc_msg_t el;
	mg_rpc_err_t elerr;

	if (mg_rpc_parse(buf, len, &msg, &err) != MG_OK) {
		FUZZ_ASSERT(err.code == MG_RPC_PARSE_ERROR ||
			err.code == MG_RPC_INVALID_REQUEST ||
			err.code == MG_RPC_INTERNAL_ERROR,
		    "error code %d", err.code);
		FUZZ_ASSERT(memchr(err.message, '\0', sizeof(err.message)),
		    "message not NUL-terminated");
	} else if (msg.kind == MG_RPC_BATCH) {
		for (size_t i = 0; i < json_object_array_length(msg.root);
		     i++) {
			if (mg_rpc_from_object(
				json_object_array_get_idx(msg.root, i), &el,
				&elerr) == MG_OK)
				check_rewrite(&el);
			mg_rpc_msg_clear(&el);
			mg_rpc_err_clear(&elerr);
		}
	} else
		check_rewrite(&msg);
	mg_rpc_msg_clear(&msg);
	mg_rpc_err_clear(&err);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libFuzzer's copy has exactly SIZE bytes: a read past the text is
	 * caught */
	const char   *buf = (const char *)data;
	mg_rpc_peek_t pk;

	if (mg_rpc_peek(buf, size, &pk) == MG_OK)
		check_peek(buf, size, &pk);
	mg_rpc_peek_clear(&pk);
	check_parse(buf, size);
	json_object_put(mg_json_parse(buf, size));
	return 0;
}
