/*
 * The choice of a pool's member (pool.h), as pure functions: nginx's
 * smooth weighted round-robin, least connections, the hash that keeps a
 * homeless session on one member, and the tag a session id carries.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "mcpgw.h"
#include "pool.h"

/* Is V[I] a candidate of this pass: 0 members up, 1 backups up, 2 any. */
static int
pick_candidate(
    const mg_pick_t *v, size_t i, int pass, const unsigned char *tried)
{
	if (tried != NULL && tried[i])
		return 0;
	if (pass == 2)
		return 1;
	return !v[i].down && (v[i].backup != 0) == (pass == 1);
}

/* Is A's load (conns for its weight) below B's? */
static int
pick_lighter(const mg_pick_t *a, const mg_pick_t *b)
{
	return (int64_t)a->conns * b->weight < (int64_t)b->conns * a->weight;
}

/* Smooth weighted round-robin among the candidates C[N] (1: one): the
 * chosen one, or -1. */
static int
pick_swrr(mg_pick_t *v, size_t n, const unsigned char *c)
{
	int64_t total = 0;
	int     best = -1;

	for (size_t i = 0; i < n; i++) {
		if (!c[i])
			continue;
		v[i].current += v[i].weight;
		total += v[i].weight;
		if (best < 0 || v[i].current > v[best].current)
			best = (int)i;
	}
	if (best >= 0)
		v[best].current -= total;
	return best;
}

int
mg_pick(mg_pick_t *v, size_t n, int least_conn, const unsigned char *tried)
{
	unsigned char c[MG_POOL_MEMBERS_MAX];
	int           lightest, found;

	if (n > MG_POOL_MEMBERS_MAX)
		n = MG_POOL_MEMBERS_MAX;
	for (int pass = 0; pass < 3; pass++) {
		lightest = -1;
		found = 0;
		for (size_t i = 0; i < n; i++) {
			c[i] = (unsigned char)pick_candidate(v, i, pass, tried);
			found |= c[i];
			if (c[i] &&
			    (lightest < 0 || pick_lighter(&v[i], &v[lightest])))
				lightest = (int)i;
		}
		if (!found)
			continue;
		/* least_conn: only the lightest, and those as light */
		for (size_t i = 0; least_conn && i < n; i++)
			if (c[i] && pick_lighter(&v[lightest], &v[i]))
				c[i] = 0;
		return pick_swrr(v, n, c);
	}
	return -1;
}

/* A 32-bit mix of the session id's hash and a member's tag. */
static uint32_t
pick_mix(uint32_t h, uint32_t tag)
{
	h ^= tag;
	h ^= h >> 16;
	h *= 0x7feb352dU;
	h ^= h >> 15;
	h *= 0x846ca68bU;
	h ^= h >> 16;
	return h;
}

int
mg_pick_hash(const mg_pick_t *v, const uint32_t *tags, size_t n,
    const char *sid, const unsigned char *tried)
{
	uint32_t h = 2166136261u, best_score = 0, s;
	int      best = -1;

	for (const unsigned char *p = (const unsigned char *)sid; *p; p++)
		h = (h ^ *p) * 16777619u;
	/* members up first, then backups up; when all are down, any (as
	 * mg_pick) */
	for (int pass = 0; pass < 3 && best < 0; pass++)
		for (size_t i = 0; i < n; i++) {
			if ((tried != NULL && tried[i]) ||
			    (pass < 2 && v[i].down) ||
			    (pass == 0 && v[i].backup))
				continue;
			s = pick_mix(h, tags[i]);
			if (best < 0 || s > best_score) {
				best = (int)i;
				best_score = s;
			}
		}
	return best;
}

int
mg_pool_tag_sid(uint32_t tag, const char *sid, char *out, size_t size)
{
	size_t n = strlen(sid);

	if (n == 0 || MG_POOL_TAG_LEN + n + 1 > size)
		return MG_DECLINED;
	snprintf(out, size, "%08x.%s", (unsigned)tag, sid);
	return MG_OK;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
mg_pool_sid_tag(const char *sid, uint32_t *tag, const char **rest)
{
	uint32_t t = 0;
	int      d;

	for (int i = 0; i < MG_POOL_TAG_LEN - 1; i++) {
		if ((d = hex_digit(sid[i])) < 0)
			return 0; /* also the end of a short id */
		t = t << 4 | (uint32_t)d;
	}
	if (sid[MG_POOL_TAG_LEN - 1] != '.' || sid[MG_POOL_TAG_LEN] == '\0')
		return 0;
	*tag = t;
	*rest = sid + MG_POOL_TAG_LEN;
	return 1;
}
