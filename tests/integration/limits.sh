#!/usr/bin/env bash
# Per-client limits (issue 16): sessions_per_address and
# connections_per_address.  One address that opens sessions past its
# limit gets 429 with a JSON-RPC error naming the limit, while another
# address (127.0.0.2: all of 127/8 is loopback) still initializes;
# deleting sessions makes room; refusals are logged once per 10 s, the
# next line saying how many were not; a proxy route to the gateway itself
# works for clients of other addresses although the connector calls from
# 127.0.0.1, which is at its limits; slow clients that trickle their
# headers hold at most connections_per_address of a worker, the next one
# is refused at once, and a client of another address is answered in
# well under a second.  Then, with two workers, the session limit holds
# across them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mcp_lib.sh"
mg_setup
mcp_need_sdk # node, for JSON checks and the slow clients

MG_PORT=$(free_port)
mcp_conf 1 "max_sessions 64;
sessions_per_address 20;
connections_per_address 8;
worker_connections 64;
upstream self { server http://127.0.0.1:$MG_PORT/mcp/demo; }" "" "" \
	"location /mcp/self { mcp_pass self; }"
mcp_init_files
mg_start
DEMO=$URL
SELF=http://127.0.0.1:$MG_PORT/mcp/self

# init FROM [URL]: initialize from address FROM; the session id to $SID.
init() {
	URL=${2:-$DEMO} post "$(init_body 2025-11-25)" --interface "$1"
	SID=$(hdr Mcp-Session-Id)
}
# lines TEXT: the error log's warn lines that hold TEXT.
lines() {
	grep '\[warn\]' "$MG_TMP/error.log" | grep -cF "$1"
}
refused_429="$(rpc_err -32004 'm.id === 1') && m.error.message.includes('sessions_per_address 20')"

# --- sessions per address -------------------------------------------------
sids=()
for i in $(seq 1 20); do
	init 127.0.0.1
	expect 200 "m.id === 1 && m.result.protocolVersion === '2025-11-25'" "session $i of 127.0.0.1"
	[ -n "$SID" ] || fail "session $i: no Mcp-Session-Id; $(what)"
	sids+=("$SID")
done
init 127.0.0.1
expect 429 "$refused_429" "the 21st session of 127.0.0.1"
t_first=$(date +%s.%N) # its log line was written before this
[ -z "$SID" ] || fail "a refused initialize carries a session id: $SID"
ok "sessions_per_address 20: 127.0.0.1 opens 20 sessions; the 21st gets 429, JSON-RPC error -32004 naming the limit, no session id"

init 127.0.0.2
expect 200 "m.id === 1 && m.result.protocolVersion === '2025-11-25'" "127.0.0.2 while 127.0.0.1 is at its limit"
[ -n "$SID" ] || fail "127.0.0.2: no session id"
SID2=$SID
ok "127.0.0.2 initializes meanwhile"

init 127.0.0.1 "$SELF"
expect 429 "$refused_429" "a proxy route's initialize from 127.0.0.1"
ok "on a proxy route too: 429 before the initialize goes upstream"

for i in 0 1 2 3 4; do
	req -X DELETE -H "Mcp-Session-Id: ${sids[$i]}" -H "MCP-Protocol-Version: 2025-11-25" \
		--interface 127.0.0.1 "$DEMO"
	[ "$ST" = 204 ] || fail "DELETE of session $i: $(what)"
done
for i in 1 2 3 4 5; do
	init 127.0.0.1
	expect 200 "m.id === 1 && !('error' in m)" "session $i after 5 DELETEs"
done
init 127.0.0.1
expect 429 "$refused_429" "the 6th session after 5 DELETEs"
ok "5 DELETEs make room for 5 sessions of 127.0.0.1, and no more"

for i in $(seq 1 30); do
	init 127.0.0.1
	[ "$ST" = 429 ] || fail "refusal $i: $(what)"
done
n=$(lines 'sessions_per_address (20) reached by 127.0.0.1: refusing a new session on /mcp/demo')
[ "$n" = 1 ] || fail "33 refusals in a few seconds: $n log lines, expected 1"
grep -qF 'refusing a new session on /mcp/demo (0 more refused since the last such line, 1 in all)' "$MG_TMP/error.log" ||
	fail "the first refusal's line: $(grep 'sessions_per_address' "$MG_TMP/error.log")"
ok "33 refusals within 10 s: one warn line, with the address and the counts"

sleep "$(awk -v t="$t_first" -v now="$(date +%s.%N)" 'BEGIN { d = t + 10.2 - now; print (d > 0 ? d : 0) }')"
init 127.0.0.1
[ "$ST" = 429 ] || fail "a refusal 10 s later: $(what)"
mg_wait 2 "[ \$(lines 'sessions_per_address (20) reached') = 2 ]" ||
	fail "10 s later: $(lines 'sessions_per_address (20) reached') lines, expected 2"
grep -qF 'refusing a new session on /mcp/demo (32 more refused since the last such line, 34 in all)' "$MG_TMP/error.log" ||
	fail "the second line: $(grep 'sessions_per_address' "$MG_TMP/error.log" | tail -n 1)"
ok "10 s later the next refusal is logged, saying 32 went unlogged (34 in all)"

# --- the connector's own connections are not limited ----------------------
# 127.0.0.1 is at its session limit, and 8 connections are its limit: 20
# clients of 20 other addresses call a slow tool at once through the
# proxy route, so the connector holds 20 sessions and 20 connections of
# its own from 127.0.0.1 to the gateway.
for i in $(seq 10 29); do
	init "127.0.0.$i" "$SELF"
	expect 200 "m.id === 1 && !('error' in m)" "a session of 127.0.0.$i on the proxy route"
	echo "$SID" > "$MG_TMP/self.$i"
done
for i in $(seq 10 29); do
	curl -s -o "$MG_TMP/slept.$i" --max-time 10 --interface "127.0.0.$i" -X POST "$SELF" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "Mcp-Session-Id: $(cat "$MG_TMP/self.$i")" -H 'MCP-Protocol-Version: 2025-11-25' \
		-d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":1500}}}' &
done
wait
for i in $(seq 10 29); do
	grep -q 'slept 1500 ms' "$MG_TMP/slept.$i" || fail "the call of 127.0.0.$i: $(head -c 300 "$MG_TMP/slept.$i")"
done
[ "$(lines 'connections_per_address')" = 0 ] || fail "a connection was refused: $(grep connections_per_address "$MG_TMP/error.log")"
ok "20 clients through the gateway to itself at once: the connector's 20 sessions and connections from 127.0.0.1 are not counted"

# --- slow connections --------------------------------------------------------
node "$NODE_DIR/slowconns.mjs" 127.0.0.1 "$MG_PORT" 9 127.0.0.3 60 > "$MG_TMP/slow.out" 2>&1 &
slow=$!
MG_BG_PIDS="$MG_BG_PIDS $slow"
mg_wait 10 "grep -qs '^SLOW' '$MG_TMP/slow.out'" || fail "slowconns.mjs: $(cat "$MG_TMP/slow.out")"
# (its first line comes 500 ms after the 9 connects; a worker that is
# slow to accept them, on a loaded machine, answers the 9th later)
# (failed twice in CI on 2026-12-07 with open=9, never alone: on failure
# the sockets' states say whether the worker accepted them, and which
# source ports they have, against the connector's marked ones)
mg_wait 5 "grep -qx 'SLOW open=8 closed=1 statuses=429:1' '$MG_TMP/slow.out'" ||
	fail "9 slow connections from 127.0.0.3: $(cat "$MG_TMP/slow.out"); sockets: $(ss -tan "( sport = :$MG_PORT or dport = :$MG_PORT )" 2>&1 | tr '\n' ';')"
ok "connections_per_address 8: 8 slow connections of 127.0.0.3 stay open, the 9th is answered 429 and closed at once"

t=$(curl -s -o "$B" -w '%{time_total}' --max-time 10 --interface 127.0.0.2 -X POST "$DEMO" \
	-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
	-H "Mcp-Session-Id: $SID2" -H 'MCP-Protocol-Version: 2025-11-25' \
	-d "$(echo_body 3 meanwhile)")
jtrue "$(echo_ok 3 "'meanwhile'")" || fail "127.0.0.2 while 127.0.0.3 holds its 8: $(head -c 300 "$B")"
awk -v t="$t" 'BEGIN { exit !(t < 0.5) }' || fail "127.0.0.2 was answered in $t s"
ok "127.0.0.2 is answered meanwhile, in $t s"
grep -qF 'connections_per_address (8) reached by 127.0.0.3: closing a new connection (0 more refused since the last such line, 1 in all)' "$MG_TMP/error.log" ||
	fail "the refusal's line: $(grep connections_per_address "$MG_TMP/error.log")"
ok "the refused connection is logged with its address"
kill "$slow"

# --- a full table: 503, logged once ----------------------------------------
# 20 + 1 + 20 + 20 (the connector's) live now; 3 more fill the 64
for i in 30 31 32; do
	init "127.0.0.$i"
	expect 200 "m.id === 1" "a session of 127.0.0.$i"
done
for i in 1 2 3 4 5; do
	init 127.0.0.33
	expect 503 "$(rpc_err -32603 'm.id === 1')" "initialize $i with the table full"
done
[ "$(lines 'session table full (max_sessions 64): refusing a new session from 127.0.0.33 on /mcp/demo')" = 1 ] ||
	fail "5 refusals of a full table: $(lines 'session table full') lines, expected 1"
ok "a full table: 503 for everyone, one log line for 5 refusals"
no_child_died || fail "a process died: $(grep exited "$MG_TMP/error.log")"

# --- two workers: one count ---------------------------------------------------
kill -TERM "$MG_MASTER"
mg_wait 10 "! kill -0 $MG_MASTER 2>/dev/null" || fail "the first daemon did not stop"
mv "$MG_TMP/error.log" "$MG_TMP/error.1.log"
MG_PORT=$(free_port)
mcp_conf 2 "sessions_per_address 20;" "" "" ""
URL=
mcp_init_files
DEMO=$URL
mg_start
for i in $(seq 1 40); do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 -X POST "$DEMO" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-d "$(init_body 2025-11-25)" >> "$MG_TMP/burst" &
done
wait
n200=$(grep -c '^200$' "$MG_TMP/burst")
n429=$(grep -c '^429$' "$MG_TMP/burst")
[ $((n200 + n429)) = 40 ] || fail "40 initializes at once on 2 workers: $(sort "$MG_TMP/burst" | uniq -c | tr '\n' ' ')"
[ "$n200" -ge 20 ] && [ "$n200" -le 21 ] || fail "40 initializes at once on 2 workers: $n200 sessions, expected 20 (21 if two raced at the limit)"
pids=$(grep 'sessions_per_address (20) reached' "$MG_TMP/error.log" | awk '{ print $4 }' | sort -u | wc -l)
ok "40 initializes at once from one address on 2 workers: $n200 sessions, $n429 refused (refusals logged by $pids worker(s))"

mg_done
