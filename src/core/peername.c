/*
 * The address a connected socket's peer has, as text (peername.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include "peername.h"

void
mg_peer_text(int fd, char *buf, size_t size)
{
	struct sockaddr_storage a;
	socklen_t               len = sizeof(a);
	char                    host[INET6_ADDRSTRLEN];
	const void             *in;
	int                     port;

	buf[0] = '\0';
	if (getpeername(fd, (struct sockaddr *)&a, &len) != 0)
		return;
	if (a.ss_family == AF_INET) {
		in = &((struct sockaddr_in *)(void *)&a)->sin_addr;
		port = ntohs(((struct sockaddr_in *)(void *)&a)->sin_port);
	} else if (a.ss_family == AF_INET6) {
		in = &((struct sockaddr_in6 *)(void *)&a)->sin6_addr;
		port = ntohs(((struct sockaddr_in6 *)(void *)&a)->sin6_port);
	} else
		return;
	if (inet_ntop(a.ss_family, in, host, sizeof(host)) != NULL)
		snprintf(buf, size,
		    a.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, port);
}
