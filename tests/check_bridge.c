/*
 * The bridge's translations: discover from initialize and back, a 2025
 * request with the new era's _meta, which results are cacheable, and a
 * 2025 server's requests to its client as a 2026-07-28 client's input.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bridge.h"
#include "ipc.h"
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

	/* listChanged and subscribe kept: the bridge serves listens */
	ck_assert_str_eq(text(r),
	    "{\"capabilities\":{\"tools\":{\"listChanged\":true},"
	    "\"resources\":{\"subscribe\":true,\"listChanged\":true},"
	    "\"logging\":{}},"
	    "\"instructions\":\"hi\",\"_meta\":{\"io.modelcontextprotocol/"
	    "serverInfo\":{\"name\":\"s\",\"version\":\"1\"}},"
	    "\"supportedVersions\":[\"2025-11-25\",\"2026-07-28\"],"
	    "\"ttlMs\":0,\"cacheScope\":\"private\"}");
	/* the initialize result is left as it was */
	ck_assert_ptr_nonnull(strstr(text(init), "listChanged"));
	ck_assert_ptr_ne(json_object_object_get(init, "capabilities"),
	    json_object_object_get(r, "capabilities"));
	json_object_put(r);
	json_object_put(init);
	/* nothing to go on: empty capabilities, no _meta */
	r = mg_bridge_discover_from_initialize(NULL, v, 1);
	ck_assert_str_eq(text(r),
	    "{\"capabilities\":{},\"supportedVersions\":[\"2025-11-25\"],"
	    "\"ttlMs\":0,\"cacheScope\":\"private\"}");
	json_object_put(r);
}
END_TEST

START_TEST(test_bridge_initialize_from_discover)
{
	struct json_object *d = json_tokener_parse(
	    "{\"supportedVersions\":[\"2026-07-28\"],\"capabilities\":{"
	    "\"prompts\":{\"listChanged\":true},\"resources\":{\"subscribe\":"
	    "true,\"listChanged\":true}},\"_meta\":{\"io."
	    "modelcontextprotocol/serverInfo\":{\"name\":\"up\",\"version\":"
	    "\"2\"}},\"resultType\":\"complete\"}");
	struct json_object *r =
	    mg_bridge_initialize_from_discover(d, "2025-06-18");

	/* subscribe and listChanged kept: the connector's listen per
	 * session brings updates and list changes to the GET stream */
	ck_assert_str_eq(text(r),
	    "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"prompts\":"
	    "{\"listChanged\":true},\"resources\":{\"subscribe\":true,"
	    "\"listChanged\":true}},\"serverInfo\":{\"name\":\"up\","
	    "\"version\":\"2\"}}");
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

START_TEST(test_bridge_ask_need)
{
	ck_assert_int_eq(
	    mg_bridge_ask_need("elicitation/create"), MG_REQ_F_ELICIT);
	ck_assert_int_eq(
	    mg_bridge_ask_need("sampling/createMessage"), MG_REQ_F_SAMPLE);
	ck_assert_int_eq(mg_bridge_ask_need("roots/list"), MG_REQ_F_ROOTS);
	ck_assert_int_eq(mg_bridge_ask_need("ping"), 0);
	ck_assert_int_eq(mg_bridge_ask_need("tools/call"), -1);
	ck_assert_int_eq(mg_bridge_ask_need(NULL), -1);
}
END_TEST

START_TEST(test_bridge_input_key)
{
	struct json_object *hinted = json_tokener_parse(
	    "{\"id\":3,\"method\":\"roots/list\",\"params\":{\"_meta\":{"
	    "\"mcpgw/inputKey\":\"client_roots\"}}}");
	struct json_object *plain =
	    json_tokener_parse("{\"id\":\"a7\",\"method\":\"roots/list\"}");
	struct json_object *numeric = json_tokener_parse(
	    "{\"id\":12,\"method\":\"roots/list\",\"params\":{\"_meta\":{"
	    "\"mcpgw/inputKey\":5}}}");
	struct json_object *taken = json_tokener_parse("{\"client_roots\":{}}");
	char                key[MG_BRIDGE_KEY_MAX + 8];

	mg_bridge_input_key(hinted, NULL, key, sizeof(key));
	ck_assert_str_eq(key, "client_roots");
	/* a key in use already: the id decides */
	mg_bridge_input_key(hinted, taken, key, sizeof(key));
	ck_assert_str_eq(key, "input-3");
	mg_bridge_input_key(plain, NULL, key, sizeof(key));
	ck_assert_str_eq(key, "input-a7");
	/* a hint that is not a string is no hint */
	mg_bridge_input_key(numeric, NULL, key, sizeof(key));
	ck_assert_str_eq(key, "input-12");
	json_object_put(hinted);
	json_object_put(plain);
	json_object_put(numeric);
	json_object_put(taken);
}
END_TEST

START_TEST(test_bridge_input_request)
{
	struct json_object *m = json_tokener_parse(
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"elicitation/create\","
	    "\"params\":{\"message\":\"Name?\",\"_meta\":{\"mcpgw/inputKey\":"
	    "\"user_name\"}}}");
	struct json_object *kept = json_tokener_parse(
	    "{\"id\":4,\"method\":\"roots/list\",\"params\":{\"_meta\":{"
	    "\"mcpgw/inputKey\":\"r\",\"x\":1}}}");
	struct json_object *r = mg_bridge_input_request(m);

	ck_assert_str_eq(text(r),
	    "{\"method\":\"elicitation/create\",\"params\":{\"message\":"
	    "\"Name?\"}}");
	json_object_put(r);
	r = mg_bridge_input_request(kept);
	ck_assert_str_eq(text(r),
	    "{\"method\":\"roots/list\",\"params\":{\"_meta\":{\"x\":1}}}");
	/* the message itself is left as it was */
	ck_assert_ptr_nonnull(strstr(text(kept), "mcpgw/inputKey"));
	json_object_put(r);
	json_object_put(m);
	json_object_put(kept);
}
END_TEST

START_TEST(test_bridge_request_for_session)
{
	static const char body[] =
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"t\",\"inputResponses\":{\"k\":{\"a\":1}},"
	    "\"requestState\":\"s\"}}";
	struct json_object *answers;
	size_t              len;
	char               *out = mg_bridge_request_for_session(
			  body, strlen(body), "mcpgw-9", &answers, &len);

	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"mcpgw-9\",\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"t\"}}");
	ck_assert_uint_eq(len, strlen(out));
	ck_assert_str_eq(text(answers), "{\"k\":{\"a\":1}}");
	free(out);
	json_object_put(answers);
	/* a response, or no JSON: not a request, left alone */
	ck_assert_ptr_null(mg_bridge_request_for_session(
	    "{\"id\":1,\"result\":{}}", 20, "x", &answers, &len));
	ck_assert_ptr_null(answers);
	ck_assert_ptr_null(
	    mg_bridge_request_for_session("{\"id\"", 5, "x", &answers, &len));
}
END_TEST

/* A notification gets no id (it would become a request the upstream
 * answers), but loses the new era's _meta keys as a request does. */
START_TEST(test_bridge_notification_for_session)
{
	static const char note[] =
	    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	    "\"params\":{\"requestId\":3,\"_meta\":{"
	    "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}";
	struct json_object *answers;
	size_t              len;
	char               *out;

	ck_assert_ptr_null(mg_bridge_request_for_session(
	    note, strlen(note), "mcpgw-3", &answers, &len));
	ck_assert_ptr_null(answers);
	out = mg_bridge_notification_for_session(note, strlen(note), &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	    "\"params\":{\"requestId\":3}}");
	ck_assert_uint_eq(len, strlen(out));
	free(out);
	/* a request, a response, no JSON: not a notification */
	ck_assert_ptr_null(mg_bridge_notification_for_session(
	    "{\"id\":1,\"method\":\"ping\"}", 24, &len));
	ck_assert_ptr_null(mg_bridge_notification_for_session(
	    "{\"id\":1,\"result\":{}}", 20, &len));
	ck_assert_ptr_null(mg_bridge_notification_for_session("{", 1, &len));
}
END_TEST

/* A strict 2025-11-25 server refuses a body whose _meta names another
 * version than its header: the new era's envelope keys go, the keys both
 * eras have stay, an emptied _meta goes too. */
START_TEST(test_bridge_meta_to_2025)
{
	static const char kept[] =
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"t\",\"_meta\":{"
	    "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
	    "\"io.modelcontextprotocol/clientCapabilities\":{\"sampling\":{}},"
	    "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"c\","
	    "\"version\":\"1\"},"
	    "\"io.modelcontextprotocol/logLevel\":\"debug\","
	    "\"progressToken\":7,"
	    "\"io.modelcontextprotocol/related-task\":{\"taskId\":\"x\"},"
	    "\"example.com/mine\":true}}}";
	static const char emptied[] =
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\","
	    "\"params\":{\"_meta\":{"
	    "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
	    "\"io.modelcontextprotocol/clientCapabilities\":{}}}}";
	struct json_object *answers;
	size_t              len;
	char               *out = mg_bridge_request_for_session(
			  kept, strlen(kept), "mcpgw-1", &answers, &len);

	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"mcpgw-1\",\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"t\",\"_meta\":{\"progressToken\":7,"
	    "\"io.modelcontextprotocol/related-task\":{\"taskId\":\"x\"},"
	    "\"example.com/mine\":true}}}");
	ck_assert_ptr_null(answers);
	free(out);
	out = mg_bridge_request_for_session(
	    emptied, strlen(emptied), "mcpgw-2", &answers, &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"mcpgw-2\",\"method\":\"tools/list\","
	    "\"params\":{}}");
	free(out);
}
END_TEST

START_TEST(test_bridge_log_passes)
{
	struct json_object *warn = json_tokener_parse(
			       "{\"level\":\"warning\",\"data\":\"w\"}"),
			   *odd = json_tokener_parse("{\"level\":\"loud\"}");

	/* not asked: nothing, whatever the level */
	ck_assert(!mg_bridge_log_passes(mg_bridge_log_rank(NULL), warn));
	ck_assert(!mg_bridge_log_passes(mg_bridge_log_rank(""), warn));
	ck_assert(!mg_bridge_log_passes(mg_bridge_log_rank("verbose"), warn));
	/* asked: at or above the level */
	ck_assert(mg_bridge_log_passes(mg_bridge_log_rank("debug"), warn));
	ck_assert(mg_bridge_log_passes(mg_bridge_log_rank("warning"), warn));
	ck_assert(!mg_bridge_log_passes(mg_bridge_log_rank("error"), warn));
	/* a level the revision does not name counts as the most severe */
	ck_assert(mg_bridge_log_passes(mg_bridge_log_rank("emergency"), odd));
	json_object_put(warn);
	json_object_put(odd);
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
	tcase_add_test(tc, test_bridge_ask_need);
	tcase_add_test(tc, test_bridge_input_key);
	tcase_add_test(tc, test_bridge_input_request);
	tcase_add_test(tc, test_bridge_request_for_session);
	tcase_add_test(tc, test_bridge_notification_for_session);
	tcase_add_test(tc, test_bridge_meta_to_2025);
	tcase_add_test(tc, test_bridge_log_passes);
	suite_add_tcase(s, tc);
	return s;
}
