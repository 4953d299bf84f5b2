#!/usr/bin/env bash
# The whole test suite, as CI runs it: install what the tests need, then
# build and run "make check" with gcc, with clang (the unit tests and a
# core of integration tests, one or two per layer), and with gcc under
# AddressSanitizer + UndefinedBehaviorSanitizer (all but four long ones,
# the package's, the quick start's and the README's; warnings are errors
# in all three), run
# bench/instructions.sh once, run each libFuzzer target of tests/fuzz for
# 6 s (clang, --enable-fuzzing), then "make distcheck".  Any failed or skipped test fails the
# run.  The last line is "N passed, N failed".
#
# A source tree configured in place (the README's first command builds
# there) is cleaned with "make distclean" first: configure refuses to
# build out of tree beside it.  MCPGW_CI_SMOKE=1 stops after the gcc
# build with the unit tests and cli.sh, without npm: for
# tests/integration/readme.sh, which runs the README's two commands in a
# fresh clone in both orders (the whole suite cannot run inside itself).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

need_pkgs="build-essential autoconf automake libtool pkg-config libevent-dev
	libssl-dev libjson-c-dev libhttp-parser-dev check clang clang-format curl procps openssl
	iproute2 python3-prometheus-client
	wrk valgrind libclang-rt-14-dev dpkg-dev debhelper lintian fakeroot logrotate chromium"
# dnsmasq: the DNS server of tests/integration/dns.sh (no service)
need_pkgs="$need_pkgs dnsmasq-base"
# hiredis: the limit store's client (limit_store)
need_pkgs="$need_pkgs libhiredis-dev"
# Node.js: Debian's, unless the machine has one already.
command -v node > /dev/null || need_pkgs="$need_pkgs nodejs"
command -v npm > /dev/null || need_pkgs="$need_pkgs npm"
missing=
for p in $need_pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "== installing:$missing"
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
fi

# Packages whose installation would start a system service: installed
# without recommends and without letting the package start anything
# (nginx would take port 80, prometheus 9090 and its node exporter 9100);
# the tests run their own on free loopback ports.
# install_no_service COMMAND PACKAGE...: unless COMMAND is there
install_no_service() {
	local cmd=$1 sudo= policy=
	shift
	command -v "$cmd" > /dev/null && return 0
	echo "== installing $* (no service started)"
	[ "$(id -u)" = 0 ] || sudo=sudo
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d > /dev/null
		$sudo chmod 755 /usr/sbin/policy-rc.d
		policy=yes
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" || true
	[ -n "$policy" ] && $sudo rm -f /usr/sbin/policy-rc.d
	command -v "$cmd" > /dev/null || { echo "$* could not be installed"; exit 1; }
}
# nginx: a load balancer in front of two gateways in the tests.
install_no_service nginx nginx-light
# Redis (Debian's): the limit store of tests/integration/redis_limit.sh
# (its own redis-server on a free loopback port, not the service's 6379).
install_no_service redis-server redis-server redis-tools
# Prometheus and promtool (Debian's): tests/integration/metrics.sh,
# prometheus.sh and examples.sh (with python3-prometheus-client above,
# whose strict parser reads the OpenMetrics page).
install_no_service promtool prometheus

# The independent MCP software the tests run against comes from npm: the
# official TypeScript SDK, the conformance suite, and a Node 22 for it;
# a real authorization server (tests/auth); and the stdio MCP proxies the
# benchmark measures (bench/stdio); the reference MCP servers and the
# Inspector CLI (tests/fed).
for d in tests/node tests/proxy tests/era tests/auth tests/fed bench/stdio; do
	if [ -f "$d/package-lock.json" ] && [ -z "${MCPGW_CI_SMOKE:-}" ]; then
		echo "== npm ci in $d"
		npm ci --prefix "$d" --no-audit --no-fund > /dev/null
	fi
done

echo "== clang-format"
if ! clang-format --dry-run --Werror src/*.c src/*/*.[ch] tests/*.[ch] tests/fuzz/*.[ch]; then
	echo "the sources do not match .clang-format: run clang-format -i src/*.c src/*/*.[ch] tests/*.[ch] tests/fuzz/*.[ch]"
	exit 1
fi

if [ -f "$top/config.status" ]; then
	echo "== the source tree is configured in place (the README's first command): make distclean there"
	make -C "$top" distclean > "$top/distclean.log" 2>&1 ||
		{ tail -n 20 "$top/distclean.log"; echo "make distclean failed in $top"; exit 1; }
	rm -f "$top/distclean.log"
fi

echo "== autoreconf"
autoreconf -fi > /dev/null 2>&1 || autoreconf -fi

passed=0
failed=0
report=()

# count_results DIR: add the individual test results of DIR to the totals:
# every check unit test and every "ok" line of the integration scripts.
count_results() {
	local dir=$1 f line c fl er
	for f in "$dir"/tests/*.log "$dir"/tests/integration/*.log; do
		[ -f "$f" ] || continue
		line=$(grep -Eo 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$f" | tail -n 1 || true)
		if [ -n "$line" ]; then
			read -r c fl er <<< "$(echo "$line" | tr -dc '0-9 ' | tr -s ' ')"
			passed=$((passed + c - fl - er))
			failed=$((failed + fl + er))
		else
			passed=$((passed + $(grep -c '^ok ' "$f" || true)))
			failed=$((failed + $(grep -c '^FAIL' "$f" || true)))
		fi
	done
	# A skipped or expected-to-fail script is a failed test here.
	failed=$((failed + $(cat "$dir"/tests/*.trs "$dir"/tests/integration/*.trs 2>/dev/null |
		grep -cE '^:test-result: (SKIP|XFAIL|XPASS|ERROR)' || true)))
}

# build NAME CC CONFIGURE-ARGS...: configure, make, make check (all of
# TESTS, or those of $CHECK_TESTS when set)
build() {
	local name=$1 cc=$2 dir="$top/build/$1" rc=0 tests=()
	shift 2
	[ -z "${CHECK_TESTS:-}" ] || tests=(TESTS="$CHECK_TESTS")
	echo "== $name: configure $*"
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" CC="$cc" --enable-werror "$@" > configure.log 2>&1) ||
		{ tail -n 30 "$dir/configure.log"; return 1; }
	echo "== $name: make"
	make -C "$dir" -j"$jobs" > "$dir/make.log" 2>&1 || { tail -n 60 "$dir/make.log"; return 1; }
	echo "== $name: make check"
	local t0=$SECONDS
	make -C "$dir" -j1 check "${tests[@]}" || rc=$?
	echo "== $name: make check took $((SECONDS - t0)) s (the run so far: $SECONDS s)"
	[ -f "$dir/test-suite.log" ] && count_results "$dir"
	if [ $rc -ne 0 ] || grep -qE '^# (FAIL|ERROR|SKIP|XFAIL|XPASS): *[1-9]' "$dir/test-suite.log"; then
		cat "$dir/test-suite.log"
		report+=("$name: FAILED")
		return 1
	fi
	report+=("$name: ok")
}

status=0
if [ -n "${MCPGW_CI_SMOKE:-}" ]; then
	CHECK_TESTS="tests/check_mcpgw tests/integration/cli.sh" build gcc gcc || status=1
	printf '%s\n' "${report[@]}"
	[ $status -eq 0 ] || [ $failed -gt 0 ] || failed=1
	echo "$passed passed, $failed failed (MCPGW_CI_SMOKE: the gcc build, unit tests and cli.sh only)"
	exit $status
fi
build gcc gcc || status=1

# The instruction counts of bench/instructions.sh (callgrind), once, short,
# on the gcc build (valgrind cannot run the sanitizer build): it proves the
# script works and every answer is right; the counts are printed, never
# judged.
echo "== bench/instructions.sh on the gcc build"
if [ -x "$top/build/gcc/src/mcpgw" ] &&
	BENCH_SHORT=1 BENCH_LONG=2 MCPGW="$top/build/gcc/src/mcpgw" MGTEST="$top/build/gcc/tests/mgtest" \
		bash "$top/bench/instructions.sh" > "$top/build/gcc/instructions.log" 2>&1 &&
	grep -q '^proxy hop (2 minus 1)' "$top/build/gcc/instructions.log"; then
	tail -n 5 "$top/build/gcc/instructions.log"
	passed=$((passed + 1))
	report+=("instructions: ok")
else
	tail -n 20 "$top/build/gcc/instructions.log" 2>/dev/null
	failed=$((failed + 1))
	report+=("instructions: FAILED")
	status=1
fi
# clang: the unit tests and a core of integration tests (clang_core
# below; its build with clang's warnings is the point): every other test
# runs in the gcc and sanitizer builds (CI was 46 minutes with clang
# running all but the longest, at issues 21 and 22; 12 tests since issue
# 23 added seven).
# The sanitizer build: every integration test but conformance_matrix and
# conformance_era (the conformance suite's cases, 62 s and 45 s in gcc;
# the protocol paths they take run under the sanitizers in mcp_era,
# era_sdk, mcp_http, bridge_* and the proxy tests), upgrade (a binary
# upgrade, 34 s: its inheritance of sockets and sessions, master/upgrade.c
# and inherit.c, runs in gcc only; drain.sh covers the old generation's
# end under the sanitizers), bench_quick (a benchmark
# smoke), sessions_rss (memory of the daemon as shipped, not under ASan),
# peers_everything (server-everything's cases; the stdio and relay
# paths it takes run under the sanitizers in peers_memory,
# peers_filesystem, fed_peers and legacy_sse) and prometheus (metrics.sh
# runs the same C paths, kills and reloads under the sanitizers), which
# gcc runs.  package (the Debian package built, linted, installed, run
# and purged), quickstart (docs/quickstart.md followed, package.sh's
# .deb of the same tree reused: tests/integration/deb_lib.sh) and readme (the
# README's commands in a fresh clone) build their own binaries and run in
# the gcc leg only.  CI stays under 45 minutes on 2 cores.
integration_tests() { # the integration tests but those named in $1 (a regex)
	sed -n '/^INTEGRATION_TESTS *=/,/^$/p' Makefile.am |
		grep -o 'tests/integration/[a-z_]*\.sh' | grep -vE "/($1)\.sh$" | tr '\n' ' '
}
clang_core="layout cli proc mcp_http mcp_era proxy_self tls auth_keys
	policy federation stdio hostile"
clang_tests="tests/check_mcpgw $(for t in $clang_core; do printf 'tests/integration/%s.sh ' "$t"; done)"
CHECK_TESTS=$clang_tests build clang clang || status=1
asan_tests="tests/check_mcpgw $(integration_tests 'readme|conformance_matrix|conformance_era|upgrade|bench_quick|sessions_rss|peers_everything|package|quickstart|prometheus')"
CHECK_TESTS=$asan_tests build asan gcc --enable-sanitizers || status=1

# The libFuzzer targets (tests/fuzz, docs/fuzzing.md), built by clang with
# --enable-fuzzing: each runs $FUZZ_TIME seconds (6) on a scratch copy of
# its seed corpus, so the tree's is never changed, and counts as one test,
# failed by a crash, a leak, a timeout or a broken property.
fuzz_time=${FUZZ_TIME:-6}
fuzz_dir="$top/build/fuzz"
fuzz_names=$(cd tests/fuzz/corpus && ls -d fuzz_*)
# fuzz_figures LOG: "N runs, N/s, cov N ft N" from libFuzzer's last words
fuzz_figures() {
	local done_line runs rate
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$1" | tail -n 1 || true)
	runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$1" | grep -o '[0-9]*$' || true)
	rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$1" | grep -o '[0-9]*$' || true)
	echo "${runs:-?} runs, ${rate:-?}/s, $(echo "$done_line" | grep -o 'cov: [0-9]* ft: [0-9]*')"
}
echo "== fuzz: configure CC=clang --enable-fuzzing"
rm -rf "$fuzz_dir"
mkdir -p "$fuzz_dir"
if (cd "$fuzz_dir" && "$top/configure" CC=clang --enable-werror --enable-fuzzing > configure.log 2>&1) &&
	make -C "$fuzz_dir" -j"$jobs" > "$fuzz_dir/make.log" 2>&1; then
	for name in $fuzz_names; do
		run="$fuzz_dir/run/$name"
		dict=()
		[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="$top/tests/fuzz/$name.dict")
		mkdir -p "$run/corpus"
		cp "tests/fuzz/corpus/$name/"* "$run/corpus/"
		echo "== fuzz: $name, ${fuzz_time} s"
		if (cd "$run" && "$fuzz_dir/tests/fuzz/$name" -max_total_time="$fuzz_time" \
			-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$run/" "${dict[@]}" corpus > fuzz.log 2>&1); then
			passed=$((passed + 1))
			report+=("$name: ok ($(fuzz_figures "$run/fuzz.log"))")
		else
			# the crash: from the first line that reports one
			sed -n '/property failed\|^==[0-9]*==\|runtime error\|ALARM: working on the last Unit/,$p' \
				"$run/fuzz.log" | head -n 150 || true
			ls "$run" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || true
			failed=$((failed + 1))
			report+=("$name: FAILED (the input is in $run)")
			status=1
		fi
	done
else
	tail -n 60 "$fuzz_dir/configure.log" "$fuzz_dir/make.log" 2>/dev/null || true
	failed=$((failed + $(echo $fuzz_names | wc -w)))
	report+=("fuzz: FAILED (build)")
	status=1
fi

echo "== distcheck (the run so far: $SECONDS s)"
# The unpacked tarball has no node_modules: the tests use the tree's.
export MG_NODE_MODULES="$top/tests/node/node_modules"
export MG_PROXY_NODE_MODULES="$top/tests/proxy/node_modules"
export MG_ERA_NODE_MODULES="$top/tests/era/node_modules"
export MG_AUTH_NODE_MODULES="$top/tests/auth/node_modules"
export MG_BENCH_NODE_MODULES="$top/bench/stdio/node_modules"
export MG_FED_NODE_MODULES="$top/tests/fed/node_modules"
# The whole suite ran three times above; the tarball's own "make check"
# runs the unit tests and one integration test per group of helper files
# it must carry (lib.sh and mcp_lib.sh, tests/node, tests/proxy,
# tls_lib.sh, tests/era, tests/auth, bench, tests/fed and peers_lib.sh),
# which proves the tarball complete (era_sdk.sh for tests/era: the
# conformance suite itself, 65 s, runs in the gcc and sanitizer builds).
dist_tests="tests/check_mcpgw tests/integration/cli.sh tests/integration/mcp_http.sh
tests/integration/mcp_sdk.sh tests/integration/proxy_sdk.sh tests/integration/tls.sh
tests/integration/era_sdk.sh tests/integration/auth_oidc.sh tests/integration/bench_quick.sh
tests/integration/fed_peers.sh"
if (cd "$top/build/gcc" && make distcheck TESTS="$(echo $dist_tests)" > distcheck.log 2>&1); then
	report+=("distcheck: ok (the run so far: $SECONDS s)")
else
	tail -n 60 "$top/build/gcc/distcheck.log"
	report+=("distcheck: FAILED")
	failed=$((failed + 1))
	status=1
fi

echo
printf '%s\n' "${report[@]}"
echo "the whole run took $SECONDS s"
[ $status -eq 0 ] || [ $failed -gt 0 ] || failed=1
echo "$passed passed, $failed failed"
exit $status
