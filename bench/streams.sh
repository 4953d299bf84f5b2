#!/usr/bin/env bash
# bench/streams.sh: memory of open GET streams.  Starts mcpgw with 2
# workers on a free loopback port, opens BENCH_STREAMS (default 10000)
# GET streams of the built-in demo server (100 sessions), and prints the
# RSS and private memory (RssAnon) of every mcpgw process before, while
# they are all open, and after they closed, with the cost per stream.
#
#   bench/streams.sh            10,000 streams
#   BENCH_STREAMS=2000 bench/streams.sh
#
# Needs node (>= 18) and mcpgw (MCPGW, default build/dev/src/mcpgw).  The
# open-file limit must allow the streams (ulimit -n; both the daemon and
# node hold one descriptor per stream).  Exit status 1 if a stream failed
# to open or a process died.
set -u -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_STREAMS:-10000}
MCPGW=${MCPGW:-$top/build/dev/src/mcpgw}
[ -x "$MCPGW" ] || { echo "bench: no mcpgw at $MCPGW (make -C build/dev)" >&2; exit 1; }
command -v node > /dev/null || { echo "bench: node is needed" >&2; exit 1; }
need=$((N + 200))
[ "$(ulimit -n)" -ge "$need" ] || ulimit -n "$need" 2> /dev/null ||
	{ echo "bench: ulimit -n is $(ulimit -n); $need descriptors are needed" >&2; exit 1; }

tmp=$(mktemp -d /tmp/mcpgw-streams.XXXXXX)
master=
cleanup() {
	[ -n "$master" ] && kill -TERM "$master" 2> /dev/null
	sleep 0.5
	[ -n "$master" ] && pkill -KILL -f "$tmp/mcpgw" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port=$(( (RANDOM % 20000) + 30000 ))
while grep -qi ":$(printf '%04X' "$port") " /proc/net/tcp 2> /dev/null; do port=$((port + 1)); done
cp "$MCPGW" "$tmp/mcpgw"
cat > "$tmp/mcpgw.conf" <<CONF
worker_processes 2;
worker_connections $((N + 100));
connections_per_address off;
pid $tmp/mcpgw.pid;
error_log $tmp/error.log info;
server {
    listen 127.0.0.1:$port;
    location /mcp { mcp_builtin demo; }
}
CONF
"$tmp/mcpgw" -F -c "$tmp/mcpgw.conf" > "$tmp/stdout.log" 2>&1 &
master=$!
for _ in $(seq 1 100); do grep -q 'generation 1 ready' "$tmp/error.log" 2> /dev/null && break; sleep 0.1; done
grep -q 'generation 1 ready' "$tmp/error.log" || { echo "bench: mcpgw did not start"; cat "$tmp/error.log"; exit 1; }

kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
procs() { pgrep -P "$master" | tr '\n' ' '; echo "$master"; }
snap() {	# snap NAME
	for p in $(procs); do
		echo "$p $(tr '\0' ' ' < "/proc/$p/cmdline" | sed 's/mcpgw: //; s/ process.*//') $(kb "$p" VmRSS) $(kb "$p" RssAnon)"
	done > "$tmp/$1"
}
snap before
node "$top/bench/streams.mjs" 127.0.0.1 "$port" /mcp "$N" 100 6 > "$tmp/node.log" 2>&1 &
client=$!
for _ in $(seq 1 600); do grep -q '^STREAMS' "$tmp/node.log" && break; sleep 0.1; done
sleep 1
snap open
line=$(grep '^STREAMS' "$tmp/node.log")
wait "$client"
rc=$?
sleep 1
snap after

echo "bench/streams.sh: $N GET streams of the demo server, 2 workers, mcpgw $(git -C "$top" rev-parse --short HEAD 2> /dev/null)"
echo "client: $line"
printf '%-10s %8s %8s %8s   %8s %8s %8s\n' process "RSS kB" open after "anon kB" open after
total_b=0 total_o=0
for p in $(cut -d' ' -f1 "$tmp/before"); do
	read -r _ role rb ab < <(grep "^$p " "$tmp/before")
	read -r _ _ ro ao < <(grep "^$p " "$tmp/open")
	read -r _ _ ra aa < <(grep "^$p " "$tmp/after" || echo "$p - 0 0")
	printf '%-10s %8s %8s %8s   %8s %8s %8s\n' "$role" "$rb" "$ro" "$ra" "$ab" "$ao" "$aa"
	total_b=$((total_b + rb)) total_o=$((total_o + ro))
done
open=$(echo "$line" | sed -n 's/.*open=\([0-9]*\).*/\1/p')
[ -n "$open" ] && [ "$open" -gt 0 ] &&
	echo "all processes: RSS $total_b kB -> $total_o kB with $open streams open: $(( (total_o - total_b) * 1000 / open )) bytes per stream"
dead=$(grep -cE 'exited on signal|exited with code [1-9]' "$tmp/error.log")
if [ "$rc" != 0 ] || [ "$dead" != 0 ] || [ "$open" != "$N" ]; then
	echo "bench: FAILED (client exit $rc, $dead processes died, $open of $N open)"
	tail -n 5 "$tmp/node.log" "$tmp/error.log"
	exit 1
fi
echo "bench: OK"
