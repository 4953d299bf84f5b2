/*
 * The keys of an auth_jwt block for the access phase (authkeys.h).  A
 * file's keys the master loaded before the workers started; they never
 * change under a running configuration (a reload brings new ones with
 * new workers).  A jwks_url's keys the connector fetches and sends in a
 * JWKS frame when they change and when this worker's link comes up; the
 * worker parses a set once, when it arrives, and keeps it per block (by
 * the block's index, which the connector computes alike).  A kid such a
 * set lacks is told to the connector (KID_UNKNOWN), at most once per
 * jwks_min_refresh and block, so that a flood of made-up kids is not a
 * flood of frames.  One worker, one loop: the state is this process's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authkeys.h"
#include "log.h"
#include "msg.h"

typedef struct {
	const mg_auth_jwt_t *a;     /* NULL: the block has no jwks_url */
	mg_jwks_t           *set;   /* NULL: none yet, or dropped */
	uint64_t             gen;   /* set's number: sets never share one */
	int64_t              asked; /* ms: the last KID_UNKNOWN sent */
} authkeys_t;

static struct {
	authkeys_t *v; /* by block index */
	int         n;
	mg_link_t  *link;
	uint64_t    gens; /* sets received so far */
} keys;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const mg_jwks_t *
mg_authkeys_get(const mg_auth_jwt_t *a, uint64_t *gen)
{
	*gen = 0;
	if (a->jwks_url.url == NULL)
		return a->jwks;
	if (a->index >= keys.n)
		return NULL;
	*gen = keys.v[a->index].gen;
	return keys.v[a->index].set;
}

void
mg_authkeys_unknown_kid(const mg_auth_jwt_t *a, const char *kid)
{
	authkeys_t *k;
	int64_t     now = now_ms();
	mg_msg_t    m = { .type = MG_MSG_KID_UNKNOWN };

	if (a->jwks_url.url == NULL || a->index >= keys.n || keys.link == NULL)
		return; /* a file's keys change only with a reload */
	k = &keys.v[a->index];
	if (k->asked != 0 && now - k->asked < a->jwks_min_refresh)
		return;
	k->asked = now;
	m.keys.block = a->index;
	m.keys.text.p = kid ? kid : "";
	m.keys.text.len = kid ? strnlen(kid, MG_MSG_KID_MAX) : 0;
	mg_link_send_msg(keys.link, 0, &m);
}

static void
authkeys_add(const mg_auth_jwt_t *a)
{
	if (a != NULL && a->jwks_url.url != NULL && a->index < keys.n)
		keys.v[a->index].a = a;
}

int
mg_authkeys_init(const mg_conf_t *conf)
{
	if (conf->nauth_jwt == 0)
		return MG_OK;
	keys.v = calloc((size_t)conf->nauth_jwt, sizeof(*keys.v));
	if (keys.v == NULL)
		return MG_ERROR;
	keys.n = conf->nauth_jwt;
	for (const mg_server_t *s = conf->servers; s != NULL; s = s->next) {
		authkeys_add(s->auth_jwt);
		for (const mg_location_t *l = s->locations; l; l = l->next)
			authkeys_add(l->auth_jwt);
	}
	return MG_OK;
}

void
mg_authkeys_set_link(mg_link_t *link)
{
	keys.link = link;
}

/* A JWKS frame: the connector checked the set before sending it, so a
 * set that does not parse here is a bug, logged, and the old one kept. */
void
mg_authkeys_set(const mg_msg_keys_t *m)
{
	authkeys_t *k;
	mg_jwks_t  *set = NULL;
	char       *err = NULL;

	if (m->block >= keys.n || (k = &keys.v[m->block])->a == NULL) {
		mg_error("JWKS frame for auth_jwt %d, which has no jwks_url",
		    (int)m->block);
		return;
	}
	if (m->text.len > 0 &&
	    (set = mg_jwks_parse(m->text.p, m->text.len, &err)) == NULL) {
		mg_error("the JWK Set of auth_jwt in %s:%d from the connector "
			 "does not parse (%s); keeping the one before",
		    k->a->pos.file, k->a->pos.line,
		    err ? err : "out of memory");
		free(err);
		return;
	}
	mg_debug("auth_jwt in %s:%d: %zu key(s) from the connector",
	    k->a->pos.file, k->a->pos.line, set ? mg_jwks_count(set) : 0);
	mg_jwks_free(k->set);
	k->set = set;
	k->gen = ++keys.gens;
}

void
mg_authkeys_free(void)
{
	for (int i = 0; i < keys.n; i++)
		mg_jwks_free(keys.v[i].set);
	free(keys.v);
	memset(&keys, 0, sizeof(keys));
}
