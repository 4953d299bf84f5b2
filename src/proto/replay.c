/*
 * The replay buffer of an SSE stream (replay.h): bounded in bytes, pure
 * memory.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcpgw.h"
#include "replay.h"

/* What one event costs beyond its data: the record and an id line. */
#define EVENT_OVERHEAD 48

typedef struct event {
	struct event *next;
	unsigned      seq;
	size_t        len;
	char          data[];
} event_t;

struct mg_replay {
	event_t *head, *tail; /* oldest first */
	size_t   size, limit;
	unsigned last; /* the last event added; 0: none yet */
};

mg_replay_t *
mg_replay_new(size_t limit)
{
	mg_replay_t *r = calloc(1, sizeof(*r));

	if (r != NULL)
		r->limit = limit;
	return r;
}

static void
drop_oldest(mg_replay_t *r)
{
	event_t *e = r->head;

	r->head = e->next;
	if (r->head == NULL)
		r->tail = NULL;
	r->size -= e->len + EVENT_OVERHEAD;
	free(e);
}

void
mg_replay_free(mg_replay_t *r)
{
	if (r == NULL)
		return;
	while (r->head != NULL)
		drop_oldest(r);
	free(r);
}

int
mg_replay_add(mg_replay_t *r, unsigned seq, const char *data, size_t len)
{
	event_t *e;

	r->last = seq;
	if (len + EVENT_OVERHEAD > r->limit) {
		while (r->head != NULL)
			drop_oldest(r);
		return MG_OK;
	}
	while (r->head != NULL && r->size + len + EVENT_OVERHEAD > r->limit)
		drop_oldest(r);
	if ((e = malloc(sizeof(*e) + len)) == NULL) {
		while (r->head != NULL) /* a gap: nothing before it replays */
			drop_oldest(r);
		return MG_ERROR;
	}
	e->next = NULL;
	e->seq = seq;
	e->len = len;
	memcpy(e->data, data, len);
	if (r->tail)
		r->tail->next = e;
	else
		r->head = e;
	r->tail = e;
	r->size += len + EVENT_OVERHEAD;
	return MG_OK;
}

int
mg_replay_check(const mg_replay_t *r, unsigned seq)
{
	if (seq > r->last || seq == 0)
		return MG_ERROR;
	if (seq == r->last)
		return MG_OK; /* nothing missed */
	/* the event right after SEQ must still be held */
	return r->head != NULL && r->head->seq <= seq + 1 ? MG_OK : MG_DECLINED;
}

void
mg_replay_since(const mg_replay_t *r, unsigned seq,
    void (*cb)(void *arg, unsigned seq, const char *data, size_t len),
    void *arg)
{
	for (const event_t *e = r->head; e != NULL; e = e->next)
		if (e->seq > seq)
			cb(arg, e->seq, e->data, e->len);
}

size_t
mg_replay_size(const mg_replay_t *r)
{
	return r->size;
}

void
mg_replay_format_id(char *buf, uint64_t stream, unsigned seq)
{
	snprintf(buf, MG_REPLAY_ID_MAX, "%016llx-%u",
	    (unsigned long long)stream, seq);
}

int
mg_replay_parse_id(const char *text, uint64_t *stream, unsigned *seq)
{
	unsigned long long s = 0;
	unsigned long      n;
	char              *end;
	size_t             i;

	for (i = 0; i < 16; i++) {
		char c = text[i];
		int  d = c >= '0' && c <= '9' ? c - '0'
		     : c >= 'a' && c <= 'f'   ? c - 'a' + 10
					      : -1;

		if (d < 0)
			return MG_ERROR;
		s = s << 4 | (unsigned)d;
	}
	if (text[16] != '-' || text[17] < '0' || text[17] > '9')
		return MG_ERROR;
	errno = 0;
	n = strtoul(text + 17, &end, 10);
	if (errno != 0 || *end != '\0' || n > 0xffffffffUL)
		return MG_ERROR;
	*stream = s;
	*seq = (unsigned)n;
	return MG_OK;
}
