/*
 * What the JWT files share and nobody else may use: a key of a set as the
 * verifier needs it (jwk.c builds it, jwt.c verifies with it), and the two
 * readers both apply to what a token or a key set carries: base64url and a
 * JSON object with no member name twice.  jwt.h is the API.
 */
#ifndef MG_JWT_INT_H
#define MG_JWT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "mcpgw.h"

struct json_object;
struct evp_pkey_st;

/* A verification key. */
typedef struct {
	unsigned            algs;    /* MG_JWT_* bits the key may verify */
	int                 has_kid; /* a key without kid answers none */
	char                kid[128];
	struct evp_pkey_st *pkey;   /* RSA, EC or Ed25519; NULL for a secret */
	uint8_t            *secret; /* HS256 */
	size_t              secret_len;
} mg_jwk_t;

struct mg_jwks {
	mg_jwk_t *keys;
	size_t    n;
};

/* IN (LEN bytes of base64url without padding, RFC 7515 2) into OUT, which
 * has room for MG_B64URL_MAX(LEN) bytes; MG_OK and *OUTLEN, or MG_ERROR
 * for a character outside the alphabet, a length no encoding has, or
 * unused bits that are not zero (one value, one text). */
#define MG_B64URL_MAX(len) ((len) / 4 * 3 + 3)
int mg_b64url_decode(const char *in, size_t len, uint8_t *out, size_t *outlen);

/* BUF (LEN bytes) as a JSON object, read as mg_rpc_parse reads messages:
 * strict, and a member name twice in any object refused (json-c would
 * keep the last; a reader that keeps the first would see another token).
 * A new reference, or NULL with *WHY: MG_JWT_MALFORMED or MG_JWT_NOMEM. */
struct json_object *mg_jwt_object(const char *buf, size_t len, int *why);

#endif
