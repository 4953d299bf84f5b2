#!/usr/bin/env bash
# 10,000 sessions opened and abandoned (half on a built-in server, half on
# a proxy route whose upstream is the gateway's own demo, so 15,000 in the
# table) expire after session_timeout, their upstream sessions are closed,
# and every process's private memory comes back near where it started.
# Prints the figures: RSS before, at the peak, and after, per process.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mcp_lib.sh"
mg_setup
mcp_need_sdk # node, for the client

MG_PORT=$(free_port)
# One client (127.0.0.1) opens all 10,000 sessions: no per-address limit.
mcp_conf 2 "max_sessions 30000;
sessions_per_address off;
session_timeout 4s;
upstream self { server http://127.0.0.1:$MG_PORT/mcp/demo; keepalive 8; }" "" \
	"access_log $MG_TMP/access.log;" \
	"location /mcp/self { mcp_pass self; }"
sed -i 's/error_log \(.*\) debug;/error_log \1 info;/' "$MG_TMP/mcpgw.conf"
mcp_init_files
mg_start

DEMO=http://127.0.0.1:$MG_PORT/mcp/demo
SELF=http://127.0.0.1:$MG_PORT/mcp/self

# kb PID FIELD: a /proc/PID/status field in kB.
kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}
procs() {
	echo "$MG_MASTER" $(mg_role_pids "$MG_MASTER" worker) $(mg_role_pids "$MG_MASTER" connector)
}
# snapshot NAME: RssAnon of every process into $MG_TMP/NAME (pid kB lines).
snapshot() {
	for p in $(procs); do
		echo "$p $(kb "$p" RssAnon) $(kb "$p" VmRSS)"
	done > "$MG_TMP/$1"
}
# gone URL SID: the status of a ping in session SID.
gone() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$1" \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "Mcp-Session-Id: $2" -H 'MCP-Protocol-Version: 2025-11-25' \
		-d '{"jsonrpc":"2.0","id":9,"method":"ping"}'
}

# Warm up: the pools, the allocators and the code paths are used once.
run_node abandon.mjs "$DEMO" 300 50
run_node abandon.mjs "$SELF" 300 50
sleep 6
snapshot before

run_node abandon.mjs "$DEMO" 5000 50 "$MG_TMP/demo.sids"
run_node abandon.mjs "$SELF" 5000 50 "$MG_TMP/self.sids"
snapshot peak
[ "$(wc -l < "$MG_TMP/demo.sids")" = 5000 ] && [ "$(wc -l < "$MG_TMP/self.sids")" = 5000 ] ||
	fail "not every session id was written"
ok "10,000 sessions opened and abandoned (5,000 built-in, 5,000 proxied to the gateway's own demo)"

# They expire: session_timeout 4s, a sweep every second.  (Asking too
# early would keep a session alive: any request restarts its clock.)
sleep 6
for s in $(tail -n 3 "$MG_TMP/self.sids"); do
	[ "$(gone "$SELF" "$s")" = 404 ] || fail "an abandoned proxied session still answers"
done
for s in $(tail -n 3 "$MG_TMP/demo.sids"); do
	[ "$(gone "$DEMO" "$s")" = 404 ] || fail "an abandoned built-in session still answers"
done
ok "abandoned sessions expire: 404 after session_timeout"

# The connector closed the upstream sessions behind the proxied ones: the
# demo saw their DELETEs (5,300 with the warm-up's).
mg_wait 30 "[ \$(grep -c ' DELETE ' '$MG_TMP/access.log') -ge 5300 ]" ||
	fail "the demo saw $(grep -c ' DELETE ' "$MG_TMP/access.log") DELETEs, expected 5300"
ok "the upstream sessions of the expired proxied sessions were closed (5,300 DELETEs upstream)"
sleep 1
snapshot after
echo "# pid role: RssAnon kB before / peak / after (VmRSS kB before / peak / after)"
fail_mem=
for p in $(procs); do
	read -r _ b rb < <(grep "^$p " "$MG_TMP/before")
	read -r _ k rk < <(grep "^$p " "$MG_TMP/peak")
	read -r _ a ra < <(grep "^$p " "$MG_TMP/after")
	echo "#   $p $(mg_title "$p" | sed 's/ process.*//'): $b / $k / $a ($rb / $rk / $ra)"
	# back near the start: within 1 MB of private memory
	[ $((a - b)) -le 1024 ] || fail_mem="$fail_mem $p(+$((a - b)) kB)"
done
if grep -q __asan_init "$MCPGW"; then
	# AddressSanitizer keeps freed memory in quarantine: figures only
	ok "private memory figures printed (AddressSanitizer build: not compared)"
else
	[ -z "$fail_mem" ] || fail "private memory did not come back after the sessions expired:$fail_mem"
	ok "every process's private memory is back within 1 MB of where it started"
fi
mg_done
