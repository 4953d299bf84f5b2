/*
 * The master process: its loop, signals, stop, backgrounding and pid
 * file (the children are kids.c's, configurations reload.c's).
 *
 * A plain loop, not an event loop: signals are blocked except inside
 * ppoll(), their handlers only set flags (sig.c), and the loop acts on
 * the flags, the children's channels and its own deadlines.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "everything.h"
#include "limit.h"
#include "log.h"
#include "master.h"
#include "masterpriv.h"
#include "verdict.h"
#include "pidfile.h"
#include "proc.h"
#include "sdnotify.h"
#include "selfconn.h"
#include "served.h"
#include "sig.h"

mg_master_state_t mg_master_state;

static void
stop(int how)
{
	if (M.stopping >= how)
		return;
	M.stopping = how;
	mg_sd_notify("STOPPING=1");
	if (how == 1) {
		mg_notice("gracefully shutting down");
		mg_kids_tell_all(MG_MSG_QUIT, M.generation + 1);
		M.stop_deadline = mg_master_now_ms() + M.conf->shutdown_timeout;
	} else {
		mg_notice("exiting");
		mg_kids_tell_all(MG_MSG_TERMINATE, M.generation + 1);
		M.stop_deadline = mg_master_now_ms() + MG_FAST_STOP_KILL_MS;
	}
}

static void
handle_signals(void)
{
	if (mg_sig_reap) {
		mg_sig_reap = 0;
		mg_kids_reap();
	}
	if (mg_sig_terminate) {
		mg_sig_terminate = 0;
		stop(2);
	}
	if (mg_sig_quit) {
		mg_sig_quit = 0;
		stop(1);
	}
	if (mg_sig_reload) {
		mg_sig_reload = 0;
		if (!M.stopping)
			mg_master_reload();
	}
	if (mg_sig_reopen) {
		mg_sig_reopen = 0;
		mg_master_reopen();
	}
}

/* How long ppoll may sleep: until the next respawn or deadline. */
static int64_t
next_timeout(void)
{
	int64_t now = mg_master_now_ms(), t = -1;

	for (size_t i = 0; i < M.nkids; i++) {
		const mg_kid_t *k = &M.kids[i];
		int64_t         at = 0;

		if (k->pid == 0 && k->respawn_at > 0)
			at = k->respawn_at;
		else if (k->pid > 0 && k->quitting && k->quit_deadline > 0)
			at = k->quit_deadline;
		if (at > 0 && (t < 0 || at - now < t))
			t = at - now;
	}
	if (M.stopping && (t < 0 || M.stop_deadline - now < t))
		t = M.stop_deadline - now;
	return t < 0 ? -1 : (t > 0 ? t : 0);
}

static void
poll_once(void)
{
	struct pollfd   pfd[M.nkids + 1];
	mg_kid_t       *who[M.nkids + 1];
	struct timespec ts, *tsp = NULL;
	int64_t         t = next_timeout();
	nfds_t          n = 0;

	for (size_t i = 0; i < M.nkids; i++) {
		if (M.kids[i].ch == NULL)
			continue;
		pfd[n] = (struct pollfd){ mg_channel_fd(M.kids[i].ch),
			POLLIN |
			    (mg_channel_pending(M.kids[i].ch) ? POLLOUT : 0),
			0 };
		who[n++] = &M.kids[i];
	}
	if (t >= 0) {
		ts.tv_sec = t / 1000;
		ts.tv_nsec = (t % 1000) * 1000000;
		tsp = &ts;
	}
	if (ppoll(pfd, n, tsp, &M.waitmask) <= 0)
		return; /* a signal or a deadline; the loop looks at both */
	for (nfds_t i = 0; i < n; i++) {
		if (pfd[i].revents & POLLOUT)
			mg_channel_flush(who[i]->ch);
		if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
			mg_kid_read(who[i]);
	}
}

static void
loop(void)
{
	while (!M.stopping || M.nkids > 0) {
		poll_once();
		handle_signals();
		if (!M.stopping)
			mg_kids_respawn_due();
		mg_kids_kill_stragglers();
		mg_kids_check_ready();
		/* With nothing left to wait for, a stopping master is done. */
		if (M.stopping)
			for (size_t i = 0; i < M.nkids; i++)
				if (M.kids[i].pid == 0)
					mg_kid_remove(&M.kids[i--]);
	}
}

/*
 * Go to the background.  The parent stays until the master has its
 * sockets and pid file, so the exit status of "mcpgw" says whether the
 * start worked.  Returns the write end of that pipe in the master.
 */
static int
daemonize(void)
{
	int   p[2], null;
	char  c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0 || (pid = fork()) < 0)
		mg_fatal("cannot go to the background: %s", strerror(errno));
	if (pid > 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		mg_fatal("setsid() failed (%s)", strerror(errno));
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (mg_log_fd() != 2)
			dup2(null, 2);
		close(null);
	}
	return p[1];
}

static void
started(int fd)
{
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			mg_warn("cannot tell the starting parent we run");
		close(fd);
	}
}

static int
write_pid(void)
{
	int rc = mg_pidfile_write(M.conf->pid);

	if (rc == MG_OK) {
		M.pid_path = strdup(M.conf->pid);
		return MG_OK;
	}
	if (rc == MG_DECLINED)
		return MG_ERROR;
	if (M.foreground) {
		mg_log_errno(MG_LOG_WARN, errno,
		    "cannot write the pid file "
		    "\"%s\"; running without one, so \"mcpgw -s\" will not "
		    "find "
		    "this master (set \"pid\" in %s)",
		    M.conf->pid, M.conf_path);
		return MG_OK;
	}
	mg_log_errno(MG_LOG_EMERG, errno,
	    "open() \"%s\" failed while writing "
	    "the pid file",
	    M.conf->pid);
	return MG_ERROR;
}

int
mg_master_run(mg_conf_t *conf, const mg_master_opts_t *opts)
{
	char *err = NULL;
	int   ready_fd = -1;

	M.conf = conf;
	M.conf_path = opts->conf_path;
	M.foreground = opts->foreground;
	mg_log_set_mirror(1);
	if (mg_master_open_error_log(conf, &err) != MG_OK)
		mg_fatal("%s", err ? err : "out of memory");
	/* Say so before the sockets fail to bind with EADDRINUSE. */
	if (mg_pidfile_running(conf->pid))
		exit(1);
	if ((M.sessions = mg_sesstab_create((size_t)conf->max_sessions)) ==
	    NULL)
		mg_fatal(
		    "mmap() of the session table failed (%s)", strerror(errno));
	/* the per-client limits' shared counters and marks, before any fork */
	if (mg_limit_init() != MG_OK || mg_selfconn_init() != MG_OK ||
	    mg_served_init() != MG_OK || mg_everything_lists_init() != MG_OK)
		mg_fatal("mmap() of the per-client limits failed (%s)",
		    strerror(errno));
	if (mg_master_metrics_init(conf) != MG_OK)
		mg_fatal("mmap() of the metrics failed (%s)", strerror(errno));
	if (mg_master_prepare(conf, &err) != MG_OK)
		mg_fatal("%s", err ? err : "out of memory");
	if (geteuid() != 0 && conf->user != NULL)
		mg_notice(
		    "the \"user\" directive in %s:%d has effect only when "
		    "the master runs as root",
		    conf->user_pos.file, conf->user_pos.line);
	if (!opts->foreground)
		ready_fd = daemonize();
	mg_proctitle_set("master process %s", opts->cmdline);
	if (write_pid() != MG_OK)
		exit(1);
	mg_signal_master_init(&M.waitmask);
	mg_notice("mcpgw %s starting", PACKAGE_VERSION);
	M.notify = "READY=1";
	mg_kids_start_generation();
	started(ready_fd);
	mg_log_set_mirror(0);
	loop();
	mg_listeners_close(&M.listeners);
	if (M.pid_path) {
		mg_verdict_remove(M.pid_path);
		mg_pidfile_remove(M.pid_path);
		free(M.pid_path);
	}
	mg_notice("exit");
	mg_conf_free(M.conf);
	free(M.kids);
	mg_sesstab_destroy(M.sessions);
	mg_master_forget_key(&M.ikm, &M.ikm_len);
	mg_tls_set_free(M.tls);
	return 0;
}

static const struct {
	const char *name;
	int         sig;
} signal_names[] = {
	{ "reload", SIGHUP },
	{ "stop", SIGTERM },
	{ "quit", SIGQUIT },
	{ "reopen", SIGUSR1 },
};

int
mg_master_signal(const mg_conf_t *conf, const char *name)
{
	pid_t pid;

	for (size_t i = 0; i < MG_NELEM(signal_names); i++) {
		if (strcmp(name, signal_names[i].name) != 0)
			continue;
		if ((pid = mg_pidfile_read(conf->pid)) < 0) {
			fprintf(stderr,
			    "mcpgw: cannot read the pid file \"%s\" "
			    "(%s); is mcpgw running?\n",
			    conf->pid, strerror(errno));
			return 1;
		}
		if (signal_names[i].sig == SIGHUP)
			return mg_verdict_reload(
			    conf->pid, pid, MG_RELOAD_WAIT_MS);
		if (kill(pid, signal_names[i].sig) != 0) {
			fprintf(stderr, "mcpgw: kill(%ld, %s) failed (%s)\n",
			    (long)pid, mg_signal_name(signal_names[i].sig),
			    strerror(errno));
			return 1;
		}
		return 0;
	}
	fprintf(stderr,
	    "mcpgw: invalid signal \"%s\": use reload, stop, "
	    "quit or reopen\n",
	    name);
	return 1;
}
