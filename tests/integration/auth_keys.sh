#!/usr/bin/env bash
# The access phase's other identities, as a client meets them: API keys
# (auth_keys) sent as a bearer token and in a header, a wrong key refused,
# the keys file reloaded on SIGHUP (a new key works, a removed one is
# refused, a bad file keeps the running keys), a verified client
# certificate (auth_cert), a route that tries "cert jwt key" in that
# order, and who each client was in the access log's last field.
. "$(dirname "$0")/lib.sh"
mg_setup

MG_PORT=$(free_port)
TLS_PORT=$(free_port)
conf=$MG_TMP/mcpgw.conf
keys=$MG_TMP/api.keys
U=http://127.0.0.1:$MG_PORT
S=https://localhost:$TLS_PORT
PKI=$MG_TMP/pki
mkdir -p "$PKI"

# ---- credentials made at test time -------------------------------------------

sha256() { printf '%s' "$1" | openssl dgst -sha256 -r | cut -d' ' -f1; }
KEY_CI=$(openssl rand -hex 24)
KEY_OPS=$(openssl rand -hex 24)
KEY_OLD=$(openssl rand -hex 24)

# keys_file LINES...: the keys file, readable by its owner only
keys_file() {
	(umask 077 && printf '%s\n' "$@" > "$keys")
}
keys_file "# the CI's key and a key about to be revoked" \
	"ci $(sha256 "$KEY_CI")" "" "old   $(sha256 "$KEY_OLD")   # rotated out next"

# a CA, the gateway's certificate (localhost) and a client's, EC P-256
pki() {
	openssl "$@" > "$PKI/openssl.out" 2>&1 || fail "openssl $1: $(tail -n 3 "$PKI/openssl.out")"
}
pki_sign() { # NAME SUBJECT EXTENSIONS
	pki genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/$1.key"
	pki req -new -key "$PKI/$1.key" -subj "$2" -out "$PKI/$1.csr"
	printf '%s\n' "$3" > "$PKI/$1.ext"
	pki x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -CAcreateserial \
		-days 2 -extfile "$PKI/$1.ext" -out "$PKI/$1.pem"
}
pki genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/ca.key"
pki req -x509 -new -key "$PKI/ca.key" -days 2 -subj "/CN=auth_keys test CA" -out "$PKI/ca.pem" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign"
pki_sign srv "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
pki_sign client "/O=mcpgw tests/CN=agent one" "extendedKeyUsage=clientAuth"
CLIENT=(--cert "$PKI/client.pem" --key "$PKI/client.key")
CA=(--cacert "$PKI/ca.pem")

# an Ed25519 JWK Set, and tokens signed with its private half
openssl genpkey -algorithm ed25519 -out "$MG_TMP/signer.pem" 2> /dev/null || fail "openssl genpkey ed25519"
node -e '
	const c = require("crypto"), fs = require("fs");
	const k = c.createPublicKey(fs.readFileSync(process.argv[1]));
	const j = Object.assign(k.export({ format: "jwk" }), { kid: "k1", use: "sig", alg: "EdDSA" });
	process.stdout.write(JSON.stringify({ keys: [j] }));
' "$MG_TMP/signer.pem" > "$MG_TMP/jwks.json" || fail "node: JWK Set"
jwt() { # SUB
	node -e '
		const c = require("crypto"), fs = require("fs");
		const b = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
		const now = Math.floor(Date.now() / 1000);
		const h = b({ alg: "EdDSA", typ: "JWT", kid: "k1" });
		const p = b({ iss: "https://idp.test/", aud: "mcpgw-test", sub: process.argv[2], iat: now, exp: now + 600 });
		const s = c.sign(null, Buffer.from(h + "." + p), fs.readFileSync(process.argv[1]));
		process.stdout.write(h + "." + p + "." + s.toString("base64url"));
	' "$MG_TMP/signer.pem" "$1"
}
JWT_ALICE=$(jwt alice) || fail "node: token"
JWT_BAD=${JWT_ALICE%?????}AAAAA # its signature spoiled

# ---- the gateway --------------------------------------------------------------

cat > "$conf" <<CONF
worker_processes 1;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log debug;
access_log $MG_TMP/access.log;
shutdown_timeout 2s;
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp/bearer { mcp_builtin demo; auth_keys api.keys; }
    location /mcp/header { mcp_builtin demo; auth_keys api.keys header=X-Api-Key; }
    location /mcp/both {
        mcp_builtin demo;
        auth_keys api.keys;
        auth_jwt { issuer https://idp.test/; audience mcpgw-test; jwks_file jwks.json; }
    }
    location /mcp/open { mcp_builtin demo; }
}
server {
    listen 127.0.0.1:$TLS_PORT ssl;
    server_name localhost;
    ssl_certificate $PKI/srv.pem;
    ssl_certificate_key $PKI/srv.key;
    ssl_client_certificate $PKI/ca.pem;
    ssl_verify_client optional;
    location /mcp/cert { mcp_builtin demo; auth_cert on; }
    location /mcp/all {
        mcp_builtin demo;
        auth_order cert jwt key;
        auth_cert on;
        auth_jwt { issuer https://idp.test/; audience mcpgw-test; jwks_file jwks.json; }
        auth_keys api.keys header=X-Api-Key;
    }
}
CONF
out=$("$MCPGW" -t -c "$conf" 2>&1) || fail "-t refused the test configuration: $out"
mg_start

# ---- requests -----------------------------------------------------------------

PING='{"jsonrpc":"2.0","id":7,"method":"ping"}'
B=$MG_TMP/body H=$MG_TMP/headers

# post URL [CURL ARGS...]: a ping; the status in $ST, the body in $B, the
# headers in $H; the access log and error log lengths before it in $A0, $E0
post() {
	local url=$1
	shift
	A0=$(wc -l < "$MG_TMP/access.log" 2> /dev/null || echo 0)
	E0=$(wc -l < "$MG_TMP/error.log")
	ST=$(curl -sS --max-time 10 -o "$B" -D "$H" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H 'MCP-Protocol-Version: 2025-11-25' "$@" --data-binary "$PING" "$url" 2>&1) || true
}
what() {
	echo "status $ST; body $(head -c 300 "$B"); headers $(tr -d '\r' < "$H" | grep -i '^www-authenticate' | tr '\n' '|'); access log: $(tail -n +$((A0 + 1)) "$MG_TMP/access.log" | tr '\n' '|')"
}
# The identity field (the 14th, the last) of the request's access log line
# (one line per request: its method is "-" when it was refused before its
# body was read).
who() {
	local line
	mg_wait 3 '[ "$(wc -l < "$MG_TMP/access.log")" -gt "$A0" ]' || return 1
	line=$(tail -n +$((A0 + 1)) "$MG_TMP/access.log" | head -n 1)
	# quoted fields hold no '"' (the log writes '?' for one)
	echo "$line" | sed -E 's/.* ("[^"]*"|-)$/\1/'
}
challenge() {
	tr -d '\r' < "$H" | sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate: //p'
}
new_errors() {
	tail -n +$((E0 + 1)) "$MG_TMP/error.log"
}

# expect WHAT STATUS WHO [CURL ARGS...]: the ping is answered STATUS and
# the access log's identity is WHO ("-": nobody)
expect() {
	local what=$1 status=$2 want=$3 got
	shift 3
	post "$@"
	[ "$ST" = "$status" ] || fail "$what: $(what)"
	got=$(who) || fail "$what: no access log line: $(what)"
	[ "$got" = "$want" ] || fail "$what: identity $got, want $want: $(what)"
	ok "$what: $status, identity $want"
}

expect "a key as a bearer token" 200 '"key:ci"' "$U/mcp/bearer" -H "Authorization: Bearer $KEY_CI"
grep -q '"result":{}' "$B" || fail "the ping's answer: $(what)"
expect "a key in the configured header" 200 '"key:ci"' "$U/mcp/header" -H "X-Api-Key: $KEY_CI"
expect "a key as a bearer token where a header is configured too" 200 '"key:old"' \
	"$U/mcp/header" -H "Authorization: Bearer $KEY_OLD"
expect "the header, when both are sent, is read first" 200 '"key:ci"' "$U/mcp/header" \
	-H "X-Api-Key: $KEY_CI" -H "Authorization: Bearer $KEY_OLD"
expect "a route without auth_keys identifies nobody" 200 - "$U/mcp/open" -H "X-Api-Key: $KEY_CI"

expect "a wrong key" 401 - "$U/mcp/header" -H "X-Api-Key: $KEY_CI-not"
[ "$(challenge)" = 'Bearer error="invalid_token", error_description="unknown key"' ] ||
	fail "a wrong key's challenge: $(what)"
grep -q '"code":-32005,"message":"Unauthorized: unknown key"' "$B" || fail "a wrong key's body: $(what)"
digest=$(sha256 "$KEY_CI-not")
mg_wait 3 'new_errors | grep -q "unknown key"' || fail "no log line for a wrong key"
new_errors | grep -qF "[warn]" || fail "a wrong key's line is not a warning: $(new_errors)"
new_errors | grep -qF "/mcp/header: a request from 127.0.0.1 refused" || fail "a wrong key's line: $(new_errors)"
new_errors | grep -qF "refused by auth_keys in $conf:9: unknown key (SHA-256 ${digest:0:8}...)" ||
	fail "a wrong key's line: $(new_errors)"
! grep -qF -- "$KEY_CI" "$MG_TMP/error.log" || fail "a key is in the error log"
ok "a wrong key: 401 invalid_token, one warn line with the first digits of its SHA-256 and never the key"

expect "a wrong key as a bearer token" 401 - "$U/mcp/bearer" -H "Authorization: Bearer nope"
expect "no key" 401 - "$U/mcp/bearer"
[ "$(challenge)" = 'Bearer realm="mcpgw"' ] || fail "no key's challenge: $(what)"
grep -q '"message":"Unauthorized: an API key is required"' "$B" || fail "no key's body: $(what)"
mg_wait 3 'new_errors | grep -q "no API key"' || fail "no log line for a request without a key"
new_errors | grep -qF "[info] " || fail "no key's line: $(new_errors)"
new_errors | grep -qF "refused by auth_keys in $conf:8: no API key" || fail "no key's line: $(new_errors)"
ok "no key: 401 with a Bearer challenge, one info line"

expect "two X-Api-Key headers" 400 - "$U/mcp/header" -H "X-Api-Key: $KEY_CI" -H "X-Api-Key: $KEY_CI"
grep -q '"code":-32005,"message":"Bad Request: malformed key"' "$B" || fail "two headers: $(what)"
[ "$(challenge)" = 'Bearer error="invalid_request", error_description="malformed key"' ] || fail "two headers: $(what)"

# JWTs and keys on one route, both in Bearer: told apart by their shape
expect "auth_jwt and auth_keys: a key as a bearer token" 200 '"key:ci"' "$U/mcp/both" -H "Authorization: Bearer $KEY_CI"
expect "auth_jwt and auth_keys: a JWT as a bearer token" 200 '"jwt:alice"' "$U/mcp/both" -H "Authorization: Bearer $JWT_ALICE"
expect "auth_jwt and auth_keys: a bad JWT is the JWT's to refuse" 401 - "$U/mcp/both" -H "Authorization: Bearer $JWT_BAD"
challenge | grep -q '^Bearer error="invalid_token", error_description="bad signature"' ||
	fail "a bad JWT's challenge: $(what)"
expect "auth_jwt and auth_keys: a wrong key is the keys' to refuse" 401 - "$U/mcp/both" -H "Authorization: Bearer $KEY_CI-not"
[ "$(challenge)" = 'Bearer error="invalid_token", error_description="unknown key"' ] || fail "a wrong key's challenge: $(what)"
expect "auth_jwt and auth_keys: nothing" 401 - "$U/mcp/both"
[ "$(challenge | grep -c .)" = 1 ] && challenge | grep -q '^Bearer resource_metadata=' ||
	fail "one Bearer challenge, auth_jwt's, wanted: $(what)"
grep -q '"message":"Unauthorized: a bearer token or an API key is required"' "$B" || fail "nothing's body: $(what)"
new_errors | grep -qF "refused by auth_keys in $conf:12, auth_jwt in $conf:13: no bearer token or API key" &&
	fail "the default order is cert jwt key: $(new_errors)"
new_errors | grep -qF "refused by auth_jwt in $conf:13, auth_keys in $conf:12: no bearer token or API key" ||
	fail "nothing's line: $(new_errors)"

# ---- client certificates ----------------------------------------------------------

expect "a verified client certificate" 200 '"cert:/O=mcpgw tests/CN=agent one"' "$S/mcp/cert" "${CA[@]}" "${CLIENT[@]}"
expect "no client certificate (ssl_verify_client optional)" 403 - "$S/mcp/cert" "${CA[@]}"
grep -q '"message":"Forbidden: a client certificate is required"' "$B" || fail "no certificate's body: $(what)"
[ -z "$(challenge)" ] || fail "a challenge for a certificate: $(what)"

# cert jwt key: the first that identifies wins; a bad credential is refused
expect "cert jwt key: a certificate comes first" 200 '"cert:/O=mcpgw tests/CN=agent one"' \
	"$S/mcp/all" "${CA[@]}" "${CLIENT[@]}" -H "Authorization: Bearer $JWT_BAD" -H "X-Api-Key: $KEY_CI"
expect "cert jwt key: then a JWT" 200 '"jwt:alice"' "$S/mcp/all" "${CA[@]}" \
	-H "Authorization: Bearer $JWT_ALICE" -H "X-Api-Key: $KEY_CI"
expect "cert jwt key: then a key" 200 '"key:ci"' "$S/mcp/all" "${CA[@]}" -H "X-Api-Key: $KEY_CI"
expect "cert jwt key: a bad JWT is refused, not passed on to the key" 401 - "$S/mcp/all" "${CA[@]}" \
	-H "Authorization: Bearer $JWT_BAD" -H "X-Api-Key: $KEY_CI"
expect "cert jwt key: nothing" 401 - "$S/mcp/all" "${CA[@]}"
challenge | grep -q "^Bearer resource_metadata=\"https://localhost:$TLS_PORT/.well-known/oauth-protected-resource/mcp/all\"" ||
	fail "cert jwt key, nothing: the challenge: $(what)"
grep -q '"message":"Unauthorized: a client certificate, a bearer token or an API key is required"' "$B" ||
	fail "cert jwt key, nothing: the body: $(what)"
mg_wait 3 'new_errors | grep -q "no client certificate"' || fail "no log line"
new_errors | grep -qF "refused by auth_cert in $conf:28, auth_jwt in $conf:29, auth_keys in $conf:30: no client certificate, bearer token or API key" ||
	fail "cert jwt key, nothing: the line: $(new_errors)"

# ---- the keys file, reloaded ----------------------------------------------------------

keys_file "ci $(sha256 "$KEY_CI")" "ops $(sha256 "$KEY_OPS")"
kill -HUP "$MG_MASTER"
mg_wait 10 "grep -q 'generation 2 ready' '$MG_TMP/error.log'" || fail "no generation 2 after SIGHUP"
expect "after a reload, a new key works" 200 '"key:ops"' "$U/mcp/bearer" -H "Authorization: Bearer $KEY_OPS"
expect "after a reload, a removed key is refused" 401 - "$U/mcp/bearer" -H "Authorization: Bearer $KEY_OLD"
expect "after a reload, a kept key works" 200 '"key:ci"' "$U/mcp/header" -H "X-Api-Key: $KEY_CI"

# a bad file: the reload fails naming its line, the running keys serve on
keys_file "ci $(sha256 "$KEY_CI")" "ops $(sha256 "$KEY_OPS")" "# again" "ci $(sha256 "$KEY_OLD")"
E0=$(wc -l < "$MG_TMP/error.log")
kill -HUP "$MG_MASTER"
mg_wait 10 'new_errors | grep -q "reload failed"' || fail "a bad keys file: no failed reload: $(new_errors | tr "\n" "|")"
new_errors | grep -qF "reload failed, keeping the running configuration: duplicate key name \"ci\" (first at line 1) in $keys:4" ||
	fail "a bad keys file: $(new_errors | grep reload)"
expect "after a failed reload, the running keys serve" 200 '"key:ops"' "$U/mcp/bearer" -H "Authorization: Bearer $KEY_OPS"

# mcpgw -t says the same, and refuses a file others may read
t_refused() { # WANT
	local out
	if out=$("$MCPGW" -t -c "$conf" 2>&1); then fail "-t passed; wanted: $1"; fi
	echo "$out" | grep -qxF "mcpgw: [emerg] $1" || fail "-t said: $out; wanted: $1"
}
t_refused "duplicate key name \"ci\" (first at line 1) in $keys:4"
keys_file "ci $(sha256 "$KEY_CI")" "ops $KEY_OPS"
t_refused "invalid hash for \"ops\" (want 64 hex digits: the SHA-256 of the key) in $keys:2"
keys_file "ci $(sha256 "$KEY_CI")"
chmod 0644 "$keys"
t_refused "auth_keys \"$keys\" may be written by group or others, or read by others (mode 0644); make it 0600 or 0640 in $conf:8"
chmod 0640 "$keys"
out=$("$MCPGW" -t -c "$conf" 2>&1) || fail "-t refused a keys file of mode 0640: $out"
ok "mcpgw -t names the bad line of a keys file, and refuses one that others may read"

mg_done
