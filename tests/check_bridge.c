/*
 * The bridge's translations: discover from initialize and back, a 2025
 * request with the new era's _meta, which results are cacheable.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bridge.h"
#include "mcpgw.h"
#include "suites.h"

static const char *
text(struct json_object *o)
{
	return json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

START_TEST(test_bridge_discover_from_initialize)
{
	static const char *const v[] = { "2025-11-25", "2026-07-28" };
	struct json_object      *init = json_tokener_parse(
		 "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"tools\":"
		      "{\"listChanged\":true},\"resources\":{\"subscribe\":true,"
		      "\"listChanged\":true},\"logging\":{}},\"serverInfo\":{\"name\":"
		      "\"s\",\"version\":\"1\"},\"instructions\":\"hi\"}");
	struct json_object *r = mg_bridge_discover_from_initialize(init, v, 2);

	ck_assert_str_eq(text(r),
	    "{\"capabilities\":{\"tools\":{},\"resources\":{},\"logging\":{}},"
	    "\"instructions\":\"hi\",\"_meta\":{\"io.modelcontextprotocol/"
	    "serverInfo\":{\"name\":\"s\",\"version\":\"1\"}},"
	    "\"supportedVersions\":[\"2025-11-25\",\"2026-07-28\"]}");
	/* the initialize result is left as it was */
	ck_assert_ptr_nonnull(strstr(text(init), "listChanged"));
	json_object_put(r);
	json_object_put(init);
	/* nothing to go on: empty capabilities, no _meta */
	r = mg_bridge_discover_from_initialize(NULL, v, 1);
	ck_assert_str_eq(text(r),
	    "{\"capabilities\":{},\"supportedVersions\":[\"2025-11-25\"]}");
	json_object_put(r);
}
END_TEST

START_TEST(test_bridge_initialize_from_discover)
{
	struct json_object *d = json_tokener_parse(
	    "{\"supportedVersions\":[\"2026-07-28\"],\"capabilities\":{"
	    "\"prompts\":{\"listChanged\":true}},\"_meta\":{\"io."
	    "modelcontextprotocol/serverInfo\":{\"name\":\"up\",\"version\":"
	    "\"2\"}},\"resultType\":\"complete\"}");
	struct json_object *r =
	    mg_bridge_initialize_from_discover(d, "2025-06-18");

	ck_assert_str_eq(text(r),
	    "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"prompts\":"
	    "{}},\"serverInfo\":{\"name\":\"up\",\"version\":\"2\"}}");
	json_object_put(r);
	json_object_put(d);
	/* a server that does not say its name still gets one (required) */
	d = json_tokener_parse("{\"capabilities\":{}}");
	r = mg_bridge_initialize_from_discover(d, "2025-11-25");
	ck_assert_ptr_nonnull(strstr(text(r), "\"serverInfo\":{\"name\""));
	json_object_put(r);
	json_object_put(d);
}
END_TEST

static char *
to_2026(const char *msg, const char *init)
{
	mg_rpc_msg_t m;
	mg_rpc_err_t err;
	size_t       len = 0;
	char        *out;

	ck_assert_int_eq(mg_rpc_parse(msg, strlen(msg), &m, &err), MG_OK);
	out = mg_bridge_request_to_2026(&m, init, &len);
	if (out != NULL)
		ck_assert_uint_eq(len, strlen(out));
	mg_rpc_msg_clear(&m);
	mg_rpc_err_clear(&err);
	return out;
}

START_TEST(test_bridge_request_to_2026)
{
	char *out = to_2026("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":"
			    "\"tools/call\",\"params\":{\"name\":\"echo\","
			    "\"_meta\":{\"progressToken\":\"t\"}}}",
	    "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{"
	    "\"elicitation\":{}},\"clientInfo\":{\"name\":\"c\"}}");

	ck_assert_str_eq(out,
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"echo\",\"_meta\":{\"progressToken\":\"t\","
	    "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
	    "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":"
	    "{}},\"io.modelcontextprotocol/clientInfo\":{\"name\":\"c\"},"
	    "\"io.modelcontextprotocol/logLevel\":\"info\"}}}");
	free(out);
	/* no params, no initialize params: an empty capabilities object */
	out = to_2026(
	    "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"tools/list\"}",
	    NULL);
	ck_assert_str_eq(out,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"tools/list\","
	    "\"params\":{\"_meta\":{\"io.modelcontextprotocol/"
	    "protocolVersion\":"
	    "\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{},"
	    "\"io.modelcontextprotocol/logLevel\":\"info\"}}}");
	free(out);
	/* a response is not a request */
	ck_assert_ptr_null(
	    to_2026("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", NULL));
}
END_TEST

START_TEST(test_bridge_cacheable)
{
	ck_assert(mg_bridge_cacheable("tools/list"));
	ck_assert(mg_bridge_cacheable("resources/read"));
	ck_assert(mg_bridge_cacheable("resources/templates/list"));
	ck_assert(!mg_bridge_cacheable("tools/call"));
	ck_assert(!mg_bridge_cacheable(NULL));
}
END_TEST

Suite *
bridge_suite(void)
{
	Suite *s = suite_create("bridge");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_bridge_discover_from_initialize);
	tcase_add_test(tc, test_bridge_initialize_from_discover);
	tcase_add_test(tc, test_bridge_request_to_2026);
	tcase_add_test(tc, test_bridge_cacheable);
	suite_add_tcase(s, tc);
	return s;
}
