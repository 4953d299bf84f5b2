#!/usr/bin/env bash
# W3C trace context carried end to end (docs/observability.md, "Trace context"): a
# client's traceparent and tracestate, through mcpgw (and through mcpgw
# twice: a route whose upstream is another route of the same daemon), to
# an upstream written with the official SDK v2 whose hook records what
# every request carried (tests/era/trace_upstream.mjs):
#  - the trace id arrives unchanged, the parent-id is mcpgw's own (not
#    the client's, and another at each hop), the flags and the tracestate
#    are kept, also when it came as several fields;
#  - no traceparent: a fresh valid one, and the client's tracestate
#    dropped; an invalid one (uppercase, all-zero trace-id or parent-id,
#    too long for version 00, version ff, two of them) is treated as
#    absent; a later version (cc) is read and sent on as version 00;
#  - a federated route: every member gets the same trace id (tools/list to
#    both), the one reached through mcpgw again with a parent-id of its own;
#  - the GET stream and DELETE of a session carry it;
#  - 2026-07-28: params._meta carries the same traceparent and tracestate
#    as the headers (the revision reserves those keys); a client that sends
#    it only in _meta has its trace kept;
#    and a 2025 client's request over the reverse bridge to an upstream of
#    2026-07-28 has them in its _meta too;
#  - a built-in server's request with a traceparent is served as before.
# Needs tests/proxy/node_modules and tests/era/node_modules.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
px_need_modules
. "$(dirname "$0")/era_lib.sh"
era_need_modules
. "$(dirname "$0")/mcp_lib.sh"

MG_PORT=$(free_port)
UP_PORT=$(free_port)
mcp_init_files
"$ERA_NODE22" "$ERA_SCRIPTS/trace_upstream.mjs" "$UP_PORT" up > "$MG_TMP/up.log" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
disown $!
mg_wait 10 "grep -q '^listening $UP_PORT\$' '$MG_TMP/up.log'" ||
	fail "the upstream did not listen: $(cat "$MG_TMP/up.log")"

cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes 2;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log debug;
shutdown_timeout 5s;
upstream up { server http://127.0.0.1:$UP_PORT/mcp; }
upstream self { server http://127.0.0.1:$MG_PORT/mcp/up; }
upstream up26 { server http://127.0.0.1:$UP_PORT/mcp; protocol 2026-07-28; }
server {
    listen 127.0.0.1:$MG_PORT;
    location = /mcp/up { mcp_pass up; }
    location = /mcp/chain { mcp_pass self; }
    location = /mcp/fed { mcp_member up; mcp_member self; }
    location = /mcp/rev { mcp_pass up26; }
    location = /mcp/demo { mcp_builtin demo; }
}
CONF
"$MCPGW" -t -c "$MG_TMP/mcpgw.conf" > "$MG_TMP/t.out" 2>&1 || fail "mcpgw -t: $(cat "$MG_TMP/t.out")"
mg_start

T=0af7651916cd43dd8448eb211c80319c
P=b7ad6b7169203331
TP_RE='^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'

# session ROUTE: a 2025-11-25 session on /mcp/ROUTE; $SID
session() {
	URL=http://127.0.0.1:$MG_PORT/mcp/$1
	new_session 2025-11-25
}

# call TAG TOOL [CURL ARGS...]: tools/call TOOL {message: TAG} in the
# session, answered with "up: TAG"
call() {
	local tag=$1 tool=$2
	shift 2
	spost "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"$tool\",\"arguments\":{\"message\":\"$tag\"}}}" "$@"
	[ "$ST" = 200 ] && grep -q "up: $tag" "$B" || fail "tools/call $tag: $(what)"
}

# seen EXPR WHAT: the upstream's records (m, an array) satisfy EXPR
seen() {
	curl -sS --max-time 5 -o "$MG_TMP/seen.json" "http://127.0.0.1:$UP_PORT/seen" ||
		fail "$2: the upstream's records"
	jtrue "$1" "$MG_TMP/seen.json" ||
		fail "$2: the upstream saw $(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(JSON.stringify(s.slice(-4)))' "$MG_TMP/seen.json")"
}

# by TAG: the JS of the upstream's record of tools/call TAG
by() {
	echo "m.filter((r) => r.tag === '$1' && r.method === 'tools/call').pop()"
}

# The W3C grammar of what the upstream got, and its fields.
cat > "$MG_TMP/tp.js" <<'JS'
globalThis.tp = (v) => {
	const f = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(v ?? '');
	return f && !/^0+$/.test(f[1]) && !/^0+$/.test(f[2]) ? { trace: f[1], parent: f[2], flags: f[3] } : null;
};
JS
export NODE_OPTIONS="--require $MG_TMP/tp.js"

# 1. one hop: trace id and flags kept, our parent-id, tracestate kept
#    (two fields, spaces around members: one list)
session up
call one echo -H "traceparent: 00-$T-$P-01" -H 'tracestate: congo=t61rcWkgMzE, rojo=00f067aa0ba902b7' \
	-H 'TraceState: x@y=1'
seen "(r => tp(r.traceparent).trace === '$T' && tp(r.traceparent).parent !== '$P' &&
	tp(r.traceparent).flags === '01' && r.tracestate === 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,x@y=1' &&
	r.hops === '1')($(by one))" "one hop"
ok "one hop: the trace id, flags and tracestate kept, the parent-id mcpgw's own"
one_parent=$(node -e "console.log(tp(JSON.parse(require('fs').readFileSync('$MG_TMP/seen.json')).filter((r) => r.tag === 'one').pop().traceparent).parent)")

# the same call again: another span
call one-again echo -H "traceparent: 00-$T-$P-01"
seen "tp($(by one-again).traceparent).parent !== '$one_parent' && tp($(by one-again).traceparent).trace === '$T'" "span per request"
ok "each request has a span of its own"

# 2. two hops (mcpgw -> mcpgw -> upstream), flags 00 kept
session chain
call two echo -H "traceparent: 00-$T-$P-00" -H 'tracestate: congo=t61rcWkgMzE'
seen "(r => tp(r.traceparent).trace === '$T' && tp(r.traceparent).parent !== '$P' &&
	tp(r.traceparent).flags === '00' && r.tracestate === 'congo=t61rcWkgMzE' && r.hops === '2')($(by two))" "two hops"
ok "two hops: the trace id, flags 00 and tracestate arrive unchanged"

# 3. none: a fresh trace; a tracestate alone is dropped
session up
call none echo -H 'tracestate: foo=1'
seen "(r => tp(r.traceparent) !== null && tp(r.traceparent).flags === '00' &&
	r.tracestate === null)($(by none))" "no traceparent"
ok "no traceparent: a fresh valid one, no tracestate"

# 4. invalid values are treated as absent (each a new trace id)
bad=("00-${T^^}-$P-01" "00-00000000000000000000000000000000-$P-01" "00-$T-0000000000000000-01"
	"00-$T-$P-01-extra" "ff-$T-$P-01" "00-$T-$P" "00-${T}0-$P-01")
for i in "${!bad[@]}"; do
	call "bad$i" echo -H "traceparent: ${bad[$i]}" -H 'tracestate: foo=1'
	seen "(r => tp(r.traceparent) !== null && tp(r.traceparent).trace !== '$T' &&
		tp(r.traceparent).trace !== '${T^^}'.toLowerCase() && r.tracestate === null)($(by "bad$i"))" "invalid ${bad[$i]}"
done
call dup echo -H "traceparent: 00-$T-$P-01" -H "traceparent: 00-$T-$P-01"
seen "tp($(by dup).traceparent).trace !== '$T'" "two traceparent headers"
ok "invalid traceparents (uppercase, zeros, too long, ff, short, two of them) are absent"

# 5. a later version: its four fields read, sent on as 00
call future echo -H "traceparent: cc-$T-$P-01-what-the-future-will-be-like"
seen "(r => tp(r.traceparent).trace === '$T' && tp(r.traceparent).flags === '01')($(by future))" "version cc"
ok "a later version (cc) keeps its trace id, sent as version 00"

# 6. a federated route: tools/list to both members (one reached through
#    mcpgw again), the same trace id, a parent-id per hop
session fed
T6=1234567890abcdef1234567890abcdef
spost '{"jsonrpc":"2.0","id":8,"method":"tools/list"}' -H "traceparent: 00-$T6-$P-01"
[ "$ST" = 200 ] && grep -q 'up__echo' "$B" && grep -q 'self__echo' "$B" || fail "federated tools/list: $(what)"
seen "(l => l.length === 2 && l.some((r) => r.hops === '1') && l.some((r) => r.hops === '2') &&
	new Set(l.map((r) => tp(r.traceparent).parent)).size === 2 && l.every((r) => tp(r.traceparent).parent !== '$P'))(
	m.filter((r) => r.method === 'tools/list' && tp(r.traceparent)?.trace === '$T6'))" "federated fan-out"
ok "federated: each member gets the trace id, with a parent-id per hop"
call fedcall self__echo -H "traceparent: 00-$T6-$P-01"
seen "(r => tp(r.traceparent).trace === '$T6' && r.hops === '2')($(by fedcall))" "federated routed call"
ok "federated: a routed call carries it"

# 7. a session's GET stream and DELETE
session up
T7=abcdef1234567890abcdef1234567890
curl -sS -o /dev/null --max-time 3 -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $SID" \
	-H "MCP-Protocol-Version: 2025-11-25" -H "traceparent: 00-$T7-$P-01" "$URL" 2> /dev/null
seen "m.some((r) => r.http === 'GET' && tp(r.traceparent)?.trace === '$T7')" "GET stream"
ok "a GET stream carries it"
T8=bbcdef1234567890abcdef1234567890
curl -sS -o /dev/null --max-time 5 -X DELETE -H "Mcp-Session-Id: $SID" \
	-H "MCP-Protocol-Version: 2025-11-25" -H "traceparent: 00-$T8-$P-01" "$URL"
seen "m.some((r) => r.http === 'DELETE' && tp(r.traceparent)?.trace === '$T8')" "DELETE"
ok "DELETE carries it"

# 8. 2026-07-28: _meta as the headers
post26() { # post26 ROUTE TAG META [CURL ARGS...]
	local route=$1 tag=$2 meta=$3
	shift 3
	URL=http://127.0.0.1:$MG_PORT/mcp/$route
	post "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"$tag\"},\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{}$meta}}}" \
		-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: echo' "$@"
	[ "$ST" = 200 ] && grep -q "up: $tag" "$B" || fail "2026-07-28 tools/call $tag: $(what)"
}
post26 up m1 '' -H "traceparent: 00-$T-$P-01" -H 'tracestate: a=1'
seen "(r => tp(r.traceparent).trace === '$T' && r.meta_traceparent === r.traceparent &&
	r.meta_tracestate === 'a=1' && r.tracestate === 'a=1')($(by m1))" "2026-07-28 _meta"
ok "2026-07-28: params._meta carries the traceparent and tracestate sent upstream"
post26 chain m2 ",\"traceparent\":\"00-$T6-$P-01\",\"tracestate\":\"b=2\""
seen "(r => tp(r.traceparent).trace === '$T6' && tp(r.traceparent).parent !== '$P' &&
	r.meta_traceparent === r.traceparent && r.meta_tracestate === 'b=2' && r.hops === '2')($(by m2))" "2026-07-28 _meta only"
ok "2026-07-28: a trace sent in _meta alone is kept through two hops"

# a 2025 client over the reverse bridge: the request upstream is of
# 2026-07-28, with the trace in its _meta
session rev
call rev echo -H "traceparent: 00-$T-$P-01" -H 'tracestate: c=3'
seen "(r => tp(r.traceparent).trace === '$T' && r.meta_traceparent === r.traceparent &&
	r.meta_tracestate === 'c=3')($(by rev))" "reverse bridge _meta"
ok "2025 over the reverse bridge: the 2026-07-28 request's _meta carries it"

# 9. a built-in server
URL=http://127.0.0.1:$MG_PORT/mcp/demo
new_session 2025-11-25
spost "$(echo_body 3 built)" -H "traceparent: 00-$T-$P-01"
expect 200 "$(echo_ok 3 "'built'")" "built-in with traceparent"
ok "a built-in server's request with a traceparent is served"

mg_alive "$MG_MASTER" || fail "the master died"
mg_done
