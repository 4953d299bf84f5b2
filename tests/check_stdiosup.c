/*
 * The pure pieces of the stdio supervision: the restart backoff
 * (stdiosup.c), the stderr line splitter and rate limit and how an end
 * is worded (stdioerr.c); and its directives as parsed and refused (cwd,
 * process_queue, process_queue_timeout).
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check_conf.h"
#include "conf.h"
#include "mcpgw.h"
#include "stdioup.h"
#include "suites.h"

START_TEST(test_backoff_schedule)
{
	static const int64_t want[] = { 0, 500, 1000, 2000, 4000, 8000, 16000,
		30000, 30000 };

	for (int n = 0; n < (int)(sizeof(want) / sizeof(want[0])); n++)
		ck_assert_int_eq(mg_stdsup_delay(n), want[n]);
	ck_assert_int_eq(mg_stdsup_delay(1000), STDIO_BACKOFF_MAX);
	ck_assert_int_eq(mg_stdsup_delay(-1), 0);
}
END_TEST

START_TEST(test_errline_whole)
{
	size_t used, n;

	n = mg_stdio_errline("hello\nworld\n", 12, 1024, &used);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(used, 6);
	n = mg_stdio_errline("crlf\r\nx", 7, 1024, &used);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(used, 6);
	n = mg_stdio_errline("\n", 1, 1024, &used);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(used, 1);
}
END_TEST

START_TEST(test_errline_partial_and_long)
{
	char   buf[40];
	size_t used, n;

	/* no end yet, shorter than the limit: wait for more */
	n = mg_stdio_errline("no end", 6, 16, &used);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(n, 0);
	/* longer than the limit with no end: cut in pieces of 16 */
	memset(buf, 'a', sizeof(buf));
	n = mg_stdio_errline(buf, sizeof(buf), 16, &used);
	ck_assert_uint_eq(n, 16);
	ck_assert_uint_eq(used, 16);
	/* a line of 20 with its end: 16 logged, all 21 taken */
	buf[20] = '\n';
	n = mg_stdio_errline(buf, 21, 16, &used);
	ck_assert_uint_eq(n, 16);
	ck_assert_uint_eq(used, 16);
	n = mg_stdio_errline(buf, 18, 16, &used);
	ck_assert_uint_eq(n, 16);
	ck_assert_uint_eq(used, 16);
	/* the end just past the limit: still one line */
	buf[17] = '\n';
	n = mg_stdio_errline(buf, 21, 16, &used);
	ck_assert_uint_eq(n, 16);
	ck_assert_uint_eq(used, 18);
}
END_TEST

START_TEST(test_errrate)
{
	mg_stdio_rate_t r = { 0 };
	long            report;
	int             logged = 0;

	for (int i = 0; i < 3 * STDIO_ERR_BURST; i++) {
		logged += mg_stdio_errrate(&r, 1000 + i, &report);
		ck_assert_int_eq(report, 0);
	}
	ck_assert_int_eq(logged, STDIO_ERR_BURST);
	/* the next window: the drops of the last reported once */
	ck_assert_int_eq(
	    mg_stdio_errrate(&r, 1000 + STDIO_ERR_WINDOW, &report), 1);
	ck_assert_int_eq(report, 2 * STDIO_ERR_BURST);
	ck_assert_int_eq(
	    mg_stdio_errrate(&r, 1001 + STDIO_ERR_WINDOW, &report), 1);
	ck_assert_int_eq(report, 0);
}
END_TEST

START_TEST(test_status_words)
{
	char          buf[96], why[640];
	static proc_t p; /* static: its errhead is zero */

	mg_stdio_status(3 << 8, buf, sizeof(buf));
	ck_assert_str_eq(buf, "exited with code 3");
	mg_stdio_status(SIGKILL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "exited on signal 9 (Killed)");
	mg_stdio_why(&p, "exited with code 3", why, sizeof(why));
	ck_assert_str_eq(
	    why, "exited with code 3 before it answered initialize");
	strcpy(p.errhead, "no config | giving up");
	mg_stdio_why(&p, "exited with code 3", why, sizeof(why));
	ck_assert_str_eq(why,
	    "exited with code 3 before it answered initialize; its stderr: "
	    "no config | giving up");
	p.live = 1;
	mg_stdio_why(&p, "exited on signal 9 (Killed)", why, sizeof(why));
	ck_assert_str_eq(why, "exited on signal 9 (Killed)");
}
END_TEST

/* ---- the directives ------------------------------------------------------ */

START_TEST(test_conf_parse)
{
	char      *err = NULL;
	mg_conf_t *conf = mg_conf_load_string(
	    "upstream a {\n command /bin/true;\n cwd /tmp;\n"
	    " process_queue 3;\n process_queue_timeout 500ms;\n}\n"
	    "upstream b {\n command /bin/true;\n}\n",
	    NAME, &err);
	mg_upstream_t *a, *b;

	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	a = conf->upstreams;
	b = a->next;
	ck_assert_str_eq(a->cwd, "/tmp");
	ck_assert_int_eq(a->process_queue, 3);
	ck_assert_int_eq(a->process_queue_timeout, 500);
	ck_assert_ptr_null(b->cwd);
	ck_assert_int_eq(b->process_queue, 16);
	ck_assert_int_eq(b->process_queue_timeout, 10000);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t refusals[] = {
	{ "upstream u {\n command /bin/true;\n cwd tmp;\n}",
	    "cwd \"tmp\": the path must be absolute in " NAME ":3" },
	{ "upstream u {\n command /bin/true;\n cwd /no/such/dir;\n}",
	    "cwd \"/no/such/dir\": No such file or directory in " NAME ":3" },
	{ "upstream u {\n command /bin/true;\n cwd /bin/true;\n}",
	    "cwd \"/bin/true\": not a directory in " NAME ":3" },
	{ "upstream u {\n command /bin/true;\n cwd /tmp;\n cwd /;\n}",
	    "upstream \"u\" has a cwd already in " NAME ":4" },
	{ "upstream u {\n server http://a/;\n cwd /tmp;\n}",
	    "upstream \"u\" has no \"command\": \"cwd\" is for a stdio "
	    "server in " NAME ":3" },
	{ "upstream u {\n command /bin/true;\n process_queue 100001;\n}",
	    "invalid value \"100001\" in \"process_queue\" directive in " NAME
	    ":3" },
	{ "upstream u {\n command /bin/true;\n process_queue_timeout 50ms;\n}",
	    "invalid time \"50ms\" in \"process_queue_timeout\" directive "
	    "in " NAME ":3" },
};

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
stdiosup_suite(void)
{
	Suite *s = suite_create("stdiosup");
	TCase *tc = tcase_create("core");
	TCase *conf = tcase_create("conf");

	tcase_add_test(tc, test_backoff_schedule);
	tcase_add_test(tc, test_errline_whole);
	tcase_add_test(tc, test_errline_partial_and_long);
	tcase_add_test(tc, test_errrate);
	tcase_add_test(tc, test_status_words);
	suite_add_tcase(s, tc);
	tcase_add_test(conf, test_conf_parse);
	tcase_add_loop_test(
	    conf, test_conf_refused, 0, (int)MG_NELEM(refusals));
	suite_add_tcase(s, conf);
	return s;
}
