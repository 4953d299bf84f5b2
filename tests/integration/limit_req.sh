#!/usr/bin/env bash
# limit_req and limit_conn on the real daemon, worker_processes 2:
#  - 50 keep-alive connections call tools/call (2026-07-28) on a route
#    limited to 100r/s for 8 s, offering 500 a second
#    (tests/node/ratelimit.mjs): the admitted rate, summed over both
#    workers, is within 10% of 100/s; every refusal is 429 with
#    Retry-After and a JSON-RPC error "rate limit exceeded" with the
#    call's id; an unlimited route called meanwhile keeps its p99 latency
#    (at most twice the baseline measured just before, 3 ms of slack);
#  - the refusals are counted in mcpgw_refusals_total{reason="rate_limited"}
#    and logged with $limit_req_status;
#  - a 2025-11-25 session's tools/call is limited too (its id in the
#    error), initialize and notifications are not (methods=tools/call),
#    on a built-in server and on a proxy route;
#  - burst without nodelay delays (an event timer: the worker serves other
#    requests meanwhile), DELAYED in the log;
#  - limit_req_dry_run on: counts and logs, admits everything;
#  - a key of $client_identity (auth_keys): one key limited, another not;
#  - a reload keeps an unchanged zone's state;
#  - workers killed (SIGKILL) with calls in flight: their counts come
#    back (the master gives back what each dead process held);
#  - limit_conn with a slow tool: of 6 calls at once exactly 3 run, 3 get
#    429; once they end, 3 run again (the counts were given back).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mcp_lib.sh"
mg_setup
mcp_need_sdk

MG_PORT=$(free_port)
keys=$MG_TMP/api.keys
sha256() { printf '%s' "$1" | openssl dgst -sha256 -r | cut -d' ' -f1; }
(umask 077 && printf '%s\n' "alice $(sha256 alice-secret)" "bob $(sha256 bob-secret)" > "$keys")
cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes 2;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log info;
shutdown_timeout 5s;
limit_req_zone \$remote_addr zone=calls:1m rate=100r/s;
limit_req_zone \$remote_addr zone=old:1m rate=1r/m;
limit_req_zone \$remote_addr zone=slow:64k rate=2r/s;
limit_req_zone \$remote_addr zone=dry:64k rate=1r/m;
limit_req_zone \$client_identity zone=ident:64k rate=1r/m;
limit_req_zone \$remote_addr zone=proxied:64k rate=1r/m;
limit_conn_zone \$remote_addr zone=inflight:64k;
upstream self { server http://127.0.0.1:$MG_PORT/open; }
log_format lim '\$location \$status \$limit_req_status';
server {
    listen 127.0.0.1:$MG_PORT;
    access_log $MG_TMP/access.log lim;
    location /limited { mcp_builtin demo; limit_req zone=calls burst=5 nodelay methods=tools/call; }
    location /open { mcp_builtin demo; }
    location /old { mcp_builtin demo; limit_req zone=old methods=tools/call; }
    location /slow { mcp_builtin demo; limit_req zone=slow burst=2; }
    location /dry { mcp_builtin demo; limit_req zone=dry; limit_req_dry_run on; }
    location /ident { mcp_builtin demo; auth_keys $keys; limit_req zone=ident burst=1 nodelay; }
    location /conn { mcp_builtin demo; limit_conn inflight 3 methods=tools/call; }
    location /proxied { mcp_pass self; limit_req zone=proxied methods=tools/call; }
    location = /metrics { metrics; }
}
CONF
mg_start
[ "$(mg_count "$(mg_role_pids "$MG_MASTER" worker)")" = 2 ] || fail "expected 2 workers"
B=http://127.0.0.1:$MG_PORT
V=2026-07-28
META="\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"$V\",\"io.modelcontextprotocol/clientCapabilities\":{}}"
# call PATH ID [curl args]: a 2026-07-28 tools/call echo; status in $ST
call() {
	local path=$1 id=$2
	shift 2
	ST=$(curl -sS --max-time 10 -o "$MG_TMP/body" -D "$MG_TMP/headers" -w '%{http_code}' \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "MCP-Protocol-Version: $V" -H 'Mcp-Method: tools/call' -H 'Mcp-Name: echo' "$@" \
		--data-binary "{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"hi\"},$META}}" \
		"$B$path")
}

# --- 50 connections on 100r/s --------------------------------------------
secs=8
# the unlimited route's latency alone, then during the load, each measured
# by a node process of its own
run_node ratelimit.mjs probe "$B/open" 2
base=$(tail -n 1 "$MG_TMP/node.out")
node "$NODE_DIR/ratelimit.mjs" probe "$B/open" $((secs - 1)) > "$MG_TMP/probe.out" 2>&1 &
probe_pid=$!
MG_BG_PIDS="$MG_BG_PIDS $probe_pid"
run_node ratelimit.mjs load "$B/limited" $secs 50 10
wait $probe_pid
during=$(tail -n 1 "$MG_TMP/probe.out")
res=$(tail -n 1 "$MG_TMP/node.out")
field() { node -e "const r=JSON.parse(process.argv[1]); console.log(r['$2'])" "$1"; }
adm=$(field "$res" admitted) ref=$(field "$res" refused) oth=$(field "$res" other) el=$(field "$res" elapsed)
[ "$oth" = 0 ] || fail "answers neither a 200 echo nor a valid 429: $res"
[ "$ref" -gt 0 ] || fail "nothing refused: $res"
rate=$(node -e "console.log(($adm / $el).toFixed(1))")
node -e "process.exit(Math.abs($adm / $el - 100) <= 10 ? 0 : 1)" ||
	fail "admitted $adm in $el s ($rate/s), not within 10% of 100/s: $res"
ok "50 connections, 2 workers, $secs s: admitted $rate/s of 100r/s ($adm), $ref refused, each 429 with Retry-After and the call's id"
bp=$(field "$base" p99) lp=$(field "$during" p99)
[ "$(field "$base" bad)" = 0 ] && [ "$(field "$during" bad)" = 0 ] || fail "the unlimited route failed calls: $base $during"
node -e "process.exit($lp <= Math.max(2 * $bp, $bp + 5) ? 0 : 1)" ||
	fail "the unlimited route slowed: p99 $lp ms under the load, $bp ms before"
ok "the unlimited route meanwhile: p99 $(printf %.2f "$lp") ms ($(field "$during" n) calls), baseline $(printf %.2f "$bp") ms ($(field "$base" n) calls)"
n=$(curl -s "$B/metrics" | sed -n 's/^mcpgw_refusals_total{reason="rate_limited"} //p')
[ "${n:-0}" -ge "$ref" ] || fail "mcpgw_refusals_total{reason=\"rate_limited\"} is '$n', $ref were refused"
mg_wait 5 "[ \$(grep -c '^/limited 429 REJECTED$' '$MG_TMP/access.log') -ge $ref ]" ||
	fail "the access log has $(grep -c '^/limited 429 REJECTED$' "$MG_TMP/access.log") REJECTED lines, $ref refused"
grep -q '^/limited 200 PASSED$' "$MG_TMP/access.log" && grep -q '^/open 200 -$' "$MG_TMP/access.log" ||
	fail "no PASSED line, or the open route has a status: $(sort -u "$MG_TMP/access.log" | head)"
grep -q 'limiting requests by zone "calls", key "127.0.0.1"' "$MG_TMP/error.log" || fail "no refusal in the error log"
# thousands of refusals, a line a second per worker: no flood
nl=$(grep -c 'limiting requests by zone "calls"' "$MG_TMP/error.log")
[ "$nl" -le $((2 * (secs + 2))) ] && grep -q 'key "127.0.0.1", client 127.0.0.1, method tools/call ([1-9][0-9]* more in this zone not logged' "$MG_TMP/error.log" ||
	fail "$nl refusal lines in the error log for $ref refusals: $(grep 'limiting requests' "$MG_TMP/error.log" | head -3)"
ok "counted as mcpgw_refusals_total{reason=\"rate_limited\"} $n; \$limit_req_status REJECTED/PASSED in the access log; $nl lines in the error log"

# --- a 2025-11-25 session ------------------------------------------------
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
curl -s -D "$MG_TMP/ih" -o /dev/null "${H[@]}" "$B/old" \
	-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'
sid=$(tr -d '\r' < "$MG_TMP/ih" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
[ -n "$sid" ] || fail "no session on /old"
S=(-H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25')
st=$(http_status "${H[@]}" "${S[@]}" "$B/old" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}')
[ "$st" = 202 ] || fail "notifications/initialized: $st"
old() { ST=$(curl -s -o "$MG_TMP/body" -D "$MG_TMP/headers" -w '%{http_code}' "${H[@]}" "${S[@]}" "$B/old" \
	-d "{\"jsonrpc\":\"2.0\",\"id\":\"$1\",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"hi\"}}}"); }
old a1
[ "$ST" = 200 ] || fail "the first 2025 tools/call: $ST $(cat "$MG_TMP/body")"
old a2
grep -q '"id":"a2","error":{"code":-32004,"message":"rate limit exceeded"' "$MG_TMP/body" && [ "$ST" = 429 ] ||
	fail "the second 2025 tools/call: $ST $(cat "$MG_TMP/body")"
ra=$(tr -d '\r' < "$MG_TMP/headers" | sed -n 's/^Retry-After: //Ip')
[ "$ra" -ge 55 ] && [ "$ra" -le 63 ] || fail "Retry-After $ra at 1r/m"
st=$(http_status "${H[@]}" "${S[@]}" "$B/old" -d '{"jsonrpc":"2.0","id":9,"method":"tools/list"}')
[ "$st" = 200 ] || fail "tools/list limited: $st"
ok "2025-11-25: the second tools/call at 1r/m is 429 with id \"a2\" and Retry-After $ra; initialize, notifications, tools/list pass"

# the same on a proxy route (its plain relay takes the limit's look at the body)
curl -s -D "$MG_TMP/ih" -o /dev/null "${H[@]}" "$B/proxied" \
	-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'
sid=$(tr -d '\r' < "$MG_TMP/ih" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
[ -n "$sid" ] || fail "no session on /proxied"
S=(-H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25')
for i in 1 2; do
	ST=$(curl -s -o "$MG_TMP/body" -w '%{http_code}' "${H[@]}" "${S[@]}" "$B/proxied" \
		-d "{\"jsonrpc\":\"2.0\",\"id\":$((40 + i)),\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"via\"}}}")
	case $i$ST in
	1200) grep -q '"id":41,.*echo: via' "$MG_TMP/body" || fail "proxied call: $(cat "$MG_TMP/body")" ;;
	2429) grep -q '"id":42,"error":{"code":-32004' "$MG_TMP/body" || fail "proxied refusal: $(cat "$MG_TMP/body")" ;;
	*) fail "proxied call $i: $ST $(cat "$MG_TMP/body")" ;;
	esac
done
ok "a proxy route: the first 2025 tools/call relayed (id 41), the second 429 with id 42"

# --- burst without nodelay: delayed, not refused -------------------------
t0=$(date +%s%N)
for i in 1 2 3; do call /slow $i & done
wait
t1=$(date +%s%N)
c=$(grep -c '^/slow 200 DELAYED$' "$MG_TMP/access.log")
[ "$c" = 2 ] && grep -q '^/slow 200 PASSED$' "$MG_TMP/access.log" || fail "burst=2 at 2r/s: $(grep '^/slow' "$MG_TMP/access.log")"
ms=$(((t1 - t0) / 1000000))
[ $ms -ge 900 ] || fail "3 calls at 2r/s burst=2 took $ms ms: not delayed"
ok "burst=2 at 2r/s: 3 calls at once all 200, two DELAYED, the last after $ms ms"

# --- dry run ----------------------------------------------------------
for i in 1 2 3 4; do
	call /dry $i
	[ "$ST" = 200 ] || fail "dry run refused: $ST"
done
[ "$(grep -c '^/dry 200 REJECTED_DRY_RUN$' "$MG_TMP/access.log")" = 3 ] ||
	fail "dry run: $(grep '^/dry' "$MG_TMP/access.log")"
ok "limit_req_dry_run on: 4 calls at 1r/m all 200, 3 logged REJECTED_DRY_RUN"

# --- $client_identity --------------------------------------------------
for i in 1 2; do
	call /ident $i -H 'Authorization: Bearer alice-secret'
	[ "$ST" = 200 ] || fail "alice's call $i: $ST"
done
call /ident 3 -H 'Authorization: Bearer alice-secret'
[ "$ST" = 429 ] || fail "alice's third call at 1r/m burst=1: $ST"
call /ident 4 -H 'Authorization: Bearer bob-secret'
[ "$ST" = 200 ] || fail "bob limited by alice's calls: $ST"
ok "key \$client_identity: alice's third call 429, bob's first 200"

# --- limit_conn: calls in flight ---------------------------------------
run_node ratelimit.mjs conn "$B/conn" 6 1500
[ "$(tail -n 1 "$MG_TMP/node.out")" = '{"ok":3,"refused":3,"other":0}' ] || fail "limit_conn 3: $(tail -n 1 "$MG_TMP/node.out")"
run_node ratelimit.mjs conn "$B/conn" 3 200
[ "$(tail -n 1 "$MG_TMP/node.out")" = '{"ok":3,"refused":0,"other":0}' ] || fail "limit_conn after: $(tail -n 1 "$MG_TMP/node.out")"
ok "limit_conn inflight 3: of 6 slow calls at once 3 ran and 3 got 429; the counts came back"

# a worker killed with calls in flight: the master gives them back
sleepcall() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "MCP-Protocol-Version: $V" -H 'Mcp-Method: tools/call' -H 'Mcp-Name: sleep' \
		--data-binary "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"sleep\",\"arguments\":{\"ms\":$1},$META}}" \
		"$B/conn"
}
for i in 1 2 3; do sleepcall 8000 > /dev/null & done
# all 3 in flight before a 4th is tried (it could take the place of one)
sleep 1
[ "$(sleepcall 10)" = 429 ] ||
	fail "3 slow calls did not fill limit_conn 3: $(sleepcall 10)"
old=$(mg_role_pids "$MG_MASTER" worker)
kill -KILL $old
mg_wait 10 "mg_replaced $MG_MASTER worker 2 '$old'" || fail "the killed workers were not replaced"
wait
run_node ratelimit.mjs conn "$B/conn" 3 200
[ "$(tail -n 1 "$MG_TMP/node.out")" = '{"ok":3,"refused":0,"other":0}' ] ||
	fail "limit_conn after the workers holding 3 calls were killed: $(tail -n 1 "$MG_TMP/node.out")"
n=$(sed -n 's/.*zone "inflight": gave back \([0-9]*\) call(s) in flight of process.*/\1/p' "$MG_TMP/error.log" | awk '{ s += $1 } END { print s + 0 }')
[ "$n" = 3 ] || fail "the master said it gave back $n calls, not 3"
ok "both workers killed with 3 calls in flight: the master gave them back, 3 calls run again"

# --- a reload keeps a zone that did not change, with its state --------
kill -HUP "$MG_MASTER"
mg_wait 10 "grep -q 'generation 2 ready' '$MG_TMP/error.log'" || fail "the reload did not finish"
call /ident 5 -H 'Authorization: Bearer alice-secret'
[ "$ST" = 429 ] || fail "alice's call after the reload: $ST (the zone lost its state)"
call /ident 6 -H 'Authorization: Bearer bob-secret'
[ "$ST" = 200 ] || fail "bob's second call after the reload: $ST"
ok "after a reload (new workers) the unchanged zone still refuses alice, still admits bob's burst"

mg_alive "$MG_MASTER" || fail "the master died"
mg_done
