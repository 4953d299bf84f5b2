/*
 * The upstreams' own credentials in the configuration: header_secret_file,
 * env and env_secret_file, and the oauth_client block as parsed; every
 * refusal with its exact text and position; and the secret files the
 * master reads (mg_master_upcred_load): trimmed of one line break, and
 * refused when open to group or others, empty, of more than one line,
 * missing, not a regular file or too large.
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
#define OAUTH                                                                  \
	"oauth_client {\n"                                                     \
	"token_url https://idp.example.com/oauth/token;\n"                     \
	"client_id mcpgw;\n"                                                   \
	"client_secret_file /etc/mcpgw/client.secret;\n"                       \
	"}\n"

static mg_conf_t *
load_ok(const char *text)
{
	char      *err = NULL;
	mg_conf_t *conf = mg_conf_load_string(text, NAME, &err);

	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	return conf;
}

static const char parse_text[] = UP(
    "header_secret_file Authorization secrets/gh.token;\n"
    "header_secret_file X-Api-Key /etc/mcpgw/key;\n")
    ST("env MODE production;\n"
       "env_secret_file GITHUB_TOKEN /etc/mcpgw/gh.token;\n") "upstream o {\n"
							      "server "
							      "http://"
							      "127.0.0.1:9/"
							      "mcp;\n"
							      "oauth_client {\n"
							      "token_url "
							      "https://"
							      "idp.example.com:"
							      "8443/t;\n"
							      "client_id \"my "
							      "client\";\n"
							      "client_secret_"
							      "file cs;\n"
							      "client_auth "
							      "post;\n"
							      "scope mcp:tools "
							      "read;\n"
							      "scope write;\n"
							      "resource "
							      "https://"
							      "api.example.com/"
							      "mcp;\n"
							      "audience api;\n"
							      "}\n"
							      "}\n";

START_TEST(test_upcred_parse)
{
	mg_conf_t           *conf = load_ok(parse_text);
	const mg_upstream_t *u = conf->upstreams, *s = u->next, *o = s->next;
	const mg_upstream_var_t *v = u->secret_headers;
	const mg_oauth_client_t *c = o->oauth;

	ck_assert_str_eq(v->name, "Authorization");
	ck_assert_str_eq(v->file.path, "/tmp/mcpgw-check/secrets/gh.token");
	ck_assert_ptr_null(v->value); /* until the master reads it */
	ck_assert_int_eq(v->file.pos.line, 3);
	ck_assert_str_eq(v->next->name, "X-Api-Key");
	ck_assert_str_eq(v->next->file.path, "/etc/mcpgw/key");
	ck_assert_ptr_null(v->next->next);
	ck_assert_ptr_null(u->env);
	ck_assert_ptr_null(u->oauth);

	v = s->env;
	ck_assert_str_eq(v->name, "MODE");
	ck_assert_str_eq(v->value, "production");
	ck_assert_ptr_null(v->file.path);
	ck_assert_str_eq(v->next->name, "GITHUB_TOKEN");
	ck_assert_ptr_null(v->next->value);
	ck_assert_str_eq(v->next->file.path, "/etc/mcpgw/gh.token");
	ck_assert_ptr_null(s->secret_headers);

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->token.tls, 1);
	ck_assert_str_eq(c->token.host, "idp.example.com");
	ck_assert_str_eq(c->token.port, "8443");
	ck_assert_str_eq(c->token.path, "/t");
	ck_assert_str_eq(c->token.authority, "idp.example.com:8443");
	ck_assert_str_eq(c->client_id, "my client");
	ck_assert_str_eq(c->client_secret_file.path, "/tmp/mcpgw-check/cs");
	ck_assert_ptr_null(c->client_secret);
	ck_assert_int_eq(c->client_auth, MG_OAUTH_POST);
	ck_assert_uint_eq(c->scopes.n, 3);
	ck_assert_str_eq(c->scopes.v[2], "write");
	ck_assert_uint_eq(c->resources.n, 1);
	ck_assert_str_eq(c->resources.v[0], "https://api.example.com/mcp");
	ck_assert_uint_eq(c->audiences.n, 1);
	ck_assert_str_eq(c->audiences.v[0], "api");
	mg_conf_free(conf);
}
END_TEST

/* The defaults: basic client authentication, an http token_url's port. */
START_TEST(test_upcred_defaults)
{
	mg_conf_t               *conf = load_ok(UP("oauth_client {\n"
								 "token_url http://127.0.0.1/token;\n"
								 "client_id c;\n"
								 "client_secret_file /s;\n"
								 "}\n"));
	const mg_oauth_client_t *c = conf->upstreams->oauth;

	ck_assert_int_eq(c->client_auth, MG_OAUTH_BASIC);
	ck_assert_int_eq(c->token.tls, 0);
	ck_assert_str_eq(c->token.port, "80");
	ck_assert_uint_eq(c->scopes.n, 0);
	ck_assert_uint_eq(c->resources.n, 0);
	mg_conf_free(conf);
}
END_TEST

static const refusal_t upcred_refusals[] = {
	/* where */
	{ "header_secret_file A /a;",
	    "\"header_secret_file\" directive is not allowed here in " NAME
	    ":1" },
	{ "server { listen 80;\n env A b; }",
	    "\"env\" directive is not allowed here in " NAME ":2" },
	{ "server { listen 80;\n oauth_client { } }",
	    "\"oauth_client\" directive is not allowed here in " NAME ":2" },
	{ UP("token_url http://a/t;\n"),
	    "\"token_url\" directive is not allowed here in " NAME ":3" },
	{ UP("oauth_client {\nheader X 1;\n}\n"),
	    "\"header\" directive is not allowed here in " NAME ":4" },
	/* header_secret_file */
	{ UP("header_secret_file 'Bad Name' /f;\n"),
	    "invalid header name \"Bad Name\" in \"header_secret_file\" "
	    "directive in " NAME ":3" },
	{ UP("header_secret_file X-A:;\n"),
	    "invalid number of arguments in \"header_secret_file\" directive "
	    "in " NAME ":3" },
	{ UP("header_secret_file X-A \"\";\n"),
	    "invalid value \"\" in \"header_secret_file\" directive in " NAME
	    ":3" },
	{ UP("header_secret_file X-A /a;\nheader_secret_file x-a /b;\n"),
	    "header \"X-A\" is set twice in upstream (first in " NAME
	    ":3) in " NAME ":4" },
	{ UP("header X-A 1;\nheader_secret_file X-A /a;\n"),
	    "header \"X-A\" is set by \"header\" too in upstream \"u\" in " NAME
	    ":4" },
	{ ST("header_secret_file X-A /a;\n"),
	    "upstream \"s\" runs a command: \"header_secret_file\" is for a "
	    "\"server\" (use \"env_secret_file\") in " NAME ":3" },
	/* env, env_secret_file */
	{ UP("env A 1;\n"),
	    "upstream \"u\" has no \"command\": \"env\" and "
	    "\"env_secret_file\" are for a stdio server in " NAME ":3" },
	{ ST("env 1A x;\n"),
	    "invalid variable name \"1A\" in \"env\" directive in " NAME ":3" },
	{ ST("env_secret_file A-B /x;\n"),
	    "invalid variable name \"A-B\" in \"env_secret_file\" directive "
	    "in " NAME ":3" },
	{ ST("env_secret_file A \"\";\n"),
	    "invalid value \"\" in \"env_secret_file\" directive in " NAME
	    ":3" },
	{ ST("env A 1;\nenv_secret_file A /x;\n"),
	    "environment variable \"A\" is set twice in upstream (first "
	    "in " NAME ":3) in " NAME ":4" },
	/* oauth_client */
	{ ST(OAUTH),
	    "upstream \"s\" runs a command: \"oauth_client\" is for a "
	    "\"server\" (give a stdio server its secrets with "
	    "\"env_secret_file\") in " NAME ":3" },
	{ UP("oauth_client {\ntoken_url http://a/t;\n}\n"),
	    "oauth_client needs \"token_url\", \"client_id\" and "
	    "\"client_secret_file\" in " NAME ":3" },
	{ UP("oauth_client {\nclient_id c;\nclient_secret_file /s;\n}\n"),
	    "oauth_client needs \"token_url\", \"client_id\" and "
	    "\"client_secret_file\" in " NAME ":3" },
	{ UP(OAUTH OAUTH),
	    "\"oauth_client\" directive is duplicate in " NAME ":8" },
	{ UP("oauth_client {\ntoken_url ftp://a/t;\n}\n"),
	    "invalid value \"ftp://a/t\" in \"token_url\" directive: the "
	    "scheme must be http or https (want https://HOST[:PORT]/PATH or "
	    "http://) in " NAME ":4" },
	{ UP("oauth_client {\ntoken_url http://a/t;\ntoken_url http://b/t;\n"
	     "}\n"),
	    "\"token_url\" directive is duplicate in " NAME ":5" },
	{ UP("oauth_client {\nclient_id a:b;\n}\n"),
	    "invalid value \"a:b\" in \"client_id\" directive in " NAME ":4" },
	{ UP("oauth_client {\nclient_id \"\";\n}\n"),
	    "invalid value \"\" in \"client_id\" directive in " NAME ":4" },
	{ UP("oauth_client {\nclient_id a;\nclient_id b;\n}\n"),
	    "\"client_id\" directive is duplicate in " NAME ":5" },
	{ UP("oauth_client {\nclient_secret_file /a;\n"
	     "client_secret_file /b;\n}\n"),
	    "\"client_secret_file\" directive is duplicate in " NAME ":5" },
	{ UP("oauth_client {\nclient_auth jwt;\n}\n"),
	    "invalid value \"jwt\" in \"client_auth\" directive (basic or "
	    "post) in " NAME ":4" },
	{ UP("oauth_client {\nclient_auth basic;\nclient_auth post;\n}\n"),
	    "\"client_auth\" directive is duplicate in " NAME ":5" },
	{ UP("oauth_client {\nscope 'a\"b';\n}\n"),
	    "invalid value \"a\"b\" in \"scope\" directive in " NAME ":4" },
	{ UP("oauth_client {\nresource \"https://a b/\";\n}\n"),
	    "invalid value \"https://a b/\" in \"resource\" directive in " NAME
	    ":4" },
	{ UP("header Authorization x;\n" OAUTH),
	    "upstream \"u\" sends an Authorization header already: "
	    "\"oauth_client\" sets it in " NAME ":4" },
	{ UP("header_secret_file authorization /a;\n" OAUTH),
	    "upstream \"u\" sends an Authorization header already: "
	    "\"oauth_client\" sets it in " NAME ":4" },
};

START_TEST(test_upcred_refused)
{
	const refusal_t *r = &upcred_refusals[_i];
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

/* ---- the secret files, in a directory per test --------------------------- */

static char dir[] = "/tmp/mcpgw-upcred-XXXXXX";
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
	static const char *files[] = { "h", "e", "c", "sub" };
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

/* TEXT loaded from DIR/test.conf and its secrets read: NULL and *err as
 * the master would say it. */
static mg_conf_t *
prepare(const char *text, char **err)
{
	mg_conf_t *conf;

	*err = NULL;
	if ((conf = mg_conf_load_string(text, conf_name, err)) == NULL)
		return NULL;
	if (mg_master_upcred_load(conf, err) != MG_OK) {
		mg_conf_free(conf);
		return NULL;
	}
	return conf;
}

#define ALL                                                                    \
	UP("header_secret_file X-Api-Key h;\n"                                 \
	   "oauth_client {\n"                                                  \
	   "token_url http://127.0.0.1/t;\n"                                   \
	   "client_id c;\n"                                                    \
	   "client_secret_file c;\n"                                           \
	   "}\n")                                                              \
	ST("env PLAIN yes;\nenv_secret_file TOKEN e;\n")

START_TEST(test_upcred_load)
{
	mg_conf_t *conf;
	char      *err;

	put("h", "Bearer abc\n", 11, 0600);
	put("e", "v e\r\n", 5, 0400);
	put("c", "s3cret", 6, 0600);
	conf = prepare(ALL, &err);
	ck_assert_msg(conf != NULL, "%s", err ? err : "(null)");
	ck_assert_str_eq(conf->upstreams->secret_headers->value, "Bearer abc");
	ck_assert_str_eq(conf->upstreams->oauth->client_secret, "s3cret");
	ck_assert_str_eq(conf->upstreams->next->env->value, "yes");
	ck_assert_str_eq(conf->upstreams->next->env->next->value, "v e");
	/* loading again keeps what is loaded */
	put("h", "other", 5, 0600);
	ck_assert_int_eq(mg_master_upcred_load(conf, &err), MG_OK);
	ck_assert_str_eq(conf->upstreams->secret_headers->value, "Bearer abc");
	mg_conf_free(conf); /* and the secrets, cleansed, with it */
}
END_TEST

/* ALL fails to prepare with "WANT in DIR/test.conf:LINE". */
static void
refused(const char *want, int line)
{
	char       expect[1024];
	char      *err;
	mg_conf_t *conf = prepare(ALL, &err);

	snprintf(expect, sizeof(expect), "%s in %s:%d", want, conf_name, line);
	ck_assert_msg(conf == NULL, "prepared, wanted: %s", expect);
	ck_assert_msg(err != NULL && strcmp(err, expect) == 0,
	    "got \"%s\", want \"%s\"", err ? err : "(null)", expect);
	free(err);
}

/* One file of ALL made bad, the others good: what the master says. */
typedef struct {
	const char *file; /* h, e or c */
	const char *text; /* its content; NULL: a directory instead */
	size_t      len;  /* 0: strlen */
	mode_t      mode;
	const char *what; /* the message after the file's path */
	const char *name; /* the directive */
	int         line; /* of the directive */
} bad_file_t;

static const bad_file_t bad_files[] = {
	{ "h", "x", 0, 0640,
	    "is accessible by group or others (mode 0640); make it 0600 or "
	    "0400",
	    "header_secret_file", 3 },
	{ "h", "x", 0, 0604,
	    "is accessible by group or others (mode 0604); make it 0600 or "
	    "0400",
	    "header_secret_file", 3 },
	{ "h", "", 0, 0600, "is empty", "header_secret_file", 3 },
	{ "h", "\n", 0, 0600, "is empty", "header_secret_file", 3 },
	{ "h", "a\nb\n", 0, 0600,
	    "holds a line break or a NUL byte (the secret must be one line)",
	    "header_secret_file", 3 },
	{ "h", "a\rb", 0, 0600,
	    "holds a line break or a NUL byte (the secret must be one line)",
	    "header_secret_file", 3 },
	{ "h", "a\0b", 3, 0600,
	    "holds a line break or a NUL byte (the secret must be one line)",
	    "header_secret_file", 3 },
	{ "h", "a\n\n", 0, 0600,
	    "holds a line break or a NUL byte (the secret must be one line)",
	    "header_secret_file", 3 },
	{ "h", NULL, 0, 0, "is not a regular file", "header_secret_file", 3 },
	{ "c", "x", 0, 0644,
	    "is accessible by group or others (mode 0644); make it 0600 or "
	    "0400",
	    "client_secret_file", 7 },
	{ "e", "x", 0, 0660,
	    "is accessible by group or others (mode 0660); make it 0600 or "
	    "0400",
	    "env_secret_file", 13 },
	{ "e", "x\ny", 0, 0600,
	    "holds a line break or a NUL byte (the secret must be one line)",
	    "env_secret_file", 13 },
};

START_TEST(test_upcred_load_refused)
{
	const bad_file_t *b = &bad_files[_i];
	char              path[sizeof(dir) + 16], want[512];

	put("h", "h", 1, 0600);
	put("e", "e", 1, 0600);
	put("c", "c", 1, 0600);
	snprintf(path, sizeof(path), "%s/%s", dir, b->file);
	if (b->text == NULL) {
		ck_assert_int_eq(unlink(path), 0);
		ck_assert_int_eq(mkdir(path, 0700), 0);
	} else
		put(b->file, b->text, b->len ? b->len : strlen(b->text),
		    b->mode);
	snprintf(want, sizeof(want), "%s \"%s\" %s", b->name, path, b->what);
	refused(want, b->line);
}
END_TEST

START_TEST(test_upcred_load_missing)
{
	static char big[16385];
	char        path[sizeof(dir) + 16], want[512];

	put("e", "e", 1, 0600);
	put("c", "c", 1, 0600);
	snprintf(path, sizeof(path), "%s/h", dir);
	snprintf(want, sizeof(want),
	    "open() \"%s\" failed (No such file or directory) for "
	    "\"header_secret_file\"",
	    path);
	refused(want, 3);

	memset(big, 'a', sizeof(big));
	put("h", big, sizeof(big), 0600);
	snprintf(want, sizeof(want),
	    "header_secret_file \"%s\" is larger than 16384 bytes", path);
	refused(want, 3);
	/* a file of 16384 bytes, the last a line break: the largest */
	big[sizeof(big) - 2] = '\n';
	put("h", big, sizeof(big) - 1, 0600);
	{
		char      *err;
		mg_conf_t *conf = prepare(ALL, &err);

		ck_assert_msg(conf != NULL, "%s", err ? err : "(null)");
		ck_assert_uint_eq(
		    strlen(conf->upstreams->secret_headers->value), 16383);
		mg_conf_free(conf);
	}
}
END_TEST

TCase *
conf_upcred_tcase(void)
{
	TCase *tc = tcase_create("upstream credentials");

	tcase_add_test(tc, test_upcred_parse);
	tcase_add_test(tc, test_upcred_defaults);
	tcase_add_loop_test(
	    tc, test_upcred_refused, 0, (int)MG_NELEM(upcred_refusals));
	return tc;
}

TCase *
conf_upcred_load_tcase(void)
{
	TCase *tc = tcase_create("upstream secrets");

	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_upcred_load);
	tcase_add_loop_test(
	    tc, test_upcred_load_refused, 0, (int)MG_NELEM(bad_files));
	tcase_add_test(tc, test_upcred_load_missing);
	return tc;
}
