/*
 * The directive table: what each directive is called, where it may
 * appear, how many arguments it takes, its setter and its field.  A new
 * directive is one row here (and its field); generic values also take
 * their range and default from the row.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "conf_int.h"

/* The token endpoint's settings, in either block that reaches it. */
#define MG_CTX_OAUTH (MG_CTX_OAUTH_CLIENT | MG_CTX_TOKEN_EXCHANGE)

#ifndef MG_PID_PATH
#define MG_PID_PATH "/run/mcpgw/mcpgw.pid"
#endif

static const conf_bounds_t worker_processes_bounds = { 1, 1024, MG_UNSET };
static const conf_bounds_t worker_connections_bounds = { 1, 1000000, 1024 };
static const conf_bounds_t shutdown_timeout_bounds = { 0, 86400000, 10000 };
/* a worker's pause in accepting when accept() finds no descriptor */
static const conf_bounds_t accept_retry_delay_bounds = { 10, 60000, 500 };
static const conf_bounds_t max_sessions_bounds = { 16, 100000000, 100000 };
/* verified tokens remembered by each worker (0: none) */
static const conf_bounds_t auth_token_cache_bounds = { 0, 1000000, 1024 };
/* series in each process's metrics table; tool names per route */
static const conf_bounds_t metrics_max_series_bounds = { 64, 1000000, 4096 };
static const conf_bounds_t metrics_max_tools_bounds = { 0, 10000, 100 };
/* the connector's resolver (connector/resolve.c): a whole resolution; the
 * range an answer's TTL is clamped to; how long an expired answer serves
 * while re-resolving fails */
static const conf_bounds_t resolver_timeout_bounds = { 100, 600000, 10000 };
static const conf_bounds_t resolver_min_ttl_bounds = { 0, 86400000, 1000 };
static const conf_bounds_t resolver_max_ttl_bounds = { 1000, 86400000 * 7LL,
	3600000 };
static const conf_bounds_t resolver_max_stale_bounds = { 0, 86400000 * 7LL,
	300000 };
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
/* how long a federated location's fan-out waits for its members */
static const conf_bounds_t member_timeout_bounds = { 100, 3600000, 10000 };
/* an access log line; longer ones are cut (set_log.c) */
static const conf_bounds_t log_line_max_bounds = { 1024, 1024 * 1024, 8192 };
static const conf_bounds_t max_hops_bounds = { 1, 64, 8 };
static const conf_bounds_t connect_timeout_bounds = { 1, 3600000, 5000 };
static const conf_bounds_t read_timeout_bounds = { 1, 86400000, 60000 };
static const conf_bounds_t keepalive_bounds = { 0, 10000, 32 };
/* the whole time of a request (0 after defaults: no limit) */
static const conf_bounds_t call_timeout_bounds = { 1, 86400000, 0 };
/* members of a pool tried for one request (0: each once) */
static const conf_bounds_t next_upstream_tries_bounds = { 0, 100, 0 };
static const conf_bounds_t max_input_waits_bounds = { 0, 1000000, 1000 };
/* one message of an upstream's answer travels to a worker in one frame
 * (MG_IPC_MAX_FRAME, 16 MB, less 1 KB for the frame's own fields) */
static const conf_bounds_t max_message_size_bounds = { 1024,
	16 * 1024 * 1024 - 1024, 16 * 1024 * 1024 - 1024 };
static const conf_bounds_t max_processes_bounds = { 1, 100000, 64 };
static const conf_bounds_t process_queue_bounds = { 0, 100000, 16 };
static const conf_bounds_t process_queue_timeout_bounds = { 100, 3600000,
	10000 };
static const conf_bounds_t token_cache_bounds = { 1, 1000000, 1024 };
static const conf_bounds_t handshake_timeout_bounds = { 100, 3600000, 10000 };
static const conf_bounds_t ssl_verify_bounds = { 0, 1, 1 };
static const conf_bounds_t leeway_bounds = { 0, 600000, 60000 };
static const conf_bounds_t max_token_size_bounds = { 1024, 65536, 8192 };
/* jwks_url: periodic fetches from 1 s (tests) to a day; an unknown kid
 * asks at most once a second to once an hour; a set outlives failing
 * fetches up to 30 days */
static const conf_bounds_t jwks_refresh_bounds = { 1000, 86400000, 300000 };
static const conf_bounds_t jwks_min_refresh_bounds = { 1000, 3600000, 30000 };
static const conf_bounds_t jwks_max_stale_bounds = { 1000, 86400000 * 30LL,
	86400000 };

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
 * The directives.  A field filled by a generic setter (mg_conf_set_num, _size,
 * _time, _flag, _str) starts unset and gets its default from data, both
 * driven by this table, so such a directive is one line here plus its
 * field.  data is a conf_bounds_t for num, size, time and flag (its def is
 * the default; NULL: any value >= 0, no default) and the default string
 * for str.  The offset is into one struct, so a directive allowed in two
 * contexts with different structs takes one line per context.
 */
const conf_command_t mg_commands[] = {
	{ "include", MG_CTX_ANY, 1, 1, mg_conf_include, 0, 0, NULL },

	{ "worker_processes", MG_CTX_MAIN, 1, 1, mg_conf_set_workers,
	    offsetof(mg_conf_t, worker_processes), 0,
	    &worker_processes_bounds },
	{ "pid", MG_CTX_MAIN, 1, 1, mg_conf_set_path, offsetof(mg_conf_t, pid),
	    0, MG_PID_PATH },
	{ "error_log", MG_CTX_MAIN, 1, 2, mg_conf_set_error_log, 0, 0, NULL },
	{ "user", MG_CTX_MAIN, 1, 2, mg_conf_set_user, 0, 0, NULL },
	{ "worker_connections", MG_CTX_MAIN, 1, 1, mg_conf_set_num,
	    offsetof(mg_conf_t, worker_connections), 0,
	    &worker_connections_bounds },
	{ "shutdown_timeout", MG_CTX_MAIN, 1, 1, mg_conf_set_time,
	    offsetof(mg_conf_t, shutdown_timeout), 0,
	    &shutdown_timeout_bounds },
	{ "accept_retry_delay", MG_CTX_MAIN, 1, 1, mg_conf_set_time,
	    offsetof(mg_conf_t, accept_retry_delay), 0,
	    &accept_retry_delay_bounds },
	{ "max_sessions", MG_CTX_MAIN, 1, 1, mg_conf_set_num,
	    offsetof(mg_conf_t, max_sessions), 0, &max_sessions_bounds },
	{ "session_timeout", MG_CTX_MAIN, 1, 1, mg_conf_set_time,
	    offsetof(mg_conf_t, session_timeout), 0, &session_timeout_bounds },
	{ "auth_token_cache", MG_CTX_MAIN, 1, 1, mg_conf_set_num,
	    offsetof(mg_conf_t, auth_token_cache), 0,
	    &auth_token_cache_bounds },
	{ "metrics_max_series", MG_CTX_MAIN, 1, 1, mg_conf_set_num,
	    offsetof(mg_conf_t, metrics_max_series), 0,
	    &metrics_max_series_bounds },
	{ "metrics_max_tools", MG_CTX_MAIN, 1, 1, mg_conf_set_num,
	    offsetof(mg_conf_t, metrics_max_tools), 0,
	    &metrics_max_tools_bounds },
	{ "resolver", MG_CTX_MAIN, 1, 16, mg_conf_set_resolver, 0, 0, NULL },
	{ "resolver_timeout", MG_CTX_MAIN, 1, 1, mg_conf_set_time,
	    offsetof(mg_conf_t, resolver_timeout), 0,
	    &resolver_timeout_bounds },
	{ "resolver_min_ttl", MG_CTX_MAIN, 1, 1, mg_conf_set_time,
	    offsetof(mg_conf_t, resolver_min_ttl), 0,
	    &resolver_min_ttl_bounds },
	{ "resolver_max_ttl", MG_CTX_MAIN, 1, 1, mg_conf_set_time,
	    offsetof(mg_conf_t, resolver_max_ttl), 0,
	    &resolver_max_ttl_bounds },
	{ "resolver_max_stale", MG_CTX_MAIN, 1, 1, mg_conf_set_time,
	    offsetof(mg_conf_t, resolver_max_stale), 0,
	    &resolver_max_stale_bounds },
	{ "session_key_file", MG_CTX_MAIN, 1, 1, mg_conf_set_str,
	    offsetof(mg_conf_t, session_key_file), 0, NULL },
	{ "sessions_per_address", MG_CTX_MAIN, 1, 1, mg_conf_set_num_off,
	    offsetof(mg_conf_t, sessions_per_address), 0,
	    &sessions_per_address_bounds },
	{ "connections_per_address", MG_CTX_MAIN, 1, 1, mg_conf_set_num_off,
	    offsetof(mg_conf_t, connections_per_address), 0,
	    &connections_per_address_bounds },
	{ "limit_store", MG_CTX_MAIN, 1, 7, mg_conf_set_limit_store, 0, 0,
	    NULL },

	HTTP_ALL("client_max_body_size", mg_conf_set_size, client_max_body_size,
	    &body_size_bounds),
	HTTP_MAIN_SERVER("client_max_header_size", mg_conf_set_size,
	    client_max_header_size, &header_size_bounds),
	HTTP_MAIN_SERVER("client_max_headers", mg_conf_set_num,
	    client_max_headers, &max_headers_bounds),
	HTTP_MAIN_SERVER("client_header_timeout", mg_conf_set_time,
	    client_header_timeout, &header_timeout_bounds),
	HTTP_ALL("client_body_timeout", mg_conf_set_time, client_body_timeout,
	    &body_timeout_bounds),
	HTTP_MAIN_SERVER("keepalive_timeout", mg_conf_set_time,
	    keepalive_timeout, &keepalive_timeout_bounds),
	HTTP_ALL("sse_keepalive", mg_conf_set_time, sse_keepalive,
	    &sse_keepalive_bounds),
	HTTP_ALL(
	    "sse_buffer", mg_conf_set_size, sse_buffer, &sse_buffer_bounds),
	HTTP_ALL("sse_resume_timeout", mg_conf_set_time, sse_resume_timeout,
	    &sse_resume_timeout_bounds),
	/* set_log.c: several lines at one level write several files */
	{ "access_log", MG_CTX_MAIN, 1, 4, mg_conf_set_access_log,
	    offsetof(mg_conf_t, http.access_log), 0, NULL },
	{ "access_log", MG_CTX_SERVER, 1, 4, mg_conf_set_access_log,
	    offsetof(mg_server_t, http.access_log), 0, NULL },
	{ "access_log", MG_CTX_LOCATION, 1, 4, mg_conf_set_access_log,
	    offsetof(mg_location_t, http.access_log), 0, NULL },
	{ "log_format", MG_CTX_MAIN, 2, CONF_NARGS_MAX, mg_conf_log_format, 0,
	    0, NULL },
	{ "log_line_max", MG_CTX_MAIN, 1, 1, mg_conf_set_size,
	    offsetof(mg_conf_t, log_line_max), 0, &log_line_max_bounds },
	HTTP_ALL("max_hops", mg_conf_set_num, max_hops, &max_hops_bounds),
	{ "allow_origins", MG_CTX_MAIN, 1, CONF_NARGS_MAX, mg_conf_set_origins,
	    offsetof(mg_conf_t, http), 0, NULL },
	{ "allow_origins", MG_CTX_SERVER, 1, CONF_NARGS_MAX,
	    mg_conf_set_origins, offsetof(mg_server_t, http), 0, NULL },
	{ "allow_origins", MG_CTX_LOCATION, 1, CONF_NARGS_MAX,
	    mg_conf_set_origins, offsetof(mg_location_t, http), 0, NULL },

	/* request limits (set_limit.c; docs/configuration.md, "Request
	 * limits") */
	{ "limit_req_zone", MG_CTX_MAIN, 2, 4, mg_conf_limit_zone, 0, 0, NULL },
	{ "limit_conn_zone", MG_CTX_MAIN, 2, 2, mg_conf_limit_zone, 0, 0,
	    NULL },
	{ "limit_req", MG_CTX_SERVER | MG_CTX_LOCATION, 1, 4,
	    mg_conf_set_limit_req, 0, 0, NULL },
	{ "limit_conn", MG_CTX_SERVER | MG_CTX_LOCATION, 2, 3,
	    mg_conf_set_limit_conn, 0, 0, NULL },
	{ "limit_req_status", MG_CTX_SERVER | MG_CTX_LOCATION, 1, 1,
	    mg_conf_set_limit_status, 0, 0, NULL },
	{ "limit_conn_status", MG_CTX_SERVER | MG_CTX_LOCATION, 1, 1,
	    mg_conf_set_limit_status, 0, 0, NULL },
	{ "limit_req_log_level", MG_CTX_SERVER | MG_CTX_LOCATION, 1, 1,
	    mg_conf_set_limit_misc, 0, 0, NULL },
	{ "limit_req_dry_run", MG_CTX_SERVER | MG_CTX_LOCATION, 1, 1,
	    mg_conf_set_limit_misc, 0, 0, NULL },

	{ "connector", MG_CTX_MAIN, 0, 0, mg_conf_connector,
	    offsetof(mg_conf_t, connector), CONF_BLOCK, NULL },
	{ "upstream", MG_CTX_MAIN, 1, 1, mg_conf_upstream, 0, CONF_BLOCK,
	    NULL },
	{ "server", MG_CTX_MAIN, 0, 0, mg_conf_server, 0, CONF_BLOCK, NULL },

	{ "listen", MG_CTX_SERVER, 1, 2, mg_conf_listen, 0, 0, NULL },
	{ "ssl_certificate", MG_CTX_SERVER, 1, 1, mg_conf_set_str,
	    offsetof(mg_server_t, tls.certificate), 0, NULL },
	{ "ssl_certificate_key", MG_CTX_SERVER, 1, 1, mg_conf_set_str,
	    offsetof(mg_server_t, tls.certificate_key), 0, NULL },
	{ "ssl_protocols", MG_CTX_SERVER, 1, 2, mg_conf_set_protocols,
	    offsetof(mg_server_t, tls.protocols), 0, NULL },
	{ "ssl_ciphers", MG_CTX_SERVER, 1, 1, mg_conf_set_str,
	    offsetof(mg_server_t, tls.ciphers), 0, NULL },
	{ "ssl_client_certificate", MG_CTX_SERVER, 1, 1, mg_conf_set_str,
	    offsetof(mg_server_t, tls.client_certificate), 0, NULL },
	{ "ssl_verify_client", MG_CTX_SERVER, 1, 1, mg_conf_set_verify_client,
	    offsetof(mg_server_t, tls.verify_client), 0, NULL },
	{ "ssl_handshake_timeout", MG_CTX_SERVER, 1, 1, mg_conf_set_time,
	    offsetof(mg_server_t, tls.handshake_timeout), 0,
	    &handshake_timeout_bounds },
	{ "server_name", MG_CTX_SERVER, 1, CONF_NARGS_MAX, mg_conf_server_name,
	    0, 0, NULL },
	{ "location", MG_CTX_SERVER, 1, 2, mg_conf_location, 0, CONF_BLOCK,
	    NULL },

	{ "mcp_builtin", MG_CTX_LOCATION, 1, 1, mg_conf_set_builtin,
	    offsetof(mg_location_t, builtin), 0, NULL },
	{ "mcp_pass", MG_CTX_LOCATION, 1, 1, mg_conf_set_pass,
	    offsetof(mg_location_t, pass), 0, NULL },
	/* a page of mcpgw's own (set_location.c, worker/page.c) */
	{ "metrics", MG_CTX_LOCATION, 0, 0, mg_conf_set_page, 0, 0, NULL },
	{ "status", MG_CTX_LOCATION, 0, 0, mg_conf_set_page, 0, 0, NULL },
	/* federation (set_member.c): mcp_member NAME; or NAME { ... } */
	{ "mcp_member", MG_CTX_LOCATION, 1, 1, mg_conf_member, 0, 0, NULL },
	{ "mcp_member", MG_CTX_LOCATION, 1, 1, mg_conf_member, 0, CONF_BLOCK,
	    NULL },
	{ "prefix", MG_CTX_MEMBER, 1, 1, mg_conf_set_prefix, 0, 0, NULL },
	{ "tools_allow", MG_CTX_MEMBER, 1, CONF_NARGS_MAX,
	    mg_conf_set_tools_glob, offsetof(mg_member_t, allow), 0, NULL },
	{ "tools_deny", MG_CTX_MEMBER, 1, CONF_NARGS_MAX,
	    mg_conf_set_tools_glob, offsetof(mg_member_t, deny), 0, NULL },
	{ "tool_rename", MG_CTX_MEMBER, 2, 2, mg_conf_set_tool_rename, 0, 0,
	    NULL },
	{ "mcp_name_separator", MG_CTX_LOCATION, 1, 1, mg_conf_set_fed_sep,
	    offsetof(mg_location_t, name_sep), 0, "/" },
	{ "mcp_uri_separator", MG_CTX_LOCATION, 1, 1, mg_conf_set_fed_sep,
	    offsetof(mg_location_t, uri_sep), 0, NULL },
	{ "mcp_member_timeout", MG_CTX_LOCATION, 1, 1, mg_conf_set_time,
	    offsetof(mg_location_t, member_timeout), 0,
	    &member_timeout_bounds },
	{ "mcp_allow", MG_CTX_LOCATION, 1, CONF_NARGS_MAX, mg_conf_set_rule, 0,
	    0, NULL },
	{ "mcp_deny", MG_CTX_LOCATION, 1, CONF_NARGS_MAX, mg_conf_set_rule, 0,
	    0, NULL },

	/* auth_jwt { ... } or auth_jwt off; (mg_conf_find tells them apart) */
	{ "auth_jwt", MG_CTX_SERVER, 0, 0, mg_conf_auth_jwt,
	    offsetof(mg_server_t, auth_jwt), CONF_BLOCK, NULL },
	{ "auth_jwt", MG_CTX_LOCATION, 0, 0, mg_conf_auth_jwt,
	    offsetof(mg_location_t, auth_jwt), CONF_BLOCK, NULL },
	{ "auth_jwt", MG_CTX_SERVER, 1, 1, mg_conf_auth_jwt_off,
	    offsetof(mg_server_t, auth_jwt), 0, NULL },
	{ "auth_jwt", MG_CTX_LOCATION, 1, 1, mg_conf_auth_jwt_off,
	    offsetof(mg_location_t, auth_jwt), 0, NULL },
	{ "issuer", MG_CTX_AUTH_JWT, 1, CONF_NARGS_MAX, mg_conf_set_auth_uris,
	    offsetof(mg_auth_jwt_t, issuers), 0, NULL },
	{ "audience", MG_CTX_AUTH_JWT, 1, CONF_NARGS_MAX, mg_conf_set_auth_uris,
	    offsetof(mg_auth_jwt_t, audiences), 0, NULL },
	{ "jwks_file", MG_CTX_AUTH_JWT, 1, 1, mg_conf_set_auth_file,
	    offsetof(mg_auth_jwt_t, jwks_file), 0, NULL },
	{ "jwks_url", MG_CTX_AUTH_JWT, 1, 1, mg_conf_set_auth_jwks_url, 0, 0,
	    NULL },
	{ "jwks_trusted_certificate", MG_CTX_AUTH_JWT, 1, 1,
	    mg_conf_set_auth_file,
	    offsetof(mg_auth_jwt_t, jwks_trusted_certificate), 0, NULL },
	{ "jwks_refresh", MG_CTX_AUTH_JWT, 1, 1, mg_conf_set_time,
	    offsetof(mg_auth_jwt_t, jwks_refresh), 0, &jwks_refresh_bounds },
	{ "jwks_min_refresh", MG_CTX_AUTH_JWT, 1, 1, mg_conf_set_time,
	    offsetof(mg_auth_jwt_t, jwks_min_refresh), 0,
	    &jwks_min_refresh_bounds },
	{ "jwks_max_stale", MG_CTX_AUTH_JWT, 1, 1, mg_conf_set_time,
	    offsetof(mg_auth_jwt_t, jwks_max_stale), 0,
	    &jwks_max_stale_bounds },
	{ "hs256_secret_file", MG_CTX_AUTH_JWT, 1, 1, mg_conf_set_auth_file,
	    offsetof(mg_auth_jwt_t, hs256_secret_file), 0, NULL },
	{ "algorithms", MG_CTX_AUTH_JWT, 1, CONF_NARGS_MAX,
	    mg_conf_set_auth_algorithms, offsetof(mg_auth_jwt_t, algorithms), 0,
	    NULL },
	{ "leeway", MG_CTX_AUTH_JWT, 1, 1, mg_conf_set_time,
	    offsetof(mg_auth_jwt_t, leeway), 0, &leeway_bounds },
	{ "max_token_size", MG_CTX_AUTH_JWT, 1, 1, mg_conf_set_size,
	    offsetof(mg_auth_jwt_t, max_token_size), 0,
	    &max_token_size_bounds },
	{ "scope", MG_CTX_AUTH_JWT, 1, CONF_NARGS_MAX, mg_conf_set_auth_scope,
	    offsetof(mg_auth_jwt_t, scopes), 0, NULL },

	/* the other methods of the access phase (set_access.c) */
	{ "auth_keys", MG_CTX_SERVER, 1, 2, mg_conf_auth_keys,
	    offsetof(mg_server_t, auth_keys), 0, NULL },
	{ "auth_keys", MG_CTX_LOCATION, 1, 2, mg_conf_auth_keys,
	    offsetof(mg_location_t, auth_keys), 0, NULL },
	{ "auth_cert", MG_CTX_SERVER, 1, 1, mg_conf_set_auth_cert,
	    offsetof(mg_server_t, auth_cert), 0, NULL },
	{ "auth_cert", MG_CTX_LOCATION, 1, 1, mg_conf_set_auth_cert,
	    offsetof(mg_location_t, auth_cert), 0, NULL },
	{ "auth_order", MG_CTX_SERVER, 1, MG_AUTH_NMETHODS,
	    mg_conf_set_auth_order, offsetof(mg_server_t, auth_order), 0,
	    NULL },
	{ "auth_order", MG_CTX_LOCATION, 1, MG_AUTH_NMETHODS,
	    mg_conf_set_auth_order, offsetof(mg_location_t, auth_order), 0,
	    NULL },

	{ "server", MG_CTX_UPSTREAM, 1, 5, mg_conf_set_upstream_server, 0, 0,
	    NULL },
	{ "least_conn", MG_CTX_UPSTREAM, 0, 0, mg_conf_set_least_conn, 0, 0,
	    NULL },
	{ "next_upstream_tries", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_num,
	    offsetof(mg_upstream_t, next_upstream_tries), 0,
	    &next_upstream_tries_bounds },
	{ "command", MG_CTX_UPSTREAM, 1, CONF_NARGS_MAX, mg_conf_set_command, 0,
	    0, NULL },
	{ "health_check", MG_CTX_UPSTREAM, 0, 5, mg_conf_set_health, 0, 0,
	    NULL },
	{ "max_processes", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_num,
	    offsetof(mg_upstream_t, max_processes), 0, &max_processes_bounds },
	{ "process_queue", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_num,
	    offsetof(mg_upstream_t, process_queue), 0, &process_queue_bounds },
	{ "process_queue_timeout", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_time,
	    offsetof(mg_upstream_t, process_queue_timeout), 0,
	    &process_queue_timeout_bounds },
	{ "cwd", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_cwd, 0, 0, NULL },
	{ "header", MG_CTX_UPSTREAM, 2, 2, mg_conf_set_header, 0, 0, NULL },
	{ "header_secret_file", MG_CTX_UPSTREAM, 2, 2,
	    mg_conf_set_header_secret, 0, 0, NULL },
	{ "env", MG_CTX_UPSTREAM, 2, 2, mg_conf_set_env, 0, 0, NULL },
	{ "env_secret_file", MG_CTX_UPSTREAM, 2, 2, mg_conf_set_env_secret, 0,
	    0, NULL },
	{ "oauth_client", MG_CTX_UPSTREAM, 0, 0, mg_conf_oauth_client, 0,
	    CONF_BLOCK, NULL },
	{ "token_url", MG_CTX_OAUTH, 1, 1, mg_conf_set_token_url, 0, 0, NULL },
	{ "client_id", MG_CTX_OAUTH, 1, 1, mg_conf_set_client_id, 0, 0, NULL },
	{ "client_secret_file", MG_CTX_OAUTH, 1, 1, mg_conf_set_auth_file,
	    offsetof(mg_oauth_client_t, client_secret_file), 0, NULL },
	{ "client_auth", MG_CTX_OAUTH, 1, 1, mg_conf_set_client_auth, 0, 0,
	    NULL },
	{ "scope", MG_CTX_OAUTH, 1, CONF_NARGS_MAX, mg_conf_set_auth_scope,
	    offsetof(mg_oauth_client_t, scopes), 0, NULL },
	{ "resource", MG_CTX_OAUTH, 1, CONF_NARGS_MAX, mg_conf_set_auth_uris,
	    offsetof(mg_oauth_client_t, resources), 0, NULL },
	{ "audience", MG_CTX_OAUTH, 1, CONF_NARGS_MAX, mg_conf_set_auth_uris,
	    offsetof(mg_oauth_client_t, audiences), 0, NULL },
	{ "token_cache", MG_CTX_TOKEN_EXCHANGE, 1, 1, mg_conf_set_num,
	    offsetof(mg_oauth_client_t, cache), 0, &token_cache_bounds },
	{ "oauth_token_exchange", MG_CTX_UPSTREAM, 0, 0,
	    mg_conf_oauth_token_exchange, 0, CONF_BLOCK, NULL },
	{ "forward_client_token", MG_CTX_UPSTREAM, 1, 1,
	    mg_conf_set_forward_token, 0, 0, NULL },
	{ "connect_timeout", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_time,
	    offsetof(mg_upstream_t, connect_timeout), 0,
	    &connect_timeout_bounds },
	{ "read_timeout", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_time,
	    offsetof(mg_upstream_t, read_timeout), 0, &read_timeout_bounds },
	{ "keepalive", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_num,
	    offsetof(mg_upstream_t, keepalive), 0, &keepalive_bounds },
	{ "max_input_waits", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_num,
	    offsetof(mg_upstream_t, max_input_waits), 0,
	    &max_input_waits_bounds },
	{ "max_message_size", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_size,
	    offsetof(mg_upstream_t, max_message_size), 0,
	    &max_message_size_bounds },
	{ "protocol", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_protocol, 0, 0, NULL },
	{ "ssl_verify", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_flag,
	    offsetof(mg_upstream_t, tls.verify), 0, &ssl_verify_bounds },
	{ "ssl_trusted_certificate", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_str,
	    offsetof(mg_upstream_t, tls.trusted_certificate), 0, NULL },
	{ "ssl_certificate", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_str,
	    offsetof(mg_upstream_t, tls.certificate), 0, NULL },
	{ "ssl_certificate_key", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_str,
	    offsetof(mg_upstream_t, tls.certificate_key), 0, NULL },
	{ "call_timeout", MG_CTX_UPSTREAM, 1, 1, mg_conf_set_time,
	    offsetof(mg_upstream_t, call_timeout), 0, &call_timeout_bounds },
	{ "call_timeout", MG_CTX_LOCATION, 1, 1, mg_conf_set_time,
	    offsetof(mg_location_t, call_timeout), 0, &call_timeout_bounds },
	{ "tool_timeout", MG_CTX_UPSTREAM, 2, 2, mg_conf_set_tool_timeout,
	    offsetof(mg_upstream_t, tool_timeouts), 0, &call_timeout_bounds },
	{ "tool_timeout", MG_CTX_LOCATION, 2, 2, mg_conf_set_tool_timeout,
	    offsetof(mg_location_t, tool_timeouts), 0, &call_timeout_bounds },
};

const size_t mg_ncommands = MG_NELEM(mg_commands);

/* The row of NAME in CTX_TYPE, of the block form if BLOCK (auth_jwt has
 * both forms); else the first row of it there, and conf_handle says that
 * the statement has the wrong form. */
const conf_command_t *
mg_conf_find(const char *name, int ctx_type, int block, int *known)
{
	const conf_command_t *found = NULL;
	size_t                i;

	*known = 0;
	for (i = 0; i < MG_NELEM(mg_commands); i++) {
		if (strcmp(mg_commands[i].name, name) != 0)
			continue;
		*known = 1;
		if (!(mg_commands[i].ctx & ctx_type))
			continue;
		if (!(mg_commands[i].flags & CONF_BLOCK) == !block)
			return &mg_commands[i];
		if (found == NULL)
			found = &mg_commands[i];
	}
	return found;
}
