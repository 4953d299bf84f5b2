/*
 * The master's reading of key and secret files (keyfile.h): open, check,
 * read whole.  One place, so that every directive that names such a file
 * refuses a FIFO, a directory, a file too open or too large alike.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "keyfile.h"
#include "readfull.h"

const mg_keyfile_mode_t mg_keyfile_secret = { 077,
	"is accessible by group or others", "0600 or 0400" };

int
mg_keyfile_error(char **err, const mg_conf_pos_t *pos, const char *fmt, ...)
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

/* F opened for directive NAME: fd, or -1 with *err set. */
static int
keyfile_open(const mg_conf_file_t *f, const char *name,
    const mg_keyfile_mode_t *mode, char **err)
{
	struct stat st;
	int         fd;

	fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		mg_keyfile_error(err, &f->pos,
		    "open() \"%s\" failed (%s) for \"%s\"", f->path,
		    strerror(errno), name);
		return -1;
	}
	if (fstat(fd, &st) != 0)
		mg_keyfile_error(err, &f->pos,
		    "fstat() \"%s\" failed (%s) for \"%s\"", f->path,
		    strerror(errno), name);
	else if (!S_ISREG(st.st_mode))
		mg_keyfile_error(err, &f->pos,
		    "%s \"%s\" is not a regular file", name, f->path);
	else if (mode != NULL && (st.st_mode & mode->refused))
		mg_keyfile_error(err, &f->pos,
		    "%s \"%s\" %s (mode %04o); make it %s", name, f->path,
		    mode->why, (unsigned)(st.st_mode & 07777), mode->fix);
	else
		return fd;
	close(fd);
	return -1;
}

ssize_t
mg_keyfile_read(const mg_conf_file_t *f, const char *name, size_t max,
    const mg_keyfile_mode_t *mode, char **buf, char **err)
{
	ssize_t n;
	int     fd, e;

	*buf = NULL;
	if ((fd = keyfile_open(f, name, mode, err)) < 0)
		return -1;
	if ((*buf = malloc(max + 1)) == NULL) {
		close(fd);
		*err = NULL;
		return -1;
	}
	n = mg_read_full(fd, *buf, max + 1);
	e = errno;
	close(fd);
	if (n < 0)
		mg_keyfile_error(err, &f->pos,
		    "read() \"%s\" failed (%s) for \"%s\"", f->path,
		    strerror(e), name);
	else if ((size_t)n > max)
		mg_keyfile_error(err, &f->pos,
		    "%s \"%s\" is larger than %zu bytes", name, f->path, max);
	else
		return n;
	OPENSSL_cleanse(*buf, max + 1);
	free(*buf);
	*buf = NULL;
	return -1;
}
