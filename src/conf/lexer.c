/*
 * The tokenizer: walks a buffer and allocates nothing, so tests and the
 * fuzzer can drive it alone.  It knows words, quoted strings, ";", "{",
 * "}", comments and lines; what the words mean is the parser's.
 */
#include "config.h"

#include <string.h>

#include "lexer.h"

void
mg_conf_lex_init(conf_lex_t *lx, const char *buf, size_t len)
{
	lx->base = buf;
	lx->p = buf;
	lx->end = buf + len;
	lx->line = 1;
}

static int
conf_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
conf_is_delim(int c)
{
	return conf_is_space(c) || c == ';' || c == '{' || c == '}';
}

/* Whitespace and comments; a '#' here is at the start of a token. */
static void
conf_lex_skip(conf_lex_t *lx)
{
	while (lx->p < lx->end) {
		if (*lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			continue;
		}
		if (!conf_is_space(*lx->p))
			break;
		if (*lx->p == '\n')
			lx->line++;
		lx->p++;
	}
}

static void
conf_lex_quoted(conf_lex_t *lx, conf_tok_t *tok)
{
	char q = *lx->p++;

	tok->s = lx->p;
	tok->quoted = 1;
	while (lx->p < lx->end && *lx->p != q) {
		/* An escaped quote does not close; the pair is undone later. */
		if (*lx->p == '\\' && lx->p + 1 < lx->end)
			lx->p++;
		if (*lx->p == '\n')
			lx->line++;
		lx->p++;
	}
	if (lx->p == lx->end) {
		tok->type = TOK_UNTERMINATED;
		return;
	}
	tok->len = (size_t)(lx->p - tok->s);
	lx->p++;
	if (lx->p < lx->end && !conf_is_delim(*lx->p)) {
		tok->type = TOK_AFTER_QUOTE;
		tok->s = lx->p;
		tok->line = lx->line;
		return;
	}
	tok->type = TOK_WORD;
}

static void
conf_lex_word(conf_lex_t *lx, conf_tok_t *tok)
{
	tok->s = lx->p;
	while (lx->p < lx->end && !conf_is_delim(*lx->p))
		lx->p++;
	tok->len = (size_t)(lx->p - tok->s);
	tok->type = TOK_WORD;
}

void
mg_conf_lex(conf_lex_t *lx, conf_tok_t *tok)
{
	memset(tok, 0, sizeof(*tok));
	conf_lex_skip(lx);
	tok->line = lx->line;
	if (lx->p == lx->end) {
		/* Report the file's last line: a final newline opens none. */
		tok->type = TOK_EOF;
		if (lx->p > lx->base && lx->p[-1] == '\n')
			tok->line--;
		return;
	}
	switch (*lx->p) {
	case ';': tok->type = TOK_SEMI; break;
	case '{': tok->type = TOK_OPEN; break;
	case '}': tok->type = TOK_CLOSE; break;
	case '"':
	case '\'': conf_lex_quoted(lx, tok); return;
	default: conf_lex_word(lx, tok); return;
	}
	lx->p++;
}

static char
conf_escape(char c)
{
	switch (c) {
	case '"':
	case '\'':
	case '\\': return c;
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	}
	return 0;
}

/* Undo escapes of a quoted string into out (at least n bytes). */
size_t
mg_conf_unescape(const char *s, size_t n, char *out)
{
	size_t i, o = 0;
	char   e;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && (e = conf_escape(s[i + 1]))) {
			out[o++] = e;
			i++;
		} else
			out[o++] = s[i];
	}
	return o;
}
