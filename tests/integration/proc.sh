#!/usr/bin/env bash
# The process model against the real daemon: titles, respawn (at once
# for a child that had served, with back-off for one that dies at
# start-up), reloads good and bad, graceful and fast stops, -s through the
# pid file, the pid file's life, log reopening, systemd notifications.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mcp_lib.sh"
mg_setup

MG_PORT=$(free_port)
mg_conf 2
"$MGTEST" notify-listen "$MG_TMP/notify.sock" > "$MG_TMP/notify.log" &
MG_BG_PIDS="$!"
mg_wait 5 "[ -S '$MG_TMP/notify.sock' ]" || fail "notify listener did not start"
NOTIFY_SOCKET="$MG_TMP/notify.sock" mg_start
master=$MG_MASTER

# --- titles, one master with 2 workers and a connector ---------------------
case "$(mg_title "$master")" in
"mcpgw: master process $MCPGW -F -c $MG_TMP/mcpgw.conf"*) ;;
*) fail "master title is \"$(mg_title "$master")\"" ;;
esac
workers=$(mg_role_pids "$master" worker)
connector=$(mg_role_pids "$master" connector)
[ "$(mg_count "$workers")" = 2 ] || fail "expected 2 workers, have: $workers"
[ "$(mg_count "$connector")" = 1 ] || fail "expected 1 connector, have: $connector"
ok "ps shows a master, 2 worker processes and a connector process"

if [ "$(id -u)" = 0 ]; then
	# Started as root: the children run as "user" (default nobody), the
	# master stays root so it can reload.
	nobody=$(id -u nobody)
	for p in $workers $connector; do
		uid=$(awk '/^Uid:/ { print $2, $3 }' "/proc/$p/status")
		[ "$uid" = "$nobody $nobody" ] || fail "child $p runs as uid $uid, not nobody ($nobody)"
		gid=$(awk '/^Gid:/ { print $2, $3 }' "/proc/$p/status")
		[ "$gid" = "$(id -g nobody) $(id -g nobody)" ] || fail "child $p runs as gid $gid"
		# exactly nobody's groups, none of root's
		groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$p/status" | tr ' ' '\n' | sed '/^$/d' | sort -n | tr '\n' ' ')
		[ "$groups" = "$(id -G nobody | tr ' ' '\n' | sort -n | tr '\n' ' ')" ] ||
			fail "child $p has groups '$groups', nobody has '$(id -G nobody)'"
	done
	[ "$(awk '/^Uid:/ { print $3 }' "/proc/$master/status")" = 0 ] || fail "master is not root"
	ok "started as root: workers and connector run as nobody (uid, gid and exactly its groups), the master as root"
fi

[ "$(cat "$MG_TMP/mcpgw.pid")" = "$master" ] || fail "pid file does not hold $master"
ok "pid file holds the master's pid"

mg_wait 5 "grep -q '^READY=1' '$MG_TMP/notify.log'" || fail "no READY=1 to systemd"
ok "READY=1 sent to NOTIFY_SOCKET once the workers serve"

[ "$(http_status "http://127.0.0.1:$MG_PORT/nowhere")" = 404 ] || fail "workers do not answer"
ok "the workers answer on the listening socket"

# Every line: date time.ms [level] pid role: text
bad=$(grep -vE '^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} \[(debug|info|notice|warn|error|crit|emerg)\] [0-9]+ (master|worker|connector): ' "$MG_TMP/error.log" | head -1)
[ -z "$bad" ] || fail "log line without time, level, pid and role: $bad"
for role in master worker connector; do
	grep -q "\] [0-9]* $role: " "$MG_TMP/error.log" || fail "no log line from the $role"
done
ok "every log line carries time, level, pid and role"

# --- a killed worker, then the connector, is back within 2 s ---------------
victim=$(mg_first "$workers")
t0=$(date +%s%N)
kill -KILL "$victim"
mg_wait 2 "mg_replaced $master worker 2 $victim" ||
	fail "worker $victim not replaced within 2 s"
ok "a SIGKILLed worker is replaced within 2 s ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
grep -q "worker process $victim exited on signal 9 (SIGKILL)" "$MG_TMP/error.log" ||
	fail "the worker's death is not logged"
ok "the death is logged with its signal"

kill -KILL "$connector"
mg_wait 2 "mg_replaced $master connector 1 $connector" ||
	fail "connector not replaced within 2 s"
connector=$(mg_role_pids "$master" connector)
ok "a SIGKILLed connector is replaced within 2 s"
# The new connector is linked to every worker again.
mg_wait 2 "[ \$(grep -c 'worker [01] of generation 1 said hello' '$MG_TMP/error.log') -ge 4 ]" ||
	fail "workers did not link to the new connector"
ok "the workers are linked to the new connector"

# --- a serving child is replaced at once, every time --------------------
# Serving: it said READY and has lived 1 s since; the master says so.
serving_for_1s() { # PID: its "serving" line is logged and 1.2 s old
	mg_wait 5 "grep -q '\] $1 worker: worker [0-9]* serving' '$MG_TMP/error.log'" || return 1
	sleep 1.2
}
for i in 1 2; do
	w=$(mg_first "$(mg_role_pids "$master" worker)")
	serving_for_1s "$w" || fail "worker $w never said it serves"
	t0=$(date +%s%N)
	kill -KILL "$w"
	mg_wait 2 "mg_replaced $master worker 2 $w" || fail "serving worker $w not replaced within 2 s (kill $i)"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$ms" -lt 1000 ] || fail "serving worker $w took $ms ms to be replaced (kill $i)"
	grep -Eq "worker process $w \(slot [01]\) had served( clients)? for [0-9]* ms; respawning it at once" "$MG_TMP/error.log" ||
		fail "no 'respawning it at once' line for worker $w"
	ok "a serving worker SIGKILLed ($i of 2 in a row) is replaced at once ($ms ms)"
done

# --- a child that dies at start-up backs off -------------------------------
# Killed as soon as it shows (well within 1 s of its READY), three times:
# the first is replaced at once, then after 500 ms, then after 1000 ms.
old=$(mg_role_pids "$master" worker)
w=$(mg_first "$old")
kill -KILL "$w"
for i in 1 2 3; do
	mg_wait 5 "mg_replaced $master worker 2 $w" || fail "worker not back after start-up kill $i"
	w=$(mg_first "$(mg_role_pids "$master" worker | grep -vxF "$old")")
	[ -n "$w" ] || fail "no new worker after start-up kill $i"
	t0=$(date +%s%N)
	kill -KILL "$w"
	old="$old
$w"
done
mg_wait 5 "mg_replaced $master worker 2 $w" || fail "worker not back after the third start-up failure"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
for n in "2 in a row); respawning in 500 ms" "3 in a row); respawning in 1000 ms"; do
	grep -Eq "worker process [0-9]+ \(slot [01]\) died (before it served|just after it began to serve) \(start-up failure $n" "$MG_TMP/error.log" ||
		fail "no back-off line '... start-up failure $n'"
done
[ "$ms" -ge 900 ] || fail "the third start-up failure was replaced after $ms ms, not after 1000"
ok "a worker that dies at start-up is respawned with back-off (0, 500, 1000 ms; the last came after $ms ms) and a warn line"

# --- one that took a connection had served, however young ------------------
# Killed within its first second, three times in a row, but each time after
# it accepted a connection (as a worker a bad request kills): replaced at
# once every time, although the slot has just failed three times at start.
# served_conn PID: open connections until PID holds one (left open).
served_conn() {
	local fd i
	for i in $(seq 1 40); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$MG_PORT" || return 1
		raw_worker "$fd" "$1" > /dev/null && return 0
	done
	return 1
}
old=$(mg_role_pids "$master" worker)
for i in 1 2 3; do
	w=$(mg_first "$(mg_role_pids "$master" worker | grep -vxF "$old")")
	[ -n "$w" ] || w=$(mg_first "$old")
	mg_wait 5 "grep -q '\] $w worker: worker [0-9]* serving' '$MG_TMP/error.log'" ||
		fail "worker $w never said it serves"
	served_conn "$w" || fail "no connection reached worker $w"
	t0=$(date +%s%N)
	kill -KILL "$w"
	mg_wait 2 "mg_replaced $master worker 2 $w" || fail "worker $w (it took a connection) not replaced within 2 s"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$ms" -lt 400 ] || fail "worker $w, which had taken a connection, was replaced after $ms ms (kill $i)"
	grep -q "worker process $w (slot [01]) had served clients for [0-9]* ms; respawning it at once" "$MG_TMP/error.log" ||
		fail "no 'had served clients ... at once' line for worker $w"
	old="$old
$w"
done
ok "a worker killed in its first second after it took a connection is replaced at once, 3 times in a row ($ms ms the last)"

# --- reload with 3 workers: a new generation, the old one exits ------------
old=$(mg_role_pids "$master" worker)
oldc=$(mg_role_pids "$master" connector)
mg_conf 3
kill -HUP "$master"
mg_wait 5 "grep -q 'generation 2 ready' '$MG_TMP/error.log'" || fail "reload did not bring generation 2"
mg_wait 5 '[ "$(mg_count "$(mg_role_pids $master worker)")" = 3 ]' || fail "not 3 workers after reload: $(mg_role_pids $master worker)"
for p in $old $oldc; do
	mg_wait 5 "! mg_alive $p" || fail "old child $p did not exit after reload"
done
ok "SIGHUP with worker_processes 3 gives 3 new workers; the old ones exit"
mg_wait 5 "grep -q '^RELOADING=1|MONOTONIC_USEC=' '$MG_TMP/notify.log' && [ \$(grep -c '^READY=1' '$MG_TMP/notify.log') -ge 2 ]" ||
	fail "no RELOADING=1 then READY=1 around the reload: $(cat "$MG_TMP/notify.log")"
ok "RELOADING=1 and READY=1 around the reload"
[ "$(http_status "http://127.0.0.1:$MG_PORT/x")" = 404 ] || fail "not serving after reload"
ok "serving after the reload"

# --- reload with a broken file keeps everything ----------------------------
before=$(mg_role_pids "$master" worker | sort)
printf 'worker_processes 1;\nbogus_directive on;\n' > "$MG_TMP/mcpgw.conf"
kill -HUP "$master"
mg_wait 5 "grep -q 'reload failed, keeping the running configuration: unknown directive \"bogus_directive\" in $MG_TMP/mcpgw.conf:2' '$MG_TMP/error.log'" ||
	fail "broken reload not logged with file:line"
sleep 0.5
[ "$(mg_role_pids "$master" worker | sort)" = "$before" ] || fail "workers changed on a broken reload"
[ "$(http_status "http://127.0.0.1:$MG_PORT/x")" = 404 ] || fail "not serving after a broken reload"
ok "SIGHUP with a broken file keeps the old workers and logs file:line"

# --- -s reload through the pid file ----------------------------------------
mg_conf 2
"$MCPGW" -c "$MG_TMP/mcpgw.conf" -s reload || fail "-s reload failed"
mg_wait 5 "grep -q 'generation 3 ready' '$MG_TMP/error.log'" || fail "-s reload did not reload"
mg_wait 5 '[ "$(mg_count "$(mg_role_pids $master worker)")" = 2 ]' || fail "not 2 workers after -s reload"
ok "mcpgw -s reload works through the pid file"

# --- -s reload reports a refused configuration (systemctl reload) ------------
cp "$MG_TMP/mcpgw.conf" "$MG_TMP/good.conf"
printf 'worker_processes 1;\nbogus_directive on;\n' > "$MG_TMP/bad.conf"
cp "$MG_TMP/bad.conf" "$MG_TMP/mcpgw.conf"
rc=0
"$MCPGW" -c "$MG_TMP/good.conf" -s reload > "$MG_TMP/o" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "-s reload of a refused configuration exited $rc: $(cat "$MG_TMP/o")"
grep -qx "mcpgw: reload failed: unknown directive \"bogus_directive\" in $MG_TMP/mcpgw.conf:2" "$MG_TMP/o" ||
	fail "-s reload did not say why: $(cat "$MG_TMP/o")"
grep -q "^$master [0-9]* failed unknown directive" "$MG_TMP/mcpgw.pid.reload" || fail "no verdict file: $(cat "$MG_TMP/mcpgw.pid.reload")"
cp "$MG_TMP/good.conf" "$MG_TMP/mcpgw.conf"
"$MCPGW" -c "$MG_TMP/mcpgw.conf" -s reload > "$MG_TMP/o" 2>&1 || fail "-s reload of a good file after a refused one: $(cat "$MG_TMP/o")"
[ ! -s "$MG_TMP/o" ] || fail "-s reload printed on success: $(cat "$MG_TMP/o")"
mg_wait 5 "grep -q 'generation 4 ready' '$MG_TMP/error.log'" || fail "the good reload did not bring generation 4"
grep -q "^$master [0-9]* ok" "$MG_TMP/mcpgw.pid.reload" || fail "verdict not ok: $(cat "$MG_TMP/mcpgw.pid.reload")"
ok "mcpgw -s reload exits 1 with the reason when the configuration is refused, 0 (silent) when taken"

# --- SIGUSR1 reopens the log in the master and every child -----------------
mv "$MG_TMP/error.log" "$MG_TMP/error.log.1"
"$MCPGW" -c "$MG_TMP/mcpgw.conf" -s reopen || fail "-s reopen failed"
mg_wait 5 "[ -f '$MG_TMP/error.log' ] && grep -q 'worker: reopened the error log' '$MG_TMP/error.log' && grep -q 'connector: reopened the error log' '$MG_TMP/error.log'" ||
	fail "log not reopened by every process"
ok "mcpgw -s reopen: master and children write to the new file"

# --- a second start against a running master is refused --------------------
if "$MCPGW" -F -c "$MG_TMP/mcpgw.conf" > "$MG_TMP/second.log" 2>&1; then
	fail "a second master started"
fi
grep -q "already running as pid $master" "$MG_TMP/error.log" "$MG_TMP/second.log" || grep -q "Address already in use" "$MG_TMP/error.log" "$MG_TMP/second.log" ||
	fail "second start failed without saying why"
ok "a second master on the same pid file refuses to start"

# --- SIGQUIT: graceful stop --------------------------------------------------
kids=$(mg_children "$master")
kill -QUIT "$master"
mg_wait 5 "! mg_alive $master" || fail "master did not exit on SIGQUIT"
for p in $kids; do mg_alive "$p" && fail "child $p outlived SIGQUIT"; done
[ ! -e "$MG_TMP/mcpgw.pid" ] || fail "pid file left after exit"
[ ! -e "$MG_TMP/mcpgw.pid.reload" ] || fail "the reload verdict file left after exit"
grep -q '^STOPPING=1' "$MG_TMP/notify.log" || fail "no STOPPING=1"
ok "SIGQUIT stops gracefully; pid file removed; STOPPING=1 sent"
wait "$master" 2>/dev/null
MG_MASTER=

# --- stale pid file, then SIGTERM within 3 s --------------------------------
echo 999999 > "$MG_TMP/mcpgw.pid"
: > "$MG_TMP/error.log"
mg_start
master=$MG_MASTER
grep -q 'replacing stale pid file' "$MG_TMP/error.log" || fail "stale pid file not noticed"
ok "a stale pid file does not stop a start"
kids=$(mg_children "$master")
t0=$(date +%s%N)
kill -TERM "$master"
mg_wait 3 "! mg_alive $master" || fail "master still alive 3 s after SIGTERM"
for p in $kids; do mg_alive "$p" && fail "child $p alive after SIGTERM"; done
ok "SIGTERM stops everything within 3 s ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
wait "$master" 2>/dev/null
MG_MASTER=

# --- -s stop; and children exit when the master is killed ------------------
: > "$MG_TMP/error.log"
mg_start
master=$MG_MASTER
"$MCPGW" -c "$MG_TMP/mcpgw.conf" -s stop || fail "-s stop failed"
mg_wait 3 "! mg_alive $master" || fail "-s stop did not stop the master"
ok "mcpgw -s stop works through the pid file"
wait "$master" 2>/dev/null
MG_MASTER=

: > "$MG_TMP/error.log"
mg_start
master=$MG_MASTER
kids=$(mg_children "$master")
kill -KILL "$master"
for p in $kids; do
	mg_wait 2 "! mg_alive $p" || fail "child $p outlived its master by 2 s"
done
ok "children exit when their master is gone"
wait "$master" 2>/dev/null
MG_MASTER=

mg_done
