#!/usr/bin/env bash
# The bridge for stdio upstreams: 2026-07-28 clients on a route to a stdio
# server that mcpgw speaks to as a 2025 session (one process for all such
# clients).  The server is the SDK v2 server's fixtures
# (tests/era/upstream_v2.mjs --stdio, pinned to 2025-11-25 by the
# bridge's initialize); its control is the same fixtures over HTTP
# (upstream_v2.mjs PORT --legacy=session), directly.
#  - the conformance runner 0.2.0-alpha --requirements 2026-07-28 against
#    both: every check that succeeds directly succeeds through the stdio
#    route, but the HTTP bridge's gaps to the same server
#    (tests/era/bridge_gaps.txt: each must still fail so, and is in
#    docs/conformance.md);
#  - the SDK v2 client (tests/era/sdk_v2_client.mjs: server/discover,
#    tools/list, calls, progress) through the stdio route;
#  - two calls at once with the same progressToken (two clients may
#    choose the same): each hears its own progress, with its token;
#  - the bridge's process killed (SIGKILL) during a call: the call ends
#    with a JSON-RPC error within 2 s, the next request starts another
#    process and is answered;
#  - no worker or connector died.
# Needs tests/era/node_modules (npm ci --prefix tests/era).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup

. "$(dirname "$0")/era_lib.sh"
era_need_modules

# the server runs as the children do ("user", nobody under root)
chmod 755 "$MG_TMP"
abs() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }
NODE=$(abs "$ERA_NODE22")
SERVER=$(abs "$ERA_SCRIPTS/upstream_v2.mjs")

start_v2 session
MG_PORT=$(free_port)
px_conf 2 "upstream v2s { command $NODE $SERVER --stdio; }" "
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/v2s { mcp_pass v2s; }
}"
mg_start
URL=http://localhost:$MG_PORT/mcp/v2s
echo "# conformance $("$ERA_NODE22" "$ERA_CONFORMANCE" --version), Node $("$ERA_NODE22" --version)"

# bridge_pids: the connector's stdio servers (the bridge's process)
bridge_pids() {
	local c
	c=$(mg_role_pids "$MG_MASTER" connector)
	[ -z "$c" ] || pgrep -P "$c" || true
}

# ---- the conformance runner, directly and through the stdio route -------------
REV=2026-07-28
"$ERA_NODE22" "$ERA_CONFORMANCE" list --requirements $REV --server > "$MG_TMP/list.txt" 2>&1 ||
	fail "conformance list --requirements $REV failed: $(cat "$MG_TMP/list.txt")"
# run WHERE URL: the runner's output in $MG_TMP/out-WHERE(.txt)
run() {
	local rc=0 out=$MG_TMP/out-$1
	(cd "$MG_TMP" && timeout -k 5 300 "$ERA_NODE22" "$ERA_CONFORMANCE" server \
		--url "$2" --requirements $REV -o "$out") > "$out.txt" 2>&1 || rc=$?
	echo "--- $1: conformance server --url $2 --requirements $REV (exit $rc): $(grep '^Total:' "$out.txt")"
	case $rc in
	0 | 1) ;;
	*) fail "the conformance runner exited $rc: $(tail -n 20 "$out.txt")" ;;
	esac
}
# what the HTTP bridge to the same server loses, and no more
GAPS=$ERA_DIR/bridge_gaps.txt
run direct "http://localhost:$V2_PORT/mcp"
run stdio "$URL"
PX_RC=0
timeout -k 5 60 "$ERA_NODE22" "$CHECK" gaps "$MG_TMP/list.txt" "$MG_TMP/out-direct" "$MG_TMP/out-stdio" \
	stdio-bridge "$GAPS" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
px_report "conformance_check.mjs gaps (stdio-bridge)"
doc=$MG_SRCDIR/docs/conformance.md
for check in $(grep -v '^#' "$GAPS" | cut -d'|' -f2); do
	grep -qF -- "$check" "$doc" || check_failed "the gap $check is not explained in docs/conformance.md"
done
ok "docs/conformance.md explains each gap"

# ---- the SDK v2 client --------------------------------------------------------------
PX_RC=0
timeout -k 5 60 "$ERA_NODE22" "$ERA_SCRIPTS/sdk_v2_client.mjs" "$URL" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
px_report "sdk_v2_client.mjs through the stdio route"

# ---- two clients, one progressToken ---------------------------------------------
# call OUT NAME ARGS [TOKEN]: a 2026-07-28 tools/call (id 9) with curl
call() {
	local meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"progressToken":"'${4:-p1}'"}'
	curl -sS -N --max-time 20 -o "$MG_TMP/$1.out" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H "Mcp-Name: $2" \
		--data-binary "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"$2\",\"arguments\":$3,$meta}}" "$URL"
}
# the process has one stdout for both: each must hear its own progress only
call pa progress '{"steps":20}' same > /dev/null &
A=$!
call pb progress '{"steps":30}' same > /dev/null &
wait $A $!
na=$(grep -c '"progressToken":"same","progress":[0-9]*,"total":20}' "$MG_TMP/pa.out")
nb=$(grep -c '"progressToken":"same","progress":[0-9]*,"total":30}' "$MG_TMP/pb.out")
if [ "$na" = 20 ] && [ "$nb" = 30 ] && ! grep -q '"total":30' "$MG_TMP/pa.out" && ! grep -q '"total":20' "$MG_TMP/pb.out" &&
	grep -qF '"text":"progress: 20 steps"' "$MG_TMP/pa.out" && grep -qF '"text":"progress: 30 steps"' "$MG_TMP/pb.out"; then
	ok "two calls at once with the same progressToken: 20 and 30 progress notifications, each on its own stream, with its token"
else
	check_failed "two calls with one progressToken: $na of 20, $nb of 30: $(tail -c 300 "$MG_TMP/pa.out") | $(tail -c 300 "$MG_TMP/pb.out")"
fi

# ---- the bridge's process killed during a call -----------------------------------
before=$(bridge_pids)
[ "$(mg_count "$before")" = 1 ] || fail "one process of the bridge should run: '$before'"
call long progress '{"steps":2000}' > "$MG_TMP/long.code" &
CALL=$!
mg_wait 5 "grep -q notifications/progress '$MG_TMP/long.out' 2> /dev/null" ||
	fail "the long call sent no progress: $(cat "$MG_TMP/long.out" 2> /dev/null)"
kill -KILL "$before"
t0=$(date +%s%N)
wait "$CALL"
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$ms" -lt 2000 ] && grep -qE '"id":9,"error":\{"code":-32000,"message":"stdio upstream \\"[a-z0-9_-]+\\" \(pid [0-9]+\) stopped: (it closed its stdout|exited on signal 9)' "$MG_TMP/long.out"; then
	ok "the bridge's process SIGKILLed during a call: a JSON-RPC error after $ms ms: $(grep -o '"error":{[^}]*}' "$MG_TMP/long.out")"
else
	check_failed "the call after SIGKILL ($ms ms): $(cat "$MG_TMP/long.code") $(tail -c 600 "$MG_TMP/long.out")"
fi
code=$(call echo echo '{"message":"again"}')
after=$(bridge_pids)
if [ "$code" = 200 ] && grep -qF '"text":"echo: again"' "$MG_TMP/echo.out" && [ -n "$after" ] && [ "$after" != "$before" ]; then
	ok "the next request started another process ($after, was $before) and was answered"
else
	check_failed "the request after SIGKILL: $code $(cat "$MG_TMP/echo.out") (processes: '$after', was $before)"
fi

grep -E 'exited on signal|exited with code [1-9]' "$MG_TMP/error.log" | grep -E 'master: (worker|connector) process' > "$MG_TMP/died" || true
[ ! -s "$MG_TMP/died" ] && ok "no worker or connector died" || check_failed "a process of the gateway died: $(cat "$MG_TMP/died")"
px_done
