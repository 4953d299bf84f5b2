#!/usr/bin/env bash
# A federated route against what its authors' tests never send, each check
# one bug found by attacking it (curl, byte by byte): /mcp federates the
# built-in demo server, the built-in everything server (prefix off), the
# SDK v2 upstream speaking only 2026-07-28 (tests/era/upstream_v2.mjs
# --legacy=reject: its requests to a 2025 client come over the reverse
# bridge), a member of 2026-07-28 that answers what a buggy server may
# (tests/era/hostile_member.mjs) and a member whose port refuses
# connections.
#  - a 2025 client answers an elicitation the 2026-07-28 member asked for
#    (over the reverse bridge, under the gateway's own id): the answer
#    reaches the member and the call ends with its result;
#  - a 2025 session's subscriptions/listen and server/discover (methods
#    of 2026-07-28): -32601, as a built-in or relayed route answers them,
#    not a listen stream or a discovery result;
#  - a member acknowledges a 2026-07-28 client's subscriptions/listen with
#    params.notifications 5 (not an object): the others' acknowledgement
#    reaches the client and no worker dies;
#  - a 2025 session subscribes to a resource of each of the two members of
#    2026-07-28: each subscription reaches its own member's listen (the
#    connector held one listen per session, with the first member's
#    upstream, and sent the second member's URI there);
#  - the session's GET stream carries a list change of the 2026-07-28
#    member and its resources/updated in the client's URI, and DELETE
#    closes that member's listen (the connector's, as
#    on its mcp_pass route; before, GET and DELETE skipped the member).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
. "$(dirname "$0")/era_lib.sh"
era_need_modules
start_v2 reject
HOSTILE_PORT=$(free_port)
"$ERA_NODE22" "$ERA_SCRIPTS/hostile_member.mjs" "$HOSTILE_PORT" 5 > "$MG_TMP/hostile.log" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
mg_wait 10 "grep -q '^listening $HOSTILE_PORT\$' '$MG_TMP/hostile.log'" || fail "hostile_member.mjs did not listen"

MG_PORT=$(free_port)
DOWN_PORT=$(free_port)
cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes 2;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log debug;
shutdown_timeout 5s;
upstream demo { server http://127.0.0.1:$MG_PORT/mcp/demo; }
upstream everything { server http://127.0.0.1:$MG_PORT/mcp/everything; }
upstream v2 { server http://127.0.0.1:$V2_PORT/mcp; protocol 2026-07-28; }
upstream hostile { server http://127.0.0.1:$HOSTILE_PORT/mcp; protocol 2026-07-28; }
upstream down { server http://127.0.0.1:$DOWN_PORT/mcp; connect_timeout 1s; }
server {
    listen 127.0.0.1:$MG_PORT;
    location = /mcp/demo { mcp_builtin demo; }
    location = /mcp/everything { mcp_builtin everything; }
    location = /mcp {
        mcp_member demo;
        mcp_member everything { prefix off; }
        mcp_member v2;
        mcp_member hostile;
        mcp_member down;
        mcp_member_timeout 2s;
    }
}
CONF
mg_start
URL=http://127.0.0.1:$MG_PORT/mcp
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')

init() { # init CAPABILITIES: the session id
	curl -sS -D "$MG_TMP/init.h" -o "$MG_TMP/init.json" --max-time 10 -X POST "$URL" "${H[@]}" \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":$1,\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"
	tr -d '\r' < "$MG_TMP/init.h" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p'
}
post() { # post BODY
	curl -sS -N --max-time "${T:-10}" -X POST "$URL" "${H[@]}" -H "Mcp-Session-Id: $sid" \
		-H 'MCP-Protocol-Version: 2025-11-25' -d "$1"
}
sid=$(init '{"elicitation":{"form":{}}}')
[ -n "$sid" ] || fail "no session: $(cat "$MG_TMP/init.json")"
post '{"jsonrpc":"2.0","method":"notifications/initialized"}' > /dev/null

# the 2026-07-28 member's elicitation, answered by the 2025 client
T=8 post '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"v2__test_elicitation","arguments":{"message":"who?"}}}' \
	> "$MG_TMP/elicit.out" &
call=$!
mg_wait 5 "grep -q '\"method\":\"elicitation/create\"' '$MG_TMP/elicit.out'" ||
	fail "no elicitation/create on the call's stream: $(cat "$MG_TMP/elicit.out")"
rid=$(grep -o '"id":"[^"]*","method":"elicitation/create"' "$MG_TMP/elicit.out" | sed 's/^"id"://; s/,"method".*//')
post "{\"jsonrpc\":\"2.0\",\"id\":$rid,\"result\":{\"action\":\"accept\",\"content\":{\"username\":\"ann\",\"email\":\"ann@example.com\"}}}" > /dev/null
wait $call
grep -q 'action=accept' "$MG_TMP/elicit.out" && grep -q '"id":3' "$MG_TMP/elicit.out" ||
	fail "the 2026-07-28 member never got the client's answer ($rid): $(cat "$MG_TMP/elicit.out")"
ok "an elicitation of the 2026-07-28 member (id $rid) answered by a 2025 client reaches it: the call ends with its result"

for method in subscriptions/listen server/discover; do
	T=5 post "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"$method\",\"params\":{\"notifications\":{\"toolsListChanged\":true}}}" > "$MG_TMP/era.out"
	grep -q '"code":-32601' "$MG_TMP/era.out" && ! grep -q '"result"' "$MG_TMP/era.out" ||
		fail "a 2025 session's $method: $(cat "$MG_TMP/era.out")"
done
ok "a 2025 session's subscriptions/listen and server/discover: -32601 Method not found"

# resources/subscribe to two members of 2026-07-28 on one session
post '{"jsonrpc":"2.0","id":5,"method":"resources/subscribe","params":{"uri":"v2+test://watched-resource"}}' > "$MG_TMP/sub1.out"
mg_wait 5 "grep -q 'upstream \"v2\" agreed to .*watched-resource' '$MG_TMP/error.log'" ||
	fail "v2 never agreed to its resource: $(cat "$MG_TMP/sub1.out"; grep 'agreed to' "$MG_TMP/error.log")"
post '{"jsonrpc":"2.0","id":6,"method":"resources/subscribe","params":{"uri":"hostile+hostile://only-mine"}}' > "$MG_TMP/sub2.out"
mg_wait 5 "grep -q 'upstream \"hostile\" agreed to' '$MG_TMP/error.log'" ||
	fail "the subscription to hostile+hostile://only-mine never reached the member hostile: $(grep 'agreed to' "$MG_TMP/error.log")"
! grep 'upstream "v2" agreed to .*only-mine' "$MG_TMP/error.log" ||
	fail "hostile's resource was subscribed to at v2"
ok "resources/subscribe to two members of 2026-07-28 on one session: each URI at its own member's listen"

# the GET stream: a list change of the member of 2026-07-28; DELETE
curl -sS -N --max-time 5 "$URL" -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $sid" \
	-H 'MCP-Protocol-Version: 2025-11-25' > "$MG_TMP/get.sse" 2> /dev/null &
get=$!
mg_wait 5 "grep -q 'upstream \"v2\" agreed to .*toolsListChanged' '$MG_TMP/error.log'" ||
	fail "the GET stream asked v2 for no list changes: $(grep 'agreed to' "$MG_TMP/error.log")"
post '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"v2__test_trigger_tool_change","arguments":{}}}' > /dev/null
mg_wait 5 "grep -q 'notifications/tools/list_changed' '$MG_TMP/get.sse'" ||
	fail "no list change of v2 on the GET stream: $(cat "$MG_TMP/get.sse")"
# an update of the subscribed resource: in the client's URI (the
# connector's NOTIFY_FWD names the upstream)
post '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"v2__touch_resource","arguments":{"uri":"test://watched-resource"}}}' > /dev/null
mg_wait 5 "grep -q 'notifications/resources/updated' '$MG_TMP/get.sse'" ||
	fail "no resources/updated of v2 on the GET stream: $(cat "$MG_TMP/get.sse")"
grep -q '"uri":"v2+test://watched-resource"' "$MG_TMP/get.sse" ||
	fail "v2's resources/updated with the member's own URI: $(grep updated "$MG_TMP/get.sse")"
kill $get 2> /dev/null
wait $get 2> /dev/null
status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -X DELETE "$URL" -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25')
[ "$status" = 204 ] || fail "DELETE: $status"
mg_wait 5 "grep -q 'closed the subscriptions/listen for session .* at upstream \"v2\"' '$MG_TMP/error.log'" ||
	fail "DELETE left v2's listen for the session open"
ok "the GET stream carries v2's tools/list_changed and its resources/updated in the client's URI (v2+test://watched-resource); DELETE closes v2's listen for the session"

# 2026-07-28: a listen that a member acknowledges with a number
meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}'
curl -sS -N --max-time 4 -X POST "$URL" "${H[@]}" -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: subscriptions/listen' \
	-d "{\"jsonrpc\":\"2.0\",\"id\":\"L\",\"method\":\"subscriptions/listen\",\"params\":{\"notifications\":{\"toolsListChanged\":true},$meta}}" \
	> "$MG_TMP/listen.out" 2> /dev/null
grep -q '"method":"notifications/subscriptions/acknowledged","params":{"notifications":{"toolsListChanged":true}' "$MG_TMP/listen.out" ||
	fail "no acknowledgement of the listen: $(cat "$MG_TMP/listen.out")"
! grep -E 'exited on signal|exited with code [1-9]' "$MG_TMP/error.log" ||
	fail "a member's acknowledgement with a number for its notifications killed a worker"
ok "a member's acknowledgement whose notifications is 5: the others' acknowledgement reaches the client; no worker dies"

! grep -E 'exited on signal|exited with code [1-9]' "$MG_TMP/error.log" || fail "a process died"
mg_done
