/*
 * Sealed session tokens: round trips, the token's alphabet and layout,
 * tampering, truncation, foreign keys, garbage, strict inner decoding, key
 * derivation and key files.
 *
 * Tokens with chosen contents are built here from the documented format
 * with OpenSSL directly (spec_token), and that builder is checked against
 * a token made by an independent implementation (Python's cryptography).
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "session.h"
#include "suites.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static uint8_t           ikm_a[32], ikm_b[32];
static mg_session_key_t *key;

static void
key_setup(void)
{
	for (size_t i = 0; i < sizeof(ikm_a); i++)
		ikm_a[i] = ikm_b[i] = (uint8_t)i;
	ikm_b[31] ^= 1;
	key = mg_session_key_new(ikm_a, sizeof(ikm_a));
	ck_assert_ptr_nonnull(key);
}

static void
key_teardown(void)
{
	mg_session_key_free(key);
	key = NULL;
}

/* Every field used to its limit. */
static void
full_session(mg_session_t *s)
{
	memset(s, 0, sizeof(*s));
	s->id = 0xfedcba9876543210ULL;
	s->issued = 1767225600;
	s->route[0] = '/';
	for (size_t i = 1; i < sizeof(s->route) - 1; i++)
		s->route[i] = (char)('a' + i % 26);
	strcpy(s->version, "2025-11-25.abcd"); /* 15 characters */
	for (size_t i = 0; i < sizeof(s->upstream); i++)
		s->upstream[i] = (uint8_t)(i * 7 + 3);
	s->upstream_len = sizeof(s->upstream);
}

static void
assert_same(const mg_session_t *a, const mg_session_t *b)
{
	ck_assert(a->id == b->id);
	ck_assert(a->issued == b->issued);
	ck_assert_str_eq(a->route, b->route);
	ck_assert_str_eq(a->version, b->version);
	ck_assert_uint_eq(a->upstream_len, b->upstream_len);
	ck_assert(memcmp(a->upstream, b->upstream, a->upstream_len) == 0);
}

static int
is_zero(const mg_session_t *s)
{
	static const mg_session_t zero;

	return memcmp(s, &zero, sizeof(zero)) == 0;
}

static size_t
seal(const mg_session_key_t *k, const mg_session_t *s, char *tok)
{
	ck_assert_int_eq(
	    mg_session_seal(k, s, tok, MG_SESSION_TOKEN_MAX + 1), MG_OK);
	return strlen(tok);
}

/* MG_DECLINED, *s zeroed, and no error left behind on OpenSSL's queue. */
static void
assert_declined(const mg_session_key_t *k, const char *tok, size_t len)
{
	mg_session_t s;

	memset(&s, 0x5a, sizeof(s));
	ck_assert_int_eq(mg_session_open(k, tok, len, &s), MG_DECLINED);
	ck_assert(is_zero(&s));
	ck_assert_uint_eq(ERR_peek_error(), 0);
}

/* base64url with padding removed, by OpenSSL rather than session.c. */
static size_t
spec_b64url(const uint8_t *raw, size_t len, char *out)
{
	size_t n = (size_t)EVP_EncodeBlock((unsigned char *)out, raw, (int)len);

	while (n > 0 && out[n - 1] == '=')
		out[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return n;
}

static size_t
spec_unb64url(const char *tok, uint8_t *raw)
{
	char   buf[8192];
	size_t n = strlen(tok), pad = (4 - n % 4) % 4;
	int    len;

	for (size_t i = 0; i < n; i++)
		buf[i] = tok[i] == '-' ? '+' : tok[i] == '_' ? '/' : tok[i];
	memset(buf + n, '=', pad);
	len = EVP_DecodeBlock(raw, (unsigned char *)buf, (int)(n + pad));
	ck_assert_int_ge(len, 0);
	return (size_t)len - pad;
}

/* HKDF-SHA256 from RFC 5869; 32 bytes is one block of expand. */
static void
spec_hkdf(const uint8_t *ikm, size_t len, uint8_t *okm)
{
	static const char salt[] = "mcpgw session salt v1";
	static const char info[] = "mcpgw session seal v1\x01";
	uint8_t           prk[32];
	unsigned          n;

	HMAC(EVP_sha256(), salt, sizeof(salt) - 1, ikm, len, prk, &n);
	HMAC(EVP_sha256(), prk, sizeof(prk), (const uint8_t *)info,
	    sizeof(info) - 1, okm, &n);
}

/* A token as the format describes it: format, nonce, ciphertext, tag. */
static void
spec_token(const uint8_t *ikm, uint8_t format, const uint8_t *aad,
    size_t aadlen, const uint8_t *plain, size_t plen, char *out)
{
	uint8_t         k[32], raw[8192], *ct = raw + 13;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int             n;

	spec_hkdf(ikm, 32, k);
	raw[0] = format;
	for (int i = 0; i < 12; i++)
		raw[1 + i] = (uint8_t)i;
	ck_assert(
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k, raw + 1) == 1);
	ck_assert(EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen) == 1);
	ck_assert(EVP_EncryptUpdate(ctx, ct, &n, plain, (int)plen) == 1);
	ck_assert(EVP_EncryptFinal_ex(ctx, ct + n, &n) == 1);
	ck_assert(EVP_CIPHER_CTX_ctrl(
		      ctx, EVP_CTRL_AEAD_GET_TAG, 16, ct + plen) == 1);
	EVP_CIPHER_CTX_free(ctx);
	spec_b64url(raw, 13 + plen + 16, out);
}

static uint8_t *
put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = n; i > 0; i--, v >>= 8)
		p[i - 1] = (uint8_t)v;
	return p + n;
}

/* The inner encoding, with lengths as given (so they may lie). */
static size_t
spec_plain(uint8_t *p, size_t rlen, size_t vlen, size_t ulen)
{
	uint8_t *start = p;

	p = put_be(p, 0x0123456789abcdefULL, 8);
	p = put_be(p, 1767225600, 8);
	*p++ = (uint8_t)rlen;
	memset(p, 'r', rlen);
	p[0] = '/';
	p += rlen;
	*p++ = (uint8_t)vlen;
	memset(p, 'v', vlen);
	p += vlen;
	p = put_be(p, ulen, 2);
	memset(p, 0xee, ulen);
	return (size_t)(p - start) + ulen;
}

START_TEST(roundtrip_full)
{
	mg_session_t s, o;
	char         tok[MG_SESSION_TOKEN_MAX + 1];
	size_t       len;

	full_session(&s);
	len = seal(key, &s, tok);
	ck_assert_uint_le(len, MG_SESSION_TOKEN_MAX);
	ck_assert_int_eq(mg_session_open(key, tok, len, &o), MG_OK);
	assert_same(&s, &o);
	ck_assert_uint_eq(strlen(o.route), 127);
	ck_assert_uint_eq(strlen(o.version), 15);
}
END_TEST

/* Empty fields, extreme numbers, and every length modulo 3. */
START_TEST(roundtrip_edges)
{
	mg_session_t s, o;
	char         tok[MG_SESSION_TOKEN_MAX + 1];
	size_t       len;

	for (size_t u = 0; u < 6; u++) {
		memset(&s, 0, sizeof(s));
		s.id = u % 2 ? UINT64_MAX : 0;
		s.issued = u % 2 ? INT64_MAX : INT64_MIN;
		memset(s.upstream, 0, u); /* NUL bytes are data here */
		s.upstream_len = u;
		len = seal(key, &s, tok);
		ck_assert_int_eq(mg_session_open(key, tok, len, &o), MG_OK);
		assert_same(&s, &o);
	}
}
END_TEST

/* Safe in a header: base64url only, and the documented layout. */
START_TEST(token_alphabet)
{
	mg_session_t s;
	char         tok[MG_SESSION_TOKEN_MAX + 1];
	uint8_t      raw[4096];
	size_t       len;

	full_session(&s);
	strcpy(s.route, "/w");
	strcpy(s.version, "2025-11-25");
	for (size_t u = 0; u < 6; u++) {
		s.upstream_len = u;
		len = seal(key, &s, tok);
		for (size_t i = 0; i < len; i++) {
			ck_assert(tok[i] >= 0x21 && tok[i] <= 0x7e);
			ck_assert_ptr_nonnull(strchr(alphabet, tok[i]));
		}
		/* format, nonce, id, issued, 1+2, 1+10, 2+u, tag */
		ck_assert_uint_eq(spec_unb64url(tok, raw),
		    1 + 12 + 8 + 8 + 3 + 11 + 2 + u + 16);
		ck_assert_uint_eq(raw[0], 0x01);
	}
}
END_TEST

START_TEST(nonce_random)
{
	mg_session_t s, o;
	char         t1[MG_SESSION_TOKEN_MAX + 1], t2[MG_SESSION_TOKEN_MAX + 1];
	uint8_t      r1[4096], r2[4096];

	full_session(&s);
	seal(key, &s, t1);
	seal(key, &s, t2);
	ck_assert_str_ne(t1, t2);
	spec_unb64url(t1, r1);
	spec_unb64url(t2, r2);
	ck_assert(memcmp(r1 + 1, r2 + 1, 12) != 0);
	ck_assert_int_eq(mg_session_open(key, t1, strlen(t1), &o), MG_OK);
	assert_same(&s, &o);
	ck_assert_int_eq(mg_session_open(key, t2, strlen(t2), &o), MG_OK);
	assert_same(&s, &o);
}
END_TEST

/*
 * Made by Python's cryptography (HKDF, AESGCM) from IKM 00..1f, nonce
 * 00..0b and the session below: the wire format must not drift, or
 * instances of two versions behind one load balancer lose each other's
 * sessions.
 */
static const char kat_token[] =
    "AQABAgMEBQYHCAkKC7aov5BsNZdv-6kCeYbicG5sqQeOH5pSqBB1Q_djllaGuwY8o_lOP2o"
    "DzSX6hIJh6uy0cGMR8mWmA3BU7Gs";

START_TEST(known_answer)
{
	mg_session_t o;
	char         tok[8192];
	uint8_t      plain[256], *p = plain;

	ck_assert_int_eq(
	    mg_session_open(key, kat_token, strlen(kat_token), &o), MG_OK);
	ck_assert(o.id == 0x0123456789abcdefULL);
	ck_assert(o.issued == 1767225600);
	ck_assert_str_eq(o.route, "/weather");
	ck_assert_str_eq(o.version, "2025-11-25");
	ck_assert_uint_eq(o.upstream_len, 7);
	ck_assert(memcmp(o.upstream, "up-1234", 7) == 0);

	/* and this file's builder agrees, so its crafted tokens are valid */
	p = put_be(p, 0x0123456789abcdefULL, 8);
	p = put_be(p, 1767225600, 8);
	memcpy(p,
	    "\x08/weather\x0a"
	    "2025-11-25\x00\x07up-1234",
	    29);
	spec_token(ikm_a, 0x01, (const uint8_t *)"\x01", 1, plain, 45, tok);
	ck_assert_str_eq(tok, kat_token);
}
END_TEST

static void
tamper(const char *token, size_t from)
{
	char   tok[MG_SESSION_TOKEN_MAX + 1];
	size_t len = strlen(token);

	strcpy(tok, token);
	for (size_t i = from; i < len; i++) {
		for (int c = 0; c < 256; c++) {
			if ((char)c == token[i])
				continue;
			tok[i] = (char)c;
			assert_declined(key, tok, len);
		}
		tok[i] = token[i];
	}
}

/*
 * Any character replaced by any other byte, at every position; and at the
 * end of tokens of the other two lengths modulo 4, whose last character
 * has different unused bits.
 */
START_TEST(tamper_every_byte)
{
	mg_session_t s;
	char         tok[MG_SESSION_TOKEN_MAX + 1];
	size_t       len;

	full_session(&s);
	len = seal(key, &s, tok);
	tamper(tok, 0);
	for (int i = 0; i < 2; i++) {
		s.upstream_len--;
		ck_assert_uint_ne(seal(key, &s, tok) % 4, len % 4);
		tamper(tok, strlen(tok) - 4);
	}
}
END_TEST

START_TEST(truncate_and_extend)
{
	mg_session_t s, o;
	char         tok[MG_SESSION_TOKEN_MAX + 8];
	size_t       len;

	full_session(&s);
	s.upstream_len = 10; /* room to grow below the length limit */
	len = seal(key, &s, tok);
	for (size_t n = 0; n < len; n++)
		assert_declined(key, tok, n);
	for (size_t n = 1; n < len; n++)
		assert_declined(key, tok + n, len - n);
	for (size_t n = 1; n <= 4; n++) {
		memset(tok + len, 'A', n);
		assert_declined(key, tok, len + n);
	}
	ck_assert_int_eq(mg_session_open(key, tok, len, &o), MG_OK);
}
END_TEST

/*
 * The cache of opened tokens (short ones): a token opened again gives the
 * same session; once it is cached, every other byte at every place, and
 * every shorter or longer token, is still declined; tokens that share a
 * slot all open right.
 */
START_TEST(open_cache)
{
	mg_session_t s[40], o;
	char         tok[40][MG_SESSION_TOKEN_MAX + 8];
	size_t       len;

	for (int i = 0; i < 40; i++) {
		full_session(&s[i]);
		s[i].id += (uint64_t)i;
		s[i].upstream_len = 10 + (size_t)i % 3;
		len = seal(key, &s[i], tok[i]);
		ck_assert_uint_le(len, 512); /* short enough to be cached */
	}
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 40; i++) {
			ck_assert_int_eq(
			    mg_session_open(key, tok[i], strlen(tok[i]), &o),
			    MG_OK);
			assert_same(&s[i], &o);
		}
	/* the last one opened is cached now: no change to it passes */
	len = strlen(tok[39]);
	ck_assert_int_eq(mg_session_open(key, tok[39], len, &o), MG_OK);
	tamper(tok[39], 0);
	for (size_t n = 0; n < len; n++)
		assert_declined(key, tok[39], n);
	memset(tok[39] + len, 'A', 4);
	for (size_t n = 1; n <= 4; n++)
		assert_declined(key, tok[39], len + n);
	tok[39][len] = '\0';
	ck_assert_int_eq(mg_session_open(key, tok[39], len, &o), MG_OK);
	assert_same(&s[39], &o);
	/* another key does not open what this one cached */
	{
		mg_session_key_t *other =
		    mg_session_key_new(ikm_b, sizeof(ikm_b));

		assert_declined(other, tok[39], len);
		mg_session_key_free(other);
	}
}
END_TEST

START_TEST(foreign_key)
{
	mg_session_key_t *other = mg_session_key_new(ikm_b, sizeof(ikm_b));
	mg_session_t      s, o;
	char              tok[MG_SESSION_TOKEN_MAX + 1];
	size_t            len;

	ck_assert_ptr_nonnull(other);
	full_session(&s);
	len = seal(other, &s, tok);
	assert_declined(key, tok, len);
	ck_assert_int_eq(mg_session_open(other, tok, len, &o), MG_OK);
	assert_same(&s, &o);
	mg_session_key_free(other);
}
END_TEST

/* Opaque data: round trip up to the limit, every byte tampered, and
 * neither kind of token opens as the other. */
START_TEST(sealed_data)
{
	uint8_t      data[MG_SESSION_DATA_MAX], back[MG_SESSION_DATA_MAX];
	char         tok[MG_SESSION_DATA_TOKEN_MAX + 1];
	char         stok[MG_SESSION_TOKEN_MAX + 1];
	size_t       n, len;
	mg_session_t s, o;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(
	    mg_session_seal_data(key, data, sizeof(data), tok, sizeof(tok)),
	    MG_OK);
	len = strlen(tok);
	ck_assert_int_eq(
	    mg_session_open_data(key, tok, len, back, sizeof(back), &n), MG_OK);
	ck_assert_uint_eq(n, sizeof(data));
	ck_assert_mem_eq(back, data, n);
	/* too small a buffer, too much or no data */
	ck_assert_int_eq(
	    mg_session_open_data(key, tok, len, back, 10, &n), MG_DECLINED);
	ck_assert_int_eq(
	    mg_session_seal_data(key, data, sizeof(data), tok, 100), MG_ERROR);
	ck_assert_int_eq(
	    mg_session_seal_data(key, data, 0, tok, sizeof(tok)), MG_ERROR);
	ck_assert_int_eq(
	    mg_session_seal_data(key, "state", 5, tok, sizeof(tok)), MG_OK);
	len = strlen(tok);
	for (size_t i = 0; i < len; i++) {
		char saved = tok[i];

		tok[i] = saved == 'A' ? 'B' : 'A';
		ck_assert_int_eq(
		    mg_session_open_data(key, tok, len, back, sizeof(back), &n),
		    MG_DECLINED);
		tok[i] = saved;
	}
	ck_assert_int_eq(
	    mg_session_open_data(key, tok, len - 1, back, sizeof(back), &n),
	    MG_DECLINED);
	ck_assert_int_eq(mg_session_open(key, tok, len, &o), MG_DECLINED);
	full_session(&s);
	len = seal(key, &s, stok);
	ck_assert_int_eq(
	    mg_session_open_data(key, stok, len, back, sizeof(back), &n),
	    MG_DECLINED);
}
END_TEST

START_TEST(garbage)
{
	static const char *junk[] = {
		"",
		"====",
		"A",
		"AA",
		"AAAA",
		"AQ",
		"AQ==",
		"\xff\xfe\x80\x81",
		"caf\xc3\xa9",
		"AQABAgMEBQYHCAkKC7aov5BsNZdv\n",
	};
	mg_session_t s;
	char         tok[MG_SESSION_TOKEN_MAX + 8], big[2001];
	size_t       len;
	uint32_t     x = 12345;

	for (size_t i = 0; i < MG_NELEM(junk); i++)
		assert_declined(key, junk[i], strlen(junk[i]));
	assert_declined(key, NULL, 0);
	memset(big, 'A', sizeof(big));
	for (size_t n = 1020; n <= 1028; n++) /* around the length limit */
		assert_declined(key, big, n);
	assert_declined(key, big, 2000);

	full_session(&s);
	len = seal(key, &s, tok);
	memcpy(tok + len, "=\0", 2); /* padding, and a NUL past the end */
	assert_declined(key, tok, len + 1);
	assert_declined(key, tok, len + 2);
	tok[len] = '\0';
	tok[len / 2] = '\0'; /* embedded NUL */
	assert_declined(key, tok, len);

	/* random bytes, and random strings of the alphabet */
	for (int i = 0; i < 2000; i++) {
		len = (x = x * 1103515245 + 12345) % 1100;
		for (size_t j = 0; j < len; j++) {
			x = x * 1103515245 + 12345;
			big[j] =
			    i % 2 ? (char)(x >> 16) : alphabet[x >> 16 & 63];
		}
		assert_declined(key, big, len);
	}
}
END_TEST

/* Authentic ciphertext, wrong format byte or associated data. */
START_TEST(format_byte)
{
	uint8_t      plain[256];
	char         tok[8192];
	size_t       plen = spec_plain(plain, 8, 10, 7);
	mg_session_t o;

	spec_token(ikm_a, 0x01, (const uint8_t *)"\x01", 1, plain, plen, tok);
	ck_assert_int_eq(mg_session_open(key, tok, strlen(tok), &o), MG_OK);
	spec_token(ikm_a, 0x02, (const uint8_t *)"\x02", 1, plain, plen, tok);
	assert_declined(key, tok, strlen(tok));
	spec_token(ikm_a, 0x00, (const uint8_t *)"\x00", 1, plain, plen, tok);
	assert_declined(key, tok, strlen(tok));
	spec_token(ikm_a, 0x01, NULL, 0, plain, plen, tok);
	assert_declined(key, tok, strlen(tok));
	spec_token(ikm_a, 0x01, (const uint8_t *)"\x02", 1, plain, plen, tok);
	assert_declined(key, tok, strlen(tok));
}
END_TEST

/* Authentic tokens whose inner encoding is wrong are still refused. */
START_TEST(inner_encoding)
{
	uint8_t      plain[4096];
	char         tok[8192];
	size_t       plen;
	mg_session_t o;

	/* the limits themselves are fine */
	plen = spec_plain(plain, 127, 15, 2560);
	spec_token(ikm_a, 0x01, (const uint8_t *)"\x01", 1, plain, plen, tok);
	ck_assert_int_eq(mg_session_open(key, tok, strlen(tok), &o), MG_OK);
	ck_assert_uint_eq(strlen(o.route), 127);

#define DECLINE(p, n)                                                          \
	do {                                                                   \
		spec_token(                                                    \
		    ikm_a, 0x01, (const uint8_t *)"\x01", 1, p, n, tok);       \
		assert_declined(key, tok, strlen(tok));                        \
	} while (0)

	DECLINE(plain, spec_plain(plain, 128, 10, 0));  /* route too long */
	DECLINE(plain, spec_plain(plain, 8, 16, 0));    /* version too long */
	DECLINE(plain, spec_plain(plain, 8, 10, 2561)); /* upstream too long */
	plen = spec_plain(plain, 8, 10, 4);
	plain[16 + 1 + 3] = '\0'; /* NUL inside the route */
	DECLINE(plain, plen);
	plen = spec_plain(plain, 8, 10, 4);
	plain[16 + 1 + 8 + 1 + 2] = '\0'; /* NUL inside the version */
	DECLINE(plain, plen);
	plen = spec_plain(plain, 8, 10, 4);
	plain[plen] = 0; /* a trailing byte */
	DECLINE(plain, plen + 1);
	for (size_t n = 0; n < plen; n++) /* every short encoding */
		DECLINE(plain, n);
	plain[16] = 200; /* route length past the end */
	DECLINE(plain, plen);
#undef DECLINE
}
END_TEST

START_TEST(seal_refuses)
{
	mg_session_t s;
	char         tok[MG_SESSION_TOKEN_MAX + 1];
	size_t       len;

	full_session(&s);
	memset(s.route, 'r', sizeof(s.route)); /* no NUL */
	ck_assert_int_eq(mg_session_seal(key, &s, tok, sizeof(tok)), MG_ERROR);
	full_session(&s);
	memset(s.version, 'v', sizeof(s.version));
	ck_assert_int_eq(mg_session_seal(key, &s, tok, sizeof(tok)), MG_ERROR);
	full_session(&s);
	s.upstream_len = sizeof(s.upstream) + 1;
	ck_assert_int_eq(mg_session_seal(key, &s, tok, sizeof(tok)), MG_ERROR);

	full_session(&s);
	len = seal(key, &s, tok);
	ck_assert_int_eq(mg_session_seal(key, &s, tok, len), MG_ERROR);
	ck_assert_int_eq(mg_session_seal(key, &s, tok, len + 1), MG_OK);
	ck_assert_uint_eq(strlen(tok), len);
}
END_TEST

/* Two instances with the same key material serve each other's sessions. */
START_TEST(hkdf_shared)
{
	uint8_t           copy[32], longer[4096];
	mg_session_key_t *same, *diff, *lng;
	mg_session_t      s, o;
	char              t1[MG_SESSION_TOKEN_MAX + 1];
	char              t2[MG_SESSION_TOKEN_MAX + 1];

	memcpy(copy, ikm_a, sizeof(copy));
	same = mg_session_key_new(copy, sizeof(copy));
	diff = mg_session_key_new(ikm_b, sizeof(ikm_b));
	memset(longer, 0, sizeof(longer));
	memcpy(longer, ikm_a, sizeof(ikm_a));
	lng = mg_session_key_new(longer, sizeof(longer));
	ck_assert(same != NULL && diff != NULL && lng != NULL);

	full_session(&s);
	seal(key, &s, t1);
	seal(same, &s, t2);
	ck_assert_int_eq(mg_session_open(same, t1, strlen(t1), &o), MG_OK);
	assert_same(&s, &o);
	ck_assert_int_eq(mg_session_open(key, t2, strlen(t2), &o), MG_OK);
	assert_same(&s, &o);
	assert_declined(diff, t1, strlen(t1));
	assert_declined(lng, t1, strlen(t1));
	seal(diff, &s, t2);
	assert_declined(key, t2, strlen(t2));

	ck_assert_ptr_null(mg_session_key_new(ikm_a, MG_SESSION_IKM_MIN - 1));
	ck_assert_ptr_null(mg_session_key_new(NULL, 32));
	mg_session_key_free(same);
	mg_session_key_free(diff);
	mg_session_key_free(lng);
	mg_session_key_free(NULL);
}
END_TEST

START_TEST(ikm_generate)
{
	uint8_t           a[32], b[32];
	mg_session_key_t *ka, *kb;
	mg_session_t      s;
	char              tok[MG_SESSION_TOKEN_MAX + 1];

	ck_assert_int_eq(mg_session_ikm_generate(a), MG_OK);
	ck_assert_int_eq(mg_session_ikm_generate(b), MG_OK);
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	ka = mg_session_key_new(a, sizeof(a));
	kb = mg_session_key_new(b, sizeof(b));
	ck_assert(ka != NULL && kb != NULL);
	full_session(&s);
	seal(ka, &s, tok);
	assert_declined(kb, tok, strlen(tok));
	mg_session_key_free(ka);
	mg_session_key_free(kb);
}
END_TEST

/* One directory for the key file tests; each test uses its own names. */
static char dir[] = "/tmp/check_session.XXXXXX";
static char path[PATH_MAX];

static int
rm_entry(const char *fpath, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(fpath);
}

static void
dir_setup(void)
{
	strcpy(dir, "/tmp/check_session.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
dir_teardown(void)
{
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* DIR/NAME holding LEN bytes 0, 1, 2 ..., with MODE; its path. */
static const char *
key_file(const char *name, size_t len, mode_t mode)
{
	uint8_t buf[8192];
	int     fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)i;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

/* MG_ERROR, nothing handed out, and a message naming the file. */
static void
assert_refused(const char *file, const char *why)
{
	uint8_t *ikm = (uint8_t *)"x";
	size_t   len = 99;
	char    *err = NULL;

	ck_assert_int_eq(
	    mg_session_key_load_file(file, &ikm, &len, &err), MG_ERROR);
	ck_assert_ptr_null(ikm);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, file) != NULL, "\"%s\" names no file", err);
	ck_assert_msg(
	    strstr(err, why) != NULL, "\"%s\" lacks \"%s\"", err, why);
	free(err);
}

START_TEST(keyfile_good)
{
	static const struct {
		size_t len;
		mode_t mode;
	} ok[] = { { 32, 0600 }, { 32, 0400 }, { 4096, 0600 } };
	uint8_t          *ikm;
	size_t            len;
	char             *err;
	char              name[32], link[PATH_MAX];
	mg_session_key_t *k;

	for (size_t i = 0; i < MG_NELEM(ok); i++) {
		snprintf(name, sizeof(name), "key%zu", i);
		key_file(name, ok[i].len, ok[i].mode);
		ck_assert_int_eq(
		    mg_session_key_load_file(path, &ikm, &len, &err), MG_OK);
		ck_assert_ptr_null(err);
		ck_assert_uint_eq(len, ok[i].len);
		ck_assert_uint_eq(ikm[0], 0);
		ck_assert_uint_eq(ikm[len - 1], (uint8_t)(len - 1));
		free(ikm);
	}

	/* a symlink to a private file is fine (Kubernetes secrets are) */
	key_file("target", 32, 0600);
	snprintf(link, sizeof(link), "%s/link", dir);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(
	    mg_session_key_load_file(link, &ikm, &len, &err), MG_OK);
	k = mg_session_key_new(ikm, len); /* bytes 00..1f, so key's twin */
	ck_assert_ptr_nonnull(k);
	mg_session_key_free(k);
	free(ikm);
}
END_TEST

START_TEST(keyfile_size)
{
	assert_refused(
	    key_file("short", MG_SESSION_IKM_MIN - 1, 0600), "fewer than 32");
	assert_refused(key_file("empty", 0, 0600), "fewer than 32");
	assert_refused(
	    key_file("long", MG_SESSION_IKM_MAX + 1, 0600), "more than 4096");
}
END_TEST

START_TEST(keyfile_mode)
{
	static const mode_t bad[] = { 0644, 0640, 0604, 0620, 0602, 0610, 0601,
		0666 };
	char                name[32];

	for (size_t i = 0; i < MG_NELEM(bad); i++) {
		snprintf(name, sizeof(name), "mode%zu", i);
		assert_refused(key_file(name, 32, bad[i]),
		    "accessible by group or others");
	}
}
END_TEST

START_TEST(keyfile_not_a_file)
{
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_refused(path, "No such file");

	snprintf(path, sizeof(path), "%s/subdir", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	assert_refused(path, "not a regular file");

	/* opening a FIFO must not wait for a writer */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	assert_refused(path, "not a regular file");

	if (geteuid() != 0) { /* root reads anything */
		assert_refused(
		    key_file("noread", 32, 0200), "Permission denied");
	}
}
END_TEST

Suite *
session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("tokens");

	tcase_add_checked_fixture(tc, key_setup, key_teardown);
	tcase_set_timeout(tc, 60); /* tamper_every_byte, under sanitizers */
	tcase_add_test(tc, roundtrip_full);
	tcase_add_test(tc, roundtrip_edges);
	tcase_add_test(tc, token_alphabet);
	tcase_add_test(tc, nonce_random);
	tcase_add_test(tc, known_answer);
	tcase_add_test(tc, tamper_every_byte);
	tcase_add_test(tc, truncate_and_extend);
	tcase_add_test(tc, open_cache);
	tcase_add_test(tc, foreign_key);
	tcase_add_test(tc, garbage);
	tcase_add_test(tc, sealed_data);
	tcase_add_test(tc, format_byte);
	tcase_add_test(tc, inner_encoding);
	tcase_add_test(tc, seal_refuses);
	tcase_add_test(tc, hkdf_shared);
	tcase_add_test(tc, ikm_generate);
	suite_add_tcase(s, tc);
	tc = tcase_create("key file");
	/* unchecked: the directory goes away even when a test fails */
	tcase_add_unchecked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, keyfile_good);
	tcase_add_test(tc, keyfile_size);
	tcase_add_test(tc, keyfile_mode);
	tcase_add_test(tc, keyfile_not_a_file);
	suite_add_tcase(s, tc);
	return s;
}
