/*
 * The resolver directive (main context): the nameservers the connector
 * asks for the names in server URLs, and the nginx-like options valid=
 * and ipv6=.  Addresses only, checked here: a name cannot be resolved
 * before there is a resolver.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "units.h"

/* "A.B.C.D", "A.B.C.D:PORT", "V6", "[V6]" or "[V6]:PORT", as evdns takes
 * them: MG_OK or MG_ERROR. */
static int
resolver_address(const char *s)
{
	char        host[64], in6[16];
	const char *port = NULL, *end;
	size_t      n;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL ||
		    (end[1] != '\0' && end[1] != ':'))
			return MG_ERROR;
		n = (size_t)(end - s - 1);
		port = end[1] == ':' ? end + 2 : NULL;
		s++;
	} else if ((end = strchr(s, ':')) != NULL && strchr(end + 1, ':')) {
		n = strlen(s); /* a bare IPv6 address */
	} else {
		n = end ? (size_t)(end - s) : strlen(s);
		port = end ? end + 1 : NULL;
	}
	if (n == 0 || n >= sizeof(host))
		return MG_ERROR;
	memcpy(host, s, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, in6) != 1 &&
	    inet_pton(AF_INET6, host, in6) != 1)
		return MG_ERROR;
	if (port != NULL) {
		char *e;
		long  p = strtol(port, &e, 10);

		if (*port == '\0' || *e != '\0' || p < 1 || p > 65535)
			return MG_ERROR;
	}
	return MG_OK;
}

static int
resolver_option(conf_parse_t *cp, const conf_command_t *cmd, const char *v)
{
	mg_conf_t *conf = cp->conf;
	int64_t    ms;

	if (strncmp(v, "valid=", 6) == 0) {
		if (mg_conf_parse_time(v + 6, &ms) != MG_OK || ms < 1000)
			return mg_conf_invalid(cp, cmd, "valid", v + 6);
		conf->resolver_valid = ms;
	} else if (strcmp(v, "ipv6=on") == 0)
		conf->resolver_ipv6_off = 0;
	else if (strcmp(v, "ipv6=off") == 0)
		conf->resolver_ipv6_off = 1;
	else
		return mg_conf_invalid(cp, cmd, "parameter", v);
	return MG_OK;
}

int
mg_conf_set_resolver(conf_parse_t *cp, const conf_command_t *cmd, void *ctx)
{
	mg_conf_t   *conf = ctx;
	conf_args_t *a = cp->args;
	size_t       n = 0;

	if (conf->resolvers != NULL)
		return mg_conf_duplicate(cp, cmd);
	conf->resolvers = mg_conf_alloc(conf, a->n * sizeof(char *));
	if (conf->resolvers == NULL)
		return mg_conf_nomem(cp);
	for (size_t i = 1; i < a->n; i++) {
		if (strchr(a->v[i], '=') != NULL) {
			if (resolver_option(cp, cmd, a->v[i]) != MG_OK)
				return MG_ERROR;
			continue;
		}
		if (resolver_address(a->v[i]) != MG_OK)
			return mg_conf_invalid(cp, cmd, "address", a->v[i]);
		if ((conf->resolvers[n++] = mg_conf_strdup(conf, a->v[i])) ==
		    NULL)
			return mg_conf_nomem(cp);
	}
	if (n == 0)
		return mg_conf_error(
		    cp, a->line, "\"resolver\" needs at least one address");
	conf->resolvers[n] = NULL;
	return MG_OK;
}
