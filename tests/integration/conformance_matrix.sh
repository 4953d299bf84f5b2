#!/usr/bin/env bash
# The conformance matrix of the two eras (tests/era/matrix.sh): the runner
# 0.2.0-alpha with --requirements 2025-11-25 and 2026-07-28, directly
# against each upstream and through an mcpgw route to it, relayed and
# bridged, on HTTP and stdio upstreams. The rule: no check that passes
# directly fails through mcpgw, but the gaps listed, each with whose it is,
# in tests/integration/conformance_matrix.gaps. A gap not on the list fails
# the test, and so does a listed gap that is gone (remove its line, and
# regenerate docs/conformance.md with tests/era/matrix.sh --write). The
# table in docs/conformance.md must be the one measured.
# Needs tests/era/node_modules and tests/proxy/node_modules.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup

. "$(dirname "$0")/era_lib.sh"
era_need_modules
px_need_modules
# matrix.sh runs the scripts of both folders beside their node_modules
# (copies of them under make distcheck)
if [ "$ERA_SCRIPTS" != "$ERA_DIR" ]; then
	cp "$ERA_DIR/matrix_report.mjs" "$ERA_SCRIPTS/"
fi

W=$MG_TMP/matrix
rc=0
MCPGW=$MCPGW MATRIX_WORKDIR=$W MATRIX_ERA_DIR=$ERA_SCRIPTS MATRIX_PROXY_DIR=$PX_DIR \
	timeout -k 5 900 bash "$ERA_DIR/matrix.sh" "$MG_TMP/report.md" > "$MG_TMP/matrix.out" 2>&1 || rc=$?
sed 's/^/  | /' "$MG_TMP/matrix.out"
[ $rc = 0 ] || fail "tests/era/matrix.sh exited $rc"
ok "tests/era/matrix.sh ran the runner 16 times, directly and through mcpgw"

# every route gave the runner something to count
if grep -q '| no result |' "$MG_TMP/report.md"; then
	check_failed "a run through mcpgw has no result: $(grep '| no result |' "$MG_TMP/report.md")"
else
	ok "every run through mcpgw has the runner's checks"
fi

# the gaps, against the list
expected=$MG_TMP/gaps.expected
grep -P '^[A-Z]\t' "$MG_SRCDIR/tests/integration/conformance_matrix.gaps" | sort -u > "$expected"
sort -u "$W/gaps.txt" > "$MG_TMP/gaps.measured"
new=$(comm -13 "$expected" "$MG_TMP/gaps.measured")
gone=$(comm -23 "$expected" "$MG_TMP/gaps.measured")
if [ -n "$new" ]; then
	# each new gap in the runner's words (its row's section of the report)
	words=$(echo "$new" | while IFS=$'\t' read -r row scenario check; do
		awk -v h="#### $row:" 'index($0, h) == 1 { on = 1; next } /^#### / { on = 0 } on' "$MG_TMP/report.md" |
			grep -F "\`$scenario / $check" | head -n 1
	done)
	check_failed "checks that pass directly and not through mcpgw, not on the list (tests/integration/conformance_matrix.gaps):
$new
--- in the runner's words ---
$words"
fi
if [ -n "$gone" ]; then
	check_failed "listed gaps that now pass through mcpgw (remove them from tests/integration/conformance_matrix.gaps, and run tests/era/matrix.sh --write):
$gone"
fi
n=$(grep -c . "$MG_TMP/gaps.measured")
[ -n "$new$gone" ] ||
	ok "no check passes directly and fails through mcpgw but the $n listed ($(cut -f1 "$expected" | uniq -c | awk '{printf "%s%s %s", s, $2, $1; s=", "}'))"

# docs/conformance.md shows the table measured
table() { grep -E '^\| [A-Z] \|' "$1"; }
if diff <(table "$MG_SRCDIR/docs/conformance.md") <(table "$MG_TMP/report.md") > "$MG_TMP/table.diff"; then
	ok "docs/conformance.md has the table measured ($(table "$MG_TMP/report.md" | wc -l) rows)"
else
	check_failed "docs/conformance.md's table is not the one measured (run tests/era/matrix.sh --write):
$(cat "$MG_TMP/table.diff")"
fi

# the daemon stayed up (the stdio servers' ends are the connector's lines,
# 'upstream "stdio": ...'), and no sanitizer spoke
died=$(grep -E 'exited on signal|exited with code [1-9]' "$W/error.log" | grep -v 'upstream "stdio"')
if [ -n "$died" ]; then
	check_failed "a process of the gateway died: $died"
else
	ok "no process of the gateway died during the runs"
fi
if grep -lsE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$W"/*.log "$W"/*.out > /dev/null; then
	check_failed "sanitizer report: $(grep -hsE -A 20 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$W"/*.log "$W"/*.out | head -n 60)"
fi
px_done
