#!/usr/bin/env bash
# @modelcontextprotocol/server-everything (npm, tests/fed) through mcpgw's
# plain routes, in its two modes: Streamable HTTP (an upstream `server`,
# the server bound to 127.0.0.1) and stdio (an upstream `command`).
#  - the control: tests/era/peers_client.mjs with the SDK v1 client
#    directly against the server (HTTP and stdio): what the server does;
#  - the same cases through each route with the SDK v1 client (2025-11-25)
#    and the SDK v2 client (2026-07-28, over the era bridge): tools/list,
#    echo, get-sum, a bad argument, a long-running operation's progress,
#    structured content, an image, an embedded resource, prompts,
#    completion, resources and templates, logging/setLevel (v1), and the
#    server's sampling and elicitation requests answered by the client,
#    also three clients at once (none is asked for another: the stdio
#    bridge's process, shared, may have one refused, never misrouted);
#  - the MCP Inspector CLI through each route (and directly to the HTTP
#    server), one method per run, each result checked;
#  - a stdio session whose process is killed: the connector starts
#    another and initializes it again; the server registers its
#    client-dependent tools (sampling, elicitation) only once initialized,
#    so tools/list shows they were (a notifications/initialized cut short
#    was dropped by the server);
#  - no worker or connector died.
# Needs tests/fed/node_modules and tests/era/node_modules.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
. "$(dirname "$0")/era_lib.sh"
era_need_modules
. "$(dirname "$0")/peers_lib.sh"
peers_setup

EV=$FED_MCP/server-everything/dist/index.js
peers_start_everything_http
DIRECT=http://127.0.0.1:$EVH_PORT/mcp
MG_PORT=$(free_port)
px_conf 2 "
upstream evh { server $DIRECT; }
upstream evs { command $NODE $EV stdio; }" "
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/evh { mcp_pass evh; }
    location /mcp/evs { mcp_pass evs; }
}"
mg_start
GW=http://127.0.0.1:$MG_PORT/mcp

# ---- the SDK clients: directly (the control), then through mcpgw ---------------
peers_driver "direct http" v1 everything "$DIRECT"
peers_driver "direct stdio" v1 everything stdio "$NODE" "$EV" stdio
for sdk in v1 v2; do
	peers_driver "$sdk via mcpgw http" $sdk everything "$GW/evh"
	# (v2: the stdio bridge's one process serves every client)
	PEERS_SHARED=$([ $sdk = v2 ] && echo 1 || echo 0) peers_driver "$sdk via mcpgw stdio" $sdk everything "$GW/evs"
done

peers_everything_alive "after the SDK clients"

# ---- the Inspector CLI -------------------------------------------------------------
for url in "$DIRECT" "$GW/evh" "$GW/evs"; do
	peers_cli "$url" '"name":"trigger-long-running-operation"' tools/list
	peers_cli "$url" '"text":"Echo: from the inspector"' tools/call --tool-name echo --tool-arg 'message=from the inspector'
	peers_cli "$url" '{"content":[{"type":"text","text":"The sum of 19 and 23 is 42."}]}' \
		tools/call --tool-name get-sum --tool-arg a=19 b=23
	peers_cli "$url" '"structuredContent":{"temperature":73,"conditions":"Sunny / Clear","humidity":48}' \
		tools/call --tool-name get-structured-content --tool-arg 'location=Los Angeles'
	peers_cli "$url" '"text":"What'"'"'s weather in Oslo, Viken?"' prompts/get --prompt-name args-prompt --prompt-args city=Oslo state=Viken
	peers_cli "$url" '"name":"completable-prompt"' prompts/list
	peers_cli "$url" '"uri":"demo://resource/static/document/' resources/list
	peers_cli "$url" '"uriTemplate":"demo://resource/dynamic/blob/{resourceId}"' resources/templates/list
	peers_cli "$url" '"uri":"demo://resource/dynamic/text/5","mimeType":"text/plain","text":"Resource 5: This is a plaintext' \
		resources/read --uri demo://resource/dynamic/text/5
	peers_cli "$url" '{}' logging/setLevel --log-level error
done

# ---- a stdio session's process killed: initialized again ----------------------------
# post OUT BODY [SID]: a 2025-11-25 POST to the stdio route; prints the status
post() {
	curl -sS --max-time 15 -D "$MG_TMP/$1.hdr" -o "$MG_TMP/$1.out" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		${3:+-H "Mcp-Session-Id: $3" -H 'MCP-Protocol-Version: 2025-11-25'} --data-binary "$2" "$GW/evs"
}
procs() { pgrep -P "$(mg_role_pids "$MG_MASTER" connector)" | sort; }
before=$(procs)
code=$(post init '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"sampling":{},"elicitation":{"form":{}}},"clientInfo":{"name":"peers-curl","version":"1"}}}')
SID=$(grep -i '^mcp-session-id:' "$MG_TMP/init.hdr" | tr -d '\r' | cut -d' ' -f2)
[ "$code" = 200 ] && [ -n "$SID" ] || fail "initialize on the stdio route: $code $(cat "$MG_TMP/init.out")"
[ "$(post inited '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$SID")" = 202 ] || fail "notifications/initialized not accepted"
LIST='{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
mg_wait 5 "post list1 '$LIST' '$SID' > /dev/null; grep -q '\"name\":\"trigger-sampling-request\"' '$MG_TMP/list1.out'" ||
	fail "tools/list of a fresh session lacks trigger-sampling-request: $(head -c 300 "$MG_TMP/list1.out")"
pid=$(comm -13 <(echo "$before") <(procs))
[ "$(mg_count "$pid")" = 1 ] || fail "expected one new stdio process for the session, got '$pid'"
kill -KILL "$pid"
mg_wait 5 "grep -q 'stdio upstream \"evs\" pid $pid exited on signal 9 (Killed): restarting it at once' '$MG_TMP/error.log'" ||
	fail "the connector did not notice pid $pid's end: $(grep evs "$MG_TMP/error.log" | tail -n 3)"
code=$(post list2 "$LIST" "$SID")
if [ "$code" = 200 ] && grep -q '"name":"trigger-sampling-request"' "$MG_TMP/list2.out" &&
	grep -q '"name":"trigger-elicitation-request"' "$MG_TMP/list2.out"; then
	ok "a session's process killed: restarted at once and initialized with the client's params; the next tools/list lists trigger-sampling-request and trigger-elicitation-request"
else
	check_failed "tools/list after the process was killed: $code $(head -c 600 "$MG_TMP/list2.out")"
fi

peers_everything_alive "at the end"
peers_no_child_died
px_done
