/*
 * The connector's resolver: the addresses of the host names in server
 * URLs, asked of evdns (A and AAAA), kept per name until their TTL in
 * address order (the first that has not failed lately is used, the next
 * when it fails: a session stays on its replica), and asked again once
 * expired.  An expired answer
 * serves while the new one comes, and for resolver_max_stale more when
 * asking fails; one query per name at once, the requests for that name
 * wait on it.  Names in the hosts file are answered from it, numeric
 * hosts at once.  Callbacks never run inside the call that asked.
 */
#ifndef MG_RESOLVE_H
#define MG_RESOLVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"

struct event_base;
struct evdns_base;

typedef struct mg_resolver    mg_resolver_t;
typedef struct mg_resolve_req mg_resolve_req_t;

#define MG_RESOLVE_MAX_ADDRS                                                   \
	32 /* kept per name (a UDP answer holds                                \
	    * fewer than 32 A records) */
#define MG_RESOLVE_FAIL_MS                                                     \
	10000 /* an address that refused a connect is                          \
	       * tried last for this long */

/* Addresses to try, in order: the one in turn first, those that failed
 * lately last. */
typedef struct {
	size_t                  n;
	struct sockaddr_storage a[MG_RESOLVE_MAX_ADDRS];
} mg_addrs_t;

/* ADDRS (n >= 1, valid during the call), or ERR when there is none. */
typedef void (*mg_resolve_cb)(
    void *arg, const mg_addrs_t *addrs, const char *err);

/* A resolver on BASE with CONF's resolver directives (CONF outlives
 * it); NULL when out of memory. */
mg_resolver_t *mg_resolver_new(struct event_base *base, const mg_conf_t *conf);
void           mg_resolver_free(mg_resolver_t *r);
/* Its evdns base, for what connects through libevent by name (NULL:
 * NULL). */
struct evdns_base *mg_resolver_dns(mg_resolver_t *r);

/* The addresses of HOST with PORT, to CB(ARG) later; a handle that
 * mg_resolve_cancel takes back until CB runs, or NULL (out of memory). */
mg_resolve_req_t *mg_resolve(mg_resolver_t *r, const char *host,
    const char *port, mg_resolve_cb cb, void *arg);
void              mg_resolve_cancel(mg_resolve_req_t *q);

/* A connect to SA (an address of HOST) failed: tried last for a while. */
void mg_resolve_failed(
    mg_resolver_t *r, const char *host, const struct sockaddr *sa);

/* Pure, for the tests.  An answer's lifetime (ms) for TTL (s). */
int64_t mg_resolve_valid_ms(const mg_conf_t *conf, int ttl);
/* The addresses of NAME in hosts file TEXT (IPv6 too unless V4ONLY),
 * port PORT, into OUT: their number. */
size_t mg_hosts_find(const char *text, const char *name, int v4only,
    uint16_t port, mg_addrs_t *out);
/* OUT: the N addresses IN from TURN on, those with FAIL_UNTIL > NOW
 * last. */
void mg_resolve_order(const struct sockaddr_storage *in,
    const int64_t *fail_until, size_t n, size_t turn, int64_t now,
    mg_addrs_t *out);

#endif
