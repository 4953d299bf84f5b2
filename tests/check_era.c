/*
 * Telling the eras apart and the 2026-07-28 request checks: _meta, the
 * version header, Mcp-Method and Mcp-Name (spaces, Base64, case).
 */
#include "config.h"

#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "era.h"
#include "mcpgw.h"
#include "suites.h"

static const char *const supported[] = { "2025-11-25", MG_ERA_2026 };

#define META                                                                   \
	"\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":"              \
	"\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":"       \
	"{\"sampling\":{}}}"

static mg_rpc_msg_t msg;

static void
parse(const char *text)
{
	mg_rpc_err_t err;

	mg_rpc_msg_clear(&msg);
	ck_assert_int_eq(mg_rpc_parse(text, strlen(text), &msg, &err), MG_OK);
	mg_rpc_err_clear(&err);
}

static int
known_old(const char *v)
{
	return strcmp(v, "2025-11-25") == 0 || strcmp(v, "2025-06-18") == 0;
}

/* Check the parsed message with these headers: the error code, or 0. */
static int
check(const char *version, const char *method, const char *name)
{
	mg_era_headers_t h = { version, method, name };
	mg_era_err_t     err;
	int              code;

	if (mg_era_check(&h, &msg, supported, 2, &err) == MG_OK)
		return 0;
	ck_assert_int_eq(err.status, 400);
	ck_assert(err.message[0] != '\0');
	code = err.code;
	mg_era_err_clear(&err);
	return code;
}

START_TEST(test_era_detect)
{
	mg_era_headers_t h = { NULL, NULL, NULL };

	parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
	ck_assert(!mg_era_is_2026(&h, &msg, known_old));
	h.version = "2025-11-25";
	ck_assert(!mg_era_is_2026(&h, &msg, known_old));
	h.version = MG_ERA_2026;
	ck_assert(mg_era_is_2026(&h, &msg, known_old));
	parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\","
	      "\"params\":{" META "}}");
	h.version = NULL; /* no header: the body decides */
	ck_assert(mg_era_is_2026(&h, &msg, known_old));
	h.version = "v999"; /* unknown: the body decides */
	ck_assert(mg_era_is_2026(&h, &msg, known_old));
	h.version = "2025-06-18"; /* an old version decides for the old era */
	ck_assert(!mg_era_is_2026(&h, &msg, known_old));
	mg_rpc_msg_clear(&msg);
}
END_TEST

START_TEST(test_era_meta)
{
	parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\"}");
	ck_assert_int_eq(check(MG_ERA_2026, "server/discover", NULL), -32602);
	parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\","
	      "\"params\":{}}");
	ck_assert_int_eq(check(MG_ERA_2026, "server/discover", NULL), -32602);
	parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\","
	      "\"params\":{\"_meta\":{\"io.modelcontextprotocol/"
	      "clientCapabilities\":{}}}}");
	ck_assert_int_eq(check(MG_ERA_2026, "server/discover", NULL), -32602);
	parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\","
	      "\"params\":{\"_meta\":{\"io.modelcontextprotocol/"
	      "protocolVersion\":\"2026-07-28\"}}}");
	ck_assert_int_eq(check(MG_ERA_2026, "server/discover", NULL), -32602);
	/* clientInfo is optional */
	parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\","
	      "\"params\":{" META "}}");
	ck_assert_int_eq(check(MG_ERA_2026, "server/discover", NULL), 0);
	ck_assert_ptr_nonnull(mg_era_client_capability(msg.params, "sampling"));
	ck_assert_ptr_null(mg_era_client_capability(msg.params, "elicitation"));
	mg_rpc_msg_clear(&msg);
}
END_TEST

START_TEST(test_era_version)
{
	mg_era_headers_t h = { "v999", "server/discover", NULL };
	mg_era_err_t     err;
	const char      *text;

	parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\","
	      "\"params\":{" META "}}");
	ck_assert_int_eq(check(NULL, "server/discover", NULL), -32020);
	ck_assert_int_eq(check("v999", "server/discover", NULL), -32020);
	ck_assert_int_eq(check("2025-11-25", "server/discover", NULL), -32020);
	parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\","
	      "\"params\":{\"_meta\":{\"io.modelcontextprotocol/"
	      "protocolVersion\":\"v999\",\"io.modelcontextprotocol/"
	      "clientCapabilities\":{}}}}");
	ck_assert_int_eq(check(MG_ERA_2026, "server/discover", NULL), -32020);
	ck_assert_int_eq(mg_era_check(&h, &msg, supported, 2, &err), MG_ERROR);
	ck_assert_int_eq(err.code, -32022);
	text = json_object_to_json_string_ext(err.data, JSON_C_TO_STRING_PLAIN);
	ck_assert_str_eq(text,
	    "{\"supported\":[\"2025-11-25\",\"2026-07-28\"],"
	    "\"requested\":\"v999\"}");
	mg_era_err_clear(&err);
	ck_assert_ptr_null(err.data);
	/* no list: whoever answers decides */
	ck_assert_int_eq(mg_era_check(&h, &msg, NULL, 0, &err), MG_OK);
	mg_rpc_msg_clear(&msg);
}
END_TEST

START_TEST(test_era_headers)
{
	parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	      "\"params\":{\"name\":\"echo\",\"arguments\":{}," META "}}");
	ck_assert_int_eq(check(MG_ERA_2026, "tools/call", "echo"), 0);
	ck_assert_int_eq(check(MG_ERA_2026, " tools/call\t", "  echo "), 0);
	ck_assert_int_eq(check(MG_ERA_2026, NULL, "echo"), -32020);
	ck_assert_int_eq(check(MG_ERA_2026, "tools/list", "echo"), -32020);
	ck_assert_int_eq(check(MG_ERA_2026, "Tools/Call", "echo"), -32020);
	ck_assert_int_eq(check(MG_ERA_2026, "tools/call", NULL), -32020);
	ck_assert_int_eq(check(MG_ERA_2026, "tools/call", "wrong"), -32020);
	ck_assert_int_eq(check(MG_ERA_2026, "tools/call", "ECHO"), -32020);
	/* "echo" in Base64, and broken encodings */
	ck_assert_int_eq(
	    check(MG_ERA_2026, "tools/call", "=?base64?ZWNobw==?="), 0);
	ck_assert_int_eq(
	    check(MG_ERA_2026, "tools/call", "=?base64?ZWNobw?="), -32020);
	ck_assert_int_eq(
	    check(MG_ERA_2026, "tools/call", "=?base64?ZW!!obw==?="), -32020);
	/* no prefix or no suffix: a literal value */
	ck_assert_int_eq(check(MG_ERA_2026, "tools/call", "ZWNobw=="), -32020);
	/* resources/read names its uri; tools/list names nothing */
	parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\","
	      "\"params\":{\"uri\":\"test://a\"," META "}}");
	ck_assert_int_eq(check(MG_ERA_2026, "resources/read", "test://a"), 0);
	ck_assert_int_eq(
	    check(MG_ERA_2026, "resources/read", "test://b"), -32020);
	parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\","
	      "\"params\":{" META "}}");
	ck_assert_int_eq(check(MG_ERA_2026, "tools/list", NULL), 0);
	/* a notification needs no _meta, but its headers must agree */
	parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\"}");
	ck_assert_int_eq(
	    check(MG_ERA_2026, "notifications/cancelled", NULL), 0);
	ck_assert_int_eq(check(MG_ERA_2026, "tools/list", NULL), -32020);
	mg_rpc_msg_clear(&msg);
}
END_TEST

START_TEST(test_era_header_value)
{
	char out[8];

	ck_assert_int_eq(
	    mg_era_header_value("=?base64?SGVsbG8=?=", out, sizeof(out)),
	    MG_OK);
	ck_assert_str_eq(out, "Hello");
	ck_assert_int_eq(
	    mg_era_header_value("=?base64?SGVsbG8=", out, sizeof(out)),
	    MG_ERROR); /* too long as a literal for OUT */
	ck_assert_int_eq(
	    mg_era_header_value("=?base64?AA==?=", out, sizeof(out)), MG_ERROR);
	ck_assert_int_eq(
	    mg_era_header_value("=?base64?=AAA?=", out, sizeof(out)), MG_ERROR);
	ck_assert_int_eq(
	    mg_era_header_value("=?base64?\?=", out, sizeof(out)), MG_ERROR);
	ck_assert_int_eq(
	    mg_era_header_value("0123456789", out, sizeof(out)), MG_ERROR);
	ck_assert_int_eq(
	    mg_era_header_value(" \t a b \t", out, sizeof(out)), MG_OK);
	ck_assert_str_eq(out, "a b");
}
END_TEST

/* What a gateway sends as Mcp-Name reads back as the name. */
START_TEST(test_era_header_add)
{
	static const char *const names[] = { "echo", "caf\xc3\xa9", " x", "a",
		"ab", "abc", "=?base64?x?=", "tab\there" };
	struct evbuffer         *b = evbuffer_new();
	char                     line[256], value[64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n;

		mg_era_header_add(b, "Mcp-Name", names[i]);
		n = evbuffer_get_length(b);
		ck_assert_uint_lt(n, sizeof(line));
		evbuffer_remove(b, line, n);
		line[n] = '\0';
		ck_assert(strncmp(line, "Mcp-Name: ", 10) == 0);
		ck_assert_str_eq(line + n - 2, "\r\n");
		line[n - 2] = '\0';
		ck_assert_int_eq(
		    mg_era_header_value(line + 10, value, sizeof(value)),
		    MG_OK);
		ck_assert_str_eq(value, names[i]);
	}
	evbuffer_add(b, "", 0);
	mg_era_header_add(b, "Mcp-Name", "echo");
	ck_assert_uint_eq(evbuffer_get_length(b), strlen("Mcp-Name: echo\r\n"));
	evbuffer_free(b);
}
END_TEST

static const char *param_headers[2][2];

static const char *
param_header(void *arg, const char *name)
{
	for (int i = 0; i < 2; i++)
		if (param_headers[i][0] &&
		    strcmp(param_headers[i][0], name) == 0)
			return param_headers[i][1];
	return NULL;
}

/* Check ARGS (JSON) against the schema with header Mcp-Param-Region set
 * to V (NULL: absent): the error code, or 0. */
static int
params(const char *args, const char *v)
{
	struct json_object *schema = json_tokener_parse(
	    "{\"type\":\"object\",\"properties\":{\"region\":{\"type\":"
	    "\"string\",\"x-mcp-header\":\"Region\"},\"n\":{\"type\":"
	    "\"number\",\"x-mcp-header\":\"N\"},\"plain\":{\"type\":"
	    "\"string\"}}}");
	struct json_object *a = json_tokener_parse(args);
	mg_era_err_t        err;
	int                 code = 0;

	param_headers[0][0] = "Mcp-Param-Region";
	param_headers[0][1] = v;
	if (mg_era_check_params(schema, a, param_header, NULL, &err) != MG_OK) {
		ck_assert_int_eq(err.status, 400);
		code = err.code;
		mg_era_err_clear(&err);
	}
	json_object_put(schema);
	json_object_put(a);
	return code;
}

START_TEST(test_era_params)
{
	ck_assert_int_eq(params("{\"region\":\"Hello\"}", "Hello"), 0);
	ck_assert_int_eq(params("{\"region\":\"Hello\"}", " Hello "), 0);
	ck_assert_int_eq(
	    params("{\"region\":\"Hello\"}", "=?base64?SGVsbG8=?="), 0);
	ck_assert_int_eq(
	    params("{\"region\":\"Hello\"}", "=?base64?SGVsbG8?="), -32020);
	ck_assert_int_eq(
	    params("{\"region\":\"Hello\"}", "=?base64?SGVs!!!bG8=?="), -32020);
	ck_assert_int_eq(params("{\"region\":\"SGVsbG8=\"}", "SGVsbG8="), 0);
	ck_assert_int_eq(
	    params("{\"region\":\"=?base64?SGVsbG8=\"}", "=?base64?SGVsbG8="),
	    0);
	ck_assert_int_eq(params("{\"region\":\"x\"}", NULL), -32020);
	ck_assert_int_eq(params("{\"region\":\"x\"}", "y"), -32020);
	/* absent or null arguments need no header; unannotated ones none */
	ck_assert_int_eq(params("{}", NULL), 0);
	ck_assert_int_eq(params("{\"region\":null,\"plain\":\"p\"}", NULL), 0);
	/* a number compares numerically */
	param_headers[1][0] = "Mcp-Param-N";
	param_headers[1][1] = "42.0";
	ck_assert_int_eq(params("{\"n\":42}", NULL), 0);
	param_headers[1][1] = "42x";
	ck_assert_int_eq(params("{\"n\":42}", NULL), -32020);
	param_headers[1][0] = NULL;
}
END_TEST

Suite *
era_suite(void)
{
	Suite *s = suite_create("era");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_era_detect);
	tcase_add_test(tc, test_era_meta);
	tcase_add_test(tc, test_era_version);
	tcase_add_test(tc, test_era_headers);
	tcase_add_test(tc, test_era_header_value);
	tcase_add_test(tc, test_era_header_add);
	tcase_add_test(tc, test_era_params);
	suite_add_tcase(s, tc);
	return s;
}
