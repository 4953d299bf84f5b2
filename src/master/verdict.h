/*
 * The verdict of a reload, for "mcpgw -s reload" to wait for and report
 * (so that systemctl reload fails when the new configuration was
 * refused).  After each reload the master writes one line, "PID SEQ
 * ok|failed MESSAGE", to the pid file's path plus ".reload" (a new file
 * renamed over the old: a reader never sees half of one); the command
 * reads it before it sends SIGHUP, then waits for the next SEQ of that
 * PID.
 */
#ifndef MG_VERDICT_H
#define MG_VERDICT_H

#include <stddef.h>
#include <sys/types.h>

#define MG_VERDICT_MSG_MAX 1024 /* bytes of MESSAGE kept */

typedef struct {
	pid_t    pid; /* the master's */
	unsigned seq; /* its reloads so far */
	int      ok;
	char     msg[MG_VERDICT_MSG_MAX];
} mg_verdict_t;

/* Master: the verdict of reload SEQ; MG_ERROR (logged) if it cannot. */
int mg_verdict_write(
    const char *pid_path, unsigned seq, int ok, const char *msg);
/* Master, at exit: remove the file if it is ours. */
void mg_verdict_remove(const char *pid_path);

/* "mcpgw -s reload": send SIGHUP to PID and wait up to WAIT_MS for its
 * verdict; 0 when the reload succeeded, else 1 with the reason on
 * stderr. */
int mg_verdict_reload(const char *pid_path, pid_t pid, int wait_ms);

#endif
