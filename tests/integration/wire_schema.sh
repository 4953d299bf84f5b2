#!/usr/bin/env bash
# Every message mcpgw writes itself validates against the JSON schema of
# the request's revision (2025-11-25 or 2026-07-28), as the conformance
# runner 0.2.0-alpha bundles it and checks it (wire-schema-valid): the
# built-in servers' initialize and server/discover results, the
# subscriptions/listen acknowledgement, and each JSON-RPC error the
# worker writes (bad version, header/body mismatch, missing capability,
# unknown or missing session, method not found, parse error, oversized
# body, refused by policy, batches, GET on 2026-07-28, Accept,
# Content-Type, Origin).  tests/era/wire_check.mjs provokes each and
# validates it with the runner's own validator (tests/era/wire_schema.mjs,
# loaded from the installed runner: nothing copied).
# Needs tests/era/node_modules (npm ci --prefix tests/era).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
mg_setup

. "$(dirname "$0")/era_lib.sh"
era_need_modules

MG_PORT=$(free_port)
DEAD_PORT=$(free_port) # nothing listens there
cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes 2;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log debug;
shutdown_timeout 2s;
upstream dead { server http://127.0.0.1:$DEAD_PORT/mcp; }
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/demo { mcp_builtin demo; }
    location /mcp/everything { mcp_builtin everything; }
    location /mcp/deny { mcp_builtin demo; mcp_deny tools/call echo; }
    location /mcp/small { mcp_builtin demo; client_max_body_size 64; }
    location /mcp/dead { mcp_pass dead; }
}
CONF
mg_start

rc=0
timeout -k 5 120 "$ERA_NODE22" "$ERA_SCRIPTS/wire_check.mjs" "http://127.0.0.1:$MG_PORT" \
	> "$MG_TMP/wire.out" 2>&1 || rc=$?
cat "$MG_TMP/wire.out"
[ "$rc" = 0 ] || fail "a message mcpgw wrote itself does not validate against its revision's schema, or a probe went otherwise (exit $rc)"
ok "$(tail -n 1 "$MG_TMP/wire.out" | sed 's/^# //')"
mg_done
