/*
 * The configuration's value parsers alone (numbers, sizes, times, listen
 * addresses, upstream URLs): what each accepts and gives, what it refuses
 * (leaving its output alone), and the message a refused value gets in a
 * file.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_conf.h"
#include "conf.h"
#include "mcpgw.h"
#include "units.h"

#define NAME "/tmp/mcpgw-check/test.conf"

static void
expect_error(const char *text, const char *want)
{
	mg_conf_t *conf;
	char      *err = NULL;

	conf = mg_conf_load_string(text, NAME, &err);
	ck_assert_msg(conf == NULL, "loaded, wanted: %s", want);
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(err, want);
	free(err);
}

/* VALUE refused by DIRECTIVE (main context) with "invalid WHAT". */
static void
expect_invalid(const char *directive, const char *what, const char *value)
{
	char text[256], want[512];

	snprintf(text, sizeof(text), "%s \"%s\";", directive, value);
	snprintf(want, sizeof(want),
	    "invalid %s \"%s\" in \"%s\" directive in %s:1", what, value,
	    directive, NAME);
	expect_error(text, want);
}

static const struct {
	const char *s;
	int64_t     n;
	const char *rest;
} digits_good[] = {
	{ "0", 0, "" },
	{ "007", 7, "" },
	{ "123abc", 123, "abc" },
	{ "1k", 1, "k" },
	{ "9223372036854775807", INT64_MAX, "" },
	{ "42 ", 42, " " },
};

static const char *digits_bad[] = {
	"",
	"a1",
	"-1",
	"+1",
	" 1",
	"9223372036854775808",
	"99999999999999999999",
};

START_TEST(test_digits)
{
	const char *s;
	int64_t     n;
	size_t      i;

	for (i = 0; i < MG_NELEM(digits_good); i++) {
		s = digits_good[i].s;
		n = -7;
		ck_assert_msg(mg_conf_parse_digits(&s, &n) == MG_OK,
		    "digits \"%s\" refused", digits_good[i].s);
		ck_assert_int_eq(n, digits_good[i].n);
		ck_assert_str_eq(s, digits_good[i].rest);
	}
	for (i = 0; i < MG_NELEM(digits_bad); i++) {
		s = digits_bad[i];
		n = -7;
		ck_assert_msg(mg_conf_parse_digits(&s, &n) == MG_ERROR,
		    "digits \"%s\" accepted", digits_bad[i]);
		ck_assert_int_eq(n, -7);
		ck_assert_ptr_eq(s, digits_bad[i]);
	}
}
END_TEST

START_TEST(test_sizes)
{
	static const struct {
		const char *s;
		int64_t     v;
	} good[] = {
		{ "0", 0 },
		{ "512", 512 },
		{ "512k", 524288 },
		{ "512K", 524288 },
		{ "8m", 8388608 },
		{ "8M", 8388608 },
		{ "1g", 1073741824 },
		{ "1G", 1073741824 },
		{ "9223372036854775807", INT64_MAX },
		{ "8589934591g", INT64_C(8589934591) << 30 },
	};
	static const char *bad[] = {
		"",
		"k",
		"8q",
		"-1",
		"+1",
		" 1",
		"1 ",
		"1kk",
		"1.5k",
		"1kb",
		"9223372036854775808",
		"8589934592g",
		"9007199254740992k",
		"99999999999999999999",
	};
	int64_t v;
	size_t  i;

	for (i = 0; i < MG_NELEM(good); i++) {
		v = -7;
		ck_assert_msg(mg_conf_parse_size(good[i].s, &v) == MG_OK,
		    "size \"%s\" rejected", good[i].s);
		ck_assert_int_eq(v, good[i].v);
	}
	for (i = 0; i < MG_NELEM(bad); i++) {
		v = -7;
		ck_assert_msg(mg_conf_parse_size(bad[i], &v) == MG_ERROR,
		    "size \"%s\" accepted", bad[i]);
		ck_assert_int_eq(v, -7);
	}
}
END_TEST

START_TEST(test_times)
{
	static const struct {
		const char *s;
		int64_t     v;
	} good[] = {
		{ "0", 0 },
		{ "30", 30000 },
		{ "500ms", 500 },
		{ "30s", 30000 },
		{ "5m", 300000 },
		{ "1h", 3600000 },
		{ "1d", 86400000 },
		{ "1h30m", 5400000 },
		{ "1d2h3m4s5ms", 93784005 },
		{ "1m500ms", 60500 },
		{ "0s", 0 },
		{ "9223372036854775807ms", INT64_MAX },
		{ "9223372036854775s", INT64_C(9223372036854775000) },
		{ "106751991167d7h", INT64_C(9223372036853999999) + 1 },
	};
	static const char *bad[] = {
		"",
		"ms",
		"5x",
		"-5s",
		"5 s",
		"1h30",
		"30m1h",
		"1m1m",
		"1s1s",
		"5M",
		"1.5s",
		"1hh",
		"s5",
		"9223372036854776s",
		"9223372036854775807",
		"106751991168d",
		"106751991167d8h",
		"9223372036854775807ms1ms",
	};
	int64_t v;
	size_t  i;

	for (i = 0; i < MG_NELEM(good); i++) {
		v = -7;
		ck_assert_msg(mg_conf_parse_time(good[i].s, &v) == MG_OK,
		    "time \"%s\" rejected", good[i].s);
		ck_assert_int_eq(v, good[i].v);
	}
	for (i = 0; i < MG_NELEM(bad); i++) {
		v = -7;
		ck_assert_msg(mg_conf_parse_time(bad[i], &v) == MG_ERROR,
		    "time \"%s\" accepted", bad[i]);
		ck_assert_int_eq(v, -7);
	}
}
END_TEST

START_TEST(test_listen_invalid)
{
	static const char *bad[] = {
		"0",
		"65536",
		"abc",
		"1.2.3.4",
		"1.2.3.4:",
		":80",
		"[::1]8080",
		"[::1]",
		"[::1]:",
		"::1:8080",
		"example.com:80",
		"1.2.3.4:80x",
		"[]:80",
		"localhost",
		"[*]:80",
		"1.2.3.4:-1",
		"256.1.1.1:80",
		"127.0.0.1:99999999999999999999",
		"[127.0.0.1]:80",
		"*:0",
	};
	char   text[256], want[512];
	size_t i;

	for (i = 0; i < MG_NELEM(bad); i++) {
		snprintf(text, sizeof(text), "server {\n listen \"%s\";\n}\n",
		    bad[i]);
		snprintf(want, sizeof(want), "invalid listen \"%s\" in %s:2",
		    bad[i], NAME);
		expect_error(text, want);
	}
}
END_TEST

/* A refused size or time gets its message, whatever the reason. */
START_TEST(test_value_messages)
{
	static const char *sizes[] = { "", "k", "8q", "-1", " 1", "1kb", "1.5k",
		"9223372036854775808", "0" /* out of range */ };
	static const char *times[] = { "", "ms", "5x", "-5s", "5 s", "1h30",
		"30m1h", "5M", "1.5s", "9223372036854776s",
		"2d" /* out of range */ };
	static const char *numbers[] = { "", "1k", "-1", "+1", "1.0", " 1",
		"0x10", "99999999999999999999", "0" /* out of range */ };
	static const char *flags[] = { "", "On", "yes", "1", "off " };
	size_t             i;

	for (i = 0; i < MG_NELEM(sizes); i++)
		expect_invalid("client_max_body_size", "size", sizes[i]);
	for (i = 0; i < MG_NELEM(times); i++)
		expect_invalid("shutdown_timeout", "time", times[i]);
	for (i = 0; i < MG_NELEM(numbers); i++)
		expect_invalid("worker_connections", "value", numbers[i]);
	for (i = 0; i < MG_NELEM(flags); i++) {
		char text[128], want[256];

		snprintf(text, sizeof(text),
		    "upstream u {\n server http://a/;\n ssl_verify \"%s\";\n}",
		    flags[i]);
		snprintf(want, sizeof(want),
		    "invalid value \"%s\" in \"ssl_verify\" directive in %s:3",
		    flags[i], NAME);
		expect_error(text, want);
	}
}
END_TEST

/* Listen addresses: numeric only, never a DNS lookup. */
static const struct {
	const char *text;
	int         family;
	int         port;
	const char *addr; /* as inet_ntop writes it */
} listen_good[] = {
	{ "8080", AF_INET, 8080, "0.0.0.0" },
	{ "*:1", AF_INET, 1, "0.0.0.0" },
	{ "127.0.0.1:65535", AF_INET, 65535, "127.0.0.1" },
	{ "localhost:80", AF_INET, 80, "127.0.0.1" },
	{ "10.1.2.3:443", AF_INET, 443, "10.1.2.3" },
	{ "[::1]:8083", AF_INET6, 8083, "::1" },
	{ "[::]:8085", AF_INET6, 8085, "::" },
	{ "[fe80::1:2]:9", AF_INET6, 9, "fe80::1:2" },
};

START_TEST(test_listen_parse)
{
	struct sockaddr_storage ss;
	socklen_t               len;
	char                    addr[INET6_ADDRSTRLEN];
	const void             *a;
	int                     port;
	size_t                  i;

	for (i = 0; i < MG_NELEM(listen_good); i++) {
		memset(&ss, 0, sizeof(ss));
		len = 0;
		ck_assert_msg(mg_conf_parse_listen(
				  listen_good[i].text, &ss, &len) == MG_OK,
		    "listen \"%s\" refused", listen_good[i].text);
		ck_assert_int_eq(ss.ss_family, listen_good[i].family);
		if (ss.ss_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)&ss;

			ck_assert_uint_eq(len, sizeof(*sin));
			a = &sin->sin_addr;
			port = ntohs(sin->sin_port);
		} else {
			const struct sockaddr_in6 *sin6 = (const void *)&ss;

			ck_assert_uint_eq(len, sizeof(*sin6));
			a = &sin6->sin6_addr;
			port = ntohs(sin6->sin6_port);
		}
		ck_assert_int_eq(port, listen_good[i].port);
		ck_assert_ptr_nonnull(
		    inet_ntop(ss.ss_family, a, addr, sizeof(addr)));
		ck_assert_str_eq(addr, listen_good[i].addr);
	}
}
END_TEST

static const struct {
	const char *url;
	int         tls;
	const char *host, *port, *path, *authority; /* port NULL: default */
} url_good[] = {
	{ "http://a", 0, "a", NULL, "/", "a" },
	{ "https://weather.internal/mcp", 1, "weather.internal", NULL, "/mcp",
	    "weather.internal" },
	{ "http://127.0.0.1:8080/mcp/demo", 0, "127.0.0.1", "8080", "/mcp/demo",
	    "127.0.0.1:8080" },
	{ "http://[::1]:9000", 0, "::1", "9000", "/", "[::1]:9000" },
	{ "https://[::1]/x", 1, "::1", NULL, "/x", "[::1]" },
	{ "http://h:1/", 0, "h", "1", "/", "h:1" },
	{ "http://h:65535/a?b", 0, "h", "65535", "/a?b", "h:65535" },
	{ "http://h/a:b/c", 0, "h", NULL, "/a:b/c", "h" },
	{ "http://x?q", 0, "x", NULL, "/?q", "x" },
	{ "http://x:80?q", 0, "x", "80", "/?q", "x:80" },
	{ "HTTPS://X/", 1, "X", NULL, "/", "X" }, /* RFC 3986 3.1, 3.2.2 */
	{ "http://x:/", 0, "x", NULL, "/", "x" }, /* an empty port: 3.2.3 */
	{ "http://x:0080/", 0, "x", "80", "/", "x:80" },
};

static const struct {
	const char *url, *why;
} url_bad[] = {
	{ "", "the scheme must be http or https" },
	{ "h/mcp", "the scheme must be http or https" },
	{ "ftp://x/", "the scheme must be http or https" },
	{ "http:/x", "no host" },
	{ "http://", "no host" },
	{ "http:///mcp", "no host" },
	{ "http://:80/", "no host" },
	{ "http://[::1/", "not a URL (RFC 3986)" },
	{ "http://[]/", "not a URL (RFC 3986)" },
	{ "http://x:0/", "port 0" },
	{ "http://x:65536/", "not a URL (RFC 3986)" },
	{ "http://x:99999/", "not a URL (RFC 3986)" },
	{ "http://x:8o/", "not a URL (RFC 3986)" },
	{ "http://x:-1/", "not a URL (RFC 3986)" },
	{ "http://x#f", "a #fragment is not sent to a server: remove it" },
	{ "http://h:65535/a?b#c",
	    "a #fragment is not sent to a server: remove it" },
	{ "http://u:p@x/",
	    "user:password@ is not sent to a server: use the upstream's "
	    "credentials (docs/configuration.md)" },
	{ "http://[::1]x/", "not a URL (RFC 3986)" },
	{ "http://x/a b", "not a URL (RFC 3986)" },
	{ "http://x/%zz", "not a URL (RFC 3986)" },
};

START_TEST(test_url_parse)
{
	mg_conf_url_t u;
	const char   *why = NULL;
	size_t        i;

	for (i = 0; i < MG_NELEM(url_good); i++) {
		memset(&u, 0, sizeof(u));
		ck_assert_msg(
		    mg_conf_parse_url(url_good[i].url, &u, &why) == MG_OK,
		    "url \"%s\" refused (%s)", url_good[i].url, why);
		ck_assert_int_eq(u.tls, url_good[i].tls);
		ck_assert_str_eq(u.host, url_good[i].host);
		if (url_good[i].port == NULL)
			ck_assert_ptr_null(u.port);
		else
			ck_assert_str_eq(u.port, url_good[i].port);
		ck_assert_str_eq(u.path, url_good[i].path);
		ck_assert_str_eq(u.authority, url_good[i].authority);
		mg_conf_url_clear(&u);
	}
}
END_TEST

START_TEST(test_url_refused)
{
	const char   *url = url_bad[_i].url, *why = NULL;
	mg_conf_url_t u;
	char          text[256], want[512];

	memset(&u, 0x5a, sizeof(u));
	ck_assert_msg(mg_conf_parse_url(url, &u, &why) == MG_ERROR,
	    "url \"%s\" accepted", url);
	ck_assert_int_eq(u.tls, 0x5a5a5a5a); /* untouched */
	ck_assert_str_eq(why, url_bad[_i].why);
	snprintf(text, sizeof(text), "upstream u {\n server \"%s\";\n}", url);
	snprintf(want, sizeof(want),
	    "invalid upstream server \"%s\": %s (want "
	    "http://HOST[:PORT]/PATH or https://...) in %s:2",
	    url, url_bad[_i].why, NAME);
	expect_error(text, want);
}
END_TEST

TCase *
conf_units_tcase(void)
{
	TCase *tc = tcase_create("values");

	tcase_add_test(tc, test_digits);
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_times);
	tcase_add_test(tc, test_value_messages);
	tcase_add_test(tc, test_listen_parse);
	tcase_add_test(tc, test_listen_invalid);
	tcase_add_test(tc, test_url_parse);
	tcase_add_loop_test(tc, test_url_refused, 0, MG_NELEM(url_bad));
	return tc;
}
