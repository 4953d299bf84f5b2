#!/usr/bin/env bash
# Upstream pools (docs/configuration.md, "Pools"), with real replicas: the
# built-in demo server on three mcpgw instances and the TypeScript SDK's
# server (tests/proxy/upstream_server.mjs), behind two gateway instances
# (2 workers each, one session_key_file).  Checked: the spread of new
# sessions by weight (1:2), a session kept on its replica across the
# gateway's workers and across both gateways, least_conn, max_fails and
# fail_timeout (a member taken out gets nothing until fail_timeout
# passes), and 60 SDK sessions while one replica is SIGKILLed and
# restarted: no request that could be retried fails, and a session whose
# replica died is opened again on another.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
px_need_modules

set -- $(free_port 6)
R1=$1 R2=$2 R3=$3 R4=$4 G1=$5 G2=$6
px_start_upstream
openssl rand -out "$MG_TMP/key" 32
chmod 600 "$MG_TMP/key"
MASTERS=

# replica N PORT: the built-in demo server on an mcpgw of its own
replica() {
	cat > "$MG_TMP/r$1.conf" <<CONF
worker_processes 1;
pid $MG_TMP/r$1.pid;
error_log $MG_TMP/r$1.err info;
access_log $MG_TMP/r$1.access;
server { listen 127.0.0.1:$2; location /mcp { mcp_builtin demo; } }
CONF
	local before
	before=$(grep -c 'ready' "$MG_TMP/r$1.err" 2> /dev/null)
	"$MCPGW" -F -c "$MG_TMP/r$1.conf" >> "$MG_TMP/stdout.log" 2>&1 &
	eval "PID_R$1=$!"
	MASTERS="$MASTERS $!"
	MG_BG_PIDS="$MG_BG_PIDS $!"
	disown $!
	mg_wait 10 "[ \$(cat '$MG_TMP/r$1.err' 2>/dev/null | grep -c ready) -gt ${before:-0} ]" ||
		fail "replica $1 did not start"
}

# gateway N PORT
gateway() {
	cat > "$MG_TMP/g$1.conf" <<CONF
worker_processes 2;
pid $MG_TMP/g$1.pid;
error_log $MG_TMP/g$1.log info;
log_format who '\$pid \$mcp_method \$upstream_addr';
access_log $MG_TMP/g$1.access who;
session_key_file $MG_TMP/key;
server { listen 127.0.0.1:$2; server_name localhost;
         location /mcp { mcp_pass p; }
         location /w { mcp_pass w; }
         location /lc { mcp_pass lc; }
         location /f { mcp_pass f; }
         location /st { mcp_pass st; }
         location /metrics { metrics; }
         location /status { status; } }
upstream p {
    server http://127.0.0.1:$R1/mcp max_fails=1 fail_timeout=2s;
    server http://127.0.0.1:$R2/mcp max_fails=1 fail_timeout=2s;
    server http://127.0.0.1:$R3/mcp max_fails=1 fail_timeout=2s;
    server $UP_URL max_fails=1 fail_timeout=2s;
}
upstream w { server http://127.0.0.1:$R1/mcp weight=1;
             server http://127.0.0.1:$R2/mcp weight=2; }
upstream lc { least_conn;
              server http://127.0.0.1:$R1/mcp; server http://127.0.0.1:$R2/mcp; }
upstream st { command /bin/false;
              command $PX_NODE $PX_DIR/stdio_server.mjs; }
upstream f { server http://127.0.0.1:$R1/mcp;
             server http://127.0.0.1:$R4/mcp max_fails=1 fail_timeout=3s; }
CONF
	"$MCPGW" -F -c "$MG_TMP/g$1.conf" >> "$MG_TMP/stdout.log" 2>&1 &
	eval "PID_G$1=$!"
	MASTERS="$MASTERS $!"
	MG_BG_PIDS="$MG_BG_PIDS $!"
	disown $!
	mg_wait 10 "grep -q 'generation 1 ready' '$MG_TMP/g$1.log' 2>/dev/null" ||
		fail "gateway $1 did not start: $(tail -5 "$MG_TMP/g$1.log")"
}

# the masters stop their children (SIGKILL by the cleanup would not)
mg_on_cleanup() {
	local p
	for p in $MASTERS; do kill -TERM "$p" 2> /dev/null; done
	sleep 0.3
	return 0
}

# kill9 PID: a replica's master and its children, all at once
kill9() {
	local kids
	kids=$(mg_children "$1")
	kill -KILL "$1" $kids 2> /dev/null
	mg_wait 5 "! kill -0 $1 2>/dev/null" || fail "replica $1 did not die"
}

H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
# init PORT PATH: a new session's id
init() {
	curl -s -D - -o /dev/null --max-time 5 -X POST "http://127.0.0.1:$1$2" "${H[@]}" -d "$INIT" |
		tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p'
}
# call PORT PATH SID TOOL ARGS: the answer's body
call() {
	curl -s --max-time 10 -X POST "http://127.0.0.1:$1$2" "${H[@]}" -H "Mcp-Session-Id: $3" \
		-H 'MCP-Protocol-Version: 2025-11-25' \
		-d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"'"$4"'","arguments":'"$5"'}}'
}
# count N WHAT: lines of replica N's access log with WHAT
count() { grep -c "$2" "$MG_TMP/r$1.access" 2> /dev/null || true; }

t0=$(date +%s)
replica 1 "$R1"
replica 2 "$R2"
replica 3 "$R3"
gateway 1 "$G1"
gateway 2 "$G2"

# ---- weights: 60 new sessions, 1:2 ------------------------------------
a=$(count 1 initialize) b=$(count 2 initialize)
for i in $(seq 1 60); do
	[ -n "$(init "$G1" /w)" ] || fail "initialize $i through pool w got no session"
done
a=$(($(count 1 initialize) - a)) b=$(($(count 2 initialize) - b))
[ $a -ge 18 ] && [ $a -le 22 ] && [ $b -ge 38 ] && [ $b -le 42 ] ||
	fail "weights 1:2 gave $a and $b of 60 new sessions"
ok "weights 1:2: $a and $b of 60 new sessions"

# ---- affinity: one session through both workers and both gateways -----
# gateway 1's two workers in turn (the other one stopped, so that the
# kernel hands the connections to this one), then gateway 2
set -- $(mg_role_pids "$PID_G1" worker)
W1=${1:-} W2=${2:-}
[ -n "$W2" ] || fail "gateway 1 has not two workers"
sid=$(init "$G1" /w)
[ -n "$sid" ] || fail "no session through pool w"
a=$(count 1 tools/call) b=$(count 2 tools/call)
for i in $(seq 1 12); do
	port=$G1
	case $i in
	1) kill -STOP "$W2" ;;
	4) kill -CONT "$W2"; kill -STOP "$W1" ;;
	7) kill -CONT "$W1"; port=$G2 ;;
	*) [ $i -gt 7 ] && port=$G2 ;;
	esac
	out=$(call "$port" /w "$sid" echo '{"message":"aff'"$i"'"}')
	echo "$out" | grep -q "\"echo: aff$i\"" || { kill -CONT "$W1" "$W2"; fail "call $i through gateway $port: $out"; }
done
a=$(($(count 1 tools/call) - a)) b=$(($(count 2 tools/call) - b))
{ [ $a = 12 ] && [ $b = 0 ]; } || { [ $a = 0 ] && [ $b = 12 ]; } ||
	fail "a session's 12 calls through 2 gateways landed on both replicas ($a and $b)"
[ "$(grep -c "^$W1 tools/call" "$MG_TMP/g1.access")" -ge 3 ] && [ "$(grep -c "^$W2 tools/call" "$MG_TMP/g1.access")" -ge 3 ] ||
	fail "gateway 1's workers did not both serve the session: $(cat "$MG_TMP/g1.access" | grep tools/call)"
[ "$(cat "$MG_TMP/g1.access" "$MG_TMP/g2.access" | grep tools/call | awk '{print $3}' | sort -u | wc -l)" = 1 ] ||
	fail "the session's calls went to several upstream addresses: $(cat "$MG_TMP/g1.access" "$MG_TMP/g2.access" | grep tools/call)"
ok "a session's 12 calls, 3 through each worker of gateway 1 and 6 through gateway 2 (one key), all on one replica ($a, $b; one upstream_addr)"

# ---- a reload that removes the session's member -------------------------
mine=$R1 other=$R2
[ $a = 0 ] && mine=$R2 other=$R1
sed -i "s|^upstream w .*|upstream w { server http://127.0.0.1:$other/mcp;|; s|^             server http://127.0.0.1:$R2/mcp weight=2; }|             server http://127.0.0.1:$R3/mcp; }|" "$MG_TMP/g2.conf"
grep -A1 "^upstream w { server http://127.0.0.1:$other/mcp;\$" "$MG_TMP/g2.conf" | grep -q ":$R3/mcp; }" ||
	fail "g2.conf not rewritten: $(grep -A1 'upstream w' "$MG_TMP/g2.conf")"
kill -HUP "$(cat "$MG_TMP/g2.pid")"
mg_wait 10 "grep -q 'generation 2 ready' '$MG_TMP/g2.log'" || fail "gateway 2 did not reload: $(tail -3 "$MG_TMP/g2.log")"
out=$(call "$G2" /w "$sid" echo '{"message":"reloaded"}')
echo "$out" | grep -q '"echo: reloaded"' || fail "the call after the reload removed its member: $out"
out=$(call "$G1" /w "$sid" echo '{"message":"still"}')
echo "$out" | grep -q '"echo: still"' || fail "the call through the gateway that kept the member: $out"
grep -q 'forgot a session; opened it again' "$MG_TMP/g2.log" || fail "gateway 2 did not open the session again"
ok "a reload that replaces a session's member: the session is opened again on another; the gateway that kept it still serves it"

# ---- least_conn ---------------------------------------------------------
a=$(count 1 initialize)
sid=$(init "$G1" /lc)
busy=1 idle=2
[ "$(count 1 initialize)" = "$a" ] && busy=2 idle=1
call "$G1" /lc "$sid" sleep '{"ms":2500}' > "$MG_TMP/sleep.out" &
sleeper=$!
sleep 0.3
a=$(count $idle initialize)
for i in 1 2 3 4 5 6; do init "$G1" /lc > /dev/null; done
a=$(($(count $idle initialize) - a))
wait $sleeper
grep -q '"result"' "$MG_TMP/sleep.out" || fail "the long call failed: $(cat "$MG_TMP/sleep.out")"
[ $a = 6 ] || fail "least_conn: $a of 6 new sessions on the member without a call in flight"
a=$(count $idle initialize)
for i in 1 2 3 4 5 6; do init "$G1" /lc > /dev/null; done
a=$(($(count $idle initialize) - a))
[ $a = 3 ] || fail "least_conn, nothing in flight: $a of 6 on one member, want 3"
ok "least_conn: 6 of 6 new sessions on the member without a call in flight, then 3 of 6"

# ---- max_fails, fail_timeout ------------------------------------------
for i in 1 2 3 4; do
	[ -n "$(init "$G1" /f)" ] || fail "initialize $i through pool f (one member refuses) failed"
done
taken=$(date +%s%N)
n=$(grep -c "server \"http://127.0.0.1:$R4/mcp\" taken out for 3000 ms" "$MG_TMP/g1.log")
[ "$n" = 1 ] || fail "the refusing member: $n 'taken out' lines: $(grep "$R4" "$MG_TMP/g1.log")"
ok "4 new sessions, all answered, though one member refuses connections: it is taken out, logged once"
replica 4 "$R4"
for i in 1 2 3 4 5 6; do init "$G1" /f > /dev/null; done
left=$(((3000000000 - ($(date +%s%N) - taken)) / 1000000))
[ $left -gt 0 ] || fail "the check took longer than fail_timeout"
[ "$(count 4 initialize)" = 0 ] || fail "a member taken out got sessions within fail_timeout"
sleep $(((left + 200) / 1000)).$(printf '%03d' $(((left + 200) % 1000)))
for i in 1 2 3 4 5 6; do init "$G1" /f > /dev/null; done
n=$(count 4 initialize)
[ "$n" -ge 2 ] || fail "after fail_timeout the member got $n of 6 new sessions"
grep -q "server \"http://127.0.0.1:$R4/mcp\" answers again" "$MG_TMP/g1.log" ||
	fail "no 'answers again' line"
ok "a member taken out for fail_timeout (3 s) gets none of 6 new sessions though it is back; after it, $n of 6"

# ---- a pool of stdio servers, one of which cannot start -----------------
for i in 1 2 3 4; do
	[ -n "$(curl -s --max-time 10 -X POST "http://127.0.0.1:$G1/st" "${H[@]}" -d "$INIT" | grep '"protocolVersion"')" ] ||
		fail "initialize $i through a pool of stdio servers (one cannot start) failed"
done
n=$(grep -c 'server "/bin/false" taken out' "$MG_TMP/g1.log")
[ "$n" = 1 ] || fail "the stdio member that cannot start: $n 'taken out' lines"
ok "a pool of two stdio servers, one exits before it answers: 4 of 4 sessions answered, it is taken out once"

# ---- 60 SDK sessions while a replica is killed and restarted -----------
px_run 50 pool_client.mjs "http://127.0.0.1:$G1/mcp" 60 8 120 &
client=$!
mg_wait 20 "grep -q '^# started 16\$' '$MG_TMP/node.out' 2>/dev/null" || fail "the client did not start"
kill9 "$PID_R3"
sleep 0.8
replica 3 "$R3"
wait $client
result=$(sed -n 's/^result //p' "$MG_TMP/node.out")
[ -n "$result" ] || fail "the client gave no result: $(tail -20 "$MG_TMP/node.out")"
echo "# $result"
grep '^# error' "$MG_TMP/node.out" | head -5
echo "$result" | "$PX_NODE" -e '
	const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
	const e = r.errors;
	const bad = ["initialize", "tools/list", "ping"].filter((m) => e[m]);
	if (bad.length) { console.log("retryable requests failed: " + bad.join(", ")); process.exit(1); }
	if ((e["tools/call"] ?? 0) > 3) { console.log("tools/call failed " + e["tools/call"] + " times"); process.exit(1); }
	if (r.sessions < 57 || r.ok.initialize !== 60) { console.log("sessions " + r.sessions); process.exit(1); }' ||
	fail "60 sessions through the pool while a replica died"
grep "error tools/call" "$MG_TMP/node.out" | grep -v -q -E 'closed|reset|connect|no answer|timed out' &&
	fail "a tools/call failed for another reason than its replica's death"
grep -q "server \"http://127.0.0.1:$R3/mcp\" taken out" "$MG_TMP/g1.log" || fail "the killed replica was not taken out"
n=$(curl -s --max-time 5 "$UP_STATS" | "$PX_NODE" -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8")).initialize)')
[ "$n" -gt 0 ] || fail "the SDK server got no session"
ok "60 SDK sessions, 4 members (3 mcpgw, 1 SDK server: $n sessions), one SIGKILLed and restarted: no initialize, list or ping failed, at most 3 calls in flight lost"

# ---- a session whose replica died is opened again on another ---------
before=$(count 3 initialize)
for i in $(seq 1 12); do
	sid=$(init "$G1" /mcp)
	[ "$(count 3 initialize)" != "$before" ] && break
done
[ "$(count 3 initialize)" != "$before" ] || fail "no session landed on replica 3"
out=$(call "$G2" /mcp "$sid" echo '{"message":"before"}')
echo "$out" | grep -q '"echo: before"' || fail "the call before the kill: $out"
kill9 "$PID_R3"
reopened=$(grep -c 'forgot a session; opened it again' "$MG_TMP/g1.log")
for i in 1 2 3; do
	out=$(call "$G1" /mcp "$sid" echo '{"message":"after'"$i"'"}')
	echo "$out" | grep -q "\"echo: after$i\"" || fail "call $i after its replica died: $out"
done
[ "$(grep -c 'forgot a session; opened it again' "$MG_TMP/g1.log")" -gt "$reopened" ] ||
	fail "the session was not opened again on another member"
ok "a session whose replica was SIGKILLed: opened again on another member, 3 calls answered"

# ---- metrics and status: each member, by upstream and server ----------
curl -s --max-time 5 "http://127.0.0.1:$G1/metrics" > "$MG_TMP/metrics"
for port in $R1 $R2 $R3; do
	grep -q "^mcpgw_upstream_server_exchanges_total{upstream=\"p\",server=\"http://127.0.0.1:$port/mcp\"} [1-9]" "$MG_TMP/metrics" ||
		fail "no exchanges counted for member $port: $(grep server_ "$MG_TMP/metrics" | head -20)"
done
grep -q "^mcpgw_upstream_server_failures_total{upstream=\"p\",server=\"http://127.0.0.1:$R3/mcp\"} [1-9]" "$MG_TMP/metrics" ||
	fail "no failures counted for the killed member: $(grep server_failures "$MG_TMP/metrics")"
grep -q "^mcpgw_upstream_server_out{upstream=\"p\",server=\"http://127.0.0.1:$R3/mcp\"} 1" "$MG_TMP/metrics" ||
	fail "the killed member is not out: $(grep server_out "$MG_TMP/metrics")"
grep -q "^mcpgw_upstream_server_out{upstream=\"p\",server=\"http://127.0.0.1:$R1/mcp\"} 0" "$MG_TMP/metrics" ||
	fail "a member in is not 0: $(grep server_out "$MG_TMP/metrics")"
curl -s --max-time 5 -H 'Accept: application/json' "http://127.0.0.1:$G1/status" > "$MG_TMP/status.json"
"$PX_NODE" -e '
	const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const m = s.upstreams.filter((u) => u.name === "p" && u.server);
	const r3 = m.find((u) => u.server === "http://127.0.0.1:" + process.argv[2] + "/mcp");
	if (m.length !== 4 || !r3 || r3.state !== "failing" || !m.some((u) => u.state === "ok" && u.exchanges_ok > 0)) {
		console.log(JSON.stringify(m)); process.exit(1);
	}' "$MG_TMP/status.json" "$R3" || fail "the status page's members of p"
ok "metrics and status show each member (upstream and server): exchanges, failures, out; the killed one failing"

echo "# $(($(date +%s) - t0)) s"
px_done
