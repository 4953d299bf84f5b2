/*
 * The control side of a child's event loop.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "child.h"
#include "crash.h"
#include "log.h"
#include "board.h"
#include "served.h"
#include "sig.h"

struct mg_child {
	mg_child_ctx_t    *ctx;
	struct event_base *base;
	mg_channel_t      *ch;
	struct event      *ev;
	mg_child_ops_t     ops;
	int                writing; /* ev includes EV_WRITE */
};

static void child_channel_cb(evutil_socket_t fd, short what, void *arg);

static void
child_want_write(mg_child_t *c, int on)
{
	if (c->writing == on)
		return;
	event_del(c->ev);
	event_assign(c->ev, c->base, mg_channel_fd(c->ch),
	    EV_READ | EV_PERSIST | (on ? EV_WRITE : 0), child_channel_cb, c);
	event_add(c->ev, NULL);
	c->writing = on;
}

static void
child_dispatch(mg_child_t *c, const mg_msg_t *m, int fd)
{
	switch (m->type) {
	case MG_MSG_QUIT:
		mg_info("gracefully shutting down");
		c->ops.quit(c->ops.arg);
		break;
	case MG_MSG_TERMINATE: c->ops.terminate(c->ops.arg); break;
	case MG_MSG_REOPEN:
		if (fd >= 0 && m->reopen.index >= 0) {
			if (c->ops.reopen_log != NULL) {
				c->ops.reopen_log(
				    c->ops.arg, m->reopen.index, fd);
				fd = -1;
			}
		} else if (fd >= 0) {
			mg_log_set_fd(fd);
			mg_log_redirect_stderr();
			fd = -1;
			mg_info("reopened the error log");
		}
		break;
	case MG_MSG_LINK:
		if (fd < 0) {
			mg_error("malformed LINK message from the master");
			break;
		}
		c->ops.link(c->ops.arg, fd, &m->link);
		fd = -1;
		break;
	default:
		mg_error("unexpected %s message from the master",
		    mg_ipc_type_name(m->type));
		break;
	}
	if (fd >= 0)
		close(fd);
}

static void
child_master_lost(mg_child_t *c, const char *why)
{
	mg_error("%s; exiting", why);
	event_del(c->ev);
	c->ops.terminate(c->ops.arg);
}

static void
child_channel_cb(evutil_socket_t fd, short what, void *arg)
{
	mg_child_t    *c = arg;
	mg_ipc_hdr_t   hdr;
	mg_msg_t       msg;
	const uint8_t *payload;
	char           why[96];
	int            rc, next, pfd;

	if (what & EV_WRITE) {
		if (mg_channel_flush(c->ch) == MG_ERROR) {
			child_master_lost(
			    c, "the channel to the master failed");
			return;
		}
		child_want_write(c, mg_channel_pending(c->ch));
	}
	if (!(what & EV_READ))
		return;
	rc = mg_channel_read(c->ch);
	while ((next = mg_channel_next(c->ch, &hdr, &payload, &pfd)) == MG_OK) {
		if (mg_msg_unpack(hdr.type, payload, hdr.len, &msg) != MG_OK) {
			if (pfd >= 0)
				close(pfd);
			snprintf(why, sizeof(why),
			    "malformed %s frame (%u bytes) from the master",
			    mg_ipc_type_name(hdr.type), (unsigned)hdr.len);
			child_master_lost(c, why);
			return;
		}
		child_dispatch(c, &msg, pfd);
	}
	if (next == MG_ERROR)
		child_master_lost(c, "bad frame from the master");
	else if (rc == MG_DECLINED)
		child_master_lost(c, "the master process is gone");
	else if (rc == MG_ERROR)
		child_master_lost(c, "the channel to the master failed");
}

mg_child_t *
mg_child_new(
    mg_child_ctx_t *ctx, struct event_base *base, const mg_child_ops_t *ops)
{
	mg_child_t *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->ctx = ctx;
	c->base = base;
	c->ops = *ops;
	if ((c->ch = mg_channel_new(ctx->channel_fd, 0)) == NULL)
		goto fail;
	evutil_make_socket_nonblocking(ctx->channel_fd);
	c->ev = event_new(
	    base, ctx->channel_fd, EV_READ | EV_PERSIST, child_channel_cb, c);
	if (c->ev == NULL || event_add(c->ev, NULL) != 0)
		goto fail;
	if (mg_signal_child_events(base, ops->terminate, ops->quit, ops->arg) !=
	    MG_OK)
		goto fail;
	return c;
fail:
	mg_child_free(c);
	return NULL;
}

int
mg_child_ready(mg_child_t *c)
{
	mg_msg_t ready = { .type = MG_MSG_READY };

	if (mg_msg_send(c->ch, 0, &ready, -1) != MG_OK)
		return MG_ERROR;
	if (mg_channel_flush(c->ch) == MG_AGAIN)
		child_want_write(c, 1);
	return MG_OK;
}

void
mg_child_free(mg_child_t *c)
{
	if (c == NULL)
		return;
	mg_signal_child_free();
	if (c->ev)
		event_free(c->ev);
	mg_channel_free(c->ch); /* closes channel_fd */
	free(c);
}

struct event_base *
mg_event_base_new(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base   *base;

	if (cfg == NULL)
		return NULL;
	/* safe: no descriptor of ours is a dup() of another */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

void
mg_memory_trim(void)
{
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
}

void
mg_child_init(mg_child_ctx_t *ctx)
{
	const mg_proc_role_t *role = ctx->proc;

	mg_signal_child_reset();
	mg_crash_init();
	mg_served_use(ctx->served_flag);
	mg_board_use(ctx->board);
	mg_log_set_mirror(0);
	mg_log_redirect_stderr();
	mg_log_set_role(role->name);
	mg_proctitle_set("%s", role->title);
	mg_proc_drop_privileges(&ctx->identity);
}
