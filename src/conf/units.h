/*
 * Values as written in the configuration, parsed without I/O: each
 * returns MG_OK or MG_ERROR and leaves its output alone on MG_ERROR.
 * (Sizes and times are public: conf.h.)
 */
#ifndef MG_CONF_UNITS_H
#define MG_CONF_UNITS_H

#include <sys/socket.h>
#include <stdint.h>

#include "conf.h"

/* Leading decimal digits (at least one) into *n, *sp moved past them;
 * no sign, no overflow. */
int mg_conf_parse_digits(const char **sp, int64_t *n);

/* "PORT", "*:PORT", "ADDR:PORT", "localhost:PORT", "[IPV6]:PORT". */
int mg_conf_parse_listen(
    const char *text, struct sockaddr_storage *ss, socklen_t *len);

/* "http://host[:port][/path]" or "https://...", into u (allocated in
 * conf's pool). */
int mg_conf_parse_url(
    mg_conf_t *conf, const char *url, mg_upstream_server_t *u);

#endif
