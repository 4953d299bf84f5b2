/*
 * limit_req and limit_conn: nginx's leaky bucket (rate, burst, nodelay,
 * delay) driven by a fake clock, the shared zone's take and its
 * in-flight counts on a table the test maps, and the directives as
 * parsed, inherited and refused.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "limitzone.h"
#include "logvar.h"
#include "suites.h"

#define NAME "/tmp/mcpgw-check/limit.conf"

static mg_conf_t *
load(const char *text, char **err)
{
	*err = NULL;
	return mg_conf_load_string(text, NAME, err);
}

#define ZONES                                                                  \
	"limit_req_zone $remote_addr zone=one:64k rate=10r/s;\n"               \
	"limit_conn_zone $client_identity zone=inflight:64k;\n"

/* A zone of CONF with a table mapped as the master maps it. */
static mg_conf_t *
zones(const char *server_body)
{
	char       text[2048], *err = NULL;
	mg_conf_t *conf;

	snprintf(text, sizeof(text),
	    ZONES "server { listen 127.0.0.1:8080;\n%s\n"
		  "location /a { mcp_builtin demo; }\n}\n",
	    server_body);
	conf = load(text, &err);
	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	ck_assert_int_eq(mg_limitzones_map(conf, &err), MG_OK);
	return conf;
}

/* rate 10r/s, no burst: one request in every 100 ms, the rest refused
 * with the time until the next would pass. */
START_TEST(test_bucket_rate)
{
	mg_limit_verdict_t v;
	int64_t            excess = 0, next;

	mg_limit_bucket(0, 0, 1, 10000, 0, 0, &next, &v);
	ck_assert_int_eq(v.status, MG_LIMIT_PASSED); /* a new key */
	ck_assert_int_eq(next, 0);
	mg_limit_bucket(excess, 10, 0, 10000, 0, 0, &next, &v);
	ck_assert_int_eq(v.status, MG_LIMIT_REJECTED);
	/* excess 1000 - 100 = 900 over a burst of 0: 90 ms to go */
	ck_assert_int_eq(v.retry_ms, 90);
	mg_limit_bucket(excess, 100, 0, 10000, 0, 0, &next, &v);
	ck_assert_int_eq(v.status, MG_LIMIT_PASSED);
	ck_assert_int_eq(next, 0);
}
END_TEST

/* burst=5: five requests at once go in the burst, delayed as the rate
 * says unless nodelay; the sixth is refused. */
START_TEST(test_bucket_burst_delay)
{
	mg_limit_verdict_t v;
	int64_t            excess = 0, next;

	for (int i = 1; i <= 5; i++) {
		mg_limit_bucket(excess, 0, 0, 10000, 5000, 0, &next, &v);
		ck_assert_int_eq(v.status, MG_LIMIT_DELAYED);
		ck_assert_int_eq(v.delay_ms, i * 100);
		ck_assert_int_eq(next, i * 1000);
		excess = next;
	}
	mg_limit_bucket(excess, 0, 0, 10000, 5000, 0, &next, &v);
	ck_assert_int_eq(v.status, MG_LIMIT_REJECTED);
	ck_assert_int_eq(v.retry_ms, 100);
	/* 250 ms later 2.5 requests leaked: the next one fits */
	mg_limit_bucket(excess, 250, 0, 10000, 5000, 0, &next, &v);
	ck_assert_int_eq(v.status, MG_LIMIT_DELAYED);
	ck_assert_int_eq(next, 3500);
	ck_assert_int_eq(v.delay_ms, 350);
}
END_TEST

START_TEST(test_bucket_nodelay_and_delay)
{
	mg_limit_verdict_t v;
	int64_t            next;

	/* nodelay: delay = burst, nothing within the burst waits */
	mg_limit_bucket(4000, 0, 0, 10000, 5000, 5000, &next, &v);
	ck_assert_int_eq(v.status, MG_LIMIT_PASSED);
	ck_assert_int_eq(next, 5000);
	/* delay=2: two served at once, the third waits 100 ms */
	mg_limit_bucket(1000, 0, 0, 10000, 5000, 2000, &next, &v);
	ck_assert_int_eq(v.status, MG_LIMIT_PASSED);
	mg_limit_bucket(2000, 0, 0, 10000, 5000, 2000, &next, &v);
	ck_assert_int_eq(v.status, MG_LIMIT_DELAYED);
	ck_assert_int_eq(v.delay_ms, 100);
	/* 1r/m (16 milli-requests a second): a minute until the next */
	mg_limit_bucket(0, 0, 0, 16, 0, 0, &next, &v);
	ck_assert_int_eq(v.status, MG_LIMIT_REJECTED);
	ck_assert_int_eq(v.retry_ms, 62500);
	/* a clock that went back counts as no time */
	mg_limit_bucket(1000, -5, 0, 10000, 0, 0, &next, &v);
	ck_assert_int_eq(v.status, MG_LIMIT_REJECTED);
}
END_TEST

/* The shared table: 10r/s burst=2 nodelay over 2 s of a fake clock
 * with a request every ms admits 1 + 2 + 19 per key, and keys are
 * apart. */
START_TEST(test_take_admits_the_rate)
{
	mg_conf_t *conf = zones("limit_req zone=one burst=2 nodelay;");
	const mg_limit_ref_t *r = conf->servers->locations->limits.req;
	mg_limit_verdict_t    v;
	uint64_t              a = mg_limitzone_hash(r->zone, "a", 1);
	uint64_t              b = mg_limitzone_hash(r->zone, "b", 1);
	int                   passed = 0;
	int64_t               t0 = 123456789;

	ck_assert_uint_ne(a, b);
	for (int64_t t = 0; t < 2000; t++) {
		ck_assert_int_eq(
		    mg_limitreq_take(r->zone, r, a, t0 + t, 1, &v), MG_OK);
		ck_assert_int_ne(v.status, MG_LIMIT_DELAYED);
		passed += v.status == MG_LIMIT_PASSED;
	}
	/* at 0, the burst at 1 and 2 ms, then one each 100 ms from 100 */
	ck_assert_int_eq(passed, 1 + 2 + 19);
	ck_assert_int_eq(
	    mg_limitreq_take(r->zone, r, b, t0 + 2000, 1, &v), MG_OK);
	ck_assert_int_eq(v.status, MG_LIMIT_PASSED);
	/* asking (account 0) changes nothing */
	for (int i = 0; i < 5; i++) {
		mg_limitreq_take(r->zone, r, b, t0 + 2000, 0, &v);
		ck_assert_int_eq(v.status, MG_LIMIT_PASSED);
	}
	mg_conf_free(conf);
}
END_TEST

/* A table of 64k holds a few thousand keys: many more take over the
 * least recently used, and each new key still passes. */
START_TEST(test_take_full_zone)
{
	mg_conf_t            *conf = zones("limit_req zone=one;");
	const mg_limit_ref_t *r = conf->servers->locations->limits.req;
	mg_limit_verdict_t    v;
	char                  key[32];

	for (int i = 0; i < 20000; i++) {
		int n = snprintf(key, sizeof(key), "k%d", i);

		ck_assert_int_eq(mg_limitreq_take(r->zone, r,
				     mg_limitzone_hash(r->zone, key, (size_t)n),
				     1000, 1, &v),
		    MG_OK);
		ck_assert_int_eq(v.status, MG_LIMIT_PASSED);
	}
	mg_conf_free(conf);
}
END_TEST

/* At most N in flight; one given back makes room for one; the calls a
 * process left in flight (killed) are given back when it is reaped. */
START_TEST(test_conn_exact)
{
	mg_conf_t            *conf = zones("limit_conn inflight 3;");
	const mg_limit_ref_t *r = conf->servers->locations->limits.conn;
	uint64_t              h = mg_limitzone_hash(r->zone, "key:x", 5);
	int64_t               cells[3], cell;

	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(
		    mg_limitconn_acquire(r->zone, h, r->conn, 1, &cells[i]),
		    MG_OK);
		ck_assert_int_ge(cells[i], 0);
	}
	ck_assert_int_eq(
	    mg_limitconn_acquire(r->zone, h, r->conn, 1, &cell), MG_BUSY);
	ck_assert_int_eq(cell, -1);
	mg_limitconn_release(r->zone, h, cells[0]);
	ck_assert_int_eq(
	    mg_limitconn_acquire(r->zone, h, r->conn, 1, &cell), MG_OK);
	ck_assert_int_eq(
	    mg_limitconn_acquire(r->zone, h, r->conn, 1, &cells[0]), MG_BUSY);
	/* as if this process had been killed with its 3 calls */
	mg_limitzones_reaped(getpid());
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(
		    mg_limitconn_acquire(r->zone, h, r->conn, 1, &cells[i]),
		    MG_OK);
	ck_assert_int_eq(
	    mg_limitconn_acquire(r->zone, h, r->conn, 1, &cell), MG_BUSY);
	mg_conf_free(conf);
}
END_TEST

/* A location without limit_req lines takes its server's; one with its
 * own keeps only its own (nginx); statuses and the rest inherit. */
START_TEST(test_conf_inherit)
{
	char                *err;
	mg_conf_t           *conf = load(ZONES
		      "limit_req_zone $mcp_tool zone=tools:1m rate=30r/m;\n"
				"server { listen 127.0.0.1:8080;\n"
				"limit_req zone=one burst=5;\n"
				"limit_req_status 503;\n"
				"location /a { mcp_builtin demo; }\n"
				"location /b { mcp_builtin demo;\n"
				"  limit_req zone=tools burst=3 delay=1 methods=tools/call,"
				"prompts/get;\n"
				"  limit_req_dry_run on; limit_req_log_level warn;\n"
				"  limit_conn inflight 4 methods=tools/call; }\n"
				"}\n",
		      &err);
	const mg_location_t *a, *b;

	ck_assert_msg(conf != NULL, "%s", err ? err : "");
	a = conf->servers->locations;
	b = a->next;
	ck_assert_str_eq(a->limits.req->zone->name, "one");
	ck_assert_int_eq(a->limits.req->burst, 5);
	ck_assert_int_eq(a->limits.req->delay, 0);
	ck_assert_int_eq(a->limits.req_status, 503);
	ck_assert_int_eq(a->limits.conn_status, 429);
	ck_assert_int_eq(a->limits.dry_run, 1);
	ck_assert_ptr_null(a->limits.conn);
	ck_assert_str_eq(b->limits.req->zone->name, "tools");
	ck_assert_ptr_null(b->limits.req->next);
	ck_assert_int_eq(b->limits.req->zone->rate, 500);
	ck_assert_int_eq(b->limits.req->delay, 1);
	ck_assert_uint_eq(b->limits.req->methods.n, 2);
	ck_assert_str_eq(b->limits.req->methods.v[1], "prompts/get");
	ck_assert_int_eq(b->limits.dry_run, 2);
	ck_assert_int_eq(b->limits.conn->conn, 4);
	ck_assert_int_eq(b->limits.req_status, 503);
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_conf_refusals)
{
	static const struct {
		const char *text, *error;
	} bad[] = {
		{ "limit_req_zone $remote_addr zone=one:1m;\n",
		    "\"limit_req_zone\" needs zone= and rate= in " NAME ":1" },
		{ "limit_req_zone $remote_addr zone=one:1k rate=1r/s;\n",
		    "zone \"one\" is too small (at least 8k) in "
		    "\"limit_req_zone\" in " NAME ":1" },
		{ "limit_req_zone $remote_addr zone=one:1m rate=1r/h;\n",
		    "invalid rate \"1r/h\" in \"limit_req_zone\" directive "
		    "in " NAME ":1" },
		{ "server { listen 127.0.0.1:8080; limit_req zone=nope; }\n",
		    "unknown limit_req zone \"nope\" in " NAME ":1" },
		{ ZONES "server { listen 127.0.0.1:8080; limit_conn one 1; }\n",
		    "unknown limit_conn zone \"one\" in " NAME ":3" },
		{ ZONES "server { listen 127.0.0.1:8080; "
			"limit_req_status 200; }\n",
		    "invalid status \"200\" in \"limit_req_status\" directive "
		    "in " NAME ":3" },
	};
	char      *err;
	mg_conf_t *conf;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		conf = load(bad[i].text, &err);
		ck_assert_ptr_null(conf);
		ck_assert_msg(err != NULL && strcmp(err, bad[i].error) == 0,
		    "case %zu: got \"%s\"", i, err ? err : "(null)");
		free(err);
	}
}
END_TEST

/* A key's variables are the access log's: an unknown one is refused
 * with the zone's name and line, a known one resolved. */
START_TEST(test_conf_key_vars)
{
	char      *err = NULL;
	mg_conf_t *conf = load("limit_req_zone $remote_addr:$nope zone=z:1m "
			       "rate=1r/s;\n",
	    &err);

	ck_assert_ptr_nonnull(conf);
	ck_assert_int_eq(mg_logvar_resolve(conf, &err), MG_ERROR);
	ck_assert_str_eq(err,
	    "unknown variable \"$nope\" in the key of zone \"z\" in " NAME
	    ":1");
	free(err);
	mg_conf_free(conf);
	conf = load("limit_req_zone $client_identity:$mcp_tool zone=z:1m "
		    "rate=1r/s;\n",
	    &err);
	ck_assert_int_eq(mg_logvar_resolve(conf, &err), MG_OK);
	ck_assert_uint_eq(conf->limit_zones->key.nparts, 2);
	ck_assert_ptr_nonnull(conf->limit_zones->key.parts[1].fn);
	ck_assert_str_eq(conf->limit_zones->key.parts[1].text, ":");
	mg_conf_free(conf);
}
END_TEST

Suite *
limit_suite(void)
{
	Suite *s = suite_create("limit");
	TCase *tc = tcase_create("bucket");

	tcase_add_test(tc, test_bucket_rate);
	tcase_add_test(tc, test_bucket_burst_delay);
	tcase_add_test(tc, test_bucket_nodelay_and_delay);
	tcase_add_test(tc, test_take_admits_the_rate);
	tcase_add_test(tc, test_take_full_zone);
	tcase_add_test(tc, test_conn_exact);
	tcase_add_test(tc, test_conf_inherit);
	tcase_add_test(tc, test_conf_refusals);
	tcase_add_test(tc, test_conf_key_vars);
	suite_add_tcase(s, tc);
	return s;
}
