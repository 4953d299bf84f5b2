#!/usr/bin/env bash
# Every conf/examples/*.conf works as shipped: each passes -t where it
# lies, and each is started (from a copy whose only change is a free port
# instead of 8080) and does what its opening comment promises.  For
# auth.conf: 401 without a token, the metadata, and a call with the token
# that conf/examples/auth-example-token.sh prints (the command the docs
# give).  For federation.conf: the curl of its opening comment, then the
# merged tools/list (demo's under demo__, everything's as they are) and a
# call to each member.  For metrics.conf: a call on each route, then the
# curl of its opening comment shows them counted in
# mcpgw_http_requests_total, a scrape is exactly what promtool check
# metrics wants, and /status answers; prometheus.yml and mcpgw-alerts.yml
# beside it pass promtool (tests/integration/prometheus.sh runs them).
# For limits.conf: the loop of its opening comment prints four 200s, then
# 429s with Retry-After and the JSON-RPC error; initialize is not limited.
. "$(dirname "$0")/lib.sh"
mg_setup
SRC=${MG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
EX=$SRC/conf/examples

n=0
for f in "$EX"/*.conf; do
	out=$("$MCPGW" -t -c "$f" 2>&1) || fail "$(basename "$f") does not pass -t: $out"
	n=$((n + 1))
done
[ $n -ge 1 ] || fail "no conf/examples/*.conf"
ok "every one of the $n conf/examples/*.conf passes -t as shipped"

# The copy: same files, port 8080 replaced, the log in the test's directory.
MG_PORT=$(free_port)
mkdir "$MG_TMP/ex"
cp "$EX"/* "$MG_TMP/ex/"
sed -i "s/127.0.0.1:8080/127.0.0.1:$MG_PORT/; s|^error_log stderr info;|error_log $MG_TMP/error.log info;|" "$MG_TMP/ex/auth.conf"
cmp -s <(sed "s/$MG_PORT/8080/; s|$MG_TMP/error.log|stderr|" "$MG_TMP/ex/auth.conf") "$EX/auth.conf" ||
	fail "the copy of auth.conf differs from the shipped one beyond port and log"
"$MCPGW" -F -c "$MG_TMP/ex/auth.conf" >> "$MG_TMP/stdout.log" 2>&1 &
MG_MASTER=$!
disown "$MG_MASTER"
mg_wait 10 "grep -q 'generation 1 ready' '$MG_TMP/error.log' 2>/dev/null" || fail "auth.conf did not start"

U=http://127.0.0.1:$MG_PORT
st=$(curl -s -D "$MG_TMP/h" -o /dev/null -w '%{http_code}' --max-time 5 "$U/mcp")
[ "$st" = 401 ] && grep -qi "^WWW-Authenticate: Bearer resource_metadata=\"$U/.well-known/oauth-protected-resource/mcp\", scope=\"mcp:tools\"" "$MG_TMP/h" ||
	fail "auth.conf: no 401 with the challenge: $st $(cat "$MG_TMP/h")"
meta=$(curl -s --max-time 5 "$U/.well-known/oauth-protected-resource/mcp")
[ "$meta" = "{\"resource\":\"$U/mcp\",\"authorization_servers\":[\"https://auth.example.com/\"],\"scopes_supported\":[\"mcp:tools\"],\"bearer_methods_supported\":[\"header\"]}" ] ||
	fail "auth.conf: metadata $meta"
TOKEN=$(sh "$EX/auth-example-token.sh" "$U/mcp") || fail "auth-example-token.sh failed"
body=$(curl -s --max-time 5 -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' "$U/mcp" \
	-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}')
echo "$body" | grep -qF '"serverInfo":{"name":"mcpgw-everything"' || fail "auth.conf: initialize with the token: $body"
[ "$(http_status "$U/mcp/open")" != 401 ] || fail "auth.conf: /mcp/open asked for a token"
t=$(sh "$EX/auth-example-token.sh" "$U/mcp" mcp:other)
st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $t" "$U/mcp")
[ "$st" = 403 ] || fail "auth.conf: a token without mcp:tools: $st"
ok "auth.conf as shipped: 401 with the challenge, the metadata, a call with auth-example-token.sh's token, 403 without the scope, /mcp/open open"

kill "$MG_MASTER"
mg_wait 10 "! kill -0 $MG_MASTER 2>/dev/null" || fail "auth.conf did not stop"

# federation.conf
MG_PORT=$(free_port)
: > "$MG_TMP/error.log"
sed -i "s/127.0.0.1:8080/127.0.0.1:$MG_PORT/g; s|^error_log stderr info;|error_log $MG_TMP/error.log info;|" "$MG_TMP/ex/federation.conf"
cmp -s <(sed "s/$MG_PORT/8080/g; s|$MG_TMP/error.log|stderr|" "$MG_TMP/ex/federation.conf") "$EX/federation.conf" ||
	fail "the copy of federation.conf differs from the shipped one beyond port and log"
"$MCPGW" -F -c "$MG_TMP/ex/federation.conf" >> "$MG_TMP/stdout.log" 2>&1 &
MG_MASTER=$!
disown "$MG_MASTER"
mg_wait 10 "grep -q 'generation 1 ready' '$MG_TMP/error.log' 2>/dev/null" || fail "federation.conf did not start"
U=http://127.0.0.1:$MG_PORT/mcp
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
# the command of its opening comment
cmd=$(sed -n 's/^#     curl /curl /p; s/^#          \(-H\|-d\)/\1/p' "$EX/federation.conf" | tr -d '\\\n' | sed "s/127.0.0.1:8080/127.0.0.1:$MG_PORT/")
case $cmd in curl\ -s\ http://127.0.0.1:$MG_PORT/mcp*-d*initialize*) ;; *) fail "federation.conf: its opening comment's command: $cmd" ;; esac
body=$(eval "$cmd -D $MG_TMP/fh")
echo "$body" | grep -qF '"serverInfo":{"name":"mcpgw"' || fail "federation.conf: initialize: $body"
sid=$(tr -d '\r' < "$MG_TMP/fh" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
S=(-H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25')
list=$(curl -s --max-time 10 "$U" "${H[@]}" "${S[@]}" -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}')
for t in demo__echo demo__progress test_simple_text test_tool_with_progress; do
	echo "$list" | grep -qF "\"name\":\"$t\"" || fail "federation.conf: tools/list lacks $t: $list"
done
echo=$(curl -s --max-time 10 "$U" "${H[@]}" "${S[@]}" -d '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"demo__echo","arguments":{"message":"one server"}}}')
echo "$echo" | grep -qF 'one server' || fail "federation.conf: demo__echo: $echo"
simple=$(curl -s --max-time 10 "$U" "${H[@]}" "${S[@]}" -d '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}')
echo "$simple" | grep -qF 'This is a simple text response for testing' || fail "federation.conf: test_simple_text: $simple"
ok "federation.conf as shipped: its opening comment's initialize, one merged tools/list (demo__echo ..., test_simple_text ...), a call to each member"
kill "$MG_MASTER"
mg_wait 10 "! kill -0 $MG_MASTER 2>/dev/null" || fail "federation.conf did not stop"
# metrics.conf
MG_PORT=$(free_port)
: > "$MG_TMP/error.log"
sed -i "s/127.0.0.1:8080/127.0.0.1:$MG_PORT/g; s|^error_log stderr info;|error_log $MG_TMP/error.log info;|" "$MG_TMP/ex/metrics.conf"
cmp -s <(sed "s/$MG_PORT/8080/g; s|$MG_TMP/error.log|stderr|" "$MG_TMP/ex/metrics.conf") "$EX/metrics.conf" ||
	fail "the copy of metrics.conf differs from the shipped one beyond port and log"
"$MCPGW" -F -c "$MG_TMP/ex/metrics.conf" >> "$MG_TMP/stdout.log" 2>&1 &
MG_MASTER=$!
disown "$MG_MASTER"
mg_wait 10 "grep -q 'generation 1 ready' '$MG_TMP/error.log' 2>/dev/null" || fail "metrics.conf did not start"
U=http://127.0.0.1:$MG_PORT
for route in /mcp /mcp/demo; do
	curl -s -D "$MG_TMP/mh" -o /dev/null --max-time 10 "$U$route" "${H[@]}" \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'
	sid=$(tr -d '\r' < "$MG_TMP/mh" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
	[ -n "$sid" ] || fail "metrics.conf: initialize on $route: $(cat "$MG_TMP/mh")"
	body=$(curl -s --max-time 10 "$U$route" "${H[@]}" -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25' \
		-d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"message":"counted"}}}')
	echo "$body" | grep -qF 'echo: counted' || fail "metrics.conf: echo on $route: $body"
done
# the command of its opening comment
cmd=$(sed -n 's/^#   \(curl -s http:\/\/127.0.0.1:8080\/metrics .*\)$/\1/p' "$EX/metrics.conf" | sed "s/127.0.0.1:8080/127.0.0.1:$MG_PORT/")
[ -n "$cmd" ] || fail "metrics.conf: no curl of /metrics in its opening comment"
lines=$(eval "$cmd")
for want in 'route="/mcp",method="tools/call",status="200"} 1' 'route="/mcp/demo",method="tools/call",status="200"} 2'; do
	grep -qF "$want" <<< "$lines" || fail "metrics.conf: $cmd shows no ...$want: $lines"
done
scrape=$(curl -s --max-time 5 "$U/metrics")
grep -qF 'mcpgw_tool_calls_total{route="/mcp",upstream="self",tool="echo",outcome="result"} 1' <<< "$scrape" ||
	fail "metrics.conf: the proxied call is not in mcpgw_tool_calls_total: $(grep tool_calls <<< "$scrape")"
out=$(promtool check metrics <<< "$scrape" 2>&1) && [ -z "$out" ] || fail "metrics.conf: promtool check metrics: $out"
st=$(http_status "$U/status")
[ "$st" = 200 ] || fail "metrics.conf: GET /status: $st"
for f in prometheus.yml mcpgw-alerts.yml; do
	out=$(promtool check "$([ $f = prometheus.yml ] && echo config || echo rules)" "$EX/$f" 2>&1) ||
		fail "promtool check $f: $out"
done
ok "metrics.conf as shipped: a call on /mcp (proxied) and /mcp/demo, counted in what its opening comment's curl shows ($(grep -c . <<< "$lines") lines) and in mcpgw_tool_calls_total; promtool check metrics finds nothing in a scrape ($(grep -vc '^#' <<< "$scrape") samples); /status answers 200; prometheus.yml and mcpgw-alerts.yml pass promtool"
kill "$MG_MASTER"
mg_wait 10 "! kill -0 $MG_MASTER 2>/dev/null" || fail "metrics.conf did not stop"
# limits.conf
MG_PORT=$(free_port)
: > "$MG_TMP/error.log"
sed -i "s/127.0.0.1:8080/127.0.0.1:$MG_PORT/g; s|^error_log stderr info;|error_log $MG_TMP/error.log info;|" "$MG_TMP/ex/limits.conf"
cmp -s <(sed "s/$MG_PORT/8080/g; s|$MG_TMP/error.log|stderr|" "$MG_TMP/ex/limits.conf") "$EX/limits.conf" ||
	fail "the copy of limits.conf differs from the shipped one beyond port and log"
"$MCPGW" -F -c "$MG_TMP/ex/limits.conf" >> "$MG_TMP/stdout.log" 2>&1 &
MG_MASTER=$!
disown "$MG_MASTER"
mg_wait 10 "grep -q 'generation 1 ready' '$MG_TMP/error.log' 2>/dev/null" || fail "limits.conf did not start"
# the loop of its opening comment: the first call and the burst pass, 429s follow
cmd=$(sed -n '/^#   for i in/,/^#   done/p' "$EX/limits.conf" | sed 's/^#   //' | sed "s/127.0.0.1:8080/127.0.0.1:$MG_PORT/")
case $cmd in for\ i\ in*curl*tools/call*done) ;; *) fail "limits.conf: its opening comment's loop: $cmd" ;; esac
out=$(eval "$cmd" | tr '\n' ' ')
[ "$out" = "200 200 200 200 429 429 429 429 " ] || fail "limits.conf: its opening comment's loop printed: $out"
body=$(eval "$(sed -n 's/^ *\(curl .*\)$/\1/p; s/^ *\(-H .*\|-d .*\)$/\1/p' <<< "$cmd" | sed 's/-o \/dev\/null -w .%{http_code}.n. //' | tr -d '\\\n') -D $MG_TMP/lh")
grep -qi '^Retry-After: [0-9]' "$MG_TMP/lh" && grep -qF '"id":1,"error":{"code":-32004,"message":"rate limit exceeded"' <<< "$body" ||
	fail "limits.conf: a refused call: $(cat "$MG_TMP/lh") $body"
U=http://127.0.0.1:$MG_PORT/mcp/demo
curl -s -D "$MG_TMP/lih" -o /dev/null --max-time 10 "$U" "${H[@]}" \
	-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'
grep -q '^HTTP/1.1 200' "$MG_TMP/lih" || fail "limits.conf: initialize limited: $(cat "$MG_TMP/lih")"
ok "limits.conf as shipped: its opening comment's loop prints $out; a refused call has Retry-After and the JSON-RPC error with its id; initialize is not limited"
kill "$MG_MASTER"
mg_wait 10 "! kill -0 $MG_MASTER 2>/dev/null" || fail "limits.conf did not stop"
mg_done
