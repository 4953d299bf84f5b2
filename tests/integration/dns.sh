#!/usr/bin/env bash
# Host names in server URLs, resolved by the connector (evdns) through a
# real DNS server on loopback (Debian's dnsmasq, answers with TTL 1 s):
# a name with two addresses (127.0.0.1 and 127.0.0.2, an mcpgw on each,
# one session key) -> sessions all on the first in address order (a
# session stays on its replica); that one stopped -> every call still
# answered by the other (a refused connect tries the next address); the
# name moved to 127.0.0.3 (hosts file changed, SIGHUP to dnsmasq) -> after
# the TTL new sessions go there, without a reload; dnsmasq stopped -> the
# last answer still serves, the failure is logged once, and no longer
# than resolver_max_stale; dnsmasq back -> the name resolves again.
# Also by name: an https upstream (its certificate for the name), and a
# legacy HTTP+SSE one (server-everything) whose first address refuses.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
. "$(dirname "$0")/era_lib.sh"
px_setup
era_need_modules
EVERYTHING=$MG_SRCDIR/tests/fed/node_modules/@modelcontextprotocol/server-everything/dist/index.js
[ -f "$EVERYTHING" ] || fail "tests/fed/node_modules is missing: run npm ci --prefix tests/fed"

DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || fail "dnsmasq is not installed (apt-get install dnsmasq-base)"

set -- $(free_port 5)
PD=$1 PU=$2 PG=$3 PT=$4 PS=$5
openssl rand -out "$MG_TMP/key" 32
chmod 600 "$MG_TMP/key"
HOSTS=$MG_TMP/hosts
OTHERS='127.0.0.1 tls.test\n127.0.0.1 sse.test\n127.0.0.0 sse.test\n'
printf "127.0.0.1 up.test\n127.0.0.2 up.test\n$OTHERS" > "$HOSTS"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=tls.test \
	-addext 'subjectAltName=DNS:tls.test' -keyout "$MG_TMP/tls.key" -out "$MG_TMP/tls.pem" 2> /dev/null ||
	fail "openssl cannot make a certificate"

dns_start() {
	"$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --user="$(id -un)" \
		--port="$PD" --listen-address=127.0.0.1 --bind-interfaces \
		--no-resolv --no-hosts --addn-hosts="$HOSTS" --local-ttl=1 \
		--pid-file="$MG_TMP/dnsmasq.pid" --log-facility="$MG_TMP/dnsmasq.log" --log-queries &
	DNS=$!
	disown $DNS
	mg_wait 5 "dig_ok" || fail "dnsmasq does not answer on port $PD"
}
# dnsmasq answers (its log says it read the hosts file)
dig_ok() { grep -q 'read .*hosts' "$MG_TMP/dnsmasq.log" 2>/dev/null; }

up_start() {	# up_start N ADDRESS [SERVER]: an mcpgw serving the demo on ADDRESS:PU
	cat > "$MG_TMP/u$1.conf" <<CONF
worker_processes 1;
pid $MG_TMP/u$1.pid;
error_log $MG_TMP/u$1.log info;
session_key_file $MG_TMP/key;
server {
    listen $2:$PU;
    server_name up.test;
    access_log $MG_TMP/u$1.access;
    location /mcp { mcp_builtin demo; }
}
${3:-}
CONF
	"$MCPGW" -F -c "$MG_TMP/u$1.conf" >> "$MG_TMP/stdout.log" 2>&1 &
	eval "U$1=\$!"
	disown $!
	mg_wait 10 "grep -q 'generation 1 ready' '$MG_TMP/u$1.log' 2>/dev/null" || fail "upstream $1 not ready"
}

dns_start
up_start 1 127.0.0.1 "server {
    listen 127.0.0.1:$PT ssl;
    server_name tls.test;
    ssl_certificate $MG_TMP/tls.pem;
    ssl_certificate_key $MG_TMP/tls.key;
    location /mcp { mcp_builtin demo; }
}"
up_start 2 127.0.0.2
up_start 3 127.0.0.3
MG_BG_PIDS="$DNS $U1 $U2 $U3"
PORT=$PS "$ERA_NODE22" --require "$MG_SRCDIR/bench/stdio/loopback.cjs" "$EVERYTHING" sse > "$MG_TMP/everything.log" 2>&1 &
SE=$!
disown $SE
MG_BG_PIDS="$MG_BG_PIDS $SE"
mg_wait 15 "grep -q 'running on port $PS' '$MG_TMP/everything.log'" || fail "server-everything did not start"

cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes 2;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log info;
resolver 127.0.0.1:$PD ipv6=off;
resolver_timeout 1s;
resolver_max_stale 5s;
upstream up { server http://up.test:$PU/mcp; keepalive 0; }
upstream tls {
    server https://tls.test:$PT/mcp;
    ssl_trusted_certificate $MG_TMP/tls.pem;
}
upstream sse { server http://sse.test:$PS/sse; protocol 2024-11-05; }
server {
    listen 127.0.0.1:$PG;
    location /mcp { mcp_pass up; }
    location /tls { mcp_pass tls; }
    location /sse { mcp_pass sse; }
}
CONF
"$MCPGW" -t -q -c "$MG_TMP/mcpgw.conf" || fail "-t refuses the resolver directives"
MG_PORT=$PG
mg_start

H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
# the gateway's answer to an initialize
init() {
	curl -s --max-time 5 -X POST "http://127.0.0.1:$PG${RT:-/mcp}" "${H[@]}" \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
}
# session: initialize and one echo through the gateway; prints the echo
session() {
	local sid
	sid=$(curl -s -D - -o /dev/null --max-time 5 -X POST "http://127.0.0.1:$PG${RT:-/mcp}" "${H[@]}" \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' |
		tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
	[ -n "$sid" ] || { echo "no session"; return; }
	curl -s --max-time 5 -X POST "http://127.0.0.1:$PG${RT:-/mcp}" "${H[@]}" -H "Mcp-Session-Id: $sid" \
		-d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"message":"'"$1"'"}}}'
}
# requests upstream N has logged
seen() { cat "$MG_TMP/u$1.access" 2>/dev/null | wc -l; }
sessions() {	# sessions N TAG: N sessions, each answered
	for i in $(seq 1 "$1"); do
		out=$(session "$2$i")
		echo "$out" | grep -qi "\"text\":\"echo: $2$i\"" || fail "session $2$i: $out"
	done
}

# ---- two addresses: the first in order serves while it answers ---------
# (an upstream session stays on the replica that holds it; 127.0.0.2 is
# listed first by the hosts file, 127.0.0.1 comes first in address order)
sessions 10 a
a1=$(seen 1) a2=$(seen 2)
[ "$a1" -ge 20 ] && [ "$a2" = 0 ] || fail "two addresses, 10 sessions: upstream 1 got $a1 requests, 2 got $a2 (all on 127.0.0.1 expected)"
ok "a name with two addresses: 10 sessions, all $a1 requests on the first in address order, none on the other"

# ---- https by name: verified against the name -------------------------
RT=/tls sessions 3 t
ok "https://tls.test: 3 sessions answered (the certificate verified for the name)"

# ---- HTTP+SSE by name: the refused first address, then the next ---------
RT=/sse sessions 4 s
grep -q 'cannot connect to 127.0.0.0 ("sse.test"), trying its next address' "$MG_TMP/error.log" ||
	fail "no log line for the SSE stream's refused address"
ok "http://sse.test (HTTP+SSE, 127.0.0.0 refuses): 4 sessions answered through 127.0.0.1"

# ---- the first address refuses: the next answers every call ------------
kill "$U1"
mg_wait 5 "! kill -0 $U1 2>/dev/null" || fail "upstream 1 did not stop"
sessions 10 b
b2=$(seen 2)
[ $((b2 - a2)) -ge 20 ] || fail "upstream 2 got $((b2 - a2)) requests of 20"
grep -q 'connect() to 127.0.0.1 ("up.test") failed (Connection refused), trying its next address' "$MG_TMP/error.log" ||
	fail "no log line for the refused address"
ok "127.0.0.1 stopped: 10 sessions all answered through 127.0.0.2 (refused connect -> next address)"

# ---- the name moves: new sessions follow after the TTL -----------------
printf "127.0.0.3 up.test\n$OTHERS" > "$HOSTS"
kill -HUP "$DNS"
sleep 1.5 # the 1 s TTL
session warm > /dev/null # may still go to the old answer, and asks again
sleep 0.3
c1=$(seen 1) c3=$(seen 3)
sessions 10 c
[ "$(seen 1)" = "$c1" ] || fail "after the move, upstream 1 still got $(($(seen 1) - c1)) requests"
[ $(($(seen 3) - c3)) -ge 20 ] || fail "after the move, upstream 3 got $(($(seen 3) - c3)) requests of 20"
ok "the name moved to 127.0.0.3 (SIGHUP to dnsmasq): after the TTL, 10 new sessions all reach it, no reload"

# ---- the resolver stops: the last answer serves, for resolver_max_stale --
kill "$DNS"
mg_wait 5 "! kill -0 $DNS 2>/dev/null" || fail "dnsmasq did not stop"
t0=$(date +%s%N)
for i in 1 2 3; do
	sleep 1
	sessions 1 "d$i-"
done
n=$(grep -c 'cannot resolve "up.test"' "$MG_TMP/error.log")
[ "$n" = 1 ] || fail "the resolver failure logged $n times, not once"
grep -q 'cannot resolve "up.test" (.*): its last answer serves [0-9]* s more' "$MG_TMP/error.log" ||
	fail "no log line saying the last answer serves"
ok "dnsmasq stopped: sessions over 3 s answered from the last answer, the failure logged once"

# past resolver_max_stale (5 s after the answer expired): the name fails
mg_wait 10 "init | grep -q 'cannot resolve \\\\\"up.test'" || fail "the stale answer served past resolver_max_stale"
el=$((($(date +%s%N) - t0) / 1000000))
[ "$el" -ge 4000 ] || fail "the stale answer stopped serving after $el ms, before resolver_max_stale"
ok "past resolver_max_stale the call fails with \"cannot resolve\" ($el ms after the resolver stopped)"

# ---- the resolver is back: the name resolves again ---------------------
dns_start
MG_BG_PIDS="$DNS $U1 $U2 $U3 $SE"
mg_wait 10 "session f | grep -q '\"text\":\"echo: f\"'" || fail "the name does not resolve again"
grep -q '"up.test" resolves again (1 address)' "$MG_TMP/error.log" || fail "no log line saying it resolves again"
ok "dnsmasq back: the name resolves again (logged), sessions answered"

mg_done
