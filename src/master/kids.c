/*
 * The master's children (masterpriv.h): the table of kids, forking one
 * into its role with its channel and its link to the connector of its
 * generation, READY, what each says, respawn (at once after serving,
 * with backoff after a start-up failure), reaping, and the deadlines of
 * those told to quit.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "board.h"
#include "limitzone.h"
#include "log.h"
#include "masterpriv.h"
#include "metrics.h"
#include "roles.h"
#include "sdnotify.h"
#include "served.h"
#include "sig.h"
#include "upgrade.h"

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

void
mg_kid_send(mg_kid_t *k, const mg_msg_t *m, int fd)
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
	mg_kid_send(worker, &msg, sv[0]);
	mg_kid_send(connector, &msg, sv[1]);
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
	k->metrics_slot = mg_master_metrics_claim(k);
	if ((pid = fork()) < 0) {
		mg_served_release(k->served_flag);
		k->served_flag = -1;
		mg_master_metrics_exited(k, 0);
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
		/* counting only for a configuration that shows it */
		mg_metrics_use(M.conf->metrics_page ? k->metrics_slot : -1);
		ctx = (mg_child_ctx_t){ M.conf, k->role, k->slot, k->generation,
			sv[1], M.listeners.items, M.listeners.n, M.sessions,
			M.tls, M.ikm, M.ikm_len, id, k->served_flag,
			&mg_procs[k->role], k->board };
		exit(mg_procs[k->role].main(&ctx));
	}
	close(sv[1]);
	k->pid = pid;
	mg_board_started(k->board, pid, k->restarts);
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
	mg_master_metrics_spawned();
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
		.served_flag = -1,
		.metrics_slot = -1,
		.board = mg_board_claim((int)role, slot, M.generation) };
	return &kids[M.nkids++];
}

void
mg_kid_remove(mg_kid_t *k)
{
	size_t i = (size_t)(k - M.kids);

	mg_board_release(k->board);
	mg_channel_free(k->ch);
	memmove(&M.kids[i], &M.kids[i + 1], (M.nkids - i - 1) * sizeof(*k));
	M.nkids--;
}

/* Start a generation: the connector first, so workers link at once. */
void
mg_kids_start_generation(void)
{
	mg_kid_t *k;

	M.generation++;
	mg_board_generation(M.generation, M.generation > 1);
	k = kid_add(MG_ROLE_CONNECTOR, 0);
	if (spawn(k) != MG_OK)
		k->respawn_at = mg_master_now_ms() + MG_RESPAWN_FIRST_MS;
	for (int i = 0; i < M.conf->worker_processes; i++) {
		k = kid_add(MG_ROLE_WORKER, i);
		if (spawn(k) != MG_OK)
			k->respawn_at =
			    mg_master_now_ms() + MG_RESPAWN_FIRST_MS;
	}
}

void
mg_kids_tell_all(unsigned type, int gen_below)
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
				mg_kid_remove(&M.kids[i--]);
			continue;
		}
		if (ending && k->quitting && type == MG_MSG_QUIT)
			continue; /* told already */
		if (ending && !k->quitting) {
			k->quitting = 1;
			k->quit_deadline =
			    mg_master_now_ms() + M.conf->shutdown_timeout;
		}
		/* a child that does not hear it is killed at the deadline */
		mg_kid_send(k, &msg, -1);
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
	int64_t now = mg_master_now_ms(), delay = 0;

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
	if (k->pid > 0)
		k->restarts++;
	k->pid = 0;
	k->ready = 0;
	k->respawn_at = now + delay;
	mg_board_started(k->board, 0, k->restarts);
}

void
mg_kids_reap(void)
{
	pid_t pid;
	int   status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		mg_kid_t *k = NULL;

		for (size_t i = 0; i < M.nkids; i++)
			if (M.kids[i].pid == pid)
				k = &M.kids[i];
		if (k == NULL) {
			mg_upgrade_reaped(pid, status); /* a new master */
			continue;
		}
		mg_limitzones_reaped(pid); /* calls it left in flight */
		k->served = mg_served_release(k->served_flag);
		k->served_flag = -1;
		log_exit(k, status);
		mg_master_metrics_exited(k,
		    k->generation == M.generation && !k->quitting &&
			!M.stopping);
		if (k->generation == M.generation && !k->quitting &&
		    !M.stopping)
			schedule_respawn(k);
		else
			mg_kid_remove(k);
	}
	mg_master_metrics_reaped();
}

void
mg_kids_respawn_due(void)
{
	int64_t now = mg_master_now_ms();

	for (size_t i = 0; i < M.nkids; i++) {
		mg_kid_t *k = &M.kids[i];

		if (k->pid == 0 && k->respawn_at > 0 && k->respawn_at <= now &&
		    spawn(k) != MG_OK)
			schedule_respawn(k);
	}
}

/* Once every child of the running generation serves, tell systemd. */
void
mg_kids_check_ready(void)
{
	if (M.notify == NULL || M.stopping)
		return;
	for (size_t i = 0; i < M.nkids; i++)
		if (M.kids[i].generation == M.generation && !M.kids[i].ready)
			return;
	/* a new master's old one tells systemd (MAINPID=) */
	if (mg_upgrade_tell_ready() == MG_DECLINED)
		mg_sd_notify(M.notify);
	mg_notice("generation %d ready: %d worker(s) and the connector",
	    M.generation, M.conf->worker_processes);
	M.notify = NULL;
}

void
mg_kid_read(mg_kid_t *k)
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
			k->ready_at = mg_master_now_ms();
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

/* Children past their deadline: the stop's, or shutdown_timeout after
 * a reload told an older generation to quit. */
void
mg_kids_kill_stragglers(void)
{
	int64_t now = mg_master_now_ms();
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
