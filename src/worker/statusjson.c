/*
 * The status page's data (status.h), as one json-c tree: the board's
 * processes and upstreams (board.h), the routes of this worker's
 * configuration, the session table, the last minute's rates.  The HTML
 * page is rendered from the same tree, so the two never disagree.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <json-c/json.h>

#include "access.h"
#include "board.h"
#include "exchange.h"
#include "status.h"

#define ADD json_object_object_add

static const char *const roles[MG_ROLE_MAX] = {
	[MG_ROLE_MASTER] = "master",
	[MG_ROLE_WORKER] = "worker",
	[MG_ROLE_CONNECTOR] = "connector",
};

static const char *const states[] = {
	[MG_BOARD_UNKNOWN] = "unknown",
	[MG_BOARD_OK] = "ok",
	[MG_BOARD_FAILING] = "failing",
};

static const mg_access_method_t *const methods[MG_AUTH_NMETHODS] = {
	[MG_AUTH_CERT] = &mg_access_cert,
	[MG_AUTH_JWT] = &mg_access_jwt,
	[MG_AUTH_KEY] = &mg_access_key,
};

/* "2026-12-07T19:20:00Z", or null for 0 (never). */
static json_object *
time_json(int64_t ms)
{
	char      buf[32];
	time_t    t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL)
		return NULL;
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(buf);
}

static json_object *
str(const char *s)
{
	return json_object_new_string(s != NULL ? s : "");
}

/* Masters first, then by generation (newest first), role and slot. */
static int
proc_order(const void *a, const void *b)
{
	const mg_board_proc_t *p = a, *q = b;

	if (p->role != q->role && (p->role == 0 || q->role == 0))
		return p->role == 0 ? -1 : 1;
	if (p->generation != q->generation)
		return q->generation - p->generation;
	if (p->role != q->role)
		return q->role == MG_ROLE_CONNECTOR ? 1 : -1;
	return p->slot - q->slot;
}

static json_object *
proc_json(const mg_board_proc_t *p)
{
	json_object *o = json_object_new_object();

	ADD(o, "pid", json_object_new_int(p->pid));
	ADD(o, "role",
	    str(p->role >= 0 && p->role < MG_ROLE_MAX ? roles[p->role] : "?"));
	ADD(o, "slot", json_object_new_int(p->slot));
	ADD(o, "generation", json_object_new_int(p->generation));
	ADD(o, "state", str(p->pid != 0 ? "running" : "respawning"));
	ADD(o, "started_at", time_json(p->started_ms));
	ADD(o, "uptime_s", json_object_new_int64(p->uptime_ms / 1000));
	ADD(o, "restarts", json_object_new_int64(p->restarts));
	ADD(o, "connections", json_object_new_int(p->conns));
	ADD(o, "streams", json_object_new_int(p->streams));
	ADD(o, "requests_1m", json_object_new_int64((int64_t)p->requests));
	ADD(o, "errors_1m", json_object_new_int64((int64_t)p->errors));
	return o;
}

/* The processes, and their sums into TOTAL (streams, rates). */
static json_object *
procs_json(mg_board_proc_t *total)
{
	mg_board_proc_t *all = calloc(MG_BOARD_PROCS, sizeof(*all));
	json_object     *a = json_object_new_array();
	size_t           n = 0;

	*total = (mg_board_proc_t){ 0 };
	if (all == NULL)
		return a;
	for (int i = 0; i < MG_BOARD_PROCS; i++)
		if (mg_board_proc(i, &all[n]) == MG_OK)
			n++;
	qsort(all, n, sizeof(*all), proc_order);
	for (size_t i = 0; i < n; i++) {
		json_object_array_add(a, proc_json(&all[i]));
		total->conns += all[i].conns;
		total->streams += all[i].streams;
		total->requests += all[i].requests;
		total->errors += all[i].errors;
	}
	free(all);
	return a;
}

static json_object *
auth_json(const mg_location_t *loc)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < loc->auth_order.n; i++) {
		int m = loc->auth_order.v[i];

		if (m < MG_AUTH_NMETHODS && methods[m]->configured(loc) != NULL)
			json_object_array_add(a, str(methods[m]->directive));
	}
	return a;
}

static json_object *
location_json(const mg_location_t *loc)
{
	json_object *o = json_object_new_object(), *m;

	ADD(o, "path", str(loc->path));
	ADD(o, "match", str(loc->exact ? "exact" : "prefix"));
	if (loc->page != NULL) {
		ADD(o, "kind", str("page"));
		ADD(o, "target", str(loc->page));
	} else if (loc->members != NULL) {
		ADD(o, "kind", str("federated"));
		m = json_object_new_array();
		for (const mg_member_t *x = loc->members; x; x = x->next)
			json_object_array_add(m, str(x->name));
		ADD(o, "target", m);
	} else if (loc->pass != NULL) {
		ADD(o, "kind", str("mcp_pass"));
		ADD(o, "target", str(loc->pass));
	} else {
		ADD(o, "kind", str("builtin"));
		ADD(o, "target", str(loc->builtin));
	}
	ADD(o, "auth", auth_json(loc));
	return o;
}

static json_object *
routes_json(const mg_conf_t *conf)
{
	json_object *a = json_object_new_array(), *s, *l;

	for (const mg_server_t *srv = conf->servers; srv; srv = srv->next) {
		s = json_object_new_object();
		l = json_object_new_array();
		for (size_t i = 0; i < srv->nnames; i++)
			json_object_array_add(l, str(srv->names[i]));
		ADD(s, "server_names", l);
		l = json_object_new_array();
		for (const mg_listen_t *x = srv->listens; x; x = x->next)
			json_object_array_add(l, str(x->text));
		ADD(s, "listen", l);
		l = json_object_new_array();
		for (const mg_location_t *loc = srv->locations; loc;
		     loc = loc->next)
			json_object_array_add(l, location_json(loc));
		ADD(s, "locations", l);
		json_object_array_add(a, s);
	}
	return a;
}

static const char *
transport_of(const mg_upstream_t *u)
{
	if (u->command != NULL)
		return "stdio";
	return u->protocol == MG_PROTOCOL_2024 ? "sse" : "http";
}

static json_object *
upstream_json(const mg_upstream_t *u)
{
	json_object  *o = json_object_new_object();
	mg_board_up_t b;
	const char   *board = u->member ? u->member->board : u->name;
	int known = mg_board_upstream(board, &b) == MG_OK && b.state >= 0 &&
	    b.state < (int)MG_NELEM(states);

	ADD(o, "name", str(u->name));
	if (u->member != NULL) { /* a pool's member (after the upstreams) */
		ADD(o, "server",
		    str(u->server.url ? u->server.url : u->command[0]));
		ADD(o, "weight", json_object_new_int(u->member->weight));
		ADD(o, "backup", json_object_new_boolean(u->member->backup));
	}
	ADD(o, "transport", str(transport_of(u)));
	ADD(o, "state", str(states[known ? b.state : MG_BOARD_UNKNOWN]));
	ADD(o, "last_error",
	    known && b.last_error[0] ? str(b.last_error) : NULL);
	ADD(o, "last_error_at", time_json(known ? b.last_error_ms : 0));
	ADD(o, "last_success_at", time_json(known ? b.last_ok_ms : 0));
	ADD(o, "exchanges_ok",
	    json_object_new_int64(known ? (int64_t)b.ok : 0));
	ADD(o, "exchanges_failed",
	    json_object_new_int64(known ? (int64_t)b.failed : 0));
	if (u->command != NULL)
		ADD(o, "stdio_processes",
		    json_object_new_int(known ? b.procs : 0));
	return o;
}

/* N a minute as a rate a second, to 3 decimals. */
static json_object *
per_s(uint64_t n)
{
	uint64_t milli = (n * 1000 + MG_BOARD_RATE_S / 2) / MG_BOARD_RATE_S;

	return json_object_new_double((double)milli / 1000.0);
}

static json_object *
rates_json(const mg_board_proc_t *t)
{
	json_object *o = json_object_new_object();

	ADD(o, "window_s", json_object_new_int(MG_BOARD_RATE_S));
	ADD(o, "requests", json_object_new_int64((int64_t)t->requests));
	ADD(o, "errors", json_object_new_int64((int64_t)t->errors));
	ADD(o, "requests_per_s", per_s(t->requests));
	ADD(o, "errors_per_s", per_s(t->errors));
	return o;
}

json_object *
mg_status_json(const mg_mcp_ctx_t *ctx)
{
	json_object    *o = json_object_new_object(), *x;
	mg_board_info_t info;
	mg_board_proc_t total;

	mg_board_info(&info);
	ADD(o, "version", str(PACKAGE_VERSION));
	ADD(o, "now", time_json(mg_board_wall_ms()));
	ADD(o, "generation", json_object_new_int(info.generation));
	ADD(o, "reloads", json_object_new_int64(info.reloads));
	ADD(o, "last_reload_at", time_json(info.reload_ms));
	ADD(o, "processes", procs_json(&total));
	ADD(o, "routes", routes_json(ctx->conf));
	x = json_object_new_array();
	for (const mg_upstream_t *u = ctx->conf->upstreams; u; u = u->next)
		json_object_array_add(x, upstream_json(u));
	ADD(o, "upstreams", x);
	x = json_object_new_object();
	ADD(x, "count",
	    json_object_new_int64(ctx->sessions != NULL
		    ? (int64_t)mg_sesstab_live(ctx->sessions)
		    : 0));
	ADD(x, "max",
	    json_object_new_int64(ctx->sessions != NULL
		    ? (int64_t)mg_sesstab_capacity(ctx->sessions)
		    : 0));
	ADD(o, "sessions", x);
	x = json_object_new_object();
	ADD(x, "open", json_object_new_int(total.streams));
	ADD(o, "streams", x);
	ADD(o, "connections", json_object_new_int(total.conns));
	ADD(o, "rates", rates_json(&total));
	return o;
}
