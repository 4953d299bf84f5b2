/*
 * Writing a plain socket's output at the end of the loop turn instead of
 * waiting for EV_WRITE (wflush.h says why).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "wflush.h"

struct mg_wflush {
	struct bufferevent       *bev;
	struct event             *ev;
	struct evbuffer_cb_entry *cb;
	mg_wflush_ops_t           ops;
	int                       due;
};

static int
libevent_writes(const mg_wflush_t *w)
{
	return (bufferevent_get_enabled(w->bev) & EV_WRITE) != 0;
}

static void
out_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	mg_wflush_t *w = arg;

	if (info->n_added == 0 || w->due || libevent_writes(w))
		return;
	w->due = 1;
	event_active(w->ev, 0, 0);
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	mg_wflush_t     *w = arg;
	struct evbuffer *out = bufferevent_get_output(w->bev);
	int              n, err;

	w->due = 0;
	if (libevent_writes(w) || evbuffer_get_length(out) == 0)
		return;
	/* a socket bufferevent freezes its output's start: only its own
	 * write path drains it, and so do we, the same way */
	evbuffer_unfreeze(out, 1);
	n = evbuffer_write(out, bufferevent_getfd(w->bev));
	err = EVUTIL_SOCKET_ERROR();
	evbuffer_freeze(out, 1);
	if (n < 0) {
		if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
			w->ops.failed(w->ops.arg, err);
			return;
		}
	}
	if (evbuffer_get_length(out) > 0)
		bufferevent_enable(w->bev, EV_WRITE); /* full: libevent waits */
	else if (w->ops.drained)
		w->ops.drained(w->ops.arg);
}

mg_wflush_t *
mg_wflush_new(struct event_base *base, struct bufferevent *bev,
    const mg_wflush_ops_t *ops)
{
	mg_wflush_t *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->bev = bev;
	w->ops = *ops;
	w->ev = event_new(base, -1, 0, flush_cb, w);
	w->cb = evbuffer_add_cb(bufferevent_get_output(bev), out_cb, w);
	if (w->ev == NULL || w->cb == NULL) {
		mg_wflush_free(w);
		return NULL;
	}
	bufferevent_disable(bev, EV_WRITE);
	/* what was queued before (a request written while connecting) */
	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		w->due = 1;
		event_active(w->ev, 0, 0);
	}
	return w;
}

void
mg_wflush_free(mg_wflush_t *w)
{
	if (w == NULL)
		return;
	if (w->cb)
		evbuffer_remove_cb_entry(bufferevent_get_output(w->bev), w->cb);
	if (w->ev)
		event_free(w->ev);
	free(w);
}

void
mg_wflush_idle(mg_wflush_t *w)
{
	if (w != NULL &&
	    evbuffer_get_length(bufferevent_get_output(w->bev)) == 0)
		bufferevent_disable(w->bev, EV_WRITE);
}
