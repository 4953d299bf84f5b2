/*
 * The master process.
 *
 * A plain loop, not an event loop: signals are blocked except inside
 * ppoll(), their handlers only set flags (signal.c), and the loop acts on
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

#include "accesslog.h"
#include "builtin.h"
#include "msg.h"
#include "limit.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "pidfile.h"
#include "proc.h"
#include "roles.h"
#include "sdnotify.h"
#include "selfconn.h"
#include "session.h"
#include "sesstab.h"
#include "served.h"
#include "sig.h"

/* A child had been serving once it said READY and lived this long after:
 * its death is replaced at once.  One that dies sooner failed to start;
 * the second such death in a row waits MG_RESPAWN_FIRST_MS, doubling up
 * to MG_RESPAWN_MAX_MS, so a start-up crash loop cannot spin. */
#define MG_RESPAWN_SERVED_MS 1000
#define MG_RESPAWN_FIRST_MS 500
#define MG_RESPAWN_MAX_MS 30000
#define MG_FAST_STOP_KILL_MS 2000 /* SIGKILL what a fast stop left */

typedef struct {
	pid_t         pid; /* 0: waiting to be respawned */
	mg_role_t     role;
	int           slot;
	int           generation;
	mg_channel_t *ch;
	int           ready;
	int           quitting;      /* told to QUIT or TERMINATE */
	int64_t       ready_at;      /* when it said READY */
	int64_t       quit_deadline; /* told to QUIT: killed then */
	int           failures;      /* deaths before serving, in a row */
	int           served_flag;   /* its flag in served.c, or -1 */
	int           served;        /* it had set that flag when it died */
	int64_t       respawn_at;
} mg_kid_t;

static struct {
	mg_conf_t     *conf;
	const char    *conf_path;
	int            foreground;
	int            generation;
	mg_kid_t      *kids;
	size_t         nkids;
	mg_listeners_t listeners;
	int            stopping; /* 0, 1 graceful, 2 fast */
	int64_t        stop_deadline;
	const char    *notify;   /* sent once the generation is ready */
	char          *pid_path; /* the pid file we wrote, or NULL */
	sigset_t       waitmask;
	mg_sesstab_t  *sessions; /* shared by every child, across reloads */
	uint8_t       *ikm;      /* session key material */
	size_t         ikm_len;
	mg_tls_set_t  *tls;      /* the running generation's contexts */
	uint8_t       *next_ikm; /* a reload's, until it is taken */
	size_t         next_ikm_len;
} M;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
kid_name(const mg_kid_t *k)
{
	return mg_procs[k->role].title;
}

/* The connector of generation GEN, if it runs. */
static mg_kid_t *
connector_of(int gen)
{
	for (size_t i = 0; i < M.nkids; i++)
		if (M.kids[i].role == MG_ROLE_CONNECTOR &&
		    M.kids[i].generation == gen && M.kids[i].pid > 0)
			return &M.kids[i];
	return NULL;
}

static void
kid_send(mg_kid_t *k, const mg_msg_t *m, int fd)
{
	if (k->ch == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (mg_msg_send(k->ch, 0, m, fd) != MG_OK ||
	    mg_channel_flush(k->ch) == MG_ERROR)
		mg_log_errno(MG_LOG_ERROR, errno, "cannot send %s to %s %ld",
		    mg_ipc_type_name(m->type), kid_name(k), (long)k->pid);
}

/* Give WORKER and CONNECTOR a fresh socket pair between them. */
static void
link_pair(mg_kid_t *worker, mg_kid_t *connector)
{
	mg_msg_t msg = { .type = MG_MSG_LINK,
		.link = { worker->slot, worker->generation } };
	int      sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		mg_log_errno(MG_LOG_ERROR, errno,
		    "socketpair() failed while "
		    "linking worker %d to the connector",
		    worker->slot);
		return;
	}
	kid_send(worker, &msg, sv[0]);
	kid_send(connector, &msg, sv[1]);
}

static void
link_kid(mg_kid_t *k)
{
	mg_kid_t *c;

	if (k->role == MG_ROLE_WORKER) {
		if ((c = connector_of(k->generation)) != NULL)
			link_pair(k, c);
		return;
	}
	for (size_t i = 0; i < M.nkids; i++)
		if (M.kids[i].role == MG_ROLE_WORKER &&
		    M.kids[i].generation == k->generation && M.kids[i].pid > 0)
			link_pair(&M.kids[i], k);
}

/* In a new child: keep nothing of the master's but what the role needs. */
static void
close_in_child(const mg_kid_t *self)
{
	for (size_t i = 0; i < M.nkids; i++)
		if (&M.kids[i] != self && M.kids[i].ch != NULL)
			close(mg_channel_fd(M.kids[i].ch));
	if (self->role != MG_ROLE_WORKER)
		for (size_t i = 0; i < M.listeners.n; i++)
			close(M.listeners.items[i].fd);
}

static int
spawn(mg_kid_t *k)
{
	mg_child_ctx_t ctx;
	mg_identity_t  id;
	int            sv[2];
	pid_t          pid;
	char          *err;

	/* the name service is asked here, never in a child */
	if (mg_proc_identity(M.conf, &id, &err) != MG_OK) {
		mg_error("cannot start a %s: %s", kid_name(k),
		    err ? err : "out of memory");
		free(err);
		return MG_ERROR;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		mg_log_errno(MG_LOG_ERROR, errno,
		    "socketpair() failed "
		    "while starting a %s",
		    kid_name(k));
		return MG_ERROR;
	}
	k->served_flag = mg_served_claim();
	if ((pid = fork()) < 0) {
		mg_served_release(k->served_flag);
		k->served_flag = -1;
		mg_log_errno(MG_LOG_ERROR, errno,
		    "fork() failed while starting "
		    "a %s",
		    kid_name(k));
		close(sv[0]);
		close(sv[1]);
		return MG_ERROR;
	}
	if (pid == 0) {
		close(sv[0]);
		close_in_child(k);
		ctx = (mg_child_ctx_t){ M.conf, k->role, k->slot, k->generation,
			sv[1], M.listeners.items, M.listeners.n, M.sessions,
			M.tls, M.ikm, M.ikm_len, id, k->served_flag,
			&mg_procs[k->role] };
		exit(mg_procs[k->role].main(&ctx));
	}
	close(sv[1]);
	k->pid = pid;
	k->ready = 0;
	k->quitting = 0;
	k->quit_deadline = 0;
	k->respawn_at = 0;
	k->ch = mg_channel_new(sv[0], 0);
	if (k->ch == NULL)
		close(sv[0]);
	mg_info("started %s %ld (slot %d, generation %d)", kid_name(k),
	    (long)pid, k->slot, k->generation);
	link_kid(k);
	return MG_OK;
}

static mg_kid_t *
kid_add(mg_role_t role, int slot)
{
	mg_kid_t *kids;

	kids = realloc(M.kids, (M.nkids + 1) * sizeof(*kids));
	if (kids == NULL)
		mg_fatal("out of memory adding a child");
	M.kids = kids;
	kids[M.nkids] = (mg_kid_t){ .role = role,
		.slot = slot,
		.generation = M.generation,
		.served_flag = -1 };
	return &kids[M.nkids++];
}

static void
kid_remove(mg_kid_t *k)
{
	size_t i = (size_t)(k - M.kids);

	mg_channel_free(k->ch);
	memmove(&M.kids[i], &M.kids[i + 1], (M.nkids - i - 1) * sizeof(*k));
	M.nkids--;
}

/* Start a generation: the connector first, so workers link at once. */
static void
start_generation(void)
{
	mg_kid_t *k;

	M.generation++;
	k = kid_add(MG_ROLE_CONNECTOR, 0);
	if (spawn(k) != MG_OK)
		k->respawn_at = now_ms() + MG_RESPAWN_FIRST_MS;
	for (int i = 0; i < M.conf->worker_processes; i++) {
		k = kid_add(MG_ROLE_WORKER, i);
		if (spawn(k) != MG_OK)
			k->respawn_at = now_ms() + MG_RESPAWN_FIRST_MS;
	}
}

static void
tell_all(unsigned type, int gen_below)
{
	int      ending = type == MG_MSG_QUIT || type == MG_MSG_TERMINATE;
	mg_msg_t msg = { .type = type };

	for (size_t i = 0; i < M.nkids; i++) {
		mg_kid_t *k = &M.kids[i];

		if (k->generation >= gen_below)
			continue;
		/* one waiting to be respawned is not, now */
		if (k->pid <= 0) {
			if (ending)
				kid_remove(&M.kids[i--]);
			continue;
		}
		if (ending && k->quitting && type == MG_MSG_QUIT)
			continue; /* told already */
		if (ending && !k->quitting) {
			k->quitting = 1;
			k->quit_deadline = now_ms() + M.conf->shutdown_timeout;
		}
		/* a child that does not hear it is killed at the deadline */
		kid_send(k, &msg, -1);
	}
}

static void
log_exit(const mg_kid_t *k, int status)
{
	int level = k->quitting ? MG_LOG_INFO : MG_LOG_WARN;

	if (WIFSIGNALED(status))
		mg_log(level, "%s %ld exited on signal %d (%s)", kid_name(k),
		    (long)k->pid, WTERMSIG(status),
		    mg_signal_name(WTERMSIG(status)));
	else
		mg_log(level, "%s %ld exited with code %d", kid_name(k),
		    (long)k->pid, WEXITSTATUS(status));
}

/* How long the Nth start-up failure in a row waits: 0, 500 ms, 1 s ... */
static int64_t
respawn_delay(int failures)
{
	int64_t delay = 0;

	if (failures > 1)
		delay = MG_RESPAWN_FIRST_MS;
	for (int i = 2; i < failures && delay < MG_RESPAWN_MAX_MS; i++)
		delay *= 2;
	return delay > MG_RESPAWN_MAX_MS ? MG_RESPAWN_MAX_MS : delay;
}

/* A child of the running generation died unasked (or could not be
 * started): one that had been serving is replaced at once, one that had
 * not is a start-up failure and backs off. */
static void
schedule_respawn(mg_kid_t *k)
{
	int64_t now = now_ms(), delay = 0;

	if (k->pid > 0 &&
	    (k->served ||
		(k->ready && now - k->ready_at >= MG_RESPAWN_SERVED_MS))) {
		k->failures = 0;
		mg_notice("%s %ld (slot %d) had served%s for %lld ms; "
			  "respawning it at once",
		    kid_name(k), (long)k->pid, k->slot,
		    k->served ? " clients" : "",
		    (long long)(k->ready ? now - k->ready_at : 0));
	} else {
		delay = respawn_delay(++k->failures);
		if (k->pid > 0)
			mg_warn("%s %ld (slot %d) died %s (start-up failure "
				"%d in a row); respawning in %lld ms",
			    kid_name(k), (long)k->pid, k->slot,
			    k->ready ? "just after it began to serve"
				     : "before it served",
			    k->failures, (long long)delay);
		else
			mg_warn("%s (slot %d) could not be started (start-up "
				"failure %d in a row); trying again in %lld ms",
			    kid_name(k), k->slot, k->failures,
			    (long long)delay);
	}
	mg_channel_free(k->ch);
	k->ch = NULL;
	k->pid = 0;
	k->ready = 0;
	k->respawn_at = now + delay;
}

static void
reap(void)
{
	pid_t pid;
	int   status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		mg_kid_t *k = NULL;

		for (size_t i = 0; i < M.nkids; i++)
			if (M.kids[i].pid == pid)
				k = &M.kids[i];
		if (k == NULL)
			continue;
		k->served = mg_served_release(k->served_flag);
		k->served_flag = -1;
		log_exit(k, status);
		if (k->generation == M.generation && !k->quitting &&
		    !M.stopping)
			schedule_respawn(k);
		else
			kid_remove(k);
	}
}

static void
respawn_due(void)
{
	int64_t now = now_ms();

	for (size_t i = 0; i < M.nkids; i++) {
		mg_kid_t *k = &M.kids[i];

		if (k->pid == 0 && k->respawn_at > 0 && k->respawn_at <= now &&
		    spawn(k) != MG_OK)
			schedule_respawn(k);
	}
}

/* Once every child of the running generation serves, tell systemd. */
static void
check_ready(void)
{
	if (M.notify == NULL || M.stopping)
		return;
	for (size_t i = 0; i < M.nkids; i++)
		if (M.kids[i].generation == M.generation && !M.kids[i].ready)
			return;
	mg_sd_notify(M.notify);
	mg_notice("generation %d ready: %d worker(s) and the connector",
	    M.generation, M.conf->worker_processes);
	M.notify = NULL;
}

static void
read_kid(mg_kid_t *k)
{
	mg_ipc_hdr_t   hdr;
	mg_msg_t       msg;
	const uint8_t *payload;
	int            rc, fd;

	rc = mg_channel_read(k->ch);
	while (mg_channel_next(k->ch, &hdr, &payload, &fd) == MG_OK) {
		if (fd >= 0)
			close(fd);
		if (mg_msg_unpack(hdr.type, payload, hdr.len, &msg) != MG_OK) {
			mg_error("malformed %s frame (%u bytes) from %s %ld",
			    mg_ipc_type_name(hdr.type), (unsigned)hdr.len,
			    kid_name(k), (long)k->pid);
			rc = MG_ERROR;
			break;
		}
		if (msg.type == MG_MSG_READY) {
			k->ready = 1;
			k->ready_at = now_ms();
		} else
			mg_warn("unexpected %s message from %s %ld",
			    mg_ipc_type_name(hdr.type), kid_name(k),
			    (long)k->pid);
	}
	if (rc != MG_OK) {
		/* It is exiting; SIGCHLD follows.  Stop polling its end. */
		mg_channel_free(k->ch);
		k->ch = NULL;
	}
}

static void
stop(int how)
{
	if (M.stopping >= how)
		return;
	M.stopping = how;
	mg_sd_notify("STOPPING=1");
	if (how == 1) {
		mg_notice("gracefully shutting down");
		tell_all(MG_MSG_QUIT, M.generation + 1);
		M.stop_deadline = now_ms() + M.conf->shutdown_timeout;
	} else {
		mg_notice("exiting");
		tell_all(MG_MSG_TERMINATE, M.generation + 1);
		M.stop_deadline = now_ms() + MG_FAST_STOP_KILL_MS;
	}
}

static int
open_error_log(const mg_conf_t *conf, char **err)
{
	int fd = mg_log_open(conf->error_log);

	if (fd < 0) {
		if (asprintf(err, "open() \"%s\" failed (%s) for the error log",
			conf->error_log, strerror(errno)) < 0)
			*err = NULL;
		return MG_ERROR;
	}
	mg_log_set_fd(fd);
	mg_log_set_level(conf->error_log_level);
	return MG_OK;
}

/*
 * The key material of session ids: from session_key_file, or made once
 * per master start (so a reload keeps every session).
 */
static int
load_session_key(const mg_conf_t *conf, char **err)
{
	uint8_t *ikm;
	size_t   len;

	if (conf->session_key_file != NULL) {
		if (mg_session_key_load_file(
			conf->session_key_file, &ikm, &len, err) != MG_OK)
			return MG_ERROR;
	} else if (M.ikm != NULL) {
		return MG_OK;
	} else {
		len = 32;
		if ((ikm = malloc(len)) == NULL ||
		    mg_session_ikm_generate(ikm) != MG_OK) {
			free(ikm);
			*err = strdup("cannot generate a session key");
			return MG_ERROR;
		}
	}
	/* used only once the configuration is (commit_session_key) */
	M.next_ikm = ikm;
	M.next_ikm_len = len;
	return MG_OK;
}

static void
forget_key(uint8_t **ikm, size_t *len)
{
	if (*ikm != NULL) {
		OPENSSL_cleanse(*ikm, *len);
		free(*ikm);
	}
	*ikm = NULL;
	*len = 0;
}

/* The configuration is taken: its key, if it brought one, too. */
static void
commit_session_key(void)
{
	if (M.next_ikm == NULL)
		return;
	forget_key(&M.ikm, &M.ikm_len);
	M.ikm = M.next_ikm;
	M.ikm_len = M.next_ikm_len;
	M.next_ikm = NULL;
}

/* Everything a configuration needs that can fail, before it is used. */
static int
prepare(mg_conf_t *conf, char **err)
{
	mg_tls_set_t *tls;
	uid_t         uid;
	gid_t         gid;

	*err = NULL;
	if (geteuid() == 0 &&
	    mg_proc_resolve_user(conf, &uid, &gid, err) != MG_OK)
		return MG_ERROR;
	/* certificates and keys are read here, as root, before any fork */
	if ((tls = mg_tls_set_new(conf, err)) == NULL)
		return MG_ERROR;
	if (load_session_key(conf, err) != MG_OK) {
		mg_tls_set_free(tls);
		return MG_ERROR;
	}
	if (mg_accesslog_open(conf, err) != MG_OK ||
	    mg_listeners_sync(&M.listeners, conf, err) != MG_OK) {
		forget_key(&M.next_ikm, &M.next_ikm_len);
		mg_tls_set_free(tls);
		return MG_ERROR;
	}
	commit_session_key();
	/* children of older generations have their own copies */
	mg_tls_set_free(M.tls);
	M.tls = tls;
	return MG_OK;
}

static void
reload(void)
{
	mg_conf_t *conf;
	char      *err = NULL;

	mg_notice("reloading the configuration from \"%s\"", M.conf_path);
	mg_sd_notify_reloading();
	if ((conf = mg_master_load_conf(M.conf_path, &err)) == NULL ||
	    prepare(conf, &err) != MG_OK) {
		mg_error("reload failed, keeping the running configuration: %s",
		    err ? err : "out of memory");
		free(err);
		mg_conf_free(conf);
		mg_sd_notify("READY=1");
		return;
	}
	if (open_error_log(conf, &err) != MG_OK) {
		mg_error("%s; keeping the old error log", err ? err : "?");
		free(err);
	}
	if (conf->max_sessions != M.conf->max_sessions)
		mg_warn("max_sessions changed from %d to %d: the session table "
			"keeps its size until mcpgw restarts",
		    M.conf->max_sessions, conf->max_sessions);
	tell_all(MG_MSG_QUIT, M.generation + 1);
	mg_conf_free(M.conf);
	M.conf = conf;
	start_generation();
	M.notify = "READY=1";
}

static void
reopen(void)
{
	mg_msg_t msg = { .type = MG_MSG_REOPEN, .reopen = { -1 } };
	int      fd;

	if (strcmp(M.conf->error_log, "stderr") == 0)
		return;
	if ((fd = mg_log_open(M.conf->error_log)) < 0) {
		mg_log_errno(MG_LOG_ERROR, errno,
		    "open() \"%s\" failed while "
		    "reopening the error log",
		    M.conf->error_log);
		return;
	}
	mg_log_set_fd(fd);
	mg_notice("reopened the error log \"%s\"", M.conf->error_log);
	for (size_t i = 0; i < M.nkids; i++)
		if (M.kids[i].pid > 0)
			kid_send(
			    &M.kids[i], &msg, fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

static void
reopen_access_log(void *arg, int index, int fd)
{
	mg_msg_t msg = { .type = MG_MSG_REOPEN, .reopen = { index } };

	for (size_t k = 0; k < M.nkids; k++)
		if (M.kids[k].pid > 0 && M.kids[k].role == MG_ROLE_WORKER)
			kid_send(
			    &M.kids[k], &msg, fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

static void
handle_signals(void)
{
	if (mg_sig_reap) {
		mg_sig_reap = 0;
		reap();
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
			reload();
	}
	if (mg_sig_reopen) {
		mg_sig_reopen = 0;
		reopen();
		mg_accesslog_reopen(reopen_access_log, NULL);
	}
}

/* How long ppoll may sleep: until the next respawn or deadline. */
static int64_t
next_timeout(void)
{
	int64_t now = now_ms(), t = -1;

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

/* Children past their deadline: the stop's, or shutdown_timeout after
 * a reload told an older generation to quit. */
static void
kill_stragglers(void)
{
	int64_t now = now_ms();
	int     stop_due = M.stopping && now >= M.stop_deadline;

	for (size_t i = 0; i < M.nkids; i++) {
		mg_kid_t *k = &M.kids[i];

		if (k->pid <= 0 ||
		    !(stop_due ||
			(k->quitting && k->quit_deadline > 0 &&
			    now >= k->quit_deadline)))
			continue;
		mg_warn("%s %ld did not exit in time; killing it", kid_name(k),
		    (long)k->pid);
		kill(k->pid, SIGKILL);
		k->quit_deadline = now + 1000; /* again, if need be */
	}
	if (stop_due)
		M.stop_deadline = now + 1000;
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
			read_kid(who[i]);
	}
}

static void
loop(void)
{
	while (!M.stopping || M.nkids > 0) {
		poll_once();
		handle_signals();
		if (!M.stopping)
			respawn_due();
		kill_stragglers();
		check_ready();
		/* With nothing left to wait for, a stopping master is done. */
		if (M.stopping)
			for (size_t i = 0; i < M.nkids; i++)
				if (M.kids[i].pid == 0)
					kid_remove(&M.kids[i--]);
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
	if (open_error_log(conf, &err) != MG_OK)
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
	    mg_served_init() != MG_OK)
		mg_fatal("mmap() of the per-client limits failed (%s)",
		    strerror(errno));
	if (prepare(conf, &err) != MG_OK)
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
	start_generation();
	started(ready_fd);
	mg_log_set_mirror(0);
	loop();
	mg_listeners_close(&M.listeners);
	if (M.pid_path) {
		mg_pidfile_remove(M.pid_path);
		free(M.pid_path);
	}
	mg_notice("exit");
	mg_conf_free(M.conf);
	free(M.kids);
	mg_sesstab_destroy(M.sessions);
	forget_key(&M.ikm, &M.ikm_len);
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

mg_conf_t *
mg_master_load_conf(const char *path, char **err)
{
	mg_conf_t *conf = mg_conf_load(path, err);

	if (conf != NULL && mg_builtin_resolve(conf, err) != MG_OK) {
		mg_conf_free(conf);
		return NULL;
	}
	return conf;
}

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
