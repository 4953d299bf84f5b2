/*
 * The connector's resolver (connector/resolve.c): the resolver
 * directives; the pure parts (an answer's lifetime, the hosts file, the
 * order of addresses); and the cache against a small DNS responder on
 * loopback run by the test's own event loop: one query per name at once,
 * the waiting requests answered together, round-robin, the answer kept
 * until its TTL, an expired one serving while asking fails, for
 * resolver_max_stale and no longer.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "mcpgw.h"
#include "resolve.h"
#include "suites.h"

static mg_conf_t *
load(const char *text)
{
	char      *err = NULL;
	mg_conf_t *conf = mg_conf_load_string(text, "/tmp/t.conf", &err);

	ck_assert_msg(conf != NULL, "%s", err ? err : "?");
	return conf;
}

static void
refused(const char *text, const char *want)
{
	char      *err = NULL;
	mg_conf_t *conf = mg_conf_load_string(text, "/tmp/t.conf", &err);

	ck_assert_ptr_null(conf);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	free(err);
}

START_TEST(directives)
{
	mg_conf_t *c = load("");

	ck_assert_ptr_null(c->resolvers);
	ck_assert_int_eq(c->resolver_valid, 0);
	ck_assert_int_eq(c->resolver_ipv6_off, 0);
	ck_assert_int_eq(c->resolver_timeout, 10000);
	ck_assert_int_eq(c->resolver_min_ttl, 1000);
	ck_assert_int_eq(c->resolver_max_ttl, 3600000);
	ck_assert_int_eq(c->resolver_max_stale, 300000);
	mg_conf_free(c);
	c = load("resolver 10.0.0.1 10.0.0.2:5353 [::1]:53 ::2 valid=30s "
		 "ipv6=off;\nresolver_timeout 2s; resolver_min_ttl 5s;\n"
		 "resolver_max_ttl 10m; resolver_max_stale 0;");
	ck_assert_str_eq(c->resolvers[0], "10.0.0.1");
	ck_assert_str_eq(c->resolvers[1], "10.0.0.2:5353");
	ck_assert_str_eq(c->resolvers[2], "[::1]:53");
	ck_assert_str_eq(c->resolvers[3], "::2");
	ck_assert_ptr_null(c->resolvers[4]);
	ck_assert_int_eq(c->resolver_valid, 30000);
	ck_assert_int_eq(c->resolver_ipv6_off, 1);
	ck_assert_int_eq(c->resolver_timeout, 2000);
	ck_assert_int_eq(c->resolver_min_ttl, 5000);
	ck_assert_int_eq(c->resolver_max_ttl, 600000);
	ck_assert_int_eq(c->resolver_max_stale, 0);
	mg_conf_free(c);
	refused("resolver dns.example;", "invalid address \"dns.example\"");
	refused("resolver 10.0.0.1:99999;", "invalid address");
	refused("resolver [::1;", "invalid address");
	refused("resolver 10.0.0.1 valid=0;", "invalid valid \"0\"");
	refused("resolver 10.0.0.1 ipv6=maybe;", "invalid parameter");
	refused("resolver valid=5s;", "needs at least one address");
	refused("resolver 10.0.0.1; resolver 10.0.0.2;", "duplicate");
	refused("server { resolver 10.0.0.1; }", "not allowed here");
	refused("resolver_timeout 10ms;", "invalid time");
}
END_TEST

START_TEST(valid_ms)
{
	mg_conf_t *c = load("resolver_min_ttl 2s; resolver_max_ttl 1m;");

	ck_assert_int_eq(mg_resolve_valid_ms(c, 0), 2000);
	ck_assert_int_eq(mg_resolve_valid_ms(c, -5), 2000);
	ck_assert_int_eq(mg_resolve_valid_ms(c, 30), 30000);
	ck_assert_int_eq(mg_resolve_valid_ms(c, 86400), 60000);
	mg_conf_free(c);
	c = load("resolver 127.0.0.1 valid=7s;");
	ck_assert_int_eq(mg_resolve_valid_ms(c, 1), 7000);
	ck_assert_int_eq(mg_resolve_valid_ms(c, 86400), 7000);
	mg_conf_free(c);
}
END_TEST

static const char *
text_of(const struct sockaddr_storage *ss, char *buf, size_t n)
{
	const void *in = ss->ss_family == AF_INET
	    ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
	    : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	return inet_ntop(ss->ss_family, in, buf, (socklen_t)n);
}

START_TEST(hosts_file)
{
	const char *text = "# comment up.test\n"
			   "127.0.0.1 localhost\n"
			   "10.0.0.1\tUp.Test up # trailing\n"
			   "fe80::1 up.test\n"
			   "10.0.0.2 other up.test\n"
			   "garbage up.test\n"
			   "10.0.0.3 #up.test\n";
	mg_addrs_t  a;
	char        b[64];

	ck_assert_uint_eq(mg_hosts_find(text, "up.test", 0, 8080, &a), 3);
	ck_assert_str_eq(text_of(&a.a[0], b, sizeof(b)), "10.0.0.1");
	ck_assert_int_eq(
	    ntohs(((struct sockaddr_in *)&a.a[0])->sin_port), 8080);
	ck_assert_str_eq(text_of(&a.a[1], b, sizeof(b)), "fe80::1");
	ck_assert_str_eq(text_of(&a.a[2], b, sizeof(b)), "10.0.0.2");
	ck_assert_uint_eq(mg_hosts_find(text, "up.test", 1, 80, &a), 2);
	ck_assert_uint_eq(mg_hosts_find(text, "up", 0, 80, &a), 1);
	ck_assert_uint_eq(mg_hosts_find(text, "nothere", 0, 80, &a), 0);
	ck_assert_uint_eq(mg_hosts_find(NULL, "up.test", 0, 80, &a), 0);
}
END_TEST

START_TEST(order)
{
	struct sockaddr_storage in[3];
	int64_t                 fail[3] = { 0, 0, 0 };
	mg_addrs_t              out;

	for (int i = 0; i < 3; i++) {
		memset(&in[i], 0, sizeof(in[i]));
		in[i].ss_family = AF_INET;
		((struct sockaddr_in *)&in[i])->sin_port = htons(i + 1);
	}
#define PORT(k) ntohs(((struct sockaddr_in *)&out.a[k])->sin_port)
	mg_resolve_order(in, fail, 3, 4, 100, &out); /* turn 4: from 1 */
	ck_assert_uint_eq(out.n, 3);
	ck_assert_int_eq(PORT(0), 2);
	ck_assert_int_eq(PORT(1), 3);
	ck_assert_int_eq(PORT(2), 1);
	fail[2] = 200; /* the third failed lately: last */
	mg_resolve_order(in, fail, 3, 1, 100, &out);
	ck_assert_int_eq(PORT(0), 2);
	ck_assert_int_eq(PORT(1), 1);
	ck_assert_int_eq(PORT(2), 3);
	mg_resolve_order(in, fail, 3, 1, 300, &out); /* its time is over */
	ck_assert_int_eq(PORT(1), 3);
#undef PORT
}
END_TEST

/* ---- against a DNS responder on loopback ------------------------------ */

static struct {
	struct event_base *base;
	struct event      *ev;
	int                fd;
	int                port;
	int                queries_a, queries_aaaa;
	int                mute; /* answers nothing */
	uint32_t           ttl;
	const char        *addrs[4];
} dns;

static void
dns_answer(evutil_socket_t fd, short what, void *arg)
{
	unsigned char           q[512], r[1024];
	struct sockaddr_storage from;
	socklen_t               flen = sizeof(from);
	ssize_t                 n;
	size_t                  at = 12, len;
	int                     type, na = 0;

	(void)what;
	(void)arg;
	if ((n = recvfrom(
		 fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen)) < 17)
		return;
	while (at < (size_t)n && q[at] != 0)
		at += q[at] + 1;
	at += 5; /* the root label, type, class */
	if (at > (size_t)n)
		return;
	type = q[at - 4] << 8 | q[at - 3];
	if (type == 1)
		dns.queries_a++;
	else
		dns.queries_aaaa++;
	if (dns.mute)
		return;
	memcpy(r, q, at);
	r[2] = 0x81; /* a response, recursion desired and available */
	r[3] = 0x80;
	len = at;
	for (int i = 0; type == 1 && dns.addrs[i] != NULL; i++, na++) {
		static const unsigned char rr[] = { 0xc0, 12, 0, 1, 0, 1 };
		uint32_t                   ttl = htonl(dns.ttl);

		memcpy(r + len, rr, sizeof(rr));
		memcpy(r + len + 6, &ttl, 4);
		r[len + 10] = 0;
		r[len + 11] = 4;
		inet_pton(AF_INET, dns.addrs[i], r + len + 12);
		len += 16;
	}
	r[6] = 0;
	r[7] = (unsigned char)na;
	r[8] = r[9] = r[10] = r[11] = 0;
	sendto(fd, r, len, 0, (struct sockaddr *)&from, flen);
}

static void
dns_start(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t          len = sizeof(sin);

	memset(&dns, 0, sizeof(dns));
	dns.base = event_base_new();
	dns.fd = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(dns.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(dns.fd, (struct sockaddr *)&sin, &len);
	dns.port = ntohs(sin.sin_port);
	dns.ev =
	    event_new(dns.base, dns.fd, EV_READ | EV_PERSIST, dns_answer, NULL);
	event_add(dns.ev, NULL);
	dns.ttl = 1;
	/* not in address order: the resolver sorts them */
	dns.addrs[0] = "10.1.0.2";
	dns.addrs[1] = "10.1.0.1";
}

static void
dns_stop(void)
{
	event_free(dns.ev);
	close(dns.fd);
	event_base_free(dns.base);
}

typedef struct {
	int  done;
	char first[64];
	int  n;
	char err[200];
} got_t;

static void
got_cb(void *arg, const mg_addrs_t *addrs, const char *err)
{
	got_t *g = arg;

	g->done = 1;
	if (addrs != NULL) {
		g->n = (int)addrs->n;
		text_of(&addrs->a[0], g->first, sizeof(g->first));
		ck_assert_int_eq(
		    ntohs(((struct sockaddr_in *)&addrs->a[0])->sin_port),
		    8080);
	} else
		snprintf(g->err, sizeof(g->err), "%s", err);
}

/* The loop until every G is done, or MS. */
static void
run(got_t *g, int n, int ms)
{
	struct timeval tick = { 0, 10000 };

	for (int t = 0; t < ms; t += 10) {
		int all = 1;

		for (int i = 0; i < n; i++)
			all &= g[i].done;
		if (all)
			return;
		event_base_loopexit(dns.base, &tick);
		event_base_dispatch(dns.base);
	}
}

/* The loop for MS, whatever happens. */
static void
spin(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(dns.base, &tv);
	event_base_dispatch(dns.base);
}

static mg_resolver_t *
resolver(mg_conf_t **conf, const char *extra)
{
	char           text[256];
	mg_resolver_t *r;

	snprintf(text, sizeof(text),
	    "resolver 127.0.0.1:%d ipv6=off; resolver_timeout 200ms; %s",
	    dns.port, extra);
	*conf = load(text);
	ck_assert_ptr_nonnull(r = mg_resolver_new(dns.base, *conf));
	return r;
}

START_TEST(one_query_for_all)
{
	mg_conf_t     *conf;
	mg_resolver_t *r;
	got_t          g[3];

	dns_start();
	r = resolver(&conf, "");
	memset(g, 0, sizeof(g));
	for (int i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(
		    mg_resolve(r, "up.test", "8080", got_cb, &g[i]));
	ck_assert_int_eq(g[0].done, 0); /* never inside the call */
	run(g, 3, 2000);
	ck_assert_int_eq(dns.queries_a, 1);
	ck_assert_int_eq(dns.queries_aaaa, 0); /* ipv6=off */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(g[i].n, 2);
	/* in address order, whatever order the answer had: the same first
	 * address each time (a session stays on its replica) */
	for (int i = 0; i < 3; i++)
		ck_assert_str_eq(g[i].first, "10.1.0.1");
	/* within the TTL: from the cache */
	memset(g, 0, sizeof(g));
	mg_resolve(r, "UP.TEST", "8080", got_cb, &g[0]);
	run(g, 1, 1000);
	ck_assert_int_eq(g[0].n, 2);
	ck_assert_int_eq(dns.queries_a, 1);
	/* a numeric host: no query */
	memset(g, 0, sizeof(g));
	mg_resolve(r, "10.9.9.9", "8080", got_cb, &g[0]);
	run(g, 1, 1000);
	ck_assert_str_eq(g[0].first, "10.9.9.9");
	ck_assert_int_eq(dns.queries_a, 1);
	mg_resolver_free(r);
	mg_conf_free(conf);
	dns_stop();
}
END_TEST

START_TEST(expired_then_stale)
{
	mg_conf_t     *conf;
	mg_resolver_t *r;
	got_t          g[2];

	dns_start();
	r = resolver(&conf, "resolver_max_stale 1500ms;");
	memset(g, 0, sizeof(g));
	mg_resolve(r, "up.test", "8080", got_cb, &g[0]);
	run(g, 1, 2000);
	ck_assert_int_eq(g[0].n, 2);
	/* expired (TTL 1 s): the old answer at once, a new one asked */
	spin(1100);
	dns.addrs[0] = "10.2.0.1";
	dns.addrs[1] = NULL;
	memset(g, 0, sizeof(g));
	mg_resolve(r, "up.test", "8080", got_cb, &g[0]);
	run(g, 1, 1000);
	ck_assert_int_eq(g[0].n, 2);
	ck_assert_int_eq(dns.queries_a, 2);
	spin(100); /* the answer comes in */
	memset(g, 0, sizeof(g));
	mg_resolve(r, "up.test", "8080", got_cb, &g[0]);
	run(g, 1, 1000);
	ck_assert_int_eq(g[0].n, 1);
	ck_assert_str_eq(g[0].first, "10.2.0.1");
	/* the resolver goes quiet: the expired answer serves ... */
	dns.mute = 1;
	spin(1100);
	memset(g, 0, sizeof(g));
	mg_resolve(r, "up.test", "8080", got_cb, &g[0]);
	run(g, 1, 1000);
	ck_assert_str_eq(g[0].first, "10.2.0.1");
	spin(400); /* the query times out (200 ms) */
	memset(g, 0, sizeof(g));
	mg_resolve(r, "up.test", "8080", got_cb, &g[0]);
	run(g, 1, 1000);
	ck_assert_str_eq(g[0].first, "10.2.0.1");
	/* ... until resolver_max_stale: then the requests fail */
	spin(1200);
	memset(g, 0, sizeof(g));
	mg_resolve(r, "up.test", "8080", got_cb, &g[0]);
	run(g, 1, 1000);
	ck_assert_int_eq(g[0].n, 0);
	ck_assert_msg(strstr(g[0].err, "cannot resolve \"up.test\"") != NULL,
	    "%s", g[0].err);
	/* cancelled while waiting: never called */
	spin(1100);
	memset(g, 0, sizeof(g));
	mg_resolve_cancel(mg_resolve(r, "up.test", "8080", got_cb, &g[1]));
	spin(300);
	ck_assert_int_eq(g[1].done, 0);
	mg_resolver_free(r);
	mg_conf_free(conf);
	dns_stop();
}
END_TEST

Suite *
resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("resolve");

	tcase_add_test(tc, directives);
	tcase_add_test(tc, valid_ms);
	tcase_add_test(tc, hosts_file);
	tcase_add_test(tc, order);
	tcase_add_test(tc, one_query_for_all);
	tcase_add_test(tc, expired_then_stale);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}
