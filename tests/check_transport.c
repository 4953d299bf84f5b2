/*
 * The connector's transport table: each upstream gets its row from what
 * the configuration says of it (a command: stdio; a server URL: http),
 * and every row fills the functions the generic exchange calls; an end
 * that comes inside a start is told after it (upstart.c).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <event2/event.h>

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

/* ---- an end inside a start (upstart.c) -------------------------------- */

typedef struct {
	int  ends;
	int  code;
	char why[64];
	int  returned; /* the start had returned when the end came */
} seen_t;

static void
seen_end(void *arg, int code, const char *message)
{
	seen_t *s = arg;

	s->ends++;
	s->code = code;
	snprintf(s->why, sizeof(s->why), "%s", message ? message : "(null)");
	ck_assert_int_eq(s->returned, 1);
}

static mg_up_ops_t
seen_ops(seen_t *s)
{
	mg_up_ops_t ops = { 0 };

	ops.end = seen_end;
	ops.arg = s;
	return ops;
}

/* A row whose exchange fails at once: its end inside its start, its
 * exchange freed, and what it returns is nothing to keep. */
static int dummy_exchange;

static mg_upx_t *
failing_start(void *state, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	(void)state;
	(void)req;
	mg_upstream_end(ops, -32000, "cannot open a connection");
	return (mg_upx_t *)&dummy_exchange; /* as if freed */
}

/* A row that cannot start: NULL, no end. */
static mg_upx_t *
refusing_start(void *state, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	(void)state;
	(void)req;
	(void)ops;
	return NULL;
}

static const mg_transport_t failing_row = { .name = "failing",
	.start = failing_start };
static const mg_transport_t refusing_row = { .name = "refusing",
	.start = refusing_start };

START_TEST(test_end_in_start_told_after)
{
	struct event_base *base = event_base_new();
	seen_t             s = { 0 }, other = { 0 };
	mg_up_ops_t        ops = seen_ops(&s), ops2 = seen_ops(&other);
	mg_up_req_t        req = { 0 };
	mg_upx_t          *x;

	x = mg_upstart_run(base, &failing_row, NULL, &req, &ops);
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_ne(x, (mg_upx_t *)&dummy_exchange);
	ck_assert_int_eq(s.ends, 0); /* not inside the start */
	s.returned = 1;
	/* parked: the end goes to the new ops */
	mg_upstream_park(x, &ops2);
	other.returned = 1;
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(s.ends, 0);
	ck_assert_int_eq(other.ends, 1);
	ck_assert_int_eq(other.code, -32000);
	ck_assert_str_eq(other.why, "cannot open a connection");
	/* an end outside any start is told at once */
	mg_upstream_end(&ops, 0, NULL);
	ck_assert_int_eq(s.ends, 1);
	ck_assert_str_eq(s.why, "(null)");
	event_base_free(base);
}
END_TEST

START_TEST(test_end_in_start_cancelled)
{
	struct event_base *base = event_base_new();
	seen_t             s = { 0 };
	mg_up_ops_t        ops = seen_ops(&s);
	mg_up_req_t        req = { 0 };
	mg_upx_t          *x;

	x = mg_upstart_run(base, &failing_row, NULL, &req, &ops);
	ck_assert_ptr_nonnull(x);
	mg_upstream_cancel(x); /* the client left: no end at all */
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(s.ends, 0);
	ck_assert_ptr_null(
	    mg_upstart_run(base, &refusing_row, NULL, &req, &ops));
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(s.ends, 0);
	event_base_free(base);
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
	tc = tcase_create("end in start");
	tcase_add_test(tc, test_end_in_start_told_after);
	tcase_add_test(tc, test_end_in_start_cancelled);
	suite_add_tcase(s, tc);
	return s;
}
