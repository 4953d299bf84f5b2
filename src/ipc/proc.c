/*
 * The process table and what every process does alike.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

extern char **environ;

static char  *title_start; /* argv[0] */
static size_t title_room;  /* contiguous argv and environ bytes */

void
mg_proctitle_init(int argc, char **argv)
{
	char  *end;
	size_t n = 0;
	char **env;

	if (argc < 1 || argv[0] == NULL)
		return;
	end = argv[0];
	for (int i = 0; i < argc; i++)
		if (argv[i] == end)
			end = argv[i] + strlen(argv[i]) + 1;
	for (int i = 0; environ[i] != NULL; i++) {
		if (environ[i] == end)
			end = environ[i] + strlen(environ[i]) + 1;
		n++;
	}
	/* The environment moves to the heap; the old space holds the title. */
	if ((env = calloc(n + 1, sizeof(char *))) == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		if ((env[i] = strdup(environ[i])) == NULL)
			return;
	environ = env;
	title_start = argv[0];
	title_room = (size_t)(end - argv[0]);
}

void
mg_proctitle_set(const char *fmt, ...)
{
	char    buf[512];
	va_list ap;
	int     n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	prctl(PR_SET_NAME, "mcpgw", 0, 0, 0);
	if (title_start == NULL || title_room < 2)
		return;
	memset(title_start, '\0', title_room);
	snprintf(title_start, title_room, "mcpgw: %s", buf);
}

static char *
user_error(const mg_conf_t *conf, const char *what, const char *name)
{
	char *msg = NULL;

	if (asprintf(&msg, "%s \"%s\" does not exist in %s:%d", what, name,
		conf->user_pos.file ? conf->user_pos.file : conf->path,
		conf->user_pos.line) < 0)
		return NULL;
	return msg;
}

int
mg_proc_resolve_user(const mg_conf_t *conf, uid_t *uid, gid_t *gid, char **err)
{
	const char    *user = conf->user ? conf->user : "nobody";
	struct passwd *pw;
	struct group  *gr;

	*err = NULL;
	if ((pw = getpwnam(user)) == NULL) {
		*err = user_error(conf, "user", user);
		return MG_ERROR;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (conf->group != NULL) {
		if ((gr = getgrnam(conf->group)) == NULL) {
			*err = user_error(conf, "group", conf->group);
			return MG_ERROR;
		}
		*gid = gr->gr_gid;
	}
	return MG_OK;
}

int
mg_proc_identity(const mg_conf_t *conf, mg_identity_t *id, char **err)
{
	const char *user = conf->user ? conf->user : "nobody";

	memset(id, 0, sizeof(*id));
	*err = NULL;
	if (geteuid() != 0)
		return MG_OK;
	if (mg_proc_resolve_user(conf, &id->uid, &id->gid, err) != MG_OK)
		return MG_ERROR;
	/* the user's supplementary groups, as initgroups() would set */
	id->ngroups = MG_MAX_GROUPS;
	if (getgrouplist(user, id->gid, id->groups, &id->ngroups) < 0) {
		mg_warn("user \"%s\" is in more than %d groups; its children "
			"keep the first %d",
		    user, MG_MAX_GROUPS, MG_MAX_GROUPS);
		id->ngroups = MG_MAX_GROUPS;
	}
	id->drop = 1;
	return MG_OK;
}

void
mg_proc_drop_privileges(const mg_identity_t *id)
{
	if (!id->drop)
		return;
	if (setgroups((size_t)id->ngroups, id->groups) != 0)
		mg_fatal("setgroups() failed (%s)", strerror(errno));
	if (setgid(id->gid) != 0)
		mg_fatal(
		    "setgid(%ld) failed (%s)", (long)id->gid, strerror(errno));
	if (setuid(id->uid) != 0)
		mg_fatal(
		    "setuid(%ld) failed (%s)", (long)id->uid, strerror(errno));
	/* setuid() clears it; a child must still die with its master gone. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}
