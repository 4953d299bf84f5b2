/*
 * The access log (accesslog.h): files the master opened, one line per
 * request formatted whole and written with one write(2).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "log.h"

#define MG_ACCESSLOG_MAX 64

static struct {
	char *path;
	int   fd;
} files[MG_ACCESSLOG_MAX];
static int nfiles;

static int
find(const char *path)
{
	for (int i = 0; i < nfiles; i++)
		if (strcmp(files[i].path, path) == 0)
			return i;
	return -1;
}

static int
open_one(const char *path, char **err)
{
	int fd;

	if (strcmp(path, "off") == 0 || find(path) >= 0)
		return MG_OK;
	if (nfiles == MG_ACCESSLOG_MAX) {
		*err = strdup("too many access_log files");
		return MG_ERROR;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		if (asprintf(err,
			"open() \"%s\" failed (%s) for the access log", path,
			strerror(errno)) < 0)
			*err = NULL;
		return MG_ERROR;
	}
	files[nfiles].path = strdup(path);
	files[nfiles++].fd = fd;
	return MG_OK;
}

int
mg_accesslog_open(const mg_conf_t *conf, char **err)
{
	if (open_one(conf->http.access_log, err) != MG_OK)
		return MG_ERROR;
	for (mg_server_t *s = conf->servers; s != NULL; s = s->next) {
		if (open_one(s->http.access_log, err) != MG_OK)
			return MG_ERROR;
		for (mg_location_t *l = s->locations; l != NULL; l = l->next)
			if (open_one(l->http.access_log, err) != MG_OK)
				return MG_ERROR;
	}
	return MG_OK;
}

void
mg_accesslog_reopen(void (*send)(void *arg, int index, int fd), void *arg)
{
	for (int i = 0; i < nfiles; i++) {
		int fd = open(files[i].path,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

		if (fd < 0) {
			mg_log_errno(MG_LOG_ERROR, errno,
			    "open() \"%s\" failed "
			    "while reopening the access log",
			    files[i].path);
			continue;
		}
		close(files[i].fd);
		files[i].fd = fd;
		send(arg, i, fd);
	}
}

void
mg_accesslog_replace(int index, int fd)
{
	if (index < 0 || index >= nfiles) {
		close(fd);
		return;
	}
	close(files[index].fd);
	files[index].fd = fd;
}

/* "S" or "KIND:S" quoted, bytes outside printable ASCII, quotes and
 * backslashes as '?'; "-" when S is NULL. */
static void
quoted(const char *kind, const char *s, char *out, size_t len)
{
	size_t n = 0;

	if (s == NULL) {
		snprintf(out, len, "-");
		return;
	}
	out[n++] = '"';
	if (kind != NULL)
		n += (size_t)snprintf(out + n, len - n, "%s:", kind);
	for (; *s != '\0' && n + 2 < len; s++)
		out[n++] = *s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\'
		    ? *s
		    : '?';
	out[n++] = '"';
	out[n] = '\0';
}

static const char *
dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

void
mg_accesslog_write(const mg_http_conf_t *h, const mg_accesslog_entry_t *e)
{
	char            line[2240], when[40], code[16] = "-", subject[400];
	char            who[600];
	struct timeval  tv;
	struct tm       tm;
	struct timespec ts;
	int64_t         us;
	int             i, n;

	if (h->access_log == NULL || (i = find(h->access_log)) < 0)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = (int)strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + n, sizeof(when) - (size_t)n, ".%03ld",
	    (long)tv.tv_usec / 1000);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 -
	    mg_http_req_start_us(e->req);
	if (e->rpc_error != 0)
		snprintf(code, sizeof(code), "%d", e->rpc_error);
	quoted(
	    NULL, mg_http_req_client_subject(e->req), subject, sizeof(subject));
	quoted(
	    e->who_kind, e->who_kind != NULL ? e->who : NULL, who, sizeof(who));
	n = snprintf(line, sizeof(line),
	    "%s %s %s %s %s %s %s %s %d %s %zu %lld %s %s\n", when,
	    mg_http_req_peer(e->req), dash(e->server), dash(e->location),
	    dash(e->session), mg_http_req_method_name(e->req),
	    dash(e->rpc_method), dash(e->tool), mg_http_req_status(e->req),
	    code, mg_http_req_bytes_out(e->req), (long long)us, subject, who);
	if (n > 0 && (size_t)n < sizeof(line) &&
	    write(files[i].fd, line, (size_t)n) < 0)
		return; /* nothing to do about a failing log */
}
