#!/usr/bin/env bash
# Stdio servers supervised like services, with servers nobody here wrote
# (@modelcontextprotocol/server-memory, server-filesystem and
# server-everything over stdio, from tests/fed/node_modules) and two tiny
# scripts where no real server can show it (one that dies, one that goes):
#  - mcpgw -t refuses a cwd that is not there, not a directory, or on an
#    upstream without a command, with file and line;
#  - stderr: server-memory's start line is in the error log, named by
#    upstream and pid;
#  - a flood of 301 stderr lines: 50 logged, the rest counted in one line;
#  - env_secret_file: server-memory's MEMORY_FILE_PATH comes from a secret
#    file, and the server writes its graph there;
#  - kill -9 of a session's server-memory: a new pid runs before any new
#    request, the log says how the old one ended, and the next call sees
#    the state a fresh server has (the graph it reads from its file);
#  - kill -9 of server-everything during a long call: the call gets a
#    JSON-RPC error at once, naming the upstream and signal 9;
#  - cwd: server-filesystem given "." lists the cwd's files;
#  - start failures: a server that writes two stderr lines and exits 3
#    before answering initialize; a command removed, and one made not
#    executable, after the configuration was loaded: each initialize gets
#    a JSON-RPC error saying why (exit code and stderr, the exec's
#    ENOENT/EACCES with the path), and the log says so;
#  - backoff: a server that dies at once every time is restarted at once,
#    then after 500, 1000, 2000, 4000 ms; a request meanwhile waits (on
#    through a start that fails) and is served once a start succeeds;
#  - max_processes 1, process_queue 1, process_queue_timeout 2s: a second
#    session waits and is served once the first is DELETEd; a third waits
#    and is refused (503) after 2 s; a fourth finds the queue full (503 at
#    once).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"

# The servers are the connector's children (PR_SET_PDEATHSIG takes them
# along when it dies); whatever is left is killed here.
mg_on_cleanup() {
	local c
	if [ -n "$MG_MASTER" ]; then
		for c in $(mg_role_pids "$MG_MASTER" connector); do
			kill -KILL $(mg_children "$c") 2> /dev/null
		done
		kill -KILL "$MG_MASTER" $(mg_children "$MG_MASTER") 2> /dev/null
		MG_MASTER=
	fi
}

px_setup
px_need_modules
chmod 755 "$MG_TMP" # the servers run as "user" (nobody) under root
NODE=$PX_NODE
case $NODE in
/*) ;;
*) NODE=$(cd "$(dirname "$NODE")" && pwd)/$(basename "$NODE") ;;
esac
FED=$MG_SRCDIR/tests/fed/node_modules
# make distcheck: the unpacked tree has none; the source tree's (as
# MG_PROXY_NODE_MODULES for tests/proxy)
[ -e "$FED" ] || FED=${MG_FED_NODE_MODULES:-$FED}
FED=$FED/@modelcontextprotocol
for m in server-memory server-filesystem server-everything; do
	[ -e "$FED/$m/dist/index.js" ] || fail "tests/fed/node_modules has no $m (run tests/fed's npm ci)"
done
MEM=$FED/server-memory/dist/index.js
FS=$FED/server-filesystem/dist/index.js
EV=$FED/server-everything/dist/index.js
MG_PORT=$(free_port)
URL=http://127.0.0.1:$MG_PORT

# post PATH SID BODY [CURL-ARGS...]: the HTTP status printed; the answer
# in $MG_TMP/post.out (or $OUT), its headers in $MG_TMP/post.hdr
post() {
	local path=$1 sid=$2 body=$3 h=() out=${OUT:-$MG_TMP/post.out}
	shift 3
	[ -z "$sid" ] || h=(-H "Mcp-Session-Id: $sid" -H "MCP-Protocol-Version: 2025-11-25")
	curl -sS --max-time 20 -o "$out" -D "$out.hdr" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		"${h[@]}" "$@" --data-binary "$body" "$URL$path"
}
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"stdio_sup.sh","version":"1.0.0"}}}'
sid_of() {
	sed -n 's/^[Mm][Cc][Pp]-[Ss]ession-[Ii][Dd]: *\([^[:space:]]*\).*/\1/p' "$1"
}
# open_session PATH: initialize and notifications/initialized; $SID
open_session() {
	local code
	code=$(post "$1" "" "$INIT")
	[ "$code" = 200 ] && grep -q '"result":{' "$MG_TMP/post.out" ||
		fail "initialize on $1: $code $(cat "$MG_TMP/post.out")"
	SID=$(sid_of "$MG_TMP/post.out.hdr")
	[ -n "$SID" ] || fail "initialize on $1: no Mcp-Session-Id"
	code=$(post "$1" "$SID" '{"jsonrpc":"2.0","method":"notifications/initialized"}')
	[ "$code" = 202 ] || fail "notifications/initialized on $1: $code"
}
# call PATH SID TOOL ARGS: tools/call, the status printed
call() {
	post "$1" "$2" "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"$3\",\"arguments\":$4}}"
}
log_has() {
	grep -qF -- "$1" "$MG_TMP/error.log"
}
# the pid the log last named as started for upstream NAME
last_pid() {
	grep -F "upstream \"$1\": started " "$MG_TMP/error.log" | tail -n 1 | sed -n 's/.*(pid \([0-9]*\)).*/\1/p'
}
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# ---- mcpgw -t: cwd -------------------------------------------------------------
bad_conf() {
	local f=$MG_TMP/bad-$RANDOM.conf out
	printf 'upstream bad {\n%s\n}\nserver {\n    listen 127.0.0.1:%s;\n    location /mcp { mcp_pass bad; }\n}\n' \
		"$4" "$MG_PORT" > "$f"
	if out=$("$MCPGW" -t -c "$f" 2>&1); then
		check_failed "mcpgw -t accepted $1: $out"
	elif [[ $out == *"$3"*" in $f:$2"* ]]; then
		ok "mcpgw -t refuses $1 at $(basename "$f"):$2: $3"
	else
		check_failed "mcpgw -t on $1: expected \"$3 ... in $f:$2\", got: $out"
	fi
}
: > "$MG_TMP/a-file"
bad_conf "a cwd that is not there" 3 "cwd \"$MG_TMP/nowhere\": No such file or directory" \
	"    command $NODE $MEM;
    cwd $MG_TMP/nowhere;"
bad_conf "a cwd that is a file" 3 "cwd \"$MG_TMP/a-file\": not a directory" \
	"    command $NODE $MEM;
    cwd $MG_TMP/a-file;"
bad_conf "a relative cwd" 3 'cwd "tmp": the path must be absolute' \
	"    command $NODE $MEM;
    cwd tmp;"
bad_conf "a cwd without a command" 2 'upstream "bad" has no "command": "cwd" is for a stdio server' \
	"    cwd $MG_TMP;
    server http://127.0.0.1:1/mcp;"

# ---- the servers and scripts ---------------------------------------------------------
mkdir -p "$MG_TMP/data" "$MG_TMP/root/sub"
chmod 777 "$MG_TMP/data"
chmod 755 "$MG_TMP/root" "$MG_TMP/root/sub"
echo marker > "$MG_TMP/root/cwd-marker.txt"
chmod 644 "$MG_TMP/root/cwd-marker.txt"
printf '%s\n' "$MG_TMP/data/graph.jsonl" > "$MG_TMP/memfile.secret"
chmod 600 "$MG_TMP/memfile.secret"
# dies.sh: two lines on stderr, exit 3, before any answer
printf '#!/bin/sh\necho "dies.sh: missing configuration" >&2\necho "dies.sh: giving up" >&2\nexit 3\n' > "$MG_TMP/dies.sh"
# flaky.sh: server-memory, or, while $MG_TMP/broken exists, an exit at once
printf '#!/bin/sh\nif [ -e %s/broken ]; then echo "flaky.sh: broken" >&2; exit 1; fi\nexec %s %s\n' \
	"$MG_TMP" "$NODE" "$MEM" > "$MG_TMP/flaky.sh"
printf '#!/bin/sh\nexec %s %s\n' "$NODE" "$MEM" > "$MG_TMP/gone.sh"
cp "$MG_TMP/gone.sh" "$MG_TMP/noexec.sh"
# flood.sh: 300 lines on stderr, then server-memory (its own line: 301)
printf '#!/bin/sh\ni=0\nwhile [ $i -lt 300 ]; do echo "flood line $i" >&2; i=$((i+1)); done\nexec %s %s\n' \
	"$NODE" "$MEM" > "$MG_TMP/flood.sh"
chmod 755 "$MG_TMP/flood.sh" "$MG_TMP/dies.sh" "$MG_TMP/flaky.sh" "$MG_TMP/gone.sh" "$MG_TMP/noexec.sh"

px_conf 1 "" "
upstream mem {
    command $NODE $MEM;
    env_secret_file MEMORY_FILE_PATH $MG_TMP/memfile.secret;
}
upstream ev {
    command $NODE $EV stdio;
}
upstream fs {
    command $NODE $FS .;
    cwd $MG_TMP/root;
}
upstream dies {
    command $MG_TMP/dies.sh;
}
upstream gone {
    command $MG_TMP/gone.sh;
}
upstream noexec {
    command $MG_TMP/noexec.sh;
}
upstream flaky {
    command $MG_TMP/flaky.sh;
    env MEMORY_FILE_PATH $MG_TMP/data/flaky.jsonl;
}
upstream flood {
    command $MG_TMP/flood.sh;
    env MEMORY_FILE_PATH $MG_TMP/data/flood.jsonl;
}
upstream q {
    command $NODE $MEM;
    env MEMORY_FILE_PATH $MG_TMP/data/q.jsonl;
    max_processes 1;
    process_queue 1;
    process_queue_timeout 2s;
}
server {
    listen 127.0.0.1:$MG_PORT;
    location /mem { mcp_pass mem; }
    location /ev { mcp_pass ev; }
    location /fs { mcp_pass fs; }
    location /dies { mcp_pass dies; }
    location /gone { mcp_pass gone; }
    location /noexec { mcp_pass noexec; }
    location /flaky { mcp_pass flaky; }
    location /q { mcp_pass q; }
    location /flood { mcp_pass flood; }
}"
"$MCPGW" -t -c "$MG_TMP/mcpgw.conf" > "$MG_TMP/t.out" 2>&1 || fail "mcpgw -t: $(cat "$MG_TMP/t.out")"
mg_start

# ---- server-memory: stderr, env_secret_file, kill -9 ----------------------------------
open_session /mem
M=$SID
P1=$(last_pid mem)
[ -n "$P1" ] || fail "no start line for upstream mem"
mg_wait 5 "log_has 'stdio upstream \"mem\" pid $P1: Knowledge Graph MCP Server running on stdio'" &&
	ok "stderr: server-memory's line in the log as: $(grep -o "stdio upstream \"mem\" pid $P1: Knowledge.*" "$MG_TMP/error.log")" ||
	check_failed "stderr of pid $P1 not in the log: $(grep -F "$P1" "$MG_TMP/error.log")"
code=$(call /mem "$M" create_entities '{"entities":[{"name":"mcpgw","entityType":"gateway","observations":["supervised"]}]}')
[ "$code" = 200 ] && grep -q '"mcpgw"' "$MG_TMP/post.out" || fail "create_entities: $code $(cat "$MG_TMP/post.out")"
mg_wait 5 "grep -q '\"name\":\"mcpgw\"' '$MG_TMP/data/graph.jsonl' 2> /dev/null" &&
	ok "env_secret_file: MEMORY_FILE_PATH from a secret file reached server-memory (its graph is in $MG_TMP/data/graph.jsonl)" ||
	check_failed "server-memory did not write to the secret file's path: $(ls -l "$MG_TMP/data")"
grep -qF "$MG_TMP/data/graph.jsonl" "$MG_TMP/error.log" &&
	check_failed "the secret file's value is in the error log" || ok "the secret's value is not in the error log"

t0=$(now_ms)
kill -KILL "$P1"
if mg_wait 5 '[ -n "$(last_pid mem)" ] && [ "$(last_pid mem)" != "$P1" ] && kill -0 "$(last_pid mem)" 2> /dev/null'; then
	P2=$(last_pid mem)
	ok "kill -9 of pid $P1: pid $P2 runs $(($(now_ms) - t0)) ms later, before any new request"
else
	P2=
	check_failed "no new pid after kill -9 of $P1: $(grep -F '"mem"' "$MG_TMP/error.log" | tail -n 5)"
fi
grep -F "stdio upstream \"mem\" pid $P1 exited on signal 9 (Killed): restarting it at once (restart 1 in a row)" "$MG_TMP/error.log" | grep -qF '[warn]' &&
	ok "log: $(grep -o "stdio upstream \"mem\" pid $P1 exited on signal 9.*" "$MG_TMP/error.log")" ||
	check_failed "log: no restart line for pid $P1: $(grep -F "$P1" "$MG_TMP/error.log")"
code=$(call /mem "$M" read_graph '{}')
if [ "$code" = 200 ] && grep -q 'supervised' "$MG_TMP/post.out"; then
	ok "the session's next call is served by pid $P2, with a fresh server's state (the graph read back from its file)"
else
	check_failed "read_graph after the restart: $code $(cat "$MG_TMP/post.out")"
fi

# ---- a flood of stderr ------------------------------------------------------------------
open_session /flood
FL=$SID
FLP=$(last_pid flood)
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X DELETE -H "Mcp-Session-Id: $FL" -H 'MCP-Protocol-Version: 2025-11-25' "$URL/flood")
mg_wait 5 "log_has 'upstream \"flood\": pid $FLP exited'" || check_failed "flood.sh pid $FLP did not exit after the DELETE ($code)"
n=$(grep -c "stdio upstream \"flood\" pid $FLP: flood line" "$MG_TMP/error.log")
if [ "$n" = 50 ] && log_has "stdio upstream \"flood\" pid $FLP: 251 lines of stderr dropped (more than 50 in 10000 ms)"; then
	ok "a flood of 301 stderr lines: 50 logged, then $(grep -o '251 lines of stderr dropped.*' "$MG_TMP/error.log")"
else
	check_failed "the flood: $n lines logged; $(grep -F 'dropped' "$MG_TMP/error.log")"
fi

# ---- server-everything: a call in flight when it is killed ---------------------------
open_session /ev
E=$SID
EP=$(last_pid ev)
OUT=$MG_TMP/long.out post /ev "$E" '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"trigger-long-running-operation","arguments":{"duration":8,"steps":8}}}' \
	> "$MG_TMP/long.code" &
LONG=$!
sleep 1 # the call is in the server by then
t0=$(now_ms)
kill -KILL "$EP"
wait "$LONG"
took=$(($(now_ms) - t0))
if grep -qF "stdio upstream \\\"ev\\\" (pid $EP) stopped: exited on signal 9 (Killed)" "$MG_TMP/long.out" && [ "$took" -lt 2000 ]; then
	ok "a call in flight when pid $EP was killed: $(cat "$MG_TMP/long.code") $(cat "$MG_TMP/long.out") (${took} ms after the kill)"
else
	check_failed "the call in flight: $(cat "$MG_TMP/long.code") $(cat "$MG_TMP/long.out") after $took ms"
fi
code=$(call /ev "$E" echo '{"message":"after the kill"}')
[ "$code" = 200 ] && grep -qF 'after the kill' "$MG_TMP/post.out" &&
	ok "server-everything's session works after the restart" ||
	check_failed "echo after the kill: $code $(cat "$MG_TMP/post.out")"

# ---- server-filesystem in its cwd ---------------------------------------------------
open_session /fs
code=$(call /fs "$SID" list_directory '{"path":"."}')
if [ "$code" = 200 ] && grep -qF '[FILE] cwd-marker.txt' "$MG_TMP/post.out" && grep -qF '[DIR] sub' "$MG_TMP/post.out"; then
	ok "cwd: server-filesystem given \".\" lists its cwd ($MG_TMP/root): [FILE] cwd-marker.txt, [DIR] sub"
else
	check_failed "list_directory . with cwd: $code $(cat "$MG_TMP/post.out")"
fi

# ---- start failures ---------------------------------------------------------------------
code=$(post /dies "" "$INIT")
msg='exited with code 3 before it answered initialize; its stderr: dies.sh: missing configuration | dies.sh: giving up'
if [ "$code" = 200 ] && grep -qF "\"code\":-32000" "$MG_TMP/post.out" && grep -qF "stdio upstream \\\"dies\\\" (pid" "$MG_TMP/post.out" &&
	grep -qF "$msg" "$MG_TMP/post.out" && log_has "$msg"; then
	ok "a server that exits 3 before answering: $code $(cat "$MG_TMP/post.out"), and in the log"
else
	check_failed "the server that dies: $code $(cat "$MG_TMP/post.out"); $(grep -F dies "$MG_TMP/error.log" | tail -n 3)"
fi
rm "$MG_TMP/gone.sh"
chmod 644 "$MG_TMP/noexec.sh"
code=$(post /gone "" "$INIT")
msg="exited with code 127 before it answered initialize; its stderr: cannot run $MG_TMP/gone.sh: No such file or directory"
[ "$code" = 200 ] && grep -qF "\"error\":{\"code\":-32000" "$MG_TMP/post.out" && grep -qF "$msg" "$MG_TMP/post.out" && log_has "$msg" &&
	ok "a command removed after the start: $code, $msg" ||
	check_failed "the removed command: $code $(cat "$MG_TMP/post.out")"
code=$(post /noexec "" "$INIT")
msg="its stderr: cannot run $MG_TMP/noexec.sh: Permission denied"
[ "$code" = 200 ] && grep -qF "\"error\":{\"code\":-32000" "$MG_TMP/post.out" && grep -qF "$msg" "$MG_TMP/post.out" && log_has "$msg" &&
	ok "a command made not executable: $code, $msg" ||
	check_failed "the command not executable: $code $(cat "$MG_TMP/post.out")"

# ---- backoff -----------------------------------------------------------------------------
open_session /flaky
F=$SID
FP=$(last_pid flaky)
touch "$MG_TMP/broken"
kill -KILL "$FP"
if mg_wait 8 "log_has 'restarting it in 2000 ms (restart 4 in a row)'"; then
	ok "backoff: restarts of a server that dies at once: $(grep -oE 'flaky" pid [0-9]+ exited [^:]*: restarting it (at once|in [0-9]+ ms)' "$MG_TMP/error.log" | sed 's/.*: restarting it //' | tr '\n' ',' | sed 's/,$//')"
else
	check_failed "backoff: $(grep -F 'restarting it' "$MG_TMP/error.log" | grep -F flaky)"
fi
# a request now waits on the next start; that one dies too: it waits on
# the one after, which succeeds once the server is mended
t0=$(now_ms)
OUT=$MG_TMP/flaky.out post /flaky "$F" '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_graph","arguments":{}}}' > "$MG_TMP/flaky.code" &
FLAKY=$!
mg_wait 8 "log_has 'restarting it in 4000 ms (restart 5 in a row)'" ||
	check_failed "no fifth restart: $(grep -F 'restarting it' "$MG_TMP/error.log" | grep -F flaky | tail -n 2)"
kill -0 "$FLAKY" 2> /dev/null && ok "a request of the session waits through a failed restart ($(($(now_ms) - t0)) ms so far)" ||
	check_failed "the request did not wait: $(cat "$MG_TMP/flaky.code") $(cat "$MG_TMP/flaky.out")"
rm "$MG_TMP/broken"
wait "$FLAKY"
took=$(($(now_ms) - t0))
[ "$(cat "$MG_TMP/flaky.code")" = 200 ] && grep -qF '"entities"' "$MG_TMP/flaky.out" && [ "$took" -gt 4000 ] &&
	ok "then it is served (read_graph) by the sixth start, ${took} ms after it came" ||
	check_failed "the request during the backoff: $(cat "$MG_TMP/flaky.code") after $took ms: $(cat "$MG_TMP/flaky.out")"

# ---- the queue at max_processes 1 ----------------------------------------------------------
open_session /q
Q1=$SID
OUT=$MG_TMP/q2.out post /q "" "$INIT" > "$MG_TMP/q2.code" &
Q2PID=$!
mg_wait 5 "log_has 'stdio upstream \"q\": max_processes 1 reached: a new session waits (1 waiting, process_queue 1)'" ||
	check_failed "the second session does not wait: $(grep -F '"q"' "$MG_TMP/error.log" | tail -n 3)"
sleep 0.5
kill -0 "$Q2PID" 2> /dev/null && ok "max_processes 1: a second session waits" || check_failed "the second session did not wait: $(cat "$MG_TMP/q2.code")"
t0=$(now_ms)
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X DELETE -H "Mcp-Session-Id: $Q1" -H 'MCP-Protocol-Version: 2025-11-25' "$URL/q")
wait "$Q2PID"
took=$(($(now_ms) - t0))
Q2=$(sid_of "$MG_TMP/q2.out.hdr")
if [ "$code" = 204 ] && [ "$(cat "$MG_TMP/q2.code")" = 200 ] && [ -n "$Q2" ] && grep -q '"serverInfo"' "$MG_TMP/q2.out"; then
	ok "the first session DELETEd ($code): the waiting one is served ${took} ms later"
else
	check_failed "after the DELETE: $code; the waiting one: $(cat "$MG_TMP/q2.code") $(cat "$MG_TMP/q2.out")"
fi
OUT=$MG_TMP/q3.out post /q "" "$INIT" > "$MG_TMP/q3.code" &
Q3PID=$!
t0=$(now_ms)
mg_wait 5 "log_has '(1 waiting, process_queue 1)' && [ \$(grep -c '(1 waiting, process_queue 1)' '$MG_TMP/error.log') -ge 2 ]"
code=$(post /q "" "$INIT")
if [ "$code" = 503 ] && grep -qF "process_queue is full" "$MG_TMP/post.out"; then
	ok "a fourth session finds the queue full: 503 at once, $(cat "$MG_TMP/post.out")"
else
	check_failed "a fourth session: $code $(cat "$MG_TMP/post.out")"
fi
wait "$Q3PID"
took=$(($(now_ms) - t0))
if [ "$(cat "$MG_TMP/q3.code")" = 503 ] && grep -qF 'within process_queue_timeout (2000 ms)' "$MG_TMP/q3.out" &&
	[ "$took" -ge 1900 ] && [ "$took" -lt 4000 ] && log_has 'within process_queue_timeout (2000 ms); try again later: a new session refused'; then
	ok "a third session waited ${took} ms and was refused: 503 $(cat "$MG_TMP/q3.out")"
else
	check_failed "the third session: $(cat "$MG_TMP/q3.code") after $took ms: $(cat "$MG_TMP/q3.out")"
fi

# ---- a reload: the old connector's servers stop, none restarts ---------------------------------
cp "$MG_TMP/noexec.sh" "$MG_TMP/gone.sh" # (mcpgw -t checks them again)
chmod 755 "$MG_TMP/gone.sh" "$MG_TMP/noexec.sh"
OLDCONN=$(mg_role_pids "$MG_MASTER" connector)
OLDKIDS=$(mg_children "$OLDCONN")
nrestarts=$(grep -c 'restarting it' "$MG_TMP/error.log")
kill -HUP "$MG_MASTER"
mg_wait 10 "grep -q 'generation 2 ready' '$MG_TMP/error.log'" || fail "the reload did not finish within 10 s"
if mg_wait 10 "! kill -0 $OLDCONN 2> /dev/null"; then
	left=
	for p in $OLDKIDS; do kill -0 "$p" 2> /dev/null && left="$left $p"; done
	[ -z "$left" ] && [ "$(grep -c 'restarting it' "$MG_TMP/error.log")" = "$nrestarts" ] &&
		ok "a reload: the old connector's $(mg_count "$OLDKIDS") stdio servers stopped, and none was restarted" ||
		check_failed "after the reload: left:$left; restarts: $(grep -F 'restarting it' "$MG_TMP/error.log" | tail -n 3)"
else
	check_failed "the old connector $OLDCONN still runs 10 s after the reload"
fi

# ---- stopping: nothing restarts, nothing is left --------------------------------------------
code=$(call /mem "$M" read_graph '{}')
[ "$code" = 200 ] && grep -q 'supervised' "$MG_TMP/post.out" &&
	ok "after the reload the mem session gets a new process of the new connector at its next request" ||
	check_failed "the mem session after the reload: $code $(cat "$MG_TMP/post.out")"
CONN=$(mg_role_pids "$MG_MASTER" connector)
KIDS=$(mg_children "$CONN")
kill -QUIT "$MG_MASTER"
mg_wait 10 "! kill -0 $MG_MASTER 2> /dev/null" || fail "mcpgw did not stop within 10 s of SIGQUIT"
MG_MASTER=
left=
for p in $KIDS; do kill -0 "$p" 2> /dev/null && left="$left $p"; done
[ -z "$left" ] && ok "mcpgw stopped: none of its $(mg_count "$KIDS") stdio servers is left" ||
	check_failed "stdio servers outlived mcpgw:$left"
grep -F 'restarting it' "$MG_TMP/error.log" | grep -vqE '"(mem|ev|flaky)"' &&
	check_failed "a restart of another upstream: $(grep -F 'restarting it' "$MG_TMP/error.log" | grep -vE '"(mem|ev|flaky)"')" ||
	ok "only the killed servers were restarted (not on DELETE, failed starts or the stop)"
px_done
