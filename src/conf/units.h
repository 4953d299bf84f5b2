/*
 * Values as written in the configuration, parsed without I/O: each
 * returns MG_OK or MG_ERROR and leaves its output alone on MG_ERROR.
 * (Sizes and times are public: conf.h.)
 */
#ifndef MG_CONF_UNITS_H
#define MG_CONF_UNITS_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "mcpgw.h"

/* Leading decimal digits (at least one) into *n, *sp moved past them;
 * no sign, no overflow. */
int mg_conf_parse_digits(const char **sp, int64_t *n);

/* "PORT", "*:PORT", "ADDR:PORT", "localhost:PORT", "[IPV6]:PORT". */
int mg_conf_parse_listen(
    const char *text, struct sockaddr_storage *ss, socklen_t *len);

/* An upstream's URL taken apart (strings of its own: mg_conf_url_clear). */
typedef struct {
	int   tls;       /* https */
	char *host;      /* without brackets */
	char *port;      /* NULL: the scheme's (80 or 443) */
	char *path;      /* path and ?query; "/" when none was written */
	char *authority; /* "host[:port]": the Host header */
} mg_conf_url_t;

/*
 * "http://HOST[:PORT][/PATH][?QUERY]" or "https://...", parsed by
 * libevent's evhttp_uri_parse (RFC 3986).  MG_ERROR with *WHY saying
 * what is wrong (OUT untouched), or MG_OK.  A #fragment is refused, as
 * are user:password@ (neither is ever sent to a server).
 */
int  mg_conf_parse_url(const char *url, mg_conf_url_t *out, const char **why);
void mg_conf_url_clear(mg_conf_url_t *u);

#endif
