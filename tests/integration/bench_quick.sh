#!/usr/bin/env bash
# The benchmarks still work: bench/run.sh --quick (1 s per run, 1 run)
# and bench/streams.sh with 1,000 streams,
# against this build.  It checks every answer and fails on any wrong one,
# an error, or a process that died; timings are printed, never judged
# here (docs/benchmarks.md has the figures and how they were taken).
. "$(dirname "$0")/lib.sh"
mg_setup

command -v wrk > /dev/null || fail "wrk is not installed (apt-get install wrk)"
command -v nginx > /dev/null || [ -x /usr/sbin/nginx ] || fail "nginx is not installed (apt-get install nginx-light)"
MG_SRCDIR=${MG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
MCPGW=$MCPGW MGTEST=$MGTEST bash "$MG_SRCDIR/bench/run.sh" --quick > "$MG_TMP/bench.log" 2>&1
rc=$?
sed 's/^/    /' "$MG_TMP/bench.log" | tail -n 30
[ $rc = 0 ] || fail "bench/run.sh --quick exited $rc"
grep -q '^bench: OK: every answer checked and right, no process died' "$MG_TMP/bench.log" ||
	fail "bench/run.sh --quick did not report every answer right"
for c in '1 direct' '2 through mcpgw' '3 nginx'; do
	[ "$(grep -c "^$c" "$MG_TMP/bench.log")" = 2 ] || fail "no figures for $c at 1 and 50 connections"
done
ok "bench/run.sh --quick: every answer of the three configurations right, at 1 and 50 connections"

# and the GET streams benchmark, with 1,000 streams
BENCH_STREAMS=1000 MCPGW=$MCPGW bash "$MG_SRCDIR/bench/streams.sh" > "$MG_TMP/streams.log" 2>&1
rc=$?
sed 's/^/    /' "$MG_TMP/streams.log"
[ $rc = 0 ] && grep -q '^bench: OK' "$MG_TMP/streams.log" || fail "bench/streams.sh exited $rc"
grep -q '^client: STREAMS open=1000 failed=0' "$MG_TMP/streams.log" || fail "not every stream opened"
ok "bench/streams.sh: 1,000 GET streams open on 2 workers, memory figures printed"
mg_done
