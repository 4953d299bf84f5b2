/*
 * Sealed session tokens.  Every OpenSSL call of the session layer is here.
 *
 * Token: base64url, no padding, of
 *   0x01 (format, the AAD) || nonce (12) || AES-256-GCM(plain) || tag (16)
 * plain, big-endian, every field always present, nothing after the last:
 *   id (8) || issued (8) || route length (1) || route ||
 *   version length (1) || version || upstream length (2) || upstream
 * Strings carry no NUL and fit their buffer with room for one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "readfull.h"
#include "session.h"

#define SESSION_FORMAT 0x01
#define SESSION_KEY_LEN 32
#define SESSION_NONCE 12
#define SESSION_TAG 16
#define SESSION_OVERHEAD (1 + SESSION_NONCE + SESSION_TAG)

#define SESSION_FIELD(f) (sizeof(((mg_session_t *)0)->f))
#define SESSION_PLAIN_MIN (8 + 8 + 1 + 1 + 2)
#define SESSION_PLAIN_MAX                                                      \
	(SESSION_PLAIN_MIN + SESSION_FIELD(route) - 1 +                        \
	    SESSION_FIELD(version) - 1 + SESSION_FIELD(upstream))
/* The most bytes MG_SESSION_TOKEN_MAX characters of base64url carry. */
#define SESSION_RAW_MAX (MG_SESSION_TOKEN_MAX / 4 * 3)

_Static_assert(SESSION_OVERHEAD + SESSION_PLAIN_MAX <= SESSION_RAW_MAX,
    "a full session must seal within MG_SESSION_TOKEN_MAX");
_Static_assert(SESSION_FIELD(route) <= 256 && SESSION_FIELD(version) <= 256,
    "string lengths are encoded in one byte");
_Static_assert(SESSION_FIELD(upstream) <= 65535,
    "the upstream length is encoded in two bytes");

/*
 * Tokens opened lately: a client sends its token with every request, and
 * opening it (base64, AES-256-GCM, decoding) costs more than the rest of
 * a small call.  A token's last characters are its GCM tag's, which any
 * change to the token changes: they pick the slot; the whole token is
 * compared (in constant time).  Only opened tokens enter, so the cache
 * answers nothing that opening would not.  Longer tokens are not kept.
 */
#define OPEN_CACHE_SLOTS 16
#define OPEN_CACHE_TOKEN 512

typedef struct {
	size_t       len; /* 0: empty */
	char         token[OPEN_CACHE_TOKEN];
	mg_session_t s;
} open_cache_t;

/*
 * The key schedule lives in two cipher contexts set up once; a seal or an
 * open only sets a new nonce, so neither allocates.
 */
struct mg_session_key {
	EVP_CIPHER_CTX *enc;
	EVP_CIPHER_CTX *dec;
	open_cache_t   *cache; /* OPEN_CACHE_SLOTS; pages touched as used */
};

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int key_file_error(char **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
session_hkdf(const uint8_t *ikm, size_t len, uint8_t *out)
{
	static const char salt[] = "mcpgw session salt v1";
	static const char info[] = "mcpgw session seal v1";
	EVP_KDF          *kdf;
	EVP_KDF_CTX      *kctx = NULL;
	OSSL_PARAM        params[5];
	int               rc = MG_ERROR;

	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_KEY, (void *)ikm, len);
	params[2] = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_SALT, (void *)salt, sizeof(salt) - 1);
	params[3] = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_INFO, (void *)info, sizeof(info) - 1);
	params[4] = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) != NULL &&
	    (kctx = EVP_KDF_CTX_new(kdf)) != NULL &&
	    EVP_KDF_derive(kctx, out, SESSION_KEY_LEN, params) == 1)
		rc = MG_OK;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

mg_session_key_t *
mg_session_key_new(const uint8_t *ikm, size_t len)
{
	mg_session_key_t *key;
	EVP_CIPHER       *aes = NULL;
	uint8_t           k[SESSION_KEY_LEN];
	int               ok = 0;

	if (ikm == NULL || len < MG_SESSION_IKM_MIN)
		return NULL;
	if ((key = calloc(1, sizeof(*key))) == NULL)
		return NULL;
	if ((key->cache = calloc(OPEN_CACHE_SLOTS, sizeof(open_cache_t))) !=
		NULL &&
	    session_hkdf(ikm, len, k) == MG_OK &&
	    (aes = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) != NULL &&
	    (key->enc = EVP_CIPHER_CTX_new()) != NULL &&
	    (key->dec = EVP_CIPHER_CTX_new()) != NULL &&
	    EVP_EncryptInit_ex2(key->enc, aes, k, NULL, NULL) == 1 &&
	    EVP_DecryptInit_ex2(key->dec, aes, k, NULL, NULL) == 1)
		ok = 1;
	OPENSSL_cleanse(k, sizeof(k));
	EVP_CIPHER_free(aes); /* the contexts hold their own reference */
	if (!ok) {
		ERR_clear_error();
		mg_session_key_free(key);
		return NULL;
	}
	return key;
}

void
mg_session_key_free(mg_session_key_t *key)
{
	if (key == NULL)
		return;
	EVP_CIPHER_CTX_free(key->enc);
	EVP_CIPHER_CTX_free(key->dec);
	if (key->cache != NULL) {
		OPENSSL_cleanse(
		    key->cache, OPEN_CACHE_SLOTS * sizeof(open_cache_t));
		free(key->cache);
	}
	free(key);
}

int
mg_session_ikm_generate(uint8_t out[32])
{
	if (RAND_priv_bytes(out, 32) != 1) {
		ERR_clear_error();
		return MG_ERROR;
	}
	return MG_OK;
}

static int
key_file_error(char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
	return MG_ERROR;
}

/* Open and check PATH: a regular file, private to its owner.  fd or -1. */
static int
key_file_open(const char *path, char **err)
{
	struct stat st;
	int         fd;

	/* O_NONBLOCK: a FIFO put in its place must not hang the start. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		key_file_error(err,
		    "open() \"%s\" failed (%s) for the "
		    "session key file",
		    path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		key_file_error(err,
		    "fstat() \"%s\" failed (%s) for the "
		    "session key file",
		    path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		key_file_error(err,
		    "session key file \"%s\" is not a regular "
		    "file",
		    path);
	} else if (st.st_mode & 077) {
		key_file_error(err,
		    "session key file \"%s\" is accessible by "
		    "group or others (mode %04o); make it 0600 or 0400",
		    path, (unsigned)(st.st_mode & 07777));
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

int
mg_session_key_load_file(
    const char *path, uint8_t **ikm, size_t *len, char **err)
{
	uint8_t buf[MG_SESSION_IKM_MAX + 1];
	ssize_t n;
	int     fd, saved;

	*ikm = NULL;
	*len = 0;
	*err = NULL;
	if ((fd = key_file_open(path, err)) < 0)
		return MG_ERROR;
	n = mg_read_full(fd, buf, sizeof(buf));
	saved = errno;
	close(fd);
	if (n < 0)
		key_file_error(err,
		    "read() \"%s\" failed (%s) for the session "
		    "key file",
		    path, strerror(saved));
	else if ((size_t)n < MG_SESSION_IKM_MIN)
		key_file_error(err,
		    "session key file \"%s\" holds %zd bytes, "
		    "fewer than %d",
		    path, n, MG_SESSION_IKM_MIN);
	else if ((size_t)n > MG_SESSION_IKM_MAX)
		key_file_error(err,
		    "session key file \"%s\" holds more than "
		    "%d bytes",
		    path, MG_SESSION_IKM_MAX);
	else if ((*ikm = malloc((size_t)n)) == NULL)
		key_file_error(err,
		    "out of memory reading the session key "
		    "file \"%s\"",
		    path);
	else {
		memcpy(*ikm, buf, (size_t)n);
		*len = (size_t)n;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return *ikm != NULL ? MG_OK : MG_ERROR;
}

/* base64url (RFC 4648 section 5) without padding; OUT gets a NUL too. */
static size_t
b64url_encode(const uint8_t *in, size_t len, char *out)
{
	size_t   i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

static size_t
b64url_encoded_len(size_t len)
{
	return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}

/* The value of each base64url character, -1 for any other byte. */
static signed char b64url_values[256];

static void
b64url_values_init(void)
{
	static int done;

	if (done)
		return;
	memset(b64url_values, -1, sizeof(b64url_values));
	for (int i = 0; i < 64; i++)
		b64url_values[(unsigned char)b64url[i]] = (signed char)i;
	done = 1;
}

/*
 * Strict: the alphabet only, no padding, no length that no byte string
 * encodes to, and the unused bits of the last character zero, so that each
 * byte string has exactly one token.
 */
static int
b64url_decode(
    const char *in, size_t len, uint8_t *out, size_t size, size_t *outlen)
{
	uint32_t v = 0;
	size_t   o = 0;
	int      c;

	if (len % 4 == 1 || len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > size)
		return MG_DECLINED;
	b64url_values_init();
	for (size_t i = 0; i < len; i++) {
		if ((c = b64url_values[(unsigned char)in[i]]) < 0)
			return MG_DECLINED;
		v = v << 6 | (uint32_t)c;
		if (i % 4 == 3) {
			out[o++] = (uint8_t)(v >> 16);
			out[o++] = (uint8_t)(v >> 8);
			out[o++] = (uint8_t)v;
			v = 0;
		}
	}
	if (len % 4 == 2) {
		if (v & 0x0f)
			return MG_DECLINED;
		out[o++] = (uint8_t)(v >> 4);
	} else if (len % 4 == 3) {
		if (v & 0x03)
			return MG_DECLINED;
		out[o++] = (uint8_t)(v >> 10);
		out[o++] = (uint8_t)(v >> 2);
	}
	*outlen = o;
	return MG_OK;
}

static uint8_t *
put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = n; i > 0; i--) {
		p[i - 1] = (uint8_t)v;
		v >>= 8;
	}
	return p + n;
}

static uint8_t *
put_str(uint8_t *p, const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	*p++ = (uint8_t)n;
	memcpy(p, s, n);
	return p + n;
}

/* Encode S into P (SESSION_PLAIN_MAX bytes); its length, 0 if S is bad. */
static size_t
session_encode(const mg_session_t *s, uint8_t *p)
{
	uint8_t *start = p;

	if (strnlen(s->route, sizeof(s->route)) == sizeof(s->route) ||
	    strnlen(s->version, sizeof(s->version)) == sizeof(s->version) ||
	    s->upstream_len > sizeof(s->upstream))
		return 0;
	p = put_be(p, s->id, 8);
	p = put_be(p, (uint64_t)s->issued, 8);
	p = put_str(p, s->route, sizeof(s->route));
	p = put_str(p, s->version, sizeof(s->version));
	p = put_be(p, s->upstream_len, 2);
	memcpy(p, s->upstream, s->upstream_len);
	return (size_t)(p - start) + s->upstream_len;
}

typedef struct {
	const uint8_t *p;
	size_t         left;
} reader_t;

static int
get_bytes(reader_t *r, void *dst, size_t n)
{
	if (n > r->left)
		return MG_DECLINED;
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return MG_OK;
}

static int
get_be(reader_t *r, uint64_t *v, size_t n)
{
	uint8_t b[8];

	if (get_bytes(r, b, n) != MG_OK)
		return MG_DECLINED;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v = *v << 8 | b[i];
	return MG_OK;
}

static int
get_str(reader_t *r, char *dst, size_t size)
{
	uint8_t n;

	if (get_bytes(r, &n, 1) != MG_OK || n >= size ||
	    get_bytes(r, dst, n) != MG_OK || memchr(dst, '\0', n) != NULL)
		return MG_DECLINED;
	dst[n] = '\0';
	return MG_OK;
}

static int
session_decode(const uint8_t *p, size_t len, mg_session_t *s)
{
	reader_t r = { p, len };
	uint64_t issued, ulen;

	if (get_be(&r, &s->id, 8) != MG_OK || get_be(&r, &issued, 8) != MG_OK ||
	    get_str(&r, s->route, sizeof(s->route)) != MG_OK ||
	    get_str(&r, s->version, sizeof(s->version)) != MG_OK ||
	    get_be(&r, &ulen, 2) != MG_OK || ulen > sizeof(s->upstream) ||
	    get_bytes(&r, s->upstream, (size_t)ulen) != MG_OK || r.left != 0)
		return MG_DECLINED;
	s->issued = (int64_t)issued;
	s->upstream_len = (size_t)ulen;
	return MG_OK;
}

/* RAW has its format byte and nonce; fill in ciphertext and tag. */
static int
session_encrypt(
    EVP_CIPHER_CTX *ctx, uint8_t *raw, const uint8_t *plain, size_t plen)
{
	uint8_t *ct = raw + 1 + SESSION_NONCE;
	int      n, fin;

	if (EVP_EncryptInit_ex2(ctx, NULL, NULL, raw + 1, NULL) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, raw, 1) != 1 ||
	    EVP_EncryptUpdate(ctx, ct, &n, plain, (int)plen) != 1 ||
	    EVP_EncryptFinal_ex(ctx, ct + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != plen ||
	    EVP_CIPHER_CTX_ctrl(
		ctx, EVP_CTRL_AEAD_GET_TAG, SESSION_TAG, ct + plen) != 1)
		return MG_ERROR;
	return MG_OK;
}

/* MG_DECLINED if the tag does not match: tampered, or another key. */
static int
session_decrypt(EVP_CIPHER_CTX *ctx, uint8_t *raw, uint8_t *plain, size_t plen)
{
	uint8_t *ct = raw + 1 + SESSION_NONCE;
	int      n, fin;

	if (EVP_DecryptInit_ex2(ctx, NULL, NULL, raw + 1, NULL) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, raw, 1) != 1 ||
	    EVP_DecryptUpdate(ctx, plain, &n, ct, (int)plen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(
		ctx, EVP_CTRL_AEAD_SET_TAG, SESSION_TAG, ct + plen) != 1)
		return MG_ERROR;
	if (EVP_DecryptFinal_ex(ctx, plain + n, &fin) != 1)
		return MG_DECLINED;
	return MG_OK;
}

int
mg_session_seal(const mg_session_key_t *key, const mg_session_t *s, char *out,
    size_t outlen)
{
	uint8_t plain[SESSION_PLAIN_MAX];
	uint8_t raw[SESSION_OVERHEAD + SESSION_PLAIN_MAX];
	size_t  plen;
	int     rc = MG_ERROR;

	if ((plen = session_encode(s, plain)) == 0 ||
	    outlen < b64url_encoded_len(SESSION_OVERHEAD + plen) + 1)
		goto done;
	raw[0] = SESSION_FORMAT;
	if (RAND_bytes(raw + 1, SESSION_NONCE) != 1 ||
	    session_encrypt(key->enc, raw, plain, plen) != MG_OK)
		goto done;
	b64url_encode(raw, SESSION_OVERHEAD + plen, out);
	rc = MG_OK;
done:
	OPENSSL_cleanse(plain, sizeof(plain));
	/* Leave no stale error for a later SSL_get_error() to find. */
	if (rc != MG_OK)
		ERR_clear_error();
	return rc;
}

static int
session_open(
    const mg_session_key_t *key, const char *token, size_t len, mg_session_t *s)
{
	uint8_t raw[SESSION_RAW_MAX];
	uint8_t plain[SESSION_PLAIN_MAX];
	size_t  rawlen, plen;
	int     rc;

	memset(s, 0, sizeof(*s));
	if (token == NULL || len > MG_SESSION_TOKEN_MAX ||
	    b64url_decode(token, len, raw, sizeof(raw), &rawlen) != MG_OK ||
	    rawlen < SESSION_OVERHEAD + SESSION_PLAIN_MIN ||
	    rawlen > SESSION_OVERHEAD + SESSION_PLAIN_MAX ||
	    raw[0] != SESSION_FORMAT)
		return MG_DECLINED;
	plen = rawlen - SESSION_OVERHEAD;
	rc = session_decrypt(key->dec, raw, plain, plen);
	if (rc == MG_OK)
		rc = session_decode(plain, plen, s);
	OPENSSL_cleanse(plain, plen);
	if (rc != MG_OK) {
		ERR_clear_error();
		memset(s, 0, sizeof(*s));
	}
	return rc;
}

/* Are A and B, N bytes each, the same?  In a time that depends on N only,
 * 8 bytes a step (CRYPTO_memcmp goes a byte a step: 2 400 instructions for
 * a proxy route's token, against 300 here). */
static int
same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t d = 0, x, y;
	size_t   i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		d |= x ^ y;
		/* no early exit: the compiler may not reason about D */
		__asm__ volatile("" : "+r"(d));
	}
	for (; i < n; i++)
		d |= (uint64_t)(unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* The cache slot of a token (its last 4 characters), or NULL. */
static open_cache_t *
open_cache_slot(const mg_session_key_t *key, const char *token, size_t len)
{
	unsigned h = 0;

	if (token == NULL || len < 4 || len > OPEN_CACHE_TOKEN)
		return NULL;
	for (size_t i = len - 4; i < len; i++)
		h = h * 64 + (unsigned)(unsigned char)token[i];
	return &key->cache[h % OPEN_CACHE_SLOTS];
}

int
mg_session_open(
    const mg_session_key_t *key, const char *token, size_t len, mg_session_t *s)
{
	open_cache_t *e = open_cache_slot(key, token, len);
	int           rc;

	if (e != NULL && e->len == len && same_bytes(e->token, token, len)) {
		*s = e->s;
		return MG_OK;
	}
	rc = session_open(key, token, len, s);
	if (rc == MG_OK && e != NULL) {
		memcpy(e->token, token, len);
		e->len = len;
		e->s = *s;
	}
	return rc;
}

/*
 * Opaque data sealed the same way under another format byte, so that
 * neither kind of token passes for the other.
 */
#define SESSION_FORMAT_DATA 0x02

int
mg_session_seal_data(const mg_session_key_t *key, const void *data, size_t len,
    char *out, size_t outlen)
{
	uint8_t raw[SESSION_OVERHEAD + MG_SESSION_DATA_MAX];

	if (len == 0 || len > MG_SESSION_DATA_MAX ||
	    outlen < b64url_encoded_len(SESSION_OVERHEAD + len) + 1)
		return MG_ERROR;
	raw[0] = SESSION_FORMAT_DATA;
	if (RAND_bytes(raw + 1, SESSION_NONCE) != 1 ||
	    session_encrypt(key->enc, raw, data, len) != MG_OK) {
		ERR_clear_error();
		return MG_ERROR;
	}
	b64url_encode(raw, SESSION_OVERHEAD + len, out);
	return MG_OK;
}

int
mg_session_open_data(const mg_session_key_t *key, const char *token, size_t len,
    void *out, size_t outlen, size_t *n)
{
	uint8_t raw[SESSION_OVERHEAD + MG_SESSION_DATA_MAX];
	size_t  rawlen, plen;
	int     rc;

	*n = 0;
	if (token == NULL ||
	    len > b64url_encoded_len(SESSION_OVERHEAD + MG_SESSION_DATA_MAX) ||
	    b64url_decode(token, len, raw, sizeof(raw), &rawlen) != MG_OK ||
	    rawlen <= SESSION_OVERHEAD || raw[0] != SESSION_FORMAT_DATA ||
	    rawlen - SESSION_OVERHEAD > outlen)
		return MG_DECLINED;
	plen = rawlen - SESSION_OVERHEAD;
	rc = session_decrypt(key->dec, raw, out, plen);
	if (rc != MG_OK) {
		ERR_clear_error();
		OPENSSL_cleanse(out, plen);
		return rc;
	}
	*n = plen;
	return MG_OK;
}
