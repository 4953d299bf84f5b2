/*
 * Federation in the configuration: mcp_member in both forms, its block's
 * directives, the separators and the timeout as parsed and defaulted, and
 * every refusal with its exact text and position.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_conf.h"
#include "conf.h"

/* Two upstreams (lines 1-2), then a server whose location /f (line 4)
 * holds BODY from line 5 on. */
#define UPS                                                                    \
	"upstream demo { server http://127.0.0.1:9/mcp; }\n"                   \
	"upstream everything { command /bin/true; }\n"
#define FED(body)                                                              \
	UPS "server { listen 127.0.0.1:8080;\n"                                \
	    "location /f {\n" body "}\n}\n"

static mg_conf_t *
load_ok(const char *text)
{
	char      *err = NULL;
	mg_conf_t *conf = mg_conf_load_string(text, NAME, &err);

	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	return conf;
}

START_TEST(test_fed_parse)
{
	mg_conf_t           *conf = load_ok(FED("mcp_member demo;\n"
							  "mcp_member everything {\n"
							  "prefix ev;\n"
							  "tools_allow echo add get_*;\n"
							  "tools_allow sum;\n"
							  "tools_deny long*;\n"
							  "tool_rename echo say;\n"
							  "tool_rename add plus;\n"
							  "}\n"
							  "mcp_name_separator .;\n"
							  "mcp_uri_separator ::;\n"
							  "mcp_member_timeout 2s;\n"));
	const mg_location_t *loc = conf->servers->locations;
	const mg_member_t   *d = loc->members, *e = d->next;

	ck_assert_int_eq(loc->nmembers, 2);
	ck_assert_ptr_null(loc->upstream);
	ck_assert_ptr_null(loc->backend);
	ck_assert_str_eq(d->name, "demo");
	ck_assert_str_eq(d->prefix, "demo");
	ck_assert_ptr_eq(d->upstream, conf->upstreams);
	ck_assert_int_eq(d->index, 0);
	ck_assert_uint_eq(d->allow.n, 0);
	ck_assert_int_eq(d->pos.line, 5);
	ck_assert_str_eq(e->name, "everything");
	ck_assert_str_eq(e->prefix, "ev");
	ck_assert_ptr_eq(e->upstream, conf->upstreams->next);
	ck_assert_int_eq(e->index, 1);
	ck_assert_uint_eq(e->allow.n, 4);
	ck_assert_str_eq(e->allow.v[2], "get_*");
	ck_assert_str_eq(e->allow.v[3], "sum");
	ck_assert_uint_eq(e->deny.n, 1);
	ck_assert_uint_eq(e->rename.n, 4);
	ck_assert_str_eq(e->rename.v[0], "echo");
	ck_assert_str_eq(e->rename.v[1], "say");
	ck_assert_str_eq(e->rename.v[3], "plus");
	ck_assert_ptr_null(e->next);
	ck_assert_str_eq(loc->name_sep, ".");
	ck_assert_str_eq(loc->uri_sep, "::");
	ck_assert_int_eq(loc->member_timeout, 2000);
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_fed_defaults)
{
	mg_conf_t           *conf = load_ok(FED("mcp_member demo;\n"
							  "mcp_member everything { prefix off; }\n"
							  "}\nlocation /p { mcp_pass demo;\n"));
	const mg_location_t *loc = conf->servers->locations;

	ck_assert_str_eq(loc->name_sep, "__");
	ck_assert_str_eq(loc->uri_sep, "+");
	ck_assert_int_eq(loc->member_timeout, 10000);
	ck_assert_ptr_null(loc->members->next->prefix);
	ck_assert_str_eq(loc->members->prefix, "demo");
	/* a plain location is not federated */
	ck_assert_ptr_null(loc->next->members);
	ck_assert_int_eq(loc->next->nmembers, 0);
	ck_assert_ptr_eq(loc->next->upstream, conf->upstreams);
	mg_conf_free(conf);
}
END_TEST

/* 32 members load; the 33rd is refused. */
START_TEST(test_fed_max)
{
	char       text[8192], *p = text, *err = NULL;
	mg_conf_t *conf;
	int        i;

	for (i = 0; i < MG_FED_MAX_MEMBERS + 1; i++)
		p += sprintf(
		    p, "upstream u%d { server http://127.0.0.1:9/; }\n", i);
	p += sprintf(p, "server { listen 127.0.0.1:8080;\nlocation /f {\n");
	for (i = 0; i < MG_FED_MAX_MEMBERS; i++)
		p += sprintf(p, "mcp_member u%d;\n", i);
	strcpy(p, "}\n}\n");
	conf = load_ok(text);
	ck_assert_int_eq(conf->servers->locations->nmembers, 32);
	mg_conf_free(conf);
	sprintf(p, "mcp_member u32;\n}\n}\n");
	ck_assert_ptr_null(mg_conf_load_string(text, NAME, &err));
	ck_assert_str_eq(err,
	    "too many \"mcp_member\" in location \"/f\" (at most 32) in " NAME
	    ":68");
	free(err);
}
END_TEST

static const refusal_t fed_refusals[] = {
	{ FED("mcp_member demo;\nmcp_pass demo;\n"),
	    "location \"/f\" has \"mcp_member\" and \"mcp_pass\": one or the "
	    "other in " NAME ":5" },
	{ FED("mcp_builtin demo;\nmcp_member demo;\n"),
	    "location \"/f\" has \"mcp_member\" and \"mcp_builtin\": one or "
	    "the other in " NAME ":6" },
	{ FED("mcp_member nope;\n"),
	    "location \"/f\" has member \"nope\", which is no upstream in " NAME
	    ":5" },
	{ FED("mcp_member demo;\nmcp_member demo { prefix d2; }\n"),
	    "duplicate mcp_member \"demo\" in " NAME
	    ":6 (first defined in " NAME ":5)" },
	{ FED("mcp_member demo { prefix x; }\n"
	      "mcp_member everything { prefix x; }\n"),
	    "members \"demo\" and \"everything\" have the same prefix \"x\" "
	    "in " NAME ":6" },
	{ FED("mcp_member demo;\nmcp_member everything { prefix demo; }\n"),
	    "members \"demo\" and \"everything\" have the same prefix \"demo\" "
	    "in " NAME ":6" },
	{ FED("mcp_member demo { prefix off; }\n"
	      "mcp_member everything { prefix off; }\n"),
	    "members \"demo\" and \"everything\" both have \"prefix off\": "
	    "one member at most in " NAME ":6" },
	{ FED("mcp_member demo { prefix a__b; }\n"),
	    "the prefix \"a__b\" of member \"demo\" holds the name separator "
	    "\"__\" in " NAME ":5" },
	{ FED("mcp_member demo { prefix a.b; }\nmcp_name_separator .;\n"),
	    "the prefix \"a.b\" of member \"demo\" holds the name separator "
	    "\".\" in " NAME ":5" },
	{ FED("mcp_member demo { prefix a-b; }\nmcp_uri_separator -;\n"),
	    "the prefix \"a-b\" of member \"demo\" holds the URI separator "
	    "\"-\" in " NAME ":5" },
	{ FED("mcp_member demo { prefix a/b; }\n"),
	    "invalid value \"a/b\" in \"prefix\" directive (1 to 64 of A-Z a-z "
	    "0-9 _ . -, or off) in " NAME ":5" },
	{ FED("mcp_member demo { prefix \"\"; }\n"),
	    "invalid value \"\" in \"prefix\" directive (1 to 64 of A-Z a-z "
	    "0-9 _ . -, or off) in " NAME ":5" },
	{ FED("mcp_member demo { prefix "
	      "a123456789012345678901234567890123456789012345678901234567890123"
	      "45;"
	      " }\n"),
	    "invalid value "
	    "\"a123456789012345678901234567890123456789012345678901234567890123"
	    "45"
	    "\" in \"prefix\" directive (1 to 64 of A-Z a-z 0-9 _ . -, or off) "
	    "in " NAME ":5" },
	{ FED("mcp_member demo { prefix a; prefix b; }\n"),
	    "\"prefix\" directive is duplicate in " NAME ":5" },
	{ FED("tools_allow echo;\n"),
	    "\"tools_allow\" directive is not allowed here in " NAME ":5" },
	{ FED("mcp_member demo;\ntools_deny echo;\n"),
	    "\"tools_deny\" directive is not allowed here in " NAME ":6" },
	{ FED("tool_rename a b;\n"),
	    "\"tool_rename\" directive is not allowed here in " NAME ":5" },
	{ UPS "tools_allow x;\n",
	    "\"tools_allow\" directive is not allowed here in " NAME ":3" },
	{ FED("mcp_member demo {\ntool_rename a x;\ntool_rename b x;\n}\n"),
	    "two tools of member \"demo\" are renamed to \"x\" in " NAME ":7" },
	{ FED("mcp_member demo {\ntool_rename a x;\ntool_rename a y;\n}\n"),
	    "tool \"a\" of member \"demo\" is renamed twice in " NAME ":7" },
	{ FED("mcp_member demo { tool_rename a; }\n"),
	    "invalid number of arguments in \"tool_rename\" directive in " NAME
	    ":5" },
	{ FED("mcp_member demo { tool_rename a \"b c\"; }\n"),
	    "invalid value \"b c\" in \"tool_rename\" directive in " NAME
	    ":5" },
	{ FED("mcp_member demo { tools_allow \"\"; }\n"),
	    "invalid value \"\" in \"tools_allow\" directive in " NAME ":5" },
	{ FED("mcp_member demo { mcp_pass demo; }\n"),
	    "\"mcp_pass\" directive is not allowed here in " NAME ":5" },
	{ FED("mcp_member demo;\nmcp_name_separator \"a b\";\n"),
	    "invalid value \"a b\" in \"mcp_name_separator\" directive in " NAME
	    ":6" },
	{ FED("mcp_member demo;\nmcp_name_separator 123456789;\n"),
	    "invalid value \"123456789\" in \"mcp_name_separator\" directive "
	    "in " NAME ":6" },
	{ FED("mcp_member demo;\nmcp_name_separator +;\n"),
	    "invalid value \"+\" in \"mcp_name_separator\" directive in " NAME
	    ":6" },
	{ FED("mcp_member demo;\nmcp_name_separator _;\nmcp_name_separator "
	      "_;\n"),
	    "\"mcp_name_separator\" directive is duplicate in " NAME ":7" },
	{ FED("mcp_member demo;\nmcp_uri_separator \"+ \";\n"),
	    "invalid value \"+ \" in \"mcp_uri_separator\" directive in " NAME
	    ":6" },
	{ FED("mcp_member demo;\nmcp_uri_separator \"\";\n"),
	    "invalid value \"\" in \"mcp_uri_separator\" directive in " NAME
	    ":6" },
	{ FED("mcp_member demo;\nmcp_member_timeout 10ms;\n"),
	    "invalid time \"10ms\" in \"mcp_member_timeout\" directive in " NAME
	    ":6" },
	{ FED("mcp_pass demo;\nmcp_name_separator _;\n"),
	    "location \"/f\" has \"mcp_name_separator\", \"mcp_uri_separator\" "
	    "or \"mcp_member_timeout\" but no \"mcp_member\" in " NAME ":4" },
	{ FED("mcp_pass demo;\nmcp_member_timeout 5s;\n"),
	    "location \"/f\" has \"mcp_name_separator\", \"mcp_uri_separator\" "
	    "or \"mcp_member_timeout\" but no \"mcp_member\" in " NAME ":4" },
	{ "upstream \"a b\" { server http://127.0.0.1:9/; }\n"
	  "server { listen 127.0.0.1:8080;\nlocation /f {\n"
	  "mcp_member \"a b\";\n}\n}\n",
	    "member \"a b\" needs a \"prefix\": its name is no prefix (1 to 64 "
	    "of A-Z a-z 0-9 _ . -) in " NAME ":4" },
	{ "upstream t { server http://127.0.0.1:9/; forward_client_token on; "
	  "}\n"
	  "server { listen 127.0.0.1:8080;\nlocation /f {\n"
	  "mcp_member t;\n}\n}\n",
	    "location \"/f\" has member \"t\", which takes the client's token, "
	    "but asks for no token: add \"auth_jwt\" in " NAME ":4" },
};

START_TEST(test_fed_refused)
{
	const refusal_t *r = &fed_refusals[_i];
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
conf_fed_tcase(void)
{
	TCase *tc = tcase_create("federation");

	tcase_add_test(tc, test_fed_parse);
	tcase_add_test(tc, test_fed_defaults);
	tcase_add_test(tc, test_fed_max);
	tcase_add_loop_test(tc, test_fed_refused, 0, MG_NELEM(fed_refusals));
	return tc;
}
