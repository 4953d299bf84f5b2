/*
 * The phases of a request on an MCP endpoint (worker/phase.h): which
 * handler refuses what, and in which order they run, so that a request
 * with several faults gets the refusal it always got; and the message
 * phase's policy (mcp_deny: methods, names, globs, batches, the routing
 * headers of 2026-07-28).
 */
#include "config.h"

#include <string.h>

#include "mcpgw.h"
#include "mcp_drive.h"
#include "suites.h"

#define JSON_POST                                                              \
	"Accept: application/json, text/event-stream\r\n"                      \
	"Content-Type: application/json\r\n"

static const char conf[] =
    "worker_processes 1;\n"
    "server {\n"
    "    listen 127.0.0.1:1;\n"
    "    server_name mcp.example;\n"
    "    location /mcp { mcp_builtin demo; max_hops 3; }\n"
    "    location /deny {\n"
    "        mcp_builtin demo;\n"
    "        mcp_deny tools/call \"sl*\";\n"
    "        mcp_deny prompts/get;\n"
    "    }\n"
    "}\n";

static mg_drive_t       *d;
static mg_drive_answer_t a;

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

/* Send, and expect STATUS with WANT in the body. */
static void
expect(const char *method, const char *path, const char *headers,
    const char *body, int status, const char *want)
{
	ck_assert_int_eq(mg_drive(d, method, path, headers, body, &a), MG_OK);
	ck_assert_msg(a.status == status, "%s %s: status %d, not %d: %s",
	    method, path, a.status, status, a.body);
	ck_assert_msg(strstr(a.body, want) != NULL, "%s %s: no \"%s\" in %s",
	    method, path, want, a.body);
}

START_TEST(head_host)
{
	expect("GET", "/mcp", "Host: evil.example\r\n", NULL, 403,
	    "Forbidden: Host not allowed");
	/* a local name and our own pass the head phase (and meet the
	 * transport's own rules) */
	expect(
	    "GET", "/mcp", "Host: localhost\r\n", NULL, 406, "Not Acceptable");
	expect("GET", "/mcp", "Host: mcp.example:8080\r\n", NULL, 406,
	    "Not Acceptable");
}
END_TEST

START_TEST(head_origin)
{
	expect("GET", "/mcp",
	    "Host: localhost\r\nOrigin: http://evil.example\r\n", NULL, 403,
	    "Forbidden: Origin not allowed");
	expect("GET", "/mcp",
	    "Host: localhost\r\nOrigin: http://localhost:3000\r\n", NULL, 406,
	    "Not Acceptable");
	expect("GET", "/mcp", "Host: localhost\r\nOrigin: garbage\r\n", NULL,
	    403, "Origin not allowed");
}
END_TEST

START_TEST(head_hops)
{
	expect("GET", "/mcp", "Host: localhost\r\nMcp-Gateway-Hops: 3\r\n",
	    NULL, 508,
	    "loop detected: the request crossed 3 gateways (max_hops 3)");
	expect("GET", "/mcp", "Host: localhost\r\nMcp-Gateway-Hops: 2\r\n",
	    NULL, 406, "Not Acceptable");
}
END_TEST

START_TEST(head_version)
{
	expect("GET", "/mcp",
	    "Host: localhost\r\nMCP-Protocol-Version: 2026-07-28\r\n", NULL,
	    405, "2026-07-28 has no GET stream");
	expect("DELETE", "/mcp",
	    "Host: localhost\r\nMCP-Protocol-Version: 1999-01-01\r\n", NULL,
	    400, "unsupported MCP-Protocol-Version");
}
END_TEST

/* Several faults: the first row of the table that sees one refuses. */
START_TEST(head_order)
{
	/* Host before Origin */
	expect("GET", "/mcp",
	    "Host: evil.example\r\nOrigin: http://evil.example\r\n", NULL, 403,
	    "Host not allowed");
	/* Origin before the version */
	expect("GET", "/mcp",
	    "Host: localhost\r\nOrigin: http://evil.example\r\n"
	    "MCP-Protocol-Version: 2026-07-28\r\n",
	    NULL, 403, "Origin not allowed");
	/* the version before the hop count */
	expect("GET", "/mcp",
	    "Host: localhost\r\nMCP-Protocol-Version: 2026-07-28\r\n"
	    "Mcp-Gateway-Hops: 9\r\n",
	    NULL, 405, "2026-07-28 has no GET stream");
	/* the hop count before the method */
	expect("PUT", "/mcp", "Host: localhost\r\nMcp-Gateway-Hops: 9\r\n",
	    NULL, 508, "loop detected");
	/* every head check before the content phase's own rules */
	expect("POST", "/mcp", "Host: localhost\r\nMcp-Gateway-Hops: 9\r\n",
	    "{", 508, "loop detected");
}
END_TEST

START_TEST(content_methods)
{
	expect("PUT", "/mcp", "Host: localhost\r\n", NULL, 405,
	    "Method Not Allowed");
	ck_assert_ptr_nonnull(strstr(a.head, "Allow: GET, POST, DELETE"));
	expect("POST", "/mcp",
	    "Host: localhost\r\nAccept: text/event-stream\r\n", "{}", 406,
	    "Accept must list application/json");
	expect("POST", "/mcp",
	    "Host: localhost\r\nAccept: application/json, "
	    "text/event-stream\r\nContent-Type: text/plain\r\n",
	    "{}", 415, "Content-Type must be application/json");
	expect("DELETE", "/mcp", "Host: localhost\r\n", NULL, 400,
	    "Mcp-Session-Id header is required");
}
END_TEST

START_TEST(message_deny)
{
	/* denied by method and glob, whatever the session */
	expect("POST", "/deny", "Host: localhost\r\n" JSON_POST,
	    "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"sleep\"}}",
	    403, "Forbidden: tools/call sleep is not allowed here");
	ck_assert_ptr_nonnull(strstr(a.body, "\"id\":7"));
	/* a rule without a name: every prompt */
	expect("POST", "/deny", "Host: localhost\r\n" JSON_POST,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\","
	    "\"params\":{\"name\":\"any\"}}",
	    403, "prompts/get any is not allowed");
	/* not matched: on to the content phase (which wants a session) */
	expect("POST", "/deny", "Host: localhost\r\n" JSON_POST,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"echo\"}}",
	    400, "Mcp-Session-Id header is required");
	/* no rules on the location: nothing denied */
	expect("POST", "/mcp", "Host: localhost\r\n" JSON_POST,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"sleep\"}}",
	    400, "Mcp-Session-Id header is required");
}
END_TEST

START_TEST(message_deny_batch)
{
	/* one element of a batch denied: the whole POST, under its id */
	expect("POST", "/deny",
	    "Host: localhost\r\nMCP-Protocol-Version: 2025-03-26\r\n" JSON_POST,
	    "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"slow\"}}]",
	    403, "tools/call slow is not allowed");
	ck_assert_ptr_nonnull(strstr(a.body, "\"id\":2"));
}
END_TEST

/* 2026-07-28 is judged on Mcp-Method and Mcp-Name before its body is
 * parsed: a denied request gets 403 even with a body that is no JSON. */
START_TEST(message_deny_headers)
{
	expect("POST", "/deny",
	    "Host: localhost\r\nMCP-Protocol-Version: 2026-07-28\r\n"
	    "Mcp-Method: tools/call\r\nMcp-Name: sleep\r\n" JSON_POST,
	    "{not json", 403, "tools/call sleep is not allowed");
	/* allowed on its headers: the body is then parsed */
	expect("POST", "/deny",
	    "Host: localhost\r\nMCP-Protocol-Version: 2026-07-28\r\n"
	    "Mcp-Method: tools/call\r\nMcp-Name: echo\r\n" JSON_POST,
	    "{not json", 400, "Parse error");
}
END_TEST

/* The message phase comes after the head phase and after the transport's
 * rules for a POST. */
START_TEST(message_order)
{
	expect("POST", "/deny",
	    "Host: localhost\r\nOrigin: http://evil.example\r\n" JSON_POST,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\"}", 403,
	    "Origin not allowed");
	expect("POST", "/deny",
	    "Host: localhost\r\nAccept: application/json\r\n"
	    "Content-Type: application/json\r\n",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\"}", 406,
	    "Not Acceptable");
	/* a version not served is refused before the policy reads the body */
	expect("POST", "/deny",
	    "Host: localhost\r\nMCP-Protocol-Version: 1999-01-01\r\n" JSON_POST,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\"}", 400,
	    "unsupported MCP-Protocol-Version");
}
END_TEST

Suite *
phase_suite(void)
{
	Suite *s = suite_create("phase");
	TCase *tc = tcase_create("phase");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, head_host);
	tcase_add_test(tc, head_origin);
	tcase_add_test(tc, head_hops);
	tcase_add_test(tc, head_version);
	tcase_add_test(tc, head_order);
	tcase_add_test(tc, content_methods);
	tcase_add_test(tc, message_deny);
	tcase_add_test(tc, message_deny_batch);
	tcase_add_test(tc, message_deny_headers);
	tcase_add_test(tc, message_order);
	suite_add_tcase(s, tc);
	return s;
}
