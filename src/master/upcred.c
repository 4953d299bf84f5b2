/*
 * The upstreams' secrets (header_secret_file, env_secret_file, an
 * oauth_client's or oauth_token_exchange's client_secret_file), read by the
 * master when it prepares a configuration (start, reload) or tests it (-t), as
 * root and before anything changes, so that the connector, which may run as
 * another user, never opens a secret file and a bad one fails the
 * configuration, not a request.  The rules are those of auth_jwt's
 * secret (master/auth.c): a regular file only its owner may read, opened
 * without waiting on a FIFO.  The value is the file without one final
 * line break, and must be one line: it goes into a header.  Values hang
 * on the configuration, and are cleansed and freed with it.  They are
 * never logged.
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

#include "master.h"
#include "readfull.h"

#define UPCRED_SECRET_MAX 16384 /* bytes of a secret file */

/* "MESSAGE in FILE:LINE" into *err (malloc'd); MG_ERROR. */
static int __attribute__((format(printf, 3, 4)))
upcred_error(char **err, const mg_conf_pos_t *pos, const char *fmt, ...)
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

/* F, for directive NAME: a regular file that only its owner may read.
 * fd, or -1 with *err set. */
static int
upcred_open(const mg_conf_file_t *f, const char *name, char **err)
{
	struct stat st;
	int         fd;

	/* O_NONBLOCK: a FIFO put in its place must not hang the master */
	fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		upcred_error(err, &f->pos,
		    "open() \"%s\" failed (%s) for \"%s\"", f->path,
		    strerror(errno), name);
		return -1;
	}
	if (fstat(fd, &st) != 0)
		upcred_error(err, &f->pos,
		    "fstat() \"%s\" failed (%s) for \"%s\"", f->path,
		    strerror(errno), name);
	else if (!S_ISREG(st.st_mode))
		upcred_error(err, &f->pos, "%s \"%s\" is not a regular file",
		    name, f->path);
	else if (st.st_mode & 077)
		upcred_error(err, &f->pos,
		    "%s \"%s\" is accessible by group or others (mode %04o); "
		    "make it 0600 or 0400",
		    name, f->path, (unsigned)(st.st_mode & 07777));
	else
		return fd;
	close(fd);
	return -1;
}

/* What BUF's N bytes lack to be a secret's one line, or NULL. */
static const char *
upcred_bad(const char *buf, size_t n)
{
	if (n == 0)
		return "is empty";
	if (memchr(buf, '\n', n) || memchr(buf, '\r', n) || memchr(buf, 0, n))
		return "holds a line break or a NUL byte (the secret must be "
		       "one line)";
	return NULL;
}

/* F's bytes into BUF (UPCRED_SECRET_MAX + 1): how many, or -1 with
 * *err. */
static ssize_t
upcred_slurp(const mg_conf_file_t *f, const char *name, char *buf, char **err)
{
	ssize_t n;
	int     fd, e;

	if ((fd = upcred_open(f, name, err)) < 0)
		return -1;
	n = mg_read_full(fd, buf, UPCRED_SECRET_MAX + 1);
	e = errno;
	close(fd);
	if (n < 0)
		return upcred_error(err, &f->pos,
		    "read() \"%s\" failed (%s) for \"%s\"", f->path,
		    strerror(e), name);
	if ((size_t)n > UPCRED_SECRET_MAX)
		return upcred_error(err, &f->pos,
		    "%s \"%s\" is larger than %d bytes", name, f->path,
		    UPCRED_SECRET_MAX);
	return n;
}

/* The secret in F, NUL-terminated and malloc'd; NULL with *err. */
static char *
upcred_read(const mg_conf_file_t *f, const char *name, char **err)
{
	char        buf[UPCRED_SECRET_MAX + 1], *s = NULL;
	const char *bad;
	ssize_t     n;

	if ((n = upcred_slurp(f, name, buf, err)) < 0)
		return NULL;
	/* one final line break is the file's, not the secret's */
	if (n > 0 && buf[n - 1] == '\n' && --n > 0 && buf[n - 1] == '\r')
		n--;
	if ((bad = upcred_bad(buf, (size_t)n)) != NULL)
		upcred_error(err, &f->pos, "%s \"%s\" %s", name, f->path, bad);
	else if ((s = malloc((size_t)n + 1)) != NULL) {
		memcpy(s, buf, (size_t)n);
		s[n] = '\0';
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return s;
}

static void
upcred_forget(void *secret)
{
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
}

/* The secret of F into *VALUE, once, hung on CONF. */
static int
upcred_load(mg_conf_t *conf, const mg_conf_file_t *f, const char *name,
    char **value, char **err)
{
	char *s;

	if (f->path == NULL || *value != NULL)
		return MG_OK;
	if ((s = upcred_read(f, name, err)) == NULL)
		return MG_ERROR;
	if (mg_conf_cleanup_add(conf, upcred_forget, s) != MG_OK) {
		upcred_forget(s);
		return MG_ERROR;
	}
	*value = s;
	return MG_OK;
}

static int
upcred_load_vars(
    mg_conf_t *conf, mg_upstream_var_t *v, const char *name, char **err)
{
	for (; v != NULL; v = v->next)
		if (upcred_load(conf, &v->file, name, &v->value, err) != MG_OK)
			return MG_ERROR;
	return MG_OK;
}

int
mg_master_upcred_load(mg_conf_t *conf, char **err)
{
	*err = NULL;
	for (mg_upstream_t *u = conf->upstreams; u != NULL; u = u->next) {
		if (upcred_load_vars(conf, u->secret_headers,
			"header_secret_file", err) != MG_OK ||
		    upcred_load_vars(conf, u->env, "env_secret_file", err) !=
			MG_OK)
			return MG_ERROR;
		if (u->oauth != NULL &&
		    upcred_load(conf, &u->oauth->client_secret_file,
			"client_secret_file", &u->oauth->client_secret,
			err) != MG_OK)
			return MG_ERROR;
		if (u->exchange != NULL &&
		    upcred_load(conf, &u->exchange->client_secret_file,
			"client_secret_file", &u->exchange->client_secret,
			err) != MG_OK)
			return MG_ERROR;
	}
	return MG_OK;
}
