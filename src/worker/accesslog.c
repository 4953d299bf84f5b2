/*
 * The access log (accesslog.h): the files the master opened, and the
 * worker's buffers in front of them.  Each line is formatted whole
 * (logline.c) and goes out with one write(2), or into its file's buffer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "accesslog.h"
#include "log.h"
#include "logline.h"

#define MG_ACCESSLOG_MAX 64

static struct {
	char *path;
	int   fd;
} files[MG_ACCESSLOG_MAX];
static int nfiles;

/* The worker's: a file's buffer (cap 0: none) and its timer. */
static struct {
	char         *p;
	size_t        len, cap;
	int64_t       flush; /* ms */
	struct event *timer;
} bufs[MG_ACCESSLOG_MAX];

static char  *line;
static size_t line_cap;

static int
find(const char *path)
{
	for (int i = 0; i < nfiles; i++)
		if (strcmp(files[i].path, path) == 0)
			return i;
	return -1;
}

static int
open_one(mg_access_log_t *al, char **err)
{
	int fd;

	if (al->path == NULL)
		return MG_OK;
	if ((al->index = find(al->path)) >= 0)
		return MG_OK;
	if (nfiles == MG_ACCESSLOG_MAX) {
		*err = strdup("too many access_log files (at most 64)");
		return MG_ERROR;
	}
	fd = open(al->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		if (asprintf(err,
			"open() \"%s\" failed (%s) for the access log in %s:%d",
			al->path, strerror(errno), al->pos.file,
			al->pos.line) < 0)
			*err = NULL;
		return MG_ERROR;
	}
	if ((files[nfiles].path = strdup(al->path)) == NULL) {
		close(fd);
		*err = NULL;
		return MG_ERROR;
	}
	files[nfiles].fd = fd;
	al->index = nfiles++;
	return MG_OK;
}

static int
open_list(mg_access_log_t *list, char **err)
{
	for (mg_access_log_t *al = list; al != NULL; al = al->next)
		if (open_one(al, err) != MG_OK)
			return MG_ERROR;
	return MG_OK;
}

int
mg_accesslog_open(mg_conf_t *conf, char **err)
{
	if (open_list(conf->http.access_log, err) != MG_OK)
		return MG_ERROR;
	for (mg_server_t *s = conf->servers; s != NULL; s = s->next) {
		if (open_list(s->http.access_log, err) != MG_OK)
			return MG_ERROR;
		for (mg_location_t *l = s->locations; l != NULL; l = l->next)
			if (open_list(l->http.access_log, err) != MG_OK)
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

/* All of P, or as much as the file takes (a full disk loses lines: there
 * is nothing better to do with them). */
static void
put(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void
flush_one(int i)
{
	if (bufs[i].len > 0)
		put(files[i].fd, bufs[i].p, bufs[i].len);
	bufs[i].len = 0;
	if (bufs[i].timer != NULL)
		evtimer_del(bufs[i].timer);
}

void
mg_accesslog_flush(void)
{
	for (int i = 0; i < nfiles; i++)
		flush_one(i);
}

void
mg_accesslog_replace(int index, int fd)
{
	if (index < 0 || index >= nfiles) {
		close(fd);
		return;
	}
	flush_one(index);
	close(files[index].fd);
	files[index].fd = fd;
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	flush_one((int)(intptr_t)arg);
}

static int
init_list(struct event_base *base, const mg_access_log_t *al)
{
	for (; al != NULL; al = al->next) {
		int i = al->index;

		if (al->path == NULL || i < 0 || i >= nfiles || al->buffer == 0)
			continue;
		if (bufs[i].timer == NULL &&
		    (bufs[i].timer = evtimer_new(
			 base, on_flush, (void *)(intptr_t)i)) == NULL)
			return MG_ERROR;
		if ((size_t)al->buffer > bufs[i].cap) {
			char *p = realloc(bufs[i].p, (size_t)al->buffer);

			if (p == NULL)
				return MG_ERROR;
			bufs[i].p = p;
			bufs[i].cap = (size_t)al->buffer;
		}
		if (bufs[i].flush == 0 || al->flush < bufs[i].flush)
			bufs[i].flush = al->flush;
	}
	return MG_OK;
}

int
mg_accesslog_init(struct event_base *base, const mg_conf_t *conf)
{
	int rc = init_list(base, conf->http.access_log);

	for (mg_server_t *s = conf->servers; s != NULL; s = s->next) {
		rc |= init_list(base, s->http.access_log);
		for (mg_location_t *l = s->locations; l != NULL; l = l->next)
			rc |= init_list(base, l->http.access_log);
	}
	line_cap = (size_t)conf->log_line_max;
	if ((line = malloc(line_cap)) == NULL)
		rc = MG_ERROR;
	return rc == MG_OK ? MG_OK : MG_ERROR;
}

void
mg_accesslog_free(void)
{
	mg_accesslog_flush();
	for (int i = 0; i < MG_ACCESSLOG_MAX; i++) {
		if (bufs[i].timer != NULL)
			event_free(bufs[i].timer);
		free(bufs[i].p);
		memset(&bufs[i], 0, sizeof(bufs[i]));
	}
	free(line);
	line = NULL;
}

static void
out(int i, const char *p, size_t len)
{
	struct timeval tv;

	if (bufs[i].cap == 0) {
		put(files[i].fd, p, len);
		return;
	}
	if (bufs[i].len + len > bufs[i].cap)
		flush_one(i);
	if (len > bufs[i].cap) {
		put(files[i].fd, p, len);
		return;
	}
	memcpy(bufs[i].p + bufs[i].len, p, len);
	bufs[i].len += len;
	if (!evtimer_pending(bufs[i].timer, NULL)) {
		tv.tv_sec = bufs[i].flush / 1000;
		tv.tv_usec = (bufs[i].flush % 1000) * 1000;
		evtimer_add(bufs[i].timer, &tv);
	}
}

void
mg_accesslog_write(const mg_http_conf_t *h, mg_log_ctx_t *c)
{
	const mg_log_format_t *last = NULL;
	size_t                 n = 0;

	if (line == NULL)
		return;
	for (const mg_access_log_t *al = h->access_log; al != NULL;
	     al = al->next) {
		if (al->path == NULL || al->index < 0 || al->index >= nfiles)
			continue;
		/* files of one format share the line */
		if (al->format != last) {
			n = mg_log_line(al->format, c, line, line_cap);
			last = al->format;
		}
		out(al->index, line, n);
	}
}
