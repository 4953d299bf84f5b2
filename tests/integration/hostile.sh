#!/bin/bash
# Hostile bytes on a plain and a TLS listener: malformed HTTP of every kind
# and random bytes, sent while long calls (built-in and proxied) run on the
# same single worker.  Each bad request is answered with an HTTP error (or
# its connection closed), logged once at info, and nothing else is touched:
# the worker never dies, the long calls end with their results, and normal
# requests are served after.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mcp_lib.sh"
mg_setup
mcp_need_node

read -r MG_PORT TLS_PORT <<< "$(free_port 2 | tr '\n' ' ')"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$MG_TMP/srv.key" -out "$MG_TMP/srv.pem" > "$MG_TMP/openssl.out" 2>&1 ||
	fail "openssl req: $(cat "$MG_TMP/openssl.out")"

cat > "$MG_TMP/mcpgw.conf" << CONF
worker_processes 1;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log info;
upstream self { server http://127.0.0.1:$MG_PORT/mcp/demo; }
server {
    listen 127.0.0.1:$MG_PORT;
    listen 127.0.0.1:$TLS_PORT ssl;
    ssl_certificate $MG_TMP/srv.pem;
    ssl_certificate_key $MG_TMP/srv.key;
    ssl_handshake_timeout 1s;
    client_header_timeout 1s;
    client_body_timeout 1s;
    client_max_header_size 4k;
    location /mcp/demo { mcp_builtin demo; }
    location = /mcp { mcp_pass self; }
}
CONF
mg_start
WORKER=$(mg_role_pids "$MG_MASTER" worker)
CONNECTOR=$(mg_role_pids "$MG_MASTER" connector)

# A long call on each route, on the same worker as every bad request.
long_call() {
	local path=$1 out=$2 sid
	sid=$(curl -sS --max-time 5 -D - -o /dev/null "http://127.0.0.1:$MG_PORT$path" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-d "$(init_body 2025-11-25)" | tr -d '\r' | sed -n 's/^mcp-session-id: //Ip')
	[ -n "$sid" ] || fail "initialize at $path gave no session"
	curl -sS --max-time 30 "http://127.0.0.1:$MG_PORT$path" -o "$out" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H 'MCP-Protocol-Version: 2025-11-25' -H "Mcp-Session-Id: $sid" \
		-d '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":6000}}}' &
	MG_BG_PIDS="$MG_BG_PIDS $!"
	LONG="$LONG $!"
}
LONG=
long_call /mcp/demo "$MG_TMP/long1.json"
long_call /mcp "$MG_TMP/long2.json"

# send NAME PORT [tls]: send stdin raw; the first status line (or "closed",
# or on a TLS port "alert") goes to $MG_TMP/answers as "NAME STATUS".
ANSWERS=$MG_TMP/answers
: > "$ANSWERS"
send() {
	local name=$1 rc status
	"$MGTEST" send "$2" 4000 > "$MG_TMP/reply" 2> /dev/null
	rc=$?
	cp "$MG_TMP/reply" "$MG_TMP/reply.$name"
	[ $rc = 3 ] && fail "$name: no answer and no close within 4 s"
	status=$(head -c 12 "$MG_TMP/reply" | LC_ALL=C tr -c 'A-Z0-9/. ' '?')
	case $status in
	"HTTP/1."[01]" "[45][0-9][0-9]) echo "$name ${status#* }" >> "$ANSWERS" ;;
	"") echo "$name closed" >> "$ANSWERS" ;;
	# a TLS listener answers bytes that look like a handshake with an
	# alert record (content type 21, version 3.x), then closes
	*) [ "${3:-}" = tls ] && [ "$(od -An -tx1 -N2 "$MG_TMP/reply" | tr -d ' ')" = 1503 ] ||
		fail "$name: answered with something else than an HTTP error: $status"
		echo "$name alert" >> "$ANSWERS" ;;
	esac
}

P="127.0.0.1:$MG_PORT"
# name | bytes (printf format) | the status it must get
CASES=(
	"garbage|GARBAGE\r\n\r\n|400"
	"chunked-and-length|POST /mcp/demo HTTP/1.1\r\nHost: $P\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nx|400"
	"two-lengths|POST /mcp/demo HTTP/1.1\r\nHost: $P\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd|400"
	"bad-length|POST /mcp/demo HTTP/1.1\r\nHost: $P\r\nContent-Length: -1\r\n\r\n|400"
	"bad-chunk-size|POST /mcp/demo HTTP/1.1\r\nHost: $P\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n|400"
	"bad-version|GET /mcp/demo HTTP/9.9\r\nHost: $P\r\n\r\n|505"
	"no-colon|GET /mcp/demo HTTP/1.1\r\nHost $P\r\n\r\n|400"
	"nul-in-header|GET /mcp/demo HTTP/1.1\r\nHost: a\0b\r\n\r\n|400"
	"space-in-name|GET /mcp/demo HTTP/1.1\r\nHo st: x\r\n\r\n|400"
	"bare-cr|GET /mcp/demo HTTP/1.1\rHost: x\r\n\r\n|400"
	"http09|GET /\r\n\r\n|505"
	"bad-method|G@T /mcp/demo HTTP/1.1\r\n\r\n|400"
	"control-in-url|GET /mcp/\001demo HTTP/1.1\r\n\r\n|400"
	"tls-hello-on-plain|\026\003\001\002\000\001\000\001\374\003\003|400"
	"zeros|\0\0\0\0\0\0\0\0\r\n\r\n|400"
	"huge-header|GET /mcp/demo HTTP/1.1\r\nX-Big: $(head -c 6000 /dev/zero | tr '\0' a)\r\n\r\n|431"
	"huge-length|POST /mcp/demo HTTP/1.1\r\nHost: $P\r\nContent-Length: 99999999999999999999\r\n\r\n|400"
	"pipelined-bad|GET /mcp/demo HTTP/1.1\r\nHost: $P\r\nContent-Length: 0\r\n\r\nGARBAGE\r\n\r\n|406"
	"truncated-head|GET /mcp/demo HTTP/1.1\r\nHost: x|408"
	"truncated-body|POST /mcp/demo HTTP/1.1\r\nHost: $P\r\nContent-Length: 10\r\n\r\nabc|408"
)
for c in "${CASES[@]}"; do
	IFS='|' read -r name bytes want <<< "$c"
	send "$name" "$MG_PORT" < <(printf "$bytes")
	got=$(tail -n 1 "$ANSWERS")
	[ "${got#* }" = "$want" ] || fail "$name: expected $want, got ${got#* }"
done
# the pipelined garbage after a good request got its own 400
got=$(grep -ao 'HTTP/1.1 [0-9]*' "$MG_TMP/reply.pipelined-bad" | tr '\n' ' ')
[ "$got" = "HTTP/1.1 406 HTTP/1.1 400 " ] || fail "pipelined garbage: $got"
ok "${#CASES[@]} malformed requests on the plain listener: each got its HTTP error"

# Random bytes, and random bytes after a request line: any HTTP error or a
# close is right; a hang, another answer or a dead worker is not.
N_RANDOM=150
for i in $(seq 1 $N_RANDOM); do
	head -c $((RANDOM % 400 + 1)) /dev/urandom > "$MG_TMP/rand.bin"
	send "random-$i" "$MG_PORT" < "$MG_TMP/rand.bin"
	{ printf 'POST /mcp/demo HTTP/1.1\r\n'; cat "$MG_TMP/rand.bin"; printf '\r\n\r\n'; } > "$MG_TMP/rand2.bin"
	send "random-head-$i" "$MG_PORT" < "$MG_TMP/rand2.bin"
done
ok "$((2 * N_RANDOM)) random inputs: each answered with an HTTP error or closed, none hung"

# The same on the TLS listener, inside the TLS session, and bytes that are
# no TLS at all.
tls_send() {
	local name=$1 status
	timeout 6 openssl s_client -quiet -connect "127.0.0.1:$TLS_PORT" > "$MG_TMP/reply.$name" 2> /dev/null
	status=$(head -c 12 "$MG_TMP/reply.$name" | LC_ALL=C tr -c 'A-Z0-9/. ' '?')
	echo "$name ${status#* }" >> "$ANSWERS"
	echo "${status#* }"
}
for c in "${CASES[@]:0:15}"; do
	IFS='|' read -r name bytes want <<< "$c"
	[ "$name" = tls-hello-on-plain ] && continue
	got=$(printf "$bytes" | tls_send "tls-$name")
	[ "$got" = "$want" ] || fail "tls-$name: expected $want, got $got"
done
for i in $(seq 1 20); do
	send "tls-random-$i" "$TLS_PORT" tls < <(head -c $((RANDOM % 400 + 1)) /dev/urandom)
done
# random bytes after a TLS record header of a handshake: an alert or a close
for i in $(seq 1 20); do
	send "tls-hello-random-$i" "$TLS_PORT" tls < <(printf '\026\003\001\000\100'; head -c $((RANDOM % 400 + 1)) /dev/urandom)
done
grep -q '^tls-hello-random-[0-9]* alert$' "$ANSWERS" ||
	fail "no alert for a broken handshake: $(grep '^tls-hello' "$ANSWERS" | tr '\n' ' ')"
ok "malformed requests inside TLS and random bytes before the handshake: errors, alerts or closes"

# The long calls were on the same worker all along: they end with results.
wait $LONG
for f in long1 long2; do
	# one JSON answer, or an SSE stream whose last event is the answer
	if [ "$(head -c 1 "$MG_TMP/$f.json")" = "{" ]; then
		cp "$MG_TMP/$f.json" "$MG_TMP/$f.out"
	else
		sse_json "$MG_TMP/$f.json" "$MG_TMP/$f.sse"
		node -e 'const fs = require("fs");
fs.writeFileSync(process.argv[2], JSON.stringify(JSON.parse(fs.readFileSync(process.argv[1])).events.pop() || {}))' \
			"$MG_TMP/$f.sse" "$MG_TMP/$f.out"
	fi
	node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
process.exit(m.id === 7 && m.result && !m.result.isError && m.result.content[0].text === "slept 6000 ms" ? 0 : 1)' "$MG_TMP/$f.out" ||
		fail "the long call ($f) did not end with its result: $(cat "$MG_TMP/$f.json")"
done
ok "the long built-in and proxied calls on the same worker ended with their results"

[ "$(mg_role_pids "$MG_MASTER" worker)" = "$WORKER" ] &&
	[ "$(mg_role_pids "$MG_MASTER" connector)" = "$CONNECTOR" ] && no_child_died ||
	fail "a process died: $(grep -E 'exited|crit' "$MG_TMP/error.log" | head -n 5)"
! grep -q '\[crit\]' "$MG_TMP/error.log" || fail "a crash was reported: $(grep '\[crit\]' "$MG_TMP/error.log")"
ok "the worker and the connector are the ones that started"

# Each 400 that was sent is one info line, no more.
# (every 400 in every reply: a pipelined one may come second)
answered=$(cat "$MG_TMP"/reply.* | grep -ao 'HTTP/1.[01] 400 ' | wc -l)
logged=$(grep -c '\[info\] [0-9]* worker: client 127.0.0.1: 400 ' "$MG_TMP/error.log")
[ "$answered" = "$logged" ] || fail "$answered requests got 400 but $logged were logged"
! grep -E '\[(warn|error)\].*(client|malformed)' "$MG_TMP/error.log" ||
	fail "a bad request was logged above info"
ok "each of the $answered bad requests answered 400 is logged once, at info"

status=$(http_status "http://127.0.0.1:$MG_PORT/mcp/demo" -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' -d "$(init_body 2025-11-25)")
[ "$status" = 200 ] || fail "initialize after the attack: $status"
status=$(http_status --cacert "$MG_TMP/srv.pem" "https://127.0.0.1:$TLS_PORT/mcp" \
	-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
	-d "$(init_body 2025-11-25)")
[ "$status" = 200 ] || fail "initialize over TLS through the proxy route after the attack: $status"
ok "normal requests are served on both listeners after it"

mg_done
