/*
 * The connector's marks on its own sockets: for each address family, one
 * word per port, the pid of the connector holding it, or 0.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "selfconn.h"

#define PORTS 65536

typedef struct {
	_Atomic uint32_t v4[PORTS];
	_Atomic uint32_t v6[PORTS];
} marks_t;

static marks_t *marks;

int
mg_selfconn_init(void)
{
	void *p = mmap(NULL, sizeof(*marks), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return MG_ERROR;
	marks = p;
	return MG_OK;
}

static in_port_t
port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(
		    ((const struct sockaddr_in *)(const void *)sa)->sin_port);
	return ntohs(
	    ((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
}

/* The mark of SA's family and port; NULL for another family. */
static _Atomic uint32_t *
mark_of(const struct sockaddr *sa)
{
	if (marks == NULL)
		return NULL;
	if (sa->sa_family == AF_INET)
		return &marks->v4[port_of(sa)];
	if (sa->sa_family == AF_INET6)
		return &marks->v6[port_of(sa)];
	return NULL;
}

static int
is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in  *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;

	if (sa->sa_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	return sa->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
}

int
mg_selfconn_addr(const char *host, const char *port,
    struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in  *sin = (void *)ss;
	struct sockaddr_in6 *sin6 = (void *)ss;
	char                *end;
	long                 n = strtol(port, &end, 10);

	memset(ss, 0, sizeof(*ss));
	if (*end != '\0' || n < 1 || n > 65535)
		return MG_DECLINED;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((in_port_t)n);
		*len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((in_port_t)n);
		*len = sizeof(*sin6);
	} else
		return MG_DECLINED;
	return is_loopback((struct sockaddr *)ss) ? MG_OK : MG_DECLINED;
}

int
mg_selfconn_socket(const struct sockaddr *sa)
{
	struct sockaddr_storage ss;
	socklen_t               len;
	_Atomic uint32_t       *m;
	int                     fd, e;

	fd = socket(
	    sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || marks == NULL || !is_loopback(sa))
		return fd;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = sa->sa_family;
	len = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
				       : sizeof(struct sockaddr_in6);
	/* the wildcard address: the port is then ours on every address */
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if ((m = mark_of((struct sockaddr *)&ss)) != NULL)
		atomic_store(m, (uint32_t)getpid());
	return fd;
}

void
mg_selfconn_release(int fd)
{
	struct sockaddr_storage ss;
	socklen_t               len = sizeof(ss);
	_Atomic uint32_t       *m;
	uint32_t                me = (uint32_t)getpid();
	struct linger           now = { 1, 0 };

	if (marks == NULL || fd < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    (m = mark_of((struct sockaddr *)&ss)) == NULL ||
	    !atomic_compare_exchange_strong(m, &me, 0))
		return;
	/*
	 * No TIME_WAIT for a port taken with bind(): it would keep the port
	 * from every bind() for a minute, and a busy self route would run
	 * out of them.  The connector closes a connection only between
	 * answers, or when what it waited for no longer matters.
	 */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof(now));
}

int
mg_selfconn_is(const struct sockaddr *sa)
{
	_Atomic uint32_t *m;

	if (!is_loopback(sa) || (m = mark_of(sa)) == NULL)
		return 0;
	return atomic_load(m) != 0;
}

static void
sweep(_Atomic uint32_t *v)
{
	uint32_t pid, me = (uint32_t)getpid(), dead = 0;

	for (size_t i = 0; i < PORTS; i++) {
		if ((pid = atomic_load(&v[i])) == 0 || pid == me)
			continue;
		if (pid != dead && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		dead = pid;
		atomic_compare_exchange_strong(&v[i], &pid, 0);
	}
}

void
mg_selfconn_sweep(void)
{
	if (marks == NULL)
		return;
	sweep(marks->v4);
	sweep(marks->v6);
}
