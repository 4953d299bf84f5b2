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

/* An upstream's URL taken apart: pointers into the string parsed. */
typedef struct {
	int         tls;  /* https */
	const char *host; /* without brackets */
	size_t      host_len;
	const char *port; /* NULL: the scheme's (80 or 443) */
	size_t      port_len;
	const char *path;      /* to the end; "/" when none was written */
	const char *authority; /* "host[:port]" as written: the Host header */
	size_t      authority_len;
} mg_conf_url_t;

/* "http://HOST[:PORT][/PATH]" or "https://...". */
int mg_conf_parse_url(const char *url, mg_conf_url_t *out);

#endif
