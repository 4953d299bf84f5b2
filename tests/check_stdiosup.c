/*
 * The pure pieces of the stdio supervision: the restart backoff
 * (stdiosup.c), and the stderr line splitter and rate limit (stdioerr.c).
 */
#include "config.h"

#include <string.h>

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

Suite *
stdiosup_suite(void)
{
	Suite *s = suite_create("stdiosup");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_backoff_schedule);
	tcase_add_test(tc, test_errline_whole);
	tcase_add_test(tc, test_errline_partial_and_long);
	tcase_add_test(tc, test_errrate);
	suite_add_tcase(s, tc);
	return s;
}
