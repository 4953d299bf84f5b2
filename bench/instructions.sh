#!/usr/bin/env bash
# bench/instructions.sh: user-space instructions per call, counted by
# valgrind's callgrind, which does not move from run to run as CPU time
# does on a shared machine.
#
#   bench/instructions.sh            two daemon runs per configuration
#   bench/instructions.sh --annotate also the top functions of each process
#   bench/instructions.sh --auth     also configurations 3 and 4
#   bench/instructions.sh --federation  also configuration 5
#   bench/instructions.sh --observability  also configuration 6
#   bench/instructions.sh --limits   also configuration 7
#
# For configurations 1 (direct: the built-in demo server) and 2 (through
# mcpgw: a proxy route to it), as bench/run.sh sets them up, and, with
# --auth, 3 (the built-in demo server behind auth_jwt, every call with the
# same token: verified once, then found in the worker's token cache) and
# 4 (the same with auth_token_cache 0: every call verifies the token's
# RS256 signature, which is what the first call with a new token costs),
# and 1' (the same token sent to the demo route, which ignores it: 3
# minus 1' is the check alone, without receiving the header), and, with
# --federation, 5 (a federated route of three members, the demo server
# with prefix off, so the call is the same tools/call echo, and two more
# members with prefixes: the call is routed by its name, its answer read
# for the member's names: 5 minus 2 is what federating costs a call),
# and, with --observability, 6 (configuration 2 with what an operator
# turns on to watch it: the access log in the default format, a
# "metrics;" page and a "status;" page; 6 minus 2 is what observing a
# call costs), and, with --limits, 7 (configuration 2 with a limit_req
# on the proxy route, keyed by $remote_addr, at a rate so high that
# nothing is refused: 7 minus 2, and mg_limit_phase's own inclusive
# count, are what limiting a call costs), it starts
# mcpgw under callgrind (every process: master, workers, connector), opens
# a session, sends tools/call echo with wrk at 1 connection (every answer
# checked by bench/mcp_echo.lua) for BENCH_SHORT, then, in a second daemon
# run, for BENCH_LONG seconds, and divides the difference of the
# instructions counted by the difference of the calls answered: what
# start, stop and session set-up cost falls out.  Printed per process
# role (workers, connector, master) and in all, and for the proxy hop
# (2 minus 1).  Kernel work (system calls, TCP) is not counted: see
# bench/run.sh for CPU time, which includes it.
#
# Environment:
#   BENCH_SHORT, BENCH_LONG  seconds of calls in the two runs (2 and 6)
#   BENCH_WORKERS  worker_processes (default 1: a worker's first request
#                  pays one-time set-up, about 20 million instructions; with
#                  2, which workers get work differs between the two runs,
#                  and that set-up no longer cancels out: figures moved by
#                  20 000 per call from run to run)
#   MCPGW          the mcpgw binary (default build/dev/src/mcpgw)
#   BENCH_MAIN     lines added to the main context, %T standing for the
#                  temporary directory (e.g. 'access_log %T/access.log;':
#                  what the access log costs a call)
#   MGTEST         tests/mgtest helper, for free ports (optional)
#   BENCH_KEEP=1   keep the temporary directory (callgrind files, logs)
#   BENCH_LIMIT    configuration 7's limit_req arguments (default
#                  'zone=bench burst=1000 nodelay'; add 'methods=tools/call'
#                  to measure the look at the message it then needs)
#
# Exit status 1 when an answer was wrong, a process died, or a tool is
# missing; installs valgrind and wrk with apt-get when they are missing.
set -u -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
lua="$top/bench/mcp_echo.lua"
annotate=0
auth=0
federation=0
observability=0
limits=0
for a in "$@"; do
	case $a in
	--annotate) annotate=1 ;;
	--auth) auth=1 ;;
	--federation) federation=1 ;;
	--observability) observability=1 ;;
	--limits) limits=1 ;;
	-h | --help)
		sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "usage: bench/instructions.sh [--annotate] [--auth] [--federation] [--observability] [--limits]" >&2
		exit 2
		;;
	esac
done

die() {
	echo "instructions: $*" >&2
	exit 1
}

SHORT=${BENCH_SHORT:-2} LONG=${BENCH_LONG:-6} WORKERS=${BENCH_WORKERS:-1}
for v in "$SHORT" "$LONG" "$WORKERS"; do
	case $v in *[!0-9]* | "" | 0) die "BENCH_SHORT, BENCH_LONG and BENCH_WORKERS must be whole numbers >= 1" ;; esac
done
[ "$LONG" -gt "$SHORT" ] || die "BENCH_LONG must be more than BENCH_SHORT"

missing=
for t in valgrind wrk curl; do
	command -v $t > /dev/null || missing="$missing $t"
done
if [ -n "$missing" ]; then
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "== installing:$missing"
	$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing > /dev/null ||
		die "apt-get install$missing failed"
fi

MCPGW=${MCPGW:-$top/build/dev/src/mcpgw}
[ -x "$MCPGW" ] || die "no mcpgw binary at $MCPGW (make -C build/dev, or MCPGW=path)"
: "${MGTEST:=$top/build/dev/tests/mgtest}"

T=$(mktemp -d /tmp/mcpgw-instr.XXXXXX) || die "mktemp failed"
chmod 755 "$T"
VG=''
cleanup() {
	local rc=$?
	if [ -n "$VG" ]; then
		kill -TERM "$VG" 2>/dev/null
		for _ in $(seq 100); do
			kill -0 "$VG" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$VG" 2>/dev/null
	fi
	# the children run as the configured user: kill what names $T
	for d in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null < "$d/cmdline" | grep -q "$T" && kill -KILL "${d#/proc/}" 2>/dev/null
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "instructions: kept $T"
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -x "$MGTEST" ]; then
	PORT=$("$MGTEST" freeport 1)
else
	PORT=$((20000 + RANDOM % 30000))
fi
cp "$MCPGW" "$T/mcpgw"
bench_main=${BENCH_MAIN:-}
cat > "$T/mcpgw.conf" << CONF
worker_processes $WORKERS;
pid $T/mcpgw.pid;
error_log $T/mcpgw.log info;
${bench_main//%T/$T}

connector {
}

upstream self {
    server http://127.0.0.1:$PORT/mcp/demo;
}
upstream d2 { server http://127.0.0.1:$PORT/mcp/demo; }
upstream d3 { server http://127.0.0.1:$PORT/mcp/demo; }

server {
    listen 127.0.0.1:$PORT;
    location /mcp/demo { mcp_builtin demo; }
    location = /mcp { mcp_pass self; }
    location = /mcp/fed {
        mcp_member self { prefix off; }
        mcp_member d2;
        mcp_member d3;
    }
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
"$T/mcpgw" -t -c "$T/mcpgw.conf" > /dev/null 2>&1 || die "mcpgw -t rejected $T/mcpgw.conf"
sed 's/^worker_processes .*/&\nauth_token_cache 0;/' "$T/mcpgw.conf" > "$T/nocache.conf"
# 6: the access log (default format) and the pages of docs/observability.md
sed -e "s|^error_log .*|&\naccess_log $T/access.log;|" \
	-e 's|^    location = /mcp { mcp_pass self; }|&\n    location = /metrics { metrics; }\n    location = /status { status; }|' \
	"$T/mcpgw.conf" > "$T/observed.conf"
grep -q 'location = /metrics' "$T/observed.conf" || die "could not write $T/observed.conf"
# 7: a limit on the proxy route that never refuses (docs/configuration.md, "Request limits")
sed -e 's|^error_log .*|&\nlimit_req_zone $remote_addr zone=bench:1m rate=1000000r/s;|' \
	-e "s|^    location = /mcp { mcp_pass self; }|    location = /mcp { mcp_pass self; limit_req ${BENCH_LIMIT:-zone=bench burst=1000 nodelay}; }|" \
	"$T/mcpgw.conf" > "$T/limited.conf"
grep -q 'limit_req zone=bench' "$T/limited.conf" || die "could not write $T/limited.conf"
TOKEN=$(sh "$top/conf/examples/auth-example-token.sh" "http://127.0.0.1:$PORT/mcp/auth") ||
	die "conf/examples/auth-example-token.sh failed"

mcp_curl() {
	local u=$1
	shift
	curl -s --max-time 30 "$u" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' "$@"
}

# incl DIR FUNCTION: FUNCTION's inclusive instructions in DIR's processes
incl() {
	local f s=0 v
	for f in "$1"/cg.*; do
		v=$(callgrind_annotate --inclusive=yes --threshold=100 "$f" 2>/dev/null |
			awk -v fn="$2" '$0 ~ ":" fn " " { gsub(",", "", $1); print $1; exit }')
		s=$((s + ${v:-0}))
	done
	echo $s
}

# one_run CONF SECONDS: mcpgw under callgrind, calls for SECONDS, stop.
# Prints "requests workers connector master" (instructions summed per role).
one_run() {
	local conf=$1 secs=$2 u out sid line req dir pid role w=0 cn=0 m=0 ir
	local file=$T/mcpgw.conf tok=
	u=http://127.0.0.1:$PORT/mcp/demo
	case $conf in
	mcpgw) u=http://127.0.0.1:$PORT/mcp ;;
	federated) u=http://127.0.0.1:$PORT/mcp/fed ;;
	auth) u=http://127.0.0.1:$PORT/mcp/auth tok=$TOKEN ;;
	ignored) tok=$TOKEN ;;
	auth-nocache) u=http://127.0.0.1:$PORT/mcp/auth tok=$TOKEN file=$T/nocache.conf ;;
	observed) u=http://127.0.0.1:$PORT/mcp file=$T/observed.conf ;;
	limited) u=http://127.0.0.1:$PORT/mcp file=$T/limited.conf ;;
	esac
	dir=$T/$conf-$secs
	mkdir -m 1777 "$dir" # the children write as the configured user
	: > "$T/mcpgw.log"
	rm -f "$T/access.log"
	valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$dir/cg.%p" \
		"$T/mcpgw" -F -c "$file" > "$dir/valgrind.log" 2>&1 &
	VG=$!
	for _ in $(seq 600); do
		grep -q 'generation 1 ready' "$T/mcpgw.log" 2>/dev/null && break
		kill -0 "$VG" 2>/dev/null || die "mcpgw exited at start under valgrind: $(tail -n 5 "$dir/valgrind.log")"
		sleep 0.1
	done
	grep -q 'generation 1 ready' "$T/mcpgw.log" || die "mcpgw not ready within 60 s under valgrind"
	sid=$(mcp_curl "$u" -D - -o /dev/null ${tok:+-H "Authorization: Bearer $tok"} -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcpgw-instr","version":"1"}}}' |
		tr -d '\r' | sed -n 's/^mcp-session-id: //Ip')
	[ -n "$sid" ] || die "initialize at $u: no session id"
	mcp_curl "$u" -o /dev/null -H 'MCP-Protocol-Version: 2025-11-25' -H "Mcp-Session-Id: $sid" \
		${tok:+-H "Authorization: Bearer $tok"} -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
	out=$(wrk -t1 -c1 -d"${secs}s" --timeout 10s -s "$lua" "$u" -- "$sid" 2025-11-25 $tok 2>&1)
	line=$(echo "$out" | grep '^BENCH ' | tail -n 1)
	echo "$line" | grep -q ' bad=0 .*connect=0 read=0 write=0 status=0 timeout=0' ||
		die "wrong answers or errors in $conf ($secs s): ${line:-$(echo "$out" | tail -n 3)}"
	req=$(echo "$line" | sed 's/.* requests=\([0-9]*\).*/\1/')
	if [ "$conf" = observed ]; then # the pages answer, and every call was logged
		curl -sf --max-time 30 "http://127.0.0.1:$PORT/metrics" -o /dev/null || die "observed: /metrics did not answer"
		curl -sf --max-time 30 "http://127.0.0.1:$PORT/status" -o /dev/null || die "observed: /status did not answer"
	fi
	kill -TERM "$VG"
	wait "$VG"
	VG=''
	if [ "$conf" = observed ] && [ "$(wc -l < "$T/access.log")" -lt "$req" ]; then
		die "observed: $req calls but $(wc -l < "$T/access.log") access log lines"
	fi
	grep -qE 'exited on signal|did not exit' "$T/mcpgw.log" && die "a process of mcpgw died in $conf ($secs s): $(grep -E 'signal|did not exit' "$T/mcpgw.log" | head -n 3)"
	for f in "$dir"/cg.*; do
		pid=${f##*.}
		ir=$(sed -n 's/^summary: //p' "$f")
		role=master
		grep -q "\] $pid connector:" "$T/mcpgw.log" && role=connector
		grep -q "\] $pid worker:" "$T/mcpgw.log" && role=worker
		case $role in
		worker) w=$((w + ir)) ;;
		connector) cn=$((cn + ir)) ;;
		*) m=$((m + ir)) ;;
		esac
	done
	echo "$req $w $cn $m"
	if [ $annotate = 1 ] && [ "$secs" = "$LONG" ]; then
		for f in "$dir"/cg.*; do
			pid=${f##*.}
			echo "--- $conf, process $pid: $(grep -m1 -oE "\] $pid [a-z]+:" "$T/mcpgw.log" | awk '{print $3}')" >&2
			callgrind_annotate "$f" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n '3,22p' >&2
		done
	fi
}

echo "== $("$T/mcpgw" -V 2>&1 | head -n 1) ($MCPGW, tree $(git -C "$top" describe --always --dirty 2>/dev/null || echo ?)); $(valgrind --version)"
echo "== worker_processes $WORKERS; calls at 1 connection for $SHORT s and for $LONG s, under callgrind"
confs="direct mcpgw"
[ $auth = 1 ] && confs="$confs ignored auth auth-nocache"
[ $federation = 1 ] && confs="$confs federated"
[ $observability = 1 ] && confs="$confs observed"
[ $limits = 1 ] && confs="$confs limited"
declare -A R P
for conf in $confs; do
	for secs in "$SHORT" "$LONG"; do
		R[$conf, $secs]=$(one_run "$conf" "$secs") || exit 1
		echo "   $conf ${secs}s: $(echo "${R[$conf, $secs]}" | awk '{printf "%d calls, instructions: workers %d, connector %d, master %d", $1, $2, $3, $4}')"
	done
done

echo
printf '%-26s %12s %12s %12s %12s\n' "instructions per call" workers connector master all
for conf in $confs; do
	read -r n1 w1 c1 m1 <<< "${R[$conf, $SHORT]}"
	read -r n2 w2 c2 m2 <<< "${R[$conf, $LONG]}"
	[ $((n2 - n1)) -gt 100 ] || die "$conf: too few more calls in the long run ($n1, $n2)"
	# per call: workers connector master all
	P[$conf]=$(awk -v n=$((n2 - n1)) -v w=$((w2 - w1)) -v c=$((c2 - c1)) -v m=$((m2 - m1)) \
		'function r(x) { return x < 0 ? -int(-x + 0.5) : int(x + 0.5) }
		BEGIN { printf "%d %d %d %d", r(w / n), r(c / n), r(m / n), r((w + c + m) / n) }')
done
row() { # LABEL W C M A
	printf '%-26s %12s %12s %12s %12s\n' "$@"
}
row "1 direct (mcpgw demo)" ${P[direct]}
row "2 through mcpgw" ${P[mcpgw]}
read -r dw dc dm da <<< "${P[direct]}"
read -r pw pc pm pa <<< "${P[mcpgw]}"
row "proxy hop (2 minus 1)" $((pw - dw)) $((pc - dc)) $((pm - dm)) $((pa - da))
if [ $auth = 1 ]; then
	row "1' direct, token ignored" ${P[ignored]}
	row "3 auth_jwt, cached token" ${P[auth]}
	row "4 auth_jwt, no cache" ${P[auth-nocache]}
	read -r aw ac am aa <<< "${P[auth]}"
	read -r nw nc nm na <<< "${P[auth-nocache]}"
	row "cached token (3 minus 1)" $((aw - dw)) $((ac - dc)) $((am - dm)) $((aa - da))
	row "a new token (4 minus 1)" $((nw - dw)) $((nc - dc)) $((nm - dm)) $((na - da))
	read -r iw ic im ia <<< "${P[ignored]}"
	row "the check (3 minus 1')" $((aw - iw)) $((ac - ic)) $((am - im)) $((aa - ia))
	awk -v a=$aa -v d=$da 'BEGIN { printf "a call with a cached token costs %+.1f%% of a call without auth_jwt\n", (a - d) * 100 / d }'
fi
if [ $federation = 1 ]; then
	row "5 federated, 3 members" ${P[federated]}
	read -r fw fc fm fa <<< "${P[federated]}"
	row "federating (5 minus 2)" $((fw - pw)) $((fc - pc)) $((fm - pm)) $((fa - pa))
	awk -v f=$fa -v p=$pa 'BEGIN { printf "a call on a federated route costs %+.1f%% of the same call on a plain proxy route\n", (f - p) * 100 / p }'
fi
if [ $observability = 1 ]; then
	row "6 2 + access log, metrics" ${P[observed]}
	read -r ow oc om oa <<< "${P[observed]}"
	row "observing (6 minus 2)" $((ow - pw)) $((oc - pc)) $((om - pm)) $((oa - pa))
	awk -v o=$oa -v p=$pa 'BEGIN { printf "a call with the access log, metrics and status on costs %+.1f%% of the same call with them off\n", (o - p) * 100 / p }'
fi
if [ $limits = 1 ]; then
	row "7 2 + limit_req" ${P[limited]}
	read -r lw lc lm la <<< "${P[limited]}"
	row "limiting (7 minus 2)" $((lw - pw)) $((lc - pc)) $((lm - pm)) $((la - pa))
	awk -v l=$la -v p=$pa 'BEGIN { printf "a call on a route with limit_req costs %+.1f%% of the same call without (whole run)\n", (l - p) * 100 / p }'
	# the functions' own inclusive counts, long run minus short, per call
	read -r n1 _ <<< "${R[limited, $SHORT]}"
	read -r n2 _ <<< "${R[limited, $LONG]}"
	for fn in mg_limit_phase mg_ex_limits_end; do
		i1=$(incl "$T/limited-$SHORT" $fn) i2=$(incl "$T/limited-$LONG" $fn)
		awk -v f=$fn -v d=$((i2 - i1)) -v n=$((n2 - n1)) -v p=$pa \
			'BEGIN { printf "%s: %.0f instructions a call (inclusive), %+.2f%% of row 2\n", f, d / n, d / n * 100 / p }'
	done
fi
echo "(user-space instructions, from valgrind --tool=callgrind; system calls and kernel work not counted)"
