#!/usr/bin/env bash
# The MCP Streamable HTTP endpoint (revision 2025-11-25) over a real socket,
# as any client sees it: every status code the transport defines, with the
# JSON-RPC error body checked by value; version negotiation; sessions
# (missing 400, unknown, tampered or deleted 404); exact response ids;
# 202 for notifications and responses; SSE progress streams and their
# headers; the GET stream and its keep-alive comments; the request limits
# (413, 431, 408 for slow headers and a slow body); clients that go away
# mid-stream; notifications/cancelled; keep-alive and keepalive_timeout;
# Origin and Host (DNS rebinding) checks; allow_origins, access_log off and
# client_max_body_size per location; batches (refused on 2025-06-18 and
# later, answered on 2025-03-26); deeply nested JSON; and an access log that
# records the call but never a credential.  One worker, so timing checks
# are exact and a crash shows as a changed worker pid.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mcp_lib.sh"
mg_setup
mcp_need_node

MG_PORT=$(free_port)
mcp_conf 1 "" "
    server_name mcp.example.test;
    client_header_timeout 1s;
    keepalive_timeout 2s;
    access_log $MG_TMP/access.log;" "
        sse_keepalive 1s;
        client_body_timeout 1s;" "
    location /mcp/strict {
        mcp_builtin demo;
        allow_origins https://app.example.com;
        access_log off;
    }
    location /mcp/small {
        mcp_builtin demo;
        client_max_body_size 1k;
    }"
mcp_init_files
"$MCPGW" -t -q -c "$MG_TMP/mcpgw.conf" > "$MG_TMP/t.log" 2>&1 ||
	fail "mcpgw -t refuses the test configuration: $(cat "$MG_TMP/t.log")"
mg_start
worker=$(mg_role_pids "$MG_MASTER" worker)
[ "$(mg_count "$worker")" = 1 ] || fail "expected one worker, have: $worker"
INIT=$(init_body 2025-11-25)

# --- paths and methods --------------------------------------------------------
URL=http://127.0.0.1:$MG_PORT/nowhere post "$INIT"
[ "$ST" = 404 ] || fail "POST /nowhere: expected 404; $(what)"
URL=http://127.0.0.1:$MG_PORT/mcp post "$INIT"
[ "$ST" = 404 ] || fail "POST /mcp (a prefix of the endpoint): expected 404; $(what)"
req "http://127.0.0.1:$MG_PORT/"
[ "$ST" = 404 ] || fail "GET /: expected 404; $(what)"
ok "paths other than the endpoint get 404"

for m in PUT PATCH OPTIONS; do
	req -X "$m" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		--data-binary "$INIT" "$URL"
	[ "$ST" = 405 ] || fail "$m on the endpoint: expected 405; $(what)"
	allow=$(hdr Allow)
	for a in GET POST DELETE; do
		case ",${allow// /}," in *",$a,"*) ;; *) fail "$m: 405 without $a in Allow (RFC 9110: a 405 MUST list the allowed methods); $(what)" ;; esac
	done
done
ok "PUT, PATCH and OPTIONS get 405 with Allow: GET, POST, DELETE"

# --- Accept, Content-Type, Origin -----------------------------------------------
req -X POST -H 'Content-Type: application/json' -H 'Accept: application/json' --data-binary "$INIT" "$URL"
expect 406 "$(rpc_err any "$(id_null_or 1)")" "POST with Accept: application/json only"
req -X POST -H 'Content-Type: application/json' -H 'Accept: text/event-stream' --data-binary "$INIT" "$URL"
expect 406 "$(rpc_err any "$(id_null_or 1)")" "POST with Accept: text/event-stream only"
ok "POST whose Accept lacks application/json or text/event-stream: 406 with a JSON-RPC error"

req -X POST -H 'Content-Type: application/json' -H 'Accept: */*' --data-binary "$INIT" "$URL"
expect 200 "m.id === 1 && m.result.protocolVersion === '2025-11-25'" "POST with Accept: */*"
req -X POST -H 'Content-Type: application/json' \
	-H 'Accept: application/json;q=0.9, text/event-stream;q=0.8' --data-binary "$INIT" "$URL"
expect 200 "m.id === 1" "POST with Accept parameters (q=)"
ok "Accept: */* and Accept with q= parameters are admitted"

req -X POST -H 'Content-Type: text/plain' -H 'Accept: application/json, text/event-stream' \
	--data-binary "$INIT" "$URL"
expect 415 "$(rpc_err any "$(id_null_or 1)")" "POST with Content-Type: text/plain"
req -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
	-H 'Accept: application/json, text/event-stream' --data-binary "$INIT" "$URL"
expect 415 "$(rpc_err any "$(id_null_or 1)")" "POST with a form Content-Type"
ok "POST with a Content-Type other than application/json: 415 with a JSON-RPC error"

req -X POST -H 'Content-Type: application/json; charset=utf-8' \
	-H 'Accept: application/json, text/event-stream' --data-binary "$INIT" "$URL"
expect 200 "m.id === 1" "Content-Type: application/json; charset=utf-8"
req -X POST -H 'Content-Type: Application/JSON' \
	-H 'Accept: application/json, text/event-stream' --data-binary "$INIT" "$URL"
expect 200 "m.id === 1" "Content-Type: Application/JSON (media types are case-insensitive)"
ok "Content-Type with a charset parameter, or in another case, is accepted"

for o in http://evil.example https://localhost.evil.example null http://127.0.0.1.evil.example; do
	post "$INIT" -H "Origin: $o"
	expect 403 "$(rpc_err any "$(id_null_or 1)")" "Origin: $o"
done
ok "a present Origin that is not allowed gets 403 with a JSON-RPC error"
for o in http://localhost:3000 http://localhost https://127.0.0.1:8443 'http://[::1]:9000' https://mcp.example.test; do
	post "$INIT" -H "Origin: $o"
	expect 200 "m.id === 1 && m.result.protocolVersion === '2025-11-25'" "allowed Origin: $o"
done
ok "Origins on localhost, 127.0.0.1, [::1] (any scheme and port) and the server_name pass"

URL=http://127.0.0.1:$MG_PORT/mcp/strict post "$INIT" -H 'Origin: https://app.example.com'
expect 200 "m.id === 1" "allow_origins: the listed Origin"
URL=http://127.0.0.1:$MG_PORT/mcp/strict post "$INIT" -H 'Origin: http://localhost:3000'
expect 403 "$(rpc_err any "$(id_null_or 1)")" "allow_origins: an Origin not listed"
URL=http://127.0.0.1:$MG_PORT/mcp/strict post "$INIT"
expect 200 "m.id === 1" "allow_origins: no Origin at all"
ok "allow_origins replaces the default list: the listed Origin passes, localhost gets 403"

# DNS rebinding: on a loopback listener only local names and our own.
post "$INIT" -H 'Host: evil.example'
expect 403 "$(rpc_err any "$(id_null_or 1)")" "Host: evil.example on a loopback listener"
post "$INIT" -H "Host: localhost:$MG_PORT"
expect 200 "m.id === 1" "Host: localhost"
post "$INIT" -H 'Host: mcp.example.test'
expect 200 "m.id === 1" "Host: the server_name"
ok "on a loopback listener a foreign Host gets 403 (DNS rebinding); localhost and the server_name pass"

# --- initialize and version negotiation ----------------------------------------
post "$INIT"
expect 200 "m.jsonrpc === '2.0' && m.id === 1 && m.result.protocolVersion === '2025-11-25' &&
	typeof m.result.serverInfo.name === 'string' && typeof m.result.serverInfo.version === 'string' &&
	typeof m.result.capabilities.tools === 'object' && !('error' in m)" "initialize"
ctype_is application/json || fail "initialize: Content-Type is not application/json; $(what)"
sid=$(hdr Mcp-Session-Id)
printf '%s' "$sid" | grep -qE '^[!-~]{16,}$' || fail "Mcp-Session-Id is not visible ASCII (or shorter than 16): \"$sid\""
ok "initialize: 200, protocolVersion, serverInfo, capabilities.tools, Mcp-Session-Id of visible ASCII"

for v in 2025-03-26 2025-06-18 2025-11-25; do
	post "$(init_body $v 2)"
	expect 200 "m.id === 2 && m.result.protocolVersion === '$v'" "initialize with $v"
done
for v in 2024-11-05 1999-01-01 bogus; do
	post "$(init_body $v 3)"
	expect 200 "m.id === 3 && m.result.protocolVersion === '2025-11-25'" "initialize with unsupported $v"
done
ok "initialize: a supported version is echoed back, any other gets 2025-11-25"

post "$INIT"
sid2=$(hdr Mcp-Session-Id)
[ -n "$sid2" ] && [ "$sid2" != "$sid" ] || fail "two initializes gave the same session id"
ok "every initialize gets a new session id"

# --- sessions --------------------------------------------------------------------
post '{"jsonrpc":"2.0","id":5,"method":"tools/list"}'
expect 400 "$(rpc_err any "$(id_null_or 5)")" "tools/list without Mcp-Session-Id"
ok "a request without Mcp-Session-Id gets 400 with a JSON-RPC error"

post '{"jsonrpc":"2.0","id":"p1","method":"ping"}'
expect 200 "m.id === 'p1' && typeof m.result === 'object' && m.result !== null && Object.keys(m.result).length === 0" "ping without a session"
ok "ping needs no session: 200 with an empty result"

new_session 2025-11-25
spost '{"jsonrpc":"2.0","id":6,"method":"tools/list"}'
expect 200 "m.id === 6 && ['echo', 'sleep', 'progress'].every(n => m.result.tools.some(t => t.name === n && t.inputSchema && t.inputSchema.type === 'object'))" "tools/list in a session"
ok "tools/list in the session: echo, sleep and progress with an object inputSchema"

post '{"jsonrpc":"2.0","id":7,"method":"tools/list"}' -H 'Mcp-Session-Id: garbage-session-id' -H "MCP-Protocol-Version: $MCP_V"
expect 404 "$(rpc_err any "$(id_null_or 7)")" "a garbage session id"
i=$(( ${#SID} / 2 ))
c=${SID:$i:1}
if [ "$c" = A ]; then n=B; else n=A; fi
tampered=${SID:0:$i}$n${SID:$((i + 1))}
post '{"jsonrpc":"2.0","id":8,"method":"tools/list"}' -H "Mcp-Session-Id: $tampered" -H "MCP-Protocol-Version: $MCP_V"
expect 404 "$(rpc_err any "$(id_null_or 8)")" "a tampered session id (char $i flipped)"
post '{"jsonrpc":"2.0","id":9,"method":"tools/list"}' -H "Mcp-Session-Id: ${SID%?}" -H "MCP-Protocol-Version: $MCP_V"
expect 404 "$(rpc_err any "$(id_null_or 9)")" "a truncated session id"
post '{"jsonrpc":"2.0","id":10,"method":"tools/list"}' -H "Mcp-Session-Id: ${SID}A" -H "MCP-Protocol-Version: $MCP_V"
expect 404 "$(rpc_err any "$(id_null_or 10)")" "a session id with a char appended"
long=$(head -c 6000 /dev/zero | tr '\0' x)
post '{"jsonrpc":"2.0","id":11,"method":"tools/list"}' -H "Mcp-Session-Id: $long" -H "MCP-Protocol-Version: $MCP_V"
expect 404 "$(rpc_err any "$(id_null_or 11)")" "a 6000-byte session id"
ok "unknown session ids (garbage, one char flipped, truncated, extended, 6000 bytes) get 404"

post '{"jsonrpc":"2.0","id":12,"method":"tools/list"}' -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 1999-01-01'
expect 400 "$(rpc_err any "$(id_null_or 12)")" "an unsupported MCP-Protocol-Version"
post '{"jsonrpc":"2.0","id":13,"method":"tools/list"}' -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: bogus'
expect 400 "$(rpc_err any "$(id_null_or 13)")" "a malformed MCP-Protocol-Version"
ok "an unsupported or malformed MCP-Protocol-Version gets 400"
post '{"jsonrpc":"2.0","id":14,"method":"tools/list"}' -H "Mcp-Session-Id: $SID"
expect 200 "m.id === 14 && Array.isArray(m.result.tools)" "no MCP-Protocol-Version header (means 2025-03-26)"
ok "without MCP-Protocol-Version (meaning 2025-03-26) the request is served"
URL=http://127.0.0.1:$MG_PORT/mcp/small spost '{"jsonrpc":"2.0","id":15,"method":"tools/list"}'
expect 404 "$(rpc_err any "$(id_null_or 15)")" "a session of /mcp/demo used on /mcp/small"
ok "a session belongs to its endpoint: on another location it gets 404"

# --- JSON-RPC errors ------------------------------------------------------------------
spost '{"jsonrpc":"2.0","id":1,"method":'
expect 400 "$(rpc_err -32700 "m.id === undefined")" "truncated JSON"
spost 'not json at all'
expect 400 "$(rpc_err -32700 "m.id === undefined")" "not JSON"
ok "unparsable JSON: HTTP 400, -32700, id null"

spost '{"jsonrpc":"1.0","id":20,"method":"ping"}'
expect 400 "$(rpc_err -32600 "m.id === 20")" "jsonrpc 1.0"
spost '{"jsonrpc":"2.0","id":21,"method":42}'
expect 400 "$(rpc_err -32600 "m.id === 21")" "a numeric method"
spost '"just a string"'
expect 400 "$(rpc_err -32600 "m.id === undefined")" "a JSON string"
spost '{}'
expect 400 "$(rpc_err -32600 "m.id === undefined")" "an empty object"
spost '{"jsonrpc":"2.0","id":true,"method":"ping"}'
expect 400 "$(rpc_err -32600 "m.id === undefined")" "a boolean id"
ok "invalid requests: HTTP 400, -32600, with the request's id when it has a valid one"

spost '{"jsonrpc":"2.0","id":22,"method":"no/such/method"}'
expect 200 "$(rpc_err -32601 "m.id === 22")" "an unknown method"
ok "an unknown method: HTTP 200 with a -32601 error for its id"

spost '{"jsonrpc":"2.0","id":23,"method":"tools/call","params":{"arguments":{"message":"x"}}}'
expect 200 "$(rpc_err -32602 "m.id === 23")" "tools/call without a name"
spost '{"jsonrpc":"2.0","id":24,"method":"tools/call","params":{"name":"no-such-tool","arguments":{}}}'
expect 200 "$(rpc_err -32602 "m.id === 24")" "tools/call of an unknown tool"
ok "tools/call without a name or of an unknown tool: -32602 for its id"

# 2025-11-25 (SEP-1303): bad tool arguments are a tool execution error
# (isError: true) that the model can read, not a protocol error.
spost '{"jsonrpc":"2.0","id":25,"method":"tools/call","params":{"name":"echo","arguments":{}}}'
expect 200 "m.id === 25 && !('error' in m) && m.result.isError === true && m.result.content[0].type === 'text' && /message/.test(m.result.content[0].text)" "echo without message"
ok "echo without message: a tool result with isError and a text naming \"message\" (SEP-1303)"

spost '[{"jsonrpc":"2.0","id":26,"method":"ping"},{"jsonrpc":"2.0","id":27,"method":"ping"}]'
expect 400 "$(rpc_err -32600 "m.id === undefined")" "a batch on 2025-11-25"
sid_1125=$SID
new_session 2025-06-18
spost '[{"jsonrpc":"2.0","id":26,"method":"ping"}]'
expect 400 "$(rpc_err -32600 "m.id === undefined")" "a batch on 2025-06-18"
SID=$sid_1125 MCP_V=2025-11-25
ok "a batch on 2025-06-18 and 2025-11-25: HTTP 400, -32600"

# 2025-03-26 still has batches: one answer per request, in one array.
new_session 2025-03-26
spost '[{"jsonrpc":"2.0","id":"b1","method":"ping"},{"jsonrpc":"2.0","method":"notifications/whatever"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"message":"in a batch"}}}]'
expect 200 "Array.isArray(m) && m.length === 2 && m.some(r => r.id === 'b1' && r.result) &&
	m.some(r => r.id === 2 && r.result.content[0].text === 'echo: in a batch')" "a batch on 2025-03-26"
spost '[{"jsonrpc":"2.0","method":"notifications/whatever"}]'
[ "$ST" = 202 ] && [ ! -s "$B" ] || fail "a batch of notifications on 2025-03-26: expected 202 with no body; $(what)"
SID=$sid_1125 MCP_V=2025-11-25
ok "on 2025-03-26 a batch gets one array with an answer per request; a batch of notifications 202"

# Bad input never crashes or stalls: deep nesting.
{ head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; } > "$MG_TMP/deep.json"
spost "@$MG_TMP/deep.json"
case $ST in 400) ;; *) fail "100000 nested arrays: expected 400; $(what)" ;; esac
jtrue "$(rpc_err any "m.id === undefined") && (m.error.code === -32700 || m.error.code === -32600)" ||
	fail "100000 nested arrays: no -32700/-32600 error; $(what)"
spost "$(echo_body 29 after-deep)"
expect 200 "$(echo_ok 29 "'after-deep'")" "a request after deep nesting"
ok "100000 nested arrays get 400 with a JSON-RPC error; the worker goes on"

# --- ids come back exactly ------------------------------------------------------------
id_json='"q\"uo\\te é€ 😀 \u00e9 \/ end"'
echo_body "$id_json" hi > "$MG_TMP/req.json"
spost "@$MG_TMP/req.json"
[ "$ST" = 200 ] || fail "string id: $(what)"
node -e '
const fs = require("fs");
const q = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const r = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
process.exit(typeof r.id === "string" && r.id === q.id && r.result ? 0 : 1);' "$MG_TMP/req.json" "$B" ||
	fail "a string id with quotes, backslash and non-ASCII did not come back equal: sent $id_json; $(what)"
ok "a string id with quotes, a backslash, escapes and non-ASCII comes back equal"

spost "$(echo_body '"1"' one)"
expect 200 "$(echo_ok "'1'" "'one'")" "string id \"1\""
spost "$(echo_body 0 zero)"
expect 200 "$(echo_ok 0 "'zero'")" "id 0"
spost "$(echo_body -7 neg)"
expect 200 "$(echo_ok -7 "'neg'")" "id -7"
ok "ids \"1\" (a string), 0 and -7 come back with their type and value"

for big in 9223372036854775807 9007199254740993 -9223372036854775808; do
	spost "$(echo_body "$big" big)"
	[ "$ST" = 200 ] || fail "id $big: $(what)"
	# Compare the raw text: a double cannot hold these.
	node -e '
const t = require("fs").readFileSync(process.argv[1], "utf8");
const re = new RegExp("\"id\"\\s*:\\s*" + process.argv[2].replace("-", "\\-") + "\\s*[,}]");
process.exit(re.test(t) ? 0 : 1);' "$B" "$big" || fail "id $big did not come back exactly; $(what)"
done
ok "integer ids 2^63-1, 2^53+1 and -2^63 come back digit for digit"

# --- notifications and responses: 202, empty body ------------------------------------
spost '{"jsonrpc":"2.0","method":"notifications/initialized"}'
[ "$ST" = 202 ] && [ ! -s "$B" ] || fail "a notification: expected 202 with no body; $(what)"
spost '{"jsonrpc":"2.0","method":"notifications/whatever","params":{"x":1}}'
[ "$ST" = 202 ] && [ ! -s "$B" ] || fail "an unknown notification: expected 202 with no body; $(what)"
spost '{"jsonrpc":"2.0","id":"srv-1","result":{}}'
[ "$ST" = 202 ] && [ ! -s "$B" ] || fail "a JSON-RPC response: expected 202 with no body; $(what)"
spost '{"jsonrpc":"2.0","id":"srv-2","error":{"code":-1,"message":"no"}}'
[ "$ST" = 202 ] && [ ! -s "$B" ] || fail "a JSON-RPC error response: expected 202 with no body; $(what)"
ok "notifications and responses: 202 with an empty body"

# --- tools -----------------------------------------------------------------------------
spost "$(echo_body 30 'hello, world')"
expect 200 "$(echo_ok 30 "'hello, world'")" "echo"
ctype_is application/json || fail "echo: not application/json; $(what)"
ok "echo: application/json, text \"echo: hello, world\""

spost '{"jsonrpc":"2.0","id":31,"method":"tools/call","params":{"name":"progress","arguments":{"steps":3},"_meta":{"progressToken":"tok-1"}}}'
[ "$ST" = 200 ] || fail "progress with a token: $(what)"
ctype_is text/event-stream || fail "progress with a token: not text/event-stream; $(what)"
case $(hdr Cache-Control) in *no-cache*) ;; *) false ;; esac || fail "SSE without Cache-Control: no-cache; $(what)"
[ "$(hdr X-Accel-Buffering)" = no ] || fail "SSE without X-Accel-Buffering: no; $(what)"
ok "progress with a progressToken: text/event-stream, Cache-Control: no-cache, X-Accel-Buffering: no"
sse_json "$B" "$MG_TMP/sse.json"
jtrue "m.events.length === 4 && [0, 1, 2].every(i => m.events[i].jsonrpc === '2.0' &&
	m.events[i].method === 'notifications/progress' && !('id' in m.events[i]) &&
	m.events[i].params.progressToken === 'tok-1' && m.events[i].params.progress === i + 1 &&
	m.events[i].params.total === 3) && m.events[3].id === 31 && Array.isArray(m.events[3].result.content) &&
	m.events[3].result.isError !== true" "$MG_TMP/sse.json" ||
	fail "progress stream: expected 3 progress notifications (1..3 of 3) then the result; got: $(cat "$MG_TMP/sse.json")"
ok "the stream holds progress 1, 2, 3 (total 3, the client's token) and then the result"

spost '{"jsonrpc":"2.0","id":32,"method":"tools/call","params":{"name":"progress","arguments":{"steps":2},"_meta":{"progressToken":42}}}'
sse_json "$B" "$MG_TMP/sse.json"
jtrue "m.events.length === 3 && m.events[0].params.progressToken === 42 && m.events[1].params.progressToken === 42 && m.events[2].id === 32" "$MG_TMP/sse.json" ||
	fail "a numeric progressToken did not come back as the number 42: $(cat "$MG_TMP/sse.json")"
ok "a numeric progressToken comes back as the same number"

spost '{"jsonrpc":"2.0","id":33,"method":"tools/call","params":{"name":"progress","arguments":{"steps":3}}}'
expect 200 "m.id === 33 && Array.isArray(m.result.content)" "progress without a token"
ctype_is application/json || fail "progress without a token: not application/json; $(what)"
ok "progress without a progressToken: one plain JSON answer"

# sleep waits on a timer: the one worker keeps serving meanwhile.
t0=$(date +%s%N)
curl -sS -o "$MG_TMP/sleep.body" --max-time 10 -X POST -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $SID" \
	-H "MCP-Protocol-Version: $MCP_V" \
	--data-binary '{"jsonrpc":"2.0","id":"s1","method":"tools/call","params":{"name":"sleep","arguments":{"ms":1500}}}' \
	"$URL" &
spid=$!
MG_BG_PIDS="$MG_BG_PIDS $spid"
sleep 0.2
t1=$(date +%s%N)
spost "$(echo_body 34 during)"
t2=$(date +%s%N)
expect 200 "$(echo_ok 34 "'during'")" "echo during a sleep"
[ $(( (t2 - t1) / 1000000 )) -lt 500 ] || fail "echo took $(( (t2 - t1) / 1000000 )) ms while a sleep ran"
wait "$spid" || fail "the sleep request failed"
t3=$(date +%s%N)
jtrue "m.id === 's1' && m.result.content[0].text === 'slept 1500 ms'" "$MG_TMP/sleep.body" ||
	fail "sleep 1500: $(cat "$MG_TMP/sleep.body")"
[ $(( (t3 - t0) / 1000000 )) -ge 1400 ] || fail "sleep 1500 answered after $(( (t3 - t0) / 1000000 )) ms"
ok "sleep 1500 answers \"slept 1500 ms\" after $(( (t3 - t0) / 1000000 )) ms; an echo meanwhile took $(( (t2 - t1) / 1000000 )) ms"

# --- the GET stream ----------------------------------------------------------------------
req -X GET -H 'Accept: application/json' -H "Mcp-Session-Id: $SID" -H "MCP-Protocol-Version: $MCP_V" "$URL"
expect 406 "$(rpc_err any "m.id === undefined")" "GET with Accept: application/json"
ok "GET without text/event-stream in Accept: 406"
req -X GET -H 'Accept: text/event-stream' "$URL"
expect 400 "$(rpc_err any "m.id === undefined")" "GET without a session"
req -X GET -H 'Accept: text/event-stream' -H 'Mcp-Session-Id: garbage-session-id' "$URL"
expect 404 "$(rpc_err any "m.id === undefined")" "GET with an unknown session"
ok "GET without a session: 400; with an unknown one: 404"

t0=$(date +%s%N)
ST=$(curl -sS -N -o "$B" -D "$H" -w '%{http_code}' --max-time 3.5 -H 'Accept: text/event-stream' \
	-H "Mcp-Session-Id: $SID" -H "MCP-Protocol-Version: $MCP_V" "$URL" 2> "$MG_TMP/curl.err")
rc=$?
[ $rc = 28 ] || fail "the GET stream ended by itself (curl exit $rc) before 3.5 s; $(what)"
[ "$ST" = 200 ] || fail "GET stream: expected 200; $(what)"
ctype_is text/event-stream || fail "GET stream: not text/event-stream; $(what)"
case $(hdr Cache-Control) in *no-cache*) true ;; *) false ;; esac && [ "$(hdr X-Accel-Buffering)" = no ] ||
	fail "GET stream without Cache-Control: no-cache and X-Accel-Buffering: no; $(what)"
ok "GET with Accept: text/event-stream opens a stream: 200, SSE headers, held open"
sse_json "$B" "$MG_TMP/sse.json"
jtrue "m.comments.filter(c => c === 'keepalive').length >= 2 && m.events.length === 0" "$MG_TMP/sse.json" ||
	fail "sse_keepalive 1s: expected at least two \": keepalive\" comments in 3.5 s and no messages; got: $(cat "$MG_TMP/sse.json")"
grep -q '^: keepalive' "$B" || fail "the keep-alive is not a \": keepalive\" line"
ok "the idle GET stream gets a \": keepalive\" comment every second (sse_keepalive 1s)"

# --- DELETE ----------------------------------------------------------------------------
new_session 2025-11-25
doomed=$SID
req -X DELETE -H "Mcp-Session-Id: $doomed" -H "MCP-Protocol-Version: $MCP_V" "$URL"
case $ST in 2??) ;; *) fail "DELETE of a live session: expected 2xx; $(what)" ;; esac
spost '{"jsonrpc":"2.0","id":40,"method":"tools/list"}'
expect 404 "$(rpc_err any "$(id_null_or 40)")" "POST after DELETE"
req -X GET -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $doomed" "$URL"
[ "$ST" = 404 ] || fail "GET after DELETE: expected 404; $(what)"
req -X DELETE -H "Mcp-Session-Id: $doomed" "$URL"
[ "$ST" = 404 ] || fail "a second DELETE: expected 404; $(what)"
req -X DELETE "$URL"
[ "$ST" = 400 ] || fail "DELETE without a session: expected 400; $(what)"
SID=$sid_1125
spost "$(echo_body 41 still)"
expect 200 "$(echo_ok 41 "'still'")" "another session after a DELETE"
ok "DELETE ends the session ($ST): POST, GET and DELETE with its id then get 404; other sessions go on"

# --- limits: 413, 431, 408 ------------------------------------------------------------------
{
	printf '{"jsonrpc":"2.0","id":50,"method":"tools/call","params":{"name":"echo","arguments":{"message":"'
	head -c 10485760 /dev/zero | tr '\0' a
	printf '"}}}'
} > "$MG_TMP/big.json"
spost "@$MG_TMP/big.json"
expect 413 "$(rpc_err any "$(id_null_or 50)")" "a 10 MB body (client_max_body_size 1m by default)"
spost "@$MG_TMP/big.json" -H 'Expect:'
[ "$ST" = 413 ] || fail "a 10 MB body sent without Expect: 100-continue: expected 413; $(what); curl: $(cat "$MG_TMP/curl.err")"
jtrue "$(rpc_err any "$(id_null_or 50)")" || fail "413 without a JSON-RPC error body; $(what)"
spost "$(echo_body 51 after-413)"
expect 200 "$(echo_ok 51 "'after-413'")" "the request after a 413"
ok "a 10 MB body gets 413 with a JSON-RPC error (with and without Expect: 100-continue); the next request is served"

spost "$(echo_body 58 chunked)" -H 'Transfer-Encoding: chunked'
expect 200 "$(echo_ok 58 "'chunked'")" "a chunked request body"
spost "@$MG_TMP/big.json" -H 'Transfer-Encoding: chunked' -H 'Expect:'
[ "$ST" = 413 ] || fail "a 10 MB chunked body (no Content-Length to check up front): expected 413; $(what); curl: $(cat "$MG_TMP/curl.err")"
spost "$(echo_body 59 after-chunked-413)"
expect 200 "$(echo_ok 59 "'after-chunked-413'")" "the request after a chunked 413"
ok "a chunked body is read; a 10 MB chunked body gets 413 too"

# client_max_body_size in a location applies to that location only.
pad=$(head -c 2000 /dev/zero | tr '\0' p)
URL=http://127.0.0.1:$MG_PORT/mcp/small post "$(init_body 2025-11-25 | sed "s/mcpgw-tests/$pad/")"
expect 413 "$(rpc_err any "$(id_null_or 1)")" "a 2 kB body with client_max_body_size 1k in the location"
URL=http://127.0.0.1:$MG_PORT/mcp/small post "$INIT"
expect 200 "m.id === 1" "a small body where client_max_body_size is 1k"
post "$(init_body 2025-11-25 | sed "s/mcpgw-tests/$pad/")"
expect 200 "m.id === 1" "a 2 kB body on the location with the default limit"
ok "client_max_body_size 1k in one location: 2 kB gets 413 there, and passes elsewhere"

{
	printf '{"jsonrpc":"2.0","id":52,"method":"tools/call","params":{"name":"echo","arguments":{"message":"'
	head -c 900000 /dev/zero | tr '\0' b
	printf '"}}}'
} > "$MG_TMP/large.json"
spost "@$MG_TMP/large.json"
[ "$ST" = 200 ] || fail "a 900 kB body under the 1m limit: $(what)"
jtrue "m.id === 52 && m.result.content[0].text === 'echo: ' + 'b'.repeat(900000)" ||
	fail "a 900 kB echo did not come back whole; status $ST, $(wc -c < "$B") bytes"
ok "a 900 kB body under the limit is served and echoed whole"

hargs=()
for i in $(seq 1 200); do hargs+=(-H "X-Test-Header-$i: value-$i"); done
spost "$(echo_body 53 many)" "${hargs[@]}"
[ "$ST" = 431 ] || fail "200 headers (client_max_headers 100): expected 431; $(what)"
spost "$(echo_body 54 huge)" -H "X-Huge: $(head -c 20000 /dev/zero | tr '\0' h)"
[ "$ST" = 431 ] || fail "a 20 kB header (client_max_header_size 16k): expected 431; $(what)"
spost "$(echo_body 55 after-431)"
expect 200 "$(echo_ok 55 "'after-431'")" "the request after a 431"
ok "200 headers, or a 20 kB header, get 431; the next request is served"

# slow_client LINES: send LINES (printf format) on a new connection and
# wait for the answer; $SLOW is what came back, $SLOW_MS how long it took.
slow_client() {
	local t0 t1
	exec 3<> "/dev/tcp/127.0.0.1/$MG_PORT" || fail "cannot connect"
	printf "$1" >&3
	t0=$(date +%s%N)
	SLOW=$(timeout 5 cat <&3 | tr -d '\r')
	SLOW_RC=${PIPESTATUS[0]}
	t1=$(date +%s%N)
	exec 3<&- 3>&-
	SLOW_MS=$(( (t1 - t0) / 1000000 ))
}
slow_client 'POST /mcp/de'
[ "$SLOW_RC" = 0 ] || fail "a partial request line: the connection was still open after 5 s"
case $SLOW in "HTTP/1."[01]" 408"*) ;; *) fail "a partial request line: expected HTTP/1.x 408 within 5 s, got: ${SLOW:-nothing} (after $SLOW_MS ms)" ;; esac
[ "$SLOW_MS" -ge 900 ] && [ "$SLOW_MS" -le 3000 ] ||
	fail "408 after $SLOW_MS ms with client_header_timeout 1s"
ok "a partial request line gets 408 after $SLOW_MS ms (client_header_timeout 1s) and the connection is closed"

slow_client "POST /mcp/demo HTTP/1.1\r\nHost: 127.0.0.1:$MG_PORT\r\nContent-Type: application/json\r\n"
case $SLOW in "HTTP/1."[01]" 408"*) ;; *) fail "headers without their end: expected HTTP/1.x 408 within 5 s, got: ${SLOW:-nothing} (after $SLOW_MS ms)" ;; esac
[ "$SLOW_MS" -ge 900 ] && [ "$SLOW_MS" -le 3000 ] || fail "408 after $SLOW_MS ms for unfinished headers"
ok "headers that never end get 408 after $SLOW_MS ms"

slow_client "POST /mcp/demo HTTP/1.1\r\nHost: 127.0.0.1:$MG_PORT\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\""
case $SLOW in "HTTP/1."[01]" 408"*) ;; *) fail "a body cut short: expected HTTP/1.x 408 within 5 s, got: ${SLOW:-nothing} (after $SLOW_MS ms)" ;; esac
[ "$SLOW_MS" -ge 900 ] && [ "$SLOW_MS" -le 3000 ] || fail "408 after $SLOW_MS ms with client_body_timeout 1s"
ok "a body that stops coming gets 408 after $SLOW_MS ms (client_body_timeout 1s)"

spost "$(echo_body 56 after-408)"
expect 200 "$(echo_ok 56 "'after-408'")" "the request after the 408s"
ok "the server serves on after the slow clients"

# --- keep-alive ---------------------------------------------------------------------------
conns=$(curl -sS --max-time 10 -o /dev/null -w '%{num_connects} %{http_code}\n' -X POST \
	-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
	-H "Mcp-Session-Id: $SID" -H "MCP-Protocol-Version: $MCP_V" \
	--data-binary "$(echo_body 57 ka1)" "$URL" \
	--next -sS -o /dev/null -w '%{num_connects} %{http_code}\n' -X POST \
	-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
	-H "Mcp-Session-Id: $SID" -H "MCP-Protocol-Version: $MCP_V" \
	--data-binary "$(echo_body 58 ka2)" "$URL" | tr '\n' ' ')
[ "$conns" = "1 200 0 200 " ] || fail "two requests on one curl: expected one connection reused (\"1 200 0 200\"), got \"$conns\""
ok "HTTP/1.1 keep-alive: a second request reuses the connection"

raw_open 3
raw_post 3 "$(echo_body 80 ka-a)" "Mcp-Session-Id: $SID" "MCP-Protocol-Version: $MCP_V"
raw_read 3 5 && [ "$RAW_STATUS" = 200 ] || fail "keep-alive: first request: HTTP $RAW_STATUS $RAW_BODY"
sleep 1.5
raw_post 3 "$(echo_body 81 ka-b)" "Mcp-Session-Id: $SID" "MCP-Protocol-Version: $MCP_V"
raw_read 3 5 && [ "$RAW_STATUS" = 200 ] ||
	fail "keep-alive: a request after 1.5 s idle (keepalive_timeout 2s, client_header_timeout 1s): HTTP ${RAW_STATUS:-none (closed)}"
t0=$(date +%s%N)
IFS= read -r -t 6 -u 3 line
rc=$?
el=$(( ($(date +%s%N) - t0) / 1000000 ))
raw_close 3
[ $rc = 1 ] || fail "keep-alive: the idle connection was not closed within 6 s (keepalive_timeout 2s)"
[ $el -ge 1500 ] && [ $el -le 3500 ] || fail "keep-alive: the idle connection was closed after $el ms, keepalive_timeout is 2s"
ok "keepalive_timeout 2s: an idle connection serves a request after 1.5 s and is closed after $el ms"

# --- clients that go away ---------------------------------------------------------------
curl -sS -N -o "$MG_TMP/cut.body" --max-time 1 -X POST -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $SID" \
	-H "MCP-Protocol-Version: $MCP_V" \
	--data-binary '{"jsonrpc":"2.0","id":60,"method":"tools/call","params":{"name":"progress","arguments":{"steps":1000},"_meta":{"progressToken":"cut"}}}' \
	"$URL" 2> /dev/null
rc=$?
[ $rc = 28 ] || fail "a 1000-step progress stream was not still running after 1 s (curl exit $rc)"
grep -q 'notifications/progress' "$MG_TMP/cut.body" || fail "no progress event within 1 s: $(head -c 300 "$MG_TMP/cut.body")"
curl -sS -o /dev/null --max-time 0.5 -X POST -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $SID" \
	-H "MCP-Protocol-Version: $MCP_V" \
	--data-binary '{"jsonrpc":"2.0","id":61,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":1000}}}' \
	"$URL" 2> /dev/null
spost "$(echo_body 62 after-cut)"
expect 200 "$(echo_ok 62 "'after-cut'")" "a request after clients went away"
sleep 1
spost "$(echo_body 63 after-timer)"
expect 200 "$(echo_ok 63 "'after-timer'")" "a request after the abandoned sleep's timer fired"
[ "$(mg_role_pids "$MG_MASTER" worker)" = "$worker" ] && no_child_died ||
	fail "the worker died after clients went away mid-stream"
ok "clients that leave mid-stream (progress) and mid-wait (sleep) leave the worker serving"

# --- cancellation ---------------------------------------------------------------------------
t0=$(date +%s%N)
curl -sS -o "$MG_TMP/cancel.body" -w '%{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $SID" \
	-H "MCP-Protocol-Version: $MCP_V" \
	--data-binary '{"jsonrpc":"2.0","id":"cancel-me","method":"tools/call","params":{"name":"sleep","arguments":{"ms":5000}}}' \
	"$URL" > "$MG_TMP/cancel.status" 2> /dev/null &
cpid=$!
MG_BG_PIDS="$MG_BG_PIDS $cpid"
sleep 0.5
spost '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"cancel-me","reason":"test"}}'
[ "$ST" = 202 ] || fail "notifications/cancelled: expected 202; $(what)"
wait "$cpid"
t1=$(date +%s%N)
el=$(( (t1 - t0) / 1000000 ))
[ $el -lt 3000 ] || fail "the cancelled sleep's request lasted $el ms (sleep was 5000 ms)"
! grep -q 'slept' "$MG_TMP/cancel.body" || fail "the cancelled sleep still answered: $(cat "$MG_TMP/cancel.body")"
if [ -s "$MG_TMP/cancel.body" ] && jtrue "'result' in m" "$MG_TMP/cancel.body"; then
	fail "the cancelled request got a result: $(cat "$MG_TMP/cancel.body")"
fi
ok "notifications/cancelled stops an in-flight sleep of 5000 ms: its request ended after $el ms (HTTP $(cat "$MG_TMP/cancel.status")) without a result"
t0=$(date +%s%N)
curl -sS -N -o "$MG_TMP/pcancel.body" --max-time 10 -X POST -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $SID" \
	-H "MCP-Protocol-Version: $MCP_V" \
	--data-binary '{"jsonrpc":"2.0","id":"pc","method":"tools/call","params":{"name":"progress","arguments":{"steps":500},"_meta":{"progressToken":"pc"}}}' \
	"$URL" 2> /dev/null &
cpid=$!
MG_BG_PIDS="$MG_BG_PIDS $cpid"
sleep 0.5
spost '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"pc"}}'
[ "$ST" = 202 ] || fail "notifications/cancelled of a progress stream: expected 202; $(what)"
wait "$cpid"
rc=$?
el=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc = 0 ] || fail "the cancelled progress stream did not end cleanly (curl exit $rc) after $el ms"
[ $el -lt 2500 ] || fail "the cancelled progress stream (500 steps) went on for $el ms"
sse_json "$MG_TMP/pcancel.body" "$MG_TMP/sse.json"
jtrue "m.events.length > 0 && m.events.length < 500 && m.events.every(e => e.method === 'notifications/progress')" "$MG_TMP/sse.json" ||
	fail "the cancelled progress stream: expected some progress and no result; got: $(head -c 600 "$MG_TMP/sse.json")"
ok "notifications/cancelled ends a progress stream after $el ms: $(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).events.length)' "$MG_TMP/sse.json") of 500 steps, no result"
spost '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"never-was"}}'
[ "$ST" = 202 ] || fail "cancelling an unknown request: expected 202; $(what)"
spost "$(echo_body 64 after-cancel)"
expect 200 "$(echo_ok 64 "'after-cancel'")" "a request after the cancellations"
ok "cancelling an unknown request is harmless; calls go on"

# --- the access log -------------------------------------------------------------------------
spost "$(echo_body 70 logged)" -H 'Authorization: Bearer secret-token-123'
expect 200 "$(echo_ok 70 "'logged'")" "echo with an Authorization header"
spost '{"jsonrpc":"2.0","id":71,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":700}}}' \
	-H 'Authorization: Bearer secret-token-123'
expect 200 "m.id === 71 && m.result.content[0].text === 'slept 700 ms'" "sleep 700"
mg_wait 3 "[ \$(grep 'tools/call' '$MG_TMP/access.log' 2>/dev/null | grep -c 'sleep') -ge 1 ]" ||
	fail "no access log line for the sleep call: $(tail -5 "$MG_TMP/access.log" 2>/dev/null)"
line=$(grep 'tools/call' "$MG_TMP/access.log" | grep 'echo' | tail -1)
[ -n "$line" ] || fail "no access log line with tools/call and echo: $(tail -5 "$MG_TMP/access.log")"
echo " $line " | grep -q ' 200 ' || fail "the access log line lacks the status 200: $line"
echo " $line " | grep -q ' POST ' || fail "the access log line lacks the HTTP method: $line"
line=$(grep 'tools/call' "$MG_TMP/access.log" | grep 'sleep' | tail -1)
# The duration: some field that reads as 0.6 to 3 s (as s, ms or us; a
# timer on the loop's cached clock may end a little before 700 ms).
echo "$line" | tr ' ' '\n' | awk '
	{ if (match($0, /^[0-9]+(\.[0-9]+)?(us|ms|s)?$/)) {
		v = $0 + 0; u = $0; sub(/^[0-9.]+/, "", u)
		if (u == "s" || u == "") if (v >= 0.6 && v <= 3) f = 1
		if (u == "ms" || u == "") if (v >= 600 && v <= 3000) f = 1
		if (u == "us" || u == "") if (v >= 600000 && v <= 3000000) f = 1 } }
	END { exit !f }' || fail "the access log line of a 700 ms sleep has no duration: $line"
ok "the access log has a line per call with method, tool, status and duration: $line"
if grep -q 'secret-token-123' "$MG_TMP/access.log"; then
	fail "the access log holds the Authorization value: $(grep 'secret-token-123' "$MG_TMP/access.log")"
fi
ok "the access log never holds the Authorization header's value"
! grep -q '/mcp/strict' "$MG_TMP/access.log" || fail "access_log off in /mcp/strict, but: $(grep -m1 '/mcp/strict' "$MG_TMP/access.log")"
ok "access_log off: the requests of /mcp/strict are not logged"

[ "$(mg_role_pids "$MG_MASTER" worker)" = "$worker" ] && no_child_died ||
	fail "a worker died during the test: $(grep -E 'exited' "$MG_TMP/error.log")"
ok "the worker served the whole test without dying"

mg_done
