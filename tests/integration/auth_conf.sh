#!/usr/bin/env bash
# auth_jwt as an operator meets it before any token is checked: -t reads
# every key file a configuration names (a JWK Set made here by openssl,
# an HS256 secret) and refuses each bad one with its file:line; a reload
# with a bad key file keeps the running configuration; a good one starts
# the next generation.  What the workers do with tokens is auth_jwt.sh's.
. "$(dirname "$0")/lib.sh"
mg_setup

MG_PORT=$(free_port)

# A JWK Set of the public half of a key made by openssl.
jwks_of() { # PEM-FILE > JSON
	node -e '
		const c = require("crypto"), fs = require("fs");
		const k = c.createPublicKey(fs.readFileSync(process.argv[1]));
		const j = Object.assign(k.export({ format: "jwk" }), { kid: "k1", use: "sig" });
		process.stdout.write(JSON.stringify({ keys: [j] }));
	' "$1"
}
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$MG_TMP/rsa.pem" 2>/dev/null ||
	fail "openssl genpkey RSA"
openssl genpkey -algorithm ed25519 -out "$MG_TMP/ed.pem" 2>/dev/null || fail "openssl genpkey ed25519"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$MG_TMP/weak.pem" 2>/dev/null ||
	fail "openssl genpkey RSA 1024"
jwks_of "$MG_TMP/rsa.pem" > "$MG_TMP/jwks.json" || fail "node: JWK Set"
jwks_of "$MG_TMP/ed.pem" > "$MG_TMP/ed.json" || fail "node: JWK Set"
jwks_of "$MG_TMP/weak.pem" > "$MG_TMP/weak.json" || fail "node: JWK Set"

# auth_jwt's body on lines 7.. of $MG_TMP/mcpgw.conf (the block on 6).
auth_conf() { # BODY-LINES...
	{
		printf 'worker_processes 1;\npid %s/mcpgw.pid;\nerror_log %s/error.log debug;\n' "$MG_TMP" "$MG_TMP"
		printf 'server {\n    listen 127.0.0.1:%s;\n    auth_jwt {\n' "$MG_PORT"
		printf '        %s\n' "$@"
		printf '    }\n    location /mcp { mcp_builtin demo; }\n'
		printf '    location /open { mcp_builtin demo; auth_jwt off; }\n}\n'
	} > "$MG_TMP/mcpgw.conf"
}
conf=$MG_TMP/mcpgw.conf

# -t: exit 0 and success, or exit 1 with WANT (then " in FILE:LINE").
t_ok() {
	local out
	out=$("$MCPGW" -t -c "$conf" 2>&1) || fail "-t refused a good file: $out"
	echo "$out" | grep -qxF "mcpgw: configuration file $conf test is successful" || fail "-t: $out"
}
t_refused() { # WANT LINE
	local out
	if out=$("$MCPGW" -t -c "$conf" 2>&1); then fail "-t passed; wanted: $1"; fi
	echo "$out" | grep -qxF "mcpgw: [emerg] $1 in $conf:$2" || fail "-t said: $out; wanted: $1 in $conf:$2"
	echo "$out" | grep -qxF "mcpgw: configuration file $conf test failed" || fail "-t failure line: $out"
}

auth_conf "issuer https://idp.example.com/;" "jwks_file jwks.json;" "scope mcp:tools;"
t_ok
[ -z "$("$MCPGW" -t -q -c "$conf" 2>&1)" ] || fail "-t -q printed something"
auth_conf "issuer https://idp.example.com/;" "jwks_file $MG_TMP/ed.json;" "algorithms EdDSA;" \
	"leeway 2m;" "max_token_size 16k;"
t_ok
ok "-t accepts a JWK Set made by openssl (RSA, Ed25519), relative to the configuration's directory"

auth_conf "issuer i;" "jwks_file missing.json;"
t_refused "open() \"$MG_TMP/missing.json\" failed (No such file or directory) for \"jwks_file\"" 8
echo 'not json' > "$MG_TMP/bad.json"
auth_conf "issuer i;" "jwks_file bad.json;"
t_refused "jwks_file \"$MG_TMP/bad.json\" is not a JWK Set: not a JSON object (or a member name twice)" 8
auth_conf "issuer i;" "jwks_file weak.json;"
t_refused "jwks_file \"$MG_TMP/weak.json\" is not a JWK Set: key 1 (kid \"k1\"): RSA key of 1024 bits (at least 2048)" 8
echo '{"keys": []}' > "$MG_TMP/empty.json"
auth_conf "issuer i;" "jwks_file empty.json;"
t_refused "jwks_file \"$MG_TMP/empty.json\" holds no key mcpgw can use (RSA of 2048 bits or more, EC P-256 or P-384, Ed25519; not \"use\": \"enc\")" 8
ok "-t refuses a missing file, a file that is not a JWK Set, a weak key and a set with no usable key"

auth_conf "issuer i;" "jwks_file jwks.json;" "algorithms RS256 none;"
t_refused 'invalid value "none" in "algorithms" directive (unsigned tokens are never accepted)' 9
auth_conf "issuer i;" "jwks_file jwks.json;" "algorithms RS257;"
t_refused 'invalid value "RS257" in "algorithms" directive (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA or HS256)' 9
auth_conf "issuer i;" "jwks_file jwks.json;" "algorithms HS256;"
t_refused '"algorithms" allows HS256 only with "hs256_secret_file", not with "jwks_file"' 9
auth_conf "issuer i;" "jwks_url http://idp.example.com/jwks;"
t_refused 'invalid value "http://idp.example.com/jwks" in "jwks_url" directive (want https://HOST[:PORT]/PATH: keys are fetched over TLS only)' 8
auth_conf "jwks_file jwks.json;"
t_refused 'auth_jwt has no "issuer"' 6
ok "-t refuses alg none, an unknown algorithm, HS256 with a JWK Set, a jwks_url over http and a block without issuer"

openssl rand -hex 32 > "$MG_TMP/secret"
chmod 0644 "$MG_TMP/secret"
auth_conf "issuer i;" "hs256_secret_file secret;" "algorithms HS256;"
t_refused "hs256_secret_file \"$MG_TMP/secret\" is accessible by group or others (mode 0644); make it 0600 or 0400" 8
chmod 0600 "$MG_TMP/secret"
t_ok
printf 'short' > "$MG_TMP/secret"
t_refused "hs256_secret_file \"$MG_TMP/secret\" holds 5 bytes, fewer than 32 (RFC 7518 3.2)" 8
ok "-t refuses an HS256 secret open to others or shorter than 32 bytes, and accepts a 0600 one"

# Start, reload with a broken JWK Set (refused, still serving), mend it.
auth_conf "issuer https://idp.example.com/;" "jwks_file jwks.json;"
mg_start
[ "$(http_status "http://127.0.0.1:$MG_PORT/mcp")" = 401 ] || fail "a protected route served a request without a token"
ok "a start with auth_jwt protects its routes (401 without a token)"

cp "$MG_TMP/jwks.json" "$MG_TMP/jwks.good"
echo '{"keys": [' > "$MG_TMP/jwks.json"
kill -HUP "$MG_MASTER"
want="reload failed, keeping the running configuration: jwks_file \"$MG_TMP/jwks.json\" is not a JWK Set: not a JSON object (or a member name twice) in $conf:8"
mg_wait 5 "grep -qF '$want' '$MG_TMP/error.log'" ||
	fail "a reload with a broken JWK Set was not refused"
[ "$(http_status "http://127.0.0.1:$MG_PORT/x")" = 404 ] || fail "not serving after a refused reload"
ok "a reload with a broken JWK Set is refused with file:line; the running generation serves"

cp "$MG_TMP/jwks.good" "$MG_TMP/jwks.json"
kill -HUP "$MG_MASTER"
mg_wait 10 "grep -q 'generation 2 ready' '$MG_TMP/error.log'" || fail "the mended reload did not start generation 2"
ok "a reload with the JWK Set mended starts the next generation"

mg_done
