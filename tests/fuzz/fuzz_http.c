/*
 * HTTP/1.1 request framing, through the server's own connection code
 * (http.c): a connection made by mg_http_conn_new, as the worker makes
 * one for each accepted socket, on an event loop.
 *
 * Input: a byte that picks where the bytes are cut in two writes, then
 * what a client sends: request heads, bodies (chunked or not), pipelined
 * requests, garbage.  The other end of a socketpair writes the first
 * part, lets the loop run, writes the rest and ends its side; the loop
 * runs until the server has closed the connection.  The application is
 * a small handler chosen by the path: an answer in the headers callback
 * (/early), a small body limit (/small), a chunked stream (/stream), an
 * answer on the next turn of the loop (/later), 204 (/empty), else the
 * body echoed.  Properties:
 *   - the connection always ends (a stall is a libFuzzer timeout) and
 *     nothing is left behind (mg_http_conn_count() is 0 again);
 *   - everything the server wrote parses as HTTP/1.x responses (an
 *     http-parser of its own, in response mode), complete, one for each
 *     answer the handler saw done, in order, with that answer's status,
 *     interim 100 Continue aside.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <http_parser.h>

#include "fuzz.h"
#include "http.h"

#define MAX_ANSWERS 4096

typedef struct {
	int status;
	int head; /* a HEAD request's: no body follows */
} answer_t;

/* One input's run: the client's side of the socketpair and what the
 * application saw. */
typedef struct {
	int              fd;
	const uint8_t   *p;
	size_t           len, off, until;
	int              shut, eof;
	struct event    *rev, *wev;
	struct evbuffer *in; /* what the server wrote */
	mg_http_req_t   *later;
	struct event    *later_ev;
	answer_t         answers[MAX_ANSWERS];
	int              nanswers;
} run_t;

static struct event_base *base;
static run_t              run;

static const mg_http_limits_t limits = {
	.max_header_size = 1024, /* small: 431 within reach */
	.max_headers = 16,
	/* long: a connection that stalls shows as a libFuzzer timeout */
	.header_timeout = 60000,
	.body_timeout = 60000,
	.keepalive_timeout = 60000,
	.max_body_size = 512,
	.handshake_timeout = 60000,
};

static int
path_is(mg_http_req_t *req, const char *prefix)
{
	return strncmp(mg_http_req_path(req), prefix, strlen(prefix)) == 0;
}

static size_t
on_headers(void *arg, mg_http_req_t *req)
{
	if (path_is(req, "/early")) {
		mg_http_add_header(req, "X-Early", "yes");
		mg_http_reply_error(req, 403, -32600, "refused early");
		return 0;
	}
	return path_is(req, "/small") ? 8 : limits.max_body_size;
}

/* Every accessor, and every byte of what it gives (the sanitizers see
 * a read outside the request's memory). */
static void
look_at(mg_http_req_t *req)
{
	struct evbuffer *copy = evbuffer_new();
	const char *s[] = { mg_http_req_method_name(req), mg_http_req_path(req),
		mg_http_req_header(req, "Host"),
		mg_http_req_header(req, "content-type"), mg_http_req_host(req),
		mg_http_req_peer(req) };
	size_t      n = 0;

	for (size_t i = 0; i < MG_NELEM(s); i++)
		n += s[i] ? strlen(s[i]) : 0;
	n += (size_t)mg_http_req_header_count(req, "Accept");
	mg_http_req_copy_headers(req, "Mcp-", 1, copy);
	mg_http_req_copy_headers(req, "Authorization", 0, copy);
	n += evbuffer_get_length(copy) + (size_t)mg_http_req_method(req);
	evbuffer_free(copy);
	FUZZ_ASSERT(mg_http_req_base(req) == base && n < SIZE_MAX, "accessors");
}

static void
on_request(void *arg, mg_http_req_t *req)
{
	struct evbuffer *body = mg_http_req_body(req);

	look_at(req);
	/* the daemon never streams to a HEAD (the content phase answers it 405)
	 */
	if (path_is(req, "/stream") &&
	    mg_http_req_method(req) != MG_HTTP_HEAD) {
		mg_http_stream_begin(req, 200, "text/event-stream");
		mg_http_stream_write(req, "data: 1\n\n", 9);
		mg_http_stream_write(req, "", 0);
		mg_http_stream_write_buffer(req, body);
		mg_http_stream_end(req);
	} else if (path_is(req, "/later")) {
		FUZZ_ASSERT(run.later == NULL, "two requests at once");
		run.later = req;
		event_active(run.later_ev, 0, 0);
	} else if (path_is(req, "/empty"))
		mg_http_reply(req, 204, NULL, NULL, 0);
	else
		mg_http_reply_buffer(req, 200, "application/json", body);
}

static void
later_cb(evutil_socket_t fd, short what, void *arg)
{
	mg_http_req_t *req = run.later;

	if (req == NULL)
		return;
	run.later = NULL;
	mg_http_add_header(req, "X-Later", "yes");
	mg_http_reply(req, 202, NULL, NULL, 0);
}

static void
on_aborted(void *arg, mg_http_req_t *req)
{
	if (run.later == req)
		run.later = NULL;
}

static void
on_done(void *arg, mg_http_req_t *req)
{
	int status = mg_http_req_status(req);

	if (status == 499) /* the client went away: nothing was written */
		return;
	FUZZ_ASSERT(run.nanswers < MAX_ANSWERS, "too many answers");
	run.answers[run.nanswers++] =
	    (answer_t){ status, mg_http_req_method(req) == MG_HTTP_HEAD };
}

static const mg_http_handler_t handler = { .headers = on_headers,
	.request = on_request,
	.aborted = on_aborted,
	.done = on_done };

/* The client writes up to run.until, and ends its side after the last
 * byte. */
static void
client_write(void)
{
	ssize_t n;

	while (!run.shut && run.off < run.until) {
		n = send(
		    run.fd, run.p + run.off, run.until - run.off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) { /* the server closed: nothing more goes */
			shutdown(run.fd, SHUT_WR);
			run.shut = 1;
			break;
		}
		run.off += (size_t)n;
	}
	if (!run.shut && run.off == run.len) {
		shutdown(run.fd, SHUT_WR);
		run.shut = 1;
	}
	if (!run.shut && run.off < run.until)
		event_add(run.wev, NULL);
	else
		event_del(run.wev);
}

static void
client_write_cb(evutil_socket_t fd, short what, void *arg)
{
	client_write();
}

static void
client_read_cb(evutil_socket_t fd, short what, void *arg)
{
	int n = evbuffer_read(run.in, fd, -1);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		run.eof = 1;
		event_del(run.rev);
	}
}

/* The checker's http-parser: one response after the other. */
typedef struct {
	int k; /* answers matched so far */
} check_t;

static int
check_headers_complete(http_parser *p)
{
	check_t *c = p->data;

	if (p->status_code == 100)
		return 0;
	FUZZ_ASSERT(c->k < run.nanswers, "a response for no answer (%u)",
	    p->status_code);
	FUZZ_ASSERT((int)p->status_code == run.answers[c->k].status,
	    "response %d is %u, the answer was %d", c->k, p->status_code,
	    run.answers[c->k].status);
	return run.answers[c->k].head; /* 1: no body */
}

static int
check_message_complete(http_parser *p)
{
	check_t *c = p->data;

	if (p->status_code != 100)
		c->k++;
	return 0;
}

static void
check_output(void)
{
	static http_parser_settings settings = {
		.on_headers_complete = check_headers_complete,
		.on_message_complete = check_message_complete,
	};
	http_parser p;
	check_t     c = { 0 };
	size_t      len = evbuffer_get_length(run.in), n;
	const char *out = (const char *)evbuffer_pullup(run.in, -1);

	http_parser_init(&p, HTTP_RESPONSE);
	p.data = &c;
	n = http_parser_execute(&p, &settings, out, len);
	FUZZ_ASSERT(n == len && HTTP_PARSER_ERRNO(&p) == HPE_OK,
	    "the server's output is not HTTP at byte %zu (%s): %.*s", n,
	    http_errno_description(HTTP_PARSER_ERRNO(&p)), (int)len, out);
	http_parser_execute(&p, &settings, NULL, 0); /* the end */
	FUZZ_ASSERT(HTTP_PARSER_ERRNO(&p) == HPE_OK,
	    "the server's output ends inside a response (%s): %.*s",
	    http_errno_description(HTTP_PARSER_ERRNO(&p)), (int)len, out);
	FUZZ_ASSERT(c.k == run.nanswers, "%d responses for %d answers: %.*s",
	    c.k, run.nanswers, (int)len, out);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL ||
	    (run.in = evbuffer_new()) == NULL ||
	    (run.later_ev = event_new(base, -1, 0, later_cb, NULL)) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un peer = { .sun_family = AF_UNIX };
	int                sv[2];

	if (size < 1)
		return 0;
	FUZZ_ASSERT(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0,
	    "socketpair: %s", strerror(errno));
	run.fd = sv[1];
	run.p = data + 1;
	run.len = size - 1;
	run.off = 0;
	run.until = run.len * data[0] / 255;
	run.shut = run.eof = 0;
	run.nanswers = 0;
	evbuffer_drain(run.in, evbuffer_get_length(run.in));
	run.rev =
	    event_new(base, sv[1], EV_READ | EV_PERSIST, client_read_cb, NULL);
	run.wev = event_new(base, sv[1], EV_WRITE, client_write_cb, NULL);
	event_add(run.rev, NULL);
	FUZZ_ASSERT(mg_http_conn_new(base, sv[0], (struct sockaddr *)&peer,
			sizeof(peer), NULL, NULL, &limits, &handler) != NULL,
	    "mg_http_conn_new");
	/* the first part, a turn of the loop for the server to read it,
	 * then the rest */
	client_write();
	event_base_loop(base, EVLOOP_NONBLOCK);
	run.until = run.len;
	client_write();
	while (!run.eof || mg_http_conn_count() > 0)
		event_base_loop(base, EVLOOP_ONCE);
	FUZZ_ASSERT(run.later == NULL, "an answer still due");
	check_output();
	event_free(run.rev);
	event_free(run.wev);
	close(sv[1]);
	return 0;
}
