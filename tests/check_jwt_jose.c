/*
 * The jwt suite's own JOSE side, which the code under test never sees:
 * keys made with OpenSSL before the tests fork, their JWKs built from the
 * keys' parameters, a signer (EVP_DigestSign, ECDSA turned into r || s,
 * HMAC for HS256), tokens and claims as the tests need them.
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

#include "check_jwt.h"

EVP_PKEY  *rsa, *rsa2, *ec256, *ec384, *ed;
mg_jwks_t *jwks, *secret;

char *
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

char *
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
char *
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
char *
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
char *
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
EVP_PKEY *
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

const char *
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
char *
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
char *
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
char *
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

const char *const jwt_issuers[] = { "https://other.example", ISS };
const char *const jwt_audiences[] = { AUD };

mg_jwt_rules_t
rules(void)
{
	mg_jwt_rules_t r = {
		.issuers = jwt_issuers,
		.nissuers = 2,
		.audiences = jwt_audiences,
		.naudiences = 1,
		.algs = MG_JWT_ASYMMETRIC,
		.leeway_s = 30,
		.now = NOW,
	};
	return r;
}

/* TOK verified against KEYS with R; the result, and *OUT cleared. */
int
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

int
verify(const char *tok)
{
	mg_jwt_rules_t r = rules();

	return verify_with(tok, jwks, &r);
}

/* Verify a token made of ALG and claims CL (freed), expecting WANT. */
void
expect(const char *alg, char *cl, int want)
{
	char *t = token(alg, cl);

	ck_assert_msg(verify(t) == want, "%s %s: %s, wanted %s", alg, cl,
	    mg_jwt_reason(verify(t)), mg_jwt_reason(want));
	free(t);
	free(cl);
}

void
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

void
keys_free(void)
{
	EVP_PKEY_free(rsa), EVP_PKEY_free(rsa2), EVP_PKEY_free(ec256);
	EVP_PKEY_free(ec384), EVP_PKEY_free(ed);
	mg_jwks_free(jwks);
	mg_jwks_free(secret);
}
