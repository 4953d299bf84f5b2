/*
 * The configuration: an nginx-like file parsed into plain structs.
 *
 * Parsing is table driven (commands.c: mg_commands[]): each directive has a
 * name, the contexts it may appear in, an argument count, a setter and the
 * offset of its field.  Fields start unset (MG_UNSET, NULL); defaults are
 * applied once after the whole file is read (mg_conf_load), and the whole
 * configuration is validated before anybody uses it.  A configuration is
 * immutable once loaded; a reload loads a new one beside the old.
 */
#ifndef MG_CONF_H
#define MG_CONF_H

#include <sys/socket.h>
#include <stdint.h>

#include "mcpgw.h"

/* Contexts a directive may appear in (bit mask). */
#define MG_CTX_MAIN 0x01
#define MG_CTX_CONNECTOR 0x02
#define MG_CTX_UPSTREAM 0x04
#define MG_CTX_SERVER 0x08
#define MG_CTX_LOCATION 0x10
#define MG_CTX_AUTH_JWT 0x20       /* the body of "auth_jwt { }" */
#define MG_CTX_OAUTH_CLIENT 0x40   /* the body of "oauth_client { }" */
#define MG_CTX_TOKEN_EXCHANGE 0x80 /* "oauth_token_exchange { }" */
#define MG_CTX_MEMBER 0x100        /* the body of "mcp_member NAME { }" */
#define MG_CTX_ANY 0x1ff

/* Where a thing was written, for messages that name file and line. */
typedef struct {
	const char *file; /* owned by the mg_conf_t */
	int         line;
} mg_conf_pos_t;

/* A list of words, from one directive or several that add up. */
typedef struct {
	char **v;
	size_t n;
} mg_conf_words_t;

/* A file a directive names (relative: to the directory of the file that
 * holds the directive), and where, for messages when it is read. */
typedef struct {
	char         *path;
	mg_conf_pos_t pos;
} mg_conf_file_t;

/*
 * log_format NAME [escape=default|json|none] STRING...: compiled once when
 * the configuration is read (set_log.c) into parts, each a literal and
 * the variable after it (either may be missing; never both).
 * This layer knows variables only by name; the master resolves each name
 * to its row of the worker's variable table (logvar.c) after parsing and
 * refuses an unknown one with file and line.
 */
#define MG_LOG_ESC_DEFAULT 0 /* " \ and bytes outside ASCII 0x20-0x7e: \xHH */
#define MG_LOG_ESC_JSON 1    /* a JSON string's escapes (RFC 8259) */
#define MG_LOG_ESC_NONE 2
#define MG_LOG_FORMAT_MAX_VARS 1000 /* variables in one log_format */
#define MG_LOG_RAW_QUOTED 1 /* already quoted and escaped, but for json */
#define MG_LOG_RAW_SAFE 2   /* never holds a byte any escape would change */

typedef struct {
	const char *text; /* the literal before the variable; or NULL */
	size_t      len;  /* of text */
	char       *name; /* the variable's name, without '$'; or NULL */
	const char *arg;  /* $http_NAME: "name" as a header ("x-api-key") */
	int         var;  /* the variable's row (logvar.c), once resolved */
	void (*fn)(void); /* and its function (an mg_logvar_fn_t) */
	int    raw;       /* MG_LOG_RAW_*: its value needs no escaping */
	int    copy;      /* raw for this format's escape: copied as it is */
	size_t tail;      /* bytes kept for the parts after this one */
} mg_log_part_t;

typedef struct mg_log_format {
	struct mg_log_format *next;
	char                 *name;
	int                   escape; /* MG_LOG_ESC_* */
	mg_log_part_t        *parts;
	size_t                nparts;
	size_t                literal; /* bytes of its literals, in all */
	int                   builtin; /* predefined: mcpgw, json */
	mg_conf_pos_t         pos;
	void (*fast)(void); /* its own writer (worker/logfast.c), or NULL */
} mg_log_format_t;

/* access_log PATH [FORMAT] [buffer=SIZE] [flush=TIME], or off: a level's
 * own list, in file order (a level without one takes the outer list). */
typedef struct mg_access_log {
	struct mg_access_log  *next;
	char                  *path;    /* NULL: "access_log off" */
	char                  *fmtname; /* as written; NULL: mcpgw */
	const mg_log_format_t *format;  /* resolved in validation */
	int64_t                buffer;  /* bytes kept before a write; 0: none */
	int64_t                flush;   /* ms a kept line waits at most */
	int                    index;   /* the file's, set by the master */
	mg_conf_pos_t          pos;
} mg_access_log_t;

/*
 * HTTP settings that a server inherits from the main context and a
 * location from its server, as nginx's do: unset fields take the outer
 * value after parsing.
 */
typedef struct {
	int64_t client_max_body_size;   /* bytes: 413 */
	int64_t client_max_header_size; /* bytes: 431 (main, server) */
	int     client_max_headers;     /* count: 431 (main, server) */
	int64_t client_header_timeout;  /* ms: 408 (main, server) */
	int64_t client_body_timeout;    /* ms: 408 */
	int64_t keepalive_timeout;      /* ms (main, server) */
	int64_t sse_keepalive; /* ms between comments on idle streams */
	int64_t sse_buffer;    /* bytes of a stream's events kept to replay */
	int64_t sse_resume_timeout;  /* ms a dropped stream waits for its
				      * client to come back */
	int              max_hops;   /* gateways a request may have crossed */
	mg_access_log_t *access_log; /* NULL: none written here (after
				      * defaults: off) */
	char **allow_origins;        /* NULL: the server's names, localhost */
	size_t nallow_origins;
} mg_http_conf_t;

/* TLS of a server (agents to mcpgw) or of an upstream (mcpgw to it). */
#define MG_TLS_V12 0x01
#define MG_TLS_V13 0x02
#define MG_VERIFY_OFF 0
#define MG_VERIFY_ON 1
#define MG_VERIFY_OPTIONAL 2

typedef struct {
	char   *certificate; /* PEM, with its chain */
	char   *certificate_key;
	char   *client_certificate;  /* CAs for client certificates */
	char   *trusted_certificate; /* upstream: instead of the system's */
	char   *ciphers;
	int     protocols;             /* MG_TLS_V12 | MG_TLS_V13 */
	int     verify_client;         /* MG_VERIFY_* */
	int     verify;                /* upstream: verify the server */
	int64_t handshake_timeout;     /* ms */
	mg_conf_pos_t certificate_pos; /* for messages on reload */
	mg_conf_pos_t verify_pos;
} mg_tls_conf_t;

typedef struct mg_listen {
	struct mg_listen       *next;
	char                   *text; /* as written, "127.0.0.1:8080" */
	int                     ssl;  /* "listen ... ssl" */
	struct sockaddr_storage addr;
	socklen_t               addrlen;
	mg_conf_pos_t           pos;
} mg_listen_t;

/* What a condition of an mcp_allow or mcp_deny rule looks at
 * (docs/configuration.md, "Policy rules"). */
typedef enum {
	MG_COND_SUB,   /* sub=GLOB: a JWT's subject */
	MG_COND_SCOPE, /* scope=S: a JWT grants S */
	MG_COND_CLAIM, /* claim:NAME=VALUE: a JWT's claim is, or holds, VALUE */
	MG_COND_KEY,   /* key=GLOB: the API key's name */
	MG_COND_CERT, /* cert=GLOB: the verified client certificate's subject */
	MG_COND_KIND, /* kind=jwt|key|cert|none: how the client was known */
	MG_COND_COUNT
} mg_mcp_cond_what_t;

/* WHAT=V1|V2|...: holds when any of the values does. */
typedef struct {
	mg_mcp_cond_what_t what;
	char              *claim; /* MG_COND_CLAIM: the claim's name */
	mg_conf_words_t    values;
} mg_mcp_cond_t;

/*
 * mcp_allow|mcp_deny METHOD [NAME] [if|unless COND...]: a location's
 * policy rules, in file order; the first that matches a request decides
 * it, and a request no rule matches is refused when an mcp_allow rule
 * names its method (an allow list), else served.
 */
typedef struct mg_mcp_rule {
	struct mg_mcp_rule *next;
	char               *method; /* a glob ("*": any) */
	char               *name;   /* a glob (fnmatch) of the name, or NULL */
	int                 allow;  /* mcp_allow */
	int                 unless; /* matches when the conditions do not */
	mg_mcp_cond_t      *conds;  /* all must hold; none: always */
	size_t              nconds;
	mg_conf_pos_t       pos;
} mg_mcp_rule_t;

/* mcp_deny's rules were all there was before mcp_allow came. */
typedef mg_mcp_rule_t mg_mcp_deny_t;

/* "server URL" of an upstream (or a jwks_url), taken apart. */
typedef struct {
	char         *url;       /* as written */
	int           tls;       /* https */
	char         *host;      /* name or address, no brackets */
	char         *port;      /* "443" */
	char         *path;      /* "/mcp" */
	char         *authority; /* Host header: "host[:port]" */
	mg_conf_pos_t pos;
} mg_upstream_server_t;

/*
 * auth_jwt { ... }: the bearer tokens (JWT) a route accepts
 * (docs/auth.md).  Written in a server or a location; a location without
 * one takes its server's.  The configuration keeps names and numbers; the
 * master turns the algorithm names into bits (mg_master_auth_resolve) and
 * reads the key file (mg_master_auth_load) into jwks, which is freed with
 * the configuration.
 */
struct mg_jwks;

typedef struct mg_auth_jwt {
	int             off;        /* "auth_jwt off;" (parsing only) */
	mg_conf_words_t issuers;    /* iss: one of them; at least one */
	mg_conf_words_t audiences;  /* aud; none: the route's own URL */
	mg_conf_words_t algorithms; /* as written; none: every asymmetric */
	mg_conf_pos_t   algorithms_pos;
	unsigned        algs;              /* MG_JWT_* bits (jwt.h) */
	mg_conf_file_t  jwks_file;         /* a JWK Set (RFC 7517), or */
	mg_conf_file_t  hs256_secret_file; /* an HMAC secret */
	int64_t         leeway;            /* ms, for exp, nbf, iat */
	int64_t         max_token_size;    /* bytes */
	mg_conf_words_t scopes;            /* each one required */
	const struct mg_jwks *jwks;        /* the keys, once loaded */
	/* or a JWK Set the connector fetches (url NULL: none); see
	 * docs/auth.md, "Keys from a URL" */
	mg_upstream_server_t jwks_url;
	mg_conf_file_t       jwks_trusted_certificate; /* CAs; none: system's */
	int64_t              jwks_refresh;             /* ms between fetches */
	int64_t              jwks_min_refresh; /* ms at least between fetches
						* an unknown kid asks for */
	int64_t       jwks_max_stale; /* ms a set is kept while fetches fail */
	int           index; /* in configuration order: mg_conf_t's nauth_jwt */
	mg_conf_pos_t pos;
} mg_auth_jwt_t;

/*
 * The other ways a route tells clients apart (docs/auth.md): API keys
 * (auth_keys FILE [header=NAME]; the master reads FILE into keys), a
 * verified client certificate (auth_cert on), and the order in which a
 * route tries its methods (auth_order).  Each is written in a server or
 * a location, and a location without its own takes its server's.
 */
struct mg_apikeys;

typedef struct mg_auth_keys {
	int                      off;    /* "auth_keys off;" (parsing only) */
	mg_conf_file_t           file;   /* "NAME SHA256-HEX" lines */
	char                    *header; /* header=NAME; NULL: Bearer only */
	const struct mg_apikeys *keys;   /* the file's keys, once loaded */
	mg_conf_pos_t            pos;
} mg_auth_keys_t;

typedef struct {
	int           on;  /* after defaults: 0 or 1 */
	mg_conf_pos_t pos; /* file NULL: not written */
} mg_auth_cert_t;

/* The methods, by the names auth_order knows them by. */
#define MG_AUTH_CERT 0
#define MG_AUTH_JWT 1
#define MG_AUTH_KEY 2
#define MG_AUTH_NMETHODS 3

typedef struct {
	uint8_t       v[MG_AUTH_NMETHODS]; /* MG_AUTH_*, first tried first */
	uint8_t       n;                   /* 0: not written */
	mg_conf_pos_t pos;
} mg_auth_order_t;

struct mg_mcp_backend;

/*
 * mcp_member NAME [{ ... }]: one upstream of a federated location
 * (docs/federation.md), whose tools, prompts and resources the location
 * shows beside the other members', under the member's prefix.
 */
#define MG_FED_MAX_MEMBERS 32

typedef struct mg_member {
	struct mg_member         *next;
	char                     *name;     /* the upstream's name */
	const struct mg_upstream *upstream; /* resolved in validation */
	char *prefix;               /* after defaults: NAME unless written;
				     * NULL: prefix off */
	int             prefix_off; /* "prefix off;" (parsing only) */
	mg_conf_words_t allow;      /* tools_allow globs; n 0: all */
	mg_conf_words_t deny;       /* tools_deny globs */
	mg_conf_words_t rename;     /* tool_rename pairs: v[2i] the
				     * member's name, v[2i+1] shown */
	int           index;        /* in its location, from 0, file order */
	mg_conf_pos_t pos;
} mg_member_t;

/* tool_timeout NAME TIME (conf/timeouts.c): a tools/call of NAME ends
 * after MS, in file order, names unique in their block. */
#define MG_TOOL_TIMEOUT_NAME_MAX 62 /* bytes, visible ASCII */
typedef struct mg_tool_timeout {
	struct mg_tool_timeout *next;
	char                   *name;
	int64_t                 ms;
	mg_conf_pos_t           pos;
} mg_tool_timeout_t;

/*
 * limit_req_zone KEY zone=NAME:SIZE rate=Nr/s|Nr/m and limit_conn_zone
 * KEY zone=NAME:SIZE (set_limit.c; docs/configuration.md, "Request
 * limits"): a table of SIZE bytes shared by all workers, one entry per
 * value of KEY, a string of access log variables compiled as a
 * log_format's parts (the master resolves them with the log's,
 * logvar.c).  An empty key is not counted.
 */
#define MG_LIMIT_ZONE_REQ 0
#define MG_LIMIT_ZONE_CONN 1

typedef struct mg_limit_zone {
	struct mg_limit_zone *next;
	char                 *name;
	int                   kind;     /* MG_LIMIT_ZONE_* */
	mg_log_format_t       key;      /* its parts (escape none) */
	char                 *key_text; /* as written */
	int64_t               size;     /* bytes */
	int64_t               rate;     /* limit_req: milli-requests a second */
	int                   index;    /* in file order, from 0 */
	void                 *shm; /* the shared table (worker/limitzone.c),
				    * set by the master */
	mg_conf_pos_t pos;
	/* limit_req_zone ... store: kept in the limit_store (Redis), shared
	 * by every instance, instead of the shared table (set_lstore.c) */
	int store;
} mg_limit_zone_t;

/* limit_req zone=NAME [burst=N] [nodelay|delay=N] [methods=M,...] and
 * limit_conn NAME N [methods=M,...]: a level's own lines, in file order. */
typedef struct mg_limit_ref {
	struct mg_limit_ref   *next;
	char                  *name;
	const mg_limit_zone_t *zone;  /* resolved in validation */
	int64_t                burst; /* limit_req: requests beyond the rate */
	int64_t delay;        /* requests of the burst served at once (nodelay:
			       * burst) */
	int64_t         conn; /* limit_conn: calls in flight per key */
	mg_conf_words_t methods; /* n 0: every method */
	mg_conf_pos_t   pos;
} mg_limit_ref_t;

/* A server's or location's limits; 0 fields are unset (a location takes
 * its server's, a level without limit_req lines the outer level's). */
typedef struct {
	mg_limit_ref_t *req;
	mg_limit_ref_t *conn;
	int             req_status;  /* after defaults: 429 unless written */
	int             conn_status; /* same */
	int             log_level;   /* mg_log_level_t + 1; default error */
	int             dry_run;     /* 1: off, 2: on */
	/* after defaults: a line has methods=, or a key names an $mcp_
	 * variable: the message must be looked at (else every POST counts,
	 * unread) */
	int need_msg;
} mg_limit_conf_t;

typedef struct mg_location {
	struct mg_location *next;
	char               *path;
	int                 exact;   /* "location = /x" */
	char               *builtin; /* mcp_builtin NAME */
	mg_conf_pos_t       builtin_pos;
	/* what builtin names, set by mg_builtin_resolve after parsing */
	const struct mg_mcp_backend *backend;
	char                        *pass; /* mcp_pass UPSTREAM */
	/* a page of mcpgw's own instead of an MCP endpoint: "metrics" or
	 * "status", the directive that set it (worker/page.c serves it) */
	const char               *page;
	const struct mg_upstream *upstream; /* what pass names */
	union { /* mcp_allow and mcp_deny, in file order (rules.h) */
		mg_mcp_rule_t *rules;
		mg_mcp_rule_t *deny; /* its name before mcp_allow */
	};
	/* after defaults: its own, else its server's; NULL: none, or off */
	mg_auth_jwt_t  *auth_jwt;
	mg_auth_keys_t *auth_keys;  /* as auth_jwt */
	mg_auth_cert_t  auth_cert;  /* as auth_jwt; off unless written */
	mg_auth_order_t auth_order; /* after defaults: never empty */
	mg_http_conf_t  http;
	mg_conf_pos_t   pos;

	/* federation: mcp_member, in file order; NULL: not federated */
	mg_member_t  *members;
	int           nmembers;
	char         *name_sep;       /* after defaults: "__" */
	char         *uri_sep;        /* after defaults: "+" */
	int64_t       member_timeout; /* ms, after defaults 10000 */
	mg_conf_pos_t sep_pos; /* where a separator was written (file NULL:
				* nowhere) */
	/* the whole time a request may take (call_timeout, ms; 0: none),
	 * and a tools/call's by tool name (tool_timeout; the name as the
	 * client sees it); both before the upstream's */
	int64_t            call_timeout;
	mg_tool_timeout_t *tool_timeouts;

	/* limit_req, limit_conn (set_limit.c) */
	mg_limit_conf_t limits;
	/* path as the access log's default escape writes it, made at load
	 * (worker/logfast.c); NULL: not made */
	char  *log_path;
	size_t log_path_len;
} mg_location_t;

typedef struct mg_server {
	struct mg_server *next;
	mg_listen_t      *listens;
	char            **names; /* server_name, nnames entries */
	size_t            nnames;
	mg_location_t    *locations;
	mg_http_conf_t    http;
	mg_tls_conf_t     tls;
	mg_auth_jwt_t    *auth_jwt;   /* for its locations; NULL: none */
	mg_auth_keys_t   *auth_keys;  /* for its locations; NULL: none */
	mg_auth_cert_t    auth_cert;  /* for its locations */
	mg_auth_order_t   auth_order; /* for its locations; n 0: none */
	int               index;      /* in file order, from 0 */
	mg_conf_pos_t     pos;
	mg_limit_conf_t   limits; /* for its locations (set_limit.c) */
	/* names[0] ("-": none) as the access log's default escape writes it,
	 * made at load (worker/logfast.c); NULL: not made */
	char  *log_name;
	size_t log_name_len;
} mg_server_t;

/* Which era an upstream speaks: found out (auto), or as configured. */
#define MG_PROTOCOL_AUTO 0
#define MG_PROTOCOL_2025 1 /* "2025-11-25": the 2025 revisions */
#define MG_PROTOCOL_2026 2 /* "2026-07-28" */
#define MG_PROTOCOL_2024 3 /* "2024-11-05": the HTTP+SSE transport */

/*
 * The upstream's own credentials (docs/configuration.md, "The upstreams'
 * credentials"): never the client's.  A secret is named by its file; the
 * master reads it when it prepares or tests a configuration
 * (mg_master_upcred_load) into value, which is cleansed and freed with
 * the configuration.
 */
typedef struct mg_upstream_var {
	struct mg_upstream_var *next;
	char                   *name;  /* a header or environment variable */
	char                   *value; /* env NAME VALUE: as written; a
					* secret's: once the master read it */
	mg_conf_file_t file;           /* a secret's; path NULL for env */
} mg_upstream_var_t;

/* How the client authenticates to the token endpoint (RFC 6749 2.3.1). */
#define MG_OAUTH_BASIC 0 /* client_secret_basic: the default */
#define MG_OAUTH_POST 1  /* client_secret_post */

/* oauth_client { }: the client-credentials grant (RFC 6749 4.4); the
 * same for oauth_token_exchange { } (RFC 8693), with its cache. */
typedef struct mg_oauth_client {
	mg_upstream_server_t token;     /* token_url, taken apart */
	char                *client_id; /* as the server knows it */
	mg_conf_file_t       client_secret_file;
	char                *client_secret; /* once the master read it */
	int                  client_auth;   /* MG_OAUTH_* */
	mg_conf_pos_t        client_auth_pos;
	mg_conf_words_t      scopes;    /* scope=, space-separated */
	mg_conf_words_t      resources; /* resource= each (RFC 8707) */
	mg_conf_words_t      audiences; /* audience= each */
	int                  cache;     /* token_cache: exchanged tokens */
	mg_conf_pos_t        pos;
} mg_oauth_client_t;

/* health_check (connector/health.c): the connector's probes of an
 * upstream's servers; pos.file NULL: none. */
typedef struct {
	int64_t       interval, timeout; /* ms */
	int           fails, passes;     /* in a row: down, up again */
	const char   *method; /* ping, tools/list, ...; NULL: by era */
	mg_conf_pos_t pos;
} mg_health_conf_t;

typedef struct mg_upstream {
	struct mg_upstream  *next;
	char                *name;
	int                  index;  /* in file order, from 0 */
	mg_upstream_server_t server; /* server URL; (one for now) */
	/* or a stdio server: the connector runs COMMAND (argv, NULL-ended)
	 * for each session, at most max_processes at once */
	char        **command;
	mg_conf_pos_t command_pos;
	int           max_processes;
	/* new sessions waiting for one of them to end: at most
	 * process_queue, each process_queue_timeout ms (stdiowait.c) */
	int           process_queue;
	int64_t       process_queue_timeout;
	char         *cwd; /* cwd DIR: where the command runs */
	mg_conf_pos_t cwd_pos;
	char        **headers; /* "Name: value" lines, nheaders */
	size_t        nheaders;
	int64_t       connect_timeout; /* ms */
	int64_t       read_timeout;    /* ms between reads */
	int           keepalive;       /* idle connections kept */
	int           max_input_waits; /* bridged requests parked */
	int           protocol;        /* MG_PROTOCOL_* */
	mg_conf_pos_t protocol_pos;    /* where it was set */
	mg_tls_conf_t tls;

	/* bytes: the longest message of its answers (an SSE event, a body,
	 * a line of a streamed body) */
	int64_t max_message_size;

	/* its credentials: headers and environment in file order */
	mg_upstream_var_t *secret_headers; /* header_secret_file */
	mg_upstream_var_t *env;            /* env, env_secret_file */
	mg_oauth_client_t *oauth;          /* oauth_client { } */
	/* or the client's own token: as it came (forward_client_token on),
	 * or exchanged for one meant for the upstream (RFC 8693) */
	int                forward_token;
	mg_conf_pos_t      forward_pos;
	mg_oauth_client_t *exchange; /* oauth_token_exchange { } */
	mg_conf_pos_t      pos;
	/* the whole time a request to it may take (call_timeout, ms; 0:
	 * none), and a tools/call's by the upstream's tool name
	 * (tool_timeout) */
	int64_t            call_timeout;
	mg_tool_timeout_t *tool_timeouts;

	/* a pool (docs/configuration.md, "Pools"): every server or command
	 * line, in file order (the first is also server or command above);
	 * two or more make a pool, each member run as an upstream of its
	 * own made from this one at load (set_pool.c) */
	struct mg_upstream_member *members;
	size_t                     nmembers;
	int                        least_conn; /* least_conn; else rr */
	int next_upstream_tries; /* members tried for a request; 0: all */
	/* a member's upstream: the pool's, and its line; NULL otherwise */
	const struct mg_upstream        *pool;
	const struct mg_upstream_member *member;

	mg_health_conf_t health; /* health_check */
} mg_upstream_t;

/* Members of one pool, at most. */
#define MG_POOL_MEMBERS_MAX 64

/* A "server URL [weight=N] [max_fails=N] [fail_timeout=TIME] [backup]"
 * (or "command [PARAMS] /PATH [ARG...]") line of a pool. */
typedef struct mg_upstream_member {
	mg_upstream_server_t server;       /* url NULL: a command */
	char               **command;      /* argv, NULL-ended; or NULL */
	int                  weight;       /* >= 1 */
	int                  max_fails;    /* 0: never taken out */
	int64_t              fail_timeout; /* ms */
	int                  backup;       /* used when no other is */
	/* a hash of its URL or argv: the tag its sessions carry (stable
	 * across reloads and instances that have the same line) */
	uint32_t       tag;
	mg_upstream_t *up; /* its own upstream (index, transport) */
	mg_conf_pos_t  pos;
	char          *board; /* its status board record: "NAME#TAG" */
} mg_upstream_member_t;

typedef struct {
	int           present; /* a connector { } block was written */
	mg_conf_pos_t pos;
} mg_connector_conf_t;

/* limit_store redis://IP[:PORT] | unix:PATH [params]: where limits shared
 * by every instance are kept (worker/lstore.c).  An IP address or a Unix
 * socket path only: a worker's connect never resolves a name. */
typedef struct mg_limit_store {
	char         *addr;        /* as written, for log lines */
	char         *host;        /* an IP address; NULL: a Unix socket */
	int           port;        /* 6379 unless written */
	char         *unix_path;   /* unix:PATH */
	int           db;          /* db=N: SELECT N */
	char         *password;    /* password_file=FILE's first line (AUTH) */
	int64_t       timeout;     /* timeout=TIME: ms a command may take */
	int           fail_closed; /* fail=closed: refuse while unreachable */
	char         *prefix;      /* prefix=STR of every key */
	int           queue;       /* queue=N: commands in flight, per worker */
	mg_conf_pos_t pos;
} mg_limit_store_t;

typedef struct mg_conf {
	char               *path;             /* the main file, as given */
	int                 worker_processes; /* after defaults: >= 1 */
	char               *pid;              /* absolute or as written */
	char               *error_log;        /* "stderr" or a path */
	int                 error_log_level;  /* mg_log_level_t */
	char               *user;             /* NULL: keep the current user */
	char               *group;            /* NULL: the user's group */
	mg_conf_pos_t       user_pos;
	int                 worker_connections;
	int64_t             shutdown_timeout; /* ms: graceful stop deadline */
	int                 max_sessions;     /* the shared session table */
	int64_t             session_timeout; /* ms idle before a session ends */
	char               *session_key_file; /* NULL: a key per master start */
	int                 sessions_per_address;    /* limit.h; 0: off */
	int                 connections_per_address; /* per worker; 0: off */
	int                 auth_token_cache; /* verified tokens per worker */
	mg_http_conf_t      http;
	mg_log_format_t    *log_formats;  /* log_format, then mcpgw, json */
	int64_t             log_line_max; /* bytes: longer lines are cut */
	mg_connector_conf_t connector;
	mg_server_t        *servers;   /* in file order */
	mg_upstream_t      *upstreams; /* in file order */
	/* auth_jwt blocks, "off" ones not counted, numbered (index) in the
	 * order of the file: a server's own, then each of its locations' */
	int                 nauth_jwt;
	struct mg_conf_mem *mem; /* everything above is allocated here */
	/* metrics.h: series per process (read at start); tool names per
	 * route per process */
	int metrics_max_series;
	int metrics_max_tools;
	/* a location serves the page (validate.c): only then do the
	 * processes count for it (docs/observability.md, "Cost") */
	int metrics_page;
	int status_page;
	/* the connector's resolver (set_resolver.c, connector/resolve.c):
	 * nameservers "ADDRESS[:PORT]", NULL-ended (NULL: /etc/resolv.conf);
	 * valid= (ms; 0: each answer's TTL); ipv6=off; the resolver_ times
	 * (ms) */
	char  **resolvers;
	int64_t resolver_valid;
	int     resolver_ipv6_off;
	int64_t resolver_timeout;
	int64_t resolver_min_ttl;
	int64_t resolver_max_ttl;
	int64_t resolver_max_stale;
	/* limit_req_zone and limit_conn_zone, in file order */
	mg_limit_zone_t *limit_zones;
	int              nlimit_zones;
	/* limit_store (set_lstore.c): the Redis that zones marked "store"
	 * share with every instance; NULL: none */
	struct mg_limit_store *limit_store;
	/* ms: a worker stops accepting this long when accept() finds no
	 * descriptor or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) */
	int64_t accept_retry_delay;
} mg_conf_t;

/*
 * Read, parse, default and validate FILE.  On failure returns NULL and sets
 * *err to a malloc'd message that names file and line, e.g.
 *   unknown directive "foo" in /etc/mcpgw/mcpgw.conf:12
 */
mg_conf_t *mg_conf_load(const char *path, char **err);

/* The same from a string; NAME stands in for the file name in messages
 * and includes resolve relative to NAME's directory. */
mg_conf_t *mg_conf_load_string(const char *text, const char *name, char **err);

/* Frees CONF, after calling each FN(DATA) registered with
 * mg_conf_cleanup_add, the last registered first. */
void mg_conf_free(mg_conf_t *conf);

/* What the configuration holds that its pool does not own (the master
 * hangs loaded keys on it): freed by FN(DATA) with the configuration.
 * MG_OK, or MG_ERROR when out of memory (FN is then not called). */
int mg_conf_cleanup_add(mg_conf_t *conf, void (*fn)(void *), void *data);

/* "512", "512k", "8m", "1g" -> bytes.  MG_OK or MG_ERROR. */
int mg_conf_parse_size(const char *s, int64_t *bytes);
/* "500ms", "30s", "5m", "1h", "1d", "1h30m", "30" (seconds) -> ms. */
int mg_conf_parse_time(const char *s, int64_t *ms);

/*
 * The whole time (ms; 0: none) a request METHOD may take on location
 * LOC relayed to UP (NULL: a built-in server): for a tools/call, the
 * tool_timeout of TOOL (as the client names it) in LOC, else of UP_TOOL
 * (as UP names it; NULL: TOOL) in UP; else LOC's call_timeout, else
 * UP's (conf/timeouts.c).
 */
int64_t mg_conf_timeout_of(const mg_location_t *loc, const mg_upstream_t *up,
    const char *method, const char *tool, const char *up_tool);

#endif
