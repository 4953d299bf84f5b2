/*
 * The binary upgrade, the new master's side (upgrade.h): adopting the
 * listening sockets, the session key and the session table the old master
 * passed, telling it when this master serves, and handing systemd's main
 * pid back to it on a rollback.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "masterpriv.h"
#include "sdnotify.h"
#include "upgrade.h"

#define U mg_upgrade

extern char **environ;

/*
 * Remove NAME from the environment, so that no child sees it.  Its entry
 * is kept: it may be one of the heap copies proc.c made of the environment,
 * which unsetenv() drops without freeing.
 */
static void
drop_env(const char *name)
{
	static char *kept[4];
	static int   n;
	size_t       len = strlen(name);

	for (char **e = environ; *e != NULL; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=' &&
		    n < (int)MG_NELEM(kept))
			kept[n++] = *e;
	unsetenv(name);
}

/* The descriptor named by the environment variable NAME (then dropped),
 * or -1. */
static int
env_fd(const char *name)
{
	const char *v = getenv(name);
	char       *end;
	long        fd;

	if (v == NULL)
		return -1;
	errno = 0;
	fd = strtol(v, &end, 10);
	drop_env(name);
	if (errno != 0 || *end != '\0' || fd < 3 || fd > 65535 ||
	    fcntl((int)fd, F_SETFD, FD_CLOEXEC) != 0) {
		mg_warn(
		    "%s does not name an inherited descriptor; ignored", name);
		return -1;
	}
	return (int)fd;
}

/* MCPGW_LISTEN_FDS="5;6;": each into M.listeners, which the
 * configuration's listen directives then keep or close. */
static void
adopt_listeners(const char *list)
{
	while (*list != '\0') {
		char *end;
		long  fd = strtol(list, &end, 10);

		if (end == list || (*end != ';' && *end != '\0')) {
			mg_warn(
			    "MCPGW_LISTEN_FDS is malformed at \"%s\"", list);
			return;
		}
		if (mg_listeners_adopt(&M.listeners, (int)fd) != MG_OK)
			mg_log_errno(MG_LOG_WARN, errno,
			    "inherited descriptor %ld is not a listening "
			    "socket; ignored",
			    fd);
		list = *end == ';' ? end + 1 : end;
	}
}

/* The old master's session key, from its memory file. */
static void
adopt_key(int fd)
{
	struct stat st;
	uint8_t    *ikm;

	if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > 65536 ||
	    (ikm = malloc((size_t)st.st_size)) == NULL) {
		mg_warn("the inherited session key is unreadable; a new one "
			"breaks the sessions open now");
		close(fd);
		return;
	}
	if (pread(fd, ikm, (size_t)st.st_size, 0) != st.st_size) {
		mg_log_errno(MG_LOG_WARN, errno,
		    "read() of the inherited session key failed");
		free(ikm);
	} else {
		M.ikm = ikm;
		M.ikm_len = (size_t)st.st_size;
	}
	close(fd);
}

int
mg_upgrade_inherit(void)
{
	const char *list = getenv("MCPGW_LISTEN_FDS");
	int         key;

	U.tell_fd = -1;
	U.sessions_fd = -1;
	if (list == NULL)
		return MG_DECLINED;
	U.parent = getppid();
	/* the old master is systemd's main process until we serve */
	mg_sd_notify_mute(1);
	adopt_listeners(list);
	drop_env("MCPGW_LISTEN_FDS");
	if ((key = env_fd("MCPGW_KEY_FD")) >= 0)
		adopt_key(key);
	U.sessions_fd = env_fd("MCPGW_SESSIONS_FD");
	U.tell_fd = env_fd("MCPGW_UPGRADE_FD");
	mg_notice("binary upgrade: started by the old master %ld with %zu "
		  "listening socket(s)%s",
	    (long)U.parent, M.listeners.n,
	    M.ikm != NULL ? " and its session key" : "");
	return MG_OK;
}

mg_sesstab_t *
mg_upgrade_sessions(size_t capacity)
{
	mg_sesstab_t *t = NULL;

	if (U.sessions_fd >= 0 &&
	    (t = mg_sesstab_attach(U.sessions_fd)) == NULL)
		mg_log_errno(MG_LOG_WARN, errno,
		    "cannot share the old master's session table; sessions "
		    "go on from their sealed ids alone");
	if (t != NULL) {
		if (mg_sesstab_capacity(t) != capacity)
			mg_warn("max_sessions is %zu, not %zu: the session "
				"table the old master passed keeps its size",
			    mg_sesstab_capacity(t), capacity);
		return t;
	}
	if (U.sessions_fd >= 0)
		close(U.sessions_fd);
	U.sessions_fd = -1;
	return mg_sesstab_create_fd(capacity, &U.sessions_fd);
}

int
mg_upgrade_old_alive(void)
{
	return U.parent > 0 && getppid() == U.parent;
}

int
mg_upgrade_tell_ready(void)
{
	if (U.tell_fd < 0)
		return MG_DECLINED;
	if (mg_upgrade_old_alive() && write(U.tell_fd, "R", 1) == 1)
		U.told = 1;
	close(U.tell_fd);
	U.tell_fd = -1;
	mg_sd_notify_mute(0); /* the old master made us the main process */
	return U.told ? MG_OK : MG_DECLINED;
}

void
mg_upgrade_give_back(void)
{
	char state[32];

	if (!U.told || !mg_upgrade_old_alive())
		return;
	U.told = 0;
	snprintf(state, sizeof(state), "MAINPID=%ld", (long)U.parent);
	mg_sd_notify(state);
	/* no STOPPING=1 now: systemd would stop the service */
	mg_sd_notify_mute(1);
}
