/*
 * Forged and broken tokens, each with its own reason: alg none, HS256
 * keyed with the RSA public key, a key the token brings, unknown kid,
 * alg not the key's, expired or not yet valid, wrong issuer or audience,
 * bad claims, bad base64 or JSON, a member name twice, too large,
 * truncated or tampered signatures, ECDSA signatures of the wrong length.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "check_jwt.h"

START_TEST(alg_none)
{
	static const char *const nones[] = { "none", "None", "NONE", "" };
	char                    *cl = claims(NULL, NOW + 600), *h, *p, *t;

	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_gt(asprintf(&t, "{\"alg\":\"%s\"}", nones[i]), 0);
		h = b64url_str(t);
		p = b64url_str(cl);
		free(t);
		ck_assert_int_gt(asprintf(&t, "%s.%s.", h, p), 0);
		ck_assert_int_eq(verify(t), MG_JWT_ALG);
		free(h), free(p), free(t);
	}
	free(cl);
}
END_TEST

/* The classic key confusion: HS256 keyed with the RSA public key's bytes
 * (PEM and DER), which a verifier that lets the token pick the algorithm
 * would accept. */
START_TEST(hs256_with_rsa_public_key)
{
	mg_jwt_rules_t r = rules();
	BIO           *bio = BIO_new(BIO_s_mem());
	char          *pem, *cl = claims(NULL, NOW + 600), *h, *p, *in, *s, *t;
	uint8_t        mac[32], *der = NULL;
	size_t         n;
	long           len;
	int            dlen;

	ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, rsa), 1);
	len = BIO_get_mem_data(bio, &pem);
	dlen = i2d_PUBKEY(rsa, &der);
	h = b64url_str("{\"alg\":\"HS256\",\"kid\":\"rsa\"}");
	p = b64url_str(cl);
	ck_assert_int_gt(asprintf(&in, "%s.%s", h, p), 0);
	for (int k = 0; k < 2; k++) {
		ck_assert_ptr_nonnull(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256",
		    NULL, k ? der : (uint8_t *)pem,
		    k ? (size_t)dlen : (size_t)len, (uint8_t *)in, strlen(in),
		    mac, sizeof(mac), &n));
		s = b64url(mac, n);
		ck_assert_int_gt(asprintf(&t, "%s.%s", in, s), 0);
		r.algs = MG_JWT_ASYMMETRIC;
		ck_assert_int_eq(verify_with(t, jwks, &r), MG_JWT_ALG);
		/* even when HS256 is allowed: the RSA key is no secret */
		r.algs = MG_JWT_ASYMMETRIC | MG_JWT_HS256;
		ck_assert_int_eq(verify_with(t, jwks, &r), MG_JWT_ALG);
		free(s), free(t);
	}
	BIO_free(bio);
	OPENSSL_free(der);
	free(h), free(p), free(in), free(cl);
}
END_TEST

/* A key the token brings along ("jwk", "jku", RFC 7515 4.1.2-3) is never
 * used: only the configured set verifies. */
START_TEST(embedded_key)
{
	EVP_PKEY *evil = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char *jwk = jwk_of(evil, "p256", NULL), *cl = claims(NULL, NOW + 600);
	char *h, *t;

	ck_assert_int_gt(asprintf(&h,
			     "{\"alg\":\"ES256\",\"kid\":\"p256\",\"jwk\":%s,"
			     "\"jku\":\"https://evil.example/jwks\"}",
			     jwk),
	    0);
	t = token_raw(h, cl, "ES256", evil);
	ck_assert_int_eq(verify(t), MG_JWT_SIGNATURE);
	free(t);
	free(h);
	free(jwk);
	free(cl);
	EVP_PKEY_free(evil);
}
END_TEST

START_TEST(unknown_kid)
{
	char *cl = claims(NULL, NOW + 600), *t;

	t = token_raw("{\"alg\":\"RS256\",\"kid\":\"gone\"}", cl, "RS256", rsa);
	ck_assert_int_eq(verify(t), MG_JWT_UNKNOWN_KEY);
	ck_assert_int_eq(mg_jwks_kid_known(jwks, "gone"), 0);
	ck_assert_int_eq(mg_jwks_kid_known(jwks, "rsa"), 1);
	ck_assert_int_eq(mg_jwks_kid_known(jwks, "p384"), 1);
	free(t);
	/* no kid: two RSA keys fit RS256... */
	t = token_raw("{\"alg\":\"PS256\"}", cl, "PS256", rsa);
	ck_assert_int_eq(verify(t), MG_JWT_UNKNOWN_KEY);
	free(t);
	/* ...one EC key fits ES384 */
	t = token_raw("{\"alg\":\"ES384\"}", cl, "ES384", ec384);
	ck_assert_int_eq(verify(t), MG_JWT_OK);
	free(t);
	/* a kid too long for any key, and a kid that is not a string */
	t = token_raw("{\"alg\":\"RS256\",\"kid\":\""
		      "0123456789012345678901234567890123456789"
		      "0123456789012345678901234567890123456789"
		      "0123456789012345678901234567890123456789\"}",
	    cl, "RS256", rsa);
	ck_assert_int_eq(verify(t), MG_JWT_UNKNOWN_KEY);
	free(t);
	t = token_raw("{\"alg\":\"RS256\",\"kid\":7}", cl, "RS256", rsa);
	ck_assert_int_eq(verify(t), MG_JWT_MALFORMED);
	free(t);
	free(cl);
}
END_TEST

/* A key's alg, or its type and curve, decide what it verifies. */
START_TEST(alg_not_the_keys)
{
	char *cl = claims(NULL, NOW + 600), *t;

	/* rsa-ps is published with "alg":"PS256" */
	t = token_raw(
	    "{\"alg\":\"RS256\",\"kid\":\"rsa-ps\"}", cl, "RS256", rsa2);
	ck_assert_int_eq(verify(t), MG_JWT_ALG);
	free(t);
	t = token_raw(
	    "{\"alg\":\"PS256\",\"kid\":\"rsa-ps\"}", cl, "PS256", rsa2);
	ck_assert_int_eq(verify(t), MG_JWT_OK);
	free(t);
	/* ES384 with the P-256 key's kid; ES256 with an RSA kid */
	t = token_raw(
	    "{\"alg\":\"ES384\",\"kid\":\"p256\"}", cl, "ES384", ec384);
	ck_assert_int_eq(verify(t), MG_JWT_ALG);
	free(t);
	t = token_raw(
	    "{\"alg\":\"ES256\",\"kid\":\"rsa\"}", cl, "ES256", ec256);
	ck_assert_int_eq(verify(t), MG_JWT_ALG);
	free(t);
	t = token_raw("{\"alg\":\"EdDSA\",\"kid\":\"p384\"}", cl, "EdDSA", ed);
	ck_assert_int_eq(verify(t), MG_JWT_ALG);
	free(t);
	/* an algorithm the layer does not know */
	t = token_raw("{\"alg\":\"HS512\",\"kid\":\"rsa\"}", cl, "RS256", rsa);
	ck_assert_int_eq(verify(t), MG_JWT_ALG);
	free(t);
	free(cl);
}
END_TEST

START_TEST(times)
{
	expect("RS256", claims(NULL, NOW - 31), MG_JWT_EXPIRED);
	expect("ES256", claims(NULL, NOW - 30), MG_JWT_EXPIRED);
	/* within the leeway of 30 s */
	expect("ES256", claims(NULL, NOW - 29), MG_JWT_OK);
	expect("EdDSA", claims(NULL, NOW - 1), MG_JWT_OK);
	expect("RS256", claims("\"nbf\":1800000060", NOW + 600),
	    MG_JWT_NOT_YET_VALID);
	expect("RS256", claims("\"nbf\":1800000030", NOW + 600), MG_JWT_OK);
	expect("RS256", claims("\"nbf\":1799999000", NOW + 600), MG_JWT_OK);
	/* iat in the future beyond the leeway (claims() puts iat first,
	 * a second iat would be a member name twice) */
	expect("RS256",
	    strdup("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":"
		   "1800000600,\"iat\":1800000031}"),
	    MG_JWT_NOT_YET_VALID);
	/* fractions are NumericDates too */
	expect("RS256",
	    strdup("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":"
		   "1800000600.5}"),
	    MG_JWT_OK);
}
END_TEST

START_TEST(leeway_zero)
{
	char          *cl = claims(NULL, NOW), *t = token("RS256", cl);
	mg_jwt_rules_t r = rules();

	r.leeway_s = 0;
	ck_assert_int_eq(verify_with(t, jwks, &r), MG_JWT_EXPIRED);
	r.now = NOW - 1;
	ck_assert_int_eq(verify_with(t, jwks, &r), MG_JWT_OK);
	free(t);
	free(cl);
}
END_TEST

START_TEST(issuer_audience)
{
	mg_jwt_rules_t r = rules();
	char          *cl, *t;

	expect("ES384",
	    strdup("{\"iss\":\"https://evil.example\",\"aud\":\"" AUD
		   "\",\"exp\":1800000600}"),
	    MG_JWT_ISSUER);
	expect("ES384", strdup("{\"aud\":\"" AUD "\",\"exp\":1800000600}"),
	    MG_JWT_ISSUER);
	expect("ES384",
	    strdup("{\"iss\":\"https://other.example\",\"aud\":\"" AUD
		   "\",\"exp\":1800000600}"),
	    MG_JWT_OK);
	expect("ES384",
	    strdup("{\"iss\":\"" ISS "\",\"aud\":\"https://gw.example/"
		   "other\",\"exp\":1800000600}"),
	    MG_JWT_AUDIENCE);
	expect("ES384",
	    strdup("{\"iss\":\"" ISS "\",\"aud\":[\"a\",\"b\"],\"exp\":"
		   "1800000600}"),
	    MG_JWT_AUDIENCE);
	expect("ES384",
	    strdup("{\"iss\":\"" ISS "\",\"aud\":[],\"exp\":1800000600}"),
	    MG_JWT_AUDIENCE);
	expect("ES384",
	    strdup("{\"iss\":\"" ISS "\",\"aud\":[\"a\",\"" AUD
		   "\"],\"exp\":1800000600}"),
	    MG_JWT_OK);
	expect("ES384", strdup("{\"iss\":\"" ISS "\",\"exp\":1800000600}"),
	    MG_JWT_AUDIENCE);
	expect("ES384",
	    strdup("{\"iss\":\"" ISS "\",\"aud\":[\"" AUD
		   "\",5],\"exp\":1800000600}"),
	    MG_JWT_CLAIMS);
	/* no issuers and no audiences in the rules: any */
	cl = strdup("{\"exp\":1800000600}");
	t = token("ES384", cl);
	r.nissuers = r.naudiences = 0;
	ck_assert_int_eq(verify_with(t, jwks, &r), MG_JWT_OK);
	free(t);
	free(cl);
}
END_TEST

START_TEST(bad_claims)
{
	char big[400];

	expect("RS256", strdup("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}"),
	    MG_JWT_CLAIMS);
	expect("RS256",
	    strdup("{\"iss\":\"" ISS "\",\"aud\":\"" AUD
		   "\",\"exp\":\"1800000600\"}"),
	    MG_JWT_CLAIMS);
	expect("RS256", claims("\"nbf\":true", NOW + 600), MG_JWT_CLAIMS);
	expect("RS256",
	    strdup("{\"iss\":7,\"aud\":\"" AUD "\",\"exp\":1800000600}"),
	    MG_JWT_CLAIMS);
	expect("RS256",
	    strdup("{\"iss\":\"" ISS "\",\"aud\":\"" AUD
		   "\",\"exp\":1800000600,\"sub\":[\"alice\"]}"),
	    MG_JWT_CLAIMS);
	/* a sub longer than mg_jwt_t holds is refused, never cut */
	memset(big, 'a', 300);
	big[300] = '\0';
	expect("RS256", claims_sub(big), MG_JWT_CLAIMS);
	big[255] = '\0';
	expect("RS256", claims_sub(big), MG_JWT_OK);
	expect("RS256", claims_sub("al\\u0000ice"), MG_JWT_CLAIMS);
}
END_TEST

/* ---- broken tokens ----------------------------------------------------- */

/* A good ES256 token with part PART (0, 1, 2) replaced by TEXT. */
static char *
with_part(int part, const char *text)
{
	char *cl = claims(NULL, NOW + 600), *t = token("ES256", cl), *out;
	char *d1 = strchr(t, '.'), *d2 = strchr(d1 + 1, '.');

	*d1 = *d2 = '\0';
	ck_assert_int_gt(
	    asprintf(&out, "%s.%s.%s", part == 0 ? text : t,
		part == 1 ? text : d1 + 1, part == 2 ? text : d2 + 1),
	    0);
	free(t);
	free(cl);
	return out;
}

static void
expect_part(int part, const char *text, int want)
{
	char *t = with_part(part, text);

	ck_assert_msg(verify(t) == want, "part %d \"%s\": %s, wanted %s", part,
	    text, mg_jwt_reason(verify(t)), mg_jwt_reason(want));
	free(t);
}

START_TEST(bad_base64)
{
	char *h = b64url_str("{\"alg\":\"ES256\",\"kid\":\"p256\"}");
	char  bad[128];

	/* outside the alphabet, standard base64's own, padding, a length
	 * no encoding has, unused bits set */
	for (int part = 0; part < 2; part++) {
		expect_part(part, "eyJ!bGci", MG_JWT_MALFORMED);
		expect_part(part, "eyJh+bGc", MG_JWT_MALFORMED);
		expect_part(part, "eyJh/bGc", MG_JWT_MALFORMED);
		expect_part(part, "eyJhbA==", MG_JWT_MALFORMED);
		expect_part(part, "eyJhb", MG_JWT_MALFORMED);
		expect_part(part, "eyJ hbGci", MG_JWT_MALFORMED);
	}
	expect_part(2, "AAAA=", MG_JWT_MALFORMED);
	expect_part(2, "A", MG_JWT_MALFORMED);
	/* "e30" is "{}", "e31" has a stray bit: the same bytes, another text */
	expect_part(1, "e31", MG_JWT_MALFORMED);
	snprintf(bad, sizeof(bad), "%s", h);
	ck_assert_int_eq(bad[strlen(bad) - 1], 'Q');
	bad[strlen(bad) - 1] = 'R'; /* 'Q' is 16: 'R' sets a bit past the end */
	expect_part(0, bad, MG_JWT_MALFORMED);
	free(h);
}
END_TEST

START_TEST(bad_shape)
{
	mg_jwt_rules_t           r = rules();
	mg_jwt_t                 out;
	static const char *const toks[] = { "", ".", "..", "a.b", "a.b.c.d",
		"eyJhbGciOiJFUzI1NiJ9..sig", ".e30.sig", "abc" };

	for (size_t i = 0; i < MG_NELEM(toks); i++)
		ck_assert_msg(verify(toks[i]) == MG_JWT_MALFORMED, "\"%s\": %s",
		    toks[i], mg_jwt_reason(verify(toks[i])));
	ck_assert_int_eq(
	    mg_jwt_verify(NULL, 0, jwks, &r, &out), MG_JWT_MALFORMED);
	ck_assert_ptr_null(out.claims);
}
END_TEST

START_TEST(bad_json)
{
	static const char *const headers[] = { "{\"alg\":\"ES256\"",
		"[\"ES256\"]", "\"ES256\"", "null", "{\"alg\":ES256}",
		"{\"alg\":\"ES256\"} x", "{'alg':'ES256'}",
		"{\"alg\":\"ES256\",}", "{}", "{\"alg\":256}" };
	char                    *cl = claims(NULL, NOW + 600), *t;

	for (size_t i = 0; i < MG_NELEM(headers); i++) {
		char *h = b64url_str(headers[i]);

		expect_part(0, h, MG_JWT_MALFORMED);
		free(h);
	}
	/* a payload that is not a JSON object, though well signed */
	t = token("ES256", "{\"exp\":1800000600");
	ck_assert_int_eq(verify(t), MG_JWT_MALFORMED);
	free(t);
	t = token("ES256", "[1800000600]");
	ck_assert_int_eq(verify(t), MG_JWT_MALFORMED);
	free(t);
	/* an extension the verifier would have to understand */
	t = token_raw("{\"alg\":\"ES256\",\"kid\":\"p256\",\"crit\":[\"b64\"],"
		      "\"b64\":false}",
	    cl, "ES256", ec256);
	ck_assert_int_eq(verify(t), MG_JWT_MALFORMED);
	free(t);
	free(cl);
}
END_TEST

/* json-c keeps the last of two members of one name; a reader keeping the
 * first would see another token. */
START_TEST(duplicate_members)
{
	char *cl = claims(NULL, NOW + 600), *t;

	t = token_raw("{\"alg\":\"ES256\",\"kid\":\"p256\",\"alg\":\"none\"}",
	    cl, "ES256", ec256);
	ck_assert_int_eq(verify(t), MG_JWT_MALFORMED);
	free(t);
	t = token_raw("{\"alg\":\"none\",\"kid\":\"p256\",\"alg\":\"ES256\"}",
	    cl, "ES256", ec256);
	ck_assert_int_eq(verify(t), MG_JWT_MALFORMED);
	free(t);
	free(cl);
	expect(
	    "ES256", claims("\"sub\":\"root\"", NOW + 600), MG_JWT_MALFORMED);
	expect("ES256", claims("\"x\":{\"a\":1,\"a\":2}", NOW + 600),
	    MG_JWT_MALFORMED);
}
END_TEST

START_TEST(too_large)
{
	mg_jwt_rules_t r = rules();
	char          *cl = claims(NULL, NOW + 600), *t = token("RS256", cl);
	char          *big = malloc(65536 + 1);
	size_t         n = strlen(t);

	memset(big, 'A', 65536);
	big[65536] = '\0';
	memcpy(big, t, n); /* a good token's start, then 64 KB of 'A' */
	ck_assert_int_eq(verify(big), MG_JWT_TOO_LARGE);
	r.max_size = 65535;
	ck_assert_int_eq(verify_with(big, jwks, &r), MG_JWT_TOO_LARGE);
	/* the limit is the token's size, inclusive */
	r.max_size = n;
	ck_assert_int_eq(verify_with(t, jwks, &r), MG_JWT_OK);
	r.max_size = n - 1;
	ck_assert_int_eq(verify_with(t, jwks, &r), MG_JWT_TOO_LARGE);
	free(big);
	free(t);
	free(cl);
}
END_TEST

START_TEST(truncated_signature)
{
	const char *algs[] = { "RS256", "PS384", "ES256", "ES384", "EdDSA" };

	for (size_t i = 0; i < MG_NELEM(algs); i++) {
		char  *cl = claims(NULL, NOW + 600), *t = token(algs[i], cl);
		char  *sig = strrchr(t, '.') + 1;
		size_t n = strlen(sig);

		/* by one character: a length or last character no encoding
		 * has, or a signature too short */
		sig[n - 1] = '\0';
		ck_assert_int_ne(verify(t), MG_JWT_OK);
		/* to whole groups of 3 bytes: still base64url, too short */
		sig[(n - 1) / 4 * 4 - 4] = '\0';
		ck_assert_int_eq(verify(t), MG_JWT_SIGNATURE);
		sig[0] = '\0';
		ck_assert_int_eq(verify(t), MG_JWT_SIGNATURE);
		free(t);
		free(cl);
	}
}
END_TEST

/* Token T with its signature replaced by SIG; its verification. */
static int
verify_sig(const char *t, const char *sig)
{
	char *d = strrchr(t, '.'), *u;
	int   rc;

	ck_assert_int_gt(asprintf(&u, "%.*s.%s", (int)(d - t), t, sig), 0);
	rc = verify(u);
	free(u);
	return rc;
}

/* The test's own base64url decoder, for the signatures it made. */
static size_t
unb64url(const char *s, uint8_t *out)
{
	char   tmp[512];
	size_t k = strlen(s), pad = 0;
	int    n;

	ck_assert_uint_lt(k, sizeof(tmp) - 4);
	for (size_t i = 0; i < k; i++)
		tmp[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while ((k + pad) % 4)
		tmp[k + pad++] = '=';
	n = EVP_DecodeBlock(out, (uint8_t *)tmp, (int)(k + pad));
	ck_assert_int_ge(n, (int)pad);
	return (size_t)n - pad;
}

START_TEST(tampered)
{
	char *ca = claims(NULL, NOW + 600), *a = token("PS256", ca);
	char *cb = claims_sub("mallory"), *b = token("PS256", cb), *u;
	char *a1 = strchr(a, '.'), *a2 = strrchr(a, '.');
	char *b1 = strchr(b, '.'), *b2 = strrchr(b, '.');

	/* mallory's claims under alice's signature */
	ck_assert_int_gt(asprintf(&u, "%.*s%.*s%s", (int)(a1 - a), a,
			     (int)(b2 - b1), b1, a2),
	    0);
	ck_assert_int_eq(verify(u), MG_JWT_SIGNATURE);
	free(u);
	/* one bit of the payload's text */
	a1[5] ^= 0x01;
	ck_assert_int_eq(verify(a), MG_JWT_SIGNATURE);
	free(a), free(b), free(ca), free(cb);
}
END_TEST

/* JWS ES256 is r || s of 32 bytes each: the DER form a naive signer
 * sends, or one byte more or less, is refused before OpenSSL. */
START_TEST(ecdsa_length)
{
	char      *cl = claims(NULL, NOW + 600), *t = token("ES256", cl), *x;
	uint8_t    raw[128], der[128], *p = der;
	size_t     n = unb64url(strrchr(t, '.') + 1, raw);
	ECDSA_SIG *es = ECDSA_SIG_new();

	ck_assert_uint_eq(n, 64);
	raw[64] = 0;
	x = b64url(raw, 65);
	ck_assert_int_eq(verify_sig(t, x), MG_JWT_SIGNATURE);
	free(x);
	x = b64url(raw, 63);
	ck_assert_int_eq(verify_sig(t, x), MG_JWT_SIGNATURE);
	free(x);
	ECDSA_SIG_set0(
	    es, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
	n = (size_t)i2d_ECDSA_SIG(es, &p);
	ECDSA_SIG_free(es);
	x = b64url(der, n);
	ck_assert_int_eq(verify_sig(t, x), MG_JWT_SIGNATURE);
	free(x);
	/* the same r || s, encoded again, still verifies */
	x = b64url(raw, 64);
	ck_assert_int_eq(verify_sig(t, x), MG_JWT_OK);
	free(x);
	free(t);
	free(cl);
}
END_TEST

TCase *
jwt_forged_tcase(void)
{
	TCase *tc = tcase_create("forged");

	tcase_add_unchecked_fixture(tc, keys_make, keys_free);
	tcase_add_test(tc, alg_none);
	tcase_add_test(tc, hs256_with_rsa_public_key);
	tcase_add_test(tc, unknown_kid);
	tcase_add_test(tc, embedded_key);
	tcase_add_test(tc, alg_not_the_keys);
	tcase_add_test(tc, times);
	tcase_add_test(tc, leeway_zero);
	tcase_add_test(tc, issuer_audience);
	tcase_add_test(tc, bad_claims);
	tcase_add_test(tc, bad_base64);
	tcase_add_test(tc, bad_shape);
	tcase_add_test(tc, bad_json);
	tcase_add_test(tc, duplicate_members);
	tcase_add_test(tc, too_large);
	tcase_add_test(tc, truncated_signature);
	tcase_add_test(tc, tampered);
	tcase_add_test(tc, ecdsa_length);
	return tc;
}
