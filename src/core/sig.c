/*
 * Every signal handler and signal mask of mcpgw (sig.h): flags for the
 * master, libevent signal events for the children.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "sig.h"

volatile sig_atomic_t mg_sig_reap;
volatile sig_atomic_t mg_sig_reload;
volatile sig_atomic_t mg_sig_quit;
volatile sig_atomic_t mg_sig_terminate;
volatile sig_atomic_t mg_sig_reopen;
volatile sig_atomic_t mg_sig_upgrade;
volatile sig_atomic_t mg_sig_winch;
volatile sig_atomic_t mg_sig_other;

static const struct {
	int                    sig;
	const char            *name;
	volatile sig_atomic_t *flag;
} master_signals[] = {
	{ SIGCHLD, "SIGCHLD", &mg_sig_reap },
	{ SIGHUP, "SIGHUP", &mg_sig_reload },
	{ SIGQUIT, "SIGQUIT", &mg_sig_quit },
	{ SIGTERM, "SIGTERM", &mg_sig_terminate },
	{ SIGINT, "SIGINT", &mg_sig_terminate },
	{ SIGUSR1, "SIGUSR1", &mg_sig_reopen },
	{ SIGUSR2, "SIGUSR2", &mg_sig_upgrade },
	{ SIGWINCH, "SIGWINCH", &mg_sig_winch },
};

/*
 * Signals no process of mcpgw uses whose default action would end it:
 * the master logs and ignores them, the children ignore them.  Faults
 * (SEGV, BUS, ...) keep theirs (crash.c); SIGRTMIN..SIGRTMAX are added
 * at run time.
 */
static const int unused_signals[] = { SIGPIPE, SIGALRM, SIGVTALRM, SIGPROF,
	SIGIO, SIGPWR, SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGTRAP, SIGSYS };

static const char *other_names[] = {
	[SIGKILL] = "SIGKILL",
	[SIGSEGV] = "SIGSEGV",
	[SIGABRT] = "SIGABRT",
	[SIGPIPE] = "SIGPIPE",
	[SIGBUS] = "SIGBUS",
	[SIGFPE] = "SIGFPE",
	[SIGILL] = "SIGILL",
	[SIGALRM] = "SIGALRM",
	[SIGVTALRM] = "SIGVTALRM",
	[SIGPROF] = "SIGPROF",
	[SIGIO] = "SIGIO",
	[SIGPWR] = "SIGPWR",
	[SIGSTKFLT] = "SIGSTKFLT",
	[SIGXCPU] = "SIGXCPU",
	[SIGXFSZ] = "SIGXFSZ",
	[SIGTRAP] = "SIGTRAP",
	[SIGSYS] = "SIGSYS",
	[SIGURG] = "SIGURG",
};

const char *
mg_signal_name(int sig)
{
	for (size_t i = 0; i < MG_NELEM(master_signals); i++)
		if (master_signals[i].sig == sig)
			return master_signals[i].name;
	if (sig > 0 && sig < (int)MG_NELEM(other_names) && other_names[sig])
		return other_names[sig];
	return "signal";
}

static void
master_handler(int sig)
{
	for (size_t i = 0; i < MG_NELEM(master_signals); i++)
		if (master_signals[i].sig == sig) {
			*master_signals[i].flag = 1;
			return;
		}
	mg_sig_other = sig; /* the loop logs it */
}

/* Give every unused signal the disposition HANDLER (in SET, if not NULL). */
static void
unused_set(void (*handler)(int), sigset_t *set)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < MG_NELEM(unused_signals); i++) {
		if (set != NULL)
			sigaddset(set, unused_signals[i]);
		sigaction(unused_signals[i], &sa, NULL);
	}
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++) {
		if (set != NULL)
			sigaddset(set, sig);
		sigaction(sig, &sa, NULL);
	}
}

void
mg_signal_master_init(sigset_t *unblocked)
{
	struct sigaction sa;
	sigset_t         set;

	sigemptyset(&set);
	for (size_t i = 0; i < MG_NELEM(master_signals); i++)
		sigaddset(&set, master_signals[i].sig);
	/* SIGPIPE is ignored, not waited for: a write says EPIPE itself */
	unused_set(master_handler, &set);
	sigdelset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, unblocked) != 0)
		mg_fatal("sigprocmask() failed");
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&set, sig))
			sigdelset(unblocked, sig);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = master_handler;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < MG_NELEM(master_signals); i++)
		if (sigaction(master_signals[i].sig, &sa, NULL) != 0)
			mg_fatal(
			    "sigaction(%s) failed", master_signals[i].name);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

void
mg_signal_child_reset(void)
{
	struct sigaction sa;
	sigset_t         none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < MG_NELEM(master_signals); i++)
		sigaction(master_signals[i].sig, &sa, NULL);
	unused_set(SIG_IGN, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

struct child_sig {
	void (*fn)(void *);
	void *arg;
};

static struct child_sig on_term, on_quit_cb;
static struct event    *child_events[3];

static void
child_sig_cb(evutil_socket_t sig, short what, void *arg)
{
	struct child_sig *cs = arg;

	mg_debug("%s received", mg_signal_name((int)sig));
	cs->fn(cs->arg);
}

int
mg_signal_child_events(struct event_base *base, void (*on_terminate)(void *),
    void (*on_quit)(void *), void *arg)
{
	static const int  sigs[] = { SIGTERM, SIGINT, SIGQUIT };
	struct child_sig *cbs[] = { &on_term, &on_term, &on_quit_cb };

	on_term = (struct child_sig){ on_terminate, arg };
	on_quit_cb = (struct child_sig){ on_quit, arg };
	for (size_t i = 0; i < MG_NELEM(sigs); i++) {
		child_events[i] =
		    evsignal_new(base, sigs[i], child_sig_cb, cbs[i]);
		if (child_events[i] == NULL ||
		    evsignal_add(child_events[i], NULL) != 0)
			return MG_ERROR;
	}
	return MG_OK;
}

void
mg_signal_child_free(void)
{
	for (size_t i = 0; i < MG_NELEM(child_events); i++) {
		if (child_events[i] != NULL)
			event_free(child_events[i]);
		child_events[i] = NULL;
	}
}
