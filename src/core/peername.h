/*
 * The address a connected socket's peer has, as text, for log lines.
 */
#ifndef MG_PEERNAME_H
#define MG_PEERNAME_H

#include <stddef.h>

/* "127.0.0.1:9000", "[::1]:9000" into BUF (SIZE bytes); "" if FD has no
 * IP peer. */
void mg_peer_text(int fd, char *buf, size_t size);

#endif
