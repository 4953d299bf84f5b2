/*
 * Answer heads built without printf (mg_head_*): what reaches the buffer,
 * numbers at their edges, and lines longer than the stack buffer.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>

#include "http.h"
#include "suites.h"

/* The buffer's bytes as a string (NUL-terminated copy, static). */
static const char *
text_of(struct evbuffer *b)
{
	static char out[8192];
	size_t      n = evbuffer_get_length(b);

	ck_assert_uint_lt(n, sizeof(out));
	evbuffer_copyout(b, out, n);
	out[n] = '\0';
	return out;
}

START_TEST(head_lines)
{
	struct evbuffer *b = evbuffer_new();
	mg_head_t        h = { .out = b };

	mg_head_str(&h, "HTTP/1.1 ");
	mg_head_num(&h, 200);
	mg_head_mem(&h, " OK\r\nX: yz", 8); /* not the "yz" */
	mg_head_str(&h, "Content-Length: ");
	mg_head_num(&h, 0);
	mg_head_mem(&h, "\r\n", 2);
	/* nothing reaches the buffer before the end */
	ck_assert_uint_eq(evbuffer_get_length(b), 0);
	mg_head_end(&h);
	ck_assert_str_eq(
	    text_of(b), "HTTP/1.1 200 OK\r\nX: Content-Length: 0\r\n");
	/* ending twice adds nothing */
	mg_head_end(&h);
	ck_assert_str_eq(
	    text_of(b), "HTTP/1.1 200 OK\r\nX: Content-Length: 0\r\n");
	evbuffer_free(b);
}
END_TEST

START_TEST(head_numbers)
{
	static const struct {
		uint64_t    v;
		const char *text;
	} cases[] = { { 0, "0" }, { 7, "7" }, { 10, "10" }, { 404, "404" },
		{ 4294967296ULL, "4294967296" },
		{ UINT64_MAX, "18446744073709551615" } };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct evbuffer *b = evbuffer_new();
		mg_head_t        h = { .out = b };

		mg_head_num(&h, cases[i].v);
		mg_head_end(&h);
		ck_assert_str_eq(text_of(b), cases[i].text);
		evbuffer_free(b);
	}
}
END_TEST

START_TEST(head_long)
{
	struct evbuffer *b = evbuffer_new();
	mg_head_t        h = { .out = b };
	char             want[8192], big[3000];
	size_t           n = 0;

	/* pieces that cross the stack buffer's end, and one larger than it */
	for (int i = 0; i < 100; i++) {
		mg_head_str(&h, "Header-Name: value\r\n");
		memcpy(want + n, "Header-Name: value\r\n", 20);
		n += 20;
	}
	memset(big, 'v', sizeof(big));
	mg_head_mem(&h, big, sizeof(big));
	memcpy(want + n, big, sizeof(big));
	n += sizeof(big);
	mg_head_mem(&h, "\r\n", 2);
	memcpy(want + n, "\r\n", 2);
	n += 2;
	want[n] = '\0';
	mg_head_end(&h);
	ck_assert_uint_eq(evbuffer_get_length(b), n);
	ck_assert_str_eq(text_of(b), want);
	evbuffer_free(b);
}
END_TEST

Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("head");

	tcase_add_test(tc, head_lines);
	tcase_add_test(tc, head_numbers);
	tcase_add_test(tc, head_long);
	suite_add_tcase(s, tc);
	return s;
}
