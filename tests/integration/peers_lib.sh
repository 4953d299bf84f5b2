# Shared by the peers_*.sh tests (sourced after lib.sh, proxy_lib.sh and
# era_lib.sh): the reference MCP servers nobody here wrote and the MCP
# Inspector's CLI (tests/fed/node_modules), and the two ways of driving
# them: tests/era/peers_client.mjs (the SDK v1 and v2 clients, one table
# of cases per server) and the Inspector CLI (one method per run, its
# JSON result checked).
#
# Needs tests/fed/node_modules (npm ci --prefix tests/fed) and
# tests/era/node_modules (npm ci --prefix tests/era).

FED_MODULES=${MG_FED_NODE_MODULES:-$MG_SRCDIR/tests/fed/node_modules}
[ -e "$FED_MODULES" ] || FED_MODULES=$MG_SRCDIR/tests/fed/node_modules
FED_MCP=$FED_MODULES/@modelcontextprotocol

# peers_setup: the packages are there (else the test fails), the Node 22
# of tests/era as $NODE (absolute: the connector runs commands without a
# PATH search), and $MG_TMP readable by the children's user (the stdio
# servers run as "nobody" under root).
peers_setup() {
	local m
	for m in server-everything server-memory server-filesystem inspector-cli; do
		[ -f "$FED_MCP/$m/package.json" ] ||
			fail "tests/fed/node_modules has no @modelcontextprotocol/$m: run npm ci --prefix tests/fed"
	done
	chmod 755 "$MG_TMP"
	NODE=$(cd "$(dirname "$ERA_NODE22")" && pwd)/node
	FED_MCP=$(cd "$FED_MCP" && pwd)
	DRIVER=$ERA_SCRIPTS/peers_client.mjs
	echo "# Node $("$NODE" --version); $(peers_versions)"
}

peers_versions() {
	local m v out=
	for m in server-everything server-memory server-filesystem inspector-cli; do
		v=$("$NODE" -p "require('$FED_MCP/$m/package.json').version")
		out="$out $m $v"
	done
	echo "${out# }"
}

# peers_driver WHAT SDK SERVER TARGET...: tests/era/peers_client.mjs, its
# "ok - " lines reported with WHAT in front.
peers_driver() {
	local what=$1
	shift
	PX_RC=0
	timeout -k 5 100 "$NODE" "$DRIVER" "$@" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
	sed -i "s/^ok - /ok - $what: /" "$MG_TMP/node.out"
	px_report "peers_client.mjs $what"
}

# peers_cli URL WANT METHOD [ARG...]: the Inspector CLI's METHOD on URL
# (Streamable HTTP) exits 0 and its result, compacted to one line of
# JSON, holds WANT (a fixed string; "!" in front: must not hold it).
peers_cli() {
	local url=$1 want=$2 out=$MG_TMP/cli.out rc=0
	shift 2
	# (cd: its build/index.js finds its package.json from the working
	# directory, with "../package.json")
	(cd "$FED_MCP/inspector-cli/build" &&
		timeout -k 5 30 "$NODE" index.js "$url" --transport http --method "$@") > "$out" 2> "$out.err" || rc=$?
	"$NODE" -e 'process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(0, "utf8"))))' \
		< "$out" > "$out.json" 2> /dev/null || rc="$rc, not JSON"
	case $want in
	!*) [ "$rc" = 0 ] && ! grep -qF -- "${want#!}" "$out.json" ;;
	*) [ "$rc" = 0 ] && grep -qF -- "$want" "$out.json" ;;
	esac && ok "inspector-cli $* on ${url#http://127.0.0.1:}: $(head -c 120 "$out.json")" ||
		check_failed "inspector-cli $* on $url (exit $rc): want '$want', got $(head -c 600 "$out") $(tail -n 3 "$out.err")"
}

# peers_no_child_died: no worker or connector died during the test.
peers_no_child_died() {
	grep -E 'exited on signal|exited with code [1-9]' "$MG_TMP/error.log" |
		grep -E 'master: (worker|connector) process' > "$MG_TMP/died" || true
	[ ! -s "$MG_TMP/died" ] && ok "no worker or connector died" ||
		check_failed "a process of the gateway died: $(cat "$MG_TMP/died")"
}

# peers_start_everything_http: server-everything's Streamable HTTP mode
# on a free port, bound to 127.0.0.1 (it binds every interface and has no
# option for it: bench/stdio/loopback.cjs, preloaded, adds the host):
# $EVH_PORT, its endpoint http://127.0.0.1:$EVH_PORT/mcp, its pid $EVH_PID.
peers_start_everything_http() {
	local log i hex
	EVH_PORT=$(free_port)
	log=$MG_TMP/everything-http.log
	PORT=$EVH_PORT "$NODE" --require "$MG_SRCDIR/bench/stdio/loopback.cjs" \
		"$FED_MCP/server-everything/dist/index.js" streamableHttp > "$log" 2>&1 &
	EVH_PID=$!
	MG_BG_PIDS="$MG_BG_PIDS $EVH_PID"
	disown $EVH_PID
	mg_wait 10 "grep -q 'listening on port $EVH_PORT' '$log' 2> /dev/null" ||
		fail "server-everything streamableHttp did not listen on $EVH_PORT: $(tail -n 20 "$log")"
	# listening (state 0A) on 127.0.0.1 only, nothing on any other address
	hex=$(printf '%04X' "$EVH_PORT")
	if grep -qE "^ *[0-9]+: 0100007F:$hex [0-9A-F:]+ 0A" /proc/net/tcp &&
		[ "$(grep -E "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F:]+ 0A" /proc/net/tcp /proc/net/tcp6 | wc -l)" = 1 ]; then
		ok "server-everything streamableHttp listens on 127.0.0.1:$EVH_PORT only (path /mcp)"
	else
		fail "server-everything is not bound to loopback only: $(grep -E ":$hex " /proc/net/tcp /proc/net/tcp6)"
	fi
}

# peers_everything_alive WHEN: server-everything (HTTP) still runs (else
# a failed check, with its last words).
peers_everything_alive() {
	kill -0 "$EVH_PID" 2> /dev/null && ok "server-everything (HTTP, pid $EVH_PID) still runs $1" ||
		check_failed "server-everything (HTTP, pid $EVH_PID) is gone $1: $(tail -n 20 "$MG_TMP/everything-http.log")"
}
