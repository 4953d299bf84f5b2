#!/usr/bin/env bash
# The metrics page against the real daemon (docs/observability.md, "Metrics"):
#   A: worker_processes 2, a built-in route, an mcp_pass route to the same
#      daemon, one to an upstream that is down, and location /metrics.
#   (a) N tools/call echo on new connections -> tool_calls_total{...echo,
#       result} is N, summed over both workers; requests_total the same;
#       an echo with bad arguments -> outcome tool_error; an unknown tool
#       -> tool="other", rpc_error; the same through mcp_pass (upstream
#       "self") and the connector's upstream exchange histogram;
#   (b) the upstream that is down -> upstream_errors_total{reason=connect};
#   (b2) an open GET stream in mcpgw_open_streams{kind="get"} until it
#       closes; refusals by reason: a bad Origin, an unknown version;
#   (c) a worker killed with SIGKILL -> its counts are kept after the
#       respawn, process_restarts_total{role="worker"} 1;
#   (d) a reload -> counters not reset, reloads_total{success} 1,
#       generation 2, processes{role="worker"} 2 once the old ones left;
#   (e) OpenMetrics when Accept asks for it (# EOF), the text format else,
#       and promtool check metrics finds nothing in either;
#   B: worker_processes 1, metrics_max_tools 2:
#   (f) the first two tool names answered keep their name, a third is
#       "other"; 3000 distinct hostile names -> one "other" series, and
#       the page stays small;
#   (g) a stdio server (server-memory) counted in mcpgw_stdio_processes;
#       killed, its restart in mcpgw_stdio_restarts_total.
. "$(dirname "$0")/lib.sh"
mg_setup
command -v promtool > /dev/null || fail "promtool is needed: apt-get install prometheus"
command -v node > /dev/null || fail "node is needed"

FED=$MG_SRCDIR/tests/fed/node_modules
[ -e "$FED" ] || FED=${MG_FED_NODE_MODULES:-$FED}
MEM=$FED/@modelcontextprotocol/server-memory/dist/index.js
[ -e "$MEM" ] || fail "tests/fed/node_modules has no server-memory (run tests/fed's npm ci)"
NODE=$(command -v node)
chmod 755 "$MG_TMP" # the stdio server runs as "user" (nobody) under root

MG_PORT=$(free_port)
DOWN=$(free_port) # nothing listens there
G=http://127.0.0.1:$MG_PORT
V=2025-06-18

conf() { # WORKERS MAIN-LINES
	cat > "$MG_TMP/mcpgw.conf" << CONF
worker_processes $1;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log info;
shutdown_timeout 3s;
$2
upstream self { server $G/mcp/demo; }
upstream down { server http://127.0.0.1:$DOWN/mcp; connect_timeout 2s; }
upstream mem { command $NODE $MEM; }
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/demo { mcp_builtin demo; }
    location /mcp/px { mcp_pass self; }
    location /mcp/down { mcp_pass down; }
    location /mcp/mem { mcp_pass mem; }
    location /metrics { metrics; }
}
CONF
}

# session URL: a new session's id on URL (printed)
session() {
	curl -s -D - -o /dev/null --max-time 10 -X POST "$1" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		--data '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"'$V'","capabilities":{},"clientInfo":{"name":"metrics.sh","version":"1"}}}' |
		tr -d '\r' | awk 'tolower($1) == "mcp-session-id:" { print $2 }'
}

# call URL SID NAME ARGS: one tools/call on a new connection; the body
call() {
	curl -s --max-time 10 -X POST "$1" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $2" \
		-H "MCP-Protocol-Version: $V" \
		--data '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"'"$3"'","arguments":'"$4"'}}'
}

scrape() {
	curl -s --max-time 10 "$G/metrics" > "$MG_TMP/m.txt" || fail "cannot scrape $G/metrics"
}

# m SERIES: its value in the last scrape (0 when absent)
m() {
	awk -v s="$1" 'index($0, s " ") == 1 { v = substr($0, length(s) + 2) } END { print (v == "" ? 0 : v) }' "$MG_TMP/m.txt"
}

# expect SERIES VALUE WHAT
expect() {
	local got
	got=$(m "$1")
	[ "$got" = "$2" ] || fail "$3: $1 is $got, expected $2"
}

conf 2 ""
mg_start
t0=$(date +%s)

# (a)
N=24
sid=$(session "$G/mcp/demo")
[ -n "$sid" ] || fail "no session on /mcp/demo"
for i in $(seq $N); do
	call "$G/mcp/demo" "$sid" echo '{"message":"hi"}' | grep -q 'echo: hi' || fail "echo $i failed"
done
call "$G/mcp/demo" "$sid" echo '{"message":1}' | grep -q '"isError":true' || fail "bad echo not a tool error"
call "$G/mcp/demo" "$sid" nope '{}' | grep -q '"error"' || fail "unknown tool not an error"
psid=$(session "$G/mcp/px")
[ -n "$psid" ] || fail "no session on /mcp/px"
for i in 1 2 3; do
	call "$G/mcp/px" "$psid" echo '{"message":"px"}' | grep -q 'echo: px' || fail "echo through mcp_pass failed"
done
call "$G/mcp/px" "$psid" nope '{}' | grep -q '"error"' || fail "unknown tool through mcp_pass not an error"
scrape
D='route="/mcp/demo",upstream="demo"'
# the proxied calls reach /mcp/demo as well: 3 echo and 1 unknown more
E=$((N + 3))
expect "mcpgw_tool_calls_total{$D,tool=\"echo\",outcome=\"result\"}" $E "echo calls summed over the workers"
expect "mcpgw_tool_calls_total{$D,tool=\"echo\",outcome=\"tool_error\"}" 1 "an echo with bad arguments"
expect "mcpgw_tool_calls_total{$D,tool=\"other\",outcome=\"rpc_error\"}" 2 "an unknown tool"
expect "mcpgw_tool_calls_total{route=\"/mcp/px\",upstream=\"self\",tool=\"echo\",outcome=\"result\"}" 3 "echo through mcp_pass"
expect "mcpgw_tool_calls_total{route=\"/mcp/px\",upstream=\"self\",tool=\"other\",outcome=\"rpc_error\"}" 1 "an unknown tool through mcp_pass"
expect "mcpgw_http_requests_total{server=\"\",route=\"/mcp/demo\",method=\"tools/call\",status=\"200\"}" $((N + 6)) "requests"
expect "mcpgw_tool_call_duration_seconds_count{route=\"/mcp/demo\",tool=\"echo\"}" $((N + 4)) "the tool duration histogram"
expect "mcpgw_upstream_exchange_duration_seconds_count{upstream=\"self\"}" 5 "the connector's exchanges (initialize and 4 calls)"
expect "mcpgw_processes{role=\"worker\"}" 2 "workers"
expect "mcpgw_sessions" 3 "sessions (2 and the connector's upstream one)"
ok "(a) tools/call counted over both workers: $N echo, a tool error, an unknown tool as \"other\", the proxy route and the connector"

# (b)
curl -s --max-time 10 -X POST "$G/mcp/down" -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' \
	--data '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"'$V'","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}' > /dev/null
scrape
expect "mcpgw_upstream_errors_total{upstream=\"down\",reason=\"connect\"}" 1 "an upstream that is down"
ok "(b) upstream_errors_total{upstream=\"down\",reason=\"connect\"} 1"

# (b2) a GET stream is an open stream while it lasts; refusals by reason
curl -s -N -o /dev/null --max-time 20 -H 'Accept: text/event-stream' -H "Mcp-Session-Id: $sid" \
	-H "MCP-Protocol-Version: $V" "$G/mcp/demo" &
stream=$!
MG_BG_PIDS="$MG_BG_PIDS $stream"
mg_wait 5 'scrape; [ "$(m "mcpgw_open_streams{kind=\"get\"}")" = 1 ]' || fail "an open GET stream is not counted"
kill "$stream"
mg_wait 5 'scrape; [ "$(m "mcpgw_open_streams{kind=\"get\"}")" = 0 ]' || fail "a closed GET stream is still counted"
curl -s -o /dev/null --max-time 5 -X POST "$G/mcp/demo" -H 'Origin: http://evil.example' \
	-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' --data '{}'
curl -s -o /dev/null --max-time 5 -X POST "$G/mcp/demo" -H 'MCP-Protocol-Version: 1999-01-01' \
	-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
	--data '{"jsonrpc":"2.0","id":1,"method":"ping"}'
scrape
expect 'mcpgw_refusals_total{reason="origin"}' 1 "a bad Origin"
expect 'mcpgw_refusals_total{reason="version"}' 1 "an unknown MCP-Protocol-Version"
ok "(b2) a GET stream counted while open; refusals by reason (origin, version)"

# (c)
workers=$(mg_role_pids "$MG_MASTER" worker)
victim=$(mg_first "$workers")
kill -KILL "$victim"
mg_wait 10 "mg_replaced $MG_MASTER worker 2 $victim" || fail "the killed worker was not replaced"
scrape
expect "mcpgw_tool_calls_total{$D,tool=\"echo\",outcome=\"result\"}" $E "echo calls after a worker was killed"
expect "mcpgw_process_restarts_total{role=\"worker\"}" 1 "restarts"
expect "mcpgw_processes{role=\"worker\"}" 2 "workers after the respawn"
ok "(c) SIGKILL of worker $victim: its counts kept, process_restarts_total{role=\"worker\"} 1"

# (d)
kill -HUP "$MG_MASTER"
mg_wait 10 "grep -q 'generation 2 ready' '$MG_TMP/error.log'" || fail "the reload did not take effect"
mg_wait 10 '[ "$(mg_count "$(mg_role_pids $MG_MASTER worker)")" = 2 ]' || fail "the old workers did not leave"
scrape
expect "mcpgw_tool_calls_total{$D,tool=\"echo\",outcome=\"result\"}" $E "echo calls after a reload"
expect "mcpgw_reloads_total{result=\"success\"}" 1 "reloads"
expect "mcpgw_generation" 2 "generation"
[ "$(m 'mcpgw_last_reload_timestamp_seconds{result="success"}')" -ge "$t0" ] || fail "no time of the last reload"
mg_wait 10 'scrape; [ "$(m "mcpgw_processes{role=\"worker\"}")" = 2 ]' || fail "mcpgw_processes{role=\"worker\"} is not 2 after the reload"
ok "(d) a reload: counters kept, reloads_total{result=\"success\"} 1, generation 2"

# (e)
hdrs=$(curl -s -D - -o "$MG_TMP/om.txt" --max-time 10 -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' "$G/metrics" | tr -d '\r')
echo "$hdrs" | grep -qi '^content-type: application/openmetrics-text; version=1.0.0; charset=utf-8$' || fail "OpenMetrics not chosen: $hdrs"
[ "$(tail -n 1 "$MG_TMP/om.txt")" = "# EOF" ] || fail "OpenMetrics without # EOF"
grep -q '^# TYPE mcpgw_tool_calls counter$' "$MG_TMP/om.txt" || fail "OpenMetrics counter family not named without _total"
hdrs=$(curl -s -D - -o "$MG_TMP/m.txt" --max-time 10 "$G/metrics" | tr -d '\r')
echo "$hdrs" | grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8$' || fail "text format not chosen: $hdrs"
promtool check metrics < "$MG_TMP/m.txt" > "$MG_TMP/promtool.txt" 2>&1 || fail "promtool check metrics: $(cat "$MG_TMP/promtool.txt")"
ok "(e) OpenMetrics with Accept (# EOF), text 0.0.4 else; promtool check metrics: clean"

kill -TERM "$MG_MASTER"
mg_wait 10 "! kill -0 $MG_MASTER 2>/dev/null" || fail "the first daemon did not stop"

# (f)
: > "$MG_TMP/error.log"
conf 1 "metrics_max_tools 2;"
mg_start
sid=$(session "$G/mcp/demo")
call "$G/mcp/demo" "$sid" echo '{"message":"a"}' > /dev/null
call "$G/mcp/demo" "$sid" sleep '{"ms":1}' > /dev/null
call "$G/mcp/demo" "$sid" progress '{"steps":1}' > /dev/null
call "$G/mcp/demo" "$sid" echo '{"message":"b"}' > /dev/null
node - "$G/mcp/demo" "$sid" "$V" << 'JS' || fail "the hostile calls failed"
const [url, sid, v] = process.argv.slice(2);
let next = 0, bad = 0;
async function one() {
	while (next < 3000) {
		const i = next++;
		const r = await fetch(url, { method: 'POST', headers: {
			'Content-Type': 'application/json', 'Accept': 'application/json, text/event-stream',
			'Mcp-Session-Id': sid, 'MCP-Protocol-Version': v },
			body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call',
				params: { name: `evil-${i}-\"\\\n${'x'.repeat(i % 40)}`, arguments: {} } }) });
		const j = await r.json();
		if (!j.error) bad++;
	}
}
await Promise.all(Array.from({ length: 8 }, one));
if (bad) { console.error(`${bad} hostile calls were not errors`); process.exit(1); }
JS
scrape
expect "mcpgw_tool_calls_total{$D,tool=\"echo\",outcome=\"result\"}" 2 "the first name"
expect "mcpgw_tool_calls_total{$D,tool=\"sleep\",outcome=\"result\"}" 1 "the second name"
expect "mcpgw_tool_calls_total{$D,tool=\"other\",outcome=\"result\"}" 1 "a third name past metrics_max_tools"
expect "mcpgw_tool_calls_total{$D,tool=\"other\",outcome=\"rpc_error\"}" 3000 "3000 hostile names"
n=$(grep -c '^mcpgw_tool_calls_total{' "$MG_TMP/m.txt")
[ "$n" = 4 ] || fail "$n tool_calls series after 3000 hostile names, expected 4"
lines=$(wc -l < "$MG_TMP/m.txt")
[ "$lines" -lt 200 ] || fail "the page has $lines lines"
promtool check metrics < "$MG_TMP/m.txt" > "$MG_TMP/promtool.txt" 2>&1 || fail "promtool check metrics: $(cat "$MG_TMP/promtool.txt")"
ok "(f) metrics_max_tools 2: echo and sleep named, progress \"other\"; 3000 hostile names in one series ($lines lines)"

# (g)
msid=$(session "$G/mcp/mem")
[ -n "$msid" ] || fail "no session on the stdio route: $(tail -n 5 "$MG_TMP/error.log")"
scrape
expect 'mcpgw_stdio_processes{upstream="mem"}' 1 "a stdio server"
spid=$(grep -F 'upstream "mem": started' "$MG_TMP/error.log" | tail -n 1 | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
[ -n "$spid" ] || fail "no pid of the stdio server in the log"
kill -KILL "$spid"
mg_wait 10 'scrape; [ "$(m "mcpgw_stdio_restarts_total{upstream=\"mem\"}")" = 1 ]' || fail "the stdio restart was not counted"
expect 'mcpgw_stdio_processes{upstream="mem"}' 1 "the stdio server after its restart"
ok "(g) a stdio server: mcpgw_stdio_processes 1; killed: mcpgw_stdio_restarts_total 1, and 1 running again"

# (h) a configuration without a metrics page counts nothing (its cost is
# none); a reload that adds the page starts the counts of its generation
sed -i 's|^    location /metrics { metrics; }$|    location /status { status; }|' "$MG_TMP/mcpgw.conf"
grep -q 'metrics;' "$MG_TMP/mcpgw.conf" && fail "could not take the metrics page out"
"$MCPGW" -c "$MG_TMP/mcpgw.conf" -s reload || fail "reload without the metrics page"
gen=$(grep -c 'ready:' "$MG_TMP/error.log")
hsid=$(session "$G/mcp/demo")
for i in 1 2 3; do
	call "$G/mcp/demo" "$hsid" echo '{"message":"h"}' | grep -q 'echo: h' || fail "echo (h) $i"
done
conf 2 "metrics_max_tools 2;"
"$MCPGW" -c "$MG_TMP/mcpgw.conf" -s reload || fail "reload with the metrics page again"
mg_wait 10 "[ \$(grep -c 'ready:' '$MG_TMP/error.log') -gt $gen ]" || fail "the reload with the page did not serve"
scrape
expect "mcpgw_tool_calls_total{$D,tool=\"echo\",outcome=\"result\"}" 2 "echo: the 3 calls without a metrics page not counted"
ok "(h) without a metrics page nothing is counted: 3 calls then, none on the page after the reload that adds it"

mg_done
