/*
 * The configuration's tokenizer alone, over a buffer: every token kind,
 * quoting and escapes, comments, line numbers, what it refuses, and that
 * it reads no byte past the length it is given.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_conf.h"
#include "lexer.h"
#include "mcpgw.h"

/*
 * A token stream as text, one "LINE:TOKEN" per token: w[word], q[quoted]
 * (escapes as written), ";", "{", "}", "$" (end), "unterminated" and
 * after[c], the last three ending it.  Bytes outside printable ASCII show
 * as \xNN.  The buffer is a heap copy of exactly len bytes, so a read
 * past it is the sanitizer's to see.
 */
static void
render(const char *text, size_t len, char *out, size_t size)
{
	char      *buf = malloc(len > 0 ? len : 1);
	conf_lex_t lx;
	conf_tok_t tok;
	size_t     o = 0;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, text, len);
	mg_conf_lex_init(&lx, buf, len);
	out[0] = '\0';
	for (int n = 0; n < 64 && o < size; n++) {
		mg_conf_lex(&lx, &tok);
		o += (size_t)snprintf(
		    out + o, size - o, "%s%d:", n ? " " : "", tok.line);
		if (o >= size)
			break;
		switch (tok.type) {
		case TOK_WORD:
			o += (size_t)snprintf(
			    out + o, size - o, "%c[", tok.quoted ? 'q' : 'w');
			for (size_t i = 0; i < tok.len && o < size; i++) {
				unsigned char c = (unsigned char)tok.s[i];

				o += (size_t)snprintf(out + o, size - o,
				    c >= ' ' && c < 0x7f ? "%c" : "\\x%02x", c);
			}
			if (o < size)
				o += (size_t)snprintf(out + o, size - o, "]");
			continue;
		case TOK_SEMI:
			o += (size_t)snprintf(out + o, size - o, ";");
			continue;
		case TOK_OPEN:
			o += (size_t)snprintf(out + o, size - o, "{");
			continue;
		case TOK_CLOSE:
			o += (size_t)snprintf(out + o, size - o, "}");
			continue;
		case TOK_EOF: snprintf(out + o, size - o, "$"); break;
		case TOK_UNTERMINATED:
			snprintf(out + o, size - o, "unterminated");
			break;
		case TOK_AFTER_QUOTE:
			snprintf(out + o, size - o, "after[%c]", *tok.s);
			break;
		default: snprintf(out + o, size - o, "type %d", tok.type);
		}
		break;
	}
	free(buf);
}

/*
 * In order: the kinds; white space and lines (a final newline opens no
 * line; a token's line is where it starts, even a string over lines);
 * comments; quoted strings (quotes off, escapes kept for the parser,
 * quotes inside a word are plain bytes); and what it refuses, which ends
 * the stream: an unterminated string (an escaped quote does not close it)
 * names the line it opened on, a string glued to more text the line of
 * the stray byte.
 */
static const struct {
	const char *text;
	const char *want;
} lex_cases[] = {
	{ "", "1:$" },
	{ "pid /x;", "1:w[pid] 1:w[/x] 1:; 1:$" },
	{ "a{b}c;", "1:w[a] 1:{ 1:w[b] 1:} 1:w[c] 1:; 1:$" },
	{ "s {\n l 80;\n}\n", "1:w[s] 1:{ 2:w[l] 2:w[80] 2:; 3:} 3:$" },
	{ ";;{}", "1:; 1:; 1:{ 1:} 1:$" },
	{ " \t\r\n a \t\r\n\n b", "2:w[a] 4:w[b] 4:$" },
	{ "a;\n", "1:w[a] 1:; 1:$" },
	{ "a;\n\n", "1:w[a] 1:; 2:$" },
	{ "\n\n", "2:$" },
	{ "\r\na", "2:w[a] 2:$" },
	{ "\"a\nb\" c", "1:q[a\\x0ab] 2:w[c] 2:$" },
	{ "# c ; { } \"\na # x ' {\n b;", "2:w[a] 3:w[b] 3:; 3:$" },
	{ "a#b c#;", "1:w[a#b] 1:w[c#] 1:; 1:$" },
	{ "a;#glued", "1:w[a] 1:; 1:$" },
	{ "a; # to the end", "1:w[a] 1:; 1:$" },
	{ "#\n#\n#", "3:$" },
	{ "\"a b\";", "1:q[a b] 1:; 1:$" },
	{ "'x\"y' \"x'y\"", "1:q[x\"y] 1:q[x'y] 1:$" },
	{ "\"\" ''", "1:q[] 1:q[] 1:$" },
	{ "\"a\\\"b\" 'c\\'d'", "1:q[a\\\"b] 1:q[c\\'d] 1:$" },
	{ "\"a\\\\\"", "1:q[a\\\\] 1:$" },
	{ "\"#;{}\"", "1:q[#;{}] 1:$" },
	{ "\"a\";'b'{\"c\"}", "1:q[a] 1:; 1:q[b] 1:{ 1:q[c] 1:} 1:$" },
	{ "a\"b'c", "1:w[a\"b'c] 1:$" },
	{ "x \"abc", "1:w[x] 1:unterminated" },
	{ "\n'abc\n\n", "2:unterminated" },
	{ "\"abc\\\"", "1:unterminated" },
	{ "\"abc\\", "1:unterminated" },
	{ "\"a\"b", "1:after[b]" },
	{ "'a'\"b\"", "1:after[\"]" },
	{ "\"a\n\nb\"c", "3:after[c]" },
};

START_TEST(test_lex_table)
{
	char got[1024];

	render(
	    lex_cases[_i].text, strlen(lex_cases[_i].text), got, sizeof(got));
	ck_assert_msg(strcmp(got, lex_cases[_i].want) == 0,
	    "lexing \"%s\": got \"%s\", want \"%s\"", lex_cases[_i].text, got,
	    lex_cases[_i].want);
}
END_TEST

/* The length is the end: no NUL needed, nothing read past it, and a NUL
 * byte inside is a byte of the word. */
START_TEST(test_lex_length)
{
	char got[256];

	render("pid;", 2, got, sizeof(got));
	ck_assert_str_eq(got, "1:w[pi] 1:$");
	render("\"ab\"", 3, got, sizeof(got));
	ck_assert_str_eq(got, "1:unterminated");
	render("a\0b;", 4, got, sizeof(got));
	ck_assert_str_eq(got, "1:w[a\\x00b] 1:; 1:$");
	render("# comment", 4, got, sizeof(got));
	ck_assert_str_eq(got, "1:$");
}
END_TEST

/* No limit of its own: a word of a megabyte, a file of 100,000 lines. */
START_TEST(test_lex_limits)
{
	size_t     n = 1 << 20;
	char      *buf = malloc(n + 100001);
	conf_lex_t lx;
	conf_tok_t tok;

	ck_assert_ptr_nonnull(buf);
	memset(buf, 'a', n);
	mg_conf_lex_init(&lx, buf, n);
	mg_conf_lex(&lx, &tok);
	ck_assert_int_eq(tok.type, TOK_WORD);
	ck_assert_uint_eq(tok.len, n);
	mg_conf_lex(&lx, &tok);
	ck_assert_int_eq(tok.type, TOK_EOF);

	memset(buf, '\n', 100000);
	buf[100000] = 'x';
	mg_conf_lex_init(&lx, buf, 100001);
	mg_conf_lex(&lx, &tok);
	ck_assert_int_eq(tok.type, TOK_WORD);
	ck_assert_int_eq(tok.line, 100001);
	/* the end stays the end */
	mg_conf_lex(&lx, &tok);
	ck_assert_int_eq(tok.type, TOK_EOF);
	mg_conf_lex(&lx, &tok);
	ck_assert_int_eq(tok.type, TOK_EOF);
	ck_assert_int_eq(tok.line, 100001);
	free(buf);
}
END_TEST

/* Unknown escapes stay as written, a lone backslash at the end too. */
static const struct {
	const char *in; /* a quoted string's text, escapes as written */
	const char *out;
} unescape_cases[] = {
	{ "", "" },
	{ "plain", "plain" },
	{ "a\\nb\\tc\\rd", "a\nb\tc\rd" },
	{ "\\\"\\'\\\\", "\"'\\" },
	{ "\\q\\x\\0", "\\q\\x\\0" },
	{ "end\\", "end\\" },
	{ "\\\\n", "\\n" },
};

START_TEST(test_unescape_table)
{
	const char *in = unescape_cases[_i].in;
	char        out[64];
	size_t      n;

	memset(out, 'Z', sizeof(out));
	n = mg_conf_unescape(in, strlen(in), out);
	ck_assert_uint_le(n, strlen(in));
	ck_assert_uint_eq(n, strlen(unescape_cases[_i].out));
	ck_assert_msg(memcmp(out, unescape_cases[_i].out, n) == 0,
	    "unescape \"%s\": got \"%.*s\"", in, (int)n, out);
	ck_assert_int_eq(out[n], 'Z'); /* nothing written past it */
}
END_TEST

TCase *
conf_lexer_tcase(void)
{
	TCase *tc = tcase_create("lexer");

	tcase_add_loop_test(tc, test_lex_table, 0, MG_NELEM(lex_cases));
	tcase_add_test(tc, test_lex_length);
	tcase_add_test(tc, test_lex_limits);
	tcase_add_loop_test(
	    tc, test_unescape_table, 0, MG_NELEM(unescape_cases));
	return tc;
}
