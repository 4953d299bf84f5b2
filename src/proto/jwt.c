/*
 * Bearer tokens verified (RFC 7519 7.2, JWS compact form RFC 7515 5.2):
 * size first, then shape, algorithm, key and signature, and only then
 * the claims, so nothing an attacker wrote is believed before the
 * signature says who wrote it.  Each algorithm is one row of a table
 * (RFC 7518 3, RFC 8037 3.1), its check one OpenSSL call; the header's
 * alg must be allowed by the rules and fit the key, which is how "none"
 * and HS256 signed with an RSA public key are refused.
 */
#include "config.h"

#include <string.h>
#include <stdlib.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "jsonrpc.h"
#include "jwt.h"
#include "jwt_int.h"

/* What a token is while it is verified. */
typedef struct jwt_alg jwt_alg_t;
typedef struct {
	const char         *input; /* the signing input: header.payload */
	size_t              input_len;
	uint8_t            *buf; /* the decoded parts, one allocation */
	uint8_t            *hdr, *pay, *sig;
	size_t              hdr_len, pay_len, sig_len;
	struct json_object *header;
	const jwt_alg_t    *alg;
	const char         *kid; /* in HEADER; NULL when absent */
} jwt_tok_t;

typedef int (*jwt_check_fn)(
    const jwt_alg_t *a, const mg_jwk_t *k, const jwt_tok_t *t);

struct jwt_alg {
	const char  *name;
	unsigned     bit;
	const char  *md;   /* digest; NULL for EdDSA, which has its own */
	size_t       size; /* ECDSA: the length of r and of s */
	int          pss;
	jwt_check_fn check;
};

static int jwt_check_digest(
    const jwt_alg_t *a, const mg_jwk_t *k, const jwt_tok_t *t);
static int jwt_check_ecdsa(
    const jwt_alg_t *a, const mg_jwk_t *k, const jwt_tok_t *t);
static int jwt_check_hmac(
    const jwt_alg_t *a, const mg_jwk_t *k, const jwt_tok_t *t);

static const jwt_alg_t jwt_algs[] = {
	{ "RS256", MG_JWT_RS256, "SHA256", 0, 0, jwt_check_digest },
	{ "RS384", MG_JWT_RS384, "SHA384", 0, 0, jwt_check_digest },
	{ "RS512", MG_JWT_RS512, "SHA512", 0, 0, jwt_check_digest },
	{ "PS256", MG_JWT_PS256, "SHA256", 0, 1, jwt_check_digest },
	{ "PS384", MG_JWT_PS384, "SHA384", 0, 1, jwt_check_digest },
	{ "PS512", MG_JWT_PS512, "SHA512", 0, 1, jwt_check_digest },
	{ "ES256", MG_JWT_ES256, "SHA256", 32, 0, jwt_check_ecdsa },
	{ "ES384", MG_JWT_ES384, "SHA384", 48, 0, jwt_check_ecdsa },
	{ "EdDSA", MG_JWT_EDDSA, NULL, 0, 0, jwt_check_digest },
	{ "HS256", MG_JWT_HS256, "SHA256", 0, 0, jwt_check_hmac },
};

static const char *const jwt_reasons[MG_JWT_NRESULTS] = {
	[MG_JWT_OK] = "valid",
	[MG_JWT_MALFORMED] = "malformed token",
	[MG_JWT_TOO_LARGE] = "token too large",
	[MG_JWT_ALG] = "algorithm not allowed",
	[MG_JWT_UNKNOWN_KEY] = "unknown key",
	[MG_JWT_SIGNATURE] = "bad signature",
	[MG_JWT_EXPIRED] = "expired",
	[MG_JWT_NOT_YET_VALID] = "not yet valid",
	[MG_JWT_ISSUER] = "wrong issuer",
	[MG_JWT_AUDIENCE] = "wrong audience",
	[MG_JWT_CLAIMS] = "bad claims",
	[MG_JWT_NOMEM] = "out of memory",
};

const char *
mg_jwt_reason(int result)
{
	if (result < 0 || result >= MG_JWT_NRESULTS)
		return "unknown result";
	return jwt_reasons[result];
}

static const jwt_alg_t *
jwt_alg_find(const char *name)
{
	for (size_t i = 0; i < MG_NELEM(jwt_algs); i++)
		if (strcmp(name, jwt_algs[i].name) == 0)
			return &jwt_algs[i];
	return NULL;
}

int
mg_jwt_alg_parse(const char *name, unsigned *bit)
{
	const jwt_alg_t *a = name != NULL ? jwt_alg_find(name) : NULL;

	if (a == NULL)
		return MG_ERROR;
	*bit = a->bit;
	return MG_OK;
}

/* ---- base64url and JSON ------------------------------------------------ */

/* The value of a base64url character (RFC 4648 5), -1 if it is none. */
static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* The characters IN[0..N) (at most 256), checked and turned into the
 * base64 alphabet, padded, decoded by OpenSSL into OUT. */
static int
b64url_chunk(const char *in, size_t n, uint8_t *out, size_t *outlen)
{
	unsigned char tmp[256 + 4];
	size_t        pad = (4 - n % 4) % 4, i;
	int           got;

	for (i = 0; i < n; i++) {
		if (b64url_value((unsigned char)in[i]) < 0)
			return MG_ERROR;
		tmp[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	}
	memset(tmp + n, '=', pad);
	got = EVP_DecodeBlock(out, tmp, (int)(n + pad));
	if (got < 0 || (size_t)got < pad)
		return MG_ERROR;
	*outlen = (size_t)got - pad;
	return MG_OK;
}

int
mg_b64url_decode(const char *in, size_t len, uint8_t *out, size_t *outlen)
{
	size_t n, got, last;

	*outlen = 0;
	if (len % 4 == 1)
		return MG_ERROR;
	/* the unused low bits of the last character are zero: one text
	 * for one value (RFC 4648 3.5) */
	if (len % 4 != 0) {
		last = (size_t)b64url_value((unsigned char)in[len - 1]);
		if (last & (len % 4 == 2 ? 0x0f : 0x03))
			return MG_ERROR;
	}
	for (size_t at = 0; at < len; at += n) {
		n = len - at < 256 ? len - at : 256;
		if (b64url_chunk(in + at, n, out + *outlen, &got) != MG_OK)
			return MG_ERROR;
		*outlen += got;
	}
	return MG_OK;
}

struct json_object *
mg_jwt_object(const char *buf, size_t len, int *why)
{
	mg_rpc_msg_t        msg;
	mg_rpc_err_t        err;
	struct json_object *o = NULL;

	/* jsonrpc.c's reader, for its strictness and its refusal of a
	 * member name twice ("duplicate member", jsonrpc.h); any other
	 * refusal is only about JSON-RPC, and leaves the tree in ROOT. */
	*why = MG_JWT_MALFORMED;
	if (mg_rpc_parse(buf, len, &msg, &err) == MG_OK) {
		o = msg.root;
		msg.root = NULL;
	} else if (err.code == MG_RPC_INTERNAL_ERROR)
		*why = MG_JWT_NOMEM;
	else if (err.code == MG_RPC_INVALID_REQUEST &&
	    strstr(err.message, "duplicate member") == NULL) {
		o = err.root;
		err.root = NULL;
	}
	mg_rpc_msg_clear(&msg);
	mg_rpc_err_clear(&err);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* ---- signatures ------------------------------------------------------- */

/* RSASSA-PSS as RFC 7518 3.5 has it: MGF1 with the message's digest
 * (OpenSSL's default), a salt as long as the digest. */
static int
jwt_pss(EVP_PKEY_CTX *pctx)
{
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
}

/* RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA (SIG in DER) and Ed25519 (no
 * digest of ours: RFC 8032 hashes inside). */
static int
jwt_digest_verify(const jwt_alg_t *a, EVP_PKEY *pkey, const uint8_t *sig,
    size_t sig_len, const jwt_tok_t *t)
{
	const uint8_t *in = (const uint8_t *)t->input;
	EVP_MD_CTX    *md;
	EVP_PKEY_CTX  *pctx = NULL;
	int            rc = MG_JWT_SIGNATURE;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return MG_JWT_NOMEM;
	if (EVP_DigestVerifyInit_ex(md, &pctx, a->md, NULL, NULL, pkey, NULL) >
		0 &&
	    (!a->pss || jwt_pss(pctx)) &&
	    EVP_DigestVerify(md, sig, sig_len, in, t->input_len) == 1)
		rc = MG_JWT_OK;
	EVP_MD_CTX_free(md);
	return rc;
}

static int
jwt_check_digest(const jwt_alg_t *a, const mg_jwk_t *k, const jwt_tok_t *t)
{
	return jwt_digest_verify(a, k->pkey, t->sig, t->sig_len, t);
}

/* ECDSA: JWS carries r || s, each as long as the curve's order (RFC
 * 7518 3.4); OpenSSL verifies the DER form.  Any other length is
 * refused before OpenSSL sees it. */
static int
jwt_check_ecdsa(const jwt_alg_t *a, const mg_jwk_t *k, const jwt_tok_t *t)
{
	ECDSA_SIG *es;
	BIGNUM    *r, *s;
	uint8_t   *der = NULL;
	int        der_len, rc = MG_JWT_NOMEM;

	if (t->sig_len != 2 * a->size)
		return MG_JWT_SIGNATURE;
	r = BN_bin2bn(t->sig, (int)a->size, NULL);
	s = BN_bin2bn(t->sig + a->size, (int)a->size, NULL);
	if ((es = ECDSA_SIG_new()) == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
	} else if ((der_len = i2d_ECDSA_SIG(es, &der)) > 0)
		rc = jwt_digest_verify(a, k->pkey, der, (size_t)der_len, t);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	return rc;
}

static int
jwt_check_hmac(const jwt_alg_t *a, const mg_jwk_t *k, const jwt_tok_t *t)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	size_t  n = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, a->md, NULL, k->secret, k->secret_len,
		(const uint8_t *)t->input, t->input_len, mac, sizeof(mac),
		&n) == NULL)
		return MG_JWT_NOMEM;
	if (t->sig_len != n || CRYPTO_memcmp(mac, t->sig, n) != 0)
		return MG_JWT_SIGNATURE;
	return MG_JWT_OK;
}

/* ---- the key ---------------------------------------------------------- */

/*
 * The key that verifies T: the one whose kid is the header's and that
 * fits the algorithm (a kid that names only keys of another type: ALG).
 * A kid no key has may still be verified by the set's only key without
 * kid (a secret file's); with no kid, the only key that fits.
 */
static int
jwt_key(const mg_jwks_t *keys, const jwt_tok_t *t, const mg_jwk_t **key)
{
	const mg_jwk_t *k, *named = NULL, *fit = NULL;
	size_t          nnamed = 0, nfit = 0;

	for (size_t i = 0; keys != NULL && i < keys->n; i++) {
		k = &keys->keys[i];
		if (t->kid != NULL && k->has_kid) {
			if (strcmp(k->kid, t->kid) != 0)
				continue;
			nnamed++;
			if ((k->algs & t->alg->bit) && named == NULL)
				named = k;
		} else if (k->algs & t->alg->bit) {
			nfit++;
			fit = k;
		}
	}
	if ((*key = named) != NULL)
		return MG_JWT_OK;
	if (nnamed > 0)
		return MG_JWT_ALG;
	if (nfit == 1) {
		*key = fit;
		return MG_JWT_OK;
	}
	if (nfit == 0 && t->kid == NULL && keys != NULL && keys->n > 0)
		return MG_JWT_ALG;
	return MG_JWT_UNKNOWN_KEY;
}

/* ---- the token's shape ------------------------------------------------- */

/* The three parts of TOKEN, decoded into T->buf. */
static int
jwt_split(const char *token, size_t len, jwt_tok_t *t)
{
	const char *d1, *d2;
	size_t      hl, pl, sl;
	uint8_t    *p;

	if ((d1 = memchr(token, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token))) ==
		NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL)
		return MG_JWT_MALFORMED;
	hl = (size_t)(d1 - token);
	pl = (size_t)(d2 - d1 - 1);
	sl = len - (size_t)(d2 + 1 - token);
	if (hl == 0 || pl == 0)
		return MG_JWT_MALFORMED;
	t->input = token;
	t->input_len = (size_t)(d2 - token);
	if ((t->buf = malloc(MG_B64URL_MAX(hl) + MG_B64URL_MAX(pl) +
		 MG_B64URL_MAX(sl))) == NULL)
		return MG_JWT_NOMEM;
	p = t->hdr = t->buf;
	if (mg_b64url_decode(token, hl, p, &t->hdr_len) != MG_OK)
		return MG_JWT_MALFORMED;
	p = t->pay = p + t->hdr_len;
	if (mg_b64url_decode(d1 + 1, pl, p, &t->pay_len) != MG_OK)
		return MG_JWT_MALFORMED;
	p = t->sig = p + t->pay_len;
	if (mg_b64url_decode(d2 + 1, sl, p, &t->sig_len) != MG_OK)
		return MG_JWT_MALFORMED;
	return MG_JWT_OK;
}

/* The JOSE header: alg allowed, kid a string, no extension we would
 * have to understand ("crit", RFC 7515 4.1.11). */
static int
jwt_header(jwt_tok_t *t, const mg_jwt_rules_t *rules)
{
	struct json_object *v;
	int                 why;

	if ((t->header = mg_jwt_object(
		 (const char *)t->hdr, t->hdr_len, &why)) == NULL)
		return why;
	if (!json_object_object_get_ex(t->header, "alg", &v) ||
	    !json_object_is_type(v, json_type_string))
		return MG_JWT_MALFORMED;
	t->alg = jwt_alg_find(json_object_get_string(v));
	if (t->alg == NULL || (t->alg->bit & rules->algs) == 0)
		return MG_JWT_ALG;
	if (json_object_object_get_ex(t->header, "crit", NULL))
		return MG_JWT_MALFORMED;
	if (json_object_object_get_ex(t->header, "kid", &v)) {
		if (!json_object_is_type(v, json_type_string))
			return MG_JWT_MALFORMED;
		t->kid = json_object_get_string(v);
		/* a kid with a NUL or too long for any key names none */
		if (strlen(t->kid) != (size_t)json_object_get_string_len(v) ||
		    strlen(t->kid) >= sizeof(((mg_jwk_t *)0)->kid))
			return MG_JWT_UNKNOWN_KEY;
	}
	return MG_JWT_OK;
}

/* ---- the claims ------------------------------------------------------- */

static int64_t
sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/* The NumericDate NAME (RFC 7519 2): MG_OK, MG_DECLINED if absent,
 * MG_ERROR if not a number.  Fractions are cut; beyond int64 clamped. */
static int
jwt_date(struct json_object *claims, const char *name, int64_t *t)
{
	struct json_object *v;
	double              d;

	if (!json_object_object_get_ex(claims, name, &v))
		return MG_DECLINED;
	if (json_object_is_type(v, json_type_int)) {
		*t = json_object_get_int64(v);
		return MG_OK;
	}
	if (!json_object_is_type(v, json_type_double))
		return MG_ERROR;
	d = json_object_get_double(v);
	*t = d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d;
	return MG_OK;
}

static int
jwt_times(struct json_object *c, const mg_jwt_rules_t *rules, int64_t *exp)
{
	int64_t leeway = rules->leeway_s > 0 ? rules->leeway_s : 0, t;
	int     rc;

	if (jwt_date(c, "exp", exp) != MG_OK)
		return MG_JWT_CLAIMS;
	if (rules->now >= sat_add(*exp, leeway))
		return MG_JWT_EXPIRED;
	if ((rc = jwt_date(c, "nbf", &t)) == MG_ERROR)
		return MG_JWT_CLAIMS;
	if (rc == MG_OK && t > sat_add(rules->now, leeway))
		return MG_JWT_NOT_YET_VALID;
	if ((rc = jwt_date(c, "iat", &t)) == MG_ERROR)
		return MG_JWT_CLAIMS;
	if (rc == MG_OK && t > sat_add(rules->now, leeway))
		return MG_JWT_NOT_YET_VALID;
	return MG_JWT_OK;
}

/* The string claim NAME into OUT (SIZE bytes): MG_OK, MG_DECLINED if
 * absent, MG_ERROR if not a string, with a NUL, or too long. */
static int
jwt_string(struct json_object *c, const char *name, char *out, size_t size)
{
	struct json_object *v;
	size_t              n;

	if (!json_object_object_get_ex(c, name, &v))
		return MG_DECLINED;
	if (!json_object_is_type(v, json_type_string))
		return MG_ERROR;
	n = (size_t)json_object_get_string_len(v);
	if (n >= size || strlen(json_object_get_string(v)) != n)
		return MG_ERROR;
	memcpy(out, json_object_get_string(v), n + 1);
	return MG_OK;
}

static int
jwt_one_of(const char *s, size_t n, const char *const *set, size_t nset)
{
	for (size_t i = 0; i < nset; i++)
		if (strlen(set[i]) == n && memcmp(set[i], s, n) == 0)
			return 1;
	return 0;
}

static int
jwt_issuer(struct json_object *c, const mg_jwt_rules_t *rules, mg_jwt_t *out)
{
	int rc = jwt_string(c, "iss", out->iss, sizeof(out->iss));

	if (rc == MG_ERROR)
		return MG_JWT_CLAIMS;
	if (rules->nissuers == 0)
		return MG_JWT_OK;
	if (rc == MG_DECLINED ||
	    !jwt_one_of(
		out->iss, strlen(out->iss), rules->issuers, rules->nissuers))
		return MG_JWT_ISSUER;
	return MG_JWT_OK;
}

/* "aud": one string or an array of strings (RFC 7519 4.1.3), one of
 * which must be an accepted audience. */
static int
jwt_audience(struct json_object *c, const mg_jwt_rules_t *rules)
{
	struct json_object *aud, *v;
	size_t              n = 1;
	int                 found = 0, arr;

	if (!json_object_object_get_ex(c, "aud", &aud))
		return rules->naudiences > 0 ? MG_JWT_AUDIENCE : MG_JWT_OK;
	if ((arr = json_object_is_type(aud, json_type_array)))
		n = json_object_array_length(aud);
	for (size_t i = 0; i < n; i++) {
		v = arr ? json_object_array_get_idx(aud, i) : aud;
		if (!json_object_is_type(v, json_type_string))
			return MG_JWT_CLAIMS;
		found |= jwt_one_of(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), rules->audiences,
		    rules->naudiences);
	}
	return found || rules->naudiences == 0 ? MG_JWT_OK : MG_JWT_AUDIENCE;
}

static int
jwt_claims(const jwt_tok_t *t, const mg_jwt_rules_t *rules, mg_jwt_t *out)
{
	int rc;

	if ((out->claims = mg_jwt_object(
		 (const char *)t->pay, t->pay_len, &rc)) == NULL)
		return rc;
	if ((rc = jwt_times(out->claims, rules, &out->exp)) != MG_JWT_OK ||
	    (rc = jwt_issuer(out->claims, rules, out)) != MG_JWT_OK ||
	    (rc = jwt_audience(out->claims, rules)) != MG_JWT_OK)
		return rc;
	if (jwt_string(out->claims, "sub", out->sub, sizeof(out->sub)) ==
	    MG_ERROR)
		return MG_JWT_CLAIMS;
	if (t->kid != NULL)
		memcpy(out->kid, t->kid, strlen(t->kid) + 1);
	return MG_JWT_OK;
}

/* ---- the API ---------------------------------------------------------- */

static int
jwt_verify(const char *token, size_t len, const mg_jwks_t *keys,
    const mg_jwt_rules_t *rules, jwt_tok_t *t, mg_jwt_t *out)
{
	const mg_jwk_t *key;
	int             rc;

	if ((rc = jwt_split(token, len, t)) != MG_JWT_OK ||
	    (rc = jwt_header(t, rules)) != MG_JWT_OK ||
	    (rc = jwt_key(keys, t, &key)) != MG_JWT_OK ||
	    (rc = t->alg->check(t->alg, key, t)) != MG_JWT_OK)
		return rc;
	return jwt_claims(t, rules, out);
}

int
mg_jwt_verify(const char *token, size_t len, const mg_jwks_t *keys,
    const mg_jwt_rules_t *rules, mg_jwt_t *out)
{
	jwt_tok_t t = { 0 };
	size_t    max = rules->max_size > 0 ? rules->max_size : MG_JWT_MAX_SIZE;
	int       rc;

	memset(out, 0, sizeof(*out));
	if (len > max)
		return MG_JWT_TOO_LARGE;
	if (token == NULL)
		return MG_JWT_MALFORMED;
	/* a refused token leaves nothing in OpenSSL's error queue for the
	 * next reader of it (the TLS layer) to mistake for its own */
	ERR_set_mark();
	rc = jwt_verify(token, len, keys, rules, &t, out);
	ERR_pop_to_mark();
	if (rc != MG_JWT_OK)
		mg_jwt_clear(out);
	/* what a caller needs to ask for fresher keys */
	if (rc == MG_JWT_UNKNOWN_KEY && t.kid != NULL &&
	    strlen(t.kid) < sizeof(out->kid))
		memcpy(out->kid, t.kid, strlen(t.kid) + 1);
	json_object_put(t.header);
	free(t.buf);
	return rc;
}

/* Whether the space-separated list S (N bytes) holds SCOPE. */
static int
jwt_scope_in(const char *s, size_t n, const char *scope)
{
	size_t want = strlen(scope), i = 0, j;

	while (i < n) {
		for (j = i; j < n && s[j] != ' '; j++)
			;
		if (j - i == want && want > 0 &&
		    memcmp(s + i, scope, want) == 0)
			return 1;
		i = j + 1;
	}
	return 0;
}

int
mg_jwt_has_scope(const mg_jwt_t *t, const char *scope)
{
	struct json_object *v, *e;

	if (t->claims == NULL || scope == NULL)
		return 0;
	if (json_object_object_get_ex(t->claims, "scope", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    jwt_scope_in(json_object_get_string(v),
		(size_t)json_object_get_string_len(v), scope))
		return 1;
	if (!json_object_object_get_ex(t->claims, "scp", &v))
		return 0;
	/* "scp": an array of scopes, or (as some providers send it) a
	 * space-separated string like "scope" */
	if (json_object_is_type(v, json_type_string))
		return jwt_scope_in(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), scope);
	for (size_t i = 0; json_object_is_type(v, json_type_array) &&
	     i < json_object_array_length(v);
	     i++) {
		e = json_object_array_get_idx(v, i);
		if (json_object_is_type(e, json_type_string) &&
		    strcmp(json_object_get_string(e), scope) == 0 &&
		    strlen(scope) == (size_t)json_object_get_string_len(e))
			return 1;
	}
	return 0;
}

void
mg_jwt_clear(mg_jwt_t *t)
{
	json_object_put(t->claims);
	memset(t, 0, sizeof(*t));
}
