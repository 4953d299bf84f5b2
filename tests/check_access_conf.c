/*
 * The access phase's other methods in the configuration: auth_keys,
 * auth_cert and auth_order as parsed (values, paths, inheritance, the
 * default order), every refusal with its text and position; the keys
 * file's parser and lookup (proto/apikeys.c); and the master reading
 * keys files (master/auth_keys.c) with the refusals of a missing, open
 * or malformed one.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "apikeys.h"
#include "builtin.h"
#include "check_conf.h"
#include "conf.h"
#include "master.h"

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
load_ok(const char *text)
{
	char      *err = NULL;
	mg_conf_t *conf = load_named(text, NAME, &err);

	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	return conf;
}

/* A server with verified client certificates, "server {" on line 1. */
#define MTLS                                                                   \
	"server {\n"                                                           \
	"listen 127.0.0.1:8443 ssl;\n"                                         \
	"ssl_certificate /c.pem; ssl_certificate_key /c.key;\n"                \
	"ssl_client_certificate /ca.pem; ssl_verify_client optional;\n"
#define JWT "auth_jwt { issuer i; jwks_file /j; }"

START_TEST(test_access_parse)
{
	mg_conf_t            *conf = load_ok(MTLS "auth_keys keys/api.keys;\n"
							     "auth_cert on;\n"
							     "location /a { mcp_builtin demo; }\n"
							     "location /b { mcp_builtin demo;\n"
							     " auth_keys /etc/other.keys "
							     "header=X-Api-Key;\n"
							     " auth_order key cert; }\n"
							     "location /c { mcp_builtin demo;\n"
							     " auth_keys off; auth_cert off; }\n"
							     "}\n");
	const mg_server_t    *s = conf->servers;
	const mg_location_t  *a = s->locations, *b = a->next, *c = b->next;
	const mg_auth_keys_t *k = s->auth_keys;

	ck_assert_ptr_nonnull(k);
	ck_assert_str_eq(k->file.path, "/tmp/mcpgw-check/keys/api.keys");
	ck_assert_int_eq(k->file.pos.line, 5);
	ck_assert_int_eq(k->pos.line, 5);
	ck_assert_ptr_null(k->header);
	ck_assert_ptr_null(k->keys);
	ck_assert_int_eq(s->auth_cert.on, 1);
	ck_assert_int_eq(s->auth_cert.pos.line, 6);
	/* /a: the server's, in the default order */
	ck_assert_ptr_eq(a->auth_keys, k);
	ck_assert_int_eq(a->auth_cert.on, 1);
	ck_assert_int_eq(a->auth_cert.pos.line, 6);
	ck_assert_uint_eq(a->auth_order.n, 3);
	ck_assert_uint_eq(a->auth_order.v[0], MG_AUTH_CERT);
	ck_assert_uint_eq(a->auth_order.v[1], MG_AUTH_JWT);
	ck_assert_uint_eq(a->auth_order.v[2], MG_AUTH_KEY);
	/* /b: its own keys and order */
	ck_assert_str_eq(b->auth_keys->file.path, "/etc/other.keys");
	ck_assert_str_eq(b->auth_keys->header, "X-Api-Key");
	ck_assert_int_eq(b->auth_cert.on, 1);
	ck_assert_uint_eq(b->auth_order.n, 2);
	ck_assert_uint_eq(b->auth_order.v[0], MG_AUTH_KEY);
	ck_assert_uint_eq(b->auth_order.v[1], MG_AUTH_CERT);
	ck_assert_int_eq(b->auth_order.pos.line, 10);
	/* /c: neither */
	ck_assert_ptr_null(c->auth_keys);
	ck_assert_int_eq(c->auth_cert.on, 0);
	ck_assert_int_eq(c->auth_cert.pos.line, 12);
	mg_conf_free(conf);
}
END_TEST

/* Nothing written: no keys, no certificate, the order cert jwt key; a
 * server's order goes to its locations; "off" in a server leaves none. */
START_TEST(test_access_inheritance)
{
	mg_conf_t *conf =
	    load_ok("server { listen 127.0.0.1:80;\n"
		    " location /a { mcp_builtin demo; } }\n"
		    "server { listen 127.0.0.1:81;\n"
		    " auth_order key jwt; auth_keys off;\n"
		    " location /b { mcp_builtin demo; }\n"
		    " location /c { mcp_builtin demo; auth_keys /k;\n"
		    "  " JWT " } }\n");
	const mg_server_t   *s1 = conf->servers, *s2 = s1->next;
	const mg_location_t *a = s1->locations, *b = s2->locations,
			    *c = b->next;

	ck_assert_ptr_null(a->auth_keys);
	ck_assert_int_eq(a->auth_cert.on, 0);
	ck_assert_ptr_null(a->auth_cert.pos.file);
	ck_assert_uint_eq(a->auth_order.n, 3);
	ck_assert_ptr_null(s1->auth_keys);
	ck_assert_uint_eq(s1->auth_order.n, 0);
	ck_assert_ptr_null(s2->auth_keys);
	ck_assert_ptr_null(b->auth_keys);
	ck_assert_uint_eq(b->auth_order.n, 2);
	ck_assert_uint_eq(b->auth_order.v[0], MG_AUTH_KEY);
	ck_assert_uint_eq(b->auth_order.v[1], MG_AUTH_JWT);
	ck_assert_str_eq(c->auth_keys->file.path, "/k");
	ck_assert_uint_eq(c->auth_order.n, 2);
	ck_assert_int_eq(c->auth_order.pos.line, 4);
	mg_conf_free(conf);
}
END_TEST

#define LOC(body)                                                              \
	"server {\n"                                                           \
	"listen 127.0.0.1:8080;\n"                                             \
	"location /m {\n"                                                      \
	"mcp_builtin demo;\n" body "}\n"                                       \
	"}\n"

static const refusal_t access_refusals[] = {
	/* where */
	{ "auth_keys /k;",
	    "\"auth_keys\" directive is not allowed here in " NAME ":1" },
	{ "upstream u { server http://x/;\n auth_cert on; }",
	    "\"auth_cert\" directive is not allowed here in " NAME ":2" },
	{ LOC("auth_jwt { issuer i; jwks_file /j;\nauth_order jwt; }\n"),
	    "\"auth_order\" directive is not allowed here in " NAME ":6" },
	/* auth_keys */
	{ LOC("auth_keys;\n"),
	    "invalid number of arguments in \"auth_keys\" directive in " NAME
	    ":5" },
	{ LOC("auth_keys /k header=A b;\n"),
	    "invalid number of arguments in \"auth_keys\" directive in " NAME
	    ":5" },
	{ LOC("auth_keys /k hdr=X-Key;\n"),
	    "invalid parameter \"hdr=X-Key\" in \"auth_keys\" directive "
	    "in " NAME ":5" },
	{ LOC("auth_keys off header=X-Key;\n"),
	    "invalid parameter \"header=X-Key\" in \"auth_keys\" directive "
	    "in " NAME ":5" },
	{ LOC("auth_keys /k header=;\n"),
	    "invalid value \"header=\" in \"auth_keys\" directive in " NAME
	    ":5" },
	{ LOC("auth_keys /k 'header=X Key';\n"),
	    "invalid value \"header=X Key\" in \"auth_keys\" directive in " NAME
	    ":5" },
	{ LOC("auth_keys /k header=authorization;\n"),
	    "invalid value \"header=authorization\" in \"auth_keys\" directive "
	    "(a key in Authorization is sent as \"Bearer KEY\", which is "
	    "always accepted) in " NAME ":5" },
	{ LOC("auth_keys \"\";\n"),
	    "invalid value \"\" in \"auth_keys\" directive in " NAME ":5" },
	{ LOC("auth_keys /k;\nauth_keys off;\n"),
	    "\"auth_keys\" directive is duplicate in " NAME ":6" },
	/* auth_cert */
	{ LOC("auth_cert yes;\n"),
	    "invalid value \"yes\" in \"auth_cert\" directive in " NAME ":5" },
	{ MTLS "auth_cert on;\nauth_cert on;\n"
	       "location /m { mcp_builtin demo; } }",
	    "\"auth_cert\" directive is duplicate in " NAME ":6" },
	{ LOC("auth_cert on;\n"),
	    "\"auth_cert on\" needs \"ssl_verify_client on\" or "
	    "\"ssl_verify_client optional\" in its server in " NAME ":5" },
	{ "server { listen 127.0.0.1:80;\n auth_cert on;\n"
	  " location /m { mcp_builtin demo; auth_cert off; } }",
	    "\"auth_cert on\" needs \"ssl_verify_client on\" or "
	    "\"ssl_verify_client optional\" in its server in " NAME ":2" },
	/* auth_order */
	{ LOC("auth_order jwt token;\n"),
	    "invalid value \"token\" in \"auth_order\" directive (cert, jwt or "
	    "key) in " NAME ":5" },
	{ LOC("auth_order JWT;\n"),
	    "invalid value \"JWT\" in \"auth_order\" directive (cert, jwt or "
	    "key) in " NAME ":5" },
	{ LOC("auth_order jwt key jwt;\n"),
	    "\"jwt\" is named twice in \"auth_order\" directive in " NAME
	    ":5" },
	{ LOC("auth_order cert jwt key cert;\n"),
	    "invalid number of arguments in \"auth_order\" directive in " NAME
	    ":5" },
	{ LOC("auth_order jwt;\nauth_order key;\n"),
	    "\"auth_order\" directive is duplicate in " NAME ":6" },
	{ LOC("auth_order jwt;\n" JWT "\nauth_keys /k;\n"),
	    "\"auth_order\" leaves out \"key\", which location \"/m\" uses "
	    "in " NAME ":5" },
	{ "server { listen 127.0.0.1:80;\n auth_keys /k;\n auth_order jwt;\n"
	  " location /a { mcp_builtin demo; auth_keys off; }\n"
	  " location /b { mcp_builtin demo; } }",
	    "\"auth_order\" leaves out \"key\", which location \"/b\" uses "
	    "in " NAME ":3" },
	{ MTLS "auth_order key;\n"
	       "location /m { mcp_builtin demo; auth_keys /k;\n"
	       " auth_cert on; } }",
	    "\"auth_order\" leaves out \"cert\", which location \"/m\" uses "
	    "in " NAME ":5" },
};

START_TEST(test_access_refused)
{
	const refusal_t *r = &access_refusals[_i];
	char            *err = NULL;
	mg_conf_t       *conf = load_named(r->text, NAME, &err);

	ck_assert_msg(conf == NULL, "[%d] loaded, wanted: %s", _i, r->error);
	ck_assert_msg(err != NULL && strcmp(err, r->error) == 0,
	    "[%d]: got \"%s\", want \"%s\"", _i, err ? err : "(null)",
	    r->error);
	free(err);
}
END_TEST

/* ---- the keys file ------------------------------------------------------ */

static void
digest_hex(const char *key, char out[65])
{
	unsigned char d[32];
	unsigned int  n;

	ck_assert_int_eq(
	    EVP_Digest(key, strlen(key), d, &n, EVP_sha256(), NULL), 1);
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The name KEYS gives KEY, or NULL. */
static const char *
lookup(const mg_apikeys_t *keys, const char *key)
{
	uint8_t d[MG_APIKEY_DIGEST];

	ck_assert_int_eq(mg_apikeys_digest(keys, key, strlen(key), d), MG_OK);
	return mg_apikeys_find(keys, d);
}

START_TEST(test_apikeys_parse)
{
	char             h1[65], h2[65], h3[65], text[1024];
	mg_apikeys_t    *k;
	mg_apikeys_err_t err;

	digest_hex("key-one", h1);
	digest_hex("key-two", h2);
	digest_hex("key three", h3);
	for (char *p = h2; *p != '\0'; p++) /* either case */
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	snprintf(text, sizeof(text),
	    "# the keys of the gateway\n"
	    "\n"
	    "ci %s\n"
	    "  \t ops@example.com\t%s   # rotated in June\r\n"
	    "   # an indented comment\n"
	    "x:y/z_1.2-3+4 %s",
	    h1, h2, h3);
	k = mg_apikeys_parse(text, strlen(text), &err);
	ck_assert_msg(k != NULL, "line %d: %s", err.line, err.why);
	ck_assert_uint_eq(mg_apikeys_count(k), 3);
	ck_assert_str_eq(lookup(k, "key-one"), "ci");
	ck_assert_str_eq(lookup(k, "key-two"), "ops@example.com");
	ck_assert_str_eq(lookup(k, "key three"), "x:y/z_1.2-3+4");
	ck_assert_ptr_null(lookup(k, "key-on"));
	ck_assert_ptr_null(lookup(k, "key-one "));
	ck_assert_ptr_null(lookup(k, ""));
	mg_apikeys_free(k);
	/* no key at all: allowed, and every key is refused */
	k = mg_apikeys_parse("# none yet\n\n", 12, &err);
	ck_assert_ptr_nonnull(k);
	ck_assert_uint_eq(mg_apikeys_count(k), 0);
	ck_assert_ptr_null(lookup(k, "key-one"));
	mg_apikeys_free(k);
	k = mg_apikeys_parse("", 0, &err);
	ck_assert_ptr_nonnull(k);
	mg_apikeys_free(k);
}
END_TEST

/* Many keys: the table grows and every key is found by its digest. */
START_TEST(test_apikeys_many)
{
	enum { N = 3000 };
	size_t           cap = (size_t)N * 80, at = 0;
	char            *text = malloc(cap), key[32], hex[65], name[32];
	mg_apikeys_t    *k;
	mg_apikeys_err_t err;

	ck_assert_ptr_nonnull(text);
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "secret-%d", i);
		digest_hex(key, hex);
		at += (size_t)snprintf(
		    text + at, cap - at, "client-%d %s\n", i, hex);
	}
	k = mg_apikeys_parse(text, at, &err);
	ck_assert_msg(k != NULL, "line %d: %s", err.line, err.why);
	ck_assert_uint_eq(mg_apikeys_count(k), N);
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "secret-%d", i);
		snprintf(name, sizeof(name), "client-%d", i);
		ck_assert_str_eq(lookup(k, key), name);
		snprintf(key, sizeof(key), "secret+%d", i);
		ck_assert_ptr_null(lookup(k, key));
	}
	mg_apikeys_free(k);
	free(text);
}
END_TEST

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H64B "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
	const char *text;
	int         line;
	const char *why;
} apikeys_refusals[] = {
	{ "ci\n", 1, "invalid line (want \"NAME SHA256-HEX\")" },
	{ "# x\nci " H64 " extra\n", 2,
	    "invalid line (want \"NAME SHA256-HEX\")" },
	{ "ci " H64 "\n\nops\t\n", 3,
	    "invalid line (want \"NAME SHA256-HEX\")" },
	/* a key where its hash should be: never quoted back */
	{ "ci my-secret-key\n", 1,
	    "invalid hash for \"ci\" (want 64 hex digits: the SHA-256 of the "
	    "key)" },
	{ "ci " H64 "0\n", 1,
	    "invalid hash for \"ci\" (want 64 hex digits: the SHA-256 of the "
	    "key)" },
	{ "ci "
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\n",
	    1,
	    "invalid hash for \"ci\" (want 64 hex digits: the SHA-256 of the "
	    "key)" },
	{ "c\"i " H64 "\n", 1, "invalid key name \"c\"i\"" },
	{ "c\\i " H64 "\n", 1, "invalid key name \"c\\i\"" },
	{ "caf\xc3\xa9 " H64 "\n", 1, "invalid key name \"caf\xc3\xa9\"" },
	{ "ci " H64 "\nops " H64B "\n#\nci " H64B "0\n", 4,
	    "invalid hash for \"ci\" (want 64 hex digits: the SHA-256 of the "
	    "key)" },
	{ "ci " H64 "\nops " H64B "\n#\nci " H64B "\n", 4,
	    "duplicate key name \"ci\" (first at line 1)" },
	{ "ci " H64 "\nops " H64B "\nbuild " H64 "\n", 3,
	    "\"build\" has the same key as \"ci\" (line 1)" },
	{ "ci " H64 "\nops " H64B "\nOPS " H64 "\n", 3,
	    "\"OPS\" has the same key as \"ci\" (line 1)" },
};

START_TEST(test_apikeys_refused)
{
	mg_apikeys_err_t err = { 0, "" };
	const char      *text = apikeys_refusals[_i].text;

	ck_assert_ptr_null(mg_apikeys_parse(text, strlen(text), &err));
	ck_assert_msg(err.line == apikeys_refusals[_i].line &&
		strcmp(err.why, apikeys_refusals[_i].why) == 0,
	    "[%d]: line %d \"%s\", want line %d \"%s\"", _i, err.line, err.why,
	    apikeys_refusals[_i].line, apikeys_refusals[_i].why);
}
END_TEST

START_TEST(test_apikeys_nul)
{
	static const char text[] = "ci " H64 "\nops\0 " H64B "\n";
	mg_apikeys_err_t  err;

	ck_assert_ptr_null(mg_apikeys_parse(text, sizeof(text) - 1, &err));
	ck_assert_int_eq(err.line, 2);
	ck_assert_str_eq(err.why, "a NUL byte");
}
END_TEST

/* ---- the master reads them --------------------------------------------------
 */

static char dir[] = "/tmp/mcpgw-keys-XXXXXX";
static char conf_name[sizeof(dir) + 16];

static void
dir_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf_name, sizeof(conf_name), "%s/test.conf", dir);
}

static void
dir_teardown(void)
{
	static const char *files[] = { "api.keys", "sub/api.keys" };
	char               path[sizeof(dir) + 32];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
	strcpy(dir, "/tmp/mcpgw-keys-XXXXXX");
}

static void
write_keys(const char *name, const char *text, mode_t mode)
{
	char  path[sizeof(dir) + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* A configuration naming the keys file FILE (line 3) at two locations;
 * loaded and, as the master prepares it, its key files read. */
static mg_conf_t *
prepare(const char *file, char **err)
{
	char       text[512];
	mg_conf_t *conf;

	snprintf(text, sizeof(text),
	    "server { listen 127.0.0.1:80;\n"
	    " location /a { mcp_builtin demo; }\n"
	    " auth_keys %s header=X-Api-Key;\n"
	    " location /b { mcp_builtin demo; } }\n",
	    file);
	if ((conf = load_named(text, conf_name, err)) == NULL)
		return NULL;
	if (mg_master_auth_load(conf, err) != MG_OK) {
		mg_conf_free(conf);
		return NULL;
	}
	return conf;
}

START_TEST(test_keys_load)
{
	char       hex[65], text[128], *err = NULL;
	mg_conf_t *conf;

	digest_hex("the-key", hex);
	snprintf(text, sizeof(text), "ci %s\n", hex);
	write_keys("api.keys", text, 0600);
	conf = prepare("api.keys", &err);
	ck_assert_msg(conf != NULL, "%s", err ? err : "(null)");
	/* read once for the server, shared by its locations */
	ck_assert_ptr_nonnull(conf->servers->auth_keys->keys);
	ck_assert_ptr_eq(conf->servers->locations->auth_keys,
	    conf->servers->locations->next->auth_keys);
	ck_assert_str_eq(
	    lookup(conf->servers->locations->auth_keys->keys, "the-key"), "ci");
	mg_conf_free(conf);
	/* 0640: a group of operators may read it */
	write_keys("api.keys", text, 0640);
	conf = prepare("api.keys", &err);
	ck_assert_msg(conf != NULL, "%s", err ? err : "(null)");
	mg_conf_free(conf);
}
END_TEST

/* "%s" in WANT is the directory. */
static const struct {
	const char *text; /* of DIR/api.keys; NULL: none */
	mode_t      mode;
	const char *want;
} keys_refusals[] = {
	{ NULL, 0600,
	    "open() \"%s/api.keys\" failed (No such file or directory) for "
	    "\"auth_keys\" in %s/test.conf:3" },
	{ "", 0644,
	    "auth_keys \"%s/api.keys\" may be written by group or others, or "
	    "read by others (mode 0644); make it 0600 or 0640 in "
	    "%s/test.conf:3" },
	{ "", 0620,
	    "auth_keys \"%s/api.keys\" may be written by group or others, or "
	    "read by others (mode 0620); make it 0600 or 0640 in "
	    "%s/test.conf:3" },
	{ "# a\nci " H64 "\nci " H64B "\n", 0600,
	    "duplicate key name \"ci\" (first at line 2) in %s/api.keys:3" },
	{ "ci\n", 0400,
	    "invalid line (want \"NAME SHA256-HEX\") in %s/api.keys:1" },
};

START_TEST(test_keys_refused)
{
	char       want[512], *err = NULL;
	mg_conf_t *conf;

	if (keys_refusals[_i].text != NULL)
		write_keys(
		    "api.keys", keys_refusals[_i].text, keys_refusals[_i].mode);
	snprintf(want, sizeof(want), keys_refusals[_i].want, dir, dir);
	conf = prepare("api.keys", &err);
	ck_assert_ptr_null(conf);
	ck_assert_msg(err != NULL && strcmp(err, want) == 0,
	    "[%d]: got \"%s\", want \"%s\"", _i, err ? err : "(null)", want);
	free(err);
}
END_TEST

START_TEST(test_keys_not_regular)
{
	char       want[512], path[sizeof(dir) + 8], *err = NULL;
	mg_conf_t *conf;

	snprintf(path, sizeof(path), "%s/sub", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	conf = prepare("sub", &err);
	ck_assert_ptr_null(conf);
	snprintf(want, sizeof(want),
	    "auth_keys \"%s/sub\" is not a regular file in %s/test.conf:3", dir,
	    dir);
	ck_assert_str_eq(err, want);
	free(err);
}
END_TEST

TCase *
conf_keys_tcase(void)
{
	TCase *tc = tcase_create("access");

	tcase_add_test(tc, test_access_parse);
	tcase_add_test(tc, test_access_inheritance);
	tcase_add_loop_test(tc, test_access_refused, 0,
	    (int)(sizeof(access_refusals) / sizeof(access_refusals[0])));
	tcase_add_test(tc, test_apikeys_parse);
	tcase_add_test(tc, test_apikeys_many);
	tcase_add_loop_test(tc, test_apikeys_refused, 0,
	    (int)(sizeof(apikeys_refusals) / sizeof(apikeys_refusals[0])));
	tcase_add_test(tc, test_apikeys_nul);
	return tc;
}

TCase *
conf_keys_load_tcase(void)
{
	TCase *tc = tcase_create("access keys files");

	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_keys_load);
	tcase_add_loop_test(tc, test_keys_refused, 0,
	    (int)(sizeof(keys_refusals) / sizeof(keys_refusals[0])));
	tcase_add_test(tc, test_keys_not_regular);
	return tc;
}
