#!/usr/bin/env bash
# The whole time a request may take: call_timeout and tool_timeout, with
# real slow upstreams (the TypeScript SDK server of tests/proxy over HTTP,
# and its stdio server), with curl and measured times:
#  - a tool with tool_timeout 300ms fails at about 300 ms with -32001
#    "Request timed out" and the request's id, on the answer the client
#    waits for (JSON, or the SSE stream it was reading);
#  - the upstream heard notifications/cancelled for it (its tool saw the
#    abort, with mcpgw's reason), and the next call of the session works;
#  - another tool of the same upstream, under call_timeout 2s, succeeds
#    at 1 s; progress does not move the deadline (3 s of progress fails
#    at 2 s, on its stream);
#  - a stdio upstream, a 2026-07-28 request (over the connector's bridge
#    to the 2025 upstream), a federated location (the upstream's tool
#    name without the member's prefix) and a built-in server (the
#    location's tool_timeout) get the same;
#  - the access log shows the error, the metrics the outcome "timeout".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
px_need_modules
chmod 755 "$MG_TMP"
NODE=$PX_NODE
case $NODE in
/*) ;;
*) NODE=$(cd "$(dirname "$NODE")" && pwd)/$(basename "$NODE") ;;
esac

px_start_upstream
MG_PORT=$(free_port)
px_conf 1 "log_format to '\$status \$mcp_method \$mcp_tool \$mcp_error \$request_time';" "
upstream up {
    server $UP_URL;
    call_timeout 2s;
    tool_timeout slow 300ms;
}
upstream st {
    command $NODE $PX_DIR/stdio_server.mjs --slow;
    tool_timeout slow 300ms;
}
server {
    listen 127.0.0.1:$MG_PORT;
    access_log $MG_TMP/access.log to;
    location /mcp/up { mcp_pass up; }
    location /mcp/st { mcp_pass st; }
    location /mcp/demo { mcp_builtin demo; tool_timeout sleep 300ms; }
    location /mcp/fed { mcp_member up; tool_timeout up__echo 1s; }
    location /metrics { metrics; }
}"
mg_start

H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
# session ROUTE: a new session's id (initialized)
session() {
	local sid
	sid=$(curl -s -D - -o /dev/null --max-time 10 -X POST "http://127.0.0.1:$MG_PORT$1" "${H[@]}" \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' |
		tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
	[ -n "$sid" ] || fail "no session on $1"
	curl -s -o /dev/null --max-time 5 -X POST "http://127.0.0.1:$MG_PORT$1" "${H[@]}" \
		-H "Mcp-Session-Id: $sid" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
	echo "$sid"
}
# call ROUTE SID ID TOOL ARGS [META]: a tools/call; its answer in
# $MG_TMP/body, its headers in $MG_TMP/head; prints the milliseconds taken
call() {
	local t0 t1
	t0=$(date +%s%N)
	curl -s --max-time 15 -D "$MG_TMP/head" -o "$MG_TMP/body" -X POST \
		"http://127.0.0.1:$MG_PORT$1" "${H[@]}" -H "Mcp-Session-Id: $2" \
		-d "{\"jsonrpc\":\"2.0\",\"id\":$3,\"method\":\"tools/call\",\"params\":{\"name\":\"$4\",\"arguments\":$5${6:+,\"_meta\":$6}}}"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
ctype() { tr -d '\r' < "$MG_TMP/head" | sed -n 's/^[Cc]ontent-[Tt]ype: //p'; }
# timed_out ID: the answer is the timeout error for request ID
timed_out() {
	grep -q "{\"jsonrpc\":\"2.0\",\"id\":$1,\"error\":{\"code\":-32001,\"message\":\"Request timed out\"}}" "$MG_TMP/body"
}
# within MS LO HI
within() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
# seen ROUTE SID TAG: what the upstream's slow TAG saw
seen() {
	call "$1" "$2" 99 was_cancelled "{\"tag\":\"$3\"}" > /dev/null
	cat "$MG_TMP/body"
}
# cancelled ROUTE SID TAG MS: it saw mcpgw's notifications/cancelled
cancelled() {
	seen "$@" | grep -q "cancelled.\":true,.*mcpgw: the request took longer than $4 ms"
}

# ---- an HTTP upstream ----
S=$(session /mcp/up)
ms=$(call /mcp/up "$S" 2 slow '{"ms":5000,"tag":"h1"}')
timed_out 2 || fail "slow under tool_timeout 300ms: $(cat "$MG_TMP/body")"
within "$ms" 280 900 || fail "the timeout came after $ms ms, not about 300"
ok "tool_timeout 300ms: -32001 \"Request timed out\" for id 2 after $ms ms ($(ctype))"
mg_wait 5 "cancelled /mcp/up $S h1 300" ||
	fail "the upstream's tool was not cancelled by mcpgw: $(seen /mcp/up "$S" h1)"
ok "the upstream heard notifications/cancelled for it (its tool aborted, mcpgw's reason)"
ms=$(call /mcp/up "$S" 3 echo '{"message":"again"}')
grep -q '"echo: again"' "$MG_TMP/body" || fail "the next call of the session: $(cat "$MG_TMP/body")"
ok "the next call of the same session works ($ms ms)"

ms=$(call /mcp/up "$S" 4 progress_steps '{"steps":10,"delay_ms":100}' '{"progressToken":"p4"}')
grep -q '"done 10 steps"}\]},"jsonrpc":"2.0","id":4}' "$MG_TMP/body" || fail "a 1 s tool under call_timeout 2s: $(cat "$MG_TMP/body")"
within "$ms" 900 1900 || fail "the 1 s tool took $ms ms"
ok "another tool of the upstream, 1 s long under call_timeout 2s, succeeds ($ms ms)"

ms=$(call /mcp/up "$S" 5 progress_steps '{"steps":30,"delay_ms":100}' '{"progressToken":"p5"}')
case $(ctype) in text/event-stream*) ;; *) fail "not a stream: $(ctype)" ;; esac
grep -q 'notifications/progress' "$MG_TMP/body" || fail "no progress on the stream: $(cat "$MG_TMP/body")"
timed_out 5 || fail "3 s of progress under call_timeout 2s: $(cat "$MG_TMP/body")"
grep -q '"done 30 steps"' "$MG_TMP/body" && fail "a result after the timeout: $(cat "$MG_TMP/body")"
within "$ms" 1950 2700 || fail "call_timeout 2s came after $ms ms"
ok "call_timeout 2s: progress does not move it; the error ends the SSE stream at $ms ms"

# the SDK server opens its stream at once: no progress, still SSE
ms=$(call /mcp/up "$S" 6 slow '{"ms":5000,"tag":"h2"}')
timed_out 6 && within "$ms" 280 900 || fail "again: $ms ms, $(cat "$MG_TMP/body")"
ok "and again, without progress: $(ctype) after $ms ms"

# ---- a stdio upstream ----
T=$(session /mcp/st)
ms=$(call /mcp/st "$T" 2 slow '{"ms":5000,"tag":"s1"}')
timed_out 2 && within "$ms" 280 900 || fail "stdio: $ms ms, $(cat "$MG_TMP/body")"
ok "stdio upstream: -32001 after $ms ms ($(ctype))"
mg_wait 5 "cancelled /mcp/st $T s1 300" ||
	fail "the stdio server's tool was not cancelled by mcpgw: $(seen /mcp/st "$T" s1)"
ok "the stdio server heard notifications/cancelled (under its own request id)"
ms=$(call /mcp/st "$T" 3 echo '{"message":"st"}')
grep -q '"echo: st"' "$MG_TMP/body" || fail "stdio, next call: $(cat "$MG_TMP/body")"
ok "the stdio session's next call works ($ms ms)"

# ---- 2026-07-28 ----
V=2026-07-28
t0=$(date +%s%N)
curl -s --max-time 15 -D "$MG_TMP/head" -o "$MG_TMP/body" -X POST "http://127.0.0.1:$MG_PORT/mcp/up" "${H[@]}" \
	-H "MCP-Protocol-Version: $V" -H 'Mcp-Method: tools/call' -H 'Mcp-Name: slow' \
	--data-binary "{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\",\"arguments\":{\"ms\":5000,\"tag\":\"m1\"},\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"$V\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}"
ms=$((($(date +%s%N) - t0) / 1000000))
timed_out 41 && within "$ms" 280 1500 || fail "2026-07-28: $ms ms, $(cat "$MG_TMP/body")"
ok "a 2026-07-28 request: -32001 after $ms ms ($(ctype))"
# over the bridge (the connector's one 2025 session for 2026-07-28
# clients): cancelled there under the bridge's own request id
mg_wait 5 "seen /mcp/up $S m1 | grep -q 'cancelled.\":true,.*mcpgw: its 2026-07-28 client.s request ended'" ||
	fail "the bridged request was not cancelled upstream: $(seen /mcp/up "$S" m1)"
ok "the upstream heard notifications/cancelled for it on the bridge's session"

# ---- a built-in server (tool_timeout in its location) ----
D=$(session /mcp/demo)
ms=$(call /mcp/demo "$D" 2 sleep '{"ms":5000}')
timed_out 2 && within "$ms" 280 900 || fail "built-in: $ms ms, $(cat "$MG_TMP/body")"
ok "a built-in server's tool under its location's tool_timeout: -32001 after $ms ms ($(ctype))"
ms=$(call /mcp/demo "$D" 3 sleep '{"ms":100}')
grep -q '"id":3,"result"' "$MG_TMP/body" || fail "built-in, a short sleep: $(cat "$MG_TMP/body")"
ok "and a shorter call of the same tool answers ($ms ms)"

# ---- a federated location: the upstream's tool_timeout by its own name ----
F=$(session /mcp/fed)
ms=$(call /mcp/fed "$F" 2 up__slow '{"ms":5000,"tag":"f1"}')
timed_out 2 && within "$ms" 280 900 || fail "federated: $ms ms, $(cat "$MG_TMP/body")"
ok "a federated location's up__slow under the upstream's tool_timeout slow: -32001 after $ms ms"
mg_wait 5 "cancelled /mcp/up $S f1 300" ||
	fail "the member's tool was not cancelled: $(seen /mcp/up "$S" f1)"
ok "the member heard notifications/cancelled for it"

# ---- what the operator sees ----
# and no timed-out call's $request_time below its limit (libevent's timers
# run on a coarse clock; deadline.c gives the call its whole limit)
grep -q '^200 tools/call slow -32001 0\.[3-9]' "$MG_TMP/access.log" &&
	! grep -qE ' -32001 (0\.[0-2]|1\.)' "$MG_TMP/access.log" ||
	fail "access log: $(cat "$MG_TMP/access.log")"
ok "the access log shows it: $(grep -m1 ' slow -32001 ' "$MG_TMP/access.log")"
grep -q 'tools/call "slow" on "/mcp/up" (session [0-9a-f]*) timed out after 300 ms' "$MG_TMP/error.log" ||
	fail "no error log line"
m=$(curl -s --max-time 5 "http://127.0.0.1:$MG_PORT/metrics")
echo "$m" | grep -q '^mcpgw_tool_calls_total{route="/mcp/up",upstream="up",tool="[a-z_]*",outcome="timeout"} [1-9]' ||
	fail "metrics: $(echo "$m" | grep tool_calls_total)"
ok "the metrics count the outcome \"timeout\": $(echo "$m" | grep -c 'outcome="timeout"') series"
px_no_child_died || fail "a process died: $(grep -E 'exited' "$MG_TMP/error.log")"
mg_done
