/*
 * The limit store's client (lstore.h): one hiredis asynchronous
 * connection per worker, its state (connecting, up, down and waiting to
 * connect again), the commands in flight with their timers, and the Lua
 * script that takes a leaky-bucket decision inside Redis.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "lstore.h"
#include "log.h"
#include "metrics.h"

/*
 * nginx's limit_req (ngx_http_limit_req_lookup) on Redis' clock, so that
 * the instances' clocks do not matter.  The bucket is a hash: e, the
 * excess in thousandths of a request; t, the last admission (ms).  Rate
 * in requests per 1000 s, burst in requests; the answer {1, excess after
 * it} (what a delay is made of), or {0, retry after ms}.  The key lives
 * until its excess has drained, and 1 s more.
 * TIME before a write needs effects replication (the default from Redis
 * 5; asked for by name before that).
 */
static const char lstore_script[] =
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local rate = tonumber(ARGV[1])\n"
    "local burst = tonumber(ARGV[2]) * 1000\n"
    "local v = redis.call('HMGET', KEYS[1], 'e', 't')\n"
    "local excess = 0\n"
    "if v[1] and v[2] then\n"
    "  local ms = now - tonumber(v[2])\n"
    "  if ms < 0 then ms = 0 end\n"
    "  excess = tonumber(v[1]) - rate * ms / 1000 + 1000\n"
    "  if excess < 0 then excess = 0 end\n"
    "end\n"
    "if excess > burst then\n"
    "  return {0, math.ceil((excess - burst) * 1000 / rate)}\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'e', excess, 't', now)\n"
    "redis.call('PEXPIRE', KEYS[1], math.ceil(excess * 1000 / rate) + "
    "1000)\n"
    "return {1, math.floor(excess)}\n";

/* Between connection attempts: from 100 ms, doubled to 2 s. */
#define LSTORE_BACKOFF_MIN 100
#define LSTORE_BACKOFF_MAX 2000

typedef enum { S_NONE = 0, S_CONNECTING, S_UP, S_DOWN } lstore_state_t;

typedef struct lcmd lcmd_t;
struct lcmd {
	lcmd_t        *prev, *next;
	struct event  *timer;
	mg_lstore_cb_t cb; /* NULL once answered (its timer fired) */
	void          *arg;
	char          *key;
	size_t         len;
	char           rate[24], burst[24];
	int            eval; /* sent as EVAL: the script was not there */
};

static struct {
	struct event_base      *base;
	const mg_limit_store_t *conf;
	redisAsyncContext      *ac;
	lstore_state_t          state;
	int                     down;    /* logged down, not yet up again */
	int                     replied; /* this connection answered */
	struct event           *retry;
	int64_t                 backoff;
	lcmd_t                 *pending;
	int                     npending;
	char                    sha[41]; /* "": not loaded yet */
} st;

static void lstore_connect(void);

static void
lstore_count(const char *event)
{
	mg_metrics_count(MG_M_LSTORE, event, NULL);
}

/* Unreachable: one line per change of state, then try again later. */
static void
lstore_down(const char *why)
{
	struct timeval tv;

	st.state = S_DOWN;
	st.sha[0] = '\0';
	if (!st.down) {
		st.down = 1;
		lstore_count("down");
		mg_warn("limit_store %s unavailable (%s): limits stored there "
			"%s until it is back",
		    st.conf->addr, why,
		    st.conf->fail_closed ? "refuse requests (fail=closed)"
					 : "admit requests (fail=open)");
	}
	tv.tv_sec = st.backoff / 1000;
	tv.tv_usec = (st.backoff % 1000) * 1000;
	evtimer_add(st.retry, &tv);
	st.backoff = st.backoff * 2 > LSTORE_BACKOFF_MAX ? LSTORE_BACKOFF_MAX
							 : st.backoff * 2;
}

/* A good answer on this connection. */
static void
lstore_answered(void)
{
	st.replied = 1;
	st.state = S_UP;
	st.backoff = LSTORE_BACKOFF_MIN;
	if (st.down) {
		st.down = 0;
		lstore_count("up");
		mg_notice("limit_store %s available again", st.conf->addr);
	}
}

/* Drop the connection ourselves (a command timed out): hiredis answers
 * every command in flight with no reply, and we connect again. */
static void
lstore_drop(const char *why)
{
	redisAsyncContext *ac = st.ac;

	st.ac = NULL; /* its disconnect callback is then not ours */
	if (ac != NULL)
		redisAsyncFree(ac);
	lstore_down(why);
}

static void
lcmd_free(lcmd_t *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		st.pending = c->next;
	if (c->next)
		c->next->prev = c->prev;
	st.npending--;
	event_free(c->timer);
	free(c->key);
	free(c);
}

static void
lcmd_answer(lcmd_t *c, int verdict, int64_t ms)
{
	mg_lstore_cb_t cb = c->cb;

	if (cb == NULL)
		return;
	c->cb = NULL;
	event_del(c->timer);
	cb(c->arg, verdict, ms);
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata);

static int
lcmd_send(lcmd_t *c)
{
	const char *argv[6];
	size_t      len[6];

	argv[0] = c->eval ? "EVAL" : "EVALSHA";
	argv[1] = c->eval ? lstore_script : st.sha;
	argv[2] = "1";
	argv[3] = c->key;
	argv[4] = c->rate;
	argv[5] = c->burst;
	for (int i = 0; i < 6; i++)
		len[i] = i == 3 ? c->len : strlen(argv[i]);
	return redisAsyncCommandArgv(st.ac, on_reply, c, 6, argv, len) ==
		REDIS_OK
	    ? MG_OK
	    : MG_ERROR;
}

/* {admitted, ms}: the script's answer. */
static int
reply_verdict(const redisReply *r, int64_t *ms)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_INTEGER)
		return MG_DECLINED;
	*ms = r->element[1]->integer;
	return r->element[0]->integer == 1 ? MG_OK : MG_BUSY;
}

static void
on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	lcmd_t     *c = privdata;
	redisReply *r = reply;
	int64_t     ms = 0;
	int         v;

	(void)ac;
	if (r == NULL) { /* the connection went away first */
		lcmd_answer(c, MG_DECLINED, 0);
		lcmd_free(c);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR && !c->eval &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0 && st.ac != NULL) {
		c->eval = 1; /* flushed meanwhile: the whole script again */
		if (lcmd_send(c) == MG_OK)
			return;
	}
	if ((v = reply_verdict(r, &ms)) == MG_DECLINED) {
		lstore_count("error");
		mg_error("limit_store %s: unexpected answer to the limit "
			 "script: %s",
		    st.conf->addr,
		    r->type == REDIS_REPLY_ERROR ? r->str : "not {n, ms}");
	} else
		lstore_answered();
	lcmd_answer(c, v, ms);
	lcmd_free(c);
}

/* SCRIPT LOAD's answer: its SHA1, for EVALSHA from now on. */
static void
on_loaded(redisAsyncContext *ac, void *reply, void *privdata)
{
	redisReply *r = reply;

	(void)ac;
	(void)privdata;
	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_STRING && r->len == 40) {
		memcpy(st.sha, r->str, 41);
		lstore_answered();
	} else
		mg_error("limit_store %s: SCRIPT LOAD failed: %s",
		    st.conf->addr,
		    r->type == REDIS_REPLY_ERROR ? r->str : "no SHA1");
}

/* AUTH's and SELECT's answers: only a refusal is news. */
static void
on_setup(redisAsyncContext *ac, void *reply, void *privdata)
{
	redisReply *r = reply;

	(void)ac;
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		mg_error("limit_store %s: %s refused: %s", st.conf->addr,
		    (const char *)privdata, r->str);
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	if (ac != st.ac || status == REDIS_OK)
		return;
	st.ac = NULL; /* hiredis frees it after this */
	lstore_down(ac->errstr);
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	if (ac != st.ac)
		return;
	st.ac = NULL;
	lstore_down(status == REDIS_OK ? "connection closed" : ac->errstr);
}

/* AUTH, SELECT and SCRIPT LOAD go first, pipelined with what follows. */
static void
lstore_setup(void)
{
	const mg_limit_store_t *s = st.conf;
	char                    db[16];

	if (s->password != NULL)
		redisAsyncCommand(
		    st.ac, on_setup, "AUTH", "AUTH %s", s->password);
	if (s->db != 0) {
		snprintf(db, sizeof(db), "%d", s->db);
		redisAsyncCommand(st.ac, on_setup, "SELECT", "SELECT %s", db);
	}
	redisAsyncCommand(
	    st.ac, on_loaded, NULL, "SCRIPT LOAD %s", lstore_script);
}

static void
lstore_connect(void)
{
	const mg_limit_store_t *s = st.conf;
	redisAsyncContext      *ac;

	ac = s->host ? redisAsyncConnect(s->host, s->port)
		     : redisAsyncConnectUnix(s->unix_path);
	if (ac == NULL) {
		lstore_down("out of memory");
		return;
	}
	if (ac->err) {
		char why[128];

		snprintf(why, sizeof(why), "%s", ac->errstr);
		redisAsyncFree(ac);
		lstore_down(why);
		return;
	}
	st.ac = ac;
	st.replied = 0;
	st.state = S_CONNECTING;
	redisLibeventAttach(ac, st.base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	lstore_setup();
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	lstore_connect();
}

/* A command not answered in timeout= ms: the store counts as down
 * (commands answer in order, so the ones behind it are late too). */
static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	lcmd_t *c = arg;
	char    why[64];

	(void)fd;
	(void)what;
	lstore_count("timeout");
	lcmd_answer(c, MG_DECLINED, 0);
	snprintf(why, sizeof(why), "no answer in %lld ms",
	    (long long)st.conf->timeout);
	if (st.ac != NULL)
		lstore_drop(why);
}

int
mg_lstore_init(struct event_base *base, const mg_conf_t *conf)
{
	if (conf->limit_store == NULL)
		return MG_OK;
	st.base = base;
	st.conf = conf->limit_store;
	st.backoff = LSTORE_BACKOFF_MIN;
	if ((st.retry = evtimer_new(base, on_retry, NULL)) == NULL)
		return MG_ERROR;
	lstore_connect();
	return MG_OK;
}

void
mg_lstore_free(void)
{
	redisAsyncContext *ac = st.ac;

	if (st.conf == NULL)
		return;
	st.ac = NULL;
	if (ac != NULL)
		redisAsyncFree(ac); /* answers what is in flight */
	if (st.retry)
		event_free(st.retry);
	memset(&st, 0, sizeof(st));
}

int
mg_lstore_up(void)
{
	return st.conf != NULL && st.state == S_UP;
}

int
mg_lstore_take(const char *zone, const char *key, size_t len, int64_t rate,
    int64_t burst, mg_lstore_cb_t cb, void *arg)
{
	const mg_limit_store_t *s = st.conf;
	struct timeval          tv;
	lcmd_t                 *c;
	size_t                  pl, zl;

	if (s == NULL || st.ac == NULL || rate <= 0)
		return MG_DECLINED;
	if (st.npending >= s->queue) {
		lstore_count("queue_full");
		return MG_DECLINED;
	}
	pl = strlen(s->prefix);
	zl = strlen(zone);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->key = malloc(pl + zl + 1 + len)) == NULL ||
	    (c->timer = evtimer_new(st.base, on_timeout, c)) == NULL) {
		if (c)
			free(c->key);
		free(c);
		return MG_DECLINED;
	}
	memcpy(c->key, s->prefix, pl);
	memcpy(c->key + pl, zone, zl);
	c->key[pl + zl] = ':';
	memcpy(c->key + pl + zl + 1, key, len);
	c->len = pl + zl + 1 + len;
	snprintf(c->rate, sizeof(c->rate), "%lld", (long long)rate);
	snprintf(c->burst, sizeof(c->burst), "%lld", (long long)burst);
	c->eval = st.sha[0] == '\0';
	c->cb = cb;
	c->arg = arg;
	c->next = st.pending;
	if (st.pending)
		st.pending->prev = c;
	st.pending = c;
	st.npending++;
	if (lcmd_send(c) != MG_OK) {
		c->cb = NULL;
		lcmd_free(c);
		return MG_DECLINED;
	}
	tv.tv_sec = s->timeout / 1000;
	tv.tv_usec = (s->timeout % 1000) * 1000;
	evtimer_add(c->timer, &tv);
	return MG_AGAIN;
}
