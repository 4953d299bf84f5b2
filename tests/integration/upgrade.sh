#!/usr/bin/env bash
# The binary upgrade, as nginx's (USR2, WINCH, QUIT; HUP to roll back),
# on a real daemon run from a copy of the binary: worker_processes 2, a
# built-in route and an mcp_pass route through the connector.
#   A. Under load (tests/node/chaos_load.mjs: 3 sessions per route, each with
#      two lanes of echo calls, one of sleep calls and a GET stream, every
#      request written down) and with two progress calls streaming over SSE
#      (8 s each, one per route, still open at WINCH): a new binary is moved over
#      the path, USR2 starts it (a new pid, "binary upgrade" in its start line,
#      the old master's exe now deleted), the pid file is renamed .oldbin, both
#      masters' workers hold the listening socket and take connections, WINCH
#      retires the old children, QUIT ends the old master.  Then: no request
#      failed, both streams ended with every progress step and their result,
#      every session kept its Mcp-Session-Id to its last call and DELETE, the
#      pid file names the new master and .oldbin is gone.
#   B. Rollback: USR2 (mcpgw -s upgrade), WINCH and HUP to the old master
#      (its children come back), QUIT to the new one: the old serves, the
#      pid file is its again; a second USR2 during it is refused by both
#      masters.
#   C. A new binary that exits 1 at start, then one that cannot be
#      executed: the old master logs why, renames .oldbin back, serves.
#   D. Signals a master does not use (ALRM, VTALRM, PROF, IO, PWR, XFSZ,
#      a real-time one; WINCH with no upgrade), also sent to a worker and
#      the connector: none is fatal, the master logs them.
#   E. A configuration changed before USR2 (one address kept, one dropped,
#      one added): the new master adopts the kept socket, closes the
#      dropped one, binds the added one.
# Throughout, the sd_notify messages are checked as systemd with
# NotifyAccess=main would take them: only the main process's, MAINPID=
# handing the role from the old master to the new one, and back on a
# rollback.
# About 35 s; Node.js >= 18, ss (iproute2).
. "$(dirname "$0")/lib.sh"
mg_setup

command -v node > /dev/null 2>&1 || fail "node (Node.js >= 18) is needed"
command -v ss > /dev/null 2>&1 || fail "ss (iproute2) is needed"
MG_SRCDIR=${MG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
LOAD=$MG_SRCDIR/tests/node/chaos_load.mjs

# Every master this test saw, killed with its children at the end.
MASTERS=
mg_on_cleanup() {
	local m
	for m in $MASTERS; do
		kill -KILL $(mg_children "$m") "$m" 2> /dev/null
	done
}

# MG_PORT throughout; PORT_B until E, which lists PORT_C instead
read -r MG_PORT PORT_B PORT_C <<< "$(free_port 3 | tr '\n' ' ')"
G=http://127.0.0.1:$MG_PORT
PID=$MG_TMP/mcpgw.pid
BIN=$MG_TMP/sbin/mcpgw
mkdir -p "$MG_TMP/sbin"
cp "$MCPGW" "$BIN"
conf() { # conf SECOND-PORT
	cat > "$MG_TMP/mcpgw.conf" << CONF
worker_processes 2;
pid $PID;
error_log $MG_TMP/error.log debug;
shutdown_timeout 10s;
upstream self { server $G/mcp/demo; }
server {
    listen 127.0.0.1:$MG_PORT;
    listen 127.0.0.1:$1;
    location /mcp/demo { mcp_builtin demo; }
    location = /mcp { mcp_pass self; }
}
CONF
}
conf "$PORT_B"
# systemd's notification socket, with each sender's pid
"$MGTEST" notify-listen "$MG_TMP/notify.sock" pid > "$MG_TMP/notify.log" &
MG_BG_PIDS=$!
mg_wait 5 "[ -S '$MG_TMP/notify.sock' ]" || fail "notify listener did not start"
NOTIFY_SOCKET=$MG_TMP/notify.sock MCPGW=$BIN mg_start
OLD=$MG_MASTER
MASTERS=$OLD
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')

init() { # init URL: a new session's id
	curl -s -D "$MG_TMP/h" -o /dev/null --max-time 5 -X POST "$1" "${H[@]}" \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
	tr -d '\r' < "$MG_TMP/h" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p'
}
call() { # call URL SID JSON
	curl -sN --max-time 20 -X POST "$1" "${H[@]}" -H "Mcp-Session-Id: $2" \
		-H 'MCP-Protocol-Version: 2025-11-25' -d "$3"
}
echo_ok() { # echo_ok URL SID WORD
	call "$1" "$2" "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"$3\"}}}" |
		grep -q "\"text\":\"echo: $3\""
}
# What systemd makes of the notifications with NotifyAccess=main: it takes
# the main process's only, and MAINPID= from it moves that role.  Prints
# "MAIN REFUSED STOPPING".
sd_view() {
	awk -v main="$OLD" '{
		msg = substr($0, length($1) + 2)
		if ($1 != main) { refused++; print "refused: " $0 > "/dev/stderr"; next }
		n = split(msg, part, "|")
		for (i = 1; i <= n; i++) {
			if (part[i] ~ /^MAINPID=/) main = substr(part[i], 9)
			if (part[i] == "STOPPING=1") stopping = 1
		}
	} END { print main, refused + 0, stopping + 0 }' "$MG_TMP/notify.log"
}
# the new master of OLD (its child with a master's title), if any
new_master() {
	local p
	for p in $(mg_children "$1"); do
		case "$(mg_title "$p")" in "mcpgw: master process"*) echo "$p" ;; esac
	done
}
started_line() { grep -q "master: mcpgw .* starting (pid $1, binary upgrade)" "$MG_TMP/error.log"; }
# pids holding connections accepted on our port (ss -p: "pid=N,")
serving_pids() {
	ss -Htnp state established "( sport = :$MG_PORT )" | grep -o 'pid=[0-9]*' | sort -u | cut -d= -f2
}
any_of() { # any_of LIST1 LIST2: does LIST1 hold one of LIST2?
	local p
	for p in $2; do mg_has "$p" "$1" && return 0; done
	return 1
}

SID_DEMO=$(init "$G/mcp/demo")
SID_PASS=$(init "$G/mcp")
[ -n "$SID_DEMO" ] && [ -n "$SID_PASS" ] || fail "no session before the upgrade"
t_start=$(date +%s%3N)

# --- A. the upgrade under load ------------------------------------------------
node "$LOAD" run 30 "$MG_TMP/load.jsonl" 3 "$G/mcp/demo" "$G/mcp" > "$MG_TMP/load.out" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
load=$!
sleep 1.5
progress='{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"progress","arguments":{"steps":800},"_meta":{"progressToken":"up"}}}'
call "$G/mcp/demo" "$SID_DEMO" "$progress" > "$MG_TMP/sse_demo" &
sse1=$!
call "$G/mcp" "$SID_PASS" "$progress" > "$MG_TMP/sse_pass" &
sse2=$!
MG_BG_PIDS="$MG_BG_PIDS $sse1 $sse2"
sleep 0.3
old_workers=$(mg_role_pids "$OLD" worker)

# a new binary over the path (a rename: the running file is busy)
cp "$MCPGW" "$BIN.new" && mv -f "$BIN.new" "$BIN"
kill -USR2 "$OLD"
mg_wait 5 '[ -n "$(new_master "$OLD")" ]' || fail "USR2 started no new master"
NEW=$(new_master "$OLD")
MASTERS="$OLD $NEW"
mg_wait 5 "grep -q '$NEW master: generation 1 ready' '$MG_TMP/error.log'" ||
	fail "the new master $NEW did not become ready"
[ "$NEW" != "$OLD" ] && started_line "$NEW" ||
	fail "no start line of a new master $NEW: $(grep starting "$MG_TMP/error.log")"
case "$(readlink "/proc/$OLD/exe")" in *" (deleted)") ;; *) fail "the old master's binary was not replaced" ;; esac
[ "$(readlink "/proc/$NEW/exe")" = "$BIN" ] || fail "the new master runs $(readlink "/proc/$NEW/exe"), not $BIN"
ok "USR2 execs the binary on disk: new master $NEW (old $OLD), its start line says binary upgrade"
[ "$(cat "$PID.oldbin" 2> /dev/null)" = "$OLD" ] && [ "$(cat "$PID" 2> /dev/null)" = "$NEW" ] ||
	fail "pid files: $(cat "$PID" 2> /dev/null) / .oldbin $(cat "$PID.oldbin" 2> /dev/null)"
ok "the pid file names the new master, PIDFILE.oldbin the old one"
new_workers=$(mg_role_pids "$NEW" worker)
[ "$(mg_count "$new_workers")" = 2 ] && [ "$(mg_count "$(mg_role_pids "$NEW" connector)")" = 1 ] ||
	fail "the new master's children: $(mg_children "$NEW")"
! grep -q "bind() to" "$MG_TMP/error.log" || fail "a master bound the port again"
# both generations take new connections: 8 calls of 1 s on fresh
# connections at a time, seen by ss while in flight, in rounds
sleep_call='{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":1000}}}'
both=
for round in 1 2 3 4 5; do
	cpids=
	for i in 1 2 3 4 5 6 7 8; do
		call "$G/mcp/demo" "$SID_DEMO" "$sleep_call" > /dev/null &
		cpids="$cpids $!"
	done
	sleep 0.5
	s=$(serving_pids)
	wait $cpids
	any_of "$s" "$old_workers" && any_of "$s" "$new_workers" && both=1 && break
done
[ -n "$both" ] || fail "not both masters' workers serve: connections held by $(echo $s); old $(echo $old_workers), new $(echo $new_workers)"
ok "both masters' workers serve on the inherited socket at once"

kill -0 "$sse1" 2> /dev/null && kill -0 "$sse2" 2> /dev/null ||
	fail "the SSE streams ended before WINCH: the test proves nothing"
kill -WINCH "$OLD"
mg_wait 12 '[ -z "$(mg_role_pids "$OLD" worker)$(mg_role_pids "$OLD" connector)" ]' ||
	fail "WINCH: the old master's children did not exit: $(mg_children "$OLD")"
mg_alive "$OLD" || fail "WINCH ended the old master"
ok "WINCH: the old master's workers and connector finish and exit; the old master stays"
kill -QUIT "$OLD"
mg_wait 12 "! mg_alive $OLD" || fail "QUIT did not end the old master"
[ "$(cat "$PID")" = "$NEW" ] && [ ! -e "$PID.oldbin" ] || fail "after QUIT: pid $(cat "$PID"), .oldbin $(ls "$PID.oldbin" 2>&1)"
ok "QUIT ends the old master: the pid file names $NEW, .oldbin is gone"
[ "$(sd_view)" = "$NEW 0 0" ] || fail "systemd (NotifyAccess=main) would see: $(sd_view); $(cat "$MG_TMP/notify.log")"
grep -q "^$OLD MAINPID=$NEW\$" "$MG_TMP/notify.log" || fail "no MAINPID=$NEW from the old master"
ok "systemd's view (NotifyAccess=main): the old master made the new one the main process; nothing refused, no STOPPING=1"
MG_MASTER=$NEW

wait "$sse1" "$sse2"
for f in sse_demo sse_pass; do
	steps=$(grep -c '"method":"notifications/progress"' "$MG_TMP/$f")
	grep -q '"progress":800,"total":800' "$MG_TMP/$f" && [ "$steps" = 800 ] &&
		grep -q '"text":"progress: 800 steps"' "$MG_TMP/$f" ||
		fail "the SSE stream of $f broke: $steps steps, ends with $(tail -c 300 "$MG_TMP/$f")"
done
ok "two SSE streams open across the upgrade (built-in, mcp_pass) open at WINCH, ended intact on the old workers: 800 progress events and the result each"

sleep 1
touch "$MG_TMP/load.jsonl.stop"
wait "$load" || fail "the load client failed: $(tail -5 "$MG_TMP/load.out")"
: > "$MG_TMP/events"
node "$LOAD" check "$MG_TMP/load.jsonl" "$MG_TMP/events" 0 0 > "$MG_TMP/check.out" ||
	fail "the load check failed: $(cat "$MG_TMP/check.out")"
v() { sed -n "s/^$1 //p" "$MG_TMP/check.out"; }
grep '^#' "$MG_TMP/check.out"
[ "$(v failed)" = 0 ] && [ "$(v requests)" -gt 100 ] ||
	fail "$(v failed) of $(v requests) requests failed: $(grep '^#' "$MG_TMP/check.out")"
ok "no request failed during the upgrade: $(v requests) requests ($(v proxied) through the connector), $(v failed) failed"
[ "$(v sessions_started)" = 6 ] && [ "$(v session_id_changed)" = 0 ] && [ "$(v lost)" = 0 ] &&
	[ "$(v wrong)" = 0 ] && [ "$(v last_calls_ok)" = 6 ] && [ "$(v deletes_ok)" = 6 ] ||
	fail "sessions: $(cat "$MG_TMP/check.out")"
broken=$(grep '"k":"getend"' "$MG_TMP/load.jsonl" | grep -vc '"err":null')
[ "$broken" = 0 ] || fail "$broken GET streams broke: $(grep '"k":"getend"' "$MG_TMP/load.jsonl" | grep -v '"err":null' | head -3)"
ok "sessions opened before the upgrade go on after it: 6 kept their Mcp-Session-Id to the last call and DELETE; GET streams ended cleanly ($(v get_ends)) and reopened ($(v get_opens))"
echo_ok "$G/mcp/demo" "$SID_DEMO" after && echo_ok "$G/mcp" "$SID_PASS" after ||
	fail "a session opened before the upgrade is gone"
ok "the sessions opened first (built-in and mcp_pass) answer on the new master"

# --- B. rollback, and a second USR2 refused -----------------------------------
M1=$NEW
"$MCPGW" -s upgrade -c "$MG_TMP/mcpgw.conf" || fail "mcpgw -s upgrade failed"
mg_wait 5 '[ -n "$(new_master "$M1")" ]' || fail "USR2 (rollback run) started no new master"
M2=$(new_master "$M1")
MASTERS="$MASTERS $M2"
mg_wait 5 "grep -q '$M2 master: generation 1 ready' '$MG_TMP/error.log'" || fail "$M2 not ready"
kill -USR2 "$M1"
kill -USR2 "$M2"
mg_wait 3 "grep -q '$M1 master: SIGUSR2 ignored: an upgrade is running already' '$MG_TMP/error.log' &&
	grep -q '$M2 master: SIGUSR2 ignored: the old master $M1 still runs' '$MG_TMP/error.log'" ||
	fail "a second USR2 was not refused by both masters"
sleep 0.3
[ "$(new_master "$M1")" = "$M2" ] && [ -z "$(new_master "$M2")" ] || fail "a second USR2 started a master"
ok "a second USR2 while an upgrade runs is refused, with a log line, by the old and the new master"
kill -WINCH "$M1"
mg_wait 12 '[ -z "$(mg_children "$M1" | grep -vx "$M2")" ]' ||
	fail "WINCH: children of $M1 left: $(mg_children "$M1")"
kill -HUP "$M1"
mg_wait 5 "grep -q '$M1 master: generation 2 ready' '$MG_TMP/error.log'" ||
	fail "HUP after WINCH did not bring the old master's children back"
[ "$(mg_count "$(mg_role_pids "$M1" worker)")" = 2 ] || fail "rollback: workers of $M1: $(mg_role_pids "$M1" worker)"
kill -QUIT "$M2"
mg_wait 5 "! mg_alive $M2" || fail "QUIT did not end the new master $M2"
mg_wait 3 "[ \"\$(cat '$PID' 2> /dev/null)\" = $M1 ] && [ ! -e '$PID.oldbin' ]" ||
	fail "rollback: pid file $(cat "$PID" 2>&1), .oldbin $(ls "$PID.oldbin" 2>&1)"
grep -q "$M1 master: renamed \"$PID.oldbin\" back to \"$PID\"" "$MG_TMP/error.log" || fail "no log of the rename back"
echo_ok "$G/mcp/demo" "$SID_DEMO" rollback && echo_ok "$G/mcp" "$SID_PASS" rollback ||
	fail "the old master does not serve after the rollback"
ok "rollback: HUP to the old master restarts its children, QUIT to the new one; the old serves, its pid file is restored"
[ "$(sd_view)" = "$M1 0 0" ] || fail "systemd (NotifyAccess=main) would see: $(sd_view); $(cat "$MG_TMP/notify.log")"
grep -q "^$M2 MAINPID=$M1\$" "$MG_TMP/notify.log" || fail "the new master did not hand MAINPID back"
ok "systemd's view after the rollback: the new master handed the main process back to $M1 before it stopped; no STOPPING=1"

# --- C. a new binary that fails ------------------------------------------------
printf '#!/bin/sh\necho "mcpgw: a broken build" >&2\nexit 1\n' > "$BIN.new"
chmod +x "$BIN.new"
mv -f "$BIN.new" "$BIN"
kill -USR2 "$M1"
mg_wait 5 "grep -q '$M1 master: the new master [0-9]* exited with code 1 before it served' '$MG_TMP/error.log'" ||
	fail "the failed start was not logged: $(tail -5 "$MG_TMP/error.log")"
mg_wait 3 "[ \"\$(cat '$PID' 2> /dev/null)\" = $M1 ] && [ ! -e '$PID.oldbin' ]" ||
	fail "failed start: pid file $(cat "$PID" 2>&1), .oldbin $(ls "$PID.oldbin" 2>&1)"
ok "a new binary that exits 1 at start: logged, .oldbin renamed back"
chmod -x "$BIN"
kill -USR2 "$M1"
mg_wait 5 "grep -q '$M1 master: cannot start the new binary \"$BIN\" (Permission denied)' '$MG_TMP/error.log'" ||
	fail "the failed exec was not logged: $(tail -5 "$MG_TMP/error.log")"
mg_wait 3 "[ \"\$(cat '$PID' 2> /dev/null)\" = $M1 ] && [ ! -e '$PID.oldbin' ]" ||
	fail "failed exec: pid file $(cat "$PID" 2>&1), .oldbin $(ls "$PID.oldbin" 2>&1)"
echo_ok "$G/mcp" "$SID_PASS" failed || fail "the master does not serve after a failed upgrade"
ok "a binary that cannot be executed: logged, .oldbin renamed back, the master serves on"

# --- D. signals nobody uses ------------------------------------------------------
w=$(mg_first "$(mg_role_pids "$M1" worker)")
c=$(mg_first "$(mg_role_pids "$M1" connector)")
for s in ALRM VTALRM PROF IO PWR XFSZ RTMIN+3 USR2; do
	kill -s "$s" "$w" "$c" || fail "kill -$s"
done
for s in ALRM VTALRM PROF IO PWR XFSZ RTMIN+3 WINCH; do
	kill -s "$s" "$M1" || fail "kill -$s"
	sleep 0.05
done
sleep 0.3
mg_alive "$M1" && mg_alive "$w" && mg_alive "$c" || fail "a signal ended a process"
mg_has "$w" "$(mg_role_pids "$M1" worker)" && mg_has "$c" "$(mg_role_pids "$M1" connector)" ||
	fail "a child was replaced"
for s in SIGALRM SIGVTALRM SIGPROF SIGIO SIGPWR SIGXFSZ; do
	grep -q "$M1 master: signal [0-9]* ($s) ignored" "$MG_TMP/error.log" || fail "no log line for $s"
done
grep -q "$M1 master: SIGWINCH ignored: no new master runs" "$MG_TMP/error.log" || fail "no log line for WINCH"
echo_ok "$G/mcp" "$SID_PASS" signals || fail "no answer after the signals"
ok "ALRM VTALRM PROF IO PWR XFSZ RTMIN+3 (and USR2 to children, WINCH without an upgrade): none fatal, each logged by the master"

# --- E. a configuration that changed its addresses ---------------------------
# The new master adopts the inherited socket its configuration lists
# (MG_PORT), closes the one it no longer lists (PORT_B) and binds the new
# one (PORT_C).
cp "$MCPGW" "$BIN.new" && mv -f "$BIN.new" "$BIN"
conf "$PORT_C"
kill -USR2 "$M1"
mg_wait 5 '[ -n "$(new_master "$M1")" ]' || fail "USR2 (E) started no new master"
M3=$(new_master "$M1")
MASTERS="$MASTERS $M3"
mg_wait 5 "grep -q '$M3 master: generation 1 ready' '$MG_TMP/error.log'" || fail "$M3 not ready"
grep -q "$M3 master: binary upgrade: started by the old master $M1 with 2 listening socket(s)" "$MG_TMP/error.log" ||
	fail "the new master did not inherit 2 sockets"
kill -WINCH "$M1"
kill -QUIT "$M1"
mg_wait 10 "! mg_alive $M1" || fail "QUIT (E) did not end the old master"
MG_MASTER=$M3
echo_ok "$G/mcp/demo" "$SID_DEMO" kept && echo_ok "http://127.0.0.1:$PORT_C/mcp" "$SID_PASS" added ||
	fail "the kept or the added address does not serve"
[ "$(http_status "http://127.0.0.1:$PORT_B/mcp/demo")" = 000 ] || fail "the address no longer listed still accepts"
ok "a changed configuration: the inherited socket it lists serves, the new address is bound, the dropped one is closed"

[ "$(sd_view)" = "$M3 0 0" ] || fail "systemd (E) would see: $(sd_view); $(cat "$MG_TMP/notify.log")"
kill -QUIT "$M3"
mg_wait 10 "! mg_alive $M3" || fail "the master did not stop"
[ "$(sd_view)" = "$M3 0 1" ] || fail "systemd (stop) would see: $(sd_view)"
ok "systemd's view through the failed upgrades and E: nothing refused; the last master's stop says STOPPING=1"
[ ! -e "$PID" ] || fail "the pid file stays after the stop"
MG_MASTER=
echo "# $(($(date +%s%3N) - t_start)) ms"
mg_done
