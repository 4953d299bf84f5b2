/*
 * New sessions' processes (the connector), or streams of a link's row
 * (sseup.c): an initialize starts one, or, when its upstream is at
 * max_processes, waits, at most process_queue of them per upstream, each
 * at most process_queue_timeout; it gets the first slot that frees (a
 * DELETE, the idle sweep, an exit, a stream's end), in order of arrival,
 * else a 503 with a JSON-RPC error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "jsonrpc.h"
#include "log.h"
#include "metrics.h"
#include "sesstab.h"
#include "stdioup.h"

/* "stdio", or "HTTP+SSE" for a link's sessions (sseup.c), in the log. */
static const char *
wait_kind(const mg_stdio_t *s)
{
	return s->link != NULL ? "HTTP+SSE" : "stdio";
}

/* The error of a new session that finds the queue full. */
static const char *
wait_full(const mg_stdio_t *s)
{
	return s->link != NULL
	    ? "the HTTP+SSE upstream's max_processes is reached and its "
	      "process_queue is full; try again later"
	    : "the stdio server's max_processes is reached and its "
	      "process_queue is full; try again later";
}

/* The params of the client's initialize (JSON text), or NULL. */
char *
mg_stdwait_params(const char *body, size_t len)
{
	struct json_object *m = mg_json_parse(body, len), *params;
	char               *text = NULL;

	if (m != NULL && json_object_object_get_ex(m, "params", &params) &&
	    json_object_is_type(params, json_type_object))
		text = strdup(json_object_to_json_string_ext(
		    params, JSON_C_TO_STRING_PLAIN));
	json_object_put(m);
	return text;
}

proc_t *
mg_stdx_new_session(mg_stdx_t *x)
{
	char    sid[48];
	proc_t *p;

	snprintf(sid, sizeof(sid), "%s%016llx%016llx", mg_stdio_prefix(x->s),
	    (unsigned long long)mg_sesstab_new_id(),
	    (unsigned long long)mg_sesstab_new_id());
	if ((p = mg_stdio_spawn(x->s, x->up, sid)) != NULL)
		p->ready = 1;
	return p;
}

proc_t *
mg_stdwait_open(mg_stdx_t *x)
{
	proc_t *p;
	int     rc;

	if (x->s->running[x->up->index] >= x->up->max_processes) {
		if ((rc = mg_stdwait_enter(x)) == MG_OK)
			return NULL;
		mg_warn("%s upstream \"%s\": max_processes %d reached and "
			"process_queue %d full: a new session refused",
		    wait_kind(x->s), x->up->name, x->up->max_processes,
		    x->up->process_queue);
		mg_stdx_refuse_later(x, 503, STDIO_ERR,
		    rc == MG_DECLINED ? wait_full(x->s) : "out of memory");
		return NULL;
	}
	if ((p = mg_stdx_new_session(x)) == NULL)
		mg_stdx_refuse_later(
		    x, 503, STDIO_ERR, mg_stdio_no_start(x->s));
	return p;
}

static void
wait_unlink(mg_stdx_t *x)
{
	mg_stdx_t **pp;

	for (pp = &x->s->queue; *pp != NULL; pp = &(*pp)->qnext)
		if (*pp == x) {
			*pp = x->qnext;
			break;
		}
	x->qnext = NULL;
	x->queued = 0;
	x->s->queued[x->up->index]--;
	mg_metrics_gauge(MG_M_CONN_QUEUED, NULL, -1);
	if (x->qtimer != NULL)
		event_del(x->qtimer);
}

static void
wait_timeout(evutil_socket_t fd, short what, void *arg)
{
	mg_stdx_t *x = arg;
	char       why[192];

	(void)fd;
	(void)what;
	wait_unlink(x);
	snprintf(why, sizeof(why),
	    "%s upstream \"%s\": max_processes %d reached, and no %s "
	    "ended within process_queue_timeout (%lld ms); try again later",
	    wait_kind(x->s), x->up->name, x->up->max_processes,
	    x->s->link != NULL ? "stream" : "process",
	    (long long)x->up->process_queue_timeout);
	mg_warn("%s: a new session refused", why);
	mg_stdx_refuse(x, 503, STDIO_ERR, why);
}

int
mg_stdwait_enter(mg_stdx_t *x)
{
	mg_stdio_t    *s = x->s;
	int64_t        ms = x->up->process_queue_timeout;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	mg_stdx_t    **pp;

	if (s->closing || s->queued[x->up->index] >= x->up->process_queue)
		return MG_DECLINED;
	if (x->qtimer == NULL &&
	    (x->qtimer = evtimer_new(s->base, wait_timeout, x)) == NULL)
		return MG_ERROR;
	for (pp = &s->queue; *pp != NULL; pp = &(*pp)->qnext)
		;
	*pp = x;
	x->queued = 1;
	s->queued[x->up->index]++;
	mg_metrics_gauge(MG_M_CONN_QUEUED, NULL, 1);
	evtimer_add(x->qtimer, &tv);
	mg_info("%s upstream \"%s\": max_processes %d reached: a new "
		"session waits (%d waiting, process_queue %d)",
	    wait_kind(s), x->up->name, x->up->max_processes,
	    s->queued[x->up->index], x->up->process_queue);
	return MG_OK;
}

void
mg_stdwait_leave(mg_stdx_t *x)
{
	if (x->queued)
		wait_unlink(x);
	if (x->qtimer != NULL) {
		event_free(x->qtimer);
		x->qtimer = NULL;
	}
}

/* A process of UP ended: the oldest waiting session of UP gets its slot. */
void
mg_stdwait_slot(mg_stdio_t *s, const mg_upstream_t *up)
{
	mg_stdx_t *x;
	proc_t    *p;

	while (!s->closing && s->running[up->index] < up->max_processes) {
		for (x = s->queue; x != NULL && x->up != up; x = x->qnext)
			;
		if (x == NULL)
			return;
		wait_unlink(x);
		if ((p = mg_stdx_new_session(x)) == NULL) {
			mg_stdx_refuse(x, 503, STDIO_ERR, mg_stdio_no_start(s));
			continue;
		}
		if (p->link != NULL)
			mg_info("HTTP+SSE upstream \"%s\": a waiting session "
				"got a stream",
			    up->name);
		else
			mg_info("stdio upstream \"%s\": a waiting session got "
				"pid %d",
			    up->name, (int)p->pid);
		mg_stdx_attach(x, p);
		mg_stdx_send(x);
	}
}

void
mg_stdwait_refuse_all(mg_stdio_t *s, const char *why)
{
	mg_stdx_t *x;

	while ((x = s->queue) != NULL) {
		wait_unlink(x);
		mg_stdx_refuse(x, 503, STDIO_ERR, why);
	}
}
