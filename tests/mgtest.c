/*
 * Small tools the integration tests need and bash lacks:
 *   mgtest freeport [N]       print N free TCP ports on 127.0.0.1
 *   mgtest notify-listen PATH print each sd_notify datagram sent to PATH,
 *                             one line per message ("\n" shown as "|")
 */
#include "config.h"

#include <netinet/in.h>
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

static int
notify_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char               buf[4096];
	ssize_t            n;
	int                fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return 2;
	strcpy(sun.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		perror("notify-listen");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) >= 0) {
		buf[n] = '\0';
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = '|';
		printf("%s\n", buf);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "freeport") == 0)
		return freeport(argc > 2 ? atoi(argv[2]) : 1);
	if (argc == 3 && strcmp(argv[1], "notify-listen") == 0)
		return notify_listen(argv[2]);
	fprintf(stderr, "usage: mgtest freeport [N] | notify-listen PATH\n");
	return 2;
}
