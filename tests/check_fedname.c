/*
 * Federation's naming (proto/fedname.c, fedlist.c, fedcursor.c) on a
 * location loaded from a real configuration: which member owns a name or
 * URI, what each member's names look like to the client and back, list
 * pages and capabilities, messages, request ids and list cursors, with
 * hostile inputs for each.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "conf.h"
#include "fedname.h"
#include "suites.h"

#define FCONF                                                                  \
	"upstream everything { server http://127.0.0.1:9/; }\n"                \
	"upstream e2 { server http://127.0.0.1:9/; }\n"                        \
	"upstream plain { server http://127.0.0.1:9/; }\n"                     \
	"upstream demo { server http://127.0.0.1:9/; }\n"                      \
	"server { listen 127.0.0.1:8080;\n"                                    \
	"location /f {\n"                                                      \
	"mcp_member everything { prefix ev;\n"                                 \
	" tools_allow echo add get_* sum; tools_deny get_secret*;\n"           \
	" tool_rename echo say; tool_rename add sum; }\n"                      \
	"mcp_member e2 { prefix ev_; }\n"                                      \
	"mcp_member plain { prefix off; }\n"                                   \
	"mcp_member demo;\n"                                                   \
	"}\n"                                                                  \
	"location /g { mcp_member demo; mcp_member e2;\n"                      \
	" mcp_name_separator /; mcp_uri_separator :: ; }\n"                    \
	"}\n"

static mg_conf_t           *conf;
static const mg_location_t *loc, *loc2;
static const mg_member_t   *ev, *ev2, *plain, *demo;

static void
setup(void)
{
	char *err = NULL;

	conf = mg_conf_load_string(FCONF, "/tmp/fed.conf", &err);
	ck_assert_msg(conf != NULL, "%s", err ? err : "?");
	loc = conf->servers->locations;
	loc2 = loc->next;
	ev = loc->members;
	ev2 = ev->next;
	plain = ev2->next;
	demo = plain->next;
}

static void
teardown(void)
{
	mg_conf_free(conf);
}

/* NAME in: the member and own name, or NULL when declined. */
static const mg_member_t *
in(const mg_location_t *l, int kind, const char *name, char *out)
{
	const mg_member_t *m = (const void *)1;
	int rc = mg_fed_name_in(l, kind, name, strlen(name), &m, out, 256);

	ck_assert(rc == MG_OK || rc == MG_DECLINED);
	ck_assert(rc == MG_OK ? m != NULL : m == NULL);
	return m;
}

START_TEST(test_name_in)
{
	char out[256];

	ck_assert_ptr_eq(in(loc, MG_FED_TOOL, "ev__say", out), ev);
	ck_assert_str_eq(out, "echo");
	ck_assert_ptr_eq(in(loc, MG_FED_TOOL, "ev__sum", out), ev);
	ck_assert_str_eq(out, "add");
	ck_assert_ptr_eq(in(loc, MG_FED_TOOL, "ev__get_x", out), ev);
	ck_assert_str_eq(out, "get_x");
	/* renamed away, denied, not allowed */
	ck_assert_ptr_null(in(loc, MG_FED_TOOL, "ev__echo", out));
	ck_assert_ptr_null(in(loc, MG_FED_TOOL, "ev__add", out));
	ck_assert_ptr_null(in(loc, MG_FED_TOOL, "ev__get_secret1", out));
	ck_assert_ptr_null(in(loc, MG_FED_TOOL, "ev__long", out));
	/* prompts are neither renamed nor filtered */
	ck_assert_ptr_eq(in(loc, MG_FED_PROMPT, "ev__echo", out), ev);
	ck_assert_str_eq(out, "echo");
	ck_assert_ptr_eq(in(loc, MG_FED_PROMPT, "ev__long", out), ev);
	/* the longest prefix wins */
	ck_assert_ptr_eq(in(loc, MG_FED_TOOL, "ev___x", out), ev2);
	ck_assert_str_eq(out, "x");
	ck_assert_ptr_eq(in(loc, MG_FED_TOOL, "demo__a__b", out), demo);
	ck_assert_str_eq(out, "a__b");
	/* exactly a prefix, separators only, no prefix: prefix off's */
	ck_assert_ptr_eq(in(loc, MG_FED_TOOL, "ev__", out), plain);
	ck_assert_str_eq(out, "ev__");
	ck_assert_ptr_eq(in(loc, MG_FED_TOOL, "ev", out), plain);
	ck_assert_ptr_eq(in(loc, MG_FED_TOOL, "__", out), plain);
	ck_assert_str_eq(out, "__");
	ck_assert_ptr_eq(in(loc, MG_FED_TOOL, "____", out), plain);
	ck_assert_ptr_eq(in(loc, MG_FED_PROMPT, "x", out), plain);
	ck_assert_ptr_null(in(loc, MG_FED_TOOL, "", out));
	/* without a prefix off member nobody owns them */
	ck_assert_ptr_null(in(loc2, MG_FED_TOOL, "x", out));
	ck_assert_ptr_null(in(loc2, MG_FED_TOOL, "demo/", out));
	ck_assert_ptr_null(in(loc2, MG_FED_TOOL, "demo__x", out));
	ck_assert_ptr_eq(in(loc2, MG_FED_TOOL, "demo/x", out), loc2->members);
	ck_assert_ptr_eq(
	    in(loc2, MG_FED_TOOL, "e2/x/y", out), loc2->members->next);
	ck_assert_str_eq(out, "x/y");
	ck_assert_ptr_null(in(loc2, MG_FED_TOOL, "/", out));
}
END_TEST

START_TEST(test_name_in_bounds)
{
	const mg_member_t *m;
	char               out[8];

	/* OUT is exactly big enough, then one byte short */
	ck_assert_int_eq(
	    mg_fed_name_in(loc, 0, "demo__abcdefg", 13, &m, out, 8), MG_OK);
	ck_assert_str_eq(out, "abcdefg");
	ck_assert_int_eq(
	    mg_fed_name_in(loc, 0, "demo__abcdefgh", 14, &m, out, 8),
	    MG_DECLINED);
	ck_assert_int_eq(
	    mg_fed_name_in(loc, 0, "demo__abc", 7, &m, out, 8), MG_OK);
	ck_assert_str_eq(out, "a");
	ck_assert_int_eq(
	    mg_fed_name_in(loc, 0, "demo__a\0b", 9, &m, out, 8), MG_DECLINED);
	ck_assert_int_eq(
	    mg_fed_name_in(loc, 0, "demo__ab", 8, &m, out, 0), MG_DECLINED);
}
END_TEST

/* OUT of member M's NAME, or NULL when declined. */
static const char *
out_name(const mg_member_t *m, int kind, const char *name, char *out)
{
	int rc = mg_fed_name_out(loc, m, kind, name, out, 256);

	ck_assert(rc == MG_OK || rc == MG_DECLINED);
	return rc == MG_OK ? out : NULL;
}

START_TEST(test_name_out)
{
	static const char *names[] = { "echo", "add", "get_x", "x", "a__b",
		"ev__", "__", "_", "demo__", "long" };
	const mg_member_t *members[] = { ev, ev2, plain, demo }, *m;
	char               out[256], back[256];

	ck_assert_str_eq(out_name(ev, MG_FED_TOOL, "echo", out), "ev__say");
	ck_assert_str_eq(out_name(ev, MG_FED_TOOL, "add", out), "ev__sum");
	ck_assert_str_eq(out_name(ev, MG_FED_TOOL, "get_x", out), "ev__get_x");
	ck_assert_ptr_null(out_name(ev, MG_FED_TOOL, "sum", out));
	ck_assert_ptr_null(out_name(ev, MG_FED_TOOL, "get_secret2", out));
	ck_assert_ptr_null(out_name(ev, MG_FED_TOOL, "long", out));
	ck_assert_ptr_null(out_name(ev, MG_FED_TOOL, "", out));
	ck_assert_str_eq(out_name(ev, MG_FED_PROMPT, "echo", out), "ev__echo");
	ck_assert_str_eq(out_name(plain, MG_FED_TOOL, "x", out), "x");
	ck_assert_str_eq(out_name(plain, MG_FED_TOOL, "demo__", out), "demo__");
	/* another member's name: hidden rather than misrouted */
	ck_assert_ptr_null(out_name(plain, MG_FED_TOOL, "demo__x", out));
	ck_assert_ptr_null(out_name(plain, MG_FED_PROMPT, "ev___y", out));
	/* "ev" + "__" + "__y" would be "ev_"'s "y" */
	ck_assert_ptr_null(out_name(ev, MG_FED_PROMPT, "__y", out));
	ck_assert_str_eq(out_name(ev2, MG_FED_PROMPT, "y", out), "ev___y");
	ck_assert_int_eq(
	    mg_fed_name_out(loc, demo, 0, "ab", out, 8), MG_DECLINED);
	ck_assert_int_eq(mg_fed_name_out(loc, demo, 0, "a", out, 8), MG_OK);
	/* whatever is shown comes back to its member and name */
	for (size_t i = 0; i < MG_NELEM(members); i++)
		for (size_t j = 0; j < MG_NELEM(names); j++)
			for (int k = 0; k < 2; k++) {
				if (out_name(members[i], k, names[j], out) ==
				    NULL)
					continue;
				m = in(loc, k, out, back);
				ck_assert_msg(m == members[i] &&
					strcmp(back, names[j]) == 0,
				    "%s -> %s -> %s", names[j], out,
				    m ? back : "(none)");
			}
}
END_TEST

START_TEST(test_uri)
{
	const mg_member_t *m;
	const char        *own;
	size_t             n;
	char              *s;

#define URI_IN(l, u) mg_fed_uri_in(l, u, strlen(u), &m, &own, &n)
	ck_assert_int_eq(URI_IN(loc, "ev+file:///a"), MG_OK);
	ck_assert_ptr_eq(m, ev);
	ck_assert_uint_eq(n, 9);
	ck_assert_int_eq(strncmp(own, "file:///a", n), 0);
	ck_assert_int_eq(URI_IN(loc, "ev_+x"), MG_OK);
	ck_assert_ptr_eq(m, ev2);
	ck_assert_int_eq(URI_IN(loc, "demo+demo+y"), MG_OK);
	ck_assert_ptr_eq(m, demo);
	ck_assert_uint_eq(n, 6);
	ck_assert_int_eq(URI_IN(loc, "file:///b"), MG_OK);
	ck_assert_ptr_eq(m, plain);
	ck_assert_uint_eq(n, 9);
	ck_assert_int_eq(URI_IN(loc, "demo+"), MG_OK);
	ck_assert_ptr_eq(m, plain);
	ck_assert_int_eq(URI_IN(loc, "+"), MG_OK);
	ck_assert_int_eq(URI_IN(loc, ""), MG_DECLINED);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(URI_IN(loc2, "demo::x"), MG_OK);
	ck_assert_ptr_eq(m, loc2->members);
	ck_assert_int_eq(URI_IN(loc2, "demo+x"), MG_DECLINED);
	ck_assert_int_eq(URI_IN(loc2, "demo::"), MG_DECLINED);
	ck_assert_int_eq(
	    mg_fed_uri_in(loc, "ev+a\0b", 6, &m, &own, &n), MG_DECLINED);
#undef URI_IN
	s = mg_fed_uri_out(loc, ev, "file:///a");
	ck_assert_str_eq(s, "ev+file:///a");
	free(s);
	s = mg_fed_uri_out(loc, plain, "file:///a");
	ck_assert_str_eq(s, "file:///a");
	free(s);
	s = mg_fed_uri_out(loc2, loc2->members, "");
	ck_assert_str_eq(s, "demo::");
	free(s);
}
END_TEST

/* Member M's RESULT to METHOD, listed: what the client sees. */
static char *
list(const mg_member_t *m, const char *method, const char *result, char **next)
{
	struct json_object *o = json_tokener_parse(result);
	char               *s;

	ck_assert_ptr_nonnull(o);
	*next = mg_fed_list_out(loc, m, method, o);
	s = strdup(json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

static void
list_eq(const mg_member_t *m, const char *method, const char *result,
    const char *want, const char *want_next)
{
	char *next, *got = list(m, method, result, &next);

	ck_assert_str_eq(got, want);
	if (want_next == NULL)
		ck_assert_ptr_null(next);
	else
		ck_assert_str_eq(next, want_next);
	free(got);
	free(next);
}

#define LIST_EQ list_eq

START_TEST(test_list_out)
{
	LIST_EQ(ev, "tools/list",
	    "{\"tools\":[{\"name\":\"echo\",\"x\":1},{\"name\":\"long\"},"
	    "{\"name\":\"add\"},{\"noname\":1},5,{\"name\":\"sum\"},"
	    "{\"name\":7}],\"nextCursor\":\"c1\"}",
	    "{\"tools\":[{\"name\":\"ev__say\",\"x\":1},{\"name\":"
	    "\"ev__sum\"}]}",
	    "c1");
	LIST_EQ(demo, "prompts/list",
	    "{\"prompts\":[{\"name\":\"p\"},{\"name\":\"\"}],"
	    "\"nextCursor\":5}",
	    "{\"prompts\":[{\"name\":\"demo__p\"}]}", NULL);
	LIST_EQ(ev, "resources/list",
	    "{\"resources\":[{\"uri\":\"file:///a\",\"name\":\"a\"},"
	    "{\"name\":\"b\"}]}",
	    "{\"resources\":[{\"uri\":\"ev+file:///a\",\"name\":\"a\"}]}",
	    NULL);
	LIST_EQ(plain, "resources/list",
	    "{\"resources\":[{\"uri\":\"demo+x\"},{\"uri\":\"x\"},"
	    "{\"uri\":\"ev_+\"}]}",
	    "{\"resources\":[{\"uri\":\"x\"},{\"uri\":\"ev_+\"}]}", NULL);
	LIST_EQ(plain, "resources/templates/list",
	    "{\"resourceTemplates\":[{\"uriTemplate\":\"t://{x}\"},"
	    "{\"uri\":\"t://y\"}],\"nextCursor\":\"\"}",
	    "{\"resourceTemplates\":[{\"uriTemplate\":\"t://{x}\"}]}", "");
	LIST_EQ(ev, "tools/list", "{\"tools\":{\"name\":\"echo\"}}",
	    "{\"tools\":[]}", NULL);
	LIST_EQ(ev, "tools/list", "{\"nextCursor\":\"n\"}", "{}", "n");
	LIST_EQ(ev, "tools/call", "{\"tools\":[{\"name\":\"echo\"}]}",
	    "{\"tools\":[{\"name\":\"echo\"}]}", NULL);
	LIST_EQ(ev, "tools/list", "[{\"name\":\"echo\"}]",
	    "[{\"name\":\"echo\"}]", NULL);
	ck_assert_int_eq(mg_fed_list_method("tools/list"), 0);
	ck_assert_int_eq(mg_fed_list_method("prompts/list"), 1);
	ck_assert_int_eq(mg_fed_list_method("resources/list"), 2);
	ck_assert_int_eq(mg_fed_list_method("resources/templates/list"), 3);
	ck_assert_int_eq(mg_fed_list_method("tools/lis"), -1);
	ck_assert_int_eq(mg_fed_list_method(NULL), -1);
}
END_TEST

static const char *
plain_text(struct json_object *o)
{
	return json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

START_TEST(test_list_merge)
{
	struct json_object *into = json_tokener_parse("{\"tools\":[1]}");
	struct json_object *from = json_tokener_parse("{\"tools\":[2,{}]}");
	struct json_object *empty = json_object_new_object();

	mg_fed_list_merge(into, from, "tools/list");
	json_object_put(from);
	ck_assert_str_eq(plain_text(into), "{\"tools\":[1,2,{}]}");
	from = json_tokener_parse("{\"prompts\":[3],\"tools\":[4]}");
	mg_fed_list_merge(empty, from, "prompts/list");
	mg_fed_list_merge(empty, from, "nope");
	mg_fed_list_merge(into, from, NULL);
	mg_fed_list_merge(from, into, "resources/list");
	json_object_put(from);
	ck_assert_str_eq(plain_text(empty), "{\"prompts\":[3]}");
	from = json_tokener_parse("{\"resources\":5}");
	mg_fed_list_merge(empty, from, "resources/list");
	ck_assert_str_eq(plain_text(empty), "{\"prompts\":[3]}");
	json_object_put(from);
	json_object_put(into);
	json_object_put(empty);
}
END_TEST

START_TEST(test_caps_merge)
{
	struct json_object *into = json_object_new_object();
	struct json_object *a = json_tokener_parse(
	    "{\"tools\":{\"listChanged\":false},\"resources\":{\"subscribe\":"
	    "true},\"experimental\":{\"x\":{}}}");
	struct json_object *b = json_tokener_parse(
	    "{\"tools\":{\"listChanged\":true},\"resources\":{\"subscribe\":"
	    "false,\"listChanged\":true},\"prompts\":{},\"experimental\":{"
	    "\"y\":1,\"x\":2},\"logging\":{},\"completions\":7}");

	mg_fed_caps_merge(into, a);
	mg_fed_caps_merge(into, b);
	mg_fed_caps_merge(into, into);
	mg_fed_caps_merge(into, NULL);
	json_object_put(a);
	json_object_put(b);
	ck_assert_str_eq(plain_text(into),
	    "{\"tools\":{\"listChanged\":true},\"resources\":{\"subscribe\":"
	    "true,\"listChanged\":true},\"experimental\":{\"x\":{},\"y\":1},"
	    "\"prompts\":{},\"logging\":{},\"completions\":7}");
	json_object_put(into);
}
END_TEST

static char *
msg_out(const mg_member_t *m, const char *text)
{
	struct json_object *o = json_tokener_parse(text);
	char               *s;

	ck_assert_ptr_nonnull(o);
	mg_fed_message_out(loc, m, o);
	s = strdup(plain_text(o));
	json_object_put(o);
	return s;
}

#define MSG_EQ(m, text, want)                                                  \
	do {                                                                   \
		char *got_ = msg_out(m, text);                                 \
		ck_assert_str_eq(got_, want);                                  \
		free(got_);                                                    \
	} while (0)

START_TEST(test_message_out)
{
	MSG_EQ(ev,
	    "{\"method\":\"notifications/resources/updated\",\"params\":{"
	    "\"uri\":\"file:///a\"}}",
	    "{\"method\":\"notifications/resources/updated\",\"params\":{"
	    "\"uri\":\"ev+file:///a\"}}");
	MSG_EQ(ev,
	    "{\"method\":\"notifications/message\",\"params\":{\"level\":"
	    "\"info\",\"logger\":\"db\"}}",
	    "{\"method\":\"notifications/message\",\"params\":{\"level\":"
	    "\"info\",\"logger\":\"ev/db\"}}");
	MSG_EQ(plain,
	    "{\"method\":\"notifications/message\",\"params\":{\"logger\":7}}",
	    "{\"method\":\"notifications/message\",\"params\":{\"logger\":"
	    "\"plain\"}}");
	MSG_EQ(ev,
	    "{\"method\":\"notifications/"
	    "progress\",\"params\":{\"uri\":\"u\"}}",
	    "{\"method\":\"notifications/"
	    "progress\",\"params\":{\"uri\":\"u\"}}");
	MSG_EQ(ev, "{\"method\":\"notifications/message\",\"params\":[]}",
	    "{\"method\":\"notifications/message\",\"params\":[]}");
	MSG_EQ(ev,
	    "{\"id\":1,\"result\":{\"content\":[{\"type\":\"resource_link\","
	    "\"uri\":\"u1\"},{\"type\":\"resource\",\"resource\":{\"uri\":"
	    "\"u2\"}},{\"type\":\"text\",\"uri\":\"u3\"},{\"type\":"
	    "\"resource\"},{\"uri\":\"u5\"},3],\"contents\":[{\"uri\":\"u4\"},"
	    "null]}}",
	    "{\"id\":1,\"result\":{\"content\":[{\"type\":\"resource_link\","
	    "\"uri\":\"ev+u1\"},{\"type\":\"resource\",\"resource\":{\"uri\":"
	    "\"ev+u2\"}},{\"type\":\"text\",\"uri\":\"u3\"},{\"type\":"
	    "\"resource\"},{\"uri\":\"u5\"},3],\"contents\":[{\"uri\":"
	    "\"ev+u4\"},null]}}");
	MSG_EQ(ev, "{\"id\":1,\"result\":[]}", "{\"id\":1,\"result\":[]}");
	MSG_EQ(ev, "\"x\"", "\"x\"");
}
END_TEST

static int
id_in(const char *text, int *member, char *orig)
{
	struct json_object *id = json_tokener_parse(text), *o;
	int                 rc;

	if (id == NULL) /* json-c's null */
		ck_assert_str_eq(text, "null");
	rc = mg_fed_id_in(loc, id, member, &o);
	if (rc == MG_OK) {
		strcpy(orig, plain_text(o));
		json_object_put(o);
	} else
		ck_assert_ptr_null(o);
	json_object_put(id);
	return rc;
}

START_TEST(test_ids)
{
	static const char  *bad[] = { "7", "null", "{}", "\"\"", "\"fed\"",
		 "\"fed1\"", "\"fed1:\"", "\"fed01:1\"", "\"fed4:1\"",
		 "\"fed9:1\"", "\"fed-1:1\"", "\"fed1000:1\"", "\"fed1:1 \"",
		 "\"fed1: 1\"", "\"fed1:[1]\"", "\"fed1:1.5\"", "\"fed1:null\"",
		 "\"fed1:\\\"a\"", "\"xfed1:1\"", "\"FED1:1\"", "\"fed1:1}\"",
		 "\"fed:1\"", "\"fed1;1\"", "\"fed1:true\"" };
	struct json_object *id, *o;
	char                orig[256];
	int                 member = -1;

	id = json_object_new_int(7);
	o = mg_fed_id_out(demo, id);
	json_object_put(id);
	ck_assert_str_eq(json_object_get_string(o), "fed3:7");
	ck_assert_int_eq(mg_fed_id_in(loc, o, &member, &id), MG_OK);
	ck_assert_int_eq(member, 3);
	ck_assert_int_eq(json_object_get_int(id), 7);
	json_object_put(id);
	json_object_put(o);
	id = json_object_new_string("a\"b:c");
	o = mg_fed_id_out(ev, id);
	json_object_put(id);
	ck_assert_str_eq(json_object_get_string(o), "fed0:\"a\\\"b:c\"");
	ck_assert_int_eq(mg_fed_id_in(loc, o, &member, &id), MG_OK);
	ck_assert_int_eq(member, 0);
	ck_assert_str_eq(json_object_get_string(id), "a\"b:c");
	json_object_put(id);
	json_object_put(o);
	ck_assert_int_eq(id_in("\"fed2:-5\"", &member, orig), MG_OK);
	ck_assert_str_eq(orig, "-5");
	ck_assert_int_eq(member, 2);
	for (size_t i = 0; i < MG_NELEM(bad); i++)
		ck_assert_msg(id_in(bad[i], &member, orig) == MG_DECLINED,
		    "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_cursor)
{
	mg_fed_cursor_t c = { 0 }, d;
	uint8_t         buf[MG_FED_CURSOR_MAX], bad[MG_FED_CURSOR_MAX];
	size_t          n, m, k;

	c.route = mg_fed_route_hash(loc);
	c.method = 2;
	c.n = 3;
	c.page[0] = (mg_fed_page_t){ 0, strdup("abc") };
	c.page[1] = (mg_fed_page_t){ 3, strdup("") };
	c.page[2] = (mg_fed_page_t){ 31, strdup("x\xff") };
	ck_assert_int_eq(mg_fed_cursor_pack(&c, buf, sizeof(buf), &n), MG_OK);
	ck_assert_uint_eq(n, 7 + 6 + 3 + 5);
	ck_assert_int_eq(mg_fed_cursor_unpack(buf, n, &d), MG_OK);
	ck_assert_uint_eq(d.route, c.route);
	ck_assert_int_eq(d.method, 2);
	ck_assert_int_eq(d.n, 3);
	ck_assert_int_eq(d.page[2].member, 31);
	ck_assert_str_eq(d.page[0].cursor, "abc");
	ck_assert_str_eq(d.page[1].cursor, "");
	ck_assert_str_eq(d.page[2].cursor, "x\xff");
	mg_fed_cursor_clear(&d);
	ck_assert_int_eq(d.n, 0);
	/* too small a buffer, at every size */
	for (m = 0; m < n; m++)
		ck_assert_int_eq(
		    mg_fed_cursor_pack(&c, bad, m, &k), MG_DECLINED);
	/* every truncation, and one byte more */
	for (m = 0; m < n; m++) {
		ck_assert_int_eq(mg_fed_cursor_unpack(buf, m, &d), MG_DECLINED);
		ck_assert_int_eq(d.n, 0);
	}
	buf[n] = 0;
	ck_assert_int_eq(mg_fed_cursor_unpack(buf, n + 1, &d), MG_DECLINED);
#define BAD(at, v)                                                             \
	do {                                                                   \
		memcpy(bad, buf, n);                                           \
		bad[at] = (v);                                                 \
		ck_assert_int_eq(                                              \
		    mg_fed_cursor_unpack(bad, n, &d), MG_DECLINED);            \
		ck_assert_int_eq(d.n, 0);                                      \
	} while (0)
	BAD(0, 2);            /* version */
	BAD(5, 4);            /* method */
	BAD(6, 33);           /* count */
	BAD(6, 2);            /* leftover */
	BAD(6, 4);            /* short */
	BAD(13, 0);           /* a member twice */
	BAD(7 + 6 + 3, 32);   /* a member out of range */
	BAD(7 + 6 + 3, 2);    /* members out of order */
	BAD(8, 1);            /* a cursor longer than what is left */
	BAD(18, 3);           /* the same, by one */
	BAD(7 + 3 + 1, '\0'); /* a NUL in a cursor */
#undef BAD
	/* what pack refuses */
	c.page[1].member = 0;
	ck_assert_int_eq(
	    mg_fed_cursor_pack(&c, buf, sizeof(buf), &n), MG_DECLINED);
	c.page[1].member = 3;
	c.page[2].member = 32;
	ck_assert_int_eq(
	    mg_fed_cursor_pack(&c, buf, sizeof(buf), &n), MG_DECLINED);
	c.page[2].member = 31;
	c.method = 4;
	ck_assert_int_eq(
	    mg_fed_cursor_pack(&c, buf, sizeof(buf), &n), MG_DECLINED);
	c.method = 0;
	free(c.page[1].cursor);
	c.page[1].cursor = NULL;
	ck_assert_int_eq(
	    mg_fed_cursor_pack(&c, buf, sizeof(buf), &n), MG_DECLINED);
	c.page[1].cursor = malloc(MG_FED_CURSOR_MAX);
	memset(c.page[1].cursor, 'a', MG_FED_CURSOR_MAX - 1);
	c.page[1].cursor[MG_FED_CURSOR_MAX - 1] = '\0';
	ck_assert_int_eq(
	    mg_fed_cursor_pack(&c, buf, sizeof(buf), &n), MG_DECLINED);
	mg_fed_cursor_clear(&c);
	/* none left is still a cursor */
	ck_assert_int_eq(mg_fed_cursor_pack(&c, buf, sizeof(buf), &n), MG_OK);
	ck_assert_uint_eq(n, 7);
	ck_assert_int_eq(mg_fed_cursor_unpack(buf, n, &d), MG_OK);
	ck_assert_int_eq(d.n, 0);
}
END_TEST

START_TEST(test_route_hash)
{
	ck_assert_uint_eq(mg_fed_route_hash(loc), mg_fed_route_hash(loc));
	ck_assert_uint_ne(mg_fed_route_hash(loc), mg_fed_route_hash(loc2));
}
END_TEST

Suite *
fedname_suite(void)
{
	Suite *s = suite_create("fedname");
	TCase *tc = tcase_create("fedname");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_name_in);
	tcase_add_test(tc, test_name_in_bounds);
	tcase_add_test(tc, test_name_out);
	tcase_add_test(tc, test_uri);
	tcase_add_test(tc, test_list_out);
	tcase_add_test(tc, test_list_merge);
	tcase_add_test(tc, test_caps_merge);
	tcase_add_test(tc, test_message_out);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_cursor);
	tcase_add_test(tc, test_route_hash);
	suite_add_tcase(s, tc);
	return s;
}
