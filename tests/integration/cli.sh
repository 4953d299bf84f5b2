#!/usr/bin/env bash
# The command line as an operator uses it: -t, -V, -h, bad options, -s
# without a master, the shipped configuration, and starting in the
# background (without -F).
. "$(dirname "$0")/lib.sh"
mg_setup

MG_PORT=$(free_port)
mg_conf 1

out=$("$MCPGW" -t -c "$MG_TMP/mcpgw.conf" 2>&1) || fail "-t failed on a good file: $out"
echo "$out" | grep -qx "mcpgw: configuration file $MG_TMP/mcpgw.conf test is successful" ||
	fail "-t success message: $out"
ok "-t on a good file: exit 0 and \"test is successful\""

out=$("$MCPGW" -t -q -c "$MG_TMP/mcpgw.conf" 2>&1) || fail "-t -q failed"
[ -z "$out" ] || fail "-t -q printed: $out"
ok "-t -q prints nothing on success"

printf 'worker_processes 1;\nserver {\n    listen 127.0.0.1:%s;\n    lisen 80;\n}\n' "$MG_PORT" > "$MG_TMP/bad.conf"
if out=$("$MCPGW" -t -c "$MG_TMP/bad.conf" 2>&1); then fail "-t passed a bad file"; fi
echo "$out" | grep -qF "unknown directive \"lisen\" in $MG_TMP/bad.conf:4" || fail "-t error lacks file:line: $out"
echo "$out" | grep -qF "configuration file $MG_TMP/bad.conf test failed" || fail "-t failure line: $out"
ok "-t on a bad file: exit 1 with the error and its file:line"

if out=$("$MCPGW" -t -c "$MG_TMP/missing.conf" 2>&1); then fail "-t passed a missing file"; fi
echo "$out" | grep -qF "open() \"$MG_TMP/missing.conf\" failed (No such file or directory)" || fail "missing file: $out"
ok "-t on a missing file names it and the reason"

# What a start would find wrong beyond the syntax, -t finds too, named:
# an unknown user (as nginx's -t does), a certificate file that cannot be
# opened (the system's reason, not OpenSSL's "system lib"), a URL with a
# fragment.  t_refused FILE-TEXT WANTED
t_refused() {
	printf '%s\n' "$1" > "$MG_TMP/t.conf"
	if out=$("$MCPGW" -t -c "$MG_TMP/t.conf" 2>&1); then fail "-t passed: $1"; fi
	echo "$out" | grep -qF "$2" || fail "-t on \"$1\": want \"$2\", got: $out"
}
loc="server { listen 127.0.0.1:$MG_PORT; location /m { mcp_builtin demo; } }"
t_refused "user no-such-user-$$;
$loc" "user \"no-such-user-$$\" does not exist in $MG_TMP/t.conf:1"
t_refused "user nobody no-such-group-$$;
$loc" "group \"no-such-group-$$\" does not exist in $MG_TMP/t.conf:1"
t_refused "server { listen 127.0.0.1:$MG_PORT ssl; ssl_certificate $MG_TMP/none.pem; ssl_certificate_key $MG_TMP/none.key; location /m { mcp_builtin demo; } }" \
	"cannot load ssl_certificate \"$MG_TMP/none.pem\" (No such file or directory) in $MG_TMP/t.conf:1"
t_refused "upstream u { server http://127.0.0.1:1/mcp#x; }
$loc" 'invalid upstream server "http://127.0.0.1:1/mcp#x": a #fragment is not sent to a server: remove it'
ok "-t refuses an unknown user and group, a missing certificate (No such file or directory) and a URL with a #fragment, each named"

"$MCPGW" -t -q -c "$MG_SRCDIR/conf/mcpgw.conf" || fail "the shipped conf/mcpgw.conf does not pass -t"
ok "the shipped conf/mcpgw.conf passes -t"

out=$("$MCPGW" -V 2>&1) || fail "-V failed"
echo "$out" | grep -q '^mcpgw version [0-9]' || fail "-V: $out"
echo "$out" | grep -q 'libevent' && echo "$out" | grep -q 'OpenSSL' && echo "$out" | grep -q 'json-c' || fail "-V lacks library versions: $out"
echo "$out" | grep -q '^configure options: ' || fail "-V lacks build options: $out"
ok "-V prints version, libraries and build options"

"$MCPGW" -h | grep -q '^usage: mcpgw' || fail "-h"
if "$MCPGW" -Z > "$MG_TMP/o" 2>&1; then fail "-Z accepted"; fi
grep -q '^usage: mcpgw' "$MG_TMP/o" || fail "bad option gives no usage"
if "$MCPGW" -c "$MG_TMP/mcpgw.conf" -s bogus > "$MG_TMP/o" 2>&1; then fail "-s bogus accepted"; fi
grep -qF 'invalid signal "bogus"' "$MG_TMP/o" || fail "-s bogus: $(cat "$MG_TMP/o")"
ok "-h prints usage; a bad option or signal exits 1 with a reason"

if "$MCPGW" -c "$MG_TMP/mcpgw.conf" -s reload > "$MG_TMP/o" 2>&1; then fail "-s reload without a master succeeded"; fi
grep -qF "cannot read the pid file \"$MG_TMP/mcpgw.pid\"" "$MG_TMP/o" || fail "-s without master: $(cat "$MG_TMP/o")"
ok "-s without a running master says the pid file cannot be read"

# Background start: the command returns 0 once the master runs.
"$MCPGW" -c "$MG_TMP/mcpgw.conf" || fail "background start failed"
master=$(cat "$MG_TMP/mcpgw.pid")
MG_MASTER=$master
mg_alive "$master" || fail "no master after a background start"
[ "$(mg_ppid "$master")" != "$$" ] || fail "the master did not detach"
mg_wait 5 "grep -q 'generation 1 ready' '$MG_TMP/error.log'" || fail "background master not ready"
[ "$(http_status "http://127.0.0.1:$MG_PORT/x")" = 404 ] || fail "background master does not serve"
ok "without -F the master goes to the background and serves"

# A second background start fails (pid file names a running master), exit 1.
if "$MCPGW" -c "$MG_TMP/mcpgw.conf" 2>/dev/null; then fail "second background start succeeded"; fi
ok "a failed background start exits 1"

"$MCPGW" -c "$MG_TMP/mcpgw.conf" -s quit || fail "-s quit"
mg_wait 5 "! mg_alive $master" || fail "-s quit did not stop the background master"
MG_MASTER=
ok "-s quit stops it"

# A plain stop is no trouble: nothing at [warn] or worse (a worker used to
# see the connector's link close before its own word to exit, and warn
# "lost the link to the connector" at one stop in three).
mg_conf 2
for i in 1 2 3 4 5 6; do
	: > "$MG_TMP/error.log"
	mg_start
	[ "$(http_status "http://127.0.0.1:$MG_PORT/x")" = 404 ] || fail "stop run $i: not serving"
	"$MCPGW" -c "$MG_TMP/mcpgw.conf" -s stop || fail "-s stop (run $i)"
	mg_wait 5 "! mg_alive $MG_MASTER" || fail "-s stop did not stop the master (run $i)"
	MG_MASTER=
	if grep -E '\[(warn|error|crit|alert|emerg)\]' "$MG_TMP/error.log"; then
		fail "-s stop logged the lines above (run $i)"
	fi
done
ok "-s stop, six times with two workers: nothing logged at [warn] or above"

mg_done
