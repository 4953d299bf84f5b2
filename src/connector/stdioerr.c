/*
 * A stdio server's standard error (the connector): each line to the
 * error log named by upstream and pid, cut at STDIO_ERR_LINE bytes, at
 * most STDIO_ERR_BURST lines a STDIO_ERR_WINDOW (the rest is read and
 * dropped, and counted in one line when the window ends), so a chatty
 * server can neither fill the disk nor hold the loop; its first lines
 * kept, to say why a start failed.  Also how a process ended, in words.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "log.h"
#include "stdioup.h"

size_t
mg_stdio_errline(const char *buf, size_t len, size_t max, size_t *used)
{
	const char *nl = memchr(buf, '\n', len < max + 2 ? len : max + 2);
	size_t      n;

	if (nl == NULL) {
		*used = len >= max ? max : 0;
		return *used;
	}
	*used = (size_t)(nl - buf) + 1;
	n = (size_t)(nl - buf);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	return n > max ? max : n;
}

int
mg_stdio_errrate(mg_stdio_rate_t *r, int64_t now, long *report)
{
	*report = 0;
	if (r->window == 0 || now - r->window >= STDIO_ERR_WINDOW) {
		*report = r->dropped;
		r->window = now;
		r->lines = 0;
		r->dropped = 0;
	}
	if (r->lines >= STDIO_ERR_BURST) {
		r->dropped++;
		return 0;
	}
	r->lines++;
	return 1;
}

/* The first lines of a process that has not answered yet. */
static void
err_keep(proc_t *p, const char *line, size_t len)
{
	size_t have = strlen(p->errhead);

	if (p->live || p->errhead_lines >= STDIO_ERR_HEAD)
		return;
	if (len > STDIO_ERR_HEAD_LEN)
		len = STDIO_ERR_HEAD_LEN;
	snprintf(p->errhead + have, sizeof(p->errhead) - have, "%s%.*s",
	    have ? " | " : "", (int)len, line);
	p->errhead_lines++;
}

static void
err_dropped(const proc_t *p, long dropped)
{
	mg_warn("stdio upstream \"%s\" pid %d: %ld lines of stderr dropped "
		"(more than %d in %d ms)",
	    p->up->name, (int)p->pid, dropped, STDIO_ERR_BURST,
	    STDIO_ERR_WINDOW);
}

/* The process has exited: the lines dropped in its last window. */
void
mg_stdio_err_flush(proc_t *p)
{
	if (p->rate.dropped > 0)
		err_dropped(p, p->rate.dropped);
	p->rate.dropped = 0;
}

static void
err_log(proc_t *p, const char *line, size_t len)
{
	long dropped;

	err_keep(p, line, len);
	if (!mg_stdio_errrate(&p->rate, mg_stdio_mono_ms(), &dropped))
		return;
	if (dropped > 0)
		err_dropped(p, dropped);
	mg_info("stdio upstream \"%s\" pid %d: %.*s", p->up->name, (int)p->pid,
	    (int)len, line);
}

void
mg_stdio_err_read(struct bufferevent *bev, void *arg)
{
	proc_t          *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t           have, used, n;
	const char      *buf;

	while ((have = evbuffer_get_length(in)) > 0) {
		if (have > STDIO_ERR_LINE + 2)
			have = STDIO_ERR_LINE + 2;
		buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)have);
		n = mg_stdio_errline(buf, have, STDIO_ERR_LINE, &used);
		if (used == 0)
			break;
		err_log(p, buf, n);
		evbuffer_drain(in, used);
	}
}

void
mg_stdio_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with code %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "exited on signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "exited (status %d)", status);
}

void
mg_stdio_why(const proc_t *p, const char *status, char *buf, size_t n)
{
	if (p->live || p->bridge || p->errhead[0] == '\0')
		snprintf(buf, n, "%s%s", status,
		    p->live || p->bridge ? ""
					 : " before it answered initialize");
	else
		snprintf(buf, n,
		    "%s before it answered initialize; its stderr: %s", status,
		    p->errhead);
}
