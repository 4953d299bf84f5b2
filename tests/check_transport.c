/*
 * The connector's transport table: each upstream gets its row from what
 * the configuration says of it (a command: stdio; a server URL: http),
 * and every row fills the functions the generic exchange calls.
 */
#include "config.h"

#include <string.h>

#include "suites.h"
#include "transport.h"

static char *argv_true[] = { "/bin/true", NULL };

START_TEST(test_command_is_stdio)
{
	mg_upstream_t up = { 0 };

	up.command = argv_true;
	ck_assert_ptr_eq(mg_transport_for(&up), &mg_transport_stdio);
	ck_assert_str_eq(mg_transport_for(&up)->name, "stdio");
}
END_TEST

START_TEST(test_server_is_http)
{
	static const char *const urls[] = { "http://127.0.0.1:8080/mcp",
		"https://mcp.example.com/mcp" };
	mg_upstream_t            up = { 0 };

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		up.server.url = (char *)urls[i];
		up.server.tls = strncmp(urls[i], "https:", 6) == 0;
		ck_assert_ptr_eq(mg_transport_for(&up), &mg_transport_http);
		ck_assert_str_eq(mg_transport_for(&up)->name, "http");
	}
}
END_TEST

START_TEST(test_neither_is_none)
{
	mg_upstream_t up = { 0 };

	ck_assert_ptr_null(mg_transport_for(&up));
}
END_TEST

/* What the generic calls rely on: every row can start, cancel, park,
 * resume, tell its version, be set up and freed (take_own and stop_all
 * may be absent). */
START_TEST(test_rows_complete)
{
	const mg_transport_t *const rows[] = { &mg_transport_http,
		&mg_transport_stdio };

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const mg_transport_t *t = rows[i];

		ck_assert_ptr_nonnull(t->name);
		ck_assert_ptr_nonnull(t->serves);
		ck_assert_ptr_nonnull(t->new);
		ck_assert_ptr_nonnull(t->start);
		ck_assert_ptr_nonnull(t->cancel);
		ck_assert_ptr_nonnull(t->park);
		ck_assert_ptr_nonnull(t->resume);
		ck_assert_ptr_nonnull(t->version);
		ck_assert_ptr_nonnull(t->free);
	}
	/* only stdio runs things of its own that a stop must wait for */
	ck_assert_ptr_nonnull(mg_transport_stdio.stop_all);
	ck_assert_ptr_null(mg_transport_http.stop_all);
}
END_TEST

Suite *
transport_suite(void)
{
	Suite *s = suite_create("transport");
	TCase *tc = tcase_create("choice");

	tcase_add_test(tc, test_command_is_stdio);
	tcase_add_test(tc, test_server_is_http);
	tcase_add_test(tc, test_neither_is_none);
	tcase_add_test(tc, test_rows_complete);
	suite_add_tcase(s, tc);
	return s;
}
