#!/bin/bash
# mcp_deny: requests refused by method and name, on a built-in server and
# on a proxy route, in both eras.  A 2026-07-28 request is judged on its
# Mcp-Method and Mcp-Name headers (Base64 ones decoded); a header that
# would let a refused call past is a mismatch with the body (-32020); a
# 2025 request is judged on its body, a batch whole.  A refused request
# never reaches the upstream.  A message with a member name twice in an
# object is refused before any of this (400, -32600), on every route.
. "$(dirname "$0")/lib.sh"
mg_setup

MG_PORT=$(free_port)
cat > "$MG_TMP/mcpgw.conf" << CONF
worker_processes 1;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log debug;
upstream open { server http://127.0.0.1:$MG_PORT/mcp/open; }
server {
    listen 127.0.0.1:$MG_PORT;
    access_log $MG_TMP/access.log;
    location /mcp/open { mcp_builtin demo; }
    location /mcp/demo {
        mcp_builtin demo;
        mcp_deny tools/call "sl*";
        mcp_deny prompts/get;
    }
    location /mcp/guarded {
        mcp_pass open;
        mcp_deny tools/call sleep;
    }
    location /mcp/relay { mcp_pass open; }
}
CONF
mg_start

V=2026-07-28
META="\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"$V\",\"io.modelcontextprotocol/clientCapabilities\":{}}"
# post PATH [curl args]: the answer in $MG_TMP/out.json, the status printed
post() {
	local path=$1
	shift
	curl -sS --max-time 10 -o "$MG_TMP/out.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' "$@" "http://127.0.0.1:$MG_PORT$path"
}
# call2026 PATH ID NAME-HEADER NAME: tools/call NAME with Mcp-Name NAME-HEADER
call2026() {
	post "$1" -H "MCP-Protocol-Version: $V" -H 'Mcp-Method: tools/call' -H "Mcp-Name: $3" \
		--data-binary "{\"jsonrpc\":\"2.0\",\"id\":$2,\"method\":\"tools/call\",\"params\":{\"name\":\"$4\",\"arguments\":{\"ms\":1,\"message\":\"m\"},$META}}"
}
refused() {
	grep -q "\"id\":$1,\"error\":{\"code\":-32003,\"message\":\"Forbidden: $2 is not allowed here\"}" "$MG_TMP/out.json"
}

for p in /mcp/demo /mcp/guarded; do
	[ "$(call2026 $p 3 sleep sleep)" = 403 ] && refused 3 "tools/call sleep" ||
		fail "2026-07-28 tools/call sleep at $p: $(cat "$MG_TMP/out.json")"
	[ "$(call2026 $p 4 '=?base64?c2xlZXA=?=' sleep)" = 403 ] && refused 4 "tools/call sleep" ||
		fail "2026-07-28 tools/call with a Base64 Mcp-Name at $p: $(cat "$MG_TMP/out.json")"
	[ "$(call2026 $p 5 echo echo)" = 200 ] && grep -q '"text":"echo: m"' "$MG_TMP/out.json" ||
		fail "2026-07-28 tools/call echo at $p: $(cat "$MG_TMP/out.json")"
	[ "$(call2026 $p 6 echo sleep)" = 400 ] && grep -q '"code":-32020' "$MG_TMP/out.json" ||
		fail "2026-07-28 Mcp-Name echo over a body calling sleep at $p: $(cat "$MG_TMP/out.json")"
done
ok "2026-07-28: refused on the headers (403, -32003, the request's id), a Base64 name too; allowed calls answered; a header that hides the body's call is -32020"

grep -q '/mcp/demo: tools/call sleep refused by mcp_deny in .*mcpgw.conf:11' "$MG_TMP/error.log" ||
	fail "the error log does not name the rule: $(grep mcp_deny "$MG_TMP/error.log")"
# the upstream (/mcp/open) saw the allowed call only
[ "$(awk '$4 == "/mcp/open" && $7 == "tools/call"' "$MG_TMP/access.log" | awk '{print $8}' | tr '\n' ' ')" = "echo " ] ||
	fail "the upstream saw: $(awk '$4 == "/mcp/open"' "$MG_TMP/access.log")"
awk '$4 == "/mcp/guarded" && $9 == 403 && $10 == -32003 && $8 == "sleep"' "$MG_TMP/access.log" | grep -q . ||
	fail "the access log does not show the refusal: $(cat "$MG_TMP/access.log")"
ok "a refused call never reached the upstream; the access log shows 403 -32003, the error log the rule's file and line"

# 2025-11-25, with a session
init() {
	curl -sS --max-time 10 -D "$MG_TMP/h" -o /dev/null -X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' \
		--data-binary '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
		"http://127.0.0.1:$MG_PORT$1"
	tr -d '\r' < "$MG_TMP/h" | awk -F': ' 'tolower($1) == "mcp-session-id" {print $2}'
}
for p in /mcp/demo /mcp/guarded; do
	SID=$(init $p)
	[ -n "$SID" ] || fail "initialize at $p"
	[ "$(post $p -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25' \
		--data-binary '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":1}}}')" = 403 ] &&
		refused 7 "tools/call sleep" || fail "2025-11-25 tools/call sleep at $p: $(cat "$MG_TMP/out.json")"
	[ "$(post $p -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25' \
		--data-binary '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo","arguments":{"message":"y"}}}')" = 200 ] &&
		grep -q '"text":"echo: y"' "$MG_TMP/out.json" || fail "2025-11-25 tools/call echo at $p: $(cat "$MG_TMP/out.json")"
done
SID=$(init /mcp/demo)
[ "$(post /mcp/demo -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-03-26' \
	--data-binary '[{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"message":"y"}}},{"jsonrpc":"2.0","id":10,"method":"prompts/get","params":{"name":"p"}}]')" = 403 ] &&
	refused 10 "prompts/get p" || fail "a 2025-03-26 batch with a refused request: $(cat "$MG_TMP/out.json")"
ok "2025 revisions: refused on the body (403, -32003), allowed calls answered, a batch with a refused request refused whole"

# Issue 16: a member name twice.  json-c keeps the last "name" (echo), an
# upstream that keeps the first would run sleep.  Refused before policy,
# 400 and -32600 naming the member, with the request's id: on the built-in
# server with mcp_deny, on the proxy route with mcp_deny, and on the proxy
# route without it (where a plain request takes the fast path, mg_rpc_peek,
# which before took a name twice below params and relayed it as it came).
upstream_calls() {
	awk '$4 == "/mcp/open" && $7 == "tools/call"' "$MG_TMP/access.log" | wc -l
}
# twice ID NAME: the answer refuses the request ID for NAME twice
twice() {
	grep -q "\"id\":$1,\"error\":{\"code\":-32600,\"message\":\"Invalid Request: duplicate member \\\\\"$2\\\\\"\"}" \
		"$MG_TMP/out.json"
}
calls=$(upstream_calls)
for p in /mcp/demo /mcp/guarded /mcp/relay; do
	SID=$(init $p)
	[ -n "$SID" ] || fail "initialize at $p"
	[ "$(post $p -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25' \
		--data-binary '{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"sleep","name":"echo","arguments":{"ms":1,"message":"d"}}}')" = 400 ] &&
		twice 11 name || fail "2025-11-25 tools/call with \"name\" twice at $p: $(cat "$MG_TMP/out.json")"
	# the same name, escaped
	[ "$(post $p -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25' \
		--data-binary '{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"sleep","na\u006de":"echo","arguments":{"ms":1,"message":"d"}}}')" = 400 ] &&
		twice 12 name || fail "2025-11-25 tools/call with \"name\" twice, once escaped, at $p: $(cat "$MG_TMP/out.json")"
	# deeper, in the arguments
	[ "$(post $p -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25' \
		--data-binary '{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"echo","arguments":{"message":"a","message":"b"}}}')" = 400 ] &&
		twice 13 message || fail "2025-11-25 tools/call with \"message\" twice in its arguments at $p: $(cat "$MG_TMP/out.json")"
done
for p in /mcp/guarded /mcp/relay; do
	# 2026-07-28: Mcp-Name echo matches the body's last name, not its first
	[ "$(post $p -H "MCP-Protocol-Version: $V" -H 'Mcp-Method: tools/call' -H 'Mcp-Name: echo' \
		--data-binary "{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"tools/call\",\"params\":{\"name\":\"sleep\",\"name\":\"echo\",\"arguments\":{\"ms\":1,\"message\":\"d\"},$META}}")" = 400 ] &&
		twice 14 name || fail "2026-07-28 tools/call with \"name\" twice at $p: $(cat "$MG_TMP/out.json")"
done
[ "$(upstream_calls)" = "$calls" ] ||
	fail "the upstream saw a call with a name twice: $(awk '$4 == "/mcp/open"' "$MG_TMP/access.log" | tail -n 4)"
for p in "/mcp/demo 3" "/mcp/guarded 4" "/mcp/relay 4"; do
	set -- $p
	[ "$(awk -v p=$1 '$4 == p && $6 == "POST" && $9 == 400 && $10 == -32600' "$MG_TMP/access.log" | wc -l)" = $2 ] ||
		fail "the access log does not show the $2 refusals at $1: $(grep " $1 " "$MG_TMP/access.log" | tail -n 4)"
done
ok "a member name twice (escaped or not, either era): 400, -32600 naming it, with the id, on every route; never relayed"
mg_done
