#!/usr/bin/env bash
# A rate limit held in Redis (limit_store, docs/limits.md "Limits across
# instances (Redis)"), shared by two mcpgw instances (one session key)
# behind Debian's nginx, round-robin, with Debian's redis-server:
#   - 8 clients (half 2025-11-25 sessions, half 2026-07-28 stateless
#     requests) call tools/call through nginx for 10 s at ~16 times the
#     rate: the admitted rate is the configured one within 10%, both
#     instances admit and refuse, refusals are 429 + Retry-After + -32004;
#   - the bucket left in Redis holds nginx's arithmetic: excess within the
#     burst, a key that expires once drained;
#   - redis-server stopped: the fail=open instance admits every call, the
#     fail=closed one answers 503; each worker logs one line, and counts it;
#   - redis-server started again: one line each, and the limit holds again;
#   - redis-server paused (SIGSTOP) while clients wait for its answer and
#     leave before it: their requests are gone when the timeout answers
#     (a use after free would show under the sanitizers), the workers live
#     on and serve the next calls.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
mg_setup
px_need_modules

command -v redis-server > /dev/null || fail "redis-server is not installed (apt-get install redis-server)"
command -v redis-cli > /dev/null || fail "redis-cli is not installed (apt-get install redis-tools)"
command -v nginx > /dev/null || fail "nginx is not installed (apt-get install nginx)"
NODE=$PX_NODE
LOAD=$(cd "$(dirname "$0")/../node" && pwd)/limit_load.mjs
RATE=20  # r/s
BURST=5
set -- $(free_port 4)
RP=$1 P1=$2 P2=$3 LB=$4
openssl rand -out "$MG_TMP/key" 32
chmod 600 "$MG_TMP/key"

REDIS_PID=
redis_start() {
	redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no \
		--daemonize no > "$MG_TMP/redis.log" 2>&1 &
	REDIS_PID=$!
	MG_BG_PIDS="$MG_BG_PIDS $REDIS_PID"
	disown $!
	mg_wait 5 "redis-cli -p $RP ping 2>/dev/null | grep -q PONG" || fail "redis-server did not start: $(cat "$MG_TMP/redis.log")"
}
redis_start

for n in 1 2; do
	port=$P1 fail=open
	[ $n = 2 ] && port=$P2 fail=closed
	cat > "$MG_TMP/$n.conf" <<CONF
worker_processes 2;
pid $MG_TMP/$n.pid;
error_log $MG_TMP/error.$n.log info;
access_log $MG_TMP/access.$n.log;
session_key_file $MG_TMP/key;
limit_store redis://127.0.0.1:$RP timeout=500ms fail=$fail prefix=t$$:;
limit_req_zone \$remote_addr zone=calls:1m rate=${RATE}r/s store;
limit_req_zone \$remote_addr zone=slow:1m rate=2r/s store;
server { listen 127.0.0.1:$port; server_name localhost;
         location /mcp { mcp_builtin demo;
                         limit_req zone=calls burst=$BURST nodelay methods=tools/call; }
         location /slow { mcp_builtin demo;
                          limit_req zone=slow burst=3 methods=tools/call; }
         location /metrics { metrics; } }
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
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path $MG_TMP/nginx/body;
    proxy_temp_path $MG_TMP/nginx/proxy;
    fastcgi_temp_path $MG_TMP/nginx/fastcgi;
    uwsgi_temp_path $MG_TMP/nginx/uwsgi;
    scgi_temp_path $MG_TMP/nginx/scgi;
    upstream gw { server 127.0.0.1:$P1; server 127.0.0.1:$P2; keepalive 16; }
    server {
        listen 127.0.0.1:$LB;
        location / {
            proxy_pass http://gw;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host localhost;
            proxy_buffering off;
            proxy_read_timeout 30s;
        }
    }
}
CONF
NGINX_PID=
mg_on_cleanup() { # nginx's master takes its workers down
	[ -n "$NGINX_PID" ] || return 0
	kill -TERM "$NGINX_PID" 2> /dev/null
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$NGINX_PID" 2> /dev/null || break
		sleep 0.1
	done
	kill -KILL "$NGINX_PID" 2> /dev/null
	return 0
}
nginx -p "$MG_TMP/nginx" -c "$MG_TMP/nginx/nginx.conf" -g 'daemon off;' \
	> "$MG_TMP/nginx/stderr.log" 2>&1 &
NGINX_PID=$!
disown $!
mg_wait 10 "grep -qs 'generation 1 ready' '$MG_TMP/error.1.log' && grep -qs 'generation 1 ready' '$MG_TMP/error.2.log' && [ -s '$MG_TMP/nginx/nginx.pid' ]" ||
	fail "instances or nginx not ready: $(cat "$MG_TMP/nginx/stderr.log" "$MG_TMP"/error.*.log 2>/dev/null | tail -5)"
# each worker connected (its script loaded) before the load begins
mg_wait 5 "[ \$(redis-cli -p $RP info clients | tr -d '\r' | sed -n 's/^connected_clients://p') -ge 5 ]" ||
	fail "the 4 workers are not connected to redis-server: $(redis-cli -p $RP info clients)"

# ---- one budget through nginx ---------------------------------------------
out=$("$NODE" "$LOAD" "http://127.0.0.1:$LB/mcp" 8 10 20) || fail "load: $out"
read -r admitted refused unavail first last <<< "$(echo "$out" | "$NODE" -e '
	const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
	console.log(s.admitted, s.refused, s.unavailable, s.first, s.last)')"
# the first admission is the burst's; from then on, RATE a second
measured=$(awk -v a="$admitted" -v b="$BURST" -v f="$first" -v l="$last" 'BEGIN { printf "%.2f", (a - b - 1) / ((l - f) / 1000) }')
awk -v m="$measured" -v r=$RATE 'BEGIN { exit !(m >= r * 0.9 && m <= r * 1.1) }' ||
	fail "admitted rate $measured r/s through two instances, configured $RATE r/s ($out)"
[ "$refused" -gt $((admitted * 5)) ] && [ "$unavail" = 0 ] || fail "not overloaded enough, or unavailable: $out"
a1=$(grep -c ' 200 ' "$MG_TMP/access.1.log") r1=$(grep -c ' 429 ' "$MG_TMP/access.1.log")
a2=$(grep -c ' 200 ' "$MG_TMP/access.2.log") r2=$(grep -c ' 429 ' "$MG_TMP/access.2.log")
[ "$a1" -gt 20 ] && [ "$a2" -gt 20 ] && [ "$r1" -gt 100 ] && [ "$r2" -gt 100 ] ||
	fail "not both instances admitted and refused: $a1/$r1 and $a2/$r2 (200/429)"
ok "$admitted of $((admitted + refused)) calls admitted in 10 s through nginx and two instances: $measured r/s after the burst, configured $RATE r/s (instance 1 admitted $a1, instance 2 $a2)"

key="t$$:calls:127.0.0.1"
e=$(redis-cli -p $RP hget "$key" e) pttl=$(redis-cli -p $RP pttl "$key")
awk -v e="$e" -v b=$BURST -v t="$pttl" -v r=$RATE 'BEGIN { exit !(e >= 0 && e <= b * 1000 && t > 0 && t <= e / r + 1000) }' ||
	fail "the bucket in Redis: excess $e (burst $BURST: at most $((BURST * 1000))), expires in $pttl ms"
ok "the bucket in Redis: excess $e/1000 of a request within the burst of $BURST, expires in $pttl ms (drained by then)"

# without nodelay, a request within the burst is delayed as nginx does:
# at 2r/s the second of two at once waits 500 ms, on either instance
post_at() { # PORT PATH: "STATUS TIME" of a 2026-07-28 tools/call
	curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 -X POST "http://127.0.0.1:$1$2" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: echo' \
		-d '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'
}
read -r c1 t1 <<< "$(post_at $P1 /slow)"
read -r c2 t2 <<< "$(post_at $P2 /slow)"
[ "$c1" = 200 ] && [ "$c2" = 200 ] && awk -v a="$t1" -v b="$t2" 'BEGIN { exit !(a < 0.3 && b >= 0.4 && b < 1.5) }' ||
	fail "delay through the store: $c1 in $t1 s, then $c2 in $t2 s (want 200 at once, then 200 after ~0.5 s)"
ok "burst without nodelay: the first call at once ($t1 s), the next one on the other instance delayed to ${t2} s"

# ---- Redis gone -------------------------------------------------------------
kill -TERM "$REDIS_PID"
mg_wait 5 "[ \$(cat '$MG_TMP'/error.*.log | grep -c 'limit_store .* unavailable') -ge 4 ]" ||
	fail "no line from every worker for redis-server stopped: $(grep limit_store "$MG_TMP"/error.*.log)"
post() { # PORT ID: the HTTP status of a tools/call at 2026-07-28
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "http://127.0.0.1:$1/mcp" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: echo' \
		-d '{"jsonrpc":"2.0","id":'"$2"',"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'
}
s1= s2=
for i in $(seq 1 40); do s1="$s1$(post $P1 $i) " s2="$s2$(post $P2 $i) "; done
[ "$(echo $s1 | tr ' ' '\n' | sort -u)" = 200 ] || fail "fail=open did not admit every call: $s1"
[ "$(echo $s2 | tr ' ' '\n' | sort -u)" = 503 ] || fail "fail=closed did not refuse every call: $s2"
down=$(grep -h 'limit_store .* unavailable' "$MG_TMP"/error.*.log)
[ "$(echo "$down" | wc -l)" = 4 ] && [ "$(echo "$down" | awk '{print $4}' | sort -u | wc -l)" = 4 ] ||
	fail "not one line per worker: $down"
echo "$down" | grep -q 'admit requests (fail=open)' && echo "$down" | grep -q 'refuse requests (fail=closed)' ||
	fail "the lines do not say the policy: $down"
m1=$(curl -s "http://127.0.0.1:$P1/metrics" | grep 'mcpgw_limit_store_events_total{event="fail_open"}' | awk '{print $2}')
m2=$(curl -s "http://127.0.0.1:$P2/metrics" | grep 'mcpgw_limit_store_events_total{event="fail_closed"}' | awk '{print $2}')
[ "${m1:-0}" -ge 40 ] && [ "${m2:-0}" -ge 40 ] || fail "not counted: fail_open $m1, fail_closed $m2"
ok "redis-server stopped: 40 of 40 calls admitted by the fail=open instance, 40 of 40 answered 503 by the fail=closed one; one line per worker (4), counted ($m1, $m2)"

# ---- Redis back ---------------------------------------------------------------
redis_start
mg_wait 6 "[ \$(cat '$MG_TMP'/error.*.log | grep -c 'limit_store .* available again') -ge 4 ]" ||
	fail "no line from every worker for redis-server back: $(grep limit_store "$MG_TMP"/error.*.log)"
out=$("$NODE" "$LOAD" "http://127.0.0.1:$LB/mcp" 4 2 20) || fail "load: $out"
read -r admitted refused unavail <<< "$(echo "$out" | "$NODE" -e '
	const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
	console.log(s.admitted, s.refused, s.unavailable)')"
[ "$admitted" -le $((2 * RATE + BURST + 3)) ] && [ "$refused" -gt 0 ] && [ "$unavail" = 0 ] ||
	fail "the limit does not hold again: $out"
up=$(grep -h 'limit_store .* available again' "$MG_TMP"/error.*.log)
[ "$(echo "$up" | wc -l)" = 4 ] || fail "not one line per worker: $up"
ok "redis-server back: one line per worker (4), and $admitted of $((admitted + refused)) calls admitted in 2 s again"

# ---- clients that leave while their answer is awaited ---------------------------
all_workers() {
	{ mg_role_pids "$(cat "$MG_TMP/1.pid")" worker; mg_role_pids "$(cat "$MG_TMP/2.pid")" worker; } | sort | tr '\n' ' '
}
workers=$(all_workers)
kill -STOP "$REDIS_PID"
for port in $P1 $P2 $P1 $P2 $P1 $P2; do
	curl -s -o /dev/null --max-time 0.2 -X POST "http://127.0.0.1:$port/mcp" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: echo' \
		-d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}' &
done
wait
sleep 0.6 # the 500 ms timeout answers requests that are gone
kill -CONT "$REDIS_PID"
mg_wait 6 "[ \$(cat '$MG_TMP'/error.*.log | grep -c 'limit_store .* available again') -ge 6 ]" ||
	fail "the store is not back after the pause: $(grep limit_store "$MG_TMP"/error.*.log | tail -4)"
grep -h 'limit_store .* unavailable' "$MG_TMP"/error.*.log | grep -q 'no answer in 500 ms' ||
	fail "no timeout line: $(grep limit_store "$MG_TMP"/error.*.log | tail -4)"
[ "$(all_workers)" = "$workers" ] || fail "a worker died: $workers -> $(all_workers)"
# (Redis runs the commands it was sent while paused: they count, though
# their answers came too late; the bucket drains in 250 ms at most)
sleep 0.6
s="$(post $P1 7) $(post $P2 8)"
case "$s" in 200\ 200 | 200\ 429 | 429\ 200) ;; *) fail "calls after the pause: $s" ;; esac
ok "6 clients gone while redis-server was paused: the timeout found their requests gone, the same 4 workers serve on"

mg_done
