/*
 * A worker process.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "child.h"
#include "link.h"
#include "log.h"
#include "worker.h"

typedef struct {
	mg_child_ctx_t    *ctx;
	struct event_base *base;
	struct evhttp     *http;
	mg_child_t        *child;
	mg_link_t         *link; /* to the connector; NULL while down */
	struct evhttp_bound_socket **bound;
	size_t                       nbound;
	int                          quitting;
} mg_worker_t;

static void
worker_terminate(void *arg)
{
	mg_worker_t *w = arg;

	event_base_loopbreak(w->base);
}

static void
worker_unbind(mg_worker_t *w)
{
	for (size_t i = 0; i < w->nbound; i++)
		if (w->bound[i] != NULL)
			evhttp_del_accept_socket(w->http, w->bound[i]);
	w->nbound = 0;
}

static void
worker_quit(void *arg)
{
	mg_worker_t *w = arg;

	if (w->quitting)
		return;
	w->quitting = 1;
	worker_unbind(w);
	/* Requests are answered within the callback for now; nothing is in
	 * flight once the loop gets here. */
	event_base_loopexit(w->base, NULL);
}

static void
worker_link_frame(
    void *arg, mg_link_t *link, const mg_ipc_hdr_t *hdr, const uint8_t *payload)
{
	if (hdr->type == MG_MSG_WELCOME) {
		mg_debug("the connector welcomed this worker");
		return;
	}
	mg_debug("%s frame from the connector", mg_ipc_type_name(hdr->type));
}

static void
worker_link_lost(void *arg, mg_link_t *link, const char *why)
{
	mg_worker_t *w = arg;

	mg_warn("lost the link to the connector: %s", why);
	w->link = NULL;
}

static void
worker_link(void *arg, int fd, const mg_msg_link_t *msg)
{
	static const mg_link_ops_t ops = { worker_link_frame, worker_link_lost,
		NULL };
	mg_worker_t               *w = arg;
	mg_link_ops_t              o = ops;
	mg_msg_link_t              hello = { w->ctx->slot, w->ctx->generation };

	o.arg = w;
	mg_link_free(w->link);
	if ((w->link = mg_link_new(w->base, fd, w->ctx->slot, &o)) == NULL) {
		mg_error("cannot set up the link to the connector");
		return;
	}
	mg_link_send(w->link, MG_MSG_HELLO, 0, &hello, sizeof(hello));
	mg_debug("linked to the connector");
}

static void
worker_request(struct evhttp_request *req, void *arg)
{
	struct evbuffer *body = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add_printf(body, "{\"error\":\"no location matches\"}\n");
	evhttp_send_reply(req, 404, "Not Found", body);
	evbuffer_free(body);
}

static int
worker_bind(mg_worker_t *w)
{
	mg_child_ctx_t *ctx = w->ctx;

	w->bound =
	    calloc(ctx->nlisteners ? ctx->nlisteners : 1, sizeof(*w->bound));
	if (w->bound == NULL)
		return MG_ERROR;
	for (size_t i = 0; i < ctx->nlisteners; i++) {
		w->bound[i] = evhttp_accept_socket_with_handle(
		    w->http, ctx->listeners[i].fd);
		if (w->bound[i] == NULL) {
			mg_error("cannot accept on %s", ctx->listeners[i].text);
			return MG_ERROR;
		}
		/* evhttp owns the descriptor now */
		ctx->listeners[i].fd = -1;
		w->nbound++;
	}
	return MG_OK;
}

static void
worker_free(mg_worker_t *w)
{
	mg_link_free(w->link);
	mg_child_free(w->child);
	if (w->http)
		evhttp_free(w->http);
	free(w->bound);
	if (w->base)
		event_base_free(w->base);
}

int
mg_worker_main(mg_child_ctx_t *ctx)
{
	mg_worker_t    w = { .ctx = ctx };
	mg_child_ops_t ops = { worker_quit, worker_terminate, worker_link, &w };
	int            rc = 1;

	mg_child_init(ctx);
	if ((w.base = event_base_new()) == NULL ||
	    (w.http = evhttp_new(w.base)) == NULL) {
		mg_error("cannot create the event loop");
		goto out;
	}
	evhttp_set_gencb(w.http, worker_request, &w);
	if ((w.child = mg_child_new(ctx, w.base, &ops)) == NULL ||
	    worker_bind(&w) != MG_OK)
		goto out;
	mg_child_ready(w.child);
	mg_info("worker %d serving", ctx->slot);
	event_base_dispatch(w.base);
	rc = 0;
out:
	worker_free(&w);
	return rc;
}
