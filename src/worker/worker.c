/*
 * A worker process: accepts agents' connections on the listening sockets
 * it inherited, picks a server by Host and a location by path, and hands
 * MCP requests to the phases (phase.c).  Upstream work goes to the connector
 * over the link; the worker never waits on anything.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "accesslog.h"
#include "authkeys.h"
#include "child.h"
#include "http.h"
#include "limit.h"
#include "lstore.h"
#include "link.h"
#include "log.h"
#include "served.h"
#include "authmeta.h"
#include "board.h"
#include "mcp.h"
#include "proxy.h"
#include "selfconn.h"
#include "session.h"
#include "worker.h"

/* A request for the connector while there is none (it died; the master
 * starts a new one at once) waits this long for the new one's link. */
#define MG_RELAY_HOLD_MS 3000
/* A quitting worker keeps an idle connection this long (or half the
 * shutdown_timeout the master gives it): longer than clients keep idle
 * ones (Node's fetch 4 s), so that they close it first and none sends a
 * request on it as it closes. */
#define MG_DRAIN_IDLE_MS 5000

/* One listening socket as this worker serves it. */
typedef struct {
	struct mg_worker      *w;
	struct evconnlistener *evl;
	const mg_listener_t   *l;
	const mg_server_t    **servers; /* those that listen here, in order */
	size_t                 nservers;
	mg_http_limits_t       limits; /* from the first (default) server */
	struct ssl_ctx_st     *tls;    /* "listen ... ssl": the default's */
	int                    loopback;
} mg_wlisten_t;

typedef struct mg_worker {
	mg_child_ctx_t    *ctx;
	struct event_base *base;
	mg_child_t        *child;
	mg_link_t         *link; /* to the connector; NULL while down */
	mg_wlisten_t      *listens;
	size_t             nlistens;
	mg_session_key_t  *key;
	mg_mcp_ctx_t      *mcp;
	mg_proxy_t        *proxy;
	mg_http_handler_t  handler;
	mg_limit_conns_t  *conns;  /* connections_per_address */
	struct event      *drain;  /* while quitting: exit when idle */
	int                paused; /* accepting stopped: worker_connections */
	int                quitting;
	int                conns_peak; /* since memory was last trimmed */
	int64_t starved_until; /* accepting stopped: no descriptor (ms) */
} mg_worker_t;

/* ---- routing --------------------------------------------------------- */

static const mg_server_t *
route_server(const mg_wlisten_t *wl, const char *host)
{
	for (size_t i = 0; host != NULL && i < wl->nservers; i++)
		for (size_t j = 0; j < wl->servers[i]->nnames; j++)
			if (strcasecmp(wl->servers[i]->names[j], host) == 0)
				return wl->servers[i];
	return wl->servers[0]; /* the default server of the socket */
}

/* "location = /x" exactly, else the longest prefix. */
static const mg_location_t *
route_location(const mg_server_t *srv, const char *path)
{
	const mg_location_t *best = NULL;
	size_t               best_len = 0, len;

	for (const mg_location_t *l = srv->locations; l; l = l->next) {
		len = strlen(l->path);
		if (l->exact) {
			if (strcmp(l->path, path) == 0)
				return l;
			continue;
		}
		if (len > best_len && strncmp(l->path, path, len) == 0) {
			best = l;
			best_len = len;
		}
	}
	return best;
}

static const mg_location_t *
route(mg_http_req_t *req, const mg_server_t **srv)
{
	const mg_wlisten_t *wl = mg_http_req_listener(req);

	*srv = route_server(wl, mg_http_req_host(req));
	return route_location(*srv, mg_http_req_path(req));
}

/* ---- HTTP callbacks --------------------------------------------------- */

static size_t
on_headers(void *arg, mg_http_req_t *req)
{
	mg_worker_t         *w = arg;
	const mg_server_t   *srv;
	const mg_location_t *loc = route(req, &srv);
	struct ssl_ctx_st   *tls = mg_http_req_tls_ctx(req);

	const char *suffix;

	if (mg_mcp_headers(req, srv,
		tls != NULL ? w->ctx->tls->servers[srv->index] : NULL) != MG_OK)
		return 0;
	if (mg_authmeta_path(req, &suffix)) {
		mg_authmeta_reply(req, srv, route_location(srv, suffix), suffix,
		    ((const mg_wlisten_t *)mg_http_req_listener(req))
			->loopback);
		return 0;
	}
	if (loc == NULL) {
		mg_http_reply_error(req, 404, -32600,
		    "Not Found: no MCP "
		    "endpoint at this path");
		return 0;
	}
	mg_http_req_set_body_timeout(req, loc->http.client_body_timeout);
	return (size_t)loc->http.client_max_body_size;
}

static void
on_request(void *arg, mg_http_req_t *req)
{
	mg_worker_t         *w = arg;
	const mg_server_t   *srv;
	const mg_location_t *loc = route(req, &srv);
	const mg_wlisten_t  *wl = mg_http_req_listener(req);

	mg_mcp_handle(w->mcp, req, srv, loc, wl->loopback);
}

static void
on_aborted(void *arg, mg_http_req_t *req)
{
	mg_mcp_aborted(req);
}

static void
on_done(void *arg, mg_http_req_t *req)
{
	mg_worker_t *w = arg;

	mg_mcp_done(w->mcp, req);
}

static void
on_closed(void *arg, const struct sockaddr *peer)
{
	mg_worker_t *w = arg;

	mg_limit_conn_close(w->conns, peer);
}

/* ---- accepting -------------------------------------------------------- */

static void
accept_pause(mg_worker_t *w, int pause)
{
	if (w->paused == pause || w->quitting)
		return;
	for (size_t i = 0; i < w->nlistens; i++) {
		if (pause)
			evconnlistener_disable(w->listens[i].evl);
		else if (w->starved_until == 0) /* else the tick will */
			evconnlistener_enable(w->listens[i].evl);
	}
	w->paused = pause;
	if (pause)
		mg_warn("worker_connections (%d) reached: not accepting until "
			"a connection closes",
		    w->ctx->conf->worker_connections);
}

static void
on_accept(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	mg_wlisten_t   *wl = arg;
	mg_worker_t    *w = wl->w;
	mg_http_conn_t *c;
	int             rc = mg_limit_conn_open(w->conns, sa);

	mg_served_mark(); /* a crash from now on is no start-up failure */
	/* one client may not take all of this worker's connections */
	if (rc == MG_BUSY) {
		mg_limit_conn_refuse(w->conns, fd, sa, wl->tls != NULL);
		return;
	}
	c = mg_http_conn_new(w->base, fd, sa, (socklen_t)salen, wl, wl->tls,
	    &wl->limits, &w->handler);
	if (rc == MG_OK && c == NULL)
		mg_limit_conn_close(w->conns, sa);
	else if (rc == MG_OK)
		mg_http_conn_watch(c);
	if (mg_http_conn_count() >= w->ctx->conf->worker_connections)
		accept_pause(w, 1);
}

static void
on_accept_error(struct evconnlistener *evl, void *arg)
{
	mg_wlisten_t *wl = arg;
	mg_worker_t  *w = wl->w;
	int           err = EVUTIL_SOCKET_ERROR();

	(void)evl;
	/* out of descriptors or memory: the listening socket stays
	 * readable, and accept() would fail again at once, the loop spinning;
	 * accepting stops for accept_retry_delay (the clients wait in the
	 * listen queue; nginx waits so too) */
	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		if (w->starved_until == 0) {
			mg_log_errno(MG_LOG_WARN, err,
			    "accept() on %s failed: not accepting for "
			    "%d ms",
			    wl->l->text, (int)w->ctx->conf->accept_retry_delay);
			for (size_t i = 0; i < w->nlistens; i++)
				evconnlistener_disable(w->listens[i].evl);
		}
		w->starved_until =
		    mg_board_mono_ms() + w->ctx->conf->accept_retry_delay;
		return;
	}
	mg_log_errno(MG_LOG_ERROR, err, "accept() on %s failed", wl->l->text);
}

/* After a burst of connections closed (a thousand or more since the
 * peak), what they held goes back to the system, not to the heap only. */
static void
worker_trim(mg_worker_t *w)
{
	int n = mg_http_conn_count();

	if (n > w->conns_peak)
		w->conns_peak = n;
	else if (w->conns_peak - n >= 1000) {
		mg_memory_trim();
		w->conns_peak = n;
	}
}

/* Connections close elsewhere; this tick resumes accepting and ends a
 * quitting worker once it has nothing left to answer.  While it quits,
 * a client may still send one more request on a connection it kept
 * (the answer says Connection: close): a stream that would never end,
 * opened so, is ended at the next tick. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	mg_worker_t *w = arg;

	if (w->starved_until != 0 && mg_board_mono_ms() >= w->starved_until) {
		w->starved_until = 0;
		for (size_t i = 0;
		     !w->paused && !w->quitting && i < w->nlistens; i++)
			evconnlistener_enable(w->listens[i].evl);
	}
	if (w->paused &&
	    mg_http_conn_count() < w->ctx->conf->worker_connections)
		accept_pause(w, 0);
	if (w->quitting) {
		int64_t idle = w->ctx->conf->shutdown_timeout / 2;

		if (idle > MG_DRAIN_IDLE_MS)
			idle = MG_DRAIN_IDLE_MS;
		mg_mcp_stop(w->mcp);
		if (mg_http_conn_drain_all(idle) == 0)
			event_base_loopexit(w->base, NULL);
	}
	worker_trim(w);
}

static int
is_loopback(const mg_listener_t *l)
{
	const struct sockaddr_in  *sin = (const void *)&l->addr;
	const struct sockaddr_in6 *sin6 = (const void *)&l->addr;

	if (l->addr.ss_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	return l->addr.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
}

static int
same_addr(const mg_listener_t *l, const mg_listen_t *c)
{
	return l->addrlen == c->addrlen &&
	    memcmp(&l->addr, &c->addr, c->addrlen) == 0;
}

/* Every server on an address agrees on ssl (conf.c checks). */
static int
l_is_ssl(const mg_conf_t *conf, const mg_listener_t *l)
{
	for (const mg_server_t *s = conf->servers; s; s = s->next)
		for (const mg_listen_t *c = s->listens; c; c = c->next)
			if (same_addr(l, c))
				return c->ssl;
	return 0;
}

/* SNI: the certificate of the server the client names. */
static struct ssl_ctx_st *
sni_find(void *arg, const char *name)
{
	mg_wlisten_t *wl = arg;

	for (size_t i = 0; i < wl->nservers; i++)
		for (size_t j = 0; j < wl->servers[i]->nnames; j++)
			if (strcasecmp(wl->servers[i]->names[j], name) == 0)
				return wl->w->ctx->tls
				    ->servers[wl->servers[i]->index];
	return NULL;
}

/* The servers that listen on L, and the limits of the first of them. */
static int
listen_setup(mg_worker_t *w, mg_wlisten_t *wl, const mg_listener_t *l)
{
	const mg_conf_t *conf = w->ctx->conf;

	wl->w = w;
	wl->l = l;
	wl->loopback = is_loopback(l);
	for (const mg_server_t *s = conf->servers; s; s = s->next)
		for (const mg_listen_t *c = s->listens; c; c = c->next)
			if (same_addr(l, c)) {
				const mg_server_t **v = realloc(wl->servers,
				    (wl->nservers + 1) * sizeof(*v));

				if (v == NULL)
					return MG_ERROR;
				wl->servers = v;
				v[wl->nservers++] = s;
				break;
			}
	if (wl->nservers == 0)
		return MG_ERROR;
	wl->limits = (mg_http_limits_t){
		(size_t)wl->servers[0]->http.client_max_header_size,
		wl->servers[0]->http.client_max_headers,
		wl->servers[0]->http.client_header_timeout,
		wl->servers[0]->http.client_body_timeout,
		wl->servers[0]->http.keepalive_timeout,
		(size_t)wl->servers[0]->http.client_max_body_size,
		wl->servers[0]->tls.handshake_timeout,
	};
	if (l_is_ssl(w->ctx->conf, l)) {
		wl->tls = w->ctx->tls->servers[wl->servers[0]->index];
		mg_tls_server_sni(wl->tls, sni_find);
	}
	wl->evl = evconnlistener_new(
	    w->base, on_accept, wl, LEV_OPT_CLOSE_ON_FREE, -1, l->fd);
	if (wl->evl == NULL)
		return MG_ERROR;
	evconnlistener_set_error_cb(wl->evl, on_accept_error);
	return MG_OK;
}

static int
worker_listen(mg_worker_t *w)
{
	mg_child_ctx_t *ctx = w->ctx;

	w->listens =
	    calloc(ctx->nlisteners ? ctx->nlisteners : 1, sizeof(*w->listens));
	if (w->listens == NULL)
		return MG_ERROR;
	for (size_t i = 0; i < ctx->nlisteners; i++) {
		if (listen_setup(w, &w->listens[w->nlistens],
			&ctx->listeners[i]) != MG_OK) {
			mg_error("cannot accept on %s", ctx->listeners[i].text);
			return MG_ERROR;
		}
		w->nlistens++;
		ctx->listeners[i].fd = -1; /* the listener owns it now */
	}
	return MG_OK;
}

/* Stop accepting; requests in flight still route through w->listens. */
static void
worker_unlisten(mg_worker_t *w)
{
	for (size_t i = 0; i < w->nlistens; i++) {
		if (w->listens[i].evl)
			evconnlistener_free(w->listens[i].evl);
		w->listens[i].evl = NULL;
	}
}

/* ---- the master's word and the connector link ------------------------- */

static void
worker_terminate(void *arg)
{
	mg_worker_t *w = arg;

	event_base_loopbreak(w->base);
}

static void
worker_quit(void *arg)
{
	mg_worker_t *w = arg;

	if (w->quitting)
		return;
	worker_unlisten(w);
	w->quitting = 1;
	mg_accesslog_flush();
	/* a connector that goes now is not replaced for this generation */
	mg_proxy_set_hold(w->proxy, w->base, 0);
	on_tick(-1, 0, w);
}

static void
worker_link_frame(
    void *arg, mg_link_t *link, const mg_ipc_hdr_t *hdr, const mg_msg_t *m)
{
	mg_worker_t *w = arg;
	char         id[MG_MSG_CANCEL_ID_MAX + 1];

	switch (hdr->type) {
	case MG_MSG_WELCOME:
		mg_debug("the connector welcomed this worker");
		break;
	case MG_MSG_CANCEL_FWD:
		mg_mcp_cancel_remote(w->mcp, m->note.session,
		    mg_msg_cstr(m->note.text, id, sizeof(id)));
		break;
	case MG_MSG_ANSWER_FWD:
		mg_mcp_answer_remote(
		    w->mcp, m->note.session, m->note.text.p, m->note.text.len);
		break;
	case MG_MSG_NOTIFY_FWD:
		mg_mcp_notify_remote(w->mcp, m->note.session, hdr->id,
		    m->note.text.p, m->note.text.len);
		break;
	case MG_MSG_RESP_HEAD:
	case MG_MSG_RESP_DATA:
	case MG_MSG_RESP_END:
	case MG_MSG_RESP_EVENT: mg_proxy_frame(w->proxy, hdr, m); break;
	case MG_MSG_RESUME_FWD:
		mg_mcp_peer_resume(w->mcp, hdr->id, &m->resume);
		break;
	case MG_MSG_PEER_CANCEL: mg_mcp_peer_cancel(w->mcp, hdr->id); break;
	case MG_MSG_JWKS: mg_authkeys_set(&m->keys); break;
	default:
		mg_debug(
		    "%s frame from the connector", mg_ipc_type_name(hdr->type));
		break;
	}
}

static void
worker_link_lost(void *arg, mg_link_t *link, const char *why)
{
	mg_worker_t *w = arg;

	mg_warn("lost the link to the connector: %s", why);
	w->link = NULL;
	mg_proxy_set_link(w->proxy, NULL);
	mg_authkeys_set_link(NULL);
	mg_mcp_peers_lost(w->mcp);
}

/* notifications/cancelled, or a client's response, for a call of another
 * worker: via the connector, which tells every other worker. */
static void
worker_forward(
    void *arg, mg_mcp_fwd_t what, uint64_t session, const char *text, size_t n)
{
	mg_worker_t *w = arg;
	mg_msg_t     m = { .type = what == MG_MCP_FWD_CANCEL ? MG_MSG_CANCEL
							     : MG_MSG_ANSWER,
		    .note = { session, { text, n } } };

	/* the codec refuses cancels' ids of 256 bytes or more */
	if (w->link != NULL)
		mg_link_send_msg(w->link, 0, &m);
}

static void
worker_link(void *arg, int fd, const mg_msg_link_t *msg)
{
	static const mg_link_ops_t ops = { worker_link_frame, worker_link_lost,
		NULL };
	mg_worker_t               *w = arg;
	mg_link_ops_t              o = ops;
	mg_msg_t                   hello = { .type = MG_MSG_HELLO,
				  .link = { w->ctx->slot, w->ctx->generation } };

	o.arg = w;
	mg_proxy_set_link(w->proxy, NULL);
	mg_mcp_peers_lost(w->mcp);
	mg_authkeys_set_link(NULL);
	mg_link_free(w->link);
	if ((w->link = mg_link_new(w->base, fd, w->ctx->slot, &o)) == NULL) {
		mg_error("cannot set up the link to the connector");
		return;
	}
	/* HELLO first, then the requests that waited for the link */
	mg_link_send_msg(w->link, 0, &hello);
	mg_proxy_set_link(w->proxy, w->link);
	mg_authkeys_set_link(w->link);
	mg_debug("linked to the connector");
}

static void
worker_free(mg_worker_t *w)
{
	mg_http_conn_close_all();
	mg_limit_conns_free(w->conns);
	mg_mcp_ctx_free(w->mcp);
	mg_proxy_free(w->proxy);
	mg_authkeys_free();
	mg_link_free(w->link);
	mg_child_free(w->child);
	worker_unlisten(w);
	mg_accesslog_free(); /* the last lines kept are written */
	mg_lstore_free();
	for (size_t i = 0; i < w->nlistens; i++)
		free(w->listens[i].servers);
	free(w->listens);
	if (w->drain)
		event_free(w->drain);
	mg_session_key_free(w->key);
	if (w->base)
		event_base_free(w->base);
}

static int
worker_setup(mg_worker_t *w)
{
	mg_child_ctx_t *ctx = w->ctx;
	struct timeval  tick = { 0, 100 * 1000 };

	if ((w->base = mg_event_base_new()) == NULL) {
		mg_error("cannot create the event loop");
		return MG_ERROR;
	}
	w->key = mg_session_key_new(ctx->session_ikm, ctx->session_ikm_len);
	w->mcp = mg_mcp_ctx_new(w->base, ctx->sessions, w->key, ctx->conf);
	w->proxy = mg_proxy_new();
	w->drain = event_new(w->base, -1, EV_PERSIST, on_tick, w);
	w->conns = mg_limit_conns_new(
	    ctx->conf->worker_connections, ctx->conf->connections_per_address);
	if (w->key == NULL || w->mcp == NULL || w->proxy == NULL ||
	    mg_authkeys_init(ctx->conf) != MG_OK ||
	    mg_accesslog_init(w->base, ctx->conf) != MG_OK ||
	    mg_lstore_init(w->base, ctx->conf) != MG_OK ||
	    mg_proxy_set_hold(w->proxy, w->base, MG_RELAY_HOLD_MS) != MG_OK ||
	    w->drain == NULL || w->conns == NULL ||
	    event_add(w->drain, &tick) != 0) {
		mg_error("cannot set up the MCP endpoints");
		return MG_ERROR;
	}
	mg_mcp_set_forward(w->mcp, worker_forward, w);
	mg_mcp_set_worker(w->mcp, ctx->slot, ctx->generation);
	mg_mcp_set_proxy(w->mcp, w->proxy);
	w->handler = (mg_http_handler_t){ on_headers, on_request, on_aborted,
		on_done, w, on_closed };
	return MG_OK;
}

static void
worker_reopen_log(void *arg, int index, int fd)
{
	(void)arg;
	mg_accesslog_replace(index, fd);
}

int
mg_worker_main(mg_child_ctx_t *ctx)
{
	mg_worker_t    w = { .ctx = ctx };
	mg_child_ops_t ops = { worker_quit, worker_terminate, worker_link,
		worker_reopen_log, &w };
	int            rc = 1;

	mg_child_init(ctx);
	if (worker_setup(&w) != MG_OK ||
	    (w.child = mg_child_new(ctx, w.base, &ops)) == NULL ||
	    worker_listen(&w) != MG_OK)
		goto out;
	mg_child_ready(w.child);
	mg_info("worker %d serving", ctx->slot);
	event_base_dispatch(w.base);
	rc = 0;
out:
	worker_free(&w);
	return rc;
}
