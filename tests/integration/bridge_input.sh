#!/bin/bash
# The bridge's input_required round trips with curl, where the SDKs and
# the conformance runner do not look: a 2026-07-28 client in front of the
# SDK v1 upstream (tests/proxy/upstream_server.mjs, 2025 only).
#
#  (a) a round trip: an input_required result whose key the upstream
#      named (_meta["mcpgw/inputKey"], not shown to the client) and a
#      requestState of the gateway's, then the retry's result
#  (b) what the retry may not do: a requestState tampered with, one of
#      another tool, inputResponses that are not an object of objects
#      (-32602, the exchange left waiting); the untouched retry then works
#  (c) inputResponses sent with the first request answer the upstream's
#      question of the same key at once (no round trip)
#  (d) a request that needs a capability the client did not declare:
#      400, -32021, requiredCapabilities naming it
#  (e) a waiting request outlives no read_timeout: its retry starts
#      afresh (and is asked again); max_input_waits is kept (logged)
#  (f) the connector killed while a request waits: the retry starts
#      afresh and completes
#  (g) two clients with the same JSON-RPC id at once over the bridge's
#      one session each get their own answer
#  (i) subscriptions/listen over the bridge: acknowledged with what the
#      upstream promises, each notification of the session's GET stream
#      to the listens whose filters want it; resources/unsubscribe when
#      no listen wants a URI; a stopping gateway ends a listen with its
#      result
#  (h) the connector closes (DELETE) the bridge's session when stopping,
#      and one idle for session_timeout; the next request opens another
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
px_need_modules

px_start_upstream
MG_PORT=$(free_port)
px_conf 2 "upstream v1 { server $UP_URL; }
upstream v1short { server $UP_URL; read_timeout 1s; max_input_waits 1; }" "
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/v1 { mcp_pass v1; }
    location /mcp/short { mcp_pass v1short; }
}"
mg_start

V=2026-07-28
ALL='{"elicitation":{},"sampling":{},"roots":{}}'
# call PATH TOOL ARGS CAPS [EXTRA-PARAMS] [ID] [FILE]: the answer in
# $MG_TMP/call.json (or FILE), the HTTP status printed
call() {
	curl -sS --max-time 20 -o "${7:-$MG_TMP/call.json}" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "MCP-Protocol-Version: $V" -H 'Mcp-Method: tools/call' -H "Mcp-Name: $2" \
		--data-binary "{\"jsonrpc\":\"2.0\",\"id\":${6:-7},\"method\":\"tools/call\",\"params\":{\"name\":\"$2\",\"arguments\":$3,\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"$V\",\"io.modelcontextprotocol/clientCapabilities\":$4}${5:+,$5}}}" \
		"http://127.0.0.1:$MG_PORT$1"
}
# js EXPR: EXPR of the answer (r) in $MG_TMP/call.json
js() {
	node -e "const r=JSON.parse(require('fs').readFileSync('$MG_TMP/call.json','utf8'));console.log($1)"
}

# (a)
[ "$(call /mcp/v1 test_input_required_result_elicitation '{}' "$ALL")" = 200 ] ||
	fail "(a) round 1: $(cat "$MG_TMP/call.json")"
[ "$(js 'r.id+" "+r.result.resultType+" "+Object.keys(r.result.inputRequests)+" "+r.result.inputRequests.user_name.method')" = "7 input_required user_name elicitation/create" ] ||
	fail "(a) round 1 is not an input_required result with key user_name: $(cat "$MG_TMP/call.json")"
[ "$(js 'JSON.stringify(r.result.inputRequests.user_name.params._meta ?? null)')" = null ] ||
	fail "(a) the client saw the upstream's key hint: $(cat "$MG_TMP/call.json")"
STATE=$(js 'r.result.requestState')
case $STATE in
mcpgw-park.?*) ;;
*) fail "(a) the requestState is not the gateway's: $STATE" ;;
esac
ok "(a) round 1: input_required, key user_name as the upstream named it, requestState mcpgw-park.…"

ANSWER='"inputResponses":{"user_name":{"action":"accept","content":{"name":"Grace"}}}'
# (b) before the good retry: each refused, the exchange still waits
[ "$(call /mcp/v1 test_input_required_result_elicitation '{}' "$ALL" "$ANSWER,\"requestState\":\"${STATE}x\"")" = 200 ] &&
	[ "$(js 'r.error.code+" "+r.error.message')" = "-32602 Invalid params: requestState failed its integrity check" ] ||
	fail "(b) a tampered requestState: $(cat "$MG_TMP/call.json")"
[ "$(call /mcp/v1 test_input_required_result_sampling '{}' "$ALL" "$ANSWER,\"requestState\":\"$STATE\"")" = 200 ] &&
	[ "$(js 'r.error.code+" "+r.error.message')" = "-32602 Invalid params: requestState belongs to another request" ] ||
	fail "(b) a requestState of another tool: $(cat "$MG_TMP/call.json")"
[ "$(call /mcp/v1 test_input_required_result_elicitation '{}' "$ALL" "\"inputResponses\":{\"user_name\":42},\"requestState\":\"$STATE\"")" = 200 ] &&
	js 'r.error.code+" "+r.error.message' | grep -q '^-32602 Invalid params: inputResponses\["user_name"\] must be an object' ||
	fail "(b) an answer that is not an object: $(cat "$MG_TMP/call.json")"
[ "$(call /mcp/v1 test_input_required_result_elicitation '{}' "$ALL" '"inputResponses":[1]')" = 200 ] &&
	js 'r.error.code+" "+r.error.message' | grep -q '^-32602 Invalid params: inputResponses must be an object' ||
	fail "(b) inputResponses that is not an object: $(cat "$MG_TMP/call.json")"
ok "(b) a tampered requestState, one of another tool and malformed inputResponses: -32602 each"

[ "$(call /mcp/v1 test_input_required_result_elicitation '{}' "$ALL" "$ANSWER,\"requestState\":\"$STATE\"")" = 200 ] &&
	[ "$(js 'r.id+" "+r.result.resultType+" "+r.result.content[0].text')" = "7 complete Hello, Grace!" ] ||
	fail "(a) the retry: $(cat "$MG_TMP/call.json")"
ok "(a) the retry, after the refused ones: the upstream got the answer, \"Hello, Grace!\""

# (c)
[ "$(call /mcp/v1 test_input_required_result_elicitation '{}' "$ALL" '"inputResponses":{"user_name":{"action":"accept","content":{"name":"Ada"}},"extra":{"x":1}}')" = 200 ] &&
	[ "$(js 'r.result.resultType+" "+r.result.content[0].text')" = "complete Hello, Ada!" ] ||
	fail "(c) inputResponses with the first request: $(cat "$MG_TMP/call.json")"
ok "(c) inputResponses sent with the request answered the upstream's question of that key at once"

# (d)
[ "$(call /mcp/v1 test_missing_capability '{}' '{}')" = 400 ] &&
	[ "$(js 'r.error.code+" "+JSON.stringify(r.error.data)')" = '-32021 {"requiredCapabilities":{"sampling":{}}}' ] ||
	fail "(d) a tool that needs sampling, without it: $(cat "$MG_TMP/call.json")"
ok "(d) a request that needs an undeclared capability: 400, -32021, requiredCapabilities {sampling}"

# (e) read_timeout 1s, max_input_waits 1 on /mcp/short
[ "$(call /mcp/short ask '{"message":"first?"}' "$ALL")" = 200 ] &&
	[ "$(js 'r.result.resultType')" = input_required ] || fail "(e) ask: $(cat "$MG_TMP/call.json")"
OLD=$(js 'r.result.requestState')
[ "$(call /mcp/short ask '{"message":"second?"}' "$ALL")" = 200 ] &&
	[ "$(js 'r.result.resultType')" = input_required ] || fail "(e) a second ask: $(cat "$MG_TMP/call.json")"
mg_wait 5 "grep -q 'upstream \"v1short\": 1 requests wait for their clients. input already (max_input_waits): one more is dropped' '$MG_TMP/error.log'" ||
	fail "(e) max_input_waits 1 was not kept: $(grep -i input "$MG_TMP/error.log" | tail -n 5)"
ok "(e) a second waiting request beyond max_input_waits 1 was dropped, logged"
sleep 1.5
KEY=$(node -e "const r=JSON.parse(require('fs').readFileSync('$MG_TMP/call.json','utf8'));console.log(Object.keys(r.result.inputRequests)[0])")
[ "$(call /mcp/short ask '{"message":"first?"}' "$ALL" "\"inputResponses\":{\"$KEY\":{\"action\":\"accept\",\"content\":{\"answer\":\"late\"}}},\"requestState\":\"$OLD\"")" = 200 ] &&
	[ "$(js 'r.result.resultType+" "+r.result.inputRequests[Object.keys(r.result.inputRequests)[0]].params.message')" = "input_required first?" ] ||
	fail "(e) a retry after read_timeout: $(cat "$MG_TMP/call.json")"
ok "(e) a retry after the upstream's read_timeout started afresh: asked again"

# (f)
[ "$(call /mcp/v1 test_input_required_result_elicitation '{}' "$ALL")" = 200 ] || fail "(f) round 1: $(cat "$MG_TMP/call.json")"
STATE=$(js 'r.result.requestState')
connector=$(mg_role_pids "$MG_MASTER" connector)
kill -9 "$connector"
mg_wait 5 "mg_replaced $MG_MASTER connector 1 $connector" || fail "(f) the connector was not replaced"
[ "$(call /mcp/v1 test_input_required_result_elicitation '{}' "$ALL" "$ANSWER,\"requestState\":\"$STATE\"")" = 200 ] &&
	[ "$(js 'r.result.content[0].text')" = "Hello, Grace!" ] ||
	fail "(f) the retry after the connector died: $(cat "$MG_TMP/call.json")"
ok "(f) the connector killed while a request waited: the retry started afresh and completed"

# (g) the same id, at once, over the one session
call /mcp/v1 slow '{"ms":400,"tag":"g"}' "$ALL" "" 1 "$MG_TMP/g1.json" > "$MG_TMP/g1.code" &
g1=$!
sleep 0.1
[ "$(call /mcp/v1 echo '{"message":"second"}' "$ALL" "" 1 "$MG_TMP/g2.json")" = 200 ] &&
	grep -q '"id":1,.*"text":"echo: second"' "$MG_TMP/g2.json" ||
	check_failed "(g) the echo with id 1: $(cat "$MG_TMP/g2.json")"
wait $g1
[ "$(cat "$MG_TMP/g1.code")" = 200 ] && grep -q '"id":1,' "$MG_TMP/g1.json" &&
	! grep -q 'echo: second' "$MG_TMP/g1.json" && grep -q "slept 400 ms" "$MG_TMP/g1.json" ||
	check_failed "(g) the slow call with id 1: $(cat "$MG_TMP/g1.json")"
ok "(g) two requests with id 1 at once over the bridge's session: each got its own answer"

died=$(grep -E 'exited on signal|exited with code [1-9]' "$MG_TMP/error.log" |
	grep -v "connector process $connector exited on signal 9" || true)
[ -z "$died" ] || fail "a process of the gateway died: $died"

# (i) listen LABEL FILTER: a listen stream in the background, its
# events in $MG_TMP/listen-LABEL.out
listen() {
	curl -sS -N --max-time 60 -X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H "MCP-Protocol-Version: $V" \
		-H 'Mcp-Method: subscriptions/listen' \
		--data-binary "{\"jsonrpc\":\"2.0\",\"id\":\"$1\",\"method\":\"subscriptions/listen\",\"params\":{\"notifications\":$2,\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"$V\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}" \
		"http://127.0.0.1:$MG_PORT/mcp/v1" > "$MG_TMP/listen-$1.out" 2>&1 &
	MG_BG_PIDS="$MG_BG_PIDS $!"
	eval "LISTEN_$1=$!"
	mg_wait 5 "grep -q 'notifications/subscriptions/acknowledged' '$MG_TMP/listen-$1.out'" ||
		fail "(i) listen $1 was not acknowledged: $(cat "$MG_TMP/listen-$1.out")"
}
listen L1 '{"toolsListChanged":true,"resourceSubscriptions":["test://watched-resource"],"promptsListChanged":false}'
listen L2 '{"promptsListChanged":true,"resourcesListChanged":true}'
grep -q '"notifications":{"toolsListChanged":true,"resourceSubscriptions":\["test://watched-resource"\]},"_meta":{"io.modelcontextprotocol/subscriptionId":"L1"}' "$MG_TMP/listen-L1.out" &&
	grep -q '"notifications":{"promptsListChanged":true,"resourcesListChanged":true},"_meta":{"io.modelcontextprotocol/subscriptionId":"L2"}' "$MG_TMP/listen-L2.out" ||
	fail "(i) the acknowledgements: $(cat "$MG_TMP/listen-L1.out" "$MG_TMP/listen-L2.out")"
ok "(i) two listens acknowledged with what they asked of what the upstream promises"
for t in test_trigger_tool_change test_trigger_prompt_change; do
	[ "$(call /mcp/v1 $t '{}' "$ALL")" = 200 ] || fail "(i) $t: $(cat "$MG_TMP/call.json")"
done
mg_wait 5 "grep -q 'notifications/resources/updated' '$MG_TMP/listen-L1.out' || { call /mcp/v1 touch_resource '{\"uri\":\"test://watched-resource\"}' '$ALL' > /dev/null; false; }" ||
	fail "(i) no resources/updated on L1: $(cat "$MG_TMP/listen-L1.out"; cat "$MG_TMP/call.json")"
mg_wait 5 "grep -q 'notifications/prompts/list_changed' '$MG_TMP/listen-L2.out'" ||
	fail "(i) no prompts/list_changed on L2: $(cat "$MG_TMP/listen-L2.out")"
grep -q '"method":"notifications/tools/list_changed".*/subscriptionId":"L1"' "$MG_TMP/listen-L1.out" &&
	grep -q '"method":"notifications/resources/updated","params":{"uri":"test://watched-resource","_meta":{"io.modelcontextprotocol/subscriptionId":"L1"}}' "$MG_TMP/listen-L1.out" &&
	! grep -q 'prompts/list_changed' "$MG_TMP/listen-L1.out" &&
	! grep -qE 'tools/list_changed|resources/updated' "$MG_TMP/listen-L2.out" ||
	fail "(i) the notifications did not follow the filters: L1: $(cat "$MG_TMP/listen-L1.out") L2: $(cat "$MG_TMP/listen-L2.out")"
ok "(i) tools/list_changed and resources/updated reached L1 only, prompts/list_changed L2 only, tagged with their subscription ids"
kill "$LISTEN_L1" "$LISTEN_L2"
mg_wait 5 "call /mcp/v1 touch_resource '{\"uri\":\"test://watched-resource\"}' '$ALL' > /dev/null; grep -q 'not subscribed' '$MG_TMP/call.json'" ||
	fail "(i) the URI stayed subscribed upstream with no listen left: $(cat "$MG_TMP/call.json")"
ok "(i) with the listens gone, the connector unsubscribed the URI upstream"
listen L3 '{"toolsListChanged":true}'

# (h) the upstream's count of DELETEd sessions
deleted() {
	curl -sS --max-time 5 "$UP_STATS" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).deleted))'
}
before=$(deleted)
kill -QUIT "$MG_MASTER"
mg_wait 10 "! kill -0 $MG_MASTER 2> /dev/null" || fail "(h) the gateway did not stop within 10 s of SIGQUIT"
MG_MASTER=
[ "$(deleted)" -gt "$before" ] && grep -q 'upstream "v1": closing the session of its 2026-07-28 clients (stopping)' "$MG_TMP/error.log" ||
	fail "(h) stopping did not close the bridge's session: $(deleted) DELETEs (before: $before); $(grep -i 'closing the session' "$MG_TMP/error.log")"
ok "(h) stopping, the connector closed the bridge's session upstream (DELETE)"
mg_wait 5 "grep -q '\"id\":\"L3\",\"result\":{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":\"L3\"}' '$MG_TMP/listen-L3.out'" ||
	fail "(i) the stopping gateway did not end listen L3 with its result: $(cat "$MG_TMP/listen-L3.out")"
ok "(i) the stopping gateway ended the open listen with its result"

mv "$MG_TMP/error.log" "$MG_TMP/error-1.log"
px_conf 1 "session_timeout 1s;
upstream v1 { server $UP_URL; }" "
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/v1 { mcp_pass v1; }
}"
mg_start
before=$(deleted)
[ "$(call /mcp/v1 echo '{"message":"one"}' "$ALL")" = 200 ] || fail "(h) a call: $(cat "$MG_TMP/call.json")"
mg_wait 5 "[ \$(deleted) -gt $before ]" ||
	fail "(h) the bridge's session was not closed when idle: $(grep -i 'closing the session' "$MG_TMP/error.log")"
grep -q 'upstream "v1": closing the session of its 2026-07-28 clients (idle for session_timeout)' "$MG_TMP/error.log" ||
	fail "(h) the idle close was not logged"
[ "$(call /mcp/v1 echo '{"message":"two"}' "$ALL")" = 200 ] && grep -q 'echo: two' "$MG_TMP/call.json" ||
	fail "(h) a call after the idle close: $(cat "$MG_TMP/call.json")"
[ "$(grep -c 'upstream "v1": opened a session' "$MG_TMP/error.log")" = 2 ] ||
	fail "(h) no second session was opened: $(grep 'opened a session' "$MG_TMP/error.log")"
ok "(h) idle for session_timeout, the bridge's session was closed upstream; the next call opened another"
px_no_child_died || fail "a process of the gateway died: $(grep -E 'exited on signal|exited with code [1-9]' "$MG_TMP/error.log")"
px_done
