/*
 * JSON Web Tokens as an OAuth 2.1 resource server reads bearer tokens
 * (RFC 7519, JWS compact form RFC 7515, keys RFC 7517/7518/8037), so that
 * the worker decides who is calling without ever waiting on the identity
 * provider: the key set is given, verification is a pure function.  Every
 * OpenSSL call of the JWT layer is in jwt.c and jwk.c; no I/O, no
 * logging.
 *
 * What the layer refuses, it refuses for one named reason, which an
 * operator reads in a log line; the reason never contains the token.
 */
#ifndef MG_JWT_H
#define MG_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "mcpgw.h"

struct json_object;

/* A set of verification keys (RFC 7517 JWK Set); opaque. */
typedef struct mg_jwks mg_jwks_t;

/*
 * Parse a JWK Set of LEN bytes.  Keys: kty RSA (n, e; at least 2048 bits),
 * EC (crv P-256 or P-384, x, y), OKP (crv Ed25519, x); members kid, alg,
 * use, key_ops.  Skipped, not an error: use other than "sig", key_ops
 * without "verify", an unknown kty, an alg this layer does not verify,
 * and kty oct (a secret has no place in a published set: HS256 keys come
 * only from mg_jwks_secret).  A set with no usable key is not an error
 * either (mg_jwks_count is 0).  On error: NULL, and *ERR (if ERR is not
 * NULL) a malloc'd text naming the key (the first is key 1, with its kid
 * when it has one) and what was wrong, such as "key 2: bad base64url in
 * \"n\"", for the caller to free.
 */
mg_jwks_t *mg_jwks_parse(const char *json, size_t len, char **err);

/* A one-key set, without kid, holding an HS256 secret of LEN bytes (a
 * secret file's content, used as it is); NULL when LEN is under 32 (RFC
 * 7518 3.2: at least the hash's size) or memory runs out. */
mg_jwks_t *mg_jwks_secret(const uint8_t *k, size_t len);

void   mg_jwks_free(mg_jwks_t *keys);
size_t mg_jwks_count(const mg_jwks_t *keys);

/* Whether a key with this kid is in the set: a caller that met
 * MG_JWT_UNKNOWN_KEY may ask for a fresh set. */
int mg_jwks_kid_known(const mg_jwks_t *keys, const char *kid);

/* The signature algorithms (RFC 7518, RFC 8037), as a bitmask of the
 * allowed ones.  "none" has no bit: it is never accepted. */
#define MG_JWT_RS256 (1u << 0)
#define MG_JWT_RS384 (1u << 1)
#define MG_JWT_RS512 (1u << 2)
#define MG_JWT_PS256 (1u << 3)
#define MG_JWT_PS384 (1u << 4)
#define MG_JWT_PS512 (1u << 5)
#define MG_JWT_ES256 (1u << 6)
#define MG_JWT_ES384 (1u << 7)
#define MG_JWT_EDDSA (1u << 8)
#define MG_JWT_HS256 (1u << 9)
/* Every asymmetric algorithm: the default when a configuration names none. */
#define MG_JWT_ASYMMETRIC (MG_JWT_HS256 - 1)

/* NAME ("RS256", ..., "EdDSA", "HS256") to its bit: MG_OK, or MG_ERROR
 * for an unknown name and for "none". */
int mg_jwt_alg_parse(const char *name, unsigned *bit);

/* What a token must satisfy.  The arrays are borrowed for the call. */
typedef struct {
	const char *const *issuers; /* "iss" must equal one; none: any */
	size_t             nissuers;
	const char *const *audiences; /* one "aud" must equal one; none: any */
	size_t             naudiences;
	unsigned           algs;     /* MG_JWT_* bits allowed; 0: none */
	int64_t            leeway_s; /* for exp, nbf and iat */
	size_t             max_size; /* bytes of the whole token; 0: 8 KB */
	int64_t            now;      /* seconds since the epoch */
} mg_jwt_rules_t;

/* The token size limit when the rules give none. */
#define MG_JWT_MAX_SIZE 8192

/* Why a token is refused: one value per reason, for the log line. */
enum {
	MG_JWT_OK = 0,
	MG_JWT_MALFORMED,     /* not three base64url parts, bad JSON, ... */
	MG_JWT_TOO_LARGE,     /* over max_size */
	MG_JWT_ALG,           /* none, not allowed, or not the key's */
	MG_JWT_UNKNOWN_KEY,   /* no key with that kid; no kid and no one key */
	MG_JWT_SIGNATURE,     /* the signature does not verify */
	MG_JWT_EXPIRED,       /* exp + leeway <= now */
	MG_JWT_NOT_YET_VALID, /* nbf or iat after now + leeway */
	MG_JWT_ISSUER,        /* iss missing or not an accepted issuer */
	MG_JWT_AUDIENCE,      /* no aud equal to an accepted audience */
	MG_JWT_CLAIMS,        /* exp missing, a claim of the wrong type, ... */
	MG_JWT_NOMEM,         /* out of memory: not the token's fault */
	MG_JWT_NRESULTS
};

/* The words for a result ("expired", "wrong audience", "unknown key",
 * "bad signature", ...); a static string, never NULL. */
const char *mg_jwt_reason(int result);

/*
 * A verified token: "sub" ("" when absent), "iss", the header's "kid"
 * ("" when absent), "exp".  A sub or iss that does not fit, or holds a
 * NUL, is refused (MG_JWT_CLAIMS), never cut: an identity is not
 * shortened into another one.  CLAIMS is the payload object, a reference
 * the caller puts with mg_jwt_clear.
 */
typedef struct {
	char                sub[256];
	char                iss[256];
	char                kid[128];
	int64_t             exp;
	struct json_object *claims;
} mg_jwt_t;

/*
 * Verify TOKEN (LEN bytes, the compact JWS form, no "Bearer ") against
 * KEYS and RULES.  MG_JWT_OK: *OUT is filled.  Otherwise one MG_JWT_*
 * reason and *OUT is cleared.  Checks run in this order: size, shape
 * (three base64url parts, the header a JSON object with no member name
 * twice), alg, key, signature, and only then the payload (a JSON object,
 * no name twice) and its claims (exp, nbf, iat, iss, aud, sub): nothing
 * an unverified token says is believed.  The key: the one with the
 * header's kid that fits the alg (the kid known, but no key of it fits:
 * MG_JWT_ALG); for a kid no key has, the one key without kid that fits
 * (a secret file's); with no kid, the one key that fits (none in a
 * non-empty set: MG_JWT_ALG); else MG_JWT_UNKNOWN_KEY, and then OUT's kid
 * alone is set, to the header's kid (unverified: a hint to fetch fresher
 * keys, never an identity).  OUT is always initialized, so mg_jwt_clear
 * is always safe.
 */
int mg_jwt_verify(const char *token, size_t len, const mg_jwks_t *keys,
    const mg_jwt_rules_t *rules, mg_jwt_t *out);

/* Whether the verified token grants SCOPE: the "scope" claim, a string of
 * space-separated scopes (RFC 8693 4.2, RFC 9068), or "scp", an array of
 * strings (or, as some providers send it, a string like "scope").  1 or
 * 0. */
int mg_jwt_has_scope(const mg_jwt_t *t, const char *scope);

/* Drop the claims reference and zero *T. */
void mg_jwt_clear(mg_jwt_t *t);

#endif
