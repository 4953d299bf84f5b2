#!/usr/bin/env bash
# The client's own token on its way upstream (docs/configuration.md, "The
# upstreams' credentials"): forward_client_token and oauth_token_exchange
# (RFC 8693), on routes protected by auth_jwt (tokens signed by
# tests/node/jwt.mjs).  The peer is tests/proxy/cred_server.mjs: an MCP
# upstream whose tool whoami says the Authorization it got, and a token
# endpoint whose token-exchange grant answers xt-N-SUB for a subject token
# of sub SUB, and refuses sub "refused".
#  - mcpgw -t refuses a location passing to such an upstream without
#    auth_jwt, naming it;
#  - forward_client_token on: the upstream sees the client's token;
#  - by default (an upstream without either): it sees none;
#  - oauth_token_exchange: the upstream sees the exchanged token; one
#    exchange for a client's many calls, five first requests at once
#    included; a second client gets its own; the form was a token-exchange
#    grant with the client's token as subject_token and the audience;
#  - a refused exchange: the client gets a JSON-RPC error naming the
#    upstream (not the endpoint's 401);
#  - token_cache 2: a third client's exchange evicts the oldest, whose next
#    call exchanges again;
#  - no client token and no exchanged token is written to the error log.
# oidc-provider (tests/auth/issuer.mjs) has no token-exchange grant of its
# own (it would take a custom grant handler), so it is not used here.
# Needs tests/proxy/node_modules (npm ci --prefix tests/proxy).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"

px_setup
px_need_modules
MG_PORT=$(free_port)
PEER_PORT=$(free_port)
URL=http://127.0.0.1:$MG_PORT
PEER=http://127.0.0.1:$PEER_PORT
JWT="$PX_NODE $MG_SRCDIR/tests/node/jwt.mjs"
ISS=https://issuer.test/

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$MG_TMP/rs.pem" 2> /dev/null || fail "openssl RSA"
$JWT jwks "$MG_TMP/rs.pem:k1:RS256" > "$MG_TMP/jwks.json" || fail "jwt.mjs jwks"
printf '%s\n' 'S3cret-client' > "$MG_TMP/client.secret"
chmod 600 "$MG_TMP/client.secret"

# jwt SUB: a token for the gateway, valid for an hour
jwt() {
	local now
	now=$(date +%s)
	$JWT sign "$MG_TMP/rs.pem" '{"alg":"RS256","kid":"k1","typ":"JWT"}' \
		"{\"iss\":\"$ISS\",\"aud\":\"mcpgw-test\",\"sub\":\"$1\",\"iat\":$now,\"exp\":$((now + 3600))}"
}
T_ALICE=$(jwt alice)
T_BOB=$(jwt bob)
T_CAROL=$(jwt carol)
T_REFUSED=$(jwt refused)

# post PATH SID TOKEN BODY: the HTTP status printed; the answer in
# $MG_TMP/post.out, its headers in $MG_TMP/post.hdr
post() {
	local path=$1 sid=$2 tok=$3 body=$4 h=() out=${5:-$MG_TMP/post}
	[ -z "$sid" ] || h=(-H "Mcp-Session-Id: $sid" -H "MCP-Protocol-Version: 2025-11-25")
	curl -sS --max-time 10 -o "$out.out" -D "$out.hdr" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "Authorization: Bearer $tok" "${h[@]}" --data-binary "$body" "$URL$path"
}
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"upstream_exchange.sh","version":"1.0.0"}}}'
# open_session PATH TOKEN: the session id in $SID
open_session() {
	local code
	code=$(post "$1" "" "$2" "$INIT")
	[ "$code" = 200 ] && grep -q '"result"' "$MG_TMP/post.out" ||
		fail "initialize on $1: $code $(cat "$MG_TMP/post.out")"
	SID=$(sed -n 's/^[Mm][Cc][Pp]-[Ss]ession-[Ii][Dd]: *\([^[:space:]]*\).*/\1/p' "$MG_TMP/post.hdr")
	[ -n "$SID" ] || fail "initialize on $1: no Mcp-Session-Id"
	post "$1" "$SID" "$2" '{"jsonrpc":"2.0","method":"notifications/initialized"}' > /dev/null
}
# whoami PATH SID TOKEN: the Authorization the upstream got
whoami() {
	post "$1" "$2" "$3" '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"whoami","arguments":{}}}' > /dev/null
	sed -n 's/.*"text":"\([^"]*\)".*/\1/p' "$MG_TMP/post.out"
}
exchanges() {
	curl -sS --max-time 5 "$PEER/stats" | sed -n 's/.*"exchanges":\([0-9]*\).*/\1/p'
}
# expect WHAT GOT WANT
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else check_failed "$1: got \"$2\", want \"$3\""; fi
}

# ---- mcpgw -t: a location that asks for no token ----------------------------
cat > "$MG_TMP/bad.conf" << CONF
upstream f {
    server $PEER/mcp;
    forward_client_token on;
}
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp { mcp_pass f; }
}
CONF
if out=$("$MCPGW" -t -c "$MG_TMP/bad.conf" 2>&1); then
	check_failed "mcpgw -t accepted forwarding on a route without auth_jwt"
elif [[ $out == *"location \"/mcp\" passes to upstream \"f\", which has \"forward_client_token on\", but asks for no token: add \"auth_jwt\" in $MG_TMP/bad.conf:7"* ]]; then
	ok "mcpgw -t refuses forwarding on a route without auth_jwt, naming it"
else
	check_failed "mcpgw -t on a route without auth_jwt: $out"
fi

# ---- the peer and the gateway -----------------------------------------------
"$PX_NODE" "$PX_DIR/cred_server.mjs" "$PEER_PORT" mcpgw-client 'S3cret-client' > "$MG_TMP/peer.log" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
disown $!
mg_wait 10 "grep -q '^listening $PEER_PORT\$' '$MG_TMP/peer.log'" ||
	fail "cred_server.mjs did not listen: $(cat "$MG_TMP/peer.log")"

px_conf 1 "" "
upstream fwd {
    server $PEER/mcp;
    forward_client_token on;
}
upstream plain {
    server $PEER/mcp;
}
upstream xch {
    server $PEER/mcp;
    oauth_token_exchange {
        token_url $PEER/token;
        client_id mcpgw-client;
        client_secret_file client.secret;
        audience https://upstream.example/mcp;
        token_cache 2;
    }
}
server {
    listen 127.0.0.1:$MG_PORT;
    auth_jwt {
        issuer $ISS;
        audience mcpgw-test;
        jwks_file jwks.json;
    }
    location /fwd { mcp_pass fwd; }
    location /plain { mcp_pass plain; }
    location /xch { mcp_pass xch; }
}"
mg_start

# ---- forward_client_token ---------------------------------------------------
open_session /fwd "$T_ALICE"
expect "forward_client_token on: the upstream sees the client's token" \
	"$(whoami /fwd "$SID" "$T_ALICE")" "Bearer $T_ALICE"
open_session /plain "$T_ALICE"
expect "by default the upstream sees no token of the client" \
	"$(whoami /plain "$SID" "$T_ALICE")" "(none)"

# ---- oauth_token_exchange ---------------------------------------------------
open_session /xch "$T_ALICE"
A_SID=$SID
got=$(whoami /xch "$A_SID" "$T_ALICE")
expect "oauth_token_exchange: the upstream sees the exchanged token" "$got" "Bearer xt-1-alice"
for i in 1 2 3 4 5; do whoami /xch "$A_SID" "$T_ALICE" > /dev/null; done
expect "one exchange for a client's many requests" "$(exchanges)" 1
form=$(curl -sS --max-time 5 "$PEER/stats" | sed -n 's/.*"forms":\["\([^"]*\)".*/\1/p')
case $form in
"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=$T_ALICE&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&audience=https%3A%2F%2Fupstream.example%2Fmcp")
	ok "the exchange is a token-exchange grant of the client's token, with the audience" ;;
*) check_failed "the exchange's form: $form" ;;
esac

# five first requests of a new client at once: one exchange
for i in 1 2 3 4 5; do
	post /xch "" "$T_BOB" "$INIT" "$MG_TMP/par$i" > "$MG_TMP/par$i.code" &
done
wait
n=0
for i in 1 2 3 4 5; do
	[ "$(cat "$MG_TMP/par$i.code")" = 200 ] && grep -q '"result"' "$MG_TMP/par$i.out" && n=$((n + 1))
done
expect "five first requests of a client at once all succeed" "$n" 5
expect "... with one exchange between them" "$(exchanges)" 2
open_session /xch "$T_BOB"
expect "a second client gets its own exchanged token" "$(whoami /xch "$SID" "$T_BOB")" "Bearer xt-2-bob"
expect "... and the first still its own, without exchanging again" \
	"$(whoami /xch "$A_SID" "$T_ALICE")/$(exchanges)" "Bearer xt-1-alice/2"

# a subject token the authorization server refuses
code=$(post /xch "" "$T_REFUSED" "$INIT")
if [ "$code" != 401 ] && grep -q '"error"' "$MG_TMP/post.out" &&
	grep -qF "upstream \\\"xch\\\": cannot exchange the client's token (the token endpoint answered HTTP 401: invalid_grant (subject token refused))" "$MG_TMP/post.out"; then
	ok "a refused exchange is a JSON-RPC error naming the upstream (HTTP $code, not 401)"
else
	check_failed "a refused exchange: $code $(cat "$MG_TMP/post.out")"
fi

# token_cache 2: carol's exchange makes room by evicting the oldest
open_session /xch "$T_CAROL"
expect "a third client's exchange" "$(whoami /xch "$SID" "$T_CAROL")" "Bearer xt-3-carol"
before=$(exchanges)
got=$(whoami /xch "$A_SID" "$T_ALICE")
expect "token_cache 2: an evicted client's next call exchanges again" \
	"$got/$(($(exchanges) - before))" "Bearer xt-$((before + 1))-alice/1"

# ---- the log ----------------------------------------------------------------
leaked=0
for t in "$T_ALICE" "$T_BOB" "$T_CAROL" "$T_REFUSED" xt-1-alice xt-2-bob; do
	grep -qF -- "$t" "$MG_TMP/error.log" && leaked=1
done
expect "no client token and no exchanged token in the error log" "$leaked" 0
grep -qF 'upstream "xch": cannot exchange a client'"'"'s token at' "$MG_TMP/error.log" ||
	check_failed "the refused exchange was not logged"

px_no_child_died || check_failed "a process died: $(grep -E 'exited on signal|exited with code' "$MG_TMP/error.log")"
px_done
