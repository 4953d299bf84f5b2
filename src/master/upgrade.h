/*
 * The binary upgrade (nginx's USR2, WINCH, HUP after WINCH): upgrade.c is
 * the old master's side, inherit.c the new master's.  Private to master/.
 *
 * The old master passes its listening sockets, the session key and the
 * session table to the new one as inherited descriptors, named by
 * MCPGW_LISTEN_FDS ("5;6;"), MCPGW_KEY_FD (a memory file holding the
 * key), MCPGW_SESSIONS_FD (the table's memory file) and MCPGW_UPGRADE_FD
 * (a pipe the new master writes one byte to once its children serve).
 */
#ifndef MG_UPGRADE_H
#define MG_UPGRADE_H

#include <sys/types.h>

#include "sesstab.h"

typedef struct {
	/* the old master's side (upgrade.c) */
	char  *exe;         /* the binary: argv[0] made absolute at start */
	char **argv;        /* as started (a copy: the title overwrites it) */
	pid_t  newbin;      /* the new master, or 0 */
	int    ready_fd;    /* its "I serve" pipe until it says so, or -1 */
	int    new_serves;  /* it said so */
	char  *oldbin;      /* our pid file renamed to this, or NULL */
	int    winched;     /* our children told to finish, none respawned */
	int    sessions_fd; /* the session table's memory file */
	/* the new master's side (inherit.c) */
	pid_t parent;  /* the old master that started us, or 0 */
	int   tell_fd; /* where to say "I serve", or -1 */
	int   told;    /* said it: systemd follows us */
} mg_upgrade_t;

extern mg_upgrade_t mg_upgrade;

/* upgrade.c */
void mg_upgrade_init(char **argv);
void mg_upgrade_start(void);    /* SIGUSR2 */
void mg_upgrade_winch(void);    /* SIGWINCH */
int  mg_upgrade_rollback(void); /* SIGHUP: 1 if it was a rollback */
void mg_upgrade_read(void);     /* U.ready_fd is readable */
int  mg_upgrade_reaped(pid_t pid, int status); /* 1: the new master */
void mg_upgrade_exit(void);

/* inherit.c */
/* In a new master, before its configuration is prepared: adopt what the
 * old one passed.  MG_OK, or MG_DECLINED when not started by an upgrade. */
int mg_upgrade_inherit(void);
/* The session table: the inherited one, or a new one. */
mg_sesstab_t *mg_upgrade_sessions(size_t capacity);
/* Was this master started by an old one that still runs? */
int mg_upgrade_old_alive(void);
/* The first generation serves: tell the old master, which tells systemd.
 * MG_DECLINED when there is no old master to tell. */
int mg_upgrade_tell_ready(void);
/* Stopping while the old master runs (a rollback): hand systemd's main
 * pid back to it, and tell systemd nothing more. */
void mg_upgrade_give_back(void);

#endif
