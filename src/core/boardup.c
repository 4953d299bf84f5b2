/*
 * The status board's upstream records (board.h): keyed by name, written
 * by the running generation's connector only, their texts under a
 * sequence count.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "board_int.h"

static up_rec_t **bound;     /* the connector's, by upstream index */
static int        nbound;    /* entries of bound */
static int        bound_gen; /* the generation it bound for */

/* ---- upstream records ------------------------------------------------- */

static void
text_begin(up_rec_t *u)
{
	atomic_fetch_add_explicit(&u->seq, 1, RLX);
	atomic_thread_fence(memory_order_release);
}

static void
text_end(up_rec_t *u)
{
	atomic_fetch_add_explicit(&u->seq, 1, memory_order_release);
}

/* Copy NAME and TEXT of U as they were between two writes: MG_OK, or
 * MG_AGAIN when a writer kept changing them. */
static int
text_read(const up_rec_t *u, char *name, char *text)
{
	for (int tries = 0; tries < 8; tries++) {
		unsigned s =
		    atomic_load_explicit(&u->seq, memory_order_acquire);

		if (s & 1)
			continue;
		memcpy(name, u->name, MG_BOARD_NAME);
		if (text != NULL)
			memcpy(text, u->text, MG_BOARD_TEXT);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&u->seq, RLX) == s) {
			name[MG_BOARD_NAME - 1] = '\0';
			if (text != NULL)
				text[MG_BOARD_TEXT - 1] = '\0';
			return MG_OK;
		}
	}
	return MG_AGAIN;
}

static up_rec_t *
up_find(const char *name)
{
	char n[MG_BOARD_NAME];

	for (int i = 0; i < MG_BOARD_UPSTREAMS; i++)
		if (text_read(&mg_board_map->ups[i], n, NULL) == MG_OK &&
		    strcmp(n, name) == 0)
			return &mg_board_map->ups[i];
	return NULL;
}

static int
named(const char *name, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* A record for NAME: a free one, or one whose name is not in NAMES. */
static up_rec_t *
up_claim(const char *name, const char *const *names, int n)
{
	up_rec_t *u = NULL;

	for (int i = 0; u == NULL && i < MG_BOARD_UPSTREAMS; i++)
		if (mg_board_map->ups[i].name[0] == '\0')
			u = &mg_board_map->ups[i];
	for (int i = 0; u == NULL && i < MG_BOARD_UPSTREAMS; i++)
		if (!named(mg_board_map->ups[i].name, names, n))
			u = &mg_board_map->ups[i];
	if (u == NULL)
		return NULL;
	text_begin(u);
	memset(u->name, 0, sizeof(u->name));
	memcpy(u->name, name, strlen(name));
	u->text[0] = '\0';
	atomic_store(&u->state, MG_BOARD_UNKNOWN);
	atomic_store(&u->ok_ms, 0);
	atomic_store(&u->err_ms, 0);
	atomic_store(&u->procs, 0);
	atomic_store(&u->ok, 0);
	atomic_store(&u->failed, 0);
	text_end(u);
	return u;
}

void
mg_board_bind_upstreams(int generation, const char *const *names, int n)
{
	free(bound);
	bound = NULL;
	nbound = 0;
	if (mg_board_map == NULL || n <= 0 ||
	    atomic_load(&mg_board_map->generation) != generation ||
	    (bound = calloc((size_t)n, sizeof(*bound))) == NULL)
		return;
	nbound = n;
	bound_gen = generation;
	for (int i = 0; i < n; i++) {
		if (names[i] == NULL || strlen(names[i]) >= MG_BOARD_NAME)
			continue; /* shown as unknown */
		if ((bound[i] = up_find(names[i])) == NULL)
			bound[i] = up_claim(names[i], names, n);
		else /* an older connector's processes are not ours */
			atomic_store(&bound[i]->procs, 0);
	}
}

/* Upstream I's record, if this connector still writes the board. */
static up_rec_t *
up_mine(int i)
{
	if (i < 0 || i >= nbound || bound[i] == NULL ||
	    atomic_load_explicit(&mg_board_map->generation, RLX) != bound_gen)
		return NULL;
	return bound[i];
}

/* The length of the valid UTF-8 character at P (of N bytes), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] < 0x80           ? 1
	    : p[0] >= 0xC2 && p[0] <= 0xDF ? 2
	    : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
	    : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4
					   : 0;

	if (len == 0 || len > n)
		return 0;
	for (size_t k = 1; k < len; k++)
		if ((p[k] & 0xC0) != 0x80)
			return 0;
	return len;
}

/* WHY into the record, cut at a character's start; controls become
 * spaces, bytes that are not UTF-8 '?': it came from the upstream, and
 * the page's JSON must stay valid UTF-8. */
static void
text_set(up_rec_t *u, const char *why)
{
	const unsigned char *p = (const unsigned char *)why;
	size_t               n = strlen(why), o = 0, len;

	text_begin(u);
	for (size_t i = 0; i < n; i += len) {
		if ((len = utf8_len(p + i, n - i)) == 0) {
			len = 1;
			if (o + 1 >= MG_BOARD_TEXT)
				break;
			u->text[o++] = '?';
			continue;
		}
		if (o + len >= MG_BOARD_TEXT)
			break;
		if (len == 1 && (p[i] < 0x20 || p[i] == 0x7f))
			u->text[o++] = ' ';
		else
			for (size_t k = 0; k < len; k++)
				u->text[o++] = (char)p[i + k];
	}
	u->text[o] = '\0';
	text_end(u);
}

void
mg_board_up_result(int i, int ok, const char *why)
{
	up_rec_t *u = up_mine(i);

	if (u == NULL)
		return;
	if (ok) {
		atomic_store_explicit(&u->ok_ms, mg_board_wall_ms(), RLX);
		atomic_fetch_add_explicit(&u->ok, 1, RLX);
		atomic_store_explicit(&u->state, MG_BOARD_OK, RLX);
		return;
	}
	text_set(u, why != NULL && *why ? why : "failed");
	atomic_store_explicit(&u->err_ms, mg_board_wall_ms(), RLX);
	atomic_fetch_add_explicit(&u->failed, 1, RLX);
	atomic_store_explicit(&u->state, MG_BOARD_FAILING, RLX);
}

void
mg_board_up_procs(int i, int n)
{
	up_rec_t *u = up_mine(i);

	if (u != NULL)
		atomic_store_explicit(&u->procs, n, RLX);
}

int
mg_board_upstream(const char *name, mg_board_up_t *out)
{
	char      n[MG_BOARD_NAME];
	up_rec_t *u;

	*out = (mg_board_up_t){ 0 };
	if (mg_board_map == NULL || (u = up_find(name)) == NULL ||
	    text_read(u, n, out->last_error) != MG_OK || strcmp(n, name) != 0)
		return MG_DECLINED;
	out->state = atomic_load_explicit(&u->state, RLX);
	out->last_ok_ms = atomic_load_explicit(&u->ok_ms, RLX);
	out->last_error_ms = atomic_load_explicit(&u->err_ms, RLX);
	out->procs = atomic_load_explicit(&u->procs, RLX);
	out->ok = atomic_load_explicit(&u->ok, RLX);
	out->failed = atomic_load_explicit(&u->failed, RLX);
	return MG_OK;
}
