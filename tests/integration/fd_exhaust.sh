#!/usr/bin/env bash
# Out of descriptors, as on a bad day: a real mcpgw (one worker) with a
# proxy route (to its own built-in server, mcp_pass over loopback), an
# HTTP+SSE route (the real server-everything in sse mode) and a stdio
# route (the SDK's stdio test server, tests/proxy/stdio_server.mjs).
#  1. The running connector's descriptor limit is lowered (prlimit
#     --nofile) to a few more than it holds, and 120 initializes come at
#     once over the three routes (tests/node/fd_burst.mjs): its sockets,
#     self-connection marks, pipes and forks fail with EMFILE inside an
#     exchange's start.  Every client gets an answer (an error is fine)
#     within 8 s, the connector is the same process (no crash, no
#     respawn, no "exited on signal" in the error log), and once the
#     limit is raised again every route answers initialize with a result.
#  2. The worker's limit is lowered the same way and 40 clients connect
#     at once (proxy and HTTP+SSE routes): accept() fails with EMFILE; the worker stops accepting a
#     while (accept_retry_delay) instead of spinning (its CPU time over the burst stays low,
#     the warning is logged a few times, not thousands), it does not
#     crash, and once the limit is raised the waiting clients are served.
# In an ASan build (--enable-sanitizers) a report of any process fails it
# (lib.sh).  About 20 s; needs prlimit (util-linux) and tests/proxy and
# tests/fed node_modules.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"

mg_on_cleanup() {
	if [ -n "$MG_MASTER" ]; then
		kill -KILL "$MG_MASTER" $(mg_children "$MG_MASTER") 2> /dev/null
		MG_MASTER=
	fi
	for p in $(mg_pids_with_arg "$MG_TMP"); do kill -KILL "$p" 2> /dev/null; done
}

px_setup
px_need_modules
command -v prlimit > /dev/null && command -v setpriv > /dev/null || fail "prlimit and setpriv (util-linux) are needed"
chmod 755 "$MG_TMP" # the stdio servers may run as nobody
NODE=$PX_NODE
case $NODE in
/*) ;;
*) NODE=$(cd "$(dirname "$NODE")" && pwd)/$(basename "$NODE") ;;
esac
EVERYTHING=$MG_SRCDIR/tests/fed/node_modules/@modelcontextprotocol/server-everything/dist/index.js
[ -f "$EVERYTHING" ] || fail "tests/fed/node_modules is missing: run npm ci --prefix tests/fed"
BURST=$MG_SRCDIR/tests/node/fd_burst.mjs

SE_PORT=$(free_port)
MG_PORT=$(free_port)
G=http://127.0.0.1:$MG_PORT
: > "$MG_TMP/everything.log"
PORT=$SE_PORT "$NODE" --require "$MG_SRCDIR/bench/stdio/loopback.cjs" "$EVERYTHING" sse "$MG_TMP" >> "$MG_TMP/everything.log" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
disown $!

cat > "$MG_TMP/mcpgw.conf" << CONF
worker_processes 1;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log info;
shutdown_timeout 2s;
accept_retry_delay 300ms;
upstream self { server $G/mcp/demo; connect_timeout 2s; read_timeout 5s; }
upstream legacy { server http://127.0.0.1:$SE_PORT/sse; protocol 2024-11-05; connect_timeout 2s; read_timeout 5s; }
upstream local { command $NODE $PX_DIR/stdio_server.mjs $MG_TMP; max_processes 40; process_queue 0; read_timeout 5s; }
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/demo { mcp_builtin demo; }
    location /mcp/proxy { mcp_pass self; }
    location /mcp/sse { mcp_pass legacy; }
    location /mcp/stdio { mcp_pass local; }
}
CONF
mg_start
mg_wait 15 "grep -q 'running on port $SE_PORT' '$MG_TMP/everything.log'" ||
	fail "server-everything did not start: $(tail -n 5 "$MG_TMP/everything.log")"
CONN=$(mg_first "$(mg_role_pids "$MG_MASTER" connector)")
WORKER=$(mg_first "$(mg_role_pids "$MG_MASTER" worker)")
[ -n "$CONN" ] && [ -n "$WORKER" ] || fail "no connector or worker"
soft() { awk '/^Max open files/ { print $4 }' "/proc/$1/limits"; }
CONN_SOFT=$(soft "$CONN")
WORKER_SOFT=$(soft "$WORKER")
ROUTES="$G/mcp/proxy $G/mcp/sse $G/mcp/stdio"

nfds() { ls "/proc/$1/fd" | wc -l; }
# nofile PID N: PID's soft limit of descriptors set to N (its hard limit
# stays), by prlimit run as PID's own user (the daemon's children run as
# "nobody" when the test runs as root, and a root without a user
# namespace's say may not change another user's limits)
nofile() {
	local uid me
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$1/status")
	me=$(id -u)
	if [ "$uid" = "$me" ]; then
		prlimit --pid "$1" --nofile="$2":
	else
		setpriv --reuid="$uid" --regid="$(awk '/^Gid:/ { print $2 }' "/proc/$1/status")" --clear-groups \
			prlimit --pid "$1" --nofile="$2":
	fi
}
# burst N TIMEOUT_MS TAG: fd_burst.mjs over the three routes, its lines in
# $MG_TMP/burst-TAG
burst() {
	timeout -k 5 $((${2} / 1000 + 15)) "$NODE" "$BURST" "$1" "$2" $ROUTES > "$MG_TMP/burst-$3" 2>&1 ||
		fail "fd_burst.mjs ($3): $(cat "$MG_TMP/burst-$3")"
}
# field TAG ROUTE KEY: one figure of a burst's line for ROUTE
field() {
	grep "\"url\":\"$G/mcp/$2\"" "$MG_TMP/burst-$1" | sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p"
}
all_ok() { # all_ok TAG PER_ROUTE: every route answered every request with a result
	local r
	for r in proxy sse stdio; do
		[ "$(field "$1" $r ok)" = "$2" ] || fail "$1: /mcp/$r: $(grep "/mcp/$r\"" "$MG_TMP/burst-$1")"
	done
}

# the routes work before anything is done to them
burst 6 8000 before
all_ok before 2
ok "before: initialize answered with a result on the proxy, HTTP+SSE and stdio routes"

# --- 1. the connector out of descriptors ------------------------------------

HELD=$(nfds "$CONN")
LIMIT=$((HELD + 6))
nofile "$CONN" $LIMIT || fail "prlimit on the connector"
T0=$(date +%s%N)
burst 120 8000 starved
T1=$(date +%s%N)
for r in proxy sse stdio; do
	[ "$(field starved $r lost)" = 0 ] ||
		fail "connector at $LIMIT descriptors: /mcp/$r: requests without an answer: $(grep "/mcp/$r\"" "$MG_TMP/burst-starved")"
	[ "$(field starved $r max_ms)" -le 8000 ] || fail "/mcp/$r: an answer after 8 s"
done
ERRS=$(($(field starved proxy errors) + $(field starved sse errors) + $(field starved stdio errors)))
[ "$ERRS" -gt 0 ] || fail "the connector at $LIMIT descriptors refused nothing: the limit did not bite ($(cat "$MG_TMP/burst-starved"))"
ok "connector limited to $LIMIT descriptors (it held $HELD): 120 initializes at once all answered in $(((T1 - T0) / 1000000)) ms, $ERRS of them errors (proxy $(field starved proxy errors), HTTP+SSE $(field starved sse errors), stdio $(field starved stdio errors))"
mg_alive "$CONN" && [ "$(mg_first "$(mg_role_pids "$MG_MASTER" connector)")" = "$CONN" ] ||
	fail "the connector died: $(grep -E 'exited|signal' "$MG_TMP/error.log" | tail -n 5)"
! grep -qE 'exited on signal|respawn' "$MG_TMP/error.log" ||
	fail "a process crashed: $(grep -E 'exited on signal|respawn' "$MG_TMP/error.log" | head -n 5)"
ok "the connector is the same process, no crash in the error log"
grep -qE 'Too many open files' "$MG_TMP/error.log" ||
	fail "the error log does not say the connector ran out of descriptors"
ok "the error log says why: $(grep -c 'Too many open files' "$MG_TMP/error.log") lines with 'Too many open files'"

nofile "$CONN" "$CONN_SOFT" || fail "prlimit on the connector (raise)"
burst 30 8000 after
all_ok after 10
ok "limit raised: 30 initializes over the three routes, each answered with a result"

# --- 2. the worker out of descriptors ---------------------------------------

HELD=$(nfds "$WORKER")
LIMIT=$((HELD + 4))
nofile "$WORKER" $LIMIT || fail "prlimit on the worker"
# cpu PID: its user and system time in clock ticks (after "(comm) ",
# which has spaces, utime and stime are the 12th and 13th fields)
cpu() {
	local st
	read -r st < "/proc/$1/stat"
	set -- ${st##*) }
	echo $((${12} + ${13}))
}
CPU0=$(cpu "$WORKER")
WARN0=$(grep -c 'accept() on' "$MG_TMP/error.log")
"$NODE" "$BURST" 40 12000 $G/mcp/proxy $G/mcp/sse > "$MG_TMP/burst-worker" 2>&1 &
BPID=$!
MG_BG_PIDS="$MG_BG_PIDS $BPID"
sleep 2
CPU=$(($(cpu "$WORKER") - CPU0))
WARN=$(($(grep -c 'accept() on' "$MG_TMP/error.log") - WARN0))
mg_alive "$WORKER" || fail "the worker died at $LIMIT descriptors"
[ "$WARN" -ge 1 ] || fail "accept() never failed: the limit did not bite"
[ "$CPU" -le 10 ] || fail "the worker spun: $CPU ticks of CPU in 2 s at $LIMIT descriptors, $WARN accept() warnings"
[ "$WARN" -le 20 ] || fail "accept() warnings flood the log: $WARN in 2 s"
grep -q 'accept() on 127.0.0.1:[0-9]* failed: not accepting for 300 ms (Too many open files)' "$MG_TMP/error.log" ||
	fail "no accept_retry_delay (300ms) in the warning: $(grep 'accept() on' "$MG_TMP/error.log" | head -n 2)"
ok "worker limited to $LIMIT descriptors: accept() failed, $WARN warnings and $CPU ticks of CPU in 2 s (no spin)"
nofile "$WORKER" "$WORKER_SOFT" || fail "prlimit on the worker (raise)"
wait $BPID || fail "fd_burst.mjs (worker): $(cat "$MG_TMP/burst-worker")"
for r in proxy sse; do
	[ "$(field worker $r lost)" = 0 ] ||
		fail "clients waiting on the worker: /mcp/$r: $(grep "/mcp/$r\"" "$MG_TMP/burst-worker")"
done
ok "limit raised: the 40 clients that waited were all answered"
mg_alive "$WORKER" && ! grep -qE 'exited on signal|respawn' "$MG_TMP/error.log" ||
	fail "a process crashed: $(grep -E 'exited on signal|respawn' "$MG_TMP/error.log" | head -n 5)"
burst 6 8000 end
all_ok end 2
ok "at the end every route works, no process crashed"
mg_done
