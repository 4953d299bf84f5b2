/*
 * The configuration loader: a file or a string, include (with globs), and
 * the parse loop that reads statements, finds each in the directive table
 * (commands.c) and calls its setter, which may read a nested block the
 * same way.  After parsing, validate.c checks and defaults.c completes the
 * result.  Everything it points to lives in the conf's own pool (pool.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_int.h"

#define CONF_INCLUDE_DEPTH 16

/* What conf_read_stmt saw after the words of a statement. */
enum {
	STMT_SEMI = 1,
	STMT_BLOCK,
	STMT_CLOSE,
	STMT_EOF,
	STMT_DONE /* mg_conf_parse_block: the block or file ended well */
};

/* Statements. */

static int
conf_args_push(conf_parse_t *cp, conf_args_t *a, const conf_tok_t *tok)
{
	char **v, *s;
	size_t cap;

	if (a->n == a->cap) {
		cap = a->cap ? a->cap * 2 : 8;
		if ((v = realloc(a->v, cap * sizeof(*v))) == NULL)
			return mg_conf_nomem(cp);
		a->v = v;
		a->cap = cap;
	}
	if ((s = malloc(tok->len + 1)) == NULL)
		return mg_conf_nomem(cp);
	if (tok->quoted)
		s[mg_conf_unescape(tok->s, tok->len, s)] = '\0';
	else {
		memcpy(s, tok->s, tok->len);
		s[tok->len] = '\0';
	}
	a->v[a->n++] = s;
	return MG_OK;
}

static void
conf_args_clear(conf_args_t *a)
{
	while (a->n > 0)
		free(a->v[--a->n]);
}

static int
conf_tok_error(conf_parse_t *cp, const conf_tok_t *tok)
{
	if (tok->type == TOK_UNTERMINATED)
		return mg_conf_error(cp, tok->line, "unterminated string");
	return mg_conf_error(
	    cp, tok->line, "unexpected \"%c\" after quoted string", *tok->s);
}

/* Words up to a terminator: STMT_* or MG_ERROR. */
static int
conf_read_stmt(conf_parse_t *cp, conf_args_t *a)
{
	conf_tok_t tok;

	for (;;) {
		mg_conf_lex(cp->lex, &tok);
		if (a->n == 0)
			a->line = tok.line;
		switch (tok.type) {
		case TOK_WORD:
			if (conf_args_push(cp, a, &tok) != MG_OK)
				return MG_ERROR;
			continue;
		case TOK_SEMI:
			if (a->n == 0)
				return mg_conf_error(
				    cp, tok.line, "unexpected \";\"");
			return STMT_SEMI;
		case TOK_OPEN:
			if (a->n == 0)
				return mg_conf_error(
				    cp, tok.line, "unexpected \"{\"");
			return STMT_BLOCK;
		case TOK_CLOSE:
			if (a->n != 0)
				return mg_conf_error(
				    cp, tok.line, "unexpected \"}\"");
			return STMT_CLOSE;
		case TOK_EOF:
			if (a->n != 0)
				return mg_conf_error(cp, tok.line,
				    "unexpected end of file, expecting \";\" "
				    "or \"}\"");
			return STMT_EOF;
		default: return conf_tok_error(cp, &tok);
		}
	}
}

static int
conf_handle(conf_parse_t *cp, void *ctx, conf_args_t *a, int block)
{
	const conf_command_t *cmd;
	const char           *name = a->v[0];
	size_t                nargs = a->n - 1;
	int                   known;

	if ((cmd = mg_conf_find(name, cp->ctx_type, block, &known)) == NULL) {
		if (known)
			return mg_conf_error(cp, a->line,
			    "\"%s\" directive is not allowed here", name);
		return mg_conf_error(
		    cp, a->line, "unknown directive \"%s\"", name);
	}
	if ((cmd->flags & CONF_BLOCK) && !block)
		return mg_conf_error(
		    cp, a->line, "directive \"%s\" has no opening \"{\"", name);
	if (!(cmd->flags & CONF_BLOCK) && block)
		return mg_conf_error(cp, a->line,
		    "directive \"%s\" is not terminated by \";\"", name);
	if (nargs < (size_t)cmd->min || nargs > (size_t)cmd->max)
		return mg_conf_error(cp, a->line,
		    "invalid number of arguments in \"%s\" directive", name);
	cp->args = a;
	return cmd->set(cp, cmd, ctx);
}

/*
 * Statements until the block's "}" (in_block) or the end of the file.  An
 * included file is read the same way, so its braces must balance in it.
 */
int
mg_conf_parse_block(conf_parse_t *cp, int type, void *ctx, int in_block)
{
	conf_args_t a = { NULL, 0, 0, 0 };
	int         prev = cp->ctx_type, rc;

	cp->ctx_type = type;
	for (;;) {
		rc = conf_read_stmt(cp, &a);
		if (rc == STMT_SEMI || rc == STMT_BLOCK)
			rc = conf_handle(cp, ctx, &a, rc == STMT_BLOCK);
		else if (rc == STMT_CLOSE && !in_block)
			rc = mg_conf_error(cp, a.line, "unexpected \"}\"");
		else if (rc == STMT_EOF && in_block)
			rc = mg_conf_error(cp, a.line,
			    "unexpected end of file, expecting \"}\"");
		else if (rc == STMT_CLOSE || rc == STMT_EOF)
			rc = STMT_DONE;
		conf_args_clear(&a);
		if (rc != MG_OK)
			break;
	}
	free(a.v);
	cp->ctx_type = prev;
	return rc == STMT_DONE ? MG_OK : MG_ERROR;
}

/* Files and include. */

/* 0 or an errno; *call names the call that failed. */
static int
conf_read_file(const char *path, char **bufp, size_t *lenp, const char **call)
{
	char   *buf = NULL, *nb;
	size_t  len = 0, cap = 0;
	ssize_t n;
	int     fd, e = 0;

	*call = "open";
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	*call = "read";
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((nb = realloc(buf, cap)) == NULL) {
				e = ENOMEM;
				break;
			}
			buf = nb;
		}
		if ((n = read(fd, buf + len, cap - len)) > 0)
			len += (size_t)n;
		else if (n == 0 || errno != EINTR) {
			e = n == 0 ? 0 : errno;
			break;
		}
	}
	close(fd);
	if (e != 0)
		free(buf);
	*bufp = e != 0 ? NULL : buf;
	*lenp = len;
	return e;
}

/* PATH relative to the directory of FILE, malloc'd. */
static char *
conf_join(const char *file, const char *path)
{
	const char *slash = strrchr(file, '/');
	size_t      dlen;
	char       *s;

	if (path[0] == '/' || slash == NULL)
		return strdup(path);
	dlen = (size_t)(slash - file) + 1;
	if ((s = malloc(dlen + strlen(path) + 1)) == NULL)
		return NULL;
	memcpy(s, file, dlen);
	strcpy(s + dlen, path);
	return s;
}

static int
conf_include_file(conf_parse_t *cp, const char *path, void *ctx, int line)
{
	conf_lex_t  lx, *prev_lex = cp->lex;
	const char *prev_file = cp->file, *call, *file;
	char       *buf;
	size_t      len;
	int         e, rc;

	if ((e = conf_read_file(path, &buf, &len, &call)) != 0)
		return mg_conf_error(cp, line, "%s() \"%s\" failed (%s)", call,
		    path, strerror(e));
	if ((file = mg_conf_strdup(cp->conf, path)) == NULL) {
		free(buf);
		return mg_conf_nomem(cp);
	}
	mg_conf_lex_init(&lx, buf, len);
	cp->lex = &lx;
	cp->file = file;
	cp->depth++;
	rc = mg_conf_parse_block(cp, cp->ctx_type, ctx, 0);
	cp->depth--;
	cp->file = prev_file;
	cp->lex = prev_lex;
	free(buf);
	return rc;
}

/* glob(3) has no user pointer; parsing is single threaded. */
static int conf_glob_errno;

static int
conf_glob_error(const char *path, int err)
{
	(void)path;
	/* A missing directory is a pattern that matches nothing. */
	if (err == ENOENT || err == ENOTDIR)
		return 0;
	conf_glob_errno = err;
	return 1;
}

static int
conf_include_glob(conf_parse_t *cp, const char *pattern, void *ctx, int line)
{
	glob_t g;
	size_t i;
	int    rc = MG_OK;

	conf_glob_errno = 0;
	switch (glob(pattern, 0, conf_glob_error, &g)) {
	case 0:
		for (i = 0; i < g.gl_pathc && rc == MG_OK; i++)
			rc = conf_include_file(cp, g.gl_pathv[i], ctx, line);
		break;
	case GLOB_NOMATCH: break;
	default:
		rc = mg_conf_error(cp, line, "glob() \"%s\" failed (%s)",
		    pattern,
		    strerror(conf_glob_errno ? conf_glob_errno : ENOMEM));
	}
	globfree(&g);
	return rc;
}

int
mg_conf_include(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	const char *arg = cp->args->v[1];
	char       *path;
	int         line = cp->args->line, rc;

	(void)cmd;
	if (cp->depth >= CONF_INCLUDE_DEPTH)
		return mg_conf_error(cp, line, "include nested too deeply");
	if ((path = conf_join(cp->file, arg)) == NULL)
		return mg_conf_nomem(cp);
	if (strpbrk(arg, "*?[") != NULL)
		rc = conf_include_glob(cp, path, ctx, line);
	else
		rc = conf_include_file(cp, path, ctx, line);
	free(path);
	return rc;
}

/* Load. */

static mg_conf_t *
conf_load(const char *text, size_t len, const char *name, char **err)
{
	conf_parse_t cp;
	conf_lex_t   lx;

	memset(&cp, 0, sizeof(cp));
	cp.err = err;
	if ((cp.conf = mg_conf_new()) == NULL) {
		mg_conf_nomem(&cp);
		return NULL;
	}
	if ((cp.conf->path = mg_conf_strdup(cp.conf, name)) == NULL) {
		mg_conf_nomem(&cp);
		goto fail;
	}
	cp.file = cp.conf->path;
	mg_conf_lex_init(&lx, text, len);
	cp.lex = &lx;
	if (mg_conf_parse_block(&cp, MG_CTX_MAIN, cp.conf, 0) != MG_OK ||
	    mg_conf_validate(&cp) != MG_OK || mg_conf_defaults(&cp) != MG_OK ||
	    mg_conf_pools(&cp) != MG_OK)
		goto fail;
	return cp.conf;
fail:
	mg_conf_free(cp.conf);
	return NULL;
}

mg_conf_t *
mg_conf_load_string(const char *text, const char *name, char **err)
{
	if (err != NULL)
		*err = NULL;
	return conf_load(text, strlen(text), name, err);
}

mg_conf_t *
mg_conf_load(const char *path, char **err)
{
	mg_conf_t  *conf;
	const char *call;
	char       *buf;
	size_t      len;
	int         e;

	if (err != NULL)
		*err = NULL;
	if ((e = conf_read_file(path, &buf, &len, &call)) != 0) {
		mg_conf_set_err(err,
		    mg_conf_strf(
			"%s() \"%s\" failed (%s)", call, path, strerror(e)));
		return NULL;
	}
	conf = conf_load(buf, len, path, err);
	free(buf);
	return conf;
}
