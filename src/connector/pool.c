/*
 * The members of the configuration's pools, in the connector (pool.h):
 * each one's state in one place (its failures, out until when, what an
 * active check said), each change logged once, and the choice of a
 * member for a session made from that state (poolpick.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "pool.h"

typedef struct {
	const mg_upstream_t *up; /* the member's own */
	int                  fails;
	int64_t              window;    /* ms: the first failure counted */
	int64_t              until;     /* ms: out until then (failures) */
	int                  out;       /* taken out, said so */
	int                  checked;   /* an active check says it is down */
	char                 text[160]; /* its URL or command line */
	/* its series (metrics.h), NULL when nothing is counted */
	mg_metrics_series_t *exchanges, *failures, *out_now;
} member_t;

typedef struct {
	const mg_upstream_t *pool;
	size_t               n;
	member_t            *m;
	mg_pick_t           *pick;
	uint32_t            *tags;
} upool_t;

struct mg_pools {
	size_t    nup;
	upool_t **by_index; /* a pool's or a member's index: its pool */
	int      *number;   /* a member's index: its place in its pool */
	upool_t  *pools;
	size_t    npools;
};

static int64_t
pool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* M's URL, or its command line, into BUF (cut short if it must be). */
static void
member_text(const mg_upstream_t *m, char *buf, size_t size)
{
	size_t n = 0;

	if (m->server.url != NULL) {
		snprintf(buf, size, "%s", m->server.url);
		return;
	}
	buf[0] = '\0';
	for (char *const *a = m->command; *a != NULL && n + 1 < size; a++)
		n += (size_t)snprintf(
		    buf + n, size - n, "%s%s", a == m->command ? "" : " ", *a);
}

static void
member_series(member_t *s)
{
	if (!mg_metrics_on())
		return;
	s->exchanges =
	    mg_metrics_static(MG_M_POOL_EXCHANGES, s->up->name, s->text);
	s->failures =
	    mg_metrics_static(MG_M_POOL_FAILURES, s->up->name, s->text);
	s->out_now = mg_metrics_static(MG_M_POOL_OUT, s->up->name, s->text);
	/* from the first scrape: a series that is missing is no data */
	mg_metrics_add(s->exchanges, 0);
	mg_metrics_add(s->failures, 0);
	mg_metrics_set(s->out_now, 0);
}

static int
pools_fill(upool_t *p, const mg_upstream_t *u)
{
	p->pool = u;
	p->n = u->nmembers;
	p->m = calloc(p->n, sizeof(*p->m));
	p->pick = calloc(p->n, sizeof(*p->pick));
	p->tags = calloc(p->n, sizeof(*p->tags));
	if (p->m == NULL || p->pick == NULL || p->tags == NULL)
		return MG_ERROR;
	for (size_t i = 0; i < p->n; i++) {
		p->m[i].up = u->members[i].up;
		member_text(p->m[i].up, p->m[i].text, sizeof(p->m[i].text));
		p->pick[i].weight = u->members[i].weight;
		p->pick[i].backup = u->members[i].backup;
		p->tags[i] = u->members[i].tag;
	}
	return MG_OK;
}

mg_pools_t *
mg_pools_new(const mg_conf_t *conf)
{
	mg_pools_t *ps = calloc(1, sizeof(*ps));
	size_t      k = 0;

	if (ps == NULL)
		return NULL;
	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next) {
		ps->nup++;
		ps->npools += u->nmembers > 1;
	}
	ps->by_index = calloc(ps->nup + 1, sizeof(*ps->by_index));
	ps->number = calloc(ps->nup + 1, sizeof(*ps->number));
	ps->pools = calloc(ps->npools + 1, sizeof(*ps->pools));
	if (ps->by_index == NULL || ps->number == NULL || ps->pools == NULL)
		goto fail;
	for (const mg_upstream_t *u = conf->upstreams; u; u = u->next) {
		if (u->nmembers < 2 || u->members[0].up == NULL)
			continue;
		if (pools_fill(&ps->pools[k], u) != MG_OK)
			goto fail;
		ps->by_index[u->index] = &ps->pools[k];
		for (size_t i = 0; i < u->nmembers; i++) {
			ps->by_index[u->members[i].up->index] = &ps->pools[k];
			ps->number[u->members[i].up->index] = (int)i;
		}
		k++;
	}
	return ps;
fail:
	mg_pools_free(ps);
	return NULL;
}

void
mg_pools_free(mg_pools_t *ps)
{
	if (ps == NULL)
		return;
	for (size_t i = 0; ps->pools != NULL && i < ps->npools; i++) {
		free(ps->pools[i].m);
		free(ps->pools[i].pick);
		free(ps->pools[i].tags);
	}
	free(ps->pools);
	free(ps->by_index);
	free(ps->number);
	free(ps);
}

/* M's state, or NULL when M is no member. */
static member_t *
pool_member(mg_pools_t *ps, const mg_upstream_t *m, upool_t **pp)
{
	upool_t *p;

	if (ps == NULL || m->index < 0 || (size_t)m->index >= ps->nup ||
	    m->pool == NULL || (p = ps->by_index[m->index]) == NULL)
		return NULL;
	if (pp != NULL)
		*pp = p;
	return &p->m[ps->number[m->index]];
}

static int
member_down(const member_t *s, int64_t now)
{
	return s->checked || s->until > now;
}

void
mg_pool_member_fail(mg_pools_t *ps, const mg_upstream_t *m, const char *why)
{
	member_t *s = pool_member(ps, m, NULL);
	int64_t   now = pool_now_ms(), timeout;

	if (s == NULL)
		return;
	mg_metrics_add(s->failures, 1);
	if (m->member->max_fails == 0)
		return;
	timeout = m->member->fail_timeout;
	if (s->fails == 0 || now - s->window > timeout) {
		s->fails = 0;
		s->window = now;
	}
	if (++s->fails < m->member->max_fails || s->until > now)
		return;
	s->until = now + timeout;
	s->fails = 0;
	s->out = 1;
	mg_metrics_set(s->out_now, 1);
	mg_warn("upstream \"%s\": server \"%s\" taken out for %lld ms after "
		"%d failure%s within fail_timeout (the last: %s)",
	    m->name, s->text, (long long)timeout, m->member->max_fails,
	    m->member->max_fails > 1 ? "s" : "", why ? why : "no answer");
}

void
mg_pool_member_ok(mg_pools_t *ps, const mg_upstream_t *m)
{
	member_t *s = pool_member(ps, m, NULL);

	if (s == NULL || (s->fails == 0 && !s->out))
		return;
	s->fails = 0;
	s->until = 0;
	if (s->out && !s->checked)
		mg_metrics_set(s->out_now, 0);
	if (s->out)
		mg_notice("upstream \"%s\": server \"%s\" answers again, back "
			  "in the pool",
		    m->name, s->text);
	s->out = 0;
}

void
mg_pool_member_down(
    mg_pools_t *ps, const mg_upstream_t *m, int down, const char *why)
{
	member_t *s = pool_member(ps, m, NULL);

	if (s == NULL || s->checked == (down != 0))
		return;
	s->checked = down != 0;
	mg_metrics_set(s->out_now, down || s->out);
	if (down)
		mg_warn(
		    "upstream \"%s\": server \"%s\" taken out by its health "
		    "check (%s)",
		    m->name, s->text, why ? why : "failed");
	else
		mg_notice(
		    "upstream \"%s\": server \"%s\" back in the pool (its "
		    "health check passed)",
		    m->name, s->text);
}

int
mg_pool_member_usable(mg_pools_t *ps, const mg_upstream_t *m)
{
	member_t *s = pool_member(ps, m, NULL);

	return s == NULL || !member_down(s, pool_now_ms());
}

void
mg_pool_member_conns(mg_pools_t *ps, const mg_upstream_t *m, int delta)
{
	upool_t  *p;
	member_t *s = pool_member(ps, m, &p);

	if (s == NULL)
		return;
	p->pick[s - p->m].conns += delta;
	if (delta > 0)
		mg_metrics_add(s->exchanges, 1);
}

void
mg_pools_metrics(mg_pools_t *ps)
{
	for (size_t i = 0; ps != NULL && i < ps->npools; i++)
		for (size_t k = 0; k < ps->pools[i].n; k++)
			member_series(&ps->pools[i].m[k]);
}

const mg_upstream_t *
mg_pool_choose(mg_pools_t *ps, const mg_upstream_t *pool, const char *sid,
    int has_tag, uint32_t tag, unsigned char *tried)
{
	upool_t *p;
	int64_t  now = pool_now_ms();
	int      i = -1, all_down = 1;

	if (pool->index < 0 || (size_t)pool->index >= ps->nup ||
	    (p = ps->by_index[pool->index]) == NULL)
		return NULL;
	for (size_t k = 0; k < p->n; k++) {
		p->pick[k].down = member_down(&p->m[k], now);
		all_down &= p->pick[k].down;
	}
	/* a session stays on its member while that one is there */
	for (size_t k = 0; has_tag && k < p->n; k++)
		if (p->tags[k] == tag && !(tried && tried[k]) &&
		    (!p->pick[k].down || all_down)) {
			tried[k] = 1;
			return p->m[k].up;
		}
	if (sid[0] != '\0')
		i = mg_pick_hash(p->pick, p->tags, p->n, sid, tried);
	else
		i = mg_pick(p->pick, p->n, pool->least_conn, tried);
	if (i < 0)
		return NULL;
	tried[i] = 1;
	return p->m[i].up;
}
