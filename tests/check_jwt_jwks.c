/*
 * JWK Sets: the exact error for each wrong key (missing or bad members,
 * RSA under 2048 bits, an unsupported curve, a point off the curve, an
 * alg that does not fit), what is skipped (secrets, encryption keys,
 * unknown types and algorithms, key_ops without verify), and texts that
 * are no set at all.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "check_jwt.h"

/* KEY's JWK with member DROP removed and SET (a JSON text) put as NAME. */
static char *
jwk_edit(EVP_PKEY *key, const char *kid, const char *drop, const char *name,
    const char *set)
{
	char               *j = jwk_of(key, kid, NULL), *out;
	struct json_object *o = json_tokener_parse(j);

	ck_assert_ptr_nonnull(o);
	if (drop != NULL)
		json_object_object_del(o, drop);
	if (name != NULL)
		json_object_object_add(o, name, json_tokener_parse(set));
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	free(j);
	return out;
}

/* N malloc'd texts (freed here) joined with commas. */
static char *
join(int n, ...)
{
	va_list ap;
	char   *out = strdup(""), *s, *t;

	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		s = va_arg(ap, char *);
		ck_assert_int_gt(
		    asprintf(&t, "%s%s%s", out, i ? "," : "", s), 0);
		free(out);
		free(s);
		out = t;
	}
	va_end(ap);
	return out;
}

/* The error of the set {"keys":[KEYS]}, or NULL with *COUNT keys. */
static char *
set_err(const char *keys, size_t *count)
{
	char      *set, *err = (char *)"unset";
	mg_jwks_t *k;

	ck_assert_int_gt(asprintf(&set, "{\"keys\":[%s]}", keys), 0);
	k = mg_jwks_parse(set, strlen(set), &err);
	free(set);
	*count = mg_jwks_count(k);
	ck_assert((k == NULL) == (err != NULL));
	mg_jwks_free(k);
	return err;
}

static void
expect_err(char *keys, const char *want)
{
	size_t n;
	char  *err = set_err(keys, &n);

	ck_assert_msg(err != NULL, "%s: no error, wanted %s", keys, want);
	ck_assert_msg(
	    strcmp(err, want) == 0, "\"%s\", wanted \"%s\"", err, want);
	free(err);
	free(keys);
}

static void
expect_count(char *keys, size_t want)
{
	size_t n;
	char  *err = set_err(keys, &n);

	ck_assert_msg(err == NULL, "%s: %s", keys, err);
	ck_assert_uint_eq(n, want);
	free(keys);
}

START_TEST(jwks_errors)
{
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);

	expect_err(
	    jwk_edit(rsa, "r", "n", NULL, NULL), "key 1 (kid \"r\"): no \"n\"");
	expect_err(join(2, jwk_of(rsa, "r", NULL),
		       jwk_edit(rsa, "", "kid", "e", "\"AQ!B\"")),
	    "key 2: bad base64url in \"e\"");
	expect_err(jwk_edit(rsa, "r", NULL, "n", "\"AQAB=\""),
	    "key 1 (kid \"r\"): bad base64url in \"n\"");
	expect_err(jwk_edit(small, "old", NULL, NULL, NULL),
	    "key 1 (kid \"old\"): RSA key of 1024 bits (at least 2048)");
	expect_err(jwk_edit(ec256, "e", NULL, "crv", "\"P-521\""),
	    "key 1 (kid \"e\"): unsupported \"crv\" (P-256 or P-384)");
	expect_err(jwk_edit(ec256, "e", "crv", NULL, NULL),
	    "key 1 (kid \"e\"): unsupported \"crv\" (P-256 or P-384)");
	expect_err(jwk_edit(ec256, "e", NULL, "x", "\"AAAA\""),
	    "key 1 (kid \"e\"): \"x\" is 3 bytes, not 32");
	expect_err(jwk_edit(ed, "d", NULL, "crv", "\"Ed448\""),
	    "key 1 (kid \"d\"): unsupported \"crv\" (Ed25519)");
	expect_err(jwk_edit(rsa, "r", NULL, "alg", "\"ES256\""),
	    "key 1 (kid \"r\"): \"alg\" ES256 does not fit the key");
	expect_err(jwk_edit(rsa, "r", "kty", NULL, NULL),
	    "key 1 (kid \"r\"): no \"kty\" string");
	expect_err(jwk_edit(rsa, "r", NULL, "kid", "5"),
	    "key 1: \"kid\" is not a string");
	expect_err(strdup("7"), "key 1: not an object");
	expect_err(jwk_edit(rsa, "r", NULL, "use", "[\"sig\"]"),
	    "key 1 (kid \"r\"): \"use\" is not a string");
	EVP_PKEY_free(small);
}
END_TEST

/* A point off the curve: y replaced by x. */
START_TEST(jwks_point_off_curve)
{
	char *j = jwk_of(ec256, "e", NULL), *x, *end, *y;

	x = strstr(j, "\"x\":\"") + 5;
	end = strchr(x, '"');
	ck_assert_int_gt(asprintf(&y, "\"%.*s\"", (int)(end - x), x), 0);
	free(j);
	expect_err(jwk_edit(ec256, "e", NULL, "y", y),
	    "key 1 (kid \"e\"): not a point on P-256");
	free(y);
}
END_TEST

START_TEST(jwks_skipped)
{
	/* a secret in a published set, an encryption key, an unknown
	 * type, an algorithm not verified here, key_ops without verify */
	expect_count(
	    join(6, strdup("{\"kty\":\"oct\",\"k\":\"c2VjcmV0c2VjcmV0\"}"),
		jwk_of(rsa, "r", NULL),
		jwk_edit(rsa, "enc", NULL, "use", "\"enc\""),
		strdup("{\"kty\":\"XYZ\"}"),
		jwk_edit(rsa, "oaep", NULL, "alg", "\"RSA-OAEP\""),
		jwk_edit(ec256, "w", NULL, "key_ops", "[\"sign\"]")),
	    1);
	expect_count(strdup(""), 0);
	expect_count(jwk_edit(ed, "d", NULL, "key_ops", "[\"verify\"]"), 1);
}
END_TEST

START_TEST(jwks_not_a_set)
{
	static const char *const sets[] = { "", "[]", "{}", "{\"keys\":{}}",
		"{\"keys\":[]", "{\"keys\":[],\"keys\":[]}" };
	char                    *err;
	mg_jwks_t               *k;

	for (size_t i = 0; i < MG_NELEM(sets); i++) {
		err = NULL;
		k = mg_jwks_parse(sets[i], strlen(sets[i]), &err);
		ck_assert_msg(k == NULL && err != NULL, "\"%s\"", sets[i]);
		free(err);
	}
	ck_assert_ptr_null(mg_jwks_parse("x", 1, NULL));
	ck_assert_int_eq(ERR_peek_error(), 0);
	ck_assert_uint_eq(mg_jwks_count(NULL), 0);
	ck_assert_int_eq(mg_jwks_kid_known(NULL, "rsa"), 0);
	mg_jwks_free(NULL);
}
END_TEST

TCase *
jwt_jwks_tcase(void)
{
	TCase *tc = tcase_create("jwks");

	tcase_add_unchecked_fixture(tc, keys_make, keys_free);
	tcase_add_test(tc, jwks_errors);
	tcase_add_test(tc, jwks_point_off_curve);
	tcase_add_test(tc, jwks_skipped);
	tcase_add_test(tc, jwks_not_a_set);
	return tc;
}
