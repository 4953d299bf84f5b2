# Helpers shared by the mcp_*.sh integration tests (sourced after lib.sh):
# a configuration with the built-in "demo" MCP server, requests with curl,
# and exact checks of status, headers and JSON-RPC bodies.
#
# JSON is checked by value with "node -e" (the Node.js that the SDK tests
# need anyway), never by a text match that would depend on the server's
# whitespace or key order; integers too large for a double are checked on
# the raw text.

# mcp_conf WORKERS MAIN-LINES SERVER-LINES LOCATION-LINES [MORE-LOCATIONS]
# Writes $MG_TMP/mcpgw.conf: one server on $MG_PORT with the demo server at
# /mcp/demo.
mcp_conf() {
	cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes $1;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log debug;
shutdown_timeout 5s;
$2
server {
    listen 127.0.0.1:$MG_PORT;
    $3
    location /mcp/demo {
        mcp_builtin demo;
        $4
    }
    ${5:-}
}
CONF
}

# Node is needed to check JSON by value.
mcp_need_node() {
	command -v node > /dev/null 2>&1 ||
		fail "node (Node.js >= 18) is needed: apt-get install nodejs npm, then npm ci --prefix $NODE_DIR"
}

MCP_V=2025-11-25
B= H=
SID=

mcp_init_files() {
	B=$MG_TMP/body
	H=$MG_TMP/headers
	URL=${URL:-http://127.0.0.1:$MG_PORT/mcp/demo}
}

# req ARGS...: curl with ARGS; the status goes to $ST, the body to $B and
# the headers to $H.  Never more than 10 s.
req() {
	rm -f "$B" "$H"
	ST=$(curl -sS -o "$B" -D "$H" -w '%{http_code}' --max-time 10 "$@" 2>"$MG_TMP/curl.err")
}

# post DATA [ARGS...]: a POST of DATA as a well-formed MCP client sends it,
# without a session.
post() {
	local data=$1
	shift
	req -X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' "$@" \
		--data-binary "$data" "$URL"
}

# spost DATA [ARGS...]: post within the session $SID, version header set.
spost() {
	local data=$1
	shift
	post "$data" -H "Mcp-Session-Id: $SID" -H "MCP-Protocol-Version: $MCP_V" "$@"
}

# hdr NAME: the value of header NAME in the last response ("" if absent).
hdr() {
	tr -d '\r' < "$H" | awk -v n="$1" 'BEGIN { n = tolower(n) }
		/^HTTP\// { v = "" }
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v) } }
		END { print v }'
}

# what: the last exchange, for failure messages.
what() {
	local err=
	[ "$ST" = 000 ] && err="; curl: $(cat "$MG_TMP/curl.err" 2> /dev/null)"
	echo "status $ST; headers: $(tr -d '\r' < "$H" 2> /dev/null | tr '\n' '|'); body: $(head -c 600 "$B" 2> /dev/null)$err"
}

# jtrue EXPR [FILE]: the JSON in FILE (default the body) satisfies the
# JavaScript expression EXPR over m (the parsed value).
jtrue() {
	node -e '
const fs = require("fs");
let m;
try { m = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch (e) { process.exit(2); }
const f = new Function("m", "return (" + process.argv[2] + ");");
let r = false;
try { r = f(m); } catch (e) { r = false; }
process.exit(r ? 0 : 1);' "${2:-$B}" "$1"
}

# expect STATUS EXPR WHAT: the last response has STATUS and a JSON body
# satisfying EXPR; else fail with WHAT and the exchange.
expect() {
	[ "$ST" = "$1" ] || fail "$3: expected HTTP $1; $(what)"
	jtrue "$2" || fail "$3: body does not satisfy $2; $(what)"
}

# A JSON-RPC error object with CODE (a number, or "any") and id ID (JS).
rpc_err() {
	local code="typeof m.error.code === 'number' && Number.isInteger(m.error.code)"
	[ "$1" = any ] || code="m.error.code === $1"
	echo "m.jsonrpc === '2.0' && $code && typeof m.error.message === 'string' && m.error.message.length > 0 && !('result' in m) && m.id !== null && ($2)"
}

# The id of an error from a layer that may refuse before it parsed the
# body: none (the MCP schemas have no null id), or the request's own.
id_null_or() {
	echo "(m.id === undefined || m.id === $1)"
}

# ctype_is TYPE: the media type of the last response is TYPE.
ctype_is() {
	local ct
	ct=$(hdr Content-Type | tr 'A-Z' 'a-z')
	[ "${ct%%;*}" = "$1" ]
}

init_body() {
	printf '{"jsonrpc":"2.0","id":%s,"method":"initialize","params":{"protocolVersion":"%s","capabilities":{},"clientInfo":{"name":"mcpgw-tests","version":"1.0"}}}' "${2:-1}" "$1"
}

# new_session [VERSION]: initialize, check the answer, send
# notifications/initialized; the session id goes to $SID.
new_session() {
	local v=${1:-2025-11-25}
	post "$(init_body "$v")"
	expect 200 "m.id === 1 && m.result.protocolVersion === '$v'" "initialize $v"
	SID=$(hdr Mcp-Session-Id)
	[ -n "$SID" ] || fail "initialize: no Mcp-Session-Id; $(what)"
	MCP_V=$v
	spost '{"jsonrpc":"2.0","method":"notifications/initialized"}'
	[ "$ST" = 202 ] || fail "notifications/initialized: expected 202; $(what)"
}

echo_body() {
	printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"echo","arguments":{"message":"%s"}}}' "$1" "$2"
}

# The result of echo MESSAGE for request ID (JS literals).
echo_ok() {
	echo "m.jsonrpc === '2.0' && m.id === $1 && !('error' in m) && Array.isArray(m.result.content) && m.result.content.length === 1 && m.result.content[0].type === 'text' && m.result.content[0].text === 'echo: ' + $2 && m.result.isError !== true"
}

# sse_json FILE OUT: the SSE stream in FILE as a JSON object in OUT:
# {events: [parsed data of each event with data], comments: [...], ids: [...]}
sse_json() {
	node -e '
const fs = require("fs");
const text = fs.readFileSync(process.argv[1], "utf8");
const out = { events: [], comments: [], ids: [], raw: [] };
let data = [], id = null;
for (const line of text.split(/\r\n|\r|\n/)) {
	if (line === "") {
		if (data.length) {
			const d = data.join("\n");
			out.raw.push(d);
			if (d !== "") {
				try { out.events.push(JSON.parse(d)); } catch (e) { out.events.push({ unparsable: d }); }
			}
		}
		if (id !== null) out.ids.push(id);
		data = []; id = null;
		continue;
	}
	if (line[0] === ":") { out.comments.push(line.slice(1).trim()); continue; }
	const i = line.indexOf(":");
	const field = i < 0 ? line : line.slice(0, i);
	let value = i < 0 ? "" : line.slice(i + 1);
	if (value[0] === " ") value = value.slice(1);
	if (field === "data") data.push(value);
	else if (field === "id") id = value;
}
fs.writeFileSync(process.argv[2], JSON.stringify(out));' "$1" "$2"
}

# worker_ok: the daemon's workers never died (no respawn logged).
no_child_died() {
	! grep -E 'process [0-9]+ exited on signal|exited with code [1-9]' "$MG_TMP/error.log" > /dev/null
}

MG_SRCDIR=${MG_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NODE_DIR=$MG_SRCDIR/tests/node
# Where the pinned SDK is installed: tests/node/node_modules, or elsewhere
# when the source tree is read-only (make distcheck): MG_NODE_MODULES.
MG_NODE_MODULES=${MG_NODE_MODULES:-$NODE_DIR/node_modules}

# The Node.js tests need node >= 18 and the pinned SDK in tests/node.
# Missing, the test fails (a skipped peer would hide a broken gateway).
mcp_need_sdk() {
	mcp_need_node
	node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' ||
		fail "node $(node --version) is too old: Node.js >= 18 is needed"
	[ -f "$MG_NODE_MODULES/@modelcontextprotocol/sdk/package.json" ] ||
		fail "$MG_NODE_MODULES has no @modelcontextprotocol/sdk: install the pinned SDK with: npm ci --prefix $NODE_DIR (or point MG_NODE_MODULES at a node_modules that has it)"
}

# run_node SCRIPT ARGS...: run a tests/node script, its lines indented;
# fails the test if the script fails.
run_node() {
	local script=$1 dir=$NODE_DIR rc
	shift
	if [ "$MG_NODE_MODULES" != "$NODE_DIR/node_modules" ]; then
		# ESM imports resolve from the script's own directory.
		dir=$MG_TMP/node
		mkdir -p "$dir"
		cp "$NODE_DIR/$script" "$dir/"
		ln -sfn "$MG_NODE_MODULES" "$dir/node_modules"
	fi
	node "$dir/$script" "$@" > "$MG_TMP/node.out" 2>&1
	rc=$?
	sed 's/^/    /' "$MG_TMP/node.out"
	[ $rc = 0 ] || fail "$script exited $rc: $(grep -m1 '^FAIL' "$MG_TMP/node.out")"
}

# --- raw HTTP on a connection of our own, to see which worker serves it ---

# raw_open FD: a new connection to $MG_PORT on file descriptor FD (3..9).
raw_open() {
	eval "exec $1<>/dev/tcp/127.0.0.1/$MG_PORT" || fail "cannot connect to $MG_PORT"
}

raw_close() {
	eval "exec $1<&- $1>&-"
}

# raw_post FD BODY [HEADER-LINE...]: a keep-alive POST of BODY on FD.
raw_post() {
	local fd=$1 body=$2 h extra=
	shift 2
	for h in "$@"; do extra="$extra$h"$'\r\n'; done
	printf 'POST /mcp/demo HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n%sContent-Length: %s\r\n\r\n%s' \
		"$MG_PORT" "$extra" "$(LC_ALL=C; printf '%s' "${#body}")" "$body" >&"$fd"
}

# raw_read FD [SECONDS]: one response, its body sized by Content-Length
# or chunked: RAW_STATUS (empty if the connection closed or timed out
# first), RAW_BODY, and RAW_ENDED (1 when the whole body arrived).
raw_read() {
	local fd=$1 t=${2:-5} line len=0 chunked=0 size chunk
	local LC_ALL=C
	RAW_STATUS= RAW_BODY= RAW_ENDED=0
	IFS= read -r -t "$t" -u "$fd" line || return 1
	line=${line%$'\r'}
	RAW_STATUS=$(echo "$line" | cut -d' ' -f2)
	while IFS= read -r -t "$t" -u "$fd" line; do
		line=${line%$'\r'}
		[ -z "$line" ] && break
		case ${line,,} in
		content-length:*) len=${line#*:}; len=${len// /} ;;
		transfer-encoding:*chunked*) chunked=1 ;;
		esac
	done
	if [ $chunked = 0 ]; then
		[ "$len" -gt 0 ] && { IFS= read -r -t "$t" -N "$len" -u "$fd" RAW_BODY || return 0; }
		RAW_ENDED=1
		return 0
	fi
	while IFS= read -r -t "$t" -u "$fd" line; do
		line=${line%%[;$'\r']*}
		[ -n "$line" ] || continue
		size=$((16#$line))
		if [ "$size" = 0 ]; then
			IFS= read -r -t "$t" -u "$fd" line	# the CRLF after the last chunk
			RAW_ENDED=1
			return 0
		fi
		IFS= read -r -t "$t" -N "$size" -u "$fd" chunk || return 0
		RAW_BODY=$RAW_BODY$chunk
		IFS= read -r -t "$t" -u "$fd" line	# the chunk's CRLF
	done
	return 0
}

# hexport N: a port as /proc/net/tcp writes it.
hexport() {
	printf '%04X' "$1"
}

# raw_worker FD WORKERS: the pid among WORKERS holding the server end of
# our connection on FD (found through /proc/net/tcp and the workers' fds).
raw_worker() {
	local ino lport sino w
	ino=$(readlink "/proc/$$/fd/$1")
	ino=${ino#socket:[}
	ino=${ino%]}
	lport=$(awk -v i="$ino" '$10 == i { split($2, a, ":"); print a[2] }' /proc/net/tcp)
	[ -n "$lport" ] || return 1
	sino=$(awk -v l="$(hexport "$MG_PORT")" -v r="$lport" \
		'{ split($2, a, ":"); split($3, b, ":"); if (a[2] == l && b[2] == r) print $10 }' /proc/net/tcp)
	[ -n "$sino" ] && [ "$sino" != 0 ] || return 1
	for w in $2; do
		if ls -l "/proc/$w/fd" 2> /dev/null | grep -qF "socket:[$sino]"; then
			echo "$w"
			return 0
		fi
	done
	return 1
}
