/*
 * Stdio upstreams (the connector): an upstream with a "command" is a
 * local MCP server the connector runs, one process per session, and
 * speaks to over its standard input and output (newline-delimited
 * JSON-RPC, the MCP stdio transport); what it writes on its standard
 * error goes to the error log.
 *
 * An exchange gets the same request as an HTTP upstream's and answers
 * with the same calls (head, data or events, end), so the worker cannot
 * tell the two apart.  The upstream session id is ours ("stdio-" and 32
 * hex digits): an initialize starts a process; a request whose session
 * has no process (the connector restarted, the process exited) starts one
 * under the same id with the client's initialize params, as an HTTP
 * upstream's forgotten session is opened again; DELETE stops it.
 *
 * This file is the stdio row of the transport table (transport.h).
 *
 * A process (proc_t) has three pipes on bufferevents: its stdin, where
 * requests go one JSON-RPC message per line; its stdout, read line by
 * line; its stderr, logged line by line.  Exchanges waiting on it are
 * kept in order.  A line from it is:
 *   - an answer (an id, no method): it ends the exchange that sent that
 *     id, as JSON if nothing went on the exchange's stream before, else
 *     as the last event of its stream;
 *   - a notification or a request (a method): it goes to the exchange
 *     whose progressToken it names, else to the newest waiting request,
 *     else to the session's GET stream; a request that no stream can
 *     carry is answered with an error at once, so the server does not
 *     wait for a client that will never hear it.
 * A process that exits ends its exchanges with an error; its session then
 * has no process, and the next request starts one again under the same
 * session id, with the client's initialize params.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "era.h"
#include "httpmsg.h"
#include "ipc.h"
#include "jsonrpc.h"
#include "log.h"
#include "sesstab.h"
#include "transport.h"

#define STDIO_ERR -32000 /* JSON-RPC code of upstream failures */
#define STDIO_LINE_MAX (MG_IPC_MAX_FRAME - 4096) /* one message */
#define STDIO_ERR_LINE 1024                      /* of stderr, logged */
#define STDIO_TERM_MS 1000 /* stdin closed, then SIGTERM */
#define STDIO_KILL_MS 2000 /* SIGTERM, then SIGKILL */
#define STDIO_REINIT_ID "\"mcpgw-reinitialize\""

typedef struct proc     proc_t;
typedef struct mg_stdio mg_stdio_t;
typedef struct mg_stdx  mg_stdx_t;

struct mg_stdx {
	mg_upx_t             h; /* first: the handle (transport.h) */
	mg_stdio_t          *s;
	proc_t              *p; /* NULL: not attached (answered, or none) */
	mg_stdx_t           *next;
	const mg_upstream_t *up;
	mg_up_ops_t          ops;
	int                  method;
	int                  initialize; /* the client's */
	int                  get;        /* the session's GET stream */
	int                  head_sent, sse;
	char                *key;      /* its id, as JSON text; NULL: none */
	char                *progress; /* its progressToken, as JSON text */
	char                *body;     /* to write once the process is ready */
	size_t               body_len;
	struct event        *timer; /* read_timeout */
	struct event        *go;    /* the next turn of the loop: start */
	int                  refuse_status; /* answer this at once */
	int                  refuse_code;
	const char          *refuse_why;
	int                  refuse_era; /* with the versions it relays */
};

struct proc {
	mg_stdio_t          *s;
	proc_t              *next;
	const mg_upstream_t *up;
	pid_t                pid;
	char                 sid[48]; /* "": stopping, no longer found */
	struct bufferevent  *in, *out, *err;
	mg_stdx_t           *xs;    /* waiting, oldest first */
	int                  ready; /* initialized (or the client's own) */
	int                  stopping;
	int                  exited;     /* reaped: its pid is not ours */
	int                  unexpected; /* it closed a pipe of its own */
	int                  termed;     /* SIGTERM sent */
	int                  drain;      /* its session ended: stop it once its
					    last request is answered */
	struct event *kill;              /* SIGKILL if still there */
};

struct mg_stdio {
	struct event_base *base;
	proc_t            *procs;
	int               *running; /* by upstream index */
	size_t             nup;
	struct event      *sigchld;
	int                nprocs;
	void (*stopped)(void *arg); /* stdios_stop_all: none left */
	void *stopped_arg;
};

static void proc_stop(proc_t *p, const char *why);
static void proc_gone(proc_t *p, int status);

/* ---- exchanges ------------------------------------------------------ */

/* A request of the process waits for its answer. */
static int
proc_busy(const proc_t *p)
{
	for (const mg_stdx_t *x = p->xs; x != NULL; x = x->next)
		if (!x->get)
			return 1;
	return 0;
}

static void
stdx_detach(mg_stdx_t *x)
{
	proc_t     *p = x->p;
	mg_stdx_t **pp;

	if (p == NULL)
		return;
	for (pp = &p->xs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	x->p = NULL;
	x->next = NULL;
	if (p->drain && !p->stopping && !proc_busy(p))
		proc_stop(p,
		    "its session idled out, and its last request is "
		    "answered");
}

static void
stdx_free(mg_stdx_t *x)
{
	stdx_detach(x);
	if (x->timer)
		event_free(x->timer);
	if (x->go)
		event_free(x->go);
	free(x->key);
	free(x->progress);
	free(x->body);
	free(x);
}

static void
stdx_head(
    mg_stdx_t *x, int status, int kind, const char *sid, const char *version)
{
	if (x->head_sent)
		return;
	x->head_sent = 1;
	x->sse = kind == MG_RESP_SSE;
	x->ops.head(x->ops.arg, status, kind, sid, version);
}

/* The last call to the exchange's ops; the exchange is freed. */
static void
stdx_end(mg_stdx_t *x, int code, const char *message)
{
	mg_up_ops_t ops = x->ops;

	stdx_free(x);
	ops.end(ops.arg, code, message);
}

/* A whole JSON answer with STATUS, and the end. */
static void
stdx_answer(mg_stdx_t *x, int status, const char *msg, size_t len)
{
	stdx_head(x, status, MG_RESP_JSON, "", "");
	x->ops.data(x->ops.arg, msg, len);
	stdx_end(x, 0, NULL);
}

/* A JSON-RPC error answer with STATUS, under the request's id (null if
 * it has none or is not known), with DATA if not NULL. */
static void
stdx_refuse_data(mg_stdx_t *x, int status, int code, const char *message,
    struct json_object *data)
{
	struct evbuffer    *b = evbuffer_new();
	struct json_object *id =
	    x->key ? mg_json_parse(x->key, strlen(x->key)) : NULL;

	if (b == NULL) {
		json_object_put(id);
		stdx_end(x, code, message);
		return;
	}
	mg_rpc_write_error(b, id, code, message, data);
	json_object_put(id);
	stdx_answer(x, status, (const char *)evbuffer_pullup(b, -1),
	    evbuffer_get_length(b));
	evbuffer_free(b);
}

static void
stdx_refuse(mg_stdx_t *x, int status, int code, const char *message)
{
	stdx_refuse_data(x, status, code, message, NULL);
}

/* A 2026-07-28 request: unsupported version, with the ones relayed. */
static void
stdx_refuse_era(mg_stdx_t *x)
{
	struct json_object *data = json_object_new_object(), *v;

	v = json_object_new_array();
	json_object_array_add(v, json_object_new_string("2025-03-26"));
	json_object_array_add(v, json_object_new_string("2025-06-18"));
	json_object_array_add(v, json_object_new_string("2025-11-25"));
	json_object_object_add(data, "supported", v);
	json_object_object_add(
	    data, "requested", json_object_new_string("2026-07-28"));
	stdx_refuse_data(x, 400, x->refuse_code, x->refuse_why, data);
	json_object_put(data);
}

/* A message of the process on the exchange's stream. */
static void
stdx_event(mg_stdx_t *x, const char *line, size_t len)
{
	stdx_head(x, 200, MG_RESP_SSE, "", "");
	x->ops.event(x->ops.arg, NULL, -1, line, len);
	/* read_timeout is the longest silence, as for an HTTP upstream */
	if (evtimer_pending(x->timer, NULL)) {
		struct timeval tv = { x->up->read_timeout / 1000,
			(x->up->read_timeout % 1000) * 1000 };

		evtimer_add(x->timer, &tv);
	}
}

static void
stdx_timeout(evutil_socket_t fd, short what, void *arg)
{
	mg_stdx_t *x = arg;
	proc_t    *p;
	char       why[128];

	(void)fd;
	(void)what;
	snprintf(why, sizeof(why),
	    "the stdio server did not answer within read_timeout (%lld ms)",
	    (long long)x->up->read_timeout);
	mg_warn("upstream \"%s\": %s", x->up->name, why);
	p = x->initialize ? x->p : NULL;
	stdx_end(x, STDIO_ERR, why);
	if (p != NULL)
		proc_stop(p, "its initialize was not answered");
}

/* ---- writing to a process --------------------------------------------- */

/* One message on the process's stdin: a line, any raw newline of the
 * JSON text (whitespace outside strings) made a space.  MG_ERROR: the
 * process is stopping (and its exchanges have ended). */
static int
proc_write(proc_t *p, const char *msg, size_t len)
{
	struct evbuffer *out;
	size_t           from = 0;

	if (p->stopping || p->in == NULL)
		return MG_ERROR;
	out = bufferevent_get_output(p->in);
	for (size_t i = 0; i < len; i++)
		if (msg[i] == '\n' || msg[i] == '\r') {
			evbuffer_add(out, msg + from, i - from);
			evbuffer_add(out, " ", 1);
			from = i + 1;
		}
	evbuffer_add(out, msg + from, len - from);
	evbuffer_add(out, "\n", 1);
	if (evbuffer_get_length(out) > 2 * (size_t)STDIO_LINE_MAX) {
		proc_stop(p, "it does not read its stdin (32 MB waiting)");
		return MG_ERROR;
	}
	return MG_OK;
}

/* Send X's request now; it waits for its answer (if it has an id). */
static void
stdx_send(mg_stdx_t *x)
{
	proc_t *p = x->p;

	if (proc_write(p, x->body, x->body_len) != MG_OK)
		return; /* X ended with the process */
	free(x->body);
	x->body = NULL;
	if (x->key == NULL) {
		/* a notification, or the client's answer to a request */
		stdx_head(x, 202, MG_RESP_NONE, "", "");
		stdx_end(x, 0, NULL);
		return;
	}
	if (x->up->read_timeout > 0) {
		struct timeval tv = { x->up->read_timeout / 1000,
			(x->up->read_timeout % 1000) * 1000 };

		evtimer_add(x->timer, &tv);
	}
}

/* ---- reading from a process ------------------------------------------- */

static char *
json_text(struct json_object *v)
{
	return strdup(
	    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

/* The progressToken a message names (params._meta.progressToken of a
 * request, params.progressToken of a progress notification), as JSON
 * text, or NULL. */
static char *
progress_of(struct json_object *m)
{
	struct json_object *params, *meta, *tok;

	if (!json_object_object_get_ex(m, "params", &params) ||
	    !json_object_is_type(params, json_type_object))
		return NULL;
	if (json_object_object_get_ex(params, "progressToken", &tok))
		return json_text(tok);
	if (json_object_object_get_ex(params, "_meta", &meta) &&
	    json_object_is_type(meta, json_type_object) &&
	    json_object_object_get_ex(meta, "progressToken", &tok))
		return json_text(tok);
	return NULL;
}

/* The exchange that should carry a message of the process: the one it
 * names by progressToken, else the newest waiting request, else the GET
 * stream.  NULL: none. */
static mg_stdx_t *
proc_carrier(proc_t *p, struct json_object *m)
{
	char      *tok = progress_of(m);
	mg_stdx_t *x, *newest = NULL, *get = NULL;

	for (x = p->xs; x != NULL; x = x->next) {
		if (tok != NULL && x->progress != NULL &&
		    strcmp(tok, x->progress) == 0)
			break;
		if (x->get)
			get = x;
		else if (x->key != NULL && x->body == NULL)
			newest = x;
	}
	free(tok);
	return x != NULL ? x : newest != NULL ? newest : get;
}

/* Our own initialize (a session whose process had gone) is answered:
 * the session is ready, its waiting requests go. */
static void
proc_reinitialized(proc_t *p, struct json_object *m)
{
	mg_stdx_t *x, *next;

	if (!json_object_object_get_ex(m, "result", NULL)) {
		mg_warn("upstream \"%s\": the stdio server refused to "
			"initialize the session again (pid %d)",
		    p->up->name, (int)p->pid);
		for (x = p->xs; x != NULL; x = next) {
			next = x->next;
			stdx_refuse(x, 404, -32001, "Session not found");
		}
		proc_stop(p, "its initialize failed");
		return;
	}
	proc_write(p,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
	    53);
	p->ready = 1;
	for (x = p->xs; x != NULL && !p->stopping; x = next) {
		next = x->next;
		if (x->body != NULL)
			stdx_send(x);
	}
}

static void
proc_answer(proc_t *p, struct json_object *m, const char *line, size_t len)
{
	struct json_object *id, *result, *v;
	char               *key;
	mg_stdx_t          *x;

	json_object_object_get_ex(m, "id", &id);
	if ((key = json_text(id)) == NULL)
		return;
	if (!p->ready && strcmp(key, STDIO_REINIT_ID) == 0) {
		free(key);
		proc_reinitialized(p, m);
		return;
	}
	for (x = p->xs; x != NULL; x = x->next)
		if (x->key != NULL && x->body == NULL &&
		    strcmp(x->key, key) == 0)
			break;
	free(key);
	if (x == NULL) {
		mg_debug("upstream \"%s\": an answer to no waiting request "
			 "(pid %d)",
		    p->up->name, (int)p->pid);
		return;
	}
	if (x->sse) {
		x->ops.event(x->ops.arg, NULL, -1, line, len);
		stdx_end(x, 0, NULL);
		return;
	}
	if (x->initialize) {
		const char *version = "";

		if (json_object_object_get_ex(m, "result", &result) &&
		    json_object_object_get_ex(result, "protocolVersion", &v) &&
		    json_object_is_type(v, json_type_string))
			version = json_object_get_string(v);
		/* the session is the process's: an initialize that failed
		 * leaves none */
		stdx_head(
		    x, 200, MG_RESP_JSON, version[0] ? p->sid : "", version);
		x->ops.data(x->ops.arg, line, len);
		stdx_end(x, 0, NULL);
		if (version[0] == '\0')
			proc_stop(p, "its initialize failed");
		return;
	}
	stdx_answer(x, 200, line, len);
}

/* A notification or request of the process. */
static void
proc_message(proc_t *p, struct json_object *m, const char *line, size_t len)
{
	mg_stdx_t          *x = proc_carrier(p, m);
	struct json_object *id;
	struct evbuffer    *b;

	if (x != NULL) {
		stdx_event(x, line, len);
		return;
	}
	if (!json_object_object_get_ex(m, "id", &id)) {
		mg_debug("upstream \"%s\": a notification with no stream to "
			 "carry it, dropped (pid %d)",
		    p->up->name, (int)p->pid);
		return;
	}
	/* a request no client can hear: answered now */
	if ((b = evbuffer_new()) == NULL)
		return;
	mg_rpc_write_error(b, id, MG_RPC_INTERNAL_ERROR,
	    "no stream to the client is open to carry this request", NULL);
	proc_write(
	    p, (const char *)evbuffer_pullup(b, -1), evbuffer_get_length(b));
	evbuffer_free(b);
}

static void
proc_line(proc_t *p, const char *line, size_t len)
{
	struct json_object *m;

	if (len == 0)
		return;
	if ((m = mg_json_parse(line, len)) == NULL ||
	    !json_object_is_type(m, json_type_object)) {
		mg_warn(
		    "upstream \"%s\": the stdio server wrote a line that is "
		    "not a JSON-RPC message (pid %d): %.80s",
		    p->up->name, (int)p->pid, line);
		json_object_put(m);
		return;
	}
	if (json_object_object_get_ex(m, "method", NULL))
		proc_message(p, m, line, len);
	else if (json_object_object_get_ex(m, "id", NULL))
		proc_answer(p, m, line, len);
	json_object_put(m);
}

static void
out_read_cb(struct bufferevent *bev, void *arg)
{
	proc_t          *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char            *line;
	size_t           len;

	while (!p->stopping &&
	    (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		proc_line(p, line, len);
		free(line);
	}
	if (!p->stopping && evbuffer_get_length(in) > STDIO_LINE_MAX)
		proc_stop(p, "it wrote a line longer than 16 MB");
}

static void
err_log(proc_t *p, const char *line, size_t len)
{
	mg_info("upstream \"%s\" (pid %d): %.*s", p->up->name, (int)p->pid,
	    (int)(len > STDIO_ERR_LINE ? STDIO_ERR_LINE : len), line);
}

static void
err_read_cb(struct bufferevent *bev, void *arg)
{
	proc_t          *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char            *line;
	size_t           len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		err_log(p, line, len);
		free(line);
	}
	/* a line without end: logged in pieces */
	while (evbuffer_get_length(in) >= STDIO_ERR_LINE) {
		char piece[STDIO_ERR_LINE];

		evbuffer_remove(in, piece, sizeof(piece));
		err_log(p, piece, sizeof(piece));
	}
}

/* Its stdin or stdout closed or failed: it exits (SIGCHLD follows), or
 * it can answer no more: either way its session is over. */
static void
pipe_event_cb(struct bufferevent *bev, short what, void *arg)
{
	proc_t *p = arg;

	(void)what;
	if (p->stopping || (bev != p->out && bev != p->in))
		return;
	p->unexpected = 1;
	proc_stop(p,
	    bev == p->out ? "it closed its stdout (or exited)"
			  : "it closed its stdin (or exited)");
}

/* ---- processes -------------------------------------------------------- */

static proc_t *
proc_find(mg_stdio_t *s, const mg_upstream_t *up, const char *sid)
{
	for (proc_t *p = s->procs; p != NULL; p = p->next)
		if (p->up == up && !p->stopping && strcmp(p->sid, sid) == 0)
			return p;
	return NULL;
}

static struct bufferevent *
pipe_bev(mg_stdio_t *s, int fd, proc_t *p, bufferevent_data_cb read_cb)
{
	struct bufferevent *b;

	if ((b = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL) {
		close(fd);
		return NULL;
	}
	bufferevent_setcb(b, read_cb, NULL, pipe_event_cb, p);
	bufferevent_enable(b, read_cb != NULL ? EV_READ : EV_WRITE);
	return b;
}

/* In the new process: its pipes as 0, 1, 2, nothing else open, the
 * signals as a new program expects them, then the command. */
static void
proc_exec(const mg_upstream_t *up, int in, int out, int err, pid_t parent)
{
	struct sigaction sa;
	sigset_t         none;

	/* a connector that dies takes its servers along */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	if (close_range(3, ~0U, 0) != 0) /* a kernel older than 5.9 */
		for (int fd = 3; fd < 65536; fd++)
			close(fd);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid(); /* no signals of the terminal mcpgw -F runs in */
	execv(up->command[0], up->command);
	dprintf(2, "cannot run %s: %s\n", up->command[0], strerror(errno));
	_exit(127);
}

static proc_t *
proc_start(mg_stdio_t *s, const mg_upstream_t *up, const char *sid)
{
	int     in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	proc_t *p;
	pid_t   parent = getpid();

	if (s->running[up->index] >= up->max_processes) {
		mg_warn("upstream \"%s\": max_processes %d reached, no new "
			"session",
		    up->name, up->max_processes);
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
	    pipe2(err, O_CLOEXEC) != 0) {
		mg_error("upstream \"%s\": pipe() failed: %s", up->name,
		    strerror(errno));
		goto failed;
	}
	p->s = s;
	p->up = up;
	snprintf(p->sid, sizeof(p->sid), "%s", sid);
	if ((p->pid = fork()) < 0) {
		mg_error("upstream \"%s\": fork() failed: %s", up->name,
		    strerror(errno));
		goto failed;
	}
	if (p->pid == 0)
		proc_exec(up, in[0], out[1], err[1], parent);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	evutil_make_socket_nonblocking(in[1]);
	evutil_make_socket_nonblocking(out[0]);
	evutil_make_socket_nonblocking(err[0]);
	p->in = pipe_bev(s, in[1], p, NULL);
	p->out = pipe_bev(s, out[0], p, out_read_cb);
	p->err = pipe_bev(s, err[0], p, err_read_cb);
	p->next = s->procs;
	s->procs = p;
	s->running[up->index]++;
	s->nprocs++;
	if (p->in == NULL || p->out == NULL || p->err == NULL) {
		proc_stop(p, "its pipes could not be set up");
		return NULL;
	}
	mg_info("upstream \"%s\": started %s (pid %d) for a session", up->name,
	    up->command[0], (int)p->pid);
	return p;
failed:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	free(p);
	return NULL;
}

static void
proc_arm(proc_t *p, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(p->kill, &tv);
}

/* Still there: SIGTERM STDIO_TERM_MS after its stdin closed, SIGKILL
 * STDIO_KILL_MS after that. */
static void
proc_kill_cb(evutil_socket_t fd, short what, void *arg)
{
	proc_t *p = arg;

	(void)fd;
	(void)what;
	if (!p->termed) {
		p->termed = 1;
		kill(p->pid, SIGTERM);
		proc_arm(p, STDIO_KILL_MS);
		return;
	}
	mg_warn("upstream \"%s\": pid %d still running %d ms after SIGTERM: "
		"SIGKILL",
	    p->up->name, (int)p->pid, STDIO_KILL_MS);
	kill(p->pid, SIGKILL);
}

/* End the process's session: its exchanges end with an error, its stdin
 * closes (the MCP stdio transport's shutdown), SIGTERM if it is still
 * there 1 s later (at once if it closed a pipe itself), SIGKILL 2 s after
 * that.  It is freed when it has exited (SIGCHLD). */
static void
proc_stop(proc_t *p, const char *why)
{
	char       msg[160];
	mg_stdx_t *x;

	if (p->stopping)
		return;
	p->stopping = 1;
	p->sid[0] = '\0';
	mg_info("upstream \"%s\": stopping pid %d: %s", p->up->name,
	    (int)p->pid, why);
	snprintf(msg, sizeof(msg), "the stdio server stopped: %s", why);
	while ((x = p->xs) != NULL)
		stdx_end(x, STDIO_ERR, msg);
	if (p->in != NULL) {
		bufferevent_free(p->in);
		p->in = NULL;
	}
	if (p->exited)
		return;
	if (p->unexpected) {
		p->termed = 1;
		kill(p->pid, SIGTERM);
	}
	if ((p->kill = evtimer_new(p->s->base, proc_kill_cb, p)) != NULL)
		proc_arm(p, p->termed ? STDIO_KILL_MS : STDIO_TERM_MS);
	else if (!p->termed)
		kill(p->pid, SIGTERM);
}

static void
proc_free(proc_t *p)
{
	mg_stdio_t *s = p->s;
	proc_t    **pp;

	for (pp = &s->procs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	s->running[p->up->index]--;
	s->nprocs--;
	if (p->in)
		bufferevent_free(p->in);
	if (p->out)
		bufferevent_free(p->out);
	if (p->err)
		bufferevent_free(p->err);
	if (p->kill)
		event_free(p->kill);
	free(p);
	if (s->nprocs == 0 && s->stopped != NULL)
		s->stopped(s->stopped_arg);
}

/* Read what a pipe of an exited process still holds (16 MB at most). */
static void
pipe_drain(struct bufferevent *b)
{
	struct evbuffer *in = bufferevent_get_input(b);
	evutil_socket_t  fd = bufferevent_getfd(b);

	while (evbuffer_get_length(in) <= STDIO_LINE_MAX &&
	    evbuffer_read(in, fd, 65536) > 0)
		;
}

/* The process exited (waitpid said STATUS). */
static void
proc_gone(proc_t *p, int status)
{
	char why[96];

	/* what it wrote last is read before its exchanges end: all that is
	 * left in the pipes (it has exited: they end) */
	if (p->out != NULL) {
		pipe_drain(p->out);
		out_read_cb(p->out, p);
	}
	if (p->err != NULL) {
		pipe_drain(p->err);
		err_read_cb(p->err, p);
	}
	p->exited = 1;
	if (WIFEXITED(status))
		snprintf(why, sizeof(why), "exited with code %d",
		    WEXITSTATUS(status));
	else
		snprintf(why, sizeof(why), "exited on signal %d",
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (p->stopping && !p->unexpected)
		mg_info("upstream \"%s\": pid %d %s", p->up->name, (int)p->pid,
		    why);
	else
		mg_warn("upstream \"%s\": the stdio server (pid %d) %s; its "
			"session's next request starts it again",
		    p->up->name, (int)p->pid, why);
	proc_stop(p, why);
	proc_free(p);
}

static void
sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	mg_stdio_t *s = arg;
	pid_t       pid;
	int         status;

	(void)fd;
	(void)what;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (proc_t *p = s->procs; p != NULL; p = p->next)
			if (p->pid == pid) {
				proc_gone(p, status);
				break;
			}
}

/* ---- the interface ---------------------------------------------------- */

static void stdios_free(mg_stdio_t *s);

static mg_stdio_t *
stdios_new(struct event_base *base, const mg_conf_t *conf)
{
	mg_stdio_t *s = calloc(1, sizeof(*s));
	size_t      n = 0;

	if (s == NULL)
		return NULL;
	s->base = base;
	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next)
		n++;
	s->nup = n;
	s->running = calloc(n ? n : 1, sizeof(*s->running));
	s->sigchld = evsignal_new(base, SIGCHLD, sigchld_cb, s);
	if (s->running == NULL || s->sigchld == NULL ||
	    evsignal_add(s->sigchld, NULL) != 0) {
		stdios_free(s);
		return NULL;
	}
	return s;
}

/*
 * The connector is stopping: every process has its stdin closed, SIGTERM
 * 1 s later and SIGKILL 2 s after that, in the loop.  Returns how many
 * still run; STOPPED(ARG) is called when the last has exited.
 */
static int
stdios_stop_all(mg_stdio_t *s, void (*stopped)(void *arg), void *arg)
{
	s->stopped = stopped;
	s->stopped_arg = arg;
	for (proc_t *p = s->procs; p != NULL; p = p->next)
		proc_stop(p, "the connector is stopping");
	return s->nprocs;
}

/* Free it all; a process still there is sent SIGKILL, not waited for. */
static void
stdios_free(mg_stdio_t *s)
{
	int status;

	if (s == NULL)
		return;
	/* what did not stop in the loop (a fast stop, or a process that
	 * ignores SIGTERM): killed, not waited for; init reaps it */
	s->stopped = NULL;
	while (s->procs != NULL) {
		if (!s->procs->exited) {
			kill(s->procs->pid, SIGKILL);
			waitpid(s->procs->pid, &status, WNOHANG);
		}
		proc_free(s->procs);
	}
	if (s->sigchld)
		event_free(s->sigchld);
	free(s->running);
	free(s);
}

/* What the request is: its id and progressToken, if any; MG_ERROR if it
 * is not one JSON-RPC message (a batch: not relayed to stdio). */
static int
stdx_parse(mg_stdx_t *x, const char *body, size_t len)
{
	struct json_object *m = mg_json_parse(body, len), *id;

	if (m == NULL || !json_object_is_type(m, json_type_object)) {
		json_object_put(m);
		return MG_ERROR;
	}
	if (json_object_object_get_ex(m, "method", NULL) &&
	    json_object_object_get_ex(m, "id", &id) &&
	    (x->key = json_text(id)) == NULL) {
		json_object_put(m);
		return MG_ERROR;
	}
	x->progress = progress_of(m);
	json_object_put(m);
	return MG_OK;
}

/* The exchange's first calls to its ops, on the turn of the loop after
 * stdx_start (whose caller has not seen the exchange yet). */
static void
stdx_go(evutil_socket_t fd, short what, void *arg)
{
	mg_stdx_t *x = arg;

	(void)fd;
	(void)what;
	if (x->refuse_status != 0) {
		stdx_detach(x);
		if (x->refuse_era)
			stdx_refuse_era(x);
		else
			stdx_refuse(
			    x, x->refuse_status, x->refuse_code, x->refuse_why);
		return;
	}
	if (x->method == MG_HTTP_DELETE) {
		stdx_head(x, 200, MG_RESP_NONE, "", "");
		stdx_end(x, 0, NULL);
		return;
	}
	if (x->get) {
		stdx_head(x, 200, MG_RESP_SSE, "", "");
		return;
	}
	if (x->p != NULL && x->p->ready && x->body != NULL)
		stdx_send(x);
}

static void
stdx_refuse_later(mg_stdx_t *x, int status, int code, const char *why)
{
	x->refuse_status = status;
	x->refuse_code = code;
	x->refuse_why = why;
}

/* A process for X's session: a new one for an initialize; the session's;
 * or, when it has none (any more), a new one that we initialize first
 * with the client's params, under the same session id.  NULL (and X set
 * to be refused): none. */
static proc_t *
stdx_proc(mg_stdx_t *x, const mg_up_req_t *req)
{
	mg_stdio_t *s = x->s;
	proc_t     *p;
	char        sid[48];

	if (x->initialize) {
		snprintf(sid, sizeof(sid), "stdio-%016llx%016llx",
		    (unsigned long long)mg_sesstab_new_id(),
		    (unsigned long long)mg_sesstab_new_id());
		if ((p = proc_start(s, x->up, sid)) == NULL)
			stdx_refuse_later(x, 503, STDIO_ERR,
			    "the stdio server could not be started (see the "
			    "error log); try again later");
		else
			p->ready = 1;
		return p;
	}
	if ((p = proc_find(s, x->up, req->sid)) != NULL)
		return p;
	if (strncmp(req->sid, "stdio-", 6) != 0 || req->init_len == 0 ||
	    req->init_len > STDIO_LINE_MAX) {
		stdx_refuse_later(x, 404, -32001, "Session not found");
		return NULL;
	}
	if ((p = proc_start(s, x->up, req->sid)) == NULL) {
		stdx_refuse_later(x, 503, STDIO_ERR,
		    "the stdio server could not be started (see the error "
		    "log); try again later");
		return NULL;
	}
	mg_info("upstream \"%s\": a session had no process: initializing "
		"pid %d with the client's params",
	    x->up->name, (int)p->pid);
	{
		struct evbuffer *b = evbuffer_new();

		if (b == NULL) {
			proc_stop(p, "out of memory");
			stdx_refuse_later(x, 503, STDIO_ERR, "out of memory");
			return NULL;
		}
		evbuffer_add_printf(b,
		    "{\"jsonrpc\":\"2.0\",\"id\":" STDIO_REINIT_ID
		    ",\"method\":\"initialize\",\"params\":%.*s}",
		    (int)req->init_len, req->init);
		proc_write(p, (const char *)evbuffer_pullup(b, -1),
		    evbuffer_get_length(b));
		evbuffer_free(b);
	}
	return p;
}

/* Start an exchange with REQ->up, which has a command; NULL if it cannot
 * start (OPS->end not called). */
static mg_stdx_t *
stdx_start(mg_stdio_t *s, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	mg_stdx_t *x;
	proc_t    *p;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->h.t = &mg_transport_stdio;
	x->s = s;
	x->up = req->up;
	x->ops = *ops;
	x->method = req->method;
	x->initialize = req->initialize;
	x->timer = evtimer_new(s->base, stdx_timeout, x);
	x->go = event_new(s->base, -1, 0, stdx_go, x);
	if (x->timer == NULL || x->go == NULL) {
		stdx_free(x);
		return NULL;
	}
	event_active(x->go, EV_TIMEOUT, 0);
	if (req->modern) {
		if (x->method == MG_HTTP_POST)
			stdx_parse(x, req->body, req->body_len); /* its id */
		stdx_refuse_later(x, 400, MG_MCP_ERR_UNSUPPORTED_VERSION,
		    "this route's upstream is a stdio server, which mcpgw "
		    "relays to clients of the 2025 revisions only");
		x->refuse_era = 1;
		return x;
	}
	if (x->method == MG_HTTP_DELETE) {
		if ((p = proc_find(s, x->up, req->sid)) == NULL)
			return x;
		if (req->idle && proc_busy(p)) {
			/* the sweep found the session idle, but a request of
			 * it runs still: the process goes when it is answered
			 */
			p->drain = 1;
			p->sid[0] = '\0';
			mg_info("upstream \"%s\": pid %d: its session idled "
				"out with a request still running; it stops "
				"once that is answered",
			    x->up->name, (int)p->pid);
		} else
			proc_stop(p,
			    req->idle ? "its session idled out"
				      : "its session was deleted");
		return x;
	}
	if (x->method == MG_HTTP_POST) {
		if (stdx_parse(x, req->body, req->body_len) != MG_OK) {
			stdx_refuse_later(x, 400, MG_RPC_INVALID_REQUEST,
			    "a stdio upstream takes one JSON-RPC message per "
			    "request (no batches)");
			return x;
		}
		if ((x->body = malloc(req->body_len ? req->body_len : 1)) ==
		    NULL) {
			stdx_free(x);
			return NULL;
		}
		memcpy(x->body, req->body, req->body_len);
		x->body_len = req->body_len;
	}
	if ((p = stdx_proc(x, req)) == NULL)
		return x;
	x->p = p;
	{
		mg_stdx_t **pp = &p->xs; /* in order: appended */

		while (*pp != NULL)
			pp = &(*pp)->next;
		*pp = x;
	}
	if (x->method == MG_HTTP_GET) {
		for (mg_stdx_t *o = p->xs; o != NULL; o = o->next)
			if (o != x && o->get) {
				stdx_refuse_later(x, 409, STDIO_ERR,
				    "the session has a GET stream open "
				    "already");
				return x;
			}
		x->get = 1;
	}
	return x;
}

/* The client is gone: no more calls to its ops. */
static void
stdx_cancel(mg_stdx_t *x)
{
	/* an initialize its client will not hear: the process has no
	 * session, and nothing else would ever stop it */
	proc_t *p = x->initialize && !x->head_sent ? x->p : NULL;

	stdx_free(x);
	if (p != NULL)
		proc_stop(p,
		    "its client left before the initialize was "
		    "answered");
}

/* ---- the transport ---------------------------------------------------- */

static int
stdio_serves(const mg_upstream_t *up)
{
	return up->command != NULL;
}

static void *
stdio_new(struct event_base *base, const mg_conf_t *conf,
    const struct mg_tls_set *tls)
{
	(void)tls;
	return stdios_new(base, conf);
}

static mg_upx_t *
stdio_start(void *state, const mg_up_req_t *req, const mg_up_ops_t *ops)
{
	mg_stdx_t *x = stdx_start(state, req, ops);

	return x ? &x->h : NULL;
}

static void
stdio_cancel(mg_upx_t *h)
{
	stdx_cancel((mg_stdx_t *)h);
}

/* Nothing of a stdio exchange waits for a client's retry (the bridge to
 * 2026-07-28 clients is HTTP's): its calls just go to OPS from now on,
 * and a retry hears a stream's head. */
static void
stdio_park(mg_upx_t *h, const mg_up_ops_t *ops)
{
	((mg_stdx_t *)h)->ops = *ops;
}

static void
stdio_resume(
    mg_upx_t *h, const mg_up_ops_t *ops, const char *body, size_t len, int caps)
{
	mg_stdx_t *x = (mg_stdx_t *)h;

	(void)body, (void)len, (void)caps;
	x->ops = *ops;
	x->ops.head(x->ops.arg, 200, MG_RESP_SSE, "", "");
}

static const char *
stdio_version(const mg_upx_t *h)
{
	(void)h;
	return "";
}

static int
stdio_stop_all(void *state, void (*stopped)(void *arg), void *arg)
{
	return stdios_stop_all(state, stopped, arg);
}

static void
stdio_free(void *state)
{
	stdios_free(state);
}

const mg_transport_t mg_transport_stdio = {
	.name = "stdio",
	.serves = stdio_serves,
	.new = stdio_new,
	.start = stdio_start,
	.cancel = stdio_cancel,
	.park = stdio_park,
	.resume = stdio_resume,
	.version = stdio_version,
	.take_own = NULL,
	.stop_all = stdio_stop_all,
	.free = stdio_free,
};
