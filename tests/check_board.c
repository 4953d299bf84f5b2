/*
 * The status board (board.h) and the status page's HTML (status.h): a
 * process's last minute counted and read back from another process, a
 * freed record folded into the master's, upstream records keyed by name
 * and written only by the running generation's connector, an upstream's
 * error text cut and cleaned, and every text of the page HTML-escaped.
 */
#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "board.h"
#include "status.h"
#include "suites.h"

START_TEST(rates_across_processes)
{
	mg_board_proc_t p;
	int             i;
	pid_t           pid;

	ck_assert_int_eq(mg_board_init(), MG_OK);
	mg_board_generation(1, 0);
	i = mg_board_claim(MG_ROLE_WORKER, 3, 1);
	ck_assert_int_gt(i, 0);
	if ((pid = fork()) == 0) { /* the worker: its own record */
		mg_board_use(i);
		for (int k = 0; k < 7; k++)
			mg_board_request(k < 2, 0);
		mg_board_streams(1);
		_exit(0);
	}
	mg_board_started(i, pid, 2);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_int_eq(mg_board_proc(i, &p), MG_OK);
	ck_assert_int_eq(p.role, MG_ROLE_WORKER);
	ck_assert_int_eq(p.slot, 3);
	ck_assert_uint_eq(p.requests, 7);
	ck_assert_uint_eq(p.errors, 2);
	ck_assert_uint_eq(p.restarts, 2);
	ck_assert_int_eq(p.streams, 1);
	/* gone for good: the master's record keeps its last minute */
	mg_board_release(i);
	ck_assert_int_eq(mg_board_proc(i, &p), MG_DECLINED);
	ck_assert_int_eq(mg_board_proc(0, &p), MG_OK);
	ck_assert_int_eq(p.role, MG_ROLE_MASTER);
	ck_assert_int_eq(p.pid, (int)getpid());
	ck_assert_uint_eq(p.requests, 7);
	ck_assert_uint_eq(p.errors, 2);
}
END_TEST

/* A worker counts a request at its end on the fine monotonic clock, which
 * the readers' coarse clock (same epoch) may lag by a tick: a request in
 * the next second is counted, one older than the minute is not. */
START_TEST(rates_fine_clock)
{
	mg_board_proc_t p;
	int64_t         now;
	int             i;

	ck_assert_int_eq(mg_board_init(), MG_OK);
	i = mg_board_claim(MG_ROLE_WORKER, 0, 1);
	ck_assert_int_gt(i, 0);
	mg_board_use(i);
	now = mg_board_mono_ms() / 1000;
	mg_board_request(0, now * 1000000 + 999999);
	mg_board_request(0, now * 1000000);       /* the same second's bucket */
	mg_board_request(1, (now + 1) * 1000000); /* a tick ahead */
	mg_board_request(1, (now - 61) * 1000000 + 5); /* gone */
	mg_board_request(0, 0);                        /* the clock read here */
	ck_assert_int_eq(mg_board_proc(i, &p), MG_OK);
	ck_assert_uint_eq(p.requests, 4);
	ck_assert_uint_eq(p.errors, 1);
}
END_TEST

START_TEST(upstreams_by_name)
{
	const char   *names[] = { "alpha", "beta" };
	const char   *next[] = { "beta", "gamma" };
	char          why[600];
	mg_board_up_t u;

	ck_assert_int_eq(mg_board_init(), MG_OK);
	mg_board_generation(5, 1);
	mg_board_bind_upstreams(5, names, 2);
	mg_board_up_result(1, 1, NULL);
	/* an upstream's text: long, with controls and 2-byte characters */
	why[0] = 'a';
	why[1] = '\n';
	for (size_t k = 2; k + 2 < sizeof(why); k += 2)
		memcpy(why + k, "\xc3\xa9", 2);
	why[sizeof(why) - 2] = '\0';
	mg_board_up_result(0, 0, why);
	ck_assert_int_eq(mg_board_upstream("alpha", &u), MG_OK);
	ck_assert_int_eq(u.state, MG_BOARD_FAILING);
	ck_assert_uint_lt(strlen(u.last_error), MG_BOARD_TEXT);
	ck_assert_ptr_null(strchr(u.last_error, '\n'));
	/* cut at a character's start, not inside one */
	ck_assert_uint_eq(strlen(u.last_error), MG_BOARD_TEXT - 2);
	ck_assert_int_eq(u.last_error[1], ' ');
	ck_assert_int_gt(u.last_error_ms, 0);
	/* bytes that are not UTF-8 become '?' (split: no trigraph) */
	mg_board_up_result(0, 0, "a\xff\xc3 b\xe2\x82");
	ck_assert_int_eq(mg_board_upstream("alpha", &u), MG_OK);
	ck_assert_str_eq(u.last_error,
	    "a?"
	    "? b?"
	    "?");
	ck_assert_uint_eq(u.failed, 2);
	ck_assert_int_eq(mg_board_upstream("beta", &u), MG_OK);
	ck_assert_int_eq(u.state, MG_BOARD_OK);
	ck_assert_uint_eq(u.ok, 1);
	/* a reload: beta keeps its record, gamma takes alpha's; the old
	 * connector writes no more */
	mg_board_generation(6, 1);
	mg_board_up_result(1, 0, "old generation");
	ck_assert_int_eq(mg_board_upstream("beta", &u), MG_OK);
	ck_assert_int_eq(u.state, MG_BOARD_OK);
	mg_board_bind_upstreams(6, next, 2);
	ck_assert_int_eq(mg_board_upstream("beta", &u), MG_OK);
	ck_assert_uint_eq(u.ok, 1);
	ck_assert_int_eq(mg_board_upstream("gamma", &u), MG_OK);
	ck_assert_int_eq(u.state, MG_BOARD_UNKNOWN);
	ck_assert_int_eq(mg_board_upstream("nosuch", &u), MG_DECLINED);
}
END_TEST

static json_object *
page_tree(void)
{
	return json_tokener_parse(
	    "{\"version\":\"1\",\"generation\":2,\"rates\":{},"
	    "\"sessions\":{},\"streams\":{\"open\":0},"
	    "\"upstreams\":[{\"name\":\"a<b\",\"state\":\"failing\","
	    "\"last_error\":\"<script>alert(1)</script>\\\"'&\"}],"
	    "\"processes\":[{\"role\":\"worker\",\"state\":\"<i>\"}],"
	    "\"routes\":[{\"server_names\":[\"x\\\"y\"],\"listen\":[],"
	    "\"locations\":[{\"path\":\"/<p>\",\"kind\":\"page\","
	    "\"target\":[\"<m>\"],\"auth\":[]}]}]}");
}

START_TEST(html_escapes_everything)
{
	json_object     *st = page_tree();
	struct evbuffer *b = evbuffer_new();
	char            *html;
	size_t           n;

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(mg_status_html(st, b), MG_OK);
	n = evbuffer_get_length(b);
	html = (char *)evbuffer_pullup(b, -1);
	html[n - 1] = '\0';
	ck_assert_ptr_nonnull(strstr(
	    html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
	ck_assert_ptr_null(strstr(html, "<script>alert"));
	ck_assert_ptr_nonnull(strstr(html, "a&lt;b"));
	ck_assert_ptr_nonnull(strstr(html, "/&lt;p&gt;"));
	ck_assert_ptr_nonnull(strstr(html, "&lt;m&gt;"));
	ck_assert_ptr_nonnull(strstr(html, "x&quot;y"));
	ck_assert_ptr_nonnull(strstr(html, "st &lt;i&gt;"));
	ck_assert_ptr_null(strstr(html, "<i>"));
	/* the page's only script is its own */
	ck_assert_ptr_eq(strstr(strstr(html, "<script") + 1, "<script"), NULL);
	json_object_put(st);
	evbuffer_free(b);
}
END_TEST

Suite *
board_suite(void)
{
	Suite *s = suite_create("board");
	TCase *tc = tcase_create("board");

	tcase_add_test(tc, rates_across_processes);
	tcase_add_test(tc, rates_fine_clock);
	tcase_add_test(tc, upstreams_by_name);
	tcase_add_test(tc, html_escapes_everything);
	suite_add_tcase(s, tc);
	return s;
}
