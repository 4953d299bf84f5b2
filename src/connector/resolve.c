/*
 * The connector's resolver cache (resolve.h): one entry per host name,
 * its addresses and when they expire, one evdns query pair (A, AAAA) in
 * flight at most, and the requests waiting on it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "log.h"
#include "resolve.h"

#define HOSTS_FILE "/etc/hosts"
#define HOSTS_MAX (1024 * 1024)
#define FOREVER INT64_MAX

typedef struct entry {
	struct entry           *next;
	mg_resolver_t          *r;
	char                   *host;
	struct sockaddr_storage addrs[MG_RESOLVE_MAX_ADDRS];
	int64_t                 fail_until[MG_RESOLVE_MAX_ADDRS];
	size_t                  naddrs;
	int64_t                 expires;  /* ms; 0: no answer yet */
	int64_t                 retry_at; /* after a failure: not before */
	int                     failing;  /* said so in the log */
	char                    err[160]; /* of the last failure */
	/* the query in flight: its families still out, what came */
	int               out;
	mg_addrs_t        got;
	int               got_ttl;
	int               got_err;
	mg_resolve_req_t *waiting;
} entry_t;

struct mg_resolve_req {
	mg_resolve_req_t *next; /* in its entry's waiting */
	mg_resolver_t    *r;
	entry_t          *e; /* waiting on it; NULL: answered by ev */
	uint16_t          port;
	mg_resolve_cb     cb;
	void             *arg;
	struct event     *ev; /* the answer, on the next turn of the loop */
	mg_addrs_t        addrs;
	const char       *err;
};

struct mg_resolver {
	struct event_base *base;
	struct evdns_base *dns;
	const mg_conf_t   *conf;
	char              *hosts;   /* the hosts file, read at start */
	entry_t           *entries; /* the names of the configuration */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mg_resolve_valid_ms(const mg_conf_t *conf, int ttl)
{
	int64_t ms = (int64_t)(ttl < 0 ? 0 : ttl) * 1000;

	if (conf->resolver_valid > 0)
		return conf->resolver_valid;
	if (ms < conf->resolver_min_ttl)
		ms = conf->resolver_min_ttl;
	if (ms > conf->resolver_max_ttl)
		ms = conf->resolver_max_ttl;
	return ms;
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* TEXT (an address) into OUT: MG_OK, or MG_ERROR when it is none. */
static int
add_address(mg_addrs_t *out, const char *text, uint16_t port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr) ==
	    1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, text,
		     &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		return MG_ERROR;
	set_port(&ss, port);
	if (out->n < MG_RESOLVE_MAX_ADDRS)
		out->a[out->n++] = ss;
	return MG_OK;
}

size_t
mg_hosts_find(const char *text, const char *name, int v4only, uint16_t port,
    mg_addrs_t *out)
{
	char line[512], addr[64], word[256];

	out->n = 0;
	while (text != NULL && *text != '\0') {
		const char *nl = strchr(text, '\n');
		size_t      len = nl ? (size_t)(nl - text) : strlen(text);
		char       *p = line, *hash;
		int         used;

		snprintf(line, sizeof(line), "%.*s", (int)len, text);
		text = nl ? nl + 1 : text + len;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		if (sscanf(p, "%63s%n", addr, &used) != 1 ||
		    (v4only && strchr(addr, ':') != NULL))
			continue;
		for (p += used; sscanf(p, "%255s%n", word, &used) == 1;
		     p += used)
			if (strcasecmp(word, name) == 0) {
				add_address(out, addr, port);
				break;
			}
	}
	return out->n;
}

void
mg_resolve_order(const struct sockaddr_storage *in, const int64_t *fail_until,
    size_t n, size_t turn, int64_t now, mg_addrs_t *out)
{
	out->n = 0;
	for (int late = 0; late < 2; late++)
		for (size_t i = 0; i < n; i++) {
			size_t k = (turn + i) % n;

			if ((fail_until[k] > now) == late)
				out->a[out->n++] = in[k];
		}
}

/*
 * An answer's addresses in a fixed order (IPv4 first, then by address),
 * whatever order the name server gave them in: connections go to the
 * first that has not failed lately, so that an upstream session stays
 * on the replica that holds it while that one answers, across
 * re-resolutions too (a name server rotates its records).  Spreading
 * sessions over replicas is a pool's job (a server line each).
 */
static int
addr_cmp(const void *a, const void *b)
{
	const struct sockaddr_storage *x = a, *y = b;

	if (x->ss_family != y->ss_family)
		return x->ss_family == AF_INET ? -1 : 1;
	if (x->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)x)->sin_addr,
		    &((const struct sockaddr_in *)y)->sin_addr,
		    sizeof(struct in_addr));
	return memcmp(&((const struct sockaddr_in6 *)x)->sin6_addr,
	    &((const struct sockaddr_in6 *)y)->sin6_addr,
	    sizeof(struct in6_addr));
}

static void
addrs_sort(entry_t *e)
{
	qsort(e->addrs, e->naddrs, sizeof(e->addrs[0]), addr_cmp);
}

/* ---- answering a request ---------------------------------------------- */

static void
req_deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	mg_resolve_req_t *q = arg;

	(void)fd;
	(void)what;
	q->cb(q->arg, q->addrs.n > 0 ? &q->addrs : NULL, q->err);
	event_free(q->ev);
	free(q);
}

/* Q's answer from E (its addresses, or ERR), on the next turn. */
static void
req_answer(mg_resolve_req_t *q, entry_t *e, const char *err)
{
	q->e = NULL;
	q->err = err;
	if (e != NULL && e->naddrs > 0) {
		mg_resolve_order(
		    e->addrs, e->fail_until, e->naddrs, 0, now_ms(), &q->addrs);
		for (size_t i = 0; i < q->addrs.n; i++)
			set_port(&q->addrs.a[i], q->port);
	}
	event_active(q->ev, 0, 0);
}

/* E's addresses serve: fresh, or not stale for too long. */
static int
usable(const entry_t *e, int64_t now)
{
	return e->naddrs > 0 &&
	    (now < e->expires ||
		now - e->expires < e->r->conf->resolver_max_stale);
}

/* ---- asking evdns ----------------------------------------------------- */

static void query_start(entry_t *e);

static void
query_done(entry_t *e)
{
	mg_resolve_req_t *q;
	int64_t           now = now_ms();

	if (e->got.n > 0) {
		if (e->failing)
			mg_notice("\"%s\" resolves again (%zu address%s)",
			    e->host, e->got.n, e->got.n == 1 ? "" : "es");
		memcpy(e->addrs, e->got.a, e->got.n * sizeof(e->got.a[0]));
		memset(e->fail_until, 0, sizeof(e->fail_until));
		e->naddrs = e->got.n;
		addrs_sort(e);
		e->expires = now + mg_resolve_valid_ms(e->r->conf, e->got_ttl);
		e->failing = 0;
	} else {
		snprintf(e->err, sizeof(e->err), "cannot resolve \"%s\" (%s)",
		    e->host, evdns_err_to_string(e->got_err));
		if (!e->failing && usable(e, now))
			mg_warn("%s: its last answer serves %lld s more",
			    e->err,
			    (long long)(e->expires +
				e->r->conf->resolver_max_stale - now) /
				1000);
		else if (!e->failing)
			mg_warn("%s", e->err);
		e->failing = 1;
		e->retry_at = now +
		    (e->r->conf->resolver_min_ttl > 1000
			    ? e->r->conf->resolver_min_ttl
			    : 1000);
	}
	/* an answer still usable serves them; none: they fail */
	while ((q = e->waiting) != NULL) {
		e->waiting = q->next;
		if (usable(e, now))
			req_answer(q, e, NULL);
		else
			req_answer(q, NULL, e->err);
	}
}

static void
query_cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	entry_t *e = arg;

	for (int i = 0; result == DNS_ERR_NONE && i < count &&
	     e->got.n < MG_RESOLVE_MAX_ADDRS;
	     i++) {
		struct sockaddr_storage *ss = &e->got.a[e->got.n];

		memset(ss, 0, sizeof(*ss));
		if (type == DNS_IPv4_A) {
			ss->ss_family = AF_INET;
			memcpy(&((struct sockaddr_in *)ss)->sin_addr,
			    (char *)addresses + i * 4, 4);
		} else if (type == DNS_IPv6_AAAA) {
			ss->ss_family = AF_INET6;
			memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr,
			    (char *)addresses + i * 16, 16);
		} else
			continue;
		if (e->got.n == 0 || ttl < e->got_ttl)
			e->got_ttl = ttl;
		e->got.n++;
	}
	/* the A query's error is the one said (AAAA often has none) */
	if (result != DNS_ERR_NONE && (e->got_err == 0 || type == DNS_IPv4_A))
		e->got_err = result;
	else if (result == DNS_ERR_NONE && count == 0 && e->got_err == 0)
		e->got_err = DNS_ERR_NODATA;
	if (--e->out == 0)
		query_done(e);
}

static void
query_start(entry_t *e)
{
	struct evdns_base *dns = e->r->dns;

	e->got.n = 0;
	e->got_err = 0;
	e->got_ttl = 0;
	e->out = e->r->conf->resolver_ipv6_off ? 1 : 2;
	/* evdns calls back later, even when a query cannot be sent */
	if (evdns_base_resolve_ipv4(dns, e->host, 0, query_cb, e) == NULL)
		e->out--;
	if (!e->r->conf->resolver_ipv6_off &&
	    evdns_base_resolve_ipv6(dns, e->host, 0, query_cb, e) == NULL)
		e->out--;
	if (e->out == 0) {
		e->got_err = DNS_ERR_UNKNOWN;
		query_done(e);
	}
}

/* ---- the cache -------------------------------------------------------- */

static entry_t *
entry_get(mg_resolver_t *r, const char *host)
{
	entry_t   *e;
	mg_addrs_t h;

	for (e = r->entries; e != NULL; e = e->next)
		if (strcasecmp(e->host, host) == 0)
			return e;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->host = strdup(host)) == NULL) {
		free(e);
		return NULL;
	}
	e->r = r;
	/* the hosts file answers for good, as getaddrinfo would */
	if (mg_hosts_find(r->hosts, host, r->conf->resolver_ipv6_off, 0, &h) >
	    0) {
		memcpy(e->addrs, h.a, h.n * sizeof(h.a[0]));
		e->naddrs = h.n;
		e->expires = FOREVER;
		addrs_sort(e);
	}
	e->next = r->entries;
	r->entries = e;
	return e;
}

mg_resolve_req_t *
mg_resolve(mg_resolver_t *r, const char *host, const char *port,
    mg_resolve_cb cb, void *arg)
{
	mg_resolve_req_t *q = calloc(1, sizeof(*q));
	entry_t          *e;
	int64_t           now = now_ms();

	if (q == NULL)
		return NULL;
	q->r = r;
	q->port = (uint16_t)atoi(port);
	q->cb = cb;
	q->arg = arg;
	if ((q->ev = event_new(r->base, -1, 0, req_deliver_cb, q)) == NULL) {
		free(q);
		return NULL;
	}
	if (add_address(&q->addrs, host, q->port) == MG_OK) {
		event_active(q->ev, 0, 0); /* numeric */
		return q;
	}
	if ((e = entry_get(r, host)) == NULL) {
		req_answer(q, NULL, "out of memory");
		return q;
	}
	if (e->naddrs > 0 && now < e->expires) {
		req_answer(q, e, NULL);
		return q;
	}
	/* expired: asked again; meanwhile the old answer, if not too old */
	if (e->out == 0 && now >= e->retry_at)
		query_start(e);
	if (usable(e, now))
		req_answer(q, e, NULL);
	else if (e->out == 0) /* failed lately, and nothing to serve */
		req_answer(q, NULL, e->err);
	else {
		q->e = e;
		q->next = e->waiting;
		e->waiting = q;
	}
	return q;
}

void
mg_resolve_cancel(mg_resolve_req_t *q)
{
	if (q == NULL)
		return;
	if (q->e != NULL)
		for (mg_resolve_req_t **pp = &q->e->waiting; *pp;
		     pp = &(*pp)->next)
			if (*pp == q) {
				*pp = q->next;
				break;
			}
	event_free(q->ev);
	free(q);
}

static int
same_address(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return 0;
	if (b->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			   &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		   &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

void
mg_resolve_failed(mg_resolver_t *r, const char *host, const struct sockaddr *sa)
{
	for (entry_t *e = r->entries; e != NULL; e = e->next)
		if (strcasecmp(e->host, host) == 0)
			for (size_t i = 0; i < e->naddrs; i++)
				if (same_address(&e->addrs[i], sa))
					e->fail_until[i] =
					    now_ms() + MG_RESOLVE_FAIL_MS;
}

/* ---- the resolver ----------------------------------------------------- */

/* At start-up, as evdns reads resolv.conf: a file read may block. */
static char *
hosts_read(void)
{
	FILE  *f = fopen(HOSTS_FILE, "r");
	char  *text;
	size_t n;

	if (f == NULL)
		return NULL;
	if ((text = malloc(HOSTS_MAX + 1)) != NULL) {
		n = fread(text, 1, HOSTS_MAX, f);
		text[n] = '\0';
	}
	fclose(f);
	return text;
}

/* evdns's own words (a nameserver down, up): the error log's, at debug;
 * what matters to an operator is said once per name (query_done). */
static void
dns_log(int severity, const char *msg)
{
	(void)severity;
	mg_debug("evdns: %s", msg);
}

static struct evdns_base *
dns_new(struct event_base *base, const mg_conf_t *conf)
{
	struct evdns_base *dns;
	char               t[32];

	if (conf->resolvers == NULL)
		dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	else if ((dns = evdns_base_new(base, 0)) != NULL) {
		/* for evdns_getaddrinfo's users (tokfetch.c), as by default */
		evdns_base_load_hosts(dns, NULL);
		for (char **s = conf->resolvers; *s != NULL; s++)
			if (evdns_base_nameserver_ip_add(dns, *s) != 0)
				mg_error("resolver %s: cannot use it", *s);
	}
	if (dns == NULL)
		return NULL;
	evdns_set_log_fn(dns_log);
	/* two tries, resolver_timeout for both */
	snprintf(t, sizeof(t), "%.3f", (double)conf->resolver_timeout / 2000);
	evdns_base_set_option(dns, "timeout:", t);
	evdns_base_set_option(dns, "attempts:", "2");
	return dns;
}

mg_resolver_t *
mg_resolver_new(struct event_base *base, const mg_conf_t *conf)
{
	mg_resolver_t *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->base = base;
	r->conf = conf;
	r->hosts = hosts_read();
	if ((r->dns = dns_new(base, conf)) == NULL) {
		mg_resolver_free(r);
		return NULL;
	}
	return r;
}

struct evdns_base *
mg_resolver_dns(mg_resolver_t *r)
{
	return r != NULL ? r->dns : NULL;
}

void
mg_resolver_free(mg_resolver_t *r)
{
	entry_t *e;

	if (r == NULL)
		return;
	/* first: no query calls back any more */
	if (r->dns != NULL)
		evdns_base_free(r->dns, 0);
	while ((e = r->entries) != NULL) {
		mg_resolve_req_t *q;

		r->entries = e->next;
		/* their owners still hold them: taken back by
		 * mg_resolve_cancel, never called */
		while ((q = e->waiting) != NULL) {
			e->waiting = q->next;
			q->e = NULL;
		}
		free(e->host);
		free(e);
	}
	free(r->hosts);
	free(r);
}
