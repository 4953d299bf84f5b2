#!/usr/bin/env bash
# The official TypeScript SDK v2 client (tests/era/sdk_v2_client.mjs,
# pinned to 2026-07-28) through mcpgw:
#  - to an upstream written with the SDK v1 (tests/proxy/upstream_server.mjs,
#    2025 revisions only): the connector's server/discover finds that it
#    speaks 2025 only, and the client is served over the bridge
#    (discovery, tools/list, tools/call, progress, 20 calls at once, an
#    unknown tool); the upstream forgetting the bridge's session is
#    recovered from; the upstream's elicitation/create (sent on the call's
#    stream, as a 2025 server does) reaches the client as an input_required
#    result, which the SDK answers through its elicitation handler and
#    retries with inputResponses;
#  - to an upstream written with the SDK v2 (tests/era/upstream_v2.mjs,
#    2026-07-28 only): relayed as it came;
#  - to the built-in demo server.
# And the SDK v1 client (tests/era/sdk_v1_client.mjs, the 2025 revisions,
# with a session) over the reverse bridge to the same SDK v2 upstream,
# configured `protocol 2026-07-28`: initialize (answered from the
# upstream's server/discover, the session the gateway's), tools/list,
# tools/call, the upstream's input_required results (elicitation in one
# and two rounds, sampling, roots, all three at once) asked of the client
# on its call's stream and retried upstream with inputResponses, progress,
# resources/subscribe, list changes on the GET stream (the connector's
# listen upstream for the session), DELETE, which closes that listen.
# Needs tests/proxy/node_modules and tests/era/node_modules.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
px_need_modules
. "$(dirname "$0")/era_lib.sh"
era_need_modules

px_start_upstream
start_v2 reject
MG_PORT=$(free_port)
px_conf 2 "upstream v1 { server $UP_URL; }
upstream v2 { server http://127.0.0.1:$V2_PORT/mcp; }
upstream v2only { server http://127.0.0.1:$V2_PORT/mcp; protocol 2026-07-28; }" "
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/v1 { mcp_pass v1; }
    location /mcp/v2 { mcp_pass v2; }
    location /mcp/v2only { mcp_pass v2only; }
    location /mcp/demo { mcp_builtin demo; }
}"
mg_start

# client URL PROGRESS-TOOL|elicit WHERE: the SDK v2 client's checks
client() {
	PX_RC=0
	timeout -k 5 60 "$ERA_NODE22" "$ERA_SCRIPTS/sdk_v2_client.mjs" "$1" "$2" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
	sed -i "s/^ok - /ok - $3: /" "$MG_TMP/node.out"
	px_report "sdk_v2_client.mjs ($3)"
	grep -q '^# revision 2026-07-28$' "$MG_TMP/node.out" ||
		check_failed "$3: the SDK v2 client did not speak 2026-07-28: $(head -n 3 "$MG_TMP/node.out")"
}

client "http://127.0.0.1:$MG_PORT/mcp/v1" progress_steps "bridge to an SDK v1 upstream"
grep -q 'upstream "v1" speaks the 2025 revisions only' "$MG_TMP/error.log" &&
	grep -q 'upstream "v1": opened a session (version 2025-11-25) for its 2026-07-28 clients' "$MG_TMP/error.log" ||
	check_failed "the connector did not find the SDK v1 upstream's era and open the bridge: $(grep -E 'speaks|opened' "$MG_TMP/error.log")"
[ "$(curl -sS --max-time 5 "$UP_STATS" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).open))')" = 1 ] ||
	check_failed "the bridge opened more than one session with the SDK v1 upstream: $(curl -sS --max-time 5 "$UP_STATS")"
ok "the SDK v1 upstream saw one session for every 2026-07-28 client (the bridge's)"

# the upstream forgets the bridge's session: the next request opens another
V=2026-07-28
META="\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"$V\",\"io.modelcontextprotocol/clientCapabilities\":{}}"
mcall() {
	curl -sS --max-time 10 -o "$MG_TMP/call.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H "MCP-Protocol-Version: $V" \
		-H "Mcp-Method: tools/call" -H "Mcp-Name: $1" \
		--data-binary "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"$1\",\"arguments\":$2,$META}}" \
		"http://127.0.0.1:$MG_PORT/mcp/v1"
}
[ "$(mcall forget_me '{}')" = 200 ] || fail "forget_me over the bridge: $(cat "$MG_TMP/call.json")"
# (it forgets 20 ms after answering)
mg_wait 5 "curl -sS --max-time 5 '$UP_STATS' | grep -q '\"forgotten\":1'" ||
	fail "the SDK v1 upstream did not forget the bridge's session: $(curl -sS --max-time 5 "$UP_STATS")"
[ "$(mcall echo '{"message":"after"}')" = 200 ] && grep -q 'echo: after' "$MG_TMP/call.json" ||
	fail "a call after the upstream forgot the bridge's session: $(cat "$MG_TMP/call.json")"
grep -q 'upstream "v1" forgot the session of its 2026-07-28 clients; opening another' "$MG_TMP/error.log" &&
	[ "$(grep -c 'upstream "v1": opened a session' "$MG_TMP/error.log")" = 2 ] ||
	fail "the bridge did not open a second session: $(grep -E 'forgot|opened' "$MG_TMP/error.log")"
ok "the upstream forgot the bridge's session: the next call opened another, transparently"

# test_input_required_result_elicitation: the upstream asks elicitation/create
# (key user_name); the client's handler answers {name: Ada} and the SDK retries
client "http://127.0.0.1:$MG_PORT/mcp/v1" elicit "input_required over the bridge to an SDK v1 upstream"

client "http://127.0.0.1:$MG_PORT/mcp/v2" progress "relayed to an SDK v2 upstream"
grep -q 'upstream "v2" speaks 2026-07-28' "$MG_TMP/error.log" ||
	check_failed "the connector did not find that the SDK v2 upstream speaks 2026-07-28"
client "http://127.0.0.1:$MG_PORT/mcp/demo" progress "built-in demo"

# the SDK v1 client (2025, sessions) over the reverse bridge to the SDK v2
# upstream that speaks 2026-07-28 only
W="SDK v1 client over the bridge to an SDK v2 upstream (2026-07-28 only)"
PX_RC=0
timeout -k 5 60 "$ERA_NODE22" "$ERA_SCRIPTS/sdk_v1_client.mjs" "http://127.0.0.1:$MG_PORT/mcp/v2only" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
sed -i "s/^ok - /ok - $W: /" "$MG_TMP/node.out"
px_report "sdk_v1_client.mjs ($W)"
grep -qE '^# revision 2025-(03-26|06-18|11-25)$' "$MG_TMP/node.out" ||
	check_failed "$W: the SDK v1 client did not speak a 2025 revision: $(head -n 3 "$MG_TMP/node.out")"
# its session ended (DELETE): the listen the connector held for it upstream
# (its GET stream's list changes, its subscriptions) is closed; the
# upstream counts none open
V2_LOG=$MG_TMP/upstream-v2-$V2_PORT.log
mg_wait 5 "[ \"\$(grep '^listens open: ' '$V2_LOG' | tail -n 1)\" = 'listens open: 0' ]" &&
	grep -q '^listens open: 1$' "$V2_LOG" &&
	grep -q 'closed the subscriptions/listen for session [0-9a-f]* at upstream "v2only"' "$MG_TMP/error.log" ||
	fail "the session's listen upstream was not closed with the session: $(grep '^listens open' "$V2_LOG" | tail -n 3 | tr '\n' ' ') $(grep 'subscriptions/listen' "$MG_TMP/error.log" | tail -n 3)"
ok "$W: DELETE closed the session's listen upstream (the upstream counts 0 open)"

px_no_child_died || fail "a process of the gateway died: $(grep -E 'exited' "$MG_TMP/error.log")"
px_done
