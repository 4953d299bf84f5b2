/*
 * The access log's formats: log_format compiled into parts (conf/set_log.c),
 * its variables resolved (worker/logvar.c), the refusals with file and line,
 * the escapes (default, json, none) and a line cut to its limit without
 * cutting a literal or an escape (worker/logline.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accesslog.h"
#include "logline.h"
#include "logvar.h"
#include "suites.h"

#define NAME "t.conf"
#define SERVER                                                                 \
	"server { listen 127.0.0.1:1; location /m { mcp_builtin demo; } }\n"

/* TEXT loaded and resolved as the master does; NULL with *ERR set. */
static mg_conf_t *
load(const char *text, char **err)
{
	mg_conf_t *conf = mg_conf_load_string(text, NAME, err);

	if (conf != NULL && mg_logvar_resolve(conf, err) != MG_OK) {
		mg_conf_free(conf);
		return NULL;
	}
	return conf;
}

static const mg_log_format_t *
format(const mg_conf_t *conf, const char *name)
{
	for (const mg_log_format_t *f = conf->log_formats; f; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static void
refused(const char *text, const char *want)
{
	char      *err = NULL;
	mg_conf_t *conf = load(text, &err);

	ck_assert_msg(conf == NULL, "accepted: %s", text);
	ck_assert_msg(err != NULL && strstr(err, want) != NULL,
	    "for %s: \"%s\", not \"%s\"", text, err ? err : "(null)", want);
	free(err);
}

START_TEST(compiles_parts)
{
	char      *err = NULL;
	mg_conf_t *conf = load(
	    "log_format a \"x $remote_addr ${status}y\" '$http_x_api_key';\n"
	    "log_format j escape=json '{\"a\":\"$mcp_tool\"}';\n"
	    "log_format n escape=none lit;\n" SERVER,
	    &err);
	const mg_log_format_t *f;

	ck_assert_msg(conf != NULL, "%s", err);
	f = format(conf, "a");
	ck_assert_int_eq(f->escape, MG_LOG_ESC_DEFAULT);
	/* each variable with the literal before it */
	ck_assert_uint_eq(f->nparts, 3);
	ck_assert_str_eq(f->parts[0].text, "x ");
	ck_assert_str_eq(f->parts[0].name, "remote_addr");
	ck_assert_str_eq(f->parts[1].text, " ");
	ck_assert_str_eq(f->parts[1].name, "status");
	ck_assert_str_eq(f->parts[2].text, "y");
	ck_assert_str_eq(f->parts[2].name, "http_x_api_key");
	ck_assert_str_eq(f->parts[2].arg, "x-api-key");
	ck_assert_ptr_null(f->parts[0].arg);
	/* kept for what follows: literals, and 16 bytes for each variable */
	ck_assert_uint_eq(f->parts[0].tail, 1 + 16 + 1 + 16);
	ck_assert_uint_eq(f->parts[2].tail, 0);
	ck_assert_uint_eq(f->literal, 4);
	ck_assert_int_eq(format(conf, "j")->escape, MG_LOG_ESC_JSON);
	ck_assert_int_eq(format(conf, "n")->escape, MG_LOG_ESC_NONE);
	ck_assert_uint_eq(format(conf, "n")->nparts, 1);
	/* predefined, and the default of access_log */
	ck_assert_ptr_nonnull(format(conf, "mcpgw"));
	ck_assert_ptr_nonnull(format(conf, "json"));
	mg_conf_free(conf);
}
END_TEST

START_TEST(access_log_lists)
{
	char      *err = NULL;
	mg_conf_t *conf =
	    load("access_log /tmp/a.log;\n"
		 "access_log /tmp/b.log json buffer=32k flush=2s;\n"
		 "server { listen 127.0.0.1:1;\n"
		 " location /m { mcp_builtin demo; }\n"
		 " location /o { mcp_builtin demo; access_log off; }\n"
		 " location /f { mcp_builtin demo; access_log /tmp/c.log "
		 "flush=5s; }\n"
		 " location /z { mcp_builtin demo; access_log /tmp/d.log "
		 "buffer=0; }\n"
		 "}\n",
		&err);
	mg_location_t         *m, *o, *f;
	const mg_access_log_t *al;

	ck_assert_msg(conf != NULL, "%s", err);
	m = conf->servers->locations, o = m->next, f = o->next;
	al = m->http.access_log; /* inherited from main, both */
	ck_assert_str_eq(al->path, "/tmp/a.log");
	ck_assert_str_eq(al->format->name, "mcpgw");
	ck_assert_int_eq(al->buffer, 0);
	ck_assert_str_eq(al->next->path, "/tmp/b.log");
	ck_assert_str_eq(al->next->format->name, "json");
	ck_assert_int_eq(al->next->buffer, 32 * 1024);
	ck_assert_int_eq(al->next->flush, 2000);
	ck_assert_ptr_null(al->next->next);
	ck_assert_ptr_null(o->http.access_log->path); /* off */
	/* flush= alone keeps lines in 64k, as nginx does */
	ck_assert_int_eq(f->http.access_log->buffer, 64 * 1024);
	ck_assert_int_eq(f->http.access_log->flush, 5000);
	/* buffer=0: every line written at once */
	ck_assert_int_eq(f->next->http.access_log->buffer, 0);
	ck_assert_int_eq(conf->log_line_max, 8192);
	mg_conf_free(conf);
}
END_TEST

START_TEST(refusals)
{
	refused("log_format a \"$nope\";\n" SERVER,
	    "unknown variable \"$nope\" in log_format \"a\" in " NAME ":1");
	refused("\nlog_format a x;\nlog_format a y;\n" SERVER,
	    "duplicate log_format \"a\" (mcpgw and json are predefined) "
	    "in " NAME ":3");
	refused("log_format json x;\n" SERVER, "duplicate log_format \"json\"");
	refused("log_format a \"x $\";\n" SERVER,
	    "invalid variable name in log_format \"a\" in " NAME ":1");
	refused("log_format a \"${status\";\n" SERVER, "invalid variable name");
	refused("log_format a escape=xml x;\n" SERVER,
	    "invalid escape \"xml\" in \"log_format\" directive in " NAME ":1");
	refused("log_format a escape=json;\n" SERVER, "has no format string");
	refused("\n\naccess_log /tmp/x.log nosuch;\n" SERVER,
	    "unknown log format \"nosuch\" in " NAME ":3");
	refused("access_log /tmp/x.log buffer=lots;\n" SERVER,
	    "invalid buffer size \"lots\" in \"access_log\" directive in " NAME
	    ":1");
	refused("access_log /tmp/x.log buffer=17m;\n" SERVER,
	    "invalid buffer size \"17m\"");
	refused(
	    "access_log /tmp/x.log flush=0;\n" SERVER, "invalid flush time");
	refused("access_log /tmp/x.log gzip;\n" SERVER, "unknown log format");
	refused("access_log /tmp/x.log mcpgw gzip=1;\n" SERVER,
	    "invalid parameter \"gzip=1\"");
	refused("access_log off;\naccess_log /tmp/x.log;\n" SERVER,
	    "\"access_log off\" stands alone at its level in " NAME ":2");
	refused("access_log /tmp/x.log;\naccess_log off;\n" SERVER,
	    "\"access_log off\" stands alone");
	refused("log_line_max 1000;\n" SERVER,
	    "invalid size \"1000\" in \"log_line_max\" directive in " NAME
	    ":1");
}
END_TEST

/* 1000 variables are accepted, 1001 refused with file and line. */
START_TEST(variable_limit)
{
	size_t     len = 64 + 1001 * 5;
	char      *text = malloc(len + sizeof(SERVER)), *err = NULL;
	size_t     n = (size_t)snprintf(text, len, "log_format a \"");
	mg_conf_t *conf;

	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(text + n, len - n, "$pid ");
	snprintf(text + n, len - n + sizeof(SERVER), "\";\n" SERVER);
	conf = load(text, &err);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_uint_eq(format(conf, "a")->nparts, 1001); /* " " last */
	mg_conf_free(conf);
	snprintf(text + n, len - n + sizeof(SERVER), "$pid\";\n" SERVER);
	refused(text,
	    "too many variables (at most 1000) in log_format \"a\" in " NAME
	    ":1");
	free(text);
}
END_TEST

/* A format of literals longer than a line may be is refused. */
START_TEST(literal_limit)
{
	char text[2048];

	snprintf(text, sizeof(text),
	    "log_line_max 1024;\nlog_format a \"%01024d\";\n" SERVER, 7);
	refused(text,
	    "log_format \"a\" is longer than log_line_max (1024 bytes) without "
	    "its variables in " NAME ":2");
	snprintf(text, sizeof(text),
	    "log_line_max 1024;\nlog_format a \"%01023d\";\n" SERVER, 7);
	{
		char      *err = NULL;
		mg_conf_t *conf = load(text, &err);

		ck_assert_msg(conf != NULL, "%s", err);
		mg_conf_free(conf);
	}
}
END_TEST

static void
escaped(int mode, const char *in, size_t len, const char *want)
{
	char   out[256];
	size_t n = mg_log_escape(mode, in, len, out, sizeof(out));

	out[n] = '\0';
	ck_assert_msg(strcmp(out, want) == 0, "mode %d: \"%s\", not \"%s\"",
	    mode, out, want);
}

START_TEST(escapes)
{
	static const char raw[] = "a\"b\\c\n\x01\x7f\x80 \xc3\xa9";

	escaped(MG_LOG_ESC_DEFAULT, raw, sizeof(raw) - 1,
	    "a\\x22b\\x5cc\\x0a\\x01\\x7f\\x80 \\xc3\\xa9");
	/* json: UTF-8 as it is, any other byte >= 0x80 as \u00HH */
	escaped(MG_LOG_ESC_JSON, raw, sizeof(raw) - 1,
	    "a\\\"b\\\\c\\n\\u0001\x7f\\u0080 \xc3\xa9");
	escaped(MG_LOG_ESC_JSON, "\b\f\r\t", 4, "\\b\\f\\r\\t");
	/* overlong, surrogate, cut short, past U+10FFFF */
	escaped(MG_LOG_ESC_JSON,
	    "\xc0\x80|\xed\xa0\x80|\xe2\x82|\xf4\x90\x80\x80", 14,
	    "\\u00c0\\u0080|\\u00ed\\u00a0\\u0080|\\u00e2\\u0082|"
	    "\\u00f4\\u0090\\u0080\\u0080");
	escaped(MG_LOG_ESC_JSON, "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80");
	escaped(MG_LOG_ESC_NONE, raw, sizeof(raw) - 1, raw);
}
END_TEST

/* ROOM too small for an escape or a UTF-8 sequence: it is left out. */
START_TEST(escape_cut)
{
	char out[16];

	ck_assert_uint_eq(
	    mg_log_escape(MG_LOG_ESC_DEFAULT, "ab\"", 3, out, 5), 2);
	ck_assert_uint_eq(
	    mg_log_escape(MG_LOG_ESC_DEFAULT, "ab\"", 3, out, 6), 6);
	ck_assert_uint_eq(
	    mg_log_escape(MG_LOG_ESC_JSON, "a\x01", 2, out, 6), 1);
	ck_assert_uint_eq(
	    mg_log_escape(MG_LOG_ESC_JSON, "a\xc3\xa9", 3, out, 2), 1);
	ck_assert_uint_eq(
	    mg_log_escape(MG_LOG_ESC_NONE, "abcdef", 6, out, 4), 4);
}
END_TEST

static size_t
line_of(const char *text, const char *name, char *out, size_t max)
{
	char        *err = NULL;
	mg_conf_t   *conf = load(text, &err);
	mg_log_ctx_t c = { 0 };
	size_t       n;

	ck_assert_msg(conf != NULL, "%s", err);
	n = mg_log_line(format(conf, name), &c, out, max);
	mg_conf_free(conf);
	out[n] = '\0';
	return n;
}

START_TEST(lines)
{
	char out[512], want[64];

	/* literals only */
	line_of("log_format a 'just text';\n" SERVER, "a", out, sizeof(out));
	ck_assert_str_eq(out, "just text\n");
	/* missing values: "-", or nothing in json */
	line_of("log_format a '$mcp_tool|$upstream_addr|$auth_kind';\n" SERVER,
	    "a", out, sizeof(out));
	ck_assert_str_eq(out, "-|-|-\n");
	line_of("log_format a escape=json '{\"t\":\"$mcp_tool\"}';\n" SERVER,
	    "a", out, sizeof(out));
	ck_assert_str_eq(out, "{\"t\":\"\"}\n");
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	line_of("log_format a $pid;\n" SERVER, "a", out, sizeof(out));
	ck_assert_str_eq(out, want);
	/* cut: the value loses its end, the literals after it stay */
	line_of("log_format a escape=json '{\"t\":\"$time_local\"}';\n" SERVER,
	    "a", out, 16);
	ck_assert_uint_eq(strlen(out), 16); /* the newline counts */
	ck_assert_msg(
	    strncmp(out, "{\"t\":\"", 6) == 0 && strcmp(out + 13, "\"}\n") == 0,
	    "%s", out);
}
END_TEST

Suite *
logfmt_suite(void)
{
	Suite *s = suite_create("logfmt");
	TCase *tc = tcase_create("logfmt");

	tcase_add_test(tc, compiles_parts);
	tcase_add_test(tc, access_log_lists);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, variable_limit);
	tcase_add_test(tc, literal_limit);
	tcase_add_test(tc, escapes);
	tcase_add_test(tc, escape_cut);
	tcase_add_test(tc, lines);
	suite_add_tcase(s, tc);
	return s;
}
