#!/usr/bin/env bash
# auth_jwt with a jwks_url, against a real HTTPS server on loopback (node's
# https module, a certificate signed by a CA made here by openssl) that
# serves JWK Sets of Ed25519 keys made here too, and tokens signed here
# with node's crypto.  The connector fetches the set, never a worker; each
# failure says why (status, parse, size, TLS); a token verifies once the
# keys are in; a respawned worker has them at once; a token with a kid the
# set lacks makes the connector fetch again, at most once per
# jwks_min_refresh, so a rotated key works without a reload; when the
# server goes away the last set is kept (and logged) until jwks_max_stale,
# then dropped.
. "$(dirname "$0")/lib.sh"
mg_setup

read -r MG_PORT JP <<< "$(free_port 2 | tr '\n' ' ')"
D=$MG_TMP
mkdir -p "$D/pki"

# ---- a CA, a server certificate for 127.0.0.1 and localhost ---------------
pki() { openssl "$@" > "$D/pki/openssl.out" 2>&1 || fail "openssl $1: $(tail -n 3 "$D/pki/openssl.out")"; }
pki req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=mcpgw test CA" -keyout "$D/pki/ca.key" -out "$D/pki/ca.pem"
pki req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
	-keyout "$D/pki/srv.key" -out "$D/pki/srv.csr"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$D/pki/ext.cnf"
pki x509 -req -in "$D/pki/srv.csr" -CA "$D/pki/ca.pem" -CAkey "$D/pki/ca.key" \
	-CAcreateserial -days 2 -extfile "$D/pki/ext.cnf" -out "$D/pki/srv.pem"

# ---- keys, sets and tokens -------------------------------------------------
for k in a b; do pki genpkey -algorithm ed25519 -out "$D/$k.pem"; done
jwks() { # KEY... > a JWK Set of their public halves, kid = the name
	node -e '
		const c = require("crypto"), fs = require("fs"), [dir, ...ks] = process.argv.slice(1);
		const keys = ks.map((k) => Object.assign(
			c.createPublicKey(fs.readFileSync(`${dir}/${k}.pem`)).export({ format: "jwk" }),
			{ kid: k, use: "sig", alg: "EdDSA" }));
		process.stdout.write(JSON.stringify({ keys }));
	' "$D" "$@"
}
token() { # KEY [KID]: a token for the route, valid 5 minutes, signed by KEY
	node -e '
		const c = require("crypto"), fs = require("fs"), [file, kid] = process.argv.slice(1);
		const b = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
		const now = Math.floor(Date.now() / 1000);
		const h = b({ alg: "EdDSA", typ: "JWT", kid });
		const p = b({ iss: "https://idp.test/", aud: "https://mcp.test/mcp", sub: "alice",
			iat: now, exp: now + 300, jti: c.randomUUID() });
		const s = c.sign(null, Buffer.from(`${h}.${p}`), c.createPrivateKey(fs.readFileSync(file)));
		process.stdout.write(`${h}.${p}.${s.toString("base64url")}`);
	' "$D/$1.pem" "${2:-$1}"
}
jwks a > "$D/jwks.json" || fail "node: JWK Set"
echo 'not json' > "$D/bad.json"
head -c 1100000 /dev/zero | tr '\0' ' ' > "$D/big.json"

# ---- the key server: every GET is a line of $D/hits -------------------------
cat > "$D/jwks_server.js" <<'EOF'
const https = require("https"), fs = require("fs");
const [dir, port] = process.argv.slice(2);
const files = { "/jwks": "jwks.json", "/bad": "bad.json", "/big": "big.json" };
https.createServer({ key: fs.readFileSync(`${dir}/pki/srv.key`), cert: fs.readFileSync(`${dir}/pki/srv.pem`) },
	(req, res) => {
		fs.appendFileSync(`${dir}/hits`, `${req.url}\n`);
		const f = files[req.url];
		if (!f) { res.writeHead(404); res.end("no such set"); return; }
		res.writeHead(200, { "content-type": "application/json" });
		res.end(fs.readFileSync(`${dir}/${f}`));
	}).listen(port, "127.0.0.1", () => fs.writeFileSync(`${dir}/ready`, ""));
EOF
: > "$D/hits"
node "$D/jwks_server.js" "$D" "$JP" > "$D/jwks_server.log" 2>&1 &
JS_PID=$!
MG_BG_PIDS="$JS_PID"
mg_wait 10 "[ -e '$D/ready' ]" || fail "the key server did not start: $(cat "$D/jwks_server.log")"
hits() { grep -cx /jwks "$D/hits"; }

# ---- the gateway --------------------------------------------------------------
block() { # URL [MORE...]: an auth_jwt block
	local url=$1
	shift
	printf 'auth_jwt { issuer https://idp.test/; audience https://mcp.test/mcp; jwks_url %s; %s }' "$url" "$*"
}
CA="jwks_trusted_certificate pki/ca.pem;"
cat > "$D/mcpgw.conf" <<CONF
worker_processes 1;
pid $D/mcpgw.pid;
error_log $D/error.log debug;
shutdown_timeout 5s;
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp { mcp_builtin demo; $(block "https://127.0.0.1:$JP/jwks" "$CA" jwks_refresh 1h\; jwks_min_refresh 2s\; jwks_max_stale 8s\;) }
    location /name { mcp_builtin demo; $(block "https://localhost:$JP/jwks" "$CA") }
    location /e404 { mcp_builtin demo; $(block "https://127.0.0.1:$JP/nothing" "$CA") }
    location /bad { mcp_builtin demo; $(block "https://127.0.0.1:$JP/bad" "$CA") }
    location /big { mcp_builtin demo; $(block "https://127.0.0.1:$JP/big" "$CA") }
    location /tls { mcp_builtin demo; $(block "https://127.0.0.1:$JP/jwks") }
}
CONF
conf=$D/mcpgw.conf

out=$("$MCPGW" -t -c "$conf" 2>&1) || fail "-t: $out"
[ "$(hits)" = 0 ] || fail "-t fetched a set"
ok "-t checks a jwks_url's syntax and its CA file, and fetches nothing"

mg_start
L="auth_jwt in $conf"
line() { grep -n "location $1 " "$conf" | cut -d: -f1; }
logged() { grep -qF -- "$1" "$D/error.log"; }
mg_wait 10 "logged 'fetched 1 key(s) from https://127.0.0.1:$JP/jwks for $L:$(line /mcp)'" ||
	fail "no fetch logged for /mcp"
mg_wait 10 "logged 'fetched 1 key(s) from https://localhost:$JP/jwks for $L:$(line /name)'" ||
	fail "no fetch logged for /name (a host name, through evdns)"
grep -F "fetched 1 key(s)" "$D/error.log" | grep -qv "connector" &&
	fail "a process other than the connector fetched: $(grep -F 'fetched 1 key(s)' "$D/error.log")"
why() { # LOCATION REASON
	mg_wait 10 "logged '[error]' && grep -F 'cannot fetch the JWK Set of $L:$(line "$1")' '$D/error.log' | grep -qF -- '$2'" ||
		fail "$1: no error with \"$2\": $(grep -F "$L:$(line "$1")" "$D/error.log")"
}
why /e404 "/nothing: the server answered 404"
why /bad "/bad: not a JWK Set: "
why /big "/big: the set is larger than 1048576 bytes"
why /tls "certificate verification failed"
ok "the connector fetches the sets (by address and by name) and logs each failure's reason: status, parse, size, TLS"

ask() { # PATH [TOKEN]: the status of an initialize
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' ${2:+-H "Authorization: Bearer $2"} \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
		"http://127.0.0.1:$MG_PORT$1"
}
[ "$(ask /mcp "$(token a)")" = 200 ] || fail "a token of key a: $(ask /mcp "$(token a)")"
[ "$(ask /name "$(token a)")" = 200 ] || fail "a token of key a on /name"
[ "$(ask /mcp)" = 401 ] || fail "no token: not 401"
[ "$(ask /e404 "$(token a)")" = 401 ] || fail "a route whose set never came served a token"
logged "refused by $L:$(line /e404): unknown key" || fail "no 'unknown key' line for /e404"
ok "a token verifies with the fetched keys; a route without a set refuses it as unknown key"

W=$(mg_role_pids "$MG_MASTER" worker)
kill -KILL "$W"
mg_wait 10 "mg_replaced $MG_MASTER worker 1 $W" || fail "the worker was not replaced"
t=$(token a)
mg_wait 2 "[ \"\$(ask /mcp $t)\" = 200 ]" || fail "a respawned worker had no keys: $(ask /mcp "$t")"
ok "a respawned worker gets the keys from the connector at once"

# A stream of made-up kids: one fetch per jwks_min_refresh (2 s), at most.
sleep 2.1
before=$(hits)
for i in $(seq 1 16); do
	[ "$(ask /mcp "$(token a "made-up-$i")")" = 401 ] || fail "a made-up kid was served"
	sleep 0.25
done
sleep 2.1
n=$(($(hits) - before))
[ "$n" -ge 1 ] && [ "$n" -le 4 ] || fail "$n fetches for 16 unknown kids over about 6 s (want 1 to 4)"
ok "unknown kids make the connector fetch again, at most once per jwks_min_refresh ($n fetches for 16 tokens)"

# Rotation at the provider: b replaces a; no reload.
sleep 2.1
jwks b > "$D/jwks.json"
tb=$(token b)
mg_wait 8 "[ \"\$(ask /mcp $tb)\" = 200 ]" || fail "a token of the new key b: $(ask /mcp "$tb")"
[ "$(ask /mcp "$(token a)")" = 401 ] || fail "a token of the retired key a still served"
logged "fetched 1 key(s) from https://127.0.0.1:$JP/jwks for $L:$(line /mcp)" || fail "no fetch line"
logged "generation 2" && fail "something reloaded"
ok "a key rotated at the provider works without a reload (fetched on its unknown kid); the retired one is refused"

# The provider goes away: the set is kept, said, and dropped at jwks_max_stale.
kill "$JS_PID"
wait "$JS_PID" 2>/dev/null
sleep 2.1
[ "$(ask /mcp "$(token a new-kid)")" = 401 ] || fail "an unknown kid was served"
mg_wait 5 "logged 'connect() to 127.0.0.1:$JP failed (Connection refused)'" || fail "no connect failure logged"
mg_wait 5 "logged 'keeping the JWK Set of $L:$(line /mcp) fetched'" || fail "no 'keeping' line"
[ "$(ask /mcp "$(token b)")" = 200 ] || fail "the kept key b no longer works"
ok "when the provider is gone the last set is kept (and logged): a fresh token of key b still works"
mg_wait 15 "logged 'is older than jwks_max_stale (8 s): dropped'" || fail "the set was not dropped"
[ "$(ask /mcp "$(token b)")" = 401 ] || fail "a token was served after the set was dropped"
ok "after jwks_max_stale the set is dropped (logged) and tokens are refused as unknown key"

mg_done
