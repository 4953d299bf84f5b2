/*
 * auth_jwt in the configuration: the block as parsed (values, defaults,
 * paths, inheritance from the server, "off"), every refusal with its
 * exact text and position, and what the master adds when it loads a
 * configuration: algorithm names made bits, key files read (with the
 * refusals of a missing, malformed or too open file).
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builtin.h"
#include "check_conf.h"
#include "conf.h"
#include "jwt.h"
#include "master.h"

/* As the master loads (mg_master_load_conf): parse, then resolve what the
 * parser cannot know, the built-in servers and the algorithm names. */
static mg_conf_t *
load_named(const char *text, const char *name, char **err)
{
	mg_conf_t *conf = mg_conf_load_string(text, name, err);

	if (conf != NULL &&
	    (mg_builtin_resolve(conf, err) != MG_OK ||
		mg_master_auth_resolve(conf, err) != MG_OK)) {
		mg_conf_free(conf);
		return NULL;
	}
	return conf;
}

static mg_conf_t *
load_string(const char *text, char **err)
{
	return load_named(text, NAME, err);
}

static mg_conf_t *
load_ok(const char *text)
{
	mg_conf_t *conf;
	char      *err = NULL;

	conf = load_string(text, &err);
	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	return conf;
}

/* A location /m whose "auth_jwt {" is on line 5 and its body from 6. */
#define LOC(body)                                                              \
	"server {\n"                                                           \
	"listen 127.0.0.1:8080;\n"                                             \
	"location /m {\n"                                                      \
	"mcp_builtin demo;\n"                                                  \
	"auth_jwt {\n" body "}\n"                                              \
	"}\n"                                                                  \
	"}\n"
#define GOOD "issuer https://idp.example.com/;\njwks_file /etc/jwks.json;\n"
#define URL                                                                    \
	"issuer https://idp.example.com/;\n"                                   \
	"jwks_url https://idp.example.com/jwks;\n"

START_TEST(test_auth_block)
{
	mg_conf_t           *conf = load_ok(LOC("issuer https://a.example/ "
							  "https://b.example/;\n"
							  "issuer https://c.example/;\n"
							  "audience https://mcp.example.com/m;\n"
							  "jwks_file keys/jwks.json;\n"
							  "algorithms RS256 ES256;\n"
							  "leeway 30s;\n"
							  "max_token_size 16k;\n"
							  "scope mcp:read;\n"
							  "scope mcp:call tools;\n"));
	const mg_auth_jwt_t *a = conf->servers->locations->auth_jwt;

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->off, 0);
	ck_assert_int_eq(a->pos.line, 5);
	ck_assert_uint_eq(a->issuers.n, 3);
	ck_assert_str_eq(a->issuers.v[0], "https://a.example/");
	ck_assert_str_eq(a->issuers.v[1], "https://b.example/");
	ck_assert_str_eq(a->issuers.v[2], "https://c.example/");
	ck_assert_uint_eq(a->audiences.n, 1);
	ck_assert_str_eq(a->audiences.v[0], "https://mcp.example.com/m");
	/* relative to the directory of the file, as include is */
	ck_assert_str_eq(a->jwks_file.path, "/tmp/mcpgw-check/keys/jwks.json");
	ck_assert_str_eq(a->jwks_file.pos.file, NAME);
	ck_assert_int_eq(a->jwks_file.pos.line, 9);
	ck_assert_ptr_null(a->hs256_secret_file.path);
	ck_assert_uint_eq(a->algorithms.n, 2);
	ck_assert_str_eq(a->algorithms.v[0], "RS256");
	ck_assert_str_eq(a->algorithms.v[1], "ES256");
	ck_assert_int_eq(a->algorithms_pos.line, 10);
	ck_assert_int_eq(a->leeway, 30000);
	ck_assert_int_eq(a->max_token_size, 16384);
	ck_assert_uint_eq(a->scopes.n, 3);
	ck_assert_str_eq(a->scopes.v[0], "mcp:read");
	ck_assert_str_eq(a->scopes.v[1], "mcp:call");
	ck_assert_str_eq(a->scopes.v[2], "tools");
	ck_assert_ptr_null(a->jwks);
	ck_assert_ptr_null(conf->servers->auth_jwt);
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_auth_defaults)
{
	mg_conf_t *conf = load_ok(LOC("issuer https://idp.example.com/;\n"
				      "jwks_file /etc/mcpgw/jwks.json;\n"));
	const mg_auth_jwt_t *a = conf->servers->locations->auth_jwt;

	ck_assert_uint_eq(a->audiences.n, 0); /* the route's own URL */
	ck_assert_uint_eq(a->algorithms.n, 0);
	ck_assert_str_eq(a->jwks_file.path, "/etc/mcpgw/jwks.json");
	ck_assert_int_eq(a->leeway, 60000);
	ck_assert_int_eq(a->max_token_size, 8192);
	ck_assert_uint_eq(a->scopes.n, 0);
	ck_assert_int_eq(conf->auth_token_cache, 1024);
	mg_conf_free(conf);
	/* reachable from outside: a server_name or an audience names the
	 * resource, and the cache may be switched off */
	conf = load_ok("auth_token_cache 0;\n"
		       "server { listen 8080; server_name mcp.example.com;\n"
		       " auth_jwt { issuer i; jwks_file /j; }\n"
		       " location /a { mcp_builtin demo; } }\n"
		       "server { listen 8081;\n"
		       " auth_jwt { issuer i; jwks_file /j;\n"
		       "  audience https://mcp.example.com/b; }\n"
		       " location /b { mcp_builtin demo; } }\n");
	ck_assert_int_eq(conf->auth_token_cache, 0);
	mg_conf_free(conf);
}
END_TEST

/* jwks_url taken apart, its settings and their defaults; the blocks
 * numbered as every process names them (a server's, then each
 * location's own; "off" and inherited ones not counted). */
START_TEST(test_auth_jwks_url)
{
	mg_conf_t *conf = load_ok(
	    "server {\n listen 127.0.0.1:8080;\n"
	    " auth_jwt { issuer i; jwks_file /j; }\n"
	    " location /a { mcp_builtin demo; }\n"
	    " location /b { mcp_builtin demo; auth_jwt off; }\n"
	    " location /c { mcp_builtin demo;\n"
	    "  auth_jwt {\n issuer https://idp.example.com/;\n"
	    "   jwks_url https://idp.example.com:8443/oauth/jwks?v=2;\n"
	    "   jwks_trusted_certificate ca.pem;\n"
	    "   jwks_refresh 1m;\n jwks_min_refresh 5s;\n"
	    "   jwks_max_stale 2h;\n } }\n"
	    " location /d { mcp_builtin demo;\n"
	    "  auth_jwt { issuer i; jwks_url https://[::1]/k; } }\n"
	    "}\n"
	    "server { listen 127.0.0.1:8081; location /e { mcp_builtin demo; "
	    "} }\n");
	const mg_server_t   *s = conf->servers;
	const mg_location_t *a = s->locations, *b = a->next, *c = b->next,
			    *d = c->next;
	const mg_auth_jwt_t *u = c->auth_jwt, *v = d->auth_jwt;

	ck_assert_int_eq(conf->nauth_jwt, 3);
	ck_assert_int_eq(s->auth_jwt->index, 0);
	ck_assert_ptr_eq(a->auth_jwt, s->auth_jwt);
	ck_assert_ptr_null(b->auth_jwt);
	ck_assert_int_eq(u->index, 1);
	ck_assert_int_eq(v->index, 2);
	ck_assert_ptr_null(s->auth_jwt->jwks_url.url);
	ck_assert_str_eq(
	    u->jwks_url.url, "https://idp.example.com:8443/oauth/jwks?v=2");
	ck_assert_int_eq(u->jwks_url.tls, 1);
	ck_assert_str_eq(u->jwks_url.host, "idp.example.com");
	ck_assert_str_eq(u->jwks_url.port, "8443");
	ck_assert_str_eq(u->jwks_url.path, "/oauth/jwks?v=2");
	ck_assert_str_eq(u->jwks_url.authority, "idp.example.com:8443");
	ck_assert_int_eq(u->jwks_url.pos.line, 9);
	ck_assert_str_eq(
	    u->jwks_trusted_certificate.path, "/tmp/mcpgw-check/ca.pem");
	ck_assert_int_eq(u->jwks_refresh, 60000);
	ck_assert_int_eq(u->jwks_min_refresh, 5000);
	ck_assert_int_eq(u->jwks_max_stale, 7200000);
	ck_assert_ptr_null(u->jwks_file.path);
	ck_assert_str_eq(v->jwks_url.host, "::1");
	ck_assert_str_eq(v->jwks_url.port, "443");
	ck_assert_str_eq(v->jwks_url.path, "/k");
	ck_assert_ptr_null(v->jwks_trusted_certificate.path);
	ck_assert_int_eq(v->jwks_refresh, 300000);
	ck_assert_int_eq(v->jwks_min_refresh, 30000);
	ck_assert_int_eq(v->jwks_max_stale, 86400000);
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_auth_hs256)
{
	mg_conf_t           *conf = load_ok(LOC("issuer me;\n"
							  "hs256_secret_file /etc/secret;\n"
							  "algorithms HS256;\n"
							  "leeway 0;\n"
							  "max_token_size 64k;\n"));
	const mg_auth_jwt_t *a = conf->servers->locations->auth_jwt;

	ck_assert_ptr_null(a->jwks_file.path);
	ck_assert_str_eq(a->hs256_secret_file.path, "/etc/secret");
	ck_assert_int_eq(a->hs256_secret_file.pos.line, 7);
	ck_assert_int_eq(a->leeway, 0);
	ck_assert_int_eq(a->max_token_size, 65536);
	mg_conf_free(conf);
}
END_TEST

/* A location without auth_jwt takes its server's block, the same one;
 * "off" in a location, or in the server, leaves none. */
START_TEST(test_auth_inheritance)
{
	mg_conf_t *conf =
	    load_ok("server {\n listen 127.0.0.1:8080;\n"
		    " auth_jwt { issuer i; jwks_file /j; }\n"
		    " location /a { mcp_builtin demo; }\n"
		    " location /b { mcp_builtin demo;\n"
		    "  auth_jwt off; }\n"
		    " location /c { mcp_builtin demo;\n"
		    "  auth_jwt { issuer other; jwks_file /k;\n"
		    "   scope s; } }\n"
		    "}\n"
		    "server {\n listen 127.0.0.1:8081;\n auth_jwt off;\n"
		    " location /d { mcp_builtin demo; }\n"
		    " location /e { mcp_builtin demo;\n"
		    "  auth_jwt { issuer e; jwks_file /e; } }\n"
		    "}\n"
		    "server {\n listen 8082;\n"
		    " location /f { mcp_builtin demo; }\n"
		    "}\n");
	const mg_server_t   *s1 = conf->servers, *s2 = s1->next, *s3 = s2->next;
	const mg_location_t *a = s1->locations, *b = a->next, *c = b->next;

	ck_assert_ptr_nonnull(s1->auth_jwt);
	ck_assert_int_eq(s1->auth_jwt->pos.line, 3);
	ck_assert_ptr_eq(a->auth_jwt, s1->auth_jwt);
	ck_assert_ptr_null(b->auth_jwt);
	ck_assert_ptr_nonnull(c->auth_jwt);
	ck_assert_str_eq(c->auth_jwt->issuers.v[0], "other");
	ck_assert_uint_eq(c->auth_jwt->scopes.n, 1);
	/* the server's defaults are applied once, to the shared block */
	ck_assert_int_eq(a->auth_jwt->leeway, 60000);
	ck_assert_ptr_null(s2->auth_jwt);
	ck_assert_ptr_null(s2->locations->auth_jwt);
	ck_assert_str_eq(s2->locations->next->auth_jwt->issuers.v[0], "e");
	ck_assert_ptr_null(s3->auth_jwt);
	ck_assert_ptr_null(s3->locations->auth_jwt);
	mg_conf_free(conf);
}
END_TEST

/* The master hangs loaded keys on the configuration: mg_conf_free frees
 * them, the last registered first. */
static char cleaned[8];

static void
cleanup_mark(void *data)
{
	strncat(cleaned, data, sizeof(cleaned) - strlen(cleaned) - 1);
}

START_TEST(test_conf_cleanup)
{
	mg_conf_t *conf = load_ok("");

	cleaned[0] = '\0';
	ck_assert_int_eq(mg_conf_cleanup_add(conf, cleanup_mark, "a"), MG_OK);
	ck_assert_int_eq(mg_conf_cleanup_add(conf, cleanup_mark, "b"), MG_OK);
	ck_assert_str_eq(cleaned, "");
	mg_conf_free(conf);
	ck_assert_str_eq(cleaned, "ba");
}
END_TEST

static const refusal_t conf_auth_refusals[] = {
	/* where */
	{ "auth_jwt { issuer i; jwks_file /j; }",
	    "\"auth_jwt\" directive is not allowed here in " NAME ":1" },
	{ "upstream u { server http://x/;\n auth_jwt off; }",
	    "\"auth_jwt\" directive is not allowed here in " NAME ":2" },
	{ "server { listen 127.0.0.1:80;\n issuer i; }",
	    "\"issuer\" directive is not allowed here in " NAME ":2" },
	{ LOC(GOOD "listen 8081;\n"),
	    "\"listen\" directive is not allowed here in " NAME ":8" },
	{ LOC(GOOD "auth_jwt off;\n"),
	    "\"auth_jwt\" directive is not allowed here in " NAME ":8" },
	{ LOC(GOOD "issuers i;\n"),
	    "unknown directive \"issuers\" in " NAME ":8" },
	/* the block's own shape */
	{ "server { listen 127.0.0.1:80; location /a { mcp_builtin demo;\n"
	  " auth_jwt on; } }",
	    "invalid value \"on\" in \"auth_jwt\" directive in " NAME ":2" },
	{ "server { listen 127.0.0.1:80; location /a { mcp_builtin demo;\n"
	  " auth_jwt; } }",
	    "invalid number of arguments in \"auth_jwt\" directive in " NAME
	    ":2" },
	{ "server { listen 127.0.0.1:80; location /a { mcp_builtin demo;\n"
	  " auth_jwt x { } } }",
	    "invalid number of arguments in \"auth_jwt\" directive in " NAME
	    ":2" },
	{ "server { listen 127.0.0.1:80; location /a { mcp_builtin demo;\n"
	  " auth_jwt off;\n auth_jwt { issuer i; jwks_file /j; } } }",
	    "\"auth_jwt\" directive is duplicate in " NAME ":3" },
	{ "server { listen 127.0.0.1:80;\n auth_jwt { issuer i; jwks_file /j; "
	  "}\n"
	  " auth_jwt { issuer i; jwks_file /j; } }",
	    "\"auth_jwt\" directive is duplicate in " NAME ":3" },
	/* what the block needs */
	{ LOC("jwks_file /j;\n"), "auth_jwt has no \"issuer\" in " NAME ":5" },
	{ "server { listen 127.0.0.1:80;\n auth_jwt {\n issuer i; }\n"
	  " location /a { mcp_builtin demo; } }",
	    "auth_jwt has no \"jwks_file\", no \"jwks_url\" and no "
	    "\"hs256_secret_file\" in " NAME ":2" },
	{ LOC("issuer i;\njwks_file /j;\nhs256_secret_file /s;\n"
	      "algorithms HS256;\n"),
	    "auth_jwt has both \"jwks_file\" and \"hs256_secret_file\": one or "
	    "the other in " NAME ":8" },
	{ LOC("issuer i;\nhs256_secret_file /s;\n"),
	    "\"hs256_secret_file\" needs \"algorithms HS256;\" (and no other "
	    "algorithm) in " NAME ":7" },
	{ LOC("issuer i;\nhs256_secret_file /s;\nalgorithms HS256 RS256;\n"),
	    "\"hs256_secret_file\" needs \"algorithms HS256;\" (and no other "
	    "algorithm) in " NAME ":7" },
	{ LOC(GOOD "algorithms RS256 HS256;\n"),
	    "\"algorithms\" allows HS256 only with \"hs256_secret_file\", not "
	    "with \"jwks_file\" in " NAME ":8" },
	/* values */
	{ LOC(GOOD "algorithms none;\n"),
	    "invalid value \"none\" in \"algorithms\" directive (unsigned "
	    "tokens are never accepted) in " NAME ":8" },
	{ LOC(GOOD "algorithms RS256 NONE;\n"),
	    "invalid value \"NONE\" in \"algorithms\" directive (unsigned "
	    "tokens are never accepted) in " NAME ":8" },
	{ LOC(GOOD "algorithms RS256;\nalgorithms ES256;\n"),
	    "\"algorithms\" directive is duplicate in " NAME ":9" },
	/* jwks_url: https only, alone, and its settings only with it */
	{ LOC(GOOD "jwks_url https://idp.example.com/jwks;\n"),
	    "auth_jwt has both \"jwks_url\" and \"jwks_file\": one source of "
	    "keys in " NAME ":8" },
	{ LOC(URL "hs256_secret_file /s;\nalgorithms HS256;\n"),
	    "auth_jwt has both \"jwks_url\" and \"hs256_secret_file\": one "
	    "source of keys in " NAME ":7" },
	{ LOC("issuer i;\njwks_url http://idp.example.com/jwks;\n"),
	    "invalid value \"http://idp.example.com/jwks\" in \"jwks_url\" "
	    "directive (want https://HOST[:PORT]/PATH: keys are fetched over "
	    "TLS only) in " NAME ":7" },
	{ LOC("issuer i;\njwks_url idp.example.com/jwks;\n"),
	    "invalid value \"idp.example.com/jwks\" in \"jwks_url\" "
	    "directive (the scheme must be http or https; want "
	    "https://HOST[:PORT]/PATH: keys are fetched over TLS only) in " NAME
	    ":7" },
	{ LOC("issuer i;\njwks_url https://;\n"),
	    "invalid value \"https://\" in \"jwks_url\" directive (no host; "
	    "want https://HOST[:PORT]/PATH: keys are fetched over TLS only) "
	    "in " NAME ":7" },
	{ LOC(URL "jwks_url https://other.example/jwks;\n"),
	    "\"jwks_url\" directive is duplicate in " NAME ":8" },
	{ LOC(URL "algorithms RS256 HS256;\n"),
	    "\"algorithms\" allows HS256 only with \"hs256_secret_file\", not "
	    "with \"jwks_url\" in " NAME ":8" },
	{ LOC(GOOD "jwks_refresh 1m;\n"),
	    "auth_jwt has \"jwks_trusted_certificate\", \"jwks_refresh\", "
	    "\"jwks_min_refresh\" or \"jwks_max_stale\" without \"jwks_url\" "
	    "in " NAME ":5" },
	{ LOC(GOOD "jwks_trusted_certificate ca.pem;\n"),
	    "auth_jwt has \"jwks_trusted_certificate\", \"jwks_refresh\", "
	    "\"jwks_min_refresh\" or \"jwks_max_stale\" without \"jwks_url\" "
	    "in " NAME ":5" },
	{ LOC(URL "jwks_refresh 500ms;\n"),
	    "invalid time \"500ms\" in \"jwks_refresh\" directive in " NAME
	    ":8" },
	{ LOC(URL "jwks_refresh 2d;\n"),
	    "invalid time \"2d\" in \"jwks_refresh\" directive in " NAME ":8" },
	{ LOC(URL "jwks_min_refresh 2h;\n"),
	    "invalid time \"2h\" in \"jwks_min_refresh\" directive in " NAME
	    ":8" },
	{ LOC(URL "jwks_max_stale 31d;\n"),
	    "invalid time \"31d\" in \"jwks_max_stale\" directive in " NAME
	    ":8" },
	{ LOC(URL "jwks_max_stale 1h;\njwks_max_stale 2h;\n"),
	    "\"jwks_max_stale\" directive is duplicate in " NAME ":9" },
	{ LOC(URL "jwks_trusted_certificate a.pem;\n"
		  "jwks_trusted_certificate b.pem;\n"),
	    "\"jwks_trusted_certificate\" directive is duplicate in " NAME
	    ":9" },
	{ LOC(GOOD "jwks_file /other;\n"),
	    "\"jwks_file\" directive is duplicate in " NAME ":8" },
	{ LOC("issuer i;\njwks_file \"\";\n"),
	    "invalid value \"\" in \"jwks_file\" directive in " NAME ":7" },
	{ LOC("issuer \"\";\njwks_file /j;\n"),
	    "invalid value \"\" in \"issuer\" directive in " NAME ":6" },
	{ LOC("issuer \"https://a b/\";\njwks_file /j;\n"),
	    "invalid value \"https://a b/\" in \"issuer\" directive in " NAME
	    ":6" },
	{ LOC(GOOD "audience 'a\"b';\n"),
	    "invalid value \"a\"b\" in \"audience\" directive in " NAME ":8" },
	{ LOC(GOOD "scope read 'wr\\\\ite';\n"),
	    "invalid value \"wr\\ite\" in \"scope\" directive in " NAME ":8" },
	{ LOC(GOOD "scope caf\xc3\xa9;\n"),
	    "invalid value \"caf\xc3\xa9\" in \"scope\" directive in " NAME
	    ":8" },
	{ LOC(GOOD "leeway 11m;\n"),
	    "invalid time \"11m\" in \"leeway\" directive in " NAME ":8" },
	{ LOC(GOOD "leeway soon;\n"),
	    "invalid time \"soon\" in \"leeway\" directive in " NAME ":8" },
	{ LOC(GOOD "leeway 1s;\nleeway 2s;\n"),
	    "\"leeway\" directive is duplicate in " NAME ":9" },
	{ LOC(GOOD "max_token_size 65k;\n"),
	    "invalid size \"65k\" in \"max_token_size\" directive in " NAME
	    ":8" },
	{ LOC(GOOD "max_token_size 512;\n"),
	    "invalid size \"512\" in \"max_token_size\" directive in " NAME
	    ":8" },
	/* the default audience needs a name for the resource */
	{ "server { listen 8080;\n auth_jwt { issuer i; jwks_file /j; }\n"
	  " location /a { mcp_builtin demo; } }",
	    "auth_jwt has no \"audience\" and its server, listening on 8080, "
	    "has no \"server_name\" to name the resource by: add one of them "
	    "in " NAME ":2" },
	{ "server { listen 127.0.0.1:80; listen [::]:8443;\n"
	  " location /a { mcp_builtin demo;\n"
	  " auth_jwt { issuer i; jwks_file /j; } } }",
	    "auth_jwt has no \"audience\" and its server, listening on "
	    "[::]:8443, has no \"server_name\" to name the resource by: add "
	    "one of them in " NAME ":3" },
	/* the master's part: names it does not know */
	{ LOC(GOOD "algorithms RS256 rs384;\n"),
	    "invalid value \"rs384\" in \"algorithms\" directive (RS256, "
	    "RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA or HS256) "
	    "in " NAME ":8" },
	{ LOC("issuer i;\nhs256_secret_file /s;\nalgorithms HS512;\n"),
	    "\"hs256_secret_file\" needs \"algorithms HS256;\" (and no other "
	    "algorithm) in " NAME ":7" },
};

START_TEST(test_auth_refused)
{
	const refusal_t *r = &conf_auth_refusals[_i];
	mg_conf_t       *conf;
	char            *err = NULL;

	conf = load_string(r->text, &err);
	ck_assert_msg(conf == NULL, "[%d] loaded, wanted: %s", _i, r->error);
	ck_assert_msg(err != NULL && strcmp(err, r->error) == 0,
	    "[%d]: got \"%s\", want \"%s\"", _i, err ? err : "(null)",
	    r->error);
	free(err);
}
END_TEST

/* The master's part: algorithm names made bits when the file is loaded. */
START_TEST(test_auth_algs)
{
	mg_conf_t *conf =
	    load_ok("server { listen 127.0.0.1:80;\n"
		    " auth_jwt { issuer i; jwks_file /j; }\n"
		    " location /a { mcp_builtin demo; }\n"
		    " location /b { mcp_builtin demo;\n"
		    "  auth_jwt { issuer i; jwks_file /j;\n"
		    "   algorithms ES256 EdDSA PS512; } }\n"
		    " location /c { mcp_builtin demo;\n"
		    "  auth_jwt { issuer i; hs256_secret_file /s;\n"
		    "   algorithms HS256; } } }\n");
	const mg_location_t *a = conf->servers->locations, *b = a->next,
			    *c = b->next;

	ck_assert_uint_eq(a->auth_jwt->algs, MG_JWT_ASYMMETRIC);
	ck_assert_uint_eq(
	    b->auth_jwt->algs, MG_JWT_ES256 | MG_JWT_EDDSA | MG_JWT_PS512);
	ck_assert_uint_eq(c->auth_jwt->algs, MG_JWT_HS256);
	mg_conf_free(conf);
}
END_TEST

/*
 * The master's part: key files read when a configuration is prepared or
 * tested.  Each test has a directory of its own; its configuration is
 * named DIR/test.conf, so that relative key paths are read from DIR.
 */
static char dir[] = "/tmp/mcpgw-auth-XXXXXX";
static char conf_name[sizeof(dir) + 16];

/* A P-256 key and an Ed25519 key (public halves only). */
static const char jwks_two[] =
    "{\"keys\":["
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"ec1\",\"use\":\"sig\","
    "\"x\":\"WgVxaj-SvCLl48YrJ-9DT8dkgJgvtskfQJRdFimpyH0\","
    "\"y\":\"0-gQ9E4JyjGMIMj8hWuMUow-szeyOFqANz2jweQXHVA\"},"
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed1\","
    "\"x\":\"oGOJ41eQpyQ7nKa1kJNHPVB2t0-yPolhl_yvhxYdWqg\"}]}";

static void
dir_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf_name, sizeof(conf_name), "%s/test.conf", dir);
}

static void
dir_teardown(void)
{
	static const char *files[] = { "jwks.json", "secret", "big.json",
		"scopes.conf", "sub" };
	char               path[sizeof(dir) + 16];

	for (size_t i = 0; i < MG_NELEM(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (unlink(path) != 0)
			rmdir(path);
	}
	rmdir(dir);
	memcpy(dir + sizeof(dir) - 7, "XXXXXX", 6);
}

static void
put(const char *rel, const char *text, size_t len, mode_t mode)
{
	char path[sizeof(dir) + 16];
	int  fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* "server ... location /m { auth_jwt { BODY } }", loaded and prepared:
 * NULL and *err as the master would say it. */
static mg_conf_t *
prepare(const char *body, char **err)
{
	char       text[1024];
	mg_conf_t *conf;

	snprintf(text, sizeof(text), LOC("%s"), body);
	*err = NULL;
	if ((conf = load_named(text, conf_name, err)) == NULL)
		return NULL;
	if (mg_master_auth_load(conf, err) != MG_OK) {
		mg_conf_free(conf);
		return NULL;
	}
	return conf;
}

/* BODY fails to prepare with "WANT in DIR/test.conf:LINE". */
static void
refused(const char *body, const char *want, int line)
{
	char       expect[1024];
	char      *err;
	mg_conf_t *conf = prepare(body, &err);

	snprintf(expect, sizeof(expect), "%s in %s:%d", want, conf_name, line);
	ck_assert_msg(conf == NULL, "prepared, wanted: %s", expect);
	ck_assert_msg(err != NULL && strcmp(err, expect) == 0,
	    "got \"%s\", want \"%s\"", err ? err : "(null)", expect);
	free(err);
}

START_TEST(test_auth_load_jwks)
{
	mg_conf_t           *conf;
	const mg_auth_jwt_t *a;
	char                *err;

	put("jwks.json", jwks_two, strlen(jwks_two), 0644);
	conf = prepare("issuer i;\njwks_file jwks.json;\n", &err);
	ck_assert_msg(conf != NULL, "%s", err ? err : "(null)");
	a = conf->servers->locations->auth_jwt;
	ck_assert_ptr_nonnull(a->jwks);
	ck_assert_uint_eq(mg_jwks_count(a->jwks), 2);
	ck_assert(mg_jwks_kid_known(a->jwks, "ed1"));
	/* loading again keeps what is loaded */
	ck_assert_int_eq(mg_master_auth_load(conf, &err), MG_OK);
	ck_assert_uint_eq(mg_jwks_count(a->jwks), 2);
	mg_conf_free(conf); /* and the keys with it */
}
END_TEST

/* include works in the body, relative to the including file. */
START_TEST(test_auth_include)
{
	mg_conf_t *conf;
	char      *err;

	put("jwks.json", jwks_two, strlen(jwks_two), 0644);
	put("scopes.conf", "scope a b;\nscope c;\n", 20, 0644);
	conf = prepare(
	    "issuer i;\njwks_file jwks.json;\ninclude scopes.conf;\n", &err);
	ck_assert_msg(conf != NULL, "%s", err ? err : "(null)");
	ck_assert_uint_eq(conf->servers->locations->auth_jwt->scopes.n, 3);
	ck_assert_str_eq(conf->servers->locations->auth_jwt->scopes.v[2], "c");
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_auth_load_jwks_refused)
{
	static char big[1024 * 1024 + 1];
	char        path[sizeof(dir) + 16], want[256];

	snprintf(path, sizeof(path), "%s/none.json", dir);
	snprintf(want, sizeof(want),
	    "open() \"%s\" failed (No such file or directory) for "
	    "\"jwks_file\"",
	    path);
	refused("issuer i;\njwks_file none.json;\n", want, 7);

	snprintf(path, sizeof(path), "%s/sub", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(
	    want, sizeof(want), "jwks_file \"%s\" is not a regular file", path);
	refused("issuer i;\njwks_file sub;\n", want, 7);

	snprintf(path, sizeof(path), "%s/jwks.json", dir);
	put("jwks.json", "{\"keys\": [", 10, 0644);
	snprintf(want, sizeof(want),
	    "jwks_file \"%s\" is not a JWK Set: not a JSON object (or a "
	    "member name twice)",
	    path);
	refused("issuer i;\njwks_file jwks.json;\n", want, 7);

	put("jwks.json", "{\"keys\": []}", 12, 0644);
	snprintf(want, sizeof(want),
	    "jwks_file \"%s\" holds no key mcpgw can use (RSA of 2048 bits "
	    "or more, EC P-256 or P-384, Ed25519; not \"use\": \"enc\")",
	    path);
	refused("issuer i;\njwks_file jwks.json;\n", want, 7);

	snprintf(path, sizeof(path), "%s/big.json", dir);
	memset(big, ' ', sizeof(big));
	put("big.json", big, sizeof(big), 0644);
	snprintf(want, sizeof(want),
	    "jwks_file \"%s\" is larger than 1048576 bytes", path);
	refused("issuer i;\nscope s;\njwks_file big.json;\n", want, 8);
}
END_TEST

/* 32 bytes and a newline: the newline is not part of the secret. */
#define SECRET "0123456789abcdef0123456789abcdef"

START_TEST(test_auth_load_secret)
{
	mg_conf_t *conf;
	char      *err;

	put("secret", SECRET "\r\n", sizeof(SECRET) + 1, 0600);
	conf = prepare(
	    "issuer i;\nhs256_secret_file secret;\nalgorithms HS256;\n", &err);
	ck_assert_msg(conf != NULL, "%s", err ? err : "(null)");
	ck_assert_uint_eq(
	    mg_jwks_count(conf->servers->locations->auth_jwt->jwks), 1);
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_auth_load_secret_refused)
{
	char path[sizeof(dir) + 16], want[256];

	snprintf(path, sizeof(path), "%s/secret", dir);
	put("secret", SECRET, sizeof(SECRET) - 1, 0640);
	snprintf(want, sizeof(want),
	    "hs256_secret_file \"%s\" is accessible by group or others "
	    "(mode 0640); make it 0600 or 0400",
	    path);
	refused("issuer i;\nhs256_secret_file secret;\nalgorithms HS256;\n",
	    want, 7);

	put("secret", SECRET, sizeof(SECRET) - 2, 0400);
	snprintf(want, sizeof(want),
	    "hs256_secret_file \"%s\" holds 31 bytes, fewer than 32 "
	    "(RFC 7518 3.2)",
	    path);
	refused("issuer i;\nhs256_secret_file secret;\nalgorithms HS256;\n",
	    want, 7);
	chmod(path, 0600);

	put("secret", "", 0, 0600);
	snprintf(want, sizeof(want),
	    "hs256_secret_file \"%s\" holds 0 bytes, fewer than 32 "
	    "(RFC 7518 3.2)",
	    path);
	refused("issuer i;\nhs256_secret_file secret;\nalgorithms HS256;\n",
	    want, 7);
}
END_TEST

TCase *
conf_auth_tcase(void)
{
	TCase *tc = tcase_create("auth_jwt");

	tcase_add_test(tc, test_auth_block);
	tcase_add_test(tc, test_auth_defaults);
	tcase_add_test(tc, test_auth_hs256);
	tcase_add_test(tc, test_auth_jwks_url);
	tcase_add_test(tc, test_auth_inheritance);
	tcase_add_test(tc, test_conf_cleanup);
	tcase_add_test(tc, test_auth_algs);
	tcase_add_loop_test(
	    tc, test_auth_refused, 0, (int)MG_NELEM(conf_auth_refusals));
	return tc;
}

/* The key files, in a directory per test (check forks each test). */
TCase *
conf_auth_load_tcase(void)
{
	TCase *tc = tcase_create("auth_jwt keys");

	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_auth_load_jwks);
	tcase_add_test(tc, test_auth_include);
	tcase_add_test(tc, test_auth_load_jwks_refused);
	tcase_add_test(tc, test_auth_load_secret);
	tcase_add_test(tc, test_auth_load_secret_refused);
	return tc;
}
