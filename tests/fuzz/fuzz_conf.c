/*
 * The configuration parser (conf.c), include and all.
 *
 * Input: the main file, then optionally a NUL and a second file.  They
 * are written as a.conf and b.conf in a directory of this process's own,
 * and a.conf is loaded, as "mcpgw -t" would (an "include b.conf;" or
 * "include *.conf;" in it reads the second).  Properties:
 *   - a refused file says why, ending "in FILE:LINE" with FILE one of the
 *     two and LINE one of its lines;
 *   - the main file loaded from a string (mg_conf_load_string) gives the
 *     same result and the same message;
 *   - a loaded configuration holds what validation promises: every
 *     location has one handler, every mcp_pass its upstream, every
 *     auth_jwt it enforces an issuer and one source of keys, at least one
 *     worker; a federated location's members their upstreams, at most
 *     32, prefixes apart and without either separator.
 * The parser may only read the two files: open(2) and glob(3) are wrapped
 * (the link's --wrap) so that "include /dev/zero;" or "include /e*;" read
 * nothing outside the directory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

static char dir[256], path_a[300], path_b[300];
static int  confined; /* while the parser runs */

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __real_glob(const char *pattern, int       flags,
    int (*errfunc)(const char *, int), glob_t *g);
int __wrap_glob(const char *pattern, int       flags,
    int (*errfunc)(const char *, int), glob_t *g);

/* PATH is in our directory, and does not climb out of it. */
static int
inside(const char *path)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && path[n] == '/' &&
	    strstr(path, "/..") == NULL;
}

int
__wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	int     mode = 0;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	if (confined && !inside(path)) {
		errno = EACCES;
		return -1;
	}
	return __real_open(path, flags, mode);
}

int
__wrap_glob(const char *pattern, int flags, int (*errfunc)(const char *, int),
    glob_t *g)
{
	if (confined && !inside(pattern)) {
		memset(g, 0, sizeof(*g));
		return GLOB_NOMATCH;
	}
	return __real_glob(pattern, flags, errfunc, g);
}

static void
cleanup(void)
{
	unlink(path_a);
	unlink(path_b);
	rmdir(dir);
}

static void
write_file(const char *path, const uint8_t *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	FUZZ_ASSERT(fd >= 0, "open %s", path);
	FUZZ_ASSERT(write(fd, p, len) == (ssize_t)len, "write %s", path);
	close(fd);
}

/* Lines of the file FILE (one more than its newlines; any spelling of
 * its path, "DIR/./b.conf"), or -1 if it is neither of ours. */
static int
lines_of(const char *file, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, int has_b)
{
	const char    *base = strrchr(file, '/');
	const uint8_t *p = NULL;
	size_t         len = 0;
	int            n = 1;

	if (!inside(file) || base == NULL)
		return -1;
	if (strcmp(base, "/a.conf") == 0) {
		p = a;
		len = alen;
	} else if (strcmp(base, "/b.conf") == 0 && has_b) {
		p = b;
		len = blen;
	} else
		return -1;
	for (size_t i = 0; i < len; i++)
		n += p[i] == '\n';
	return n;
}

/* REF (N bytes, "FILE:LINE"): FILE ours, LINE one of its lines. */
static void
check_ref(const char *err, const char *ref, size_t n, const uint8_t *a,
    size_t alen, const uint8_t *b, size_t blen, int has_b)
{
	char  file[1024];
	char *colon, *end;
	long  line;
	int   max;

	snprintf(file, sizeof(file), "%.*s", (int)n, ref);
	colon = strrchr(file, ':');
	FUZZ_ASSERT(colon != NULL, "a file without its line: %s", err);
	*colon = '\0';
	line = strtol(colon + 1, &end, 10);
	FUZZ_ASSERT(end > colon + 1 && *end == '\0' && line >= 1,
	    "a file without its line: %s", err);
	max = lines_of(file, a, alen, b, blen, has_b);
	FUZZ_ASSERT(max >= 1, "the message names another file: %s", err);
	FUZZ_ASSERT(
	    line <= max, "line %ld of a file of %d lines: %s", line, max, err);
}

/*
 * A message ends " in FILE:LINE", or for a duplicate " in FILE:LINE
 * (first defined in FILE:LINE)".  Read from its end: what comes before
 * may quote the input, which may say anything.
 */
static void
check_message(const char *err, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, int has_b)
{
	static const char first[] = " (first defined in ";
	char              key[300];
	const char       *p, *last;
	size_t            n = strlen(err);

	if (n > 0 && err[n - 1] == ')') {
		for (last = NULL, p = err; (p = strstr(p, first)) != NULL; p++)
			last = p;
		FUZZ_ASSERT(last != NULL, "a message ends in ')': %s", err);
		p = last + sizeof(first) - 1;
		check_ref(
		    err, p, (size_t)(err + n - 1 - p), a, alen, b, blen, has_b);
		n = (size_t)(last - err);
	}
	snprintf(key, sizeof(key), " in %s/", dir);
	for (last = NULL, p = err; (p = strstr(p, key)) != NULL && p < err + n;
	     p++)
		last = p;
	FUZZ_ASSERT(last != NULL, "the message names no file: %s", err);
	p = last + 4;
	check_ref(err, p, (size_t)(err + n - p), a, alen, b, blen, has_b);
}

/* An auth_jwt a route enforces: an issuer, one source of keys (a
 * jwks_url over https only), HS256 alone and only with a secret, values
 * in range. */
static void
check_auth(const mg_auth_jwt_t *a)
{
	int hs256 =
	    a->algorithms.n == 1 && strcmp(a->algorithms.v[0], "HS256") == 0;

	FUZZ_ASSERT(!a->off, "auth_jwt off left on a route");
	FUZZ_ASSERT(a->issuers.n >= 1, "auth_jwt without issuer");
	FUZZ_ASSERT((a->jwks_file.path != NULL) +
		    (a->hs256_secret_file.path != NULL) +
		    (a->jwks_url.url != NULL) ==
		1,
	    "auth_jwt: not one of jwks_file, jwks_url and hs256_secret_file");
	FUZZ_ASSERT(a->jwks_url.url == NULL || a->jwks_url.tls,
	    "auth_jwt: a jwks_url over plain http");
	FUZZ_ASSERT(a->index >= 0, "auth_jwt: not numbered");
	FUZZ_ASSERT((a->hs256_secret_file.path != NULL) == hs256,
	    "auth_jwt: HS256 without its secret, or a secret without HS256");
	FUZZ_ASSERT(a->leeway >= 0 && a->leeway <= 600000, "leeway %lld",
	    (long long)a->leeway);
	FUZZ_ASSERT(a->max_token_size >= 1024 && a->max_token_size <= 65536,
	    "max_token_size %lld", (long long)a->max_token_size);
}

static void
check_members(const mg_location_t *l)
{
	int n = 0;

	FUZZ_ASSERT(l->name_sep != NULL && l->uri_sep != NULL &&
		l->nmembers <= MG_FED_MAX_MEMBERS,
	    "location %s: federation not defaulted", l->path);
	for (const mg_member_t *m = l->members; m; m = m->next, n++) {
		FUZZ_ASSERT(m->upstream != NULL && m->index == n &&
			(m->prefix == NULL ||
			    (strstr(m->prefix, l->name_sep) == NULL &&
				strstr(m->prefix, l->uri_sep) == NULL)),
		    "location %s: member %s", l->path, m->name);
		for (const mg_member_t *o = l->members; o != m; o = o->next)
			FUZZ_ASSERT(m->prefix != o->prefix &&
				(m->prefix == NULL || o->prefix == NULL ||
				    strcmp(m->prefix, o->prefix) != 0),
			    "location %s: members %s and %s share a prefix",
			    l->path, o->name, m->name);
	}
	FUZZ_ASSERT(n == l->nmembers, "location %s: %d members counted %d",
	    l->path, l->nmembers, n);
}

static void
check_conf(const mg_conf_t *conf)
{
	FUZZ_ASSERT(conf->worker_processes >= 1, "worker_processes %d",
	    conf->worker_processes);
	for (const mg_server_t *s = conf->servers; s; s = s->next) {
		FUZZ_ASSERT(s->listens != NULL, "a server without listen");
		if (s->auth_jwt != NULL)
			check_auth(s->auth_jwt);
		for (const mg_location_t *l = s->locations; l; l = l->next) {
			if (l->auth_jwt != NULL)
				check_auth(l->auth_jwt);
			FUZZ_ASSERT((l->builtin != NULL) + (l->pass != NULL) +
				    (l->members != NULL) ==
				1,
			    "location %s: not one handler", l->path);
			check_members(l);
			FUZZ_ASSERT(l->pass == NULL || l->upstream != NULL,
			    "location %s: mcp_pass without its upstream",
			    l->path);
		}
	}
	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next)
		FUZZ_ASSERT((u->server.url == NULL) != (u->command == NULL),
		    "upstream %s: not one of server and command", u->name);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	fuzz_quiet();
	/* tmpfs: a disk's file system makes each run wait on a write */
	if (access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	snprintf(dir, sizeof(dir), "%s/mcpgw-fuzz-conf.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(path_a, sizeof(path_a), "%s/a.conf", dir);
	snprintf(path_b, sizeof(path_b), "%s/b.conf", dir);
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t         alen = nul ? (size_t)(nul - data) : size;
	size_t         blen = nul ? size - alen - 1 : 0;
	char          *text, *err1 = NULL, *err2 = NULL;
	mg_conf_t     *c1, *c2;

	write_file(path_a, data, alen);
	if (nul != NULL)
		write_file(path_b, nul + 1, blen);
	else
		unlink(path_b);
	text = strndup((const char *)data, alen);
	confined = 1;
	c1 = mg_conf_load(path_a, &err1);
	c2 = mg_conf_load_string(text, path_a, &err2);
	confined = 0;
	FUZZ_ASSERT((c1 == NULL) == (c2 == NULL),
	    "loaded from a file %s, from a string %s", c1 ? "ok" : err1,
	    c2 ? "ok" : err2);
	if (c1 == NULL) {
		FUZZ_ASSERT(err1 && err2 && strcmp(err1, err2) == 0,
		    "from a file \"%s\", from a string \"%s\"", err1, err2);
		if (strcmp(err1, "out of memory") != 0)
			check_message(err1, data, alen, nul ? nul + 1 : NULL,
			    blen, nul != NULL);
	} else
		check_conf(c1);
	mg_conf_free(c1);
	mg_conf_free(c2);
	free(err1);
	free(err2);
	free(text);
	return 0;
}
