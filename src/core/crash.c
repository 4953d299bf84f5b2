/*
 * The fatal-signal report.  The handler may only use async-signal-safe
 * calls: it formats by hand into a stack buffer, writes one line to the
 * error log with write(2), and lets the signal kill the process as it
 * would have, so the master still sees (and logs) how the child died.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "log.h"
#include "sig.h"

#if defined(__SANITIZE_ADDRESS__)
#define MG_CRASH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MG_CRASH_ASAN 1
#endif
#endif

static char   doing[208];
static size_t doing_len;
static long   utc_offset; /* seconds east of UTC, as the log's localtime */

static const struct {
	int         sig;
	const char *means;
	int         asan; /* also under AddressSanitizer, which has its own */
} fatal[] = {
	{ SIGABRT, "an assertion failed or abort() was called", 1 },
	{ SIGSEGV, "invalid memory access", 0 },
	{ SIGBUS, "bus error", 0 },
	{ SIGFPE, "arithmetic fault", 0 },
	{ SIGILL, "illegal instruction", 0 },
};

static size_t
put(char *buf, size_t size, size_t n, const char *s)
{
	while (s != NULL && *s != '\0' && n + 1 < size)
		buf[n++] = *s++;
	return n;
}

static size_t
put_num(char *buf, size_t size, size_t n, unsigned long v)
{
	char   tmp[24];
	size_t i = sizeof(tmp) - 1;

	tmp[i] = '\0';
	do
		tmp[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0 && i > 0);
	return put(buf, size, n, tmp + i);
}

/* Append S and a space; a string cut at the end still ends the text. */
static size_t
doing_add(size_t n, const char *s)
{
	size_t len = strnlen(s, sizeof(doing) - 1 - n);

	memcpy(doing + n, s, len);
	n += len;
	if (n < sizeof(doing) - 1)
		doing[n++] = ' ';
	return n;
}

void
mg_crash_doing(const char *what, const char *a, const char *b)
{
	size_t n = doing_add(0, what);

	if (a != NULL)
		n = doing_add(n, a);
	if (b != NULL)
		n = doing_add(n, b);
	doing_len = n - 1; /* without the last space */
}

void
mg_crash_done(void)
{
	doing_len = 0;
}

static size_t
put_2(char *buf, size_t size, size_t n, long v, const char *after)
{
	char two[3] = { (char)('0' + v / 10 % 10), (char)('0' + v % 10), 0 };

	return put(buf, size, put(buf, size, n, two), after);
}

/* The log's "2026/12/06 22:07:39.792 " without localtime_r, which may
 * lock: days to civil date (H. Hinnant's algorithm), offset taken at init. */
static size_t
put_time(char *buf, size_t size, size_t n)
{
	struct timespec ts;
	long            s, days, yoe, doy, mp, y, m, d;

	clock_gettime(CLOCK_REALTIME, &ts);
	s = (long)ts.tv_sec + utc_offset;
	days = s / 86400 + 719468;
	s %= 86400;
	yoe = (days % 146097 - (days % 146097) / 1460 +
		  (days % 146097) / 36524 - (days % 146097) / 146096) /
	    365;
	y = yoe + days / 146097 * 400;
	doy = days % 146097 - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	n = put_num(buf, size, n, (unsigned long)(y + (m <= 2)));
	n = put_2(buf, size, put(buf, size, n, "/"), m, "/");
	n = put_2(buf, size, n, d, " ");
	n = put_2(buf, size, n, s / 3600, ":");
	n = put_2(buf, size, n, s / 60 % 60, ":");
	n = put_2(buf, size, n, s % 60, ".");
	n = put_2(buf, size, n, ts.tv_nsec / 10000000, "");
	return put_num(
	    buf, size, n, (unsigned long)(ts.tv_nsec / 1000000 % 10));
}

size_t
mg_crash_format(char *buf, size_t size, int sig, const char *role)
{
	const char *means = "fatal signal";
	size_t      n;

	for (size_t i = 0; i < MG_NELEM(fatal); i++)
		if (fatal[i].sig == sig)
			means = fatal[i].means;
	n = put(buf, size, put_time(buf, size, 0), " [crit] ");
	n = put_num(buf, size, n, (unsigned long)getpid());
	n = put(buf, size, n, " ");
	n = put(buf, size, n, role);
	n = put(buf, size, n, ": ");
	n = put(buf, size, n, mg_signal_name(sig));
	n = put(buf, size, n, " (");
	n = put(buf, size, n, means);
	n = put(buf, size, n, ") while ");
	if (doing_len > 0) {
		doing[doing_len < sizeof(doing) ? doing_len
						: sizeof(doing) - 1] = '\0';
		n = put(buf, size, n, doing);
	} else
		n = put(buf, size, n, "it had no request in hand");
	n = put(buf, size, n, "; the process dies of it");
	if (n < size)
		buf[n++] = '\n';
	return n;
}

static void
crash_handler(int sig)
{
	char   line[512];
	size_t n = mg_crash_format(line, sizeof(line), sig, mg_log_role());

	/* nothing can be done if the log fails: the master logs the death */
	if (write(mg_log_fd(), line, n) < 0)
		_exit(128 + sig);
	/* SA_RESETHAND made the action the default again, and the signal is
	 * blocked until the handler returns: then it kills the process, be
	 * it a fault or a kill(2) from outside. */
	raise(sig);
}

void
mg_crash_init(void)
{
	static char altstack[16384];
	stack_t     ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;
	struct tm        tm;
	time_t           now = time(NULL);

	if (localtime_r(&now, &tm) != NULL)
		utc_offset = tm.tm_gmtoff;

	/* a stack overflow must not leave the handler without a stack */
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crash_handler;
	sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < MG_NELEM(fatal); i++) {
#ifdef MG_CRASH_ASAN
		if (!fatal[i].asan)
			continue;
#endif
		sigaction(fatal[i].sig, &sa, NULL);
	}
}
