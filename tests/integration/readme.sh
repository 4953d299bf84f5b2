#!/usr/bin/env bash
# The README's two commands, as a new user runs them, in one fresh clone
# of this repository, in both orders: the first (build in the source tree
# and start on the shipped configuration), then the second (./.ci/run),
# then the first again.  What needs the network is left out: the first
# command's apt-get part (its packages must be installed already, which
# this checks), and the second runs in its MCPGW_CI_SMOKE mode (the gcc
# build, the unit tests and cli.sh, without npm: the whole suite cannot
# run inside itself).  Each start must answer an MCP call on the shipped
# configuration's 127.0.0.1:8080.  Runs in CI's gcc build only (a few
# minutes: three builds).
. "$(dirname "$0")/lib.sh"
mg_setup

git -C "$MG_SRCDIR" rev-parse --git-dir > /dev/null 2>&1 ||
	fail "$MG_SRCDIR is not a git checkout: this test clones it"
readme=$MG_SRCDIR/README.md
# the first two ```sh blocks, one line each
cmds=$(awk '/^```sh$/ { inb = 1; next } /^```$/ { inb = 0; n++; if (n == 2) exit; next } inb' "$readme")
first=$(echo "$cmds" | sed -n 1p)
second=$(echo "$cmds" | sed -n 2p)
[ "$(echo "$cmds" | wc -l)" = 2 ] || fail "the README's first two sh blocks are not one line each: $cmds"
[ "$second" = "./.ci/run" ] || fail "the README's second command is \"$second\", not ./.ci/run"
case $first in
"sudo apt-get update && sudo apt-get install -y "*" && "*) ;;
*) fail "the README's first command does not start with its apt-get part: $first" ;;
esac
pkgs=$(echo "$first" | sed 's/^sudo apt-get update && sudo apt-get install -y \([^&]*\) && .*/\1/')
build=${first#"sudo apt-get update && sudo apt-get install -y $pkgs && "}
[ "$build" != "$first" ] || fail "could not take the apt-get part off: $first"
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'ok installed' ||
		fail "the README's package $p is not installed here"
done
ok "the README: apt-get of $(echo $pkgs | wc -w) installed packages, then \"$build\"; then \"$second\""

if (exec 3<> /dev/tcp/127.0.0.1/8080) 2> /dev/null; then
	fail "127.0.0.1:8080, where the shipped configuration listens, is in use"
fi

git clone -q "$MG_SRCDIR" "$MG_TMP/clone" || fail "git clone $MG_SRCDIR"
GW_PGID=
mg_on_cleanup() {
	[ -n "$GW_PGID" ] && kill -KILL -- "-$GW_PGID" 2> /dev/null
	return 0
}

# first_command RUN: the README's first command (without apt-get) in the
# clone, until the gateway answers an MCP call; then stop it.
first_command() {
	local run=$1 log=$MG_TMP/first-$1.log u sid out
	(cd "$MG_TMP/clone" && MAKEFLAGS=-j"$(nproc)" exec setsid bash -c "$build") > "$log" 2>&1 &
	GW_PGID=$!
	u=http://127.0.0.1:8080/mcp/demo
	mg_wait 600 "grep -q 'generation 1 ready' '$log' || ! kill -0 $GW_PGID 2>/dev/null" || fail "run $run: not serving after 600 s: $(tail -n 5 "$log")"
	kill -0 "$GW_PGID" 2> /dev/null || fail "run $run: the command ended: $(tail -n 20 "$log")"
	sid=$(curl -s --max-time 5 "$u" -D - -o /dev/null -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"readme","version":"1"}}}' |
		tr -d '\r' | sed -n 's/^mcp-session-id: //Ip')
	[ -n "$sid" ] || fail "run $run: no session from $u"
	out=$(curl -s --max-time 5 "$u" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H 'MCP-Protocol-Version: 2025-11-25' -H "Mcp-Session-Id: $sid" \
		-d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}}')
	[ "$out" = '{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"echo: hello"}]}}' ] ||
		fail "run $run: tools/call echo answered: $out"
	kill -INT -- "-$GW_PGID"
	mg_wait 10 "! kill -0 $GW_PGID 2>/dev/null" || fail "run $run: the gateway did not stop on Ctrl-C"
	GW_PGID=
}

t0=$(date +%s)
first_command 1
ok "the first command, in a fresh clone: built and served an MCP call ($(($(date +%s) - t0)) s)"

t0=$(date +%s)
(cd "$MG_TMP/clone" && MCPGW_CI_SMOKE=1 $second) > "$MG_TMP/second.log" 2>&1 ||
	fail "the second command after the first failed: $(tail -n 30 "$MG_TMP/second.log")"
last=$(tail -n 1 "$MG_TMP/second.log")
echo "$last" | grep -qE '^[1-9][0-9]* passed, 0 failed' || fail "the second command's last line: $last"
ok "the second command after the first: $last ($(($(date +%s) - t0)) s)"

t0=$(date +%s)
first_command 2
ok "the first command again, after the second: built and served an MCP call ($(($(date +%s) - t0)) s)"

mg_done
