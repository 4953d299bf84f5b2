#!/usr/bin/env bash
# An idle proxied session is closed upstream too: when the gateway's
# session idles out (session_timeout), its connector sends DELETE for the
# upstream's session, so abandoned sessions do not pile up there.
. "$(dirname "$0")/lib.sh"
mg_setup

set -- $(free_port 2)
UP=$1 GW=$2
cat > "$MG_TMP/up.conf" <<CONF
worker_processes 1;
pid $MG_TMP/up.pid;
error_log $MG_TMP/error.log info;
access_log $MG_TMP/up.access;
server { listen 127.0.0.1:$UP; location /mcp { mcp_builtin demo; } }
CONF
cat > "$MG_TMP/gw.conf" <<CONF
worker_processes 1;
pid $MG_TMP/gw.pid;
error_log $MG_TMP/gw.log debug;
session_timeout 2s;
upstream up { server http://127.0.0.1:$UP/mcp; }
server { listen 127.0.0.1:$GW; location /mcp { mcp_pass up; } }
CONF
"$MCPGW" -F -c "$MG_TMP/up.conf" >> "$MG_TMP/stdout.log" 2>&1 &
U=$!
disown $U
"$MCPGW" -F -c "$MG_TMP/gw.conf" >> "$MG_TMP/stdout.log" 2>&1 &
G=$!
disown $G
MG_BG_PIDS="$U $G"
mg_wait 10 "grep -qs 'generation 1 ready' '$MG_TMP/error.log' && grep -qs 'generation 1 ready' '$MG_TMP/gw.log'" ||
	fail "not ready"

H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
sid=$(curl -s -D - -o /dev/null --max-time 5 -X POST "http://127.0.0.1:$GW/mcp" "${H[@]}" \
	-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' |
	tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
[ -n "$sid" ] || fail "no session"
out=$(curl -s --max-time 5 -X POST "http://127.0.0.1:$GW/mcp" "${H[@]}" -H "Mcp-Session-Id: $sid" \
	-d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"}}}')
echo "$out" | grep -q '"echo: x"' || fail "call through the gateway: $out"
ok "a session through the gateway works"

mg_wait 8 "grep -q ' DELETE - - 204 ' '$MG_TMP/up.access'" ||
	fail "no DELETE reached the upstream: $(cat "$MG_TMP/up.access")"
ok "when the gateway's session idles out, its upstream session is deleted (204 upstream)"

status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "http://127.0.0.1:$GW/mcp" "${H[@]}" \
	-H "Mcp-Session-Id: $sid" -d '{"jsonrpc":"2.0","id":3,"method":"ping"}')
[ "$status" = 404 ] || fail "the idle session answers $status"
ok "and the idle session answers 404"

mg_done
