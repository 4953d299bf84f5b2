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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyfile.h"
#include "master.h"

#define UPCRED_SECRET_MAX 16384 /* bytes of a secret file */

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

/* The secret in F, NUL-terminated and malloc'd; NULL with *err. */
static char *
upcred_read(const mg_conf_file_t *f, const char *name, char **err)
{
	char       *buf, *s = NULL;
	const char *bad;
	ssize_t     n;

	n = mg_keyfile_read(
	    f, name, UPCRED_SECRET_MAX, &mg_keyfile_secret, &buf, err);
	if (n < 0)
		return NULL;
	/* one final line break is the file's, not the secret's */
	if (n > 0 && buf[n - 1] == '\n' && --n > 0 && buf[n - 1] == '\r')
		n--;
	if ((bad = upcred_bad(buf, (size_t)n)) != NULL)
		mg_keyfile_error(
		    err, &f->pos, "%s \"%s\" %s", name, f->path, bad);
	else if ((s = malloc((size_t)n + 1)) != NULL) {
		memcpy(s, buf, (size_t)n);
		s[n] = '\0';
	}
	OPENSSL_cleanse(buf, UPCRED_SECRET_MAX + 1);
	free(buf);
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
