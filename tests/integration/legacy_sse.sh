#!/usr/bin/env bash
# Legacy HTTP+SSE upstreams (revision 2024-11-05): the real
# @modelcontextprotocol/server-everything in its sse mode (tests/fed; GET
# /sse, POST /message, bound to loopback by bench/stdio/loopback.cjs) behind
# mcpgw, with "protocol 2024-11-05" and with "protocol auto":
#  - the SDK v1 client (2025-11-25, a session) and the SDK v2 client
#    (2026-07-28, over the era bridge) list tools and call echo, get-sum
#    and the long-running operation with 3 progress notifications, 20
#    calls at once (tests/era/legacy_client.mjs), on both routes;
#  - under auto the error log says once that the upstream speaks HTTP+SSE;
#  - the MCP Inspector CLI lists the tools and calls get-sum;
#  - two sessions at once, whose clients use the same JSON-RPC ids, each
#    get their own answers;
#  - the server killed and started again: the session's next call opens a
#    new stream (with the client's initialize params) and is answered;
#  - hostile servers (tests/fed/hostile_sse.mjs): an endpoint on another
#    host is refused, an endpoint never sent fails at connect_timeout, a
#    stream cut mid-answer ends the call with an error, garbage on the
#    stream is skipped and the answer after it arrives; an event over
#    max_message_size ends the call with an error; nothing crashes;
#  - https (a certificate made here): a session works; an untrusted
#    certificate and an endpoint on http are refused;
#  - max_processes 1 with process_queue 1: a second initialize waits, a
#    third is refused (503), and the DELETE of the first session's stream
#    gives the waiting one a stream of its own (stdiowait.c on the link);
#  - DELETE closes the session's stream; the connector killed, sessions of
#    both routes go on; SIGQUIT stops mcpgw with streams open.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
. "$(dirname "$0")/era_lib.sh"

px_setup
px_need_modules
era_need_modules
NODE=$ERA_NODE22
FED=$MG_SRCDIR/tests/fed
EVERYTHING=$FED/node_modules/@modelcontextprotocol/server-everything/dist/index.js
[ -f "$EVERYTHING" ] || fail "tests/fed/node_modules is missing: run npm ci --prefix tests/fed"
CLI=$FED/node_modules/@modelcontextprotocol/inspector-cli/build

SE_PORT=$(free_port)
HO_PORT=$(free_port)
MG_PORT=$(free_port)
SE_PID=

# start_everything: server-everything sse on $SE_PORT (loopback)
start_everything() {
	: > "$MG_TMP/everything.log" # now: the child's redirection comes later
	PORT=$SE_PORT "$NODE" --require "$MG_SRCDIR/bench/stdio/loopback.cjs" "$EVERYTHING" sse >> "$MG_TMP/everything.log" 2>&1 &
	SE_PID=$!
	MG_BG_PIDS="$MG_BG_PIDS $SE_PID"
	disown $SE_PID
	mg_wait 15 "grep -q 'running on port $SE_PORT' '$MG_TMP/everything.log'" ||
		fail "server-everything did not start: $(tail -n 5 "$MG_TMP/everything.log")"
}
start_everything
# hostile PORT [CERT KEY]: the hostile server (https with CERT and KEY)
hostile() {
	"$NODE" "$FED/hostile_sse.mjs" "$@" > "$MG_TMP/hostile-$1.log" 2>&1 &
	MG_BG_PIDS="$MG_BG_PIDS $!"
	disown $!
	mg_wait 10 "grep -q 'listening $1' '$MG_TMP/hostile-$1.log'" || fail "the hostile server did not start"
}
hostile "$HO_PORT"
# an https one: a self-signed certificate for 127.0.0.1, its own trust anchor
TLS_PORT=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
	-addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' -keyout "$MG_TMP/tls.key" -out "$MG_TMP/tls.pem" \
	> "$MG_TMP/openssl.out" 2>&1 || fail "openssl req: $(cat "$MG_TMP/openssl.out")"
hostile "$TLS_PORT" "$MG_TMP/tls.pem" "$MG_TMP/tls.key"

mg_conf 1 "
upstream fixed { server http://127.0.0.1:$SE_PORT/sse; protocol 2024-11-05; }
upstream auto { server http://127.0.0.1:$SE_PORT/sse; }
upstream elsewhere { server http://127.0.0.1:$HO_PORT/elsewhere; protocol 2024-11-05; }
upstream silent { server http://127.0.0.1:$HO_PORT/silent; protocol 2024-11-05; connect_timeout 1s; }
upstream cut { server http://127.0.0.1:$HO_PORT/cut; protocol 2024-11-05; }
upstream garbage { server http://127.0.0.1:$HO_PORT/garbage; protocol 2024-11-05; }
upstream tls { server https://127.0.0.1:$TLS_PORT/garbage; protocol 2024-11-05; ssl_trusted_certificate $MG_TMP/tls.pem; }
upstream big { server http://127.0.0.1:$HO_PORT/big; protocol 2024-11-05; max_message_size 1k; }
upstream untrusted { server https://127.0.0.1:$TLS_PORT/garbage; protocol 2024-11-05; }
upstream scheme { server https://127.0.0.1:$TLS_PORT/scheme; protocol 2024-11-05; ssl_trusted_certificate $MG_TMP/tls.pem; }
upstream queued { server http://127.0.0.1:$SE_PORT/sse; protocol 2024-11-05; max_processes 1; process_queue 1; process_queue_timeout 20s; }
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/fixed { mcp_pass fixed; }
    location /mcp/auto { mcp_pass auto; }
    location /mcp/elsewhere { mcp_pass elsewhere; }
    location /mcp/silent { mcp_pass silent; }
    location /mcp/cut { mcp_pass cut; }
    location /mcp/garbage { mcp_pass garbage; }
    location /mcp/tls { mcp_pass tls; }
    location /mcp/scheme { mcp_pass scheme; }
    location /mcp/untrusted { mcp_pass untrusted; }
    location /mcp/big { mcp_pass big; }
    location /mcp/queued { mcp_pass queued; }
}"
mg_start
URL=http://127.0.0.1:$MG_PORT

# client MODE ROUTE TAG: the SDK client's checks, its output in $MG_TMP/c-TAG
client() {
	(cd "$ERA_SCRIPTS" && timeout -k 5 60 "$NODE" legacy_client.mjs "$1" "$URL/mcp/$2" "$3") > "$MG_TMP/c-$3" 2>&1
}
client_ok() {
	client "$@" && [ "$(grep -c '^ok - ' "$MG_TMP/c-$3")" = 6 ] ||
		fail "SDK $1 client on /mcp/$2: $(cat "$MG_TMP/c-$3")"
	ok "SDK $1 client on /mcp/$2 ($(sed -n 's/^# revision //p' "$MG_TMP/c-$3")): 6 checks"
}

# (auto first, with a 2026-07-28 client: our discover is refused, the
# exchange handed over, the upstream learned)
client_ok v2 auto a2
client_ok v1 auto a1
client_ok v1 fixed f1
client_ok v2 fixed f2
[ "$(grep -c 'upstream "auto" speaks the 2024-11-05 HTTP+SSE transport' "$MG_TMP/error.log")" = 1 ] ||
	fail "the error log does not say once that \"auto\" speaks HTTP+SSE: $(grep auto "$MG_TMP/error.log" | tail -n 5)"
ok "protocol auto: the upstream found to speak HTTP+SSE, said once in the error log"
! grep -q 'upstream "fixed" (protocol auto)' "$MG_TMP/error.log" || fail "protocol 2024-11-05 went through detection"

# the Inspector CLI (its build/index.js finds its package.json from there)
(cd "$CLI" && timeout -k 5 30 "$NODE" index.js "$URL/mcp/fixed" --transport http --method tools/list) > "$MG_TMP/cli.out" 2>&1 &&
	grep -q '"name": "get-sum"' "$MG_TMP/cli.out" || fail "inspector-cli tools/list: $(head -c 400 "$MG_TMP/cli.out")"
(cd "$CLI" && timeout -k 5 30 "$NODE" index.js "$URL/mcp/auto" --transport http --method tools/call \
	--tool-name get-sum --tool-arg a=2 --tool-arg b=40) > "$MG_TMP/cli.out" 2>&1 &&
	grep -q 'The sum of 2 and 40 is 42' "$MG_TMP/cli.out" || fail "inspector-cli tools/call: $(head -c 400 "$MG_TMP/cli.out")"
ok "inspector-cli lists the tools (fixed) and calls get-sum (auto)"

# two sessions at once: both clients number their requests from 0
client v1 fixed s1 &
P1=$!
client v1 fixed s2 &
P2=$!
wait $P1 && wait $P2 || fail "two sessions at once: $(cat "$MG_TMP/c-s1" "$MG_TMP/c-s2")"
ok "two SDK v1 sessions at once, the same JSON-RPC ids, each its own 21 echoes"

# post ROUTE SID BODY: the answer in $MG_TMP/post.out, the status printed
post() {
	local h=()
	[ -z "$2" ] || h=(-H "Mcp-Session-Id: $2" -H "MCP-Protocol-Version: 2025-11-25")
	curl -sS --max-time 20 -o "$MG_TMP/post.out" -D "$MG_TMP/post.hdr" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' "${h[@]}" \
		--data-binary "$3" "$URL/mcp/$1"
}
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'
echo_call() {
	printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"echo","arguments":{"message":"%s"}}}' "$1" "$2"
}
# open ROUTE: a session's id in $SID
open() {
	[ "$(post "$1" "" "$INIT")" = 200 ] || fail "initialize on /mcp/$1: $(cat "$MG_TMP/post.out")"
	SID=$(sed -n 's/^Mcp-Session-Id: *\([^[:space:]]*\).*/\1/ip' "$MG_TMP/post.hdr")
	[ -n "$SID" ] || fail "no Mcp-Session-Id on /mcp/$1"
	post "$1" "$SID" '{"jsonrpc":"2.0","method":"notifications/initialized"}' > /dev/null
}

# the server killed and started again
open fixed
[ "$(post fixed "$SID" "$(echo_call 5 before)")" = 200 ] && grep -q 'Echo: before' "$MG_TMP/post.out" ||
	fail "echo before the restart: $(cat "$MG_TMP/post.out")"
kill -KILL $SE_PID
mg_wait 5 "grep -q 'its SSE stream ended' '$MG_TMP/error.log'" ||
	fail "the connector did not see the stream end"
start_everything
[ "$(post fixed "$SID" "$(echo_call 6 after)")" = 200 ] && grep -q '"id":6' "$MG_TMP/post.out" &&
	grep -q 'Echo: after' "$MG_TMP/post.out" || fail "echo after the restart: $(cat "$MG_TMP/post.out")"
ok "server-everything killed and started again: the session's next call opens a new stream and is answered"

# hostile servers
[ "$(post elsewhere "" "$INIT")" = 200 ] && grep -q 'another origin' "$MG_TMP/post.out" ||
	fail "an endpoint on another host: $(cat "$MG_TMP/post.out")"
grep -q 'upstream "elsewhere": its endpoint event names another origin' "$MG_TMP/error.log" ||
	fail "the refused endpoint is not in the error log"
ok "an endpoint event on another host is refused (JSON-RPC error, logged)"
T0=$(date +%s%N)
post silent "" "$INIT" > /dev/null
MS=$((($(date +%s%N) - T0) / 1000000))
grep -q 'no endpoint event on its SSE stream within connect_timeout (1000 ms)' "$MG_TMP/post.out" ||
	fail "no endpoint event: $(cat "$MG_TMP/post.out")"
[ $MS -ge 900 ] && [ $MS -lt 5000 ] || fail "no endpoint event: answered after $MS ms, not at connect_timeout (1 s)"
ok "an endpoint event never sent: a clear error after connect_timeout ($MS ms)"
open cut
post cut "$SID" "$(echo_call 7 cut)" > /dev/null
grep -q 'its SSE stream ended' "$MG_TMP/post.out" && grep -q '"id":7' "$MG_TMP/post.out" ||
	fail "a stream cut mid-answer: $(cat "$MG_TMP/post.out")"
ok "a stream that closes mid-answer: the call ends with a JSON-RPC error under its id"
open garbage
[ "$(post garbage "$SID" "$(echo_call 8 g)")" = 200 ] && grep -q '"id":8,"result":{"ok":true}\|"result":{"ok":true}.*"id":8' "$MG_TMP/post.out" ||
	fail "garbage on the stream: $(cat "$MG_TMP/post.out")"
grep -q 'not a JSON-RPC message' "$MG_TMP/error.log" || fail "the garbage is not in the error log"
ok "garbage on the stream is skipped (logged), the answer after it arrives"

open big
post big "$SID" "$(echo_call 10 b)" > /dev/null
grep -q '"id":10' "$MG_TMP/post.out" && grep -q 'over max_message_size' "$MG_TMP/post.out" ||
	fail "an event over max_message_size: $(cat "$MG_TMP/post.out")"
ok "an event over max_message_size (1k) ends the call with a JSON-RPC error naming the limit"

# https: the stream and the POSTs over TLS, verified; the endpoint over
# http refused
open tls
[ "$(post tls "$SID" "$(echo_call 9 t)")" = 200 ] && grep -q '"id":9' "$MG_TMP/post.out" &&
	grep -q '"result":{"ok":true}' "$MG_TMP/post.out" || fail "https: $(cat "$MG_TMP/post.out")"
[ "$(post scheme "" "$INIT")" = 200 ] && grep -q 'another origin' "$MG_TMP/post.out" ||
	fail "an http endpoint of an https server: $(cat "$MG_TMP/post.out")"
[ "$(post untrusted "" "$INIT")" = 200 ] && grep -q 'certificate verification failed' "$MG_TMP/post.out" ||
	fail "an https server whose certificate is not trusted: $(cat "$MG_TMP/post.out")"
ok "https: a session over TLS (verified) is answered; an untrusted certificate and an endpoint event over http are refused"

# DELETE closes the session's stream (server-everything logs its end)
open fixed
N=$(grep -c 'Client Disconnected' "$MG_TMP/everything.log")
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X DELETE -H "Mcp-Session-Id: $SID" \
	-H 'MCP-Protocol-Version: 2025-11-25' "$URL/mcp/fixed")" = 204 ] || fail "DELETE of a session"
mg_wait 5 "[ \$(grep -c 'Client Disconnected' '$MG_TMP/everything.log') -gt $N ]" ||
	fail "DELETE did not close the session's SSE stream"
ok "DELETE closes the session's SSE stream (the server saw its client go)"

# max_processes 1, process_queue 1: the streams of the link wait as a
# stdio upstream's processes do
open queued
QA=$SID
curl -sS --max-time 30 -o "$MG_TMP/qb.out" -D "$MG_TMP/qb.hdr" -w '%{http_code}' -X POST \
	-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
	--data-binary "$INIT" "$URL/mcp/queued" > "$MG_TMP/qb.code" 2>&1 &
QB_PID=$!
MG_BG_PIDS="$MG_BG_PIDS $QB_PID"
mg_wait 10 "grep -q 'HTTP+SSE upstream \"queued\": max_processes 1 reached: a new session waits (1 waiting, process_queue 1)' '$MG_TMP/error.log'" ||
	fail "the second initialize did not wait: $(grep queued "$MG_TMP/error.log" | tail -n 5)"
[ "$(post queued "" "$INIT")" = 503 ] && grep -q "the HTTP+SSE upstream's max_processes is reached and its process_queue is full" "$MG_TMP/post.out" ||
	fail "a third initialize with the queue full: $(cat "$MG_TMP/post.out")"
! grep -q 'queued": a waiting session got pid' "$MG_TMP/error.log" || fail "a stream of the link logged as a process"
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X DELETE -H "Mcp-Session-Id: $QA" \
	-H 'MCP-Protocol-Version: 2025-11-25' "$URL/mcp/queued")" = 204 ] || fail "DELETE of the queued route's session"
wait $QB_PID || true
[ "$(cat "$MG_TMP/qb.code")" = 200 ] && grep -q '"serverInfo"' "$MG_TMP/qb.out" ||
	fail "the waiting initialize after the DELETE: $(cat "$MG_TMP/qb.code" "$MG_TMP/qb.out")"
grep -q 'HTTP+SSE upstream "queued": a waiting session got a stream' "$MG_TMP/error.log" ||
	fail "the waiting session's stream is not in the error log"
SID=$(sed -n 's/^Mcp-Session-Id: *\([^[:space:]]*\).*/\1/ip' "$MG_TMP/qb.hdr")
post queued "$SID" '{"jsonrpc":"2.0","method":"notifications/initialized"}' > /dev/null
[ "$(post queued "$SID" "$(echo_call 13 q)")" = 200 ] && grep -q 'Echo: q' "$MG_TMP/post.out" ||
	fail "echo on the session that waited: $(cat "$MG_TMP/post.out")"
ok "max_processes 1, process_queue 1: an initialize waits, the next is refused (503), the DELETE gives the waiting one a stream"

no_crash=$(grep -c "respawning" "$MG_TMP/error.log")
[ "$no_crash" = 0 ] || fail "a child of mcpgw died: $(grep respawning "$MG_TMP/error.log")"
ok "no mcpgw process died"

# the connector killed: it forgets the streams and what auto learned; a
# session of each route goes on (auto: our initialize to open it again is
# refused, the exchange handed over again)
open auto
AUTO_SID=$SID
open fixed
OLD=$(mg_role_pids "$MG_MASTER" connector)
kill -KILL $OLD
mg_wait 10 "mg_replaced $MG_MASTER connector 1 '$OLD'" || fail "no new connector"
sleep 0.3
[ "$(post fixed "$SID" "$(echo_call 11 k1)")" = 200 ] && grep -q 'Echo: k1' "$MG_TMP/post.out" ||
	fail "fixed, after the connector was killed: $(cat "$MG_TMP/post.out")"
[ "$(post auto "$AUTO_SID" "$(echo_call 12 k2)")" = 200 ] && grep -q 'Echo: k2' "$MG_TMP/post.out" ||
	fail "auto, after the connector was killed: $(cat "$MG_TMP/post.out")"
ok "the connector killed: sessions of both routes go on (new streams, the client's params)"

# a graceful stop with sessions' streams open
open auto
kill -QUIT "$MG_MASTER"
mg_wait 10 "! kill -0 $MG_MASTER 2> /dev/null" || fail "mcpgw did not stop within 10 s of SIGQUIT"
MG_MASTER=
ok "mcpgw stops (SIGQUIT) with HTTP+SSE streams open"
mg_done
