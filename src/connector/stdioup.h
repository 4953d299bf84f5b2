/*
 * The stdio transport's shared parts (private to connector/): the
 * exchange (stdioup.c: requests and the lines that answer them) and the
 * process it runs on (stdioproc.c: start, pipes, stop, reap).
 */
#ifndef MG_STDIOUP_H
#define MG_STDIOUP_H

#include <stdint.h>
#include <sys/types.h>

#include "transport.h"
#include "upask.h"

struct bufferevent;
struct event;
struct event_base;
struct json_object;

#define STDIO_ERR -32000 /* JSON-RPC code of upstream failures */
#define STDIO_LINE_MAX (MG_IPC_MAX_FRAME - 4096) /* one message */
#define STDIO_ERR_LINE 1024                      /* of stderr, logged */
#define STDIO_ERR_BURST 50     /* stderr lines logged per window */
#define STDIO_ERR_WINDOW 10000 /* ms */
#define STDIO_ERR_HEAD 4       /* stderr lines kept for a failed start */
#define STDIO_ERR_HEAD_LEN 160 /* bytes of each */
#define STDIO_GONE_MS 300      /* a pipe closed: its exit status awaited */
#define STDIO_BACKOFF_MS 500   /* the second restart in a row */
#define STDIO_BACKOFF_MAX 30000
#define STDIO_STABLE_MS 10000 /* ran this long: its restarts count anew */
#define STDIO_TERM_MS 1000    /* stdin closed, then SIGTERM */
#define STDIO_KILL_MS 2000    /* SIGTERM, then SIGKILL */
#define STDIO_REINIT_ID "\"mcpgw-reinitialize\""
/* What follows our own initialize's answer (written with sizeof - 1: a
 * hand-counted length once cut its closing brace, and the servers
 * dropped the line unparsed, never initialized). */
#define STDIO_INITIALIZED                                                      \
	"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"
#define STDIO_REFUSE_END -1 /* refuse_status: end with refuse_code */

typedef struct proc     proc_t;
typedef struct mg_stdio mg_stdio_t;
typedef struct mg_stdx  mg_stdx_t;

/*
 * What a session's messages travel on, when it is not a process's pipes:
 * the legacy HTTP+SSE transport (sseup.c) is the same message-stream
 * session (one upstream session, messages out, messages in, read by
 * mg_stdio_line) over an SSE stream and POSTs.  OPEN sets P's link up
 * (MG_ERROR: logged, P not kept); WRITE sends one message; CLOSE ends
 * it at once (P is freed on the next turn of the loop); FREE frees it.
 */
typedef struct mg_stdio_link {
	const char *prefix; /* of the session ids: "sse-" */
	int (*open)(proc_t *p);
	int (*write)(proc_t *p, const char *msg, size_t len);
	void (*close)(proc_t *p);
	void (*free)(proc_t *p);
} mg_stdio_link_t;

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
	char                *ukey;     /* the id it has upstream, or NULL */
	char                *progress; /* its progressToken, as JSON text */
	char                *body;     /* to write once the process is ready */
	size_t               body_len;
	struct event        *timer; /* read_timeout */
	struct event        *go;    /* the next turn of the loop: start */
	int                  refuse_status; /* answer this at once */
	int                  refuse_code;
	const char          *refuse_why;
	/* a 2026-07-28 client's, over the bridge (stdiobridge.c) */
	int        bridged;
	int        discover; /* server/discover: the process's initialize */
	mg_upask_t ask;      /* the process's requests to the client */
	/* a tools/call: the client's body and header lines, for the
	 * Mcp-Param-* checks (stdiotools.c) */
	char  *call, *lines;
	size_t call_len, lines_len;
	int    tools_waited; /* for the tools/list in flight */
	/* the client's progressToken, which the process knows by ours */
	struct json_object *token;
	/* a subscriptions/listen: its id, and what it agreed to */
	struct json_object *listen_id, *filter;
	/* an initialize: the client's params (JSON), kept by its process */
	char *init;
	/* an initialize waiting for a process (stdiowait.c) */
	mg_stdx_t    *qnext;
	struct event *qtimer;
	int           queued;
};

/* stderr lines logged in a window, and dropped (stdioerr.c) */
typedef struct {
	int64_t window; /* ms (monotonic): when it began */
	int     lines;
	long    dropped;
} mg_stdio_rate_t;

struct proc {
	mg_stdio_t          *s;
	proc_t              *next;
	const mg_upstream_t *up;
	pid_t                pid;
	char                 sid[48]; /* "": stopping, no longer found */
	void                *link;    /* its mg_stdio_link_t's; NULL: pipes */
	int64_t              ids;     /* the last request id of ours */
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
	/* supervision (stdiosup.c): the client's initialize params, kept
	 * to initialize a restarted process; LIVE: its session was
	 * initialized (a process that exits then is restarted); a process
	 * not started yet (pid 0) waits for LATER (its backoff) */
	char         *init;
	int           live;
	int           crashed; /* a pipe closed and it did not exit */
	const char   *eof_why;
	int           restarts; /* in a row, each soon after the last */
	int64_t       started_ms;
	struct event *later;
	char          session[48]; /* its sid, kept when stopping */
	/* stderr (stdioerr.c): its first lines, for a failed start */
	char            errhead[STDIO_ERR_HEAD * (STDIO_ERR_HEAD_LEN + 3)];
	int             errhead_lines;
	mg_stdio_rate_t rate;
	/* the bridge's process: its 2026-07-28 clients' (stdiobridge.c) */
	int                 bridge;
	char               *binit;        /* its answer to our initialize */
	char                bversion[32]; /* the version it chose */
	int64_t             bused; /* ms (monotonic): its last exchange ended */
	struct json_object *subs;  /* resources/subscribe'd: uri -> count */
	/* its tools' x-mcp-header (stdiotools.c): known, being listed */
	struct mg_mcpparam *tools_map, *tools_next;
	char               *tools_cursor;
	int                 tools_pages;
	char tools_key[48]; /* the id of the page asked, JSON; "": none */
};

struct mg_stdio {
	struct event_base     *base;
	const mg_transport_t  *row;  /* the row it serves */
	const mg_stdio_link_t *link; /* NULL: processes */
	void                  *link_state;
	proc_t                *procs;
	int                   *running; /* by upstream index */
	int                   *queued;  /* by upstream index (stdiowait.c) */
	mg_stdx_t             *queue;   /* initializes waiting, oldest first */
	int                    closing; /* stopping: no more starts */
	size_t                 nup;
	struct event          *sigchld;
	int                    nprocs;
	uint64_t               bridge_ids; /* ids of bridged requests */
	void (*stopped)(void *arg);        /* stdios_stop_all: none left */
	void *stopped_arg;
};

/* stdioproc.c */
mg_stdio_t *mg_stdio_new(struct event_base *base, const mg_conf_t *conf);
/* The same for sessions on LINK (no processes, no SIGCHLD). */
mg_stdio_t *mg_stdio_new_link(struct event_base *base, const mg_conf_t *conf,
    const mg_transport_t *row, const mg_stdio_link_t *link);
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
/* A process of UP counted and listed, not started (pid 0); NULL: out of
 * memory.  mg_stdio_exec starts it: MG_OK, or MG_ERROR (logged). */
proc_t *mg_stdio_proc_new(
    mg_stdio_t *s, const mg_upstream_t *up, const char *sid);
int     mg_stdio_exec(proc_t *p);
void    mg_stdio_proc_free(proc_t *p);
int64_t mg_stdio_mono_ms(void);
/* Its session ids' prefix: "stdio-", or its link's ("sse-"). */
const char *mg_stdio_prefix(const mg_stdio_t *s);
/* The error of a session whose process (or link) could not start. */
const char *mg_stdio_no_start(const mg_stdio_t *s);
void        mg_stdio_stop(proc_t *p, const char *why);
int         mg_stdio_write(proc_t *p, const char *msg, size_t len);

/* stdioup.c */
void mg_stdio_line(proc_t *p, const char *line, size_t len);
void mg_stdx_refuse(mg_stdx_t *x, int status, int code, const char *message);

/* stdioerr.c: a process's stderr, to the error log */
/* The next line in BUF (LEN bytes): its length without its end (\n or
 * \r\n), at most MAX; *USED: the bytes it takes, its end included (a
 * line longer than MAX: its first MAX bytes, then the rest); 0: no
 * whole line yet, and fewer than MAX bytes. */
size_t mg_stdio_errline(const char *buf, size_t len, size_t max, size_t *used);
/* May a line be logged at NOW (ms)?  STDIO_ERR_BURST lines a
 * STDIO_ERR_WINDOW; *REPORT: the lines dropped in the window that just
 * ended (0: none, or it has not ended). */
int  mg_stdio_errrate(mg_stdio_rate_t *r, int64_t now, long *report);
void mg_stdio_err_read(struct bufferevent *bev, void *arg);
void mg_stdio_err_flush(proc_t *p);
/* "exited with code 3", "exited on signal 9 (Killed)" */
void mg_stdio_status(int status, char *buf, size_t size);
/* WHY, and the first stderr lines of P if it never answered */
void mg_stdio_why(const proc_t *p, const char *status, char *buf, size_t n);

/* stdiosup.c: restarts, with backoff */
/* The delay before the restart that follows N quick ones (0: the
 * first, at once; then STDIO_BACKOFF_MS doubling to STDIO_BACKOFF_MAX). */
int64_t mg_stdsup_delay(int n);
/* P, the process of a live session, ended (WHY) not by us: another takes
 * its place under the same session id (logged). */
void mg_stdsup_restart(proc_t *p, const char *why);
/* Our initialize of P with INIT (the client's params): MG_OK, or
 * MG_ERROR (P is stopping). */
int mg_stdsup_initialize(proc_t *p, const char *init, size_t len);

/* stdiowait.c: new sessions' processes, or their wait at max_processes */
/* The params of the client's initialize BODY (JSON text), or NULL. */
char *mg_stdwait_params(const char *body, size_t len);
/* A new session's process for X (an initialize); NULL: none (logged). */
proc_t *mg_stdx_new_session(mg_stdx_t *x);
/* Its process, or its place in the queue (NULL, X not to be refused),
 * or NULL with X set to be refused. */
proc_t *mg_stdwait_open(mg_stdx_t *x);
int     mg_stdwait_enter(mg_stdx_t *x);
void    mg_stdwait_leave(mg_stdx_t *x);
void    mg_stdwait_slot(mg_stdio_t *s, const mg_upstream_t *up);
void    mg_stdwait_refuse_all(mg_stdio_t *s, const char *why);
void    mg_stdx_end(mg_stdx_t *x, int code, const char *message);
void    mg_stdx_head(
       mg_stdx_t *x, int status, int kind, const char *sid, const char *version);
void mg_stdx_attach(mg_stdx_t *x, proc_t *p);
void mg_stdx_send(mg_stdx_t *x);
void mg_stdx_refuse_later(mg_stdx_t *x, int status, int code, const char *why);

/* the stdio row's calls, for a row of the same exchanges (sseup.c) */
extern const mg_transport_t mg_transport_stdio;

/* streamids.c: requests under ids of the session's own; the server's
 * messages to the exchange they name */
int         mg_stdx_own_id(mg_stdx_t *x, proc_t *p);
mg_stdx_t  *mg_stdx_answered(proc_t *p, const char *key);
const char *mg_stdx_client_id(mg_stdx_t *x, struct json_object *m, size_t *len);
/* The progressToken M names (JSON text, or NULL), and the exchange of P
 * that carries M: the one its token names, else the newest request that
 * waits, else the session's GET stream; NULL: none (*SHARED: a request
 * of the bridge's process, whose client is unknown). */
char      *mg_stdx_progress_of(struct json_object *m);
mg_stdx_t *mg_stdx_carrier(proc_t *p, struct json_object *m, int *shared);

/* stdiobridge.c: 2026-07-28 clients over one process of a 2025 server */
void mg_stdbridge_enter(mg_stdx_t *x, const mg_up_req_t *req);
void mg_stdbridge_ready(
    proc_t *p, struct json_object *m, const char *line, size_t len);
void mg_stdbridge_go(mg_stdx_t *x);
void mg_stdbridge_message(mg_stdx_t *x, const char *line, size_t len);
void mg_stdbridge_park(mg_stdx_t *x, const mg_up_ops_t *ops);
void mg_stdbridge_resume(mg_stdx_t *x, const mg_up_ops_t *ops, const char *body,
    size_t len, int caps);
void mg_stdbridge_idle(proc_t *p);
int  mg_stdbridge_notify(proc_t *p, struct json_object *m);
void mg_stdbridge_unlisten(mg_stdx_t *x, proc_t *p);
void mg_stdbridge_take(mg_stdio_t *s, int64_t idle_ms);

/* stdiotools.c: the Mcp-Param-* checks of the bridge's tools/calls */
void mg_stdtools_fetch(proc_t *p);
int  mg_stdtools_answer(proc_t *p, const char *key, struct json_object *m);
int  mg_stdtools_check(mg_stdx_t *x, proc_t *p);
void mg_stdtools_free(proc_t *p);

#endif
