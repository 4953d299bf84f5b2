/*
 * The SSE parser (sse.c), as the connector reads upstream streams.
 *
 * Input: a byte that picks the event limit (high bit: a small one, so
 * that the limit is reached), a byte that seeds how the stream is cut,
 * then the stream.  Properties:
 *   - the stream fed whole and fed in pieces gives the same events and
 *     the same result (a parser that depends on where reads end would
 *     misread upstreams at random);
 *   - every event is well formed: data NUL-terminated at data_len, a
 *     type without NUL, retry -1 or more;
 *   - what the encoder writes (an event made of parts of the input, a
 *     comment, a retry) is read back as it was written.
 * The same input is also a JSON body streamed a message a line, as the
 * connector reads one (jsonseq.c): fed whole and in pieces it gives the
 * same messages and result (the reason aside); no message is over the
 * limit; a message of
 * a sequence is one JSON object or array with nothing after it, a
 * response exactly when it says so; a body without a newline is given
 * whole, as it came (but read as a sequence from its first byte, as a
 * listen's is: mg_jsonseq_begin); a refusal says why.
 */
#include "config.h"

#include <string.h>

#include <event2/buffer.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "jsonseq.h"
#include "sse.h"

/* The events a parser gave, serialized, to compare two runs. */
static void
record_cb(void *arg, const mg_sse_event_t *ev)
{
	struct evbuffer *out = arg;

	FUZZ_ASSERT(ev->data != NULL && ev->data[ev->data_len] == '\0',
	    "data not NUL-terminated at data_len %zu", ev->data_len);
	FUZZ_ASSERT(ev->has_data || ev->data_len == 0, "data without has_data");
	FUZZ_ASSERT(ev->type != NULL && ev->type[0] != '\0', "empty type");
	FUZZ_ASSERT(ev->last_id != NULL, "no last_id");
	FUZZ_ASSERT(ev->id == NULL || strcmp(ev->id, ev->last_id) == 0,
	    "id \"%s\" is not the last id \"%s\"", ev->id, ev->last_id);
	FUZZ_ASSERT(ev->retry >= -1, "retry %ld", ev->retry);
	evbuffer_add_printf(out, "event %d %s|%s|%s|%ld|%d|%zu|",
	    ev->id != NULL, ev->id ? ev->id : "", ev->last_id, ev->type,
	    ev->retry, ev->has_data, ev->data_len);
	evbuffer_add(out, ev->data, ev->data_len);
	evbuffer_add(out, "\n", 1);
}

/* Feed P..P+LEN to a new parser in pieces of 1 to 16 bytes drawn from
 * SEED (0: whole); the events and the result go to OUT. */
/* The next piece of LEFT bytes: all of them with SEED 0, else 1 to 16
 * as the seed says (it moves on). */
static size_t
piece(unsigned *seed, size_t left)
{
	size_t n;

	if (*seed == 0)
		return left;
	*seed = *seed * 1103515245u + 12345u;
	n = 1 + (*seed >> 16) % 16;
	return n < left ? n : left;
}

static void
parse(
    const char *p, size_t len, size_t max, unsigned seed, struct evbuffer *out)
{
	mg_sse_parser_t *sp = mg_sse_parser_new(max, record_cb, out);
	size_t           off = 0, n;
	int              rc = MG_OK;

	FUZZ_ASSERT(sp != NULL, "no parser");
	while (off < len && rc == MG_OK) {
		n = piece(&seed, len - off);
		rc = mg_sse_parser_feed(sp, p + off, n);
		off += n;
	}
	evbuffer_add_printf(out, "rc %d\n", rc);
	mg_sse_parser_free(sp);
}

static void
check_pieces(const char *p, size_t len, size_t max, unsigned seed)
{
	struct evbuffer *whole = evbuffer_new(), *cut = evbuffer_new();
	size_t           n;

	parse(p, len, max, 0, whole);
	parse(p, len, max, seed | 1, cut);
	n = evbuffer_get_length(whole);
	FUZZ_ASSERT(n == evbuffer_get_length(cut) &&
		memcmp(evbuffer_pullup(whole, -1), evbuffer_pullup(cut, -1),
		    n) == 0,
	    "the stream fed in pieces reads otherwise than fed whole");
	evbuffer_free(whole);
	evbuffer_free(cut);
}

/* What a reader makes of DATA's lines: each end ("\r\n", "\r", "\n")
 * one "\n". */
static size_t
normalize(const char *data, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\r') {
			out[o++] = '\n';
			if (i + 1 < len && data[i + 1] == '\n')
				i++;
		} else
			out[o++] = data[i];
	}
	return o;
}

typedef struct {
	int    n;
	char   id[32], type[32];
	int    has_id;
	long   retry;
	char   data[4096];
	size_t data_len;
} seen_t;

static void
seen_cb(void *arg, const mg_sse_event_t *ev)
{
	seen_t *s = arg;

	if (++s->n > 2)
		return;
	snprintf(s->type, sizeof(s->type), "%s", ev->type);
	s->has_id = ev->id != NULL;
	snprintf(s->id, sizeof(s->id), "%s", ev->id ? ev->id : "");
	s->retry = ev->retry;
	if (s->n == 2 && ev->data_len <= sizeof(s->data)) {
		memcpy(s->data, ev->data, ev->data_len);
		s->data_len = ev->data_len;
	}
}

/* A C string of the input's first bytes (at most 15, up to a NUL). */
static void
cstr(const char *p, size_t len, char out[16])
{
	size_t n = strnlen(p, len < 15 ? len : 15);

	memcpy(out, p, n);
	out[n] = '\0';
}

static void
check_encoder(const char *p, size_t len)
{
	struct evbuffer *out = evbuffer_new();
	char             id[16], type[16], text[16], norm[4096];
	int              bad_id, bad_type, bad_text;
	unsigned         ms = 0;
	seen_t           s = { 0 };
	mg_sse_parser_t *sp = mg_sse_parser_new(0, seen_cb, &s);

	if (len > sizeof(norm))
		len = sizeof(norm);
	cstr(p, len, id);
	cstr(len > 16 ? p + 16 : "", len > 16 ? len - 16 : 0, type);
	cstr(len > 32 ? p + 32 : "", len > 32 ? len - 32 : 0, text);
	memcpy(&ms, p, len < sizeof(ms) ? len : sizeof(ms));
	bad_id = strpbrk(id, "\r\n") != NULL;
	bad_type = strpbrk(type, "\r\n") != NULL;
	bad_text = strpbrk(text, "\r\n") != NULL;
	FUZZ_ASSERT((mg_sse_write_comment(out, text) == MG_OK) == !bad_text,
	    "comment \"%s\"", text);
	FUZZ_ASSERT(mg_sse_write_retry(out, ms) == MG_OK, "retry %u", ms);
	FUZZ_ASSERT((mg_sse_write_event(out, id, type, p, len) == MG_OK) ==
		!(bad_id || bad_type),
	    "event id \"%s\" type \"%s\"", id, type);
	if (bad_id || bad_type)
		FUZZ_ASSERT(
		    mg_sse_write_event(out, NULL, NULL, p, len) == MG_OK,
		    "an event of data alone");
	FUZZ_ASSERT(
	    mg_sse_parser_feed(sp, (const char *)evbuffer_pullup(out, -1),
		evbuffer_get_length(out)) == MG_OK,
	    "the encoder's stream is refused");
	FUZZ_ASSERT(s.n == 2, "%d events read back, not 2", s.n);
	FUZZ_ASSERT(s.data_len == normalize(p, len, norm) &&
		memcmp(s.data, norm, s.data_len) == 0,
	    "the data read back differs");
	FUZZ_ASSERT(s.retry == -1, "retry %ld on the event", s.retry);
	if (!(bad_id || bad_type)) {
		FUZZ_ASSERT(s.has_id && strcmp(s.id, id) == 0,
		    "id \"%s\" read back as \"%s\"", id, s.id);
		FUZZ_ASSERT(strcmp(s.type, type[0] ? type : "message") == 0,
		    "type \"%s\" read back as \"%s\"", type, s.type);
	}
	mg_sse_parser_free(sp);
	evbuffer_free(out);
}

/* The retry block alone: its value, no data. */
static void
check_retry(const char *p, size_t len)
{
	struct evbuffer *out = evbuffer_new();
	unsigned         ms = 0;
	seen_t           s = { 0 };
	mg_sse_parser_t *sp = mg_sse_parser_new(0, seen_cb, &s);

	memcpy(&ms, p, len < sizeof(ms) ? len : sizeof(ms));
	mg_sse_write_retry(out, ms);
	mg_sse_parser_feed(sp, (const char *)evbuffer_pullup(out, -1),
	    evbuffer_get_length(out));
	FUZZ_ASSERT(s.n == 1 && s.retry == (long)ms && !s.has_id,
	    "retry %u read back as %ld (%d events)", ms, s.retry, s.n);
	mg_sse_parser_free(sp);
	evbuffer_free(out);
}

typedef struct {
	struct evbuffer *out;
	size_t           max;
	const char      *body; /* the whole input */
	size_t           body_len;
	int              begin; /* a sequence from the first byte */
} seq_run_t;

static void
seq_cb(void *arg, const char *msg, size_t len, int response)
{
	seq_run_t *r = arg;
	int        nl = r->begin || memchr(r->body, '\n', r->body_len) != NULL;
	struct json_object  *root, *v;
	struct json_tokener *tok;

	FUZZ_ASSERT(
	    len <= r->max, "a message of %zu bytes, limit %zu", len, r->max);
	if (!nl) {
		FUZZ_ASSERT(response && len == r->body_len &&
			memcmp(msg, r->body, len) == 0,
		    "a body without a newline is not given whole");
	} else {
		tok = json_tokener_new_ex(64);
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
		root = json_tokener_parse_ex(tok, msg, (int)len);
		FUZZ_ASSERT(
		    json_tokener_get_error(tok) == json_tokener_success &&
			json_tokener_get_parse_end(tok) == len,
		    "a message of a sequence is not one JSON value alone");
		FUZZ_ASSERT(json_object_is_type(root, json_type_object) ||
			json_object_is_type(root, json_type_array),
		    "a message of a sequence is no object or array");
		FUZZ_ASSERT(response ==
			(json_object_is_type(root, json_type_array) ||
			    (!json_object_object_get_ex(root, "method", &v) &&
				(json_object_object_get_ex(
				     root, "result", &v) ||
				    json_object_object_get_ex(
					root, "error", &v)))),
		    "response %d for a message that is otherwise", response);
		json_object_put(root);
		json_tokener_free(tok);
	}
	evbuffer_add_printf(r->out, "msg %d %zu|", response, len);
	evbuffer_add(r->out, msg, len);
}

/* P as a streamed JSON body, in pieces drawn from SEED (0: whole). */
static void
seq_parse(const char *p, size_t len, size_t max, unsigned seed, int begin,
    struct evbuffer *out)
{
	seq_run_t     r = { out, max, p, len, begin };
	mg_jsonseq_t *sp = mg_jsonseq_new(max, seq_cb, &r);
	size_t        off = 0, n;
	int           rc = MG_OK;

	FUZZ_ASSERT(sp != NULL, "no parser");
	if (begin)
		rc = mg_jsonseq_begin(sp);
	while (off < len && rc == MG_OK) {
		n = piece(&seed, len - off);
		rc = mg_jsonseq_feed(sp, p + off, n);
		off += n;
	}
	if (rc == MG_OK)
		rc = mg_jsonseq_end(sp);
	FUZZ_ASSERT((rc == MG_OK) == (mg_jsonseq_error(sp)[0] == '\0'),
	    "result %d, error \"%s\"", rc, mg_jsonseq_error(sp));
	/* the reason may differ with the cut, the message that failed may
	 * not: json-c, fed in pieces, notices some bad numbers later ("2-"
	 * then "," at once whole; in pieces at the message's end) */
	FUZZ_ASSERT(rc == MG_OK || strlen(mg_jsonseq_error(sp)) > 0,
	    "a refusal without a reason");
	evbuffer_add_printf(out, "rc %d %zu\n", rc, mg_jsonseq_count(sp));
	mg_jsonseq_free(sp);
}

static void
check_jsonseq(const char *p, size_t len, size_t max, unsigned seed, int begin)
{
	struct evbuffer *whole = evbuffer_new(), *cut = evbuffer_new();
	size_t           n;

	seq_parse(p, len, max, 0, begin, whole);
	seq_parse(p, len, max, seed | 1, begin, cut);
	n = evbuffer_get_length(whole);
	FUZZ_ASSERT(n == evbuffer_get_length(cut) &&
		memcmp(evbuffer_pullup(whole, -1), evbuffer_pullup(cut, -1),
		    n) == 0,
	    "the body fed in pieces reads otherwise than fed whole");
	evbuffer_free(whole);
	evbuffer_free(cut);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 2;
	size_t      max = 0;

	if (size < 2)
		return 0;
	if (data[0] & 0x80)
		max = 1 + (size_t)(data[0] & 0x7f) * 8;
	check_pieces(p, size - 2, max, data[1]);
	check_jsonseq(p, size - 2, max ? max : MG_SSE_MAX_EVENT, data[1], 0);
	check_jsonseq(p, size - 2, max ? max : MG_SSE_MAX_EVENT, data[1], 1);
	check_encoder(p, size - 2);
	check_retry(p, size - 2);
	return 0;
}
