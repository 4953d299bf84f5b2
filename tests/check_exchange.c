/*
 * The exchange and its dispatch (worker/dispatch.c, call.c, exchange.c)
 * on the built-in demo server, in-process: initialize opens a session,
 * requests become calls answered as JSON, a notification first turns the
 * answer into a stream, batches (2025-03-26), notifications and the
 * stateless revision's server/discover.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "mcpgw.h"
#include "exchange.h"
#include "mcp_drive.h"
#include "suites.h"

#define POST_HEADERS                                                           \
	"Host: localhost\r\n"                                                  \
	"Accept: application/json, text/event-stream\r\n"                      \
	"Content-Type: application/json\r\n"

static const char conf[] = "server {\n"
			   "    listen 127.0.0.1:1;\n"
			   "    location /mcp { mcp_builtin demo; }\n"
			   "}\n";

static mg_drive_t       *d;
static mg_drive_answer_t a;
static char              sid[512];

static void
setup(void)
{
	d = mg_drive_new(conf);
	ck_assert_ptr_nonnull(d);
}

static void
teardown(void)
{
	mg_drive_free(d);
}

static void
post(const char *extra, const char *body, int status, const char *want)
{
	char headers[2048];

	snprintf(headers, sizeof(headers), "%s%s", POST_HEADERS, extra);
	ck_assert_int_eq(mg_drive(d, "POST", "/mcp", headers, body, &a), MG_OK);
	ck_assert_msg(a.status == status, "status %d, not %d: %s", a.status,
	    status, a.body);
	ck_assert_msg(
	    strstr(a.body, want) != NULL, "no \"%s\" in %s", want, a.body);
}

/* initialize on VERSION: the session id, in SID's header form. */
static void
initialize(const char *version)
{
	char body[512], v[400];

	snprintf(body, sizeof(body),
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
	    "\"params\":{\"protocolVersion\":\"%s\",\"capabilities\":{},"
	    "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
	    version);
	post("", body, 200, "\"protocolVersion\"");
	ck_assert_ptr_nonnull(
	    mg_drive_header(&a, "Mcp-Session-Id", v, sizeof(v)));
	snprintf(sid, sizeof(sid),
	    "Mcp-Session-Id: %s\r\nMCP-Protocol-Version: %s\r\n", v, version);
}

/* The metrics' compare of a tool name with the route's last, a word at a
 * time: every length up to 63 against the same name, a name one byte
 * longer or shorter, one byte changed, and garbage after the request's
 * NUL (an array written before with a longer name). */
START_TEST(ex_same_tool)
{
	char known[64], s[64];

	for (size_t len = 0; len < sizeof(known); len++) {
		memset(known, 0, sizeof(known));
		memset(known, 'a', len);
		memset(s, 'Z', sizeof(s));
		memcpy(s, known, len + 1);
		ck_assert_int_eq(mg_wmetrics_same_tool(known, len, s), 1);
		if (len + 1 < sizeof(s)) {
			s[len] = 'a'; /* longer by one */
			s[len + 1] = '\0';
			ck_assert_int_eq(
			    mg_wmetrics_same_tool(known, len, s), 0);
			s[len] = '\0';
		}
		if (len > 0) {
			s[len - 1] = '\0'; /* shorter by one */
			ck_assert_int_eq(
			    mg_wmetrics_same_tool(known, len, s), 0);
			s[len - 1] = 'a';
			for (size_t k = 0; k < len;
			     k++) { /* one byte differs */
				s[k] = 'b';
				ck_assert_int_eq(
				    mg_wmetrics_same_tool(known, len, s), 0);
				s[k] = 'a';
			}
		}
		ck_assert_int_eq(mg_wmetrics_same_tool(known, len, s), 1);
	}
}
END_TEST

START_TEST(ex_initialize)
{
	initialize("2025-06-18");
	ck_assert_ptr_nonnull(strstr(a.body, "\"2025-06-18\""));
	ck_assert_ptr_nonnull(strstr(a.head, "application/json"));
	/* an unknown version: the newest we have */
	initialize("2024-01-01");
	ck_assert_ptr_nonnull(strstr(a.body, "\"2025-11-25\""));
	post("",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
	    "\"params\":{}}",
	    400, "initialize needs params.protocolVersion");
}
END_TEST

START_TEST(ex_call_json)
{
	initialize("2025-06-18");
	post(sid,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":"
	    "\"hi\"}}}",
	    200, "echo: hi");
	ck_assert_ptr_nonnull(strstr(a.body, "\"id\":\"a\""));
	ck_assert_ptr_nonnull(strstr(a.head, "application/json"));
	post(sid, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"}", 200,
	    "-32601");
}
END_TEST

/* A notification before the answer: the answer is a stream. */
START_TEST(ex_call_stream)
{
	initialize("2025-11-25");
	post(sid,
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"progress\",\"arguments\":{\"steps\":2},"
	    "\"_meta\":{\"progressToken\":\"p\"}}}",
	    200, "notifications/progress");
	ck_assert_ptr_nonnull(strstr(a.head, "text/event-stream"));
	ck_assert_ptr_nonnull(strstr(a.body, "\"id\":3"));
}
END_TEST

START_TEST(ex_no_session)
{
	/* ping needs none; anything else does */
	post("", "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}", 200,
	    "\"result\":{}");
	post("", "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\"}",
	    400, "Mcp-Session-Id header is required");
	post("Mcp-Session-Id: forged\r\n",
	    "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\"}", 404,
	    "Session not found");
}
END_TEST

START_TEST(ex_notification)
{
	initialize("2025-06-18");
	post(sid,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
	    202, "");
	post(sid, "{\"jsonrpc\":", 400, "Parse error");
}
END_TEST

START_TEST(ex_batch)
{
	initialize("2025-03-26");
	post(sid,
	    "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},"
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":"
	    "\"b\"}}}]",
	    200, "echo: b");
	ck_assert_int_eq(a.body[0], '[');
	ck_assert_ptr_nonnull(strstr(a.body, "\"id\":1"));
	/* batches went away in 2025-06-18 */
	initialize("2025-06-18");
	post(sid, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", 400,
	    "batches are not supported");
}
END_TEST

START_TEST(ex_discover)
{
	post("MCP-Protocol-Version: 2026-07-28\r\n"
	     "Mcp-Method: server/discover\r\n",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\","
	    "\"params\":{\"_meta\":{\"io.modelcontextprotocol/"
	    "protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/"
	    "clientCapabilities\":{}}}}",
	    200, "supportedVersions");
	ck_assert_ptr_nonnull(strstr(a.body, "\"resultType\":\"complete\""));
}
END_TEST

Suite *
exchange_suite(void)
{
	Suite *s = suite_create("exchange");
	TCase *tc = tcase_create("exchange");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ex_initialize);
	tcase_add_test(tc, ex_same_tool);
	tcase_add_test(tc, ex_call_json);
	tcase_add_test(tc, ex_call_stream);
	tcase_add_test(tc, ex_no_session);
	tcase_add_test(tc, ex_notification);
	tcase_add_test(tc, ex_batch);
	tcase_add_test(tc, ex_discover);
	suite_add_tcase(s, tc);
	return s;
}
