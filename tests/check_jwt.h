/*
 * The jwt suite's parts in their own files: check_jwt_jose.c is the
 * tests' own JOSE side (keys, JWKs, a signer, claims), check_jwt.c builds
 * the suite and adds the test cases of check_jwt_forged.c and
 * check_jwt_jwks.c to it.
 */
#ifndef MG_CHECK_JWT_H
#define MG_CHECK_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>
#include <openssl/evp.h>

#include "jwt.h"

#define NOW 1800000000LL
#define ISS "https://as.example"
#define AUD "https://gw.example/mcp"
#define SECRET "0123456789abcdef0123456789abcdef-hs256"

/* Made once by keys_make, before the tests fork: jwks holds rsa (kid
 * "rsa"), ec256 ("p256", alg ES256), ec384 ("p384"), ed ("ed", alg
 * EdDSA) and rsa2 ("rsa-ps", alg PS256); secret holds SECRET. */
extern EVP_PKEY  *rsa, *rsa2, *ec256, *ec384, *ed;
extern mg_jwks_t *jwks, *secret;
/* The rules' issuers (another one and ISS) and audience (AUD). */
extern const char *const jwt_issuers[2];
extern const char *const jwt_audiences[1];

void keys_make(void);
void keys_free(void);

/* base64url without padding, malloc'd. */
char *b64url(const uint8_t *p, size_t n);
char *b64url_str(const char *s);
/* KEY's JWK, with kid KID and, if not NULL, alg ALG. */
char *jwk_of(EVP_PKEY *key, const char *kid, const char *alg);
/* ALG's signature of INPUT with KEY (NULL: HMAC with SECRET). */
char *sign_input(const char *alg, EVP_PKEY *key, const char *input);
/* HEADER.PAYLOAD (JSON texts) signed as ALG with KEY. */
char *token_raw(
    const char *header, const char *payload, const char *alg, EVP_PKEY *key);
/* The key and kid that sign ALG here. */
EVP_PKEY   *key_for(const char *alg);
const char *kid_for(const char *alg);
/* A token with the claims PAYLOAD, signed as ALG with its key and kid. */
char *token(const char *alg, const char *payload);
/* Good claims (ISS, AUD, sub alice, iat), exp EXP, EXTRA members added. */
char *claims(const char *extra, int64_t exp);
/* Good claims with sub SUB. */
char *claims_sub(const char *sub);
/* ISS and another issuer, AUD, every asymmetric alg, 30 s, NOW. */
mg_jwt_rules_t rules(void);
/* TOK verified (against KEYS with R); a refusal is checked cleared and
 * OpenSSL's error queue empty. */
int verify_with(
    const char *tok, const mg_jwks_t *keys, const mg_jwt_rules_t *r);
int verify(const char *tok);
/* A token of ALG with claims CL (freed) verifies as WANT. */
void expect(const char *alg, char *cl, int want);

TCase *jwt_forged_tcase(void); /* check_jwt_forged.c */
TCase *jwt_jwks_tcase(void);   /* check_jwt_jwks.c */

#endif
