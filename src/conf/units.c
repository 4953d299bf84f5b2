/*
 * Values as written in the configuration: numbers, sizes, times, listen
 * addresses and upstream URLs (taken apart by libevent's evhttp_uri).
 * Pure functions over strings (a listen
 * address is numeric only and never waits on DNS), so each is tested
 * alone; the setters turn a refusal into a message with file and line.
 */
#include "config.h"

#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>

#include "conf.h"
#include "units.h"

/* Leading decimal digits (at least one) into *n; no sign, no overflow. */
int
mg_conf_parse_digits(const char **sp, int64_t *n)
{
	const char *s = *sp;
	int64_t     v = 0;

	if (*s < '0' || *s > '9')
		return MG_ERROR;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return MG_ERROR;
		v = v * 10 + (*s - '0');
	}
	*sp = s;
	*n = v;
	return MG_OK;
}

int
mg_conf_parse_size(const char *s, int64_t *bytes)
{
	int64_t n, mult = 1;

	if (mg_conf_parse_digits(&s, &n) != MG_OK)
		return MG_ERROR;
	switch (*s) {
	case 'k':
	case 'K':
		mult = INT64_C(1) << 10;
		s++;
		break;
	case 'm':
	case 'M':
		mult = INT64_C(1) << 20;
		s++;
		break;
	case 'g':
	case 'G':
		mult = INT64_C(1) << 30;
		s++;
		break;
	}
	if (*s != '\0' || n > INT64_MAX / mult)
		return MG_ERROR;
	*bytes = n * mult;
	return MG_OK;
}

static int
conf_time_unit(const char **sp, int64_t *ms)
{
	const char *s = *sp;

	switch (*s) {
	case 'd': *ms = INT64_C(86400000); break;
	case 'h': *ms = INT64_C(3600000); break;
	case 'm':
		*ms = s[1] == 's' ? 1 : INT64_C(60000);
		s += s[1] == 's';
		break;
	case 's': *ms = 1000; break;
	default: return MG_ERROR;
	}
	*sp = s + 1;
	return MG_OK;
}

/* Units must come largest first, each once: "1h30m", never "30m1h". */
int
mg_conf_parse_time(const char *s, int64_t *ms)
{
	int64_t n, unit, total = 0, last = INT64_MAX;

	if (mg_conf_parse_digits(&s, &n) != MG_OK)
		return MG_ERROR;
	if (*s == '\0') {
		if (n > INT64_MAX / 1000)
			return MG_ERROR;
		*ms = n * 1000;
		return MG_OK;
	}
	for (;;) {
		if (conf_time_unit(&s, &unit) != MG_OK || unit >= last)
			return MG_ERROR;
		if (n > INT64_MAX / unit || n * unit > INT64_MAX - total)
			return MG_ERROR;
		total += n * unit;
		last = unit;
		if (*s == '\0')
			break;
		if (mg_conf_parse_digits(&s, &n) != MG_OK)
			return MG_ERROR;
	}
	*ms = total;
	return MG_OK;
}

static int
conf_resolve(const char *host, const char *port, int family,
    struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return MG_ERROR;
	if (res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		return MG_ERROR;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return MG_OK;
}

/*
 * "PORT", "*:PORT", "ADDR:PORT", "localhost:PORT", "[IPV6]:PORT", numeric
 * only: a listen address never waits on DNS.
 */
int
mg_conf_parse_listen(
    const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char        host[128];
	const char *h = host, *port = text, *sep;
	int64_t     n;
	int         family = AF_INET;

	if (text[0] == '[') {
		if ((sep = strchr(text, ']')) == NULL || sep[1] != ':')
			return MG_ERROR;
		text++;
		family = AF_INET6;
		port = sep + 2;
	} else if ((sep = strrchr(text, ':')) != NULL)
		port = sep + 1;
	else
		h = NULL;
	if (h != NULL) {
		if (sep == text || (size_t)(sep - text) >= sizeof(host))
			return MG_ERROR;
		memcpy(host, text, (size_t)(sep - text));
		host[sep - text] = '\0';
		/* glibc reads a numeric "*" as any address; only *:PORT may. */
		if (strcmp(host, "*") == 0 && family == AF_INET6)
			return MG_ERROR;
		if (strcmp(host, "*") == 0)
			h = NULL;
		else if (family == AF_INET && strcmp(host, "localhost") == 0)
			h = "127.0.0.1";
	}
	sep = port;
	if (mg_conf_parse_digits(&sep, &n) != MG_OK || *sep != '\0' || n < 1 ||
	    n > 65535)
		return MG_ERROR;
	return conf_resolve(h, port, family, ss, len);
}

static int
url_refuse(struct evhttp_uri *uri, const char **why, const char *what)
{
	if (uri != NULL)
		evhttp_uri_free(uri);
	*why = what;
	return MG_ERROR;
}

/* URI's parts as mcpgw uses them: a host without brackets, the port as
 * written (none: NULL), the path with its query. */
static int
url_parts(const struct evhttp_uri *uri, mg_conf_url_t *u)
{
	const char *host = evhttp_uri_get_host(uri);
	const char *path = evhttp_uri_get_path(uri);
	const char *query = evhttp_uri_get_query(uri);
	int         port = evhttp_uri_get_port(uri);
	size_t      hlen = strlen(host);

	if (host[0] == '[') /* an IPv6 literal: [::1] */
		u->host = strndup(host + 1, hlen - 2);
	else
		u->host = strdup(host);
	if (port >= 0 && asprintf(&u->port, "%d", port) < 0)
		u->port = NULL;
	if (asprintf(&u->path, "%s%s%s", *path ? path : "/", query ? "?" : "",
		query ? query : "") < 0)
		u->path = NULL;
	if (asprintf(&u->authority, "%s%s%s", host, port >= 0 ? ":" : "",
		port >= 0 ? u->port : "") < 0)
		u->authority = NULL;
	if (u->host == NULL || (port >= 0 && u->port == NULL) ||
	    u->path == NULL || u->authority == NULL) {
		mg_conf_url_clear(u);
		return MG_ERROR;
	}
	return MG_OK;
}

int
mg_conf_parse_url(const char *url, mg_conf_url_t *out, const char **why)
{
	struct evhttp_uri *uri = evhttp_uri_parse_with_flags(url, 0);
	const char        *scheme, *host;
	mg_conf_url_t      u = { 0 };

	if (uri == NULL)
		return url_refuse(NULL, why, "not a URL (RFC 3986)");
	scheme = evhttp_uri_get_scheme(uri);
	host = evhttp_uri_get_host(uri);
	if (scheme == NULL ||
	    (strcasecmp(scheme, "http") != 0 &&
		strcasecmp(scheme, "https") != 0))
		return url_refuse(uri, why, "the scheme must be http or https");
	if (host == NULL || *host == '\0' || strcmp(host, "[]") == 0)
		return url_refuse(uri, why, "no host");
	if (evhttp_uri_get_userinfo(uri) != NULL)
		return url_refuse(uri, why,
		    "user:password@ is not sent to a server: use the "
		    "upstream's "
		    "credentials (docs/configuration.md)");
	if (evhttp_uri_get_fragment(uri) != NULL)
		return url_refuse(
		    uri, why, "a #fragment is not sent to a server: remove it");
	if (evhttp_uri_get_port(uri) == 0)
		return url_refuse(uri, why, "port 0");
	u.tls = strcasecmp(scheme, "https") == 0;
	if (url_parts(uri, &u) != MG_OK)
		return url_refuse(uri, why, "out of memory");
	evhttp_uri_free(uri);
	*out = u;
	return MG_OK;
}

void
mg_conf_url_clear(mg_conf_url_t *u)
{
	free(u->host);
	free(u->port);
	free(u->path);
	free(u->authority);
	u->host = u->port = u->path = u->authority = NULL;
}
