/*
 * Upstream pools (docs/configuration.md, "Pools"): the parameters of each
 * "server" or "command" line of an upstream, its member, and after the
 * configuration is complete (defaults applied) the members made into
 * upstreams of their own, so that every transport serves a member as it
 * serves any upstream.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

#define POOL_WEIGHT_MAX 1000
#define POOL_FAILS_MAX 1000
#define POOL_MAX_FAILS_DEF 1              /* as nginx */
#define POOL_FAIL_TIMEOUT_DEF (10 * 1000) /* ms, as nginx */

/* FNV-1a over LEN bytes of P, on from H. */
static uint32_t
pool_fnv(uint32_t h, const void *p, size_t len)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

uint32_t
mg_conf_member_tag(const char *url, char *const *argv)
{
	uint32_t h = 2166136261u;

	if (url != NULL)
		return pool_fnv(h, url, strlen(url));
	for (; argv != NULL && *argv != NULL; argv++)
		h = pool_fnv(h, *argv, strlen(*argv) + 1); /* NUL: a border */
	return h;
}

/* Is WORD one of a member's parameters (and not a command's path)? */
int
mg_conf_member_param(const char *word)
{
	return strncmp(word, "weight=", 7) == 0 ||
	    strncmp(word, "max_fails=", 10) == 0 ||
	    strncmp(word, "fail_timeout=", 13) == 0 ||
	    strcmp(word, "backup") == 0;
}

/* "N" in [MIN, MAX] into *V: MG_OK or MG_ERROR. */
static int
pool_int(const char *s, int min, int max, int *v)
{
	char *end;
	long  n;

	if (*s < '0' || *s > '9')
		return MG_ERROR;
	n = strtol(s, &end, 10);
	if (*end != '\0' || n < min || n > max)
		return MG_ERROR;
	*v = (int)n;
	return MG_OK;
}

static int
pool_param(conf_parse_t *cp, mg_upstream_member_t *m, const char *w)
{
	int64_t t;

	if (strncmp(w, "weight=", 7) == 0) {
		if (pool_int(w + 7, 1, POOL_WEIGHT_MAX, &m->weight) == MG_OK)
			return MG_OK;
	} else if (strncmp(w, "max_fails=", 10) == 0) {
		if (pool_int(w + 10, 0, POOL_FAILS_MAX, &m->max_fails) == MG_OK)
			return MG_OK;
	} else if (strncmp(w, "fail_timeout=", 13) == 0) {
		if (mg_conf_parse_time(w + 13, &t) == MG_OK && t >= 1 &&
		    t <= 86400000) {
			m->fail_timeout = t;
			return MG_OK;
		}
	} else if (strcmp(w, "backup") == 0) {
		m->backup = 1;
		return MG_OK;
	} else
		return mg_conf_error(cp, cp->args->line,
		    "unknown parameter \"%s\" of \"%s\" (weight=N, "
		    "max_fails=N, fail_timeout=TIME or backup)",
		    w, cp->args->v[0]);
	return mg_conf_error(cp, cp->args->line,
	    "invalid parameter \"%s\" of \"%s\" (weight=1..%d, "
	    "max_fails=0..%d, fail_timeout=1ms..1d)",
	    w, cp->args->v[0], POOL_WEIGHT_MAX, POOL_FAILS_MAX);
}

/* The member's name in messages: its URL or its command's path. */
static const char *
member_name(const mg_upstream_member_t *m)
{
	return m->server.url != NULL ? m->server.url : m->command[0];
}

static int
same_command(char *const *a, char *const *b)
{
	for (; *a != NULL && *b != NULL; a++, b++)
		if (strcmp(*a, *b) != 0)
			return 0;
	return *a == NULL && *b == NULL;
}

/* M is like no other member of U: not the same line twice, and no tag
 * that another's has (which would mix their sessions). */
static int
pool_unique(
    conf_parse_t *cp, const mg_upstream_t *u, const mg_upstream_member_t *m)
{
	for (size_t i = 0; i < u->nmembers; i++) {
		const mg_upstream_member_t *o = &u->members[i];
		int same = m->server.url != NULL ? o->server.url != NULL &&
			strcmp(o->server.url, m->server.url) == 0
						 : o->command != NULL &&
			same_command(o->command, m->command);

		if (same)
			return mg_conf_duplicate_name(cp,
			    m->server.url ? "server" : "command", "",
			    member_name(m), &o->pos);
		if (o->tag == m->tag)
			return mg_conf_error(cp, cp->args->line,
			    "\"%s\" and \"%s\" of upstream \"%s\" have the "
			    "same session tag %08x: change one of them (a "
			    "query string, an argument)",
			    member_name(o), member_name(m), u->name, m->tag);
	}
	return MG_OK;
}

int
mg_conf_member_add(conf_parse_t *cp, mg_upstream_t *u,
    const mg_upstream_server_t *server, char **command, size_t first_param,
    size_t nparams)
{
	mg_upstream_member_t m = { .weight = 1,
		.max_fails = POOL_MAX_FAILS_DEF,
		.fail_timeout = POOL_FAIL_TIMEOUT_DEF },
			     *v;

	if (server != NULL)
		m.server = *server;
	m.command = command;
	m.pos = mg_conf_pos(cp);
	for (size_t i = 0; i < nparams; i++)
		if (pool_param(cp, &m, cp->args->v[first_param + i]) != MG_OK)
			return MG_ERROR;
	if (u->nmembers >= MG_POOL_MEMBERS_MAX)
		return mg_conf_error(cp, cp->args->line,
		    "upstream \"%s\" has more than %d servers", u->name,
		    MG_POOL_MEMBERS_MAX);
	m.tag = mg_conf_member_tag(m.server.url, m.command);
	if (pool_unique(cp, u, &m) != MG_OK)
		return MG_ERROR;
	if ((v = mg_conf_alloc(cp->conf, (u->nmembers + 1) * sizeof(*v))) ==
	    NULL)
		return mg_conf_nomem(cp);
	if (u->nmembers > 0)
		memcpy(v, u->members, u->nmembers * sizeof(*v));
	v[u->nmembers++] = m;
	u->members = v;
	return MG_OK;
}

/* least_conn: the member with the fewest exchanges in flight (for its
 * weight) takes the next session; round-robin by weight otherwise. */
int
mg_conf_set_least_conn(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_upstream_t *u = ctx;

	if (u->least_conn)
		return mg_conf_duplicate(cp, cmd);
	u->least_conn = 1;
	return MG_OK;
}

/* A pool of members that are all backups would have none to use first. */
static int
pool_check(conf_parse_t *cp, const mg_upstream_t *u)
{
	size_t backups = 0;

	for (size_t i = 0; i < u->nmembers; i++)
		backups += u->members[i].backup != 0;
	if (u->nmembers > 0 && backups == u->nmembers)
		return mg_conf_error_at(cp, &u->members[0].pos,
		    "upstream \"%s\": every server is a backup (at least one "
		    "must not be)",
		    u->name);
	return MG_OK;
}

/* Each member of U as an upstream of its own, INDEX on: a copy of U (its
 * headers, TLS, timeouts, credentials) with the member's server or
 * command, appended at *TAIL. */
static int
pool_expand(
    conf_parse_t *cp, mg_upstream_t *u, int *index, mg_upstream_t ***tail)
{
	for (size_t i = 0; i < u->nmembers; i++) {
		mg_upstream_member_t *m = &u->members[i];
		mg_upstream_t        *c = mg_conf_alloc(cp->conf, sizeof(*c));

		if (c == NULL)
			return mg_conf_nomem(cp);
		*c = *u;
		c->next = NULL;
		c->index = (*index)++;
		c->server = m->server;
		c->command = m->command;
		c->members = NULL;
		c->nmembers = 0;
		c->least_conn = 0;
		c->pool = u;
		c->member = m;
		m->up = c;
		if ((m->board = mg_conf_alloc(
			 cp->conf, strlen(u->name) + 10)) == NULL)
			return mg_conf_nomem(cp);
		sprintf(m->board, "%s#%08x", u->name, (unsigned)m->tag);
		**tail = c;
		*tail = &c->next;
	}
	return MG_OK;
}

int
mg_conf_pools(conf_parse_t *cp)
{
	mg_upstream_t **tail = &cp->conf->upstreams, *u, *last = NULL;
	int             index = 0;

	for (u = cp->conf->upstreams; u != NULL; u = u->next) {
		if (pool_check(cp, u) != MG_OK)
			return MG_ERROR;
		index = u->index + 1;
		last = u;
	}
	if (last != NULL)
		tail = &last->next;
	for (u = cp->conf->upstreams; u != NULL && u->pool == NULL; u = u->next)
		if (u->nmembers > 1 &&
		    pool_expand(cp, u, &index, &tail) != MG_OK)
			return MG_ERROR;
	return MG_OK;
}
