/*
 * Socket options every process sets alike.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "sockopt.h"

void
mg_tcp_nodelay(int fd)
{
	int on = 1;

	/* EOPNOTSUPP: not a TCP socket (a Unix socket) */
	if (fd >= 0 &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0 &&
	    errno != EOPNOTSUPP)
		mg_debug("setsockopt(TCP_NODELAY) failed: %s", strerror(errno));
}
