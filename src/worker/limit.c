/*
 * Per-client limits: the client key of an address, the refusal counters
 * and their log lines, and a worker's count of connections per client
 * (open addressing, linear probing, deletion by backward shift: no
 * tombstones to pile up under connection churn).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "limit.h"
#include "log.h"
#include "metrics.h"
#include "selfconn.h"

static const char *const limit_reasons[MG_LIMIT_NKINDS] = { "sessions_full",
	"sessions_per_address", "connections_per_address" };

typedef struct {
	_Atomic uint64_t refused[MG_LIMIT_NKINDS];
} limit_shared_t;

/* In shared memory after mg_limit_init; else this process's own. */
static limit_shared_t  own;
static limit_shared_t *shared = &own;

/* This process's last line per kind, and the refusals not logged since. */
static struct {
	int64_t  last_ms;
	uint64_t quiet;
} lines[MG_LIMIT_NKINDS];

int
mg_limit_init(void)
{
	void *p = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return MG_ERROR;
	shared = p;
	return MG_OK;
}

/* Bytes 0-3 as a big-endian number. */
static uint64_t
be32(const uint8_t *b)
{
	return (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 |
	    (uint64_t)b[2] << 8 | b[3];
}

int
mg_limit_client(const struct sockaddr *sa, uint64_t *key)
{
	const struct sockaddr_in  *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;
	const uint8_t             *b;

	if (sa->sa_family == AF_INET) {
		*key = UINT64_C(1) << 32 |
		    be32((const uint8_t *)&sin->sin_addr.s_addr);
		return MG_OK;
	}
	if (sa->sa_family != AF_INET6)
		return MG_DECLINED;
	b = sin6->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		*key = UINT64_C(1) << 32 | be32(b + 12);
	else
		*key = be32(b) << 32 | be32(b + 4); /* the /64 */
	return MG_OK;
}

void
mg_limit_client_text(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *sin6 = (const void *)sa;
	struct in6_addr            net;
	char                       a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET,
		&((const struct sockaddr_in *)(const void *)sa)->sin_addr, a,
		sizeof(a)) != NULL) {
		snprintf(buf, len, "%s", a);
		return;
	}
	if (sa->sa_family != AF_INET6) {
		snprintf(buf, len, "-");
		return;
	}
	net = sin6->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(&net)) {
		inet_ntop(AF_INET, &net.s6_addr[12], a, sizeof(a));
		snprintf(buf, len, "%s", a);
		return;
	}
	memset(&net.s6_addr[8], 0, 8);
	inet_ntop(AF_INET6, &net, a, sizeof(a));
	snprintf(buf, len, "%s/64", a);
}

/* ---- refusals -------------------------------------------------------- */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
mg_limit_refused(mg_limit_kind_t kind, const char *fmt, ...)
{
	uint64_t total = atomic_fetch_add(&shared->refused[kind], 1) + 1;
	int64_t  now = mono_ms();
	char     msg[512];
	va_list  ap;

	/* and in the metrics, by the reason's name (mcpgw_refusals_total) */
	mg_metrics_count(MG_M_REFUSALS, limit_reasons[kind], NULL);

	if (lines[kind].last_ms != 0 &&
	    now - lines[kind].last_ms < MG_LIMIT_LOG_MS) {
		lines[kind].quiet++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mg_warn("%s (%llu more refused since the last such line, %llu in all)",
	    msg, (unsigned long long)lines[kind].quiet,
	    (unsigned long long)total);
	lines[kind].last_ms = now;
	lines[kind].quiet = 0;
}

uint64_t
mg_limit_refusals(mg_limit_kind_t kind)
{
	return atomic_load(&shared->refused[kind]);
}

/* ---- connections per client, in one worker --------------------------- */

typedef struct {
	uint64_t key;
	uint32_t count; /* 0: an empty slot */
} conn_slot_t;

struct mg_limit_conns {
	int          limit;
	size_t       mask; /* slots - 1, a power of two minus one */
	uint64_t     seed; /* no client chooses where its key lands */
	conn_slot_t *slots;
};

mg_limit_conns_t *
mg_limit_conns_new(int maxconns, int limit)
{
	mg_limit_conns_t *lc = calloc(1, sizeof(*lc));
	size_t            n = 16;

	if (lc == NULL)
		return NULL;
	lc->limit = limit;
	if (limit <= 0)
		return lc;
	/* every connection may be another client: at most half full */
	while (n < (size_t)maxconns * 2)
		n *= 2;
	if ((lc->slots = calloc(n, sizeof(*lc->slots))) == NULL) {
		free(lc);
		return NULL;
	}
	lc->mask = n - 1;
	if (getentropy(&lc->seed, sizeof(lc->seed)) != 0)
		lc->seed = (uint64_t)mono_ms() ^ (uint64_t)getpid() << 32;
	return lc;
}

void
mg_limit_conns_free(mg_limit_conns_t *lc)
{
	if (lc == NULL)
		return;
	free(lc->slots);
	free(lc);
}

static size_t
conns_home(const mg_limit_conns_t *lc, uint64_t key)
{
	key ^= lc->seed;
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & lc->mask;
}

/* KEY's slot, or the empty slot where it would go. */
static size_t
conns_find(const mg_limit_conns_t *lc, uint64_t key)
{
	size_t i = conns_home(lc, key);

	while (lc->slots[i].count != 0 && lc->slots[i].key != key)
		i = (i + 1) & lc->mask;
	return i;
}

/* Empty slot I, moving back the entries after it that probed past it. */
static void
conns_remove(mg_limit_conns_t *lc, size_t i)
{
	size_t j = i, h;

	for (;;) {
		j = (j + 1) & lc->mask;
		if (lc->slots[j].count == 0)
			break;
		h = conns_home(lc, lc->slots[j].key);
		/* entry J may move to I unless its home lies in (I, J] */
		if (((j - h) & lc->mask) >= ((j - i) & lc->mask)) {
			lc->slots[i] = lc->slots[j];
			i = j;
		}
	}
	lc->slots[i].count = 0;
}

int
mg_limit_conn_open(mg_limit_conns_t *lc, const struct sockaddr *sa)
{
	uint64_t key;
	size_t   i;

	if (lc->limit <= 0 || mg_limit_client(sa, &key) != MG_OK ||
	    mg_selfconn_is(sa))
		return MG_DECLINED;
	i = conns_find(lc, key);
	if (lc->slots[i].count >= (uint32_t)lc->limit)
		return MG_BUSY;
	lc->slots[i].key = key;
	lc->slots[i].count++;
	return MG_OK;
}

void
mg_limit_conn_close(mg_limit_conns_t *lc, const struct sockaddr *sa)
{
	uint64_t key;
	size_t   i;

	if (lc->limit <= 0 || mg_limit_client(sa, &key) != MG_OK)
		return;
	i = conns_find(lc, key);
	if (lc->slots[i].count == 0)
		return; /* never counted: cannot happen */
	if (--lc->slots[i].count == 0)
		conns_remove(lc, i);
}

int
mg_limit_conn_count(const mg_limit_conns_t *lc, const struct sockaddr *sa)
{
	uint64_t key;

	if (lc->limit <= 0 || mg_limit_client(sa, &key) != MG_OK)
		return 0;
	return (int)lc->slots[conns_find(lc, key)].count;
}

/*
 * The answer goes out in one send() on a fresh socket, whose buffer is
 * empty: it cannot block.  What the client sent already is read and
 * dropped first, so that the close is a FIN, not a reset that could
 * destroy the answer before the client reads it.
 */
void
mg_limit_conn_refuse(
    mg_limit_conns_t *lc, int fd, const struct sockaddr *sa, int tls)
{
	char    who[INET6_ADDRSTRLEN + 4], body[256], head[512], drop[4096];
	int     blen, hlen;
	ssize_t n;

	mg_limit_client_text(sa, who, sizeof(who));
	mg_limit_refused(MG_LIMIT_CONNS_ADDR,
	    "connections_per_address (%d) reached by %s: closing a new "
	    "connection",
	    lc->limit, who);
	if (tls) { /* no handshake for a refusal: closed unanswered */
		close(fd);
		return;
	}
	blen = snprintf(body, sizeof(body),
	    "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":%d,"
	    "\"message\":\"too many connections from this address "
	    "(connections_per_address %d)\"}}",
	    MG_LIMIT_ERR, lc->limit);
	hlen = snprintf(head, sizeof(head),
	    "HTTP/1.1 429 Too Many Requests\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %d\r\n"
	    "Connection: close\r\n\r\n%s",
	    blen, body);
	for (int i = 0; i < 4; i++)
		if ((n = recv(fd, drop, sizeof(drop), MSG_DONTWAIT)) <= 0)
			break;
	if (send(fd, head, (size_t)hlen, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		mg_debug(
		    "send() of a 429 to %s failed (%s)", who, strerror(errno));
	shutdown(fd, SHUT_WR);
	close(fd);
}
