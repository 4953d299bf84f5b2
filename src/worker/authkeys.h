/*
 * Where the access phase finds the keys of an auth_jwt block: the ones
 * the master loaded from jwks_file or hs256_secret_file and hung on the
 * configuration, or the set the connector fetched from the block's
 * jwks_url and sent over the link (JWKS), so that the checks in
 * auth_jwt.c never know where a key came from.  Private to worker/.
 */
#ifndef MG_AUTHKEYS_H
#define MG_AUTHKEYS_H

#include <stdint.h>

#include "conf.h"
#include "jwt.h"
#include "link.h"
#include "msg.h"

/* The keys of A as this worker knows them now; NULL: none yet (a
 * jwks_url's until the connector's first set arrives, or after it
 * dropped one older than jwks_max_stale; a token is then refused as
 * "unknown key").  The pointer stays good until the worker's loop runs
 * again.  *GEN tells this set from every other this worker held (0: a
 * file's, which never changes): a verified-token cache compares it, not
 * the pointer, which a new set may reuse. */
const mg_jwks_t *mg_authkeys_get(const mg_auth_jwt_t *a, uint64_t *gen);

/* A token named KID, which the keys of A lack: a fresher set may have it.
 * Asking costs nothing here: whoever fetches keys limits how often. */
void mg_authkeys_unknown_kid(const mg_auth_jwt_t *a, const char *kid);

/* The worker's side of jwks_url (worker.c calls these): the blocks of
 * CONF, at start; the link to the connector (NULL while there is none);
 * a JWKS frame; the end. */
int  mg_authkeys_init(const mg_conf_t *conf);
void mg_authkeys_set_link(mg_link_t *link);
void mg_authkeys_set(const mg_msg_keys_t *m);
void mg_authkeys_free(void);

#endif
