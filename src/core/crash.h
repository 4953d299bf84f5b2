/*
 * The last words of a child: a fatal signal (an assertion's abort, a
 * segmentation fault) is reported in the error log with the process role
 * and what the process had in hand, before the process dies of it.
 */
#ifndef MG_CRASH_H
#define MG_CRASH_H

#include <stddef.h>

/* In a child, at start-up: handlers for SIGABRT, SIGSEGV, SIGBUS, SIGFPE
 * and SIGILL, on a stack of their own. */
void mg_crash_init(void);

/*
 * What this process is doing now: up to three strings, joined by spaces
 * and copied (cut at about 200 bytes), so nothing they point to need live
 * on.  Cheap enough to call once per request or frame.
 */
void mg_crash_doing(const char *what, const char *a, const char *b);
/* Nothing in hand (the end of a callback that called mg_crash_doing). */
void mg_crash_done(void);

/*
 * The report's text for signal SIG in process ROLE, into BUF (no
 * allocation, no stdio: it runs in the handler).  Returns the length.
 */
size_t mg_crash_format(char *buf, size_t size, int sig, const char *role);

#endif
