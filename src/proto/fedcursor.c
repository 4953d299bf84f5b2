/*
 * A federated list's cursor in bytes: which members still have pages and
 * each one's own cursor, bound to the list method and the route (a hash
 * of what names the location's members).  The worker seals the bytes;
 * unpacking is strict all the same (every length checked, no leftover),
 * since a key may be shared with other instances.
 *
 *   version 1 | route (4, big-endian) | method | n |
 *   n x (member | cursor length (2, big-endian) | cursor)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fedname.h"

#define FED_CURSOR_VERSION 1
#define FED_CURSOR_HEAD 7
#define FED_NLISTS 4

static uint32_t
fed_fnv(uint32_t h, const char *s)
{
	/* the NUL too, so that "ab","c" and "a","bc" differ */
	do {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	} while (*s++ != '\0');
	return h;
}

uint32_t
mg_fed_route_hash(const mg_location_t *loc)
{
	uint32_t h = 2166136261u;

	h = fed_fnv(h, loc->exact ? "=" : "");
	h = fed_fnv(h, loc->path);
	h = fed_fnv(h, loc->name_sep ? loc->name_sep : "");
	h = fed_fnv(h, loc->uri_sep ? loc->uri_sep : "");
	for (const mg_member_t *m = loc->members; m != NULL; m = m->next) {
		h = fed_fnv(h, m->name);
		h = fed_fnv(h, m->prefix ? m->prefix : "");
	}
	return h;
}

int
mg_fed_cursor_pack(
    const mg_fed_cursor_t *c, uint8_t *out, size_t outlen, size_t *n)
{
	size_t at = FED_CURSOR_HEAD, len;
	int    prev = -1;

	if (c->n < 0 || c->n > MG_FED_MAX_MEMBERS || c->method >= FED_NLISTS ||
	    outlen < FED_CURSOR_HEAD)
		return MG_DECLINED;
	out[0] = FED_CURSOR_VERSION;
	for (int i = 0; i < 4; i++)
		out[1 + i] = (uint8_t)(c->route >> (24 - 8 * i));
	out[5] = c->method;
	out[6] = (uint8_t)c->n;
	for (int i = 0; i < c->n; i++) {
		const mg_fed_page_t *p = &c->page[i];

		if (p->member <= prev || p->member >= MG_FED_MAX_MEMBERS ||
		    p->cursor == NULL || (len = strlen(p->cursor)) > 0xffff ||
		    outlen - at < 3 + len)
			return MG_DECLINED;
		out[at] = (uint8_t)p->member;
		out[at + 1] = (uint8_t)(len >> 8);
		out[at + 2] = (uint8_t)len;
		memcpy(out + at + 3, p->cursor, len);
		at += 3 + len;
		prev = p->member;
	}
	*n = at;
	return MG_OK;
}

void
mg_fed_cursor_clear(mg_fed_cursor_t *c)
{
	for (int i = 0; i < c->n && i < MG_FED_MAX_MEMBERS; i++)
		free(c->page[i].cursor);
	memset(c, 0, sizeof(*c));
}

/* One page at IN + *AT into P: MG_OK, MG_DECLINED, MG_ERROR. */
static int
fed_page_unpack(
    const uint8_t *in, size_t n, size_t *at, int prev, mg_fed_page_t *p)
{
	size_t len;

	if (n - *at < 3)
		return MG_DECLINED;
	p->member = in[*at];
	len = (size_t)in[*at + 1] << 8 | in[*at + 2];
	if (p->member <= prev || p->member >= MG_FED_MAX_MEMBERS ||
	    n - *at - 3 < len || memchr(in + *at + 3, '\0', len) != NULL)
		return MG_DECLINED;
	if ((p->cursor = malloc(len + 1)) == NULL)
		return MG_ERROR;
	memcpy(p->cursor, in + *at + 3, len);
	p->cursor[len] = '\0';
	*at += 3 + len;
	return MG_OK;
}

int
mg_fed_cursor_unpack(const uint8_t *in, size_t n, mg_fed_cursor_t *c)
{
	size_t at = FED_CURSOR_HEAD;
	int    rc = MG_OK, count;

	memset(c, 0, sizeof(*c));
	if (n < FED_CURSOR_HEAD || in[0] != FED_CURSOR_VERSION ||
	    in[5] >= FED_NLISTS || in[6] > MG_FED_MAX_MEMBERS)
		return MG_DECLINED;
	c->route = (uint32_t)in[1] << 24 | (uint32_t)in[2] << 16 |
	    (uint32_t)in[3] << 8 | in[4];
	c->method = in[5];
	count = in[6];
	while (c->n < count && rc == MG_OK) {
		rc = fed_page_unpack(in, n, &at,
		    c->n > 0 ? c->page[c->n - 1].member : -1, &c->page[c->n]);
		if (rc == MG_OK)
			c->n++;
	}
	if (rc == MG_OK && at != n)
		rc = MG_DECLINED;
	if (rc != MG_OK)
		mg_fed_cursor_clear(c);
	return rc;
}
