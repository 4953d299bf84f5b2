#!/usr/bin/env bash
# A federated route, byte by byte with curl: /mcp federates the built-in
# demo server (prefix demo), the built-in everything server (prefix off,
# one tool renamed, one denied), reached through the connector as any
# upstream, and two members that fail: one whose port refuses
# connections (down) and one that accepts and never answers (slow;
# mcp_member_timeout 1s).  /mcp/policy is the same route with mcp_deny.
#  - initialize (2025-11-25): one session, capabilities merged, serverInfo
#    mcpgw; the down and slow members named in the error log;
#  - the lists: names with prefixes, renames and tools_deny applied; the
#    slow member does not hold the answer past its timeout;
#  - calls routed by name (demo__echo reaches demo's echo, simple reaches
#    everything's test_simple_text), resources by URI, prompts by name;
#    a name no member owns, a denied tool, a down member's tool: errors
#    that say so; a forged cursor: -32602;
#  - 2026-07-28: server/discover merged, tools/list, tools/call with the
#    routing headers (Mcp-Name as the client wrote it);
#  - policy on the names the client sees: mcp_deny tools/call demo__sleep
#    refuses the call and cuts the list;
#  - the GET stream carries a member's list change, once when two members
#    (everything and e2, one server) send it at once; DELETE ends it all.
. "$(dirname "$0")/lib.sh"
mg_setup

MG_PORT=$(free_port)
DOWN_PORT=$(free_port)
SLOW_PORT=$(free_port)
# the slow member: accepts, reads, never answers
node -e 'require("net").createServer((s) => { s.on("data", () => {}); }).listen(+process.argv[1], "127.0.0.1")' \
	"$SLOW_PORT" > /dev/null 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
mg_wait 10 "(exec 3<>/dev/tcp/127.0.0.1/$SLOW_PORT) 2>/dev/null" || fail "the slow member's listener did not start"

members='
        mcp_member demo;
        mcp_member everything {
            prefix off;
            tool_rename test_simple_text simple;
            tools_deny test_error_handling;
        }
        mcp_member e2;
        mcp_member down;
        mcp_member slow;
        mcp_member_timeout 1s;'
cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes 2;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log debug;
shutdown_timeout 5s;
upstream demo { server http://127.0.0.1:$MG_PORT/mcp/demo; }
upstream everything { server http://127.0.0.1:$MG_PORT/mcp/everything; }
upstream e2 { server http://127.0.0.1:$MG_PORT/mcp/everything; }
upstream down { server http://127.0.0.1:$DOWN_PORT/mcp; connect_timeout 1s; }
upstream slow { server http://127.0.0.1:$SLOW_PORT/mcp; read_timeout 30s; }
server {
    listen 127.0.0.1:$MG_PORT;
    location = /mcp/demo { mcp_builtin demo; }
    location = /mcp/everything { mcp_builtin everything; }
    location = /mcp { $members
    }
    location = /mcp/policy { $members
        mcp_deny tools/call demo__sleep;
    }
}
CONF
"$MCPGW" -t -c "$MG_TMP/mcpgw.conf" > "$MG_TMP/t.out" 2>&1 || fail "mcpgw -t: $(cat "$MG_TMP/t.out")"
mg_start
URL=http://127.0.0.1:$MG_PORT/mcp
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')

init() { # init URL: the session id
	curl -sS -D "$MG_TMP/init.h" -o "$MG_TMP/init.json" --max-time 10 -X POST "$1" "${H[@]}" \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
	tr -d '\r' < "$MG_TMP/init.h" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p'
}
t0=$(date +%s%N)
sid=$(init "$URL")
t1=$(date +%s%N)
[ -n "$sid" ] || fail "no session: $(cat "$MG_TMP/init.json")"
grep -q '"serverInfo":{"name":"mcpgw"' "$MG_TMP/init.json" || fail "serverInfo: $(cat "$MG_TMP/init.json")"
for cap in '"tools":{' '"prompts":{' '"resources":{' '"logging":{'; do
	grep -q "$cap" "$MG_TMP/init.json" || fail "capability $cap missing: $(cat "$MG_TMP/init.json")"
done
[ $(((t1 - t0) / 1000000)) -lt 3000 ] || fail "initialize took $(((t1 - t0) / 1000000)) ms (member timeout 1 s)"
mg_wait 3 "grep -q 'route \"/mcp\": member \"down\" failed to initialize' '$MG_TMP/error.log'" ||
	fail "the down member is not named in the error log: $(grep member "$MG_TMP/error.log")"
grep -q 'member "slow" failed to initialize: no answer within 1000 ms' "$MG_TMP/error.log" ||
	fail "the slow member is not named in the error log: $(grep member "$MG_TMP/error.log")"
ok "initialize: one session over the members, capabilities merged, in $(((t1 - t0) / 1000000)) ms; down and slow members logged"

S=(-H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25')
post() { # post URL BODY
	curl -sS --max-time 10 -X POST "$1" "${H[@]}" "${S[@]}" -d "$2"
}
curl -sS -o /dev/null --max-time 5 -X POST "$URL" "${H[@]}" "${S[@]}" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'

post "$URL" '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' > "$MG_TMP/tools.json"
names=$(grep -o '"name":"[^"]*"' "$MG_TMP/tools.json" | sed 's/"name":"//; s/"$//' | sort | tr '\n' ' ')
for want in demo__echo demo__sleep demo__progress simple test_image_content test_tool_with_progress; do
	case " $names " in *" $want "*) ;; *) fail "tools/list lacks $want: $names" ;; esac
done
for unwanted in echo test_simple_text test_error_handling demo__test_simple_text; do
	case " $names " in *" $unwanted "*) fail "tools/list has $unwanted: $names" ;; esac
done
ok "tools/list: demo's tools prefixed (demo__echo ...), everything's as they are, test_simple_text renamed simple, test_error_handling denied"

post "$URL" '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"demo__echo","arguments":{"message":"federated hello"}}}' > "$MG_TMP/echo.out"
grep -q 'federated hello' "$MG_TMP/echo.out" || fail "demo__echo: $(cat "$MG_TMP/echo.out")"
post "$URL" '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"simple","arguments":{}}}' > "$MG_TMP/simple.out"
grep -q 'This is a simple text response for testing' "$MG_TMP/simple.out" || fail "simple: $(cat "$MG_TMP/simple.out")"
ok "tools/call routed by name: demo__echo to demo's echo, simple to everything's test_simple_text"

for bad in test_error_handling test_simple_text demo__ demo__nothing; do
	post "$URL" "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"$bad\",\"arguments\":{}}}" > "$MG_TMP/bad.out"
	grep -q '"code":-32602' "$MG_TMP/bad.out" || fail "tools/call $bad: $(cat "$MG_TMP/bad.out")"
	case $bad in
	demo__nothing | demo__) ;; # a member's own answer
	*) grep -q "no tool \\\\\"$bad\\\\\" here" "$MG_TMP/bad.out" || fail "tools/call $bad: $(cat "$MG_TMP/bad.out")" ;;
	esac
done
# a name under no prefix belongs to the member with prefix off
post "$URL" '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"nobody__echo","arguments":{}}}' > "$MG_TMP/bad.out"
grep -q '"code":-32602,"message":"Unknown tool' "$MG_TMP/bad.out" || fail "tools/call nobody__echo: $(cat "$MG_TMP/bad.out")"
ok "a denied tool, a renamed one's old name, an empty name: -32602 no tool \"NAME\" here; nobody__echo goes to the member with prefix off"

post "$URL" '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"down__anything","arguments":{}}}' > "$MG_TMP/down.out"
grep -q '"error"' "$MG_TMP/down.out" && grep -q 'down' "$MG_TMP/down.out" || fail "down member's tool: $(cat "$MG_TMP/down.out")"
ok "a down member's tool: a JSON-RPC error naming it ($(grep -o '"message":"[^"]*"' "$MG_TMP/down.out" | head -c 120))"

post "$URL" '{"jsonrpc":"2.0","id":7,"method":"resources/read","params":{"uri":"test://static-text"}}' > "$MG_TMP/read.out"
grep -q '"uri":"test://static-text"' "$MG_TMP/read.out" || fail "resources/read: $(cat "$MG_TMP/read.out")"
post "$URL" '{"jsonrpc":"2.0","id":8,"method":"resources/templates/list"}' > "$MG_TMP/tpl.out"
grep -q '"uriTemplate":"test://template/{id}/data"' "$MG_TMP/tpl.out" || fail "templates: $(cat "$MG_TMP/tpl.out")"
post "$URL" '{"jsonrpc":"2.0","id":9,"method":"prompts/list"}' > "$MG_TMP/prompts.out"
grep -q '"name":"test_simple_prompt"' "$MG_TMP/prompts.out" || fail "prompts/list: $(cat "$MG_TMP/prompts.out")"
post "$URL" '{"jsonrpc":"2.0","id":10,"method":"prompts/get","params":{"name":"test_simple_prompt"}}' > "$MG_TMP/prompt.out"
grep -q '"messages"' "$MG_TMP/prompt.out" || fail "prompts/get: $(cat "$MG_TMP/prompt.out")"
ok "resources/read, resources/templates/list, prompts/list, prompts/get through the route"

post "$URL" '{"jsonrpc":"2.0","id":11,"method":"tools/list","params":{"cursor":"forged"}}' > "$MG_TMP/cursor.out"
grep -q '"code":-32602' "$MG_TMP/cursor.out" || fail "a forged cursor: $(cat "$MG_TMP/cursor.out")"
ok "a forged cursor: -32602"

post "$URL" '{"jsonrpc":"2.0","id":12,"method":"logging/setLevel","params":{"level":"info"}}' > "$MG_TMP/level.out"
grep -q '"result":{}' "$MG_TMP/level.out" || fail "logging/setLevel: $(cat "$MG_TMP/level.out")"
ok "logging/setLevel goes to every member: {}"

# 2026-07-28: stateless, the routing headers
M=(-H 'MCP-Protocol-Version: 2026-07-28')
meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}'
curl -sS --max-time 10 -X POST "$URL" "${H[@]}" "${M[@]}" -H 'Mcp-Method: server/discover' \
	-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{$meta}}" > "$MG_TMP/disc.out"
grep -q '"supportedVersions"' "$MG_TMP/disc.out" && grep -q '"tools":{' "$MG_TMP/disc.out" ||
	fail "server/discover: $(cat "$MG_TMP/disc.out")"
curl -sS --max-time 10 -X POST "$URL" "${H[@]}" "${M[@]}" -H 'Mcp-Method: tools/call' -H 'Mcp-Name: demo__echo' \
	-d "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"demo__echo\",\"arguments\":{\"message\":\"new era\"},$meta}}" > "$MG_TMP/echo26.out"
grep -q 'new era' "$MG_TMP/echo26.out" && grep -q '"resultType":"complete"' "$MG_TMP/echo26.out" ||
	fail "2026-07-28 tools/call: $(cat "$MG_TMP/echo26.out")"
curl -sS --max-time 10 -X POST "$URL" "${H[@]}" "${M[@]}" -H 'Mcp-Method: tools/list' \
	-d "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{$meta}}" > "$MG_TMP/list26.out"
grep -q '"name":"demo__echo"' "$MG_TMP/list26.out" && grep -q '"resultType":"complete"' "$MG_TMP/list26.out" ||
	fail "2026-07-28 tools/list: $(cat "$MG_TMP/list26.out")"
ok "2026-07-28: server/discover merged, tools/list, tools/call demo__echo with Mcp-Name demo__echo"

# policy on the client's names
psid=$(init "$URL/policy")
[ -n "$psid" ] || fail "no session on /mcp/policy: $(cat "$MG_TMP/init.json")"
P=(-H "Mcp-Session-Id: $psid" -H 'MCP-Protocol-Version: 2025-11-25')
curl -sS --max-time 10 -X POST "$URL/policy" "${H[@]}" "${P[@]}" -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' > "$MG_TMP/ptools.out"
grep -q '"name":"demo__echo"' "$MG_TMP/ptools.out" || fail "policy route's list: $(cat "$MG_TMP/ptools.out")"
! grep -q '"name":"demo__sleep"' "$MG_TMP/ptools.out" || fail "mcp_deny tools/call demo__sleep: still listed"
curl -sS --max-time 10 -X POST "$URL/policy" "${H[@]}" "${P[@]}" \
	-d '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"demo__sleep","arguments":{"ms":1}}}' > "$MG_TMP/psleep.out"
grep -q '"error"' "$MG_TMP/psleep.out" || fail "mcp_deny tools/call demo__sleep: the call went through: $(cat "$MG_TMP/psleep.out")"
ok "mcp_deny tools/call on the name the client sees (demo__sleep): refused and cut from the merged list"

# the GET stream: a member's list change reaches it
curl -sS -N --max-time 4 "$URL" -H 'Accept: text/event-stream' "${S[@]}" > "$MG_TMP/get.sse" 2> /dev/null &
sleep 0.5
post "$URL" '{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"test_trigger_tool_change","arguments":{}}}' > /dev/null
mg_wait 3 "grep -q 'notifications/tools/list_changed' '$MG_TMP/get.sse'" ||
	fail "no list change on the GET stream: $(cat "$MG_TMP/get.sse")"
wait
# everything and e2 are one server: both members' streams said it
[ "$(grep -c 'notifications/tools/list_changed' "$MG_TMP/get.sse")" = 1 ] ||
	fail "the list change of two members came more than once: $(cat "$MG_TMP/get.sse")"
ok "the merged GET stream carries everything's notifications/tools/list_changed, once for the two members that sent it"


status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -X DELETE "$URL" "${S[@]}")
[ "$status" = 204 ] || fail "DELETE: $status"
status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$URL" "${H[@]}" "${S[@]}" -d '{"jsonrpc":"2.0","id":14,"method":"tools/list"}')
[ "$status" = 404 ] || fail "after DELETE: $status, not 404"
ok "DELETE: 204, then the session is 404"

! grep -E 'exited on signal|exited with code [1-9]' "$MG_TMP/error.log" || fail "a process died"
mg_done
