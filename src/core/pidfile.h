/*
 * The pid file: written by the master at start, removed at exit, read by
 * "mcpgw -s".  A stale file (its process gone, or not an mcpgw master)
 * does not stop a start.
 */
#ifndef MG_PIDFILE_H
#define MG_PIDFILE_H

#include <sys/types.h>

/* The pid in PATH, or -1 (errno set; ENOENT when there is no file). */
pid_t mg_pidfile_read(const char *path);
/* Is PID a running mcpgw master? */
int mg_pidfile_is_master(pid_t pid);
/* Does PATH name a running master other than us?  (Logged if so.) */
int mg_pidfile_running(const char *path);
/* Write our pid: MG_OK; MG_DECLINED if PATH names a running master;
 * MG_ERROR with errno if it cannot be written (not logged). */
int mg_pidfile_write(const char *path);
/* Remove PATH if it still holds our pid. */
void mg_pidfile_remove(const char *path);

#endif
