#!/usr/bin/env bash
# Sessions without sticky routing: two mcpgw instances with one
# session_key_file serve one session alternately; a key file that others
# can read is refused; a foreign key's session id gets 404.
. "$(dirname "$0")/lib.sh"
mg_setup

set -- $(free_port 2)
P1=$1 P2=$2
openssl rand -out "$MG_TMP/key" 32
chmod 600 "$MG_TMP/key"
openssl rand -out "$MG_TMP/other.key" 32
chmod 600 "$MG_TMP/other.key"

conf() {	# conf N PORT KEY
	cat > "$MG_TMP/$1.conf" <<CONF
worker_processes 4;
pid $MG_TMP/$1.pid;
error_log $MG_TMP/error.log info;
session_key_file $3;
server { listen 127.0.0.1:$2; location /mcp { mcp_builtin demo; } }
CONF
}
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
init() {	# init PORT -> session id
	curl -s -D - -o /dev/null --max-time 5 -X POST "http://127.0.0.1:$1/mcp" "${H[@]}" \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' |
		tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p'
}
echo_on() {	# echo_on PORT SID MSG -> body
	curl -s --max-time 5 -X POST "http://127.0.0.1:$1/mcp" "${H[@]}" -H "Mcp-Session-Id: $2" \
		-d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"message":"'"$3"'"}}}'
}

conf a "$P1" "$MG_TMP/key"
conf b "$P2" "$MG_TMP/key"
"$MCPGW" -F -c "$MG_TMP/a.conf" >> "$MG_TMP/stdout.log" 2>&1 &
A=$!
disown $A
"$MCPGW" -F -c "$MG_TMP/b.conf" >> "$MG_TMP/stdout.log" 2>&1 &
B=$!
disown $B
MG_BG_PIDS="$A $B"
mg_wait 10 "[ \$(cat '$MG_TMP/error.log' 2>/dev/null | grep -c 'generation 1 ready') -ge 2 ]" || fail "instances not ready"

sid=$(init "$P1")
[ -n "$sid" ] || fail "no session from instance a"
for i in $(seq 1 20); do
	port=$P1
	[ $((i % 2)) = 0 ] || port=$P2
	out=$(echo_on "$port" "$sid" "m$i")
	echo "$out" | grep -q "\"text\":\"echo: m$i\"" || fail "call $i on port $port: $out"
done
ok "one session served alternately by two instances with one key file (20 calls)"

# 500 calls of one session, each on a new connection, on 4 workers
bad=0
for i in $(seq 1 500); do
	echo_on "$P1" "$sid" "n$i" | grep -q "\"text\":\"echo: n$i\"" || bad=$((bad + 1))
done
[ $bad = 0 ] || fail "$bad of 500 calls on new connections failed"
ok "500 calls of one session, each on a new connection, on 4 workers: all answered"

status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X DELETE "http://127.0.0.1:$P1/mcp" -H "Mcp-Session-Id: $sid")
[ "$status" = 204 ] || fail "DELETE on a: $status"
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "http://127.0.0.1:$P1/mcp" "${H[@]}" -H "Mcp-Session-Id: $sid" -d '{"jsonrpc":"2.0","id":3,"method":"ping"}')
[ "$status" = 404 ] || fail "after DELETE on a, a answers $status"
ok "DELETE ends the session on the instance that got it (404 after)"

# a session of another key is not ours
conf c "$(free_port)" "$MG_TMP/other.key"
"$MCPGW" -t -q -c "$MG_TMP/c.conf" || fail "-t on a good key file"
kill "$B"
mg_wait 5 "! kill -0 $B 2>/dev/null" || fail "b did not stop"
conf b "$P2" "$MG_TMP/other.key"
"$MCPGW" -F -c "$MG_TMP/b.conf" >> "$MG_TMP/stdout.log" 2>&1 &
B=$!
disown $B
MG_BG_PIDS="$A $B"
mg_wait 10 "[ \$(cat '$MG_TMP/error.log' 2>/dev/null | grep -c 'generation 1 ready') -ge 3 ]" || fail "b not ready with another key"
sid=$(init "$P1")
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "http://127.0.0.1:$P2/mcp" "${H[@]}" -H "Mcp-Session-Id: $sid" -d '{"jsonrpc":"2.0","id":3,"method":"ping"}')
[ "$status" = 404 ] || fail "a session sealed under another key: $status"
ok "a session id sealed under another key gets 404"

chmod 644 "$MG_TMP/other.key"
if out=$("$MCPGW" -t -c "$MG_TMP/c.conf" 2>&1); then :; fi
if "$MCPGW" -F -c "$MG_TMP/c.conf" > "$MG_TMP/c.out" 2>&1; then fail "started with a world-readable key"; fi
grep -q "is accessible by group or others" "$MG_TMP/c.out" "$MG_TMP/error.log" || fail "no reason given: $(cat "$MG_TMP/c.out")"
ok "a key file readable by others is refused at start, with the reason"

mg_done
