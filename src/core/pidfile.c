/*
 * The pid file (pidfile.h): written by the master unless another master
 * runs, replacing a stale one; read and checked by "mcpgw -s".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pidfile.h"

pid_t
mg_pidfile_read(const char *path)
{
	char    buf[32];
	ssize_t n;
	long    pid;
	char   *end;
	int     fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		errno = EINVAL;
		return -1;
	}
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (pid <= 0 || (*end != '\n' && *end != '\0')) {
		errno = EINVAL;
		return -1;
	}
	return (pid_t)pid;
}

int
mg_pidfile_is_master(pid_t pid)
{
	char    path[64], buf[64];
	ssize_t n;
	int     fd;

	if (kill(pid, 0) != 0 && errno == ESRCH)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strncmp(buf, "mcpgw: master process", 21) == 0;
}

int
mg_pidfile_running(const char *path)
{
	pid_t old = mg_pidfile_read(path);

	if (old > 0 && old != getpid() && mg_pidfile_is_master(old)) {
		mg_error(
		    "mcpgw is already running as pid %ld (pid file \"%s\")",
		    (long)old, path);
		return 1;
	}
	return 0;
}

int
mg_pidfile_write(const char *path)
{
	char  buf[32];
	pid_t old;
	int   fd, len;

	if (mg_pidfile_running(path))
		return MG_DECLINED;
	old = mg_pidfile_read(path);
	if (old > 0 && old != getpid())
		mg_notice("replacing stale pid file \"%s\" (pid %ld is gone)",
		    path, (long)old);
	fd = open(
	    path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return MG_ERROR; /* the caller says how bad that is */
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)len) != len) {
		close(fd);
		return MG_ERROR;
	}
	close(fd);
	return MG_OK;
}

void
mg_pidfile_remove(const char *path)
{
	if (mg_pidfile_read(path) != getpid())
		return;
	if (unlink(path) != 0)
		mg_log_errno(
		    MG_LOG_WARN, errno, "unlink() \"%s\" failed", path);
}
