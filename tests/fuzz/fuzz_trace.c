/*
 * W3C Trace Context values (proto/trace.c) as a client sends them: the
 * input is a traceparent value, then after a NUL any number of tracestate
 * field values separated by NUL bytes.  Properties:
 *   - a traceparent accepted is written back (version 00, its trace id,
 *     our span, its flags) as a value accepted again, with the same trace
 *     id and flags, 55 characters of lowercase hex and dashes;
 *   - a tracestate kept is at most 512 characters and 32 members, has no
 *     empty member, and read again as one field gives itself back;
 *   - the header lines written are what the connector counts as trace
 *     lines, whole, and nothing of what follows them.
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "mcpgw.h"
#include "trace.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
check_parent(const char *v, size_t len, mg_trace_t *t)
{
	char       out[MG_TRACEPARENT_LEN + 1];
	mg_trace_t again = { 0 };

	memset(t->span_id, 0x5a, sizeof(t->span_id));
	mg_trace_format(t, out);
	FUZZ_ASSERT(strlen(out) == MG_TRACEPARENT_LEN, "%s", out);
	for (size_t i = 0; i < MG_TRACEPARENT_LEN; i++)
		FUZZ_ASSERT((out[i] >= '0' && out[i] <= '9') ||
			(out[i] >= 'a' && out[i] <= 'f') || out[i] == '-',
		    "%s", out);
	FUZZ_ASSERT(mg_trace_parse_parent(out, strlen(out), &again) == MG_OK,
	    "%s (from %.*s)", out, (int)len, v);
	FUZZ_ASSERT(memcmp(again.trace_id, t->trace_id, 16) == 0 &&
		again.flags == t->flags,
	    "%s", out);
}

static void
check_state(const mg_tracestate_t *s, mg_trace_t *t)
{
	char            out[MG_TRACESTATE_MAX + 1], back[MG_TRACESTATE_MAX + 1];
	char            lines[MG_TRACE_LINES_MAX + 16];
	mg_tracestate_t s2 = { .n = 0 };
	size_t          n = mg_trace_state_join(s, out, sizeof(out)), k;

	FUZZ_ASSERT(n == strlen(out) && n <= MG_TRACESTATE_MAX, "%zu", n);
	FUZZ_ASSERT(s->bad ? n == 0 : 1, "a bad tracestate kept: %s", out);
	FUZZ_ASSERT(strstr(out, ",,") == NULL && out[0] != ',' &&
		(n == 0 || out[n - 1] != ','),
	    "%s", out);
	if (n > 0) {
		FUZZ_ASSERT(mg_trace_state_add(&s2, out, n) == MG_OK &&
			s2.n <= MG_TRACESTATE_MEMBERS,
		    "not read again: %s", out);
		mg_trace_state_join(&s2, back, sizeof(back));
		FUZZ_ASSERT(strcmp(back, out) == 0, "%s / %s", out, back);
	}
	t->state = n > 0 ? out : NULL;
	k = mg_trace_lines(t, lines, MG_TRACE_LINES_MAX);
	FUZZ_ASSERT(k > 0 && k <= MG_TRACE_LINES_MAX, "%zu", k);
	memcpy(lines + k, "Mcp-Name: x\r\n", 13);
	FUZZ_ASSERT(
	    mg_trace_lines_len(lines, k + 13) == k, "%.*s", (int)k, lines);
	t->state = NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char     *p = (const char *)data, *end = p + size, *nul;
	mg_trace_t      t = { 0 };
	mg_tracestate_t s = { .n = 0 };
	size_t          len;

	nul = memchr(p, '\0', size);
	len = nul ? (size_t)(nul - p) : size;
	if (mg_trace_parse_parent(p, len, &t) != MG_OK)
		return 0;
	check_parent(p, len, &t);
	for (p = nul ? nul + 1 : end; p < end; p = nul ? nul + 1 : end) {
		nul = memchr(p, '\0', (size_t)(end - p));
		len = nul ? (size_t)(nul - p) : (size_t)(end - p);
		if (mg_trace_state_add(&s, p, len) != MG_OK)
			break;
	}
	check_state(&s, &t);
	return 0;
}
