#!/usr/bin/env bash
# The official MCP conformance runner 0.2.0-alpha (tests/era), with
# exactly what each revision requires:
#   conformance server --url URL --requirements 2025-11-25
#   conformance server --url URL --requirements 2026-07-28
# against the built-in server "everything" (the suite's fixtures, both
# eras on one path), and against a proxy route to it (2025 relayed with
# sessions; 2026-07-28 passed through after the connector's
# server/discover), and against a proxy route to an upstream written with
# the SDK v2 (tests/era/upstream_v2.mjs --legacy=session).  Every scored
# scenario must pass, none excluded; the runner's never-scored scenarios
# (extensions, pending) run too and their results are printed.
# Needs tests/era/node_modules (npm ci --prefix tests/era).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup

. "$(dirname "$0")/era_lib.sh"
era_need_modules

start_v2 session
MG_PORT=$(free_port)
px_conf 2 "upstream self { server http://127.0.0.1:$MG_PORT/mcp/everything; }
upstream v2 { server http://127.0.0.1:$V2_PORT/mcp; }" "
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/everything { mcp_builtin everything; }
    location /mcp/proxied { mcp_pass self; }
    location /mcp/v2 { mcp_pass v2; }
}"
mg_start
echo "# conformance $("$ERA_NODE22" "$ERA_CONFORMANCE" --version), Node $("$ERA_NODE22" --version)"

# run_requirements REV URL WHERE: every scored scenario passes
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
	timeout -k 5 60 "$ERA_NODE22" "$CHECK" all "$MG_TMP/list-$rev.txt" "$out.txt" \
		"$out" "$where $rev" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
	px_report "conformance_check.mjs all ($where, $rev)"
}

for rev in 2025-11-25 2026-07-28; do
	run_requirements "$rev" "http://localhost:$MG_PORT/mcp/everything" built-in
	# a proxy route to it: 2025 with sessions, 2026-07-28 passed through
	# after the connector's server/discover
	run_requirements "$rev" "http://localhost:$MG_PORT/mcp/proxied" proxied
	# a proxy route to an upstream written with the SDK v2, which serves
	# 2026-07-28, and the 2025 revisions with sessions
	run_requirements "$rev" "http://localhost:$MG_PORT/mcp/v2" sdk-v2
done
grep -q 'upstream "v2" speaks 2026-07-28' "$MG_TMP/error.log" ||
	fail "the connector did not find out that the SDK v2 upstream speaks 2026-07-28: $(grep -i discover "$MG_TMP/error.log")"
ok "the connector asked the SDK v2 upstream server/discover and found 2026-07-28"

px_no_child_died || fail "a process of the gateway died: $(grep -E 'exited on signal|exited with code' "$MG_TMP/error.log")"
ok "no process of the gateway died during the runs"
px_done
