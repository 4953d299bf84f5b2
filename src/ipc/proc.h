/*
 * The process roles (OpenBSD httpd's procs[]) and what every child starts
 * with, plus the few things all processes do alike: their title in ps,
 * and dropping privileges.
 */
#ifndef MG_PROC_H
#define MG_PROC_H

#include <sys/socket.h>

#include "conf.h"
#include "listen.h"
#include "mcpgw.h"
#include "tls.h"

/* Who a child becomes when the master runs as root, looked up by the
 * master before the fork, so that children never load the name service
 * (NSS) modules themselves. */
#define MG_MAX_GROUPS 64

typedef struct {
	int   drop; /* the master is root: become uid/gid/groups */
	uid_t uid;
	gid_t gid;
	int   ngroups;
	gid_t groups[MG_MAX_GROUPS];
} mg_identity_t;

/* What a child is handed when it is forked. */
typedef struct {
	const mg_conf_t    *conf;
	mg_role_t           role;
	int                 slot;       /* worker number, 0 for the connector */
	int                 generation; /* bumped by every reload */
	int                 channel_fd; /* to the master */
	mg_listener_t      *listeners;  /* workers serve these */
	size_t              nlisteners;
	struct mg_sesstab  *sessions;    /* shared by every process */
	const mg_tls_set_t *tls;         /* TLS contexts the master made */
	const uint8_t      *session_ikm; /* key material for session ids */
	size_t              session_ikm_len;
	mg_identity_t       identity;
	int                 served_flag; /* served.h: set on the first work */
	const struct mg_proc_role *proc; /* what the child becomes */
	int board; /* its record on the status board (board.h), or -1 */
} mg_child_ctx_t;

typedef struct mg_proc_role {
	mg_role_t   role;
	const char *name;                 /* in log lines */
	const char *title;                /* in ps */
	int (*main)(mg_child_ctx_t *ctx); /* exit status */
} mg_proc_role_t;

/* Make room to rewrite argv so ps shows "mcpgw: worker process". */
void mg_proctitle_init(int argc, char **argv);
void mg_proctitle_set(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * Resolve the configuration's user and group (NULL: "nobody" when root).
 * Only meaningful when running as root; MG_ERROR with *err (malloc'd,
 * naming file:line) if the user or group does not exist.
 */
int mg_proc_resolve_user(
    const mg_conf_t *conf, uid_t *uid, gid_t *gid, char **err);

/* In the master: who children become (nothing to do unless root).
 * MG_ERROR with *err (malloc'd) if the user or group is gone. */
int mg_proc_identity(const mg_conf_t *conf, mg_identity_t *id, char **err);

/* In a child started as root: become that identity.  Returns, or fatal. */
void mg_proc_drop_privileges(const mg_identity_t *id);

#endif
