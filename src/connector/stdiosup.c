/*
 * Stdio servers supervised (the connector): the process of a live
 * session that exits or is killed, not by us (a DELETE, the idle sweep,
 * a reload or a stop), is replaced at once under the same session id and
 * initialized with the client's own initialize params; one that keeps
 * dying waits longer each time (0, then 0.5 s doubling to 30 s; a
 * process that ran STDIO_STABLE_MS counts from 0 again).  Requests of
 * the session wait on the new process meanwhile (stdioup.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "log.h"
#include "metrics.h"
#include "stdioup.h"

int64_t
mg_stdsup_delay(int n)
{
	int64_t d = STDIO_BACKOFF_MS;

	if (n <= 0)
		return 0;
	while (--n > 0 && d < STDIO_BACKOFF_MAX)
		d *= 2;
	return d > STDIO_BACKOFF_MAX ? STDIO_BACKOFF_MAX : d;
}

int
mg_stdsup_initialize(proc_t *p, const char *init, size_t len)
{
	struct evbuffer *b = evbuffer_new();
	int              rc;

	if (b == NULL) {
		mg_stdio_stop(p, "out of memory");
		return MG_ERROR;
	}
	evbuffer_add_printf(b,
	    "{\"jsonrpc\":\"2.0\",\"id\":" STDIO_REINIT_ID
	    ",\"method\":\"initialize\",\"params\":%.*s}",
	    (int)len, init);
	rc = mg_stdio_write(
	    p, (const char *)evbuffer_pullup(b, -1), evbuffer_get_length(b));
	evbuffer_free(b);
	return rc;
}

/* Its backoff is over (or it was stopped while it waited). */
static void
sup_later(evutil_socket_t fd, short what, void *arg)
{
	proc_t *p = arg;

	(void)fd;
	(void)what;
	if (p->stopping) {
		mg_stdio_proc_free(p);
		return;
	}
	if (mg_stdio_exec(p) != MG_OK) {
		mg_stdio_stop(p, "it could not be started again");
		return;
	}
	mg_stdsup_initialize(p, p->init, strlen(p->init));
}

/* The requests that waited on DEAD, not sent yet (they came while it
 * was starting), wait on P instead. */
static void
sup_move_waiting(proc_t *dead, proc_t *p)
{
	mg_stdx_t **pp = &dead->xs, *x;

	while ((x = *pp) != NULL) {
		if (x->body == NULL || x->get || x->bridged) {
			pp = &x->next;
			continue;
		}
		*pp = x->next;
		x->next = NULL;
		mg_stdx_attach(x, p);
	}
}

void
mg_stdsup_restart(proc_t *dead, const char *why)
{
	int64_t        ran = mg_stdio_mono_ms() - dead->started_ms;
	int            n = ran >= STDIO_STABLE_MS ? 0 : dead->restarts;
	int64_t        delay = mg_stdsup_delay(n);
	struct timeval tv = { delay / 1000, (delay % 1000) * 1000 };
	const char    *sid = dead->sid[0] ? dead->sid : dead->session;
	proc_t        *p;

	mg_metrics_count(MG_M_STDIO_RESTARTS, dead->up->name, NULL);
	if ((p = mg_stdio_proc_new(dead->s, dead->up, sid)) == NULL ||
	    (p->later = evtimer_new(dead->s->base, sup_later, p)) == NULL) {
		mg_error("stdio upstream \"%s\" pid %d %s: out of memory to "
			 "restart it",
		    dead->up->name, (int)dead->pid, why);
		if (p != NULL)
			mg_stdio_proc_free(p);
		return;
	}
	p->init = dead->init;
	dead->init = NULL;
	p->live = 1;
	p->restarts = n + 1;
	sup_move_waiting(dead, p);
	if (delay == 0)
		mg_warn("stdio upstream \"%s\" pid %d %s: restarting it at "
			"once (restart %d in a row)",
		    dead->up->name, (int)dead->pid, why, p->restarts);
	else
		mg_warn("stdio upstream \"%s\" pid %d %s: restarting it in "
			"%lld ms (restart %d in a row)",
		    dead->up->name, (int)dead->pid, why, (long long)delay,
		    p->restarts);
	evtimer_add(p->later, &tv);
}
