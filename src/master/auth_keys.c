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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "apikeys.h"
#include "keyfile.h"
#include "master.h"

#define KEYS_FILE_MAX (1024 * 1024)
#define KEYS_MODE_REFUSED (S_IWGRP | S_IWOTH | S_IROTH)

/* Why these modes: the opening comment. */
static const mg_keyfile_mode_t keys_mode = { KEYS_MODE_REFUSED,
	"may be written by group or others, or read by others",
	"0600 or 0640" };

static struct mg_apikeys *
keys_read(const mg_conf_file_t *f, char **err)
{
	mg_apikeys_t    *keys;
	mg_apikeys_err_t why;
	char            *buf;
	ssize_t          n;

	n = mg_keyfile_read(
	    f, "auth_keys", KEYS_FILE_MAX, &keys_mode, &buf, err);
	if (n < 0)
		return NULL;
	if ((keys = mg_apikeys_parse(buf, (size_t)n, &why)) == NULL) {
		mg_conf_pos_t at = { f->path, why.line };

		if (why.line > 0)
			mg_keyfile_error(err, &at, "%s", why.why);
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
