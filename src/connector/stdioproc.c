/*
 * Stdio servers' processes (the connector): started per session with
 * their three pipes (in their cwd, with their env), read line by line
 * (stdout to the exchanges, stdioup.c; stderr to the error log,
 * stdioerr.c), stopped in steps (stdin closed, SIGTERM, SIGKILL) and
 * reaped on SIGCHLD, each upstream's count held under its max_processes;
 * one that ends on its own is restarted (stdiosup.c), and a slot that
 * frees goes to a waiting session (stdiowait.c).  A row with a link
 * (sseup.c) has sessions on it instead: no process, pid, stderr or
 * SIGCHLD, and no restart (its link's end ends the session).
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

#include <openssl/crypto.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "board.h"
#include "era.h"
#include "httpmsg.h"
#include "ipc.h"
#include "jsonrpc.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "sesstab.h"
#include "stdioup.h"
#include "transport.h"

static void proc_gone(proc_t *p, int status);
static void proc_link_gone(evutil_socket_t fd, short what, void *arg);

/* ---- writing to a process --------------------------------------------- */

/* One message on the process's stdin: a line, any raw newline of the
 * JSON text (whitespace outside strings) made a space.  MG_ERROR: the
 * process is stopping (and its exchanges have ended). */
int
mg_stdio_write(proc_t *p, const char *msg, size_t len)
{
	struct evbuffer *out;
	size_t           from = 0;

	if (p->stopping || (p->link == NULL && p->in == NULL))
		return MG_ERROR;
	if (p->link != NULL)
		return p->s->link->write(p, msg, len);
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
		mg_stdio_stop(p, "it does not read its stdin (32 MB waiting)");
		return MG_ERROR;
	}
	return MG_OK;
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
		mg_stdio_line(p, line, len);
		free(line);
	}
	if (!p->stopping && evbuffer_get_length(in) > STDIO_LINE_MAX)
		mg_stdio_stop(p, "it wrote a line longer than 16 MB");
}

int64_t
mg_stdio_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void proc_arm(proc_t *p, int ms);
static void proc_kill_cb(evutil_socket_t fd, short what, void *arg);

/* Its stdin or stdout closed or failed: it exits (SIGCHLD follows, and
 * its exchanges end with how it ended), or it can answer no more and is
 * stopped STDIO_GONE_MS later: either way its session is over. */
static void
pipe_event_cb(struct bufferevent *bev, short what, void *arg)
{
	proc_t *p = arg;

	(void)what;
	if (p->stopping || p->unexpected || (bev != p->out && bev != p->in))
		return;
	p->unexpected = 1;
	p->eof_why =
	    bev == p->out ? "it closed its stdout" : "it closed its stdin";
	if (p->kill == NULL &&
	    (p->kill = evtimer_new(p->s->base, proc_kill_cb, p)) == NULL) {
		p->crashed = 1;
		mg_stdio_stop(p, p->eof_why);
		return;
	}
	proc_arm(p, STDIO_GONE_MS);
}

/* ---- processes -------------------------------------------------------- */

proc_t *
mg_stdio_find(mg_stdio_t *s, const mg_upstream_t *up, const char *sid)
{
	for (proc_t *p = s->procs; p != NULL; p = p->next)
		if (p->up == up && !p->stopping && !p->bridge &&
		    strcmp(p->sid, sid) == 0)
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
	if (read_cb == mg_stdio_err_read) /* lines cut at STDIO_ERR_LINE */
		bufferevent_setwatermark(b, EV_READ, 0, 64 * 1024);
	bufferevent_enable(b, read_cb != NULL ? EV_READ : EV_WRITE);
	return b;
}

/* ---- its environment ----------------------------------------------------- */

extern char **environ;

static void proc_env_free(char **env, int nown);

/* Is ENTRY ("NAME=...") one of UP's env variables? */
static int
proc_env_set(const mg_upstream_t *up, const char *entry)
{
	size_t n = strcspn(entry, "=");

	for (const mg_upstream_var_t *v = up->env; v != NULL; v = v->next)
		if (strlen(v->name) == n && strncmp(v->name, entry, n) == 0)
			return 1;
	return 0;
}

/* The connector's environment with UP's env and env_secret_file
 * variables, built before the fork (the child only execs): its first
 * *NOWN entries are its own, for proc_env_free.  NULL: UP has none (or
 * out of memory, *NOWN then -1). */
static char **
proc_env(const mg_upstream_t *up, int *nown)
{
	size_t n = 0, k = 0;
	char **env;

	*nown = 0;
	if (up->env == NULL)
		return NULL;
	for (char **e = environ; *e != NULL; e++)
		n++;
	for (const mg_upstream_var_t *v = up->env; v != NULL; v = v->next)
		n++;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL) {
		*nown = -1;
		return NULL;
	}
	for (const mg_upstream_var_t *v = up->env; v != NULL; v = v->next) {
		if (asprintf(&env[k], "%s=%s", v->name,
			v->value ? v->value : "") < 0) {
			*nown = (int)k;
			proc_env_free(env, *nown);
			*nown = -1;
			return NULL;
		}
		*nown = (int)++k;
	}
	for (char **e = environ; *e != NULL; e++)
		if (!proc_env_set(up, *e))
			env[k++] = *e;
	return env;
}

/* ENV's own entries cleansed (they may hold secrets) and freed. */
static void
proc_env_free(char **env, int nown)
{
	if (env == NULL)
		return;
	for (int i = 0; i < nown; i++) {
		OPENSSL_cleanse(env[i], strlen(env[i]));
		free(env[i]);
	}
	free(env);
}

/* In the new process: its pipes as 0, 1, 2, nothing else open, the
 * signals as a new program expects them, then the command. */
static void
proc_exec(
    const mg_upstream_t *up, char **env, int in, int out, int err, pid_t parent)
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
	if (up->cwd != NULL && chdir(up->cwd) != 0) {
		dprintf(2, "cannot change to cwd %s: %s\n", up->cwd,
		    strerror(errno));
		_exit(127);
	}
	execve(up->command[0], up->command, env != NULL ? env : environ);
	dprintf(2, "cannot run %s: %s\n", up->command[0], strerror(errno));
	_exit(127);
}

/* The process of UP on the pipes' ends, its environment made here:
 * its pid, or -1 (logged). */
static pid_t
proc_fork(const mg_upstream_t *up, int in[2], int out[2], int err[2])
{
	pid_t  parent = getpid(), pid;
	int    nown;
	char **env = proc_env(up, &nown);

	if (nown < 0) {
		mg_error("upstream \"%s\": out of memory for its environment",
		    up->name);
		return -1;
	}
	if ((pid = fork()) < 0)
		mg_error("upstream \"%s\": fork() failed: %s", up->name,
		    strerror(errno));
	else if (pid == 0)
		proc_exec(up, env, in[0], out[1], err[1], parent);
	proc_env_free(env, nown);
	return pid;
}

proc_t *
mg_stdio_proc_new(mg_stdio_t *s, const mg_upstream_t *up, const char *sid)
{
	proc_t *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->s = s;
	p->up = up;
	snprintf(p->sid, sizeof(p->sid), "%s", sid);
	p->next = s->procs;
	s->procs = p;
	s->running[up->index]++;
	mg_board_up_procs(up->index, s->running[up->index]);
	s->nprocs++;
	mg_metrics_gauge(MG_M_STDIO_PROCS, up->name, 1);
	return p;
}

static void
pipes_close(int in[2], int out[2], int err[2])
{
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
}

int
mg_stdio_exec(proc_t *p)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };

	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
	    pipe2(err, O_CLOEXEC) != 0) {
		mg_error("upstream \"%s\": pipe() failed: %s", p->up->name,
		    strerror(errno));
		pipes_close(in, out, err);
		return MG_ERROR;
	}
	if ((p->pid = proc_fork(p->up, in, out, err)) < 0) {
		p->pid = 0;
		pipes_close(in, out, err);
		return MG_ERROR;
	}
	p->started_ms = mg_stdio_mono_ms();
	close(in[0]);
	close(out[1]);
	close(err[1]);
	evutil_make_socket_nonblocking(in[1]);
	evutil_make_socket_nonblocking(out[0]);
	evutil_make_socket_nonblocking(err[0]);
	p->in = pipe_bev(p->s, in[1], p, NULL);
	p->out = pipe_bev(p->s, out[0], p, out_read_cb);
	p->err = pipe_bev(p->s, err[0], p, mg_stdio_err_read);
	mg_info("upstream \"%s\": started %s (pid %d) for a session",
	    p->up->name, p->up->command[0], (int)p->pid);
	if (p->in == NULL || p->out == NULL || p->err == NULL) {
		mg_stdio_stop(p, "its pipes could not be set up");
		return MG_ERROR;
	}
	return MG_OK;
}

const char *
mg_stdio_prefix(const mg_stdio_t *s)
{
	return s->link != NULL ? s->link->prefix : "stdio-";
}

const char *
mg_stdio_no_start(const mg_stdio_t *s)
{
	return s->link != NULL
	    ? "the HTTP+SSE session could not be opened (see the error "
	      "log); try again later"
	    : "the stdio server could not be started (see the error log); "
	      "try again later";
}

/* P, listed, a session on its link rather than a process: no pid,
 * nothing to kill or reap, no restart; NULL: the link did not open. */
static proc_t *
proc_link_open(proc_t *p)
{
	p->exited = 1;
	if (p->s->link->open(p) != MG_OK) {
		mg_stdio_proc_free(p);
		return NULL;
	}
	return p;
}

proc_t *
mg_stdio_spawn(mg_stdio_t *s, const mg_upstream_t *up, const char *sid)
{
	proc_t *p;

	if (s->closing)
		return NULL;
	if (s->running[up->index] >= up->max_processes) {
		mg_warn("upstream \"%s\": max_processes %d reached, no new "
			"session",
		    up->name, up->max_processes);
		return NULL;
	}
	if ((p = mg_stdio_proc_new(s, up, sid)) == NULL)
		return NULL;
	if (s->link != NULL)
		return proc_link_open(p);
	if (mg_stdio_exec(p) != MG_OK) {
		if (p->pid == 0)
			mg_stdio_proc_free(p);
		return NULL;
	}
	return p;
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
	if (!p->stopping) {
		/* a pipe closed STDIO_GONE_MS ago, and it has not exited */
		p->crashed = 1;
		mg_stdio_stop(p, p->eof_why);
		return;
	}
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
 * that.  It is freed when it has exited (SIGCHLD); a link's session is
 * closed at once and freed on the next turn of the loop. */
void
mg_stdio_stop(proc_t *p, const char *why)
{
	char       msg[768];
	mg_stdx_t *x;

	if (p->stopping)
		return;
	p->stopping = 1;
	if (p->sid[0] != '\0')
		memcpy(p->session, p->sid, sizeof(p->session));
	p->sid[0] = '\0';
	if (p->link != NULL) {
		mg_info("upstream \"%s\": closing an HTTP+SSE session: %s",
		    p->up->name, why);
		snprintf(
		    msg, sizeof(msg), "the HTTP+SSE session stopped: %s", why);
	} else {
		mg_info("upstream \"%s\": stopping pid %d: %s", p->up->name,
		    (int)p->pid, why);
		snprintf(msg, sizeof(msg),
		    "stdio upstream \"%s\" (pid %d) stopped: %s", p->up->name,
		    (int)p->pid, why);
	}
	/* for a pool (pool.h): a process (or an HTTP+SSE stream) that never
	 * answered initialize is a server that did not start */
	mg_pool_note_failure(!p->live && !p->bridge ? MG_POOL_FAIL_CONNECT : 0);
	while ((x = p->xs) != NULL)
		mg_stdx_end(x, STDIO_ERR, msg);
	mg_pool_note_failure(0);
	if (p->in != NULL) {
		bufferevent_free(p->in);
		p->in = NULL;
	}
	if (p->link != NULL) {
		/* freed on the next turn: its callers still hold it */
		p->s->link->close(p);
		if ((p->kill = evtimer_new(p->s->base, proc_link_gone, p)) !=
		    NULL)
			proc_arm(p, 0);
		return;
	}
	if (p->pid == 0) {
		/* never started (a restart waiting): freed on the next turn */
		struct timeval now = { 0, 0 };

		p->exited = 1;
		evtimer_add(p->later, &now);
		return;
	}
	if (p->exited)
		return;
	if (p->unexpected) {
		p->termed = 1;
		kill(p->pid, SIGTERM);
	}
	if (p->kill == NULL)
		p->kill = evtimer_new(p->s->base, proc_kill_cb, p);
	if (p->kill != NULL)
		proc_arm(p, p->termed ? STDIO_KILL_MS : STDIO_TERM_MS);
	else if (!p->termed)
		kill(p->pid, SIGTERM);
}

/* A link's session has stopped: it goes. */
static void
proc_link_gone(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mg_stdio_proc_free(arg);
}

void
mg_stdio_proc_free(proc_t *p)
{
	mg_stdio_t          *s = p->s;
	const mg_upstream_t *up = p->up;
	proc_t             **pp;

	for (pp = &s->procs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	s->running[p->up->index]--;
	mg_board_up_procs(p->up->index, s->running[p->up->index]);
	s->nprocs--;
	mg_metrics_gauge(MG_M_STDIO_PROCS, p->up->name, -1);
	if (p->in)
		bufferevent_free(p->in);
	if (p->out)
		bufferevent_free(p->out);
	if (p->err)
		bufferevent_free(p->err);
	if (p->kill)
		event_free(p->kill);
	if (p->later)
		event_free(p->later);
	if (p->link != NULL)
		s->link->free(p);
	free(p->init);
	free(p->binit);
	json_object_put(p->subs);
	mg_stdtools_free(p);
	mg_stdwait_slot(s, up);
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

/* The process exited (waitpid said STATUS): its exchanges end with how
 * (and its first stderr lines if it never answered); a live session's
 * process that we did not stop is restarted. */
static void
proc_gone(proc_t *p, int status)
{
	char how[96], why[640];
	int  restart;

	/* what it wrote last is read before its exchanges end: all that is
	 * left in the pipes (it has exited: they end) */
	if (p->out != NULL) {
		pipe_drain(p->out);
		out_read_cb(p->out, p);
	}
	if (p->err != NULL) {
		pipe_drain(p->err);
		mg_stdio_err_read(p->err, p);
	}
	mg_stdio_err_flush(p);
	p->exited = 1;
	mg_stdio_status(status, how, sizeof(how));
	mg_stdio_why(p, how, why, sizeof(why));
	restart = p->live && !p->bridge && !p->drain && !p->s->closing &&
	    (p->sid[0] != '\0' || p->session[0] != '\0') &&
	    (!p->stopping || p->crashed);
	if (p->stopping && !p->unexpected)
		mg_info("upstream \"%s\": pid %d %s", p->up->name, (int)p->pid,
		    why);
	else if (!restart)
		mg_warn("stdio upstream \"%s\" pid %d %s", p->up->name,
		    (int)p->pid, why);
	if (restart)
		mg_stdsup_restart(p, how);
	mg_stdio_stop(p, why);
	mg_stdio_proc_free(p);
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

mg_stdio_t *
mg_stdio_new_link(struct event_base *base, const mg_conf_t *conf,
    const mg_transport_t *row, const mg_stdio_link_t *link)
{
	mg_stdio_t *s = calloc(1, sizeof(*s));
	size_t      n = 0;

	if (s == NULL)
		return NULL;
	s->base = base;
	s->row = row;
	s->link = link;
	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next)
		n++;
	s->nup = n;
	s->running = calloc(n ? n : 1, sizeof(*s->running));
	s->queued = calloc(n ? n : 1, sizeof(*s->queued));
	if (s->running == NULL || s->queued == NULL) {
		mg_stdio_free(s);
		return NULL;
	}
	if (link != NULL)
		return s;
	s->sigchld = evsignal_new(base, SIGCHLD, sigchld_cb, s);
	if (s->sigchld == NULL || evsignal_add(s->sigchld, NULL) != 0) {
		mg_stdio_free(s);
		return NULL;
	}
	return s;
}

mg_stdio_t *
mg_stdio_new(struct event_base *base, const mg_conf_t *conf)
{
	return mg_stdio_new_link(base, conf, &mg_transport_stdio, NULL);
}

/*
 * The connector is stopping: every process has its stdin closed, SIGTERM
 * 1 s later and SIGKILL 2 s after that, in the loop.  Returns how many
 * still run; STOPPED(ARG) is called when the last has exited.
 */
int
mg_stdio_stop_all(mg_stdio_t *s, void (*stopped)(void *arg), void *arg)
{
	s->stopped = stopped;
	s->stopped_arg = arg;
	s->closing = 1;
	mg_stdwait_refuse_all(s, "the connector is stopping");
	for (proc_t *p = s->procs; p != NULL; p = p->next)
		mg_stdio_stop(p, "the connector is stopping");
	return s->nprocs;
}

/* Free it all; a process still there is sent SIGKILL, not waited for. */
void
mg_stdio_free(mg_stdio_t *s)
{
	int status;

	if (s == NULL)
		return;
	/* what did not stop in the loop (a fast stop, or a process that
	 * ignores SIGTERM): killed, not waited for; init reaps it */
	s->stopped = NULL;
	s->closing = 1;
	while (s->procs != NULL) {
		if (!s->procs->exited && s->procs->pid > 0) {
			kill(s->procs->pid, SIGKILL);
			waitpid(s->procs->pid, &status, WNOHANG);
		}
		mg_stdio_proc_free(s->procs);
	}
	if (s->sigchld)
		event_free(s->sigchld);
	free(s->running);
	free(s->queued);
	free(s);
}
