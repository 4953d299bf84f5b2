#!/usr/bin/env bash
# The self-call guarantee against the real daemon, with worker_processes 1:
# routes whose upstream is the gateway itself never wait on themselves.
#   location /mcp/demo { mcp_builtin demo; }
#   upstream self { server http://127.0.0.1:PORT/mcp/demo; }
#   location = /mcp { mcp_pass self; }
# (a) the very first tools/call echo through /mcp (after initialize) answers
#     in well under a second (< 1000 ms);
# (b) 100 fresh sessions making their first call at once all succeed
#     within 5 s;
# (c) a chain /mcp/a -> /mcp/b -> /mcp/demo works;
# (d) a route that points at itself gets the hop-limit error (HTTP 508, a
#     JSON-RPC error mentioning max_hops) within a second;
# (e) SIGKILL of the connector while a sleep of 3000 ms is in flight
#     through /mcp: that request gets a JSON-RPC error within 1 s saying
#     the connector went away, the master starts a new connector, and a
#     request through /mcp succeeds again within 2 s;
# (f) a call that comes while there is no connector (the master, stopped,
#     cannot start one yet) waits for the new one and is answered.
# A failed check does not stop the others.
# Needs tests/proxy/node_modules (npm ci --prefix tests/proxy).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
px_need_modules

MG_PORT=$(free_port)
G=http://127.0.0.1:$MG_PORT
px_conf 1 "access_log $MG_TMP/access.log;" "
upstream self { server $G/mcp/demo; }
upstream to_b { server $G/mcp/b; }
upstream loop { server $G/mcp/loop; }
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/demo { mcp_builtin demo; }
    location = /mcp { mcp_pass self; }
    location /mcp/a { mcp_pass to_b; }
    location /mcp/b { mcp_pass self; }
    location /mcp/loop { mcp_pass loop; }
}"
mg_start
workers=$(mg_role_pids "$MG_MASTER" worker)
[ "$(mg_count "$workers")" = 1 ] || fail "expected 1 worker, have: $workers"
connector=$(mg_role_pids "$MG_MASTER" connector)
[ "$(mg_count "$connector")" = 1 ] || fail "expected 1 connector, have: $connector"

# (a) nothing has gone through the connector yet
px_run 30 self_call.mjs first "$G/mcp"
px_report "self_call.mjs first"

# (b)
px_run 30 self_call.mjs burst "$G/mcp" 100
px_report "self_call.mjs burst"

# (c) and the hops it took, from the access log
: > "$MG_TMP/access.log"
px_run 30 self_call.mjs chain "$G/mcp/a" "$G/mcp/b"
px_report "self_call.mjs chain"
hops=ok
[ "$PX_RC" = 0 ] || hops= # the chain failed: nothing more to see
for loc in ${hops:+/mcp/a /mcp/b /mcp/demo}; do
	# method and tool: 3 calls of echo and one of progress at each hop
	n=$(awk -v l="$loc" '$4 == l && $7 == "tools/call" && $8 == "echo"' "$MG_TMP/access.log" | wc -l)
	m=$(awk -v l="$loc" '$4 == l && $7 == "tools/call" && $8 == "progress"' "$MG_TMP/access.log" | wc -l)
	if [ "$n" -lt 3 ] || [ "$m" -lt 1 ]; then
		check_failed "(c) the access log shows $n tools/call echo and $m tools/call progress requests at $loc, expected 3 and 1 (each call crosses /mcp/a, /mcp/b and /mcp/demo):
$(cat "$MG_TMP/access.log")"
		hops=
		break
	fi
done
[ -z "$hops" ] || ok "(c) the access log shows every call, with its method and tool, at /mcp/a, /mcp/b and /mcp/demo"

# (d)
px_run 30 self_call.mjs loop "$G/mcp/loop"
px_report "self_call.mjs loop"
n=$(awk '$4 == "/mcp/loop" && $9 == 508' "$MG_TMP/access.log" | wc -l)
if [ "$n" -lt 1 ]; then
	check_failed "(d) no 508 at /mcp/loop in the access log"
elif ! grep -q 'max_hops' "$MG_TMP/error.log"; then
	check_failed "(d) the loop was not logged in error.log"
else
	ok "(d) the loop was cut at the hop limit: $(awk '$4 == "/mcp/loop"' "$MG_TMP/access.log" | wc -l) requests at /mcp/loop, the innermost answered 508"
fi

# (e) the node script kills the connector 300 ms into a 3 s sleep
px_no_child_died || fail "a process died before (e): $(grep -E 'exited on signal|exited with code' "$MG_TMP/error.log")"
px_run 30 self_call.mjs connector "$G/mcp" "$connector"
px_report "self_call.mjs connector"
if ! mg_wait 2 "mg_replaced $MG_MASTER connector 1 $connector"; then
	check_failed "(e) the master did not start a new connector (connectors now: $(mg_role_pids "$MG_MASTER" connector))"
elif ! grep -qE "connector process $connector exited on signal 9" "$MG_TMP/error.log"; then
	check_failed "(e) the master did not log the connector's death: $(grep -E "$connector" "$MG_TMP/error.log" | tail -n 5)"
else
	ok "(e) the master logged the killed connector ($connector) and started a new one ($(mg_role_pids "$MG_MASTER" connector))"
fi
if [ "$(mg_role_pids "$MG_MASTER" worker)" = "$workers" ]; then
	ok "(e) the worker lived on"
else
	check_failed "(e) the worker was replaced too: $(mg_role_pids "$MG_MASTER" worker)"
fi

# (f) a call that comes while there is no connector waits for the next
# one: the master is stopped (SIGSTOP), so that it cannot start one, the
# connector is killed, a call goes to /mcp, and the master goes on 0.5 s
# later; the call is answered through the new connector.
HJ=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
sid=$(curl -s -D - -o /dev/null --max-time 5 "${HJ[@]}" -d \
	'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"f","version":"1"}}}' \
	"$G/mcp" | tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
connector=$(mg_role_pids "$MG_MASTER" connector)
if [ -z "$sid" ] || [ -z "$connector" ]; then
	check_failed "(f) no session through /mcp ($sid) or no connector ($connector)"
else
	kill -STOP "$MG_MASTER"
	kill -KILL "$connector"
	mg_wait 2 "! mg_alive $connector" # a zombie: its links are closed
	t0=$(date +%s%N)
	curl -s --max-time 10 "${HJ[@]}" -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25' \
		-d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"message":"held"}}}' \
		"$G/mcp" > "$MG_TMP/held.out" &
	call=$!
	sleep 0.5
	kill -CONT "$MG_MASTER"
	wait "$call"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	if grep -q '"text":"echo: held"' "$MG_TMP/held.out" && [ "$ms" -ge 400 ]; then
		ok "(f) a call sent while there was no connector waited for the new one and was answered ($ms ms)"
	else
		check_failed "(f) a call sent while there was no connector: $(cat "$MG_TMP/held.out") after $ms ms"
	fi
fi
px_done
