/*
 * Where the access phase finds the keys of an auth_jwt block.  Today they
 * are the ones the master loaded from jwks_file or hs256_secret_file and
 * hung on the configuration; a key set fetched by the connector from a
 * jwks_url will be found here too, so that the checks in auth_jwt.c never
 * know where a key came from.  Private to worker/.
 */
#ifndef MG_AUTHKEYS_H
#define MG_AUTHKEYS_H

#include "conf.h"
#include "jwt.h"

/* The keys of A as this worker knows them now; NULL: none yet (a token
 * is then refused as "unknown key").  The pointer stays good until the
 * worker's loop runs again; a verified-token cache compares it to know
 * whether the keys changed. */
const mg_jwks_t *mg_authkeys_get(const mg_auth_jwt_t *a);

/* A token named KID, which the keys of A lack: a fresher set may have it.
 * Asking costs nothing here: whoever fetches keys limits how often. */
void mg_authkeys_unknown_kid(const mg_auth_jwt_t *a, const char *kid);

#endif
