/*
 * The replay buffer of a stream: what a client coming back with
 * Last-Event-ID gets, the byte bound, gaps, and the event id form.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "replay.h"
#include "suites.h"

static char     got[4096];
static unsigned got_seqs[64];
static size_t   ngot;

static void
collect(void *arg, unsigned seq, const char *data, size_t len)
{
	strncat(got, data, len);
	strcat(got, "|");
	got_seqs[ngot++] = seq;
}

static void
replay_from(const mg_replay_t *r, unsigned seq)
{
	got[0] = '\0';
	ngot = 0;
	mg_replay_since(r, seq, collect, NULL);
}

START_TEST(since)
{
	mg_replay_t *r = mg_replay_new(4096);

	ck_assert_ptr_nonnull(r);
	/* nothing sent yet: no id can be valid */
	ck_assert_int_eq(mg_replay_check(r, 1), MG_ERROR);
	ck_assert_int_eq(mg_replay_add(r, 1, "", 0), MG_OK); /* priming */
	ck_assert_int_eq(mg_replay_add(r, 2, "a", 1), MG_OK);
	ck_assert_int_eq(mg_replay_add(r, 3, "bb", 2), MG_OK);
	ck_assert_int_eq(mg_replay_add(r, 4, "ccc", 3), MG_OK);
	ck_assert_int_eq(mg_replay_check(r, 1), MG_OK);
	replay_from(r, 1);
	ck_assert_str_eq(got, "a|bb|ccc|");
	ck_assert_uint_eq(got_seqs[0], 2);
	ck_assert_uint_eq(got_seqs[2], 4);
	replay_from(r, 3);
	ck_assert_str_eq(got, "ccc|");
	/* the last event: nothing to replay, still fine */
	ck_assert_int_eq(mg_replay_check(r, 4), MG_OK);
	replay_from(r, 4);
	ck_assert_str_eq(got, "");
	/* an id from the future, or 0, was never sent here */
	ck_assert_int_eq(mg_replay_check(r, 5), MG_ERROR);
	ck_assert_int_eq(mg_replay_check(r, 0), MG_ERROR);
	mg_replay_free(r);
}
END_TEST

START_TEST(bounded)
{
	/* room for about two 100-byte events with their overhead */
	mg_replay_t *r = mg_replay_new(2 * (100 + 48));
	char         ev[100];

	memset(ev, 'x', sizeof(ev));
	for (unsigned i = 1; i <= 10; i++)
		ck_assert_int_eq(mg_replay_add(r, i, ev, sizeof(ev)), MG_OK);
	ck_assert_uint_le(mg_replay_size(r), 2 * (100 + 48));
	ck_assert_uint_gt(mg_replay_size(r), 0);
	/* 9 and 10 held: 8 can resume, 7 missed 8 */
	ck_assert_int_eq(mg_replay_check(r, 8), MG_OK);
	ck_assert_int_eq(mg_replay_check(r, 7), MG_DECLINED);
	ck_assert_int_eq(mg_replay_check(r, 1), MG_DECLINED);
	replay_from(r, 8);
	ck_assert_uint_eq(ngot, 2);
	ck_assert_uint_eq(got_seqs[0], 9);
	ck_assert_uint_eq(got_seqs[1], 10);
	mg_replay_free(r);
}
END_TEST

START_TEST(too_large)
{
	mg_replay_t *r = mg_replay_new(200);
	char         big[300];

	memset(big, 'y', sizeof(big));
	mg_replay_add(r, 1, "", 0);
	mg_replay_add(r, 2, "small", 5);
	/* an event past the limit is not kept, and what came before it
	 * cannot be replayed without it */
	ck_assert_int_eq(mg_replay_add(r, 3, big, sizeof(big)), MG_OK);
	ck_assert_uint_eq(mg_replay_size(r), 0);
	ck_assert_int_eq(mg_replay_check(r, 2), MG_DECLINED);
	ck_assert_int_eq(mg_replay_check(r, 3), MG_OK);
	mg_replay_add(r, 4, "after", 5);
	ck_assert_int_eq(mg_replay_check(r, 3), MG_OK);
	replay_from(r, 3);
	ck_assert_str_eq(got, "after|");
	/* a zero limit keeps nothing */
	mg_replay_free(r);
	r = mg_replay_new(0);
	mg_replay_add(r, 1, "", 0);
	mg_replay_add(r, 2, "z", 1);
	ck_assert_int_eq(mg_replay_check(r, 1), MG_DECLINED);
	mg_replay_free(r);
}
END_TEST

START_TEST(event_ids)
{
	char     id[MG_REPLAY_ID_MAX];
	uint64_t stream;
	unsigned seq;

	mg_replay_format_id(id, 0xfedcba9876543210ULL, 4294967295U);
	ck_assert_str_eq(id, "fedcba9876543210-4294967295");
	ck_assert_uint_lt(strlen(id), MG_REPLAY_ID_MAX);
	ck_assert_int_eq(mg_replay_parse_id(id, &stream, &seq), MG_OK);
	ck_assert_uint_eq(stream, 0xfedcba9876543210ULL);
	ck_assert_uint_eq(seq, 4294967295U);
	ck_assert_int_eq(
	    mg_replay_parse_id("0000000000000001-7", &stream, &seq), MG_OK);
	ck_assert_uint_eq(stream, 1);
	ck_assert_uint_eq(seq, 7);
	/* anything else is another server's id, never ours */
	static const char *bad[] = { "", "1-2", "0000000000000001",
		"0000000000000001-", "0000000000000001-x",
		"0000000000000001-1 ", "000000000000000G-1",
		"0000000000000001-4294967296", "0000000000000001--1",
		"00000000000000001-1", "ABCDEF0000000001-1",
		"0000000000000001-99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(
		    mg_replay_parse_id(bad[i], &stream, &seq) == MG_ERROR,
		    "accepted \"%s\"", bad[i]);
}
END_TEST

Suite *
replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, since);
	tcase_add_test(tc, bounded);
	tcase_add_test(tc, too_large);
	tcase_add_test(tc, event_ids);
	suite_add_tcase(s, tc);
	return s;
}
