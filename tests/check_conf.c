/*
 * The configuration parser: syntax, values, directives, and every refusal
 * with its exact text and position.  The lexer, the value parsers and
 * include have files of their own (check_conf.h); this one builds the
 * suite.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "check_conf.h"
#include "conf.h"
#include "log.h"
#include "suites.h"

#ifndef MG_PID_PATH
#define MG_PID_PATH "/run/mcpgw/mcpgw.pid"
#endif

/* As the master loads: parse, then resolve the built-in servers' names. */
static mg_conf_t *
load_string(const char *text, char **err)
{
	mg_conf_t *conf = mg_conf_load_string(text, NAME, err);

	if (conf != NULL && mg_builtin_resolve(conf, err) != MG_OK) {
		mg_conf_free(conf);
		return NULL;
	}
	return conf;
}

static mg_conf_t *
load_ok(const char *text)
{
	mg_conf_t *conf;
	char      *err = (char *)"untouched";

	conf = load_string(text, &err);
	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	ck_assert_ptr_null(err);
	return conf;
}

static int
ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)n;
}

/* Defaults and main context. */

START_TEST(test_defaults)
{
	mg_conf_t *conf = load_ok("");

	ck_assert_int_eq(conf->worker_processes, ncpu());
	ck_assert_int_ge(conf->worker_processes, 1);
	ck_assert_int_eq(conf->worker_connections, 1024);
	ck_assert_str_eq(conf->error_log, "stderr");
	ck_assert_int_eq(conf->error_log_level, MG_LOG_INFO);
	ck_assert_str_eq(conf->pid, MG_PID_PATH);
	ck_assert_ptr_null(conf->user);
	ck_assert_ptr_null(conf->group);
	ck_assert_int_eq(conf->connector.present, 0);
	ck_assert_ptr_null(conf->servers);
	ck_assert_ptr_null(conf->upstreams);
	ck_assert_str_eq(conf->path, NAME);
	mg_conf_free(conf);
	mg_conf_free(NULL);
}
END_TEST

START_TEST(test_main_directives)
{
	mg_conf_t *conf = load_ok("worker_processes 4;\n"
				  "worker_connections 512;\n"
				  "pid /var/run/x.pid;\n"
				  "error_log /var/log/mcpgw.log warn;\n"
				  "\n"
				  "user nobody nogroup;\n"
				  "connector {\n"
				  "}\n");

	ck_assert_int_eq(conf->worker_processes, 4);
	ck_assert_int_eq(conf->worker_connections, 512);
	ck_assert_str_eq(conf->pid, "/var/run/x.pid");
	ck_assert_str_eq(conf->error_log, "/var/log/mcpgw.log");
	ck_assert_int_eq(conf->error_log_level, MG_LOG_WARN);
	ck_assert_str_eq(conf->user, "nobody");
	ck_assert_str_eq(conf->group, "nogroup");
	ck_assert_str_eq(conf->user_pos.file, NAME);
	ck_assert_int_eq(conf->user_pos.line, 6);
	ck_assert_int_eq(conf->connector.present, 1);
	ck_assert_int_eq(conf->connector.pos.line, 7);
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_worker_processes)
{
	mg_conf_t *conf;

	conf = load_ok("worker_processes auto;");
	ck_assert_int_eq(conf->worker_processes, ncpu());
	mg_conf_free(conf);
	conf = load_ok("worker_processes 1;");
	ck_assert_int_eq(conf->worker_processes, 1);
	mg_conf_free(conf);
	conf = load_ok("worker_processes 1024;");
	ck_assert_int_eq(conf->worker_processes, 1024);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t refused_worker_processes[] = {
	{ "worker_processes 0;",
	    "invalid value \"0\" in \"worker_processes\" directive in " NAME
	    ":1" },
	{ "\nworker_processes 1025;",
	    "invalid value \"1025\" in \"worker_processes\" directive in " NAME
	    ":2" },
	{ "worker_processes Auto;",
	    "invalid value \"Auto\" in \"worker_processes\" directive in " NAME
	    ":1" },
	{ "worker_processes -1;",
	    "invalid value \"-1\" in \"worker_processes\" directive in " NAME
	    ":1" },
};

START_TEST(test_shutdown_timeout)
{
	mg_conf_t *conf;

	conf = load_ok("");
	ck_assert_int_eq(conf->shutdown_timeout, 10000);
	mg_conf_free(conf);
	conf = load_ok("shutdown_timeout 1m30s;");
	ck_assert_int_eq(conf->shutdown_timeout, 90000);
	mg_conf_free(conf);
	conf = load_ok("shutdown_timeout 250ms;");
	ck_assert_int_eq(conf->shutdown_timeout, 250);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t refused_shutdown_timeout[] = {
	{ "shutdown_timeout 5x;",
	    "invalid time \"5x\" in \"shutdown_timeout\" directive in " NAME
	    ":1" },
	{ "shutdown_timeout 2d;",
	    "invalid time \"2d\" in \"shutdown_timeout\" directive in " NAME
	    ":1" },
	{ "shutdown_timeout 1s;\nshutdown_timeout 2s;",
	    "\"shutdown_timeout\" directive is duplicate in " NAME ":2" },
};

START_TEST(test_worker_connections)
{
	mg_conf_t *conf;

	conf = load_ok("worker_connections 1000000;");
	ck_assert_int_eq(conf->worker_connections, 1000000);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t refused_worker_connections[] = {
	{ "worker_connections abc;",
	    "invalid value \"abc\" in \"worker_connections\" directive in " NAME
	    ":1" },
	{ "worker_connections 1000001;",
	    "invalid value \"1000001\" in \"worker_connections\" directive "
	    "in " NAME ":1" },
	{ "worker_connections 0;",
	    "invalid value \"0\" in \"worker_connections\" directive in " NAME
	    ":1" },
	{ "worker_connections 10k;",
	    "invalid value \"10k\" in \"worker_connections\" directive in " NAME
	    ":1" },
	{ "worker_connections 99999999999999999999;",
	    "invalid value \"99999999999999999999\" in \"worker_connections\" "
	    "directive in " NAME ":1" },
};

/* Per-client limits: a number, 0 or off (no limit); their defaults
 * follow max_sessions and worker_connections. */
START_TEST(test_per_address)
{
	mg_conf_t *conf;

	conf = load_ok("");
	ck_assert_int_eq(conf->sessions_per_address, 10000);
	ck_assert_int_eq(conf->connections_per_address, 896);
	mg_conf_free(conf);
	conf = load_ok("max_sessions 5000;\nworker_connections 64;");
	ck_assert_int_eq(conf->sessions_per_address, 500);
	ck_assert_int_eq(conf->connections_per_address, 56);
	mg_conf_free(conf);
	/* never below 16 sessions, nor below 1 connection */
	conf = load_ok("max_sessions 16;\nworker_connections 1;");
	ck_assert_int_eq(conf->sessions_per_address, 16);
	ck_assert_int_eq(conf->connections_per_address, 1);
	mg_conf_free(conf);
	conf = load_ok("sessions_per_address 1000;\n"
		       "connections_per_address 100;");
	ck_assert_int_eq(conf->sessions_per_address, 1000);
	ck_assert_int_eq(conf->connections_per_address, 100);
	mg_conf_free(conf);
	conf = load_ok("sessions_per_address off;\n"
		       "connections_per_address 0;");
	ck_assert_int_eq(conf->sessions_per_address, 0);
	ck_assert_int_eq(conf->connections_per_address, 0);
	mg_conf_free(conf);
	conf = load_ok("sessions_per_address 100000000;\n"
		       "connections_per_address 1000000;");
	ck_assert_int_eq(conf->sessions_per_address, 100000000);
	ck_assert_int_eq(conf->connections_per_address, 1000000);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t refused_per_address[] = {
	{ "\nsessions_per_address 100000001;",
	    "invalid value \"100000001\" in \"sessions_per_address\" directive "
	    "in " NAME ":2" },
	{ "sessions_per_address -1;",
	    "invalid value \"-1\" in \"sessions_per_address\" directive "
	    "in " NAME ":1" },
	{ "sessions_per_address Off;",
	    "invalid value \"Off\" in \"sessions_per_address\" directive "
	    "in " NAME ":1" },
	{ "\n\nconnections_per_address 1000001;",
	    "invalid value \"1000001\" in \"connections_per_address\" "
	    "directive in " NAME ":3" },
	{ "connections_per_address 10k;",
	    "invalid value \"10k\" in \"connections_per_address\" directive "
	    "in " NAME ":1" },
	{ "connections_per_address;",
	    "invalid number of arguments in \"connections_per_address\" "
	    "directive in " NAME ":1" },
	{ "sessions_per_address off;\nsessions_per_address 5;",
	    "\"sessions_per_address\" directive is duplicate in " NAME ":2" },
	{ "connections_per_address 5;\nconnections_per_address off;",
	    "\"connections_per_address\" directive is duplicate in " NAME
	    ":2" },
	{ "server {\n listen 8080;\n sessions_per_address 5;\n}",
	    "\"sessions_per_address\" directive is not allowed here in " NAME
	    ":3" },
};

START_TEST(test_error_log)
{
	mg_conf_t *conf;

	conf = load_ok("error_log stderr;");
	ck_assert_str_eq(conf->error_log, "stderr");
	ck_assert_int_eq(conf->error_log_level, MG_LOG_INFO);
	mg_conf_free(conf);
	conf = load_ok("error_log /var/log/x debug;");
	ck_assert_str_eq(conf->error_log, "/var/log/x");
	ck_assert_int_eq(conf->error_log_level, MG_LOG_DEBUG);
	mg_conf_free(conf);
	conf = load_ok("error_log x error;");
	ck_assert_int_eq(conf->error_log_level, MG_LOG_ERROR);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t refused_error_log[] = {
	{ "error_log stderr loud;",
	    "invalid value \"loud\" in \"error_log\" directive in " NAME ":1" },
	{ "error_log stderr crit;",
	    "invalid value \"crit\" in \"error_log\" directive in " NAME ":1" },
	{ "error_log a b c;",
	    "invalid number of arguments in \"error_log\" directive in " NAME
	    ":1" },
};

START_TEST(test_user)
{
	mg_conf_t *conf = load_ok("\n\nuser www;");

	ck_assert_str_eq(conf->user, "www");
	ck_assert_ptr_null(conf->group);
	ck_assert_int_eq(conf->user_pos.line, 3);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t refused_user[] = {
	{ "user a b c;",
	    "invalid number of arguments in \"user\" directive in " NAME ":1" },
};

/* Syntax. */

START_TEST(test_quoting)
{
	mg_conf_t *conf;

	conf = load_ok("pid \"/a b\\\"c\\\\d\\ne\\tf\\rg\\'h\\qi\";");
	ck_assert_str_eq(conf->pid, "/a b\"c\\d\ne\tf\rg'h\\qi");
	mg_conf_free(conf);
	conf = load_ok("user 'a \"b;{}' \"c'd\";");
	ck_assert_str_eq(conf->user, "a \"b;{}");
	ck_assert_str_eq(conf->group, "c'd");
	mg_conf_free(conf);
	conf = load_ok("pid '/\\'x\\\\';error_log \"\";");
	ck_assert_str_eq(conf->pid, "/'x\\");
	ck_assert_str_eq(conf->error_log, "");
	mg_conf_free(conf);
	/* Quotes inside an unquoted word are plain characters. */
	conf = load_ok("pid /a\"b'c;");
	ck_assert_str_eq(conf->pid, "/a\"b'c");
	mg_conf_free(conf);
	/* A quoted string may touch ";", "{" and "}". */
	conf = load_ok("upstream \"u\"{server 'http://a/';}upstream 'v'{ "
		       "server \"http://b/\"; }pid \"/p\";");
	ck_assert_str_eq(conf->upstreams->name, "u");
	ck_assert_str_eq(conf->upstreams->next->name, "v");
	ck_assert_str_eq(conf->pid, "/p");
	mg_conf_free(conf);
}
END_TEST

static const refusal_t refused_quoting[] = {
	/* A newline inside a string still counts. */
	{ "pid \"a\nb\";\nfoo;", "unknown directive \"foo\" in " NAME ":3" },
};

START_TEST(test_comments)
{
	mg_conf_t *conf = load_ok("# leading comment ; { } \"\n"
				  "worker_processes 2; # trailing ' {\n"
				  "  # indented\n"
				  "worker_connections 10;#glued\n"
				  "user a # between arguments\n"
				  "  b;\n"
				  "pid /x#y;\n"
				  "error_log \"/l#g\";\n"
				  "#last line without newline");

	ck_assert_int_eq(conf->worker_processes, 2);
	ck_assert_int_eq(conf->worker_connections, 10);
	ck_assert_str_eq(conf->user, "a");
	ck_assert_str_eq(conf->group, "b");
	ck_assert_str_eq(conf->pid, "/x#y");
	ck_assert_str_eq(conf->error_log, "/l#g");
	mg_conf_free(conf);
}
END_TEST

/* Errors, one kind per table, exact text and line. */

static const refusal_t refused_unknown[] = {
	{ "worker_processes 1;\n\n  foo bar;\n",
	    "unknown directive \"foo\" in " NAME ":3" },
	{ "server {\n listen 80;\n bogus;\n}",
	    "unknown directive \"bogus\" in " NAME ":3" },
	{ "\"\";", "unknown directive \"\" in " NAME ":1" },
};

static const refusal_t refused_not_allowed[] = {
	{ "listen 80;",
	    "\"listen\" directive is not allowed here in " NAME ":1" },
	{ "server {\n listen 80;\n worker_processes 2;\n}",
	    "\"worker_processes\" directive is not allowed here in " NAME
	    ":3" },
	{ "server {\n listen 80;\n server {\n }\n}",
	    "\"server\" directive is not allowed here in " NAME ":3" },
	{ "location / {\n}",
	    "\"location\" directive is not allowed here in " NAME ":1" },
	{ "upstream u {\n listen 80;\n}",
	    "\"listen\" directive is not allowed here in " NAME ":2" },
	{ "connector {\n pid x;\n}",
	    "\"pid\" directive is not allowed here in " NAME ":2" },
	{ "server {\n listen 80;\n location / {\n  listen 81;\n }\n}",
	    "\"listen\" directive is not allowed here in " NAME ":4" },
};

static const refusal_t refused_nargs[] = {
	{ "pid;",
	    "invalid number of arguments in \"pid\" directive in " NAME ":1" },
	{ "\npid a b;",
	    "invalid number of arguments in \"pid\" directive in " NAME ":2" },
	{ "server x {\n}",
	    "invalid number of arguments in \"server\" directive in " NAME
	    ":1" },
	{ "upstream {\n}",
	    "invalid number of arguments in \"upstream\" directive in " NAME
	    ":1" },
	{ "server {\n listen;\n}",
	    "invalid number of arguments in \"listen\" directive in " NAME
	    ":2" },
	{ "server {\n listen 80;\n server_name;\n}",
	    "invalid number of arguments in \"server_name\" directive in " NAME
	    ":3" },
	{ "include;",
	    "invalid number of arguments in \"include\" directive in " NAME
	    ":1" },
};

static const refusal_t refused_duplicate[] = {
	{ "worker_processes 1;\nworker_processes 2;",
	    "\"worker_processes\" directive is duplicate in " NAME ":2" },
	{ "worker_processes auto;\nworker_processes auto;",
	    "\"worker_processes\" directive is duplicate in " NAME ":2" },
	{ "worker_connections 1;\n\nworker_connections 1;",
	    "\"worker_connections\" directive is duplicate in " NAME ":3" },
	{ "pid a;\npid a;", "\"pid\" directive is duplicate in " NAME ":2" },
	{ "error_log a;\nerror_log b info;",
	    "\"error_log\" directive is duplicate in " NAME ":2" },
	{ "user a;\nuser b;", "\"user\" directive is duplicate in " NAME ":2" },
	{ "connector {\n}\nconnector {\n}",
	    "\"connector\" directive is duplicate in " NAME ":3" },
};

static const refusal_t refused_eof_block[] = {
	{ "server {\n listen 80;\n",
	    "unexpected end of file, expecting \"}\" in " NAME ":2" },
	{ "server {\n listen 80;",
	    "unexpected end of file, expecting \"}\" in " NAME ":2" },
	{ "server {\n listen 80;\n location / {\n}\n\n",
	    "unexpected end of file, expecting \"}\" in " NAME ":5" },
	{ "connector { # comment\n",
	    "unexpected end of file, expecting \"}\" in " NAME ":1" },
};

static const refusal_t refused_eof_stmt[] = {
	{ "pid /x",
	    "unexpected end of file, expecting \";\" or \"}\" in " NAME ":1" },
	{ "worker_processes 1;\npid\n/x\n",
	    "unexpected end of file, expecting \";\" or \"}\" in " NAME ":3" },
	{ "server {\n listen 80",
	    "unexpected end of file, expecting \";\" or \"}\" in " NAME ":2" },
};

static const refusal_t refused_unterminated[] = {
	{ "pid \"abc\n\ndef;\n", "unterminated string in " NAME ":1" },
	{ "worker_processes 1;\nuser 'x;\n",
	    "unterminated string in " NAME ":2" },
	{ "pid \"abc\\\"", "unterminated string in " NAME ":1" },
	{ "pid \"abc\\", "unterminated string in " NAME ":1" },
};

static const refusal_t refused_unexpected[] = {
	{ "}", "unexpected \"}\" in " NAME ":1" },
	{ "server {\n listen 80;\n}\n}\n", "unexpected \"}\" in " NAME ":4" },
	{ "server {\n listen 80\n}", "unexpected \"}\" in " NAME ":3" },
	{ "{\n}", "unexpected \"{\" in " NAME ":1" },
	{ "server {\n { }\n}", "unexpected \"{\" in " NAME ":2" },
	{ ";", "unexpected \";\" in " NAME ":1" },
	{ "server {\n listen 80;\n};", "unexpected \";\" in " NAME ":3" },
};

static const refusal_t refused_block_shape[] = {
	{ "\nserver;",
	    "directive \"server\" has no opening \"{\" in " NAME ":2" },
	{ "upstream u;",
	    "directive \"upstream\" has no opening \"{\" in " NAME ":1" },
	{ "pid x {\n}",
	    "directive \"pid\" is not terminated by \";\" in " NAME ":1" },
	{ "server {\n listen 80 {\n }\n}",
	    "directive \"listen\" is not terminated by \";\" in " NAME ":2" },
};

static const refusal_t refused_after_quote[] = {
	{ "pid \"a\"b;", "unexpected \"b\" after quoted string in " NAME ":1" },
	{ "\npid 'a'\"b\";",
	    "unexpected \"\"\" after quoted string in " NAME ":2" },
	/* The line is where the stray character is, not where "a opened. */
	{ "pid \"a\n\nb\"c;",
	    "unexpected \"c\" after quoted string in " NAME ":3" },
};

static const refusal_t refused_no_listen[] = {
	{ "server {\n listen 80;\n}\n\nserver {\n server_name x;\n}\n",
	    "no \"listen\" directive in server block in " NAME ":5" },
	{ "server {\n}",
	    "no \"listen\" directive in server block in " NAME ":1" },
};

/* Servers. */

static const struct sockaddr_in *
sin4(const mg_listen_t *l)
{
	ck_assert_int_eq(l->addr.ss_family, AF_INET);
	ck_assert_int_eq(l->addrlen, sizeof(struct sockaddr_in));
	return (const struct sockaddr_in *)(const void *)&l->addr;
}

static const struct sockaddr_in6 *
sin6(const mg_listen_t *l)
{
	ck_assert_int_eq(l->addr.ss_family, AF_INET6);
	ck_assert_int_eq(l->addrlen, sizeof(struct sockaddr_in6));
	return (const struct sockaddr_in6 *)(const void *)&l->addr;
}

START_TEST(test_listen)
{
	mg_conf_t   *conf = load_ok("server {\n"
				      " listen 127.0.0.1:8080;\n"
				      " listen 8081;\n"
				      " listen *:8082;\n"
				      " listen [::1]:8083;\n"
				      " listen localhost:8084;\n"
				      " listen [::]:8085;\n"
				      " listen 10.1.2.3:65535;\n"
				      "}\n");
	mg_listen_t *l = conf->servers->listens;

	ck_assert_str_eq(l->text, "127.0.0.1:8080");
	ck_assert_int_eq(ntohs(sin4(l)->sin_port), 8080);
	ck_assert_uint_eq(ntohl(sin4(l)->sin_addr.s_addr), INADDR_LOOPBACK);
	ck_assert_str_eq(l->pos.file, NAME);
	ck_assert_int_eq(l->pos.line, 2);
	l = l->next;
	ck_assert_str_eq(l->text, "8081");
	ck_assert_int_eq(ntohs(sin4(l)->sin_port), 8081);
	ck_assert_uint_eq(ntohl(sin4(l)->sin_addr.s_addr), INADDR_ANY);
	l = l->next;
	ck_assert_int_eq(ntohs(sin4(l)->sin_port), 8082);
	ck_assert_uint_eq(ntohl(sin4(l)->sin_addr.s_addr), INADDR_ANY);
	l = l->next;
	ck_assert_str_eq(l->text, "[::1]:8083");
	ck_assert_int_eq(ntohs(sin6(l)->sin6_port), 8083);
	ck_assert(IN6_IS_ADDR_LOOPBACK(&sin6(l)->sin6_addr));
	l = l->next;
	ck_assert_int_eq(ntohs(sin4(l)->sin_port), 8084);
	ck_assert_uint_eq(ntohl(sin4(l)->sin_addr.s_addr), INADDR_LOOPBACK);
	l = l->next;
	ck_assert_int_eq(ntohs(sin6(l)->sin6_port), 8085);
	ck_assert(IN6_IS_ADDR_UNSPECIFIED(&sin6(l)->sin6_addr));
	l = l->next;
	ck_assert_int_eq(ntohs(sin4(l)->sin_port), 65535);
	ck_assert_uint_eq(ntohl(sin4(l)->sin_addr.s_addr), 0x0a010203);
	ck_assert_int_eq(l->pos.line, 8);
	ck_assert_ptr_null(l->next);
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_servers)
{
	mg_conf_t   *conf = load_ok("server {\n"
				      " listen 80;\n"
				      " server_name a.example b.example;\n"
				      " server_name c.example;\n"
				      "}\n"
				      "server {\n"
				      " listen 81;\n"
				      "}\n");
	mg_server_t *srv = conf->servers;

	ck_assert_int_eq(srv->pos.line, 1);
	ck_assert_uint_eq(srv->nnames, 3);
	ck_assert_str_eq(srv->names[0], "a.example");
	ck_assert_str_eq(srv->names[1], "b.example");
	ck_assert_str_eq(srv->names[2], "c.example");
	srv = srv->next;
	ck_assert_ptr_nonnull(srv);
	ck_assert_int_eq(srv->pos.line, 6);
	ck_assert_uint_eq(srv->nnames, 0);
	ck_assert_ptr_null(srv->names);
	ck_assert_str_eq(srv->listens->text, "81");
	ck_assert_ptr_null(srv->next);
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_locations)
{
	mg_conf_t     *conf = load_ok("server {\n"
					  " listen 80;\n"
					  " location / {\n"
					  " mcp_builtin demo; }\n"
					  " location = /mcp { mcp_builtin demo; }\n"
					  " location /mcp { mcp_builtin demo; }\n"
					  "}\n"
					  "server {\n"
					  " listen 81;\n"
					  " location /mcp { mcp_builtin demo; }\n"
					  "}\n");
	mg_location_t *loc = conf->servers->locations;

	ck_assert_str_eq(loc->path, "/");
	ck_assert_int_eq(loc->exact, 0);
	ck_assert_int_eq(loc->pos.line, 3);
	loc = loc->next;
	ck_assert_str_eq(loc->path, "/mcp");
	ck_assert_int_eq(loc->exact, 1);
	loc = loc->next;
	ck_assert_str_eq(loc->path, "/mcp");
	ck_assert_int_eq(loc->exact, 0);
	ck_assert_int_eq(loc->pos.line, 6);
	ck_assert_ptr_null(loc->next);
	ck_assert_str_eq(conf->servers->next->locations->path, "/mcp");
	mg_conf_free(conf);
}
END_TEST

/* HTTP settings: main -> server -> location, each level overriding. */
START_TEST(test_http_inheritance)
{
	mg_conf_t *conf =
	    load_ok("client_max_body_size 2m;\n"
		    "sse_keepalive 5s;\n"
		    "server {\n"
		    " listen 80;\n"
		    " client_max_body_size 4k;\n"
		    " allow_origins https://a.example;\n"
		    " location /a { mcp_builtin demo; }\n"
		    " location /b { mcp_builtin demo;\n"
		    "  client_max_body_size 8m; sse_keepalive 1s;\n"
		    "  access_log /tmp/x.log; }\n"
		    "}\n"
		    "server { listen 81; location / { mcp_builtin demo; } }\n");
	mg_server_t   *s1 = conf->servers, *s2 = s1->next;
	mg_location_t *a = s1->locations, *b = a->next;

	ck_assert_int_eq(conf->http.client_max_body_size, 2 * 1024 * 1024);
	ck_assert_int_eq(s1->http.client_max_body_size, 4096);
	ck_assert_int_eq(a->http.client_max_body_size, 4096);
	ck_assert_int_eq(b->http.client_max_body_size, 8 * 1024 * 1024);
	ck_assert_int_eq(
	    s2->locations->http.client_max_body_size, 2 * 1024 * 1024);
	ck_assert_int_eq(a->http.sse_keepalive, 5000);
	ck_assert_int_eq(b->http.sse_keepalive, 1000);
	ck_assert_ptr_null(a->http.access_log); /* off */
	ck_assert_str_eq(b->http.access_log->path, "/tmp/x.log");
	ck_assert_str_eq(b->http.access_log->format->name, "mcpgw");
	ck_assert_uint_eq(a->http.nallow_origins, 1);
	ck_assert_str_eq(a->http.allow_origins[0], "https://a.example");
	ck_assert_ptr_null(s2->locations->http.allow_origins);
	/* defaults where nothing was written */
	ck_assert_int_eq(s2->http.client_max_header_size, 16 * 1024);
	ck_assert_int_eq(s2->http.client_max_headers, 100);
	ck_assert_int_eq(s2->http.client_header_timeout, 60000);
	ck_assert_int_eq(s2->locations->http.client_body_timeout, 60000);
	ck_assert_int_eq(s2->http.keepalive_timeout, 75000);
	ck_assert_int_eq(conf->session_timeout, 30 * 60 * 1000);
	ck_assert_int_eq(conf->max_sessions, 100000);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t refused_http_inheritance[] = {
	{ "server { listen 80; location /a { mcp_builtin demo;\n"
	  " client_max_header_size 4k; } }",
	    "\"client_max_header_size\" directive is not allowed here in " NAME
	    ":2" },
	{ "client_max_body_size 1x;",
	    "invalid size \"1x\" in \"client_max_body_size\" directive in " NAME
	    ":1" },
};

static const refusal_t refused_location_handler[] = {
	{ "server {\n listen 80;\n location /a {\n }\n}",
	    "location \"/a\" has no handler: add \"mcp_builtin NAME;\", "
	    "\"mcp_pass UPSTREAM;\", \"mcp_member UPSTREAM;\", \"metrics;\" "
	    "or \"status;\" in " NAME ":3" },
	{ "server { listen 80;\n location /a { metrics; mcp_builtin demo; } }",
	    "location \"/a\" serves the metrics page: it takes no "
	    "\"mcp_builtin\", \"mcp_pass\" or \"mcp_member\" in " NAME ":2" },
	{ "server { listen 80;\n location /a { status;\n metrics; } }",
	    "location \"/a\" already serves the status page in " NAME ":3" },
	{ "server { listen 80;\n location /a { mcp_pass nope; } }",
	    "location \"/a\" passes to unknown upstream \"nope\" in " NAME
	    ":2" },
	{ "server { listen 80;\n"
	  " location /a { mcp_pass u;\n"
	  " mcp_builtin demo; } }\n"
	  "upstream u { server http://x/; }",
	    "location \"/a\" has both \"mcp_builtin\" and \"mcp_pass\" in " NAME
	    ":2" },
	{ "server { listen 80; location /a {\n mcp_builtin nope; } }",
	    "unknown built-in MCP server \"nope\" (known: demo, everything) "
	    "in " NAME ":2" },
	{ "server { listen 80; location /a { mcp_builtin demo;\n"
	  " mcp_builtin demo; } }",
	    "\"mcp_builtin\" directive is duplicate in " NAME ":2" },
};

START_TEST(test_mcp_deny)
{
	mg_conf_t *conf = load_ok(
	    "server { listen 80;\n location /a { mcp_builtin demo;\n"
	    "  mcp_deny tools/call \"delete_*\";\n  mcp_deny prompts/get;\n"
	    "  mcp_deny * secret; }\n location /b { mcp_builtin demo; } }");
	const mg_location_t *a = conf->servers->locations, *b = a->next;
	const mg_mcp_deny_t *d = a->deny;

	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->method, "tools/call");
	ck_assert_str_eq(d->name, "delete_*");
	ck_assert_int_eq(d->pos.line, 3);
	d = d->next;
	ck_assert_str_eq(d->method, "prompts/get");
	ck_assert_ptr_null(d->name);
	d = d->next;
	ck_assert_str_eq(d->method, "*");
	ck_assert_str_eq(d->name, "secret");
	ck_assert_ptr_null(d->next);
	/* not inherited, not shared */
	ck_assert_ptr_null(b->deny);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t refused_mcp_deny[] = {
	{ "server { listen 80; location /a { mcp_builtin demo;\n"
	  " mcp_deny \"tools call\"; } }",
	    "invalid method \"tools call\" in \"mcp_deny\" directive in " NAME
	    ":2" },
	{ "server { listen 80; location /a { mcp_builtin demo;\n"
	  " mcp_deny; } }",
	    "invalid number of arguments in \"mcp_deny\" directive in " NAME
	    ":2" },
	{ "server { listen 80;\n mcp_deny tools/call; }",
	    "\"mcp_deny\" directive is not allowed here in " NAME ":2" },
};

START_TEST(test_upstream_servers)
{
	mg_conf_t *conf =
	    load_ok("server { listen 80; location /w { mcp_pass weather; } }\n"
		    "upstream weather {\n"
		    " server https://weather.internal/mcp;\n"
		    " header Authorization \"Bearer abc\";\n"
		    " header X-Team ops;\n"
		    " connect_timeout 2s;\n"
		    " max_input_waits 5;\n"
		    " max_message_size 64k;\n"
		    "}\n"
		    "upstream self { server http://127.0.0.1:8080/mcp/demo; }\n"
		    "upstream v6 { server http://[::1]:9000; }\n");
	mg_upstream_t *w = conf->upstreams, *self = w->next, *v6 = self->next;

	ck_assert_ptr_eq(conf->servers->locations->upstream, w);
	ck_assert_int_eq(w->server.tls, 1);
	ck_assert_str_eq(w->server.host, "weather.internal");
	ck_assert_str_eq(w->server.port, "443");
	ck_assert_str_eq(w->server.path, "/mcp");
	ck_assert_str_eq(w->server.authority, "weather.internal");
	ck_assert_uint_eq(w->nheaders, 2);
	ck_assert_str_eq(w->headers[0], "Authorization: Bearer abc");
	ck_assert_int_eq(w->connect_timeout, 2000);
	ck_assert_int_eq(w->read_timeout, 60000);
	ck_assert_int_eq(w->keepalive, 32);
	ck_assert_int_eq(w->max_input_waits, 5);
	ck_assert_int_eq(self->max_input_waits, 1000);
	ck_assert_int_eq(w->max_message_size, 64 * 1024);
	ck_assert_int_eq(self->max_message_size, 16 * 1024 * 1024 - 1024);
	ck_assert_int_eq(w->protocol, MG_PROTOCOL_AUTO);
	ck_assert_int_eq(self->server.tls, 0);
	ck_assert_str_eq(self->server.port, "8080");
	ck_assert_str_eq(self->server.path, "/mcp/demo");
	ck_assert_str_eq(self->server.authority, "127.0.0.1:8080");
	ck_assert_str_eq(v6->server.host, "::1");
	ck_assert_str_eq(v6->server.path, "/");
	ck_assert_int_eq(v6->index, 2);
	ck_assert_int_eq(conf->servers->locations->http.max_hops, 8);
	mg_conf_free(conf);
	conf =
	    load_ok("upstream a { server http://a/; protocol 2026-07-28; }\n"
		    "upstream b { server http://b/; protocol 2025-11-25; }\n"
		    "upstream c { server http://c/; protocol auto; }\n"
		    "upstream d { server http://d/; protocol 2024-11-05; }\n");
	ck_assert_int_eq(conf->upstreams->protocol, MG_PROTOCOL_2026);
	ck_assert_int_eq(conf->upstreams->next->protocol, MG_PROTOCOL_2025);
	ck_assert_int_eq(
	    conf->upstreams->next->next->protocol, MG_PROTOCOL_AUTO);
	ck_assert_int_eq(
	    conf->upstreams->next->next->next->protocol, MG_PROTOCOL_2024);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t refused_upstream_servers[] = {
	{ "upstream u {\n server ftp://x/;\n}",
	    "invalid upstream server \"ftp://x/\": the scheme must be http "
	    "or https (want http://HOST[:PORT]/PATH or https://...) in " NAME
	    ":2" },
	{ "upstream u {\n server http://x:99999/;\n}",
	    "invalid upstream server \"http://x:99999/\": not a URL (RFC "
	    "3986) (want http://HOST[:PORT]/PATH or https://...) in " NAME
	    ":2" },
	{ "upstream u {\n server http://x/mcp#top;\n}",
	    "invalid upstream server \"http://x/mcp#top\": a #fragment is not "
	    "sent to a server: remove it (want http://HOST[:PORT]/PATH or "
	    "https://...) in " NAME ":2" },
	{ "upstream u {\n}",
	    "upstream \"u\" has no \"server\" and no \"command\" in " NAME
	    ":1" },
	{ "upstream u {\n server http://a/;\n header Bad:Name x;\n}",
	    "invalid value \"Bad:Name\" in \"header\" directive in " NAME
	    ":3" },
	{ "upstream u {\n server http://a/;\n protocol 2025;\n}",
	    "invalid value \"2025\" in \"protocol\" directive (auto, "
	    "2026-07-28, 2025-11-25 or 2024-11-05) in " NAME ":3" },
	{ "upstream u {\n"
	  " server http://a/;\n"
	  " protocol auto;\n"
	  " protocol 2026-07-28;\n"
	  "}",
	    "\"protocol\" directive is duplicate in " NAME ":4" },
	/* one message goes to a worker in one frame (16 MB) */
	{ "upstream u {\n server http://a/;\n max_message_size 16384k;\n}",
	    "invalid size \"16384k\" in \"max_message_size\" directive in " NAME
	    ":3" },
	{ "upstream u {\n server http://a/;\n max_message_size 1023;\n}",
	    "invalid size \"1023\" in \"max_message_size\" directive in " NAME
	    ":3" },
};

/* A stdio upstream: command PATH ARGS, max_processes. */
START_TEST(test_upstream_command)
{
	mg_conf_t *conf =
	    load_ok("server { listen 80; location /f { mcp_pass files; } }\n"
		    "upstream files {\n"
		    " command /bin/sh -c \"exec cat\" x;\n"
		    " max_processes 3;\n"
		    " read_timeout 5s;\n"
		    "}\n"
		    "upstream one { command /bin/true; }\n");
	mg_upstream_t *f = conf->upstreams, *one = f->next;

	ck_assert_ptr_eq(conf->servers->locations->upstream, f);
	ck_assert_ptr_null(f->server.url);
	ck_assert_str_eq(f->command[0], "/bin/sh");
	ck_assert_str_eq(f->command[1], "-c");
	ck_assert_str_eq(f->command[2], "exec cat");
	ck_assert_str_eq(f->command[3], "x");
	ck_assert_ptr_null(f->command[4]);
	ck_assert_int_eq(f->max_processes, 3);
	ck_assert_int_eq(f->read_timeout, 5000);
	ck_assert_str_eq(one->command[0], "/bin/true");
	ck_assert_ptr_null(one->command[1]);
	ck_assert_int_eq(one->max_processes, 64);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t refused_upstream_command[] = {
	{ "upstream u {\n command node server.js;\n}",
	    "command \"node\": the path must be absolute (no shell or PATH "
	    "search runs it) in " NAME ":2" },
	{ "upstream u {\n command /no/such/mcp-server;\n}",
	    "command \"/no/such/mcp-server\": No such file or directory "
	    "in " NAME ":2" },
	{ "upstream u {\n command /etc/passwd;\n}",
	    "command \"/etc/passwd\": Permission denied in " NAME ":2" },
	{ "upstream u {\n server http://a/;\n command /bin/true;\n}",
	    "upstream \"u\" has both a \"server\" and a \"command\": one or "
	    "the other in " NAME ":3" },
	{ "upstream u {\n server http://a/;\n protocol 2024-11-05;\n"
	  " forward_client_token on;\n}",
	    "upstream \"u\": \"protocol 2024-11-05\" (HTTP+SSE) carries "
	    "\"header\" and \"header_secret_file\" only, not oauth_client, "
	    "forward_client_token or oauth_token_exchange in " NAME ":3" },
	{ "upstream u {\n command /bin/true;\n protocol 2024-11-05;\n}",
	    "upstream \"u\" runs a command: \"protocol 2024-11-05\" (HTTP+SSE) "
	    "is for a \"server\" in " NAME ":3" },
	{ "upstream u {\n command /bin/true;\n command /bin/true;\n}",
	    "duplicate command \"/bin/true\" in " NAME ":3 (first defined "
	    "in " NAME ":2)" },
	{ "upstream u {\n command /bin/true;\n header X y;\n}",
	    "upstream \"u\" runs a command: \"header\" and the ssl_ directives "
	    "are for a \"server\" in " NAME ":2" },
	{ "upstream u {\n command /bin/true;\n max_processes 0;\n}",
	    "invalid value \"0\" in \"max_processes\" directive in " NAME
	    ":3" },
	{ "upstream u {\n command;\n}",
	    "invalid number of arguments in \"command\" directive in " NAME
	    ":2" },
};

static const refusal_t refused_location_invalid[] = {
	{ "server {\n listen 80;\n location foo { }\n}",
	    "invalid value \"foo\" in \"location\" directive in " NAME ":3" },
	{ "server {\n listen 80;\n location ~ /x { }\n}",
	    "invalid value \"~\" in \"location\" directive in " NAME ":3" },
	{ "server {\n listen 80;\n location = { }\n}",
	    "invalid value \"=\" in \"location\" directive in " NAME ":3" },
	{ "server {\n listen 80;\n location = /a b { }\n}",
	    "invalid number of arguments in \"location\" directive in " NAME
	    ":3" },
	{ "server {\n"
	  " listen 80;\n"
	  " location /a { }\n"
	  " location = /a { }\n"
	  " location /a {\n"
	  " }\n"
	  "}",
	    "duplicate location \"/a\" in " NAME ":5 (first defined in " NAME
	    ":3)" },
	{ "server {\n"
	  " listen 80;\n"
	  " location = /a { }\n"
	  " location /a { }\n"
	  " location = /a { }\n"
	  "}",
	    "duplicate location \"= /a\" in " NAME ":5 (first defined in " NAME
	    ":3)" },
};

START_TEST(test_upstreams)
{
	mg_conf_t *conf = load_ok("upstream weather {\nserver http://a/; }\n"
				  "upstream files { server http://b/; }\n"
				  "upstream db { server http://c/; }\n");
	mg_upstream_t *u = conf->upstreams;

	ck_assert_str_eq(u->name, "weather");
	ck_assert_int_eq(u->pos.line, 1);
	ck_assert_str_eq(u->next->name, "files");
	ck_assert_int_eq(u->next->pos.line, 3);
	ck_assert_str_eq(u->next->next->name, "db");
	ck_assert_ptr_null(u->next->next->next);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t refused_upstreams[] = {
	{ "upstream x { server http://a/; }\n"
	  "upstream y { }\n"
	  "\n"
	  "upstream x { }",
	    "duplicate upstream \"x\" in " NAME ":4 (first defined in " NAME
	    ":1)" },
};

/*
 * Every refusal table above, one check test per row (test_refused): the
 * load fails with the row's error, word for word, file and line.
 */
#define TOPIC(t)                                                               \
	{                                                                      \
#t, t, MG_NELEM(t)                                             \
	}
static const struct {
	const char      *name;
	const refusal_t *rows;
	size_t           n;
} refusals[] = {
	TOPIC(refused_worker_processes),
	TOPIC(refused_shutdown_timeout),
	TOPIC(refused_worker_connections),
	TOPIC(refused_per_address),
	TOPIC(refused_error_log),
	TOPIC(refused_user),
	TOPIC(refused_quoting),
	TOPIC(refused_unknown),
	TOPIC(refused_not_allowed),
	TOPIC(refused_nargs),
	TOPIC(refused_duplicate),
	TOPIC(refused_eof_block),
	TOPIC(refused_eof_stmt),
	TOPIC(refused_unterminated),
	TOPIC(refused_unexpected),
	TOPIC(refused_block_shape),
	TOPIC(refused_after_quote),
	TOPIC(refused_no_listen),
	TOPIC(refused_http_inheritance),
	TOPIC(refused_location_handler),
	TOPIC(refused_mcp_deny),
	TOPIC(refused_upstream_servers),
	TOPIC(refused_upstream_command),
	TOPIC(refused_location_invalid),
	TOPIC(refused_upstreams),
};
#undef TOPIC

static int
refusal_count(void)
{
	size_t n = 0;

	for (size_t t = 0; t < MG_NELEM(refusals); t++)
		n += refusals[t].n;
	return (int)n;
}

START_TEST(test_refused)
{
	const refusal_t *r;
	size_t           t = 0, i = (size_t)_i;
	mg_conf_t       *conf;
	char            *err = NULL;

	while (i >= refusals[t].n)
		i -= refusals[t++].n;
	r = &refusals[t].rows[i];
	conf = load_string(r->text, &err);
	ck_assert_msg(conf == NULL, "%s[%zu] loaded, wanted: %s",
	    refusals[t].name, i, r->error);
	ck_assert_msg(err != NULL && strcmp(err, r->error) == 0,
	    "%s[%zu]: got \"%s\", want \"%s\"", refusals[t].name, i,
	    err ? err : "(null)", r->error);
	free(err);
}
END_TEST

Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("main");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_main_directives);
	tcase_add_test(tc, test_worker_processes);
	tcase_add_test(tc, test_worker_connections);
	tcase_add_test(tc, test_per_address);
	tcase_add_test(tc, test_shutdown_timeout);
	tcase_add_test(tc, test_error_log);
	tcase_add_test(tc, test_user);
	suite_add_tcase(s, tc);

	tc = tcase_create("syntax");
	tcase_add_test(tc, test_quoting);
	tcase_add_test(tc, test_comments);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_refused, 0, refusal_count());
	suite_add_tcase(s, tc);

	suite_add_tcase(s, conf_lexer_tcase());
	suite_add_tcase(s, conf_units_tcase());

	tc = tcase_create("server");
	tcase_add_test(tc, test_listen);
	tcase_add_test(tc, test_servers);
	tcase_add_test(tc, test_locations);
	tcase_add_test(tc, test_http_inheritance);
	tcase_add_test(tc, test_mcp_deny);
	tcase_add_test(tc, test_upstream_servers);
	tcase_add_test(tc, test_upstream_command);
	tcase_add_test(tc, test_upstreams);
	suite_add_tcase(s, tc);

	suite_add_tcase(s, conf_include_tcase());
	suite_add_tcase(s, conf_auth_tcase());
	suite_add_tcase(s, conf_auth_load_tcase());
	suite_add_tcase(s, conf_upcred_tcase());
	suite_add_tcase(s, conf_upcred_load_tcase());
	suite_add_tcase(s, conf_upfwd_tcase());
	suite_add_tcase(s, conf_keys_tcase());
	suite_add_tcase(s, conf_keys_load_tcase());
	suite_add_tcase(s, conf_fed_tcase());
	suite_add_tcase(s, conf_timeouts_tcase());
	suite_add_tcase(s, conf_lstore_tcase());

	return s;
}
