/*
 * Stdio servers' processes (the connector): started per session with
 * their three pipes, read line by line (stdout to the exchanges,
 * stdioup.c; stderr to the error log), stopped in steps (stdin closed,
 * SIGTERM, SIGKILL) and reaped on SIGCHLD, each upstream's count held
 * under its max_processes.
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

#include "era.h"
#include "httpmsg.h"
#include "ipc.h"
#include "jsonrpc.h"
#include "log.h"
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
	mg_stdio_stop(p,
	    bev == p->out ? "it closed its stdout (or exited)"
			  : "it closed its stdin (or exited)");
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

/* P, new, a session on S's link rather than a process. */
static proc_t *
proc_link_open(
    mg_stdio_t *s, proc_t *p, const mg_upstream_t *up, const char *sid)
{
	p->s = s;
	p->up = up;
	p->exited = 1; /* no pid: nothing to kill or reap */
	snprintf(p->sid, sizeof(p->sid), "%s", sid);
	if (s->link->open(p) != MG_OK) {
		free(p);
		return NULL;
	}
	p->next = s->procs;
	s->procs = p;
	s->running[up->index]++;
	s->nprocs++;
	return p;
}

proc_t *
mg_stdio_spawn(mg_stdio_t *s, const mg_upstream_t *up, const char *sid)
{
	int     in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	proc_t *p;

	if (s->running[up->index] >= up->max_processes) {
		mg_warn("upstream \"%s\": max_processes %d reached, no new "
			"session",
		    up->name, up->max_processes);
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if (s->link != NULL)
		return proc_link_open(s, p, up, sid);
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
	    pipe2(err, O_CLOEXEC) != 0) {
		mg_error("upstream \"%s\": pipe() failed: %s", up->name,
		    strerror(errno));
		goto failed;
	}
	p->s = s;
	p->up = up;
	snprintf(p->sid, sizeof(p->sid), "%s", sid);
	if ((p->pid = proc_fork(up, in, out, err)) < 0)
		goto failed;
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
		mg_stdio_stop(p, "its pipes could not be set up");
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
void
mg_stdio_stop(proc_t *p, const char *why)
{
	char       msg[160];
	mg_stdx_t *x;

	if (p->stopping)
		return;
	p->stopping = 1;
	p->sid[0] = '\0';
	if (p->link != NULL)
		mg_info("upstream \"%s\": closing an HTTP+SSE session: %s",
		    p->up->name, why);
	else
		mg_info("upstream \"%s\": stopping pid %d: %s", p->up->name,
		    (int)p->pid, why);
	snprintf(msg, sizeof(msg), "%s stopped: %s",
	    p->link != NULL ? "the HTTP+SSE session" : "the stdio server", why);
	while ((x = p->xs) != NULL)
		mg_stdx_end(x, STDIO_ERR, msg);
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

static void proc_free(proc_t *p);

/* A link's session has stopped: it goes. */
static void
proc_link_gone(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	proc_free(arg);
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
	if (p->link != NULL)
		s->link->free(p);
	free(p->binit);
	json_object_put(p->subs);
	mg_stdtools_free(p);
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
	mg_stdio_stop(p, why);
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
	if (s->running == NULL) {
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
