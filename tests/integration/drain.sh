#!/usr/bin/env bash
# Graceful stop and reload with requests in flight: a call that is being
# answered when SIGHUP or SIGQUIT arrives still gets its answer, and the
# session goes on after a reload.
. "$(dirname "$0")/lib.sh"
mg_setup

MG_PORT=$(free_port)
mg_conf 1
mg_start
URL="http://127.0.0.1:$MG_PORT/mcp"
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')

init() {
	curl -s -D "$MG_TMP/h" -o /dev/null --max-time 5 -X POST "$URL" "${H[@]}" \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
	tr -d '\r' < "$MG_TMP/h" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p'
}

call() {	# call SID JSON
	curl -s --max-time 10 -X POST "$URL" "${H[@]}" -H "Mcp-Session-Id: $1" \
		-H 'MCP-Protocol-Version: 2025-11-25' -d "$2"
}

sid=$(init)
[ -n "$sid" ] || fail "no session"

# --- a reload while a call sleeps: the old worker answers it -------------
call "$sid" '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":1500}}}' > "$MG_TMP/r1" &
bg=$!
sleep 0.3
kill -HUP "$MG_MASTER"
mg_wait 5 "grep -q 'generation 2 ready' '$MG_TMP/error.log'" || fail "no reload"
wait $bg
grep -q '"text":"slept 1500 ms"' "$MG_TMP/r1" || fail "the call in flight lost its answer on reload: $(cat "$MG_TMP/r1")"
ok "a reload lets a call in flight finish on the old worker"

out=$(call "$sid" '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo","arguments":{"message":"after"}}}')
echo "$out" | grep -q '"text":"echo: after"' || fail "the session did not survive the reload: $out"
ok "the session goes on on the new generation"

# --- SIGQUIT while a call sleeps: answered, then everything exits ---------
call "$sid" '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":1000}}}' > "$MG_TMP/r2" &
bg=$!
sleep 0.3
kids=$(mg_children "$MG_MASTER")
kill -QUIT "$MG_MASTER"
sleep 0.2
[ "$(http_status "$URL")" = 000 ] || fail "still accepting after SIGQUIT"
ok "SIGQUIT stops accepting at once"
wait $bg
grep -q '"text":"slept 1000 ms"' "$MG_TMP/r2" || fail "SIGQUIT cut a call in flight: $(cat "$MG_TMP/r2")"
ok "SIGQUIT lets the call in flight finish"
mg_wait 5 "! mg_alive $MG_MASTER" || fail "master did not exit after draining"
for p in $kids; do mg_alive "$p" && fail "child $p still alive"; done
ok "then master and children exit"
MG_MASTER=

mg_done
