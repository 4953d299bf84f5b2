#!/usr/bin/env bash
# Chaos under load, worker_processes 2, a built-in route and a proxy route
# to the gateway's own built-in server (mcp_pass self, as the shipped
# configuration has it).  tests/node/chaos_load.mjs keeps 4 sessions per
# route busy (two lanes of echo calls, one lane of sleep calls of 0.1 to
# 0.9 s, one GET stream opened again whenever it ends) and writes down,
# per request, when it was sent, when it ended and how.  Meanwhile:
#   1. 20 reloads (SIGHUP), a second apart: no request may fail at all,
#      proxied ones included;
#   2. SIGKILL of a worker, of the connector, and of a worker again: only
#      requests in flight at a kill may fail (sent before it, or within
#      250 ms after it, before the death was seen, and ended within 2 s
#      after it; JSON-RPC -32000, 502/503, or a broken connection to the
#      killed worker; never "the connector process is not available").
# Then: every session still answers under the Mcp-Session-Id it was given
# (none re-initialized, none got 404), every GET stream was opened again on
# its own session, and once the old generations are gone the daemon has
# the processes and descriptors it had before the load (established TCP
# connections apart: the connector's keep-alive pool, counted on its own).
# Each criterion is its own ok/FAIL line.  About 40 s; Node.js >= 18.
# CHAOS_RELOADS (20) and CHAOS_SESSIONS (4 per route) change the size;
# CHAOS_KEEP=DIR keeps the record of every request, the events and the
# error log there.
. "$(dirname "$0")/lib.sh"
mg_setup

command -v node > /dev/null 2>&1 || fail "node (Node.js >= 18) is needed"
MG_SRCDIR=${MG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
LOAD=$MG_SRCDIR/tests/node/chaos_load.mjs
RELOADS=${CHAOS_RELOADS:-20}
SESSIONS=${CHAOS_SESSIONS:-4}
FAILS=0

check() { # check WHAT CONDITION...: an ok or FAIL line; the test goes on
	local what=$1
	shift
	if eval "$@"; then
		ok "$what"
	else
		FAILS=$((FAILS + 1))
		echo "FAIL: $what"
	fi
}

MG_PORT=$(free_port)
G=http://127.0.0.1:$MG_PORT
cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes 2;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log info;
shutdown_timeout 10s;
upstream self { server $G/mcp/demo; }
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/demo { mcp_builtin demo; }
    location = /mcp { mcp_pass self; }
}
CONF
mg_start

# --- what a process holds ---------------------------------------------------

# Socket inodes of established TCP connections (state 01).
tcp_established() {
	awk 'NR > 1 && $4 == "01" { print $10 }' /proc/net/tcp /proc/net/tcp6 2> /dev/null | sort -u
}

# fds PID: "ALL TCP": its descriptors, and how many of them are
# established TCP connections.
fds() {
	local all=0 tcp=0 f l
	for f in /proc/"$1"/fd/*; do
		l=$(readlink "$f") || continue
		all=$((all + 1))
		case "$l" in
		socket:*) [ -n "${EST[${l//[^0-9]/}]:-}" ] && tcp=$((tcp + 1)) ;;
		esac
	done
	echo "$all $tcp"
}

# The daemon now: one line per process, "ROLE ALL TCP" (the master first).
snapshot() {
	local p role
	declare -gA EST=()
	for p in $(tcp_established); do EST[$p]=1; done
	echo "master $(fds "$MG_MASTER")"
	for p in $(mg_children "$MG_MASTER"); do
		case "$(mg_title "$p")" in
		"mcpgw: worker process"*) role=worker ;;
		"mcpgw: connector process"*) role=connector ;;
		*) role="other($(mg_title "$p"))" ;;
		esac
		grep -qs '^State:.*Z' "/proc/$p/status" && role="zombie"
		echo "$role $(fds "$p")"
	done | sort
}

# The pids of generation GEN's workers (by slot) or connector that live.
gen_pids() { # gen_pids GEN ROLE
	local p
	for p in $(sed -n "s/.*started $2 process \([0-9]*\) (slot [0-9]*, generation $1)\$/\1/p" \
		"$MG_TMP/error.log"); do
		mg_alive "$p" && echo "$p"
	done
}

before=$(snapshot)
echo "# before the load: $(echo $before)"

# --- the load, the reloads, the kills -----------------------------------------

: > "$MG_TMP/events"
stamp() { echo "$1 $(date +%s%3N)" >> "$MG_TMP/events"; }
secs=$((2 + RELOADS + 3 + 8 + 20)) # at most: it stops when told
# (node itself, so that the cleanup's kill reaches it; it ends by itself
# 30 s after SECS at the latest)
node "$LOAD" run "$secs" "$MG_TMP/load.jsonl" "$SESSIONS" \
	"$G/mcp/demo" "$G/mcp" > "$MG_TMP/load.out" 2>&1 &
load=$!
MG_BG_PIDS="$load"
sleep 2

gen=1
for i in $(seq 1 "$RELOADS"); do
	stamp reload
	kill -HUP "$MG_MASTER"
	gen=$((gen + 1))
	sleep 1
done
mg_wait 10 "grep -q 'generation $gen ready' '$MG_TMP/error.log'" || fail "generation $gen never came"
sleep 2

# SIGKILL and stamp the time once it is dead (its descriptors closed:
# a zombie, or reaped), which under ASan takes some milliseconds.
kill_one() { # kill_one ROLE
	local victim i=0
	victim=$(mg_first "$(gen_pids "$gen" "$1")")
	[ -n "$victim" ] || fail "no $1 of generation $gen to kill"
	kill -KILL "$victim"
	while mg_alive "$victim" && [ $i -lt 2000 ]; do i=$((i + 1)); done
	stamp "kill-$1"
	echo "# killed $1 $victim"
}
# the reload phase ends here, before the first kill is sent: a request
# that the kill broke may end before the kill's own stamp below
stamp phase-kills
kill_one worker
sleep 2.5
kill_one connector
sleep 2.5
kill_one worker
sleep 2.5
touch "$MG_TMP/load.jsonl.stop"

wait "$load" || fail "the load client failed: $(tail -5 "$MG_TMP/load.out")"
node "$LOAD" check "$MG_TMP/load.jsonl" "$MG_TMP/events" 250 2000 > "$MG_TMP/check.out" ||
	fail "the load check failed: $(cat "$MG_TMP/check.out")"
grep '^#' "$MG_TMP/check.out"
v() { sed -n "s/^$1 //p" "$MG_TMP/check.out"; }
# CHAOS_KEEP=DIR keeps the record of the run there
if [ -n "${CHAOS_KEEP:-}" ]; then
	mkdir -p "$CHAOS_KEEP" && cp "$MG_TMP"/load.jsonl "$MG_TMP"/events "$MG_TMP"/error.log "$MG_TMP"/check.out "$CHAOS_KEEP"/
fi

# --- the verdicts -------------------------------------------------------------

check "reloads alone ($RELOADS SIGHUP a second apart under load): $(v reload_phase_failed) of $(v reload_phase_requests) requests failed ($(v reload_phase_kinds)), of them $(v reload_phase_failed_proxied) proxied and $(v reload_phase_get_failed) GET" \
	'[ "$(v reload_phase_failed)" = 0 ] && [ "$(v reload_phase_requests)" -gt 0 ]'
check "kills: no failed request but the killed processes' in-flight ones ($(v failed) failed, $(v excused) of them in flight at a kill, $(v unexcused) not)" \
	'[ "$(v unexcused)" = 0 ]'
check "no lost session: $(v sessions_started) of $(v sessions) sessions kept their Mcp-Session-Id (changed $(v session_id_changed), 404 $(v lost), wrong answers $(v wrong)); last call ok $(v last_calls_ok), DELETE ok $(v deletes_ok)" \
	'[ "$(v sessions_started)" = "$(v sessions)" ] && [ "$(v session_id_changed)" = 0 ] && [ "$(v lost)" = 0 ] &&
	 [ "$(v wrong)" = 0 ] && [ "$(v last_calls_ok)" = "$(v sessions)" ] && [ "$(v deletes_ok)" = "$(v sessions)" ]'
check "GET streams reopened on the same session: $(v get_opens) opens for $(v get_ends) ends, each session's at least $(v sessions_get_min_opens) times" \
	'[ "$(v sessions_get_reopened)" = "$(v sessions)" ] && [ "$(v sessions_get_min_opens)" -gt "$RELOADS" ]'

# Old generations drain (idle connections within 5 s); then compare.
settled() {
	after=$(snapshot)
	[ "$(echo "$after" | awk '{ print $1 }' | tr '\n' ' ')" = "$(echo "$before" | awk '{ print $1 }' | tr '\n' ' ')" ] || return 1
	# the same descriptors but established TCP connections, role by role
	[ "$(echo "$after" | awk '{ print $1, $2 - $3 }' | sort)" = "$(echo "$before" | awk '{ print $1, $2 - $3 }' | sort)" ] || return 1
	# every pooled connection of the connector ends in a worker
	echo "$after" | awk '$1 == "connector" { c += $3 } $1 == "worker" { w += $3 } $1 == "master" { m += $3 }
		END { exit !(c == w && m == 0 && c <= 32) }'
}
mg_wait 20 settled
check "no leaked process: master, $(echo "$after" | grep -c '^worker') workers and $(echo "$after" | grep -c '^connector') connector, as before the load" \
	'[ "$(echo "$after" | awk "{ print \$1 }" | tr "\n" " ")" = "$(echo "$before" | awk "{ print \$1 }" | tr "\n" " ")" ]'
check "no leaked descriptor: before $(echo $before), after $(echo $after) (ROLE ALL TCP)" settled
check "every SIGKILLed child was respawned at once, and no other child died" \
	'[ "$(grep -Ec "had served( clients)? for .* respawning it at once" "$MG_TMP/error.log")" = 3 ] &&
	 [ "$(grep -c "exited on signal" "$MG_TMP/error.log")" = 3 ] && ! grep -q "exited with code [1-9]" "$MG_TMP/error.log"'

if [ "$FAILS" -gt 0 ]; then
	echo "$MG_TESTS passed, $FAILS failed"
	exit 1
fi
mg_done
