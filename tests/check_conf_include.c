/*
 * include over real files: relative to the including file, globs in
 * order, the context carried in, what a missing or unreadable file says,
 * positions in the included file, the depth limit, and pid's file
 * relative to the file that names it.
 */
#include "config.h"

#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_conf.h"
#include "conf.h"

static char root[] = "/tmp/mcpgw-check-XXXXXX";

/*
 * Temporary files: one directory per test under root, removed after the
 * include tests whether they pass or not.  Test directories are short
 * (root is), so paths built from them fit PATH_MAX.
 */

static void
root_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
root_teardown(void)
{
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
make_dir(char *dir, size_t size)
{
	snprintf(dir, size, "%s/tXXXXXX", root);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* DIR/REL with TEXT; a one-level subdirectory of REL is created. */
static void
write_file(const char *dir, const char *rel, const char *text)
{
	char  path[PATH_MAX], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((slash = strrchr(path, '/')) > path + strlen(dir)) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static mg_conf_t *
load_file_ok(const char *path)
{
	mg_conf_t *conf;
	char      *err = NULL;

	conf = mg_conf_load(path, &err);
	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	return conf;
}

static void
expect_file_error(const char *path, const char *want)
{
	mg_conf_t *conf;
	char      *err = NULL;

	conf = mg_conf_load(path, &err);
	ck_assert_msg(conf == NULL, "loaded, wanted: %s", want);
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(err, want);
	free(err);
}

START_TEST(test_include_relative)
{
	char       dir[64], path[PATH_MAX], want[PATH_MAX];
	mg_conf_t *conf;

	make_dir(dir, sizeof(dir));
	write_file(dir, "main.conf",
	    "worker_processes 3;\n"
	    "include sub/a.conf;\n"
	    "server {\n"
	    " include listen.conf;\n"
	    "}\n");
	write_file(
	    dir, "sub/a.conf", "worker_connections 7;\ninclude b.conf;\n");
	write_file(dir, "sub/b.conf", "pid /from-b;\n");
	write_file(dir, "listen.conf", "\nlisten 8080;\n");
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	conf = load_file_ok(path);
	ck_assert_str_eq(conf->path, path);
	ck_assert_int_eq(conf->worker_processes, 3);
	ck_assert_int_eq(conf->worker_connections, 7);
	ck_assert_str_eq(conf->pid, "/from-b");
	ck_assert_str_eq(conf->servers->listens->text, "8080");
	snprintf(want, sizeof(want), "%s/listen.conf", dir);
	ck_assert_str_eq(conf->servers->listens->pos.file, want);
	ck_assert_int_eq(conf->servers->listens->pos.line, 2);
	ck_assert_str_eq(conf->servers->pos.file, path);
	mg_conf_free(conf);
}
END_TEST

/* pid, as include: relative to the file that names it (the shipped
 * conf/mcpgw.conf keeps its pid file beside itself). */
START_TEST(test_pid_relative)
{
	char       dir[64], path[PATH_MAX], want[PATH_MAX];
	mg_conf_t *conf;

	make_dir(dir, sizeof(dir));
	write_file(dir, "main.conf", "include sub/a.conf;\n");
	write_file(dir, "sub/a.conf", "pid run/mcpgw.pid;\n");
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	conf = load_file_ok(path);
	snprintf(want, sizeof(want), "%s/sub/run/mcpgw.pid", dir);
	ck_assert_str_eq(conf->pid, want);
	mg_conf_free(conf);
	write_file(dir, "abs.conf", "pid /run/x.pid;\n");
	snprintf(path, sizeof(path), "%s/abs.conf", dir);
	conf = load_file_ok(path);
	ck_assert_str_eq(conf->pid, "/run/x.pid");
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_include_from_string)
{
	char       dir[64], name[PATH_MAX], text[PATH_MAX + 64];
	mg_conf_t *conf;
	char      *err = NULL;

	make_dir(dir, sizeof(dir));
	write_file(dir, "sub/a.conf", "worker_connections 9;\n");
	write_file(dir, "abs.conf", "pid /abs;\n");
	snprintf(name, sizeof(name), "%s/virtual.conf", dir);
	snprintf(text, sizeof(text),
	    "include sub/a.conf;\ninclude %s/abs.conf;", dir);
	conf = mg_conf_load_string(text, name, &err);
	ck_assert_msg(conf != NULL, "load failed: %s", err ? err : "(null)");
	ck_assert_int_eq(conf->worker_connections, 9);
	ck_assert_str_eq(conf->pid, "/abs");
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_include_glob)
{
	char       dir[64], path[PATH_MAX];
	mg_conf_t *conf;

	make_dir(dir, sizeof(dir));
	write_file(
	    dir, "conf.d/20-b.conf", "upstream b { server http://b/; }\n");
	write_file(
	    dir, "conf.d/30-c.conf", "upstream c { server http://c/; }\n");
	write_file(
	    dir, "conf.d/10-a.conf", "upstream a { server http://a/; }\n");
	write_file(dir, "conf.d/readme.txt", "not a config\n");
	write_file(dir, "main.conf",
	    "include conf.d/*.conf;\n"
	    "include nothing/*.conf;\n"
	    "include conf.d/*.none;\n"
	    "include conf.d/?0-[a].conf.x;\n");
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	conf = load_file_ok(path);
	ck_assert_str_eq(conf->upstreams->name, "a");
	ck_assert_str_eq(conf->upstreams->next->name, "b");
	ck_assert_str_eq(conf->upstreams->next->next->name, "c");
	ck_assert_ptr_null(conf->upstreams->next->next->next);
	mg_conf_free(conf);
}
END_TEST

START_TEST(test_include_missing)
{
	char dir[64], path[PATH_MAX], want[3 * PATH_MAX];

	make_dir(dir, sizeof(dir));
	write_file(
	    dir, "main.conf", "worker_processes 1;\ninclude missing.conf;\n");
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	snprintf(want, sizeof(want),
	    "open() \"%s/missing.conf\" failed "
	    "(No such file or directory) in %s:2",
	    dir, path);
	expect_file_error(path, want);

	write_file(dir, "dir.conf", "include sub;\n");
	write_file(dir, "sub/x.conf", "");
	snprintf(path, sizeof(path), "%s/dir.conf", dir);
	snprintf(want, sizeof(want),
	    "read() \"%s/sub\" failed "
	    "(Is a directory) in %s:1",
	    dir, path);
	expect_file_error(path, want);

	snprintf(path, sizeof(path), "%s/nope.conf", dir);
	snprintf(want, sizeof(want),
	    "open() \"%s\" failed "
	    "(No such file or directory)",
	    path);
	expect_file_error(path, want);
}
END_TEST

START_TEST(test_include_inner_error)
{
	char dir[64], path[PATH_MAX], want[3 * PATH_MAX];

	make_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	write_file(
	    dir, "main.conf", "worker_processes 1;\ninclude inner.conf;\n");
	write_file(dir, "inner.conf", "worker_connections 1;\n\nbogus;\n");
	snprintf(want, sizeof(want),
	    "unknown directive \"bogus\" in "
	    "%s/inner.conf:3",
	    dir);
	expect_file_error(path, want);

	/* Braces balance within each file. */
	write_file(dir, "inner.conf", "server {\n");
	snprintf(want, sizeof(want),
	    "unexpected end of file, expecting "
	    "\"}\" in %s/inner.conf:1",
	    dir);
	expect_file_error(path, want);

	/* Positions survive the include: the first place is named. */
	write_file(dir, "main.conf", "upstream a { }\ninclude inner.conf;\n");
	write_file(dir, "inner.conf", "\nupstream a { }\n");
	snprintf(want, sizeof(want),
	    "duplicate upstream \"a\" in "
	    "%s/inner.conf:2 (first defined in %s:1)",
	    dir, path);
	expect_file_error(path, want);

	/* The context carries into the included file. */
	write_file(dir, "main.conf",
	    "server {\n listen 80;\n include inner.conf;\n}\n");
	write_file(dir, "inner.conf", "pid /x;\n");
	snprintf(want, sizeof(want),
	    "\"pid\" directive is not allowed here in "
	    "%s/inner.conf:1",
	    dir);
	expect_file_error(path, want);
}
END_TEST

START_TEST(test_include_depth)
{
	char       dir[64], path[PATH_MAX], want[2 * PATH_MAX];
	char       name[32], text[64];
	mg_conf_t *conf;
	int        i;

	make_dir(dir, sizeof(dir));
	write_file(dir, "loop.conf", "include loop.conf;\n");
	snprintf(path, sizeof(path), "%s/loop.conf", dir);
	snprintf(want, sizeof(want), "include nested too deeply in %s:1", path);
	expect_file_error(path, want);

	/* main -> c1 -> ... -> c16 is as deep as it goes. */
	write_file(dir, "main.conf", "include c1.conf;\n");
	for (i = 1; i < 16; i++) {
		snprintf(name, sizeof(name), "c%d.conf", i);
		snprintf(text, sizeof(text), "include c%d.conf;\n", i + 1);
		write_file(dir, name, text);
	}
	write_file(dir, "c16.conf", "worker_processes 7;\n");
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	conf = load_file_ok(path);
	ck_assert_int_eq(conf->worker_processes, 7);
	mg_conf_free(conf);

	write_file(dir, "c16.conf", "\ninclude c17.conf;\n");
	write_file(dir, "c17.conf", "worker_processes 7;\n");
	snprintf(want, sizeof(want),
	    "include nested too deeply in "
	    "%s/c16.conf:2",
	    dir);
	expect_file_error(path, want);
}
END_TEST

TCase *
conf_include_tcase(void)
{
	TCase *tc = tcase_create("include");

	tcase_add_unchecked_fixture(tc, root_setup, root_teardown);
	tcase_add_test(tc, test_include_relative);
	tcase_add_test(tc, test_pid_relative);
	tcase_add_test(tc, test_include_from_string);
	tcase_add_test(tc, test_include_glob);
	tcase_add_test(tc, test_include_missing);
	tcase_add_test(tc, test_include_inner_error);
	tcase_add_test(tc, test_include_depth);
	return tc;
}
