/*
 * The keys of auth_jwt, made ready by the master when it loads and
 * prepares a configuration, so that a worker never reads a file or parses
 * a key set: the algorithm names become bits when the file is loaded
 * (start, reload, -t, -s), and each block's jwks_file or
 * hs256_secret_file is read and parsed when the configuration is prepared
 * (start, reload) or tested (-t), as root and before anything changes.
 * A file that is missing, malformed, holds no usable key or, for a
 * secret, is open to group or others, fails that configuration, naming
 * the directive's file and line.  The keys hang on the configuration and
 * go with it (mg_conf_cleanup_add).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "jwt.h"
#include "log.h"
#include "master.h"
#include "readfull.h"

#define AUTH_JWKS_MAX (1024 * 1024) /* bytes of a jwks_file */
#define AUTH_SECRET_MIN 32 /* RFC 7518 3.2: as long as the hash, at least */
#define AUTH_SECRET_MAX 4096
#define AUTH_ALG_NAMES                                                         \
	"RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA or "    \
	"HS256"

/* "MESSAGE in FILE:LINE" into *err (malloc'd); MG_ERROR. */
static int __attribute__((format(printf, 3, 4)))
auth_error(char **err, const mg_conf_pos_t *pos, const char *fmt, ...)
{
	va_list ap;
	char   *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL ||
	    asprintf(err, "%s in %s:%d", msg, pos->file, pos->line) < 0)
		*err = NULL; /* the caller says "out of memory" */
	free(msg);
	return MG_ERROR;
}

typedef int (*auth_fn)(
    mg_conf_t *conf, mg_auth_jwt_t *a, void *arg, char **err);

/* FN on every block once: a server's, and each location's own. */
static int
auth_each(mg_conf_t *conf, auth_fn fn, void *arg, char **err)
{
	*err = NULL;
	for (mg_server_t *s = conf->servers; s != NULL; s = s->next) {
		if (s->auth_jwt != NULL &&
		    fn(conf, s->auth_jwt, arg, err) != MG_OK)
			return MG_ERROR;
		for (mg_location_t *l = s->locations; l != NULL; l = l->next)
			if (l->auth_jwt != NULL && l->auth_jwt != s->auth_jwt &&
			    fn(conf, l->auth_jwt, arg, err) != MG_OK)
				return MG_ERROR;
	}
	return MG_OK;
}

/* Names to bits; none written: every asymmetric algorithm (a key's type
 * already limits which of them it verifies). */
static int
auth_resolve(mg_conf_t *conf, mg_auth_jwt_t *a, void *arg, char **err)
{
	unsigned bit;

	(void)conf;
	(void)arg;
	a->algs = a->algorithms.n == 0 ? MG_JWT_ASYMMETRIC : 0;
	for (size_t i = 0; i < a->algorithms.n; i++) {
		if (mg_jwt_alg_parse(a->algorithms.v[i], &bit) != MG_OK)
			return auth_error(err, &a->algorithms_pos,
			    "invalid value \"%s\" in \"algorithms\" directive "
			    "(" AUTH_ALG_NAMES ")",
			    a->algorithms.v[i]);
		a->algs |= bit;
	}
	return MG_OK;
}

int
mg_master_auth_resolve(mg_conf_t *conf, char **err)
{
	return auth_each(conf, auth_resolve, NULL, err);
}

/* Open F for directive NAME: a regular file, and if SECRET one that only
 * its owner may read.  fd, or -1 with *err set. */
static int
auth_open(const mg_conf_file_t *f, const char *name, int secret, char **err)
{
	struct stat st;
	int         fd;

	/* O_NONBLOCK: a FIFO put in its place must not hang the master */
	fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		auth_error(err, &f->pos, "open() \"%s\" failed (%s) for \"%s\"",
		    f->path, strerror(errno), name);
		return -1;
	}
	if (fstat(fd, &st) != 0)
		auth_error(err, &f->pos,
		    "fstat() \"%s\" failed (%s) for \"%s\"", f->path,
		    strerror(errno), name);
	else if (!S_ISREG(st.st_mode))
		auth_error(err, &f->pos, "%s \"%s\" is not a regular file",
		    name, f->path);
	else if (secret && (st.st_mode & 077))
		auth_error(err, &f->pos,
		    "%s \"%s\" is accessible by group or others (mode %04o); "
		    "make it 0600 or 0400",
		    name, f->path, (unsigned)(st.st_mode & 07777));
	else
		return fd;
	close(fd);
	return -1;
}

/* The file F of directive NAME, at most MAX bytes, into a malloc'd *BUF
 * (MAX + 1 bytes, for the caller to cleanse).  Its length, or -1. */
static ssize_t
auth_read(const mg_conf_file_t *f, const char *name, size_t max, int secret,
    char **buf, char **err)
{
	ssize_t n;
	int     fd, e;

	if ((fd = auth_open(f, name, secret, err)) < 0)
		return -1;
	if ((*buf = malloc(max + 1)) == NULL) {
		close(fd);
		return -1;
	}
	n = mg_read_full(fd, *buf, max + 1);
	e = errno;
	close(fd);
	if (n < 0)
		auth_error(err, &f->pos, "read() \"%s\" failed (%s) for \"%s\"",
		    f->path, strerror(e), name);
	else if ((size_t)n > max)
		auth_error(err, &f->pos, "%s \"%s\" is larger than %zu bytes",
		    name, f->path, max);
	else
		return n;
	OPENSSL_cleanse(*buf, max + 1);
	free(*buf);
	*buf = NULL;
	return -1;
}

static mg_jwks_t *
auth_load_jwks(const mg_conf_file_t *f, char **err)
{
	mg_jwks_t *keys;
	char      *buf, *why = NULL;
	ssize_t    n;

	if ((n = auth_read(f, "jwks_file", AUTH_JWKS_MAX, 0, &buf, err)) < 0)
		return NULL;
	keys = mg_jwks_parse(buf, (size_t)n, &why);
	free(buf);
	if (keys == NULL) {
		auth_error(err, &f->pos,
		    "jwks_file \"%s\" is not a JWK Set: %s", f->path,
		    why ? why : "out of memory");
		free(why);
		return NULL;
	}
	if (mg_jwks_count(keys) == 0) {
		auth_error(err, &f->pos,
		    "jwks_file \"%s\" holds no key mcpgw can use (RSA of 2048 "
		    "bits or more, EC P-256 or P-384, Ed25519; not \"use\": "
		    "\"enc\")",
		    f->path);
		mg_jwks_free(keys);
		return NULL;
	}
	return keys;
}

/* The secret is the file's bytes without one final line break, so that a
 * file written by echo or an editor holds the secret the issuer has. */
static mg_jwks_t *
auth_load_secret(const mg_conf_file_t *f, char **err)
{
	mg_jwks_t *keys = NULL;
	char      *buf;
	ssize_t    n;

	n = auth_read(f, "hs256_secret_file", AUTH_SECRET_MAX, 1, &buf, err);
	if (n < 0)
		return NULL;
	if (n > 0 && buf[n - 1] == '\n' && --n > 0 && buf[n - 1] == '\r')
		n--;
	if (n < AUTH_SECRET_MIN)
		auth_error(err, &f->pos,
		    "hs256_secret_file \"%s\" holds %zd bytes, fewer than %d "
		    "(RFC 7518 3.2)",
		    f->path, n, AUTH_SECRET_MIN);
	else if ((keys = mg_jwks_secret((uint8_t *)buf, (size_t)n)) == NULL)
		*err = NULL; /* out of memory */
	OPENSSL_cleanse(buf, AUTH_SECRET_MAX + 1);
	free(buf);
	return keys;
}

static void
auth_free_keys(void *keys)
{
	mg_jwks_free(keys);
}

static int
auth_load(mg_conf_t *conf, mg_auth_jwt_t *a, void *arg, char **err)
{
	mg_jwks_t *keys;

	(void)arg;
	/* a jwks_url's keys are the connector's to fetch, never read here */
	if (a->jwks != NULL || a->jwks_url.url != NULL)
		return MG_OK;
	if (a->jwks_file.path != NULL)
		keys = auth_load_jwks(&a->jwks_file, err);
	else
		keys = auth_load_secret(&a->hs256_secret_file, err);
	if (keys == NULL)
		return MG_ERROR;
	if (mg_conf_cleanup_add(conf, auth_free_keys, keys) != MG_OK) {
		mg_jwks_free(keys);
		return MG_ERROR;
	}
	a->jwks = keys;
	return MG_OK;
}

int
mg_master_auth_load(mg_conf_t *conf, char **err)
{
	if (auth_each(conf, auth_load, NULL, err) != MG_OK)
		return MG_ERROR;
	return mg_master_auth_keys_load(conf, err);
}
