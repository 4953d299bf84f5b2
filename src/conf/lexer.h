/*
 * The configuration's tokenizer: pure, over a buffer of known length (no
 * NUL needed), so the parser, the tests and the fuzzer drive it alike.
 */
#ifndef MG_CONF_LEXER_H
#define MG_CONF_LEXER_H

#include <stddef.h>

/* Tokens. */
enum {
	TOK_WORD,
	TOK_SEMI,
	TOK_OPEN,
	TOK_CLOSE,
	TOK_EOF,
	TOK_UNTERMINATED, /* a quote never closed; line is where it opened */
	TOK_AFTER_QUOTE   /* a quoted string glued to more text */
};

typedef struct {
	const char *base;
	const char *p;
	const char *end;
	int         line;
} conf_lex_t;

typedef struct {
	int         type;
	int         line;
	const char *s; /* TOK_WORD: text, quotes off, escapes kept */
	size_t      len;
	int         quoted;
} conf_tok_t;

void mg_conf_lex_init(conf_lex_t *lx, const char *buf, size_t len);
/* The next token; TOK_EOF again and again at the end. */
void mg_conf_lex(conf_lex_t *lx, conf_tok_t *tok);
/* Undo escapes of a quoted string into out (at least n bytes); returns
 * the length written. */
size_t mg_conf_unescape(const char *s, size_t n, char *out);

#endif
