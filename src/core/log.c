/*
 * The error log.  A line is formatted whole in a buffer and written with
 * one write(2) on an O_APPEND descriptor, so lines from the master and
 * every child interleave only at line boundaries.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *level_names[] = { "debug", "info", "notice", "warn", "error",
	"crit", "emerg" };

static int         log_fd = 2;
static int         log_level = MG_LOG_INFO;
static const char *log_role = "master";
static int         log_mirror; /* errors also to stderr (start-up) */

const char *
mg_log_level_name(int level)
{
	if (level < 0 || level >= (int)MG_NELEM(level_names))
		return "?";
	return level_names[level];
}

int
mg_log_level_parse(const char *name)
{
	for (size_t i = 0; i < MG_NELEM(level_names); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void
mg_log_set_role(const char *role)
{
	log_role = role;
}

const char *
mg_log_role(void)
{
	return log_role;
}

void
mg_log_set_level(int level)
{
	log_level = level;
}

int
mg_log_level(void)
{
	return log_level;
}

void
mg_log_set_mirror(int on)
{
	log_mirror = on;
}

void
mg_log_set_fd(int fd)
{
	if (log_fd > 2 && log_fd != fd)
		close(log_fd);
	log_fd = fd;
}

void
mg_log_redirect_stderr(void)
{
	if (log_fd != 2)
		dup2(log_fd, 2);
}

int
mg_log_fd(void)
{
	return log_fd;
}

int
mg_log_open(const char *path)
{
	if (strcmp(path, "stderr") == 0)
		return 2;
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

void
mg_vlog(int level, int err, const char *fmt, va_list ap)
{
	char           line[2048];
	struct timeval tv;
	struct tm      tm;
	size_t         n;
	int            r;

	if (level < log_level)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y/%m/%d %H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n,
	    ".%03ld [%s] %ld %s: ", (long)tv.tv_usec / 1000,
	    mg_log_level_name(level), (long)getpid(), log_role);
	if (r > 0)
		n += (size_t)r;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n = n + (size_t)r < sizeof(line) ? n + (size_t)r
						 : sizeof(line) - 1;
	if (err != 0 && n < sizeof(line) - 1) {
		r = snprintf(
		    line + n, sizeof(line) - n, " (%s)", strerror(err));
		if (r > 0)
			n = n + (size_t)r < sizeof(line) ? n + (size_t)r
							 : sizeof(line) - 1;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* Nothing useful can be done if the log itself fails. */
	if (write(log_fd, line, n) < 0)
		return;
	if (log_mirror && log_fd != 2 && level >= MG_LOG_ERROR &&
	    write(2, line, n) < 0)
		return;
}

void
mg_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mg_vlog(level, 0, fmt, ap);
	va_end(ap);
}

void
mg_log_errno(int level, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mg_vlog(level, err, fmt, ap);
	va_end(ap);
}

void
mg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mg_vlog(MG_LOG_EMERG, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
