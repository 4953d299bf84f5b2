/*
 * JWT verification and JWK sets (proto/jwt.c, jwk.c) against keys made
 * here with OpenSSL and tokens signed by the tests' own signer
 * (check_jwt_jose.c), by Python's cryptography, and RFC 8037's vector:
 * every algorithm verifies, with what a caller reads (sub, iss, kid, exp,
 * scopes); forged tokens (check_jwt_forged.c) and key sets
 * (check_jwt_jwks.c) in test cases of their own.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "check_jwt.h"
#include "suites.h"

Suite *jwt_suite(void);

/* ---- every algorithm --------------------------------------------------- */

static const char *const alg_names[] = { "RS256", "RS384", "RS512", "PS256",
	"PS384", "PS512", "ES256", "ES384", "EdDSA" };

START_TEST(every_alg_verifies)
{
	const char    *alg = alg_names[_i];
	char          *cl = claims(NULL, NOW + 600), *t = token(alg, cl);
	mg_jwt_rules_t r = rules();
	mg_jwt_t       out;
	unsigned       bit;

	ck_assert_int_eq(mg_jwt_alg_parse(alg, &bit), MG_OK);
	r.algs = bit;
	ck_assert_int_eq(
	    mg_jwt_verify(t, strlen(t), jwks, &r, &out), MG_JWT_OK);
	ck_assert_str_eq(out.sub, "alice");
	ck_assert_str_eq(out.iss, ISS);
	ck_assert_str_eq(out.kid, kid_for(alg));
	ck_assert_int_eq(out.exp, NOW + 600);
	ck_assert_ptr_nonnull(out.claims);
	mg_jwt_clear(&out);
	ck_assert_ptr_null(out.claims);
	/* the same token when the rules allow every other algorithm only */
	r.algs = (MG_JWT_ASYMMETRIC | MG_JWT_HS256) & ~bit;
	ck_assert_int_eq(verify_with(t, jwks, &r), MG_JWT_ALG);
	free(t);
	free(cl);
}
END_TEST

START_TEST(hs256_secret_verifies)
{
	char          *cl = claims(NULL, NOW + 600), *t = token("HS256", cl);
	mg_jwt_rules_t r = rules();

	/* HS256 only when the rules allow it and the key is a secret */
	ck_assert_int_eq(verify_with(t, secret, &r), MG_JWT_ALG);
	r.algs |= MG_JWT_HS256;
	ck_assert_int_eq(verify_with(t, secret, &r), MG_JWT_OK);
	ck_assert_int_eq(verify_with(t, jwks, &r), MG_JWT_ALG);
	t[strlen(t) - 2] ^= 1;
	ck_assert_int_eq(verify_with(t, secret, &r), MG_JWT_SIGNATURE);
	free(t);
	free(cl);
	/* a secret too short for HS256 (RFC 7518 3.2) */
	ck_assert_ptr_null(mg_jwks_secret((const uint8_t *)"short", 5));
	ck_assert_uint_eq(mg_jwks_count(secret), 1);
}
END_TEST

START_TEST(alg_parse_names)
{
	unsigned bit = 0;

	ck_assert_int_eq(mg_jwt_alg_parse("EdDSA", &bit), MG_OK);
	ck_assert_uint_eq(bit, MG_JWT_EDDSA);
	ck_assert_int_eq(mg_jwt_alg_parse("HS256", &bit), MG_OK);
	ck_assert_uint_eq(bit, MG_JWT_HS256);
	ck_assert_int_eq(mg_jwt_alg_parse("none", &bit), MG_ERROR);
	ck_assert_int_eq(mg_jwt_alg_parse("HS512", &bit), MG_ERROR);
	ck_assert_int_eq(mg_jwt_alg_parse("rs256", &bit), MG_ERROR);
	ck_assert_int_eq(mg_jwt_alg_parse("", &bit), MG_ERROR);
}
END_TEST

START_TEST(reasons)
{
	for (int i = 0; i < MG_JWT_NRESULTS; i++) {
		ck_assert_ptr_nonnull(mg_jwt_reason(i));
		ck_assert_int_gt(strlen(mg_jwt_reason(i)), 0);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(mg_jwt_reason(i), mg_jwt_reason(j));
	}
	ck_assert_str_eq(mg_jwt_reason(MG_JWT_EXPIRED), "expired");
	ck_assert_str_eq(mg_jwt_reason(MG_JWT_AUDIENCE), "wrong audience");
	ck_assert_str_eq(mg_jwt_reason(MG_JWT_UNKNOWN_KEY), "unknown key");
	ck_assert_str_eq(mg_jwt_reason(MG_JWT_SIGNATURE), "bad signature");
	ck_assert_ptr_nonnull(mg_jwt_reason(-1));
	ck_assert_ptr_nonnull(mg_jwt_reason(MG_JWT_NRESULTS));
}
END_TEST

/* Made outside this code base, with Python's cryptography package: a
 * key set and tokens signed there (exp in 2100, aud an array), so that
 * the JOSE encoding (JWK members, base64url, ECDSA r || s, PSS salt) is
 * checked against another writer's, not only against this test's. */
static const char py_jwks[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"rsa\",\"use\":\"sig\",\"n"
    "\":\"02K3MVo7nhapF1qSOWWp8eeunDtgGGdotegDJb1r15RjvAWK_gBX7AIihPq"
    "wRULdrVDnLhD6Hk00_-RXf3B29-8IPYeefgHhsdvIDb3MMj0P58eF2g4b-EHYAp7"
    "U5_gi8Mdy0qA-sk9jjHgZHeN6yN756HGJh7SNaYqqaPHU_qkAPNKaBVaCChfbKil"
    "I4kXDBZvVPXAnmFv7A77C-tlK7NWWzHZZO0k1G7V9bSmgHYkBzPcApc_AqSqt9Yt"
    "2gP4fuCTNZI1U89QTqpIm6rlh6TWwRz6_5c_vrP2P_-BJFWBLyEI303ufVI0ftXZ"
    "KKjZ30kvC3yPuPKX_oRlw9RPUvw\",\"e\":\"AQAB\"},{\"kty\":\"EC\",\""
    "kid\":\"p256\",\"crv\":\"P-256\",\"x\":\"99_HFDLQv8_4J8cMBx2e2SY"
    "8MfOi5wWbwzwcUbeZZEY\",\"y\":\"5UYdCUoT5B6ozOWaXWgE4DLN8tE4mZcUo"
    "H9j4U_gsUQ\"},{\"kty\":\"OKP\",\"kid\":\"ed\",\"crv\":\"Ed25519"
    "\",\"alg\":\"EdDSA\",\"x\":\"8f9LJjv_xnAzVO_yVFd-DzUtvELtg-RKTV-"
    "1X8nyQe8\"}]}";
static const char *const py_tokens[] = {
	/* PS256 */
	"eyJhbGciOiJQUzI1NiIsImtpZCI6InJzYSIsInR5cCI6ImF0K2p3dCJ9.eyJpc3M"
	"iOiJodHRwczovL2FzLmV4YW1wbGUiLCJhdWQiOlsiaHR0cHM6Ly9ndy5leGFtcGx"
	"lL21jcCIsIm90aGVyIl0sInN1YiI6InB5IiwiZXhwIjo0MTAyNDQ0ODAwLCJzY29"
	"wZSI6InRvb2xzOmNhbGwifQ.eVQQjrZQWGSQdHTd6Rm4qOp2o-KnkUtgqDdTSmzg"
	"Fm2MaKMmu4rPBPX1nWzYZWSUc3Mc-VEN5Nm5rzTKxUHsJAvB_w_aOkWivHNA-z-9"
	"6ze2Bl96XCqkSBolBwxqRSf6y6eRuv8INjDc6xvr8MfgnNmDaSXTF9Q0HpdkqZSX"
	"lxGmhGmDfTFoT3gXj6HaGL2dL6CbHbjxWvRLGCW0PEiELJHmBFA84qCq2Q1wq6Rs"
	"Pqei3XaD3mUf5o7o7Xmn879ZzS0HrHD5oFpSqbu_gcf7Dkn8brDXXiOL-OghuxAv"
	"U9APIw80zmD2HTDd-ABPyHLgFhZBWwY13kuZgg3uFlxxMg",
	/* RS256 */
	"eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYSIsInR5cCI6ImF0K2p3dCJ9.eyJpc3M"
	"iOiJodHRwczovL2FzLmV4YW1wbGUiLCJhdWQiOlsiaHR0cHM6Ly9ndy5leGFtcGx"
	"lL21jcCIsIm90aGVyIl0sInN1YiI6InB5IiwiZXhwIjo0MTAyNDQ0ODAwLCJzY29"
	"wZSI6InRvb2xzOmNhbGwifQ.m6TQuBjwP6CuyNixssu7rek9ADWlEwc6JLuY7DwN"
	"teUUVyUsKEYCam7mEOXTJp4xz7x0NZ0g9T0ojhqPoyQaCd4nFDA6Oq6WammSNln8"
	"bpcDGYEE3X17mZC97uXGlLxc-x3zGCdHH1qHGsbVS6GaIo5GEmSTEA86UHhAYAGx"
	"HauSzapfxtmY3ddPZGNwq8VrWFFlVeLAJHUlGEupE4KT1E9vNE5EnjaoVY0DVQCj"
	"py4OP_4wcjFpta19IaThz_f_3U8jB09EDlE1VGdsDZuGe8iv-MNUyDDTDmn5lDQC"
	"CtpXyZIPW-DjZKoADC_H9cw_5dIReSPU8IDwVaG2nNxH-g",
	/* ES256 */
	"eyJhbGciOiJFUzI1NiIsImtpZCI6InAyNTYiLCJ0eXAiOiJhdCtqd3QifQ.eyJpc"
	"3MiOiJodHRwczovL2FzLmV4YW1wbGUiLCJhdWQiOlsiaHR0cHM6Ly9ndy5leGFtc"
	"GxlL21jcCIsIm90aGVyIl0sInN1YiI6InB5IiwiZXhwIjo0MTAyNDQ0ODAwLCJzY"
	"29wZSI6InRvb2xzOmNhbGwifQ.lcmQDjcb6v7vw4SGYwMZrH9cEWxAEUBYR8C0Ex"
	"RTB6GcIBRaTSqYZoisFCWMKehELbO7xeq11aiHbLw7vDriDA",
	/* EdDSA */
	"eyJhbGciOiJFZERTQSIsImtpZCI6ImVkIiwidHlwIjoiYXQrand0In0.eyJpc3Mi"
	"OiJodHRwczovL2FzLmV4YW1wbGUiLCJhdWQiOlsiaHR0cHM6Ly9ndy5leGFtcGxl"
	"L21jcCIsIm90aGVyIl0sInN1YiI6InB5IiwiZXhwIjo0MTAyNDQ0ODAwLCJzY29w"
	"ZSI6InRvb2xzOmNhbGwifQ.sBuC34qsHnxaLzYhZ82DsNkx6ZM2YrsT80E3Rsdif"
	"8C_sks6gzu8XKZ0znoz7uShye4fUvofhknx03ZL1FYSAg",
};

START_TEST(independent_signer)
{
	mg_jwks_t     *keys = mg_jwks_parse(py_jwks, strlen(py_jwks), NULL);
	mg_jwt_rules_t r = rules();
	mg_jwt_t       out;

	ck_assert_ptr_nonnull(keys);
	ck_assert_uint_eq(mg_jwks_count(keys), 3);
	for (size_t i = 0; i < MG_NELEM(py_tokens); i++) {
		ck_assert_int_eq(mg_jwt_verify(py_tokens[i],
				     strlen(py_tokens[i]), keys, &r, &out),
		    MG_JWT_OK);
		ck_assert_str_eq(out.sub, "py");
		ck_assert_int_eq(out.exp, 4102444800LL);
		ck_assert_int_eq(mg_jwt_has_scope(&out, "tools:call"), 1);
		mg_jwt_clear(&out);
		/* and not with this test's keys, whose kids they share */
		ck_assert_int_ne(verify(py_tokens[i]), MG_JWT_OK);
	}
	mg_jwks_free(keys);
}
END_TEST

/* RFC 8037 A.4: Ed25519 over "Example of Ed25519 signing".  The payload
 * is no JSON object: MG_JWT_MALFORMED says the signature verified (the
 * payload is read only then), MG_JWT_SIGNATURE that it did not. */
START_TEST(rfc8037_vector)
{
	static const char set[] = "{\"keys\":[{\"kty\":\"OKP\",\"crv\":"
				  "\"Ed25519\",\"x\":\"11qYAYKxCrfVS_"
				  "7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}";
	char tok[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25p"
		     "bmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcN"
		     "R4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
	mg_jwks_t     *keys = mg_jwks_parse(set, strlen(set), NULL);
	mg_jwt_rules_t r = rules();

	ck_assert_ptr_nonnull(keys);
	ck_assert_int_eq(verify_with(tok, keys, &r), MG_JWT_MALFORMED);
	tok[strlen(tok) - 5] ^= 0x01;
	ck_assert_int_eq(verify_with(tok, keys, &r), MG_JWT_SIGNATURE);
	mg_jwks_free(keys);
}
END_TEST

/* ---- scopes ------------------------------------------------------------ */

/* A verified token with the claims EXTRA. */
static void
verified(const char *extra, mg_jwt_t *out)
{
	char          *cl = claims(extra, NOW + 600), *t = token("EdDSA", cl);
	mg_jwt_rules_t r = rules();

	ck_assert_int_eq(mg_jwt_verify(t, strlen(t), jwks, &r, out), MG_JWT_OK);
	free(t);
	free(cl);
}

START_TEST(scopes)
{
	mg_jwt_t t;

	verified("\"scope\":\"a b  c tools:call\"", &t);
	ck_assert_int_eq(mg_jwt_has_scope(&t, "a"), 1);
	ck_assert_int_eq(mg_jwt_has_scope(&t, "b"), 1);
	ck_assert_int_eq(mg_jwt_has_scope(&t, "c"), 1);
	ck_assert_int_eq(mg_jwt_has_scope(&t, "tools:call"), 1);
	ck_assert_int_eq(mg_jwt_has_scope(&t, "ab"), 0);
	ck_assert_int_eq(mg_jwt_has_scope(&t, "a b"), 0);
	ck_assert_int_eq(mg_jwt_has_scope(&t, "tools"), 0);
	ck_assert_int_eq(mg_jwt_has_scope(&t, ""), 0);
	mg_jwt_clear(&t);
	verified("\"scp\":[\"read\",7,\"write\"]", &t);
	ck_assert_int_eq(mg_jwt_has_scope(&t, "read"), 1);
	ck_assert_int_eq(mg_jwt_has_scope(&t, "write"), 1);
	ck_assert_int_eq(mg_jwt_has_scope(&t, "rea"), 0);
	ck_assert_int_eq(mg_jwt_has_scope(&t, "7"), 0);
	mg_jwt_clear(&t);
	verified("\"scp\":\"read write\"", &t);
	ck_assert_int_eq(mg_jwt_has_scope(&t, "write"), 1);
	mg_jwt_clear(&t);
	verified(NULL, &t);
	ck_assert_int_eq(mg_jwt_has_scope(&t, "a"), 0);
	mg_jwt_clear(&t);
	verified("\"scope\":[\"a\"]", &t);
	ck_assert_int_eq(mg_jwt_has_scope(&t, "a"), 0);
	mg_jwt_clear(&t);
	/* a cleared token grants nothing */
	ck_assert_int_eq(mg_jwt_has_scope(&t, "a"), 0);
}
END_TEST

Suite *
jwt_suite(void)
{
	Suite *s = suite_create("jwt");
	TCase *tc = tcase_create("verify");

	tcase_add_unchecked_fixture(tc, keys_make, keys_free);
	tcase_add_loop_test(tc, every_alg_verifies, 0, MG_NELEM(alg_names));
	tcase_add_test(tc, hs256_secret_verifies);
	tcase_add_test(tc, alg_parse_names);
	tcase_add_test(tc, independent_signer);
	tcase_add_test(tc, rfc8037_vector);
	tcase_add_test(tc, reasons);
	tcase_add_test(tc, scopes);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, jwt_forged_tcase());
	suite_add_tcase(s, jwt_jwks_tcase());
	return s;
}
