#!/usr/bin/env bash
# Resumable streams of the built-in servers (sse_buffer,
# sse_resume_timeout): a client whose POST stream drops comes back with
# GET and Last-Event-ID and gets exactly what it missed, then the result,
# on whichever of 4 workers its new connection lands (the holder passes
# the events through the connector); a call whose client left is not
# cancelled; a stream nobody came back for is gone after
# sse_resume_timeout, events past sse_buffer are gone, and both say so
# with a 400 and a JSON-RPC error; so do foreign ids and ids never sent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mcp_lib.sh"
mg_setup
mcp_need_sdk

MG_PORT=$(free_port)
mcp_conf 4 "" "" "sse_buffer 256k;
        sse_resume_timeout 3s;" "location /mcp/small { mcp_builtin demo; sse_buffer 2k; }"
mcp_init_files
mg_start
new_session

progress_body() {	# ID STEPS
	printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"progress","arguments":{"steps":%s},"_meta":{"progressToken":"t%s"}}}' "$1" "$2" "$1"
}

# drop_after SECONDS ID STEPS [URL]: a progress call whose client hangs up
# after SECONDS; its stream goes to $MG_TMP/first.sse, the last event id
# to $LAST.
drop_after() {
	curl -sS -N --max-time "$1" -X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' \
		-H "Mcp-Session-Id: $SID" -H "MCP-Protocol-Version: $MCP_V" \
		--data-binary "$(progress_body "$2" "$3")" "${4:-$URL}" \
		> "$MG_TMP/first.sse" 2> /dev/null
	LAST=$(tr -d '\r' < "$MG_TMP/first.sse" | sed -n 's/^id: //p' | tail -n 1)
	[ -n "$LAST" ] || fail "no event id on the stream before the drop: $(head -c 300 "$MG_TMP/first.sse")"
}

# resume LAST-EVENT-ID [URL]: GET with Last-Event-ID; stream in $B.
resume() {
	req -N -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $SID" \
		-H "MCP-Protocol-Version: $MCP_V" -H "Last-Event-ID: $1" "${2:-$URL}"
}

# check_whole ID STEPS: first.sse and the resumed stream in $B are, end
# to end, the priming event, progress 1..STEPS in order and the result,
# with consecutive event ids and nothing twice.
check_whole() {
	sse_json "$MG_TMP/first.sse" "$MG_TMP/a.json"
	sse_json "$B" "$MG_TMP/b.json"
	node -e '
const fs = require("fs");
const a = JSON.parse(fs.readFileSync(process.argv[1]));
const b = JSON.parse(fs.readFileSync(process.argv[2]));
const id = +process.argv[3], steps = +process.argv[4];
const ids = a.ids.concat(b.ids);
const stream = ids[0].split("-")[0];
ids.forEach((x, i) => {
	if (x !== stream + "-" + (i + 1)) throw new Error("event id " + i + " is " + x);
});
const ev = a.events.concat(b.events);
if (ev.length !== steps + 1) throw new Error(ev.length + " events, expected " + (steps + 1));
for (let i = 0; i < steps; i++)
	if (ev[i].method !== "notifications/progress" || ev[i].params.progress !== i + 1 ||
	    ev[i].params.progressToken !== "t" + id)
		throw new Error("event " + i + ": " + JSON.stringify(ev[i]));
const r = ev[steps];
if (r.id !== id || r.result.content[0].text !== "progress: " + steps + " steps")
	throw new Error("result: " + JSON.stringify(r));
if (b.events.length === 0) throw new Error("nothing was resumed");
' "$MG_TMP/a.json" "$MG_TMP/b.json" "$1" "$2" 2> "$MG_TMP/node.err" ||
		fail "resumed stream of call $1: $(head -c 400 "$MG_TMP/node.err")"
}

# A client drops mid-call and resumes at once, on a new connection (any
# of the 4 workers), 8 times.
for i in $(seq 1 8); do
	drop_after 0.5 "$((100 + i))" 150
	resume "$LAST"
	[ "$ST" = 200 ] || fail "resume $i: $(what)"
	ctype_is text/event-stream || fail "resume $i: not a stream; $(what)"
	check_whole "$((100 + i))" 150
done
ok "8 dropped streams resumed with Last-Event-ID: every missed event once, in order, then the result"
# The kernel, not the test, picks the worker of each connection, and it
# may favour one: more drops and resumptions, up to 40 in all, until one
# resumption lands on another worker than its stream's.
n=8
while [ "$(grep -c 'resumes a stream of worker' "$MG_TMP/error.log")" -lt 1 ] && [ $n -lt 40 ]; do
	n=$((n + 1))
	drop_after 0.5 "$((100 + n))" 150
	resume "$LAST"
	[ "$ST" = 200 ] || fail "resume $n: $(what)"
	check_whole "$((100 + n))" 150
done
cross=$(grep -c 'resumes a stream of worker' "$MG_TMP/error.log")
[ "$cross" -ge 1 ] || fail "no resumption crossed workers in $n (4 workers)"
ok "resumptions on another worker than the stream's go through the connector ($cross of $n)"

# The official SDK client, its streams cut by a relay, resumes on its own.
run_node resume_client.mjs "$URL" 6 100 25
ok "the SDK client resumes 6 cut streams through mcpgw by itself (tests/node/resume_client.mjs)"

# The old connection is still open (its client went quiet, the gateway
# did not notice): the resuming GET takes the stream, the old one ends.
curl -sS -N --max-time 10 -X POST -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' \
	-H "Mcp-Session-Id: $SID" -H "MCP-Protocol-Version: $MCP_V" \
	--data-binary "$(progress_body 150 150)" "$URL" > "$MG_TMP/first.sse" 2> /dev/null &
held=$!
sleep 0.5
LAST=$(tr -d '\r' < "$MG_TMP/first.sse" | sed -n 's/^id: //p' | tail -n 1)
[ -n "$LAST" ] || fail "no event id on the held stream"
resume "$LAST"
mg_wait 3 "! kill -0 $held 2> /dev/null" || fail "the old connection was not ended when the GET took the stream"
wait $held
# the old connection may have got a few events after LAST before the GET
# came; those come again on the GET, so compare from LAST on
sed -i "/^id: ${LAST}\r\?\$/,\$d" "$MG_TMP/first.sse"
printf 'id: %s\ndata: %s\n\n' "$LAST" '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t150","progress":'"$(( ${LAST##*-} - 1 ))"'}}' >> "$MG_TMP/first.sse"
check_whole 150 150
ok "a GET that resumes a stream whose old connection is still open takes it over and ends the old one"

# The client leaves; the call goes on; it comes back after the result.
drop_after 0.2 201 60
sleep 1.2
resume "$LAST"
[ "$ST" = 200 ] || fail "late resume: $(what)"
check_whole 201 60
ok "a call whose client left is not cancelled: the result waits for it (resumed after it finished)"

# Nobody comes back within sse_resume_timeout (3s).
drop_after 0.2 301 40
sleep 4
resume "$LAST"
expect 400 "$(rpc_err -32000 'm.id === undefined') && /is gone/.test(m.error.message)" "resume after sse_resume_timeout"
grep -q 'did not come back within sse_resume_timeout' "$MG_TMP/error.log" ||
	fail "no log line for the stream that nobody came back for"
ok "a dropped stream is gone after sse_resume_timeout: 400, a JSON-RPC error, a log line"

# sse_buffer 2k: 200 progress events do not fit.
DEMO_URL=$URL DEMO_SID=$SID
URL=http://127.0.0.1:$MG_PORT/mcp/small
new_session
drop_after 0.3 401 200
sleep 2.5
resume "$LAST"
URL=$DEMO_URL SID=$DEMO_SID
expect 400 "$(rpc_err -32000 'm.id === undefined') && /no longer held/.test(m.error.message) && /sse_buffer/.test(m.error.message)" "resume past sse_buffer"
ok "events past sse_buffer are gone: 400 naming sse_buffer"

# Ids that are not ours, or were never sent.
resume "not-an-event-id"
expect 400 "$(rpc_err -32000 'm.id === undefined') && /not an event id/.test(m.error.message)" "foreign Last-Event-ID"
drop_after 0.3 501 100
future="${LAST%-*}-99999"
resume "$future"
expect 400 "$(rpc_err -32000 'm.id === undefined') && /never sent/.test(m.error.message)" "Last-Event-ID never sent"
resume "$LAST"
check_whole 501 100
ok "a foreign Last-Event-ID and one never sent get 400; the stream still resumes after them"

# A GET stream's id: the built-in servers send nothing unasked on it, so
# the client missed nothing and gets a new GET stream.
curl -sS -N --max-time 0.5 -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $SID" \
	-H "MCP-Protocol-Version: $MCP_V" "$URL" > "$MG_TMP/get.sse" 2> /dev/null
gid=$(tr -d '\r' < "$MG_TMP/get.sse" | sed -n 's/^id: //p' | head -n 1)
[ -n "$gid" ] || fail "GET stream without a priming event id"
ST=$(curl -sS -o /dev/null -w '%{http_code}' -N --max-time 0.5 -H 'Accept: text/event-stream' \
	-H "Mcp-Session-Id: $SID" -H "MCP-Protocol-Version: $MCP_V" -H "Last-Event-ID: $gid" "$URL" 2> /dev/null)
[ "$ST" = 200 ] || fail "GET with a GET stream's Last-Event-ID: $ST"
ok "a GET stream's Last-Event-ID opens a new GET stream (nothing was missed)"

# The workers holding streams die: the client hears the stream is gone.
drop_after 0.3 601 300
kill -KILL $(mg_role_pids "$MG_MASTER" worker)
mg_wait 10 "[ \$(grep -c 'worker .* serving' '$MG_TMP/error.log') -ge 8 ]" || fail "workers not back"
resume "$LAST"
expect 400 "$(rpc_err -32000 'm.id === undefined') && /is gone/.test(m.error.message)" "resume after the holder died"
ok "the holder killed: resuming gets 400 'gone' from the new workers, promptly"

# Dropped streams hold no connection, so worker_connections bounds them
# per worker: with 4, a 6th drop ends the oldest.
P2=$(free_port)
cat > "$MG_TMP/small.conf" <<CONF
worker_processes 1;
worker_connections 4;
pid $MG_TMP/small.pid;
error_log $MG_TMP/small.log info;
server { listen 127.0.0.1:$P2; location /mcp { mcp_builtin demo; } }
CONF
"$MCPGW" -F -c "$MG_TMP/small.conf" >> "$MG_TMP/stdout.log" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
disown $!
mg_wait 10 "grep -q 'generation 1 ready' '$MG_TMP/small.log' 2> /dev/null" || fail "second instance not ready"
URL=http://127.0.0.1:$P2/mcp
new_session
ids=()
for i in 1 2 3 4 5 6; do
	drop_after 0.2 "$((700 + i))" 3000
	ids+=("$LAST")
done
[ "$(grep -c 'more than worker_connections (4) dropped streams' "$MG_TMP/small.log")" = 2 ] ||
	fail "expected 2 'more than worker_connections' lines: $(grep -c 'more than worker_connections' "$MG_TMP/small.log")"
resume "${ids[0]}"
expect 400 "$(rpc_err -32000 'm.id === undefined') && /is gone/.test(m.error.message)" "the oldest dropped stream"
req -N --max-time 1 -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $SID" \
	-H "MCP-Protocol-Version: $MCP_V" -H "Last-Event-ID: ${ids[5]}" "$URL"
grep -q '"notifications/progress"' "$B" || fail "the newest dropped stream did not resume: $(what)"
ok "at most worker_connections dropped streams per worker: past that the oldest ends (logged), the newest resumes"
mg_done
