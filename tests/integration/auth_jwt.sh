#!/usr/bin/env bash
# auth_jwt as a client meets it: the worker's access phase serves a
# protected route only with a bearer JWT that verifies against the
# route's keys and rules and grants its scopes (RFC 6750 answers, RFC 9728
# metadata, RFC 8707 default audience).  Tokens are signed by Node's own
# crypto (tests/node/jwt.mjs), keys made by openssl.  Every forged or
# broken token is a 401 with its reason and one warn line, never a crash,
# and never the token in a log.
. "$(dirname "$0")/lib.sh"
mg_setup

JWT="node $(dirname "$0")/../node/jwt.mjs"
MG_PORT=$(free_port)
U=http://127.0.0.1:$MG_PORT
ISS=https://idp.test/

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$MG_TMP/rs.pem" 2>/dev/null || fail "openssl RSA"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$MG_TMP/ec.pem" 2>/dev/null || fail "openssl EC"
openssl genpkey -algorithm ed25519 -out "$MG_TMP/ed.pem" 2>/dev/null || fail "openssl ed25519"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$MG_TMP/other.pem" 2>/dev/null || fail "openssl RSA"
openssl pkey -in "$MG_TMP/rs.pem" -pubout -out "$MG_TMP/rs.pub" 2>/dev/null || fail "openssl pkey"
$JWT jwks "$MG_TMP/rs.pem:r1:RS256" "$MG_TMP/ec.pem:e1" "$MG_TMP/ed.pem:d1" > "$MG_TMP/jwks.json" ||
	fail "node: JWK Set"

cat > "$MG_TMP/mcpgw.conf" << CONF
worker_processes 1;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log debug;
server {
    listen 127.0.0.1:$MG_PORT;
    access_log $MG_TMP/access.log;
    auth_jwt {
        issuer $ISS;
        jwks_file $MG_TMP/jwks.json;
        leeway 5s;
        scope mcp:tools;
    }
    location /mcp { mcp_builtin demo; }
    location /other { mcp_builtin demo; }
    location /admin {
        mcp_builtin demo;
        auth_jwt {
            issuer $ISS;
            jwks_file $MG_TMP/jwks.json;
            audience https://mcp.test/admin;
            scope mcp:tools mcp:admin;
        }
    }
    location /open { mcp_builtin demo; auth_jwt off; }
}
CONF
mg_start
worker=$(mg_first "$(mg_role_pids "$MG_MASTER" worker)")

now=$(date +%s)
# claims [AUD [EXP [extra members]]]: a payload for /mcp by default
claims() {
	printf '{"iss":"%s","sub":"alice","aud":"%s","exp":%s,"iat":%s,"scope":"mcp:tools"%s}' \
		"$ISS" "${1:-$U/mcp}" "${2:-$((now + 600))}" "$now" "${3:-}"
}
# token KEY KID ALG PAYLOAD
token() {
	$JWT sign "$1" "{\"alg\":\"$3\",\"typ\":\"at+jwt\",\"kid\":\"$2\"}" "$4" || fail "node: sign"
}
GOOD=$(token "$MG_TMP/rs.pem" r1 RS256 "$(claims)")

A='Accept: application/json, text/event-stream'
J='Content-Type: application/json'
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
# init PATH [curl args]: status; headers in $MG_TMP/h, body in $MG_TMP/b
init() {
	local path=$1
	shift
	curl -s -D "$MG_TMP/h" -o "$MG_TMP/b" -w '%{http_code}' --max-time 5 "$U$path" \
		-H "$J" -H "$A" "$@" -d "$INIT"
}
www() { grep -i '^WWW-Authenticate:' "$MG_TMP/h" | tr -d '\r' | sed 's/^[^:]*: //'; }

# ---- no token ----------------------------------------------------------------
st=$(init /mcp)
[ "$st" = 401 ] || fail "no token: status $st"
[ "$(www)" = "Bearer resource_metadata=\"$U/.well-known/oauth-protected-resource/mcp\", scope=\"mcp:tools\"" ] ||
	fail "no token: WWW-Authenticate: $(www)"
grep -qF '{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"Unauthorized: a bearer token is required"}}' "$MG_TMP/b" ||
	fail "no token: body $(cat "$MG_TMP/b")"
grep -qF "[info]" "$MG_TMP/error.log" &&
	grep -qF "/mcp: a request from 127.0.0.1 refused by auth_jwt in $MG_TMP/mcpgw.conf:7: no bearer token" "$MG_TMP/error.log" ||
	fail "no info line for a request without a token"
st=$(init /mcp -H 'Authorization: Basic YTpi')
[ "$st" = 401 ] && [ "$(www)" = "Bearer resource_metadata=\"$U/.well-known/oauth-protected-resource/mcp\", scope=\"mcp:tools\"" ] ||
	fail "Basic credentials: $st $(www)"
[ "$(http_status "$U/mcp")" = 401 ] || fail "a GET stream without a token was not refused"
[ "$(http_status -X DELETE "$U/mcp")" = 401 ] || fail "a DELETE without a token was not refused"
ok "no token (or another scheme): 401, WWW-Authenticate with resource_metadata and scope, a JSON-RPC error with the request's id, one info line"

# ---- the metadata (RFC 9728) -----------------------------------------------------
meta=$(curl -s --max-time 5 "$U/.well-known/oauth-protected-resource/mcp")
[ "$meta" = "{\"resource\":\"$U/mcp\",\"authorization_servers\":[\"$ISS\"],\"scopes_supported\":[\"mcp:tools\"],\"bearer_methods_supported\":[\"header\"]}" ] ||
	fail "metadata of /mcp: $meta"
meta=$(curl -s --max-time 5 "$U/.well-known/oauth-protected-resource/admin")
echo "$meta" | grep -qF '"scopes_supported":["mcp:tools","mcp:admin"]' || fail "metadata of /admin: $meta"
[ "$(http_status "$U/.well-known/oauth-protected-resource/open")" = 404 ] || fail "metadata of an open route"
[ "$(http_status "$U/.well-known/oauth-protected-resource")" = 404 ] || fail "bare metadata without a route at /"
[ "$(http_status -X POST "$U/.well-known/oauth-protected-resource/mcp")" = 405 ] || fail "POST to the metadata"
meta=$(curl -s --max-time 5 "http://localhost:$MG_PORT/.well-known/oauth-protected-resource/mcp")
echo "$meta" | grep -qF "\"resource\":\"http://localhost:$MG_PORT/mcp\"" || fail "metadata through localhost: $meta"
ok "/.well-known/oauth-protected-resource/PATH describes each protected route (resource as the client names it); 404 for open routes, 405 for POST"

# ---- good tokens -------------------------------------------------------------------
st=$(init /mcp -H "Authorization: Bearer $GOOD")
[ "$st" = 200 ] || fail "a good RS256 token: $st $(cat "$MG_TMP/b")"
sid=$(grep -i '^Mcp-Session-Id:' "$MG_TMP/h" | tr -d '\r' | sed 's/^[^:]*: //')
call=$(curl -s --max-time 5 "$U/mcp" -H "$J" -H "$A" -H "Authorization: Bearer $GOOD" \
	-H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25' \
	-d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}')
echo "$call" | grep -qF '"text":"echo: hi"' || fail "tools/call with a good token: $call"
for spec in "ec.pem e1 ES256" "ed.pem d1 EdDSA"; do
	set -- $spec
	t=$(token "$MG_TMP/$1" "$2" "$3" "$(claims)")
	st=$(init /mcp -H "Authorization: Bearer $t")
	[ "$st" = 200 ] || fail "a good $3 token: $st $(cat "$MG_TMP/b")"
done
t=$(token "$MG_TMP/rs.pem" r1 RS256 "$(claims "http://localhost:$MG_PORT/mcp")")
st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://localhost:$MG_PORT/mcp" -H "$J" -H "$A" \
	-H "Authorization: Bearer $t" -d "$INIT")
[ "$st" = 200 ] || fail "a token for http://localhost:PORT/mcp called through localhost: $st"
[ "$(init /open)" = 200 ] || fail "auth_jwt off: a request without a token was refused"
mg_wait 3 "grep -q '\"jwt:alice\"\$' '$MG_TMP/access.log'" || fail "no jwt:alice in the access log: $(tail -3 "$MG_TMP/access.log")"
ok "good RS256, ES256 and EdDSA tokens are served (initialize, tools/call); the audience follows the Host the client used; the access log names jwt:alice"

# 2026-07-28: stateless requests pass the same phase
M26='{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'
st=$(curl -s -o "$MG_TMP/b" -w '%{http_code}' --max-time 5 "$U/mcp" -H "$J" -H "$A" \
	-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/list' -d "$M26")
[ "$st" = 401 ] || fail "a 2026-07-28 request without a token: $st"
st=$(curl -s -o "$MG_TMP/b" -w '%{http_code}' --max-time 5 "$U/mcp" -H "$J" -H "$A" -H "Authorization: Bearer $GOOD" \
	-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/list' -d "$M26")
[ "$st" = 200 ] && grep -qF '"echo"' "$MG_TMP/b" || fail "a 2026-07-28 request with a token: $st $(cat "$MG_TMP/b")"
ok "2026-07-28 requests: 401 without a token, served with one"

# ---- forged and broken tokens: 401 with the reason --------------------------------------
# refused NAME REASON TOKEN [PATH]
refused() {
	local st
	st=$(init "${4:-/mcp}" -H "Authorization: Bearer $3")
	[ "$st" = 401 ] || fail "$1: status $st $(cat "$MG_TMP/b")"
	www | grep -qF "Bearer error=\"invalid_token\", error_description=\"$2\", resource_metadata=" ||
		fail "$1: WWW-Authenticate: $(www)"
	grep -qF "\"message\":\"Unauthorized: $2\"" "$MG_TMP/b" || fail "$1: body $(cat "$MG_TMP/b")"
	grep -qF "refused by auth_jwt in $MG_TMP/mcpgw.conf:7: $2" "$MG_TMP/error.log" || fail "$1: no log line with \"$2\""
}
H='{"alg":"RS256","kid":"r1"}'
P=$(claims)
b64() { printf '%s' "$1" | basenc --base64url | tr -d '=\n'; }
refused "alg none" "algorithm not allowed" "$($JWT sign "$MG_TMP/rs.pem" '{"alg":"none"}' "$P")"
refused "HS256 signed with the RSA public key" "algorithm not allowed" \
	"$($JWT sign "$MG_TMP/rs.pub" '{"alg":"HS256","kid":"r1"}' "$P")"
refused "unknown kid" "unknown key" "$(token "$MG_TMP/rs.pem" nope RS256 "$P")"
grep -qF 'unknown key (kid "nope")' "$MG_TMP/error.log" || fail "the unknown kid is not named in the log"
refused "a key not in the set" "bad signature" "$(token "$MG_TMP/other.pem" r1 RS256 "$P")"
refused "expired" "expired" "$(token "$MG_TMP/rs.pem" r1 RS256 "$(claims "" $((now - 10)))")"
refused "not yet valid" "not yet valid" "$(token "$MG_TMP/rs.pem" r1 RS256 "$(claims "" "" ",\"nbf\":$((now + 300))")")"
refused "wrong issuer" "wrong issuer" \
	"$(token "$MG_TMP/rs.pem" r1 RS256 "{\"iss\":\"https://evil.test/\",\"sub\":\"a\",\"aud\":\"$U/mcp\",\"exp\":$((now + 600))}")"
refused "wrong audience" "wrong audience" "$(token "$MG_TMP/rs.pem" r1 RS256 "$(claims "https://elsewhere.test/mcp")")"
refused "a token for another route" "wrong audience" "$(token "$MG_TMP/rs.pem" r1 RS256 "$(claims "$U/other")")"
refused "bad base64" "malformed token" "$(b64 "$H").@@@.abc"
refused "bad JSON" "malformed token" "$(b64 '{"alg":"RS256",').$(b64 "$P").abc"
refused "a member twice" "malformed token" "$(b64 '{"alg":"RS256","alg":"none"}').$(b64 "$P").abc"
big=$(head -c 12288 /dev/zero | tr '\0' 'A')
refused "a 12 KB token (max_token_size 8k)" "token too large" "$(b64 "$H").$big.sig"
refused "a truncated signature" "bad signature" "${GOOD%??????????}"
refused "no exp" "bad claims" "$(token "$MG_TMP/rs.pem" r1 RS256 "{\"iss\":\"$ISS\",\"aud\":\"$U/mcp\"}")"
ok "forged and broken tokens: alg none, HS256 with the RSA public key, unknown kid, another key, expired, not yet valid, wrong issuer, wrong audience, another route's, bad base64, bad JSON, a member twice, 12 KB, truncated signature, no exp: each 401 with its reason and a log line"

# A 64 KB token is over the HTTP layer's header limit before it is a token.
big=$(head -c 65536 /dev/zero | tr '\0' 'A')
st=$(init /mcp -H "Authorization: Bearer $(b64 "$H").$big.sig")
[ "$st" = 431 ] || fail "a 64 KB token: $st"
ok "a 64 KB token: 431 (client_max_header_size), like any header that large"

st=$(init /mcp -H "Authorization: Bearer $GOOD" -H "Authorization: Bearer $GOOD")
[ "$st" = 400 ] && www | grep -qF 'error="invalid_request"' || fail "two Authorization headers: $st $(www)"
st=$(init /mcp -H "Authorization: Bearer ")
[ "$st" = 400 ] || fail "Bearer without a token: $st"
ok "two Authorization headers, or Bearer without a token: 400 invalid_request"

# ---- scopes ----------------------------------------------------------------------------
t=$(token "$MG_TMP/rs.pem" r1 RS256 "$(claims https://mcp.test/admin)")
st=$(init /admin -H "Authorization: Bearer $t")
[ "$st" = 403 ] || fail "a token without mcp:admin: $st"
[ "$(www)" = "Bearer error=\"insufficient_scope\", error_description=\"the token lacks the scope mcp:admin\", resource_metadata=\"$U/.well-known/oauth-protected-resource/admin\", scope=\"mcp:tools mcp:admin\"" ] ||
	fail "insufficient scope: WWW-Authenticate: $(www)"
grep -qF '"code":-32003' "$MG_TMP/b" || fail "insufficient scope: body $(cat "$MG_TMP/b")"
grep -qF 'sub "alice" lacks scope "mcp:admin"' "$MG_TMP/error.log" || fail "no log line for the missing scope"
t=$(token "$MG_TMP/rs.pem" r1 RS256 "$(claims https://mcp.test/admin "" ',"scp":["mcp:admin"]' | sed 's/"scope":"mcp:tools"/"scope":"mcp:tools mcp:admin"/')")
[ "$(init /admin -H "Authorization: Bearer $t")" = 200 ] || fail "a token with both scopes: $(cat "$MG_TMP/b")"
t=$(token "$MG_TMP/rs.pem" r1 RS256 "$(claims "" "" | sed 's/"scope":"mcp:tools"/"scope":"mcp:other"/')")
[ "$(init /mcp -H "Authorization: Bearer $t")" = 403 ] || fail "a token without mcp:tools on /mcp"
ok "a token without a required scope: 403 insufficient_scope naming it, -32003, a log line; with every scope: served"

# ---- nothing broke, nothing leaked ------------------------------------------------------
[ "$(init /mcp -H "Authorization: Bearer $GOOD")" = 200 ] || fail "the good token after the forged ones"
[ "$(mg_first "$(mg_role_pids "$MG_MASTER" worker)")" = "$worker" ] || fail "the worker was replaced"
sig=${GOOD##*.}
! grep -qF "${sig:0:40}" "$MG_TMP/error.log" "$MG_TMP/access.log" || fail "a token's signature is in a log"
! grep -qF "$(b64 "$H")" "$MG_TMP/error.log" || fail "a token is in the error log"
ok "after every refusal the same worker serves the good token; no token is in either log"

mg_done
