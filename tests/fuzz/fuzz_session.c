/*
 * Sealed session tokens (session.c): what a client sends as its
 * Mcp-Session-Id, and the sealed requestState of the bridge.
 *
 * Input: a mode byte, then what the mode reads.
 *   0: a token from a client: opened as a session and as data; a token
 *      must open the same way twice (the second time from the cache),
 *      and a refused one leaves the session zeroed.
 *   1: a session made of the input's fields, sealed and opened: the
 *      same fields (or a refusal to seal what does not fit); then the
 *      token with one character changed, or cut short, or lengthened,
 *      at a place the input picks: refused.
 *   2: the same for opaque data tokens, and a data token never opens as
 *      a session nor a session token as data.
 *   3: a token sealed with one key never opens with another.
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "session.h"

static mg_session_key_t *key, *other;

/* Bytes read off the input, zeros past its end. */
typedef struct {
	const uint8_t *p;
	size_t         len;
} rd_t;

static uint8_t
rd_byte(rd_t *r)
{
	uint8_t b = 0;

	if (r->len > 0) {
		b = *r->p++;
		r->len--;
	}
	return b;
}

static size_t
rd_u16(rd_t *r)
{
	size_t hi = rd_byte(r);

	return hi << 8 | rd_byte(r);
}

static uint64_t
rd_u64(rd_t *r)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | rd_byte(r);
	return v;
}

/* N bytes into DST (zeros past the input's end). */
static void
rd_mem(rd_t *r, void *dst, size_t n)
{
	size_t k = n < r->len ? n : r->len;

	memcpy(dst, r->p, k);
	memset((uint8_t *)dst + k, 0, n - k);
	r->p += k;
	r->len -= k;
}

static int
zeroed(const mg_session_t *s)
{
	static const mg_session_t zero;

	return memcmp(s, &zero, sizeof(zero)) == 0;
}

static void
check_open(const char *tok, size_t len)
{
	mg_session_t s1, s2;
	uint8_t      d[MG_SESSION_DATA_MAX];
	size_t       n = 0;
	int          rc1, rc2;

	rc1 = mg_session_open(key, tok, len, &s1);
	rc2 = mg_session_open(key, tok, len, &s2);
	FUZZ_ASSERT(rc1 == MG_OK || rc1 == MG_DECLINED, "open gave %d", rc1);
	FUZZ_ASSERT(rc1 == rc2 && memcmp(&s1, &s2, sizeof(s1)) == 0,
	    "the same token opened twice differs");
	if (rc1 == MG_DECLINED)
		FUZZ_ASSERT(zeroed(&s1), "a refused token left fields set");
	else
		FUZZ_ASSERT(memchr(s1.route, 0, sizeof(s1.route)) &&
			memchr(s1.version, 0, sizeof(s1.version)) &&
			s1.upstream_len <= sizeof(s1.upstream),
		    "an opened session is malformed");
	rc1 = mg_session_open_data(key, tok, len, d, sizeof(d), &n);
	FUZZ_ASSERT(rc1 == MG_DECLINED || (rc1 == MG_OK && n <= sizeof(d)),
	    "open_data gave %d, %zu bytes", rc1, n);
}

/* TOK (LEN characters) changed at a place R picks, in one of three
 * ways: none may open as a session, nor as data. */
static void
check_tampered(rd_t *r, const char *tok, size_t len)
{
	char         bad[MG_SESSION_TOKEN_MAX + 2];
	size_t       pos = rd_u16(r) % len, n = len, dn;
	uint8_t      how = rd_byte(r), x, d[MG_SESSION_DATA_MAX];
	mg_session_t s;

	x = rd_byte(r);
	memcpy(bad, tok, len);
	switch (how % 3) {
	case 0: bad[pos] ^= (char)(x ? x : 1); break;
	case 1: n = pos; break; /* cut short */
	default:
		bad[len] = (char)x; /* one more character */
		n = len + 1;
		break;
	}
	FUZZ_ASSERT(mg_session_open(key, bad, n, &s) == MG_DECLINED,
	    "a token changed (%u at %zu) opens as a session", how % 3, pos);
	FUZZ_ASSERT(zeroed(&s), "a refused token left fields set");
	FUZZ_ASSERT(
	    mg_session_open_data(key, bad, n, d, sizeof(d), &dn) == MG_DECLINED,
	    "a token changed (%u at %zu) opens as data", how % 3, pos);
}

static void
check_session(rd_t *r)
{
	mg_session_t s, back;
	char         tok[MG_SESSION_TOKEN_MAX + 1];
	size_t       rlen, vlen;
	uint8_t      d[MG_SESSION_DATA_MAX];
	int          fits, rc;

	memset(&s, 0, sizeof(s));
	s.id = rd_u64(r);
	s.issued = (int64_t)rd_u64(r);
	/* lengths a little past each buffer: those must not seal */
	rlen = rd_byte(r) % (sizeof(s.route) + 8);
	vlen = rd_byte(r) % (sizeof(s.version) + 4);
	s.upstream_len = rd_u16(r) % (sizeof(s.upstream) + 16);
	rd_mem(r, s.route, rlen < sizeof(s.route) ? rlen : sizeof(s.route));
	rd_mem(
	    r, s.version, vlen < sizeof(s.version) ? vlen : sizeof(s.version));
	rd_mem(r, s.upstream,
	    s.upstream_len < sizeof(s.upstream) ? s.upstream_len
						: sizeof(s.upstream));
	/* the input's own NULs may end a string early, and do no harm */
	fits = memchr(s.route, 0, sizeof(s.route)) != NULL &&
	    memchr(s.version, 0, sizeof(s.version)) != NULL &&
	    s.upstream_len <= sizeof(s.upstream);
	rc = mg_session_seal(key, &s, tok, sizeof(tok));
	FUZZ_ASSERT(rc == (fits ? MG_OK : MG_ERROR),
	    "seal gave %d for route %zu, version %zu, upstream %zu bytes", rc,
	    rlen, vlen, s.upstream_len);
	if (rc != MG_OK)
		return;
	FUZZ_ASSERT(strlen(tok) <= MG_SESSION_TOKEN_MAX, "token too long");
	FUZZ_ASSERT(mg_session_open(key, tok, strlen(tok), &back) == MG_OK,
	    "a sealed token does not open");
	FUZZ_ASSERT(back.id == s.id && back.issued == s.issued &&
		strcmp(back.route, s.route) == 0 &&
		strcmp(back.version, s.version) == 0 &&
		back.upstream_len == s.upstream_len &&
		memcmp(back.upstream, s.upstream, s.upstream_len) == 0,
	    "a sealed session opens with other fields");
	FUZZ_ASSERT(mg_session_open_data(key, tok, strlen(tok), d, sizeof(d),
			&rlen) == MG_DECLINED,
	    "a session token opens as data");
	check_tampered(r, tok, strlen(tok));
}

static void
check_data(rd_t *r)
{
	uint8_t      in[MG_SESSION_DATA_MAX + 8], out[MG_SESSION_DATA_MAX];
	char         tok[MG_SESSION_DATA_TOKEN_MAX + 1];
	size_t       len = rd_u16(r) % sizeof(in);
	size_t       n = 0;
	mg_session_t s;
	int          rc;

	rd_mem(r, in, len);
	rc = mg_session_seal_data(key, in, len, tok, sizeof(tok));
	FUZZ_ASSERT(
	    rc == (len >= 1 && len <= MG_SESSION_DATA_MAX ? MG_OK : MG_ERROR),
	    "seal_data gave %d for %zu bytes", rc, len);
	if (rc != MG_OK)
		return;
	FUZZ_ASSERT(strlen(tok) <= MG_SESSION_DATA_TOKEN_MAX, "token too long");
	FUZZ_ASSERT(mg_session_open_data(
			key, tok, strlen(tok), out, sizeof(out), &n) == MG_OK &&
		n == len && memcmp(out, in, len) == 0,
	    "sealed data opens otherwise");
	if (len > 1)
		FUZZ_ASSERT(mg_session_open_data(key, tok, strlen(tok), out,
				len - 1, &n) == MG_DECLINED,
		    "data opens into too small a buffer");
	FUZZ_ASSERT(mg_session_open(key, tok, strlen(tok), &s) == MG_DECLINED,
	    "a data token opens as a session");
	check_tampered(r, tok, strlen(tok));
}

static void
check_other_key(rd_t *r)
{
	mg_session_t s, back;
	char         tok[MG_SESSION_TOKEN_MAX + 1];
	uint8_t      out[MG_SESSION_DATA_MAX];
	size_t       n;

	memset(&s, 0, sizeof(s));
	s.id = rd_u64(r);
	rd_mem(r, s.route, sizeof(s.route) - 1);
	FUZZ_ASSERT(
	    mg_session_seal(key, &s, tok, sizeof(tok)) == MG_OK, "seal");
	FUZZ_ASSERT(
	    mg_session_open(other, tok, strlen(tok), &back) == MG_DECLINED,
	    "a token opens with another key");
	FUZZ_ASSERT(mg_session_seal_data(other, s.route, sizeof(s.route), tok,
			sizeof(tok)) == MG_OK,
	    "seal_data");
	FUZZ_ASSERT(mg_session_open_data(key, tok, strlen(tok), out,
			sizeof(out), &n) == MG_DECLINED,
	    "data opens with another key");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* fixed keys, so that tokens in the corpus open */
	static const uint8_t ikm[] = "mcpgw fuzz_session key material, 32+";
	static const uint8_t ikm2[] = "mcpgw fuzz_session other key, 32 bytes";

	fuzz_quiet();
	key = mg_session_key_new(ikm, sizeof(ikm) - 1);
	other = mg_session_key_new(ikm2, sizeof(ikm2) - 1);
	if (key == NULL || other == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rd_t r = { data + 1, size > 0 ? size - 1 : 0 };

	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0: check_open((const char *)data + 1, size - 1); break;
	case 1: check_session(&r); break;
	case 2: check_data(&r); break;
	default: check_other_key(&r); break;
	}
	return 0;
}
