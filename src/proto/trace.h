/*
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the
 * traceparent and tracestate header values read, checked and written.
 * Pure functions over buffers: no I/O, no globals (the ids' generator is
 * in traceid.c).
 *
 * A value that breaks the rules is not an error to anyone: the caller
 * treats it as absent (a new trace, no tracestate), as the spec says.
 */
#ifndef MG_TRACE_H
#define MG_TRACE_H

#include <stddef.h>
#include <stdint.h>

/* "00-" 32 hex "-" 16 hex "-" 2 hex */
#define MG_TRACEPARENT_LEN 55
/* A tracestate propagated: the spec's 32 list members and the 512
 * characters it asks every vendor to pass on (longer ones are cut by
 * whole members, as it says). */
#define MG_TRACESTATE_MEMBERS 32
#define MG_TRACESTATE_MAX 512
/* The lines mg_trace_lines writes, at most. */
#define MG_TRACE_LINES_MAX                                                     \
	(sizeof("traceparent: \r\ntracestate: \r\n") - 1 +                     \
	    MG_TRACEPARENT_LEN + MG_TRACESTATE_MAX)

/* One request's trace: the caller's trace id and flags (or new ones),
 * and our own span id, the parent-id the next hop gets.  Small: it is in
 * every exchange (the caller's own parent-id is not kept). */
typedef struct {
	char   *state; /* the tracestate passed on (malloc'd), or NULL */
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t flags;
	uint8_t from_client; /* a valid traceparent came */
} mg_trace_t;

/*
 * A traceparent value V (LEN bytes; spaces and tabs around it ignored):
 * version 00 exactly (55 characters), or a later version read as the spec
 * says (its first four fields, the flags' sampled bit only); lowercase
 * hex, trace-id and parent-id not all zeros, version ff refused.  MG_OK
 * fills T's trace_id and flags; MG_DECLINED leaves T alone.
 */
int mg_trace_parse_parent(const char *v, size_t len, mg_trace_t *t);

/* The tracestate list members of every header field, gathered. */
typedef struct {
	struct {
		const char *p; /* into the caller's values */
		size_t      len;
	} m[MG_TRACESTATE_MEMBERS];
	int n;
	int bad; /* a member broke the rules: no tracestate at all */
} mg_tracestate_t;

/* One tracestate field value V (LEN bytes) into S: its members checked
 * (key and value grammar, no key twice, at most 32 in all); empty members
 * skipped.  MG_DECLINED once anything was wrong (S is then void). */
int mg_trace_state_add(mg_tracestate_t *s, const char *v, size_t len);
/* S as one value in OUT (N >= MG_TRACESTATE_MAX + 1 bytes), members
 * joined by ",", cut to MG_TRACESTATE_MAX as the spec says (members
 * longer than 128 characters first, then from the end); its length, 0
 * for none. */
size_t mg_trace_state_join(const mg_tracestate_t *s, char *out, size_t n);

/* N bytes of B in lowercase hex, and a NUL, into OUT (2N + 1 bytes). */
void mg_trace_hex(const uint8_t *b, size_t n, char *out);
/* The traceparent we send: version 00, T's trace id, our span id as the
 * parent-id, T's flags; OUT has MG_TRACEPARENT_LEN + 1 bytes. */
void mg_trace_format(const mg_trace_t *t, char *out);
/* "traceparent: ...\r\n" and, when T has one, "tracestate: ...\r\n"
 * into OUT (MG_TRACE_LINES_MAX bytes hold any); their length. */
size_t mg_trace_lines(const mg_trace_t *t, char *out, size_t n);
/* How many bytes at the start of header LINES are trace lines
 * (traceparent, tracestate: what mg_trace_lines wrote). */
size_t mg_trace_lines_len(const char *lines, size_t len);

/* traceid.c: new ids from the process's generator (seeded once from
 * OpenSSL's RAND_bytes, in the process that uses it first) */
void mg_trace_new_trace(mg_trace_t *t);
void mg_trace_new_span(mg_trace_t *t);

/* "00" to "ff": byte B's two lowercase hex digits at mg_hex2 + 2 * B */
extern const char mg_hex2[513];

#endif
