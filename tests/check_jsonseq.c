/*
 * A streamed JSON body read message by message (jsonseq.c): one object
 * as before, a message a line, a message over many lines, input split at
 * every byte, and the hostile bodies (garbage, a message over the limit,
 * a body cut inside a message, no newline at all).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "jsonseq.h"
#include "suites.h"

/* What the parser gave: "R|text\n" (a response) or "N|text\n". */
static void
record(void *arg, const char *msg, size_t len, int response)
{
	struct evbuffer *out = arg;

	evbuffer_add_printf(out, "%c|", response ? 'R' : 'N');
	evbuffer_add(out, msg, len);
	evbuffer_add(out, "\n", 1);
}

/* Feed BODY in pieces of STEP bytes (0: whole); then the end.  The
 * messages and the result ("ok" or the error) in OUT. */
static void
run(const char *body, size_t step, size_t max, char *out, size_t n)
{
	struct evbuffer *got = evbuffer_new();
	mg_jsonseq_t    *p = mg_jsonseq_new(max, record, got);
	size_t           len = strlen(body), off = 0, k;
	int              rc = MG_OK;

	ck_assert_ptr_nonnull(p);
	while (off < len && rc == MG_OK) {
		k = step == 0 || step > len - off ? len - off : step;
		rc = mg_jsonseq_feed(p, body + off, k);
		off += k;
	}
	if (rc == MG_OK)
		rc = mg_jsonseq_end(p);
	evbuffer_add_printf(
	    got, "%s", rc == MG_OK ? "ok" : mg_jsonseq_error(p));
	k = evbuffer_get_length(got);
	ck_assert_uint_lt(k, n);
	evbuffer_remove(got, out, k);
	out[k] = '\0';
	evbuffer_free(got);
	mg_jsonseq_free(p);
}

/* The same messages and result however the body is cut. */
static void
check(const char *body, size_t max, const char *want)
{
	char got[8192];

	for (size_t step = 0; step <= strlen(body) + 1; step++) {
		run(body, step, max, got, sizeof(got));
		ck_assert_msg(strcmp(got, want) == 0,
		    "fed %zu bytes at a time: got\n%s\nwant\n%s", step, got,
		    want);
	}
}

START_TEST(one_object_as_before)
{
	/* no newline: the body as it came, unparsed, at its end */
	check("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", 1024,
	    "R|{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\nok");
	check("not json at all", 1024, "R|not json at all\nok");
	check("", 1024, "ok");
}
END_TEST

START_TEST(a_message_a_line)
{
	check("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/"
	      "subscriptions/acknowledged\"}\n"
	      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/"
	      "list_changed\"}\r\n\n"
	      "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":1,"
	      "\"message\":\"x\"}}\n",
	    1024,
	    "N|{\"jsonrpc\":\"2.0\",\"method\":\"notifications/"
	    "subscriptions/acknowledged\"}\n"
	    "N|{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/"
	    "list_changed\"}\n"
	    "R|{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":1,"
	    "\"message\":\"x\"}}\n"
	    "ok");
	/* the last line needs no newline; a batch is an answer */
	check("[{\"id\":1,\"result\":{}}]\n{\"id\":2,\"result\":{}}", 1024,
	    "R|[{\"id\":1,\"result\":{}}]\nR|{\"id\":2,\"result\":{}}\nok");
}
END_TEST

START_TEST(one_object_over_lines)
{
	check("{\n  \"jsonrpc\": \"2.0\",\n  \"id\": 1,\n  \"result\": "
	      "{\"s\": \"a\\nb\"}\n}\n",
	    1024,
	    "R|{\n  \"jsonrpc\": \"2.0\",\n  \"id\": 1,\n  \"result\": "
	    "{\"s\": \"a\\nb\"}\n}\nok");
}
END_TEST

START_TEST(hostile_bodies)
{
	/* a line of garbage after a good one: the good one was given */
	check("{\"method\":\"a\"}\ngarbage\n{\"method\":\"b\"}\n", 1024,
	    "N|{\"method\":\"a\"}\n"
	    "message 2 is not a JSON object or array");
	check("{\"method\":\"a\"}\n{\"method\" \"b\"}\n", 1024,
	    "N|{\"method\":\"a\"}\n"
	    "message 2 is not JSON (object property name separator ':' "
	    "expected)");
	check("{\"method\":\"a\"}\n42\n", 1024,
	    "N|{\"method\":\"a\"}\n"
	    "message 2 is not a JSON object or array");
	/* a message over the limit */
	check("{\"method\":\"a\"}\n{\"method\":\"aaaaaaaaaaaaaaaaaaaaaaaa\"}\n",
	    20,
	    "N|{\"method\":\"a\"}\n"
	    "message 2 is longer than 20 bytes (max_message_size)");
	/* cut in the middle of a line */
	check("{\"method\":\"a\"}\n{\"method\":", 1024,
	    "N|{\"method\":\"a\"}\n"
	    "the body ended inside message 2 (10 bytes of it came)");
	/* never a newline, past the limit */
	check("{\"method\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 20,
	    "more than 20 bytes without a newline (max_message_size)");
}
END_TEST

/* a listen's body: its first message is given without waiting for a
 * newline */
START_TEST(a_sequence_from_the_start)
{
	struct evbuffer *got = evbuffer_new();
	mg_jsonseq_t    *p = mg_jsonseq_new(1024, record, got);
	const char      *ack = "{\"method\":\"a\"}{\"method\":\"b\"";

	ck_assert_int_eq(mg_jsonseq_begin(p), MG_OK);
	ck_assert_int_eq(mg_jsonseq_feed(p, ack, strlen(ack)), MG_OK);
	ck_assert_uint_eq(mg_jsonseq_count(p), 1);
	ck_assert_int_eq(mg_jsonseq_feed(p, "}", 1), MG_OK);
	ck_assert_uint_eq(mg_jsonseq_count(p), 2);
	ck_assert_int_eq(mg_jsonseq_feed(p, "x", 1), MG_ERROR);
	ck_assert_str_eq(
	    mg_jsonseq_error(p), "message 3 is not a JSON object or array");
	mg_jsonseq_free(p);
	evbuffer_free(got);
}
END_TEST

START_TEST(failed_stays_failed)
{
	struct evbuffer *got = evbuffer_new();
	mg_jsonseq_t    *p = mg_jsonseq_new(1024, record, got);

	ck_assert_int_eq(mg_jsonseq_feed(p, "x\n", 2), MG_ERROR);
	ck_assert_int_eq(
	    mg_jsonseq_feed(p, "{\"id\":1,\"result\":1}\n", 20), MG_ERROR);
	ck_assert_int_eq(mg_jsonseq_end(p), MG_ERROR);
	ck_assert_uint_eq(mg_jsonseq_count(p), 0);
	ck_assert_uint_eq(evbuffer_get_length(got), 0);
	mg_jsonseq_free(p);
	evbuffer_free(got);
}
END_TEST

Suite *
jsonseq_suite(void)
{
	Suite *s = suite_create("jsonseq");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, one_object_as_before);
	tcase_add_test(tc, a_message_a_line);
	tcase_add_test(tc, one_object_over_lines);
	tcase_add_test(tc, hostile_bodies);
	tcase_add_test(tc, a_sequence_from_the_start);
	tcase_add_test(tc, failed_stays_failed);
	suite_add_tcase(s, tc);
	return s;
}
