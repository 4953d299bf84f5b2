#!/usr/bin/env bash
# Concurrency on the MCP endpoint with worker_processes 2: tests/node/load.mjs
# runs 200 sessions at once, 50 echo calls each over keep-alive connections,
# every call with a unique id (strings and integers) and a message unique to
# its session and call.  Proves that no answer is lost, crossed between
# requests or sessions, or given another id, that no worker dies under the
# load, and that the daemon serves normally afterwards.
# MCP_LOAD_SESSIONS / MCP_LOAD_CALLS override the size.
# Needs Node.js >= 18 and tests/node/node_modules (npm ci --prefix tests/node);
# without them the test fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mcp_lib.sh"
mg_setup
mcp_need_sdk

MG_PORT=$(free_port)
mcp_conf 2 "" "access_log $MG_TMP/access.log;" ""
mcp_init_files
mg_start
workers=$(mg_role_pids "$MG_MASTER" worker)
[ "$(mg_count "$workers")" = 2 ] || fail "expected 2 workers, have: $workers"

sessions=${MCP_LOAD_SESSIONS:-200}
calls=${MCP_LOAD_CALLS:-50}
run_node load.mjs "$URL" "$sessions" "$calls"
ok "load.mjs: $(grep -m1 'calls answered correctly' "$MG_TMP/node.out" | sed 's/^# //')"

# Every call was logged once, with its status.
total=$((sessions * calls))
logged() {
	grep -F 'tools/call' "$MG_TMP/access.log" | grep -w echo | grep -c ' 200 '
}
mg_wait 5 "[ \$(logged) -ge $total ]" ||
	fail "access log: $(logged) lines with tools/call, echo and 200, expected $total"
ok "the access log has a 200 line for each of the $total calls"

[ "$(mg_role_pids "$MG_MASTER" worker | sort)" = "$(echo "$workers" | sort)" ] && no_child_died ||
	fail "a worker died under load: $(grep -E 'exited' "$MG_TMP/error.log")"
ok "both workers served the whole load without dying"

new_session 2025-11-25
spost "$(echo_body 1 after-load)"
expect 200 "$(echo_ok 1 "'after-load'")" "a call after the load"
ok "a new session is served after the load"

mg_done
