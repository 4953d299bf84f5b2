/*
 * The fatal-signal report: its text with and without a request in hand,
 * a cut context, and a real abort() in a forked child whose line is read
 * back from the log descriptor while the child still dies of SIGABRT.
 */
#include "config.h"

#include <regex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crash.h"
#include "log.h"
#include "suites.h"

Suite *crash_suite(void);

static void
ck_matches(const char *text, const char *pattern)
{
	regex_t re;

	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, text, 0, NULL, 0) == 0,
	    "\"%s\" does not match /%s/", text, pattern);
	regfree(&re);
}

START_TEST(test_format)
{
	char   buf[512];
	size_t n;

	mg_crash_done();
	n = mg_crash_format(buf, sizeof(buf), SIGSEGV, "worker");
	buf[n] = '\0';
	ck_matches(buf,
	    "^[0-9]{4}/[01][0-9]/[0-3][0-9] [0-2][0-9]:[0-5][0-9]:"
	    "[0-6][0-9]\\.[0-9]{3} \\[crit\\] [0-9]+ worker: "
	    "SIGSEGV \\(invalid memory access\\) while it had no "
	    "request in hand; the process dies of it\n$");
	mg_crash_doing("POST", "/mcp/demo", "127.0.0.1");
	n = mg_crash_format(buf, sizeof(buf), SIGABRT, "connector");
	buf[n] = '\0';
	ck_matches(buf,
	    " connector: SIGABRT \\(an assertion failed or "
	    "abort\\(\\) was called\\) while POST /mcp/demo "
	    "127.0.0.1; the process dies of it\n$");
	mg_crash_done();
}
END_TEST

START_TEST(test_cut)
{
	char   big[1024], buf[512];
	size_t n;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mg_crash_doing("reading", big, "tail");
	n = mg_crash_format(buf, sizeof(buf), SIGBUS, "worker");
	buf[n] = '\0';
	ck_assert_uint_lt(n, sizeof(buf));
	ck_matches(buf, "while reading x{190,207}; the process dies of it\n$");
	/* a small buffer is filled, never overrun */
	n = mg_crash_format(buf, 40, SIGBUS, "worker");
	ck_assert_uint_le(n, 40);
	mg_crash_done();
}
END_TEST

START_TEST(test_abort_in_child)
{
	char    line[512];
	int     p[2], status;
	ssize_t n;
	pid_t   pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		mg_log_set_role("worker");
		mg_log_set_fd(p[1]);
		mg_crash_init();
		mg_crash_doing("GET", "/mcp/demo", "10.1.2.3");
		abort();
	}
	close(p[1]);
	n = read(p[0], line, sizeof(line) - 1);
	close(p[0]);
	ck_assert_int_gt(n, 0);
	line[n] = '\0';
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	ck_matches(line,
	    "\\[crit\\] [0-9]+ worker: SIGABRT .* while GET "
	    "/mcp/demo 10.1.2.3; the process dies of it\n$");
}
END_TEST

Suite *
crash_suite(void)
{
	Suite *s = suite_create("crash");
	TCase *tc = tcase_create("report");

	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_cut);
	tcase_add_test(tc, test_abort_in_child);
	suite_add_tcase(s, tc);
	return s;
}
