/*
 * Connecting by name (dial.h): a non-blocking connect() to each address
 * the resolver gives, in its order, until one succeeds.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "dial.h"
#include "log.h"

struct mg_dial {
	struct event_base *base;
	mg_resolver_t     *r;
	mg_resolve_req_t  *q;
	char              *host;
	mg_dial_cb         cb;
	void              *arg;
	mg_addrs_t         addrs;
	size_t             next;
	evutil_socket_t    fd;
	struct event      *ev;
	char               err[200];
	/* mg_dial_bev's */
	struct bufferevent *bev;
	int                 tls;
	mg_dial_failed_cb   failed;
	mg_dial_t         **slot; /* the caller's handle: NULL once done */
};

static void dial_next(mg_dial_t *d);

static void
dial_end(mg_dial_t *d, evutil_socket_t fd)
{
	mg_dial_t c = *d; /* what the call needs, d gone */

	d->fd = -1;
	if (d->slot != NULL)
		*d->slot = NULL;
	mg_dial_cancel(d);
	if (c.bev == NULL)
		c.cb(c.arg, fd, fd < 0 ? c.err : NULL);
	else if (fd < 0)
		c.failed(c.arg, c.err);
	else {
		bufferevent_setfd(c.bev, fd);
		/* TLS says it after its handshake */
		if (!c.tls)
			bufferevent_trigger_event(
			    c.bev, BEV_EVENT_CONNECTED, 0);
	}
}

/* The connect to the address before d->next failed with ERRNO_. */
static void
dial_failed(mg_dial_t *d, int errno_)
{
	const struct sockaddr *sa =
	    (const struct sockaddr *)&d->addrs.a[d->next - 1];
	char        text[64] = "?";
	const void *in = sa->sa_family == AF_INET
	    ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
	    : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

	evutil_inet_ntop(sa->sa_family, in, text, sizeof(text));
	snprintf(d->err, sizeof(d->err), "connect() to %s (\"%s\") failed (%s)",
	    text, d->host, strerror(errno_));
	mg_resolve_failed(d->r, d->host, sa);
	if (d->next < d->addrs.n)
		mg_warn("%s, trying its next address", d->err);
	if (d->ev != NULL) {
		event_free(d->ev);
		d->ev = NULL;
	}
	close(d->fd);
	d->fd = -1;
	dial_next(d);
}

static void
dial_writable(evutil_socket_t fd, short what, void *arg)
{
	mg_dial_t *d = arg;
	int        err = 0;
	socklen_t  len = sizeof(err);

	(void)what;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		dial_failed(d, err);
		return;
	}
	dial_end(d, fd);
}

static void
dial_next(mg_dial_t *d)
{
	const struct sockaddr_storage *ss;

	if (d->next >= d->addrs.n) {
		dial_end(d, -1);
		return;
	}
	ss = &d->addrs.a[d->next++];
	d->fd = socket(
	    ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0) {
		snprintf(d->err, sizeof(d->err), "socket() failed (%s)",
		    strerror(errno));
		dial_end(d, -1);
		return;
	}
	if (connect(d->fd, (const struct sockaddr *)ss,
		ss->ss_family == AF_INET ? sizeof(struct sockaddr_in)
					 : sizeof(struct sockaddr_in6)) == 0) {
		dial_end(d, d->fd);
		return;
	}
	if (errno != EINPROGRESS) {
		dial_failed(d, errno);
		return;
	}
	d->ev = event_new(d->base, d->fd, EV_WRITE, dial_writable, d);
	if (d->ev == NULL || event_add(d->ev, NULL) != 0) {
		snprintf(d->err, sizeof(d->err), "out of memory");
		dial_end(d, -1);
	}
}

static void
dial_resolved(void *arg, const mg_addrs_t *addrs, const char *err)
{
	mg_dial_t *d = arg;

	d->q = NULL;
	if (addrs == NULL) {
		snprintf(d->err, sizeof(d->err), "%s", err);
		dial_end(d, -1);
		return;
	}
	d->addrs = *addrs;
	dial_next(d);
}

mg_dial_t *
mg_dial(struct event_base *base, mg_resolver_t *r, const char *host,
    const char *port, mg_dial_cb cb, void *arg)
{
	mg_dial_t *d = calloc(1, sizeof(*d));

	if (d == NULL || (d->host = strdup(host)) == NULL) {
		free(d);
		return NULL;
	}
	d->base = base;
	d->r = r;
	d->cb = cb;
	d->arg = arg;
	d->fd = -1;
	if ((d->q = mg_resolve(r, host, port, dial_resolved, d)) == NULL) {
		mg_dial_cancel(d);
		return NULL;
	}
	return d;
}

int
mg_dial_bev(struct bufferevent *bev, mg_resolver_t *r, const char *host,
    const char *port, int tls, mg_dial_t **slot, mg_dial_failed_cb failed,
    void *arg)
{
	mg_dial_t *d =
	    mg_dial(bufferevent_get_base(bev), r, host, port, NULL, arg);

	if (d != NULL) {
		d->bev = bev;
		d->tls = tls;
		d->failed = failed;
		d->slot = slot;
	}
	return (*slot = d) != NULL ? 0 : -1;
}

void
mg_dial_cancel(mg_dial_t *d)
{
	if (d == NULL)
		return;
	mg_resolve_cancel(d->q);
	if (d->ev != NULL)
		event_free(d->ev);
	if (d->fd >= 0)
		close(d->fd);
	free(d->host);
	free(d);
}

/* ---- addresses in turn, for evhttp ------------------------------------ */

struct mg_turn {
	mg_resolver_t    *r;
	mg_resolve_req_t *q;
	char             *host;
	mg_turn_cb        ready;
	void             *arg;
	mg_addrs_t        addrs;
	size_t            next;
	char              text[64];
	struct event     *again;
};

static void
turn_give(evutil_socket_t fd, short what, void *arg)
{
	mg_turn_t             *t = arg;
	const struct sockaddr *sa =
	    (const struct sockaddr *)&t->addrs.a[t->next++];

	(void)fd;
	(void)what;
	evutil_inet_ntop(sa->sa_family,
	    sa->sa_family == AF_INET
		? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
		: (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr,
	    t->text, sizeof(t->text));
	t->ready(t->arg, NULL);
}

static void
turn_resolved(void *arg, const mg_addrs_t *addrs, const char *err)
{
	mg_turn_t *t = arg;

	t->q = NULL;
	if (addrs == NULL) {
		t->ready(t->arg, err);
		return;
	}
	t->addrs = *addrs;
	turn_give(-1, 0, t);
}

mg_turn_t *
mg_turn_new(struct event_base *base, mg_resolver_t *r, const char *host,
    const char *port, mg_turn_cb ready, void *arg)
{
	mg_turn_t *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->r = r;
	t->ready = ready;
	t->arg = arg;
	if ((t->host = strdup(host)) == NULL ||
	    (t->again = event_new(base, -1, 0, turn_give, t)) == NULL ||
	    (t->q = mg_resolve(r, host, port, turn_resolved, t)) == NULL) {
		mg_turn_free(t);
		return NULL;
	}
	return t;
}

const char *
mg_turn_addr(const mg_turn_t *t)
{
	return t->text;
}

int
mg_turn_next(mg_turn_t *t)
{
	if (t->next == 0)
		return 0;
	mg_resolve_failed(
	    t->r, t->host, (const struct sockaddr *)&t->addrs.a[t->next - 1]);
	if (t->next >= t->addrs.n)
		return 0;
	mg_warn("cannot connect to %s (\"%s\"), trying its next address",
	    t->text, t->host);
	event_active(t->again, 0, 0);
	return 1;
}

void
mg_turn_free(mg_turn_t *t)
{
	if (t == NULL)
		return;
	mg_resolve_cancel(t->q);
	if (t->again != NULL)
		event_free(t->again);
	free(t->host);
	free(t);
}
