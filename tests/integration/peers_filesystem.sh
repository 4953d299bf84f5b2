#!/usr/bin/env bash
# @modelcontextprotocol/server-filesystem (npm, tests/fed) over stdio
# through a plain mcpgw route (an upstream `command` whose root is a temp
# dir of the test's).
#  - the control: tests/era/peers_client.mjs with the SDK v1 client
#    directly over stdio;
#  - the same cases through the route with the SDK v1 client (2025-11-25)
#    and the SDK v2 client (2026-07-28, over the era bridge):
#    list_allowed_directories, write_file then read_text_file (whole and
#    head), create_directory and list_directory, edit_file's diff, and a
#    file outside the root refused by the server;
#  - the MCP Inspector CLI through the route: write_file, read_text_file,
#    list_directory, get_file_info, a path outside refused;
#  - the files are on disk as written;
#  - no worker or connector died.
# Needs tests/fed/node_modules and tests/era/node_modules.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
. "$(dirname "$0")/era_lib.sh"
era_need_modules
. "$(dirname "$0")/peers_lib.sh"
peers_setup

# the root, writable by the children's user, and a file outside it
mkdir -m 777 "$MG_TMP/root"
export PEERS_FS_ROOT=$MG_TMP/root PEERS_FS_OUTSIDE=$MG_TMP/outside.txt
echo "not for the server" > "$PEERS_FS_OUTSIDE"
FS="$NODE $FED_MCP/server-filesystem/dist/index.js $PEERS_FS_ROOT"
MG_PORT=$(free_port)
px_conf 2 "upstream fs { command $FS; }" "
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/fs { mcp_pass fs; }
}"
mg_start
URL=http://127.0.0.1:$MG_PORT/mcp/fs

# ---- the SDK clients: directly (the control), then through mcpgw ---------------
peers_driver "direct stdio" v1 filesystem stdio $FS
peers_driver "v1 via mcpgw stdio" v1 filesystem "$URL"
peers_driver "v2 via mcpgw stdio" v2 filesystem "$URL"

# ---- the Inspector CLI -------------------------------------------------------------
F=$PEERS_FS_ROOT/inspector.txt
peers_cli "$URL" '"name":"read_text_file"' tools/list
peers_cli "$URL" "{\"content\":[{\"type\":\"text\",\"text\":\"Successfully wrote to $F\"}]" \
	tools/call --tool-name write_file --tool-arg "path=$F" 'content=written by the inspector'
peers_cli "$URL" '"text":"written by the inspector"' tools/call --tool-name read_text_file --tool-arg "path=$F"
peers_cli "$URL" '"text":"[FILE] inspector.txt' tools/call --tool-name list_directory --tool-arg "path=$PEERS_FS_ROOT"
peers_cli "$URL" 'size: 24' tools/call --tool-name get_file_info --tool-arg "path=$F"
peers_cli "$URL" "\"text\":\"Access denied - path outside allowed directories: $PEERS_FS_OUTSIDE not in $PEERS_FS_ROOT\"}],\"isError\":true" \
	tools/call --tool-name read_text_file --tool-arg "path=$PEERS_FS_OUTSIDE"
peers_cli "$URL" '!not for the server' tools/call --tool-name read_text_file --tool-arg "path=$PEERS_FS_ROOT/../outside.txt"

[ "$(cat "$F")" = "written by the inspector" ] && ok "the file is on disk as written" ||
	check_failed "$F holds '$(cat "$F" 2> /dev/null)'"
peers_no_child_died
px_done
