/*
 * limit_store in the configuration: the address forms and parameters as
 * parsed, their defaults, every refusal with its exact text and position,
 * the password file read at load, and a limit_req_zone kept in the store
 * (store) that needs one.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_conf.h"
#include "conf.h"

#define SRV                                                                    \
	"server {\nlisten 127.0.0.1:8080;\n"                                   \
	"location /mcp { mcp_builtin demo; }\n}\n"

static mg_conf_t *
load_ok(const char *text)
{
	char      *err = NULL;
	mg_conf_t *conf = mg_conf_load_string(text, NAME, &err);

	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	return conf;
}

START_TEST(test_lstore_parse)
{
	mg_conf_t *conf = load_ok("limit_store redis://10.0.0.5;\n" SRV);
	const mg_limit_store_t *s = conf->limit_store;

	ck_assert_str_eq(s->host, "10.0.0.5");
	ck_assert_int_eq(s->port, 6379);
	ck_assert_ptr_null(s->unix_path);
	ck_assert_int_eq(s->db, 0);
	ck_assert_ptr_null(s->password);
	ck_assert_int_eq(s->timeout, 200);
	ck_assert_int_eq(s->fail_closed, 0);
	ck_assert_str_eq(s->prefix, "mcpgw:");
	ck_assert_int_eq(s->queue, 1024);
	mg_conf_free(conf);

	conf = load_ok("limit_store redis://127.0.0.1:7000 db=3 timeout=1s "
		       "fail=closed prefix=gw1: queue=10;\n"
		       "limit_req_zone $remote_addr zone=z:1m rate=5r/s "
		       "store;\n" SRV);
	s = conf->limit_store;
	ck_assert_int_eq(s->port, 7000);
	ck_assert_int_eq(s->db, 3);
	ck_assert_int_eq(s->timeout, 1000);
	ck_assert_int_eq(s->fail_closed, 1);
	ck_assert_str_eq(s->prefix, "gw1:");
	ck_assert_int_eq(s->queue, 10);
	ck_assert_int_eq(conf->limit_zones->store, 1);
	ck_assert_int_eq(conf->limit_zones->rate, 5000);
	mg_conf_free(conf);

	conf = load_ok("limit_store unix:/run/redis/redis.sock;\n" SRV);
	ck_assert_ptr_null(conf->limit_store->host);
	ck_assert_str_eq(conf->limit_store->unix_path, "/run/redis/redis.sock");
	mg_conf_free(conf);
}
END_TEST

static const refusal_t lstore_refusals[] = {
	{ "server { listen 80;\n limit_store redis://127.0.0.1; }",
	    "\"limit_store\" directive is not allowed here in " NAME ":2" },
	{ "limit_store redis://localhost:6379;\n" SRV,
	    "invalid address \"redis://localhost:6379\" of \"limit_store\": "
	    "redis://IP[:PORT] (an IPv4 address, not a name) or unix:/PATH "
	    "in " NAME ":1" },
	{ "limit_store redis://[::1]:6379;\n" SRV,
	    "invalid address \"redis://[::1]:6379\" of \"limit_store\": "
	    "redis://IP[:PORT] (an IPv4 address, not a name) or unix:/PATH "
	    "in " NAME ":1" },
	{ "limit_store redis://127.0.0.1:0;\n" SRV,
	    "invalid address \"redis://127.0.0.1:0\" of \"limit_store\": "
	    "redis://IP[:PORT] (an IPv4 address, not a name) or unix:/PATH "
	    "in " NAME ":1" },
	{ "limit_store unix:redis.sock;\n" SRV,
	    "invalid address \"unix:redis.sock\" of \"limit_store\": "
	    "redis://IP[:PORT] (an IPv4 address, not a name) or unix:/PATH "
	    "in " NAME ":1" },
	{ "limit_store redis://127.0.0.1 timeout=0;\n" SRV,
	    "invalid timeout \"timeout=0\" in \"limit_store\" directive "
	    "in " NAME ":1" },
	{ "limit_store redis://127.0.0.1 fail=maybe;\n" SRV,
	    "invalid parameter \"fail=maybe\" in \"limit_store\" directive "
	    "in " NAME ":1" },
	{ "limit_store redis://127.0.0.1 queue=0;\n" SRV,
	    "invalid queue \"queue=0\" in \"limit_store\" directive in " NAME
	    ":1" },
	{ "limit_store redis://127.0.0.1 sync;\n" SRV,
	    "invalid parameter \"sync\" in \"limit_store\" directive in " NAME
	    ":1" },
	{ "limit_store redis://127.0.0.1;\nlimit_store "
	  "redis://127.0.0.1;\n" SRV,
	    "\"limit_store\" directive is duplicate in " NAME ":2" },
	{ "limit_store redis://127.0.0.1 password_file=/nonexistent/pw;\n" SRV,
	    "cannot read the password_file \"/nonexistent/pw\" of "
	    "\"limit_store\" (No such file or directory) in " NAME ":1" },
	{ "limit_req_zone $remote_addr zone=z:1m rate=5r/s store;\n" SRV,
	    "zone \"z\" is kept in the limit store (\"store\") but there is no "
	    "\"limit_store\" in " NAME ":1" },
	{ "limit_conn_zone $remote_addr zone=c:1m store;\n" SRV,
	    "invalid number of arguments in \"limit_conn_zone\" directive "
	    "in " NAME ":1" },
};

START_TEST(test_lstore_refused)
{
	const refusal_t *r = &lstore_refusals[_i];
	mg_conf_t       *conf;
	char            *err = NULL;

	conf = mg_conf_load_string(r->text, NAME, &err);
	ck_assert_msg(conf == NULL, "[%d] loaded, wanted: %s", _i, r->error);
	ck_assert_msg(err != NULL && strcmp(err, r->error) == 0,
	    "[%d]: got \"%s\", want \"%s\"", _i, err ? err : "(null)",
	    r->error);
	free(err);
}
END_TEST

/* The password is the file's first line, read at load. */
START_TEST(test_lstore_password)
{
	char       path[] = "/tmp/mcpgw-lstore-XXXXXX", text[256];
	mg_conf_t *conf;
	FILE      *f;
	int        fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	fputs("s3cret\nnot this\n", f);
	fclose(f);
	snprintf(text, sizeof(text),
	    "limit_store redis://127.0.0.1 password_file=%s;\n" SRV, path);
	conf = load_ok(text);
	ck_assert_str_eq(conf->limit_store->password, "s3cret");
	mg_conf_free(conf);
	unlink(path);
}
END_TEST

TCase *
conf_lstore_tcase(void)
{
	TCase *tc = tcase_create("limit_store");

	tcase_add_test(tc, test_lstore_parse);
	tcase_add_loop_test(
	    tc, test_lstore_refused, 0, (int)MG_NELEM(lstore_refusals));
	tcase_add_test(tc, test_lstore_password);
	return tc;
}
