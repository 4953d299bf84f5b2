/*
 * Active health checks: the state machine of one server (healthstate.c)
 * through sequences of probe results, and the health_check directive as
 * parsed, defaulted and refused.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "check_conf.h"
#include "conf.h"
#include "health.h"
#include "mcpgw.h"
#include "suites.h"

/* Feed RESULTS ('+' passed, '-' failed) to a fresh server under FAILS
 * and PASSES; the changes it went through, one letter a probe ('.'
 * none, 'D' went down, 'U' came up), into OUT. */
static void
run(const char *results, int fails, int passes, char *out)
{
	mg_health_conf_t  h = { 1000, 1000, fails, passes, NULL, { 0 } };
	mg_health_state_t s = { 0 };
	size_t            i;

	for (i = 0; results[i]; i++) {
		int r = mg_health_note(&s, results[i] == '+', &h);

		out[i] = r == MG_HEALTH_WENT_DOWN ? 'D'
		    : r == MG_HEALTH_CAME_UP      ? 'U'
						  : '.';
	}
	out[i] = '\0';
}

static const struct {
	const char *results;
	int         fails, passes;
	const char *changes;
} sequences[] = {
	/* nginx's defaults: one failure takes it down, one pass back */
	{ "+-+-", 1, 1, ".DUD" },
	/* two in a row: a failure between passes is forgotten */
	{ "-+-+--", 2, 2, ".....D" },
	{ "--++", 2, 2, ".D.U" },
	/* down: a failure between passes starts the count again */
	{ "---+-++", 2, 2, ".D....U" },
	/* down stays down however many failures; changes said once */
	{ "------", 2, 1, ".D...." },
	/* up stays up however many passes */
	{ "++++", 3, 3, "...." },
	{ "---+++", 3, 3, "..D..U" },
};

START_TEST(test_sequences)
{
	char out[32];

	run(sequences[_i].results, sequences[_i].fails, sequences[_i].passes,
	    out);
	ck_assert_msg(strcmp(out, sequences[_i].changes) == 0,
	    "[%d] %s under fails=%d passes=%d: got %s, want %s", _i,
	    sequences[_i].results, sequences[_i].fails, sequences[_i].passes,
	    out, sequences[_i].changes);
}
END_TEST

START_TEST(test_counts_reset)
{
	mg_health_conf_t  h = { 1000, 1000, 2, 2, NULL, { 0 } };
	mg_health_state_t s = { 0 };

	ck_assert_int_eq(mg_health_note(&s, 0, &h), MG_HEALTH_SAME);
	ck_assert_int_eq(s.fails, 1);
	ck_assert_int_eq(mg_health_note(&s, 0, &h), MG_HEALTH_WENT_DOWN);
	ck_assert_int_eq(s.down, 1);
	ck_assert_int_eq(s.fails, 0);
	ck_assert_int_eq(mg_health_note(&s, 1, &h), MG_HEALTH_SAME);
	ck_assert_int_eq(s.passes, 1);
	ck_assert_int_eq(mg_health_note(&s, 1, &h), MG_HEALTH_CAME_UP);
	ck_assert_int_eq(s.down, 0);
	ck_assert_int_eq(s.passes, 0);
}
END_TEST

/* ---- the directive ------------------------------------------------------ */

START_TEST(test_conf_parse)
{
	char      *err = NULL;
	mg_conf_t *conf = mg_conf_load_string(
	    "upstream a {\n server http://127.0.0.1:1/mcp;\n"
	    " health_check interval=1s timeout=500ms fails=3 passes=2 "
	    "method=tools/list;\n}\n"
	    "upstream b {\n server http://127.0.0.1:1/mcp;\n health_check;\n}\n"
	    "upstream c {\n server http://127.0.0.1:1/mcp;\n}\n"
	    "upstream d {\n server http://127.0.0.1:1/mcp;\n"
	    " protocol 2026-07-28;\n health_check method=server/discover;\n}\n",
	    NAME, &err);
	const mg_upstream_t *a, *b, *c, *d;

	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	a = conf->upstreams;
	b = a->next;
	c = b->next;
	d = c->next;
	ck_assert_int_eq(a->health.interval, 1000);
	ck_assert_int_eq(a->health.timeout, 500);
	ck_assert_int_eq(a->health.fails, 3);
	ck_assert_int_eq(a->health.passes, 2);
	ck_assert_str_eq(a->health.method, "tools/list");
	ck_assert_int_eq(a->health.pos.line, 3);
	/* nginx Plus's defaults, and a timeout of our own */
	ck_assert_int_eq(b->health.interval, 5000);
	ck_assert_int_eq(b->health.timeout, 2000);
	ck_assert_int_eq(b->health.fails, 1);
	ck_assert_int_eq(b->health.passes, 1);
	ck_assert_ptr_null(b->health.method); /* by the era */
	ck_assert_ptr_null(c->health.pos.file);
	ck_assert_str_eq(d->health.method, "server/discover");
	mg_conf_free(conf);
}
END_TEST

/* A pool's members are upstreams of their own with the pool's
 * health_check: each is probed (health.c), a stdio one is not. */
START_TEST(test_conf_pool)
{
	char      *err = NULL;
	mg_conf_t *conf = mg_conf_load_string(
	    "upstream p {\n server http://127.0.0.1:1/mcp;\n"
	    " server http://127.0.0.1:2/mcp weight=2;\n"
	    " health_check interval=2s fails=3;\n}\n",
	    NAME, &err);
	const mg_upstream_t *p;

	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	p = conf->upstreams;
	ck_assert_uint_eq(p->nmembers, 2);
	for (size_t i = 0; i < p->nmembers; i++) {
		const mg_upstream_t *m = p->members[i].up;

		ck_assert_ptr_nonnull(m);
		ck_assert_ptr_eq(m->pool, p);
		ck_assert_ptr_nonnull(m->health.pos.file);
		ck_assert_int_eq(m->health.interval, 2000);
		ck_assert_int_eq(m->health.fails, 3);
		ck_assert_ptr_nonnull(m->server.url);
	}
	mg_conf_free(conf);
}
END_TEST

#define UP "upstream u {\n server http://127.0.0.1:1/mcp;\n "
static const refusal_t refusals[] = {
	{ UP "health_check interval=50ms;\n}",
	    "invalid \"interval=50ms\" in \"health_check\" (times from 100ms "
	    "to 1h, counts from 1 to 100, methods ping, tools/list, "
	    "resources/list, prompts/list, server/discover) in " NAME ":3" },
	{ UP "health_check fails=0;\n}",
	    "invalid \"fails=0\" in \"health_check\" (times from 100ms to 1h, "
	    "counts from 1 to 100, methods ping, tools/list, resources/list, "
	    "prompts/list, server/discover) in " NAME ":3" },
	{ UP "health_check passes=x;\n}",
	    "invalid \"passes=x\" in \"health_check\" (times from 100ms to "
	    "1h, counts from 1 to 100, methods ping, tools/list, "
	    "resources/list, prompts/list, server/discover) in " NAME ":3" },
	{ UP "health_check method=tools/call;\n}",
	    "invalid \"method=tools/call\" in \"health_check\" (times from "
	    "100ms to 1h, counts from 1 to 100, methods ping, tools/list, "
	    "resources/list, prompts/list, server/discover) in " NAME ":3" },
	{ UP "health_check uri=/;\n}",
	    "unknown parameter \"uri=/\" in \"health_check\" (interval=, "
	    "timeout=, fails=, passes=, method=) in " NAME ":3" },
	{ UP "health_check;\n health_check;\n}",
	    "\"health_check\" directive is duplicate in " NAME ":4" },
	{ UP "health_check method=server/discover;\n}",
	    "upstream \"u\": \"health_check method=server/discover\" needs "
	    "\"protocol 2026-07-28\" (use ping otherwise) in " NAME ":3" },
	{ UP "protocol 2026-07-28;\n health_check method=ping;\n}",
	    "upstream \"u\": \"health_check method=ping\": ping is not part "
	    "of 2026-07-28 (use server/discover) in " NAME ":4" },
	{ UP "protocol 2024-11-05;\n health_check;\n}",
	    "upstream \"u\": \"health_check\" probes Streamable HTTP, not "
	    "\"protocol 2024-11-05\" (HTTP+SSE) in " NAME ":4" },
	{ UP "forward_client_token on;\n health_check;\n}",
	    "upstream \"u\": \"health_check\" probes carry no client's token, "
	    "which forward_client_token and oauth_token_exchange need in " NAME
	    ":4" },
	{ "upstream u {\n command /bin/true;\n command /bin/true 2;\n"
	  " health_check;\n}",
	    "upstream \"u\" has no \"server\" URL for \"health_check\" to "
	    "probe (a stdio server is watched through its process) in " NAME
	    ":4" },
	{ "upstream u {\n command /bin/true;\n health_check;\n}",
	    "upstream \"u\" has no \"server\" URL for \"health_check\" to "
	    "probe (a stdio server is watched through its process) in " NAME
	    ":3" },
};
#undef UP

START_TEST(test_conf_refused)
{
	const refusal_t *r = &refusals[_i];
	char            *err = NULL;
	mg_conf_t       *conf = mg_conf_load_string(r->text, NAME, &err);

	ck_assert_msg(conf == NULL, "[%d] loaded, wanted: %s", _i, r->error);
	ck_assert_msg(err != NULL && strcmp(err, r->error) == 0,
	    "[%d]: got \"%s\", want \"%s\"", _i, err ? err : "(null)",
	    r->error);
	free(err);
}
END_TEST

Suite *
health_suite(void)
{
	Suite *s = suite_create("health");
	TCase *tc = tcase_create("state");
	TCase *conf = tcase_create("conf");

	tcase_add_loop_test(tc, test_sequences, 0, (int)MG_NELEM(sequences));
	tcase_add_test(tc, test_counts_reset);
	suite_add_tcase(s, tc);
	tcase_add_test(conf, test_conf_parse);
	tcase_add_test(conf, test_conf_pool);
	tcase_add_loop_test(
	    conf, test_conf_refused, 0, (int)MG_NELEM(refusals));
	suite_add_tcase(s, conf);
	return s;
}
