/*
 * The keys of an auth_jwt block for the access phase (authkeys.h): those
 * the master loaded before the workers started, which never change under
 * a running configuration (a reload brings new ones with new workers).
 */
#include "config.h"

#include "authkeys.h"

const mg_jwks_t *
mg_authkeys_get(const mg_auth_jwt_t *a)
{
	return a->jwks;
}

void
mg_authkeys_unknown_kid(const mg_auth_jwt_t *a, const char *kid)
{
	(void)a;
	(void)kid; /* a file's keys change only with a reload */
}
