/*
 * The error log: one line per event with time, level, pid and role.
 */
#ifndef MG_LOG_H
#define MG_LOG_H

#include <stdarg.h>

#include "mcpgw.h"

typedef enum {
	MG_LOG_DEBUG = 0,
	MG_LOG_INFO,
	MG_LOG_NOTICE,
	MG_LOG_WARN,
	MG_LOG_ERROR,
	MG_LOG_CRIT,
	MG_LOG_EMERG
} mg_log_level_t;

/* Name of a level ("warn"), and the level of a name (-1 if unknown). */
const char *mg_log_level_name(int level);
int         mg_log_level_parse(const char *name);

/* Role name that every line carries ("master", "worker", "connector"). */
void        mg_log_set_role(const char *role);
const char *mg_log_role(void);
void        mg_log_set_level(int level);
int         mg_log_level(void);

/*
 * Point the log at an already opened descriptor (stderr is 2).  The log
 * owns fd from now on unless it is 2.
 */
void mg_log_set_fd(int fd);
int  mg_log_fd(void);
/* In a child, make stderr the error log (as nginx does), so what a library
 * prints there before it aborts (glibc's assertion text) is kept. */
void mg_log_redirect_stderr(void);

/* While the master starts, errors go to stderr as well as to a log file,
 * so the operator who typed the command sees why it failed. */
void mg_log_set_mirror(int on);

/* Open FILE for appending; "stderr" gives 2.  -1 and errno on failure. */
int mg_log_open(const char *path);

void mg_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void mg_vlog(int level, int err, const char *fmt, va_list ap);
/* As mg_log, with errno text appended: "... (Connection refused)". */
void mg_log_errno(int level, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Log at MG_LOG_EMERG and exit(1): start-up or a broken invariant only. */
void mg_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#define mg_debug(...)                                                          \
	do {                                                                   \
		if (mg_log_level() <= MG_LOG_DEBUG)                            \
			mg_log(MG_LOG_DEBUG, __VA_ARGS__);                     \
	} while (0)
#define mg_info(...) mg_log(MG_LOG_INFO, __VA_ARGS__)
#define mg_notice(...) mg_log(MG_LOG_NOTICE, __VA_ARGS__)
#define mg_warn(...) mg_log(MG_LOG_WARN, __VA_ARGS__)
#define mg_error(...) mg_log(MG_LOG_ERROR, __VA_ARGS__)

#endif
