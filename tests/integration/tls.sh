#!/usr/bin/env bash
# HTTPS, against the real daemon, with certificates made by the openssl
# command line at test time (tls_lib.sh: a test CA; server certificates for
# localhost/127.0.0.1, for other.test, for the wrong host, an expired one,
# a renewed one; a client certificate; a client certificate of a CA the
# gateway does not trust).  Three gateways run:
#   A (2 workers): the HTTPS listeners under test, and plain-HTTP proxy
#     routes to B;
#   B (1 worker): the https upstreams: good, expired, wrong host, and one
#     that wants client certificates;
#   C (1 worker): ssl_handshake_timeout 1s, for the failed handshakes.
# Checks:
#  1. curl over https: ping, initialize, a call, a 192 KiB body each way,
#     an SSE answer; ALPN is http/1.1 even when the client offers h2; TLS
#     1.2 works by default; a TLSv1.3-only server refuses a TLS 1.2 client;
#     a TLSv1.2-only server with ssl_ciphers refuses TLS 1.3 and other
#     ciphers; session resumption (tickets, TLS 1.2 and 1.3) works across
#     the workers; the key files are root's 0600 and the workers run as
#     nobody (when the test runs as root).
#  2. SNI: servers on one port with their own certificates and names; the
#     client gets the certificate of the name it asks for (any case), and
#     the request goes to that server; an unknown name or none gets the
#     default server's; also on a port whose default server listens on a
#     second ssl port; SNI to a server with ssl_verify_client on applies
#     its verification, and "Host:" of that server on a connection that
#     negotiated another name (or none) without a certificate is refused.
#  3. The official TypeScript SDK client over https (NODE_EXTRA_CA_CERTS):
#     initialize, tools/list, tools/call echo; without the CA it refuses.
#  4. A proxies to B over https: ssl_trusted_certificate verifies, a call
#     goes through; an expired certificate, one for the wrong host, and
#     one from a CA the system store does not know each fail at once with
#     a JSON-RPC error naming the upstream and why (and a warn line);
#     ssl_verify off makes the unknown CA work, with a warning at start.
#  5. mTLS: ssl_verify_client on refuses a client without a certificate
#     (TLS 1.3 and 1.2, one info line) and one with an untrusted
#     certificate, takes the right one and logs its subject in the 13th
#     field of the access log; optional takes both and logs the subject
#     only when there is one; a resumed session keeps its subject, and a
#     session of another server of the port does not stand in for the
#     certificate.  Upstream mTLS: A's upstream with ssl_certificate/_key
#     gets through to a B that wants client certificates (B logs A's
#     subject); without them, an error (and B logs the refused handshake).
#  6. Reload: a renewed certificate file is served after SIGHUP (serial and
#     subject), a call in flight on a connection opened before it gets its
#     answer, the session goes on; a garbage certificate, a key that does
#     not match, a garbage key each fail the reload (the old certificate
#     keeps serving; the log names the file and the server block's
#     file:line) and fail "mcpgw -t" the same way; a start with the
#     garbage certificate exits 1 saying why.
#  7. Garbage, text, plain HTTP, a client that says nothing past
#     ssl_handshake_timeout 1s, and one that stops after a record header:
#     each is closed (at once, or after 1 s), each with exactly one info
#     line in the error log, while an https request in parallel on the
#     same (only) worker is answered; after a completed handshake the
#     timeout no longer applies.
# A failed check does not stop the others.  Needs openssl and curl, and
# tests/proxy/node_modules (npm ci --prefix tests/proxy) for check 3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
. "$(dirname "$0")/tls_lib.sh"
tl_setup
px_need_modules
command -v openssl > /dev/null || fail "the openssl command is needed"
command -v curl > /dev/null || fail "curl is needed"

tl_make_certs
P=$TL_PKI
CA=(--cacert "$P/ca.pem")

read -r A_TLS A_SNI1 A_SNI2 A_T13 A_T12 A_MTLS A_OPT A_HTTP B_OK B_EXP B_WRONG B_MTLS C_HS <<< "$(free_port 13 | tr '\n' ' ')"
[ -n "$C_HS" ] || fail "no free ports"
MG_PORT=$A_HTTP

# The certificate of A's default server is a copy: check 6 renews it.
cp "$P/srv.pem" "$MG_TMP/live.pem"
cp "$P/srv.key" "$MG_TMP/live.key"
chmod 600 "$MG_TMP/live.key"

# ---- gateway B: the https upstreams ----------------------------------------
cat > "$MG_TMP/gw_b.conf" <<CONF
worker_processes 1;
pid $MG_TMP/gw_b.pid;
error_log $MG_TMP/gw_b.log debug;
shutdown_timeout 2s;
access_log $MG_TMP/gw_b.access;
server {
    listen 127.0.0.1:$B_OK ssl;
    ssl_certificate $P/srv.pem;
    ssl_certificate_key $P/srv.key;
    location /mcp/demo { mcp_builtin demo; }
}
server {
    listen 127.0.0.1:$B_EXP ssl;
    ssl_certificate $P/expired.pem;
    ssl_certificate_key $P/expired.key;
    location /mcp/demo { mcp_builtin demo; }
}
server {
    listen 127.0.0.1:$B_WRONG ssl;
    ssl_certificate $P/wrong.pem;
    ssl_certificate_key $P/wrong.key;
    location /mcp/demo { mcp_builtin demo; }
}
server {
    listen 127.0.0.1:$B_MTLS ssl;
    ssl_certificate $P/srv.pem;
    ssl_certificate_key $P/srv.key;
    ssl_client_certificate $P/ca.pem;
    ssl_verify_client on;
    location /mcp/demo { mcp_builtin demo; }
}
CONF

# ---- gateway C: failed handshakes ------------------------------------------
cat > "$MG_TMP/gw_c.conf" <<CONF
worker_processes 1;
pid $MG_TMP/gw_c.pid;
error_log $MG_TMP/gw_c.log debug;
shutdown_timeout 2s;
server {
    listen 127.0.0.1:$C_HS ssl;
    ssl_certificate $P/srv.pem;
    ssl_certificate_key $P/srv.key;
    ssl_handshake_timeout 1s;
    location /mcp/demo { mcp_builtin demo; }
}
CONF

# ---- gateway A --------------------------------------------------------------
px_conf 2 "access_log $MG_TMP/access.log;" "
upstream up_ok {
    server https://127.0.0.1:$B_OK/mcp/demo;
    ssl_trusted_certificate $P/ca.pem;
}
upstream up_expired {
    server https://127.0.0.1:$B_EXP/mcp/demo;
    ssl_trusted_certificate $P/ca.pem;
}
upstream up_wrong_host {
    server https://localhost:$B_WRONG/mcp/demo;
    ssl_trusted_certificate $P/ca.pem;
}
upstream up_unknown_ca {
    server https://127.0.0.1:$B_OK/mcp/demo;
}
upstream up_no_verify {
    server https://127.0.0.1:$B_OK/mcp/demo;
    ssl_verify off;
}
upstream up_mtls {
    server https://127.0.0.1:$B_MTLS/mcp/demo;
    ssl_trusted_certificate $P/ca.pem;
    ssl_certificate $P/client.pem;
    ssl_certificate_key $P/client.key;
}
upstream up_mtls_nocert {
    server https://127.0.0.1:$B_MTLS/mcp/demo;
    ssl_trusted_certificate $P/ca.pem;
}
server {
    listen 127.0.0.1:$A_TLS ssl;
    server_name localhost;
    ssl_certificate $MG_TMP/live.pem;
    ssl_certificate_key $MG_TMP/live.key;
    location /mcp/demo { mcp_builtin demo; }
}
server {
    listen 127.0.0.1:$A_TLS ssl;
    server_name other.test;
    ssl_certificate $P/other.pem;
    ssl_certificate_key $P/other.key;
    location /mcp/demo { mcp_builtin demo; }
}
server {
    listen 127.0.0.1:$A_TLS ssl;
    server_name mtls.test;
    ssl_certificate $P/mtls.pem;
    ssl_certificate_key $P/mtls.key;
    ssl_client_certificate $P/ca.pem;
    ssl_verify_client on;
    location /mcp/demo { mcp_builtin demo; }
}
server {
    listen 127.0.0.1:$A_SNI1 ssl;
    listen 127.0.0.1:$A_SNI2 ssl;
    server_name localhost;
    ssl_certificate $P/srv.pem;
    ssl_certificate_key $P/srv.key;
    location /mcp/demo { mcp_builtin demo; }
}
server {
    listen 127.0.0.1:$A_SNI1 ssl;
    server_name other.test;
    ssl_certificate $P/other.pem;
    ssl_certificate_key $P/other.key;
    location /mcp/demo { mcp_builtin demo; }
}
server {
    listen 127.0.0.1:$A_T13 ssl;
    ssl_protocols TLSv1.3;
    ssl_certificate $P/srv.pem;
    ssl_certificate_key $P/srv.key;
    location /mcp/demo { mcp_builtin demo; }
}
server {
    listen 127.0.0.1:$A_T12 ssl;
    ssl_protocols TLSv1.2;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305;
    ssl_certificate $P/srv.pem;
    ssl_certificate_key $P/srv.key;
    location /mcp/demo { mcp_builtin demo; }
}
server {
    listen 127.0.0.1:$A_MTLS ssl;
    ssl_certificate $P/srv.pem;
    ssl_certificate_key $P/srv.key;
    ssl_client_certificate $P/ca.pem;
    ssl_verify_client on;
    location /mcp/demo { mcp_builtin demo; }
}
server {
    listen 127.0.0.1:$A_OPT ssl;
    ssl_certificate $P/srv.pem;
    ssl_certificate_key $P/srv.key;
    ssl_client_certificate $P/ca.pem;
    ssl_verify_client optional;
    location /mcp/demo { mcp_builtin demo; }
}
server {
    listen 127.0.0.1:$A_HTTP;
    location /up/ok { mcp_pass up_ok; }
    location /up/expired { mcp_pass up_expired; }
    location /up/wrong_host { mcp_pass up_wrong_host; }
    location /up/unknown_ca { mcp_pass up_unknown_ca; }
    location /up/no_verify { mcp_pass up_no_verify; }
    location /up/mtls { mcp_pass up_mtls; }
    location /up/mtls_nocert { mcp_pass up_mtls_nocert; }
}"
# the line of the server block that holds live.pem: what a failed load names
A_SRV_LINE=$(awk -v f="$MG_TMP/live.pem" '/^server \{/ { s = NR } index($0, f) { print s; exit }' "$MG_TMP/mcpgw.conf")

"$MCPGW" -t -c "$MG_TMP/mcpgw.conf" > "$MG_TMP/t.out" 2>&1 ||
	fail "mcpgw -t fails on the test configuration: $(cat "$MG_TMP/t.out")"
tl_start gw_b
tl_start gw_c
mg_start
ok "three gateways serve https: A with 9 servers on 7 ssl ports, B with 4, C with 1 (mcpgw -t passes)"
tl_logs

U=https://localhost:$A_TLS/mcp/demo
T13=https://localhost:$A_T13/mcp/demo
T12=https://localhost:$A_T12/mcp/demo
MT=https://localhost:$A_MTLS/mcp/demo
OP=https://localhost:$A_OPT/mcp/demo
G=http://127.0.0.1:$A_HTTP
AL=$MG_TMP/access.log
MS=(--resolve "mtls.test:$A_TLS:127.0.0.1" "${CA[@]}")
CC=(--cert "$P/client.pem" --key "$P/client.key")
RC=(--cert "$P/rogue.pem" --key "$P/rogue.key")
# the client certificate's subject as the access log writes it
SUBJ='"/O=mcpgw tests/CN=test client"'

# The probe tables below: WHAT | REQUEST | EXPECT | EXPECT ...  One row,
# one check; REQUEST "-" checks the row above's request again.  The
# requests (ping, init, echo, sni, s_client, upinit, raw, log, conftest)
# and the EXPECT keys are described at tl_probe in tls_lib.sh.

# ==== 1. curl over https ======================================================
# curl offers h2 and http/1.1 (it was built with nghttp2): the server must
# take http/1.1
tl_table tl_probe <<'ROWS'
ping over https (curl --cacert, https://localhost): 200 with the result | ping "$U" "${CA[@]}" | status=200 | body="id":2 | body="result":{}
ALPN: the server accepted http/1.1 (curl offers h2 too) | - | curl.v=ALPN.*(server accepted|accepted to use).*http/1\.1
ALPN with openssl s_client -alpn h2,http/1.1: http/1.1 | s_client "127.0.0.1:$A_TLS" -servername localhost -alpn h2,http/1.1 | s_client=ALPN protocol: http/1.1
initialize, notifications/initialized and tools/call echo over https | echo "$U" "over https" "${CA[@]}" | status=200 | body="text":"echo: over https"
ROWS
# a large body each way, and an SSE answer, over TLS, in that session
if [ -n "$TL_SESSION" ]; then
	{
		printf '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"message":"'
		head -c 196608 /dev/zero | tr '\0' 'x'
		printf '"}}}'
	} > "$MG_TMP/big.json"
	tl_post "$U" "@$MG_TMP/big.json" -H "Mcp-Session-Id: $TL_SESSION" "${CA[@]}"
	if [ "$TL_ST" = 200 ] && "$PX_NODE" -e 'const fs = require("fs");
		const m = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
		process.exit(m.id === 4 && m.result.content[0].text === "echo: " + "x".repeat(196608) ? 0 : 1)' "$TL_B"; then
		ok "a 192 KiB request and its 192 KiB answer over https come through whole"
	else
		check_failed "echo of 192 KiB over https: status $TL_ST (curl exit $TL_CURL_RC), answer of $(wc -c < "$TL_B") bytes"
	fi
	tl_post "$U" '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"progress","arguments":{"steps":20},"_meta":{"progressToken":"p1"}}}' \
		-H "Mcp-Session-Id: $TL_SESSION" "${CA[@]}"
	np=$(grep -c '"method":"notifications/progress"' "$TL_B")
	if [ "$TL_ST" = 200 ] && [ "$np" = 20 ] && grep -q '"id":5,"result"' "$TL_B"; then
		ok "an SSE answer over https: 20 progress notifications, then the result"
	else
		check_failed "progress over https: status $TL_ST, $np progress events; $(head -c 300 "$TL_B")"
	fi
fi
# protocol versions and ciphers (curl exit 35: the handshake failed)
tl_table tl_probe <<'ROWS'
https://127.0.0.1 (the certificate's IP address) verifies too | ping "https://127.0.0.1:$A_TLS/mcp/demo" "${CA[@]}" | status=200
a TLS 1.2-only client (curl --tls-max 1.2) works with the default ssl_protocols | ping "$U" "${CA[@]}" --tls-max 1.2 | status=200 | curl.v=SSL connection using TLSv1\.2
a TLS 1.3 client (curl --tlsv1.3) works with the default ssl_protocols | ping "$U" "${CA[@]}" --tlsv1.3 | status=200 | curl.v=SSL connection using TLSv1\.3
ssl_protocols TLSv1.3: a TLS 1.2-only client fails the handshake | ping "$T13" "${CA[@]}" --tls-max 1.2 | status=000 | curl=35
ssl_protocols TLSv1.3: a TLS 1.3 client works | ping "$T13" "${CA[@]}" | status=200 | curl.v=SSL connection using TLSv1\.3
ssl_protocols TLSv1.2 and ssl_ciphers: a TLS 1.3-only client fails the handshake | ping "$T12" "${CA[@]}" --tlsv1.3 | status=000 | curl=35
ssl_protocols TLSv1.2 and ssl_ciphers: a client with only other ciphers fails the handshake | ping "$T12" "${CA[@]}" --tls-max 1.2 --ciphers ECDHE-ECDSA-AES256-GCM-SHA384 | status=000 | curl=35
ssl_protocols TLSv1.2 and ssl_ciphers: a default client gets TLS 1.2 and one of the ciphers | ping "$T12" "${CA[@]}" | status=200 | curl.v=SSL connection using TLSv1\.2 / ECDHE-ECDSA-(AES128-GCM-SHA256|CHACHA20-POLY1305)
ROWS

# Session resumption: the ticket keys are the master's, so a ticket from
# one worker resumes on any of them (2 workers, 6 resumptions).
for v in -tls1_2 -tls1_3; do
	rm -f "$MG_TMP/sess.pem"
	# stdin open a little while: a TLS 1.3 ticket comes after the handshake
	sleep 0.5 | timeout 10 openssl s_client -connect "127.0.0.1:$A_TLS" -servername localhost \
		$v -CAfile "$P/ca.pem" -sess_out "$MG_TMP/sess.pem" > "$MG_TMP/s_client.out" 2>&1
	reused=0
	for i in 1 2 3 4 5 6; do
		sleep 0.2 | timeout 10 openssl s_client -connect "127.0.0.1:$A_TLS" -servername localhost \
			$v -CAfile "$P/ca.pem" -sess_in "$MG_TMP/sess.pem" > "$MG_TMP/s_client.out" 2>&1
		grep -q '^Reused, TLS' "$MG_TMP/s_client.out" && reused=$((reused + 1))
	done
	if [ "$reused" = 6 ]; then
		ok "session resumption ($v): 6 of 6 new connections resumed the first one's session"
	else
		check_failed "session resumption ($v): $reused of 6 connections resumed; last: $(grep -E '^(New|Reused)|Verify return' "$MG_TMP/s_client.out" | tr '\n' '|')"
	fi
done

if [ "$(id -u)" = 0 ]; then
	workers=$(mg_role_pids "$MG_MASTER" worker)
	users=$(for w in $workers; do ps -o user= -p "$w"; done | sort -u | tr '\n' ' ')
	keymode=$(stat -c '%a %U' "$MG_TMP/live.key")
	if [ "$users" = "nobody " ] && [ "$keymode" = "600 root" ]; then
		ok "the workers run as nobody and the key file is 0600 root: the master read it before dropping privileges"
	else
		check_failed "workers run as: $users; key file: $keymode"
	fi
fi

# ==== 2. SNI ====================================================================
# The second group: a default server that listens on two ssl ports, and
# another server on the first of them only (as with "listen 443 ssl;
# listen [::]:443 ssl;" in the default server and an IPv4-only second
# server).  Then SNI picks a server that wants client certificates: its
# verification applies.  The server is chosen by Host, the certificate and
# client verification by SNI: a client that negotiated localhost (or no
# name) without a client certificate must not reach mtls.test by sending
# "Host: mtls.test" (nginx answers 421 Misdirected Request).
tl_table tl_probe <<'ROWS'
SNI: openssl s_client -servername other.test gets CN = other.test | sni "$A_TLS" -servername other.test | peer.subject=CN = other.test
SNI: -servername OTHER.TEST (names ignore case) gets CN = other.test | sni "$A_TLS" -servername OTHER.TEST | peer.subject=CN = other.test
SNI: -servername localhost gets CN = localhost | sni "$A_TLS" -servername localhost | peer.subject=CN = localhost
SNI: no server name (the default server) gets CN = localhost | sni "$A_TLS" -noservername | peer.subject=CN = localhost
SNI: an unknown name (the default server) gets CN = localhost | sni "$A_TLS" -servername unknown.test | peer.subject=CN = localhost
SNI: port 1 of a default server on two ssl ports, -servername other.test (other.test listens there) gets CN = other.test | sni "$A_SNI1" -servername other.test | peer.subject=CN = other.test
SNI: port 1 of a default server on two ssl ports, -servername localhost gets CN = localhost | sni "$A_SNI1" -servername localhost | peer.subject=CN = localhost
SNI: port 2 of a default server on two ssl ports, -servername other.test (other.test does not listen there) gets CN = localhost | sni "$A_SNI2" -servername other.test | peer.subject=CN = localhost
curl --resolve other.test:PORT:127.0.0.1 https://other.test:PORT: verified with other.test's certificate, initialize answered | init "https://other.test:$A_TLS/mcp/demo" "${CA[@]}" --resolve "other.test:$A_TLS:127.0.0.1" | status=200 | body="protocolVersion":"2025-11-25" | curl.v=subject: CN ?= ?other\.test
the request on other.test went to the other.test server (access log) | - | host=other.test
curl https://localhost:PORT on the same port: localhost's certificate | ping "https://localhost:$A_TLS/mcp/demo" "${CA[@]}" | status=200 | curl.v=subject: CN ?= ?localhost
SNI mtls.test (ssl_verify_client on) without a client certificate: refused | ping "https://mtls.test:$A_TLS/mcp/demo" "${MS[@]}" | status=000 | curl=!0
SNI mtls.test with the client certificate: answered by mtls.test, subject logged | ping "https://mtls.test:$A_TLS/mcp/demo" "${MS[@]}" "${CC[@]}" | status=200 | subject=@SUBJ@ | host=mtls.test
SNI localhost, no client certificate, Host: mtls.test (ssl_verify_client on): refused with a 4xx (421 as nginx) | ping "https://localhost:$A_TLS/mcp/demo" "${CA[@]}" -H "Host: mtls.test" | status=4..
no SNI, no client certificate, Host: mtls.test (ssl_verify_client on): refused with a 4xx (421 as nginx) | ping "https://127.0.0.1:$A_TLS/mcp/demo" "${CA[@]}" -H "Host: mtls.test" | status=4..
the default server of that port still takes clients without certificates | ping "https://localhost:$A_TLS/mcp/demo" "${CA[@]}" | status=200
ROWS

# ==== 3. the official TypeScript SDK over https ================================
# The script lives in $MG_TMP with a node_modules link to tests/proxy's, so
# that the SDK resolves as it does for tests/proxy/*.mjs.
ln -s "$PX_MODULES" "$MG_TMP/node_modules"
cat > "$MG_TMP/sdk_https.mjs" <<'JS'
// node sdk_https.mjs URL [refuse]: the official SDK client over https.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, mode] = process.argv.slice(2);
setTimeout(() => { console.log('FAIL: sdk_https.mjs did not finish within 30 s'); process.exit(1); }, 30000);
const why = (e) => `${e?.message ?? e}${e?.cause ? ` (cause: ${e.cause.code ?? ''} ${e.cause.message ?? e.cause})` : ''}`;
const textOf = (r) => (r?.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('');

const client = new Client({ name: 'mcpgw-tls-test', version: '1.0.0' });
const transport = new StreamableHTTPClientTransport(new URL(url));
try {
	await client.connect(transport, { timeout: 10000 });
} catch (e) {
	if (mode === 'refuse' && /certificate|self.signed|issuer|verify/i.test(why(e))) {
		console.log(`ok - without the test CA the SDK client refuses the gateway's certificate: ${why(e).slice(0, 160)}`);
		process.exit(0);
	}
	console.log(`FAIL: SDK client connect to ${url}: ${why(e)}`);
	process.exit(1);
}
if (mode === 'refuse') {
	console.log('FAIL: the SDK client connected without trusting the test CA');
	process.exit(1);
}
const info = client.getServerVersion();
if (!transport.sessionId) { console.log('FAIL: no session id after initialize over https'); process.exit(1); }
console.log(`ok - SDK client: initialize over https (server ${info?.name} ${info?.version})`);
const tools = (await client.listTools()).tools.map((t) => t.name);
if (!tools.includes('echo')) { console.log(`FAIL: tools/list over https: ${JSON.stringify(tools)}`); process.exit(1); }
console.log(`ok - SDK client: tools/list over https (${tools.join(', ')})`);
const r = await client.callTool({ name: 'echo', arguments: { message: 'TLS ✓ with the SDK' } });
if (textOf(r) !== 'echo: TLS ✓ with the SDK') { console.log(`FAIL: tools/call echo over https: ${JSON.stringify(r)}`); process.exit(1); }
console.log('ok - SDK client: tools/call echo over https, non-ASCII intact');
await transport.terminateSession();
await client.close();
process.exit(0);
JS
sdk_run() {
	PX_RC=0
	timeout -k 5 40 "$PX_NODE" "$MG_TMP/sdk_https.mjs" "$@" > "$MG_TMP/node.out" 2>&1 || PX_RC=$?
}
NODE_EXTRA_CA_CERTS=$P/ca.pem sdk_run "$U"
px_report "sdk_https.mjs $U"
PX_RC=0
(
	unset NODE_EXTRA_CA_CERTS
	sdk_run "$U" refuse
	exit "$PX_RC"
) || PX_RC=$?
px_report "sdk_https.mjs refuse (no NODE_EXTRA_CA_CERTS)"

# ==== 4. https upstreams ========================================================
# A's plain-HTTP routes /up/NAME pass to upstream up_NAME on B.  A refused
# upstream is an immediate JSON-RPC error naming the upstream and the cause,
# and a warn line in A's error log.
tl_table tl_probe <<'ROWS'
A -> B over https (ssl_trusted_certificate = the test CA): initialize and tools/call echo go through | echo "$G/up/ok" "through https" | status=200 | body="text":"echo: through https"
B answered the call (its access log has it) | - | b.access~ tools/call echo 200 =1
an upstream with an expired certificate: at once the client gets -32000 naming it and why | upinit expired | rpc.error=certificate has expired
an upstream with an expired certificate: A's error log says it too | - | a.warn=certificate has expired
an upstream whose certificate is for another host (https://localhost, a wrong.test certificate): at once the client gets -32000 naming it and why | upinit wrong_host | rpc.error=hostname mismatch
an upstream whose certificate is for another host: A's error log says it too | - | a.warn=hostname mismatch
an upstream whose CA the system store does not know (no ssl_trusted_certificate): at once the client gets -32000 naming it and why | upinit unknown_ca | rpc.error=unable to get local issuer certificate|self.signed|unknown ca
an upstream whose CA the system store does not know: A's error log says it too | - | a.warn=unable to get local issuer certificate|self.signed|unknown ca
ssl_verify off: a warning at start | log | a.error~\[warn\].*"ssl_verify off" in upstream "up_no_verify": its certificate is not checked>0
ssl_verify off: the upstream with the unknown CA works | echo "$G/up/no_verify" unverified | status=200 | body="text":"echo: unverified"
ROWS

# ==== 5. client certificates ===================================================
# The subject of a client certificate is the 13th field of the access log
# ("-" without one), before the identity (14th, "-" here: no auth_jwt).
tl_table tl_probe <<'ROWS'
ssl_verify_client on, no client certificate: refused | ping "$MT" "${CA[@]}" | status=000 | curl=!0
... and one info line in A's error log | - | a.error~TLS handshake with 127\.0\.0\.1 failed=1
ssl_verify_client on, no client certificate, TLS 1.2: refused | ping "$MT" "${CA[@]}" --tls-max 1.2 | status=000 | curl=!0
ssl_verify_client on, a certificate of an untrusted CA: refused | ping "$MT" "${CA[@]}" "${RC[@]}" | status=000 | curl=!0
ssl_verify_client on, the right client certificate: answered | ping "$MT" "${CA[@]}" "${CC[@]}" | status=200
the access log's 13th field is the client's subject: @SUBJ@ | - | subject=@SUBJ@
ssl_verify_client optional: without a certificate answered, logged - | ping "$OP" "${CA[@]}" | status=200 | subject=-
ssl_verify_client optional: with one answered, logged @SUBJ@ | ping "$OP" "${CA[@]}" "${CC[@]}" | status=200 | subject=@SUBJ@
ssl_verify_client optional, a certificate of an untrusted CA: refused at the handshake | ping "$OP" "${CA[@]}" "${RC[@]}" | status=000 | curl=!0
a client certificate sent to a server without ssl_verify_client: answered, no subject logged | ping "$U" "${CA[@]}" "${CC[@]}" | status=200 | subject=-
ROWS

# Session resumption and client certificates: a session of the mTLS server,
# made with the client certificate, resumed without presenting it again
# keeps the session's subject; a session of the default server (no client
# certificate) offered with SNI mtls.test must not stand in for the
# certificate mtls.test wants.
for v in -tls1_2 -tls1_3; do
	(sleep 0.5) | timeout 10 openssl s_client -connect "127.0.0.1:$A_MTLS" -servername localhost $v \
		-CAfile "$P/ca.pem" -cert "$P/client.pem" -key "$P/client.key" -sess_out "$MG_TMP/sess.pem" > /dev/null 2>&1
	tl_probe "ssl_verify_client on, a resumed session ($v): answered, the subject of the session's certificate logged" \
		'raw "$A_MTLS" localhost localhost $v -sess_in "$MG_TMP/sess.pem"' \
		'raw=^Reused' 'raw=^HTTP/1.1 200' 'subject=@SUBJ@'
	(sleep 0.5) | timeout 10 openssl s_client -connect "127.0.0.1:$A_TLS" -servername localhost $v \
		-CAfile "$P/ca.pem" -sess_out "$MG_TMP/sess.pem" > /dev/null 2>&1
	tl_probe "a session of the default server (no client certificate) offered with SNI mtls.test ($v) does not get past ssl_verify_client on" \
		'raw "$A_TLS" mtls.test mtls.test $v -sess_in "$MG_TMP/sess.pem"' \
		'raw!=^HTTP/1.1 2'
done

# Upstream mTLS: A's upstream with ssl_certificate/ssl_certificate_key gets
# through to B (ssl_verify_client on), which logs A's subject; without
# them, an error, and B logs the refused handshake.
tl_table tl_probe <<'ROWS'
upstream mTLS: A's upstream with ssl_certificate/ssl_certificate_key gets through to B (ssl_verify_client on) | echo "$G/up/mtls" mutual | status=200 | body="text":"echo: mutual"
B logged the gateway's client certificate: @SUBJ@ | - | b.subject=@SUBJ@
an upstream that wants a client certificate, none configured: at once the client gets -32000 naming it and why | upinit mtls_nocert | rpc.error=TLS|certificate|handshake|closed
an upstream that wants a client certificate, none configured: A's error log says it too | - | a.warn=TLS|certificate|handshake|closed
... and B logged the refused handshake | - | b.error~TLS handshake with 127\.0\.0\.1 failed>0
ROWS

# ==== 6. reload: a renewed certificate, and bad ones ============================
tl_probe "before the reload, the served certificate is the first one (serial 1001)" \
	'sni "$A_TLS" -servername localhost' 'peer.serial=1001'

# a call in flight on a connection opened before the reload
tl_session "$U" "${CA[@]}" || check_failed "initialize before the reload: $(tl_what)"
SID=$TL_SESSION
curl -sS --max-time 15 "${CA[@]}" -X POST -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25' \
	-H "Mcp-Session-Id: $SID" -w '\n%{http_code}\n' \
	--data-binary '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":2500}}}' \
	"$U" > "$MG_TMP/inflight.out" 2> "$MG_TMP/inflight.err" &
inflight=$!
MG_BG_PIDS="$MG_BG_PIDS $inflight"
sleep 0.5
cp "$P/srv2.pem" "$MG_TMP/live.pem"
cp "$P/srv2.key" "$MG_TMP/live.key"
kill -HUP "$MG_MASTER"
if mg_wait 10 "grep -q 'generation 2 ready' '$MG_TMP/error.log'"; then
	ok "reload after renewing the certificate file: generation 2 ready"
else
	check_failed "no 'generation 2 ready' after SIGHUP: $(grep -E 'reload' "$MG_TMP/error.log" | tail -n 2)"
fi
tl_probe "after the reload, the renewed certificate is served (serial 1002)" \
	'sni "$A_TLS" -servername localhost' 'peer.serial=1002'
wait "$inflight"
irc=$?
if [ "$irc" = 0 ] && grep -q '"text":"slept 2500 ms"' "$MG_TMP/inflight.out" && [ "$(tail -n 1 "$MG_TMP/inflight.out")" = 200 ]; then
	ok "the call in flight on the connection opened before the reload got its answer (slept 2500 ms)"
else
	check_failed "the call in flight across the reload: curl exit $irc; $(head -c 400 "$MG_TMP/inflight.out") $(cat "$MG_TMP/inflight.err")"
fi
tl_call "$U" "$SID" 10 echo '{"message":"after the reload"}' "${CA[@]}"
if [ "$TL_ST" = 200 ] && grep -q '"text":"echo: after the reload"' "$TL_B"; then
	ok "the session goes on over https after the reload"
else
	check_failed "the session after the reload: $(tl_what)"
fi

# A start with a garbage certificate file fails, saying why
tl_garbage_cert "$MG_TMP/live.pem"
D_PORT=$(free_port)
cat > "$MG_TMP/gw_d.conf" <<CONF
pid $MG_TMP/gw_d.pid;
error_log $MG_TMP/gw_d.log;
server {
    listen 127.0.0.1:$D_PORT ssl;
    ssl_certificate $MG_TMP/live.pem;
    ssl_certificate_key $P/srv.key;
    location /mcp/demo { mcp_builtin demo; }
}
CONF
rc=0
timeout 10 "$MCPGW" -F -c "$MG_TMP/gw_d.conf" > "$MG_TMP/gw_d.stdout.log" 2>&1 || rc=$?
want="cannot load ssl_certificate \"$MG_TMP/live.pem\" (.*) in $MG_TMP/gw_d.conf:3"
if [ "$rc" = 1 ] && grep -qE "$want" "$MG_TMP/gw_d.log" "$MG_TMP/gw_d.stdout.log"; then
	ok "a start with the garbage certificate exits 1: $(grep -hE 'cannot load' "$MG_TMP/gw_d.log" "$MG_TMP/gw_d.stdout.log" | head -n 1 | sed 's/^.*\] [0-9]* //')"
else
	check_failed "a start with the garbage certificate: exit $rc (124: still running), expected 1 and /$want/; log: $(cat "$MG_TMP/gw_d.log" "$MG_TMP/gw_d.stdout.log" 2> /dev/null | tail -n 3)"
fi

# Bad files in A's live.pem/live.key: each row is four checks (tl_bad_reload:
# the reload fails naming the file, the old certificate keeps serving, https
# works, mcpgw -t fails the same way).  WHAT | PREPARE | DIRECTIVE | FILE
tl_table tl_bad_reload <<'ROWS'
a garbage certificate file | tl_garbage_cert "$MG_TMP/live.pem" | ssl_certificate | @MG_TMP@/live.pem
a key that does not match the certificate | cp "$P/srv2.pem" "$MG_TMP/live.pem"; cp "$P/other.key" "$MG_TMP/live.key" | ssl_certificate_key | @MG_TMP@/live.key
a garbage key file | echo "not a key" > "$MG_TMP/live.key" | ssl_certificate_key | @MG_TMP@/live.key
ROWS
cp "$P/srv2.key" "$MG_TMP/live.key"
kill -HUP "$MG_MASTER"
if mg_wait 10 "grep -q 'generation 3 ready' '$MG_TMP/error.log'"; then
	ok "with the files repaired the next reload works (generation 3 ready)"
else
	check_failed "no 'generation 3 ready' after repairing the files: $(grep -E 'reload' "$MG_TMP/error.log" | tail -n 2)"
fi

# ==== 7. failed handshakes ======================================================
# On gateway C (one worker, ssl_handshake_timeout 1s).  Each row is two
# checks (tl_handshake): the client is done within the time and exit
# status given, and C logs exactly one info line for it.
# NAME | CLIENT | EXIT | MS | LOG REGEX | WHAT
tl_table tl_handshake <<'ROWS'
garbage | tl_hs_send '\x16\x03\x01\x00\x05garbage that is not TLS\r\n\r\n' | 0 | 0-900 | TLS handshake with 127\.0\.0\.1 failed:  | garbage on the TLS port: closed at once
text | tl_hs_send 'not even a TLS record header, just text\n' | 0 | 0-900 | TLS handshake with 127\.0\.0\.1 failed:  | text on the TLS port: closed at once
plain HTTP | tl_hs_plain | !0 !28 | 0-900 | TLS handshake with 127\.0\.0\.1 failed: .*http request | plain HTTP on the TLS port: closed at once
silent client | tl_hs_silent | 0 | 900-2500 | TLS handshake with 127\.0\.0\.1 timed out | a silent client is closed after ssl_handshake_timeout 1s (client_header_timeout is 60s)
stalled handshake | tl_hs_send '\x16\x03\x01\x02\x00\x01' | 0 | 900-2500 | TLS handshake with 127\.0\.0\.1 timed out | a handshake that stalls after a record header is closed after ssl_handshake_timeout
ROWS

# ssl_handshake_timeout ends with the handshake: a client that completes
# it and then waits 2.5 s before its request is not cut after 1 s
CL=$MG_TMP/gw_c.log
n0=$(tl_nlines "$CL")
t0=$EPOCHREALTIME
(sleep 2.5) | timeout 10 openssl s_client -connect "127.0.0.1:$C_HS" -servername localhost \
	-CAfile "$P/ca.pem" > "$MG_TMP/s_client.out" 2>&1
ms=$(tl_ms_since "$t0")
if [ "$ms" -ge 2400 ] && grep -q 'Verify return code: 0' "$MG_TMP/s_client.out" &&
	[ -z "$(tl_c_lines_since "$n0" | grep 'timed out')" ]; then
	ok "after a completed handshake ssl_handshake_timeout no longer applies (the connection stayed open ${ms} ms)"
else
	check_failed "a completed handshake, then 2.5 s of silence: closed after ${ms} ms; C's log: $(tl_c_lines_since "$n0" | tr '\n' '|')"
fi

if px_no_child_died && ! grep -qE 'exited on signal|exited with code [1-9]' "$MG_TMP/gw_b.log" "$CL"; then
	ok "no process of any gateway died"
else
	check_failed "a process died: $(grep -hE 'exited on signal|exited with code' "$MG_TMP/error.log" "$MG_TMP/gw_b.log" "$CL")"
fi
px_done
