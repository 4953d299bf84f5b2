/*
 * Reading the files a configuration names for keys and secrets
 * (jwks_file, hs256_secret_file, auth_keys, the upstreams' secret
 * files), with one set of rules, in the master: opened without blocking
 * (a FIFO put in a file's place must not hang the master), a regular
 * file, a mode that nobody else may have, read whole up to a size, and
 * every refusal "MESSAGE in FILE:LINE" naming the directive.  Private to
 * master/.
 */
#ifndef MG_KEYFILE_H
#define MG_KEYFILE_H

#include <sys/stat.h>
#include <sys/types.h>

#include "conf.h"

/* "MESSAGE in FILE:LINE" into *err (malloc'd; NULL: out of memory);
 * MG_ERROR. */
int mg_keyfile_error(char **err, const mg_conf_pos_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Which modes a file may not have, and what a refusal says: "NAME
 * \"FILE\" WHY (mode 0644); make it FIX". */
typedef struct {
	mode_t      refused; /* 0: any mode */
	const char *why;
	const char *fix;
} mg_keyfile_mode_t;

/* Owner only: a secret. */
extern const mg_keyfile_mode_t mg_keyfile_secret;

/*
 * The file F of directive NAME, at most MAX bytes, into a malloc'd *BUF
 * of MAX + 1 bytes (for the caller to cleanse and free), refused if its
 * mode has a bit of MODE->refused (MODE NULL: any mode).  Its length, or
 * -1 with *err set (NULL: out of memory).
 */
ssize_t mg_keyfile_read(const mg_conf_file_t *f, const char *name, size_t max,
    const mg_keyfile_mode_t *mode, char **buf, char **err);

#endif
