#!/usr/bin/env bash
# The official MCP conformance runner 0.2.0-alpha (tests/era), with
# exactly what each revision requires:
#   conformance server --url URL --requirements 2025-11-25
#   conformance server --url URL --requirements 2026-07-28
# against the built-in server "everything" (the suite's fixtures, both
# eras on one path), against a federated route whose members are it
# (prefix off) and the demo server, and the SDK v1 upstream and the demo
# server (2026-07-28 over the bridge), and the SDK v2 upstream speaking
# only 2026-07-28 and the demo server (2025 over the reverse bridge), and
# against a proxy route to it (2025 relayed with
# sessions; 2026-07-28 passed through after the connector's
# server/discover), and against a proxy route to an upstream written with
# the SDK v2 (tests/era/upstream_v2.mjs --legacy=session), and over the
# bridges: to the SDK v1 upstream of tests/proxy (2025 only) for
# 2026-07-28, to the SDK v2 upstream speaking only 2026-07-28 for 2025;
# and over the bridge for 2026-07-28 to the SDK v2 upstream speaking
# 2025-11-25 with sessions (behind `protocol 2025-11-25`) and speaking
# only it (--legacy=only, found out by the connector), compared check by
# check with the same server's 2026-07-28 mode directly
# (tests/era/bridge_gaps.txt: what differs, and must).
# Every scored scenario must pass on every route, none excluded (a route
# may name scenarios not built yet: run_requirements' NOT-YET, which
# docs/conformance.md must list too; none is named now); the runner's
# never-scored scenarios (extensions, pending) run too and their results
# are printed.
# Needs tests/era/node_modules (npm ci --prefix tests/era).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup

. "$(dirname "$0")/era_lib.sh"
era_need_modules

start_v2 session
V2S_PORT=$V2_PORT
start_v2 reject
V2R_PORT=$V2_PORT
# the SDK v2 upstream speaking only 2025-11-25 (strict: it refuses a body
# whose _meta names 2026-07-28)
start_v2 only
V2O_PORT=$V2_PORT
px_need_modules
px_start_upstream
MG_PORT=$(free_port)
px_conf 2 "upstream self { server http://127.0.0.1:$MG_PORT/mcp/everything; }
upstream v2 { server http://127.0.0.1:$V2S_PORT/mcp; }
upstream v2only { server http://127.0.0.1:$V2R_PORT/mcp; protocol 2026-07-28; }
upstream v1 { server $UP_URL; }
upstream v2legacy { server http://127.0.0.1:$V2S_PORT/mcp; protocol 2025-11-25; }
upstream v2strict { server http://127.0.0.1:$V2O_PORT/mcp; }
upstream demo { server http://127.0.0.1:$MG_PORT/mcp/demo; }" "
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/everything { mcp_builtin everything; }
    location /mcp/proxied { mcp_pass self; }
    location /mcp/v2 { mcp_pass v2; }
    location /mcp/v1 { mcp_pass v1; }
    location /mcp/v2only { mcp_pass v2only; }
    location /mcp/v2legacy { mcp_pass v2legacy; }
    location /mcp/v2strict { mcp_pass v2strict; }
    location = /mcp/demo { mcp_builtin demo; }
    # federated: the suite's fixtures among another member's tools
    location = /mcp/federated {
        mcp_member demo;
        mcp_member self { prefix off; }
    }
    # federated over the bridge: the SDK v1 upstream (2025 only)
    location = /mcp/federated-v1 {
        mcp_member demo;
        mcp_member v1 { prefix off; }
    }
    # and over the reverse bridge: the SDK v2 upstream speaking only
    # 2026-07-28, to 2025 clients
    location = /mcp/federated-v2only {
        mcp_member demo;
        mcp_member v2only { prefix off; }
    }
}"
mg_start
echo "# conformance $("$ERA_NODE22" "$ERA_CONFORMANCE" --version), Node $("$ERA_NODE22" --version)"

# run_requirements REV URL WHERE [NOT-YET]: every scored scenario passes
# (but those of the list NOT-YET, which must fail for their reason)
run_requirements() {
	local rev=$1 URL=$2 where=$3 rc=0 out=$MG_TMP/out-$3-$1
	"$ERA_NODE22" "$ERA_CONFORMANCE" list --requirements "$rev" --server > "$MG_TMP/list-$rev.txt" 2>&1 ||
		fail "conformance list --requirements $rev failed: $(cat "$MG_TMP/list-$rev.txt")"
	(cd "$MG_TMP" && timeout -k 5 300 "$ERA_NODE22" "$ERA_CONFORMANCE" server \
		--url "$URL" --requirements "$rev" -o "$out") > "$out.txt" 2>&1 || rc=$?
	echo "--- $where: conformance server --url $URL --requirements $rev (exit $rc) ---"
	sed -n '/=== SUMMARY ===/,$p' "$out.txt" | sed 's/^/  | /'
	[ "$rc" != 124 ] && [ "$rc" != 137 ] || fail "the conformance runner did not finish within 300 s"
	case $rc in
	0 | 1) ;;
	*) fail "the conformance runner exited $rc: $(tail -n 20 "$out.txt")" ;;
	esac
	PX_RC=0
	if [ -n "${4:-}" ]; then
		timeout -k 5 60 "$ERA_NODE22" "$CHECK" except "$MG_TMP/list-$rev.txt" "$out.txt" \
			"$out" "$where $rev" "$4" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
	else
		timeout -k 5 60 "$ERA_NODE22" "$CHECK" all "$MG_TMP/list-$rev.txt" "$out.txt" \
			"$out" "$where $rev" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
	fi
	px_report "conformance_check.mjs ($where, $rev)"
}

for rev in 2025-11-25 2026-07-28; do
	run_requirements "$rev" "http://localhost:$MG_PORT/mcp/everything" built-in
	# a proxy route to it: 2025 with sessions, 2026-07-28 passed through
	# after the connector's server/discover
	run_requirements "$rev" "http://localhost:$MG_PORT/mcp/proxied" proxied
	# a proxy route to an upstream written with the SDK v2, which serves
	# 2026-07-28, and the 2025 revisions with sessions
	run_requirements "$rev" "http://localhost:$MG_PORT/mcp/v2" sdk-v2
	# a federated route whose members are the built-in everything server
	# (prefix off) and the demo server (demo__echo, ...)
	run_requirements "$rev" "http://localhost:$MG_PORT/mcp/federated" federated
done
# a proxy route to an upstream written with the SDK v1 (2025 only): 2025
# relayed with sessions; 2026-07-28 over the bridge
run_requirements 2025-11-25 "http://localhost:$MG_PORT/mcp/v1" sdk-v1
# 2026-07-28 over the bridge: the upstream's requests to the client become
# input_required results (the SDK v1 upstream names their keys in
# _meta["mcpgw/inputKey"]), a failure after a refused capability -32021
run_requirements 2026-07-28 "http://localhost:$MG_PORT/mcp/v1" sdk-v1-bridge
# the same through a federated route: each member in its own era
run_requirements 2025-11-25 "http://localhost:$MG_PORT/mcp/federated-v1" federated-sdk-v1
run_requirements 2026-07-28 "http://localhost:$MG_PORT/mcp/federated-v1" federated-sdk-v1-bridge
run_requirements 2025-11-25 "http://localhost:$MG_PORT/mcp/federated-v2only" federated-sdk-v2-bridge
# a proxy route to the SDK v2 upstream that speaks only 2026-07-28: 2025
# clients over the bridge, 2026-07-28 relayed
run_requirements 2025-11-25 "http://localhost:$MG_PORT/mcp/v2only" sdk-v2-bridge
run_requirements 2026-07-28 "http://localhost:$MG_PORT/mcp/v2only" sdk-v2-only
# 2026-07-28 over the bridge to the SDK v2 upstream speaking 2025-11-25:
# every check that succeeds against the same server's 2026-07-28 mode
# directly succeeds through the bridge, but the gaps tests/era/
# bridge_gaps.txt lists (and docs/conformance.md explains)
run_bridge_parity() {
	local URL=$1 where=$2 rc=0 out=$MG_TMP/out-$2 control=$MG_TMP/out-sdk-v2-direct
	if [ ! -d "$control" ]; then
		(cd "$MG_TMP" && timeout -k 5 300 "$ERA_NODE22" "$ERA_CONFORMANCE" server \
			--url "http://localhost:$V2S_PORT/mcp" --requirements 2026-07-28 -o "$control") > "$control.txt" 2>&1 || true
		echo "--- sdk-v2 directly (the control): $(grep -E '^Total:' "$control.txt")"
	fi
	(cd "$MG_TMP" && timeout -k 5 300 "$ERA_NODE22" "$ERA_CONFORMANCE" server \
		--url "$URL" --requirements 2026-07-28 -o "$out") > "$out.txt" 2>&1 || rc=$?
	echo "--- $where: conformance server --url $URL --requirements 2026-07-28 (exit $rc): $(grep -E '^Total:' "$out.txt")"
	case $rc in
	0 | 1) ;;
	*) fail "the conformance runner exited $rc: $(tail -n 20 "$out.txt")" ;;
	esac
	PX_RC=0
	timeout -k 5 60 "$ERA_NODE22" "$CHECK" gaps "$MG_TMP/list-2026-07-28.txt" "$control" "$out" \
		"$where" "$ERA_DIR/bridge_gaps.txt" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
	px_report "conformance_check.mjs gaps ($where)"
}
run_bridge_parity "http://localhost:$MG_PORT/mcp/v2legacy" sdk-v2-session-bridge
run_bridge_parity "http://localhost:$MG_PORT/mcp/v2strict" sdk-v2-strict-bridge
grep -q 'upstream "v2strict" speaks the 2025 revisions only' "$MG_TMP/error.log" ||
	fail "the connector did not find out that the strict upstream speaks only 2025: $(grep -i v2strict "$MG_TMP/error.log")"
ok "the connector found out that the strict upstream speaks only the 2025 revisions"
# a list change the 2025 upstream sends on a call's own stream reaches the
# open subscriptions/listen that asked for it, not the call's answer
META='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}'
post26() { # METHOD BODY OUT [curl options]
	local method=$1 body=$2 out=$3
	shift 3
	curl -sS -N -o "$out" -X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H "MCP-Protocol-Version: 2026-07-28" \
		-H "Mcp-Method: $method" "$@" --data-binary "$body" "http://localhost:$MG_PORT/mcp/v2strict" 2> /dev/null || true
}
post26 subscriptions/listen "{\"jsonrpc\":\"2.0\",\"id\":\"L1\",\"method\":\"subscriptions/listen\",\"params\":{\"notifications\":{\"toolsListChanged\":true},$META}}" \
	"$MG_TMP/listen.txt" --max-time 3 &
LISTEN=$!
for i in $(seq 1 40); do grep -q acknowledged "$MG_TMP/listen.txt" 2> /dev/null && break; sleep 0.05; done
post26 tools/call "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"trigger_tool_change_on_stream\",\"arguments\":{},$META}}" \
	"$MG_TMP/call.txt" -H "Mcp-Name: trigger_tool_change_on_stream" --max-time 5
wait "$LISTEN" || true
grep -q '"method":"notifications/tools/list_changed".*"io.modelcontextprotocol/subscriptionId":"L1"' "$MG_TMP/listen.txt" ||
	fail "the list change sent on the call's stream did not reach the listen: $(cat "$MG_TMP/listen.txt") / the call: $(cat "$MG_TMP/call.txt")"
grep -q 'tools/list_changed sent' "$MG_TMP/call.txt" && ! grep -q 'notifications/tools/list_changed' "$MG_TMP/call.txt" ||
	fail "the call's answer over the bridge: $(cat "$MG_TMP/call.txt")"
ok "over the bridge, a list change the 2025 upstream sends on a call's stream reaches the open subscriptions/listen (with its subscriptionId), not the call's answer"

grep -q 'upstream "v2" speaks 2026-07-28' "$MG_TMP/error.log" ||
	fail "the connector did not find out that the SDK v2 upstream speaks 2026-07-28: $(grep -i discover "$MG_TMP/error.log")"
ok "the connector asked the SDK v2 upstream server/discover and found 2026-07-28"

px_no_child_died || fail "a process of the gateway died: $(grep -E 'exited on signal|exited with code' "$MG_TMP/error.log")"
ok "no process of the gateway died during the runs"
px_done
