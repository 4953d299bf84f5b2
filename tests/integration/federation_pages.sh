#!/usr/bin/env bash
# Merged lists in pages: /mcp federates two stdio servers that answer
# their lists in pages (tests/era/paged_server.mjs: 10 tools 3 a page, 5
# resources 2 a page; prefixes a and b) and the built-in demo server.
#  - the SDK v1 and v2 clients list everything, following nextCursor:
#    23 tools, 10 resources (v1 in 4 and 3 calls; v2 follows the cursors
#    itself); a tool of a later page is called;
#  - the cursor is mcpgw's own, sealed: it names no member cursor in
#    clear ("page-"), the same cursor gives the same page again (any
#    worker), and a cursor changed by one character, one of tools/list
#    sent to resources/list, one of this route sent to another, and a
#    member's own cursor are each -32602;
#  - a member that ends its pages drops out of the cursor: the last page
#    holds only the members with more.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
. "$(dirname "$0")/era_lib.sh"
era_need_modules

NODE=$(cd "$(dirname "$ERA_NODE22")" && pwd)/node
PAGED=$(cd "$ERA_SCRIPTS" && pwd)/paged_server.mjs
chmod 755 "$MG_TMP"
MG_PORT=$(free_port)
cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes 2;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log debug;
shutdown_timeout 5s;
upstream demo { server http://127.0.0.1:$MG_PORT/mcp/demo; }
upstream pa { command $NODE $PAGED a; }
upstream pb { command $NODE $PAGED b; }
server {
    listen 127.0.0.1:$MG_PORT;
    location = /mcp/demo { mcp_builtin demo; }
    location = /mcp { mcp_member pa { prefix a; } mcp_member pb { prefix b; } mcp_member demo; }
    location = /mcp/other { mcp_member pa { prefix a; } mcp_member pb { prefix b; } mcp_member demo; }
}
CONF
mg_start
URL=http://127.0.0.1:$MG_PORT/mcp

# the SDK clients, every page
tools='"a__a_t0","a__a_t9","b__b_t0","b__b_t9","demo__echo"'
cat > "$MG_TMP/plan.json" <<EOF
[{"op":"list","what":"tools","has":[$tools],"count":23},
 {"op":"list","what":"resources","has":["a+a://r0","a+a://r4","b+b://r0","b+b://r4"],"count":10},
 {"op":"call","name":"a__a_t7","text":"a t7"},
 {"op":"call","name":"b__b_t2","text":"b t2"},
 {"op":"read","uri":"b+b://r3","text":"b r3"}]
EOF
for sdk in v1 v2; do
	PX_RC=0
	timeout -k 5 90 "$ERA_NODE22" "$ERA_SCRIPTS/fed_client.mjs" "$URL" $sdk "$MG_TMP/plan.json" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
	px_report "fed_client.mjs $sdk"
	# (the SDK v2 client follows nextCursor itself: one call)
	want='list tools: 23 items in 4 page(s)'
	[ $sdk = v2 ] && want='list tools: 23 items in 1 page(s)'
	grep -qF "$want" "$MG_TMP/node.out" ||
		check_failed "SDK $sdk: not '$want': $(grep 'list tools' "$MG_TMP/node.out")"
done

# the cursor, byte by byte
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
sid=$(curl -sS -D - -o "$MG_TMP/init.json" --max-time 10 -X POST "$URL" "${H[@]}" \
	-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' |
	tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
[ -n "$sid" ] || fail "no session: $(cat "$MG_TMP/init.json")"
S=(-H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25')
list() { # list URL METHOD [CURSOR]
	local params='{}'
	[ -n "${3:-}" ] && params="{\"cursor\":\"$3\"}"
	curl -sS --max-time 10 -X POST "$1" "${H[@]}" "${S[@]}" -d "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"$2\",\"params\":$params}"
}
cursor_of() { sed -n 's/.*"nextCursor":"\([^"]*\)".*/\1/p'; }
names_of() { grep -o '"name":"[^"]*"' | sed 's/"name":"//; s/"$//' | tr '\n' ' '; }

list "$URL" tools/list > "$MG_TMP/p1.json"
c1=$(cursor_of < "$MG_TMP/p1.json")
[ -n "$c1" ] || fail "no nextCursor on the first page: $(cat "$MG_TMP/p1.json")"
[ "$(names_of < "$MG_TMP/p1.json")" = "a__a_t0 a__a_t1 a__a_t2 b__b_t0 b__b_t1 b__b_t2 demo__echo demo__sleep demo__progress " ] ||
	fail "the first page: $(names_of < "$MG_TMP/p1.json")"
case $c1 in *page-*) fail "the cursor shows a member's own: $c1" ;; esac
ok "first page: 3 of a's, 3 of b's and demo's 3 tools, in member order; the cursor is opaque (${#c1} bytes)"

list "$URL" tools/list "$c1" > "$MG_TMP/p2.json"
list "$URL" tools/list "$c1" > "$MG_TMP/p2b.json"
[ "$(names_of < "$MG_TMP/p2.json")" = "a__a_t3 a__a_t4 a__a_t5 b__b_t3 b__b_t4 b__b_t5 " ] ||
	fail "the second page: $(names_of < "$MG_TMP/p2.json")"
[ "$(names_of < "$MG_TMP/p2.json")" = "$(names_of < "$MG_TMP/p2b.json")" ] ||
	fail "the same cursor gave another page: $(names_of < "$MG_TMP/p2b.json")"
ok "second page: only the members with more (a, b; demo had one page); the same cursor twice, the same page"

c3=$(cursor_of < "$MG_TMP/p2.json")
list "$URL" tools/list "$c3" > "$MG_TMP/p3.json"
c4=$(cursor_of < "$MG_TMP/p3.json")
list "$URL" tools/list "$c4" > "$MG_TMP/p4.json"
[ "$(names_of < "$MG_TMP/p4.json")" = "a__a_t9 b__b_t9 " ] && ! grep -q nextCursor "$MG_TMP/p4.json" ||
	fail "the last page: $(cat "$MG_TMP/p4.json")"
ok "the last page: a__a_t9 and b__b_t9, and no nextCursor"

refused() { # refused WHAT FILE
	grep -q '"code":-32602' "$2" && grep -q 'unknown cursor' "$2" || fail "$1: $(cat "$2")"
}
flip=$(printf '%s' "$c1" | sed 's/^\(.\{10\}\)\(.\)/\1\n\2/' | { read -r a; read -r b; case ${b:0:1} in A) x=B ;; *) x=A ;; esac; printf '%s%s%s' "$a" "$x" "${b:1}"; })
[ "$flip" != "$c1" ] || fail "the cursor was not changed"
list "$URL" tools/list "$flip" > "$MG_TMP/r1.json"
refused "a cursor changed by one character" "$MG_TMP/r1.json"
list "$URL" resources/list "$c1" > "$MG_TMP/r2.json"
refused "a tools/list cursor sent to resources/list" "$MG_TMP/r2.json"
list "$URL" tools/list "page-3" > "$MG_TMP/r3.json"
refused "a member's own cursor" "$MG_TMP/r3.json"
osid=$(curl -sS -D - -o /dev/null --max-time 10 -X POST "$URL/other" "${H[@]}" \
	-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' |
	tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
curl -sS --max-time 10 -X POST "$URL/other" "${H[@]}" -H "Mcp-Session-Id: $osid" -H 'MCP-Protocol-Version: 2025-11-25' \
	-d "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{\"cursor\":\"$c1\"}}" > "$MG_TMP/r4.json"
refused "a cursor of /mcp sent to /mcp/other" "$MG_TMP/r4.json"
ok "refused with -32602 unknown cursor: a cursor changed by one character, sent to another list, to another route, and a member's own"

px_no_child_died || fail "a process of the gateway died: $(grep -E 'exited on signal|exited with code' "$MG_TMP/error.log")"
px_done
