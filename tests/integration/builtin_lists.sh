#!/usr/bin/env bash
# The built-in "everything" server's lists that change (the runner's
# hooks test_trigger_tool_change and test_trigger_prompt_change), and
# the changes on the streams that asked for them: 2026-07-28
# subscriptions/listen (resourceSubscriptions honoured, the filter kept,
# each notification tagged with its subscription id) and a 2025
# session's GET stream, across two workers; every message checked
# against its revision's schema.  tests/era/list_changes.mjs.
# Needs tests/era/node_modules (npm ci --prefix tests/era).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
mg_setup

. "$(dirname "$0")/era_lib.sh"
era_need_modules

MG_PORT=$(free_port)
cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes 2;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log debug;
shutdown_timeout 2s;
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/demo { mcp_builtin demo; }
    location /mcp/everything { mcp_builtin everything; }
}
CONF
mg_start

# The kernel picks the worker of each connection: run until the streams
# of one run were on both workers (then a change made on one worker
# reached streams on the other), each run passing.
workers() {
	grep 'worker: client .* closed a stream' "$MG_TMP/error.log" | awk '{print $4}' | sort -u | wc -l
}
run=0
while :; do
	run=$((run + 1))
	: > "$MG_TMP/error.log"
	rc=0
	timeout -k 5 60 "$ERA_NODE22" "$ERA_SCRIPTS/list_changes.mjs" "http://127.0.0.1:$MG_PORT" \
		> "$MG_TMP/lists.out" 2>&1 || rc=$?
	sed "s/^/run $run: /" "$MG_TMP/lists.out"
	[ "$rc" = 0 ] || fail "list changes of the built-in servers (run $run, exit $rc)"
	sleep 0.3
	[ "$(workers)" -ge 2 ] && break
	[ $run -lt 10 ] || fail "in $run runs the streams never were on both workers: the test proves nothing across workers"
done
ok "list changes reach the streams that asked for them, in both eras, across workers (run $run)"
mg_done
