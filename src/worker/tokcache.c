/*
 * The verified-token cache (tokcache.h): chained buckets, and a list in
 * insertion order, whose head is the entry forgotten first when the cache
 * is full.  The hash covers the length and the last TC_HASHED bytes of a
 * token only: a JWS ends with its signature, which is as good as random,
 * and hashing all of a token of a kilobyte on every request would cost
 * more than the rest of the lookup.  Flooding a bucket is no concern:
 * only tokens whose signature verified get in, and a lookup compares the
 * whole token.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tokcache.h"

typedef struct tc_entry {
	struct tc_entry  *chain; /* in its bucket */
	struct tc_entry  *older; /* insertion order */
	struct tc_entry  *newer;
	uint64_t          hash;
	mg_tokcache_key_t key;   /* audience: owned copy */
	int64_t           until; /* seconds */
	mg_jwt_t          jwt;   /* claims: a reference */
	size_t            len;
	char              token[];
} tc_entry_t;

struct mg_tokcache {
	tc_entry_t **buckets;
	size_t       mask; /* buckets - 1, a power of two less one */
	size_t       n, max;
	tc_entry_t  *oldest, *newest;
};

#define TC_HASHED 32

/* FNV-1a over the length and the token's last TC_HASHED bytes. */
static uint64_t
tc_hash(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ len;
	size_t   i = len > TC_HASHED ? len - TC_HASHED : 0;

	for (h *= 0x100000001b3ULL; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

mg_tokcache_t *
mg_tokcache_new(size_t max)
{
	mg_tokcache_t *c = calloc(1, sizeof(*c));
	size_t         nb = 16;

	if (c == NULL)
		return NULL;
	while (nb < max && nb < ((size_t)1 << 24))
		nb <<= 1;
	if ((c->buckets = calloc(nb, sizeof(*c->buckets))) == NULL) {
		free(c);
		return NULL;
	}
	c->mask = nb - 1;
	c->max = max;
	return c;
}

static void
tc_unlink(mg_tokcache_t *c, tc_entry_t *e)
{
	tc_entry_t **pp = &c->buckets[e->hash & c->mask];

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->n--;
	mg_jwt_clear(&e->jwt);
	free((char *)e->key.audience);
	free(e);
}

void
mg_tokcache_free(mg_tokcache_t *c)
{
	if (c == NULL)
		return;
	while (c->oldest != NULL)
		tc_unlink(c, c->oldest);
	free(c->buckets);
	free(c);
}

static int
tc_same_key(const mg_tokcache_key_t *a, const mg_tokcache_key_t *b)
{
	if (a->block != b->block || a->keys != b->keys)
		return 0;
	if (a->audience == NULL || b->audience == NULL)
		return a->audience == b->audience;
	return strcmp(a->audience, b->audience) == 0;
}

const mg_jwt_t *
mg_tokcache_find(mg_tokcache_t *c, const mg_tokcache_key_t *k,
    const char *token, size_t len, int64_t now)
{
	uint64_t h = tc_hash(token, len);

	for (tc_entry_t *e = c->buckets[h & c->mask]; e != NULL; e = e->chain) {
		if (e->hash != h || e->len != len || !tc_same_key(&e->key, k) ||
		    memcmp(e->token, token, len) != 0)
			continue;
		if (e->until <= now) {
			tc_unlink(c, e);
			return NULL;
		}
		return &e->jwt;
	}
	return NULL;
}

int
mg_tokcache_put(mg_tokcache_t *c, const mg_tokcache_key_t *k, const char *token,
    size_t len, int64_t until, const mg_jwt_t *t)
{
	tc_entry_t *e;

	if (c->max == 0)
		return MG_OK;
	if ((e = calloc(1, sizeof(*e) + len)) == NULL)
		return MG_ERROR;
	e->key = *k;
	if (k->audience != NULL &&
	    (e->key.audience = strdup(k->audience)) == NULL) {
		free(e);
		return MG_ERROR;
	}
	while (c->n >= c->max)
		tc_unlink(c, c->oldest);
	e->hash = tc_hash(token, len);
	e->until = until;
	e->jwt = *t;
	e->jwt.claims = json_object_get(t->claims);
	e->len = len;
	memcpy(e->token, token, len);
	e->chain = c->buckets[e->hash & c->mask];
	c->buckets[e->hash & c->mask] = e;
	e->older = c->newest;
	if (c->newest != NULL)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->n++;
	return MG_OK;
}

size_t
mg_tokcache_count(const mg_tokcache_t *c)
{
	return c->n;
}
