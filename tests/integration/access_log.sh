#!/usr/bin/env bash
# The access log in the operator's formats, against the real daemon:
# the predefined mcpgw line (today's 14 fields) and json (each line parsed
# by node), a json format fed hostile bytes (quotes, backslashes, control
# characters, bytes >= 0x80 in a tool name and a header) that stays one
# valid JSON object a line, a value longer than log_line_max cut with the
# line still valid, access_log off at location level, buffer= with its
# flush timer, a reopen (SIGUSR1) that writes what the buffer kept to the
# old file, what a graceful stop (QUIT) writes, the upstream fields of a
# proxied route (the built-in server through the gateway itself) and of a
# stdio server (stdio:PID, the pid the server itself reports), a reload
# that changes a format while a call is in flight (the old worker writes
# its line in the old format), and configuration errors with file:line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
. "$(dirname "$0")/mcp_lib.sh"
px_setup
px_need_modules
chmod 755 "$MG_TMP" # the stdio server is read by the configured user

MG_PORT=$(free_port)
mcp_init_files
L=$MG_TMP
NODE=$PX_NODE
case $NODE in /*) ;; *) NODE=$(cd "$(dirname "$NODE")" && pwd)/$(basename "$NODE") ;; esac

write_conf() { # $1: the reload format's literal
	cat > "$MG_TMP/mcpgw.conf" << CONF
worker_processes 1;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log info;
shutdown_timeout 5s;
log_format tiny '\$status \$request_uri \$mcp_tool';
log_format hostile escape=json '{"tool":"\$mcp_tool","evil":"\$http_x_evil",'
                                '"method":"\$request_method"}';
log_format up '\$request_uri|\$upstream_name|\$upstream_addr|\$upstream_status|'
              '\$upstream_response_time|\$mcp_tool';
log_format r '$1 \$mcp_tool';
access_log $L/default.log;
access_log $L/json.log json;
access_log $L/hostile.log hostile;
access_log $L/buf.log tiny buffer=64k flush=1s;
access_log $L/hold.log tiny buffer=64k flush=1h;
access_log $L/reload.log r;
upstream self { server http://127.0.0.1:$MG_PORT/mcp/demo; }
upstream stdio { command $NODE $PX_DIR/stdio_server.mjs $MG_TMP; }
server {
    listen 127.0.0.1:$MG_PORT;
    server_name log.test;
    location /mcp/demo { mcp_builtin demo; }
    location /mcp/quiet { mcp_builtin demo; access_log off; }
    location /mcp/self { mcp_pass self; access_log $L/up.log up; }
    location /mcp/stdio { mcp_pass stdio; access_log $L/up.log up; }
}
CONF
}

# jcheck FILE EXPR: every line of FILE is one JSON object, and EXPR holds
# over L (the parsed lines); prints why not.
jcheck() {
	"$NODE" -e '
const fs = require("fs");
const text = fs.readFileSync(process.argv[1], "utf8");
if (!text.endsWith("\n")) { console.log("no newline at the end"); process.exit(1); }
const L = [];
for (const line of text.slice(0, -1).split("\n")) {
	try { L.push(JSON.parse(line)); } catch (e) { console.log("not JSON: " + line.slice(0, 300)); process.exit(1); }
	if (typeof L[L.length - 1] !== "object") { console.log("not an object: " + line); process.exit(1); }
}
const ok = new Function("L", "return (" + process.argv[2] + ");")(L);
if (!ok) { console.log("does not hold: " + JSON.stringify(L).slice(0, 600)); process.exit(1); }' "$1" "$2"
}

lines() { [ -f "$1" ] && wc -l < "$1" || echo 0; }

write_conf OLD
"$MCPGW" -t -q -c "$MG_TMP/mcpgw.conf" > "$MG_TMP/t.log" 2>&1 ||
	fail "mcpgw -t refuses the test configuration: $(cat "$MG_TMP/t.log")"
ok "mcpgw -t takes log_format (escape=json, several strings), access_log with formats, buffer= and flush=, and off"
mg_start

# --- the predefined formats ---------------------------------------------------
URL=http://127.0.0.1:$MG_PORT/mcp/demo
new_session 2025-06-18
spost "$(echo_body 2 hi)"
expect 200 "$(echo_ok 2 "'hi'")" "echo"
line=$(grep ' tools/call ' "$L/default.log") || fail "no tools/call line in the default log: $(cat "$L/default.log")"
re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} 127\.0\.0\.1 log\.test /mcp/demo [0-9a-f]{8} POST tools/call echo 200 - [0-9]+ [0-9]+ - -$'
[[ $line =~ $re ]] || fail "the mcpgw line is not the 14 fields it always was: $line"
[ "$(awk '{print NF}' <<< "$line")" = 14 ] || fail "not 14 fields: $line"
sid=$(awk '{print $5}' <<< "$line")
ok "mcpgw, the default: $line"
URL="http://127.0.0.1:$MG_PORT/mcp/demo?k=v&w" spost "$(echo_body 21 query)"
[ "$ST" = 200 ] || fail "a call with a query: $(what)"
jcheck "$L/json.log" "L.length === $(lines "$L/default.log") && L.some(m => m.mcp_method === 'tools/call' && m.mcp_tool === 'echo' && m.status === 200 && m.location === '/mcp/demo' && m.server === 'log.test' && m.mcp_session === '$sid' && m.method === 'POST' && m.uri === '/mcp/demo' && m.mcp_protocol_version === '2025-06-18' && typeof m.request_time === 'number' && m.request_length > 100 && m.body_bytes_sent > 0 && m.upstream === '' && /^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:\\d\\d$/.test(m.time)) \
	&& L.some(m => m.uri === '/mcp/demo?k=v&w' && m.location === '/mcp/demo')" ||
	fail "the json log: $(cat "$L/json.log")"
ok "json: one object a line, every request of the default log, its fields typed; uri with the query"

# $request_id and $trace_id (json): a client's trace id kept; the request
# id is mcpgw's span and the trace id's last 16 digits; without a
# traceparent, a new trace id of 32 hex digits
spost "$(echo_body 22 traced)" -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
[ "$ST" = 200 ] || fail "a call with a traceparent: $(what)"
jcheck "$L/json.log" "L.some(m => m.trace_id === '4bf92f3577b34da6a3ce929d0e0e4736' && /^[0-9a-f]{16}a3ce929d0e0e4736$/.test(m.request_id) && !m.request_id.startsWith('00f067aa0ba902b7')) \
	&& L.filter(m => m.trace_id !== '4bf92f3577b34da6a3ce929d0e0e4736').every(m => /^[0-9a-f]{32}$/.test(m.trace_id) && m.request_id.endsWith(m.trace_id.slice(16)))" ||
	fail "request_id and trace_id in the json log: $(tail -n 2 "$L/json.log")"
ok "json: \$trace_id is the client's (or a new one), \$request_id mcpgw's span and the trace"

# --- hostile bytes ------------------------------------------------------------
evil=$'q"b\\s\tx\xff\xc3\xa9'
spost '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"a\"b\\c\nd\u00e9","arguments":{}}}' -H "X-Evil: $evil"
[ "$ST" = 200 ] || fail "a call of an unknown tool: $(what)"
long=$(printf '"%.0s' $(seq 6000))
spost "$(echo_body 4 long)" -H "X-Evil: $long"
[ "$ST" = 200 ] || fail "a call with a 6000-byte header: $(what)"
n=$(lines "$L/default.log")
jcheck "$L/hostile.log" "L.length === $n && L.some(m => m.tool === 'a\"b\\\\c?d??' && m.evil === 'q\"b\\\\s\\tx\\u00ff\\u00e9') && L.some(m => /^\"{1000,}\$/.test(m.evil) && m.tool === 'echo' && m.method === 'POST')" ||
	fail "the hostile log ($n lines in the default log): $(head -c 600 "$L/hostile.log")"
max=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$L/hostile.log")
[ "$max" -le 8192 ] || fail "a line of $max bytes (log_line_max 8192)"
grep -q '^[^ ]* [^ ]* log.test /mcp/demo [0-9a-f]* POST tools/call a\\x22b\\x5cc?d?? 200 ' "$L/default.log" ||
	fail "the mcpgw line of the hostile call: $(grep -a 'a\\' "$L/default.log")"
ok "hostile tool name and header: one valid JSON object per request (quotes, backslash, tab escaped, invalid UTF-8 as \\u00ff, é kept), the mcpgw line with \\xHH; a 12000-byte value cut to $max bytes, still JSON"

# --- access_log off -------------------------------------------------------------
URL=http://127.0.0.1:$MG_PORT/mcp/quiet post "$(init_body 2025-06-18)"
[ "$ST" = 200 ] || fail "initialize on /mcp/quiet: $(what)"
sleep 0.2
! grep -q /mcp/quiet "$L/default.log" "$L/json.log" "$L/hostile.log" || fail "access_log off, yet /mcp/quiet was logged"
ok "access_log off at location level: /mcp/quiet is in no file"

# --- buffer= and flush= ---------------------------------------------------------
mg_wait 5 '[ "$(lines "$L/buf.log")" = "$(lines "$L/default.log")" ]' || fail "buf.log never caught up"
had=$(lines "$L/buf.log")
spost "$(echo_body 5 buffered)"
[ "$(lines "$L/buf.log")" = "$had" ] || fail "buffer=64k flush=1s wrote at once: $(cat "$L/buf.log")"
start=$(date +%s%N)
mg_wait 5 '[ "$(lines "$L/buf.log")" -gt "$had" ]' || fail "the flush timer never wrote buf.log"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$(lines "$L/buf.log")" = "$(lines "$L/default.log")" ] || fail "buf.log has $(lines "$L/buf.log") lines, the default log $(lines "$L/default.log")"
[ "$(lines "$L/hold.log")" = 0 ] || fail "flush=1h wrote already"
ok "buffer=64k flush=1s: nothing at once, every line $ms ms later; flush=1h: nothing yet"

# --- reopen with a buffer ---------------------------------------------------------
mv "$L/hold.log" "$L/hold.log.1" 2> /dev/null || : > "$L/hold.log.1"
before=$(lines "$L/default.log")
kill -USR1 "$MG_MASTER"
mg_wait 5 '[ -f "$L/hold.log" ] && [ "$(lines "$L/hold.log.1")" = "$before" ]' ||
	fail "after SIGUSR1: hold.log.1 has $(lines "$L/hold.log.1") lines, not $before"
spost "$(echo_body 6 after)"
sleep 0.2
[ "$(lines "$L/hold.log")" = 0 ] || fail "after the reopen a line was written at once"
ok "SIGUSR1: what buffer= kept went to the old file ($before lines), the new file is empty until its flush"

# --- upstream fields --------------------------------------------------------------
URL=http://127.0.0.1:$MG_PORT/mcp/self
new_session 2025-06-18
spost "$(echo_body 7 through)"
expect 200 "$(echo_ok 7 "'through'")" "echo through /mcp/self"
re="^/mcp/self\\|self\\|127\\.0\\.0\\.1:$MG_PORT\\|200\\|[0-9]+\\.[0-9]{3}\\|echo$"
grep -Eq "$re" "$L/up.log" || fail "no upstream fields of /mcp/self: $(cat "$L/up.log")"
URL=http://127.0.0.1:$MG_PORT/mcp/stdio
new_session 2025-06-18
spost '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"pid","arguments":{}}}'
[ "$ST" = 200 ] || fail "pid on /mcp/stdio: $(what)"
pid=$(tr -d '\r' < "$B" | grep -o '"text":"[0-9]*"' | grep -o '[0-9]\+' | head -n 1)
[ -n "$pid" ] || fail "no pid from the stdio server: $(what)"
grep -Eq "^/mcp/stdio\\|stdio\\|stdio:$pid\\|200\\|[0-9]+\\.[0-9]{3}\\|pid$" "$L/up.log" ||
	fail "no upstream fields of /mcp/stdio (pid $pid): $(cat "$L/up.log")"
grep -q '/mcp/self\|/mcp/stdio' "$L/default.log" && fail "a location's own access_log, yet the main one logged it"
ok "upstream_addr 127.0.0.1:$MG_PORT and stdio:$pid (the server's own pid), upstream_status 200, upstream_response_time s.mmm"

# --- a reload that changes a format while a call is in flight ---------------------
URL=http://127.0.0.1:$MG_PORT/mcp/demo
new_session 2025-06-18
curl -s -o "$MG_TMP/slow.out" --max-time 10 -X POST -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $SID" -H "MCP-Protocol-Version: $MCP_V" \
	--data-binary '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":2000}}}' "$URL" &
slow=$!
sleep 0.5
write_conf NEW
kill -HUP "$MG_MASTER"
mg_wait 10 "grep -q 'generation 2 ready' '$MG_TMP/error.log'" || fail "the reload did not finish"
spost "$(echo_body 10 new)"
expect 200 "$(echo_ok 10 "'new'")" "echo after the reload"
wait "$slow"
grep -qx 'OLD sleep' "$L/reload.log" || fail "the call in flight was not logged by the old worker in the old format: $(cat "$L/reload.log")"
grep -qx 'NEW echo' "$L/reload.log" || fail "the new worker did not use the new format: $(cat "$L/reload.log")"
ok "reload: the call in flight logged as 'OLD sleep' by its old worker, the next as 'NEW echo'"

# --- QUIT writes what is kept -------------------------------------------------------
n=$(lines "$L/default.log")
kill -QUIT "$MG_MASTER"
mg_wait 10 '! kill -0 "$MG_MASTER" 2> /dev/null' || fail "mcpgw did not stop on QUIT"
MG_MASTER=
kept=$(($(lines "$L/hold.log") + $(lines "$L/hold.log.1")))
[ "$kept" = "$n" ] || fail "after QUIT the flush=1h files have $kept lines, the default log $n"
ok "QUIT: the lines flush=1h kept were written ($kept, as many as the default log)"

# --- configuration errors name file and line ----------------------------------------
bad() { # WANT CONF-LINES...
	local want=$1
	shift
	printf '%s\n' "pid $MG_TMP/x.pid;" "$@" "server { listen 127.0.0.1:$MG_PORT; location /m { mcp_builtin demo; } }" > "$MG_TMP/bad.conf"
	"$MCPGW" -t -c "$MG_TMP/bad.conf" > "$MG_TMP/bad.out" 2>&1 && fail "mcpgw -t accepted: $*"
	grep -qF "$want" "$MG_TMP/bad.out" || fail "mcpgw -t on $*: $(cat "$MG_TMP/bad.out"), not: $want"
}
bad "unknown variable \"\$nope\" in log_format \"x\" in $MG_TMP/bad.conf:2" 'log_format x "$status $nope";'
bad "unknown log format \"nosuch\" in $MG_TMP/bad.conf:3" '' "access_log $L/a.log nosuch;"
bad "invalid buffer size \"12q\" in \"access_log\" directive in $MG_TMP/bad.conf:2" "access_log $L/a.log buffer=12q;"
vars=$(printf '$pid%.0s' $(seq 1001))
bad "too many variables (at most 1000) in log_format \"x\" in $MG_TMP/bad.conf:2" "log_format x '$vars';"
ok "mcpgw -t: unknown variable, unknown format, bad buffer size, 1001 variables: refused with file:line"
mg_done
