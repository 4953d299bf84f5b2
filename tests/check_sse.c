/*
 * Server-Sent Events: the encoder's bytes, the parser on the WHATWG
 * examples and MCP's priming event, input split at every byte, limits,
 * and encoder output read back by the parser.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "sse.h"
#include "suites.h"

Suite *sse_suite(void);

/* The buffer's contents as a string; the buffer is emptied. */
static char *
drain(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char  *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(evbuffer_remove(b, s, n), (int)n);
	s[n] = '\0';
	return s;
}

#define ck_assert_drain(b, want)                                               \
	do {                                                                   \
		char *got_ = drain(b);                                         \
		ck_assert_str_eq(got_, want);                                  \
		free(got_);                                                    \
	} while (0)

static void
add_quoted(struct evbuffer *log, const char *s, size_t n)
{
	evbuffer_add(log, "\"", 1);
	for (size_t i = 0; i < n; i++)
		switch (s[i]) {
		case '\n': evbuffer_add(log, "\\n", 2); break;
		case '\r': evbuffer_add(log, "\\r", 2); break;
		case '\0': evbuffer_add(log, "\\0", 2); break;
		case '"': evbuffer_add(log, "\\\"", 2); break;
		default: evbuffer_add(log, s + i, 1);
		}
	evbuffer_add(log, "\"", 1);
}

/* Each event as one line of text in the evbuffer ARG. */
static void
record(void *arg, const mg_sse_event_t *ev)
{
	struct evbuffer *log = arg;

	ck_assert_ptr_nonnull(ev->last_id);
	ck_assert_ptr_nonnull(ev->type);
	ck_assert_ptr_nonnull(ev->data);
	ck_assert(ev->data[ev->data_len] == '\0');
	if (!ev->has_data)
		ck_assert_uint_eq(ev->data_len, 0);
	evbuffer_add_printf(log, "id=");
	if (ev->id == NULL)
		evbuffer_add(log, "-", 1);
	else
		add_quoted(log, ev->id, strlen(ev->id));
	evbuffer_add_printf(log, " last=");
	add_quoted(log, ev->last_id, strlen(ev->last_id));
	evbuffer_add_printf(log, " type=%s data=", ev->type);
	if (ev->has_data)
		add_quoted(log, ev->data, ev->data_len);
	else
		evbuffer_add(log, "-", 1);
	evbuffer_add_printf(log, " retry=%ld\n", ev->retry);
}

/*
 * Feed S to a new parser: whole (CHUNK 0), a byte at a time (1), or in
 * random pieces of 1..CHUNK bytes.  The events, as record() writes them;
 * *RC is MG_ERROR if any feed failed.
 */
static char *
run(const char *s, size_t len, size_t max, size_t chunk, unsigned seed, int *rc)
{
	struct evbuffer *log = evbuffer_new();
	mg_sse_parser_t *p = mg_sse_parser_new(max, record, log);
	size_t           off = 0, n;
	char            *out;

	ck_assert_ptr_nonnull(p);
	srand(seed);
	*rc = MG_OK;
	while (off < len && *rc == MG_OK) {
		n = len - off;
		if (chunk == 1)
			n = 1;
		else if (chunk > 1 && n > 1)
			n = 1 + (size_t)rand() % (n < chunk ? n : chunk);
		*rc = mg_sse_parser_feed(p, s + off, n);
		off += n;
	}
	mg_sse_parser_free(p);
	out = drain(log);
	evbuffer_free(log);
	return out;
}

static char *
run_s(const char *s, size_t max, size_t chunk, unsigned seed, int *rc)
{
	return run(s, strlen(s), max, chunk, seed, rc);
}

/* S gives the events WANT, however it is split. */
static void
expect_events_n(const char *s, size_t len, const char *want)
{
	char *got;
	int   rc;

	got = run(s, len, 0, 0, 0, &rc);
	ck_assert_int_eq(rc, MG_OK);
	ck_assert_str_eq(got, want);
	free(got);
	got = run(s, len, 0, 1, 0, &rc);
	ck_assert_int_eq(rc, MG_OK);
	ck_assert_str_eq(got, want);
	free(got);
	for (unsigned seed = 1; seed <= 20; seed++) {
		got = run(s, len, 0, 1 + seed % 7, seed, &rc);
		ck_assert_int_eq(rc, MG_OK);
		ck_assert_str_eq(got, want);
		free(got);
	}
	/* every split into two feeds, at every byte */
	for (size_t cut = 0; cut <= len; cut++) {
		struct evbuffer *log = evbuffer_new();
		mg_sse_parser_t *p = mg_sse_parser_new(0, record, log);

		ck_assert_int_eq(mg_sse_parser_feed(p, s, cut), MG_OK);
		ck_assert_int_eq(
		    mg_sse_parser_feed(p, s + cut, len - cut), MG_OK);
		mg_sse_parser_free(p);
		got = drain(log);
		ck_assert_msg(
		    strcmp(got, want) == 0, "cut at %zu: %s", cut, got);
		free(got);
		evbuffer_free(log);
	}
}

static void
expect_events(const char *s, const char *want)
{
	expect_events_n(s, strlen(s), want);
}

START_TEST(write_event)
{
	struct evbuffer *b = evbuffer_new();

	ck_assert_int_eq(
	    mg_sse_write_event(b, "1", "message", "hello", 5), MG_OK);
	ck_assert_drain(b, "id: 1\nevent: message\ndata: hello\n\n");
	ck_assert_int_eq(mg_sse_write_event(b, NULL, NULL,
			     "{\"jsonrpc\":\"2.0\",\"method\":\"x\"}", 30),
	    MG_OK);
	ck_assert_drain(b, "data: {\"jsonrpc\":\"2.0\",\"method\":\"x\"}\n\n");
	/* an empty type is no type: the reader's default, "message" */
	ck_assert_int_eq(mg_sse_write_event(b, "7", "", "x", 1), MG_OK);
	ck_assert_drain(b, "id: 7\ndata: x\n\n");
	/* appended after what is there */
	evbuffer_add(b, "X", 1);
	ck_assert_int_eq(mg_sse_write_event(b, NULL, "e", "y", 1), MG_OK);
	ck_assert_drain(b, "Xevent: e\ndata: y\n\n");
	/* LEN counts, not a NUL */
	ck_assert_int_eq(mg_sse_write_event(b, NULL, NULL, "abcdef", 3), MG_OK);
	ck_assert_drain(b, "data: abc\n\n");
	evbuffer_free(b);
}
END_TEST

START_TEST(write_event_lines)
{
	struct evbuffer *b = evbuffer_new();

	ck_assert_int_eq(
	    mg_sse_write_event(b, NULL, NULL, "a\nb\r\nc\rd", 8), MG_OK);
	ck_assert_drain(b, "data: a\ndata: b\ndata: c\ndata: d\n\n");
	ck_assert_int_eq(mg_sse_write_event(b, NULL, NULL, "a\n", 2), MG_OK);
	ck_assert_drain(b, "data: a\ndata:\n\n");
	ck_assert_int_eq(mg_sse_write_event(b, NULL, NULL, "\n", 1), MG_OK);
	ck_assert_drain(b, "data:\ndata:\n\n");
	ck_assert_int_eq(
	    mg_sse_write_event(b, NULL, NULL, "\r\n\r\n", 4), MG_OK);
	ck_assert_drain(b, "data:\ndata:\ndata:\n\n");
	ck_assert_int_eq(mg_sse_write_event(b, NULL, NULL, "\n\r", 2), MG_OK);
	ck_assert_drain(b, "data:\ndata:\ndata:\n\n");
	/* a leading space survives: the reader strips only the one after
	   the colon */
	ck_assert_int_eq(
	    mg_sse_write_event(b, NULL, NULL, " x\n  y", 6), MG_OK);
	ck_assert_drain(b, "data:  x\ndata:   y\n\n");
	ck_assert_int_eq(
	    mg_sse_write_event(b, NULL, NULL, ": not a comment", 15), MG_OK);
	ck_assert_drain(b, "data: : not a comment\n\n");
	evbuffer_free(b);
}
END_TEST

/* MCP 2025-11-25: an event id and empty data, before anything else. */
START_TEST(write_priming_event)
{
	struct evbuffer *b = evbuffer_new();

	ck_assert_int_eq(mg_sse_write_event(b, "s1-0", NULL, "", 0), MG_OK);
	ck_assert_drain(b, "id: s1-0\ndata:\n\n");
	ck_assert_int_eq(mg_sse_write_event(b, "s1-0", NULL, NULL, 0), MG_OK);
	ck_assert_drain(b, "id: s1-0\ndata:\n\n");
	/* an empty id resets the reader's last event id */
	ck_assert_int_eq(mg_sse_write_event(b, "", NULL, NULL, 0), MG_OK);
	ck_assert_drain(b, "id:\ndata:\n\n");
	evbuffer_free(b);
}
END_TEST

START_TEST(write_event_refused)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, "X", 1);
	ck_assert_int_eq(mg_sse_write_event(b, "a\nb", NULL, "x", 1), MG_ERROR);
	ck_assert_int_eq(mg_sse_write_event(b, "a\rb", NULL, "x", 1), MG_ERROR);
	ck_assert_int_eq(mg_sse_write_event(b, "1", "t\n", "x", 1), MG_ERROR);
	ck_assert_int_eq(mg_sse_write_event(b, "1", "\rt", "x", 1), MG_ERROR);
	ck_assert_int_eq(mg_sse_write_event(b, "1", NULL, NULL, 3), MG_ERROR);
	/* nothing of a refused event is written */
	ck_assert_drain(b, "X");
	evbuffer_free(b);
}
END_TEST

START_TEST(write_retry_comment)
{
	struct evbuffer *b = evbuffer_new();

	ck_assert_int_eq(mg_sse_write_retry(b, 3000), MG_OK);
	ck_assert_drain(b, "retry: 3000\n\n");
	ck_assert_int_eq(mg_sse_write_retry(b, 0), MG_OK);
	ck_assert_drain(b, "retry: 0\n\n");
	ck_assert_int_eq(mg_sse_write_retry(b, 4294967295u), MG_OK);
	ck_assert_drain(b, "retry: 4294967295\n\n");
	ck_assert_int_eq(mg_sse_write_comment(b, "ping"), MG_OK);
	ck_assert_drain(b, ": ping\n\n");
	ck_assert_int_eq(mg_sse_write_comment(b, NULL), MG_OK);
	ck_assert_drain(b, ":\n\n");
	ck_assert_int_eq(mg_sse_write_comment(b, ""), MG_OK);
	ck_assert_drain(b, ":\n\n");
	ck_assert_int_eq(mg_sse_write_comment(b, "a\nb"), MG_ERROR);
	ck_assert_int_eq(mg_sse_write_comment(b, "a\r"), MG_ERROR);
	ck_assert_uint_eq(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}
END_TEST

/* WHATWG HTML 9.2.6, the examples, in order. */
START_TEST(parse_whatwg_examples)
{
	/* "This event stream [...] will cause an event message with the
	   interface MessageEvent to be dispatched" (lines joined by LF) */
	expect_events("data: YHOO\ndata: +2\ndata: 10\n\n",
	    "id=- last=\"\" type=message data=\"YHOO\\n+2\\n10\" retry=-1\n");
	/* comment block fires nothing; id sets, then an empty id resets
	   the last event id; the last block lacks its blank line */
	expect_events(": test stream\n\ndata: first event\nid: 1\n\n"
		      "data:second event\nid\n\ndata:  third event\n",
	    "id=\"1\" last=\"1\" type=message data=\"first event\" retry=-1\n"
	    "id=\"\" last=\"\" type=message data=\"second event\" retry=-1\n");
	expect_events(": test stream\n\ndata: first event\nid: 1\n\n"
		      "data:second event\nid\n\ndata:  third event\n\n",
	    "id=\"1\" last=\"1\" type=message data=\"first event\" retry=-1\n"
	    "id=\"\" last=\"\" type=message data=\"second event\" retry=-1\n"
	    "id=- last=\"\" type=message data=\" third event\" retry=-1\n");
	/* "data" alone: empty data; two: one LF; the last is discarded */
	expect_events("data\n\ndata\ndata\n\ndata:",
	    "id=- last=\"\" type=message data=\"\" retry=-1\n"
	    "id=- last=\"\" type=message data=\"\\n\" retry=-1\n");
	/* two identical events: one space after the colon is dropped */
	expect_events("data:test\n\ndata: test\n\n",
	    "id=- last=\"\" type=message data=\"test\" retry=-1\n"
	    "id=- last=\"\" type=message data=\"test\" retry=-1\n");
}
END_TEST

START_TEST(parse_line_endings)
{
	const char *want = "id=- last=\"\" type=e data=\"a\\nb\" retry=-1\n"
			   "id=- last=\"\" type=message data=\"c\" retry=-1\n";

	expect_events("event: e\ndata: a\ndata: b\n\ndata: c\n\n", want);
	expect_events(
	    "event: e\r\ndata: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n", want);
	expect_events("event: e\rdata: a\rdata: b\r\rdata: c\r\r", want);
	expect_events("event: e\r\ndata: a\rdata: b\n\r\ndata: c\r\n\n", want);
	/* CR CR is two line ends, CR LF one, LF CR two */
	expect_events("data: a\r\rdata: b\r\n\r\n",
	    "id=- last=\"\" type=message data=\"a\" retry=-1\n"
	    "id=- last=\"\" type=message data=\"b\" retry=-1\n");
	expect_events(
	    "data: a\n\r", "id=- last=\"\" type=message data=\"a\" retry=-1\n");
}
END_TEST

/* A CR at the end of one feed and its LF at the start of the next. */
START_TEST(parse_split_crlf)
{
	struct evbuffer *log = evbuffer_new();
	mg_sse_parser_t *p = mg_sse_parser_new(0, record, log);

	ck_assert_int_eq(mg_sse_parser_feed(p, "data: a\r", 8), MG_OK);
	ck_assert_int_eq(mg_sse_parser_feed(p, "\n", 1), MG_OK);
	ck_assert_int_eq(mg_sse_parser_feed(p, "data: b\r", 8), MG_OK);
	ck_assert_int_eq(mg_sse_parser_feed(p, "\n\r", 2), MG_OK);
	ck_assert_int_eq(mg_sse_parser_feed(p, "\n", 1), MG_OK);
	ck_assert_drain(log,
	    "id=- last=\"\" type=message data=\"a\\nb\" "
	    "retry=-1\n");
	ck_assert_int_eq(mg_sse_parser_feed(p, "", 0), MG_OK);
	ck_assert_int_eq(mg_sse_parser_feed(p, "data: c\r", 8), MG_OK);
	ck_assert_int_eq(mg_sse_parser_feed(p, "\r", 1), MG_OK);
	ck_assert_drain(log,
	    "id=- last=\"\" type=message data=\"c\" "
	    "retry=-1\n");
	mg_sse_parser_free(p);
	evbuffer_free(log);
}
END_TEST

/* MCP: the priming event (id, empty data) and resumption ids. */
START_TEST(parse_priming_event)
{
	expect_events("id: s1-0\ndata:\n\n",
	    "id=\"s1-0\" last=\"s1-0\" type=message data=\"\" retry=-1\n");
	expect_events("id: s1-0\ndata: \n\n",
	    "id=\"s1-0\" last=\"s1-0\" type=message data=\"\" retry=-1\n");
	expect_events("id: s1-0\ndata\n\n",
	    "id=\"s1-0\" last=\"s1-0\" type=message data=\"\" retry=-1\n");
	/* no data line at all: WHATWG fires nothing, we report the id */
	expect_events("id: s1-0\n\n",
	    "id=\"s1-0\" last=\"s1-0\" type=message data=- retry=-1\n");
	/* a priming event with retry, then an event without an id: the
	   last event id persists */
	expect_events("id: s1-0\nretry: 1000\ndata:\n\n"
		      "data: {\"jsonrpc\":\"2.0\"}\n\n"
		      "id: s1-2\nevent: message\ndata: {}\n\n",
	    "id=\"s1-0\" last=\"s1-0\" type=message data=\"\" retry=1000\n"
	    "id=- last=\"s1-0\" type=message data=\"{\\\"jsonrpc\\\":"
	    "\\\"2.0\\\"}\" retry=-1\n"
	    "id=\"s1-2\" last=\"s1-2\" type=message data=\"{}\" retry=-1\n");
}
END_TEST

START_TEST(parse_retry)
{
	expect_events("retry: 5000\n\n",
	    "id=- last=\"\" type=message data=- retry=5000\n");
	expect_events(
	    "retry:0\n\n", "id=- last=\"\" type=message data=- retry=0\n");
	/* not only digits: ignored, and the block then has no field */
	expect_events("retry: 5x\n\nretry:\n\nretry: -1\n\nretry:  100\n\n"
		      "retry: 1.5\n\nretry: 99999999999999999999999\n\n",
	    "");
	expect_events("retry: 5x\ndata: a\n\n",
	    "id=- last=\"\" type=message data=\"a\" retry=-1\n");
	/* the last valid one in a block counts */
	expect_events("retry: 10\nretry: x\nretry: 20\ndata: a\n\n",
	    "id=- last=\"\" type=message data=\"a\" retry=20\n");
}
END_TEST

START_TEST(parse_comments_fields)
{
	/* comments and unknown fields fire nothing on their own */
	expect_events(":\n\n: ping\n\n:ping\n\nfoo: bar\n\nDATA: x\n\n"
		      "data : x\n\n",
	    "");
	/* and do not disturb an event around them */
	expect_events("data: a\n: comment\nfoo: bar\ndata: b\n\n",
	    "id=- last=\"\" type=message data=\"a\\nb\" retry=-1\n");
	/* no colon: the field name is the line, the value empty */
	expect_events("event\ndata\n\n",
	    "id=- last=\"\" type=message data=\"\" retry=-1\n");
	/* only the first colon splits; only one space is dropped */
	expect_events("data: a: b\ndata:: c\ndata:  d\n\n",
	    "id=- last=\"\" type=message data=\"a: b\\n: c\\n d\" retry=-1\n");
	/* the type lasts for one event */
	expect_events("event: endpoint\ndata: /m\n\ndata: x\n\n"
		      "event: a\nevent: b\ndata: y\n\n",
	    "id=- last=\"\" type=endpoint data=\"/m\" retry=-1\n"
	    "id=- last=\"\" type=message data=\"x\" retry=-1\n"
	    "id=- last=\"\" type=b data=\"y\" retry=-1\n");
	/* an empty event field is the default type */
	expect_events("event:\ndata: x\n\n",
	    "id=- last=\"\" type=message data=\"x\" retry=-1\n");
	/* blank lines with nothing before them fire nothing */
	expect_events("\n\n\r\n\r\r", "");
}
END_TEST

START_TEST(parse_nul)
{
	static const char s[] = "id: 7\ndata: a\n\nid: x\0y\ndata: b\n\n"
				"data: c\0d\n\n";
	static const char t[] = "event: message\0x\ndata: a\n\n"
				"event: \0\0\ndata: b\n\n";

	/* an id with a NUL is ignored (WHATWG); data keeps its NULs */
	expect_events_n(s, sizeof(s) - 1,
	    "id=\"7\" last=\"7\" type=message data=\"a\" retry=-1\n"
	    "id=- last=\"7\" type=message data=\"b\" retry=-1\n"
	    "id=- last=\"7\" type=message data=\"c\\0d\" retry=-1\n");
	/* a type with a NUL does not pass for the type before the NUL */
	expect_events_n(t, sizeof(t) - 1,
	    "id=- last=\"\" type=message\xef\xbf\xbdx data=\"a\" retry=-1\n"
	    "id=- last=\"\" type=\xef\xbf\xbd\xef\xbf\xbd data=\"b\" "
	    "retry=-1\n");
}
END_TEST

START_TEST(parse_bom)
{
	const char *one = "id=- last=\"\" type=message data=\"a\" retry=-1\n";

	expect_events("\xef\xbb\xbf"
		      "data: a\n\n",
	    one);
	/* only one, only at the start */
	expect_events("\xef\xbb\xbf\xef\xbb\xbf"
		      "data: a\n\n",
	    "");
	expect_events("data: a\n\n\xef\xbb\xbf"
		      "data: b\n\n",
	    one);
	/* a BOM's first bytes that are not one are kept */
	expect_events("\xef\xbb"
		      "data: a\n\n",
	    "");
	expect_events("\xef"
		      "\ndata: a\n\n",
	    one);
}
END_TEST

START_TEST(parse_limit)
{
	char             line[128], *got;
	int              rc;
	struct evbuffer *log = evbuffer_new();
	mg_sse_parser_t *p;

	/* 64 bytes of field lines: fits; 65: refused */
	snprintf(line, sizeof(line), "data: %058d\n\n", 0);
	got = run(line, strlen(line), 64, 0, 0, &rc);
	ck_assert_int_eq(rc, MG_OK);
	ck_assert(strstr(got, "data=\"000") != NULL);
	free(got);
	snprintf(line, sizeof(line), "data: %059d\n\n", 0);
	got = run(line, strlen(line), 64, 1, 0, &rc);
	ck_assert_int_eq(rc, MG_ERROR);
	ck_assert_str_eq(got, "");
	free(got);
	/* the lines of one event add up, whatever their field */
	got = run_s("data: 0123456789012345678901234567\n"
		    "data: 0123456789012345678901234567\n\n",
	    64, 0, 0, &rc);
	ck_assert_int_eq(rc, MG_ERROR);
	free(got);
	got = run_s("id: 012345678901234567890123456789\n"
		    "event: 012345678901234567890123456789\n\n",
	    64, 3, 0, &rc);
	ck_assert_int_eq(rc, MG_ERROR);
	free(got);
	/* comments do not, but no line may be longer than the limit */
	got = run_s(": 01234567890123456789012345678901234567890123456789\n"
		    ": 01234567890123456789012345678901234567890123456789\n"
		    ": 01234567890123456789012345678901234567890123456789\n"
		    "data: 0123456789012345678901234567890123456789\n\n",
	    64, 0, 0, &rc);
	ck_assert_int_eq(rc, MG_OK);
	ck_assert_str_eq(got,
	    "id=- last=\"\" type=message data=\"0123456789"
	    "012345678901234567890123456789\" retry=-1\n");
	free(got);
	snprintf(line, sizeof(line), ": %063d\n\n", 0); /* 65 bytes */
	got = run(line, strlen(line), 64, 0, 0, &rc);
	ck_assert_int_eq(rc, MG_ERROR);
	free(got);
	/* each event has the whole limit: the count starts anew */
	got = run_s("data: 0123456789012345678901234567890123456789\n\n"
		    "data: 0123456789012345678901234567890123456789\n\n",
	    64, 1, 0, &rc);
	ck_assert_int_eq(rc, MG_OK);
	free(got);

	/* a line without end is refused as soon as it is too long, and the
	   parser stays failed */
	p = mg_sse_parser_new(64, record, log);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(
		    mg_sse_parser_feed(p, "data: abcd", 10), MG_OK);
	ck_assert_int_eq(mg_sse_parser_feed(p, "data: abcd", 10), MG_ERROR);
	ck_assert_int_eq(
	    mg_sse_parser_feed(p, "\n\ndata: a\n\n", 11), MG_ERROR);
	ck_assert_uint_eq(evbuffer_get_length(log), 0);
	mg_sse_parser_free(p);
	evbuffer_free(log);
}
END_TEST

/* An event cut off by the end of the stream is freed, never reported. */
START_TEST(parse_unfinished)
{
	struct evbuffer *log = evbuffer_new();
	mg_sse_parser_t *p = mg_sse_parser_new(0, record, log);

	ck_assert_int_eq(mg_sse_parser_feed(p,
			     "id: 1\nevent: e\ndata: a\n"
			     "data: partial line",
			     41),
	    MG_OK);
	ck_assert_uint_eq(evbuffer_get_length(log), 0);
	mg_sse_parser_free(p);
	evbuffer_free(log);
	ck_assert_ptr_null(mg_sse_parser_new(0, NULL, NULL));
	mg_sse_parser_free(NULL);
}
END_TEST

/* A large event in one line, split at random. */
static size_t big_events;

static void
check_big(void *arg, const mg_sse_event_t *ev)
{
	size_t n = *(size_t *)arg;

	ck_assert(ev->has_data);
	ck_assert_uint_eq(ev->data_len, n);
	for (size_t i = 0; i < n; i++)
		if (ev->data[i] != "0123456789abcdef"[i % 16])
			ck_abort_msg("data differs at %zu", i);
	big_events++;
}

START_TEST(parse_large_event)
{
	size_t           n = 1u << 20;
	struct evbuffer *b = evbuffer_new();
	char            *data = malloc(n), *s;
	size_t           len, off = 0, k;
	mg_sse_parser_t *p = mg_sse_parser_new(0, check_big, &n);

	for (size_t i = 0; i < n; i++)
		data[i] = "0123456789abcdef"[i % 16];
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(
		    mg_sse_write_event(b, "x", NULL, data, n), MG_OK);
	len = evbuffer_get_length(b);
	s = drain(b);
	srand(7);
	big_events = 0;
	while (off < len) {
		k = 1 + (size_t)rand() % 70000;
		if (k > len - off)
			k = len - off;
		ck_assert_int_eq(mg_sse_parser_feed(p, s + off, k), MG_OK);
		off += k;
	}
	ck_assert_uint_eq(big_events, 3);
	mg_sse_parser_free(p);
	free(s);
	free(data);
	evbuffer_free(b);
}
END_TEST

/* What a reader must see for DATA: its line ends as "\n". */
static size_t
normalize(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r') {
			out[o++] = '\n';
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
		} else
			out[o++] = s[i];
	}
	return o;
}

/* Encoder output read back by the parser: random events, random splits. */
START_TEST(roundtrip)
{
	static const char *alphabet[] = { "a", "b", " ", ":", "\n", "\r",
		"\r\n", "\xc3\xa9", "\xef\xbb\xbf", "{\"x\":1}", "\0",
		"data:", "id: 9", "\n\n", ": c" };
	static const char *types[] = { NULL, "message", "notify", "" };
	struct evbuffer   *b = evbuffer_new(), *want = evbuffer_new();
	char               data[1024], norm[1024], id[32], last[32] = "";
	char              *stream, *w, *got;
	size_t             len, n;
	int                rc;

	srand(12345);
	for (int ev = 0; ev < 200; ev++) {
		const char *type = types[rand() % 4];
		const char *evid = NULL;

		len = 0;
		for (int k = rand() % 40; k > 0; k--) {
			const char *a = alphabet[rand() % MG_NELEM(alphabet)];

			n = *a == '\0' ? 1 : strlen(a);
			memcpy(data + len, a, n);
			len += n;
		}
		/* every fifth event has no id: the last one carries over */
		if (ev % 5 != 0) {
			snprintf(id, sizeof(id), "ev-%d", ev);
			snprintf(last, sizeof(last), "%s", id);
			evid = id;
		}
		ck_assert_int_eq(
		    mg_sse_write_event(b, evid, type, data, len), MG_OK);
		evbuffer_add_printf(want, "id=");
		if (evid != NULL)
			add_quoted(want, evid, strlen(evid));
		else
			evbuffer_add(want, "-", 1);
		evbuffer_add_printf(want, " last=");
		add_quoted(want, last, strlen(last));
		evbuffer_add_printf(want, " type=%s data=",
		    type != NULL && *type != '\0' ? type : "message");
		n = normalize(data, len, norm);
		add_quoted(want, norm, n);
		evbuffer_add_printf(want, " retry=-1\n");
	}
	len = evbuffer_get_length(b);
	stream = drain(b);
	w = drain(want);
	got = run(stream, len, 0, 0, 0, &rc);
	ck_assert_int_eq(rc, MG_OK);
	ck_assert_str_eq(got, w);
	free(got);
	got = run(stream, len, 0, 1, 0, &rc);
	ck_assert_int_eq(rc, MG_OK);
	ck_assert_str_eq(got, w);
	free(got);
	for (unsigned seed = 1; seed < 10; seed++) {
		got = run(stream, len, 0, 1 + seed * 13, seed, &rc);
		ck_assert_int_eq(rc, MG_OK);
		ck_assert_str_eq(got, w);
		free(got);
	}
	free(stream);
	free(w);
	evbuffer_free(b);
	evbuffer_free(want);
}
END_TEST

Suite *
sse_suite(void)
{
	Suite *s = suite_create("sse");
	TCase *tc = tcase_create("write");

	tcase_add_test(tc, write_event);
	tcase_add_test(tc, write_event_lines);
	tcase_add_test(tc, write_priming_event);
	tcase_add_test(tc, write_event_refused);
	tcase_add_test(tc, write_retry_comment);
	suite_add_tcase(s, tc);
	tc = tcase_create("parse");
	tcase_add_test(tc, parse_whatwg_examples);
	tcase_add_test(tc, parse_line_endings);
	tcase_add_test(tc, parse_split_crlf);
	tcase_add_test(tc, parse_priming_event);
	tcase_add_test(tc, parse_retry);
	tcase_add_test(tc, parse_comments_fields);
	tcase_add_test(tc, parse_nul);
	tcase_add_test(tc, parse_bom);
	tcase_add_test(tc, parse_limit);
	tcase_add_test(tc, parse_unfinished);
	tcase_add_test(tc, parse_large_event);
	tcase_add_test(tc, roundtrip);
	suite_add_tcase(s, tc);
	return s;
}
