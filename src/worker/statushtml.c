/*
 * The status page for people (status.h): the status tree rendered as one
 * self-contained HTML page (inline CSS, no external assets), tables
 * rendered here so that it shows everything without JavaScript; a small
 * inline script reloads the page's tables every 5 s.  Every text is
 * HTML-escaped, whatever its source: names come from the operator, error
 * texts from upstreams.  The page grows linearly with the routes and
 * upstreams of the configuration.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "mcpgw.h"
#include "status.h"

typedef struct evbuffer buf_t;

/* A string literal. */
#define ADDS(b, lit) evbuffer_add((b), (lit), sizeof(lit) - 1)

static const char style[] =
    "<style>"
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;"
    "margin:0;background:#f4f5f7;color:#1d232b}"
    "main{max-width:1240px;margin:0 auto;padding:18px 22px}"
    "h1{font-size:22px;margin:0 0 2px}"
    "h2{font-size:15px;margin:22px 0 6px;text-transform:uppercase;"
    "letter-spacing:.04em;color:#4a5563}"
    ".meta{color:#5b6573;margin:0}"
    ".cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:14px}"
    ".card{background:#fff;border:1px solid #dde1e6;border-radius:6px;"
    "padding:8px 14px;min-width:130px}"
    ".card b{display:block;font-size:22px}"
    ".card span{color:#5b6573;font-size:12px}"
    "table{border-collapse:collapse;width:100%;background:#fff;"
    "border:1px solid #dde1e6}"
    "th,td{text-align:left;padding:5px 9px;border-bottom:1px solid #eceef1;"
    "vertical-align:top}"
    "th{background:#eef0f3;font-weight:600;font-size:12px;color:#4a5563}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.err{color:#a1261b;max-width:420px;word-break:break-word}"
    ".st{display:inline-block;padding:0 8px;border-radius:9px;"
    "font-size:12px;font-weight:600}"
    ".ok{background:#d8f3dc;color:#1b5e20}"
    ".failing{background:#fde0dc;color:#a1261b}"
    ".unknown,.respawning{background:#e8eaed;color:#4a5563}"
    ".running{background:#e3ecfb;color:#1a4d99}"
    "code{font:12px ui-monospace,monospace}"
    "</style>";

/* Reload the tables (never the page): fetch it again, take its <main>.
 * Nodes parsed by DOMParser run no script. */
static const char script[] =
    "<script>setInterval(function(){"
    "fetch(location.pathname+'?format=html',{cache:'no-store'})"
    ".then(function(r){return r.ok?r.text():null})"
    ".then(function(t){if(!t)return;"
    "var d=new DOMParser().parseFromString(t,'text/html');"
    "var m=d.getElementById('status');"
    "if(m)document.getElementById('status').replaceWith(m)})"
    ".catch(function(){})},5000)</script>";

static void
esc(buf_t *b, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *e = NULL;

		switch (*s) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: continue;
		}
		evbuffer_add(b, run, (size_t)(s - run));
		evbuffer_add(b, e, strlen(e));
		run = s + 1;
	}
	evbuffer_add(b, run, (size_t)(s - run));
}

static json_object *
get(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* O's KEY as text: "-" for null or missing. */
static const char *
text(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v != NULL ? json_object_get_string(v) : "-";
}

static int64_t
num(json_object *o, const char *key)
{
	return json_object_get_int64(get(o, key));
}

/* <td class=CLS>escaped TEXT</td> */
static void
cell(buf_t *b, const char *cls, const char *s)
{
	if (cls != NULL)
		evbuffer_add_printf(b, "<td class=\"%s\">", cls);
	else
		ADDS(b, "<td>");
	esc(b, s);
	ADDS(b, "</td>");
}

/* A state badge: STATE is one of the page's own words, escaped anyway. */
static void
badge(buf_t *b, const char *state)
{
	ADDS(b, "<td><span class=\"st ");
	esc(b, state);
	ADDS(b, "\">");
	esc(b, state);
	ADDS(b, "</span></td>");
}

/* A time of the tree ("2026-12-07T19:20:00Z") as people read it:
 * "2026-12-07 19:20:00" (UTC, the page says so once). */
static const char *
when(const char *iso, char *t, size_t n)
{
	size_t len = strlen(iso);

	if (len != 20 || iso[10] != 'T' || iso[19] != 'Z')
		return iso;
	snprintf(t, n, "%.10s %.8s", iso, iso + 11);
	return t;
}

static void
time_cell(buf_t *b, const char *iso)
{
	char t[32];

	cell(b, NULL, when(iso, t, sizeof(t)));
}

static void
head(buf_t *b, const char *id, const char *const *cols)
{
	evbuffer_add_printf(b, "<table id=\"%s\"><tr>", id);
	for (; *cols; cols++)
		evbuffer_add_printf(b, "<th>%s</th>", *cols);
	ADDS(b, "</tr>");
}

static void
uptime(buf_t *b, int64_t s)
{
	char t[48];

	if (s >= 86400)
		snprintf(t, sizeof(t), "%" PRId64 "d %02d:%02d:%02d", s / 86400,
		    (int)(s % 86400 / 3600), (int)(s % 3600 / 60),
		    (int)(s % 60));
	else
		snprintf(t, sizeof(t), "%02d:%02d:%02d", (int)(s / 3600),
		    (int)(s % 3600 / 60), (int)(s % 60));
	cell(b, "n", t);
}

static void
processes(buf_t *b, json_object *a)
{
	static const char *const cols[] = { "role", "slot", "pid", "gen.",
		"state", "started at", "uptime", "restarts", "conns", "streams",
		"req. 1 min", "err. 1 min", NULL };

	head(b, "processes", cols);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *p = json_object_array_get_idx(a, i);

		ADDS(b, "<tr>");
		cell(b, NULL, text(p, "role"));
		cell(b, "n", text(p, "slot"));
		cell(b, "n", text(p, "pid"));
		cell(b, "n", text(p, "generation"));
		badge(b, text(p, "state"));
		time_cell(b, text(p, "started_at"));
		uptime(b, num(p, "uptime_s"));
		cell(b, "n", text(p, "restarts"));
		cell(b, "n", text(p, "connections"));
		cell(b, "n", text(p, "streams"));
		cell(b, "n", text(p, "requests_1m"));
		cell(b, "n", text(p, "errors_1m"));
		ADDS(b, "</tr>");
	}
	ADDS(b, "</table>");
}

static void
upstreams(buf_t *b, json_object *a)
{
	static const char *const cols[] = { "upstream", "transport", "state",
		"last error", "last error at", "last success at", "ok",
		"failed", "stdio processes", NULL };

	head(b, "upstreams", cols);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *u = json_object_array_get_idx(a, i);

		char name[512];

		/* a pool's member: its pool and its server */
		snprintf(name, sizeof(name), "%s%s%s", text(u, "name"),
		    get(u, "server") ? " " : "",
		    get(u, "server") ? text(u, "server") : "");
		ADDS(b, "<tr>");
		cell(b, NULL, name);
		cell(b, NULL, text(u, "transport"));
		badge(b, text(u, "state"));
		cell(b, get(u, "last_error") != NULL ? "err" : NULL,
		    text(u, "last_error"));
		time_cell(b, text(u, "last_error_at"));
		time_cell(b, text(u, "last_success_at"));
		cell(b, "n", text(u, "exchanges_ok"));
		cell(b, "n", text(u, "exchanges_failed"));
		cell(b, "n", text(u, "stdio_processes"));
		ADDS(b, "</tr>");
	}
	if (json_object_array_length(a) == 0)
		evbuffer_add_printf(b, "<tr><td colspan=\"9\">none</td></tr>");
	ADDS(b, "</table>");
}

/* The words of array A, escaped, joined by SEP ("-" for none). */
static void
words(buf_t *b, json_object *a, const char *sep)
{
	size_t n = json_object_is_type(a, json_type_array)
	    ? json_object_array_length(a)
	    : 0;

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			evbuffer_add(b, sep, strlen(sep));
		esc(b, json_object_get_string(json_object_array_get_idx(a, i)));
	}
	if (n == 0)
		ADDS(b, "-");
}

static void
location(buf_t *b, json_object *srv, json_object *loc)
{
	json_object *target = get(loc, "target");

	ADDS(b, "<tr><td>");
	words(b, get(srv, "server_names"), " ");
	ADDS(b, "</td><td>");
	words(b, get(srv, "listen"), ", ");
	ADDS(b, "</td><td><code>");
	if (strcmp(text(loc, "match"), "exact") == 0)
		ADDS(b, "= ");
	esc(b, text(loc, "path"));
	ADDS(b, "</code></td>");
	cell(b, NULL, text(loc, "kind"));
	if (json_object_is_type(target, json_type_array)) {
		ADDS(b, "<td>");
		words(b, target, ", ");
		ADDS(b, "</td>");
	} else
		cell(b, NULL, text(loc, "target"));
	ADDS(b, "<td>");
	words(b, get(loc, "auth"), ", ");
	ADDS(b, "</td></tr>");
}

static void
routes(buf_t *b, json_object *a)
{
	static const char *const cols[] = { "server", "listen", "location",
		"kind", "target", "auth", NULL };

	head(b, "routes", cols);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *srv = json_object_array_get_idx(a, i);
		json_object *locs = get(srv, "locations");

		for (size_t k = 0; k < json_object_array_length(locs); k++)
			location(b, srv, json_object_array_get_idx(locs, k));
	}
	ADDS(b, "</table>");
}

static void
card(buf_t *b, const char *value, const char *what)
{
	ADDS(b, "<div class=\"card\"><b>");
	esc(b, value);
	evbuffer_add_printf(b, "</b><span>%s</span></div>", what);
}

static void
cards(buf_t *b, json_object *st)
{
	json_object *r = get(st, "rates"), *s = get(st, "sessions");
	char         t[64];

	snprintf(t, sizeof(t), "%.2f",
	    json_object_get_double(get(r, "requests_per_s")));
	card(b, t, "requests/s (last minute)");
	snprintf(t, sizeof(t), "%.2f",
	    json_object_get_double(get(r, "errors_per_s")));
	card(b, t, "errors/s (last minute)");
	snprintf(t, sizeof(t), "%" PRId64 " / %" PRId64, num(s, "count"),
	    num(s, "max"));
	card(b, t, "sessions / max");
	card(b, text(get(st, "streams"), "open"), "open streams");
	card(b, text(st, "connections"), "connections");
}

/* "mcpgw 0.1.0 · generation 2 · reloads 1 (last 2026-12-07 19:00:01) ·
 * 2026-12-07 19:20:00 UTC" */
static void
meta(buf_t *b, json_object *st)
{
	char t[32];

	esc(b, text(st, "version"));
	ADDS(b, " &middot; generation ");
	esc(b, text(st, "generation"));
	ADDS(b, " &middot; reloads ");
	esc(b, text(st, "reloads"));
	if (get(st, "last_reload_at") != NULL) {
		ADDS(b, " (last ");
		esc(b, when(text(st, "last_reload_at"), t, sizeof(t)));
		ADDS(b, ")");
	}
	ADDS(b, " &middot; ");
	esc(b, when(text(st, "now"), t, sizeof(t)));
	ADDS(b, " UTC");
}

int
mg_status_html(json_object *st, struct evbuffer *b)
{
	evbuffer_add_printf(b,
	    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>mcpgw status</title>%s</head><body><main id=\"status\">"
	    "<h1>mcpgw status</h1><p class=\"meta\">mcpgw ",
	    style);
	meta(b, st);
	ADDS(b, "</p><section class=\"cards\">");
	cards(b, st);
	ADDS(b, "</section><h2>Upstreams</h2>");
	upstreams(b, get(st, "upstreams"));
	ADDS(b, "<h2>Processes</h2>");
	processes(b, get(st, "processes"));
	ADDS(b, "<h2>Routes</h2>");
	routes(b, get(st, "routes"));
	evbuffer_add_printf(b, "</main>%s</body></html>\n", script);
	return MG_OK;
}
