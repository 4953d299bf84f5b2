#!/usr/bin/env bash
# One route over servers nobody here wrote: /mcp federates
#   demo  the built-in demo server (through the connector, prefix demo)
#   evh   @modelcontextprotocol/server-everything, Streamable HTTP (prefix evh)
#   ev    the same server over stdio (prefix ev; echo renamed say, get-env denied)
#   evl   the same server in its legacy HTTP+SSE mode (revision 2024-11-05,
#         found by protocol auto; prefix evl)
#   mem   @modelcontextprotocol/server-memory over stdio (prefix mem)
#   fs    @modelcontextprotocol/server-filesystem over stdio, a temp root
#         (prefix fs; read and list tools only, list_directory shown as ls)
#  - the SDK v1 client (2025-11-25) and the SDK v2 client (2026-07-28, each
#    member over the era bridge) list every member's tools, prompts and
#    resources under their names, and call tools of every member, with
#    progress; the denied and the renamed-away names are refused;
#  - the MCP Inspector CLI lists and calls through the route;
#  - evh is killed mid-run: one session kept across it (curl) gets its
#    list from the others, a JSON-RPC error naming evh for evh's tool, and
#    the error log names the member; evh restarted on its port, the same
#    session calls it again (its upstream session opened again); the SDK
#    clients' runs pass again.
# Needs tests/fed/node_modules and tests/era/node_modules.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
. "$(dirname "$0")/era_lib.sh"
era_need_modules
. "$(dirname "$0")/peers_lib.sh"
peers_setup

mkdir -m 777 "$MG_TMP/memory" "$MG_TMP/root"
echo "hello federation" > "$MG_TMP/root/hello.txt"
chmod 644 "$MG_TMP/root/hello.txt"
EV="$NODE $FED_MCP/server-everything/dist/index.js stdio"
MEM="/usr/bin/env MEMORY_FILE_PATH=$MG_TMP/memory/graph.jsonl $NODE $FED_MCP/server-memory/dist/index.js"
FS="$NODE $FED_MCP/server-filesystem/dist/index.js $MG_TMP/root"
peers_start_everything_http
EVH_PID=${MG_BG_PIDS##* } # its process: other tests may run the same server
EVL_PORT=$(free_port)
PORT=$EVL_PORT "$NODE" --require "$MG_SRCDIR/bench/stdio/loopback.cjs" \
	"$FED_MCP/server-everything/dist/index.js" sse > "$MG_TMP/everything-sse.log" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
disown $!
mg_wait 15 "grep -q 'running on port $EVL_PORT' '$MG_TMP/everything-sse.log'" ||
	fail "server-everything sse did not start: $(tail -n 5 "$MG_TMP/everything-sse.log")"
MG_PORT=$(free_port)
px_conf 2 "
upstream demo { server http://127.0.0.1:$MG_PORT/mcp/demo; }
upstream evh { server http://127.0.0.1:$EVH_PORT/mcp; connect_timeout 2s; }
upstream evl { server http://127.0.0.1:$EVL_PORT/sse; }
upstream ev { command $EV; }
upstream mem { command $MEM; }
upstream fs { command $FS; }" "
server {
    listen 127.0.0.1:$MG_PORT;
    location = /mcp/demo { mcp_builtin demo; }
    location = /mcp {
        mcp_member demo;
        mcp_member evh;
        mcp_member evl;
        mcp_member ev { tool_rename echo say; tools_deny get-env; }
        mcp_member mem;
        mcp_member fs {
            tools_allow read_* list_* get_file_info search_files;
            tool_rename list_directory ls;
        }
        mcp_member_timeout 5s;
    }
}"
mg_start
URL=http://127.0.0.1:$MG_PORT/mcp

fed_client() { # WHAT SDK PLAN
	PX_RC=0
	timeout -k 5 90 "$ERA_NODE22" "$ERA_SCRIPTS/fed_client.mjs" "$URL" "$2" "$3" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
	sed -i "s/^ok - /ok - $1: /" "$MG_TMP/node.out"
	px_report "fed_client.mjs $1"
}

E=fed-$$
cat > "$MG_TMP/all.json" <<EOF
[{"op":"list","what":"tools","has":["demo__echo","evh__echo","evh__get-sum","evl__echo","evl__get-sum","ev__say","ev__get-sum","ev__trigger-long-running-operation",
   "mem__create_entities","mem__read_graph","fs__read_text_file","fs__ls","fs__list_allowed_directories"],
  "lacks":["ev__echo","ev__get-env","fs__write_file","fs__list_directory","fs__edit_file","echo","say"]},
 {"op":"list","what":"prompts","has":["evh__simple-prompt","ev__simple-prompt"]},
 {"op":"list","what":"resources","has":["mem+memory://knowledge-graph"]},
 {"op":"list","what":"resourceTemplates","has":["evh+demo://resource/dynamic/text/{resourceId}"]},
 {"op":"call","name":"demo__echo","args":{"message":"to demo"},"text":"to demo"},
 {"op":"call","name":"evh__echo","args":{"message":"to evh"},"text":"Echo: to evh"},
 {"op":"call","name":"evl__echo","args":{"message":"to evl"},"text":"Echo: to evl"},
 {"op":"progress","name":"evl__trigger-long-running-operation","args":{"duration":1,"steps":3},"min":3},
 {"op":"call","name":"ev__say","args":{"message":"to ev"},"text":"Echo: to ev"},
 {"op":"call","name":"ev__get-sum","args":{"a":2,"b":40},"text":"The sum of 2 and 40 is 42."},
 {"op":"progress","name":"ev__trigger-long-running-operation","args":{"duration":1,"steps":3},"min":3},
 {"op":"call","name":"mem__create_entities","args":{"entities":[{"name":"$E-SDK","entityType":"test","observations":["federated"]}]},"text":"$E-SDK"},
 {"op":"call","name":"fs__read_text_file","args":{"path":"$MG_TMP/root/hello.txt"},"text":"hello federation"},
 {"op":"call","name":"fs__ls","args":{"path":"$MG_TMP/root"},"text":"[FILE] hello.txt"},
 {"op":"call","name":"fs__write_file","args":{"path":"$MG_TMP/root/x.txt","content":"x"},"error":"no tool \"fs__write_file\" here"},
 {"op":"call","name":"ev__get-env","args":{},"error":"no tool \"ev__get-env\" here"},
 {"op":"prompt","name":"evh__simple-prompt","text":"This is a simple prompt without arguments."},
 {"op":"read","uri":"evh+demo://resource/dynamic/text/1","text":"Resource 1"}]
EOF
sed "s/$E-SDK/$E-SDK1/" "$MG_TMP/all.json" > "$MG_TMP/v1.json"
sed "s/$E-SDK/$E-SDK2/" "$MG_TMP/all.json" > "$MG_TMP/v2.json"
sed "s/$E-SDK/$E-SDK3/" "$MG_TMP/all.json" > "$MG_TMP/v1b.json"
fed_client "v1" v1 "$MG_TMP/v1.json"
fed_client "v2" v2 "$MG_TMP/v2.json"

# the Inspector CLI, through the route
peers_cli "$URL" '"name":"fs__ls"' tools/list
peers_cli "$URL" '!"name":"fs__write_file"' tools/list
peers_cli "$URL" 'Echo: from the inspector' tools/call --tool-name evh__echo --tool-arg 'message=from the inspector'
peers_cli "$URL" '"uri":"mem+memory://knowledge-graph"' resources/list

# ---- a member killed mid-run ----------------------------------------------------
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
sid=$(curl -sS -D - -o "$MG_TMP/init.json" --max-time 10 -X POST "$URL" "${H[@]}" \
	-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' |
	tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
[ -n "$sid" ] || fail "no session: $(cat "$MG_TMP/init.json")"
S=(-H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25')
post() { curl -sS --max-time 15 -X POST "$URL" "${H[@]}" "${S[@]}" -d "$1"; }
post '{"jsonrpc":"2.0","method":"notifications/initialized"}' > /dev/null
post '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"evh__echo","arguments":{"message":"before"}}}' | grep -q 'Echo: before' ||
	fail "evh__echo before the kill"
grep -q 'streamableHttp' "/proc/$EVH_PID/cmdline" 2> /dev/null || fail "$EVH_PID is not server-everything"
kill -KILL "$EVH_PID"
mg_wait 5 "! kill -0 $EVH_PID 2>/dev/null" || fail "server-everything did not die"
post '{"jsonrpc":"2.0","id":3,"method":"tools/list"}' > "$MG_TMP/list-down.json"
grep -q '"name":"demo__echo"' "$MG_TMP/list-down.json" && grep -q '"name":"fs__ls"' "$MG_TMP/list-down.json" &&
	! grep -q '"name":"evh__echo"' "$MG_TMP/list-down.json" ||
	fail "tools/list with evh down: $(grep -o '"name":"[^"]*"' "$MG_TMP/list-down.json" | tr '\n' ' ') $(grep -o '"error".*' "$MG_TMP/list-down.json")"
mg_wait 3 "grep -q 'route \"/mcp\": member \"evh\" failed to a list' '$MG_TMP/error.log'" ||
	fail "the error log does not name evh: $(grep 'member' "$MG_TMP/error.log" | tail -n 3)"
post '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"evh__echo","arguments":{"message":"down"}}}' > "$MG_TMP/call-down.json"
grep -q '"error"' "$MG_TMP/call-down.json" && grep -q 'upstream \\"evh\\"' "$MG_TMP/call-down.json" ||
	fail "evh__echo with evh down: $(cat "$MG_TMP/call-down.json")"
post '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"ev__say","arguments":{"message":"still here"}}}' | grep -q 'Echo: still here' ||
	fail "ev__say with evh down"
ok "evh killed: the list from the other members (error log names evh), evh__echo a JSON-RPC error naming it, the others' tools answer"

# back on its port: the same session reaches it again
PORT=$EVH_PORT "$NODE" --require "$MG_SRCDIR/bench/stdio/loopback.cjs" \
	"$FED_MCP/server-everything/dist/index.js" streamableHttp > "$MG_TMP/everything-http2.log" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
disown $!
mg_wait 10 "grep -q 'listening on port $EVH_PORT' '$MG_TMP/everything-http2.log' 2> /dev/null" || fail "server-everything did not come back"
post '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"evh__echo","arguments":{"message":"after"}}}' > "$MG_TMP/call-back.json"
grep -q 'Echo: after' "$MG_TMP/call-back.json" || fail "evh__echo after evh came back: $(cat "$MG_TMP/call-back.json")"
post '{"jsonrpc":"2.0","id":7,"method":"tools/list"}' | grep -q '"name":"evh__echo"' || fail "evh's tools not listed again"
# (server-everything answers a session it does not know 400 "No valid
# session ID provided", not 404: the connector reads the body)
grep -q 'upstream "evh" answered 400 naming the session: it forgot it; opening it again' "$MG_TMP/error.log" ||
	fail "the connector did not open evh's session again: $(grep evh "$MG_TMP/error.log" | tail -n 3)"
ok "evh back: the same session calls evh__echo again (its upstream session opened again after a 400 naming it) and lists its tools"
fed_client "v1 after" v1 "$MG_TMP/v1b.json"

grep -q 'upstream "evl"' "$MG_TMP/error.log" && grep -qi 'HTTP+SSE' "$MG_TMP/error.log" ||
	check_failed "the connector did not say it found evl to be a legacy HTTP+SSE server: $(grep evl "$MG_TMP/error.log" | head -n 3)"
peers_no_child_died
px_done
