#!/usr/bin/env bash
# List changes over the reverse bridge, with curl: a 2025-11-25 session on
# a route whose upstream speaks 2026-07-28 only (tests/era/upstream_v2.mjs
# --legacy=reject), session_timeout 2s.
#  - no GET stream yet: the upstream holds no subscriptions/listen for it;
#  - the GET stream opens: the connector's listen for the session opens
#    upstream (its acknowledgement, logged, agrees to toolsListChanged),
#    and test_trigger_tool_change brings
#    notifications/tools/list_changed to the GET stream (no subscription
#    id: a 2025 client has none);
#  - the GET stream closes and the session idles out: the connector's
#    sweep closes the listen (the upstream counts none open).
# (era_sdk.sh checks the same with the SDK v1 client, and DELETE.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
. "$(dirname "$0")/era_lib.sh"
era_need_modules

start_v2 reject
V2_LOG=$MG_TMP/upstream-v2-$V2_PORT.log
MG_PORT=$(free_port)
px_conf 2 "session_timeout 2s;" "
upstream v2only { server http://127.0.0.1:$V2_PORT/mcp; protocol 2026-07-28; }
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp { mcp_pass v2only; }
}"
mg_start
URL=http://127.0.0.1:$MG_PORT/mcp
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
open_listens() { grep '^listens open: ' "$V2_LOG" | tail -n 1 | sed 's/^listens open: //'; }

sid=$(curl -sS -D - -o "$MG_TMP/init.json" --max-time 5 -X POST "$URL" "${H[@]}" \
	-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' |
	tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
[ -n "$sid" ] || fail "no session: $(cat "$MG_TMP/init.json")"
grep -q '"tools":{"listChanged":true}' "$MG_TMP/init.json" ||
	fail "the initialize result does not declare tools.listChanged: $(cat "$MG_TMP/init.json")"
ok "initialize over the reverse bridge declares tools.listChanged (the upstream's discover does)"
S=(-H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25')
curl -sS -o /dev/null --max-time 5 -X POST "$URL" "${H[@]}" "${S[@]}" \
	-d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
sleep 0.3
[ -z "$(open_listens)" ] || fail "a listen upstream before any GET stream: $(grep '^listens' "$V2_LOG")"
ok "no GET stream, no listen upstream"

# the GET stream, for 3 s
curl -sS -N --max-time 3 "$URL" -H 'Accept: text/event-stream' "${S[@]}" > "$MG_TMP/get.sse" 2> /dev/null &
mg_wait 5 "[ \"\$(open_listens)\" = 1 ]" || fail "no listen upstream after the GET stream opened: $(grep '^listens' "$V2_LOG")"
mg_wait 5 "grep -q 'upstream \"v2only\" agreed to .*\"toolsListChanged\":true' '$MG_TMP/error.log'" ||
	fail "the upstream did not acknowledge toolsListChanged: $(grep 'agreed to' "$MG_TMP/error.log")"
ok "the GET stream opened: one listen upstream for the session, toolsListChanged agreed to"
call() {
	curl -sS --max-time 5 -X POST "$URL" "${H[@]}" "${S[@]}" \
		-d "{\"jsonrpc\":\"2.0\",\"id\":$1,\"method\":\"tools/call\",\"params\":{\"name\":\"$2\",\"arguments\":{}}}"
}
call 2 test_trigger_tool_change | grep -q 'tools/list_changed sent' || fail "test_trigger_tool_change failed"
mg_wait 2 "grep -q 'notifications/tools/list_changed' '$MG_TMP/get.sse'" ||
	fail "no notifications/tools/list_changed on the GET stream: $(cat "$MG_TMP/get.sse")"
! grep -q 'subscriptionId' "$MG_TMP/get.sse" || fail "the subscription id reached the 2025 client: $(cat "$MG_TMP/get.sse")"
ok "test_trigger_tool_change: notifications/tools/list_changed on the GET stream, without a subscription id"
wait

# idle: past session_timeout the connector's sweep ends the session and its listen
mg_wait 8 "[ \"\$(open_listens)\" = 0 ]" ||
	fail "the idle session's listen is still open upstream: $(grep '^listens' "$V2_LOG" | tail -n 3)"
grep -q "closed the subscriptions/listen for session [0-9a-f]* at upstream \"v2only\"" "$MG_TMP/error.log" ||
	fail "the connector did not say it closed the listen"
status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$URL" "${H[@]}" "${S[@]}" \
	-d '{"jsonrpc":"2.0","id":3,"method":"ping"}')
[ "$status" = 404 ] || fail "the idle session answers $status, not 404"
ok "the session idled out: its listen closed upstream (0 open), the session 404"

px_no_child_died || fail "a process of the gateway died: $(grep -E 'exited' "$MG_TMP/error.log")"
px_done
