#!/usr/bin/env bash
# Both eras on one path, with curl:
#  - 2026-07-28 on the built-in servers: server/discover, _meta required
#    (-32602), MCP-Protocol-Version / Mcp-Method / Mcp-Name against the
#    body (-32020, Base64 and spaces accepted), unknown version (-32022
#    with the supported list), removed and unknown methods (404 -32601),
#    resultType and caching hints, no event ids, subscriptions/listen,
#    GET/DELETE 405, batches refused, the access log line;
#  - the 2025 revisions on the same path meanwhile (sessions untouched);
#  - proxy routes: 2026-07-28 relayed as it came to an upstream that
#    speaks it (found out with server/discover), and over the bridge to
#    one configured "protocol 2025-11-25";
#  - 2025 requests from the server to the client (elicitation): the
#    client's response may come on any connection, to any worker, and
#    reaches the waiting call (through the connector when it must).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mcp_lib.sh"
mg_setup
mcp_need_node

MG_PORT=$(free_port)
mcp_conf 4 "upstream self { server http://127.0.0.1:$MG_PORT/mcp/demo; }
upstream old { server http://127.0.0.1:$MG_PORT/mcp/demo; protocol 2025-11-25; }
upstream old2 { server http://127.0.0.1:$MG_PORT/mcp/demo; protocol 2025-11-25; }" \
	"access_log $MG_TMP/access.log;" "" "
    location /mcp/everything { mcp_builtin everything; }
    location /mcp/proxy { mcp_pass self; }
    location /mcp/old { mcp_pass old; }
    location /mcp/old2 { mcp_pass old2; }"
mg_start
mcp_init_files

V=2026-07-28
CAPS='{"elicitation":{}}'
META="\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"$V\",\"io.modelcontextprotocol/clientCapabilities\":$CAPS}"

# mpost METHOD NAME PARAMS-WITHOUT-META [ID] [MCP-METHOD]: a 2026-07-28
# request as a well-formed client sends it (NAME "" for none); MCP-METHOD
# is the Mcp-Method header's value, when not METHOD.
mpost() {
	local method=$1 name=$2 params=$3 id=${4:-1} hm=${5:-$1}
	local body="{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"$method\",\"params\":{${params:+$params,}$META}}"
	post "$body" -H "MCP-Protocol-Version: $V" -H "Mcp-Method: $hm" \
		${name:+-H "Mcp-Name: $name"}
}

# ---- discovery and results -----------------------------------------------
for path in demo everything; do
	URL=http://127.0.0.1:$MG_PORT/mcp/$path
	mpost server/discover "" "" 7
	expect 200 "m.id === 7 && m.result.resultType === 'complete' &&
		JSON.stringify(m.result.supportedVersions) === JSON.stringify(['2025-03-26','2025-06-18','2025-11-25','2026-07-28']) &&
		typeof m.result.capabilities.tools === 'object' &&
		m.result._meta['io.modelcontextprotocol/serverInfo'].name === 'mcpgw-$path' &&
		!('serverInfo' in m.result) && !('protocolVersion' in m.result)" \
		"server/discover on /mcp/$path"
	[ -z "$(hdr Mcp-Session-Id)" ] || fail "server/discover issued a session: $(what)"
	mpost tools/list "" "" 8
	expect 200 "m.id === 8 && m.result.resultType === 'complete' && Array.isArray(m.result.tools) &&
		Number.isInteger(m.result.ttlMs) && m.result.ttlMs >= 0 && m.result.cacheScope === 'public'" \
		"tools/list on /mcp/$path"
done
ok "server/discover and tools/list at 2026-07-28 on both built-in servers (no session, resultType, ttlMs, cacheScope)"

URL=http://127.0.0.1:$MG_PORT/mcp/demo
mpost tools/call echo '"name":"echo","arguments":{"message":"hi"}' 9
expect 200 "$(echo_ok 9 "'hi'") && m.result.resultType === 'complete'" "tools/call echo at 2026-07-28"
# the name header may be Base64, and may have spaces around it
mpost tools/call "=?base64?$(printf echo | base64)?=" '"name":"echo","arguments":{"message":"b64"}' 10
expect 200 "$(echo_ok 10 "'b64'")" "tools/call with a Base64 Mcp-Name"
mpost tools/call "  echo  " '"name":"echo","arguments":{"message":"sp"}' 11 "   tools/call  "
expect 200 "$(echo_ok 11 "'sp'")" "tools/call with spaces around the header values"
ok "tools/call at 2026-07-28: plain, Base64 and spaced Mcp-Name"

# progress on the call's stream, without event ids (no resumption here)
body="{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"tools/call\",\"params\":{\"name\":\"progress\",\"arguments\":{\"steps\":3},\"_meta\":{\"progressToken\":\"p1\",\"io.modelcontextprotocol/protocolVersion\":\"$V\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}"
post "$body" -H "MCP-Protocol-Version: $V" -H "Mcp-Method: tools/call" -H "Mcp-Name: progress"
[ "$ST" = 200 ] || fail "progress at 2026-07-28: $(what)"
ctype_is text/event-stream || fail "progress at 2026-07-28 is not a stream: $(what)"
sse_json "$B" "$MG_TMP/sse.json"
jtrue "m.ids.length === 0 && m.events.length === 4 &&
	m.events.slice(0, 3).every((e, i) => e.method === 'notifications/progress' && e.params.progressToken === 'p1' && e.params.progress === i + 1) &&
	m.events[3].id === 12 && m.events[3].result.resultType === 'complete'" "$MG_TMP/sse.json" ||
	fail "progress stream at 2026-07-28: $(cat "$MG_TMP/sse.json")"
ok "a 2026-07-28 stream: 3 progress notifications and the result, no event ids, no priming event"

# ---- refusals ---------------------------------------------------------------
post '{"jsonrpc":"2.0","id":20,"method":"tools/list","params":{}}' -H "MCP-Protocol-Version: $V" -H "Mcp-Method: tools/list"
expect 400 "$(rpc_err -32602 'm.id === 20')" "tools/list without _meta"
post "{\"jsonrpc\":\"2.0\",\"id\":21,\"method\":\"tools/list\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"$V\"}}}" \
	-H "MCP-Protocol-Version: $V" -H "Mcp-Method: tools/list"
expect 400 "$(rpc_err -32602 'm.id === 21')" "_meta without clientCapabilities"
mpost tools/list "" "" 22 prompts/list
expect 400 "$(rpc_err -32020 'm.id === 22')" "Mcp-Method that names another method"
mpost tools/list "" "" 23 Tools/List
expect 400 "$(rpc_err -32020 'm.id === 23')" "Mcp-Method in another case"
body="{\"jsonrpc\":\"2.0\",\"id\":24,\"method\":\"tools/list\",\"params\":{$META}}"
post "$body" -H "MCP-Protocol-Version: $V"
expect 400 "$(rpc_err -32020 'm.id === 24')" "no Mcp-Method"
mpost tools/call wrong '"name":"echo","arguments":{"message":"x"}' 25
expect 400 "$(rpc_err -32020 'm.id === 25')" "Mcp-Name that names another tool"
mpost tools/call "" '"name":"echo","arguments":{"message":"x"}' 26
expect 400 "$(rpc_err -32020 'm.id === 26')" "tools/call without Mcp-Name"
post "$body" -H "Mcp-Method: tools/list"
expect 400 "$(rpc_err -32020 'm.id === 24')" "_meta's version with no MCP-Protocol-Version header"
post "$body" -H "MCP-Protocol-Version: $V" -H "Mcp-Method: tools/list" -H "Mcp-Method: tools/list"
expect 400 "$(rpc_err -32020 'm.id === 24')" "Mcp-Method twice"
ok "2026-07-28 refusals: missing _meta keys -32602, header mismatches -32020 (also a header given twice), all 400"

body='{"jsonrpc":"2.0","id":30,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"v999","io.modelcontextprotocol/clientCapabilities":{}}}}'
post "$body" -H "MCP-Protocol-Version: v999" -H "Mcp-Method: server/discover"
expect 400 "$(rpc_err -32022 'm.id === 30') && m.error.data.requested === 'v999' &&
	m.error.data.supported.includes('2026-07-28') && m.error.data.supported.includes('2025-11-25')" "unsupported version"
post "$body" -H "MCP-Protocol-Version: $V" -H "Mcp-Method: server/discover"
expect 400 "$(rpc_err -32020 'm.id === 30')" "header and _meta versions differ"
ok "an unsupported version is 400 -32022 with the supported list and the version asked; a differing one -32020"

for m in initialize ping logging/setLevel resources/subscribe resources/unsubscribe no/such-method; do
	mpost "$m" "" "" 31
	expect 404 "$(rpc_err -32601 'm.id === 31')" "$m at 2026-07-28"
done
ok "removed methods (initialize, ping, logging/setLevel, resources/subscribe, resources/unsubscribe) and unknown ones: 404 -32601"

req -H "MCP-Protocol-Version: $V" -H 'Accept: text/event-stream' "$URL"
[ "$ST" = 405 ] && [ "$(hdr Allow)" = POST ] || fail "GET at 2026-07-28: expected 405, Allow: POST; $(what)"
req -X DELETE -H "MCP-Protocol-Version: $V" "$URL"
[ "$ST" = 405 ] || fail "DELETE at 2026-07-28: expected 405; $(what)"
post "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{$META}}]" -H "MCP-Protocol-Version: $V" -H "Mcp-Method: tools/list"
[ "$ST" = 400 ] || fail "a batch at 2026-07-28: expected 400; $(what)"
post "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":1}}" -H "MCP-Protocol-Version: $V" -H "Mcp-Method: notifications/cancelled"
[ "$ST" = 202 ] || fail "a notification at 2026-07-28: expected 202; $(what)"
ok "GET and DELETE at 2026-07-28 are 405 (Allow: POST), batches 400, notifications 202"

# ---- subscriptions/listen ---------------------------------------------------
body="{\"jsonrpc\":\"2.0\",\"id\":\"L1\",\"method\":\"subscriptions/listen\",\"params\":{\"notifications\":{\"toolsListChanged\":true},$META}}"
curl -sS -N --max-time 2 -o "$MG_TMP/listen.txt" -X POST -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' -H "MCP-Protocol-Version: $V" \
	-H "Mcp-Method: subscriptions/listen" --data-binary "$body" "$URL" 2> /dev/null || true
sse_json "$MG_TMP/listen.txt" "$MG_TMP/listen.json"
jtrue "m.events.length === 1 && m.events[0].method === 'notifications/subscriptions/acknowledged' &&
	m.events[0].params._meta['io.modelcontextprotocol/subscriptionId'] === 'L1' &&
	JSON.stringify(m.events[0].params.notifications) === '{}'" "$MG_TMP/listen.json" ||
	fail "subscriptions/listen: $(cat "$MG_TMP/listen.txt")"
ok "subscriptions/listen: the stream stays open; its first event acknowledges (nothing the demo can send) with the subscription id"

# ---- the 2025 revisions on the same path, meanwhile -------------------------
new_session 2025-11-25
spost "$(echo_body 40 old)"
expect 200 "$(echo_ok 40 "'old'")" "a 2025-11-25 session on the same path"
mpost tools/call echo '"name":"echo","arguments":{"message":"new"}' 41
expect 200 "$(echo_ok 41 "'new'")" "2026-07-28 after a 2025 session opened"
spost "$(echo_body 42 again)"
expect 200 "$(echo_ok 42 "'again'")" "the 2025 session still works"
ok "2025-11-25 (session) and 2026-07-28 (stateless) requests interleave on /mcp/demo"

# ---- proxy routes -------------------------------------------------------
# protocol auto: the connector asks the upstream server/discover first
URL=http://127.0.0.1:$MG_PORT/mcp/proxy
mpost tools/call echo '"name":"echo","arguments":{"message":"relayed"}' 50
expect 200 "$(echo_ok 50 "'relayed'") && m.result.resultType === 'complete'" "2026-07-28 through a proxy route"
[ -z "$(hdr Mcp-Session-Id)" ] || fail "a 2026-07-28 request through the proxy got a session: $(what)"
grep -q 'upstream "self" speaks 2026-07-28 (its answer to server/discover: HTTP 200)' "$MG_TMP/error.log" ||
	fail "the connector did not log what server/discover found: $(grep -i discover "$MG_TMP/error.log")"
mpost tools/call wrong '"name":"echo","arguments":{"message":"x"}' 51
expect 400 "$(rpc_err -32020 'm.id === 51')" "a header mismatch on a proxy route (refused before the upstream)"
body="{\"jsonrpc\":\"2.0\",\"id\":52,\"method\":\"tools/call\",\"params\":{\"name\":\"progress\",\"arguments\":{\"steps\":2},\"_meta\":{\"progressToken\":\"q\",\"io.modelcontextprotocol/protocolVersion\":\"$V\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}"
post "$body" -H "MCP-Protocol-Version: $V" -H "Mcp-Method: tools/call" -H "Mcp-Name: progress"
sse_json "$B" "$MG_TMP/sse.json"
jtrue "m.events.length === 3 && m.events[0].method === 'notifications/progress' && m.events[2].id === 52 &&
	m.events[2].result.resultType === 'complete'" "$MG_TMP/sse.json" ||
	fail "progress at 2026-07-28 through the proxy: $(cat "$MG_TMP/sse.json")"
new_session 2025-11-25
spost "$(echo_body 53 old)"
expect 200 "$(echo_ok 53 "'old'")" "2025-11-25 on the same proxy route"
ok "a proxy route relays 2026-07-28 statelessly (server/discover asked first) and 2025-11-25 with sessions"
# protocol 2025-11-25: 2026-07-28 clients over the bridge (one session
# the connector opens for them), answers turned into the new era's
URL=http://127.0.0.1:$MG_PORT/mcp/old
mpost server/discover "" "" 54
expect 200 "m.id === 54 && m.result.resultType === 'complete' && m.result._meta['io.modelcontextprotocol/serverInfo'].name === 'mcpgw-demo' &&
	m.result.capabilities.tools && m.result.capabilities.tools.listChanged === false && m.result.supportedVersions.includes('2026-07-28')" \
	"server/discover over the bridge (from the upstream's initialize)"
mpost tools/list "" "" 55
expect 200 "m.id === 55 && m.result.tools.length === 3 && m.result.resultType === 'complete' && m.result.ttlMs === 0 && m.result.cacheScope === 'private'" \
	"tools/list over the bridge"
mpost tools/call echo '"name":"echo","arguments":{"message":"bridged"}' 56
expect 200 "$(echo_ok 56 "'bridged'") && m.result.resultType === 'complete'" "tools/call over the bridge"
[ -z "$(hdr Mcp-Session-Id)" ] || fail "the bridge leaked a session id: $(what)"
body="{\"jsonrpc\":\"2.0\",\"id\":57,\"method\":\"tools/call\",\"params\":{\"name\":\"progress\",\"arguments\":{\"steps\":2},\"_meta\":{\"progressToken\":\"b\",\"io.modelcontextprotocol/protocolVersion\":\"$V\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}"
post "$body" -H "MCP-Protocol-Version: $V" -H "Mcp-Method: tools/call" -H "Mcp-Name: progress"
sse_json "$B" "$MG_TMP/sse.json"
jtrue "m.ids.length === 0 && m.events.length === 3 && m.events[0].method === 'notifications/progress' &&
	m.events[2].id === 57 && m.events[2].result.resultType === 'complete'" "$MG_TMP/sse.json" ||
	fail "a progress stream over the bridge (the 2025 stream's ids and priming event dropped): $(cat "$B")"
mpost no/such-method "" "" 58
expect 404 "$(rpc_err -32601 'm.id === 58')" "an unknown method over the bridge"
body='{"jsonrpc":"2.0","id":59,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"v9","io.modelcontextprotocol/clientCapabilities":{}}}}'
post "$body" -H "MCP-Protocol-Version: v9" -H "Mcp-Method: tools/list"
expect 400 "$(rpc_err -32022 'm.id === 59') && m.error.data.requested === 'v9' && m.error.data.supported.includes('2026-07-28')" \
	"an unknown version over the bridge"
[ "$(grep -c 'upstream "old": opened a session (version 2025-11-25) for its 2026-07-28 clients' "$MG_TMP/error.log")" = 1 ] ||
	fail "the bridge did not open exactly one session: $(grep -i 'opened a session' "$MG_TMP/error.log")"
ok "protocol 2025-11-25: 2026-07-28 clients over the bridge (one upstream session): discover, lists with caching hints, calls, a progress stream, 404, -32022"
# 20 clients at once while the bridge's session opens: they wait for it
for i in $(seq 1 20); do
	curl -sS --max-time 10 -o "$MG_TMP/b$i.json" -X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H "MCP-Protocol-Version: $V" \
		-H "Mcp-Method: tools/call" -H "Mcp-Name: echo" \
		--data-binary "{\"jsonrpc\":\"2.0\",\"id\":$i,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"c$i\"},$META}}" \
		"http://127.0.0.1:$MG_PORT/mcp/old2" 2> /dev/null &
	MG_BG_PIDS="$MG_BG_PIDS $!"
done
wait
for i in $(seq 1 20); do
	jtrue "$(echo_ok "$i" "'c$i'")" "$MG_TMP/b$i.json" || fail "concurrent call $i over the bridge: $(cat "$MG_TMP/b$i.json")"
done
[ "$(grep -c 'upstream "old2": opened a session' "$MG_TMP/error.log")" = 1 ] ||
	fail "20 concurrent clients opened more than one bridge session: $(grep -i 'opened a session' "$MG_TMP/error.log")"
ok "20 clients at once while the bridge's session opens: one session, every call answered"

# ---- the access log ---------------------------------------------------------
grep -q " POST tools/call echo 200 - " "$MG_TMP/access.log" &&
	grep -q " POST tools/call wrong 400 -32020 " "$MG_TMP/access.log" &&
	grep -q " POST server/discover - 200 - " "$MG_TMP/access.log" ||
	fail "the access log lacks the 2026-07-28 lines: $(grep -E "tools/call|discover" "$MG_TMP/access.log")"
ok "the access log records the method and the name (Mcp-Method, Mcp-Name) of 2026-07-28 requests"

# ---- 2025: the server asks, the answer comes on any connection ------------
URL=http://127.0.0.1:$MG_PORT/mcp/everything
new_session 2025-11-25
# 12 answers, then more (40 at most) until one reaches its call through
# another worker: the kernel picks the worker of each new connection, and
# an idle machine may give one worker many in a row
i=0
while [ $i -lt 12 ] || { [ "$(grep -c 'came through another worker' "$MG_TMP/error.log")" -lt 1 ] && [ $i -lt 40 ]; }; do
	i=$((i + 1))
	curl -sS -N --max-time 10 -o "$MG_TMP/ask$i.txt" -X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $SID" \
		-H "MCP-Protocol-Version: 2025-11-25" \
		--data-binary "{\"jsonrpc\":\"2.0\",\"id\":$((100 + i)),\"method\":\"tools/call\",\"params\":{\"name\":\"test_elicitation\",\"arguments\":{\"message\":\"q$i\"}}}" \
		"$URL" 2> /dev/null &
	MG_BG_PIDS="$MG_BG_PIDS $!"
	# the request to the client arrives on the call's stream
	for _ in $(seq 1 100); do
		grep -q '"method":"elicitation/create"' "$MG_TMP/ask$i.txt" 2> /dev/null && break
		sleep 0.05
	done
	ask=$(sed -n 's/^data: //p' "$MG_TMP/ask$i.txt" | grep elicitation/create) ||
		fail "no elicitation/create on the stream of call $i: $(cat "$MG_TMP/ask$i.txt")"
	id=$(node -e 'const m = JSON.parse(process.argv[1]); if (m.params.message !== process.argv[2]) process.exit(1); console.log(JSON.stringify(m.id))' "$ask" "q$i") ||
		fail "elicitation/create of call $i: $ask"
	# the answer, on a new connection
	req -X POST -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "Mcp-Session-Id: $SID" -H "MCP-Protocol-Version: 2025-11-25" \
		--data-binary "{\"jsonrpc\":\"2.0\",\"id\":$id,\"result\":{\"action\":\"accept\",\"content\":{\"response\":\"a$i\"}}}" "$URL"
	[ "$ST" = 202 ] || fail "the response to elicitation $i: expected 202; $(what)"
	mg_wait 5 "grep -q '\"id\":$((100 + i)),\"result\"' '$MG_TMP/ask$i.txt'" ||
		fail "call $i did not finish after its elicitation was answered: $(cat "$MG_TMP/ask$i.txt")"
	grep -q "User response: action=accept, content={\\\\\"response\\\\\":\\\\\"a$i\\\\\"}" "$MG_TMP/ask$i.txt" ||
		fail "call $i: unexpected result: $(cat "$MG_TMP/ask$i.txt")"
done
crossed=$(grep -c "came through another worker" "$MG_TMP/error.log" || true)
echo "# $crossed of $i responses reached their call through another worker (4 workers)"
[ "$crossed" -ge 1 ] || fail "no response crossed workers in $i tries (4 workers): the forwarding was not exercised"
ok "$i elicitations answered on new connections: every call got its answer ($crossed through another worker, via the connector)"

no_child_died || fail "a process of the gateway died: $(grep -E 'exited' "$MG_TMP/error.log")"
mg_done
