#!/usr/bin/env bash
# A proxy route (mcp_pass) between two independent MCP peers: the official
# TypeScript SDK's client (StreamableHTTPClientTransport) talks through
# mcpgw (2 workers) to an upstream server written with the same SDK
# (tests/proxy/upstream_server.mjs):
#  - initialize creates a gateway session wrapping a new upstream one;
#  - tools/list and tools/call come back intact;
#  - progress notifications arrive in order, as they are sent, before the
#    result;
#  - the upstream's elicitation/create (on the POST's SSE stream) reaches
#    the client, and the client's answer reaches the upstream;
#  - aborting a call (notifications/cancelled) stops it upstream;
#  - a notification outside any request reaches the client's GET stream;
#  - two sessions whose JSON-RPC ids coincide never get each other's
#    answers;
#  - DELETE ends the session here and upstream, and the old id gets 404;
#  - the same short session works with an upstream whose session ids are
#    400 characters long (the transport allows any length of visible
#    ASCII);
#  - a call whose SSE stream the upstream closes before the result
#    (SEP-1699 polling) gets its result: the client resumes with GET and
#    Last-Event-ID.
# Each of the last two also runs without the gateway first, as a control
# (which must pass).  A failed check does not stop the others.
# Needs tests/proxy/node_modules (npm ci --prefix tests/proxy).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
px_need_modules

px_start_upstream 400
LONG_URL=$UP_URL LONG_STATS=$UP_STATS
px_start_upstream
MG_PORT=$(free_port)
px_conf 2 "" "
upstream ts {
    server $UP_URL;
}
upstream long_ids {
    server $LONG_URL;
}
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/ts { mcp_pass ts; }
    location /mcp/long { mcp_pass long_ids; }
}"
mg_start

px_run 100 sdk_through_gateway.mjs "http://127.0.0.1:$MG_PORT/mcp/ts" "$UP_STATS"
px_report sdk_through_gateway.mjs

# An upstream with 400-character session ids: the SDK client alone gets
# along with it (the control), then through the gateway.
px_run 60 sdk_through_gateway.mjs "$LONG_URL" "$LONG_STATS" basic
[ "$PX_RC" = 0 ] || fail "control: the SDK client cannot use the long-id upstream directly: $(cat "$MG_TMP/node.out")"
px_run 60 sdk_through_gateway.mjs "http://127.0.0.1:$MG_PORT/mcp/long" "$LONG_STATS" basic
px_report "sdk_through_gateway.mjs basic (400-character upstream session ids)"

# SSE polling: the upstream closes the stream, the client resumes.
px_run 60 sdk_through_gateway.mjs "$UP_URL" "$UP_STATS" resume
[ "$PX_RC" = 0 ] || fail "control: the SDK client does not resume with the upstream directly: $(cat "$MG_TMP/node.out")"
px_run 60 sdk_through_gateway.mjs "http://127.0.0.1:$MG_PORT/mcp/ts" "$UP_STATS" resume
px_report "sdk_through_gateway.mjs resume"

if px_no_child_died; then
	ok "no process of the gateway died"
else
	check_failed "a process of the gateway died: $(grep -E 'exited on signal|exited with code' "$MG_TMP/error.log")"
fi
px_done
