/*
 * The client's token on its way upstream, in the configuration:
 * forward_client_token and the oauth_token_exchange block as parsed,
 * their defaults, every refusal with its exact text and position, the
 * locations that pass to such an upstream without asking for a token,
 * and the exchange's client secret read by the master.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_conf.h"
#include "conf.h"
#include "master.h"

/* An http upstream whose body starts on line 3, a stdio one alike. */
#define UP(body)                                                               \
	"upstream u {\n"                                                       \
	"server http://127.0.0.1:9/mcp;\n" body "}\n"
#define ST(body)                                                               \
	"upstream s {\n"                                                       \
	"command /bin/sh -c true;\n" body "}\n"
#define TX(body)                                                               \
	"oauth_token_exchange {\n"                                             \
	"token_url https://idp.example.com/oauth/token;\n"                     \
	"client_id mcpgw;\n"                                                   \
	"client_secret_file /etc/mcpgw/client.secret;\n" body "}\n"
#define OAUTH                                                                  \
	"oauth_client {\n"                                                     \
	"token_url https://idp.example.com/oauth/token;\n"                     \
	"client_id mcpgw;\n"                                                   \
	"client_secret_file /etc/mcpgw/client.secret;\n"                       \
	"}\n"
#define JWT "auth_jwt { issuer https://idp.example.com/; jwks_file /j.json; }\n"
/* A server passing /a to upstream u, with SRV and LOC in it. */
#define PASS(srv, loc)                                                         \
	"server {\nlisten 127.0.0.1:8080;\n" srv "location /a {\n"             \
	"mcp_pass u;\n" loc "}\n}\n"

static mg_conf_t *
load_ok(const char *text)
{
	char      *err = NULL;
	mg_conf_t *conf = mg_conf_load_string(text, NAME, &err);

	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	return conf;
}

START_TEST(test_upfwd_parse)
{
	mg_conf_t *conf = load_ok(
	    UP(TX("client_auth post;\nscope a b;\naudience "
		  "https://api/;\n"
		  "resource https://api/mcp;\ntoken_cache "
		  "10;\n")) "upstream f {\nserver "
			    "http://127.0.0.1:9/mcp;\n"
			    "forward_client_token on;\n}\n" PASS(JWT, ""));
	const mg_upstream_t     *u = conf->upstreams, *f = u->next;
	const mg_oauth_client_t *x = u->exchange;

	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_null(u->oauth);
	ck_assert_int_eq(u->forward_token, 0);
	ck_assert_str_eq(x->token.host, "idp.example.com");
	ck_assert_str_eq(x->token.path, "/oauth/token");
	ck_assert_str_eq(x->client_id, "mcpgw");
	ck_assert_str_eq(
	    x->client_secret_file.path, "/etc/mcpgw/client.secret");
	ck_assert_int_eq(x->client_auth, MG_OAUTH_POST);
	ck_assert_uint_eq(x->scopes.n, 2);
	ck_assert_str_eq(x->audiences.v[0], "https://api/");
	ck_assert_str_eq(x->resources.v[0], "https://api/mcp");
	ck_assert_int_eq(x->cache, 10);
	ck_assert_int_eq(x->pos.line, 3);
	ck_assert_int_eq(f->forward_token, 1);
	ck_assert_ptr_null(f->exchange);
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_upfwd_defaults)
{
	mg_conf_t *conf = load_ok(UP(TX("")) "upstream f {\n"
					     "server http://127.0.0.1:9/mcp;\n"
					     "forward_client_token off;\n}\n");

	ck_assert_int_eq(conf->upstreams->exchange->cache, 1024);
	ck_assert_int_eq(
	    conf->upstreams->exchange->client_auth, MG_OAUTH_BASIC);
	ck_assert_int_eq(conf->upstreams->next->forward_token, 0);
	mg_conf_free(conf);
	/* off needs no token of the locations */
	conf = load_ok(UP("forward_client_token off;\n") PASS("", ""));
	mg_conf_free(conf);
}
END_TEST

static const refusal_t upfwd_refusals[] = {
	/* where */
	{ "forward_client_token on;",
	    "\"forward_client_token\" directive is not allowed here in " NAME
	    ":1" },
	{ "server { listen 80;\n oauth_token_exchange { } }",
	    "\"oauth_token_exchange\" directive is not allowed here in " NAME
	    ":2" },
	{ UP("oauth_client {\ntoken_cache 5;\n}\n"),
	    "\"token_cache\" directive is not allowed here in " NAME ":4" },
	{ UP("token_cache 5;\n"),
	    "\"token_cache\" directive is not allowed here in " NAME ":3" },
	/* values */
	{ UP("forward_client_token yes;\n"),
	    "invalid value \"yes\" in \"forward_client_token\" directive "
	    "in " NAME ":3" },
	{ UP("forward_client_token on;\nforward_client_token off;\n"),
	    "\"forward_client_token\" directive is duplicate in " NAME ":4" },
	{ UP(TX("token_cache 0;\n")),
	    "invalid value \"0\" in \"token_cache\" directive in " NAME ":7" },
	{ UP(TX("") TX("")),
	    "\"oauth_token_exchange\" directive is duplicate in " NAME ":8" },
	{ UP("oauth_token_exchange {\ntoken_url http://a/t;\n}\n"),
	    "oauth_token_exchange needs \"token_url\", \"client_id\" and "
	    "\"client_secret_file\" in " NAME ":3" },
	{ UP("oauth_token_exchange {\nclient_auth jwt;\n}\n"),
	    "invalid value \"jwt\" in \"client_auth\" directive (basic or "
	    "post) in " NAME ":4" },
	/* with what else */
	{ UP("forward_client_token on;\n" TX("")),
	    "upstream \"u\" has both \"forward_client_token on\" and "
	    "\"oauth_token_exchange\": one or the other in " NAME ":4" },
	{ ST("forward_client_token on;\n"),
	    "upstream \"s\" runs a command: \"forward_client_token on\" is "
	    "for a \"server\" in " NAME ":3" },
	{ ST(TX("")),
	    "upstream \"s\" runs a command: \"oauth_token_exchange\" is for a "
	    "\"server\" in " NAME ":3" },
	{ UP(OAUTH "forward_client_token on;\n"),
	    "upstream \"u\" has \"oauth_client\" and \"forward_client_token "
	    "on\": one or the other in " NAME ":8" },
	{ UP(OAUTH TX("")),
	    "upstream \"u\" has \"oauth_client\" and \"oauth_token_exchange\": "
	    "one or the other in " NAME ":8" },
	{ UP("header Authorization x;\nforward_client_token on;\n"),
	    "upstream \"u\" sends an Authorization header already: "
	    "\"forward_client_token on\" sets it in " NAME ":4" },
	{ UP("header_secret_file authorization /a;\n" TX("")),
	    "upstream \"u\" sends an Authorization header already: "
	    "\"oauth_token_exchange\" sets it in " NAME ":4" },
	/* the locations: each must ask for a token */
	{ UP("forward_client_token on;\n") PASS("", ""),
	    "location \"/a\" passes to upstream \"u\", which has "
	    "\"forward_client_token on\", but asks for no token: add "
	    "\"auth_jwt\" in " NAME ":7" },
	{ UP(TX("")) PASS("", ""),
	    "location \"/a\" passes to upstream \"u\", which has "
	    "\"oauth_token_exchange\", but asks for no token: add "
	    "\"auth_jwt\" in " NAME ":11" },
	{ UP(TX("")) PASS(JWT, "auth_jwt off;\n"),
	    "location \"/a\" passes to upstream \"u\", which has "
	    "\"oauth_token_exchange\", but asks for no token: add "
	    "\"auth_jwt\" in " NAME ":12" },
};

START_TEST(test_upfwd_refused)
{
	const refusal_t *r = &upfwd_refusals[_i];
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

/* The master reads the exchange's client secret as oauth_client's. */
START_TEST(test_upfwd_secret)
{
	char       dir[] = "/tmp/mcpgw-upfwd-XXXXXX", path[64], text[512];
	mg_conf_t *conf;
	char      *err = NULL;
	int        fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cs", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "s3cret\n", 7), 7);
	close(fd);
	snprintf(text, sizeof(text),
	    UP("oauth_token_exchange {\ntoken_url http://127.0.0.1/t;\n"
	       "client_id c;\nclient_secret_file %s;\n}\n"),
	    path);
	conf = load_ok(text);
	ck_assert_int_eq(mg_master_upcred_load(conf, &err), MG_OK);
	ck_assert_str_eq(conf->upstreams->exchange->client_secret, "s3cret");
	mg_conf_free(conf);
	chmod(path, 0644);
	conf = load_ok(text);
	ck_assert_int_eq(mg_master_upcred_load(conf, &err), MG_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "accessible by group or others"));
	free(err);
	mg_conf_free(conf);
	unlink(path);
	rmdir(dir);
}
END_TEST

TCase *
conf_upfwd_tcase(void)
{
	TCase *tc = tcase_create("the client's token upstream");

	tcase_add_test(tc, test_upfwd_parse);
	tcase_add_test(tc, test_upfwd_defaults);
	tcase_add_loop_test(
	    tc, test_upfwd_refused, 0, (int)MG_NELEM(upfwd_refusals));
	tcase_add_test(tc, test_upfwd_secret);
	return tc;
}
