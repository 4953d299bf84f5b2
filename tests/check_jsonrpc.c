/*
 * JSON-RPC 2.0: classification, every error class with its code, ids that
 * must come back byte for byte, batches, limits, and the encoders' bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "jsonrpc.h"
#include "suites.h"

Suite *jsonrpc_suite(void);

/* Parse S from a heap copy of exactly its bytes, so that ASan sees any
   read past LEN. */
static int
parse_n(const char *s, size_t len, mg_rpc_msg_t *m, mg_rpc_err_t *e)
{
	char *copy = malloc(len > 0 ? len : 1);
	int   rc;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, s, len);
	rc = mg_rpc_parse(copy, len, m, e);
	free(copy);
	return rc;
}

static int
parse(const char *s, mg_rpc_msg_t *m, mg_rpc_err_t *e)
{
	return parse_n(s, strlen(s), m, e);
}

/* The buffer's contents as a string; the buffer is emptied. */
static char *
drain(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char  *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(evbuffer_remove(b, s, n), (int)n);
	s[n] = '\0';
	return s;
}

#define ck_assert_drain(b, want)                                               \
	do {                                                                   \
		char *got_ = drain(b);                                         \
		ck_assert_str_eq(got_, want);                                  \
		free(got_);                                                    \
	} while (0)

static void
expect_parse_error(const char *s, size_t len)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t e;

	ck_assert_msg(parse_n(s, len, &m, &e) == MG_ERROR, "accepted: \"%.*s\"",
	    (int)len, s);
	ck_assert_msg(e.code == MG_RPC_PARSE_ERROR, "code %d for \"%.*s\"",
	    e.code, (int)len, s);
	ck_assert_ptr_null(e.id);
	ck_assert_ptr_null(e.root);
	ck_assert_ptr_null(m.root);
	ck_assert(strncmp(e.message, "Parse error: ", 13) == 0);
	mg_rpc_err_clear(&e);
	mg_rpc_msg_clear(&m);
}

/* S is JSON but not a valid message; ID_JSON is the id err carries. */
static void
expect_invalid(const char *s, const char *id_json)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t e;

	ck_assert_msg(parse(s, &m, &e) == MG_ERROR, "accepted: %s", s);
	ck_assert_msg(
	    e.code == MG_RPC_INVALID_REQUEST, "code %d for %s", e.code, s);
	ck_assert(strncmp(e.message, "Invalid Request: ", 17) == 0);
	ck_assert_ptr_null(m.root);
	if (id_json == NULL)
		ck_assert_msg(e.id == NULL, "id for %s", s);
	else {
		ck_assert_ptr_nonnull(e.id);
		ck_assert_str_eq(json_object_to_json_string_ext(
				     e.id, JSON_C_TO_STRING_PLAIN),
		    id_json);
	}
	mg_rpc_err_clear(&e);
	ck_assert_ptr_null(e.root);
}

START_TEST(request_basic)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t e;

	ck_assert_int_eq(
	    parse("{\"jsonrpc\":\"2.0\",\"id\":1,"
		  "\"method\":\"tools/list\",\"params\":{\"a\":1}}",
		&m, &e),
	    MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_REQUEST);
	ck_assert_str_eq(m.method, "tools/list");
	ck_assert(json_object_is_type(m.id, json_type_int));
	ck_assert_int_eq(json_object_get_int64(m.id), 1);
	ck_assert(json_object_is_type(m.params, json_type_object));
	ck_assert_ptr_null(m.result);
	ck_assert_ptr_null(m.error);
	ck_assert_int_eq(e.code, 0);
	ck_assert_ptr_null(e.root);
	mg_rpc_msg_clear(&m);
	ck_assert_ptr_null(m.root);
	mg_rpc_msg_clear(&m); /* twice is harmless */
	mg_rpc_err_clear(&e);
}
END_TEST

START_TEST(request_params)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t e;

	/* absent: NULL */
	ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":"
			       "\"ping\"}",
			     &m, &e),
	    MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_REQUEST);
	ck_assert_ptr_null(m.params);
	ck_assert_str_eq(json_object_get_string(m.id), "x");
	mg_rpc_msg_clear(&m);
	/* by position */
	ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
			       "\"sum\",\"params\":[1,2]}",
			     &m, &e),
	    MG_OK);
	ck_assert(json_object_is_type(m.params, json_type_array));
	ck_assert_uint_eq(json_object_array_length(m.params), 2);
	mg_rpc_msg_clear(&m);
	/* anything else, null included, is an invalid request */
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"a\","
		       "\"params\":1}",
	    "7");
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"a\","
		       "\"params\":\"x\"}",
	    "7");
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"a\","
		       "\"params\":true}",
	    "7");
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"a\","
		       "\"params\":null}",
	    "7");
	expect_invalid("{\"jsonrpc\":\"2.0\",\"method\":\"a\","
		       "\"params\":2.5}",
	    NULL);
}
END_TEST

START_TEST(notification)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t e;

	ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"method\":"
			       "\"notifications/initialized\"}",
			     &m, &e),
	    MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_NOTIFICATION);
	ck_assert_str_eq(m.method, "notifications/initialized");
	ck_assert_ptr_null(m.id);
	ck_assert_ptr_null(m.params);
	mg_rpc_msg_clear(&m);

	ck_assert_int_eq(
	    parse("{\"method\":\"notifications/progress\","
		  "\"params\":{\"progress\":1},\"jsonrpc\":\"2.0\"}",
		&m, &e),
	    MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_NOTIFICATION);
	ck_assert_ptr_nonnull(m.params);
	mg_rpc_msg_clear(&m);
}
END_TEST

/* MCP: request ids are strings or integers, never null. */
START_TEST(request_id_types)
{
	static const char *bad[] = { "null", "1.5", "1.0", "1e3", "true",
		"false", "{}", "[]", "[1]", "{\"a\":1}" };
	char               buf[128];

	for (size_t i = 0; i < MG_NELEM(bad); i++) {
		snprintf(buf, sizeof(buf),
		    "{\"jsonrpc\":\"2.0\",\"id\":%s,"
		    "\"method\":\"ping\"}",
		    bad[i]);
		expect_invalid(buf, NULL);
	}
	/* the reason reaches the client */
	{
		mg_rpc_msg_t m;
		mg_rpc_err_t e;

		ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"id\":null,"
				       "\"method\":\"a\"}",
				     &m, &e),
		    MG_ERROR);
		ck_assert_str_eq(
		    e.message, "Invalid Request: id must not be null");
		mg_rpc_err_clear(&e);
	}
}
END_TEST

START_TEST(jsonrpc_member)
{
	/* the id is read even so, for the error response */
	expect_invalid("{\"id\":1,\"method\":\"a\"}", "1");
	expect_invalid("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"a\"}", "1");
	expect_invalid(
	    "{\"jsonrpc\":2.0,\"id\":\"q\",\"method\":\"a\"}", "\"q\"");
	expect_invalid("{\"jsonrpc\":\"2.0 \",\"id\":1,\"method\":\"a\"}", "1");
	expect_invalid("{\"jsonrpc\":\"2.0\\u0000\",\"id\":1,\"method\":"
		       "\"a\"}",
	    "1");
	expect_invalid("{\"jsonrpc\":null,\"id\":1,\"method\":\"a\"}", "1");
	expect_invalid("{\"jsonrpc\":\"2.0\"}", NULL);
	expect_invalid("{}", NULL);
}
END_TEST

START_TEST(method_member)
{
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":1}", "3");
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":null}", "3");
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":{}}", "3");
	expect_invalid(
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":[\"a\"]}", "3");
	/* a NUL would let "tools/call\0x" pass a check for "tools/call" */
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":"
		       "\"tools/call\\u0000x\"}",
	    "3");
	/* a call is never also a response */
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"a\","
		       "\"result\":{}}",
	    "3");
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"a\","
		       "\"error\":{\"code\":1,\"message\":\"m\"}}",
	    "3");
}
END_TEST

START_TEST(not_an_object)
{
	static const char *texts[] = { "1", "-5", "\"s\"", "true", "false",
		"null", "1.5", " 7 " };

	/* valid JSON, so -32600 and not -32700 */
	for (size_t i = 0; i < MG_NELEM(texts); i++)
		expect_invalid(texts[i], NULL);
}
END_TEST

START_TEST(result_response)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t e;

	ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"id\":\"a\","
			       "\"result\":{\"tools\":[]}}",
			     &m, &e),
	    MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_RESULT);
	ck_assert_str_eq(json_object_get_string(m.id), "a");
	ck_assert(json_object_is_type(m.result, json_type_object));
	ck_assert_ptr_null(m.method);
	ck_assert_ptr_null(m.error);
	mg_rpc_msg_clear(&m);

	/* a null result is a result */
	ck_assert_int_eq(
	    parse("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":null}", &m, &e),
	    MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_RESULT);
	ck_assert_ptr_null(m.result);
	mg_rpc_msg_clear(&m);

	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":{}}", NULL);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"result\":{}}", NULL);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"result\":{}}", NULL);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{},"
		       "\"error\":{\"code\":1,\"message\":\"x\"}}",
	    "9");
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":9}", "9");
}
END_TEST

START_TEST(error_response)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t e;

	ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":"
			       "{\"code\":-32601,\"message\":\"nope\","
			       "\"data\":{\"m\":\"x\"}}}",
			     &m, &e),
	    MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_ERROR);
	ck_assert_int_eq(json_object_get_int64(m.id), 4);
	ck_assert(m.error_code == -32601);
	ck_assert(json_object_is_type(m.error, json_type_object));
	ck_assert_ptr_null(m.result);
	mg_rpc_msg_clear(&m);

	/* the answer to a request whose id could not be read */
	ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
			       "{\"code\":-32700,\"message\":\"Parse error\"}}",
			     &m, &e),
	    MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_ERROR);
	ck_assert_ptr_null(m.id);
	ck_assert(m.error_code == -32700);
	mg_rpc_msg_clear(&m);
	/* the same as the MCP schemas write it: no id at all */
	ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"error\":"
			       "{\"code\":-32700,\"message\":\"Parse error\"}}",
			     &m, &e),
	    MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_ERROR);
	ck_assert_ptr_null(m.id);
	mg_rpc_msg_clear(&m);

	/* the full int64 range of codes */
	ck_assert_int_eq(
	    parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":"
		  "{\"code\":-9223372036854775808,\"message\":\"\"}}",
		&m, &e),
	    MG_OK);
	ck_assert(m.error_code == INT64_MIN);
	mg_rpc_msg_clear(&m);
	ck_assert_int_eq(
	    parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":"
		  "{\"code\":9223372036854775807,\"message\":\"\"}}",
		&m, &e),
	    MG_OK);
	ck_assert(m.error_code == INT64_MAX);
	mg_rpc_msg_clear(&m);
}
END_TEST

START_TEST(error_object)
{
	static const char *bad[] = {
		"null",
		"1",
		"\"e\"",
		"[]",
		"{}",
		"{\"message\":\"m\"}",
		"{\"code\":\"1\",\"message\":\"m\"}",
		"{\"code\":1.5,\"message\":\"m\"}",
		"{\"code\":-32600.0,\"message\":\"m\"}",
		"{\"code\":null,\"message\":\"m\"}",
		"{\"code\":9223372036854775808,\"message\":\"m\"}",
		"{\"code\":1}",
		"{\"code\":1,\"message\":2}",
		"{\"code\":1,\"message\":null}",
	};
	char buf[256];

	for (size_t i = 0; i < MG_NELEM(bad); i++) {
		snprintf(buf, sizeof(buf),
		    "{\"jsonrpc\":\"2.0\",\"id\":\"r\","
		    "\"error\":%s}",
		    bad[i]);
		expect_invalid(buf, "\"r\"");
	}
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":false,\"error\":{\"code\":"
		       "1,\"message\":\"m\"}}",
	    NULL);
}
END_TEST

START_TEST(batch)
{
	mg_rpc_msg_t m, el;
	mg_rpc_err_t e;

	ck_assert_int_eq(
	    parse("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"},"
		  "{\"jsonrpc\":\"2.0\",\"method\":\"n\"}, 5, [],"
		  "{\"jsonrpc\":\"2.0\",\"id\":2}]",
		&m, &e),
	    MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_BATCH);
	ck_assert(json_object_is_type(m.root, json_type_array));
	ck_assert_uint_eq(json_object_array_length(m.root), 5);
	ck_assert_ptr_null(m.id);
	ck_assert_ptr_null(m.method);

	ck_assert_int_eq(
	    mg_rpc_from_object(json_object_array_get_idx(m.root, 0), &el, &e),
	    MG_OK);
	ck_assert_int_eq(el.kind, MG_RPC_REQUEST);
	ck_assert_str_eq(el.method, "a");
	/* the element holds its own reference: the batch can go first */
	mg_rpc_msg_clear(&m);
	ck_assert_str_eq(el.method, "a");
	ck_assert_int_eq(json_object_get_int64(el.id), 1);
	mg_rpc_msg_clear(&el);

	ck_assert_int_eq(parse("[{\"jsonrpc\":\"2.0\",\"method\":\"n\"}, 5, [],"
			       "{\"jsonrpc\":\"2.0\",\"id\":2}]",
			     &m, &e),
	    MG_OK);
	ck_assert_int_eq(
	    mg_rpc_from_object(json_object_array_get_idx(m.root, 0), &el, &e),
	    MG_OK);
	ck_assert_int_eq(el.kind, MG_RPC_NOTIFICATION);
	mg_rpc_msg_clear(&el);
	/* not an object; batches do not nest; a response without a body */
	for (int i = 1; i <= 3; i++) {
		ck_assert_int_eq(
		    mg_rpc_from_object(
			json_object_array_get_idx(m.root, i), &el, &e),
		    MG_ERROR);
		ck_assert_int_eq(e.code, MG_RPC_INVALID_REQUEST);
		ck_assert_ptr_null(el.root);
		if (i == 3)
			ck_assert_int_eq(json_object_get_int64(e.id), 2);
		else
			ck_assert_ptr_null(e.id);
		mg_rpc_err_clear(&e);
	}
	mg_rpc_msg_clear(&m);

	/* the empty batch is an invalid request */
	expect_invalid("[]", NULL);
	expect_invalid(" [ ] ", NULL);
	/* from_object on a NULL (JSON null) element */
	ck_assert_int_eq(mg_rpc_from_object(NULL, &el, &e), MG_ERROR);
	ck_assert_int_eq(e.code, MG_RPC_INVALID_REQUEST);
	mg_rpc_err_clear(&e);
}
END_TEST

START_TEST(parse_errors)
{
	static const char *bad[] = {
		"", " ", "\r\n\t ", "{", "}", "[", "{\"a\":}", "{\"a\" 1}",
		"[1,]", "[,1]", "{\"a\":1,}", "{'a':1}", "{a:1}", "[1 2]",
		"NaN", "[NaN]", "[Infinity]", "[-Infinity]", "[nan]", "[1.]",
		"[.5]", "[01]", "[-01]", "[00]", "[1-2]", "[+1]", "[-]",
		"[0x10]", "[1e]", "[1e+]", "[1.e5]", "[1.5.6]",
		"{\"jsonrpc\":\"2.0\",\"method\":\"a\"}x",
		"{\"jsonrpc\":\"2.0\",\"method\":\"a\"} {}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"a\"}}", "{} []", "1 2",
		"/*c*/{}", "{}//c", "{}/", "[tru]", "[truex]", "[True]",
		"[nul]", "[nulll]", "[1true]", "[falsey]", "\f{}", "{}\f",
		"{}\v", "\xc2\xa0{}", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"",
		"\"\\U0041\"", "\"abc", "\"abc\\", "\"abc\\\"", "[\"a\"",
		"{\"a\"", "\"a\x01\"", "\"a\x1f\"", "\"tab\there\"",
		"\"nl\nx\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xc1\xbf\"",
		"\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
		"\"\xf8\x88\x80\x80\x80\"", "\"\xe2\x82\"", "\"\x80\"",
		"\"\xe2\x28\xa1\"",
		"\xef\xbb\xbf{}", /* a BOM is not JSON (RFC 8259 8.1) */
	};

	for (size_t i = 0; i < MG_NELEM(bad); i++)
		expect_parse_error(bad[i], strlen(bad[i]));
	/* a NUL anywhere */
	expect_parse_error("{}\0", 3);
	expect_parse_error("\"a\0b\"", 5);
	expect_parse_error("{\"jsonrpc\":\"2.0\",\0\"method\":\"a\"}", 31);
	expect_parse_error("\0", 1);
}
END_TEST

START_TEST(parse_error_message)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t e;

	ck_assert_int_eq(parse("{\"a\":[1,2,}", &m, &e), MG_ERROR);
	ck_assert_int_eq(e.code, MG_RPC_PARSE_ERROR);
	ck_assert_str_eq(
	    e.message, "Parse error: unexpected character at byte 10");
	ck_assert_int_eq(parse("{\"a\":\"\xff\"}", &m, &e), MG_ERROR);
	ck_assert_str_eq(e.message, "Parse error: invalid UTF-8 at byte 6");
	ck_assert_int_eq(parse("{\"a\":1", &m, &e), MG_ERROR);
	ck_assert_str_eq(
	    e.message, "Parse error: unexpected end of data at byte 6");
	ck_assert_int_eq(parse("   ", &m, &e), MG_ERROR);
	ck_assert_str_eq(e.message, "Parse error: empty message at byte 3");
	ck_assert_int_eq(parse("{} x", &m, &e), MG_ERROR);
	ck_assert_str_eq(
	    e.message, "Parse error: unexpected character at byte 3");
	ck_assert_int_eq(parse("{} {}", &m, &e), MG_ERROR);
	ck_assert_str_eq(
	    e.message, "Parse error: data after the JSON value at byte 3");
}
END_TEST

START_TEST(whitespace_and_length)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t e;
	const char   text[] = "{\"jsonrpc\":\"2.0\",\"method\":\"a\"}";
	char         buf[sizeof(text) + 16];

	ck_assert_int_eq(parse(" \t\r\n{\"jsonrpc\":\"2.0\",\"method\":\"a\"}"
			       " \n\t\r ",
			     &m, &e),
	    MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_NOTIFICATION);
	mg_rpc_msg_clear(&m);

	/* exactly LEN bytes are read: what follows them does not count */
	memcpy(buf, text, sizeof(text) - 1);
	memcpy(buf + sizeof(text) - 1, "garbage", 8);
	ck_assert_int_eq(mg_rpc_parse(buf, sizeof(text) - 1, &m, &e), MG_OK);
	mg_rpc_msg_clear(&m);
	/* and a cut-off text is not completed by them */
	ck_assert_int_eq(mg_rpc_parse(buf, sizeof(text) - 2, &m, &e), MG_ERROR);
	ck_assert_int_eq(e.code, MG_RPC_PARSE_ERROR);
	/* a number that ends the text exactly, in a buffer without a NUL */
	ck_assert_int_eq(parse_n("12345", 5, &m, &e), MG_ERROR);
	ck_assert_int_eq(e.code, MG_RPC_INVALID_REQUEST);
	mg_rpc_err_clear(&e);
	ck_assert_int_eq(parse_n("123456", 3, &m, &e), MG_ERROR);
	ck_assert_int_eq(e.code, MG_RPC_INVALID_REQUEST);
	mg_rpc_err_clear(&e);
	ck_assert_int_eq(mg_rpc_parse(NULL, 0, &m, &e), MG_ERROR);
	ck_assert_int_eq(e.code, MG_RPC_PARSE_ERROR);
}
END_TEST

/* A message nested DEPTH levels deep: object, params array, arrays. */
static char *
nested(int depth)
{
	const char *head = "{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"params\":";
	size_t      hn = strlen(head), n = hn + 2 * (size_t)(depth - 1) + 2;
	char       *s = malloc(n);

	ck_assert_ptr_nonnull(s);
	memcpy(s, head, hn);
	memset(s + hn, '[', (size_t)depth - 1);
	memset(s + hn + depth - 1, ']', (size_t)depth - 1);
	s[n - 2] = '}';
	s[n - 1] = '\0';
	return s;
}

START_TEST(depth_limit)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t e;
	char        *s;

	s = nested(MG_RPC_MAX_DEPTH);
	ck_assert_int_eq(parse(s, &m, &e), MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_NOTIFICATION);
	mg_rpc_msg_clear(&m);
	free(s);

	s = nested(MG_RPC_MAX_DEPTH + 1);
	ck_assert_int_eq(parse(s, &m, &e), MG_ERROR);
	ck_assert_int_eq(e.code, MG_RPC_PARSE_ERROR);
	ck_assert(strstr(e.message, "nesting too deep") != NULL);
	free(s);

	/* a deep array is refused before anything is built */
	s = malloc(100001);
	memset(s, '[', 100000);
	s[100000] = '\0';
	ck_assert_int_eq(parse(s, &m, &e), MG_ERROR);
	ck_assert_int_eq(e.code, MG_RPC_PARSE_ERROR);
	free(s);
}
END_TEST

START_TEST(utf8_accepted)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t e;

	ck_assert_int_eq(
	    parse("{\"jsonrpc\":\"2.0\",\"id\":\"\xc3\xa9\xe2\x82"
		  "\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf\","
		  "\"method\":\"m\xc3\xa9\"}",
		&m, &e),
	    MG_OK);
	ck_assert_str_eq(m.method, "m\xc3\xa9");
	ck_assert_str_eq(json_object_get_string(m.id),
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf");
	mg_rpc_msg_clear(&m);
}
END_TEST

/* Parse a request with id ID_IN; the result written for it has ID_OUT. */
static void
id_roundtrip(const char *id_in, const char *id_out)
{
	mg_rpc_msg_t     m, m2;
	mg_rpc_err_t     e;
	struct evbuffer *b = evbuffer_new();
	size_t           n = strlen(id_in) + 64;
	char            *text = malloc(n), *want = malloc(n + 64), *got;

	snprintf(
	    text, n, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"x\"}", id_in);
	ck_assert_msg(parse(text, &m, &e) == MG_OK, "%s: %s", id_in, e.message);
	ck_assert_int_eq(m.kind, MG_RPC_REQUEST);
	ck_assert_int_eq(mg_rpc_write_result(b, m.id, NULL), MG_OK);
	snprintf(want, n + 64,
	    "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":null}", id_out);
	got = drain(b);
	ck_assert_str_eq(got, want);
	/* and the answer's id matches the request's */
	ck_assert_int_eq(parse(got, &m2, &e), MG_OK);
	ck_assert_int_eq(m2.kind, MG_RPC_RESULT);
	ck_assert(mg_rpc_id_equal(m.id, m2.id));
	ck_assert(mg_rpc_id_equal(m2.id, m.id));
	mg_rpc_msg_clear(&m2);
	mg_rpc_msg_clear(&m);
	evbuffer_free(b);
	free(got);
	free(text);
	free(want);
}

START_TEST(id_roundtrip_integers)
{
	static const char *ids[] = { "0", "1", "-1", "42", "2147483647",
		"2147483648", "-2147483649", "9007199254740993",
		"9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "18446744073709551615",
		"18446744073709551614" };

	for (size_t i = 0; i < MG_NELEM(ids); i++)
		id_roundtrip(ids[i], ids[i]);
}
END_TEST

START_TEST(id_roundtrip_strings)
{
	char *big;

	id_roundtrip("\"\"", "\"\"");
	id_roundtrip("\"abc\"", "\"abc\"");
	id_roundtrip("\"a\\\"b\"", "\"a\\\"b\"");
	id_roundtrip("\"back\\\\slash\"", "\"back\\\\slash\"");
	id_roundtrip("\"a/b\"", "\"a/b\"");
	id_roundtrip("\"a\\/b\"", "\"a/b\""); /* same string, canonical */
	id_roundtrip("\"\\n\\r\\t\\b\\f\"", "\"\\n\\r\\t\\b\\f\"");
	id_roundtrip("\"\\u0001\\u001f\"", "\"\\u0001\\u001f\"");
	id_roundtrip("\"nul\\u0000in\"", "\"nul\\u0000in\"");
	id_roundtrip(
	    "\"\xc3\xa9\xf0\x9f\x98\x80\"", "\"\xc3\xa9\xf0\x9f\x98\x80\"");
	id_roundtrip(
	    "\"\\u00e9\\ud83d\\ude00\"", "\"\xc3\xa9\xf0\x9f\x98\x80\"");
	id_roundtrip("\"123\"", "\"123\"");
	id_roundtrip("\"9223372036854775808\"", "\"9223372036854775808\"");

	big = malloc(100003);
	big[0] = '"';
	for (int i = 1; i <= 100000; i++)
		big[i] = "abcdefghij0123456789-_"[i % 22];
	big[100001] = '"';
	big[100002] = '\0';
	id_roundtrip(big, big);
	free(big);
}
END_TEST

/* Integers json-c would clamp pass through unchanged. */
START_TEST(big_numbers_pass_through)
{
	mg_rpc_msg_t     m;
	mg_rpc_err_t     e;
	struct evbuffer *b = evbuffer_new();
	const char      *result = "{\"a\":18446744073709551616,"
				  "\"b\":-9223372036854775809,"
				  "\"c\":[123456789012345678901234567890,1.0,"
				  "1E400,-0.0,1.5e-7,18446744073709551615],"
				  "\"d\":\"99999999999999999999\"}";
	char             text[512], want[512];

	snprintf(text, sizeof(text),
	    "{\"jsonrpc\":\"2.0\",\"id\":3,"
	    "\"result\":%s}",
	    result);
	ck_assert_int_eq(parse(text, &m, &e), MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_RESULT);
	ck_assert_int_eq(mg_rpc_write_result(b, m.id, m.result), MG_OK);
	snprintf(want, sizeof(want),
	    "{\"jsonrpc\":\"2.0\",\"id\":3,"
	    "\"result\":%s}",
	    result);
	ck_assert_drain(b, want);
	mg_rpc_msg_clear(&m);

	/* as an id such a number cannot be echoed: refused, and said why */
	ck_assert_int_eq(
	    parse("{\"jsonrpc\":\"2.0\",\"id\":18446744073709551616,"
		  "\"method\":\"a\"}",
		&m, &e),
	    MG_ERROR);
	ck_assert_int_eq(e.code, MG_RPC_INVALID_REQUEST);
	ck_assert_str_eq(e.message, "Invalid Request: id out of range");
	ck_assert_ptr_null(e.id);
	mg_rpc_err_clear(&e);
	expect_invalid("{\"jsonrpc\":\"2.0\",\"id\":-9223372036854775809,"
		       "\"method\":\"a\"}",
	    NULL);
	/* and an error in such a text is still found */
	expect_parse_error("[99999999999999999999, 01]", 26);
	expect_parse_error("[99999999999999999999 2]", 24);
	evbuffer_free(b);
}
END_TEST

START_TEST(id_equal)
{
	struct json_object *s1 = json_object_new_string("1");
	struct json_object *s1b = json_object_new_string("1");
	struct json_object *s2 = json_object_new_string_len("a\0b", 3);
	struct json_object *s3 = json_object_new_string_len("a\0c", 3);
	struct json_object *s4 = json_object_new_string("a");
	struct json_object *i1 = json_object_new_int64(1);
	struct json_object *i1b = json_object_new_int(1);
	struct json_object *imax = json_object_new_int64(INT64_MAX);
	struct json_object *umax64 = json_object_new_uint64(INT64_MAX);
	struct json_object *umax = json_object_new_uint64(UINT64_MAX);
	struct json_object *m1 = json_object_new_int64(-1);
	struct json_object *imin = json_object_new_int64(INT64_MIN);
	struct json_object *imin2 = json_object_new_int64(INT64_MIN);
	struct json_object *u0 = json_object_new_uint64(0);
	struct json_object *i0 = json_object_new_int64(0);
	struct json_object *d1 = json_object_new_double(1.0);
	struct json_object *d2 = json_object_new_double(1.0);

	ck_assert(mg_rpc_id_equal(s1, s1b));
	ck_assert(!mg_rpc_id_equal(s1, i1)); /* "1" is not 1 */
	ck_assert(!mg_rpc_id_equal(i1, s1));
	ck_assert(!mg_rpc_id_equal(s2, s3)); /* bytes after a NUL count */
	ck_assert(!mg_rpc_id_equal(s2, s4));
	ck_assert(mg_rpc_id_equal(i1, i1b));
	ck_assert(mg_rpc_id_equal(imax, umax64)); /* int64 vs uint64 */
	ck_assert(mg_rpc_id_equal(umax64, imax));
	ck_assert(!mg_rpc_id_equal(umax, m1)); /* 2^64-1 is not -1 */
	ck_assert(!mg_rpc_id_equal(m1, umax));
	ck_assert(!mg_rpc_id_equal(umax, imax));
	ck_assert(mg_rpc_id_equal(imin, imin2));
	ck_assert(!mg_rpc_id_equal(imin, imax));
	ck_assert(mg_rpc_id_equal(u0, i0));
	ck_assert(mg_rpc_id_equal(NULL, NULL)); /* null, null */
	ck_assert(!mg_rpc_id_equal(NULL, i0));
	ck_assert(!mg_rpc_id_equal(i0, NULL));
	ck_assert(!mg_rpc_id_equal(d1, i1)); /* not an id type */
	ck_assert(!mg_rpc_id_equal(d1, d2));
	ck_assert(mg_rpc_id_equal(d1, d1)); /* itself */

	json_object_put(s1);
	json_object_put(s1b);
	json_object_put(s2);
	json_object_put(s3);
	json_object_put(s4);
	json_object_put(i1);
	json_object_put(i1b);
	json_object_put(imax);
	json_object_put(umax64);
	json_object_put(umax);
	json_object_put(m1);
	json_object_put(imin);
	json_object_put(imin2);
	json_object_put(u0);
	json_object_put(i0);
	json_object_put(d1);
	json_object_put(d2);
}
END_TEST

START_TEST(write_result)
{
	struct evbuffer    *b = evbuffer_new();
	struct json_object *id = json_object_new_int(1);
	struct json_object *r = json_tokener_parse(
	    "{\"tools\":[{\"name\":\"a/b\",\"x\":[1,2.5,true,null]}]}");

	ck_assert_int_eq(mg_rpc_write_result(b, id, r), MG_OK);
	ck_assert_drain(b,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":"
	    "{\"tools\":[{\"name\":\"a/b\",\"x\":[1,2.5,true,"
	    "null]}]}}");
	ck_assert_int_eq(mg_rpc_write_result(b, NULL, NULL), MG_OK);
	ck_assert_drain(b, "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":null}");
	/* appended after what is there, no newline */
	evbuffer_add(b, "X", 1);
	ck_assert_int_eq(mg_rpc_write_result(b, id, id), MG_OK);
	ck_assert_drain(b, "X{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}");
	json_object_put(id);
	json_object_put(r);
	evbuffer_free(b);
}
END_TEST

START_TEST(write_error)
{
	struct evbuffer    *b = evbuffer_new();
	struct json_object *id = json_object_new_string("abc");
	struct json_object *data = json_tokener_parse("{\"k\":\"v\"}");

	ck_assert_int_eq(mg_rpc_write_error(b, id, MG_RPC_METHOD_NOT_FOUND,
			     "Method not found", NULL),
	    MG_OK);
	ck_assert_drain(b,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"error\":"
	    "{\"code\":-32601,\"message\":\"Method not found\"}}");
	ck_assert_int_eq(mg_rpc_write_error(
			     b, NULL, MG_RPC_PARSE_ERROR, "Parse error", data),
	    MG_OK);
	/* no id rather than null: the MCP schemas have no null id */
	ck_assert_drain(b,
	    "{\"jsonrpc\":\"2.0\",\"error\":"
	    "{\"code\":-32700,\"message\":\"Parse error\","
	    "\"data\":{\"k\":\"v\"}}}");
	ck_assert_int_eq(mg_rpc_write_error(b, id, 0, NULL, NULL), MG_OK);
	ck_assert_drain(b,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"error\":"
	    "{\"code\":0,\"message\":\"\"}}");
	ck_assert_int_eq(
	    mg_rpc_write_error(b, id, -2147483647 - 1, "m", NULL), MG_OK);
	ck_assert_drain(b,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"error\":"
	    "{\"code\":-2147483648,\"message\":\"m\"}}");
	json_object_put(id);
	json_object_put(data);
	evbuffer_free(b);
}
END_TEST

START_TEST(write_escaping)
{
	struct evbuffer *b = evbuffer_new();
	mg_rpc_msg_t     m;
	mg_rpc_err_t     e;
	char            *got;
	const char      *msg = "q\"b\\s/\n\r\t\b\f\x01\x1f\x7f \xc3\xa9 "
			       "\xf0\x9f\x98\x80 \xff \xc0\xaf \xed\xa0\x80 end";

	ck_assert_int_eq(mg_rpc_write_error(b, NULL, 1, msg, NULL), MG_OK);
	got = drain(b);
	ck_assert_str_eq(got,
	    "{\"jsonrpc\":\"2.0\",\"error\":"
	    "{\"code\":1,\"message\":\"q\\\"b\\\\s/\\n\\r\\t"
	    "\\b\\f\\u0001\\u001f\x7f \xc3\xa9 \xf0\x9f\x98\x80 "
	    "\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end\"}}");
	/* what it wrote is JSON our own strict parser takes */
	ck_assert_int_eq(parse(got, &m, &e), MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_ERROR);
	mg_rpc_msg_clear(&m);
	free(got);
	evbuffer_free(b);
}
END_TEST

START_TEST(write_notification)
{
	struct evbuffer    *b = evbuffer_new();
	struct json_object *p = json_tokener_parse(
	    "{\"progressToken\":\"t\",\"progress\":50,\"total\":100}");

	ck_assert_int_eq(
	    mg_rpc_write_notification(b, "notifications/progress", p), MG_OK);
	ck_assert_drain(b,
	    "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"notifications/progress\",\"params\":"
	    "{\"progressToken\":\"t\",\"progress\":50,"
	    "\"total\":100}}");
	ck_assert_int_eq(mg_rpc_write_notification(
			     b, "notifications/tools/list_changed", NULL),
	    MG_OK);
	ck_assert_drain(b,
	    "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"notifications/tools/list_changed\"}");
	ck_assert_int_eq(mg_rpc_write_notification(b, "a\"b\n", NULL), MG_OK);
	ck_assert_drain(b, "{\"jsonrpc\":\"2.0\",\"method\":\"a\\\"b\\n\"}");
	/* no method: nothing written */
	evbuffer_add(b, "X", 1);
	ck_assert_int_eq(mg_rpc_write_notification(b, NULL, p), MG_ERROR);
	ck_assert_drain(b, "X");
	json_object_put(p);
	evbuffer_free(b);
}
END_TEST

START_TEST(write_request)
{
	struct evbuffer    *b = evbuffer_new();
	struct json_object *id = json_object_new_string("mcpgw-1-7");
	struct json_object *p = json_tokener_parse("{\"maxTokens\":100}");

	ck_assert_int_eq(
	    mg_rpc_write_request(b, id, "sampling/createMessage", p), MG_OK);
	ck_assert_drain(b,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"mcpgw-1-7\",\"method\":"
	    "\"sampling/createMessage\",\"params\":{\"maxTokens\":100}}");
	ck_assert_int_eq(
	    mg_rpc_write_request(b, id, "roots/list", NULL), MG_OK);
	ck_assert_drain(b,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"mcpgw-1-7\",\"method\":"
	    "\"roots/list\"}");
	evbuffer_add(b, "X", 1);
	ck_assert_int_eq(mg_rpc_write_request(b, id, NULL, p), MG_ERROR);
	ck_assert_drain(b, "X");
	json_object_put(p);
	json_object_put(id);
	evbuffer_free(b);
}
END_TEST

/* What the writers produce, the parser classifies back. */
START_TEST(write_parse_roundtrip)
{
	struct evbuffer    *b = evbuffer_new();
	struct json_object *id = json_object_new_uint64(UINT64_MAX);
	struct json_object *p = json_tokener_parse("[1,{\"a\":\"\\u0000\"}]");
	mg_rpc_msg_t        m;
	mg_rpc_err_t        e;
	char               *s;

	ck_assert_int_eq(mg_rpc_write_notification(b, "x/y", p), MG_OK);
	s = drain(b);
	ck_assert_int_eq(parse(s, &m, &e), MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_NOTIFICATION);
	ck_assert_str_eq(m.method, "x/y");
	ck_assert(json_object_equal(m.params, p));
	mg_rpc_msg_clear(&m);
	free(s);

	ck_assert_int_eq(
	    mg_rpc_write_error(b, id, MG_RPC_INVALID_PARAMS, "bad", p), MG_OK);
	s = drain(b);
	ck_assert_int_eq(parse(s, &m, &e), MG_OK);
	ck_assert_int_eq(m.kind, MG_RPC_ERROR);
	ck_assert(m.error_code == MG_RPC_INVALID_PARAMS);
	ck_assert(mg_rpc_id_equal(m.id, id));
	mg_rpc_msg_clear(&m);
	free(s);
	json_object_put(id);
	json_object_put(p);
	evbuffer_free(b);
}
END_TEST

/* The gateway's path: a bad request in, the error response out. */
START_TEST(error_reply_for_bad_request)
{
	struct evbuffer *b = evbuffer_new();
	mg_rpc_msg_t     m;
	mg_rpc_err_t     e;

	ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"id\":\"r-1\","
			       "\"method\":5}",
			     &m, &e),
	    MG_ERROR);
	ck_assert_int_eq(
	    mg_rpc_write_error(b, e.id, e.code, e.message, NULL), MG_OK);
	ck_assert_drain(b,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"r-1\",\"error\":"
	    "{\"code\":-32600,\"message\":\"Invalid Request: "
	    "method must be a string\"}}");
	mg_rpc_err_clear(&e);

	ck_assert_int_eq(
	    parse("{\"jsonrpc\":\"2.0\",\"id\":1,", &m, &e), MG_ERROR);
	ck_assert_int_eq(
	    mg_rpc_write_error(b, e.id, e.code, e.message, NULL), MG_OK);
	ck_assert_drain(b,
	    "{\"jsonrpc\":\"2.0\",\"error\":"
	    "{\"code\":-32700,\"message\":\"Parse error: "
	    "unexpected end of data at byte 24\"}}");
	mg_rpc_err_clear(&e);
	evbuffer_free(b);
}
END_TEST

/* Texts peek_agrees saw the parse refuse for a name twice. */
static int peek_duplicates;

/*
 * mg_rpc_peek against mg_rpc_parse.  Whenever the peek says MG_OK, the
 * parse must say MG_OK too, with the same kind, method, id and
 * params.name/uri; returns whether the peek said MG_OK.
 */
static int
peek_agrees(const char *text, size_t len)
{
	mg_rpc_peek_t       pk;
	mg_rpc_msg_t        m;
	mg_rpc_err_t        e;
	struct json_object *v;
	int                 rp = mg_rpc_peek(text, len, &pk);
	int                 rc = mg_rpc_parse(text, len, &m, &e);

	if (rp == MG_OK) {
		if (rc != MG_OK)
			ck_abort_msg("peek took what parse refused (%s): %.*s",
			    e.message, (int)len, text);
		ck_assert_int_eq(pk.kind, m.kind);
		ck_assert_str_eq(pk.method, m.method);
		if (m.kind == MG_RPC_REQUEST)
			ck_assert_msg(mg_rpc_id_equal(pk.id, m.id),
			    "ids differ: %.*s", (int)len, text);
		else
			ck_assert_ptr_null(pk.id);
		v = NULL;
		if (json_object_is_type(m.params, json_type_object) &&
		    json_object_object_get_ex(m.params, "name", &v) &&
		    json_object_is_type(v, json_type_string)) {
			ck_assert_ptr_nonnull(pk.name);
			ck_assert_uint_eq(
			    pk.name_len, (size_t)json_object_get_string_len(v));
			ck_assert(memcmp(pk.name, json_object_get_string(v),
				      pk.name_len) == 0);
		} else
			ck_assert_ptr_null(pk.name);
		if (json_object_is_type(m.params, json_type_object) &&
		    json_object_object_get_ex(m.params, "uri", &v) &&
		    json_object_is_type(v, json_type_string))
			ck_assert_ptr_nonnull(pk.uri);
		else
			ck_assert_ptr_null(pk.uri);
	} else
		ck_assert_int_eq(rp, MG_DECLINED);
	if (rc != MG_OK && strstr(e.message, "duplicate member") != NULL)
		peek_duplicates++;
	mg_rpc_peek_clear(&pk);
	mg_rpc_msg_clear(&m);
	mg_rpc_err_clear(&e);
	return rp == MG_OK;
}

static int
peek_agrees_str(const char *text)
{
	return peek_agrees(text, strlen(text));
}

/* The plain messages a gateway relays are peeked; the rest are left to
 * the parse, whether they are valid or not. */
START_TEST(peek_plain)
{
	static const char *const ok[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":\"t1-1\",\"method\":\"tools/"
		"call\","
		"\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":"
		"\"m\\u00e9 \\\"q\\\"\"}}}",
		" {\"method\":\"tools/list\", \"id\" : 0 "
		",\"jsonrpc\":\"2.0\"}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":123456789012345678,\"method\":"
		"\"x\"}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
		"\"params\":{\"progressToken\":1,\"progress\":0.5}}",
		"{\"jsonrpc\":\"2.0\",\"id\":\"\",\"method\":\"resources/"
		"read\","
		"\"params\":{\"uri\":\"file:///a\",\"name\":[1,{\"a\":[]}]}}",
		"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"m\",\"params\":[],"
		"\"extra\":{\"d\":[[[[true,false,null,-1.5e3]]]]}}",
		"{\"jsonrpc\":\"2.0\",\"id\":\"\xc3\xa9\",\"method\":"
		"\"\xe2\x82\xac\"}",
		/* lone surrogates: json-c writes U+FFFD */
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"p\":\"\\ud800 "
		"\\udc00\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":{"
		"\"xA\":1,\"arguments\":{\"name_\":2,\"name\":\"in\"}}"
		"}",
	};
	static const char *const declined[] = {
		/* valid, but not plain */
		"{\"jsonrpc\":\"2.0\",\"id\":\"a\\\"b\",\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\\u0041\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":-1,\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1234567890123456789,\"method\":"
		"\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"method\":"
		"\"n\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":"
		"{\"name\":\"a\",\"name\":\"b\"}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":"
		"{\"name\":\"a\\/b\"}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":"
		"{\"n\\u0061me\":\"a\"}}",
		"{\"json\\u0072pc\":\"2.0\",\"id\":1,\"method\":\"m\"}",
		/* an escaped name anywhere: it might be another one, decoded */
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":{"
		"\"xA\":1,\"arguments\":{\"name\\\"\":2,\"name\":\"in\"}}"
		"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":"
		"{\"a\":18446744073709551616}}",
		"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}]",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}",
		/* not valid */
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":01,\"method\":\"m\"}",
		"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"m\"}",
		"{\"id\":1,\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":3}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"error\":{}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"} x",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"",
		"{\"jsonrpc\":\"2.0\" \"id\":1,\"method\":\"m\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"p\":[1,]}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"p\":[1:2]}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"p\":{\"a\"}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"p\":{1:2}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"p\":NaN}",
		"{\"jsonrpc\":\"2.0\",\"id\":\"\xc0\xaf\",\"method\":\"m\"}",
		"",
		"   ",
	};
	char deep[200];
	int  n = 0;

	for (size_t i = 0; i < MG_NELEM(ok); i++)
		ck_assert_msg(peek_agrees_str(ok[i]), "declined: %s", ok[i]);
	for (size_t i = 0; i < MG_NELEM(declined); i++)
		ck_assert_msg(
		    !peek_agrees_str(declined[i]), "peeked: %s", declined[i]);
	/* depth: 32 levels are peeked, more are the parse's */
	for (int depth = 30; depth <= 34; depth++) {
		n = snprintf(deep, sizeof(deep),
		    "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"p\":");
		for (int k = 0; k < depth - 1; k++)
			deep[n++] = '[';
		for (int k = 0; k < depth - 1; k++)
			deep[n++] = ']';
		deep[n++] = '}';
		ck_assert_int_eq(peek_agrees(deep, (size_t)n), depth <= 32);
	}
	/* not NUL-terminated: the length is the message */
	ck_assert(peek_agrees("{\"jsonrpc\":\"2.0\",\"method\":\"m\"}xyz", 30));
}
END_TEST

/*
 * Every one-byte change, deletion and insertion of a few messages: the
 * peek never takes what the parse refuses (a name twice among them),
 * nor reads it otherwise.
 */
START_TEST(peek_mutations)
{
	static const char *const base[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":\"t1-1\",\"method\":\"tools/"
		"call\","
		"\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":"
		"\"m\\u00e9\\ud83d\\ude00\"}}}",
		"{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"resources/read\","
		"\"params\":{\"uri\":\"u\",\"_meta\":{\"progressToken\":-1e2}}"
		"}",
		("{\"jsonrpc\":\"2.0\",\"method\":\"n\","
		 "\"params\":[null,true,{}]}"),
		/* names a change away from a name twice */
		"{\"jsonrpc\":\"2.0\",\"idd\":0,\"id\":5,\"method\":\"m\","
		"\"params\":{\"name\":\"a\",\"nbme\":\"b\",\"_meta\":{"
		"\"progressToken\":1,\"progressTokeu\":2}}}",
	};
	static const char subst[] = "\"\\{}[],: 0-1.eEaunt/\x01\x7f\xc3\xa9";
	char              buf[512];
	int               peeked = 0, tried = 0;

	peek_duplicates = 0;

	for (size_t b = 0; b < MG_NELEM(base); b++) {
		const char *t = base[b];
		size_t      len = strlen(t);

		peeked += peek_agrees(t, len);
		for (size_t i = 0; i < len; i++) {
			for (size_t k = 0; k < sizeof(subst) - 1; k++) {
				memcpy(buf, t, len);
				buf[i] = subst[k];
				peeked += peek_agrees(buf, len);
				/* insertion */
				memcpy(buf, t, i);
				buf[i] = subst[k];
				memcpy(buf + i + 1, t + i, len - i);
				peeked += peek_agrees(buf, len + 1);
				tried += 2;
			}
			/* deletion, and the text cut short here */
			memcpy(buf, t, i);
			memcpy(buf + i, t + i + 1, len - i - 1);
			peeked += peek_agrees(buf, len - 1);
			peeked += peek_agrees(t, i);
			tried += 2;
		}
	}
	/* some of the changes are still plain messages */
	ck_assert_int_gt(peeked, 100);
	ck_assert_int_lt(peeked, tried);
	/* and some make a name twice: "idd", "nbme", "progressTokeu" */
	ck_assert_int_ge(peek_duplicates, 3);
}
END_TEST

/* A member name twice in one object: refused by the parse, naming it,
 * with the id ID_JSON (NULL: none); never taken by the peek. */
static void
expect_duplicate(const char *s, const char *name, const char *id_json)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t e;
	char         want[128];

	expect_invalid(s, id_json);
	ck_assert_int_eq(parse(s, &m, &e), MG_ERROR);
	snprintf(want, sizeof(want), "Invalid Request: duplicate member \"%s\"",
	    name);
	ck_assert_str_eq(e.message, want);
	mg_rpc_err_clear(&e);
	mg_rpc_msg_clear(&m);
	ck_assert_msg(!peek_agrees_str(s), "peeked: %s", s);
}

#define CALL(id) "{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"tools/call\","

/* Issue 16: json-c keeps the last of two members of one name, a receiver
 * may keep the first; in any object of a message, one name twice is
 * -32600, as json-c compares names (decoded, up to a NUL). */
START_TEST(duplicate_names)
{
	static const struct {
		const char *text, *name, *id;
	} dup[] = {
		/* json-c reads "echo", a first-key upstream "sleep" */
		{ CALL(
		      "1") "\"params\":{\"name\":\"sleep\",\"name\":\"echo\"}}",
		    "name", "1" },
		/* the envelope */
		{ "{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\",\"id\":2,"
		  "\"method\":"
		  "\"m\"}",
		    "jsonrpc", "2" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"m\",\"method\":"
		  "\"n\"}",
		    "method", "3" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"m\",\"params\":{}"
		  ","
		  "\"params\":[]}",
		    "params", "4" },
		/* the id itself: which one is not known, so none */
		{ "{\"jsonrpc\":\"2.0\",\"id\":5,\"id\":6,\"method\":\"m\"}",
		    "id", NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"params\":{\"b\":1,\"b\":"
		  "2},"
		  "\"method\":\"m\",\"id\":\"c\"}",
		    "b", NULL },
		/* params, _meta and what the era code reads in it */
		{ CALL("7") "\"params\":{\"uri\":\"file:///a\",\"uri\":\"b\"}}",
		    "uri", "7" },
		{ CALL(
		      "8") "\"params\":{\"name\":\"x\",\"_meta\":{},\"_meta\":{"
			   "\"progressToken\":1}}}",
		    "_meta", "8" },
		{ CALL("9") "\"params\":{\"_meta\":{\"progressToken\":1,"
			    "\"progressToken\":\"t\"}}}",
		    "progressToken", "9" },
		{ CALL("10") "\"params\":{\"_meta\":{"
			     "\"io.modelcontextprotocol/protocolVersion\":"
			     "\"2026-07-28\","
			     "\"io.modelcontextprotocol/protocolVersion\":"
			     "\"2025-11-25\"}}}",
		    "io.modelcontextprotocol/protocolVersion", "10" },
		/* deeper: in arguments, in an array, in a batch */
		{ CALL("11") "\"params\":{\"name\":\"echo\",\"arguments\":{"
			     "\"l\":[{\"a\":1},{\"b\":[],\"c\":{},\"b\":null}]}"
			     "}}",
		    "b", "11" },
		{ "[{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"m\"},{"
		  "\"jsonrpc\":\"2.0\",\"method\":\"n\",\"params\":{\"k\":1,"
		  "\"k\":1}}]",
		    "k", NULL },
		/* names compared decoded */
		{ CALL("13") "\"params\":{\"name\":\"sleep\",\"na\\u006de\":"
			     "\"echo\"}}",
		    "name", "13" },
		{ CALL("14") "\"params\":{\"\\u006e\\u0061\\u006D\\u0065\":"
			     "\"sleep\",\"name\":\"echo\"}}",
		    "name", "14" },
		{ CALL("15") "\"params\":{\"a\\/b\":1,\"a/b\":2}}", "a/b",
		    "15" },
		{ CALL("16") "\"params\":{\"\xc3\xa9\":1,\"\\u00e9\":2}}", "??",
		    "16" },
		{ CALL("17") "\"params\":{\"\\ud83d\\ude00\":1,"
			     "\"\xf0\x9f\x98\x80\":2}}",
		    "????", "17" },
		/* json-c merges these, another reader may not: a name cut at
		 * a NUL, lone surrogates (both U+FFFD to json-c) */
		{ CALL("18") "\"params\":{\"name\":\"sleep\",\"name\\u0000x\":"
			     "\"echo\"}}",
		    "name", "18" },
		{ CALL("19") "\"params\":{\"\\ud800\":1,\"\\udbff\":2}}", "???",
		    "19" },
		/* responses: result and error */
		{ "{\"jsonrpc\":\"2.0\",\"id\":20,\"result\":{\"content\":[],"
		  "\"content\":[]}}",
		    "content", "20" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":21,\"error\":{\"code\":1,"
		  "\"message\":\"a\",\"message\":\"b\"}}",
		    "message", "21" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":22,\"result\":{},\"result\":{}}",
		    "result", "22" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":23,\"error\":{\"code\":1,"
		  "\"message\":\"a\"},\"error\":{\"code\":2,\"message\":\"b\"}"
		  "}",
		    "error", "23" },
		/* with an integer json-c would clamp (the other parse) */
		{ CALL("24") "\"params\":{\"n\":18446744073709551616,\"n\":1}}",
		    "n", "24" },
		/* a long name, cut short */
		{ CALL("25") "\"params\":{"
			     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			     "aaa\":1,"
			     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			     "aaa\":2}}",
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...", "25" },
	};
	/* the same name in other objects, or names a byte apart */
	static const char *const alike[] = {
		CALL("1") "\"params\":{\"name\":\"name\",\"arguments\":{"
			  "\"name\":"
			  "\"a\",\"x\":{\"name\":1}},\"x\":[{\"name\":1},{"
			  "\"name\":"
			  "2}]}}",
		CALL("2") "\"params\":{\"name\":1,\"Name\":2,\"names\":3,"
			  "\"nam\":"
			  "4,\"name \":5,\" name\":6,\"\":7,\"x\":{\"\":8}}}",
		CALL("3") "\"params\":{\"jsonrpc\":\"1\",\"id\":null,"
			  "\"method\":1,"
			  "\"params\":2,\"result\":3,\"error\":4}}",
		/* escapes that decode to other names */
		CALL("4") "\"params\":{\"n\\u0061me2\":1,\"name\":2,"
			  "\"\\u00e9\":3,"
			  "\"\\u00e8\":4,\"e\":5,\"a\\u0000\":6,\"b\\u0000\":7}"
			  "}",
		"{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"a\":{\"b\":1},"
		"\"b\":"
		"{\"a\":1}}}",
	};
	mg_rpc_msg_t m;
	mg_rpc_err_t e;

	for (size_t i = 0; i < MG_NELEM(dup); i++)
		expect_duplicate(dup[i].text, dup[i].name, dup[i].id);
	for (size_t i = 0; i < MG_NELEM(alike); i++) {
		ck_assert_msg(parse(alike[i], &m, &e) == MG_OK, "%s: %s",
		    e.message, alike[i]);
		mg_rpc_msg_clear(&m);
		mg_rpc_err_clear(&e);
		(void)peek_agrees_str(alike[i]);
	}
	/* plain names are peeked, escaped ones left to the parse */
	ck_assert(peek_agrees_str(alike[0]));
	ck_assert(peek_agrees_str(alike[1]));
	ck_assert(!peek_agrees_str(alike[3]));
}
END_TEST

/* An object of N members (names m0, m1 ...; the last named LAST). */
static char *
wide(int n, const char *last)
{
	char  *s = malloc(64 + (size_t)n * 16);
	size_t o;

	ck_assert_ptr_nonnull(s);
	o = (size_t)sprintf(s,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\","
	    "\"params\":{");
	for (int k = 0; k < n - 1; k++)
		o += (size_t)sprintf(s + o, "\"m%d\":%d,", k, k);
	sprintf(s + o, "\"%s\":0}}", last);
	return s;
}

/* The peek compares names in objects of up to 32 members; in a wider
 * one it leaves the names to the parse. */
START_TEST(duplicate_wide)
{
	char *s;

	s = wide(32, "m31");
	ck_assert(peek_agrees_str(s));
	free(s);
	s = wide(32, "m0");
	expect_duplicate(s, "m0", "1");
	free(s);
	s = wide(33, "m32");
	ck_assert(!peek_agrees_str(s));
	free(s);
	s = wide(200, "m0");
	expect_duplicate(s, "m0", "1");
	free(s);
}
END_TEST

/* The end (past its closing quote) of the member name whose opening
 * quote is at T[KEY]; 0 if the string there is not a member's name. */
static size_t
name_end(const char *t, size_t key)
{
	size_t i = key + 1, end;

	while (t[i] != '\0' && t[i] != '"')
		i += t[i] == '\\' ? 2 : 1;
	if (t[i] != '"')
		return 0;
	end = i + 1;
	for (i = end; t[i] == ' '; i++)
		;
	return t[i] == ':' ? end : 0;
}

/* TEXT (LEN bytes) has NAME (N bytes) twice in an object: both paths. */
static void
expect_duplicate_n(const char *text, size_t len, const char *name, size_t n)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t e;
	char         want[128];

	ck_assert_msg(!peek_agrees(text, len), "peeked: %.*s", (int)len, text);
	ck_assert_int_eq(parse_n(text, len, &m, &e), MG_ERROR);
	ck_assert_int_eq(e.code, MG_RPC_INVALID_REQUEST);
	snprintf(want, sizeof(want),
	    "Invalid Request: duplicate member \"%.*s\"", (int)n, name);
	ck_assert_str_eq(e.message, want);
	mg_rpc_msg_clear(&m);
	mg_rpc_err_clear(&e);
}

/*
 * Both paths agree on names twice, for every member of a few messages
 * the peek takes: a copy of the member put before it (as it is, or with
 * its first letter escaped) is refused by the parse, naming it, and never
 * peeked; a member of another name put there is peeked as before.
 */
START_TEST(duplicate_agreement)
{
	static const char *const base[] = {
		CALL(
		    "\"t1-1\"") "\"params\":{\"name\":\"echo\",\"arguments\":{"
				"\"message\":\"m\",\"n\":[{\"a\":1,\"b\":{}}]},"
				"\"_meta\":{\"progressToken\":7}}}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
		"\"params\":{\"progressToken\":1,\"progress\":0.5}}",
		"{\"jsonrpc\":\"2.0\", \"id\" : 4 , "
		"\"method\":\"resources/read\","
		"\"params\":{\"uri\":\"u\"}}",
	};
	char   buf[512];
	size_t len, end, n;
	int    names = 0;

	for (size_t b = 0; b < MG_NELEM(base); b++) {
		const char *t = base[b];

		len = strlen(t);
		ck_assert(peek_agrees(t, len));
		for (size_t i = 0; i < len; i++) {
			if (t[i] != '"' || (end = name_end(t, i)) == 0)
				continue;
			names++;
			/* the same name, before the member */
			n = (size_t)snprintf(buf, sizeof(buf), "%.*s%.*s:0,%s",
			    (int)i, t, (int)(end - i), t + i, t + i);
			expect_duplicate_n(buf, n, t + i + 1, end - i - 2);
			/* the same with its first letter escaped */
			n = (size_t)snprintf(buf, sizeof(buf),
			    "%.*s\"\\u%04x%.*s:0,%s", (int)i, t,
			    (unsigned char)t[i + 1], (int)(end - i - 2),
			    t + i + 2, t + i);
			expect_duplicate_n(buf, n, t + i + 1, end - i - 2);
			/* another name */
			n = (size_t)snprintf(buf, sizeof(buf),
			    "%.*s\"zz%.*s:0,%s", (int)i, t, (int)(end - i - 1),
			    t + i + 1, t + i);
			ck_assert_msg(peek_agrees(buf, n), "declined: %s", buf);
		}
	}
	ck_assert_int_eq(names, 22);
}
END_TEST

Suite *
jsonrpc_suite(void)
{
	Suite *s = suite_create("jsonrpc");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, request_basic);
	tcase_add_test(tc, request_params);
	tcase_add_test(tc, notification);
	tcase_add_test(tc, request_id_types);
	tcase_add_test(tc, jsonrpc_member);
	tcase_add_test(tc, method_member);
	tcase_add_test(tc, not_an_object);
	tcase_add_test(tc, result_response);
	tcase_add_test(tc, error_response);
	tcase_add_test(tc, error_object);
	tcase_add_test(tc, batch);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, parse_error_message);
	tcase_add_test(tc, whitespace_and_length);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, utf8_accepted);
	suite_add_tcase(s, tc);
	tc = tcase_create("ids");
	tcase_add_test(tc, id_roundtrip_integers);
	tcase_add_test(tc, id_roundtrip_strings);
	tcase_add_test(tc, big_numbers_pass_through);
	tcase_add_test(tc, id_equal);
	suite_add_tcase(s, tc);
	tc = tcase_create("write");
	tcase_add_test(tc, write_result);
	tcase_add_test(tc, write_error);
	tcase_add_test(tc, write_escaping);
	tcase_add_test(tc, write_notification);
	tcase_add_test(tc, write_request);
	tcase_add_test(tc, write_parse_roundtrip);
	tcase_add_test(tc, error_reply_for_bad_request);
	tcase_add_test(tc, peek_plain);
	tcase_add_test(tc, peek_mutations);
	suite_add_tcase(s, tc);
	tc = tcase_create("duplicates");
	tcase_add_test(tc, duplicate_names);
	tcase_add_test(tc, duplicate_wide);
	tcase_add_test(tc, duplicate_agreement);
	suite_add_tcase(s, tc);
	return s;
}
