/*
 * JWT verification and JWK sets (proto/jwt.c, jwk.c) against keys made
 * here with OpenSSL and tokens signed here by the test's own signer: every
 * algorithm verifies; every forged or broken token gets its own reason
 * (alg none, HS256 keyed with the RSA public key, unknown kid, expired,
 * not yet valid, wrong issuer or audience, bad base64 or JSON, too large,
 * truncated signatures, a member name twice); key sets refuse what is
 * wrong and skip what is not theirs.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "jwt.h"
#include "suites.h"

Suite *jwt_suite(void);

#define NOW 1800000000LL
#define ISS "https://as.example"
#define AUD "https://gw.example/mcp"
#define SECRET "0123456789abcdef0123456789abcdef-hs256"

/* Made once, before the tests fork. */
static EVP_PKEY  *rsa, *rsa2, *ec256, *ec384, *ed;
static mg_jwks_t *jwks, *secret;

/* ---- the test's own JOSE side ----------------------------------------- */

static char *
b64url(const uint8_t *p, size_t n)
{
	char *s = malloc(n / 3 * 4 + 8);
	int   len;

	ck_assert_ptr_nonnull(s);
	len = EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	while (len > 0 && s[len - 1] == '=')
		len--;
	s[len] = '\0';
	for (char *c = s; *c; c++)
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	return s;
}

static char *
b64url_str(const char *s)
{
	return b64url((const uint8_t *)s, strlen(s));
}

static char *
b64url_bn(EVP_PKEY *k, const char *param)
{
	BIGNUM *bn = NULL;
	uint8_t buf[1024];
	int     n;

	ck_assert_int_eq(EVP_PKEY_get_bn_param(k, param, &bn), 1);
	n = BN_bn2bin(bn, buf);
	BN_free(bn);
	return b64url(buf, (size_t)n);
}

/* KEY's JWK, with kid KID and, if not NULL, alg ALG. */
static char *
jwk_of(EVP_PKEY *key, const char *kid, const char *alg)
{
	char   *out = NULL, *a, *b, algm[64] = "";
	uint8_t pub[200];
	size_t  n;

	if (alg != NULL)
		snprintf(algm, sizeof(algm), ",\"alg\":\"%s\"", alg);
	if (EVP_PKEY_is_a(key, "RSA")) {
		a = b64url_bn(key, OSSL_PKEY_PARAM_RSA_N);
		b = b64url_bn(key, OSSL_PKEY_PARAM_RSA_E);
		ck_assert_int_gt(
		    asprintf(&out,
			"{\"kty\":\"RSA\",\"kid\":\"%s\","
			"\"use\":\"sig\"%s,\"n\":\"%s\",\"e\":\"%s\"}",
			kid, algm, a, b),
		    0);
	} else if (EVP_PKEY_is_a(key, "EC")) {
		ck_assert_int_eq(
		    EVP_PKEY_get_octet_string_param(
			key, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &n),
		    1);
		ck_assert_int_eq(pub[0], 4);
		a = b64url(pub + 1, (n - 1) / 2);
		b = b64url(pub + 1 + (n - 1) / 2, (n - 1) / 2);
		ck_assert_int_gt(
		    asprintf(&out,
			"{\"kty\":\"EC\",\"kid\":\"%s\"%s,"
			"\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}",
			kid, algm, n == 65 ? "P-256" : "P-384", a, b),
		    0);
	} else {
		n = sizeof(pub);
		ck_assert_int_eq(EVP_PKEY_get_raw_public_key(key, pub, &n), 1);
		a = b64url(pub, n);
		b = NULL;
		ck_assert_int_gt(asprintf(&out,
				     "{\"kty\":\"OKP\",\"kid\":\"%s\"%s,"
				     "\"crv\":\"Ed25519\",\"x\":\"%s\"}",
				     kid, algm, a),
		    0);
	}
	free(a);
	free(b);
	return out;
}

/* ALG's signature of INPUT with KEY (an EVP_PKEY, or NULL: the HS256
 * SECRET), in the JWS form: ECDSA as r || s. */
static char *
sign_input(const char *alg, EVP_PKEY *key, const char *input)
{
	EVP_MD_CTX    *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX  *pctx;
	uint8_t        sig[1024], raw[96];
	size_t         n = sizeof(sig), half;
	const char    *dg = alg[0] == 'E' && alg[1] == 'd' ? NULL
	       : strstr(alg, "384")                        ? "SHA384"
	       : strstr(alg, "512")                        ? "SHA512"
							   : "SHA256";
	ECDSA_SIG     *es;
	const uint8_t *p = sig;

	if (key == NULL) {
		ck_assert_ptr_nonnull(EVP_Q_mac(NULL, "HMAC", NULL, dg, NULL,
		    SECRET, strlen(SECRET), (const uint8_t *)input,
		    strlen(input), sig, sizeof(sig), &n));
		EVP_MD_CTX_free(md);
		return b64url(sig, n);
	}
	ck_assert_int_eq(
	    EVP_DigestSignInit_ex(md, &pctx, dg, NULL, NULL, key, NULL), 1);
	if (alg[0] == 'P') {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
	}
	ck_assert_int_eq(
	    EVP_DigestSign(md, sig, &n, (const uint8_t *)input, strlen(input)),
	    1);
	EVP_MD_CTX_free(md);
	if (alg[0] != 'E' || alg[1] != 'S')
		return b64url(sig, n);
	half = strcmp(alg, "ES256") == 0 ? 32 : 48;
	ck_assert_ptr_nonnull(es = d2i_ECDSA_SIG(NULL, &p, (long)n));
	BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, (int)half);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + half, (int)half);
	ECDSA_SIG_free(es);
	return b64url(raw, 2 * half);
}

/* HEADER.PAYLOAD (JSON texts) signed as ALG with KEY. */
static char *
token_raw(
    const char *header, const char *payload, const char *alg, EVP_PKEY *key)
{
	char *h = b64url_str(header), *p = b64url_str(payload), *in, *s, *t;

	ck_assert_int_gt(asprintf(&in, "%s.%s", h, p), 0);
	s = sign_input(alg, key, in);
	ck_assert_int_gt(asprintf(&t, "%s.%s", in, s), 0);
	free(h);
	free(p);
	free(in);
	free(s);
	return t;
}

/* The key that signs ALG in these tests. */
static EVP_PKEY *
key_for(const char *alg)
{
	if (alg[0] == 'R' || alg[0] == 'P')
		return rsa;
	if (strcmp(alg, "ES256") == 0)
		return ec256;
	if (strcmp(alg, "ES384") == 0)
		return ec384;
	if (strcmp(alg, "EdDSA") == 0)
		return ed;
	return NULL;
}

static const char *
kid_for(const char *alg)
{
	EVP_PKEY *k = key_for(alg);

	return k == rsa  ? "rsa"
	    : k == ec256 ? "p256"
	    : k == ec384 ? "p384"
	    : k == ed    ? "ed"
			 : NULL;
}

/* A token with the claims PAYLOAD, signed as ALG with its key and kid. */
static char *
token(const char *alg, const char *payload)
{
	char        header[128];
	const char *kid = kid_for(alg);

	if (kid != NULL)
		snprintf(header, sizeof(header),
		    "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}", alg,
		    kid);
	else
		snprintf(header, sizeof(header), "{\"alg\":\"%s\"}", alg);
	return token_raw(header, payload, alg, key_for(alg));
}

/* Claims: the good ones, with EXTRA members added before the end. */
static char *
claims(const char *extra, int64_t exp)
{
	char *s;

	ck_assert_int_gt(
	    asprintf(&s,
		"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\","
		"\"sub\":\"alice\",\"exp\":%lld,\"iat\":%lld%s%s}",
		(long long)exp, NOW - 10, extra ? "," : "", extra ? extra : ""),
	    0);
	return s;
}

/* Good claims with sub SUB. */
static char *
claims_sub(const char *sub)
{
	char *s;

	ck_assert_int_gt(asprintf(&s,
			     "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\","
			     "\"sub\":\"%s\",\"exp\":%lld}",
			     sub, NOW + 600),
	    0);
	return s;
}

static const char *const issuers[] = { "https://other.example", ISS };
static const char *const audiences[] = { AUD };

static mg_jwt_rules_t
rules(void)
{
	mg_jwt_rules_t r = {
		.issuers = issuers,
		.nissuers = 2,
		.audiences = audiences,
		.naudiences = 1,
		.algs = MG_JWT_ASYMMETRIC,
		.leeway_s = 30,
		.now = NOW,
	};
	return r;
}

/* TOK verified against KEYS with R; the result, and *OUT cleared. */
static int
verify_with(const char *tok, const mg_jwks_t *keys, const mg_jwt_rules_t *r)
{
	mg_jwt_t out;
	int      rc = mg_jwt_verify(tok, strlen(tok), keys, r, &out);

	if (rc != MG_JWT_OK) {
		ck_assert_ptr_null(out.claims);
		ck_assert_str_eq(out.sub, "");
	}
	/* a refusal leaves nothing in OpenSSL's error queue */
	ck_assert_int_eq(ERR_peek_error(), 0);
	mg_jwt_clear(&out);
	return rc;
}

static int
verify(const char *tok)
{
	mg_jwt_rules_t r = rules();

	return verify_with(tok, jwks, &r);
}

/* Verify a token made of ALG and claims CL (freed), expecting WANT. */
static void
expect(const char *alg, char *cl, int want)
{
	char *t = token(alg, cl);

	ck_assert_msg(verify(t) == want, "%s %s: %s, wanted %s", alg, cl,
	    mg_jwt_reason(verify(t)), mg_jwt_reason(want));
	free(t);
	free(cl);
}

static void
keys_make(void)
{
	char *a, *b, *c, *d, *e, *set;

	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ec384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ck_assert(rsa && rsa2 && ec256 && ec384 && ed);
	a = jwk_of(rsa, "rsa", NULL);
	b = jwk_of(ec256, "p256", "ES256");
	c = jwk_of(ec384, "p384", NULL);
	d = jwk_of(ed, "ed", "EdDSA");
	e = jwk_of(rsa2, "rsa-ps", "PS256");
	ck_assert_int_gt(
	    asprintf(&set, "{\"keys\":[%s,%s,%s,%s,%s]}", a, b, c, d, e), 0);
	jwks = mg_jwks_parse(set, strlen(set), NULL);
	ck_assert_ptr_nonnull(jwks);
	ck_assert_uint_eq(mg_jwks_count(jwks), 5);
	secret = mg_jwks_secret((const uint8_t *)SECRET, strlen(SECRET));
	ck_assert_ptr_nonnull(secret);
	free(a), free(b), free(c), free(d), free(e), free(set);
}

static void
keys_free(void)
{
	EVP_PKEY_free(rsa), EVP_PKEY_free(rsa2), EVP_PKEY_free(ec256);
	EVP_PKEY_free(ec384), EVP_PKEY_free(ed);
	mg_jwks_free(jwks);
	mg_jwks_free(secret);
}

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

/* ---- forged tokens ----------------------------------------------------- */

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

/* ---- key sets ---------------------------------------------------------- */

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
	tc = tcase_create("forged");
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
	suite_add_tcase(s, tc);
	tc = tcase_create("jwks");
	tcase_add_unchecked_fixture(tc, keys_make, keys_free);
	tcase_add_test(tc, jwks_errors);
	tcase_add_test(tc, jwks_point_off_curve);
	tcase_add_test(tc, jwks_skipped);
	tcase_add_test(tc, jwks_not_a_set);
	suite_add_tcase(s, tc);
	return s;
}
