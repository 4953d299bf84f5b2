/*
 * The keys files of auth_keys, read by the master when it prepares or
 * tests a configuration (start, reload, -t), as the key files of
 * auth_jwt are (auth.c), so that a reload is how keys are added and
 * revoked and a worker never reads a file.  A file that is missing,
 * malformed or open to others fails that configuration: a fault of the
 * file names the directive's file and line, a fault of a line names the
 * keys file and that line.
 *
 * The file holds hashes, not keys, so it is less secret than an HS256
 * secret; still, whoever may write it may let anyone in, and the hash of
 * a short key can be guessed offline.  So it is refused when group or
 * others may write it or others may read it: 0600 and 0640 (a group of
 * operators that reads it) are fine.
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

#include "apikeys.h"
#include "master.h"
#include "readfull.h"

#define KEYS_FILE_MAX (1024 * 1024)
#define KEYS_MODE_REFUSED (S_IWGRP | S_IWOTH | S_IROTH)

/* "MESSAGE in FILE:LINE" into *err (malloc'd; NULL: out of memory). */
static int __attribute__((format(printf, 4, 5)))
keys_error(char **err, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char   *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL || asprintf(err, "%s in %s:%d", msg, file, line) < 0)
		*err = NULL;
	free(msg);
	return MG_ERROR;
}

/* F opened, a regular file no one else may write: fd, or -1. */
static int
keys_open(const mg_conf_file_t *f, char **err)
{
	struct stat st;
	int         fd;

	/* O_NONBLOCK: a FIFO put in its place must not hang the master */
	fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		keys_error(err, f->pos.file, f->pos.line,
		    "open() \"%s\" failed (%s) for \"auth_keys\"", f->path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0)
		keys_error(err, f->pos.file, f->pos.line,
		    "fstat() \"%s\" failed (%s) for \"auth_keys\"", f->path,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode))
		keys_error(err, f->pos.file, f->pos.line,
		    "auth_keys \"%s\" is not a regular file", f->path);
	else if (st.st_mode & KEYS_MODE_REFUSED)
		keys_error(err, f->pos.file, f->pos.line,
		    "auth_keys \"%s\" may be written by group or others, or "
		    "read by others (mode %04o); make it 0600 or 0640",
		    f->path, (unsigned)(st.st_mode & 07777));
	else
		return fd;
	close(fd);
	return -1;
}

static struct mg_apikeys *
keys_read(const mg_conf_file_t *f, char **err)
{
	mg_apikeys_t    *keys = NULL;
	mg_apikeys_err_t why;
	char            *buf;
	ssize_t          n;
	int              fd, e;

	if ((fd = keys_open(f, err)) < 0)
		return NULL;
	if ((buf = malloc(KEYS_FILE_MAX + 1)) == NULL) {
		close(fd);
		*err = NULL;
		return NULL;
	}
	n = mg_read_full(fd, buf, KEYS_FILE_MAX + 1);
	e = errno;
	close(fd);
	if (n < 0)
		keys_error(err, f->pos.file, f->pos.line,
		    "read() \"%s\" failed (%s) for \"auth_keys\"", f->path,
		    strerror(e));
	else if (n > KEYS_FILE_MAX)
		keys_error(err, f->pos.file, f->pos.line,
		    "auth_keys \"%s\" is larger than %d bytes", f->path,
		    KEYS_FILE_MAX);
	else if ((keys = mg_apikeys_parse(buf, (size_t)n, &why)) == NULL) {
		if (why.line > 0)
			keys_error(err, f->path, why.line, "%s", why.why);
		else
			*err = NULL; /* out of memory */
	}
	free(buf);
	return keys;
}

static void
keys_free(void *keys)
{
	mg_apikeys_free(keys);
}

static int
keys_load(mg_conf_t *conf, mg_auth_keys_t *a, char **err)
{
	struct mg_apikeys *keys;

	if (a == NULL || a->keys != NULL)
		return MG_OK; /* none, or a server's, already read */
	if ((keys = keys_read(&a->file, err)) == NULL)
		return MG_ERROR;
	if (mg_conf_cleanup_add(conf, keys_free, keys) != MG_OK) {
		mg_apikeys_free(keys);
		*err = NULL;
		return MG_ERROR;
	}
	a->keys = keys;
	return MG_OK;
}

int
mg_master_auth_keys_load(mg_conf_t *conf, char **err)
{
	*err = NULL;
	for (mg_server_t *s = conf->servers; s != NULL; s = s->next) {
		if (keys_load(conf, s->auth_keys, err) != MG_OK)
			return MG_ERROR;
		for (mg_location_t *l = s->locations; l != NULL; l = l->next)
			if (keys_load(conf, l->auth_keys, err) != MG_OK)
				return MG_ERROR;
	}
	return MG_OK;
}
