/*
 * The binary upgrade, the old master's side (upgrade.h), as nginx does
 * it: SIGUSR2 renames the pid file to PIDFILE.oldbin and runs the binary
 * on disk with the listening sockets, the session key and the session
 * table inherited (inherit.c is the new master's side); SIGWINCH makes
 * this master's children finish and exit; SIGHUP after it starts them
 * again (a rollback); when the new master exits, the pid file gets its
 * name back.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "masterpriv.h"
#include "pidfile.h"
#include "sdnotify.h"
#include "upgrade.h"

extern char **environ;

mg_upgrade_t mg_upgrade = { .ready_fd = -1, .sessions_fd = -1, .tell_fd = -1 };
#define U mg_upgrade

/*
 * The binary to run: argv[0] made absolute now, at start, but with its
 * symbolic links kept, so that a link moved to a new version is
 * followed.  Not /proc/self/exe: it names this process's file, which an
 * upgrade has replaced (or deleted).
 */
static char *
exe_path(const char *argv0)
{
	char        cwd[PATH_MAX], *p = NULL;
	const char *path = getenv("PATH");

	if (strchr(argv0, '/') != NULL) {
		if (argv0[0] == '/')
			return strdup(argv0);
		while (argv0[0] == '.' && argv0[1] == '/')
			argv0 += 2;
		if (getcwd(cwd, sizeof(cwd)) == NULL ||
		    asprintf(&p, "%s/%s", cwd, argv0) < 0)
			return NULL;
		return p;
	}
	/* found through $PATH, as the shell did */
	while (path != NULL && *path != '\0') {
		size_t n = strcspn(path, ":");

		if (asprintf(&p, "%.*s/%s", (int)n, n ? path : ".", argv0) < 0)
			return NULL;
		if (access(p, X_OK) == 0 && p[0] == '/')
			return p;
		free(p);
		p = NULL;
		path += n + (path[n] == ':');
	}
	return NULL;
}

void
mg_upgrade_init(char **argv)
{
	U.argv = argv;
	if (argv != NULL && argv[0] != NULL &&
	    (U.exe = exe_path(argv[0])) == NULL)
		mg_warn("cannot find the path of \"%s\": SIGUSR2 (binary "
			"upgrade) will be refused",
		    argv[0]);
}

static void
free_env(char **env)
{
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* The environment of the new master: ours, and where its inheritance is.
 * NULL when out of memory. */
static char **
new_env(int key_fd, int ready_fd)
{
	size_t n = 0, len = 1;
	char **env, *fds;

	for (size_t i = 0; i < M.listeners.n; i++)
		len += 12;
	if ((fds = calloc(1, len)) == NULL)
		return NULL;
	for (size_t i = 0; i < M.listeners.n; i++)
		snprintf(fds + strlen(fds), len - strlen(fds), "%d;",
		    M.listeners.items[i].fd);
	while (environ[n] != NULL)
		n++;
	env = calloc(n + 5, sizeof(*env));
	n = 0;
	for (char **e = environ; env != NULL && *e != NULL; e++)
		if (strncmp(*e, "MCPGW_", 6) != 0 &&
		    (env[n++] = strdup(*e)) == NULL)
			goto fail;
	if (env == NULL ||
	    asprintf(&env[n++], "MCPGW_LISTEN_FDS=%s", fds) < 0 ||
	    asprintf(&env[n++], "MCPGW_KEY_FD=%d", key_fd) < 0 ||
	    asprintf(&env[n++], "MCPGW_SESSIONS_FD=%d", U.sessions_fd) < 0 ||
	    asprintf(&env[n++], "MCPGW_UPGRADE_FD=%d", ready_fd) < 0)
		goto fail;
	free(fds);
	return env;
fail:
	if (env != NULL)
		env[n - 1] = NULL; /* undefined after a failed asprintf */
	free_env(env);
	free(fds);
	return NULL;
}

/* The session key in a memory file: never in argv or the environment. */
static int
key_file(void)
{
	int fd = memfd_create("mcpgw-session-key", MFD_CLOEXEC);

	if (fd >= 0 && M.ikm_len > 0 &&
	    write(fd, M.ikm, M.ikm_len) != (ssize_t)M.ikm_len) {
		close(fd);
		return -1;
	}
	return fd;
}

/* posix_spawn: an exec that fails is its return value, not a child's. */
static int
spawn_new(char **env, const int *keep, size_t nkeep, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t          at;
	sigset_t                   none, all;
	int                        rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	/* dup2 of a descriptor onto itself clears its close-on-exec */
	for (size_t i = 0; i < nkeep; i++)
		posix_spawn_file_actions_adddup2(&fa, keep[i], keep[i]);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(
	    &at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(pid, U.exe, &fa, &at, U.argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

/* Start the new master: MG_OK, or MG_ERROR with errno (logged here). */
static int
start_new(void)
{
	int    key = key_file(), p[2] = { -1, -1 }, rc = ENOMEM;
	size_t n = 0;
	int    keep[M.listeners.n + 3];
	char **env = NULL;

	if (key < 0 || pipe2(p, O_CLOEXEC) != 0) {
		rc = errno;
		goto done;
	}
	for (size_t i = 0; i < M.listeners.n; i++)
		keep[n++] = M.listeners.items[i].fd;
	keep[n++] = key;
	keep[n++] = p[1];
	if (U.sessions_fd >= 0)
		keep[n++] = U.sessions_fd;
	if ((env = new_env(key, p[1])) != NULL)
		rc = spawn_new(env, keep, n, &U.newbin);
done:
	free_env(env);
	if (key >= 0)
		close(key);
	if (p[1] >= 0)
		close(p[1]);
	if (rc != 0) {
		if (p[0] >= 0)
			close(p[0]);
		U.newbin = 0;
		mg_log_errno(MG_LOG_ERROR, rc,
		    "cannot start the new binary \"%s\"", U.exe);
		return MG_ERROR;
	}
	U.ready_fd = p[0];
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	return MG_OK;
}

/* The pid file back under its name: the new master is gone. */
static void
restore_pid_file(void)
{
	if (U.oldbin == NULL)
		return;
	if (rename(U.oldbin, M.pid_path) != 0)
		mg_log_errno(MG_LOG_ERROR, errno,
		    "rename() \"%s\" back to \"%s\" failed", U.oldbin,
		    M.pid_path);
	else
		mg_notice(
		    "renamed \"%s\" back to \"%s\"", U.oldbin, M.pid_path);
	free(U.oldbin);
	U.oldbin = NULL;
}

void
mg_upgrade_start(void)
{
	if (U.newbin > 0) {
		mg_warn("SIGUSR2 ignored: an upgrade is running already (new "
			"master %ld); QUIT one of the two masters first",
		    (long)U.newbin);
		return;
	}
	if (mg_upgrade_old_alive()) {
		mg_warn("SIGUSR2 ignored: the old master %ld still runs; QUIT "
			"it (or this one) first",
		    (long)U.parent);
		return;
	}
	if (U.exe == NULL) {
		mg_error("SIGUSR2 ignored: the path of the binary is unknown");
		return;
	}
	if (M.pid_path != NULL) {
		if (asprintf(&U.oldbin, "%s.oldbin", M.pid_path) < 0) {
			U.oldbin = NULL;
			return;
		}
		if (rename(M.pid_path, U.oldbin) != 0) {
			mg_log_errno(MG_LOG_ERROR, errno,
			    "rename() \"%s\" to \"%s\" failed; no upgrade",
			    M.pid_path, U.oldbin);
			free(U.oldbin);
			U.oldbin = NULL;
			return;
		}
	}
	mg_notice("upgrading: starting the new binary \"%s\"", U.exe);
	if (start_new() != MG_OK) {
		restore_pid_file();
		return;
	}
	mg_notice("started the new master %ld; it serves once its children "
		  "do, beside this master",
	    (long)U.newbin);
}

void
mg_upgrade_read(void)
{
	char    c;
	ssize_t n = read(U.ready_fd, &c, 1);
	char    state[32];

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	close(U.ready_fd);
	U.ready_fd = -1;
	if (n != 1)
		return; /* it exits before it served: SIGCHLD says how */
	U.new_serves = 1;
	mg_notice("the new master %ld serves: WINCH this master (%ld) to "
		  "retire its children, then QUIT it",
	    (long)U.newbin, (long)getpid());
	/* systemd follows the new master (sent by the main pid, us) */
	snprintf(state, sizeof(state), "MAINPID=%ld", (long)U.newbin);
	mg_sd_notify(state);
	mg_sd_notify_mute(1);
}

int
mg_upgrade_reaped(pid_t pid, int status)
{
	if (pid != U.newbin || U.newbin == 0)
		return 0;
	if (WIFSIGNALED(status))
		mg_warn("the new master %ld exited on signal %d", (long)pid,
		    WTERMSIG(status));
	else
		mg_log(WEXITSTATUS(status) ? MG_LOG_WARN : MG_LOG_NOTICE,
		    "the new master %ld exited with code %d%s", (long)pid,
		    WEXITSTATUS(status),
		    U.new_serves ? ""
				 : " before it served (its error log "
				   "says why): the upgrade failed");
	U.newbin = 0;
	U.new_serves = 0;
	/* it handed the main pid back as it exited (inherit.c); a new
	 * master that was killed could not, and systemd then refuses us */
	mg_sd_notify_mute(0);
	if (U.ready_fd >= 0) {
		close(U.ready_fd);
		U.ready_fd = -1;
	}
	restore_pid_file();
	/* as nginx: with our children retired, serve again */
	if (U.winched && !M.stopping)
		mg_upgrade_rollback();
	return 1;
}

void
mg_upgrade_winch(void)
{
	if (U.winched)
		return;
	if (U.newbin == 0) {
		mg_notice("SIGWINCH ignored: no new master runs (it retires "
			  "the children of an old master after SIGUSR2)");
		return;
	}
	U.winched = 1;
	mg_notice("SIGWINCH: the workers and the connector finish and exit; "
		  "HUP brings them back, QUIT ends this master");
	mg_kids_tell_all(MG_MSG_QUIT, M.generation + 1);
}

int
mg_upgrade_rollback(void)
{
	if (!U.winched)
		return 0;
	U.winched = 0;
	mg_notice("starting the workers and the connector again, with the "
		  "running configuration");
	mg_kids_start_generation();
	M.notify = "READY=1"; /* and "generation N ready" in the log */
	return 1;
}

void
mg_upgrade_exit(void)
{
	if (U.oldbin != NULL)
		mg_pidfile_remove(U.oldbin);
	free(U.oldbin);
	U.oldbin = NULL;
	mg_upgrade_give_back();
	free(U.exe);
	U.exe = NULL;
}
