#!/usr/bin/env bash
# The life of MCP sessions with max_sessions 16 and session_timeout 5s,
# two workers: the 17th live session is refused (with a JSON-RPC error, no
# session id) while the others go on; DELETE frees a place; an idle
# session expires (404) and frees its place; activity keeps a session
# alive past the timeout; and, as the design promises ("no session is
# lost"), a session survives a SIGKILLed worker and a reload (SIGHUP).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mcp_lib.sh"
mg_setup
mcp_need_node

MG_PORT=$(free_port)
mcp_conf 2 "max_sessions 16;
session_timeout 5s;" "" ""
mcp_init_files
mg_start

# open_sessions N: N new sessions, their ids in SIDS.
open_sessions() {
	SIDS=()
	for i in $(seq 1 "$1"); do
		new_session 2025-11-25
		SIDS+=("$SID")
	done
}

# all_live: every session in SIDS answers tools/list.
all_live() {
	local s
	for s in "${SIDS[@]}"; do
		SID=$s
		spost '{"jsonrpc":"2.0","id":"l","method":"tools/list"}'
		expect 200 "m.id === 'l' && Array.isArray(m.result.tools)" "$1"
	done
}

# --- max_sessions -----------------------------------------------------------------
open_sessions 16
post "$(init_body 2025-11-25 17)"
case $ST in 4?? | 5??) ;; *) fail "the 17th session with max_sessions 16: expected a refusal; $(what)" ;; esac
jtrue "$(rpc_err any "m.id === 17")" || fail "the refused initialize has no JSON-RPC error for its id; $(what)"
[ -z "$(hdr Mcp-Session-Id)" ] || fail "the refused initialize still issued a session id; $(what)"
refused=$ST
all_live "a live session while the table is full"
ok "max_sessions 16: the 17th initialize is refused ($refused, JSON-RPC error, no session id); the 16 go on"

req -X DELETE -H "Mcp-Session-Id: ${SIDS[0]}" -H "MCP-Protocol-Version: 2025-11-25" "$URL"
case $ST in 2??) ;; *) fail "DELETE: $(what)" ;; esac
post "$(init_body 2025-11-25 18)"
expect 200 "m.id === 18" "an initialize after a DELETE freed a place"
SIDS[0]=$(hdr Mcp-Session-Id)
post "$(init_body 2025-11-25 19)"
[ "$ST" = "$refused" ] || fail "the table is full again, but initialize got $ST; $(what)"
ok "DELETE frees a place for exactly one new session"

# --- session_timeout ------------------------------------------------------------------
keep=${SIDS[1]}
t0=$(date +%s%N)
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 7000 ]; do
	SID=$keep
	spost '{"jsonrpc":"2.0","id":"k","method":"ping"}'
	expect 200 "m.id === 'k'" "a session kept busy past session_timeout"
	sleep 0.5
done
SID=${SIDS[2]}
spost '{"jsonrpc":"2.0","id":"x","method":"tools/list"}'
expect 404 "$(rpc_err any "$(id_null_or "'x'")")" "a session idle for 7 s with session_timeout 5s"
SID=$keep
spost '{"jsonrpc":"2.0","id":"k2","method":"tools/list"}'
expect 200 "m.id === 'k2'" "the busy session after 7 s"
ok "session_timeout 5s: a session idle for 7 s gets 404; one used every 0.5 s lives on"

open_sessions 15
ok "expired sessions free their places: 15 new sessions open beside the busy one"

# --- no session is lost -------------------------------------------------------------------
# The table is full again (the busy one and 15 new): go on with the
# session opened last, which is fresh; each step below takes far less
# than session_timeout.
SID=${SIDS[14]}
w=$(mg_first "$(mg_role_pids "$MG_MASTER" worker)")
kill -KILL "$w"
mg_wait 5 "mg_replaced $MG_MASTER worker 2 $w" || fail "worker $w not replaced"
for i in $(seq 1 10); do
	spost "$(echo_body "$i" "after-kill-$i")"
	expect 200 "$(echo_ok "$i" "'after-kill-$i'")" "a session after a worker was SIGKILLed"
done
ok "a session goes on after a worker is SIGKILLed and respawned (10 calls)"

kill -HUP "$MG_MASTER"
mg_wait 5 "grep -q 'generation 2 ready' '$MG_TMP/error.log'" || fail "the reload did not bring generation 2"
for i in $(seq 1 10); do
	spost "$(echo_body "$i" "after-reload-$i")"
	expect 200 "$(echo_ok "$i" "'after-reload-$i'")" "a session after a reload"
done
ok "a session goes on after a reload (SIGHUP), served by the new generation"

mg_done
