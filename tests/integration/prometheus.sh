#!/usr/bin/env bash
# mcpgw's metrics seen from outside, by Debian's Prometheus and promtool.
# A real mcpgw (worker_processes 2) serves a built-in route (/mcp), a proxy
# route to its own built-in server (/proxy, upstream "self"), a stdio
# upstream (/stdio: server-everything, one process per session), a route
# to an upstream that refuses connections (/down), one with a single
# stdio process (/tight), /metrics and /status.
# Prometheus runs conf/examples/prometheus.yml (the shipped file, with this
# port and a 1 s interval) with conf/examples/mcpgw-alerts.yml, on its own
# loopback port and storage, and is stopped at the end.
#  1. promtool passes the shipped prometheus.yml and rules; a scrape is the
#     text format and `promtool check metrics` finds nothing in it; with
#     the Accept header Prometheus really sends (captured by a second
#     job), the page answers OpenMetrics, which the strict parser of
#     python3-prometheus-client reads; the target is up, its last scrape
#     without error.
#  2. tests/node/rate_load.mjs sends tools/call at fixed rates for 15 s
#     (50/s on /mcp: echo, echo with bad arguments, an unknown tool, sleep
#     50 ms; 20/s on /proxy; 4/s on /stdio); through Prometheus's HTTP API
#     the request rate of /mcp is within 10% of the rate sent, and after
#     the load every count (requests, tool calls by outcome, tool="other",
#     the upstream's calls) equals what the client sent; p50 of sleep
#     lies between 50 and 250 ms.  Meanwhile /tight (a stdio upstream with
#     max_processes 1) holds one session and queues a second until it gets
#     503: max_over_time(mcpgw_connector_exchanges_queued) is 1.
#  3. Chaos under load (PROM_CHAOS_ROUNDS rounds, 1 by default): a reload,
#     a failed one, SIGKILL of a stdio server, a worker and the connector;
#     then a last reload; all while tests/node/scrape_watch.mjs scrapes 20
#     times a second: no scrape fails (but one in flight on a killed
#     worker) or takes 1 s, no counter goes down or vanishes, resets() of
#     each counter (per name) is 0 in Prometheus, up never 0; the counts of
#     reloads, restarts and generation are right, a stdio restart is seen
#     by increase(); MCPGWReloadFailed fires after each failed reload and
#     resolves after the good one, MCPGWProcessRestarted fires; no other
#     process died.
#  4. Every query of the docs (```promql blocks of docs/observability*.md)
#     succeeds and returns data; every rule evaluates without error.
# The metrics without labels are on a fresh daemon's page (absent is not
# 0 for Prometheus).
# About 50 s.  Needs prometheus and python3-prometheus-client (Debian),
# tests/fed/node_modules and tests/era/node_modules.
. "$(dirname "$0")/lib.sh"
mg_setup
MG_SRCDIR=${MG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/era_lib.sh"
. "$(dirname "$0")/peers_lib.sh"
peers_setup
EX=$MG_SRCDIR/conf/examples
NODEDIR=$MG_SRCDIR/tests/node
EV=$FED_MCP/server-everything/dist/index.js
PY=/usr/bin/python3
for c in prometheus promtool; do
	command -v $c > /dev/null || fail "$c is needed (Debian package prometheus)"
done
$PY -c 'import prometheus_client.openmetrics.parser' 2> /dev/null ||
	fail "python3-prometheus-client (Debian) is needed"
echo "# $(prometheus --version 2>&1 | head -n 1)"
ROUNDS=${PROM_CHAOS_ROUNDS:-1}
FAILS=0
check() { # check WHAT CONDITION...: an ok or FAIL line; the test goes on
	local what=$1
	shift
	if eval "$@"; then ok "$what"; else
		FAILS=$((FAILS + 1))
		echo "FAIL: $what"
	fi
}
now_ms() { date +%s%3N; }
T_START=$(now_ms)
at() { echo "# +$((($(now_ms) - T_START) / 1000)) s: $*"; }
# awk's float comparisons: fcmp 'a >= b * 0.9' A B
fcmp() { awk -v a="$2" -v b="$3" "BEGIN { exit !($1) }"; }

# ---- mcpgw ----------------------------------------------------------------------
read -r MG_PORT DOWN_PORT PROM_PORT ACC_PORT <<< "$(free_port 4 | tr '\n' ' ')"
G=http://127.0.0.1:$MG_PORT
cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes 2;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log info;
shutdown_timeout 2s;
upstream self { server $G/mcp/demo; }
upstream everything { command $NODE $EV stdio; }
upstream down { server http://127.0.0.1:$DOWN_PORT/mcp; connect_timeout 1s; }
upstream tight { command $NODE $EV stdio; max_processes 1; process_queue 2; process_queue_timeout 4s; }
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/demo { mcp_builtin demo; }
    location = /mcp { mcp_builtin demo; }
    location = /proxy { mcp_pass self; }
    location = /stdio { mcp_pass everything; }
    location = /down { mcp_pass down; }
    location = /tight { mcp_pass tight; }
    location = /metrics { metrics; }
    location /status { status; }
}
CONF
mg_start

curl -s -D "$MG_TMP/mh" -o "$MG_TMP/scrape0.txt" --max-time 5 "$G/metrics"
ct=$(tr -d '\r' < "$MG_TMP/mh" | sed -n 's/^[Cc]ontent-[Tt]ype: //p')
st=$(head -n 1 "$MG_TMP/mh" | cut -d' ' -f2)
[ "$st" = 200 ] && [ "$ct" = "text/plain; version=0.0.4; charset=utf-8" ] ||
	fail "GET /metrics without Accept: $st, Content-Type '$ct': $(head -c 300 "$MG_TMP/scrape0.txt")"
grep -q '^mcpgw_build_info{' "$MG_TMP/scrape0.txt" || fail "no mcpgw_build_info: $(head -c 300 "$MG_TMP/scrape0.txt")"
ok "GET /metrics: 200, $ct, $(grep -vc '^#' "$MG_TMP/scrape0.txt") samples"
# the metrics without labels are there from the first scrape: absent is not 0
# for Prometheus (an alert or a graph on them would see nothing)
missing=
for m in mcpgw_start_time_seconds mcpgw_generation mcpgw_sessions mcpgw_connector_exchanges_in_flight \
	mcpgw_connector_exchanges_queued mcpgw_metrics_series_dropped_total mcpgw_metrics_uncounted_processes_total; do
	grep -q "^$m " "$MG_TMP/scrape0.txt" || missing="$missing $m"
done
check "the metrics without labels are on a fresh daemon's page${missing:+; missing:$missing}" '[ -z "$missing" ]'

# ---- Prometheus, from the shipped files -----------------------------------------
at "Prometheus"
for f in prometheus.yml mcpgw-alerts.yml; do
	out=$(promtool check $([ $f = prometheus.yml ] && echo config || echo rules) "$EX/$f" 2>&1) ||
		fail "promtool check $f: $out"
done
ok "promtool check config prometheus.yml and check rules mcpgw-alerts.yml pass on the shipped files ($(grep -c '^      - alert:' "$EX/mcpgw-alerts.yml") rules)"
P=$MG_TMP/prom
mkdir -p "$P/data"
cp "$EX/prometheus.yml" "$EX/mcpgw-alerts.yml" "$P/"
chmod u+w "$P"/*.yml # (a read-only source tree: make distcheck)
sed -i "s/127.0.0.1:8080/127.0.0.1:$MG_PORT/; s/_interval: 15s/_interval: 1s/" "$P/prometheus.yml"
cmp -s <(sed "s/127.0.0.1:$MG_PORT/127.0.0.1:8080/; s/_interval: 1s/_interval: 15s/" "$P/prometheus.yml") "$EX/prometheus.yml" ||
	fail "the copy of prometheus.yml differs from the shipped one beyond port and intervals"
# a second job: a server that writes down the Accept header Prometheus sends
cat >> "$P/prometheus.yml" <<YML
  - job_name: accept
    static_configs:
      - targets: ['127.0.0.1:$ACC_PORT']
YML
"$NODE" -e 'require("http").createServer((q, s) => {
	require("fs").writeFileSync(process.argv[1], q.headers.accept || "");
	s.setHeader("content-type", "text/plain; version=0.0.4"); s.end("accept_seen 1\n");
}).listen(Number(process.argv[2]), "127.0.0.1")' "$P/accept" "$ACC_PORT" > "$MG_TMP/accept.log" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
disown $!
prometheus --config.file="$P/prometheus.yml" --storage.tsdb.path="$P/data" \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn > "$MG_TMP/prometheus.log" 2>&1 &
PROM_PID=$!
MG_BG_PIDS="$MG_BG_PIDS $PROM_PID"
disown $PROM_PID
PROM=http://127.0.0.1:$PROM_PORT
t=$(now_ms)
mg_wait 20 "curl -sf --max-time 1 $PROM/-/ready > /dev/null" ||
	fail "Prometheus not ready in 20 s: $(tail -n 20 "$MG_TMP/prometheus.log")"
ok "Prometheus ready in $(($(now_ms) - t)) ms on 127.0.0.1:$PROM_PORT, storage in the test's directory"

pq() { "$NODE" "$NODEDIR/promq.mjs" "$PROM" "$@"; }
# pq1 QUERY [TIME]: the value of a query answered with exactly one series
pq1() {
	local out
	out=$(pq "$@") || { echo "$out"; return 1; }
	[ "$(grep -c . <<< "$out")" = 1 ] || { echo "not one series: $out"; return 1; }
	echo "${out##* }"
}
# prom_fresh MS: wait until Prometheus has scraped mcpgw after MS
prom_fresh() {
	mg_wait 10 "[ \"\$(pq1 'timestamp(up{job=\"mcpgw\"}) * 1000' 2>/dev/null | cut -d. -f1)\" -gt $1 ] 2>/dev/null"
}

mg_wait 10 "[ -s '$P/accept' ]" || fail "Prometheus never scraped the accept job"
ACCEPT=$(cat "$P/accept")
echo "# Prometheus asks for: $ACCEPT"
case $ACCEPT in application/openmetrics-text*) ;; *) fail "Prometheus did not ask for OpenMetrics: $ACCEPT" ;; esac
curl -s -D "$MG_TMP/oh" -o "$MG_TMP/scrape0.om" --max-time 5 -H "Accept: $ACCEPT" "$G/metrics"
oct=$(tr -d '\r' < "$MG_TMP/oh" | sed -n 's/^[Cc]ontent-[Tt]ype: //p')
case $oct in application/openmetrics-text\;\ version=1.0.0*) ;; *) fail "GET /metrics with Prometheus's Accept: Content-Type '$oct'" ;; esac
[ "$(tail -n 1 "$MG_TMP/scrape0.om")" = "# EOF" ] || fail "the OpenMetrics page does not end with # EOF"
om_check() { # the strict OpenMetrics parser of the Python client reads FILE
	$PY -c 'import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse
n = sum(len(f.samples) for f in parse(open(sys.argv[1]).read()))
print(n)' "$1" 2>&1
}
n=$(om_check "$MG_TMP/scrape0.om") || fail "python3-prometheus-client refuses the OpenMetrics page: $n"
ok "with Prometheus's Accept header: $oct, ending # EOF, $n samples read by the strict OpenMetrics parser"

mg_wait 10 "[ \"\$(pq1 'up{job=\"mcpgw\"}' 2>/dev/null)\" = 1 ]" || fail "up{job=mcpgw} is not 1: $(pq 'up')"
curl -s --max-time 5 "$PROM/api/v1/targets?state=active" > "$MG_TMP/targets.json"
tgt=$("$NODE" -e 'const t = JSON.parse(require("fs").readFileSync(process.argv[1])).data.activeTargets
	.find((t) => t.labels.job === "mcpgw"); console.log(`${t.health} ${JSON.stringify(t.lastError)} ${t.scrapeUrl}`)' "$MG_TMP/targets.json")
[ "$tgt" = "up \"\" $G/metrics" ] || fail "Prometheus's target: $tgt"
ok "Prometheus scrapes $G/metrics: up = 1, health up, no last error ($(pq1 'scrape_samples_scraped{job="mcpgw"}') samples)"

# ---- the scrapes at 20/s, for the whole run ----------------------------------------
"$NODE" "$NODEDIR/scrape_watch.mjs" "$G/metrics" 20 "$MG_TMP/watch.stop" "$MG_TMP/watch.json" 1000 \
	> "$MG_TMP/watch.log" 2>&1 &
WATCH=$!
MG_BG_PIDS="$MG_BG_PIDS $WATCH"
RUN_T0=$(now_ms)

# ---- 2. a steady load ---------------------------------------------------------------
at "the steady load"
cat > "$MG_TMP/load.json" <<JSON
{"seconds": 15, "streams": [
 {"name": "mcp_echo", "url": "$G/mcp", "rate": 40, "sessions": 4, "tool": "echo", "args": {"message": "m"}, "expect": "result"},
 {"name": "mcp_bad", "url": "$G/mcp", "rate": 4, "sessions": 1, "tool": "echo", "args": {}, "expect": "tool_error"},
 {"name": "mcp_unknown", "url": "$G/mcp", "rate": 2, "sessions": 1, "tool": "no_such_tool", "args": {}, "expect": "rpc_error"},
 {"name": "mcp_sleep", "url": "$G/mcp", "rate": 4, "sessions": 1, "tool": "sleep", "args": {"ms": 50}, "expect": "result"},
 {"name": "proxy_echo", "url": "$G/proxy", "rate": 20, "sessions": 2, "tool": "echo", "args": {"message": "p"}, "expect": "result"},
 {"name": "stdio_echo", "url": "$G/stdio", "rate": 4, "sessions": 2, "tool": "echo", "args": {"message": "s"}, "expect": "result"}
]}
JSON
# the connector saturated: /tight's one process taken by a session, a
# second session waits in its process_queue (4 s), then gets 503
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
tight_init() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 15 "$G/tight" "${H[@]}" \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'
}
TIGHT_A=$(tight_init)
tight_init > "$MG_TMP/tight_b" &
TIGHT_PID=$!
TIGHT_T0=$(now_ms)
timeout -k 5 60 "$NODE" "$NODEDIR/rate_load.mjs" "$MG_TMP/load.json" "$MG_TMP/load.out" > "$MG_TMP/load.log" 2>&1 ||
	fail "rate_load.mjs: $(cat "$MG_TMP/load.log")"
sed 's/^/#/' "$MG_TMP/load.log"
lv() { "$NODE" -p "const o = JSON.parse(require('fs').readFileSync('$1')); $2" ; }
read -r L_T0 L_T1 <<< "$(lv "$MG_TMP/load.out" 'o.t0 + " " + o.t1')"
for s in mcp_echo mcp_bad mcp_unknown mcp_sleep proxy_echo stdio_echo; do
	read -r sent answered expected <<< "$(lv "$MG_TMP/load.out" "const r = o.streams.$s; r.sent + ' ' + r.answered + ' ' + r.expected")"
	[ "$sent" -gt 0 ] && [ "$expected" = "$sent" ] ||
		fail "load $s: $sent sent, $answered answered, $expected as expected: $(lv "$MG_TMP/load.out" "o.streams.$s.other.join(' | ')")"
	eval "N_$s=$sent"
done
MCP_SENT=$((N_mcp_echo + N_mcp_bad + N_mcp_unknown + N_mcp_sleep))
MCP_RATE=$(awk -v n=$MCP_SENT -v a=$L_T0 -v b=$L_T1 'BEGIN { printf "%.2f", n / ((b - a) / 1000) }')
ok "the load: $MCP_SENT tools/call to /mcp in $((L_T1 - L_T0)) ms ($MCP_RATE/s), $N_proxy_echo to /proxy, $N_stdio_echo to /stdio, every one answered as expected"

prom_fresh "$(now_ms)" || fail "no scrape after the load"
T=$(((L_T1 / 1000) - 1))
r=$(pq1 'sum(rate(mcpgw_http_requests_total{route="/mcp",method="tools/call"}[10s]))' $T) || fail "rate: $r"
check "PromQL sum(rate(mcpgw_http_requests_total{route=\"/mcp\",method=\"tools/call\"}[10s])) at the load's end - 1 s = $r/s, within 10% of the $MCP_RATE/s sent" \
	'fcmp "a >= b * 0.9 && a <= b * 1.1" "$r" "$MCP_RATE"'
r=$(pq1 'sum(rate(mcpgw_http_requests_total{route="/proxy",method="tools/call"}[10s]))' $T) || fail "rate: $r"
check "the same for /proxy: $r/s, within 10% of 20/s" 'fcmp "a >= b * 0.9 && a <= b * 1.1" "$r" 20'

# exact counts once everything is answered and scraped
eq() { # eq WHAT QUERY WANT
	local v want=$3
	v=$(pq1 "$2") || v="($v)"
	check "$1: $2 = $v, want $3" '[ "$v" = "$want" ]'
}
# at_least WHAT QUERY MIN
at_least() {
	local v min=$3
	v=$(pq1 "$2") || v="($v)"
	check "$1: $2 = $v, at least $3" 'fcmp "a >= b" "$v" "$min"'
}
eq "requests counted" 'sum(mcpgw_http_requests_total{route="/mcp",method="tools/call",status="200"})' $MCP_SENT
eq "plain results" 'sum(mcpgw_tool_calls_total{route="/mcp",upstream="demo",outcome="result"})' $((N_mcp_echo + N_mcp_sleep))
eq "tool errors" 'sum(mcpgw_tool_calls_total{route="/mcp",tool="echo",outcome="tool_error"})' $N_mcp_bad
eq "an unknown tool is tool=\"other\", rpc_error" 'sum(mcpgw_tool_calls_total{route="/mcp",tool="other",outcome="rpc_error"})' $N_mcp_unknown
eq "no other outcome" 'count(mcpgw_tool_calls_total{route="/mcp",outcome!~"result|tool_error|rpc_error"} > 0) or vector(0)' 0
eq "the proxy route's calls, upstream self" 'sum(mcpgw_tool_calls_total{route="/proxy",upstream="self",tool="echo",outcome="result"})' $N_proxy_echo
eq "the connector's calls arrive at /mcp/demo" 'sum(mcpgw_http_requests_total{route="/mcp/demo",method="tools/call"})' $N_proxy_echo
eq "the stdio route's calls" 'sum(mcpgw_tool_calls_total{route="/stdio",upstream="everything",tool="echo",outcome="result"})' $N_stdio_echo
at_least "upstream self's exchanges counted (its calls and more)" 'sum(mcpgw_upstream_exchange_duration_seconds_count{upstream="self"})' $N_proxy_echo
p50=$(pq1 'histogram_quantile(0.5, sum by (le) (rate(mcpgw_tool_call_duration_seconds_bucket{route="/mcp",tool="sleep"}[1m])))')
check "p50 of tool sleep (50 ms) from the histogram: $p50 s, in [0.05, 0.25]" 'fcmp "a >= 0.05 && a <= 0.25" "$p50" 0'

wait $TIGHT_PID
v=$(pq1 "max_over_time(mcpgw_connector_exchanges_queued[$((($(now_ms) - TIGHT_T0) / 1000 + 2))s])")
check "the connector's queue seen by Prometheus: max_over_time(mcpgw_connector_exchanges_queued) = $v while a second session waited for /tight's one process (first $TIGHT_A, second $(cat "$MG_TMP/tight_b"))" \
	'[ "$v" = 1 ] && [ "$TIGHT_A" = 200 ] && [ "$(cat "$MG_TMP/tight_b")" = 503 ]'
curl -s --max-time 5 -o "$MG_TMP/scrape1.txt" "$G/metrics"
out=$(promtool check metrics < "$MG_TMP/scrape1.txt" 2>&1)
rc=$?
check "promtool check metrics on a scrape after the load ($(grep -vc '^#' "$MG_TMP/scrape1.txt") samples): exit $rc, nothing to say${out:+: $(head -c 600 <<< "$out")}" \
	"[ $rc = 0 ] && [ -z \"\$out\" ]"
curl -s --max-time 5 -H "Accept: $ACCEPT" -o "$MG_TMP/scrape1.om" "$G/metrics"
n=$(om_check "$MG_TMP/scrape1.om")
rc=$?
check "the OpenMetrics page after the load: the strict parser reads it ($n)" '[ $rc = 0 ]'

# an upstream that refuses, a malformed request, an unknown path: for the docs' queries
curl -s --max-time 5 -o /dev/null "$G/down" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
	-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'
exec 3<> "/dev/tcp/127.0.0.1/$MG_PORT" && printf 'NOT HTTP AT ALL\r\n\r\n' >&3 && timeout 5 cat <&3 > /dev/null
exec 3>&-
http_status "$G/nowhere" > /dev/null

# ---- 3. chaos under load, scraped 20 times a second ------------------------------------------
at "chaos"
cat > "$MG_TMP/chaos.json" <<JSON
{"seconds": $((30 + ROUNDS * 15)), "stop": "$MG_TMP/chaos.stop", "streams": [
 {"name": "mcp", "url": "$G/mcp", "rate": 20, "sessions": 2, "tool": "echo", "args": {"message": "c"}, "expect": "result"},
 {"name": "proxy", "url": "$G/proxy", "rate": 10, "sessions": 2, "tool": "echo", "args": {"message": "c"}, "expect": "result"},
 {"name": "stdio", "url": "$G/stdio", "rate": 2, "sessions": 2, "tool": "echo", "args": {"message": "c"}, "expect": "result"}
]}
JSON
"$NODE" "$NODEDIR/rate_load.mjs" "$MG_TMP/chaos.json" "$MG_TMP/chaos.out" > "$MG_TMP/chaos.log" 2>&1 &
CHAOS=$!
MG_BG_PIDS="$MG_BG_PIDS $CHAOS"
sleep 2
cp "$MG_TMP/mcpgw.conf" "$MG_TMP/mcpgw.conf.good"
alert() { # alert NAME [LABELS]: firing now?
	[ -n "$(pq "ALERTS{alertname=\"$1\",alertstate=\"firing\"${2:-}}" 2>/dev/null)" ]
}
# the live workers or connector of generation GEN, from the error log
gen_pids() { # gen_pids GEN ROLE
	local p
	for p in $(sed -n "s/.*started $2 process \([0-9]*\) (slot [0-9]*, generation $1)\$/\1/p" \
		"$MG_TMP/error.log"); do
		mg_alive "$p" && echo "$p"
	done
}
reload_ok() {
	gen=$((gen + 1))
	kill -HUP "$MG_MASTER"
	mg_wait 10 "grep -q 'generation $gen ready' '$MG_TMP/error.log'" || fail "generation $gen did not serve"
}
gen=1
KILLED=
: > "$MG_TMP/kills" # "from to" (ms) of each worker kill
for round in $(seq 1 "$ROUNDS"); do
	reload_ok
	[ "$round" = 1 ] || check "round $round: MCPGWReloadFailed resolved after the good reload" mg_wait 8 "! alert MCPGWReloadFailed"
	sleep 1 # (reload times are seconds: the failure must come a second later)
	echo 'no_such_directive on;' >> "$MG_TMP/mcpgw.conf"
	kill -HUP "$MG_MASTER"
	mg_wait 10 "[ \$(grep -c 'reload failed' '$MG_TMP/error.log') -ge $round ]" || fail "the broken reload was not refused"
	cp "$MG_TMP/mcpgw.conf.good" "$MG_TMP/mcpgw.conf"
	check "round $round: MCPGWReloadFailed fires after the failed reload" mg_wait 8 "alert MCPGWReloadFailed"
	conn=$(mg_first "$(gen_pids $gen connector)")
	# (the sessions' processes may still be the old connector's, until it
	# goes at shutdown_timeout: the new one starts them on the next call)
	mg_wait 10 "[ -n \"\$(mg_children $conn)\" ]" || fail "no stdio server under the connector $conn"
	stdio=$(mg_first "$(mg_children "$conn")")
	kill -KILL "$stdio"
	sleep 1
	w=$(mg_first "$(gen_pids $gen worker)")
	k0=$(now_ms)
	kill -KILL "$w"
	mg_wait 10 "! mg_alive $w" || fail "worker $w did not die"
	echo "$k0 $(now_ms)" >> "$MG_TMP/kills"
	mg_wait 10 "[ \$(mg_count \"\$(gen_pids $gen worker)\") = 2 ]" || fail "worker $w not replaced"
	sleep 1
	kill -KILL "$conn"
	mg_wait 10 "[ -n \"\$(gen_pids $gen connector)\" ]" || fail "connector $conn not replaced"
	KILLED="$KILLED $w $conn"
	sleep 1
done
reload_ok
sleep 2
at "the chaos load stops"
touch "$MG_TMP/chaos.stop"
wait $CHAOS
sed 's/^/#/' "$MG_TMP/chaos.log"
touch "$MG_TMP/watch.stop"
wait $WATCH
# the old generations gone
at "the old generations drain"
mg_wait 15 '[ "$(mg_count "$(mg_role_pids $MG_MASTER worker)")" = 2 ] && [ "$(mg_count "$(mg_role_pids $MG_MASTER connector)")" = 1 ]' ||
	fail "the old generations did not go: $(mg_children "$MG_MASTER")"
RUN_T1=$(now_ms)
prom_fresh "$RUN_T1" || fail "no scrape after the chaos"

read -r scrapes nfailed slowest ndec nvan series <<< "$(lv "$MG_TMP/watch.json" \
	'[o.scrapes, o.failed.length, o.slowest, o.decreased.length, o.vanished.length, o.series].join(" ")')"
SECS=$(((RUN_T1 - RUN_T0) / 1000))
# a scrape in flight on a killed worker may fail, once per kill
kills=$(awk '{ printf "[%s,%s],", $1, $2 }' "$MG_TMP/kills")
excused=$(lv "$MG_TMP/watch.json" "o.failed.filter((f) => [$kills].some(([a, b]) => f.t >= a - 1000 && f.t <= b) &&
	!/HTTP|timeout|aborted/i.test(f.why)).length")
check "$scrapes scrapes in ${SECS} s (20/s wanted, each on a new connection), $series counter series" "[ $scrapes -ge $((SECS * 17)) ]"
check "no scrape failed ($nfailed failed, $excused of them in flight on the killed worker)$([ "$nfailed" = 0 ] || echo ": $(lv "$MG_TMP/watch.json" 'JSON.stringify(o.failed.slice(0, 3))')")" \
	"[ $((nfailed - excused)) = 0 ] && [ $excused -le $ROUNDS ]"
check "no scrape took 1 s (slowest $slowest ms)" "[ $slowest -lt 1000 ]"
check "no counter went down between two scrapes ($ndec)$([ "$ndec" = 0 ] || echo ": $(lv "$MG_TMP/watch.json" 'JSON.stringify(o.decreased.slice(0, 3))')")" "[ $ndec = 0 ]"
check "no counter series vanished ($nvan)$([ "$nvan" = 0 ] || echo ": $(lv "$MG_TMP/watch.json" 'JSON.stringify(o.vanished.slice(0, 3))')")" "[ $nvan = 0 ]"
WIN=$((SECS + 5))
# resets() per name (it drops the name: one query for all would collide)
names=$(curl -s --max-time 5 "$G/metrics" | awk '$1 == "#" && $2 == "TYPE" && $4 == "counter" { print $3 }
	$1 == "#" && $2 == "TYPE" && $4 == "histogram" { print $3 "_bucket"; print $3 "_count"; print $3 "_sum" }')
for n in $names; do echo "resets($n{job=\"mcpgw\"}[${WIN}s]) > 0"; done | pq - > "$MG_TMP/resets.out"
# the queries answered with any series (or an error)
v=$(awk '/^= / { q = substr($0, 3); next } NF { print q ": " $0 }' "$MG_TMP/resets.out")
check "PromQL resets() over the run is 0 for each of the $(grep -c . <<< "$names") counters (histograms' _bucket, _count, _sum included)${v:+:$(head -c 600 <<< "$v")}" \
	'[ -z "$v" ] && [ "$(grep -c . <<< "$names")" -ge 10 ]'
v=$(pq1 "min_over_time(up{job=\"mcpgw\"}[${WIN}s])")
check "up stayed 1 through the run (min_over_time = $v)" "[ '$v' = 1 ]"
eq "reloads that served" 'sum(mcpgw_reloads_total{result="success"})' $((ROUNDS + 1))
eq "the failed reloads" 'sum(mcpgw_reloads_total{result="failure"})' $ROUNDS
eq "the generation" 'max(mcpgw_generation)' $gen
eq "workers respawned" 'sum(mcpgw_process_restarts_total{role="worker"})' $ROUNDS
eq "connectors respawned" 'sum(mcpgw_process_restarts_total{role="connector"})' $ROUNDS
eq "every process counted" 'sum(mcpgw_metrics_uncounted_processes_total) or vector(0)' 0
eq "no series dropped" 'sum(mcpgw_metrics_series_dropped_total)' 0
eq "workers running" 'sum(mcpgw_processes{role="worker"})' 2
eq "connector running" 'sum(mcpgw_processes{role="connector"})' 1
at_least "the killed stdio servers counted as restarted" 'sum(mcpgw_stdio_restarts_total{upstream="everything"})' $ROUNDS
# a counter's first count must be visible to increase(): its series is there (at 0) before
at_least "... and seen by increase() over the run" "sum(increase(mcpgw_stdio_restarts_total{upstream=\"everything\"}[${WIN}s]))" "$(awk -v r=$ROUNDS 'BEGIN { print r * 0.9 }')"
at_least "upstream down's refused connection counted, reason connect" 'sum(mcpgw_upstream_errors_total{upstream="down",reason="connect"})' 1
at_least "the malformed request counted as refused, bad_request" 'sum(mcpgw_refusals_total{reason="bad_request"})' 1
both_restarted() {
	alert MCPGWProcessRestarted ',role="worker"' && alert MCPGWProcessRestarted ',role="connector"'
}
check "MCPGWProcessRestarted fires for the worker and the connector" mg_wait 5 both_restarted
check "MCPGWReloadFailed resolved after the good reload" mg_wait 5 "! alert MCPGWReloadFailed"
check "MCPGWDown never fired" "[ -z \"\$(pq 'ALERTS{alertname=\"MCPGWDown\"}')\" ]"
# the daemon's count of the chaos load against the client's
read -r c_sent c_ok <<< "$(lv "$MG_TMP/chaos.out" 'o.streams.mcp.sent + " " + o.streams.mcp.expected')"
v=$(pq1 'sum(mcpgw_http_requests_total{route="/mcp",method="tools/call",status="200"})')
[[ $v =~ ^[0-9]+$ ]] && v=$((v - MCP_SENT)) || v="($v)"
check "/mcp tools/call during the chaos: $v counted with 200, $c_ok answered so, $c_sent sent (one per kill may die with its worker)" \
	'[ "$v" -ge $((c_ok - ROUNDS)) ] && [ "$v" -le $c_sent ] 2> /dev/null'
# (an old generation's process killed at shutdown_timeout is logged at info: asked to go)
grep -E '(worker|connector) process [0-9]+ exited' "$MG_TMP/error.log" | grep -v '\[info\]' > "$MG_TMP/died" || true
died_ok() {
	local p
	[ "$(grep -c . "$MG_TMP/died")" = $((2 * ROUNDS)) ] || return 1
	for p in $KILLED; do grep -q " $p exited on signal 9" "$MG_TMP/died" || return 1; done
}
check "no process died but the $((2 * ROUNDS)) killed: $(cut -c 24- "$MG_TMP/died" | tr '\n' ';')" died_ok

# ---- 4. the docs' queries and the rules ------------------------------------------------
at "the docs' queries"
docs=$(ls "$MG_SRCDIR"/docs/observability.md "$MG_SRCDIR"/docs/observability/*.md 2> /dev/null)
awk '/^```promql$/ { f = 1; q = ""; next } /^```$/ { if (f) print q; f = 0; next } f { q = q " " $0 }' $docs |
	sed 's/^ *//; s/  */ /g' | sort -u > "$MG_TMP/queries"
nq=$(grep -c . "$MG_TMP/queries")
pq - < "$MG_TMP/queries" > "$MG_TMP/queries.out"
# per query: its first answer, or why none
awk '/^= / { if (q != "") print (a == "" ? "NO DATA: " q : "# " q " -> " a); q = substr($0, 3); a = ""; next }
	/^error: / { a = "ERROR " $0; next } NF && a == "" { a = $0 }
	END { if (q != "") print (a == "" ? "NO DATA: " q : "# " q " -> " a) }' "$MG_TMP/queries.out" |
	sed 's/^# \(.*\) -> ERROR \(.*\)$/NO DATA: \1: \2/' > "$MG_TMP/queries.res"
grep '^# ' "$MG_TMP/queries.res" | cut -c 1-240
grep '^NO DATA' "$MG_TMP/queries.res" | sed 's/^/# /'
bad=$(grep -c '^NO DATA' "$MG_TMP/queries.res")
check "every one of the docs' $nq PromQL queries parses and returns data ($bad do not)" "[ $nq -ge 15 ] && [ $bad = 0 ]"
curl -s --max-time 5 "$PROM/api/v1/rules" > "$MG_TMP/rules.json"
r=$(lv "$MG_TMP/rules.json" 'const r = o.data.groups.flatMap((g) => g.rules);
	r.length + " " + r.filter((x) => x.health !== "ok").map((x) => x.name + ": " + x.lastError).join("; ")')
nr=$(grep -c '^      - alert:' "$EX/mcpgw-alerts.yml")
check "every rule of mcpgw-alerts.yml ($nr) evaluates without error in Prometheus: $r" '[ "$r" = "$nr " ]'
kill -TERM $PROM_PID
mg_wait 10 "! kill -0 $PROM_PID 2>/dev/null" || fail "Prometheus did not stop on SIGTERM"
[ $FAILS = 0 ] || fail "$FAILS checks failed"
mg_done
