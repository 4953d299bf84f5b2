/*
 * All signal handling in one place.  In the master, handlers only set
 * flags and the loop (master.c) acts on them; event-loop processes use
 * libevent signal events (mg_signal_child_events).
 */
#ifndef MG_SIG_H
#define MG_SIG_H

#include <signal.h>

struct event_base;

/* What the master has been asked to do; set by handlers, cleared by the loop.
 */
extern volatile sig_atomic_t mg_sig_reap;      /* SIGCHLD */
extern volatile sig_atomic_t mg_sig_reload;    /* SIGHUP */
extern volatile sig_atomic_t mg_sig_quit;      /* SIGQUIT: graceful stop */
extern volatile sig_atomic_t mg_sig_terminate; /* SIGTERM, SIGINT: fast stop */
extern volatile sig_atomic_t mg_sig_reopen;    /* SIGUSR1 */
extern volatile sig_atomic_t mg_sig_upgrade;   /* SIGUSR2: new binary */
extern volatile sig_atomic_t mg_sig_winch;     /* SIGWINCH: children quit */
/* The last signal the master does not use (SIGALRM ...): logged, ignored */
extern volatile sig_atomic_t mg_sig_other;

/*
 * Install the master's handlers with the signals blocked; *unblocked is
 * the mask to wait with (ppoll), under which they are delivered.
 */
void mg_signal_master_init(sigset_t *unblocked);

/* In a freshly forked child: default dispositions, nothing blocked, and
 * every signal the children do not use (SIGUSR2, SIGALRM, SIGPIPE, ...)
 * ignored, so that none is fatal. */
void mg_signal_child_reset(void);

/*
 * Add libevent signal events to BASE: SIGTERM/SIGINT call on_terminate,
 * SIGQUIT calls on_quit; SIGHUP and SIGUSR1 are ignored (the master drives
 * those through the channel); SIGPIPE is ignored.
 */
int mg_signal_child_events(struct event_base *base,
    void (*on_terminate)(void *), void (*on_quit)(void *), void *arg);

/* Free what mg_signal_child_events added (before event_base_free). */
void mg_signal_child_free(void);

/* Signal name for log lines ("SIGKILL"). */
const char *mg_signal_name(int sig);

#endif
