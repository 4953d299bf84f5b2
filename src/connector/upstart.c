/*
 * An exchange that ends inside its own start (the connector): its end
 * told from the loop, after mg_upstream_start has returned its handle.
 *
 * A transport may fail at once: no descriptor for a socket or a pipe
 * (EMFILE, ENFILE), a connect refused before it is sent, no TLS object,
 * a fork that fails.  Its end then comes inside its start, before the
 * caller holds the handle, and a caller that frees itself in its end
 * would write that handle into freed memory.  So every start runs inside
 * a frame (a stack: a pool's member, a handover start inside another
 * start); the transports tell every end through mg_upstream_end, which
 * keeps an end that belongs to a running start; and the start hands back
 * a small exchange of its own row instead, whose end comes from an event
 * (as libevent's deferred callbacks, or nginx's posted events).
 */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>

#include "transport.h"

typedef struct frame {
	const mg_up_ops_t *ops; /* the caller's */
	int                ended;
	int                code;
	int                none; /* no message (NULL) */
	char               why[512];
	struct frame      *outer;
} frame_t;

/* An end kept from a start, told later. */
typedef struct {
	mg_upx_t      h;
	mg_up_ops_t   ops;
	int           code;
	int           none;
	char          why[512];
	struct event *ev;
} late_t;

static frame_t *frames; /* the starts running now, innermost first */

void
mg_upstream_end(const mg_up_ops_t *ops, int code, const char *message)
{
	for (frame_t *f = frames; f != NULL; f = f->outer)
		if (!f->ended && f->ops->arg == ops->arg &&
		    f->ops->end == ops->end) {
			f->ended = 1;
			f->code = code;
			f->none = message == NULL;
			snprintf(f->why, sizeof(f->why), "%s",
			    message ? message : "");
			return;
		}
	ops->end(ops->arg, code, message);
}

static void
late_free(late_t *l)
{
	event_free(l->ev);
	free(l);
}

static void
late_fire(evutil_socket_t fd, short what, void *arg)
{
	late_t     *l = arg;
	mg_up_ops_t ops = l->ops;
	int         code = l->code, none = l->none;
	char        why[sizeof(l->why)];

	(void)fd;
	(void)what;
	snprintf(why, sizeof(why), "%s", l->why);
	late_free(l);
	ops.end(ops.arg, code, none ? NULL : why);
}

static void
late_cancel(mg_upx_t *h)
{
	late_free((late_t *)h);
}

/* Parked or resumed: the end goes to the new ops. */
static void
late_park(mg_upx_t *h, const mg_up_ops_t *ops)
{
	((late_t *)h)->ops = *ops;
}

static void
late_resume(
    mg_upx_t *h, const mg_up_ops_t *ops, const char *body, size_t len, int caps)
{
	(void)body;
	(void)len;
	(void)caps;
	((late_t *)h)->ops = *ops;
}

static const char *
late_version(const mg_upx_t *h)
{
	(void)h;
	return "";
}

/* The row of those exchanges (in no table: only starts make them). */
static const mg_transport_t upstart_late_row = {
	.name = "ended",
	.cancel = late_cancel,
	.park = late_park,
	.resume = late_resume,
	.version = late_version,
};

mg_upx_t *
mg_upstart_run(struct event_base *base, const mg_transport_t *t, void *state,
    const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	frame_t   f = { .ops = ops, .outer = frames };
	mg_upx_t *x;
	late_t   *l;

	frames = &f;
	x = t->start(state, req, ops);
	frames = f.outer;
	if (!f.ended)
		return x; /* it runs, or could not start (no end) */
	/* it ended, and its transport has freed what X was */
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->ev = event_new(base, -1, 0, late_fire, l)) == NULL) {
		free(l);
		return NULL; /* as one that could not start: no end */
	}
	l->h.t = &upstart_late_row;
	l->ops = *ops;
	l->code = f.code;
	l->none = f.none;
	snprintf(l->why, sizeof(l->why), "%s", f.why);
	event_active(l->ev, EV_TIMEOUT, 0);
	return &l->h;
}
