/*
 * The configuration parser.
 *
 * Three layers, each testable alone: a tokenizer that only walks a buffer
 * (conf_lex), a statement reader that gathers words up to ";", "{" or "}"
 * (conf_read_stmt), and a table of directives (mg_commands[]) whose setters
 * fill the struct of the block they appear in.  Everything the result
 * points to lives in the conf's own pool, so mg_conf_free is one walk.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

#ifndef MG_PID_PATH
#define MG_PID_PATH "/run/mcpgw/mcpgw.pid"
#endif

#define CONF_INCLUDE_DEPTH 16
#define CONF_NARGS_MAX INT_MAX /* "1 or more arguments" */
#define CONF_BLOCK 0x01        /* the directive opens a { } block */
#define CONF_INHERIT 0x02      /* outer blocks give their value (merge) */
#define CONF_AUTO 0            /* "worker_processes auto", until defaults */

#define CONF_FIELD(ctx, cmd, type)                                             \
	((type *)(void *)((char *)(ctx) + (cmd)->offset))

/* The pool: every allocation is a chunk on one list. */
struct conf_chunk {
	struct conf_chunk *next;
	max_align_t        data[];
};

struct mg_conf_mem {
	struct conf_chunk *chunks;
};

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

/* What conf_read_stmt saw after the words of a statement. */
enum {
	STMT_SEMI = 1,
	STMT_BLOCK,
	STMT_CLOSE,
	STMT_EOF,
	STMT_DONE /* conf_parse_block: the block or file ended well */
};

typedef struct {
	char **v; /* v[0] is the directive name */
	size_t n;
	size_t cap;
	int    line; /* of the first word, or of the lone token */
} conf_args_t;

typedef struct {
	mg_conf_t   *conf;
	char       **err;
	conf_lex_t  *lex;
	const char  *file;     /* pool string: positions point at it */
	int          ctx_type; /* MG_CTX_* of the block being read */
	int          depth;    /* of include */
	conf_args_t *args;     /* valid in a setter until it reads a block */
} conf_parse_t;

typedef struct conf_command conf_command_t;
typedef int (*conf_set_pt)(conf_parse_t *, const conf_command_t *, void *);

struct conf_command {
	const char *name;
	int         ctx; /* MG_CTX_* mask */
	int         min; /* arguments, name not counted */
	int         max;
	conf_set_pt set;
	size_t      offset; /* of the field in the context's struct */
	int         flags;  /* CONF_BLOCK */
	const void *data;   /* see mg_commands[] */
};

/* Range and default of a generic number, size, time or flag. */
typedef struct {
	int64_t min;
	int64_t max;
	int64_t def; /* MG_UNSET: none */
} conf_bounds_t;

enum { CONF_KIND_NONE, CONF_KIND_INT, CONF_KIND_INT64, CONF_KIND_STR };

static int conf_parse_block(conf_parse_t *, int, void *, int);
static int conf_set_num(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_size(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_time(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_flag(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_str(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_workers(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_num_off(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_error_log(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_user(conf_parse_t *, const conf_command_t *, void *);
static int conf_include(conf_parse_t *, const conf_command_t *, void *);
static int conf_connector(conf_parse_t *, const conf_command_t *, void *);
static int conf_upstream(conf_parse_t *, const conf_command_t *, void *);
static int conf_server(conf_parse_t *, const conf_command_t *, void *);
static int conf_listen(conf_parse_t *, const conf_command_t *, void *);
static int conf_server_name(conf_parse_t *, const conf_command_t *, void *);
static int conf_location(conf_parse_t *, const conf_command_t *, void *);

static const conf_bounds_t worker_processes_bounds = { 1, 1024, MG_UNSET };
static const conf_bounds_t worker_connections_bounds = { 1, 1000000, 1024 };
static const conf_bounds_t shutdown_timeout_bounds = { 0, 86400000, 10000 };
static const conf_bounds_t max_sessions_bounds = { 16, 100000000, 100000 };
/* per client; their defaults follow max_sessions and worker_connections */
static const conf_bounds_t sessions_per_address_bounds = { 0, 100000000,
	MG_UNSET };
static const conf_bounds_t connections_per_address_bounds = { 0, 1000000,
	MG_UNSET };
static const conf_bounds_t session_timeout_bounds = { 1000, 86400000 * 7LL,
	30 * 60 * 1000 };
static const conf_bounds_t body_size_bounds = { 1, 1LL << 40, 1024 * 1024 };
static const conf_bounds_t header_size_bounds = { 1024, 1024 * 1024,
	16 * 1024 };
static const conf_bounds_t max_headers_bounds = { 8, 10000, 100 };
static const conf_bounds_t header_timeout_bounds = { 100, 3600000, 60000 };
static const conf_bounds_t body_timeout_bounds = { 100, 3600000, 60000 };
static const conf_bounds_t keepalive_timeout_bounds = { 0, 3600000, 75000 };
static const conf_bounds_t sse_keepalive_bounds = { 100, 3600000, 15000 };
static const conf_bounds_t sse_buffer_bounds = { 0, 64 * 1024 * 1024,
	64 * 1024 };
static const conf_bounds_t sse_resume_timeout_bounds = { 1000, 86400000,
	60000 };
static const conf_bounds_t max_hops_bounds = { 1, 64, 8 };
static const conf_bounds_t connect_timeout_bounds = { 1, 3600000, 5000 };
static const conf_bounds_t read_timeout_bounds = { 1, 86400000, 60000 };
static const conf_bounds_t keepalive_bounds = { 0, 10000, 32 };
static const conf_bounds_t max_input_waits_bounds = { 0, 1000000, 1000 };
static const conf_bounds_t max_processes_bounds = { 1, 100000, 64 };
static const conf_bounds_t handshake_timeout_bounds = { 100, 3600000, 10000 };
static const conf_bounds_t ssl_verify_bounds = { 0, 1, 1 };

static int conf_set_origins(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_deny(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_builtin(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_pass(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_upstream_server(
    conf_parse_t *, const conf_command_t *, void *);
static int conf_set_header(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_command(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_protocol(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_protocols(conf_parse_t *, const conf_command_t *, void *);
static int conf_set_verify_client(
    conf_parse_t *, const conf_command_t *, void *);

/* A directive of the HTTP settings (mg_http_conf_t), in each context it
 * may appear in; unset fields are merged from the outer block. */
#define HTTP_MAIN_SERVER(name, set, field, bounds)                             \
	{ name, MG_CTX_MAIN, 1, 1, set, offsetof(mg_conf_t, http.field),       \
		CONF_INHERIT, bounds },                                        \
	{                                                                      \
		name, MG_CTX_SERVER, 1, 1, set,                                \
		    offsetof(mg_server_t, http.field), CONF_INHERIT, bounds    \
	}
#define HTTP_ALL(name, set, field, bounds)                                     \
	HTTP_MAIN_SERVER(name, set, field, bounds),                            \
	{                                                                      \
		name, MG_CTX_LOCATION, 1, 1, set,                              \
		    offsetof(mg_location_t, http.field), CONF_INHERIT, bounds  \
	}

/*
 * The directives.  A field filled by a generic setter (conf_set_num, _size,
 * _time, _flag, _str) starts unset and gets its default from data, both
 * driven by this table, so such a directive is one line here plus its
 * field.  data is a conf_bounds_t for num, size, time and flag (its def is
 * the default; NULL: any value >= 0, no default) and the default string
 * for str.  The offset is into one struct, so a directive allowed in two
 * contexts with different structs takes one line per context.
 */
static const conf_command_t mg_commands[] = {
	{ "include", MG_CTX_ANY, 1, 1, conf_include, 0, 0, NULL },

	{ "worker_processes", MG_CTX_MAIN, 1, 1, conf_set_workers,
	    offsetof(mg_conf_t, worker_processes), 0,
	    &worker_processes_bounds },
	{ "pid", MG_CTX_MAIN, 1, 1, conf_set_str, offsetof(mg_conf_t, pid), 0,
	    MG_PID_PATH },
	{ "error_log", MG_CTX_MAIN, 1, 2, conf_set_error_log, 0, 0, NULL },
	{ "user", MG_CTX_MAIN, 1, 2, conf_set_user, 0, 0, NULL },
	{ "worker_connections", MG_CTX_MAIN, 1, 1, conf_set_num,
	    offsetof(mg_conf_t, worker_connections), 0,
	    &worker_connections_bounds },
	{ "shutdown_timeout", MG_CTX_MAIN, 1, 1, conf_set_time,
	    offsetof(mg_conf_t, shutdown_timeout), 0,
	    &shutdown_timeout_bounds },
	{ "max_sessions", MG_CTX_MAIN, 1, 1, conf_set_num,
	    offsetof(mg_conf_t, max_sessions), 0, &max_sessions_bounds },
	{ "session_timeout", MG_CTX_MAIN, 1, 1, conf_set_time,
	    offsetof(mg_conf_t, session_timeout), 0, &session_timeout_bounds },
	{ "session_key_file", MG_CTX_MAIN, 1, 1, conf_set_str,
	    offsetof(mg_conf_t, session_key_file), 0, NULL },
	{ "sessions_per_address", MG_CTX_MAIN, 1, 1, conf_set_num_off,
	    offsetof(mg_conf_t, sessions_per_address), 0,
	    &sessions_per_address_bounds },
	{ "connections_per_address", MG_CTX_MAIN, 1, 1, conf_set_num_off,
	    offsetof(mg_conf_t, connections_per_address), 0,
	    &connections_per_address_bounds },

	HTTP_ALL("client_max_body_size", conf_set_size, client_max_body_size,
	    &body_size_bounds),
	HTTP_MAIN_SERVER("client_max_header_size", conf_set_size,
	    client_max_header_size, &header_size_bounds),
	HTTP_MAIN_SERVER("client_max_headers", conf_set_num, client_max_headers,
	    &max_headers_bounds),
	HTTP_MAIN_SERVER("client_header_timeout", conf_set_time,
	    client_header_timeout, &header_timeout_bounds),
	HTTP_ALL("client_body_timeout", conf_set_time, client_body_timeout,
	    &body_timeout_bounds),
	HTTP_MAIN_SERVER("keepalive_timeout", conf_set_time, keepalive_timeout,
	    &keepalive_timeout_bounds),
	HTTP_ALL("sse_keepalive", conf_set_time, sse_keepalive,
	    &sse_keepalive_bounds),
	HTTP_ALL("sse_buffer", conf_set_size, sse_buffer, &sse_buffer_bounds),
	HTTP_ALL("sse_resume_timeout", conf_set_time, sse_resume_timeout,
	    &sse_resume_timeout_bounds),
	HTTP_ALL("access_log", conf_set_str, access_log, "off"),
	HTTP_ALL("max_hops", conf_set_num, max_hops, &max_hops_bounds),
	{ "allow_origins", MG_CTX_MAIN, 1, CONF_NARGS_MAX, conf_set_origins,
	    offsetof(mg_conf_t, http), 0, NULL },
	{ "allow_origins", MG_CTX_SERVER, 1, CONF_NARGS_MAX, conf_set_origins,
	    offsetof(mg_server_t, http), 0, NULL },
	{ "allow_origins", MG_CTX_LOCATION, 1, CONF_NARGS_MAX, conf_set_origins,
	    offsetof(mg_location_t, http), 0, NULL },

	{ "connector", MG_CTX_MAIN, 0, 0, conf_connector,
	    offsetof(mg_conf_t, connector), CONF_BLOCK, NULL },
	{ "upstream", MG_CTX_MAIN, 1, 1, conf_upstream, 0, CONF_BLOCK, NULL },
	{ "server", MG_CTX_MAIN, 0, 0, conf_server, 0, CONF_BLOCK, NULL },

	{ "listen", MG_CTX_SERVER, 1, 2, conf_listen, 0, 0, NULL },
	{ "ssl_certificate", MG_CTX_SERVER, 1, 1, conf_set_str,
	    offsetof(mg_server_t, tls.certificate), 0, NULL },
	{ "ssl_certificate_key", MG_CTX_SERVER, 1, 1, conf_set_str,
	    offsetof(mg_server_t, tls.certificate_key), 0, NULL },
	{ "ssl_protocols", MG_CTX_SERVER, 1, 2, conf_set_protocols,
	    offsetof(mg_server_t, tls.protocols), 0, NULL },
	{ "ssl_ciphers", MG_CTX_SERVER, 1, 1, conf_set_str,
	    offsetof(mg_server_t, tls.ciphers), 0, NULL },
	{ "ssl_client_certificate", MG_CTX_SERVER, 1, 1, conf_set_str,
	    offsetof(mg_server_t, tls.client_certificate), 0, NULL },
	{ "ssl_verify_client", MG_CTX_SERVER, 1, 1, conf_set_verify_client,
	    offsetof(mg_server_t, tls.verify_client), 0, NULL },
	{ "ssl_handshake_timeout", MG_CTX_SERVER, 1, 1, conf_set_time,
	    offsetof(mg_server_t, tls.handshake_timeout), 0,
	    &handshake_timeout_bounds },
	{ "server_name", MG_CTX_SERVER, 1, CONF_NARGS_MAX, conf_server_name, 0,
	    0, NULL },
	{ "location", MG_CTX_SERVER, 1, 2, conf_location, 0, CONF_BLOCK, NULL },

	{ "mcp_builtin", MG_CTX_LOCATION, 1, 1, conf_set_builtin,
	    offsetof(mg_location_t, builtin), 0, NULL },
	{ "mcp_pass", MG_CTX_LOCATION, 1, 1, conf_set_pass,
	    offsetof(mg_location_t, pass), 0, NULL },
	{ "mcp_deny", MG_CTX_LOCATION, 1, 2, conf_set_deny, 0, 0, NULL },

	{ "server", MG_CTX_UPSTREAM, 1, 1, conf_set_upstream_server, 0, 0,
	    NULL },
	{ "command", MG_CTX_UPSTREAM, 1, CONF_NARGS_MAX, conf_set_command, 0, 0,
	    NULL },
	{ "max_processes", MG_CTX_UPSTREAM, 1, 1, conf_set_num,
	    offsetof(mg_upstream_t, max_processes), 0, &max_processes_bounds },
	{ "header", MG_CTX_UPSTREAM, 2, 2, conf_set_header, 0, 0, NULL },
	{ "connect_timeout", MG_CTX_UPSTREAM, 1, 1, conf_set_time,
	    offsetof(mg_upstream_t, connect_timeout), 0,
	    &connect_timeout_bounds },
	{ "read_timeout", MG_CTX_UPSTREAM, 1, 1, conf_set_time,
	    offsetof(mg_upstream_t, read_timeout), 0, &read_timeout_bounds },
	{ "keepalive", MG_CTX_UPSTREAM, 1, 1, conf_set_num,
	    offsetof(mg_upstream_t, keepalive), 0, &keepalive_bounds },
	{ "max_input_waits", MG_CTX_UPSTREAM, 1, 1, conf_set_num,
	    offsetof(mg_upstream_t, max_input_waits), 0,
	    &max_input_waits_bounds },
	{ "protocol", MG_CTX_UPSTREAM, 1, 1, conf_set_protocol, 0, 0, NULL },
	{ "ssl_verify", MG_CTX_UPSTREAM, 1, 1, conf_set_flag,
	    offsetof(mg_upstream_t, tls.verify), 0, &ssl_verify_bounds },
	{ "ssl_trusted_certificate", MG_CTX_UPSTREAM, 1, 1, conf_set_str,
	    offsetof(mg_upstream_t, tls.trusted_certificate), 0, NULL },
	{ "ssl_certificate", MG_CTX_UPSTREAM, 1, 1, conf_set_str,
	    offsetof(mg_upstream_t, tls.certificate), 0, NULL },
	{ "ssl_certificate_key", MG_CTX_UPSTREAM, 1, 1, conf_set_str,
	    offsetof(mg_upstream_t, tls.certificate_key), 0, NULL },
};

/* Memory. */

static void *
conf_alloc(mg_conf_t *conf, size_t size)
{
	struct conf_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	if ((c = calloc(1, sizeof(*c) + size)) == NULL)
		return NULL;
	c->next = conf->mem->chunks;
	conf->mem->chunks = c;
	return c->data;
}

static char *
conf_strdup(mg_conf_t *conf, const char *s)
{
	size_t len = strlen(s) + 1;
	char  *d;

	if ((d = conf_alloc(conf, len)) != NULL)
		memcpy(d, s, len);
	return d;
}

void
mg_conf_free(mg_conf_t *conf)
{
	struct conf_chunk *c, *next;

	if (conf == NULL)
		return;
	if (conf->mem != NULL) {
		for (c = conf->mem->chunks; c != NULL; c = next) {
			next = c->next;
			free(c);
		}
		free(conf->mem);
	}
	free(conf);
}

/* Errors: the first one is kept, malloc'd, for the caller to free. */

static char *
conf_vstrf(const char *fmt, va_list ap)
{
	va_list aq;
	char   *s;
	int     n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static char *conf_strf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *
conf_strf(const char *fmt, ...)
{
	va_list ap;
	char   *s;

	va_start(ap, fmt);
	s = conf_vstrf(fmt, ap);
	va_end(ap);
	return s;
}

/* On out of memory *err stays NULL: there is no room for a message. */
static void
conf_set_err(char **err, char *msg)
{
	if (err != NULL && *err == NULL)
		*err = msg;
	else
		free(msg);
}

static int
conf_verror(
    conf_parse_t *cp, const char *file, int line, const char *fmt, va_list ap)
{
	char *msg;

	if ((msg = conf_vstrf(fmt, ap)) != NULL) {
		conf_set_err(
		    cp->err, conf_strf("%s in %s:%d", msg, file, line));
		free(msg);
	}
	return MG_ERROR;
}

static int conf_error(conf_parse_t *cp, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
conf_error(conf_parse_t *cp, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verror(cp, cp->file, line, fmt, ap);
	va_end(ap);
	return MG_ERROR;
}

static int conf_error_at(conf_parse_t *cp, const mg_conf_pos_t *pos,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
conf_error_at(conf_parse_t *cp, const mg_conf_pos_t *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verror(cp, pos->file, pos->line, fmt, ap);
	va_end(ap);
	return MG_ERROR;
}

static int
conf_nomem(conf_parse_t *cp)
{
	conf_set_err(cp->err, strdup("out of memory"));
	return MG_ERROR;
}

static int
conf_invalid(conf_parse_t *cp, const conf_command_t *cmd, const char *what,
    const char *value)
{
	return conf_error(cp, cp->args->line,
	    "invalid %s \"%s\" in \"%s\" directive", what, value, cmd->name);
}

static int
conf_duplicate(conf_parse_t *cp, const conf_command_t *cmd)
{
	return conf_error(
	    cp, cp->args->line, "\"%s\" directive is duplicate", cmd->name);
}

/* A second named thing: say where the first one is. */
static int
conf_duplicate_name(conf_parse_t *cp, const char *what, const char *prefix,
    const char *name, const mg_conf_pos_t *first)
{
	conf_set_err(cp->err,
	    conf_strf("duplicate %s \"%s%s\" in %s:%d (first defined in %s:%d)",
		what, prefix, name, cp->file, cp->args->line, first->file,
		first->line));
	return MG_ERROR;
}

static mg_conf_pos_t
conf_pos(const conf_parse_t *cp)
{
	mg_conf_pos_t pos = { cp->file, cp->args->line };

	return pos;
}

/* The tokenizer: walks a buffer, allocates nothing. */

static void
conf_lex_init(conf_lex_t *lx, const char *buf, size_t len)
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

static void
conf_lex(conf_lex_t *lx, conf_tok_t *tok)
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
static size_t
conf_unescape(const char *s, size_t n, char *out)
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

/* Statements. */

static int
conf_args_push(conf_parse_t *cp, conf_args_t *a, const conf_tok_t *tok)
{
	char **v, *s;
	size_t cap;

	if (a->n == a->cap) {
		cap = a->cap ? a->cap * 2 : 8;
		if ((v = realloc(a->v, cap * sizeof(*v))) == NULL)
			return conf_nomem(cp);
		a->v = v;
		a->cap = cap;
	}
	if ((s = malloc(tok->len + 1)) == NULL)
		return conf_nomem(cp);
	if (tok->quoted)
		s[conf_unescape(tok->s, tok->len, s)] = '\0';
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
		return conf_error(cp, tok->line, "unterminated string");
	return conf_error(
	    cp, tok->line, "unexpected \"%c\" after quoted string", *tok->s);
}

/* Words up to a terminator: STMT_* or MG_ERROR. */
static int
conf_read_stmt(conf_parse_t *cp, conf_args_t *a)
{
	conf_tok_t tok;

	for (;;) {
		conf_lex(cp->lex, &tok);
		if (a->n == 0)
			a->line = tok.line;
		switch (tok.type) {
		case TOK_WORD:
			if (conf_args_push(cp, a, &tok) != MG_OK)
				return MG_ERROR;
			continue;
		case TOK_SEMI:
			if (a->n == 0)
				return conf_error(
				    cp, tok.line, "unexpected \";\"");
			return STMT_SEMI;
		case TOK_OPEN:
			if (a->n == 0)
				return conf_error(
				    cp, tok.line, "unexpected \"{\"");
			return STMT_BLOCK;
		case TOK_CLOSE:
			if (a->n != 0)
				return conf_error(
				    cp, tok.line, "unexpected \"}\"");
			return STMT_CLOSE;
		case TOK_EOF:
			if (a->n != 0)
				return conf_error(cp, tok.line,
				    "unexpected end of file, expecting \";\" "
				    "or \"}\"");
			return STMT_EOF;
		default: return conf_tok_error(cp, &tok);
		}
	}
}

static const conf_command_t *
conf_find(const char *name, int ctx_type, int *known)
{
	size_t i;

	*known = 0;
	for (i = 0; i < MG_NELEM(mg_commands); i++) {
		if (strcmp(mg_commands[i].name, name) != 0)
			continue;
		*known = 1;
		if (mg_commands[i].ctx & ctx_type)
			return &mg_commands[i];
	}
	return NULL;
}

static int
conf_handle(conf_parse_t *cp, void *ctx, conf_args_t *a, int block)
{
	const conf_command_t *cmd;
	const char           *name = a->v[0];
	size_t                nargs = a->n - 1;
	int                   known;

	if ((cmd = conf_find(name, cp->ctx_type, &known)) == NULL) {
		if (known)
			return conf_error(cp, a->line,
			    "\"%s\" directive is not allowed here", name);
		return conf_error(
		    cp, a->line, "unknown directive \"%s\"", name);
	}
	if ((cmd->flags & CONF_BLOCK) && !block)
		return conf_error(
		    cp, a->line, "directive \"%s\" has no opening \"{\"", name);
	if (!(cmd->flags & CONF_BLOCK) && block)
		return conf_error(cp, a->line,
		    "directive \"%s\" is not terminated by \";\"", name);
	if (nargs < (size_t)cmd->min || nargs > (size_t)cmd->max)
		return conf_error(cp, a->line,
		    "invalid number of arguments in \"%s\" directive", name);
	cp->args = a;
	return cmd->set(cp, cmd, ctx);
}

/*
 * Statements until the block's "}" (in_block) or the end of the file.  An
 * included file is read the same way, so its braces must balance in it.
 */
static int
conf_parse_block(conf_parse_t *cp, int type, void *ctx, int in_block)
{
	conf_args_t a = { NULL, 0, 0, 0 };
	int         prev = cp->ctx_type, rc;

	cp->ctx_type = type;
	for (;;) {
		rc = conf_read_stmt(cp, &a);
		if (rc == STMT_SEMI || rc == STMT_BLOCK)
			rc = conf_handle(cp, ctx, &a, rc == STMT_BLOCK);
		else if (rc == STMT_CLOSE && !in_block)
			rc = conf_error(cp, a.line, "unexpected \"}\"");
		else if (rc == STMT_EOF && in_block)
			rc = conf_error(cp, a.line,
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

/* Values. */

/* Leading decimal digits (at least one) into *n; no sign, no overflow. */
static int
conf_parse_digits(const char **sp, int64_t *n)
{
	const char *s = *sp;
	int64_t     v = 0;

	if (*s < '0' || *s > '9')
		return MG_ERROR;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return MG_ERROR;
		v = v * 10 + (*s - '0');
	}
	*sp = s;
	*n = v;
	return MG_OK;
}

int
mg_conf_parse_size(const char *s, int64_t *bytes)
{
	int64_t n, mult = 1;

	if (conf_parse_digits(&s, &n) != MG_OK)
		return MG_ERROR;
	switch (*s) {
	case 'k':
	case 'K':
		mult = INT64_C(1) << 10;
		s++;
		break;
	case 'm':
	case 'M':
		mult = INT64_C(1) << 20;
		s++;
		break;
	case 'g':
	case 'G':
		mult = INT64_C(1) << 30;
		s++;
		break;
	}
	if (*s != '\0' || n > INT64_MAX / mult)
		return MG_ERROR;
	*bytes = n * mult;
	return MG_OK;
}

static int
conf_time_unit(const char **sp, int64_t *ms)
{
	const char *s = *sp;

	switch (*s) {
	case 'd': *ms = INT64_C(86400000); break;
	case 'h': *ms = INT64_C(3600000); break;
	case 'm':
		*ms = s[1] == 's' ? 1 : INT64_C(60000);
		s += s[1] == 's';
		break;
	case 's': *ms = 1000; break;
	default: return MG_ERROR;
	}
	*sp = s + 1;
	return MG_OK;
}

/* Units must come largest first, each once: "1h30m", never "30m1h". */
int
mg_conf_parse_time(const char *s, int64_t *ms)
{
	int64_t n, unit, total = 0, last = INT64_MAX;

	if (conf_parse_digits(&s, &n) != MG_OK)
		return MG_ERROR;
	if (*s == '\0') {
		if (n > INT64_MAX / 1000)
			return MG_ERROR;
		*ms = n * 1000;
		return MG_OK;
	}
	for (;;) {
		if (conf_time_unit(&s, &unit) != MG_OK || unit >= last)
			return MG_ERROR;
		if (n > INT64_MAX / unit || n * unit > INT64_MAX - total)
			return MG_ERROR;
		total += n * unit;
		last = unit;
		if (*s == '\0')
			break;
		if (conf_parse_digits(&s, &n) != MG_OK)
			return MG_ERROR;
	}
	*ms = total;
	return MG_OK;
}

static int
conf_in_bounds(int64_t n, const conf_bounds_t *b, int64_t max)
{
	if (b != NULL)
		return n >= b->min && n <= b->max;
	return n <= max;
}

/* Generic setters: the field is at cmd->offset, bounds in cmd->data. */

static int
conf_set_num(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	int        *field = CONF_FIELD(ctx, cmd, int);
	const char *v = cp->args->v[1], *s = v;
	int64_t     n;

	if (*field != MG_UNSET)
		return conf_duplicate(cp, cmd);
	if (conf_parse_digits(&s, &n) != MG_OK || *s != '\0' ||
	    !conf_in_bounds(n, cmd->data, INT_MAX))
		return conf_invalid(cp, cmd, "value", v);
	*field = (int)n;
	return MG_OK;
}

static int
conf_set_size(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	int64_t    *field = CONF_FIELD(ctx, cmd, int64_t);
	const char *v = cp->args->v[1];
	int64_t     n;

	if (*field != MG_UNSET_SIZE)
		return conf_duplicate(cp, cmd);
	if (mg_conf_parse_size(v, &n) != MG_OK ||
	    !conf_in_bounds(n, cmd->data, INT64_MAX))
		return conf_invalid(cp, cmd, "size", v);
	*field = n;
	return MG_OK;
}

/* Milliseconds; unset is MG_UNSET_SIZE, as for sizes. */
static int
conf_set_time(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	int64_t    *field = CONF_FIELD(ctx, cmd, int64_t);
	const char *v = cp->args->v[1];
	int64_t     n;

	if (*field != MG_UNSET_SIZE)
		return conf_duplicate(cp, cmd);
	if (mg_conf_parse_time(v, &n) != MG_OK ||
	    !conf_in_bounds(n, cmd->data, INT64_MAX))
		return conf_invalid(cp, cmd, "time", v);
	*field = n;
	return MG_OK;
}

static int
conf_set_flag(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	int        *field = CONF_FIELD(ctx, cmd, int);
	const char *v = cp->args->v[1];

	if (*field != MG_UNSET)
		return conf_duplicate(cp, cmd);
	if (strcmp(v, "on") == 0)
		*field = 1;
	else if (strcmp(v, "off") == 0)
		*field = 0;
	else
		return conf_invalid(cp, cmd, "value", v);
	return MG_OK;
}

/* cmd->data, if any, is the default string. */
static int
conf_set_str(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	char **field = CONF_FIELD(ctx, cmd, char *);

	if (*field != NULL)
		return conf_duplicate(cp, cmd);
	if ((*field = conf_strdup(cp->conf, cp->args->v[1])) == NULL)
		return conf_nomem(cp);
	return MG_OK;
}

/* The field type a setter fills, for table-driven unset and defaults. */
static int
conf_kind(const conf_command_t *cmd)
{
	if (cmd->set == conf_set_num || cmd->set == conf_set_flag ||
	    cmd->set == conf_set_workers || cmd->set == conf_set_num_off)
		return CONF_KIND_INT;
	if (cmd->set == conf_set_size || cmd->set == conf_set_time)
		return CONF_KIND_INT64;
	if (cmd->set == conf_set_str)
		return CONF_KIND_STR;
	return CONF_KIND_NONE;
}

static void
conf_unset(int ctx_type, void *ctx)
{
	const conf_command_t *cmd;
	size_t                i;

	for (i = 0; i < MG_NELEM(mg_commands); i++) {
		cmd = &mg_commands[i];
		if (!(cmd->ctx & ctx_type))
			continue;
		switch (conf_kind(cmd)) {
		case CONF_KIND_INT:
			*CONF_FIELD(ctx, cmd, int) = MG_UNSET;
			break;
		case CONF_KIND_INT64:
			*CONF_FIELD(ctx, cmd, int64_t) = MG_UNSET_SIZE;
			break;
		case CONF_KIND_STR: *CONF_FIELD(ctx, cmd, char *) = NULL; break;
		}
	}
}

static int
conf_default_field(mg_conf_t *conf, const conf_command_t *cmd, void *ctx)
{
	const conf_bounds_t *b;

	switch (conf_kind(cmd)) {
	case CONF_KIND_INT:
		b = cmd->data;
		if (*CONF_FIELD(ctx, cmd, int) == MG_UNSET)
			*CONF_FIELD(ctx, cmd, int) = (int)b->def;
		break;
	case CONF_KIND_INT64:
		b = cmd->data;
		if (*CONF_FIELD(ctx, cmd, int64_t) == MG_UNSET_SIZE)
			*CONF_FIELD(ctx, cmd, int64_t) = b->def;
		break;
	case CONF_KIND_STR:
		if (*CONF_FIELD(ctx, cmd, char *) == NULL &&
		    (*CONF_FIELD(ctx, cmd, char *) =
			    conf_strdup(conf, cmd->data)) == NULL)
			return MG_ERROR;
		break;
	}
	return MG_OK;
}

/* Fields still unset take the default in their command's data. */
static int
conf_default(mg_conf_t *conf, int ctx_type, void *ctx)
{
	size_t i;

	for (i = 0; i < MG_NELEM(mg_commands); i++) {
		if (!(mg_commands[i].ctx & ctx_type) || !mg_commands[i].data)
			continue;
		/* inner blocks take the outer value instead (conf_merge) */
		if ((mg_commands[i].flags & CONF_INHERIT) &&
		    ctx_type != MG_CTX_MAIN)
			continue;
		if (conf_default_field(conf, &mg_commands[i], ctx) != MG_OK)
			return MG_ERROR;
	}
	return MG_OK;
}

/* Main context. */

static int
conf_set_workers(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	int *field = CONF_FIELD(ctx, cmd, int);

	if (*field == MG_UNSET && strcmp(cp->args->v[1], "auto") == 0) {
		*field = CONF_AUTO;
		return MG_OK;
	}
	return conf_set_num(cp, cmd, ctx);
}

/* A number, or "off" (0): a limit that may be turned off. */
static int
conf_set_num_off(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	int *field = CONF_FIELD(ctx, cmd, int);

	if (*field == MG_UNSET && strcmp(cp->args->v[1], "off") == 0) {
		*field = 0;
		return MG_OK;
	}
	return conf_set_num(cp, cmd, ctx);
}

static int
conf_set_error_log(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_conf_t   *conf = ctx;
	conf_args_t *a = cp->args;
	int          level;

	if (conf->error_log != NULL)
		return conf_duplicate(cp, cmd);
	if (a->n == 3) {
		level = mg_log_level_parse(a->v[2]);
		/* crit and emerg are for the daemon's own use, not a filter. */
		if (level < MG_LOG_DEBUG || level > MG_LOG_ERROR)
			return conf_invalid(cp, cmd, "value", a->v[2]);
		conf->error_log_level = level;
	}
	if ((conf->error_log = conf_strdup(conf, a->v[1])) == NULL)
		return conf_nomem(cp);
	return MG_OK;
}

/* Names only: the master resolves them, so a test needs no such user. */
static int
conf_set_user(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_conf_t   *conf = ctx;
	conf_args_t *a = cp->args;

	if (conf->user != NULL)
		return conf_duplicate(cp, cmd);
	if ((conf->user = conf_strdup(conf, a->v[1])) == NULL)
		return conf_nomem(cp);
	if (a->n == 3 && (conf->group = conf_strdup(conf, a->v[2])) == NULL)
		return conf_nomem(cp);
	conf->user_pos = conf_pos(cp);
	return MG_OK;
}

static int
conf_connector(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_connector_conf_t *cc = CONF_FIELD(ctx, cmd, mg_connector_conf_t);

	if (cc->present)
		return conf_duplicate(cp, cmd);
	cc->present = 1;
	cc->pos = conf_pos(cp);
	return conf_parse_block(cp, MG_CTX_CONNECTOR, cc, 1);
}

static int
conf_upstream(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_conf_t     *conf = ctx;
	mg_upstream_t *u, **tail;
	const char    *name = cp->args->v[1];

	(void)cmd;
	for (tail = &conf->upstreams; *tail != NULL; tail = &(*tail)->next)
		if (strcmp((*tail)->name, name) == 0)
			return conf_duplicate_name(
			    cp, "upstream", "", name, &(*tail)->pos);
	if ((u = conf_alloc(conf, sizeof(*u))) == NULL ||
	    (u->name = conf_strdup(conf, name)) == NULL)
		return conf_nomem(cp);
	conf_unset(MG_CTX_UPSTREAM, u);
	u->pos = conf_pos(cp);
	*tail = u;
	return conf_parse_block(cp, MG_CTX_UPSTREAM, u, 1);
}

static int
conf_server(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_conf_t   *conf = ctx;
	mg_server_t *srv, **tail;

	(void)cmd;
	if ((srv = conf_alloc(conf, sizeof(*srv))) == NULL)
		return conf_nomem(cp);
	conf_unset(MG_CTX_SERVER, srv);
	srv->pos = conf_pos(cp);
	for (tail = &conf->servers; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = srv;
	return conf_parse_block(cp, MG_CTX_SERVER, srv, 1);
}

/* Server context. */

static int
conf_resolve(const char *host, const char *port, int family,
    struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return MG_ERROR;
	if (res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		return MG_ERROR;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return MG_OK;
}

/*
 * "PORT", "*:PORT", "ADDR:PORT", "localhost:PORT", "[IPV6]:PORT", numeric
 * only: a listen address never waits on DNS.
 */
static int
conf_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char        host[128];
	const char *h = host, *port = text, *sep;
	int64_t     n;
	int         family = AF_INET;

	if (text[0] == '[') {
		if ((sep = strchr(text, ']')) == NULL || sep[1] != ':')
			return MG_ERROR;
		text++;
		family = AF_INET6;
		port = sep + 2;
	} else if ((sep = strrchr(text, ':')) != NULL)
		port = sep + 1;
	else
		h = NULL;
	if (h != NULL) {
		if (sep == text || (size_t)(sep - text) >= sizeof(host))
			return MG_ERROR;
		memcpy(host, text, (size_t)(sep - text));
		host[sep - text] = '\0';
		/* glibc reads a numeric "*" as any address; only *:PORT may. */
		if (strcmp(host, "*") == 0 && family == AF_INET6)
			return MG_ERROR;
		if (strcmp(host, "*") == 0)
			h = NULL;
		else if (family == AF_INET && strcmp(host, "localhost") == 0)
			h = "127.0.0.1";
	}
	sep = port;
	if (conf_parse_digits(&sep, &n) != MG_OK || *sep != '\0' || n < 1 ||
	    n > 65535)
		return MG_ERROR;
	return conf_resolve(h, port, family, ss, len);
}

static int
conf_listen(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_server_t *srv = ctx;
	mg_listen_t *l, **tail;
	const char  *v = cp->args->v[1];

	if ((l = conf_alloc(cp->conf, sizeof(*l))) == NULL ||
	    (l->text = conf_strdup(cp->conf, v)) == NULL)
		return conf_nomem(cp);
	if (cp->args->n == 3) {
		if (strcmp(cp->args->v[2], "ssl") != 0)
			return conf_invalid(cp, cmd, "value", cp->args->v[2]);
		l->ssl = 1;
	}
	if (conf_parse_listen(v, &l->addr, &l->addrlen) != MG_OK)
		return conf_error(
		    cp, cp->args->line, "invalid listen \"%s\"", v);
	l->pos = conf_pos(cp);
	for (tail = &srv->listens; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = l;
	return MG_OK;
}

/* A new array per directive; the old one stays in the pool till free. */
static int
conf_server_name(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_server_t *srv = ctx;
	conf_args_t *a = cp->args;
	char       **names;
	size_t       i, n = srv->nnames + a->n - 1;

	(void)cmd;
	if ((names = conf_alloc(cp->conf, n * sizeof(*names))) == NULL)
		return conf_nomem(cp);
	for (i = 0; i < srv->nnames; i++)
		names[i] = srv->names[i];
	for (i = 1; i < a->n; i++)
		if ((names[srv->nnames + i - 1] =
			    conf_strdup(cp->conf, a->v[i])) == NULL)
			return conf_nomem(cp);
	srv->names = names;
	srv->nnames = n;
	return MG_OK;
}

static int
conf_location(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_server_t   *srv = ctx;
	mg_location_t *loc, **tail;
	conf_args_t   *a = cp->args;
	const char    *path = a->v[a->n - 1];
	int            exact = a->n == 3;

	if (exact && strcmp(a->v[1], "=") != 0)
		return conf_invalid(cp, cmd, "value", a->v[1]);
	if (path[0] != '/')
		return conf_invalid(cp, cmd, "value", path);
	/* the path travels in every session id (session.c: route[128]) */
	if (strlen(path) > 127)
		return conf_error(
		    cp, cp->args->line, "location path longer than 127 bytes");
	for (tail = &srv->locations; *tail != NULL; tail = &(*tail)->next)
		if ((*tail)->exact == exact && strcmp((*tail)->path, path) == 0)
			return conf_duplicate_name(cp, "location",
			    exact ? "= " : "", path, &(*tail)->pos);
	if ((loc = conf_alloc(cp->conf, sizeof(*loc))) == NULL ||
	    (loc->path = conf_strdup(cp->conf, path)) == NULL)
		return conf_nomem(cp);
	conf_unset(MG_CTX_LOCATION, loc);
	loc->exact = exact;
	loc->pos = conf_pos(cp);
	*tail = loc;
	return conf_parse_block(cp, MG_CTX_LOCATION, loc, 1);
}

/* TLS. */

/* ssl_protocols TLSv1.2 [TLSv1.3] */
static int
conf_set_protocols(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	int *field = CONF_FIELD(ctx, cmd, int);

	if (*field != 0)
		return conf_duplicate(cp, cmd);
	for (size_t i = 1; i < cp->args->n; i++) {
		if (strcmp(cp->args->v[i], "TLSv1.2") == 0)
			*field |= MG_TLS_V12;
		else if (strcmp(cp->args->v[i], "TLSv1.3") == 0)
			*field |= MG_TLS_V13;
		else
			return conf_invalid(cp, cmd, "value", cp->args->v[i]);
	}
	return MG_OK;
}

/* ssl_verify_client on | optional | off */
static int
conf_set_verify_client(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_server_t *srv = ctx;
	const char  *v = cp->args->v[1];

	if (srv->tls.verify_pos.file != NULL)
		return conf_duplicate(cp, cmd);
	if (strcmp(v, "on") == 0)
		srv->tls.verify_client = MG_VERIFY_ON;
	else if (strcmp(v, "optional") == 0)
		srv->tls.verify_client = MG_VERIFY_OPTIONAL;
	else if (strcmp(v, "off") == 0)
		srv->tls.verify_client = MG_VERIFY_OFF;
	else
		return conf_invalid(cp, cmd, "value", v);
	srv->tls.verify_pos = conf_pos(cp);
	return MG_OK;
}

/* protocol auto | 2026-07-28 | 2025-11-25: the era an upstream speaks. */
static int
conf_set_protocol(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;
	const char    *v = cp->args->v[1];

	if (u->protocol_pos.file != NULL)
		return conf_duplicate(cp, cmd);
	if (strcmp(v, "auto") == 0)
		u->protocol = MG_PROTOCOL_AUTO;
	else if (strcmp(v, "2026-07-28") == 0)
		u->protocol = MG_PROTOCOL_2026;
	else if (strcmp(v, "2025-11-25") == 0)
		u->protocol = MG_PROTOCOL_2025;
	else
		return conf_error(cp, cp->args->line,
		    "invalid value \"%s\" in \"protocol\" directive (auto, "
		    "2026-07-28 or 2025-11-25)",
		    v);
	u->protocol_pos = conf_pos(cp);
	return MG_OK;
}

/* A server that listens with ssl has what TLS needs; an address is TLS
 * for every server on it or for none. */
static int
conf_validate_tls(conf_parse_t *cp, mg_server_t *srv)
{
	for (mg_listen_t *l = srv->listens; l != NULL; l = l->next) {
		if (l->ssl &&
		    (srv->tls.certificate == NULL ||
			srv->tls.certificate_key == NULL))
			return conf_error_at(cp, &l->pos,
			    "\"listen %s ssl\" "
			    "needs \"ssl_certificate\" and "
			    "\"ssl_certificate_key\" "
			    "in its server",
			    l->text);
		for (mg_server_t *o = cp->conf->servers; o != NULL; o = o->next)
			for (mg_listen_t *m = o->listens; m != NULL;
			     m = m->next)
				if (m->ssl != l->ssl &&
				    m->addrlen == l->addrlen &&
				    memcmp(&m->addr, &l->addr, l->addrlen) == 0)
					return conf_error_at(cp, &m->pos,
					    "\"%s\" is listened on with and "
					    "without ssl",
					    m->text);
		if (srv->tls.verify_client != MG_VERIFY_OFF &&
		    srv->tls.client_certificate == NULL)
			return conf_error_at(cp, &srv->tls.verify_pos,
			    "\"ssl_verify_client\" needs "
			    "\"ssl_client_certificate\"");
	}
	if (srv->tls.protocols == 0)
		srv->tls.protocols = MG_TLS_V12 | MG_TLS_V13;
	srv->tls.certificate_pos = srv->pos; /* what a failed load names */
	return MG_OK;
}

/* Location context. */

static int
conf_set_builtin(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_location_t *loc = ctx;

	/* the name is checked by whoever hosts the built-in servers, after
	 * parsing (mg_builtin_resolve): this layer does not know them */
	if (loc->builtin != NULL)
		return conf_duplicate(cp, cmd);
	if ((loc->builtin = conf_strdup(cp->conf, cp->args->v[1])) == NULL)
		return conf_nomem(cp);
	loc->builtin_pos = conf_pos(cp);
	return MG_OK;
}

static int
conf_set_pass(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_location_t *loc = ctx;

	if (loc->pass != NULL)
		return conf_duplicate(cp, cmd);
	/* the upstream may be defined further down: resolved in validation */
	if ((loc->pass = conf_strdup(cp->conf, cp->args->v[1])) == NULL)
		return conf_nomem(cp);
	return MG_OK;
}

/* mcp_deny METHOD [NAME]: repeatable; METHOD a JSON-RPC method or "*",
 * NAME a glob of the tool, prompt or resource named. */
static int
conf_set_deny(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_location_t *loc = ctx;
	mg_mcp_deny_t *d, **tail;
	const char    *m = cp->args->v[1];

	for (const char *p = m; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"')
			return conf_invalid(cp, cmd, "method", m);
	if (*m == '\0')
		return conf_invalid(cp, cmd, "method", m);
	if ((d = conf_alloc(cp->conf, sizeof(*d))) == NULL ||
	    (d->method = conf_strdup(cp->conf, m)) == NULL ||
	    (cp->args->n > 2 &&
		(d->name = conf_strdup(cp->conf, cp->args->v[2])) == NULL))
		return conf_nomem(cp);
	if (cp->args->n <= 2)
		d->name = NULL;
	d->next = NULL;
	d->pos = conf_pos(cp);
	for (tail = &loc->deny; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = d;
	return MG_OK;
}

/* Upstream context. */

/* "http://host[:port][/path]", "https://...", host a name, an IPv4
 * address or a bracketed IPv6 address. */
static int
conf_parse_url(mg_conf_t *conf, const char *url, mg_upstream_server_t *u)
{
	const char *p, *host, *hend, *port = NULL, *path;
	char        buf[16];

	if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "https://", 8) == 0) {
		p = url + 8;
		u->tls = 1;
	} else
		return MG_ERROR;
	if (*p == '[') {
		host = p + 1;
		if ((hend = strchr(host, ']')) == NULL)
			return MG_ERROR;
		p = hend + 1;
	} else {
		host = p;
		hend = p + strcspn(p, ":/?#");
		p = hend;
	}
	if (hend == host)
		return MG_ERROR;
	if (*p == ':') {
		port = p + 1;
		p = port + strcspn(port, "/?#");
	}
	path = *p == '/' ? p : "/";
	if (*p != '\0' && *p != '/')
		return MG_ERROR;
	if (port != NULL) {
		const char *d = port;
		int64_t     n;

		if ((size_t)(p - port) >= sizeof(buf) ||
		    conf_parse_digits(&d, &n) != MG_OK || d != p || n < 1 ||
		    n > 65535)
			return MG_ERROR;
	}
	snprintf(buf, sizeof(buf), "%s", u->tls ? "443" : "80");
	u->host = conf_alloc(conf, (size_t)(hend - host) + 1);
	u->port = conf_strdup(conf, port ? "" : buf);
	u->authority = conf_alloc(conf, strlen(url) + 3);
	if (u->host == NULL || u->port == NULL || u->authority == NULL ||
	    (u->path = conf_strdup(conf, path)) == NULL ||
	    (u->url = conf_strdup(conf, url)) == NULL)
		return MG_ERROR;
	memcpy(u->host, host, (size_t)(hend - host));
	u->host[hend - host] = '\0';
	if (port != NULL) {
		u->port = conf_alloc(conf, (size_t)(p - port) + 1);
		if (u->port == NULL)
			return MG_ERROR;
		memcpy(u->port, port, (size_t)(p - port));
		u->port[p - port] = '\0';
	}
	/* the Host header: the authority as written */
	memcpy(u->authority, url + (u->tls ? 8 : 7),
	    (size_t)(p - (url + (u->tls ? 8 : 7))));
	u->authority[p - (url + (u->tls ? 8 : 7))] = '\0';
	return MG_OK;
}

static int
conf_set_upstream_server(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;

	if (u->server.url != NULL)
		return conf_error(cp, cp->args->line,
		    "upstream \"%s\" has a "
		    "server already (one per upstream for now)",
		    u->name);
	if (conf_parse_url(cp->conf, cp->args->v[1], &u->server) != MG_OK)
		return conf_error(cp, cp->args->line,
		    "invalid upstream server "
		    "\"%s\": want http://HOST[:PORT]/PATH or https://...",
		    cp->args->v[1]);
	u->server.pos = conf_pos(cp);
	return MG_OK;
}

/* command PATH [ARG...]: a stdio server, run by the connector per
 * session.  PATH must be absolute and executable now (the connector runs
 * it later, as the configured user, with no shell). */
static int
conf_set_command(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;
	conf_args_t   *a = cp->args;
	char         **argv;

	(void)cmd;
	if (u->command != NULL)
		return conf_error(cp, a->line,
		    "upstream \"%s\" has a command already", u->name);
	if (a->v[1][0] != '/')
		return conf_error(cp, a->line,
		    "command \"%s\": the path must be absolute (no shell or "
		    "PATH search runs it)",
		    a->v[1]);
	if (access(a->v[1], X_OK) != 0)
		return conf_error(cp, a->line, "command \"%s\": %s", a->v[1],
		    strerror(errno));
	if ((argv = conf_alloc(cp->conf, a->n * sizeof(*argv))) == NULL)
		return conf_nomem(cp);
	for (size_t i = 1; i < a->n; i++)
		if ((argv[i - 1] = conf_strdup(cp->conf, a->v[i])) == NULL)
			return conf_nomem(cp);
	argv[a->n - 1] = NULL;
	u->command = argv;
	u->command_pos = conf_pos(cp);
	return MG_OK;
}

/* header NAME VALUE: added to every request to the upstream. */
static int
conf_set_header(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;
	const char    *name = cp->args->v[1], *value = cp->args->v[2];
	char         **v;
	size_t         len;

	if (name[0] == '\0' || strpbrk(name, " \t\r\n:") != NULL)
		return conf_invalid(cp, cmd, "value", name);
	if (strpbrk(value, "\r\n") != NULL)
		return conf_invalid(cp, cmd, "value", value);
	if ((v = conf_alloc(cp->conf, (u->nheaders + 1) * sizeof(*v))) == NULL)
		return conf_nomem(cp);
	for (size_t i = 0; i < u->nheaders; i++)
		v[i] = u->headers[i];
	len = strlen(name) + strlen(value) + 3;
	if ((v[u->nheaders] = conf_alloc(cp->conf, len)) == NULL)
		return conf_nomem(cp);
	snprintf(v[u->nheaders], len, "%s: %s", name, value);
	u->headers = v;
	u->nheaders++;
	return MG_OK;
}

/* allow_origins ORIGIN ...: in main, server and location. */
static int
conf_set_origins(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_http_conf_t *h = CONF_FIELD(ctx, cmd, mg_http_conf_t);
	conf_args_t    *a = cp->args;

	if (h->allow_origins != NULL)
		return conf_duplicate(cp, cmd);
	h->allow_origins = conf_alloc(cp->conf, (a->n - 1) * sizeof(char *));
	if (h->allow_origins == NULL)
		return conf_nomem(cp);
	for (size_t i = 1; i < a->n; i++)
		if ((h->allow_origins[i - 1] =
			    conf_strdup(cp->conf, a->v[i])) == NULL)
			return conf_nomem(cp);
	h->nallow_origins = a->n - 1;
	return MG_OK;
}

/* Unset fields of IN take the value of OUT (main -> server -> location). */
static void
conf_merge_http(mg_http_conf_t *in, const mg_http_conf_t *out)
{
#define MERGE(f, unset)                                                        \
	if (in->f == (unset))                                                  \
	in->f = out->f
	MERGE(client_max_body_size, MG_UNSET_SIZE);
	MERGE(client_max_header_size, MG_UNSET_SIZE);
	MERGE(client_max_headers, MG_UNSET);
	MERGE(client_header_timeout, MG_UNSET_SIZE);
	MERGE(client_body_timeout, MG_UNSET_SIZE);
	MERGE(keepalive_timeout, MG_UNSET_SIZE);
	MERGE(sse_keepalive, MG_UNSET_SIZE);
	MERGE(sse_buffer, MG_UNSET_SIZE);
	MERGE(sse_resume_timeout, MG_UNSET_SIZE);
	MERGE(access_log, NULL);
	MERGE(max_hops, MG_UNSET);
#undef MERGE
	if (in->allow_origins == NULL) {
		in->allow_origins = out->allow_origins;
		in->nallow_origins = out->nallow_origins;
	}
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
		return conf_error(cp, line, "%s() \"%s\" failed (%s)", call,
		    path, strerror(e));
	if ((file = conf_strdup(cp->conf, path)) == NULL) {
		free(buf);
		return conf_nomem(cp);
	}
	conf_lex_init(&lx, buf, len);
	cp->lex = &lx;
	cp->file = file;
	cp->depth++;
	rc = conf_parse_block(cp, cp->ctx_type, ctx, 0);
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
		rc = conf_error(cp, line, "glob() \"%s\" failed (%s)", pattern,
		    strerror(conf_glob_errno ? conf_glob_errno : ENOMEM));
	}
	globfree(&g);
	return rc;
}

static int
conf_include(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	const char *arg = cp->args->v[1];
	char       *path;
	int         line = cp->args->line, rc;

	(void)cmd;
	if (cp->depth >= CONF_INCLUDE_DEPTH)
		return conf_error(cp, line, "include nested too deeply");
	if ((path = conf_join(cp->file, arg)) == NULL)
		return conf_nomem(cp);
	if (strpbrk(arg, "*?[") != NULL)
		rc = conf_include_glob(cp, path, ctx, line);
	else
		rc = conf_include_file(cp, path, ctx, line);
	free(path);
	return rc;
}

/* Load. */

static int
conf_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > INT_MAX ? INT_MAX : (int)n;
}

/* One handler, and what mcp_pass names exists. */
static int
conf_validate_location(conf_parse_t *cp, mg_location_t *loc)
{
	mg_upstream_t *u;

	if (loc->builtin == NULL && loc->pass == NULL)
		return conf_error_at(cp, &loc->pos,
		    "location \"%s\" has no "
		    "handler: add \"mcp_builtin NAME;\" or \"mcp_pass "
		    "UPSTREAM;\"",
		    loc->path);
	if (loc->builtin != NULL && loc->pass != NULL)
		return conf_error_at(cp, &loc->pos,
		    "location \"%s\" has both "
		    "\"mcp_builtin\" and \"mcp_pass\"",
		    loc->path);
	if (loc->pass == NULL)
		return MG_OK;
	for (u = cp->conf->upstreams; u != NULL; u = u->next)
		if (strcmp(u->name, loc->pass) == 0) {
			loc->upstream = u;
			return MG_OK;
		}
	return conf_error_at(cp, &loc->pos,
	    "location \"%s\" passes to "
	    "unknown upstream \"%s\"",
	    loc->path, loc->pass);
}

static int
conf_validate(conf_parse_t *cp)
{
	mg_server_t   *srv;
	mg_upstream_t *u;
	mg_location_t *loc;
	int            i = 0;

	for (u = cp->conf->upstreams; u != NULL; u = u->next)
		u->index = i++;
	i = 0;
	for (srv = cp->conf->servers; srv != NULL; srv = srv->next)
		srv->index = i++;
	for (srv = cp->conf->servers; srv != NULL; srv = srv->next) {
		if (srv->listens == NULL)
			return conf_error_at(cp, &srv->pos,
			    "no \"listen\" directive in server block");
		if (conf_validate_tls(cp, srv) != MG_OK)
			return MG_ERROR;
		for (loc = srv->locations; loc != NULL; loc = loc->next)
			if (conf_validate_location(cp, loc) != MG_OK)
				return MG_ERROR;
	}
	for (u = cp->conf->upstreams; u != NULL; u = u->next) {
		if (u->server.url == NULL && u->command == NULL)
			return conf_error_at(cp, &u->pos,
			    "upstream \"%s\" has no \"server\" and no "
			    "\"command\"",
			    u->name);
		if (u->server.url != NULL && u->command != NULL)
			return conf_error_at(cp, &u->command_pos,
			    "upstream \"%s\" has both a \"server\" and a "
			    "\"command\": one or the other",
			    u->name);
		if (u->command != NULL &&
		    (u->nheaders > 0 || u->tls.trusted_certificate != NULL ||
			u->tls.certificate != NULL))
			return conf_error_at(cp, &u->command_pos,
			    "upstream \"%s\" runs a command: \"header\" and "
			    "the ssl_ directives are for a \"server\"",
			    u->name);
	}
	return MG_OK;
}

static int
conf_defaults(conf_parse_t *cp)
{
	mg_conf_t     *conf = cp->conf;
	mg_server_t   *srv;
	mg_location_t *loc;
	mg_upstream_t *u;
	int            rc;

	rc = conf_default(conf, MG_CTX_MAIN, conf);
	rc |= conf_default(conf, MG_CTX_CONNECTOR, &conf->connector);
	for (u = conf->upstreams; u != NULL; u = u->next)
		rc |= conf_default(conf, MG_CTX_UPSTREAM, u);
	for (srv = conf->servers; srv != NULL; srv = srv->next) {
		rc |= conf_default(conf, MG_CTX_SERVER, srv);
		conf_merge_http(&srv->http, &conf->http);
		for (loc = srv->locations; loc != NULL; loc = loc->next) {
			rc |= conf_default(conf, MG_CTX_LOCATION, loc);
			conf_merge_http(&loc->http, &srv->http);
		}
	}
	if (conf->worker_processes == MG_UNSET ||
	    conf->worker_processes == CONF_AUTO)
		conf->worker_processes = conf_ncpu();
	if (conf->error_log_level == MG_UNSET)
		conf->error_log_level = MG_LOG_INFO;
	/* per client: a tenth of the table, and 7/8 of a worker's
	 * connections (an eighth stays free for every other client) */
	if (conf->sessions_per_address == MG_UNSET)
		conf->sessions_per_address =
		    conf->max_sessions / 10 > 16 ? conf->max_sessions / 10 : 16;
	if (conf->connections_per_address == MG_UNSET)
		conf->connections_per_address =
		    conf->worker_connections - conf->worker_connections / 8;
	if (conf->error_log == NULL &&
	    (conf->error_log = conf_strdup(conf, "stderr")) == NULL)
		rc = MG_ERROR;
	return rc == MG_OK ? MG_OK : conf_nomem(cp);
}

static mg_conf_t *
conf_new(void)
{
	mg_conf_t *conf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return NULL;
	if ((conf->mem = calloc(1, sizeof(*conf->mem))) == NULL) {
		free(conf);
		return NULL;
	}
	conf_unset(MG_CTX_MAIN, conf);
	conf_unset(MG_CTX_CONNECTOR, &conf->connector);
	conf->error_log_level = MG_UNSET;
	return conf;
}

static mg_conf_t *
conf_load(const char *text, size_t len, const char *name, char **err)
{
	conf_parse_t cp;
	conf_lex_t   lx;

	memset(&cp, 0, sizeof(cp));
	cp.err = err;
	if ((cp.conf = conf_new()) == NULL) {
		conf_nomem(&cp);
		return NULL;
	}
	if ((cp.conf->path = conf_strdup(cp.conf, name)) == NULL) {
		conf_nomem(&cp);
		goto fail;
	}
	cp.file = cp.conf->path;
	conf_lex_init(&lx, text, len);
	cp.lex = &lx;
	if (conf_parse_block(&cp, MG_CTX_MAIN, cp.conf, 0) != MG_OK ||
	    conf_validate(&cp) != MG_OK || conf_defaults(&cp) != MG_OK)
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
		conf_set_err(err,
		    conf_strf(
			"%s() \"%s\" failed (%s)", call, path, strerror(e)));
		return NULL;
	}
	conf = conf_load(buf, len, path, err);
	free(buf);
	return conf;
}
