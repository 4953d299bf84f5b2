/*
 * Upstream pools: the picker (nginx's smooth weighted round-robin, least
 * connections, members down, backups), the hash that keeps a homeless
 * session in one place, the tag a session id carries (hostile ids too),
 * and the members the configuration makes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "pool.h"
#include "suites.h"

static void
picks(mg_pick_t *v, size_t n, int least_conn, int count, char *out)
{
	for (int i = 0; i < count; i++) {
		int k = mg_pick(v, n, least_conn, NULL);

		out[i] = k < 0 ? '-' : (char)('a' + k);
	}
	out[count] = '\0';
}

/* nginx's own example (ngx_http_upstream_round_robin.c): weights 5, 1, 1
 * give a a b a c a a, smoothly, not a a a a a b c. */
START_TEST(test_swrr_sequence)
{
	mg_pick_t v[3] = { { .weight = 5 }, { .weight = 1 }, { .weight = 1 } };
	char      got[15];

	picks(v, 3, 0, 14, got);
	ck_assert_str_eq(got, "aabacaaaabacaa");
}
END_TEST

START_TEST(test_swrr_weights)
{
	mg_pick_t v[3] = { { .weight = 1 }, { .weight = 2 }, { .weight = 3 } };
	int       n[3] = { 0 };

	for (int i = 0; i < 600; i++)
		n[mg_pick(v, 3, 0, NULL)]++;
	ck_assert_int_eq(n[0], 100);
	ck_assert_int_eq(n[1], 200);
	ck_assert_int_eq(n[2], 300);
}
END_TEST

START_TEST(test_down_and_backup)
{
	mg_pick_t v[3] = { { .weight = 1 }, { .weight = 1 },
		{ .weight = 1, .backup = 1 } };
	char      got[7];

	picks(v, 3, 0, 6, got);
	ck_assert_str_eq(got, "ababab"); /* the backup waits */
	v[0].down = 1;
	picks(v, 3, 0, 4, got);
	ck_assert_str_eq(got, "bbbb");
	v[1].down = 1;
	picks(v, 3, 0, 3, got);
	ck_assert_str_eq(got, "ccc"); /* only the backup is up */
	v[2].down = 1;
	picks(v, 3, 0, 3, got); /* all down: tried anyway, as nginx */
	ck_assert_int_eq((int)strlen(got), 3);
	ck_assert_ptr_null(strchr(got, '-'));
}
END_TEST

START_TEST(test_tried)
{
	mg_pick_t v[3] = { { .weight = 1 }, { .weight = 1 }, { .weight = 1 } };
	unsigned char tried[3] = { 1, 0, 1 };

	ck_assert_int_eq(mg_pick(v, 3, 0, tried), 1);
	tried[1] = 1;
	ck_assert_int_eq(mg_pick(v, 3, 0, tried), -1);
	ck_assert_int_eq(mg_pick(v, 3, 1, tried), -1);
}
END_TEST

START_TEST(test_least_conn)
{
	mg_pick_t v[3] = { { .weight = 1, .conns = 2 },
		{ .weight = 1, .conns = 0 }, { .weight = 1, .conns = 1 } };
	char      got[5];

	ck_assert_int_eq(mg_pick(v, 3, 1, NULL), 1);
	/* a tie (0 and 1 with none): round-robin between them only */
	v[0].conns = 0;
	v[1].conns = 0;
	picks(v, 3, 1, 4, got);
	ck_assert_ptr_null(strchr(got, 'c'));
	ck_assert_ptr_nonnull(strchr(got, 'a'));
	ck_assert_ptr_nonnull(strchr(got, 'b'));
	/* for their weights: 4 on weight 2 is as light as 2 on weight 1 */
	v[0] = (mg_pick_t){ .weight = 2, .conns = 4 };
	v[1] = (mg_pick_t){ .weight = 1, .conns = 2 };
	v[2] = (mg_pick_t){ .weight = 1, .conns = 3 };
	picks(v, 3, 1, 3, got);
	ck_assert_str_eq(got, "aba"); /* smooth rr 2:1 among the two */
	/* a member down is no candidate, however light */
	v[2] = (mg_pick_t){ .weight = 1, .conns = 0, .down = 1 };
	ck_assert_int_ne(mg_pick(v, 3, 1, NULL), 2);
}
END_TEST

START_TEST(test_hash)
{
	mg_pick_t v[4] = { { .weight = 1 }, { .weight = 1 }, { .weight = 1 },
		{ .weight = 1 } };
	uint32_t  tags[4] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444 };
	int       n[4] = { 0 }, moved = 0;
	char      sid[32];

	for (int i = 0; i < 400; i++) {
		snprintf(sid, sizeof(sid), "session-%d", i);
		int k = mg_pick_hash(v, tags, 4, sid, NULL);

		ck_assert_int_ge(k, 0);
		ck_assert_int_eq(k, mg_pick_hash(v, tags, 4, sid, NULL));
		n[k]++;
	}
	for (int i = 0; i < 4; i++)
		ck_assert_int_gt(n[i], 60); /* ~100 each */
	/* one down: only its sessions move */
	v[2].down = 1;
	for (int i = 0; i < 400; i++) {
		snprintf(sid, sizeof(sid), "session-%d", i);
		v[2].down = 0;
		int before = mg_pick_hash(v, tags, 4, sid, NULL);
		v[2].down = 1;
		int after = mg_pick_hash(v, tags, 4, sid, NULL);

		ck_assert_int_ne(after, 2);
		moved += before != after;
		ck_assert(before == 2 || before == after);
	}
	ck_assert_int_eq(moved, n[2]);
	/* a backup takes none while the others are up, all when alone */
	v[2].down = 0;
	v[3].backup = 1;
	for (int i = 0; i < 100; i++) {
		snprintf(sid, sizeof(sid), "session-%d", i);
		ck_assert_int_ne(mg_pick_hash(v, tags, 4, sid, NULL), 3);
	}
	v[0].down = v[1].down = v[2].down = 1;
	ck_assert_int_eq(mg_pick_hash(v, tags, 4, "s", NULL), 3);
	v[3].down = 1; /* all down: any */
	ck_assert_int_ge(mg_pick_hash(v, tags, 4, "s", NULL), 0);
}
END_TEST

START_TEST(test_tag_round_trip)
{
	char        out[64];
	uint32_t    tag = 0;
	const char *rest = NULL;

	ck_assert_int_eq(
	    mg_pool_tag_sid(0xdeadbeef, "abc-123", out, sizeof(out)), MG_OK);
	ck_assert_str_eq(out, "deadbeef.abc-123");
	ck_assert_int_eq(mg_pool_sid_tag(out, &tag, &rest), 1);
	ck_assert_uint_eq(tag, 0xdeadbeef);
	ck_assert_str_eq(rest, "abc-123");
	ck_assert_int_eq(mg_pool_tag_sid(7, "x", out, sizeof(out)), MG_OK);
	ck_assert_str_eq(out, "00000007.x");
	/* what does not fit stays untagged; nothing to tag either */
	ck_assert_int_eq(mg_pool_tag_sid(7, "0123456789", out, 20), MG_OK);
	ck_assert_int_eq(
	    mg_pool_tag_sid(7, "0123456789", out, 19), MG_DECLINED);
	ck_assert_int_eq(mg_pool_tag_sid(7, "", out, sizeof(out)), MG_DECLINED);
}
END_TEST

START_TEST(test_tag_hostile)
{
	static const char *const bad[] = { "", "1", "1234567", "12345678",
		"12345678.", "1234567.8x", "1234567g.x", "DEADBEEF.x",
		"deadbeefx.x", "+1234567.x", " 1234567.x", "-0000001.x",
		"deadbee\xff.x", "deadbeef:x" };
	uint32_t                 tag = 42;
	const char              *rest = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(mg_pool_sid_tag(bad[i], &tag, &rest) == 0,
		    "\"%s\" taken as tagged", bad[i]);
		ck_assert_uint_eq(tag, 42);
	}
	ck_assert_int_eq(mg_pool_sid_tag("00000000.x.y", &tag, &rest), 1);
	ck_assert_uint_eq(tag, 0);
	ck_assert_str_eq(rest, "x.y");
}
END_TEST

#define NAME "pool.conf"

static mg_conf_t *
load(const char *upstream, char **err)
{
	char text[2048];

	snprintf(text, sizeof(text),
	    "server { listen 127.0.0.1:1; location /mcp { mcp_pass u; } }\n"
	    "%s\n",
	    upstream);
	*err = NULL;
	return mg_conf_load_string(text, NAME, err);
}

START_TEST(test_conf_members)
{
	char      *err = NULL;
	mg_conf_t *conf =
	    load("upstream u {\n server http://127.0.0.1:1/mcp weight=3;\n"
		 "server http://127.0.0.1:2/mcp max_fails=2 fail_timeout=30s;\n"
		 "server https://b.example/mcp backup;\n least_conn;\n"
		 "next_upstream_tries 2;\n header X-A b;\n}\n"
		 "upstream v { server http://127.0.0.1:3/mcp; }",
		&err);
	mg_upstream_t *u, *m;
	int            n = 0;

	ck_assert_msg(conf != NULL, "%s", err ? err : "");
	u = conf->upstreams;
	ck_assert_str_eq(u->name, "u");
	ck_assert_uint_eq(u->nmembers, 3);
	ck_assert_int_eq(u->least_conn, 1);
	ck_assert_int_eq(u->next_upstream_tries, 2);
	ck_assert_int_eq(u->members[0].weight, 3);
	ck_assert_int_eq(u->members[0].max_fails, 1);
	ck_assert_int_eq(u->members[0].fail_timeout, 10000);
	ck_assert_int_eq(u->members[1].max_fails, 2);
	ck_assert_int_eq(u->members[1].fail_timeout, 30000);
	ck_assert_int_eq(u->members[2].backup, 1);
	ck_assert_uint_eq(u->members[0].tag,
	    mg_conf_member_tag("http://127.0.0.1:1/mcp", NULL));
	ck_assert_uint_eq(u->next->nmembers, 1); /* v: no pool */
	/* the members, after every upstream, each an upstream of its own */
	for (m = u->next->next; m != NULL; m = m->next, n++) {
		ck_assert_ptr_eq(m->pool, u);
		ck_assert_ptr_eq(m->member, &u->members[n]);
		ck_assert_ptr_eq(u->members[n].up, m);
		ck_assert_int_eq(m->index, 2 + n);
		ck_assert_str_eq(m->name, "u");
		ck_assert_str_eq(m->server.url, u->members[n].server.url);
		ck_assert_uint_eq(m->nheaders, 1); /* the pool's headers */
		ck_assert_uint_eq(m->nmembers, 0);
	}
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(u->members[2].up->server.tls, 1);
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_conf_commands)
{
	char      *err = NULL;
	mg_conf_t *conf = load("upstream u {\n command /bin/true a;\n"
			       " command weight=2 backup /bin/true b;\n}",
	    &err);

	ck_assert_msg(conf != NULL, "%s", err ? err : "");
	ck_assert_uint_eq(conf->upstreams->nmembers, 2);
	ck_assert_int_eq(conf->upstreams->members[1].weight, 2);
	ck_assert_int_eq(conf->upstreams->members[1].backup, 1);
	ck_assert_str_eq(conf->upstreams->members[1].command[0], "/bin/true");
	ck_assert_str_eq(conf->upstreams->members[1].up->command[1], "b");
	ck_assert_str_eq(conf->upstreams->command[1], "a");
	ck_assert_int_eq(conf->upstreams->least_conn, 0);
	ck_assert_int_eq(conf->upstreams->next_upstream_tries, 0);
	mg_conf_free(conf);
}
END_TEST

static const struct {
	const char *text, *want;
} refused[] = {
	{ "upstream u { server http://127.0.0.1:1/mcp weight=0; }",
	    "invalid parameter \"weight=0\" of \"server\"" },
	{ "upstream u { server http://127.0.0.1:1/mcp weight=1001; }",
	    "invalid parameter \"weight=1001\"" },
	{ "upstream u { server http://127.0.0.1:1/mcp weight=2x; }",
	    "invalid parameter \"weight=2x\"" },
	{ "upstream u { server http://127.0.0.1:1/mcp max_fails=-1; }",
	    "invalid parameter \"max_fails=-1\"" },
	{ "upstream u { server http://127.0.0.1:1/mcp fail_timeout=soon; }",
	    "invalid parameter \"fail_timeout=soon\"" },
	{ "upstream u { server http://127.0.0.1:1/mcp down; }",
	    "unknown parameter \"down\" of \"server\"" },
	{ "upstream u {\n server http://127.0.0.1:1/mcp;\n"
	  " server http://127.0.0.1:1/mcp;\n}",
	    "duplicate server \"http://127.0.0.1:1/mcp\" in " NAME
	    ":4 (first defined in " NAME ":3)" },
	{ "upstream u {\n server http://127.0.0.1:1/mcp backup;\n"
	  " server http://127.0.0.1:2/mcp backup;\n}",
	    "upstream \"u\": every server is a backup" },
	{ "upstream u {\n server http://127.0.0.1:1/mcp;\n"
	  " command /bin/true;\n}",
	    "has both a \"server\" and a \"command\"" },
	{ "upstream u {\n command weight=2;\n}",
	    "command \"weight=2\": the path must be absolute" },
	{ "upstream u {\n command weight=2 true;\n}",
	    "command \"true\": the path must be absolute" },
	{ "upstream u { server http://127.0.0.1:1/mcp; least_conn; "
	  "least_conn; }",
	    "\"least_conn\" directive is duplicate" },
	{ "upstream u { server http://127.0.0.1:1/mcp; next_upstream_tries "
	  "101; }",
	    "next_upstream_tries" },
};

START_TEST(test_conf_refused)
{
	char      *err = NULL;
	mg_conf_t *conf = load(refused[_i].text, &err);

	ck_assert_msg(conf == NULL, "accepted: %s", refused[_i].text);
	ck_assert_msg(err != NULL && strstr(err, refused[_i].want) != NULL,
	    "%s: got \"%s\", want \"%s\"", refused[_i].text, err ? err : "",
	    refused[_i].want);
	free(err);
}
END_TEST

Suite *
pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pick");

	tcase_add_test(tc, test_swrr_sequence);
	tcase_add_test(tc, test_swrr_weights);
	tcase_add_test(tc, test_down_and_backup);
	tcase_add_test(tc, test_tried);
	tcase_add_test(tc, test_least_conn);
	tcase_add_test(tc, test_hash);
	suite_add_tcase(s, tc);
	tc = tcase_create("tag");
	tcase_add_test(tc, test_tag_round_trip);
	tcase_add_test(tc, test_tag_hostile);
	suite_add_tcase(s, tc);
	tc = tcase_create("conf");
	tcase_add_test(tc, test_conf_members);
	tcase_add_test(tc, test_conf_commands);
	tcase_add_loop_test(
	    tc, test_conf_refused, 0, sizeof(refused) / sizeof(refused[0]));
	suite_add_tcase(s, tc);
	return s;
}
