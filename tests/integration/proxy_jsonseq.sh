#!/usr/bin/env bash
# An upstream that streams its answers as a chunked application/json body,
# one JSON-RPC message a line (tests/era/upstream_ndjson.mjs; the
# conformance repository's reference server answers subscriptions/listen
# so), relayed through mcpgw message by message as they come:
#   - the conformance runner's server-stateless scenario (its listen
#     checks: sep-2575-server-sends-subscription-ack, -tags-subscription-id,
#     -honors-notification-filter) directly and through mcpgw: every check
#     that passes directly passes through mcpgw;
#   - a raw client (curl -N) gets the listen's acknowledgement while the
#     upstream still holds the stream open, and the upstream's later
#     notification about LATER_MS after it, not at the end;
#   - a plain request answered by several lines is an SSE stream of them;
#     one object written over many lines in chunks is the JSON answer it
#     always was;
#   - hostile bodies (a line of garbage, a line over max_message_size, a
#     body cut in the middle of a line, no newline at all): each a clear
#     JSON-RPC error for that request and a log line; a listen open
#     meanwhile goes on; no process dies.
# Needs tests/era/node_modules (npm ci --prefix tests/era).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup

. "$(dirname "$0")/era_lib.sh"
era_need_modules

LATER_MS=1000
UP_PORT=$(free_port)
"$ERA_NODE22" "$ERA_SCRIPTS/upstream_ndjson.mjs" "$UP_PORT" --later=$LATER_MS --long=70000 \
	> "$MG_TMP/upstream.log" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
disown $!
mg_wait 10 "grep -q '^listening $UP_PORT\$' '$MG_TMP/upstream.log'" ||
	fail "the upstream did not listen within 10 s: $(tail -n 20 "$MG_TMP/upstream.log")"

MG_PORT=$(free_port)
px_conf 2 "upstream nd { server http://127.0.0.1:$UP_PORT/mcp; max_message_size 64k; }" "
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp { mcp_pass nd; }
}"
mg_start
DIRECT=http://localhost:$UP_PORT/mcp
GW=http://localhost:$MG_PORT/mcp

# ---- the conformance runner, directly and through mcpgw ----------------

# stateless WHERE URL: the runner's server-stateless scenario; its checks
# as "STATUS id name" lines in $MG_TMP/checks-WHERE
stateless() {
	local out=$MG_TMP/out-$1 rc=0
	(cd "$MG_TMP" && timeout -k 5 120 "$ERA_NODE22" "$ERA_CONFORMANCE" server \
		--url "$2" --spec-version 2026-07-28 --scenario server-stateless \
		-o "$out") > "$out.txt" 2>&1 || rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 1 ] ||
		fail "the runner against $2 exited $rc: $(tail -n 20 "$out.txt")"
	"$ERA_NODE22" -e '
		const fs = require("fs"), path = require("path");
		const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
			e.isDirectory() ? walk(path.join(d, e.name)) :
			e.name === "checks.json" ? [path.join(d, e.name)] : []);
		for (const f of walk(process.argv[1]))
			for (const c of JSON.parse(fs.readFileSync(f, "utf8")))
				console.log(`${c.status} ${c.id} ${c.name} ${c.errorMessage ?? ""}`);
	' "$out" > "$MG_TMP/checks-$1" || fail "cannot read the runner's checks.json under $out"
	[ -s "$MG_TMP/checks-$1" ] || fail "the runner against $2 wrote no checks"
}

stateless direct "$DIRECT"
stateless mcpgw "$GW"
echo "# directly:      $(grep -c '^SUCCESS' "$MG_TMP/checks-direct") passed, $(grep -vc '^SUCCESS' "$MG_TMP/checks-direct") not"
echo "# through mcpgw: $(grep -c '^SUCCESS' "$MG_TMP/checks-mcpgw") passed, $(grep -vc '^SUCCESS' "$MG_TMP/checks-mcpgw") not"
for id in sep-2575-server-sends-subscription-ack sep-2575-server-tags-subscription-id \
	sep-2575-server-honors-notification-filter; do
	grep -q "^SUCCESS $id " "$MG_TMP/checks-direct" ||
		fail "$id does not pass directly: $(grep " $id " "$MG_TMP/checks-direct")"
	grep -q "^SUCCESS $id " "$MG_TMP/checks-mcpgw" ||
		fail "$id passes directly but not through mcpgw: $(grep " $id " "$MG_TMP/checks-mcpgw")"
	ok "runner: $id passes directly and through mcpgw"
done
lost=$(grep '^SUCCESS' "$MG_TMP/checks-direct" | cut -d' ' -f2,3 | sort |
	comm -23 - <(grep '^SUCCESS' "$MG_TMP/checks-mcpgw" | cut -d' ' -f2,3 | sort))
[ -z "$lost" ] || fail "passes directly, not through mcpgw: $lost"
ok "runner: every check of server-stateless that passes directly passes through mcpgw"

# ---- a raw client ---------------------------------------------------------

META='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}'

# post METHOD ID PARAMS [curl options...]: the request through mcpgw
post() {
	local method=$1 id=$2 params=$3 name
	shift 3
	name=$(printf '%s' "$params" | sed -n 's/^"name":"\([^"]*\)".*/\1/p')
	curl -sN -i "$@" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' \
		-H 'MCP-Protocol-Version: 2026-07-28' -H "Mcp-Method: $method" \
		${name:+-H "Mcp-Name: $name"} "$GW" \
		-d "{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"$method\",\"params\":{$params${params:+,}$META}}"
}

# listen_bg OUT ID SECS [PARAM]: a listen, read as it comes: each line
# stamped with ms since START
listen_bg() {
	local out=$1 id=$2
	post subscriptions/listen "$id" "\"notifications\":{\"toolsListChanged\":true}${4:+,$4}" --max-time "$3" |
		while IFS= read -r l; do
			echo "$(($(date +%s%3N) - START)) $l"
		done > "$out" &
	MG_BG_PIDS="$MG_BG_PIDS $!"
}

START=$(date +%s%3N)
listen_bg "$MG_TMP/listen1" 901 4
mg_wait 5 "grep -qs 'subscriptions/acknowledged' '$MG_TMP/listen1'" ||
	fail "no acknowledgement through mcpgw within 5 s: $(cat "$MG_TMP/listen1")"
grep -q '^listen 901 open$' "$MG_TMP/upstream.log" && ! grep -q '^listen 901 closed$' "$MG_TMP/upstream.log" ||
	fail "the acknowledgement came, but the upstream does not hold listen 901 open: $(cat "$MG_TMP/upstream.log")"
ack_ms=$(grep -m1 'subscriptions/acknowledged' "$MG_TMP/listen1" | cut -d' ' -f1)
grep -q '^[0-9]* Content-Type: text/event-stream' "$MG_TMP/listen1" ||
	fail "the listen is not an SSE stream to a client that accepts one: $(head -n 8 "$MG_TMP/listen1")"
grep 'subscriptions/acknowledged' "$MG_TMP/listen1" | grep -q '"io.modelcontextprotocol/subscriptionId":901' ||
	fail "the acknowledgement lost its subscription id: $(cat "$MG_TMP/listen1")"
ok "raw: the acknowledgement came through mcpgw ${ack_ms} ms after the listen, the upstream holding it open (SSE, subscription id 901)"
mg_wait 5 "grep -qs 'tools/list_changed' '$MG_TMP/listen1'" ||
	fail "the upstream's later notification did not come through: $(cat "$MG_TMP/listen1")"
later_ms=$(grep -m1 'tools/list_changed' "$MG_TMP/listen1" | cut -d' ' -f1)
gap=$((later_ms - ack_ms))
[ $gap -ge $((LATER_MS - 100)) ] && [ $gap -le $((LATER_MS + 1500)) ] ||
	fail "the later notification came $gap ms after the acknowledgement, not about $LATER_MS"
ok "raw: the upstream's notification sent $LATER_MS ms later came $gap ms after the acknowledgement, the stream still open"

# a listen whose acknowledgement has no newline after it (the next
# message brings one, LATER_MS later): a listen is a stream from its
# first byte, so the acknowledgement does not wait
START=$(date +%s%3N)
listen_bg "$MG_TMP/listen3" 911 3 '"x-ack-without-newline":true'
mg_wait 5 "grep -qs 'subscriptions/acknowledged' '$MG_TMP/listen3'" ||
	fail "no acknowledgement without a newline within 5 s: $(cat "$MG_TMP/listen3")"
ack_ms=$(grep -m1 'subscriptions/acknowledged' "$MG_TMP/listen3" | cut -d' ' -f1)
[ "$ack_ms" -lt $((LATER_MS - 200)) ] ||
	fail "the acknowledgement without a newline came after $ack_ms ms: held back until the next line"
ok "raw: a listen's acknowledgement without a newline after it came ${ack_ms} ms after the listen, before the upstream's next line (${LATER_MS} ms)"

# a plain request answered by several lines: an SSE stream of them
post tools/call 902 '"name":"lines"' --max-time 10 > "$MG_TMP/lines"
grep -qi '^content-type: text/event-stream' "$MG_TMP/lines" &&
	[ "$(grep -c '^data: .*notifications/progress' "$MG_TMP/lines")" = 2 ] &&
	grep -q '^data: .*"id":902,"result".*after two lines' "$MG_TMP/lines" ||
	fail "a body of three lines did not come as three events: $(cat "$MG_TMP/lines")"
ok "raw: a plain request answered by three lines came as an SSE stream of three events"

# one object over many lines, in two chunks: the JSON answer, as always
post tools/call 903 '"name":"pretty"' --max-time 10 > "$MG_TMP/pretty"
grep -qi '^content-type: application/json' "$MG_TMP/pretty" &&
	sed '1,/^\r$/d' "$MG_TMP/pretty" | "$ERA_NODE22" -e '
		const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
		if (m.id !== 903 || m.result.content[0].text !== "pretty\nprinted") process.exit(1);' ||
	fail "one object over many lines did not come as its JSON answer: $(cat "$MG_TMP/pretty")"
ok "raw: one object written over many lines in two chunks came as the JSON answer it is"
post tools/list 904 '' --max-time 10 > "$MG_TMP/list"
grep -qi '^content-type: application/json' "$MG_TMP/list" && grep -q '"id":904,"result"' "$MG_TMP/list" ||
	fail "tools/list (one object, no newline) did not come as JSON: $(cat "$MG_TMP/list")"
ok "raw: an answer of one object and no newline came as JSON, as before"

# ---- hostile bodies ---------------------------------------------------------

START=$(date +%s%3N)
listen_bg "$MG_TMP/listen2" 905 20
mg_wait 5 "grep -qs 'subscriptions/acknowledged' '$MG_TMP/listen2'" ||
	fail "listen 905 was not acknowledged: $(cat "$MG_TMP/listen2")"

# hostile TOOL ID WHAT: a clear JSON-RPC error for the request
hostile() {
	post tools/call "$2" "\"name\":\"$1\"" --max-time 10 > "$MG_TMP/hostile-$1"
	grep -q "\"id\":$2,\"error\":{\"code\":-32000,\"message\":\"upstream \\\\\"nd\\\\\": $3" "$MG_TMP/hostile-$1" ||
		fail "$1: not the error \"$3\": $(cut -c1-300 "$MG_TMP/hostile-$1")"
	grep -q "upstream \"nd\": $3" "$MG_TMP/error.log" ||
		fail "$1: no log line \"$3\""
	ok "hostile: $1: $3 (the client's error and a log line)"
}
hostile garbage 906 'message 2 is not a JSON object or array'
hostile long 907 'message 2 is longer than 65536 bytes (max_message_size)'
hostile cut 908 'closed the connection in the middle of its answer (after 1 messages)'
hostile nonewline 909 'more than 65536 bytes without a newline (max_message_size)'

# nothing else was affected: the listen open all along still relays
post tools/call 910 '"name":"test_trigger_tool_change"' --max-time 10 > "$MG_TMP/trigger"
grep -q '"id":910,"result"' "$MG_TMP/trigger" || fail "the trigger failed: $(cat "$MG_TMP/trigger")"
mg_wait 5 "[ \$(grep -c 'tools/list_changed' '$MG_TMP/listen2') -ge 2 ]" ||
	fail "listen 905 stopped relaying after the hostile bodies: $(cat "$MG_TMP/listen2")"
ok "hostile: a listen open meanwhile still relays (its later notification and the trigger's)"
px_no_child_died || fail "a process died: $(grep -E 'exited' "$MG_TMP/error.log")"
ok "no process of mcpgw died"
mg_done
