/*
 * Policy per identity: mcp_allow and mcp_deny as parsed (conditions,
 * alternatives, the word "if" as a name) and refused (each error with
 * its text and line), then judged for identities (worker/rules.c: first
 * match, the allow list's default, each kind of condition) and applied
 * to list answers (worker/listfilter.c).  Tables, one row a case.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "check_conf.h"
#include "conf.h"
#include "jsonrpc.h"
#include "rules.h"
#include "suites.h"

/* A location /m with BODY from line 3 on. */
#define LOC(body)                                                              \
	"server { listen 80;\n"                                                \
	"location /m { mcp_builtin demo;\n" body "\n} }"

static mg_conf_t *
load_ok(const char *text)
{
	char      *err = NULL;
	mg_conf_t *conf = mg_conf_load_string(text, NAME, &err);

	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	return conf;
}

START_TEST(test_rules_parsed)
{
	mg_conf_t *conf = load_ok(
	    LOC("mcp_allow tools/call \"read_*\" if scope=mcp:read;\n"
		"mcp_deny tools/call \"delete_*\" unless claim:role=admin "
		"kind=jwt|key;\n"
		"mcp_deny tools/call if;\n"
		"mcp_allow \"*\" if cert=/CN=ops*;\n"
		"mcp_deny resources/read if "
		"claim:https://example.com/groups=a=b;"));
	const mg_mcp_rule_t *r = conf->servers->locations->rules;

	ck_assert_int_eq(r->allow, 1);
	ck_assert_str_eq(r->method, "tools/call");
	ck_assert_str_eq(r->name, "read_*");
	ck_assert_int_eq(r->unless, 0);
	ck_assert_uint_eq(r->nconds, 1);
	ck_assert_int_eq(r->conds[0].what, MG_COND_SCOPE);
	ck_assert_str_eq(r->conds[0].values.v[0], "mcp:read");
	ck_assert_int_eq(r->pos.line, 3);
	r = r->next;
	ck_assert_int_eq(r->allow, 0);
	ck_assert_int_eq(r->unless, 1);
	ck_assert_uint_eq(r->nconds, 2);
	ck_assert_int_eq(r->conds[0].what, MG_COND_CLAIM);
	ck_assert_str_eq(r->conds[0].claim, "role");
	ck_assert_str_eq(r->conds[0].values.v[0], "admin");
	ck_assert_int_eq(r->conds[1].what, MG_COND_KIND);
	ck_assert_uint_eq(r->conds[1].values.n, 2);
	ck_assert_str_eq(r->conds[1].values.v[1], "key");
	r = r->next; /* "if" as the last word is a name */
	ck_assert_str_eq(r->name, "if");
	ck_assert_uint_eq(r->nconds, 0);
	r = r->next;
	ck_assert_ptr_null(r->name);
	ck_assert_int_eq(r->conds[0].what, MG_COND_CERT);
	ck_assert_str_eq(r->conds[0].values.v[0], "/CN=ops*");
	r = r->next; /* a claim named by a URL; the value up from the first = */
	ck_assert_str_eq(r->conds[0].claim, "https://example.com/groups");
	ck_assert_str_eq(r->conds[0].values.v[0], "a=b");
	ck_assert_ptr_null(r->next);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t refused_rules[] = {
	{ LOC("mcp_allow tools/call x when sub=a;"),
	    "invalid argument \"when\" in \"mcp_allow\" directive in " NAME
	    ":3" },
	{ LOC("mcp_deny tools/call x if;"),
	    "no condition after \"if\" in \"mcp_deny\" directive in " NAME
	    ":3" },
	{ LOC("mcp_deny tools/call x unless;"),
	    "no condition after \"unless\" in \"mcp_deny\" directive in " NAME
	    ":3" },
	{ LOC("mcp_allow tools/call x if subject=a;"),
	    "invalid condition \"subject=a\" in \"mcp_allow\" directive "
	    "in " NAME ":3" },
	{ LOC("mcp_allow tools/call x if sub;"),
	    "invalid condition \"sub\" in \"mcp_allow\" directive in " NAME
	    ":3" },
	{ LOC("mcp_allow tools/call x if sub=;"),
	    "invalid condition \"sub=\" in \"mcp_allow\" directive in " NAME
	    ":3" },
	{ LOC("mcp_allow tools/call x if scope=a||b;"),
	    "invalid condition \"scope=a||b\" in \"mcp_allow\" directive "
	    "in " NAME ":3" },
	{ LOC("mcp_allow tools/call x if kind=oauth;"),
	    "invalid condition \"kind=oauth\" in \"mcp_allow\" directive "
	    "in " NAME ":3" },
	{ LOC("mcp_allow tools/call x if claim:=a;"),
	    "invalid condition \"claim:=a\" in \"mcp_allow\" directive in " NAME
	    ":3" },
	{ LOC("mcp_allow \"tools call\";"),
	    "invalid method \"tools call\" in \"mcp_allow\" directive in " NAME
	    ":3" },
	{ LOC("mcp_allow;"),
	    "invalid number of arguments in \"mcp_allow\" directive in " NAME
	    ":3" },
	{ "server { listen 80;\nmcp_allow tools/call; }",
	    "\"mcp_allow\" directive is not allowed here in " NAME ":2" },
};

START_TEST(test_rules_refused)
{
	const refusal_t *r = &refused_rules[_i];
	char            *err = NULL;
	mg_conf_t       *conf = mg_conf_load_string(r->text, NAME, &err);

	ck_assert_msg(conf == NULL, "[%d] loaded, wanted: %s", _i, r->error);
	ck_assert_msg(err != NULL && strcmp(err, r->error) == 0,
	    "[%d]: got \"%s\", want \"%s\"", _i, err ? err : "(null)",
	    r->error);
	free(err);
}
END_TEST

/* The identities of the judging table. */
static const struct {
	const char *kind, *name, *claims, *cert;
} whos[] = {
	{ NULL, NULL, NULL, NULL },
	{ "jwt", "alice",
	    "{\"scope\":\"mcp:read mcp:write\",\"roles\":[\"admin\",\"dev\"],"
	    "\"tenant\":\"acme\",\"level\":3,\"staff\":true}",
	    NULL },
	{ "jwt", "bob", "{\"scp\":[\"mcp:read\"],\"roles\":\"dev\"}", NULL },
	{ "key", "ci-runner", NULL, NULL },
	{ "cert", "/CN=ops.example.com/O=Example", NULL, NULL },
	{ "jwt", "carol", "{}", "/CN=carol/O=Example" },
};
enum { NOBODY, ALICE, BOB, KEY, CERT, CAROL };

static const char *const rule_sets[] = {
	/* 0: an allow list for tools/call, a deny with unless, cond kinds */
	LOC("mcp_allow tools/call \"read_*\" if scope=mcp:read;\n"
	    "mcp_allow tools/call \"*\" if claim:roles=admin;\n"
	    "mcp_allow tools/call deploy if key=ci-*;\n"
	    "mcp_allow tools/call status if kind=cert|none;\n"
	    "mcp_deny prompts/get \"secret_*\" unless claim:tenant=acme "
	    "claim:staff=true;\n"
	    "mcp_deny resources/read \"file:///etc/*\" if sub=b*|carol;\n"
	    "mcp_deny \"resources/*\" \"db://*\" unless cert=/CN=ops.*;\n"
	    "mcp_deny prompts/get \"level_*\" if claim:level=3;\n"
	    "mcp_allow tools/call carol_tool if cert=/CN=carol/*;"),
	/* 1: plain mcp_deny, as it always was */
	LOC("mcp_deny tools/call \"sl*\";\nmcp_deny prompts/get;"),
};

static const struct {
	int         set;
	const char *method, *name;
	int         who;
	int         refused;
	int         line; /* of the rule that decided; 0: none */
} judged[] = {
	{ 0, "tools/call", "read_file", ALICE, 0, 3 },
	{ 0, "tools/call", "read_file", BOB, 0, 3 }, /* scp array */
	{ 0, "tools/call", "read_file", NOBODY, 1, 3 },
	{ 0, "tools/call", "write_file", ALICE, 0, 4 },
	{ 0, "tools/call", "write_file", BOB, 1, 3 }, /* the allow list */
	{ 0, "tools/call", NULL, BOB, 1, 3 },
	{ 0, "tools/call", "deploy", KEY, 0, 5 },
	{ 0, "tools/call", "deploy", BOB, 1, 3 },
	{ 0, "tools/call", "status", CERT, 0, 6 },
	{ 0, "tools/call", "status", NOBODY, 0, 6 },
	{ 0, "tools/call", "status", KEY, 1, 3 },
	{ 0, "tools/list", NULL, NOBODY, 0, 0 }, /* not in the allow list */
	{ 0, "initialize", NULL, KEY, 0, 0 },
	{ 0, "prompts/get", "secret_plan", ALICE, 0, 0 },
	{ 0, "prompts/get", "secret_plan", BOB, 1, 7 },
	{ 0, "prompts/get", "public", BOB, 0, 0 },
	{ 0, "resources/read", "file:///etc/passwd", BOB, 1, 8 },
	{ 0, "resources/read", "file:///etc/passwd", CAROL, 1, 8 },
	{ 0, "resources/read", "file:///etc/passwd", ALICE, 0, 0 },
	{ 0, "resources/read", "file:///etc/passwd", KEY, 0, 0 },
	{ 0, "resources/read", "db://x", CERT, 0, 0 },
	{ 0, "resources/subscribe", "db://x", ALICE, 1, 9 },
	{ 0, "resources/read", "db://x", NOBODY, 1, 9 },
	{ 0, "resources/read", "db://x", CAROL, 1, 9 },
	{ 0, "tools/call", "carol_tool", CAROL, 0, 11 }, /* a cert beside */
	{ 0, "tools/call", "level_x", ALICE, 0, 4 },     /* the first decides */
	{ 0, "prompts/get", "level_x", ALICE, 1, 10 },   /* a number */
	{ 0, "prompts/get", "level_x", BOB, 0, 0 },
	{ 1, "tools/call", "sleep", NOBODY, 1, 3 },
	{ 1, "tools/call", "echo", NOBODY, 0, 0 },
	{ 1, "prompts/get", "any", ALICE, 1, 4 },
	{ 1, "prompts/get", NULL, ALICE, 1, 4 },
};

static void
who_of(int i, mg_who_t *w)
{
	w->kind = whos[i].kind;
	w->name = whos[i].name;
	w->claims = whos[i].claims
	    ? mg_json_parse(whos[i].claims, strlen(whos[i].claims))
	    : NULL;
	w->cert = whos[i].cert;
}

START_TEST(test_rules_judged)
{
	mg_conf_t           *conf = load_ok(rule_sets[judged[_i].set]);
	const mg_mcp_rule_t *by = NULL;
	mg_who_t             w;
	int                  refused;

	who_of(judged[_i].who, &w);
	refused = mg_rules_refuse(conf->servers->locations->rules,
	    judged[_i].method, judged[_i].name, &w, &by);
	ck_assert_msg(refused == judged[_i].refused, "[%d] %s %s: refused %d",
	    _i, judged[_i].method, judged[_i].name ? judged[_i].name : "-",
	    refused);
	ck_assert_msg((by ? by->pos.line : 0) == judged[_i].line,
	    "[%d] decided by line %d, want %d", _i, by ? by->pos.line : 0,
	    judged[_i].line);
	json_object_put(w.claims);
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_who_print)
{
	mg_who_t w = { "jwt", "al\"ice\n", NULL, NULL };
	char     out[64], tiny[8];

	mg_who_print(&w, out, sizeof(out));
	ck_assert_str_eq(out, "jwt \"al?ice?\"");
	mg_who_print(&w, tiny, sizeof(tiny));
	ck_assert_uint_lt(strlen(tiny), sizeof(tiny));
	w.kind = NULL;
	mg_who_print(&w, out, sizeof(out));
	ck_assert_str_eq(out, "nobody");
}
END_TEST

/* Lists: bob (scp mcp:read, role dev) under set 0. */
static const struct {
	const char *method;
	const char *result; /* as listed */
	const char *want;   /* as bob sees it */
	int         rescoped;
} listed[] = {
	{ "tools/list",
	    "{\"tools\":[{\"name\":\"read_a\"},{\"name\":\"write_b\"},"
	    "{\"name\":\"read_c\"}],\"nextCursor\":\"2\"}",
	    "{\"tools\":[{\"name\":\"read_a\"},{\"name\":\"read_c\"}],"
	    "\"nextCursor\":\"2\"}",
	    0 },
	{ "tools/list",
	    "{\"tools\":[{\"name\":\"write_b\"},{}],\"ttlMs\":5,"
	    "\"cacheScope\":\"public\",\"nextCursor\":\"x\"}",
	    "{\"tools\":[],\"ttlMs\":5,\"cacheScope\":\"private\","
	    "\"nextCursor\":\"x\"}",
	    1 },
	{ "prompts/list",
	    "{\"prompts\":[{\"name\":\"secret_x\"},{\"name\":\"hello\"}]}",
	    "{\"prompts\":[{\"name\":\"hello\"}]}", 0 },
	{ "resources/list",
	    "{\"resources\":[{\"uri\":\"file:///etc/hosts\"},"
	    "{\"uri\":\"file:///tmp/a\"},{\"uri\":\"db://t\"}]}",
	    "{\"resources\":[{\"uri\":\"file:///tmp/a\"}]}", 0 },
	{ "resources/templates/list",
	    "{\"resourceTemplates\":[{\"uriTemplate\":\"file:///etc/{f}\"},"
	    "{\"uriTemplate\":\"file:///{path}\"}]}",
	    "{\"resourceTemplates\":[{\"uriTemplate\":\"file:///{path}\"}]}",
	    0 },
};

START_TEST(test_lists_filtered)
{
	mg_conf_t           *conf = load_ok(rule_sets[0]);
	const mg_mcp_rule_t *rules = conf->servers->locations->rules;
	struct json_object  *r =
	    mg_json_parse(listed[_i].result, strlen(listed[_i].result));
	unsigned which = mg_lists_of(rules, listed[_i].method);
	mg_who_t w;
	int      rescoped;

	ck_assert_uint_ne(which, 0);
	who_of(BOB, &w);
	mg_lists_filter(rules, &w, which, r, &rescoped);
	ck_assert_str_eq(
	    json_object_to_json_string_ext(
		r, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    listed[_i].want);
	ck_assert_int_eq(rescoped, listed[_i].rescoped);
	json_object_put(r);
	json_object_put(w.claims);
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_lists_of)
{
	mg_conf_t           *conf = load_ok(rule_sets[1]);
	const mg_mcp_rule_t *rules = conf->servers->locations->rules;

	ck_assert_uint_eq(mg_lists_of(rules, "tools/list"), MG_LIST_TOOLS);
	ck_assert_uint_eq(mg_lists_of(rules, "prompts/list"), MG_LIST_PROMPTS);
	/* nothing refuses resources/read here: lists go as they are */
	ck_assert_uint_eq(mg_lists_of(rules, "resources/list"), 0);
	ck_assert_uint_eq(mg_lists_of(rules, "tools/call"), 0);
	ck_assert_uint_eq(
	    mg_lists_of(rules, NULL), MG_LIST_TOOLS | MG_LIST_PROMPTS);
	ck_assert_uint_eq(mg_lists_of(NULL, "tools/list"), 0);
	mg_conf_free(conf);
}
END_TEST

Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, test_rules_parsed);
	tcase_add_loop_test(
	    tc, test_rules_refused, 0, (int)MG_NELEM(refused_rules));
	suite_add_tcase(s, tc);
	tc = tcase_create("rules");
	tcase_add_loop_test(tc, test_rules_judged, 0, (int)MG_NELEM(judged));
	tcase_add_test(tc, test_who_print);
	suite_add_tcase(s, tc);
	tc = tcase_create("lists");
	tcase_add_loop_test(tc, test_lists_filtered, 0, (int)MG_NELEM(listed));
	tcase_add_test(tc, test_lists_of);
	suite_add_tcase(s, tc);
	return s;
}
