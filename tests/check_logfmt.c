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
#include "exchange.h"
#include "http.h"
#include "http_int.h"
#include "logfast.h"
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

	if (conf != NULL &&
	    (mg_logvar_resolve(conf, err) != MG_OK ||
		mg_log_fast_resolve(conf, err) != MG_OK)) {
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

/* ---- the mcpgw format's own writer (logfast.c) against the loop ------- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11) % n;
}

/* A value of LEN bytes at most: plain text, or hostile bytes (controls,
 * quotes, backslashes, DEL, bytes >= 0x80), sometimes long */
static char *
hostile(char *buf, size_t size)
{
	static const char bad[] = "\x01\x1f\"\\\x7f\x80\xc3\xa9\xff \t\n%$?";
	size_t            len = rnd(4) == 0 ? rnd((uint32_t)size) : rnd(24);

	for (size_t i = 0; i < len && i + 1 < size; i++)
		buf[i] = rnd(3) == 0 ? bad[rnd(sizeof(bad) - 1)]
				     : (char)('a' + rnd(26));
	buf[len < size ? len : size - 1] = '\0';
	return buf;
}

/* The request and exchange a line is made of */
typedef struct {
	char           srvname[3000], path[3000], who[1500], subject[1500];
	char          *names[1];
	mg_server_t    srv;
	mg_location_t  loc;
	mg_http_conn_t conn;
	mg_http_req_t  req;
	mg_mcp_ex_t    ex;
	mg_log_ctx_t   c;
} fake_t;

static void
fake_request(fake_t *r)
{
	mg_mcp_ex_t *ex = &r->ex;

	memset(ex, 0, sizeof(*ex));
	r->names[0] = r->srvname;
	r->srv.names = r->names;
	r->loc.path = r->path;
	r->req.conn = &r->conn;
	ex->srv = &r->srv;
	ex->loc = &r->loc;
	r->srv.nnames = rnd(3) != 0;
	hostile(r->srvname, rnd(8) == 0 ? sizeof(r->srvname) : 40);
	hostile(r->path, rnd(8) == 0 ? sizeof(r->path) : 40);
	hostile(ex->rpc_method, sizeof(ex->rpc_method));
	if (rnd(3) == 0) /* the writer's constant */
		snprintf(ex->rpc_method, sizeof(ex->rpc_method), "tools/call");
	hostile(ex->tool, sizeof(ex->tool));
	snprintf(r->conn.peer, sizeof(r->conn.peer), "%s",
	    rnd(4)       ? "127.0.0.1"
		: rnd(2) ? "::1"
			 : "");
	r->conn.peer_len = rnd(2) ? strlen(r->conn.peer) : 0;
	r->conn.subject =
	    rnd(3) ? NULL : hostile(r->subject, sizeof(r->subject));
	r->conn.parser.method = rnd(2) ? HTTP_POST : HTTP_GET;
	/* as the request's head sets it (the writer's POST constant) */
	r->req.method =
	    r->conn.parser.method == HTTP_POST ? MG_HTTP_POST : MG_HTTP_GET;
	r->req.path = rnd(10) ? (char *)"/mcp" : (char *)"";
	ex->session = rnd(3) ? (uint64_t)rnd(0xffffff) << 40 | rnd(99) : 0;
	ex->rpc_error = rnd(2) ? 0 : -32000 - (int)rnd(800);
	if (rnd(20) == 0)
		ex->rpc_error = INT32_MIN + (int)rnd(9);
	ex->who_kind = rnd(3) ? NULL : rnd(2) ? "jwt" : "key";
	ex->who = rnd(4) ? hostile(r->who, sizeof(r->who)) : NULL;
	r->req.status = rnd(5) ? 200 : (int)rnd(1000);
	/* up to 19 digits: more than the 16 bytes a value is sure of */
	r->req.bytes_out = rnd(3) ? rnd(100000)
	    : rnd(2)              ? (size_t)rnd(7) << 40
				  : (size_t)INT64_MAX - rnd(1000);
	/* the names escaped at load, or not made (the writer escapes them) */
	free(r->srv.log_name);
	free(r->loc.log_path);
	r->srv.log_name = r->loc.log_path = NULL;
	if (rnd(4) != 0) {
		r->srv.log_name = mg_log_fast_escape(
		    r->srv.nnames ? r->srvname : NULL, &r->srv.log_name_len);
		r->loc.log_path =
		    mg_log_fast_escape(r->path, &r->loc.log_path_len);
	}
	r->req.start_us = 1000000;
	r->req.end_us = r->req.start_us + rnd(4) * (int64_t)rnd(1u << 30);
	if (rnd(20) == 0)
		r->req.end_us = INT64_MAX - rnd(1000);
	r->c = (mg_log_ctx_t){ .req = &r->req, .ex = rnd(10) ? ex : NULL };
	r->c.have_tv = 1;
	r->c.tv.tv_sec = 1796000000 + rnd(4);
	r->c.tv.tv_usec = rnd(1000000);
}

/* The two writers' lines for R at MAX; 1: the format's own wrote it */
static int
same_line(const mg_log_format_t *f, const mg_log_format_t *generic, fake_t *r,
    size_t max)
{
	static char a[16384], b[16384];
	size_t      n1 = mg_log_line(f, &r->c, a, max);
	size_t      n2 = mg_log_line(generic, &r->c, b, max), d = 0;

	while (d < n1 && d < n2 && a[d] == b[d])
		d++;
	ck_assert_msg(n1 == n2 && d == n1,
	    "at max %zu: %zu and %zu bytes, differ at %zu", max, n1, n2, d);
	ck_assert_uint_le(n1, max);
	return max > 1 && ((mg_log_fast_fn_t)f->fast)(f, &r->c, a, max - 1) > 0;
}

START_TEST(mcpgw_writer)
{
	static fake_t          r;
	static const size_t    maxes[] = { 1024, 2048, 8192, 16384 };
	char                  *err = NULL;
	mg_conf_t             *conf = load(SERVER, &err);
	mg_log_format_t        generic;
	const mg_log_format_t *f;
	size_t                 fast = 0, cut = 0;

	ck_assert_msg(conf != NULL, "%s", err);
	f = format(conf, "mcpgw");
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(f->fast != NULL, "the mcpgw format has no writer");
	generic = *f;
	generic.fast = NULL;
	/* hostile requests at the usual limits */
	for (int i = 0; i < 20000; i++) {
		fake_request(&r);
		fast += same_line(f, &generic, &r, maxes[rnd(MG_NELEM(maxes))]);
	}
	ck_assert_uint_gt(fast, 15000); /* most were the writer's */
	/* and at every limit from 1 to 1,100 bytes: each value of each
	 * request meets the line's end */
	for (int i = 0; i < 100; i++) {
		fake_request(&r);
		if (i % 2) { /* numbers longer than the room they are sure of */
			memset(r.path, 'p', 200);
			r.path[200] = '\0';
			if (r.loc.log_path != NULL) {
				free(r.loc.log_path);
				r.loc.log_path = mg_log_fast_escape(
				    r.path, &r.loc.log_path_len);
			}
			r.c.ex = &r.ex;
			r.ex.rpc_error = INT32_MIN;
			r.req.bytes_out = (size_t)INT64_MAX - (size_t)i;
			r.req.end_us = INT64_MAX - i;
		}
		for (size_t max = 1; max <= 1100; max++)
			cut += !same_line(f, &generic, &r, max);
	}
	ck_assert_uint_gt(cut, 0);
	free(r.srv.log_name);
	free(r.loc.log_path);
	r.srv.log_name = r.loc.log_path = NULL;
	/* a format that only looks like mcpgw keeps the loop */
	mg_conf_free(conf);
	conf =
	    load("log_format m '$time_local_ms $remote_addr';\n" SERVER, &err);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_ptr_null(format(conf, "m")->fast);
	ck_assert_ptr_null(format(conf, "json")->fast);
	mg_conf_free(conf);
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
	tcase_add_test(tc, mcpgw_writer);
	suite_add_tcase(s, tc);
	return s;
}
