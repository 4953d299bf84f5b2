#!/usr/bin/env bash
# Two mcpgw instances with one session_key_file behind nginx (Debian's),
# round-robin, no sticky sessions: one session is served alternately by
# both, with not one error, including a GET stream held open through one
# instance while POSTs land on both.  Balanced on the session id instead
# (hash $http_mcp_session_id), a stream dropped mid-call resumes with
# Last-Event-ID through nginx, as docs/sessions.md shows.
. "$(dirname "$0")/lib.sh"
mg_setup

command -v nginx > /dev/null || fail "nginx is not installed (apt-get install nginx)"
set -- $(free_port 4)
P1=$1 P2=$2 LB=$3 LB2=$4
openssl rand -out "$MG_TMP/key" 32
chmod 600 "$MG_TMP/key"
for n in 1 2; do
	port=$P1
	[ $n = 2 ] && port=$P2
	cat > "$MG_TMP/$n.conf" <<CONF
worker_processes 2;
pid $MG_TMP/$n.pid;
error_log $MG_TMP/error.log info;
access_log $MG_TMP/access.$n.log;
session_key_file $MG_TMP/key;
server { listen 127.0.0.1:$port; server_name localhost; sse_keepalive 1s;
         location /mcp { mcp_builtin demo; } }
CONF
	"$MCPGW" -F -c "$MG_TMP/$n.conf" >> "$MG_TMP/stdout.log" 2>&1 &
	MG_BG_PIDS="$MG_BG_PIDS $!"
	disown $!
done
mkdir -p "$MG_TMP/nginx"
cat > "$MG_TMP/nginx/nginx.conf" <<CONF
worker_processes 1;
error_log $MG_TMP/nginx/error.log;
pid $MG_TMP/nginx/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $MG_TMP/nginx/body;
    proxy_temp_path $MG_TMP/nginx/proxy;
    upstream gw { server 127.0.0.1:$P1; server 127.0.0.1:$P2; keepalive 8; }
    upstream gwhash {
        hash \$http_mcp_session_id consistent;
        server 127.0.0.1:$P1; server 127.0.0.1:$P2; keepalive 8;
    }
    server {
        listen 127.0.0.1:$LB;
        location / {
            proxy_pass http://gw;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host localhost;
            proxy_buffering off;
            proxy_read_timeout 60s;
        }
    }
    server {
        listen 127.0.0.1:$LB2;
        location / {
            proxy_pass http://gwhash;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host localhost;
            proxy_buffering off;
            proxy_read_timeout 60s;
        }
    }
}
CONF
mg_on_cleanup() {	# nginx's master takes its workers down
	local pid
	pid=$(cat "$MG_TMP/nginx/nginx.pid" 2> /dev/null)
	[ -n "$pid" ] && kill -TERM "$pid" 2> /dev/null
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.1
	done
	pkill -KILL -f "$MG_TMP/nginx" 2> /dev/null
	return 0
}
nginx -p "$MG_TMP/nginx" -c "$MG_TMP/nginx/nginx.conf" -g 'daemon off;' \
	> "$MG_TMP/nginx/stderr.log" 2>&1 &
disown $!
mg_wait 10 "[ \$(cat '$MG_TMP/error.log' 2>/dev/null | grep -c 'generation 1 ready') -ge 2 ] && [ -s '$MG_TMP/nginx/nginx.pid' ]" ||
	fail "instances or nginx not ready: $(cat "$MG_TMP/nginx/stderr.log" 2>/dev/null)"

URL="http://127.0.0.1:$LB/mcp"
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
sid=$(curl -s -D - -o /dev/null --max-time 5 -X POST "$URL" "${H[@]}" \
	-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' |
	tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
[ -n "$sid" ] || fail "no session through nginx"

# the session's GET stream, held open through one instance
curl -s -N --max-time 8 "$URL" -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $sid" \
	-H 'MCP-Protocol-Version: 2025-11-25' > "$MG_TMP/stream" 2>&1 &
stream=$!
sleep 0.3
errors=0
for i in $(seq 1 40); do
	out=$(curl -s --max-time 5 -X POST "$URL" "${H[@]}" -H "Mcp-Session-Id: $sid" \
		-H 'MCP-Protocol-Version: 2025-11-25' \
		-d '{"jsonrpc":"2.0","id":'"$i"',"method":"tools/call","params":{"name":"echo","arguments":{"message":"lb'"$i"'"}}}')
	echo "$out" | grep -q "\"echo: lb$i\"" || { errors=$((errors + 1)); echo "call $i: $out"; }
done
[ $errors = 0 ] || fail "$errors of 40 calls through nginx failed"
a=$(grep -c 'tools/call' "$MG_TMP/access.1.log")
b=$(grep -c 'tools/call' "$MG_TMP/access.2.log")
[ "$a" -gt 0 ] && [ "$b" -gt 0 ] || fail "not both instances served: $a and $b calls"
ok "40 calls of one session through nginx round-robin, none failed ($a on one instance, $b on the other)"

sleep 1.5
kill -0 $stream 2>/dev/null || fail "the GET stream ended: $(cat "$MG_TMP/stream")"
grep -q '^: keepalive' "$MG_TMP/stream" || fail "no keep-alive on the GET stream: $(cat "$MG_TMP/stream")"
ok "the session's GET stream stays open through one instance while POSTs land on both"
kill $stream 2>/dev/null
wait $stream 2>/dev/null

# Balanced on the session id: a progress call's stream dropped after 0.4 s
# resumes through nginx on the instance that holds it.
URL="http://127.0.0.1:$LB2/mcp"
sid=$(curl -s -D - -o /dev/null --max-time 5 -X POST "$URL" "${H[@]}" \
	-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' |
	tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
[ -n "$sid" ] || fail "no session through nginx (hash)"
for round in 1 2 3; do
	curl -s -N --max-time 0.4 -X POST "$URL" "${H[@]}" -H "Mcp-Session-Id: $sid" \
		-H 'MCP-Protocol-Version: 2025-11-25' \
		-d '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"progress","arguments":{"steps":100},"_meta":{"progressToken":"p"}}}' \
		> "$MG_TMP/first" 2> /dev/null
	last=$(tr -d '\r' < "$MG_TMP/first" | sed -n 's/^id: //p' | tail -n 1)
	n1=$(grep -c '"notifications/progress"' "$MG_TMP/first")
	[ -n "$last" ] && [ "$n1" -gt 0 ] && [ "$n1" -lt 100 ] || fail "round $round: the first part: $(head -c 300 "$MG_TMP/first")"
	curl -s -N --max-time 10 "$URL" -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $sid" \
		-H 'MCP-Protocol-Version: 2025-11-25' -H "Last-Event-ID: $last" > "$MG_TMP/rest" 2>&1
	n2=$(grep -c '"notifications/progress"' "$MG_TMP/rest")
	[ $((n1 + n2)) = 100 ] && grep -q '"progress: 100 steps"' "$MG_TMP/rest" ||
		fail "round $round: $n1 + $n2 progress events, expected 100 and the result: $(head -c 300 "$MG_TMP/rest")"
done
ok "balanced on Mcp-Session-Id, 3 dropped streams resume through nginx with Last-Event-ID: all 100 events and the result"

mg_done
