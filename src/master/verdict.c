/*
 * A reload's verdict between the master and "mcpgw -s reload"
 * (verdict.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mcpgw.h"
#include "verdict.h"

#define VERDICT_POLL_MS 50

static char *
verdict_path(const char *pid_path)
{
	char *p = NULL;

	if (asprintf(&p, "%s.reload", pid_path) < 0)
		return NULL;
	return p;
}

int
mg_verdict_write(const char *pid_path, unsigned seq, int ok, const char *msg)
{
	char *path = verdict_path(pid_path), *tmp = NULL, line[64 + 2048];
	int   fd = -1, n, rc = MG_ERROR;

	if (path == NULL || asprintf(&tmp, "%s.new", path) < 0)
		goto out;
	n = snprintf(line, sizeof(line), "%ld %u %s %.*s\n", (long)getpid(),
	    seq, ok ? "ok" : "failed", MG_VERDICT_MSG_MAX - 1, msg);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n || close(fd) != 0 ||
	    rename(tmp, path) != 0) {
		mg_log_errno(MG_LOG_WARN, errno,
		    "cannot write the reload's verdict to \"%s\"; \"mcpgw -s "
		    "reload\" will not learn it",
		    path);
		if (fd >= 0)
			unlink(tmp);
		goto out;
	}
	rc = MG_OK;
out:
	free(tmp);
	free(path);
	return rc;
}

/* The verdict in the file, or -1 (none, or not one of ours). */
static int
verdict_read(const char *path, mg_verdict_t *v)
{
	char    buf[64 + MG_VERDICT_MSG_MAX], word[16];
	long    pid;
	int     fd, off = 0;
	ssize_t n;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (sscanf(buf, "%ld %u %15s %n", &pid, &v->seq, word, &off) < 3)
		return -1;
	v->pid = (pid_t)pid;
	v->ok = strcmp(word, "ok") == 0;
	snprintf(v->msg, sizeof(v->msg), "%s", off > 0 ? buf + off : "");
	return 0;
}

void
mg_verdict_remove(const char *pid_path)
{
	char        *path = verdict_path(pid_path);
	mg_verdict_t v;

	if (path != NULL && verdict_read(path, &v) == 0 && v.pid == getpid())
		unlink(path);
	free(path);
}

static int
verdict_wait(const char *path, pid_t pid, unsigned before, int wait_ms)
{
	struct timespec ts = { 0, VERDICT_POLL_MS * 1000000L };
	mg_verdict_t    v;

	for (int waited = 0; waited < wait_ms; waited += VERDICT_POLL_MS) {
		nanosleep(&ts, NULL);
		if (verdict_read(path, &v) == 0 && v.pid == pid &&
		    v.seq != before) {
			if (v.ok)
				return 0;
			fprintf(stderr, "mcpgw: reload failed: %s\n", v.msg);
			return 1;
		}
		if (kill(pid, 0) != 0 && errno == ESRCH) {
			fprintf(stderr,
			    "mcpgw: the master (pid %ld) exited "
			    "during the reload\n",
			    (long)pid);
			return 1;
		}
	}
	fprintf(stderr,
	    "mcpgw: no verdict from the master (pid %ld) within %d s: see "
	    "its error log\n",
	    (long)pid, wait_ms / 1000);
	return 1;
}

int
mg_verdict_reload(const char *pid_path, pid_t pid, int wait_ms)
{
	char        *path = verdict_path(pid_path);
	mg_verdict_t v;
	unsigned     before = 0;
	int          rc;

	if (path == NULL) {
		fprintf(stderr, "mcpgw: out of memory\n");
		return 1;
	}
	if (verdict_read(path, &v) == 0 && v.pid == pid)
		before = v.seq;
	if (kill(pid, SIGHUP) != 0) {
		fprintf(stderr, "mcpgw: kill(%ld, SIGHUP) failed (%s)\n",
		    (long)pid, strerror(errno));
		free(path);
		return 1;
	}
	rc = verdict_wait(path, pid, before, wait_ms);
	free(path);
	return rc;
}
