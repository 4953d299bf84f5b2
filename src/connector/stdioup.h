/*
 * The stdio transport's shared parts (private to connector/): the
 * exchange (stdioup.c: requests and the lines that answer them) and the
 * process it runs on (stdioproc.c: start, pipes, stop, reap).
 */
#ifndef MG_STDIOUP_H
#define MG_STDIOUP_H

#include <sys/types.h>

#include "transport.h"

struct bufferevent;
struct event;
struct event_base;

#define STDIO_ERR -32000 /* JSON-RPC code of upstream failures */
#define STDIO_LINE_MAX (MG_IPC_MAX_FRAME - 4096) /* one message */
#define STDIO_ERR_LINE 1024                      /* of stderr, logged */
#define STDIO_TERM_MS 1000 /* stdin closed, then SIGTERM */
#define STDIO_KILL_MS 2000 /* SIGTERM, then SIGKILL */
#define STDIO_REINIT_ID "\"mcpgw-reinitialize\""

typedef struct proc     proc_t;
typedef struct mg_stdio mg_stdio_t;
typedef struct mg_stdx  mg_stdx_t;

struct mg_stdx {
	mg_upx_t             h; /* first: the handle (transport.h) */
	mg_stdio_t          *s;
	proc_t              *p; /* NULL: not attached (answered, or none) */
	mg_stdx_t           *next;
	const mg_upstream_t *up;
	mg_up_ops_t          ops;
	int                  method;
	int                  initialize; /* the client's */
	int                  get;        /* the session's GET stream */
	int                  head_sent, sse;
	char                *key;      /* its id, as JSON text; NULL: none */
	char                *progress; /* its progressToken, as JSON text */
	char                *body;     /* to write once the process is ready */
	size_t               body_len;
	struct event        *timer; /* read_timeout */
	struct event        *go;    /* the next turn of the loop: start */
	int                  refuse_status; /* answer this at once */
	int                  refuse_code;
	const char          *refuse_why;
	int                  refuse_era; /* with the versions it relays */
};

struct proc {
	mg_stdio_t          *s;
	proc_t              *next;
	const mg_upstream_t *up;
	pid_t                pid;
	char                 sid[48]; /* "": stopping, no longer found */
	struct bufferevent  *in, *out, *err;
	mg_stdx_t           *xs;    /* waiting, oldest first */
	int                  ready; /* initialized (or the client's own) */
	int                  stopping;
	int                  exited;     /* reaped: its pid is not ours */
	int                  unexpected; /* it closed a pipe of its own */
	int                  termed;     /* SIGTERM sent */
	int                  drain;      /* its session ended: stop it once its
					    last request is answered */
	struct event *kill;              /* SIGKILL if still there */
};

struct mg_stdio {
	struct event_base *base;
	proc_t            *procs;
	int               *running; /* by upstream index */
	size_t             nup;
	struct event      *sigchld;
	int                nprocs;
	void (*stopped)(void *arg); /* stdios_stop_all: none left */
	void *stopped_arg;
};

/* stdioproc.c */
mg_stdio_t *mg_stdio_new(struct event_base *base, const mg_conf_t *conf);
/*
 * The connector is stopping: every process has its stdin closed, SIGTERM
 * 1 s later and SIGKILL 2 s after that, in the loop.  Returns how many
 * still run; STOPPED(ARG) is called when the last has exited.
 */
int mg_stdio_stop_all(mg_stdio_t *s, void (*stopped)(void *arg), void *arg);
/* Free it all; a process still there is sent SIGKILL, not waited for. */
void    mg_stdio_free(mg_stdio_t *s);
proc_t *mg_stdio_find(mg_stdio_t *s, const mg_upstream_t *up, const char *sid);
proc_t *mg_stdio_spawn(mg_stdio_t *s, const mg_upstream_t *up, const char *sid);
void    mg_stdio_stop(proc_t *p, const char *why);
int     mg_stdio_write(proc_t *p, const char *msg, size_t len);

/* stdioup.c */
void mg_stdio_line(proc_t *p, const char *line, size_t len);
void mg_stdx_end(mg_stdx_t *x, int code, const char *message);

#endif
