/*
 * W3C Trace Context values (proto/trace.c): traceparent as the spec and
 * its test suite (w3c/trace-context test/test.py) judge it, tracestate's
 * grammar and limits, what is written upstream, new ids, and the ids an
 * exchange shows the access log (worker/extrace.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "mcpgw.h"
#include "suites.h"
#include "trace.h"

#define T "12345678901234567890123456789012"
#define P "1234567890123456"

static int
parent(const char *v, mg_trace_t *t)
{
	memset(t, 0, sizeof(*t));
	return mg_trace_parse_parent(v, strlen(v), t);
}

START_TEST(test_trace_parent_valid)
{
	mg_trace_t t;
	char       out[MG_TRACEPARENT_LEN + 1];

	ck_assert_int_eq(parent("00-" T "-" P "-01", &t), MG_OK);
	ck_assert_uint_eq(t.trace_id[0], 0x12);
	ck_assert_uint_eq(t.trace_id[15], 0x12);
	ck_assert_uint_eq(t.flags, 0x01);
	/* written back with our span as the parent-id, flags kept */
	memset(t.span_id, 0xab, sizeof(t.span_id));
	mg_trace_format(&t, out);
	ck_assert_str_eq(out, "00-" T "-abababababababab-01");
	ck_assert_int_eq(parent("00-" T "-" P "-00", &t), MG_OK);
	ck_assert_uint_eq(t.flags, 0x00);
	/* version 00's other flag bits are passed on as they came */
	ck_assert_int_eq(parent("00-" T "-" P "-03", &t), MG_OK);
	ck_assert_uint_eq(t.flags, 0x03);
	/* spaces and tabs around it (OWS) */
	ck_assert_int_eq(parent(" \t00-" T "-" P "-01 \t", &t), MG_OK);
}
END_TEST

START_TEST(test_trace_parent_invalid)
{
	static const char *const bad[] = {
		"",
		"00-" T "-" P "-01.",
		"00-" T "-" P
		"-01-what-the-future-will-be-like", /* 00: exact */
		"ff-" T "-" P "-01",
		".0-" T "-" P "-01",
		"0.-" T "-" P "-01",
		"000-" T "-" P "-01",
		"0-" T "-" P "-01",
		"00-00000000000000000000000000000000-" P "-01",
		"00-.2345678901234567890123456789012-" P "-01",
		"00-1234567890123456789012345678901.-" P "-01",
		"00-123456789012345678901234567890123-" P "-01",
		"00-1234567890123456789012345678901-" P "-01",
		"00-" T "-0000000000000000-01",
		"00-" T "-.234567890123456-01",
		"00-" T "-123456789012345.-01",
		"00-" T "-12345678901234567-01",
		"00-" T "-123456789012345-01",
		"00-" T "-" P "-.0",
		"00-" T "-" P "-0.",
		"00-" T "-" P "-001",
		"00-" T "-" P "-1",
		"00-ABCDEF78901234567890123456789012-" P "-01", /* uppercase */
		"00-" T "-ABCDEF7890123456-01",
		"00-" T "-" P "-0A",
		"AA-" T "-" P "-01",
		"00_" T "-" P "-01",
		"00-" T "_" P "-01",
		"cc-" T "-" P "-01.what-the-future-will-be-like",
		"cc-" T "-" P,
	};
	mg_trace_t t;

	for (size_t i = 0; i < MG_NELEM(bad); i++)
		ck_assert_msg(parent(bad[i], &t) == MG_DECLINED,
		    "accepted \"%s\"", bad[i]);
}
END_TEST

/* A later version: its first four fields, the sampled bit only. */
START_TEST(test_trace_parent_future)
{
	mg_trace_t t;
	char       out[MG_TRACEPARENT_LEN + 1];

	ck_assert_int_eq(parent("cc-" T "-" P "-01", &t), MG_OK);
	ck_assert_int_eq(
	    parent("cc-" T "-" P "-01-what-the-future-will-be-like", &t),
	    MG_OK);
	ck_assert_uint_eq(t.flags, 0x01);
	ck_assert_int_eq(parent("cc-" T "-" P "-ff-x", &t), MG_OK);
	ck_assert_uint_eq(t.flags, 0x01);
	mg_trace_format(&t, out);
	ck_assert(strncmp(out, "00-" T "-", 36) == 0); /* written as 00 */
}
END_TEST

/* STATE's fields (NULL-ended) as the one value passed on; "" for none. */
static const char *
state(const char *const *fields)
{
	static char     out[MG_TRACESTATE_MAX + 1];
	mg_tracestate_t s = { .n = 0 };

	for (; *fields != NULL; fields++)
		if (mg_trace_state_add(&s, *fields, strlen(*fields)) != MG_OK)
			break;
	mg_trace_state_join(&s, out, sizeof(out));
	return out;
}

#define STATE(...) state((const char *const[]){ __VA_ARGS__, NULL })

START_TEST(test_trace_state_valid)
{
	char key[300], line[600];

	ck_assert_str_eq(STATE("congo=t61rcWkgMzE"), "congo=t61rcWkgMzE");
	ck_assert_str_eq(
	    STATE("foo=1 \t , \t bar=2, \t baz=3"), "foo=1,bar=2,baz=3");
	ck_assert_str_eq(STATE("foo=1,bar=2", "rojo=1,congo=2", "baz=3"),
	    "foo=1,bar=2,rojo=1,congo=2,baz=3");
	ck_assert_str_eq(STATE("", "foo=1", ""), "foo=1");
	ck_assert_str_eq(STATE("foo=1,,  ,bar=2"), "foo=1,bar=2");
	ck_assert_str_eq(STATE(""), "");
	/* a value's leading spaces are its own */
	ck_assert_str_eq(STATE("foo= 1"), "foo= 1");
	/* every character a key and a value may have */
	ck_assert_str_eq(STATE("abcdefghijklmnopqrstuvwxyz0123456789_-*/="
			       " !\"#$%&'()*+-./09:;<>?@AZ[\\]^_`az{|}~"),
	    "abcdefghijklmnopqrstuvwxyz0123456789_-*/="
	    " !\"#$%&'()*+-./09:;<>?@AZ[\\]^_`az{|}~");
	ck_assert_str_eq(
	    STATE("tenant@vendor=1,0t@v=2"), "tenant@vendor=1,0t@v=2");
	/* keys of 256 characters, tenants of 241, systems of 14 */
	memset(key, 'z', 256);
	snprintf(line, sizeof(line), "%.256s=1", key);
	ck_assert_uint_eq(strlen(STATE("foo=1", line)), 6 + strlen(line));
	/* values of 256 */
	memcpy(line, "foo=", 4);
	memset(line + 4, 'v', 256);
	line[260] = '\0';
	ck_assert_str_eq(STATE(line), line);
	memset(key, 't', 241);
	snprintf(line, sizeof(line), "%.241s@vvvvvvvvvvvvvv=1", key);
	ck_assert_int_eq(strlen(STATE(line)), strlen(line));
}
END_TEST

START_TEST(test_trace_state_invalid)
{
	char line[600];

	/* one bad member: no tracestate at all */
	ck_assert_str_eq(STATE("foo=1,foo=1"), "");
	ck_assert_str_eq(STATE("foo=1,foo=2"), "");
	ck_assert_str_eq(STATE("foo=1", "foo=2"), "");
	ck_assert_str_eq(STATE("foo =1"), "");
	ck_assert_str_eq(STATE("FOO=1"), "");
	ck_assert_str_eq(STATE("foo.bar=1"), "");
	ck_assert_str_eq(STATE("foo@=1,bar=2"), "");
	ck_assert_str_eq(STATE("@foo=1,bar=2"), "");
	ck_assert_str_eq(STATE("foo@@bar=1,bar=2"), "");
	ck_assert_str_eq(STATE("foo@bar@baz=1,bar=2"), "");
	ck_assert_str_eq(STATE("foo=bar=baz"), "");
	ck_assert_str_eq(STATE("foo=,bar=3"), "");
	ck_assert_str_eq(STATE("foo"), "");
	ck_assert_str_eq(STATE("1foo=1"), ""); /* a simple key's letter */
	ck_assert_str_eq(STATE("foo=a\tb"), "");
	ck_assert_str_eq(STATE("foo=\x7f"), "");
	memset(line, 'z', 257);
	strcpy(line + 257, "=1");
	ck_assert_str_eq(STATE("foo=1", line), "");
	memset(line, 't', 242);
	strcpy(line + 242, "@v=1");
	ck_assert_str_eq(STATE("foo=1", line), "");
	ck_assert_str_eq(STATE("foo=1", "t@vvvvvvvvvvvvvvv=1"), "");
	memcpy(line, "foo=", 4); /* a value of 257 */
	memset(line + 4, 'v', 257);
	line[261] = '\0';
	ck_assert_str_eq(STATE(line), "");
}
END_TEST

/* 32 members at most; longer than 512: whole members cut, those over 128
 * characters first, then from the end. */
START_TEST(test_trace_state_limits)
{
	char        line[2048], big[200];
	size_t      o = 0;
	const char *out;

	for (int i = 1; i <= 32; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o,
		    "%sbar%02d=%02d", i > 1 ? "," : "", i, i);
	ck_assert_str_eq(STATE(line), line);
	snprintf(line + o, sizeof(line) - o, ",bar33=33");
	ck_assert_str_eq(STATE(line), "");

	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	/* 4 short members, one of 200, and enough of 100 to pass 512 */
	o = (size_t)snprintf(line, sizeof(line), "a=1,b=%.196s", big);
	for (int i = 0; i < 6; i++)
		o += (size_t)snprintf(
		    line + o, sizeof(line) - o, ",k%d=%.96s", i, big);
	out = STATE(line);
	ck_assert(strlen(out) <= MG_TRACESTATE_MAX);
	ck_assert(strncmp(out, "a=1,k0=", 7) == 0); /* b went first */
	ck_assert(strstr(out, "k4=") != NULL && strstr(out, "k5=") == NULL);
}
END_TEST

START_TEST(test_trace_lines)
{
	mg_trace_t t = { 0 };
	char       out[MG_TRACE_LINES_MAX];
	size_t     n;
	char       all[MG_TRACE_LINES_MAX + 64];

	ck_assert_int_eq(parent("00-" T "-" P "-01", &t), MG_OK);
	memset(t.span_id, 0x01, sizeof(t.span_id));
	n = mg_trace_lines(&t, out, sizeof(out));
	ck_assert_uint_eq(n, 70);
	ck_assert(memcmp(out, "traceparent: 00-" T "-0101010101010101-01\r\n",
		      n) == 0);
	t.state = "congo=1";
	n = mg_trace_lines(&t, out, sizeof(out));
	ck_assert(memcmp(out + 70, "tracestate: congo=1\r\n", n - 70) == 0);
	/* the connector tells them from the routing lines that follow */
	memcpy(all, out, n);
	memcpy(all + n, "Mcp-Method: tools/call\r\n", 24);
	ck_assert_uint_eq(mg_trace_lines_len(all, n + 24), n);
	ck_assert_uint_eq(mg_trace_lines_len(all + n, 24), 0);
	ck_assert_uint_eq(mg_trace_lines_len("", 0), 0);
	ck_assert_uint_eq(mg_trace_lines_len("traceparent", 11), 0);
	ck_assert_uint_eq(mg_trace_lines_len("tracestate: x", 13), 0);
	/* too small a buffer: nothing */
	ck_assert_uint_eq(mg_trace_lines(&t, out, 10), 0);
}
END_TEST

/* New ids: never zeros, another each time, a new trace not sampled. */
START_TEST(test_trace_new_ids)
{
	mg_trace_t           a = { 0 }, b = { 0 };
	static const uint8_t zero[16];

	mg_trace_new_trace(&a);
	mg_trace_new_span(&a);
	mg_trace_new_trace(&b);
	mg_trace_new_span(&b);
	ck_assert(memcmp(a.trace_id, zero, 16) != 0);
	ck_assert(memcmp(a.span_id, zero, 8) != 0);
	ck_assert(memcmp(a.trace_id, b.trace_id, 16) != 0);
	ck_assert(memcmp(a.span_id, b.span_id, 8) != 0);
	ck_assert_uint_eq(a.flags, 0);
	ck_assert_uint_eq(a.from_client, 0);
}
END_TEST

START_TEST(test_trace_ex_ids)
{
	mg_mcp_ex_t ex;
	char        id[MG_EX_ID_SIZE], tp[MG_TRACEPARENT_LEN + 1], pid[17];

	memset(&ex, 0, sizeof(ex));
	ck_assert_int_eq(parent("00-" T "-" P "-01", &ex.trace), MG_OK);
	ex.trace.from_client = 1;
	memset(ex.trace.span_id, 0xcd, sizeof(ex.trace.span_id));
	ck_assert_str_eq(
	    mg_ex_traceparent(&ex, tp), "00-" T "-cdcdcdcdcdcdcdcd-01");
	ck_assert_str_eq(mg_ex_trace_id(&ex, id), T);
	/* the span, then the trace id's last 16 digits */
	ck_assert_str_eq(
	    mg_ex_request_id(&ex, id), "cdcdcdcdcdcdcdcd7890123456789012");
	ck_assert_ptr_null(mg_ex_trace_parent_id(&ex, pid)); /* no request */
	ck_assert_ptr_null(mg_ex_tracestate(&ex));
	ex.trace.state = "a=1";
	ck_assert_str_eq(mg_ex_tracestate(&ex), "a=1");
	/* a request refused before it had an exchange */
	ck_assert_ptr_null(mg_ex_traceparent(NULL, tp));
	ck_assert_ptr_null(mg_ex_trace_id(NULL, id));
	ck_assert_ptr_null(mg_ex_request_id(NULL, id));
	ck_assert_ptr_null(mg_ex_tracestate(NULL));
}
END_TEST

Suite *
trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_trace_parent_valid);
	tcase_add_test(tc, test_trace_parent_invalid);
	tcase_add_test(tc, test_trace_parent_future);
	tcase_add_test(tc, test_trace_state_valid);
	tcase_add_test(tc, test_trace_state_invalid);
	tcase_add_test(tc, test_trace_state_limits);
	tcase_add_test(tc, test_trace_lines);
	tcase_add_test(tc, test_trace_new_ids);
	tcase_add_test(tc, test_trace_ex_ids);
	suite_add_tcase(s, tc);
	return s;
}
