/*
 * Unit tests for proto/mcpparam.c: the x-mcp-header parameters kept from
 * tools/list pages (and their limits), header lines, and the check of a
 * tools/call's Mcp-Param-* headers as the bridge runs it.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "mcpgw.h"
#include "mcpparam.h"
#include "suites.h"

#define REGION_TOOL                                                            \
	"{\"name\":\"%s\",\"inputSchema\":{\"type\":\"object\","               \
	"\"properties\":{\"region\":{\"type\":\"string\",\"x-mcp-header\":"    \
	"\"Region\"},\"n\":{\"type\":\"number\",\"x-mcp-header\":\"N\"},"      \
	"\"plain\":{\"type\":\"string\"}}}}"

/* A tools/list result: the tools TOOLS (JSON text of an array's
 * members), nextCursor NEXT (NULL: none). */
static struct json_object *
page(const char *tools, const char *next)
{
	char text[4096];

	snprintf(text, sizeof(text), "{\"tools\":[%s]%s%s%s}", tools,
	    next ? ",\"nextCursor\":\"" : "", next ? next : "",
	    next ? "\"" : "");
	return json_tokener_parse(text);
}

static mg_mcpparam_t *
map_of(const char *name)
{
	mg_mcpparam_t      *m = mg_mcpparam_new(8, 8);
	char                tool[1024];
	struct json_object *r;

	snprintf(tool, sizeof(tool), REGION_TOOL, name);
	r = page(tool, NULL);
	ck_assert_ptr_null(mg_mcpparam_add_page(m, r));
	json_object_put(r);
	return m;
}

/* The check of a tools/call of TOOL with ARGS (JSON) and header LINES:
 * its result, the error code in *CODE (0 if none). */
static int
check(const mg_mcpparam_t *m, const char *tool, const char *args,
    const char *lines, int *code)
{
	char                body[1024];
	mg_era_err_t        err;
	struct json_object *id;
	int                 rc;

	snprintf(body, sizeof(body),
	    "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"%s\",\"arguments\":%s}}",
	    tool, args);
	rc = mg_mcpparam_check(
	    m, body, strlen(body), lines, strlen(lines), &err, &id);
	*code = rc == MG_ERROR ? err.code : 0;
	if (rc == MG_ERROR) {
		ck_assert_int_eq(err.status, 400);
		ck_assert_ptr_nonnull(id);
		ck_assert_int_eq(json_object_get_int(id), 7);
		ck_assert_ptr_nonnull(strstr(err.message, "Mcp-Param-"));
	} else
		ck_assert_ptr_null(id);
	mg_era_err_clear(&err);
	json_object_put(id);
	return rc;
}

START_TEST(test_mcpparam_check)
{
	mg_mcpparam_t *m = map_of("echo");
	int            code;

	ck_assert(mg_mcpparam_has(m, "echo"));
	ck_assert_int_eq(check(m, "echo", "{\"region\":\"Hello\"}",
			     "Mcp-Method: tools/call\r\n"
			     "mcp-param-region:  Hello \r\n",
			     &code),
	    MG_OK);
	ck_assert_int_eq(
	    check(m, "echo", "{\"region\":\"Hello\"}",
		"Mcp-Param-Region: =?base64?SGVsbG8=?=\r\n", &code),
	    MG_OK);
	/* missing, different, bad Base64 (padding, alphabet) */
	ck_assert_int_eq(
	    check(m, "echo", "{\"region\":\"x\"}", "Mcp-Name: echo\r\n", &code),
	    MG_ERROR);
	ck_assert_int_eq(code, -32020);
	ck_assert_int_eq(check(m, "echo", "{\"region\":\"x\"}",
			     "Mcp-Param-Region: y\r\n", &code),
	    MG_ERROR);
	ck_assert_int_eq(code, -32020);
	ck_assert_int_eq(check(m, "echo", "{\"region\":\"Hello\"}",
			     "Mcp-Param-Region: =?base64?SGVsbG8?=\r\n", &code),
	    MG_ERROR);
	ck_assert_int_eq(
	    check(m, "echo", "{\"region\":\"Hello\"}",
		"Mcp-Param-Region: =?base64?SGVs!!!bG8=?=\r\n", &code),
	    MG_ERROR);
	/* the first of two headers counts; a number numerically */
	ck_assert_int_eq(check(m, "echo", "{\"region\":\"a\",\"n\":3}",
			     "Mcp-Param-Region: a\r\nMcp-Param-Region: b\r\n"
			     "Mcp-Param-N: 3.0\r\n",
			     &code),
	    MG_OK);
	/* unannotated and absent arguments need none */
	ck_assert_int_eq(
	    check(m, "echo", "{\"plain\":\"p\"}", "", &code), MG_OK);
	/* a tool not held: nothing to check against */
	ck_assert_int_eq(
	    check(m, "other", "{\"region\":\"x\"}", "", &code), MG_DECLINED);
	mg_mcpparam_free(m);
}
END_TEST

START_TEST(test_mcpparam_not_call)
{
	mg_mcpparam_t      *m = map_of("echo");
	mg_era_err_t        err;
	struct json_object *id;
	const char         *list = "{\"jsonrpc\":\"2.0\",\"id\":1,"
				   "\"method\":\"tools/list\"}";

	ck_assert_int_eq(
	    mg_mcpparam_check(m, list, strlen(list), "", 0, &err, &id), MG_OK);
	ck_assert_int_eq(
	    mg_mcpparam_check(m, "{not json", 9, "", 0, &err, &id), MG_OK);
	mg_mcpparam_free(m);
}
END_TEST

START_TEST(test_mcpparam_pages)
{
	mg_mcpparam_t      *m = mg_mcpparam_new(2, 1);
	struct json_object *r;
	char                a[512], b[512], c[512], tools[2048];
	int                 code;

	snprintf(a, sizeof(a), REGION_TOOL, "a");
	snprintf(b, sizeof(b), REGION_TOOL, "b");
	snprintf(c, sizeof(c), REGION_TOOL, "c");
	snprintf(tools, sizeof(tools),
	    "%s,{\"name\":\"plain\",\"inputSchema\":{\"type\":\"object\"}}", a);
	r = page(tools, "p2");
	ck_assert_str_eq(mg_mcpparam_add_page(m, r), "p2");
	json_object_put(r);
	ck_assert(!mg_mcpparam_has(m, "plain"));
	/* one parameter a tool: the second (n) not kept */
	ck_assert_uint_eq(mg_mcpparam_dropped(m), 1);
	snprintf(tools, sizeof(tools), "%s,%s", b, c);
	r = page(tools, NULL);
	ck_assert_ptr_null(mg_mcpparam_add_page(m, r));
	json_object_put(r);
	/* two tools at most: c is not kept, and so not checked */
	ck_assert_uint_eq(mg_mcpparam_count(m), 2);
	ck_assert(mg_mcpparam_has(m, "b") && !mg_mcpparam_has(m, "c"));
	ck_assert_uint_eq(mg_mcpparam_dropped(m), 4);
	ck_assert_int_eq(
	    check(m, "c", "{\"region\":\"x\"}", "", &code), MG_DECLINED);
	/* a tool listed again without its annotation is forgotten */
	r = page(
	    "{\"name\":\"a\",\"inputSchema\":{\"type\":\"object\"}}", NULL);
	mg_mcpparam_add_page(m, r);
	json_object_put(r);
	ck_assert(!mg_mcpparam_has(m, "a"));
	/* junk is ignored */
	r = json_tokener_parse("{\"tools\":[1,{\"name\":2},{\"name\":\"z\","
			       "\"inputSchema\":{\"properties\":[]}}]}");
	ck_assert_ptr_null(mg_mcpparam_add_page(m, r));
	json_object_put(r);
	ck_assert_uint_eq(mg_mcpparam_count(m), 1);
	mg_mcpparam_free(m);
}
END_TEST

START_TEST(test_mcpparam_header)
{
	const char *l = "Mcp-Param-A: one\r\nMcp-Param-AB: two\nX: \r\n";
	char        out[8];

	ck_assert_str_eq(
	    mg_mcpparam_header(l, strlen(l), "mcp-param-a", out, sizeof(out)),
	    " one");
	ck_assert_str_eq(
	    mg_mcpparam_header(l, strlen(l), "Mcp-Param-AB", out, sizeof(out)),
	    " two");
	ck_assert_str_eq(mg_mcpparam_header(l, strlen(l), "X", out, 8), " ");
	ck_assert_ptr_null(
	    mg_mcpparam_header(l, strlen(l), "Mcp-Param", out, sizeof(out)));
	/* cut to fit */
	ck_assert_str_eq(
	    mg_mcpparam_header(l, strlen(l), "Mcp-Param-AB", out, 3), " t");
}
END_TEST

Suite *
mcpparam_suite(void)
{
	Suite *s = suite_create("mcpparam");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_mcpparam_check);
	tcase_add_test(tc, test_mcpparam_not_call);
	tcase_add_test(tc, test_mcpparam_pages);
	tcase_add_test(tc, test_mcpparam_header);
	suite_add_tcase(s, tc);
	return s;
}
