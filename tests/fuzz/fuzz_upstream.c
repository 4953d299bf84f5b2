/*
 * The connector's reading of upstream answers (upstream.c): status line,
 * headers, bodies (Content-Length, chunked, to the end of the
 * connection), JSON and SSE answers, and the exchanges they drive (a
 * forgotten session opened again, server/discover, the bridge's session
 * for 2026-07-28 clients).
 *
 * The real code path: mg_upstream_start on a configuration whose
 * upstreams are this process's own listening socket on 127.0.0.1; each
 * connection the exchange opens is accepted here and answered with the
 * next part of the input, written in two pieces with a turn of the loop
 * between them, then the end of the stream.
 *
 * Input: a mode byte (which upstream, initialize, method, a session to
 * forget, a 2026-07-28 client, cancel half-way), a byte that picks where
 * each answer is cut, then the answers, one per connection, separated by
 * NUL bytes.  A connection with no answer left is reset.  Properties:
 *   - the exchange always ends (a stall is a libFuzzer timeout): end is
 *     called exactly once, or never after mg_upstream_cancel;
 *   - nothing is called after end; head at most once, and before any
 *     data or event; what the calls carry is readable (the sanitizers);
 *   - once the exchange and those it started on its own (the bridge's
 *     answers to the upstream) are over, mg_upstreams_free leaves nothing
 *     in the loop, and no memory behind (LeakSanitizer).
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "fuzz.h"
#include "http.h"
#include "ipc.h"
#include "tls.h"
#include "upstream.h"

/* Connections held at once; the bridge may open one per request the
 * upstream sent, so more are reset (the oldest answered one, or a new
 * one while too many wait). */
#define MAX_CONNS 64

static struct event_base *base;
static int                lfd = -1;
static struct event      *accept_ev;
static mg_conf_t         *conf;
static mg_tls_set_t       tls;
static int                idle_events; /* in the loop between runs */

/* One input's exchange, as its ops see it, and the answers to give. */
typedef struct {
	const uint8_t *p, *end; /* the answers not given yet */
	unsigned       cut;     /* 0..255: where each answer is cut */
	int            cancel;  /* cancel after the first piece */
	mg_upx_t      *x;
	int            heads, ended, cancelled;
	unsigned       sum;
	int            pending[MAX_CONNS]; /* accepted, not answered */
	int            npending;
	int            open[MAX_CONNS]; /* answered, not closed yet */
	int            nopen;
} run_t;

static run_t run;

static void
touch(const char *p, size_t len)
{
	FUZZ_ASSERT(!run.ended && !run.cancelled, "a call after the end");
	for (size_t i = 0; i < len; i++)
		run.sum += (unsigned char)p[i];
}

static void
on_head(void *arg, int status, int kind, const char *sid, const char *ver)
{
	touch(sid, strlen(sid));
	touch(ver, strlen(ver));
	FUZZ_ASSERT(++run.heads == 1, "head called %d times", run.heads);
	FUZZ_ASSERT(
	    kind == MG_RESP_NONE || kind == MG_RESP_JSON || kind == MG_RESP_SSE,
	    "answer kind %d", kind);
}

static void
on_data(void *arg, const char *msg, size_t len)
{
	touch(msg, len);
	FUZZ_ASSERT(run.heads == 1, "data before head");
}

static void
on_event(void *arg, const char *id, long retry, const char *data, size_t len)
{
	if (id != NULL)
		touch(id, strlen(id));
	touch(data, len);
	FUZZ_ASSERT(run.heads == 1, "event before head");
}

static void
on_end(void *arg, int code, const char *message)
{
	touch(message, strlen(message));
	run.ended = 1;
}

/* Close with a reset: no TIME_WAIT left for each of millions of runs. */
static void
reset(int fd)
{
	struct linger l = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static void
accept_cb(evutil_socket_t fd, short what, void *arg)
{
	int c;

	while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		if (run.npending == MAX_CONNS)
			reset(c);
		else
			run.pending[run.npending++] = c;
	}
}

static void
send_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0 && (n = send(fd, p, len, MSG_NOSIGNAL)) > 0) {
		p += n;
		len -= (size_t)n;
	}
}

/* Answer connection FD with the next answer of the input. */
static void
serve(int fd)
{
	const uint8_t *a = run.p, *nul;
	size_t         len, first;
	char           sink[4096], peek;

	if (a >= run.end) {
		reset(fd); /* no answer left */
		return;
	}
	nul = memchr(a, 0, (size_t)(run.end - a));
	len = nul ? (size_t)(nul - a) : (size_t)(run.end - a);
	run.p = a + len + (nul != NULL);
	first = len * run.cut / 255;
	while (recv(fd, sink, sizeof(sink), 0) > 0)
		; /* the request: not looked at */
	send_all(fd, a, first);
	event_base_loop(base, EVLOOP_NONBLOCK);
	if (run.cancel && !run.ended && !run.cancelled) {
		mg_upstream_cancel(run.x);
		run.cancelled = 1;
	}
	send_all(fd, a + first, len - first);
	event_base_loop(base, EVLOOP_NONBLOCK);
	/* the client closed already: a reset leaves no TIME_WAIT */
	if (recv(fd, &peek, 1, MSG_PEEK) == 0) {
		reset(fd);
		return;
	}
	shutdown(fd, SHUT_WR); /* the end of the answer */
	if (run.nopen == MAX_CONNS) {
		reset(run.open[0]);
		memmove(
		    run.open, run.open + 1, (size_t)--run.nopen * sizeof(int));
	}
	run.open[run.nopen++] = fd;
}

static void
exchange(mg_upstreams_t *ups, uint8_t mode)
{
	static const char *const names[] = { "old", "new", "auto", "old" };
	static const char        init[] = "{\"protocolVersion\":\"2025-06-18\","
					  "\"capabilities\":{},\"clientInfo\":"
					  "{\"name\":\"fuzz\",\"version\":\"1\"}}";
	static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
				   "\"tools/call\",\"params\":{\"name\":"
				   "\"echo\",\"arguments\":{}}}";
	static const char hdrs[] = "Mcp-Method: tools/call\r\n"
				   "Mcp-Name: echo\r\n";
	const mg_upstream_t *up = conf->upstreams;
	mg_up_ops_t          ops = { .head = on_head,
			 .data = on_data,
			 .event = on_event,
			 .end = on_end };
	mg_up_req_t          req = { 0 };
	int                  fd;

	while (up != NULL && strcmp(up->name, names[mode & 3]) != 0)
		up = up->next;
	req.method = mode & 0x08 ? MG_HTTP_GET
	    : mode & 0x80        ? MG_HTTP_DELETE
				 : MG_HTTP_POST;
	req.initialize = (mode & 0x04) != 0;
	req.hops = 1;
	req.up = up;
	req.sid = mode & 0x10 ? "forgotten-session" : "";
	req.version = "2025-06-18";
	req.init = mode & 0x10 ? init : "";
	req.init_len = mode & 0x10 ? sizeof(init) - 1 : 0;
	req.body = body;
	req.body_len = sizeof(body) - 1;
	req.last_event_id = "";
	req.modern = (mode & 0x20) != 0;
	if (req.modern) {
		req.version = "2026-07-28";
		req.headers = hdrs;
		req.headers_len = sizeof(hdrs) - 1;
	}
	run.cancel = (mode & 0x40) != 0;
	if ((run.x = mg_upstream_start(ups, &req, &ops)) == NULL) {
		FUZZ_ASSERT(!run.ended, "end called, and start said no");
		return;
	}
	while (!run.ended && !run.cancelled) {
		if (run.npending > 0) {
			fd = run.pending[0];
			memmove(run.pending, run.pending + 1,
			    (size_t)--run.npending * sizeof(int));
			serve(fd);
		} else
			event_base_loop(base, EVLOOP_ONCE);
	}
}

/*
 * The exchange is over, but those it started on its own may still run
 * (the bridge posts its answers to the upstream's requests): they get
 * what answers are left, then resets, until a few turns of the loop go
 * by without a new connection.
 */
static void
drain(void)
{
	int quiet = 0, busy, fd;

	while (quiet < 3) {
		accept_cb(lfd, EV_READ, NULL);
		busy = run.npending + run.nopen;
		while (run.npending > 0) {
			fd = run.pending[--run.npending];
			serve(fd);
		}
		for (int i = 0; i < run.nopen; i++)
			reset(run.open[i]);
		run.nopen = 0;
		event_base_loop(base, EVLOOP_NONBLOCK);
		quiet = busy ? 0 : quiet + 1;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct ssl_ctx_st *none[3]; /* all plain http */
	struct sockaddr_in        sa = { .sin_family = AF_INET };
	socklen_t                 salen = sizeof(sa);
	char                      text[1024], *err = NULL;
	int                       n = 0;

	fuzz_quiet();
	signal(SIGPIPE, SIG_IGN);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((base = event_base_new()) == NULL ||
	    (lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 64) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) != 0) {
		perror("fuzz_upstream: the listening socket");
		abort();
	}
	for (const char *name = "old"; name != NULL;) {
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		    "upstream %s { server http://127.0.0.1:%u/mcp; "
		    "protocol %s; keepalive 0; connect_timeout 60s; "
		    "read_timeout 60s; }\n",
		    name, ntohs(sa.sin_port),
		    name[0] == 'o'       ? "2025-11-25"
			: name[0] == 'n' ? "2026-07-28"
					 : "auto");
		name = name[0] == 'o' ? "new" : name[0] == 'n' ? "auto" : NULL;
	}
	if ((conf = mg_conf_load_string(text, "fuzz_upstream.conf", &err)) ==
	    NULL) {
		fprintf(stderr, "fuzz_upstream: %s\n", err);
		abort();
	}
	tls.upstreams = none;
	tls.nupstreams = 3;
	accept_ev = event_new(base, lfd, EV_READ | EV_PERSIST, accept_cb, NULL);
	event_add(accept_ev, NULL);
	idle_events = event_base_get_num_events(
	    base, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_upstreams_t *ups;
	char           *err = NULL;

	if (size < 2)
		return 0;
	memset(&run, 0, sizeof(run));
	run.p = data + 2;
	run.end = data + size;
	run.cut = data[1];
	/* a fresh pool each time: what one input taught it (an era, a
	 * bridge session) must not change how the next one runs */
	ups = mg_upstreams_new(base, conf, &tls, &err);
	FUZZ_ASSERT(ups != NULL, "mg_upstreams_new: %s", err);
	exchange(ups, data[0]);
	drain();
	mg_upstreams_free(ups);
	/* nothing of the upstreams may still wait in the loop: it would
	 * run on freed memory (or be a leak in the connector) */
	FUZZ_ASSERT(event_base_get_num_events(base,
			EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE) ==
		idle_events,
	    "%d events of the upstreams outlive them",
	    event_base_get_num_events(
		base, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE) -
		idle_events);
	return 0;
}
