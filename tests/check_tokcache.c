/*
 * The worker's verified-token cache (worker/tokcache.c): found only for
 * the same block, key set and audience; dropped when it expires; the
 * oldest forgotten first when full; none kept with a size of 0.  The
 * entries' claims are shared references that outlive the caller's.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "suites.h"
#include "tokcache.h"

static int block_a, block_b;
enum { keys_1 = 1, keys_2 = 2 };

/* A verified token saying SUB, as mg_jwt_verify would fill it. */
static mg_jwt_t
verified(const char *sub)
{
	mg_jwt_t t = { 0 };

	snprintf(t.sub, sizeof(t.sub), "%s", sub);
	t.exp = 1000;
	t.claims = json_object_new_object();
	json_object_object_add(t.claims, "sub", json_object_new_string(sub));
	return t;
}

START_TEST(found_for_the_same_key_only)
{
	mg_tokcache_t    *c = mg_tokcache_new(8);
	mg_tokcache_key_t k = { &block_a, keys_1, "https://a/mcp" };
	mg_tokcache_key_t other[] = {
		{ &block_b, keys_1, "https://a/mcp" },
		{ &block_a, keys_2, "https://a/mcp" },
		{ &block_a, keys_1, "https://b/mcp" },
		{ &block_a, keys_1, NULL },
	};
	mg_jwt_t        t = verified("alice");
	const mg_jwt_t *hit;

	ck_assert_int_eq(
	    mg_tokcache_put(c, &k, "tok.en.1", 8, 1000, &t), MG_OK);
	mg_jwt_clear(&t); /* the cache holds its own reference */
	hit = mg_tokcache_find(c, &k, "tok.en.1", 8, 999);
	ck_assert_ptr_nonnull(hit);
	ck_assert_str_eq(hit->sub, "alice");
	ck_assert_str_eq(
	    json_object_get_string(json_object_object_get(hit->claims, "sub")),
	    "alice");
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		ck_assert_ptr_null(
		    mg_tokcache_find(c, &other[i], "tok.en.1", 8, 999));
	ck_assert_ptr_null(mg_tokcache_find(c, &k, "tok.en.2", 8, 999));
	ck_assert_ptr_null(mg_tokcache_find(c, &k, "tok.en.", 7, 999));
	mg_tokcache_free(c);
}
END_TEST

START_TEST(dropped_when_expired)
{
	mg_tokcache_t    *c = mg_tokcache_new(8);
	mg_tokcache_key_t k = { &block_a, keys_1, NULL };
	mg_jwt_t          t = verified("bob");

	mg_tokcache_put(c, &k, "t", 1, 1000, &t);
	ck_assert_ptr_nonnull(mg_tokcache_find(c, &k, "t", 1, 999));
	ck_assert_ptr_null(mg_tokcache_find(c, &k, "t", 1, 1000));
	ck_assert_uint_eq(mg_tokcache_count(c), 0);
	mg_jwt_clear(&t);
	mg_tokcache_free(c);
}
END_TEST

START_TEST(oldest_forgotten_when_full)
{
	mg_tokcache_t    *c = mg_tokcache_new(3);
	mg_tokcache_key_t k = { &block_a, keys_1, NULL };
	mg_jwt_t          t = verified("carol");
	char              tok[8];

	for (int i = 0; i < 5; i++) {
		snprintf(tok, sizeof(tok), "tok%d", i);
		ck_assert_int_eq(
		    mg_tokcache_put(c, &k, tok, 4, 1000, &t), MG_OK);
		ck_assert_uint_le(mg_tokcache_count(c), 3);
	}
	ck_assert_ptr_null(mg_tokcache_find(c, &k, "tok0", 4, 1));
	ck_assert_ptr_null(mg_tokcache_find(c, &k, "tok1", 4, 1));
	for (int i = 2; i < 5; i++) {
		snprintf(tok, sizeof(tok), "tok%d", i);
		ck_assert_ptr_nonnull(mg_tokcache_find(c, &k, tok, 4, 1));
	}
	mg_jwt_clear(&t);
	mg_tokcache_free(c);
}
END_TEST

START_TEST(size_zero_keeps_none)
{
	mg_tokcache_t    *c = mg_tokcache_new(0);
	mg_tokcache_key_t k = { &block_a, keys_1, NULL };
	mg_jwt_t          t = verified("dave");

	ck_assert_int_eq(mg_tokcache_put(c, &k, "t", 1, 1000, &t), MG_OK);
	ck_assert_ptr_null(mg_tokcache_find(c, &k, "t", 1, 1));
	ck_assert_uint_eq(mg_tokcache_count(c), 0);
	mg_jwt_clear(&t);
	mg_tokcache_free(c);
}
END_TEST

/* Many entries in few buckets' worth: every one found, the rest freed. */
START_TEST(many_entries)
{
	mg_tokcache_t    *c = mg_tokcache_new(1000);
	mg_tokcache_key_t k = { &block_a, keys_1, NULL };
	mg_jwt_t          t = verified("erin");
	char              tok[16];

	for (int i = 0; i < 1500; i++) {
		snprintf(tok, sizeof(tok), "token-%d", i);
		mg_tokcache_put(c, &k, tok, strlen(tok), 1000, &t);
	}
	ck_assert_uint_eq(mg_tokcache_count(c), 1000);
	for (int i = 500; i < 1500; i++) {
		snprintf(tok, sizeof(tok), "token-%d", i);
		ck_assert_ptr_nonnull(
		    mg_tokcache_find(c, &k, tok, strlen(tok), 1));
	}
	mg_jwt_clear(&t);
	mg_tokcache_free(c);
}
END_TEST

Suite *
tokcache_suite(void)
{
	Suite *s = suite_create("tokcache");
	TCase *tc = tcase_create("tokcache");

	tcase_add_test(tc, found_for_the_same_key_only);
	tcase_add_test(tc, dropped_when_expired);
	tcase_add_test(tc, oldest_forgotten_when_full);
	tcase_add_test(tc, size_zero_keeps_none);
	tcase_add_test(tc, many_entries);
	suite_add_tcase(s, tc);
	return s;
}
