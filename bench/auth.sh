#!/usr/bin/env bash
# bench/auth.sh: what auth_jwt costs a call, in CPU time.
#
#   bench/auth.sh
#
# One mcpgw (worker_processes 1) serves the built-in demo server twice: at
# /mcp/demo without authentication and at /mcp/auth behind auth_jwt (the
# example key set of conf/examples/, an RS256 token from
# auth-example-token.sh sent on every call); a second mcpgw, with
# auth_token_cache 0, serves /mcp/auth again, so that every call verifies
# the token's signature (what the first call with a new token costs).
# A fourth figure sends the same token to /mcp/demo, which ignores it:
# against it, the cached token's figure is the check alone, without the
# cost of receiving 600 more bytes of header.
# wrk sends tools/call echo on one session per route (every answer
# checked by bench/mcp_echo.lua) at 1 and at 50 connections, BENCH_RUNS
# runs interleaved, BENCH_SECONDS each; the figure is the CPU time
# (utime + stime from /proc) of the daemon's processes per call, median of
# the runs, and the cached and uncached costs relative to no
# authentication.  bench/instructions.sh --auth counts user-space
# instructions of the same calls, which do not move with the machine's
# load as CPU time does.
#
# Environment: MCPGW (default build/dev/src/mcpgw), MGTEST (free ports),
# BENCH_RUNS (5), BENCH_SECONDS (5), BENCH_KEEP=1 (keep the directory).
# Exit status 1 when an answer was wrong or a tool is missing.
set -u -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
lua=$top/bench/mcp_echo.lua
RUNS=${BENCH_RUNS:-5} SECS=${BENCH_SECONDS:-5}
MCPGW=${MCPGW:-$top/build/dev/src/mcpgw}
: "${MGTEST:=$top/build/dev/tests/mgtest}"
die() {
	echo "bench/auth: $*" >&2
	exit 1
}
[ -x "$MCPGW" ] || die "no mcpgw binary at $MCPGW (MCPGW=path)"
for t in wrk curl; do command -v $t > /dev/null || die "$t is missing (apt-get install $t)"; done
CLK_TCK=$(getconf CLK_TCK)

T=$(mktemp -d /tmp/mcpgw-bauth.XXXXXX) || die "mktemp failed"
M1='' M2=''
cleanup() {
	local rc=$? m
	for m in $M1 $M2; do
		kill -TERM "$m" 2> /dev/null
		for _ in $(seq 50); do kill -0 "$m" 2> /dev/null || break; sleep 0.1; done
		kill -KILL "$m" 2> /dev/null
	done
	[ "${BENCH_KEEP:-0}" = 1 ] && echo "bench/auth: kept $T" || rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -x "$MGTEST" ]; then read -r P1 P2 <<< "$("$MGTEST" freeport 2 | tr '\n' ' ')"; else
	P1=$((20000 + RANDOM % 20000)) P2=$((P1 + 1)); fi
conf() { # PORT NAME [main lines]
	cat > "$T/$2.conf" << CONF
worker_processes 1;
pid $T/$2.pid;
error_log $T/$2.log warn;
${3:-}
server {
    listen 127.0.0.1:$1;
    location /mcp/demo { mcp_builtin demo; }
    location /mcp/auth {
        mcp_builtin demo;
        auth_jwt {
            issuer https://auth.example.com/;
            jwks_file $top/conf/examples/auth-example-jwks.json;
            scope mcp:tools;
        }
    }
}
CONF
}
conf "$P1" cached
conf "$P2" nocache "auth_token_cache 0;"
start() { # NAME
	"$MCPGW" -F -c "$T/$1.conf" > "$T/$1.out" 2>&1 &
	echo $!
}
M1=$(start cached)
M2=$(start nocache)
for p in "$P1" "$P2"; do
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$p/mcp/demo" && break; sleep 0.1; done
done

# the daemon's processes: the master and its children
procs() { echo "$1 $(pgrep -P "$1" | tr '\n' ' ')"; }
ticks() { # PIDS...
	local p stat f sum=0
	for p in "$@"; do
		read -r stat 2> /dev/null < "/proc/$p/stat" || continue
		stat=${stat##*) }
		read -r -a f <<< "$stat"
		sum=$((sum + f[11] + f[12]))
	done
	echo $sum
}
mcp_curl() {
	curl -s --max-time 10 "$@" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream'
}
declare -A URL TOK SID MASTER
URL[none]=http://127.0.0.1:$P1/mcp/demo MASTER[none]=$M1 TOK[none]=
URL[ignored]=http://127.0.0.1:$P1/mcp/demo MASTER[ignored]=$M1
URL[cached]=http://127.0.0.1:$P1/mcp/auth MASTER[cached]=$M1
URL[nocache]=http://127.0.0.1:$P2/mcp/auth MASTER[nocache]=$M2
for c in cached nocache; do
	TOK[$c]=$(sh "$top/conf/examples/auth-example-token.sh" "${URL[$c]}" mcp:tools bench 86400) ||
		die "auth-example-token.sh failed"
done
TOK[ignored]=${TOK[cached]}
for c in none ignored cached nocache; do
	auth=()
	[ -n "${TOK[$c]}" ] && auth=(-H "Authorization: Bearer ${TOK[$c]}")
	SID[$c]=$(mcp_curl "${URL[$c]}" -D - -o /dev/null "${auth[@]}" \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}' |
		tr -d '\r' | sed -n 's/^mcp-session-id: //Ip')
	[ -n "${SID[$c]}" ] || die "initialize at ${URL[$c]} failed"
done

# one CONF CONNS: CPU microseconds per call of one run
one() {
	local c=$1 n=$2 pids t0 t1 out line req
	pids=$(procs "${MASTER[$c]}")
	t0=$(ticks $pids)
	out=$(wrk -t1 -c"$n" -d"${SECS}s" --timeout 10s -s "$lua" "${URL[$c]}" -- "${SID[$c]}" 2025-11-25 ${TOK[$c]} 2>&1)
	t1=$(ticks $pids)
	line=$(echo "$out" | grep '^BENCH ' | tail -n 1)
	echo "$line" | grep -q ' bad=0 .*connect=0 read=0 write=0 status=0 timeout=0' ||
		die "wrong answers in $c at $n: ${line:-$(echo "$out" | tail -n 3)}"
	req=$(echo "$line" | sed 's/.* requests=\([0-9]*\).*/\1/')
	awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v r="$req" 'BEGIN { printf "%.1f\n", t * 1e6 / hz / r }'
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "== $("$MCPGW" -V 2>&1 | head -n 1) ($MCPGW, tree $(git -C "$top" describe --always --dirty 2> /dev/null || echo ?))"
echo "== tools/call echo, $RUNS runs of ${SECS}s per figure, interleaved; CPU µs per call (median)"
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", (b - a) * 100 / a }'; }
printf '%-6s %9s %9s %9s %9s | %-9s %-9s %-9s\n' conns "no auth" "ignored" "cached" "no cache" \
	"cached" "no cache" "check"
for n in 1 50; do
	declare -A V=()
	for c in none ignored cached nocache; do one "$c" "$n" > /dev/null || exit 1; done # warm-up
	for r in $(seq "$RUNS"); do
		for c in none ignored cached nocache; do V[$c]="${V[$c]:-} $(one "$c" "$n")" || exit 1; done
	done
	a=$(echo "${V[none]}" | median) i=$(echo "${V[ignored]}" | median)
	b=$(echo "${V[cached]}" | median) d=$(echo "${V[nocache]}" | median)
	printf '%-6s %9s %9s %9s %9s | %-9s %-9s %-9s\n' "$n" "$a" "$i" "$b" "$d" \
		"$(pct "$a" "$b")" "$(pct "$a" "$d")" "$(pct "$i" "$b")"
	echo "       runs: none${V[none]}; ignored${V[ignored]}; cached${V[cached]}; no cache${V[nocache]}"
done
echo "(cached, no cache: against no auth; check: the cached token against the same bytes on a route that ignores them)"
