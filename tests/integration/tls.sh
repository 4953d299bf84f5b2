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
#     certificate, takes the right one and logs its subject as the last
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

U=https://localhost:$A_TLS/mcp/demo
AL=$MG_TMP/access.log
# the client certificate's subject as the access log writes it
SUBJ='"/O=mcpgw tests/CN=test client"'

# ==== 1. curl over https ======================================================
tl_post "$U" "$TL_PING" "${CA[@]}"
if [ "$TL_ST" = 200 ] && grep -qE '"id":2' "$TL_B" && grep -q '"result":{}' "$TL_B"; then
	ok "ping over https (curl --cacert, https://localhost): 200 with the result"
else
	check_failed "ping over https: $(tl_what)"
fi
# curl offers h2 and http/1.1 (it was built with nghttp2): the server must
# take http/1.1
if grep -qE 'ALPN.*(server accepted|accepted to use).*http/1\.1' "$TL_V"; then
	ok "ALPN: the server accepted http/1.1 ($(grep -E 'ALPN.*offers' "$TL_V" | head -n 1 | sed 's/^\* //'))"
else
	check_failed "ALPN: no 'server accepted http/1.1' in curl -v: $(grep -iE 'ALPN|SSL connection' "$TL_V" | tr '\n' '|')"
fi
tl_s_client "127.0.0.1:$A_TLS" -servername localhost -alpn h2,http/1.1
if grep -q 'ALPN protocol: http/1.1' "$MG_TMP/s_client.out"; then
	ok "ALPN with openssl s_client -alpn h2,http/1.1: http/1.1"
else
	check_failed "ALPN with s_client -alpn h2,http/1.1: $(grep -iE 'ALPN|error' "$MG_TMP/s_client.out" | head -n 3)"
fi

if tl_session "$U" "${CA[@]}"; then
	tl_call "$U" "$TL_SESSION" 3 echo '{"message":"over https"}' "${CA[@]}"
	if [ "$TL_ST" = 200 ] && grep -q '"text":"echo: over https"' "$TL_B"; then
		ok "initialize, notifications/initialized and tools/call echo over https"
	else
		check_failed "tools/call echo over https: $(tl_what)"
	fi
else
	check_failed "initialize over https: $(tl_what)"
fi
# a large body each way, and an SSE answer, over TLS
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
tl_post "https://127.0.0.1:$A_TLS/mcp/demo" "$TL_PING" "${CA[@]}"
if [ "$TL_ST" = 200 ]; then
	ok "https://127.0.0.1 (the certificate's IP address) verifies too"
else
	check_failed "https://127.0.0.1: $(tl_what)"
fi

tl_post "$U" "$TL_PING" "${CA[@]}" --tls-max 1.2
if [ "$TL_ST" = 200 ] && grep -qE 'SSL connection using TLSv1\.2' "$TL_V"; then
	ok "a TLS 1.2-only client (curl --tls-max 1.2) works with the default ssl_protocols"
else
	check_failed "TLS 1.2 client with the default ssl_protocols: $(tl_what)"
fi
tl_post "$U" "$TL_PING" "${CA[@]}" --tlsv1.3
if [ "$TL_ST" = 200 ] && grep -qE 'SSL connection using TLSv1\.3' "$TL_V"; then
	ok "a TLS 1.3 client (curl --tlsv1.3) works with the default ssl_protocols"
else
	check_failed "TLS 1.3 client with the default ssl_protocols: $(tl_what)"
fi
tl_post "https://localhost:$A_T13/mcp/demo" "$TL_PING" "${CA[@]}" --tls-max 1.2
if [ "$TL_ST" = 000 ] && [ "$TL_CURL_RC" = 35 ]; then
	ok "ssl_protocols TLSv1.3: a TLS 1.2-only client fails the handshake (curl exit 35: $(grep -E '^curl' "$TL_V" | head -n 1))"
else
	check_failed "ssl_protocols TLSv1.3 with a TLS 1.2-only client: expected curl exit 35 and no answer; $(tl_what)"
fi
tl_post "https://localhost:$A_T13/mcp/demo" "$TL_PING" "${CA[@]}"
if [ "$TL_ST" = 200 ] && grep -qE 'SSL connection using TLSv1\.3' "$TL_V"; then
	ok "ssl_protocols TLSv1.3: a TLS 1.3 client works"
else
	check_failed "ssl_protocols TLSv1.3 with a TLS 1.3 client: $(tl_what)"
fi

# ssl_protocols TLSv1.2 with ssl_ciphers
T12=https://localhost:$A_T12/mcp/demo
tl_post "$T12" "$TL_PING" "${CA[@]}" --tlsv1.3
r1="$TL_ST/$TL_CURL_RC"
tl_post "$T12" "$TL_PING" "${CA[@]}" --tls-max 1.2 --ciphers ECDHE-ECDSA-AES256-GCM-SHA384
r2="$TL_ST/$TL_CURL_RC"
tl_post "$T12" "$TL_PING" "${CA[@]}"
if [ "$r1" = 000/35 ] && [ "$r2" = 000/35 ] && [ "$TL_ST" = 200 ] &&
	grep -qE 'SSL connection using TLSv1\.2 / ECDHE-ECDSA-(AES128-GCM-SHA256|CHACHA20-POLY1305)' "$TL_V"; then
	ok "ssl_protocols TLSv1.2 and ssl_ciphers: a TLS 1.3-only client and a client with only other ciphers fail the handshake; a default client gets $(grep -oE 'TLSv1\.2 / [A-Z0-9-]+' "$TL_V")"
else
	check_failed "ssl_protocols TLSv1.2 + ssl_ciphers: TLS 1.3 client $r1 (want 000/35), AES256 client $r2 (want 000/35), default client $TL_ST: $(grep 'SSL connection' "$TL_V")"
fi

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
sni_check() { # sni_check PORT S_CLIENT-NAME-OPTIONS EXPECTED-SUBJECT WHAT
	tl_s_client "127.0.0.1:$1" $2 -CAfile "$P/ca.pem"
	local subj
	subj=$(tl_peer_subject)
	if [ "$subj" = "$3" ]; then
		ok "SNI: $4 gets $3"
	else
		check_failed "SNI: $4: expected the certificate $3, got \"$subj\" ($(grep -E 'Verify return|error' "$MG_TMP/s_client.out" | head -n 2 | tr '\n' '|'))"
	fi
}
sni_check "$A_TLS" "-servername other.test" "CN = other.test" "openssl s_client -servername other.test"
sni_check "$A_TLS" "-servername OTHER.TEST" "CN = other.test" "-servername OTHER.TEST (names ignore case)"
sni_check "$A_TLS" "-servername localhost" "CN = localhost" "-servername localhost"
sni_check "$A_TLS" "-noservername" "CN = localhost" "no server name (the default server)"
sni_check "$A_TLS" "-servername unknown.test" "CN = localhost" "an unknown name (the default server)"

# A default server that listens on two ssl ports, and another server on the
# first of them only (as with "listen 443 ssl; listen [::]:443 ssl;" in the
# default server and an IPv4-only second server)
sni_check "$A_SNI1" "-servername other.test" "CN = other.test" "port 1 of a default server on two ssl ports, -servername other.test (other.test listens there)"
sni_check "$A_SNI1" "-servername localhost" "CN = localhost" "port 1 of a default server on two ssl ports, -servername localhost"
sni_check "$A_SNI2" "-servername other.test" "CN = localhost" "port 2 of a default server on two ssl ports, -servername other.test (other.test does not listen there)"

n0=$(tl_nlines "$AL")
tl_post "https://other.test:$A_TLS/mcp/demo" "$TL_INIT" "${CA[@]}" --resolve "other.test:$A_TLS:127.0.0.1"
if [ "$TL_ST" = 200 ] && grep -q '"protocolVersion":"2025-11-25"' "$TL_B" &&
	grep -qE 'subject: CN ?= ?other\.test' "$TL_V"; then
	ok "curl --resolve other.test:PORT:127.0.0.1 https://other.test:PORT: verified with other.test's certificate, initialize answered"
else
	check_failed "curl https://other.test:$A_TLS: $(tl_what); subject: $(grep -E 'subject:' "$TL_V")"
fi
mg_wait 3 "[ \$(tl_nlines '$AL') -gt $n0 ]"
line=$(tl_lines_after "$AL" "$n0" | grep ' POST initialize ' | tail -n 1)
if [ "$(echo "$line" | awk '{ print $3 }')" = other.test ]; then
	ok "the request on other.test went to the other.test server (access log: $(echo "$line" | cut -d' ' -f2-7))"
else
	check_failed "the request on other.test: access log line \"$line\""
fi
tl_post "https://localhost:$A_TLS/mcp/demo" "$TL_PING" "${CA[@]}"
if [ "$TL_ST" = 200 ] && grep -qE 'subject: CN ?= ?localhost' "$TL_V"; then
	ok "curl https://localhost:PORT on the same port: localhost's certificate"
else
	check_failed "curl https://localhost:$A_TLS after other.test: $(tl_what)"
fi

# SNI picks a server that wants client certificates: its verification applies
MS=(--resolve "mtls.test:$A_TLS:127.0.0.1" "${CA[@]}")
tl_post "https://mtls.test:$A_TLS/mcp/demo" "$TL_PING" "${MS[@]}"
if [ "$TL_ST" = 000 ] && [ "$TL_CURL_RC" != 0 ]; then
	ok "SNI mtls.test (ssl_verify_client on) without a client certificate: refused (curl exit $TL_CURL_RC)"
else
	check_failed "SNI mtls.test (ssl_verify_client on) without a client certificate was answered: $(tl_what)"
fi
n0=$(tl_nlines "$AL")
tl_post "https://mtls.test:$A_TLS/mcp/demo" "$TL_PING" "${MS[@]}" --cert "$P/client.pem" --key "$P/client.key"
mg_wait 3 "tl_lines_after '$AL' $n0 | grep -q ' POST ping '"
line=$(tl_lines_after "$AL" "$n0" | grep ' POST ping ' | head -n 1)
if [ "$TL_ST" = 200 ] && [ "${line%" $SUBJ"}" != "$line" ] &&
	[ "$(echo "$line" | awk '{ print $3 }')" = mtls.test ]; then
	ok "SNI mtls.test with the client certificate: answered by mtls.test, subject logged"
else
	check_failed "SNI mtls.test with the client certificate: $(tl_what); logged \"$line\""
fi
# The server is chosen by Host, the certificate and client verification by
# SNI: a client that negotiated localhost (or no name) without a client
# certificate must not reach mtls.test by sending "Host: mtls.test" (nginx
# answers 421 Misdirected Request).
for how in "SNI localhost" "no SNI"; do
	n0=$(tl_nlines "$AL")
	if [ "$how" = "no SNI" ]; then
		tl_post "https://127.0.0.1:$A_TLS/mcp/demo" "$TL_PING" "${CA[@]}" -H "Host: mtls.test"
	else
		tl_post "https://localhost:$A_TLS/mcp/demo" "$TL_PING" "${CA[@]}" -H "Host: mtls.test"
	fi
	mg_wait 2 "[ \$(tl_nlines '$AL') -gt $n0 ]"
	line=$(tl_lines_after "$AL" "$n0" | head -n 1)
	case $TL_ST in
	4??) ok "$how, no client certificate, Host: mtls.test (ssl_verify_client on): refused with $TL_ST" ;;
	*) check_failed "$how, no client certificate, Host: mtls.test (ssl_verify_client on): expected a refusal (421 Misdirected Request, as nginx), got $TL_ST: the request reached the server that requires client certificates without one; $(head -c 200 "$TL_B"); access log: $line" ;;
	esac
done
tl_post "https://localhost:$A_TLS/mcp/demo" "$TL_PING" "${CA[@]}"
if [ "$TL_ST" = 200 ]; then
	ok "the default server of that port still takes clients without certificates"
else
	check_failed "the default server of the port with mtls.test: $(tl_what)"
fi

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
G=http://127.0.0.1:$A_HTTP

# up_call ROUTE: initialize through /up/ROUTE and time it (ms in $UP_MS)
up_init() {
	local t0=$EPOCHREALTIME
	tl_post "$G/up/$1" "$TL_INIT"
	UP_MS=$(((${EPOCHREALTIME/./} - ${t0/./}) / 1000))
}

bn0=$(tl_nlines "$MG_TMP/gw_b.access")
if tl_session "$G/up/ok"; then
	tl_call "$G/up/ok" "$TL_SESSION" 3 echo '{"message":"through https"}'
	if [ "$TL_ST" = 200 ] && grep -q '"text":"echo: through https"' "$TL_B"; then
		ok "A -> B over https (ssl_trusted_certificate = the test CA): initialize and tools/call echo go through"
	else
		check_failed "tools/call through up_ok: $(tl_what)"
	fi
else
	check_failed "initialize through up_ok: $(tl_what); A's log: $(grep -E 'up_ok' "$MG_TMP/error.log" | tail -n 2)"
fi
if [ "$(tl_lines_after "$MG_TMP/gw_b.access" "$bn0" | grep -c ' tools/call echo 200 ')" = 1 ]; then
	ok "B answered the call (its access log has it)"
else
	check_failed "B's access log does not show the call: $(tl_lines_after "$MG_TMP/gw_b.access" "$bn0")"
fi

# up_refused ROUTE CAUSE-REGEX WHAT: an immediate JSON-RPC error that names
# the upstream and the cause, and the same in A's error log
up_refused() {
	local route=$1 cause=$2 what=$3 msg
	up_init "$route"
	msg=$("$PX_NODE" -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		if (m.error && m.error.code === -32000 && m.id === 1) console.log(m.error.message);' "$TL_B" 2> /dev/null)
	if [ "$TL_ST" = 200 ] && echo "$msg" | grep -q "^upstream \"up_$route\": " &&
		echo "$msg" | grep -qiE "$cause" && [ "$UP_MS" -lt 3000 ]; then
		ok "$what: at once (${UP_MS} ms) the client gets -32000 \"$msg\""
	else
		check_failed "$what: expected an immediate -32000 naming up_$route and /$cause/; got (${UP_MS} ms) $(tl_what)"
	fi
	if grep -E "\[warn\].*upstream \"up_$route\".*" "$MG_TMP/error.log" | grep -qiE "$cause"; then
		ok "$what: A's error log says it too: $(grep -E "upstream \"up_$route\"" "$MG_TMP/error.log" | tail -n 1 | sed 's/^.*\] [0-9]* //')"
	else
		check_failed "$what: no warn line naming up_$route and /$cause/ in A's error log: $(grep -E "up_$route" "$MG_TMP/error.log" | tail -n 2)"
	fi
}
up_refused expired 'certificate has expired' "an upstream with an expired certificate"
up_refused wrong_host 'hostname mismatch' "an upstream whose certificate is for another host (https://localhost, a wrong.test certificate)"
up_refused unknown_ca 'unable to get local issuer certificate|self.signed|unknown ca' "an upstream whose CA the system store does not know (no ssl_trusted_certificate)"

if grep -qE '\[warn\].*"ssl_verify off" in upstream "up_no_verify": its certificate is not checked' "$MG_TMP/error.log"; then
	ok "ssl_verify off: a warning at start: $(grep -E 'ssl_verify off' "$MG_TMP/error.log" | head -n 1 | sed 's/^.*\] [0-9]* //')"
else
	check_failed "ssl_verify off: no warning at start in A's error log"
fi
if tl_session "$G/up/no_verify"; then
	tl_call "$G/up/no_verify" "$TL_SESSION" 3 echo '{"message":"unverified"}'
	if [ "$TL_ST" = 200 ] && grep -q '"text":"echo: unverified"' "$TL_B"; then
		ok "ssl_verify off: the upstream with the unknown CA works"
	else
		check_failed "tools/call through up_no_verify: $(tl_what)"
	fi
else
	check_failed "initialize through up_no_verify: $(tl_what)"
fi

# ==== 5. client certificates ===================================================
# al_last N: the last field of the first access log line after line N
# whose method is ping (the subject, quoted, or -)
al_subject_after() {
	mg_wait 3 "tl_lines_after '$AL' $1 | grep -q ' POST ping '"
	tl_lines_after "$AL" "$1" | grep ' POST ping ' | head -n 1 |
		sed -E 's/^([^ ]+ ){11}[^ ]+ //'
}
CC=(--cert "$P/client.pem" --key "$P/client.key")
RC=(--cert "$P/rogue.pem" --key "$P/rogue.key")
MT=https://localhost:$A_MTLS/mcp/demo
OP=https://localhost:$A_OPT/mcp/demo

e0=$(tl_count "$MG_TMP/error.log" "TLS handshake with 127\.0\.0\.1 failed")
tl_post "$MT" "$TL_PING" "${CA[@]}"
e1=$(tl_count "$MG_TMP/error.log" "TLS handshake with 127\.0\.0\.1 failed")
if [ "$TL_ST" = 000 ] && [ "$TL_CURL_RC" != 0 ]; then
	ok "ssl_verify_client on, no client certificate: refused (curl exit $TL_CURL_RC: $(grep -E '^curl' "$TL_V" | head -n 1))"
else
	check_failed "ssl_verify_client on without a certificate was answered: $(tl_what)"
fi
mg_wait 2 "[ \$(tl_count '$MG_TMP/error.log' 'TLS handshake with 127\.0\.0\.1 failed') -gt $e0 ]"
e1=$(tl_count "$MG_TMP/error.log" "TLS handshake with 127\.0\.0\.1 failed")
if [ "$e1" = $((e0 + 1)) ]; then
	ok "... and one info line: $(grep 'TLS handshake with' "$MG_TMP/error.log" | tail -n 1 | sed 's/^.*\] [0-9]* //')"
else
	check_failed "ssl_verify_client on without a certificate: $((e1 - e0)) 'TLS handshake ... failed' lines, expected 1"
fi
tl_post "$MT" "$TL_PING" "${CA[@]}" --tls-max 1.2
if [ "$TL_ST" = 000 ] && [ "$TL_CURL_RC" != 0 ]; then
	ok "ssl_verify_client on, no client certificate, TLS 1.2: refused (curl exit $TL_CURL_RC)"
else
	check_failed "ssl_verify_client on without a certificate (TLS 1.2) was answered: $(tl_what)"
fi
tl_post "$MT" "$TL_PING" "${CA[@]}" "${RC[@]}"
if [ "$TL_ST" = 000 ] && [ "$TL_CURL_RC" != 0 ]; then
	ok "ssl_verify_client on, a certificate of an untrusted CA: refused (curl exit $TL_CURL_RC)"
else
	check_failed "ssl_verify_client on with an untrusted client certificate was answered: $(tl_what)"
fi
n0=$(tl_nlines "$AL")
tl_post "$MT" "$TL_PING" "${CA[@]}" "${CC[@]}"
if [ "$TL_ST" = 200 ]; then
	ok "ssl_verify_client on, the right client certificate: answered"
else
	check_failed "ssl_verify_client on with the client certificate: $(tl_what)"
fi
s=$(al_subject_after "$n0")
if [ "$s" = "$SUBJ" ]; then
	ok "the access log's last field is the client's subject: $s"
else
	check_failed "ssl_verify_client on: access log subject field \"$s\", expected $SUBJ (line: $(tl_lines_after "$AL" "$n0" | head -n 1))"
fi

n0=$(tl_nlines "$AL")
tl_post "$OP" "$TL_PING" "${CA[@]}"
st1=$TL_ST
s1=$(al_subject_after "$n0")
n0=$(tl_nlines "$AL")
tl_post "$OP" "$TL_PING" "${CA[@]}" "${CC[@]}"
st2=$TL_ST
s2=$(al_subject_after "$n0")
if [ "$st1" = 200 ] && [ "$s1" = - ] && [ "$st2" = 200 ] && [ "$s2" = "$SUBJ" ]; then
	ok "ssl_verify_client optional: without a certificate answered, logged -; with one answered, logged $s2"
else
	check_failed "ssl_verify_client optional: without: $st1, logged \"$s1\"; with: $st2, logged \"$s2\""
fi
n0=$(tl_nlines "$AL")
tl_post "$OP" "$TL_PING" "${CA[@]}" "${RC[@]}"
if [ "$TL_ST" = 000 ] && [ "$TL_CURL_RC" != 0 ]; then
	ok "ssl_verify_client optional, a certificate of an untrusted CA: refused at the handshake (curl exit $TL_CURL_RC)"
else
	check_failed "ssl_verify_client optional with an untrusted client certificate: $(tl_what); logged: $(tl_lines_after "$AL" "$n0")"
fi
n0=$(tl_nlines "$AL")
tl_post "$U" "$TL_PING" "${CA[@]}" "${CC[@]}"
s=$(al_subject_after "$n0")
if [ "$TL_ST" = 200 ] && [ "$s" = - ]; then
	ok "a client certificate sent to a server without ssl_verify_client: answered, no subject logged"
else
	check_failed "client certificate to a server without ssl_verify_client: $(tl_what); logged \"$s\""
fi

# Session resumption and client certificates.  raw_ping PORT SNI HOST
# OPTIONS...: one HTTP request over openssl s_client (-ign_eof), output in
# $MG_TMP/raw.out
raw_ping() {
	local port=$1 sni=$2 host=$3
	shift 3
	local body='{"jsonrpc":"2.0","id":2,"method":"ping"}'
	(
		printf 'POST /mcp/demo HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
			"$host" "${#body}" "$body"
		sleep 1
	) | timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$sni" -CAfile "$P/ca.pem" \
		-ign_eof "$@" > "$MG_TMP/raw.out" 2>&1
}
for v in -tls1_2 -tls1_3; do
	# a session of the mTLS server, made with the client certificate, resumed
	# without presenting it again: the subject is still the session's
	(sleep 0.5) | timeout 10 openssl s_client -connect "127.0.0.1:$A_MTLS" -servername localhost $v \
		-CAfile "$P/ca.pem" -cert "$P/client.pem" -key "$P/client.key" -sess_out "$MG_TMP/sess.pem" > /dev/null 2>&1
	n0=$(tl_nlines "$AL")
	raw_ping "$A_MTLS" localhost localhost $v -sess_in "$MG_TMP/sess.pem"
	s=$(al_subject_after "$n0")
	if grep -q '^Reused' "$MG_TMP/raw.out" && grep -q '^HTTP/1.1 200' "$MG_TMP/raw.out" && [ "$s" = "$SUBJ" ]; then
		ok "ssl_verify_client on, a resumed session ($v): answered, the subject of the session's certificate logged"
	else
		check_failed "ssl_verify_client on, resumed session ($v): $(grep -E '^(Reused|New)|^HTTP/' "$MG_TMP/raw.out" | tr '\n' '|') logged \"$s\""
	fi
	# a session of the default server (no client certificate) offered with
	# SNI mtls.test: it must not stand in for the certificate mtls.test wants
	(sleep 0.5) | timeout 10 openssl s_client -connect "127.0.0.1:$A_TLS" -servername localhost $v \
		-CAfile "$P/ca.pem" -sess_out "$MG_TMP/sess.pem" > /dev/null 2>&1
	n0=$(tl_nlines "$AL")
	raw_ping "$A_TLS" mtls.test mtls.test $v -sess_in "$MG_TMP/sess.pem"
	if ! grep -q '^HTTP/1.1 2' "$MG_TMP/raw.out"; then
		ok "a session of the default server (no client certificate) offered with SNI mtls.test ($v) does not get past ssl_verify_client on"
	else
		check_failed "a session resumed across servers skips ssl_verify_client ($v): openssl s_client -servername localhost -sess_out S (no certificate), then -servername mtls.test -sess_in S with Host: mtls.test: $(grep -E '^(Reused|New)|^HTTP/' "$MG_TMP/raw.out" | tr '\n' '|') access log: $(tl_lines_after "$AL" "$n0" | head -n 1)"
	fi
done

bn0=$(tl_nlines "$MG_TMP/gw_b.access")
if tl_session "$G/up/mtls"; then
	tl_call "$G/up/mtls" "$TL_SESSION" 3 echo '{"message":"mutual"}'
	if [ "$TL_ST" = 200 ] && grep -q '"text":"echo: mutual"' "$TL_B"; then
		ok "upstream mTLS: A's upstream with ssl_certificate/ssl_certificate_key gets through to B (ssl_verify_client on)"
	else
		check_failed "tools/call through up_mtls: $(tl_what)"
	fi
else
	check_failed "initialize through up_mtls: $(tl_what); A's log: $(grep -E 'up_mtls' "$MG_TMP/error.log" | tail -n 2)"
fi
line=$(tl_lines_after "$MG_TMP/gw_b.access" "$bn0" | grep ' tools/call echo ' | head -n 1)
if [ "${line%" $SUBJ"}" != "$line" ]; then
	ok "B logged the gateway's client certificate: ${line##* 200 - }"
else
	check_failed "B's access log line for the mTLS call: \"$line\""
fi
be0=$(tl_count "$MG_TMP/gw_b.log" "TLS handshake with 127\.0\.0\.1 failed")
up_refused mtls_nocert 'TLS|certificate|handshake|closed' "an upstream that wants a client certificate, none configured"
mg_wait 2 "[ \$(tl_count '$MG_TMP/gw_b.log' 'TLS handshake with 127\.0\.0\.1 failed') -gt $be0 ]"
if [ "$(tl_count "$MG_TMP/gw_b.log" "TLS handshake with 127\.0\.0\.1 failed")" -gt "$be0" ]; then
	ok "... and B logged the refused handshake: $(grep 'TLS handshake with' "$MG_TMP/gw_b.log" | tail -n 1 | sed 's/^.*\] [0-9]* //')"
else
	check_failed "B did not log a failed handshake for the upstream without a client certificate"
fi

# ==== 6. reload: a renewed certificate, and bad ones ============================
serial_is() { # serial_is SERIAL WHAT
	tl_s_client "127.0.0.1:$A_TLS" -servername localhost -CAfile "$P/ca.pem"
	local s
	s=$(tl_peer_serial)
	if [ "$s" = "$1" ]; then
		ok "$2: serial $s ($(tl_peer_subject))"
	else
		check_failed "$2: expected serial $1, got \"$s\" ($(tl_peer_subject)); $(grep -E 'Verify return|error' "$MG_TMP/s_client.out" | head -n 2 | tr '\n' '|')"
	fi
}
serial_is 1001 "before the reload, the served certificate is the first one"

# a call in flight on a connection opened before the reload
tl_session "$U" "${CA[@]}" || check_failed "initialize before the reload: $(tl_what)"
SID=$TL_SESSION
curl -sS --max-time 15 "${CA[@]}" -X POST -H 'Content-Type: application/json' \
	-H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25' \
	-H "Mcp-Session-Id: $SID" -w '\n%{http_code}\n' \
	--data-binary '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":2500}}}' \
	"$U" > "$MG_TMP/inflight.out" 2> "$MG_TMP/inflight.err" &
inflight=$!
sleep 0.5
cp "$P/srv2.pem" "$MG_TMP/live.pem"
cp "$P/srv2.key" "$MG_TMP/live.key"
kill -HUP "$MG_MASTER"
if mg_wait 10 "grep -q 'generation 2 ready' '$MG_TMP/error.log'"; then
	ok "reload after renewing the certificate file: generation 2 ready"
else
	check_failed "no 'generation 2 ready' after SIGHUP: $(grep -E 'reload' "$MG_TMP/error.log" | tail -n 2)"
fi
serial_is 1002 "after the reload, the renewed certificate is served"
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

# bad_reload WHAT DIRECTIVE FILE: live.pem/live.key are bad; SIGHUP fails
# with the message, the old certificate keeps serving, -t fails the same
bad_reload() {
	local what=$1 directive=$2 file=$3 before want line tout trc
	want="cannot load $directive \"$file\" (.*) in $MG_TMP/mcpgw.conf:$A_SRV_LINE"
	before=$(tl_count "$MG_TMP/error.log" "reload failed")
	kill -HUP "$MG_MASTER"
	mg_wait 10 "[ \$(tl_count '$MG_TMP/error.log' 'reload failed') -gt $before ]"
	line=$(grep 'reload failed' "$MG_TMP/error.log" | tail -n 1)
	if echo "$line" | grep -qE "\[error\].*reload failed, keeping the running configuration: $want\$"; then
		ok "$what: the reload fails: ${line#*master: }"
	else
		check_failed "$what: expected 'reload failed, keeping the running configuration: $want'; got \"$line\""
	fi
	serial_is 1002 "$what: the running certificate keeps serving"
	tl_post "$U" "$TL_PING" "${CA[@]}"
	[ "$TL_ST" = 200 ] || check_failed "$what: https after the failed reload: $(tl_what)"
	trc=0
	tout=$("$MCPGW" -t -c "$MG_TMP/mcpgw.conf" 2>&1) || trc=$?
	if [ "$trc" = 1 ] && echo "$tout" | grep -qE "$want" &&
		echo "$tout" | grep -q 'test failed'; then
		ok "$what: mcpgw -t exits 1: $(echo "$tout" | grep 'cannot load')"
	else
		check_failed "$what: mcpgw -t exit $trc, expected 1 and /$want/: $tout"
	fi
}
printf -- '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n' > "$MG_TMP/live.pem"
bad_reload "a garbage certificate file" ssl_certificate "$MG_TMP/live.pem"
# and a start with that file fails, saying why
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
cp "$P/srv2.pem" "$MG_TMP/live.pem"
cp "$P/other.key" "$MG_TMP/live.key"
bad_reload "a key that does not match the certificate" ssl_certificate_key "$MG_TMP/live.key"
echo "not a key" > "$MG_TMP/live.key"
bad_reload "a garbage key file" ssl_certificate_key "$MG_TMP/live.key"
cp "$P/srv2.key" "$MG_TMP/live.key"
kill -HUP "$MG_MASTER"
if mg_wait 10 "grep -q 'generation 3 ready' '$MG_TMP/error.log'"; then
	ok "with the files repaired the next reload works (generation 3 ready)"
else
	check_failed "no 'generation 3 ready' after repairing the files: $(grep -E 'reload' "$MG_TMP/error.log" | tail -n 2)"
fi

# ==== 7. failed handshakes ======================================================
CL=$MG_TMP/gw_c.log
CU=https://localhost:$C_HS/mcp/demo

# c_lines_since N: the lines of C's log after line N that are not debug
c_lines_since() {
	tl_lines_after "$CL" "$1" | grep -v '\[debug\]'
}
# one_line N REGEX WHAT: exactly one non-debug line since N, matching REGEX
one_line() {
	local got
	mg_wait 3 "[ -n \"\$(c_lines_since $1)\" ]"
	sleep 0.3 # anything more would come now
	got=$(c_lines_since "$1")
	if [ "$(echo "$got" | grep -c .)" = 1 ] && echo "$got" | grep -qE "\[info\].*$2"; then
		ok "$3: one info line: ${got#*worker: }"
	else
		check_failed "$3: expected exactly one info line /$2/ in C's log, got: $(echo "$got" | tr '\n' '|')"
	fi
}
# elapsed ms since T0 ($EPOCHREALTIME)
ms_since() {
	echo $(((${EPOCHREALTIME/./} - ${1/./}) / 1000))
}

# garbage
n0=$(tl_nlines "$CL")
t0=$EPOCHREALTIME
rc=0
timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "\x16\x03\x01\x00\x05garbage that is not TLS\r\n\r\n" >&3; cat <&3 > /dev/null 2>&1; exit 0' _ "$C_HS" || rc=$?
ms=$(ms_since "$t0")
if [ "$rc" = 0 ] && [ "$ms" -lt 900 ]; then
	ok "garbage on the TLS port: closed at once (${ms} ms)"
else
	check_failed "garbage on the TLS port: not closed in time (exit $rc, ${ms} ms)"
fi
one_line "$n0" "TLS handshake with 127\.0\.0\.1 failed: " "garbage"

n0=$(tl_nlines "$CL")
t0=$EPOCHREALTIME
rc=0
printf 'not even a TLS record header, just text\n' | timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; cat >&3; cat <&3 > /dev/null 2>&1; exit 0' _ "$C_HS" || rc=$?
ms=$(ms_since "$t0")
if [ "$rc" = 0 ] && [ "$ms" -lt 900 ]; then
	ok "text on the TLS port: closed at once (${ms} ms)"
else
	check_failed "text on the TLS port: not closed in time (exit $rc, ${ms} ms)"
fi
one_line "$n0" "TLS handshake with 127\.0\.0\.1 failed: " "text"

# plain HTTP
n0=$(tl_nlines "$CL")
t0=$EPOCHREALTIME
rc=0
curl -sS --max-time 5 -o "$MG_TMP/plain.out" "http://127.0.0.1:$C_HS/mcp/demo" 2> "$MG_TMP/plain.err" || rc=$?
ms=$(ms_since "$t0")
if [ "$rc" != 0 ] && [ "$rc" != 28 ] && [ "$ms" -lt 900 ]; then
	ok "plain HTTP on the TLS port: closed at once (${ms} ms; curl exit $rc: $(head -n 1 "$MG_TMP/plain.err"))"
else
	check_failed "plain HTTP on the TLS port: curl exit $rc after ${ms} ms: $(cat "$MG_TMP/plain.err")"
fi
one_line "$n0" "TLS handshake with 127\.0\.0\.1 failed: .*http request" "plain HTTP"

# a client that connects and says nothing: closed after ssl_handshake_timeout
# (1s), while an https request on the same worker is answered
n0=$(tl_nlines "$CL")
t0=$EPOCHREALTIME
timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; cat <&3 > /dev/null' _ "$C_HS" > /dev/null 2>&1 &
silent=$!
sleep 0.2
tl_post "$CU" "$TL_PING" "${CA[@]}"
pms=$(ms_since "$t0")
still_open=no
kill -0 "$silent" 2> /dev/null && still_open=yes
if [ "$TL_ST" = 200 ] && grep -q '"result":{}' "$TL_B" && [ "$still_open" = yes ]; then
	ok "while a silent client holds a connection, an https request on the same (only) worker is answered (after ${pms} ms, the silent one still open)"
else
	check_failed "https while a silent client waits: (${pms} ms, silent client still open: $still_open) $(tl_what)"
fi
rc=0
wait "$silent" || rc=$?
ms=$(ms_since "$t0")
if [ "$rc" = 0 ] && [ "$ms" -ge 900 ] && [ "$ms" -lt 2500 ]; then
	ok "a silent client is closed after ssl_handshake_timeout 1s (${ms} ms; client_header_timeout is 60s)"
else
	check_failed "a silent client: exit $rc after ${ms} ms, expected closed after about 1 s"
fi
one_line "$n0" "TLS handshake with 127\.0\.0\.1 timed out" "silent client"

# a handshake that stalls half-way (a record header, then nothing) also
# ends after ssl_handshake_timeout
n0=$(tl_nlines "$CL")
t0=$EPOCHREALTIME
rc=0
timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "\x16\x03\x01\x02\x00\x01" >&3; cat <&3 > /dev/null 2>&1; exit 0' _ "$C_HS" || rc=$?
ms=$(ms_since "$t0")
if [ "$rc" = 0 ] && [ "$ms" -ge 900 ] && [ "$ms" -lt 2500 ]; then
	ok "a handshake that stalls after a record header is closed after ssl_handshake_timeout (${ms} ms)"
else
	check_failed "a stalled handshake: exit $rc after ${ms} ms, expected closed after about 1 s"
fi
one_line "$n0" "TLS handshake with 127\.0\.0\.1 timed out" "stalled handshake"

# ssl_handshake_timeout ends with the handshake: a client that completes
# it and then waits 2.5 s before its request is not cut after 1 s
n0=$(tl_nlines "$CL")
t0=$EPOCHREALTIME
(sleep 2.5) | timeout 10 openssl s_client -connect "127.0.0.1:$C_HS" -servername localhost \
	-CAfile "$P/ca.pem" > "$MG_TMP/s_client.out" 2>&1
ms=$(ms_since "$t0")
if [ "$ms" -ge 2400 ] && grep -q 'Verify return code: 0' "$MG_TMP/s_client.out" &&
	[ -z "$(c_lines_since "$n0" | grep 'timed out')" ]; then
	ok "after a completed handshake ssl_handshake_timeout no longer applies (the connection stayed open ${ms} ms)"
else
	check_failed "a completed handshake, then 2.5 s of silence: closed after ${ms} ms; C's log: $(c_lines_since "$n0" | tr '\n' '|')"
fi

if px_no_child_died && ! grep -qE 'exited on signal|exited with code [1-9]' "$MG_TMP/gw_b.log" "$CL"; then
	ok "no process of any gateway died"
else
	check_failed "a process died: $(grep -hE 'exited on signal|exited with code' "$MG_TMP/error.log" "$MG_TMP/gw_b.log" "$CL")"
fi
px_done
