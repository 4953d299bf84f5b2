#!/usr/bin/env bash
# mcpgw's built-in MCP server against independent software, and sessions
# across workers.  With worker_processes 4:
#  - the official MCP TypeScript SDK (tests/node/sdk_client.mjs) initializes,
#    lists and calls tools, receives streamed progress, pings, and ends its
#    session with DELETE;
#  - one session's 100 calls, each on a fresh connection (so on whichever
#    worker the kernel picks), all succeed, and fresh connections are shown
#    (through /proc) to land on several workers;
#  - notifications/cancelled sent on another worker than the one running
#    the call still stops it.
# Needs Node.js >= 18 and tests/node/node_modules (npm ci --prefix tests/node);
# without them the test fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mcp_lib.sh"
mg_setup
mcp_need_sdk

MG_PORT=$(free_port)
mcp_conf 4 "" "server_name localhost;" ""
mcp_init_files
mg_start
workers=$(mg_role_pids "$MG_MASTER" worker)
[ "$(mg_count "$workers")" = 4 ] || fail "expected 4 workers, have: $workers"

# --- the official SDK -------------------------------------------------------------
run_node sdk_client.mjs "$URL"
ok "the official MCP SDK client: $(grep -c '^ok ' "$MG_TMP/node.out") checks passed against 4 workers"

# --- one session, 100 fresh connections -----------------------------------------------
new_session 2025-11-25
for i in $(seq 1 100); do
	spost "$(echo_body "$i" "fresh-$i")"
	expect 200 "$(echo_ok "$i" "'fresh-$i'")" "call $i of one session on a new connection"
done
ok "one session: 100 calls, each on a new connection, all answered with their own id and message"

# Which worker serves each new connection: the session works on all of them.
# The kernel, not the test, picks the worker, and an idle machine may give
# one worker many in a row: 40 connections, then more (200 in all at most)
# until two workers have served.
declare -A served
i=0
while [ $i -lt 40 ] || { [ "${#served[@]}" -lt 2 ] && [ $i -lt 200 ]; }; do
	i=$((i + 1))
	raw_open 3
	raw_post 3 "$(echo_body "\"w$i\"" "where-$i")" "Mcp-Session-Id: $SID" "MCP-Protocol-Version: $MCP_V"
	raw_read 3 5 || fail "connection $i: no answer"
	[ "$RAW_STATUS" = 200 ] || fail "connection $i: HTTP $RAW_STATUS $RAW_BODY"
	printf '%s' "$RAW_BODY" > "$MG_TMP/raw.json"
	jtrue "$(echo_ok "'w$i'" "'where-$i'")" "$MG_TMP/raw.json" || fail "connection $i: $RAW_BODY"
	w=$(raw_worker 3 "$workers") || fail "connection $i: cannot tell which worker holds it"
	served[$w]=$(( ${served[$w]:-0} + 1 ))
	raw_close 3
done
dist=$(for w in "${!served[@]}"; do printf '%s:%s ' "$w" "${served[$w]}"; done)
[ "${#served[@]}" -ge 2 ] || fail "$i new connections all went to one worker ($dist): the cross-worker check proves nothing"
ok "the same session served on ${#served[@]} different workers over $i new connections (pid:calls $dist)"

# --- cancellation from another worker -----------------------------------------------
cross=0
same=0
for round in $(seq 1 60); do
	raw_open 3
	raw_post 3 "{\"jsonrpc\":\"2.0\",\"id\":\"nap-$round\",\"method\":\"tools/call\",\"params\":{\"name\":\"sleep\",\"arguments\":{\"ms\":3000}}}" \
		"Mcp-Session-Id: $SID" "MCP-Protocol-Version: $MCP_V"
	t0=$(date +%s%N)
	sleep 0.3
	raw_open 4
	raw_post 4 "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"nap-$round\",\"reason\":\"test\"}}" \
		"Mcp-Session-Id: $SID" "MCP-Protocol-Version: $MCP_V"
	raw_read 4 5 || fail "round $round: no answer to notifications/cancelled"
	[ "$RAW_STATUS" = 202 ] || fail "round $round: notifications/cancelled got HTTP $RAW_STATUS"
	wsleep=$(raw_worker 3 "$workers") || fail "round $round: cannot tell which worker runs the sleep"
	wcancel=$(raw_worker 4 "$workers") || fail "round $round: cannot tell which worker took the cancel"
	raw_close 4
	# The call's request ends: its connection closes, or its answer (with
	# no result) is complete.
	raw_read 3 4
	el=$(( ($(date +%s%N) - t0) / 1000000 ))
	raw_close 3
	[ "$wsleep" = "$wcancel" ] && where="on the same worker" || where="from worker $wcancel to worker $wsleep"
	case $RAW_BODY in *slept*) fail "round $round: a sleep cancelled $where still answered after $el ms: $RAW_STATUS $RAW_BODY" ;; esac
	[ -z "$RAW_STATUS" ] || [ "$RAW_ENDED" = 1 ] ||
		fail "round $round: the request of a sleep cancelled $where did not end (HTTP $RAW_STATUS, body so far: $RAW_BODY)"
	[ $el -lt 2500 ] || fail "round $round: a sleep of 3000 ms cancelled $where still ran $el ms (HTTP ${RAW_STATUS:-none})"
	if [ "$wsleep" = "$wcancel" ]; then same=$((same + 1)); else cross=$((cross + 1)); fi
	[ $cross -ge 2 ] && break
done
[ $cross -ge 1 ] || fail "in 60 rounds no cancel landed on another worker than its call; the check proves nothing"
ok "notifications/cancelled stops a sleep on another worker ($cross times; $same on the same worker)"

[ "$(mg_role_pids "$MG_MASTER" worker | sort)" = "$(echo "$workers" | sort)" ] && no_child_died ||
	fail "a worker died during the test: $(grep -E 'exited' "$MG_TMP/error.log")"
ok "no worker died"

mg_done
