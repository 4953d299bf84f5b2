/*
 * Small tools the integration tests need and bash lacks:
 *   mgtest freeport [N]       print N free TCP ports on 127.0.0.1
 *   mgtest notify-listen PATH [pid]
 *                             print each sd_notify datagram sent to PATH,
 *                             one line per message ("\n" shown as "|"),
 *                             with "pid": "SENDER-PID MESSAGE" (as
 *                             systemd tells senders apart: SO_PASSCRED)
 *   mgtest send PORT [MS]     send stdin as it is to 127.0.0.1:PORT, then
 *                             print what comes back until the server closes
 *                             or is silent for 300 ms after an answer; exit
 *                             3 if neither an answer nor a close came within
 *                             MS (default 3000) ms
 */
#include "config.h"

#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
freeport(int n)
{
	int fds[64];

	if (n < 1 || n > 64)
		return 2;
	/* Keep each bound until all are chosen, so the N are distinct. */
	for (int i = 0; i < n; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		socklen_t          len = sizeof(sin);

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 ||
		    bind(fds[i], (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
		    getsockname(fds[i], (struct sockaddr *)&sin, &len) != 0) {
			perror("freeport");
			return 1;
		}
		printf("%d\n", ntohs(sin.sin_port));
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

/* One datagram into BUF (NUL-terminated); *PID its sender's, if known. */
static ssize_t
recv_creds(int fd, char *buf, size_t size, long *pid)
{
	char            cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec    iov = { buf, size - 1 };
	struct msghdr   mh = { .msg_iov = &iov,
		  .msg_iovlen = 1,
		  .msg_control = cbuf,
		  .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	struct ucred    cred;
	ssize_t         n = recvmsg(fd, &mh, 0);

	*pid = 0;
	if (n < 0)
		return n;
	buf[n] = '\0';
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			*pid = (long)cred.pid;
		}
	return n;
}

static int
notify_listen(const char *path, int with_pid)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char               buf[4096];
	ssize_t            n;
	long               pid;
	int                fd, on = 1;

	if (strlen(path) >= sizeof(sun.sun_path))
		return 2;
	strcpy(sun.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 ||
	    (with_pid &&
		setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) !=
		    0) ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		perror("notify-listen");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((n = recv_creds(fd, buf, sizeof(buf), &pid)) >= 0) {
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = '|';
		if (with_pid)
			printf("%ld %s\n", pid, buf);
		else
			printf("%s\n", buf);
	}
	return 0;
}

static int
connect_port(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int                fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		perror("send: connect");
		return -1;
	}
	return fd;
}

static int
send_stdin(int fd)
{
	char    buf[16384];
	ssize_t n;

	while ((n = read(0, buf, sizeof(buf))) > 0)
		/* a server that closed early is an answer, not an error */
		if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
			return 0;
	return n < 0 ? -1 : 0;
}

static int
send_raw(int port, int ms)
{
	struct pollfd p = { .events = POLLIN };
	char          buf[16384];
	ssize_t       n;

	if ((p.fd = connect_port(port)) < 0 || send_stdin(p.fd) != 0)
		return 1;
	for (int got = 0;; got = 1) {
		if (poll(&p, 1, got ? 300 : ms) != 1)
			return got ? 0
				   : 3; /* a kept-alive answer, or nothing */
		if ((n = recv(p.fd, buf, sizeof(buf), 0)) <= 0)
			return 0; /* closed (or reset) by the server */
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
	}
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "freeport") == 0)
		return freeport(argc > 2 ? atoi(argv[2]) : 1);
	if ((argc == 3 || (argc == 4 && strcmp(argv[3], "pid") == 0)) &&
	    strcmp(argv[1], "notify-listen") == 0)
		return notify_listen(argv[2], argc == 4);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "send") == 0)
		return send_raw(
		    atoi(argv[2]), argc == 4 ? atoi(argv[3]) : 3000);
	fprintf(stderr,
	    "usage: mgtest freeport [N] | notify-listen PATH [pid] | "
	    "send PORT [MS]\n");
	return 2;
}
