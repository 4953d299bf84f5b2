/*
 * Values as written in the configuration: numbers, sizes, times, listen
 * addresses and upstream URLs.  Pure functions over strings (a listen
 * address is numeric only and never waits on DNS), so each is tested
 * alone; the setters turn a refusal into a message with file and line.
 */
#include "config.h"

#include <netdb.h>
#include <stdint.h>
#include <string.h>

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

/* "http://host[:port][/path]", "https://...", host a name, an IPv4
 * address or a bracketed IPv6 address. */
int
mg_conf_parse_url(const char *url, mg_conf_url_t *out)
{
	mg_conf_url_t u = { 0 };
	const char   *p, *hend;

	if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "https://", 8) == 0) {
		p = url + 8;
		u.tls = 1;
	} else
		return MG_ERROR;
	u.authority = p;
	if (*p == '[') {
		u.host = p + 1;
		if ((hend = strchr(u.host, ']')) == NULL)
			return MG_ERROR;
		p = hend + 1;
	} else {
		u.host = p;
		hend = p + strcspn(p, ":/?#");
		p = hend;
	}
	if (hend == u.host)
		return MG_ERROR;
	u.host_len = (size_t)(hend - u.host);
	if (*p == ':') {
		u.port = p + 1;
		p = u.port + strcspn(u.port, "/?#");
		u.port_len = (size_t)(p - u.port);
	}
	u.path = *p == '/' ? p : "/";
	if (*p != '\0' && *p != '/')
		return MG_ERROR;
	if (u.port != NULL) {
		const char *d = u.port;
		int64_t     n;

		if (u.port_len >= 16 || mg_conf_parse_digits(&d, &n) != MG_OK ||
		    d != p || n < 1 || n > 65535)
			return MG_ERROR;
	}
	/* the Host header: the authority as written */
	u.authority_len = (size_t)(p - u.authority);
	*out = u;
	return MG_OK;
}
