#!/usr/bin/env bash
# Stdio upstreams (upstream { command ...; }): the connector runs an MCP
# server over stdio, one process per gateway session.  The server is
# tests/proxy/stdio_server.mjs, written with the official TypeScript SDK
# (StdioServerTransport); the client is the same SDK's
# (StreamableHTTPClientTransport, tests/proxy/stdio_client.mjs) or curl.
#  - mcpgw -t refuses a relative command path, one that is not executable
#    or not there, an upstream with both a server and a command, and a
#    command with a header, each with its file and line;
#  - the SDK client's scenario through the gateway: initialize, tools/list,
#    echo, progress, elicitation, state kept in the session's process, a
#    crash (the call fails; the next request runs in a new process of the
#    same session), DELETE;
#  - the error log shows the process started, its stderr, its crash
#    (code 3), its restart and its end; after DELETE it is gone;
#  - max_processes 2: a third initialize is answered 503 with a JSON-RPC
#    error, and two processes run;
#  - a GET stream of a session is held open as text/event-stream;
#  - a 2026-07-28 request goes over the bridge (one process of its own
#    for such clients: 200, a 2026-07-28 result); a batch is refused (400);
#  - the connector killed (SIGKILL): its stdio servers exit, the master
#    starts another connector, a new session works and an old one gets a
#    new process;
#  - no stdio server outlives mcpgw;
#  - with session_timeout 1s (its minimum), an idle session loses its
#    process and its id gets 404; a call longer than that on a session is
#    answered, and the process stops after it;
#  - an initialize whose client leaves before its answer: the process
#    stops, and max_processes 1 lets the next one in.
# Each test's servers carry $MG_TMP and a tag (main, two, idle) in their
# command line, so that they are counted (and cleaned up) by it alone.
# Needs tests/proxy/node_modules (npm ci --prefix tests/proxy).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"

SERVER=
# The servers are the connector's children (PR_SET_PDEATHSIG takes them
# along when it dies); whatever is left is killed here.
mg_on_cleanup() {
	local p
	if [ -n "$MG_MASTER" ]; then
		kill -KILL "$MG_MASTER" $(mg_children "$MG_MASTER") 2> /dev/null
		MG_MASTER=
	fi
	if [ -n "$SERVER" ]; then
		for p in $(mg_pids_with_arg "$SERVER $MG_TMP "); do
			kill -KILL "$p" 2> /dev/null
		done
	fi
}

px_setup
px_need_modules
# The children run as "user" (nobody) when the test runs as root: they must
# be able to read the server (a copy in $MG_TMP under make distcheck).
chmod 755 "$MG_TMP"
NODE=$PX_NODE
case $NODE in
/*) ;;
*) NODE=$(cd "$(dirname "$NODE")" && pwd)/$(basename "$NODE") ;;
esac
SERVER=$PX_DIR/stdio_server.mjs
MG_PORT=$(free_port)
URL=http://127.0.0.1:$MG_PORT

# servers TAG: the pids of this test's stdio servers with TAG (all: "")
servers() {
	mg_pids_with_arg "$SERVER $MG_TMP $1"
}
nservers() {
	mg_count "$(servers "$1")"
}

# post PATH SID BODY [CURL-ARGS...]: the HTTP status printed; the answer
# in $MG_TMP/post.out, its headers in $MG_TMP/post.hdr
post() {
	local path=$1 sid=$2 body=$3 h=()
	shift 3
	[ -z "$sid" ] || h=(-H "Mcp-Session-Id: $sid" -H "MCP-Protocol-Version: ${PV:-2025-11-25}")
	curl -sS --max-time 10 -o "$MG_TMP/post.out" -D "$MG_TMP/post.hdr" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		"${h[@]}" "$@" --data-binary "$body" "$URL$path"
}
init_body() {
	echo "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"${1:-2025-11-25}\",\"capabilities\":{},\"clientInfo\":{\"name\":\"stdio.sh\",\"version\":\"1.0.0\"}}}"
}
# open_session PATH [VERSION]: initialize and notifications/initialized
# with curl; the session id in $SID
open_session() {
	local code
	SID=
	code=$(post "$1" "" "$(init_body "${2:-}")")
	[ "$code" = 200 ] && grep -q '"serverInfo":{"name":"mcpgw-stdio-test-server"' "$MG_TMP/post.out" ||
		fail "initialize on $1: $code $(cat "$MG_TMP/post.out")"
	SID=$(sed -n 's/^[Mm][Cc][Pp]-[Ss]ession-[Ii][Dd]: *\([^[:space:]]*\).*/\1/p' "$MG_TMP/post.hdr")
	[ -n "$SID" ] || fail "initialize on $1: no Mcp-Session-Id: $(cat "$MG_TMP/post.hdr")"
	code=$(PV=${2:-2025-11-25} post "$1" "$SID" '{"jsonrpc":"2.0","method":"notifications/initialized"}')
	[ "$code" = 202 ] || fail "notifications/initialized on $1: $code $(cat "$MG_TMP/post.out")"
}
# tool PATH SID NAME [ARGS]: tools/call; the status printed, the text of
# its answer in $MG_TMP/text
tool() {
	local code args=${4:-'{}'}
	code=$(post "$1" "$2" "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"$3\",\"arguments\":$args}}")
	sed -n 's/.*"text":"\([^"]*\)".*/\1/p' "$MG_TMP/post.out" > "$MG_TMP/text"
	echo "$code"
}
log_has() {
	grep -qF -- "$1" "$MG_TMP/error.log"
}
died() {
	grep -E 'exited on signal|exited with code [1-9]' "$MG_TMP/error.log" | grep -E 'master: (worker|connector) process' |
		grep -v "connector process ${KILLED:-none} exited on signal 9" || true
}

# ---- configuration errors, with file and line ------------------------------
# bad_conf WHAT LINE MESSAGE UPSTREAM-LINES
bad_conf() {
	local f=$MG_TMP/bad-$RANDOM.conf out
	printf 'upstream bad {\n%s\n}\nserver {\n    listen 127.0.0.1:%s;\n    location /mcp { mcp_pass bad; }\n}\n' \
		"$4" "$MG_PORT" > "$f"
	if out=$("$MCPGW" -t -c "$f" 2>&1); then
		check_failed "mcpgw -t accepted $1: $out"
	elif [[ $out == *"$3"*" in $f:$2"$'\n'* || $out == *"$3"*" in $f:$2" ]]; then
		ok "mcpgw -t refuses $1 at $(basename "$f"):$2: $3"
	else
		check_failed "mcpgw -t on $1: expected \"$3 ... in $f:$2\", got: $out"
	fi
}
: > "$MG_TMP/not-executable"
chmod 644 "$MG_TMP/not-executable"
bad_conf "a relative command path" 2 'command "node": the path must be absolute' \
	"    command node $SERVER;"
bad_conf "a command that is not executable" 2 "command \"$MG_TMP/not-executable\": Permission denied" \
	"    command $MG_TMP/not-executable;"
bad_conf "a command that is not there" 2 "command \"$MG_TMP/no-such-file\": No such file or directory" \
	"    command $MG_TMP/no-such-file $SERVER;"
bad_conf "an upstream with a server and a command" 3 'upstream "bad" has both a "server" and a "command"' \
	"    server http://127.0.0.1:$MG_PORT/mcp;
    command $NODE $SERVER;"
bad_conf "a command with a header" 2 'upstream "bad" runs a command: "header" and the ssl_ directives are for a "server"' \
	"    command $NODE $SERVER;
    header X-Test yes;"

# ---- the gateway, with two stdio upstreams ----------------------------------
px_conf 2 "" "
upstream st {
    command $NODE $SERVER $MG_TMP main;
}
upstream two {
    command $NODE $SERVER $MG_TMP two;
    max_processes 2;
    process_queue 0;
}
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp { mcp_pass st; }
    location /two { mcp_pass two; }
}"
"$MCPGW" -t -c "$MG_TMP/mcpgw.conf" > "$MG_TMP/t.out" 2>&1 || fail "mcpgw -t refuses the test's configuration: $(cat "$MG_TMP/t.out")"
mg_start

# ---- the SDK client's scenario ----------------------------------------------
px_run 60 stdio_client.mjs "$URL/mcp"
px_report stdio_client.mjs
P1=$(sed -n 's/^# pid before the crash \([0-9][0-9]*\)$/\1/p' "$MG_TMP/node.out")
P2=$(sed -n 's/^# pid after the crash \([0-9][0-9]*\)$/\1/p' "$MG_TMP/node.out")
[ -n "$P1" ] && [ -n "$P2" ] || fail "the client did not report the server's pids: $(cat "$MG_TMP/node.out")"

if log_has "upstream \"st\": started $NODE (pid $P1) for a session" &&
	log_has "stdio upstream \"st\" pid $P1: stdio test server ready"; then
	ok "log: the process started for the session (pid $P1), and its stderr line"
else
	check_failed "log: no start line or stderr line for pid $P1: $(grep -F "$P1" "$MG_TMP/error.log")"
fi
if log_has "stdio upstream \"st\" pid $P1: crashing now" &&
	grep -qF "[warn] " <<< "$(grep -F "stdio upstream \"st\" pid $P1 exited with code 3: restarting it at once (restart 1 in a row)" "$MG_TMP/error.log")"; then
	ok "log: the crash (its stderr, then a warning: exited with code 3, restarting it at once)"
else
	check_failed "log: the crash of pid $P1: $(grep -F "$P1" "$MG_TMP/error.log")"
fi
if log_has "upstream \"st\": started $NODE (pid $P2) for a session" &&
	[ "$(grep -n "started $NODE (pid $P2)" "$MG_TMP/error.log" | cut -d: -f1)" -gt "$(grep -n "pid $P1 exited with code 3: restarting" "$MG_TMP/error.log" | cut -d: -f1)" ]; then
	ok "log: the crash restarted the session's process at once as pid $P2 (initialized with the client's params: its next request was served)"
else
	check_failed "log: the restart as pid $P2: $(grep -F "$P2" "$MG_TMP/error.log")"
fi
# (the server exits with code 0 when its stdin closes, before the
# gateway's SIGTERM 1 s later)
if mg_wait 5 "log_has 'upstream \"st\": pid $P2 exited with code 0'" &&
	log_has "upstream \"st\": stopping pid $P2: its session was deleted"; then
	ok "log: DELETE stopped pid $P2 ($(grep -o "pid $P2 exited .*" "$MG_TMP/error.log"))"
else
	check_failed "log: the DELETE of pid $P2: $(grep -F "$P2" "$MG_TMP/error.log")"
fi
if mg_wait 5 '[ "$(nservers main)" = 0 ]'; then
	ok "after the DELETE no server process of the session is left"
else
	check_failed "after the DELETE, server processes still run: $(servers main)"
fi

# ---- max_processes 2 ----------------------------------------------------------
open_session /two
T1=$SID
open_session /two
T2=$SID
code=$(post /two "" "$(init_body)")
if [ "$code" = 503 ] && grep -q '^{"jsonrpc":"2.0","id":[^,]*,"error":{"code":-32000,"message":"the stdio server.s max_processes is reached and its process_queue is full' "$MG_TMP/post.out" &&
	log_has 'stdio upstream "two": max_processes 2 reached and process_queue 0 full: a new session refused' && [ "$(nservers two)" = 2 ]; then
	ok "max_processes 2, process_queue 0: a third initialize gets 503 with a JSON-RPC error ($(cat "$MG_TMP/post.out")); 2 processes run"
else
	check_failed "max_processes 2: a third initialize got $code $(cat "$MG_TMP/post.out"); processes: $(servers two)"
fi
[ "$(tool /two "$T2" count)" = 200 ] && [ "$(cat "$MG_TMP/text")" = 1 ] &&
	[ "$(tool /two "$T1" count)" = 200 ] && [ "$(cat "$MG_TMP/text")" = 1 ] &&
	[ "$(tool /two "$T1" count)" = 200 ] && [ "$(cat "$MG_TMP/text")" = 2 ] &&
	ok "two sessions, two processes: each has its own counter" ||
	check_failed "the counters of two sessions: $(cat "$MG_TMP/post.out")"

# ---- a GET stream ---------------------------------------------------------------
rc=0
curl -sS -N --max-time 1.5 -D "$MG_TMP/get.hdr" -o "$MG_TMP/get.out" -H 'Accept: text/event-stream' \
	-H "Mcp-Session-Id: $T1" -H 'MCP-Protocol-Version: 2025-11-25' "$URL/two" 2> /dev/null || rc=$?
if head -n 1 "$MG_TMP/get.hdr" | grep -q '^HTTP/1.1 200' &&
	grep -qi '^content-type: text/event-stream' "$MG_TMP/get.hdr" && [ "$rc" = 28 ]; then
	ok "GET of a session: 200 text/event-stream, held open (until the client left after 1.5 s)"
else
	check_failed "GET of a session (curl status $rc, 28 expected): $(cat "$MG_TMP/get.hdr" "$MG_TMP/get.out" 2> /dev/null)"
fi

# ---- a 2026-07-28 client (the bridge: tests/integration/stdio_bridge.sh) ----
before=$(nservers main)
code=$(post /mcp "" '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}' \
	-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/list')
if [ "$code" = 200 ] && grep -qF '"id":1,"result":{"tools":[{"name":"echo"' "$MG_TMP/post.out" &&
	grep -qF '"resultType":"complete"' "$MG_TMP/post.out" &&
	[ "$(nservers main)" = $((before + 1)) ]; then
	ok "a 2026-07-28 request: 200, a 2026-07-28 result over the bridge's own process"
else
	check_failed "a 2026-07-28 request: $code $(cat "$MG_TMP/post.out") ($(nservers main) servers, $before before)"
fi
# ---- what a stdio route does not relay ----------------------------------------
# batches: on a 2025-03-26 session (the revision that had them)
open_session /mcp 2025-03-26
B=$SID
code=$(PV=2025-03-26 post /mcp "$B" '[{"jsonrpc":"2.0","id":2,"method":"tools/list"},{"jsonrpc":"2.0","id":3,"method":"ping"}]')
if [ "$code" = 400 ] && grep -qF '"code":-32600' "$MG_TMP/post.out" && grep -qF 'no batches' "$MG_TMP/post.out"; then
	ok "a batch on a 2025-03-26 session: 400, $(cat "$MG_TMP/post.out")"
else
	check_failed "a batch: $code $(cat "$MG_TMP/post.out")"
fi
code=$(PV=2025-03-26 tool /mcp "$B" echo '{"message":"after the batch"}')
[ "$code" = 200 ] && [ "$(cat "$MG_TMP/text")" = "echo: after the batch" ] ||
	fail "the session after its batch: $code $(cat "$MG_TMP/post.out")"
[ "$(PV=2025-03-26 tool /mcp "$B" pid)" = 200 ] || fail "pid: $(cat "$MG_TMP/post.out")"
BPID=$(cat "$MG_TMP/text")

# ---- the connector killed --------------------------------------------------------
running=$(servers "")
[ "$(mg_count "$running")" = 4 ] || fail "4 servers should run (2 of two, 2 of st: a session's, the bridge's): $running"
KILLED=$(mg_role_pids "$MG_MASTER" connector)
[ "$(mg_count "$KILLED")" = 1 ] || fail "not one connector: $KILLED"
kill -KILL "$KILLED"
t0=$(date +%s%N)
if mg_wait 5 '[ -z "$(servers "")" ]'; then
	ok "connector SIGKILLed: its 4 stdio servers exited within $((($(date +%s%N) - t0) / 1000000)) ms"
else
	check_failed "connector SIGKILLed: stdio servers still run 5 s later: $(servers "")"
fi
mg_wait 5 "mg_replaced $MG_MASTER connector 1 $KILLED" &&
	ok "the master started a new connector ($(mg_role_pids "$MG_MASTER" connector))" ||
	fail "the master did not replace the connector $KILLED"
open_session /mcp
[ "$(tool /mcp "$SID" echo '{"message":"new connector"}')" = 200 ] && [ "$(cat "$MG_TMP/text")" = "echo: new connector" ] &&
	ok "a new session works with the new connector" ||
	check_failed "a new session after the connector's death: $(cat "$MG_TMP/post.out")"
if [ "$(PV=2025-03-26 tool /mcp "$B" pid)" = 200 ] && grep -qE '^[0-9]+$' "$MG_TMP/text" && [ "$(cat "$MG_TMP/text")" != "$BPID" ]; then
	ok "an old session works too: a new process ($(cat "$MG_TMP/text"), was $BPID)"
else
	check_failed "an old session after the connector's death: $(cat "$MG_TMP/post.out")"
fi
[ -z "$(died)" ] && ok "no other process of the gateway died" ||
	check_failed "a process of the gateway died: $(died)"

# ---- stopping mcpgw --------------------------------------------------------------
[ "$(nservers main)" = 2 ] || check_failed "2 servers of st should run before the stop: $(servers main)"
kill -QUIT "$MG_MASTER"
mg_wait 10 "! kill -0 $MG_MASTER 2> /dev/null" || fail "mcpgw did not stop within 10 s of SIGQUIT"
MG_MASTER=
mg_wait 3 '[ -z "$(servers "")" ]' &&
	ok "mcpgw stopped (SIGQUIT): no stdio server is left" ||
	check_failed "stdio servers outlived mcpgw: $(servers "")"

# ---- idle sessions, with session_timeout 1s ----------------------------------------
mv "$MG_TMP/error.log" "$MG_TMP/error-1.log"
KILLED=
px_conf 1 "session_timeout 1s;" "
upstream st {
    command $NODE $SERVER $MG_TMP idle;
}
upstream one {
    command $NODE $SERVER $MG_TMP one;
    max_processes 1;
}
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp { mcp_pass st; }
    location /one { mcp_pass one; }
}"
mg_start
open_session /mcp
I=$SID
[ "$(tool /mcp "$I" pid)" = 200 ] || fail "pid: $(cat "$MG_TMP/post.out")"
IPID=$(cat "$MG_TMP/text")
t0=$(date +%s%N)
if mg_wait 6 '[ -z "$(servers idle)" ]' && log_has "upstream \"st\": stopping pid $IPID: "; then
	ok "an idle session lost its process (pid $IPID) $((($(date +%s%N) - t0) / 1000000)) ms after its last request: $(grep -o "stopping pid $IPID: .*" "$MG_TMP/error.log")"
else
	check_failed "an idle session kept its process: $(servers idle); $(grep -F "$IPID" "$MG_TMP/error.log")"
fi
code=$(tool /mcp "$I" pid)
[ "$code" = 404 ] && [ "$(nservers idle)" = 0 ] &&
	ok "the idle session's id now gets 404, and starts no process" ||
	check_failed "the idle session's id: $code $(cat "$MG_TMP/post.out"); servers: $(servers idle)"

# a request that outlasts session_timeout: the sweep ends the session
# meanwhile, but the process stays until the request is answered
open_session /mcp
L=$SID
[ "$(tool /mcp "$L" pid)" = 200 ] || fail "pid: $(cat "$MG_TMP/post.out")"
LPID=$(cat "$MG_TMP/text")
code=$(post /mcp "$L" '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"progress","arguments":{"steps":50},"_meta":{"progressToken":"p8"}}}')
if [ "$code" = 200 ] && grep -q '"text":"done"' "$MG_TMP/post.out" &&
	log_has "upstream \"st\": pid $LPID: its session idled out with a request still running; it stops once that is answered" &&
	mg_wait 5 "log_has 'upstream \"st\": stopping pid $LPID: its session idled out, and its last request is answered'"; then
	ok "a 2.5 s call on a session that idles out meanwhile (session_timeout 1s) is answered; then its process stops"
else
	check_failed "a call that outlasts session_timeout: $code $(tail -c 300 "$MG_TMP/post.out"); $(grep -F "$LPID" "$MG_TMP/error.log")"
fi
mg_wait 5 '[ -z "$(servers idle)" ]' || check_failed "the idled-out session's process is still there: $(servers idle)"

# an initialize whose client leaves before the answer: the process, which
# has no session, stops (else it would hold max_processes 1 for good)
code=$(post /one "" "$(init_body)" --max-time 0.05)
if mg_wait 5 "log_has 'upstream \"one\": stopping pid' && log_has 'its client left before the initialize was answered'" &&
	mg_wait 5 '[ "$(nservers one)" = 0 ]'; then
	ok "an initialize abandoned by its client ($code): its process stops"
else
	check_failed "an abandoned initialize: $code, servers $(servers one): $(grep -F '"one"' "$MG_TMP/error.log")"
fi
open_session /one
[ "$(nservers one)" = 1 ] && ok "max_processes 1: the next initialize gets the slot" ||
	check_failed "max_processes 1 after an abandoned initialize: $(servers one)"

[ -z "$(died)" ] && ok "no process of the gateway died" || check_failed "a process of the gateway died: $(died)"
kill -QUIT "$MG_MASTER"
mg_wait 10 "! kill -0 $MG_MASTER 2> /dev/null" || fail "mcpgw did not stop within 10 s of SIGQUIT"
MG_MASTER=
[ -z "$(servers "")" ] || check_failed "stdio servers outlived mcpgw: $(servers "")"
px_done
