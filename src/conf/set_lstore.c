/*
 * limit_store: where the limits that every instance shares are kept, a
 * Redis server (worker/lstore.c), and how to use it:
 *
 *   limit_store redis://IPV4[:PORT] | unix:PATH [db=N] [password_file=FILE]
 *               [timeout=TIME] [fail=open|closed] [prefix=STR] [queue=N];
 *
 * The address must be an IPv4 address (or a Unix socket): a worker's
 * connect (hiredis) would otherwise resolve a name with a blocking
 * getaddrinfo in its event loop.  The password file is read here, once.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "units.h"

#define LSTORE_PORT 6379
#define LSTORE_TIMEOUT_MS 200
#define LSTORE_QUEUE 1024
#define LSTORE_PREFIX "mcpgw:"

/* "IP" or "IP:PORT" into S.  IPv4 only: hiredis 0.14 asks getaddrinfo
 * for an IPv4 address first, and with an IPv6 literal that is a name
 * lookup (a blocking one, in the worker's loop). */
static int
lstore_host(conf_parse_t *cp, mg_limit_store_t *s, const char *hp)
{
	char        host[16], probe[4];
	const char *port, *end = strchr(hp, ':');
	size_t      n = end ? (size_t)(end - hp) : strlen(hp);
	int64_t     p;

	if (n == 0 || n >= sizeof(host))
		return MG_ERROR;
	memcpy(host, hp, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, probe) != 1)
		return MG_ERROR;
	s->port = LSTORE_PORT;
	if ((port = end ? end + 1 : NULL) != NULL) {
		if (mg_conf_parse_digits(&port, &p) != MG_OK || *port != '\0' ||
		    p < 1 || p > 65535)
			return MG_ERROR;
		s->port = (int)p;
	}
	if ((s->host = mg_conf_strdup(cp->conf, host)) == NULL)
		return mg_conf_nomem(cp);
	return MG_OK;
}

/* password_file=FILE: its first line, without the newline. */
static int
lstore_password(conf_parse_t *cp, mg_limit_store_t *s, const char *file)
{
	char  line[512], *path = mg_conf_path(cp, file);
	FILE *f;

	if (path == NULL)
		return mg_conf_nomem(cp);
	if ((f = fopen(path, "r")) == NULL)
		return mg_conf_error(cp, cp->args->line,
		    "cannot read the password_file \"%s\" of \"limit_store\" "
		    "(%s)",
		    path, strerror(errno));
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '\0')
		return mg_conf_error(cp, cp->args->line,
		    "the password_file \"%s\" of \"limit_store\" is empty",
		    path);
	if ((s->password = mg_conf_strdup(cp->conf, line)) == NULL)
		return mg_conf_nomem(cp);
	return MG_OK;
}

/* One NAME=VALUE parameter. */
static int
lstore_param(conf_parse_t *cp, const conf_command_t *cmd, mg_limit_store_t *s,
    const char *a)
{
	const char *v = strchr(a, '=');
	int64_t     n;

	if (v == NULL)
		return mg_conf_invalid(cp, cmd, "parameter", a);
	v++;
	if (strncmp(a, "db=", 3) == 0) {
		if (mg_conf_parse_digits(&v, &n) != MG_OK || *v != '\0' ||
		    n > 1000000)
			return mg_conf_invalid(cp, cmd, "db", a);
		s->db = (int)n;
	} else if (strncmp(a, "timeout=", 8) == 0) {
		if (mg_conf_parse_time(v, &n) != MG_OK || n < 1 || n > 60000)
			return mg_conf_invalid(cp, cmd, "timeout", a);
		s->timeout = n;
	} else if (strncmp(a, "queue=", 6) == 0) {
		if (mg_conf_parse_digits(&v, &n) != MG_OK || *v != '\0' ||
		    n < 1 || n > 1000000)
			return mg_conf_invalid(cp, cmd, "queue", a);
		s->queue = (int)n;
	} else if (strcmp(a, "fail=open") == 0 || strcmp(a, "fail=closed") == 0)
		s->fail_closed = strcmp(v, "closed") == 0;
	else if (strncmp(a, "prefix=", 7) == 0) {
		if (strlen(v) > 64)
			return mg_conf_invalid(cp, cmd, "prefix", a);
		if ((s->prefix = mg_conf_strdup(cp->conf, v)) == NULL)
			return mg_conf_nomem(cp);
	} else if (strncmp(a, "password_file=", 14) == 0 && *v != '\0')
		return lstore_password(cp, s, v);
	else
		return mg_conf_invalid(cp, cmd, "parameter", a);
	return MG_OK;
}

int
mg_conf_set_limit_store(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_conf_t        *conf = ctx;
	conf_args_t      *a = cp->args;
	mg_limit_store_t *s;
	const char       *url = a->v[1];

	if (conf->limit_store != NULL)
		return mg_conf_duplicate(cp, cmd);
	if ((s = mg_conf_alloc(conf, sizeof(*s))) == NULL ||
	    (s->addr = mg_conf_strdup(conf, url)) == NULL)
		return mg_conf_nomem(cp);
	s->timeout = LSTORE_TIMEOUT_MS;
	s->queue = LSTORE_QUEUE;
	s->prefix = LSTORE_PREFIX;
	s->pos = mg_conf_pos(cp);
	if (strncmp(url, "unix:", 5) == 0 && url[5] == '/' &&
	    strlen(url + 5) < 108) {
		if ((s->unix_path = mg_conf_strdup(conf, url + 5)) == NULL)
			return mg_conf_nomem(cp);
	} else if (strncmp(url, "redis://", 8) != 0 ||
	    lstore_host(cp, s, url + 8) != MG_OK)
		return mg_conf_error(cp, a->line,
		    "invalid address \"%s\" of \"limit_store\": "
		    "redis://IP[:PORT] (an IPv4 address, not a name) or "
		    "unix:/PATH",
		    url);
	for (size_t i = 2; i < a->n; i++)
		if (lstore_param(cp, cmd, s, a->v[i]) != MG_OK)
			return MG_ERROR;
	conf->limit_store = s;
	return MG_OK;
}

int
mg_conf_validate_lstore(conf_parse_t *cp)
{
	for (const mg_limit_zone_t *z = cp->conf->limit_zones; z != NULL;
	     z = z->next)
		if (z->store && cp->conf->limit_store == NULL)
			return mg_conf_error_at(cp, &z->pos,
			    "zone \"%s\" is kept in the limit store "
			    "(\"store\") "
			    "but there is no \"limit_store\"",
			    z->name);
	return MG_OK;
}
