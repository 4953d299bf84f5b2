/*
 * sd_notify(3) without libsystemd (sdnotify.h): one datagram to
 * $NOTIFY_SOCKET, nothing outside systemd.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sdnotify.h"

static int muted;

void
mg_sd_notify_mute(int on)
{
	muted = on;
}

int
mg_sd_notify(const char *state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char        *path = getenv("NOTIFY_SOCKET");
	size_t             len;
	int                fd, rc = MG_OK;

	if (path == NULL || *path == '\0' ||
	    (muted && strncmp(state, "MAINPID=", 8) != 0))
		return MG_OK;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path)) {
		mg_warn("NOTIFY_SOCKET \"%s\" is not a socket path", path);
		return MG_ERROR;
	}
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		mg_log_errno(MG_LOG_WARN, errno,
		    "socket() failed while "
		    "notifying systemd");
		return MG_ERROR;
	}
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		(struct sockaddr *)&sun,
		(socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) <
	    0) {
		mg_log_errno(MG_LOG_WARN, errno,
		    "sendto() \"%s\" failed while "
		    "notifying systemd of \"%s\"",
		    path, state);
		rc = MG_ERROR;
	}
	close(fd);
	return rc;
}

int
mg_sd_notify_reloading(void)
{
	struct timespec ts;
	char            state[96];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
		(unsigned long long)ts.tv_nsec / 1000ULL);
	return mg_sd_notify(state);
}
