#!/bin/bash
# SEP-2243's Mcp-Param-* headers over the bridge, with curl: a 2026-07-28
# client in front of the SDK v2 upstream speaking 2025-11-25 with
# sessions (tests/era/upstream_v2.mjs --legacy=session behind `protocol
# 2025-11-25`), whose tool test_header_param mirrors its argument
# "region" into Mcp-Param-Region (x-mcp-header).  The upstream has no
# such headers: the gateway checks them.
#
#  (a) the first request on a new bridge session is a tools/call with a
#      mismatched header: the connector fetched tools/list when the
#      session opened and held the call until it came: 400, -32020
#  (b) agreeing, Base64 and absent-argument forms pass; a missing
#      header, a different value, bad Base64 are 400, -32020; a tool
#      with no x-mcp-header argument needs no header
#  (c) notifications/tools/list_changed on a call's stream: tools/list
#      fetched again
# Needs tests/era/node_modules (npm ci --prefix tests/era).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup

. "$(dirname "$0")/era_lib.sh"
era_need_modules

start_v2 session
MG_PORT=$(free_port)
px_conf 1 "upstream v2legacy { server http://127.0.0.1:$V2_PORT/mcp; protocol 2025-11-25; }" "
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/b { mcp_pass v2legacy; }
}"
mg_start

V=2026-07-28
# call TOOL ARGS [HEADER...]: a tools/call; the answer in $MG_TMP/call.json,
# the HTTP status printed
call() {
	local tool=$1 args=$2 h=()
	shift 2
	for x in "$@"; do h+=(-H "$x"); done
	curl -sS --max-time 20 -o "$MG_TMP/call.json" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "MCP-Protocol-Version: $V" -H 'Mcp-Method: tools/call' -H "Mcp-Name: $tool" "${h[@]}" \
		--data-binary "{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"tools/call\",\"params\":{\"name\":\"$tool\",\"arguments\":$args,\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"$V\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}" \
		"http://127.0.0.1:$MG_PORT/mcp/b"
}
# answer: "STATUS CODE-OR-TEXT" of the last call
answer() {
	"$ERA_NODE22" -e "
const r=JSON.parse(require('fs').readFileSync('$MG_TMP/call.json','utf8'));
console.log(r.id + ' ' + (r.error ? r.error.code : r.result.content[0].text))"
}
# expect WHAT STATUS ANSWER TOOL ARGS [HEADER...]
expect() {
	local what=$1 want=$2 wanted=$3 st got
	shift 3
	st=$(call "$@")
	got=$(answer 2> /dev/null)
	[ "$st $got" = "$want $wanted" ] ||
		fail "$what: HTTP $st, $(cat "$MG_TMP/call.json"), not $want $wanted"
	ok "$what: HTTP $st, $got"
}
fetched() {
	grep -c 'tools with x-mcp-header parameters, for the Mcp-Param-\*' "$MG_TMP/error.log"
}

# (a)
expect "the first request of the session, a mismatched Mcp-Param-Region" \
	400 "41 -32020" test_header_param '{"region":"eu"}' 'Mcp-Param-Region: us'
[ "$(fetched)" = 1 ] || fail "tools/list was not fetched once before the call: $(fetched)"
grep -q 'upstream "v2legacy": 1 tools with x-mcp-header' "$MG_TMP/error.log" ||
	fail "the fetch did not find test_header_param: $(grep x-mcp-header "$MG_TMP/error.log")"
ok "the connector fetched the upstream's tools/list when the session opened (1 tool with x-mcp-header)"

# (b)
expect "an agreeing header" 200 "41 region=eu" test_header_param '{"region":"eu"}' 'Mcp-Param-Region: eu'
expect "spaces around it" 200 "41 region=eu" test_header_param '{"region":"eu"}' 'Mcp-Param-Region:   eu  '
expect "Base64" 200 "41 region=eu" test_header_param '{"region":"eu"}' 'Mcp-Param-Region: =?base64?ZXU=?='
expect "a missing header" 400 "41 -32020" test_header_param '{"region":"eu"}'
expect "Base64 without its padding" 400 "41 -32020" test_header_param '{"region":"eu"}' 'Mcp-Param-Region: =?base64?ZXU?='
expect "Base64 with characters outside its alphabet" 400 "41 -32020" \
	test_header_param '{"region":"eu"}' 'Mcp-Param-Region: =?base64?Z!XU=?='
expect "the header's name in lower case" 200 "41 region=eu" test_header_param '{"region":"eu"}' 'mcp-param-region: eu'
expect "a tool with no x-mcp-header argument" 200 "41 This is a simple text response for testing." \
	test_simple_text '{}'
call test_header_param '{"region":"eu"}' 'Mcp-Param-Region: us' > /dev/null
grep -q 'Mcp-Param-Region header does not match argument \\"region\\"' "$MG_TMP/call.json" ||
	fail "the error does not name the header and the argument: $(cat "$MG_TMP/call.json")"
ok "the error names the header and the argument"

# (c)
st=$(call trigger_tool_change_on_stream '{}')
[ "$st" = 200 ] || fail "trigger_tool_change_on_stream: HTTP $st: $(cat "$MG_TMP/call.json")"
mg_wait 10 '[ "$(fetched)" = 2 ]' ||
	fail "tools/list was not fetched again after notifications/tools/list_changed: $(fetched)"
ok "notifications/tools/list_changed on a call's stream: tools/list fetched again"
expect "after the new fetch, a mismatched header" 400 "41 -32020" \
	test_header_param '{"region":"eu"}' 'Mcp-Param-Region: us'

px_no_child_died || fail "a process of the gateway died: $(grep -E 'exited' "$MG_TMP/error.log")"
ok "no process of the gateway died"
mg_done
