/*
 * JWT verification and JWK sets (proto/jwt.c, jwk.c): what a client puts
 * after "Bearer ", and what an authorization server publishes.
 *
 * Input: byte 0 mod 3 is the mode, the rest what it reads.
 *   0: a token, verified against a fixed set (RSA, P-256, Ed25519 keys,
 *      made once at start from the keys below) and against an HS256
 *      secret.
 *   1: a JWK Set, parsed.
 *   2: a header and a payload (JSON texts, split at the first NUL),
 *      base64url-encoded and signed here with the key byte 1 picks
 *      (Ed25519, P-256, RSA, the secret), then verified: the claims'
 *      checks see signed input, which random tokens never reach.
 * Properties:
 *   - the result is one of the MG_JWT_* values, with words for it;
 *   - a refusal leaves the token cleared (no claims, empty strings)
 *     and OpenSSL's error queue as it was;
 *   - an accepted token is unexpired within the leeway, from the one
 *     issuer, with NUL-terminated sub, iss and kid and its claims;
 *     verified twice, it is accepted twice; one bit of its signature
 *     changed, it is refused;
 *   - a key set is parsed or refused with an error text, never both,
 *     and the text is printable ASCII (it ends in a log line).
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fuzz.h"
#include "jwt.h"

#define NOW 1800000000LL
#define LEEWAY 60

/* Test keys, made for this target only; the set is their public half. */
static const char rsa_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDTYrcxWjueFqkX\n"
    "WpI5Zanx566cO2AYZ2i16AMlvWvXlGO8BYr+AFfsAiKE+rBFQt2tUOcuEPoeTTT/\n"
    "5Fd/cHb37wg9h55+AeGx28gNvcwyPQ/nx4XaDhv4QdgCntTn+CLwx3LSoD6yT2OM\n"
    "eBkd43rI3vnocYmHtI1piqpo8dT+qQA80poFVoIKF9sqKUjiRcMFm9U9cCeYW/sD\n"
    "vsL62Urs1ZbMdlk7STUbtX1tKaAdiQHM9wClz8CpKq31i3aA/h+4JM1kjVTz1BOq\n"
    "kibquWHpNbBHPr/lz++s/Y//4EkVYEvIQjfTe59UjR+1dkoqNnfSS8LfI+48pf+h\n"
    "GXD1E9S/AgMBAAECggEAA0qjuKCDkiQfMO5nnX4wRcSKSwN/rRGbJ038Eo/fCIXW\n"
    "gbyCXA8sT0//Mpvmt8VhR0wdtXFtO6CPJTbsh97780NlGPQuKx8jYQ4fkNs2PUgH\n"
    "IeBQ/MLAe76muu+3N/98p8wrRQ1avJMQ5USPe5Apvsv+DzkJX7QXiZ+vpJ+zZd27\n"
    "kYBGjrNPKRV3Mq0ttGHWv/CUYLDkhOik/4oV9v8KgPkoPoL479lWKGEU0z3THN78\n"
    "hWlwYGN7JpMooCZGaLGBWoZynUUWS0yfEl+pSGBEgYiKnPx++cmpyRbfDDuTQsbQ\n"
    "Y4+G+nBWTCX05EPu/hT5hmakZiIWOPMr8dz0bsqDFQKBgQD3gtcxgkecDq3XzpIM\n"
    "JGP0PIJ7Cw9ioOGhyn+4EXm18bnwuDLfRmXCG7PVI+HCod5piDt9b98/ro5MdImx\n"
    "PrplZpNEo5jnDp+o1V9A/3ImoZIeBq4axCLkpRYok+SbHMYQr84s0AQuoPNbV1OQ\n"
    "yBAXDDxZfiV70Q1cYODQxExYYwKBgQDaorEDrFuR+L+cOEA4Nggn5Tzk+n6Rlzuo\n"
    "Uq/talAHXkgfE1TMaHcTvtlX7k6sxIP9Y7kutwqVSMz/N0eeon1pySbigZAR/A3R\n"
    "Ty64QO71l2ZTR6/i5Y+MiQ5gv3zfbVuZs0DbvET1aKfuNImC0WnU86yfvvGQY3hN\n"
    "syOa3GEq9QKBgDBSiCbvU4HBT+lxOAxM0oLtiV/yYdeUp1iKC3NpXgTKo82+eJgk\n"
    "y1shQ3PaZIo2RhD+evbbb4+kSb3dhsBnCccgRqJA+mop7bvtpIIxHR0zsC5SiY1K\n"
    "O7G+FVxou1oZPQYm/K69EgP0gm6T1wnONW36gpHKUhEhWGVvuJSprmoXAoGAdltY\n"
    "ZFqr/6ufXtx8t3FYnPBWNMb+OaabHxYUMvw4cqSxelEmuLlcrQ3F7voNES4ZHdUc\n"
    "bJOeYQ5WG1s7pD7mkZvZNwlYisPeXw70hb5xHfZl6HOIXdZUDYoshGdlHDbBPcVy\n"
    "OQIEeq27KxK51l2zYxq+uoPNlZKjj7yIa88dsvkCgYEA5qaxj4GO152/agePqceY\n"
    "hnL+W7cxflJS/1X+ThT0RlvlUphh9mlaIxlR/q+WCMj2XJMvMOMwqe9LH/YVq1tq\n"
    "RoCGSIOaqHL4joK6upQfKXBZCwHz/fAFG/XQMv1wzBK2CZuLk+Ayco8kTCFsrw27\n"
    "gEXqPKeFTKQRDs4N8fvJ/nM=\n"
    "-----END PRIVATE KEY-----\n";
static const char ec_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtJUurlcAfWDSQpJ7\n"
    "+WDXDfdDzBm8a0c5uyvGv/aU6lShRANCAAT338cUMtC/z/gnxwwHHZ7ZJjwx86Ln\n"
    "BZvDPBxRt5lkRuVGHQlKE+QeqMzlml1oBOAyzfLROJmXFKB/Y+FP4LFE\n"
    "-----END PRIVATE KEY-----\n";
static const char jwks_json[] =
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
static const uint8_t ed_seed[32] = "mcpgw fuzz_jwt Ed25519 seed, 32!";
static const char    secret_key[] = "mcpgw fuzz_jwt HS256 secret, 32 bytes+";

static EVP_PKEY  *rsa, *ec, *ed;
static mg_jwks_t *jwks, *secret;

static const char *const    issuers[] = { "https://as.example" };
static const char *const    audiences[] = { "https://gw.example/mcp" };
static const mg_jwt_rules_t rules = {
	.issuers = issuers,
	.nissuers = 1,
	.audiences = audiences,
	.naudiences = 1,
	.algs = MG_JWT_ASYMMETRIC | MG_JWT_HS256,
	.leeway_s = LEEWAY,
	.max_size = 16384,
	.now = NOW,
};

static EVP_PKEY *
pem_key(const char *pem)
{
	BIO      *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k =
	    bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return k;
}

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* TOKEN verified against KEYS, and the properties of every result. */
static int
check_verify(
    const char *token, size_t len, const mg_jwks_t *keys, mg_jwt_t *out)
{
	int rc = mg_jwt_verify(token, len, keys, &rules, out);

	FUZZ_ASSERT(rc >= 0 && rc < MG_JWT_NRESULTS, "result %d", rc);
	FUZZ_ASSERT(*mg_jwt_reason(rc) != '\0', "no words for %d", rc);
	FUZZ_ASSERT(ERR_peek_error() == 0, "error queue left with %lu",
	    ERR_peek_error());
	if (rc != MG_JWT_OK) {
		/* an unknown key leaves the header's kid (jwt.h): a hint for
		 * fetching fresher keys, never an identity */
		FUZZ_ASSERT(out->claims == NULL && out->sub[0] == '\0' &&
			out->iss[0] == '\0' && out->exp == 0 &&
			(out->kid[0] == '\0' || rc == MG_JWT_UNKNOWN_KEY),
		    "refused (%s) but not cleared", mg_jwt_reason(rc));
		FUZZ_ASSERT(memchr(out->kid, '\0', sizeof(out->kid)) != NULL,
		    "an unterminated kid");
		return rc;
	}
	FUZZ_ASSERT(json_object_is_type(out->claims, json_type_object),
	    "accepted without claims");
	FUZZ_ASSERT(out->exp > NOW - LEEWAY, "accepted, expired at %lld",
	    (long long)out->exp);
	FUZZ_ASSERT(
	    strcmp(out->iss, issuers[0]) == 0, "accepted from %s", out->iss);
	FUZZ_ASSERT(memchr(out->sub, '\0', sizeof(out->sub)) &&
		memchr(out->kid, '\0', sizeof(out->kid)),
	    "strings not terminated");
	(void)mg_jwt_has_scope(out, "a");
	return rc;
}

static void
fuzz_token(const uint8_t *data, size_t size)
{
	mg_jwt_t out;

	check_verify((const char *)data, size, jwks, &out);
	mg_jwt_clear(&out);
	check_verify((const char *)data, size, secret, &out);
	mg_jwt_clear(&out);
}

static void
fuzz_jwks(const uint8_t *data, size_t size)
{
	char      *err = NULL;
	mg_jwks_t *k = mg_jwks_parse((const char *)data, size, &err);

	FUZZ_ASSERT((k == NULL) != (err == NULL), "set %p, error %s", (void *)k,
	    err ? err : "(none)");
	FUZZ_ASSERT(err == NULL || printable(err), "error not printable");
	FUZZ_ASSERT(ERR_peek_error() == 0, "error queue left");
	(void)mg_jwks_kid_known(k, "rsa");
	mg_jwks_free(k);
	free(err);
}

/* base64url of P (N bytes) appended to OUT at *AT. */
static void
b64url_put(char *out, size_t *at, const uint8_t *p, size_t n)
{
	int len = EVP_EncodeBlock((unsigned char *)out + *at, p, (int)n);

	while (len > 0 && out[*at + (size_t)len - 1] == '=')
		len--;
	for (int i = 0; i < len; i++) {
		char *c = out + *at + i;

		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	}
	*at += (size_t)len;
}

/* The signature of IN (N bytes) by key WHICH into SIG, JWS form. */
static size_t
sign(int which, const char *in, size_t n, uint8_t *sig)
{
	static const char *const md[] = { NULL, "SHA256", "SHA256" };
	EVP_PKEY *const          keys[] = { ed, ec, rsa };
	EVP_MD_CTX              *ctx;
	uint8_t                  der[512];
	const uint8_t           *p = der;
	size_t                   len = sizeof(der);
	ECDSA_SIG               *es;

	if (which == 3) {
		FUZZ_ASSERT(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL,
				secret_key, strlen(secret_key),
				(const uint8_t *)in, n, sig, 64, &len),
		    "HMAC");
		return len;
	}
	ctx = EVP_MD_CTX_new();
	FUZZ_ASSERT(ctx &&
		EVP_DigestSignInit_ex(
		    ctx, NULL, md[which], NULL, NULL, keys[which], NULL) == 1 &&
		EVP_DigestSign(ctx, der, &len, (const uint8_t *)in, n) == 1,
	    "signing");
	EVP_MD_CTX_free(ctx);
	if (which != 1) {
		memcpy(sig, der, len);
		return len;
	}
	es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	FUZZ_ASSERT(es != NULL, "ECDSA signature");
	BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
	ECDSA_SIG_free(es);
	return 64;
}

static void
fuzz_signed(const uint8_t *data, size_t size)
{
	const uint8_t *nul;
	size_t         hl, at = 0, n;
	uint8_t        sig[512];
	char          *tok;
	mg_jwt_t       out;
	int            which, rc;

	if (size < 1 || size > 4096)
		return;
	which = data[0] % 4;
	data++, size--;
	nul = memchr(data, '\0', size);
	hl = nul ? (size_t)(nul - data) : size;
	if ((tok = malloc((size + 2) / 3 * 4 + 700)) == NULL)
		return;
	b64url_put(tok, &at, data, hl);
	tok[at++] = '.';
	if (nul != NULL)
		b64url_put(tok, &at, nul + 1, size - hl - 1);
	n = sign(which, tok, at, sig);
	tok[at++] = '.';
	b64url_put(tok, &at, sig, n);
	n = at;
	rc = check_verify(tok, n, which == 3 ? secret : jwks, &out);
	mg_jwt_clear(&out);
	if (rc == MG_JWT_OK) {
		rc = check_verify(tok, n, which == 3 ? secret : jwks, &out);
		FUZZ_ASSERT(
		    rc == MG_JWT_OK, "accepted, then %s", mg_jwt_reason(rc));
		mg_jwt_clear(&out);
		/* one bit of the signature's first byte (the last character
		 * may have bits that carry nothing) */
		tok[strrchr(tok, '.') - tok + 1] ^= 0x01;
		rc = check_verify(tok, n, which == 3 ? secret : jwks, &out);
		FUZZ_ASSERT(
		    rc != MG_JWT_OK, "accepted with a changed signature");
		mg_jwt_clear(&out);
	}
	free(tok);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	rsa = pem_key(rsa_pem);
	ec = pem_key(ec_pem);
	ed = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, ed_seed, 32);
	jwks = mg_jwks_parse(jwks_json, strlen(jwks_json), NULL);
	secret =
	    mg_jwks_secret((const uint8_t *)secret_key, strlen(secret_key));
	if (!rsa || !ec || !ed || !jwks || mg_jwks_count(jwks) != 3 || !secret)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0: fuzz_token(data + 1, size - 1); break;
	case 1: fuzz_jwks(data + 1, size - 1); break;
	default: fuzz_signed(data + 1, size - 1); break;
	}
	return 0;
}
