/*
 * The connector's own connections to this gateway (a route whose upstream
 * is the gateway itself, as in the shipped configuration) are never
 * refused by a per-client limit: the clients behind them were counted on
 * their way in, and refusing the connector would fail them all at once.
 *
 * A worker cannot tell them by what they send: a header comes too late
 * for the accept, and any client can send one.  It tells them by their
 * source port.  For an upstream at a loopback address the connector binds
 * each socket to the wildcard address and a port of the kernel's choice
 * before it connects, and marks that port (with its pid) in memory shared
 * by every process, until it closes the socket.  Bound without
 * SO_REUSEADDR or SO_REUSEPORT, the port is the connector's alone while
 * marked: no other socket can bind it, and connect() never picks a port
 * that bind() took.  A peer with a loopback address (which no remote host
 * can have) and a marked port is the connector.
 */
#ifndef MG_SELFCONN_H
#define MG_SELFCONN_H

#include <sys/socket.h>

#include "mcpgw.h"

/* The shared marks: in the master, before the first fork.  MG_OK, or
 * MG_ERROR with errno.  Without it nothing is marked. */
int mg_selfconn_init(void);

/* HOST (numeric) and PORT as an address, if it is a loopback one: MG_OK,
 * else MG_DECLINED (connect to it as to any other). */
int mg_selfconn_addr(const char *host, const char *port,
    struct sockaddr_storage *ss, socklen_t *len);
/*
 * A nonblocking socket to connect to SA, or -1 with errno; bound and
 * marked when SA is a loopback address (127.0.0.0/8, ::1).
 */
int mg_selfconn_socket(const struct sockaddr *sa);
/* FD (from mg_selfconn_socket or not) is about to be closed: its mark,
 * if it has one, goes. */
void mg_selfconn_release(int fd);
/* Is SA, the peer of an accepted connection, the connector's own? */
int mg_selfconn_is(const struct sockaddr *sa);
/* Clear the marks of processes that are gone (a connector killed before
 * it could clear its own): when a connector starts. */
void mg_selfconn_sweep(void);

#endif
