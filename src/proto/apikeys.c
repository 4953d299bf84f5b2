/*
 * The keys file of auth_keys made into a lookup table (apikeys.h).
 *
 * The table is open addressing over the digests, indexed by a digest's
 * first bytes (already uniform: no other hash is needed), at most half
 * full so that a miss ends on an empty slot soon.  Every slot on the way
 * is compared with CRYPTO_memcmp: how long a lookup takes depends on the
 * digest of what the client sent, which tells it nothing about the keys.
 *
 * A refusal never quotes a hash or a key: a line that holds a key
 * instead of its hash must not put the key into a log.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "apikeys.h"
#include "mcpgw.h"

typedef struct {
	uint8_t d[MG_APIKEY_DIGEST];
	char   *name; /* NULL: an empty slot */
	int     line;
} apikey_t;

struct mg_apikeys {
	apikey_t *slots; /* mask + 1 of them */
	size_t    mask;
	size_t    n;
	EVP_MD   *md; /* SHA-256, fetched once */
};

/* The keys as read, in file order, before the table is built. */
typedef struct {
	apikey_t *v;
	size_t    n, cap;
} apikey_list_t;

static int __attribute__((format(printf, 3, 4)))
apikeys_err(mg_apikeys_err_t *err, int line, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->why, sizeof(err->why), fmt, ap);
	va_end(ap);
	return MG_ERROR;
}

static int
apikeys_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The word at *P (before END), and *P past it. */
static size_t
apikeys_word(const char **p, const char *end, const char **w)
{
	while (*p < end && apikeys_blank(**p))
		(*p)++;
	*w = *p;
	while (*p < end && !apikeys_blank(**p))
		(*p)++;
	return (size_t)(*p - *w);
}

static int
apikeys_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > MG_APIKEY_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

static int
apikeys_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
apikeys_unhex(const char *s, size_t n, uint8_t d[MG_APIKEY_DIGEST])
{
	int hi, lo;

	if (n != 2 * MG_APIKEY_DIGEST)
		return MG_ERROR;
	for (size_t i = 0; i < MG_APIKEY_DIGEST; i++) {
		if ((hi = apikeys_hex(s[2 * i])) < 0 ||
		    (lo = apikeys_hex(s[2 * i + 1])) < 0)
			return MG_ERROR;
		d[i] = (uint8_t)(hi << 4 | lo);
	}
	return MG_OK;
}

static int
apikeys_add(apikey_list_t *l, const char *name, size_t n,
    const uint8_t d[MG_APIKEY_DIGEST], int line)
{
	apikey_t *v;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			return MG_ERROR;
		l->v = v;
	}
	v = &l->v[l->n];
	if ((v->name = malloc(n + 1)) == NULL)
		return MG_ERROR;
	memcpy(v->name, name, n);
	v->name[n] = '\0';
	memcpy(v->d, d, MG_APIKEY_DIGEST);
	v->line = line;
	l->n++;
	return MG_OK;
}

/* One line [P, END): nothing, or a key added to L. */
static int
apikeys_line(apikey_list_t *l, const char *p, const char *end, int line,
    mg_apikeys_err_t *err)
{
	const char *name, *hash, *rest;
	size_t      nname, nhash;
	uint8_t     d[MG_APIKEY_DIGEST];

	if ((nname = apikeys_word(&p, end, &name)) == 0 || *name == '#')
		return MG_OK;
	nhash = apikeys_word(&p, end, &hash);
	if (apikeys_word(&p, end, &rest) > 0 && *rest != '#')
		nhash = 0; /* a third word */
	if (nhash == 0)
		return apikeys_err(
		    err, line, "invalid line (want \"NAME SHA256-HEX\")");
	if (!apikeys_name_ok(name, nname))
		return apikeys_err(err, line, "invalid key name \"%.*s\"",
		    nname > 64 ? 64 : (int)nname, name);
	if (apikeys_unhex(hash, nhash, d) != MG_OK)
		return apikeys_err(err, line,
		    "invalid hash for \"%.*s\" (want 64 hex digits: the "
		    "SHA-256 of the key)",
		    (int)nname, name);
	if (apikeys_add(l, name, nname, d, line) != MG_OK)
		return apikeys_err(err, 0, "out of memory");
	return MG_OK;
}

static size_t
apikeys_slot(const uint8_t d[MG_APIKEY_DIGEST])
{
	uint64_t h;

	memcpy(&h, d, sizeof(h));
	return (size_t)h;
}

static uint64_t
apikeys_fnv(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return h;
}

/* The entry before L's I-th with its name, or NULL; either way the I-th
 * goes into NAMES (indices + 1, 0: empty), a table over the names. */
static const apikey_t *
apikeys_named(const apikey_list_t *l, uint32_t *names, size_t mask, size_t i)
{
	size_t j;

	for (j = apikeys_fnv(l->v[i].name) & mask; names[j] != 0;
	     j = (j + 1) & mask)
		if (strcmp(l->v[names[j] - 1].name, l->v[i].name) == 0)
			return &l->v[names[j] - 1];
	names[j] = (uint32_t)i + 1;
	return NULL;
}

/* The slot of K that holds digest D, or the empty one where it goes. */
static apikey_t *
apikeys_at(const mg_apikeys_t *k, const uint8_t d[MG_APIKEY_DIGEST])
{
	size_t j = apikeys_slot(d) & k->mask;

	while (k->slots[j].name != NULL &&
	    memcmp(k->slots[j].d, d, MG_APIKEY_DIGEST) != 0)
		j = (j + 1) & k->mask;
	return &k->slots[j];
}

/* Every key of L into K's slots, in file order, so that a second name or
 * hash is refused at its own line.  The slots borrow L's names; the
 * caller gives them to K once all went in. */
static int
apikeys_fill(mg_apikeys_t *k, apikey_list_t *l, mg_apikeys_err_t *err)
{
	size_t          cap = 16;
	uint32_t       *names;
	const apikey_t *first;
	apikey_t       *e, *s;
	int             rc = MG_OK;

	while (cap < 2 * l->n)
		cap *= 2;
	k->slots = calloc(cap, sizeof(*k->slots));
	if (k->slots == NULL || (names = calloc(cap, sizeof(*names))) == NULL)
		return apikeys_err(err, 0, "out of memory");
	k->mask = cap - 1;
	for (size_t i = 0; i < l->n && rc == MG_OK; i++) {
		e = &l->v[i];
		if ((first = apikeys_named(l, names, k->mask, i)) != NULL)
			rc = apikeys_err(err, e->line,
			    "duplicate key name \"%s\" (first at line %d)",
			    e->name, first->line);
		else if ((s = apikeys_at(k, e->d))->name != NULL)
			rc = apikeys_err(err, e->line,
			    "\"%s\" has the same key as \"%s\" (line %d)",
			    e->name, s->name, s->line);
		else {
			*s = *e;
			k->n++;
		}
	}
	free(names);
	return rc;
}

static int
apikeys_build(mg_apikeys_t *k, apikey_list_t *l, mg_apikeys_err_t *err)
{
	int rc = apikeys_fill(k, l, err);

	for (size_t i = 0; i < l->n; i++)
		if (rc == MG_OK)
			l->v[i].name = NULL; /* the table's now */
	for (size_t j = 0; rc != MG_OK && k->slots != NULL && j <= k->mask; j++)
		k->slots[j].name = NULL; /* the list's still */
	return rc;
}

static void
apikeys_list_free(apikey_list_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
}

mg_apikeys_t *
mg_apikeys_parse(const char *text, size_t len, mg_apikeys_err_t *err)
{
	apikey_list_t l = { NULL, 0, 0 };
	mg_apikeys_t *k = calloc(1, sizeof(*k));
	const char   *p = text, *end = text + len, *nl;
	int           line = 1, rc = MG_OK;

	if (k == NULL || (k->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		rc = apikeys_err(err, 0, "out of memory");
	for (; rc == MG_OK && p < end; p = nl + 1, line++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (memchr(p, '\0', (size_t)(nl - p)) != NULL)
			rc = apikeys_err(err, line, "a NUL byte");
		else
			rc = apikeys_line(&l, p, nl, line, err);
	}
	if (rc == MG_OK)
		rc = apikeys_build(k, &l, err);
	apikeys_list_free(&l);
	if (rc != MG_OK) {
		mg_apikeys_free(k);
		return NULL;
	}
	return k;
}

size_t
mg_apikeys_count(const mg_apikeys_t *keys)
{
	return keys->n;
}

int
mg_apikeys_digest(const mg_apikeys_t *keys, const void *key, size_t len,
    uint8_t out[MG_APIKEY_DIGEST])
{
	unsigned int n = 0;

	if (EVP_Digest(key, len, out, &n, keys->md, NULL) != 1 ||
	    n != MG_APIKEY_DIGEST)
		return MG_ERROR;
	return MG_OK;
}

const char *
mg_apikeys_find(const mg_apikeys_t *keys, const uint8_t d[MG_APIKEY_DIGEST])
{
	const apikey_t *s;

	for (size_t j = apikeys_slot(d) & keys->mask;
	     (s = &keys->slots[j])->name != NULL; j = (j + 1) & keys->mask)
		if (CRYPTO_memcmp(s->d, d, MG_APIKEY_DIGEST) == 0)
			return s->name;
	return NULL;
}

void
mg_apikeys_free(mg_apikeys_t *keys)
{
	if (keys == NULL)
		return;
	if (keys->slots != NULL)
		for (size_t j = 0; j <= keys->mask; j++)
			free(keys->slots[j].name);
	EVP_MD_free(keys->md);
	free(keys->slots);
	free(keys);
}
