#!/usr/bin/env bash
# @modelcontextprotocol/server-memory (npm, tests/fed) over stdio through
# a plain mcpgw route (an upstream `command`; its knowledge graph in a
# file of the test's, MEMORY_FILE_PATH set with /usr/bin/env).
#  - the control: tests/era/peers_client.mjs with the SDK v1 client
#    directly over stdio;
#  - the same cases through the route with the SDK v1 client (2025-11-25)
#    and the SDK v2 client (2026-07-28, over the era bridge):
#    create_entities and create_relations, then read_graph, search_nodes
#    and open_nodes show them, the knowledge-graph resource listed and
#    read, resources/subscribe then add_observations gives
#    notifications/resources/updated (v1), delete_entities, a call with a
#    missing argument gives an error;
#  - the MCP Inspector CLI through the route: create_entities, then
#    open_nodes, read_graph and resources/read show the entity (each run
#    is a new session, so a new process: the graph is in the file);
#  - the graph file holds what the clients wrote;
#  - no worker or connector died.
# Needs tests/fed/node_modules and tests/era/node_modules.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
. "$(dirname "$0")/era_lib.sh"
era_need_modules
. "$(dirname "$0")/peers_lib.sh"
peers_setup

# the graph's file, writable by the children's user
mkdir -m 777 "$MG_TMP/memory"
GRAPH=$MG_TMP/memory/graph.jsonl
MEM="/usr/bin/env MEMORY_FILE_PATH=$GRAPH $NODE $FED_MCP/server-memory/dist/index.js"
MG_PORT=$(free_port)
px_conf 2 "upstream mem { command $MEM; }" "
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/mem { mcp_pass mem; }
}"
mg_start
URL=http://127.0.0.1:$MG_PORT/mcp/mem

# ---- the SDK clients: directly (the control), then through mcpgw ---------------
peers_driver "direct stdio" v1 memory stdio $MEM
peers_driver "v1 via mcpgw stdio" v1 memory "$URL"
peers_driver "v2 via mcpgw stdio" v2 memory "$URL"

# ---- the Inspector CLI -------------------------------------------------------------
E=inspector-$$
peers_cli "$URL" '"name":"create_entities"' tools/list
peers_cli "$URL" "\"structuredContent\":{\"entities\":[{\"name\":\"$E\",\"entityType\":\"cli\"" tools/call --tool-name create_entities \
	--tool-arg "entities=[{\"name\":\"$E\",\"entityType\":\"cli\",\"observations\":[\"made by the inspector\"]}]"
peers_cli "$URL" "\"structuredContent\":{\"entities\":[{\"name\":\"$E\",\"entityType\":\"cli\",\"observations\":[\"made by the inspector\"]}],\"relations\":[]}" \
	tools/call --tool-name open_nodes --tool-arg "names=[\"$E\"]"
peers_cli "$URL" "\"name\\\": \\\"$E\\\"" tools/call --tool-name read_graph
peers_cli "$URL" '"uri":"memory://knowledge-graph"' resources/list
peers_cli "$URL" "\"name\\\": \\\"$E\\\"" resources/read --uri memory://knowledge-graph
peers_cli "$URL" '"isError":true' tools/call --tool-name create_entities

grep -qF "\"name\":\"$E\"" "$GRAPH" && ok "the graph file holds the entity the inspector made" ||
	check_failed "the graph file lacks $E: $(head -c 400 "$GRAPH")"
peers_no_child_died
px_done
