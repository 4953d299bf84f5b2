/*
 * Per-client limits: how many connections (connections_per_address, in
 * each worker) and sessions (sessions_per_address, across the workers,
 * counted in the session table) one client may hold, and what a refusal
 * leaves behind: a counter shared by every process, for the metrics to
 * come, and at most one log line per kind and interval in each process.
 *
 * A client is an IPv4 address, or the /64 prefix of an IPv6 address: one
 * host (or one customer) is given a /64 and picks addresses in it freely,
 * so counting whole IPv6 addresses would bound nothing.
 */
#ifndef MG_LIMIT_H
#define MG_LIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "mcpgw.h"

/* mcpgw's own JSON-RPC error code for a per-client limit (HTTP 429). */
#define MG_LIMIT_ERR -32004

/* One refusal line per kind per this many ms in each process. */
#define MG_LIMIT_LOG_MS 10000

typedef enum {
	MG_LIMIT_SESSIONS_FULL = 0, /* max_sessions: the table is full */
	MG_LIMIT_SESSIONS_ADDR,     /* sessions_per_address */
	MG_LIMIT_CONNS_ADDR,        /* connections_per_address */
	MG_LIMIT_NKINDS
} mg_limit_kind_t;

/* The shared counters: in the master, before the first fork, so that the
 * children count into the same memory.  MG_OK, or MG_ERROR with errno.
 * Without it each process counts for itself. */
int mg_limit_init(void);

/*
 * The client that SA stands for, as a 64-bit key: MG_OK, or MG_DECLINED
 * for what is not an IP address (a Unix socket).  An IPv4 address (also
 * one mapped into IPv6) is 0x1:ADDR, in 0:1::/32 of the IPv6 space, which
 * is reserved and never a source; an IPv6 address is its /64 prefix.
 */
int mg_limit_client(const struct sockaddr *sa, uint64_t *key);

/* "192.0.2.7", "2001:db8::/64" (what a log line names); "-" if not IP. */
void mg_limit_client_text(const struct sockaddr *sa, char *buf, size_t len);

/*
 * Count a refusal of KIND and log it at warn as FMT says, unless this
 * process logged one of KIND less than MG_LIMIT_LOG_MS ago: then it is
 * only counted, and the next line says how many went unlogged.
 */
void mg_limit_refused(mg_limit_kind_t kind, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Refusals of KIND so far, by every process of this master. */
uint64_t mg_limit_refusals(mg_limit_kind_t kind);

/* ---- connections per client, in one worker ------------------------- */

typedef struct mg_limit_conns mg_limit_conns_t;

/* Room for MAXCONNS connections (worker_connections), LIMIT of them per
 * client; LIMIT 0 counts nothing.  NULL when out of memory. */
mg_limit_conns_t *mg_limit_conns_new(int maxconns, int limit);
void              mg_limit_conns_free(mg_limit_conns_t *lc);

/*
 * A connection accepted from SA: MG_OK (counted: mg_limit_conn_close
 * when it closes), MG_DECLINED (not counted: no limit, not an IP address,
 * or the connector's own, see selfconn.h), or MG_BUSY (the client holds
 * LIMIT already: refuse it with mg_limit_conn_refuse).
 */
int  mg_limit_conn_open(mg_limit_conns_t *lc, const struct sockaddr *sa);
void mg_limit_conn_close(mg_limit_conns_t *lc, const struct sockaddr *sa);
/* Answer FD 429 at once, before reading anything (with TLS set, not at
 * all: no handshake for a refusal), and close it; counted and logged as
 * MG_LIMIT_CONNS_ADDR. */
void mg_limit_conn_refuse(
    mg_limit_conns_t *lc, int fd, const struct sockaddr *sa, int tls);
/* Connections counted for SA's client now. */
int mg_limit_conn_count(const mg_limit_conns_t *lc, const struct sockaddr *sa);

#endif
