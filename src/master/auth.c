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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "jwt.h"
#include "keyfile.h"
#include "log.h"
#include "master.h"

#define AUTH_JWKS_MAX (1024 * 1024) /* bytes of a jwks_file */
#define AUTH_SECRET_MIN 32 /* RFC 7518 3.2: as long as the hash, at least */
#define AUTH_SECRET_MAX 4096
#define AUTH_ALG_NAMES                                                         \
	"RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA or "    \
	"HS256"

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
			return mg_keyfile_error(err, &a->algorithms_pos,
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

static mg_jwks_t *
auth_load_jwks(const mg_conf_file_t *f, char **err)
{
	mg_jwks_t *keys;
	char      *buf, *why = NULL;
	ssize_t    n;

	n = mg_keyfile_read(f, "jwks_file", AUTH_JWKS_MAX, NULL, &buf, err);
	if (n < 0)
		return NULL;
	keys = mg_jwks_parse(buf, (size_t)n, &why);
	free(buf);
	if (keys == NULL) {
		mg_keyfile_error(err, &f->pos,
		    "jwks_file \"%s\" is not a JWK Set: %s", f->path,
		    why ? why : "out of memory");
		free(why);
		return NULL;
	}
	if (mg_jwks_count(keys) == 0) {
		mg_keyfile_error(err, &f->pos,
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

	n = mg_keyfile_read(f, "hs256_secret_file", AUTH_SECRET_MAX,
	    &mg_keyfile_secret, &buf, err);
	if (n < 0)
		return NULL;
	if (n > 0 && buf[n - 1] == '\n' && --n > 0 && buf[n - 1] == '\r')
		n--;
	if (n < AUTH_SECRET_MIN)
		mg_keyfile_error(err, &f->pos,
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
