/*
 * The metrics page's escaping and the tools/call outcome (promfmt.c,
 * rpcoutcome.c) on what a client may put in a label value (a tool name,
 * a route) or an upstream in an answer.
 *
 * Input: byte 0 bit 0 picks OpenMetrics for the HELP text; the rest is
 * the text.  Properties:
 *   - a label value escaped holds no newline and no quote without its
 *     backslash, and unescaped gives back the text, byte for byte;
 *   - HELP escaped holds no newline and unescapes to the text;
 *   - the outcome of the text is one of the four, and a response outcome
 *     comes only from a text that holds the member's name.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "fuzz.h"
#include "promfmt.h"
#include "rpcoutcome.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

/* S (N bytes) unescaped as a label value is T (M bytes)?  Also checks
 * that S has no raw newline or lone quote. */
static int
unescapes_to(const char *s, size_t n, const char *t, size_t m)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\n' || c == '"')
			return 0;
		if (c == '\\') {
			if (++i >= n)
				return 0;
			c = s[i] == 'n' ? '\n' : s[i];
			if (s[i] != 'n' && s[i] != '\\' && s[i] != '"')
				return 0;
		}
		if (j >= m || t[j++] != c)
			return 0;
	}
	return j == m;
}

static char *
take(struct evbuffer *b, size_t *n)
{
	char *s;

	*n = evbuffer_get_length(b);
	s = malloc(*n + 1);
	FUZZ_ASSERT(s != NULL, "out of memory");
	evbuffer_remove(b, s, *n);
	s[*n] = '\0';
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *b;
	const char      *text = (const char *)data + 1;
	size_t           len = size ? size - 1 : 0, n;
	char            *s, *z;
	mg_rpc_outcome_t o;

	if (size == 0)
		return 0;
	b = evbuffer_new();
	FUZZ_ASSERT(mg_prom_label_value(b, text, len) == MG_OK, "no memory");
	s = take(b, &n);
	FUZZ_ASSERT(unescapes_to(s, n, text, len), "label value %s", s);
	free(s);
	if ((z = strndup(text, len)) != NULL) { /* HELP is a C string */
		FUZZ_ASSERT(mg_prom_help(b, z, data[0] & 1) == MG_OK, "memory");
		s = take(b, &n);
		FUZZ_ASSERT(memchr(s, '\n', n) == NULL, "newline in HELP");
		if (data[0] & 1)
			FUZZ_ASSERT(
			    unescapes_to(s, n, z, strlen(z)), "HELP %s", s);
		free(s);
		free(z);
	}
	evbuffer_free(b);
	o = mg_rpc_outcome(text, len);
	FUZZ_ASSERT(o >= MG_OUTCOME_NONE && o <= MG_OUTCOME_RPC_ERROR, "%d", o);
	if (o == MG_OUTCOME_RESULT || o == MG_OUTCOME_TOOL_ERROR)
		FUZZ_ASSERT(
		    memmem(text, len, "\"result\"", 8) != NULL, "result");
	if (o == MG_OUTCOME_TOOL_ERROR)
		FUZZ_ASSERT(
		    memmem(text, len, "\"isError\"", 9) != NULL, "isError");
	if (o == MG_OUTCOME_RPC_ERROR)
		FUZZ_ASSERT(memmem(text, len, "\"error\"", 7) != NULL, "error");
	return 0;
}
