/*
 * The whole-request time limits in the configuration: call_timeout and
 * tool_timeout in an upstream and in a location as parsed, their
 * defaults, every refusal with its exact text and line, and the lookup
 * that gives a request its limit (which directive wins).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_conf.h"
#include "conf.h"

/* An http upstream whose body starts on line 3. */
#define UP(body)                                                               \
	"upstream u {\n"                                                       \
	"server http://127.0.0.1:9/mcp;\n" body "}\n"
/* A server passing /a to upstream u (its body from line 4 when UP's is
 * empty... counted in each refusal). */
#define PASS(loc)                                                              \
	"server {\nlisten 127.0.0.1:8080;\nlocation /a {\n"                    \
	"mcp_pass u;\n" loc "}\n}\n"

static mg_conf_t *
load_ok(const char *text)
{
	char      *err = NULL;
	mg_conf_t *conf = mg_conf_load_string(text, NAME, &err);

	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	return conf;
}

START_TEST(test_timeouts_parse)
{
	mg_conf_t               *conf = load_ok(UP("call_timeout 2s;\n"
								 "tool_timeout slow 300ms;\n"
								 "tool_timeout report 1m30s;\n")
			      PASS("call_timeout 5s;\ntool_timeout up__slow 250ms;\n"));
	const mg_upstream_t     *u = conf->upstreams;
	const mg_location_t     *l = conf->servers->locations;
	const mg_tool_timeout_t *t = u->tool_timeouts;

	ck_assert_int_eq(u->call_timeout, 2000);
	ck_assert_str_eq(t->name, "slow");
	ck_assert_int_eq(t->ms, 300);
	ck_assert_int_eq(t->pos.line, 4);
	ck_assert_str_eq(t->next->name, "report");
	ck_assert_int_eq(t->next->ms, 90000);
	ck_assert_ptr_null(t->next->next);
	ck_assert_int_eq(l->call_timeout, 5000);
	ck_assert_str_eq(l->tool_timeouts->name, "up__slow");
	ck_assert_int_eq(l->tool_timeouts->ms, 250);
	mg_conf_free(conf);
}
END_TEST

/* Nothing written: no limit anywhere (read_timeout stays the only one). */
START_TEST(test_timeouts_defaults)
{
	mg_conf_t *conf = load_ok(UP("") PASS(""));

	ck_assert_int_eq(conf->upstreams->call_timeout, 0);
	ck_assert_ptr_null(conf->upstreams->tool_timeouts);
	ck_assert_int_eq(conf->servers->locations->call_timeout, 0);
	ck_assert_ptr_null(conf->servers->locations->tool_timeouts);
	ck_assert_int_eq(mg_conf_timeout_of(conf->servers->locations,
			     conf->upstreams, "tools/call", "x", NULL),
	    0);
	mg_conf_free(conf);
}
END_TEST

/* Which one wins: the tool's over the call's, the location's over the
 * upstream's at the same level; the upstream's tool by its own name. */
START_TEST(test_timeouts_lookup)
{
	mg_conf_t           *conf = load_ok(UP("call_timeout 2s;\n"
							 "tool_timeout slow 300ms;\n")
			  PASS("tool_timeout m__fast 100ms;\n"));
	const mg_upstream_t *u = conf->upstreams;
	const mg_location_t *l = conf->servers->locations;

	ck_assert_int_eq(
	    mg_conf_timeout_of(l, u, "tools/call", "slow", NULL), 300);
	ck_assert_int_eq(
	    mg_conf_timeout_of(l, u, "tools/call", "m__slow", "slow"), 300);
	ck_assert_int_eq(
	    mg_conf_timeout_of(l, u, "tools/call", "m__fast", "fast"), 100);
	ck_assert_int_eq(
	    mg_conf_timeout_of(l, u, "tools/call", "other", NULL), 2000);
	/* any request: the call's limit; a tool's name only for tools/call */
	ck_assert_int_eq(
	    mg_conf_timeout_of(l, u, "resources/read", "slow", NULL), 2000);
	ck_assert_int_eq(
	    mg_conf_timeout_of(l, u, "tools/list", NULL, NULL), 2000);
	/* a built-in server's location: its own directives only */
	ck_assert_int_eq(
	    mg_conf_timeout_of(l, NULL, "tools/call", "slow", NULL), 0);
	ck_assert_int_eq(
	    mg_conf_timeout_of(l, NULL, "tools/call", "m__fast", NULL), 100);
	mg_conf_free(conf);
}
END_TEST

/* The location's call_timeout comes before the upstream's. */
START_TEST(test_timeouts_location_first)
{
	mg_conf_t *conf =
	    load_ok(UP("call_timeout 2s;\n") PASS("call_timeout 700ms;\n"));

	ck_assert_int_eq(mg_conf_timeout_of(conf->servers->locations,
			     conf->upstreams, "tools/call", "x", NULL),
	    700);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t timeout_refusals[] = {
	{ UP("call_timeout 0;\n"),
	    "invalid time \"0\" in \"call_timeout\" directive in " NAME ":3" },
	{ UP("call_timeout soon;\n"),
	    "invalid time \"soon\" in \"call_timeout\" directive in " NAME
	    ":3" },
	{ UP("call_timeout 1s;\ncall_timeout 2s;\n"),
	    "\"call_timeout\" directive is duplicate in " NAME ":4" },
	{ UP("call_timeout 2d;\n"),
	    "invalid time \"2d\" in \"call_timeout\" directive in " NAME ":3" },
	{ UP("tool_timeout slow;\n"),
	    "invalid number of arguments in \"tool_timeout\" directive in " NAME
	    ":3" },
	{ UP("tool_timeout slow 0s;\n"),
	    "invalid time \"0s\" in \"tool_timeout\" directive in " NAME ":3" },
	{ UP("tool_timeout slow 1s;\ntool_timeout slow 2s;\n"),
	    "duplicate tool_timeout \"slow\" in " NAME
	    ":4 (first defined in " NAME ":3)" },
	{ PASS("tool_timeout \"\" 1s;\n") UP(""),
	    "invalid tool name \"\" in \"tool_timeout\" directive in " NAME
	    ":5" },
	{ UP("tool_timeout \"a b\" 1s;\n"),
	    "invalid tool name \"a b\" in \"tool_timeout\" directive in " NAME
	    ":3" },
	{ UP("tool_timeout "
	     "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc"
	     " 1s;\n"),
	    "invalid tool name "
	    "\"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc"
	    "\""
	    " in \"tool_timeout\" directive in " NAME ":3" },
	{ "call_timeout 1s;\n" UP(""),
	    "\"call_timeout\" directive is not allowed here in " NAME ":1" },
	{ "server {\nlisten 127.0.0.1:8080;\ntool_timeout a 1s;\n}\n",
	    "\"tool_timeout\" directive is not allowed here in " NAME ":3" },
};

START_TEST(test_timeouts_refused)
{
	const refusal_t *r = &timeout_refusals[_i];
	mg_conf_t       *conf;
	char            *err = NULL;

	conf = mg_conf_load_string(r->text, NAME, &err);
	ck_assert_msg(conf == NULL, "[%d] loaded, wanted: %s", _i, r->error);
	ck_assert_msg(err != NULL && strcmp(err, r->error) == 0,
	    "[%d]: got \"%s\", want \"%s\"", _i, err ? err : "(null)",
	    r->error);
	free(err);
}
END_TEST

TCase *
conf_timeouts_tcase(void)
{
	TCase *tc = tcase_create("call and tool timeouts");

	tcase_add_test(tc, test_timeouts_parse);
	tcase_add_test(tc, test_timeouts_defaults);
	tcase_add_test(tc, test_timeouts_lookup);
	tcase_add_test(tc, test_timeouts_location_first);
	tcase_add_loop_test(
	    tc, test_timeouts_refused, 0, (int)MG_NELEM(timeout_refusals));
	return tc;
}
