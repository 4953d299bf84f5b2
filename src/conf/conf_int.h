/*
 * What the files of the configuration parser share, and nobody else:
 * the parse state, the directive table's row, the pool and the error
 * reporters.  conf.h is the public API.
 */
#ifndef MG_CONF_INT_H
#define MG_CONF_INT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "lexer.h"

#define CONF_NARGS_MAX INT_MAX /* "1 or more arguments" */
#define CONF_BLOCK 0x01        /* the directive opens a { } block */
#define CONF_INHERIT 0x02      /* outer blocks give their value (merge) */
#define CONF_AUTO 0            /* "worker_processes auto", until defaults */

#define CONF_FIELD(ctx, cmd, type)                                             \
	((type *)(void *)((char *)(ctx) + (cmd)->offset))

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

/* The directive table (commands.c). */
extern const conf_command_t mg_commands[];
extern const size_t         mg_ncommands;
const conf_command_t       *mg_conf_find(
	  const char *name, int ctx_type, int block, int *known);

/* The parse loop (conf.c): statements until "}" (in_block) or the end. */
int mg_conf_parse_block(conf_parse_t *cp, int type, void *ctx, int in_block);

/* The pool (pool.c). */
mg_conf_t *mg_conf_new(void);
void      *mg_conf_alloc(mg_conf_t *conf, size_t size);
char      *mg_conf_strdup(mg_conf_t *conf, const char *s);
char      *mg_conf_strndup(mg_conf_t *conf, const char *s, size_t n);

/* Errors (error.c): each keeps the first message and returns MG_ERROR,
 * so that a setter can "return mg_conf_error(...)". */
char *mg_conf_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void  mg_conf_set_err(char **err, char *msg);

int mg_conf_error(conf_parse_t *cp, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int mg_conf_error_at(conf_parse_t *cp, const mg_conf_pos_t *pos,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int mg_conf_nomem(conf_parse_t *cp);
int mg_conf_invalid(conf_parse_t *cp, const conf_command_t *cmd,
    const char *what, const char *value);
int mg_conf_duplicate(conf_parse_t *cp, const conf_command_t *cmd);
/* A second named thing: says where the first one is. */
int mg_conf_duplicate_name(conf_parse_t *cp, const char *what,
    const char *prefix, const char *name, const mg_conf_pos_t *first);

/* Where the statement being set was written. */
mg_conf_pos_t mg_conf_pos(const conf_parse_t *cp);

/* A file a directive names, relative to the directory of the file being
 * read (set_auth.c), in the pool; NULL when out of memory. */
char *mg_conf_path(conf_parse_t *cp, const char *path);

/* After parsing: validate.c, then defaults.c. */
int  mg_conf_validate(conf_parse_t *cp);
void mg_conf_unset(int ctx_type, void *ctx);
int  mg_conf_defaults(conf_parse_t *cp);

/* Setters, by the context they serve. */
#define CONF_SETTER(name)                                                      \
	int name(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
/* set_value.c */
CONF_SETTER(mg_conf_set_num);
CONF_SETTER(mg_conf_set_size);
CONF_SETTER(mg_conf_set_time);
CONF_SETTER(mg_conf_set_flag);
CONF_SETTER(mg_conf_set_str);
CONF_SETTER(mg_conf_set_path);
CONF_SETTER(mg_conf_set_num_off);
/* set_main.c */
CONF_SETTER(mg_conf_set_workers);
CONF_SETTER(mg_conf_set_error_log);
CONF_SETTER(mg_conf_set_user);
CONF_SETTER(mg_conf_set_origins);
CONF_SETTER(mg_conf_connector);
CONF_SETTER(mg_conf_upstream);
CONF_SETTER(mg_conf_server);
/* set_server.c */
CONF_SETTER(mg_conf_listen);
CONF_SETTER(mg_conf_server_name);
CONF_SETTER(mg_conf_location);
CONF_SETTER(mg_conf_set_protocols);
CONF_SETTER(mg_conf_set_verify_client);
/* set_location.c */
CONF_SETTER(mg_conf_set_builtin);
CONF_SETTER(mg_conf_set_pass);
CONF_SETTER(mg_conf_set_page);
/* set_policy.c */
CONF_SETTER(mg_conf_set_rule);
/* timeouts.c */
CONF_SETTER(mg_conf_set_tool_timeout);
/* set_upstream.c */
/* TEXT, "http(s)://HOST[:PORT][/PATH]", taken apart into U (in the
 * pool): MG_OK, MG_DECLINED if it is no such URL, MG_ERROR without
 * memory. */
int mg_conf_url_set(mg_conf_t *conf, const char *text, mg_upstream_server_t *u,
    const char **why);
CONF_SETTER(mg_conf_set_upstream_server);
CONF_SETTER(mg_conf_set_command);
/* set_pool.c: a server or command line of upstream U as a member
 * (PARAMS words of the line from FIRST on); after defaults, the members
 * made into upstreams (mg_conf_pools) */
int      mg_conf_member_add(conf_parse_t *cp, mg_upstream_t *u,
	 const mg_upstream_server_t *server, char **command, size_t first,
	 size_t nparams);
int      mg_conf_member_param(const char *word);
uint32_t mg_conf_member_tag(const char *url, char *const *argv);
int      mg_conf_pools(conf_parse_t *cp);
CONF_SETTER(mg_conf_set_least_conn);
CONF_SETTER(mg_conf_set_header);
CONF_SETTER(mg_conf_set_protocol);
/* set_auth.c */
CONF_SETTER(mg_conf_auth_jwt);
CONF_SETTER(mg_conf_auth_jwt_off);
CONF_SETTER(mg_conf_set_auth_uris);
CONF_SETTER(mg_conf_set_auth_scope);
CONF_SETTER(mg_conf_set_auth_file);
CONF_SETTER(mg_conf_set_auth_jwks_url);
CONF_SETTER(mg_conf_set_auth_algorithms);
/* set_upcred.c */
CONF_SETTER(mg_conf_set_header_secret);
CONF_SETTER(mg_conf_set_env);
CONF_SETTER(mg_conf_set_cwd);
CONF_SETTER(mg_conf_set_env_secret);
CONF_SETTER(mg_conf_oauth_client);
CONF_SETTER(mg_conf_set_token_url);
CONF_SETTER(mg_conf_set_client_id);
CONF_SETTER(mg_conf_set_client_auth);
CONF_SETTER(mg_conf_oauth_token_exchange);
CONF_SETTER(mg_conf_set_forward_token);
/* Does U set Authorization by a header line or a secret file? */
int mg_conf_upstream_sets_auth(const mg_upstream_t *u);
/* set_upfwd.c: what forward_client_token and oauth_token_exchange need
 * of their upstream, and of the locations that pass to it */
int mg_conf_validate_upfwd(conf_parse_t *cp, const mg_upstream_t *u);
int mg_conf_validate_pass_token(
    conf_parse_t *cp, const mg_server_t *srv, const mg_location_t *loc);
/* set_access.c: auth_keys, auth_cert, auth_order; what they need of
 * their server (validate.c), and inheritance (defaults.c) */
CONF_SETTER(mg_conf_auth_keys);
CONF_SETTER(mg_conf_set_auth_cert);
CONF_SETTER(mg_conf_set_auth_order);
int  mg_conf_validate_access(conf_parse_t *cp, const mg_server_t *srv);
void mg_conf_access_defaults(mg_server_t *srv);
/* set_member.c: federation (mcp_member and its block, the separators);
 * what they need of their location, and their defaults */
CONF_SETTER(mg_conf_member);
CONF_SETTER(mg_conf_set_prefix);
CONF_SETTER(mg_conf_set_tools_glob);
CONF_SETTER(mg_conf_set_tool_rename);
CONF_SETTER(mg_conf_set_fed_sep);
int mg_conf_validate_members(
    conf_parse_t *cp, const mg_server_t *srv, mg_location_t *loc);
int mg_conf_members_defaults(mg_conf_t *conf, mg_location_t *loc);
/* set_log.c: log_format, access_log; the predefined formats and what
 * access_log names (validate.c) */
CONF_SETTER(mg_conf_log_format);
CONF_SETTER(mg_conf_set_access_log);
int mg_conf_validate_logs(conf_parse_t *cp);
/* TEXT as F's parts (a limit zone's key); MG_DECLINED: *WHY says why */
int mg_conf_key_compile(
    mg_conf_t *conf, mg_log_format_t *f, const char *text, const char **why);
/* set_limit.c: limit_req_zone, limit_req, limit_conn_zone, limit_conn and
 * their settings; the zones the lines name (validate.c), inheritance
 * (defaults.c) */
CONF_SETTER(mg_conf_limit_zone);
CONF_SETTER(mg_conf_set_limit_req);
CONF_SETTER(mg_conf_set_limit_conn);
CONF_SETTER(mg_conf_set_limit_status);
CONF_SETTER(mg_conf_set_limit_misc);
int  mg_conf_validate_limits(conf_parse_t *cp);
void mg_conf_limits_defaults(mg_conf_t *conf);
/* conf.c */
CONF_SETTER(mg_conf_include);
/* set_resolver.c */
CONF_SETTER(mg_conf_set_resolver);
/* set_health.c: health_check, and what it needs of its upstream */
CONF_SETTER(mg_conf_set_health);
int mg_conf_validate_health(conf_parse_t *cp, const mg_upstream_t *u);
#undef CONF_SETTER
/* set_upcred.c: what the credentials of upstream U need of the rest of
 * it (validate.c calls it for every upstream). */
int mg_conf_validate_upcred(conf_parse_t *cp, const mg_upstream_t *u);
int mg_conf_validate_stdio(conf_parse_t *cp, const mg_upstream_t *u);

#endif
