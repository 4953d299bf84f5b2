/*
 * JWK Sets (RFC 7517, key types of RFC 7518 6 and RFC 8037): the keys an
 * authorization server publishes, made into OpenSSL keys once, when the
 * set is read, so that verifying a token builds nothing.  A set is judged
 * whole: a key that is wrong is an error naming the key and the member; a
 * key that is not for us (use "enc", an unknown kty or alg, a secret) is
 * skipped, so that a provider's set that also serves other purposes works.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "jwt.h"
#include "jwt_int.h"

/* RFC 7518 3.3: "A key of size 2048 bits or larger MUST be used". */
#define JWK_RSA_MIN_BITS 2048
/* RFC 7518 3.2: an HS256 key at least as long as the hash's output. */
#define JWK_SECRET_MIN 32

/* Where a key is being read, for the error text. */
typedef struct {
	size_t              index; /* 1 for the first key */
	struct json_object *key;
	char                kid[128];
	char              **err;
} jwk_ctx_t;

static int
jwk_fail(jwk_ctx_t *c, const char *fmt, ...)
{
	char    why[160];
	va_list ap;

	if (c->err == NULL || *c->err != NULL)
		return MG_ERROR;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (c->kid[0] != '\0' &&
	    asprintf(
		c->err, "key %zu (kid \"%s\"): %s", c->index, c->kid, why) < 0)
		*c->err = NULL;
	else if (c->kid[0] == '\0' &&
	    asprintf(c->err, "key %zu: %s", c->index, why) < 0)
		*c->err = NULL;
	return MG_ERROR;
}

/* The string member NAME, or NULL if absent or not a string. */
static const char *
jwk_str(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * The base64url member NAME decoded into *OUT (malloc'd, *LEN bytes).
 * WANT, if not 0, is the only length allowed.
 */
static int
jwk_bytes(
    jwk_ctx_t *c, const char *name, size_t want, uint8_t **out, size_t *len)
{
	struct json_object *v;
	const char         *s;
	size_t              n;

	*out = NULL;
	if (!json_object_object_get_ex(c->key, name, &v))
		return jwk_fail(c, "no \"%s\"", name);
	if (!json_object_is_type(v, json_type_string))
		return jwk_fail(c, "\"%s\" is not a string", name);
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if ((*out = malloc(MG_B64URL_MAX(n))) == NULL)
		return jwk_fail(c, "out of memory");
	if (mg_b64url_decode(s, n, *out, len) != MG_OK || *len == 0) {
		free(*out);
		*out = NULL;
		return jwk_fail(c, "bad base64url in \"%s\"", name);
	}
	if (want != 0 && *len != want) {
		free(*out);
		*out = NULL;
		return jwk_fail(
		    c, "\"%s\" is %zu bytes, not %zu", name, *len, want);
	}
	return MG_OK;
}

/* PARAMS made into a public key of type NAME. */
static EVP_PKEY *
jwk_fromdata(const char *name, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY     *pkey = NULL;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* Whether OpenSSL finds PKEY a sound public key (RSA: n odd, e odd and
 * in range; EC: the point on the curve). */
static int
jwk_sound(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx;
	int           ok;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL)
		return 0;
	ok = EVP_PKEY_public_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static int
jwk_rsa_pkey(jwk_ctx_t *c, BIGNUM *n, BIGNUM *e, mg_jwk_t *k)
{
	OSSL_PARAM_BLD *bld;
	OSSL_PARAM     *params = NULL;
	int             bits;

	if ((bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		params = OSSL_PARAM_BLD_to_param(bld);
	OSSL_PARAM_BLD_free(bld);
	if (params == NULL)
		return jwk_fail(c, "out of memory");
	k->pkey = jwk_fromdata("RSA", params);
	OSSL_PARAM_free(params);
	if (k->pkey == NULL)
		return jwk_fail(c, "not an RSA public key");
	if ((bits = EVP_PKEY_get_bits(k->pkey)) < JWK_RSA_MIN_BITS)
		return jwk_fail(c, "RSA key of %d bits (at least %d)", bits,
		    JWK_RSA_MIN_BITS);
	if (!jwk_sound(k->pkey))
		return jwk_fail(c, "not a valid RSA public key");
	return MG_OK;
}

static int
jwk_rsa(jwk_ctx_t *c, mg_jwk_t *k)
{
	uint8_t *nb = NULL, *eb = NULL;
	size_t   nlen, elen;
	BIGNUM  *n = NULL, *e = NULL;
	int      rc = MG_ERROR;

	k->algs = MG_JWT_RS256 | MG_JWT_RS384 | MG_JWT_RS512 | MG_JWT_PS256 |
	    MG_JWT_PS384 | MG_JWT_PS512;
	if (jwk_bytes(c, "n", 0, &nb, &nlen) != MG_OK ||
	    jwk_bytes(c, "e", 0, &eb, &elen) != MG_OK)
		goto out;
	if ((n = BN_bin2bn(nb, (int)nlen, NULL)) == NULL ||
	    (e = BN_bin2bn(eb, (int)elen, NULL)) == NULL) {
		jwk_fail(c, "out of memory");
		goto out;
	}
	rc = jwk_rsa_pkey(c, n, e, k);
out:
	BN_free(n);
	BN_free(e);
	free(nb);
	free(eb);
	return rc;
}

/* The curves a JWK may name: JOSE's name, OpenSSL's, coordinate size. */
typedef struct {
	const char *crv;
	const char *group;
	size_t      size;
	unsigned    alg;
} jwk_curve_t;

static const jwk_curve_t jwk_curves[] = {
	{ "P-256", "prime256v1", 32, MG_JWT_ES256 },
	{ "P-384", "secp384r1", 48, MG_JWT_ES384 },
};

static int
jwk_ec_pkey(jwk_ctx_t *c, const jwk_curve_t *cv, const uint8_t *point,
    size_t len, mg_jwk_t *k)
{
	OSSL_PARAM_BLD *bld;
	OSSL_PARAM     *params = NULL;

	if ((bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(
		bld, OSSL_PKEY_PARAM_GROUP_NAME, cv->group, 0) &&
	    OSSL_PARAM_BLD_push_octet_string(
		bld, OSSL_PKEY_PARAM_PUB_KEY, point, len))
		params = OSSL_PARAM_BLD_to_param(bld);
	OSSL_PARAM_BLD_free(bld);
	if (params == NULL)
		return jwk_fail(c, "out of memory");
	k->pkey = jwk_fromdata("EC", params);
	OSSL_PARAM_free(params);
	if (k->pkey == NULL || !jwk_sound(k->pkey))
		return jwk_fail(c, "not a point on %s", cv->crv);
	return MG_OK;
}

static int
jwk_ec(jwk_ctx_t *c, mg_jwk_t *k)
{
	const jwk_curve_t *cv = NULL;
	const char        *crv = jwk_str(c->key, "crv");
	uint8_t           *x = NULL, *y = NULL, point[1 + 2 * 48];
	size_t             xlen, ylen;
	int                rc = MG_ERROR;

	for (size_t i = 0; crv != NULL && i < MG_NELEM(jwk_curves); i++)
		if (strcmp(crv, jwk_curves[i].crv) == 0)
			cv = &jwk_curves[i];
	if (cv == NULL)
		return jwk_fail(c, "unsupported \"crv\" (P-256 or P-384)");
	k->algs = cv->alg;
	if (jwk_bytes(c, "x", cv->size, &x, &xlen) == MG_OK &&
	    jwk_bytes(c, "y", cv->size, &y, &ylen) == MG_OK) {
		/* SEC 1 2.3.3: the uncompressed point 04 || x || y */
		point[0] = 0x04;
		memcpy(point + 1, x, xlen);
		memcpy(point + 1 + xlen, y, ylen);
		rc = jwk_ec_pkey(c, cv, point, 1 + xlen + ylen, k);
	}
	free(x);
	free(y);
	return rc;
}

static int
jwk_okp(jwk_ctx_t *c, mg_jwk_t *k)
{
	const char *crv = jwk_str(c->key, "crv");
	uint8_t    *x;
	size_t      xlen;

	if (crv == NULL || strcmp(crv, "Ed25519") != 0)
		return jwk_fail(c, "unsupported \"crv\" (Ed25519)");
	k->algs = MG_JWT_EDDSA;
	if (jwk_bytes(c, "x", 32, &x, &xlen) != MG_OK)
		return MG_ERROR;
	k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xlen);
	free(x);
	if (k->pkey == NULL)
		return jwk_fail(c, "not an Ed25519 public key");
	return MG_OK;
}

/* The key types read here; others are skipped. */
static const struct {
	const char *kty;
	int (*read)(jwk_ctx_t *, mg_jwk_t *);
} jwk_types[] = {
	{ "RSA", jwk_rsa },
	{ "EC", jwk_ec },
	{ "OKP", jwk_okp },
};

/*
 * Whether the key at C is for signatures we verify: not use "enc", not
 * key_ops without "verify", not a secret (HS256 keys come only from a
 * secret file, mg_jwks_secret: a secret in a published set is a leak).
 * MG_DECLINED skips it.
 */
static int
jwk_wanted(jwk_ctx_t *c, const char *kty)
{
	struct json_object *ops, *op;
	const char         *use = jwk_str(c->key, "use");
	size_t              i, n;

	if (use == NULL && json_object_object_get_ex(c->key, "use", NULL))
		return jwk_fail(c, "\"use\" is not a string");
	if (use != NULL && strcmp(use, "sig") != 0)
		return MG_DECLINED;
	if (json_object_object_get_ex(c->key, "key_ops", &ops)) {
		if (!json_object_is_type(ops, json_type_array))
			return jwk_fail(c, "\"key_ops\" is not an array");
		n = json_object_array_length(ops);
		for (i = 0; i < n; i++) {
			op = json_object_array_get_idx(ops, i);
			if (json_object_is_type(op, json_type_string) &&
			    strcmp(json_object_get_string(op), "verify") == 0)
				break;
		}
		if (i == n)
			return MG_DECLINED;
	}
	for (i = 0; i < MG_NELEM(jwk_types); i++)
		if (strcmp(kty, jwk_types[i].kty) == 0)
			return MG_OK;
	return MG_DECLINED;
}

/* The key's own "alg", when present, narrows what it verifies; an
 * algorithm we do not verify (RSA-OAEP, ES512, ...) skips the key. */
static int
jwk_alg(jwk_ctx_t *c, mg_jwk_t *k)
{
	struct json_object *v;
	unsigned            bit;

	if (!json_object_object_get_ex(c->key, "alg", &v))
		return MG_OK;
	if (!json_object_is_type(v, json_type_string))
		return jwk_fail(c, "\"alg\" is not a string");
	if (mg_jwt_alg_parse(json_object_get_string(v), &bit) != MG_OK)
		return MG_DECLINED;
	if ((k->algs & bit) == 0)
		return jwk_fail(c, "\"alg\" %s does not fit the key",
		    json_object_get_string(v));
	k->algs = bit;
	return MG_OK;
}

static int
jwk_kid(jwk_ctx_t *c, mg_jwk_t *k)
{
	struct json_object *v;
	size_t              n;

	if (!json_object_object_get_ex(c->key, "kid", &v))
		return MG_OK;
	if (!json_object_is_type(v, json_type_string))
		return jwk_fail(c, "\"kid\" is not a string");
	n = (size_t)json_object_get_string_len(v);
	if (n >= sizeof(k->kid) || strlen(json_object_get_string(v)) != n)
		return jwk_fail(c, "\"kid\" longer than %zu bytes or with NUL",
		    sizeof(k->kid) - 1);
	memcpy(k->kid, json_object_get_string(v), n + 1);
	k->has_kid = 1;
	/* for error texts, which end in a log line: printable only */
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)k->kid[i];

		c->kid[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	c->kid[n] = '\0';
	return MG_OK;
}

static void
jwk_clear(mg_jwk_t *k)
{
	EVP_PKEY_free(k->pkey);
	if (k->secret != NULL)
		OPENSSL_clear_free(k->secret, k->secret_len);
	memset(k, 0, sizeof(*k));
}

/* The key at C into K: MG_OK, MG_DECLINED (skipped) or MG_ERROR. */
static int
jwk_read(jwk_ctx_t *c, mg_jwk_t *k)
{
	const char *kty;
	int         rc;

	memset(k, 0, sizeof(*k));
	if (!json_object_is_type(c->key, json_type_object))
		return jwk_fail(c, "not an object");
	if (jwk_kid(c, k) != MG_OK)
		return MG_ERROR;
	if ((kty = jwk_str(c->key, "kty")) == NULL)
		return jwk_fail(c, "no \"kty\" string");
	if ((rc = jwk_wanted(c, kty)) != MG_OK)
		return rc;
	for (size_t i = 0; i < MG_NELEM(jwk_types); i++)
		if (strcmp(kty, jwk_types[i].kty) == 0)
			rc = jwk_types[i].read(c, k);
	if (rc == MG_OK)
		rc = jwk_alg(c, k);
	if (rc != MG_OK)
		jwk_clear(k);
	return rc;
}

static mg_jwks_t *
jwks_new(size_t n)
{
	mg_jwks_t *keys;

	if ((keys = calloc(1, sizeof(*keys))) == NULL)
		return NULL;
	if (n > 0 && (keys->keys = calloc(n, sizeof(*keys->keys))) == NULL) {
		free(keys);
		return NULL;
	}
	return keys;
}

static mg_jwks_t *
jwks_fail(mg_jwks_t *keys, char **err, const char *why)
{
	mg_jwks_free(keys);
	if (err != NULL && *err == NULL)
		*err = strdup(why);
	return NULL;
}

/* The keys of the array ARR into a new set. */
static mg_jwks_t *
jwks_read(struct json_object *arr, char **err)
{
	size_t     n = json_object_array_length(arr);
	mg_jwks_t *keys;
	jwk_ctx_t  c = { .err = err };
	int        rc;

	if ((keys = jwks_new(n)) == NULL)
		return jwks_fail(NULL, err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		c.index = i + 1;
		c.key = json_object_array_get_idx(arr, i);
		c.kid[0] = '\0';
		rc = jwk_read(&c, &keys->keys[keys->n]);
		/* *ERR names the key; this only if there was no memory
		 * to say so */
		if (rc == MG_ERROR)
			return jwks_fail(keys, err, "out of memory");
		if (rc == MG_OK)
			keys->n++;
	}
	return keys;
}

mg_jwks_t *
mg_jwks_parse(const char *json, size_t len, char **err)
{
	struct json_object *root, *arr;
	mg_jwks_t          *keys;
	int                 why;

	if (err != NULL)
		*err = NULL;
	ERR_set_mark();
	if ((root = mg_jwt_object(json, len, &why)) == NULL)
		keys = jwks_fail(NULL, err,
		    why == MG_JWT_NOMEM
			? "out of memory"
			: "not a JSON object (or a member name twice)");
	else if (!json_object_object_get_ex(root, "keys", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		keys = jwks_fail(NULL, err, "no \"keys\" array");
	else
		keys = jwks_read(arr, err);
	json_object_put(root);
	ERR_pop_to_mark();
	return keys;
}

mg_jwks_t *
mg_jwks_secret(const uint8_t *k, size_t len)
{
	mg_jwks_t *keys;

	if (len < JWK_SECRET_MIN || (keys = jwks_new(1)) == NULL)
		return NULL;
	if ((keys->keys[0].secret = OPENSSL_malloc(len)) == NULL) {
		mg_jwks_free(keys);
		return NULL;
	}
	memcpy(keys->keys[0].secret, k, len);
	keys->keys[0].secret_len = len;
	keys->keys[0].algs = MG_JWT_HS256;
	keys->n = 1;
	return keys;
}

void
mg_jwks_free(mg_jwks_t *keys)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < keys->n; i++)
		jwk_clear(&keys->keys[i]);
	free(keys->keys);
	free(keys);
}

size_t
mg_jwks_count(const mg_jwks_t *keys)
{
	return keys == NULL ? 0 : keys->n;
}

int
mg_jwks_kid_known(const mg_jwks_t *keys, const char *kid)
{
	for (size_t i = 0; keys != NULL && kid != NULL && i < keys->n; i++)
		if (keys->keys[i].has_kid &&
		    strcmp(keys->keys[i].kid, kid) == 0)
			return 1;
	return 0;
}
