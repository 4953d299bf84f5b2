# Helpers of the HTTPS test (tests/integration/tls.sh), sourced after lib.sh
# and proxy_lib.sh: certificates made with the openssl command line at test
# time, more than one gateway at once (each with its own configuration,
# error log and processes, all stopped by the EXIT trap), and small
# HTTPS clients (curl, openssl s_client, bash's /dev/tcp).

# ---- certificates -----------------------------------------------------------
#
# In $TL_PKI ($MG_TMP/pki), all signed by one test CA (ca.pem) unless said:
#   srv       CN=localhost, SAN DNS:localhost, IP:127.0.0.1 (serial 1001)
#   srv2      the same names, O=mcpgw renewed (serial 1002): the "renewed"
#             certificate of the reload check (its own key, srv2.key)
#   other     CN=other.test, SAN DNS:other.test (SNI)
#   mtls      CN=mtls.test, SAN DNS:mtls.test (SNI to a server that wants
#             client certificates)
#   wrong     CN=wrong.test, SAN DNS:wrong.test (a certificate for the
#             wrong host)
#   expired   CN=localhost, SAN DNS:localhost, IP:127.0.0.1, valid
#             2020-01-01 to 2020-01-02 (made with "openssl ca -startdate
#             -enddate", which OpenSSL 1.1 and 3.x both take)
#   client    O=mcpgw tests, CN=test client (extendedKeyUsage clientAuth)
#   rogue     a client certificate from another CA (rogue-ca.pem) that the
#             gateway does not trust
# EC P-256 keys: quick to make.

TL_PKI=

tl_openssl() {
	openssl "$@" > "$TL_PKI/openssl.out" 2>&1 ||
		fail "openssl $1 failed: $(tail -n 5 "$TL_PKI/openssl.out")"
}

tl_key() {
	tl_openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TL_PKI/$1.key"
	chmod 600 "$TL_PKI/$1.key"
}

# tl_sign NAME CA SUBJECT EXTENSIONS SERIAL [openssl ca options]: a key and
# a certificate NAME.pem signed by CA (ca or rogue-ca), through "openssl ca"
# so that any validity period can be set.
tl_sign() {
	local name=$1 ca=$2 subj=$3 ext=$4 serial=$5
	shift 5
	tl_key "$name"
	tl_openssl req -new -key "$TL_PKI/$name.key" -subj "$subj" -out "$TL_PKI/$name.csr"
	echo "$serial" > "$TL_PKI/db/serial"
	tl_openssl ca -batch -config "$TL_PKI/ca.cnf" -cert "$TL_PKI/$ca.pem" \
		-keyfile "$TL_PKI/$ca.key" -in "$TL_PKI/$name.csr" -out "$TL_PKI/$name.pem" \
		-extensions "$ext" -notext "$@"
}

tl_make_certs() {
	TL_PKI=$MG_TMP/pki
	mkdir -p "$TL_PKI/db"
	: > "$TL_PKI/db/index.txt"
	cat > "$TL_PKI/ca.cnf" <<EOF
[ca]
default_ca = test_ca
[test_ca]
dir = $TL_PKI/db
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
default_days = 3
policy = any_name
copy_extensions = none
unique_subject = no
preserve = yes
[any_name]
organizationName = optional
commonName = supplied
[server_localhost]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[server_other]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:other.test
[server_mtls]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:mtls.test
[server_wrong]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.test
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
EOF
	local ca
	for ca in ca rogue-ca; do
		tl_key "$ca"
		tl_openssl req -x509 -new -key "$TL_PKI/$ca.key" -days 3 -set_serial 1 \
			-subj "/CN=mcpgw $ca" -out "$TL_PKI/$ca.pem" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign"
	done
	tl_sign srv ca "/CN=localhost" server_localhost 1001
	tl_sign srv2 ca "/O=mcpgw renewed/CN=localhost" server_localhost 1002
	tl_sign other ca "/CN=other.test" server_other 1003
	tl_sign wrong ca "/CN=wrong.test" server_wrong 1004
	tl_sign expired ca "/CN=localhost" server_localhost 1005 \
		-startdate 20200101000000Z -enddate 20200102000000Z
	tl_sign mtls ca "/CN=mtls.test" server_mtls 1008
	tl_sign client ca "/O=mcpgw tests/CN=test client" client 1006
	tl_sign rogue rogue-ca "/CN=rogue client" client 1007
	openssl verify -CAfile "$TL_PKI/ca.pem" "$TL_PKI/expired.pem" 2>&1 |
		grep -q 'certificate has expired' ||
		fail "the expired test certificate is not expired: $(openssl x509 -in "$TL_PKI/expired.pem" -noout -dates)"
}

# ---- more gateways ----------------------------------------------------------
#
# lib.sh runs one gateway ($MG_MASTER, $MG_TMP/mcpgw.conf, error.log); the
# upstream gateways of the proxy checks run beside it: tl_start NAME starts
# "$MCPGW -F -c $MG_TMP/NAME.conf" (whose error_log is $MG_TMP/NAME.log)
# and waits for its first generation.

TL_MASTERS=

tl_start() {
	local name=$1 pid
	"$MCPGW" -F -c "$MG_TMP/$name.conf" >> "$MG_TMP/$name.stdout.log" 2>&1 &
	pid=$!
	disown "$pid"
	TL_MASTERS="$TL_MASTERS $pid"
	eval "TL_PID_$name=$pid"
	mg_wait 10 "grep -q 'generation 1 ready' '$MG_TMP/$name.log' 2>/dev/null" ||
		fail "gateway $name did not become ready within 10 s: $(tail -n 20 "$MG_TMP/$name.log" "$MG_TMP/$name.stdout.log" 2>&1)"
	mg_children "$pid" > /dev/null # remembered in $MG_TMP/seen
}

# The EXIT trap: the extra gateways, their logs when the test failed, then
# lib.sh's cleanup (which keeps the exit status).
tl_cleanup() {
	local rc=$? m kids f
	# output to a closed pipe (| head) must not end the cleanup early
	trap '' PIPE
	for m in $TL_MASTERS ${MG_MASTER:-}; do
		kids=$(mg_children "$m")
		kill -KILL "$m" $kids 2> /dev/null
	done
	if [ $rc -ne 0 ] && [ -n "$MG_TMP" ]; then
		for f in "$MG_TMP"/gw_*.log; do
			[ -f "$f" ] || continue
			echo "--- $(basename "$f") (last 15 lines) ---"
			tail -n 15 "$f"
		done 2> /dev/null
	fi
	(exit $rc)
	mg_cleanup
}

tl_setup() {
	px_setup
	trap tl_cleanup EXIT
}

# ---- clients ----------------------------------------------------------------

TL_INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"tls.sh","version":"1"}}}'
TL_PING='{"jsonrpc":"2.0","id":2,"method":"ping"}'

# tl_post URL DATA [CURL ARGS...]: an MCP POST; the body goes to $TL_B,
# the headers to $TL_H, curl's -v output to $TL_V; the status in $TL_ST
# (000: no answer; then $TL_CURL_RC is curl's exit status).
tl_post() {
	local url=$1 data=$2
	shift 2
	TL_B=$MG_TMP/tl.body TL_H=$MG_TMP/tl.headers TL_V=$MG_TMP/tl.verbose
	rm -f "$TL_B" "$TL_H" "$TL_V"
	TL_CURL_RC=0
	TL_ST=$(curl -sS -v --max-time 10 -o "$TL_B" -D "$TL_H" -w '%{http_code}' \
		-X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' \
		-H 'MCP-Protocol-Version: 2025-11-25' \
		"$@" --data-binary "$data" "$url" 2> "$TL_V") || TL_CURL_RC=$?
}

# The Mcp-Session-Id of the last tl_post.
tl_sid() {
	tr -d '\r' < "$TL_H" | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p'
}

# The last exchange, for failure messages.
tl_what() {
	echo "status $TL_ST (curl exit $TL_CURL_RC); body: $(head -c 600 "$TL_B" 2> /dev/null); curl: $(grep -E '^\* |^curl' "$TL_V" 2> /dev/null | tail -n 6 | tr '\n' '|')"
}

# tl_call URL SID ID TOOL ARGS-JSON [CURL ARGS...]: tools/call in session SID.
tl_call() {
	local url=$1 sid=$2 id=$3 tool=$4 args=$5
	shift 5
	tl_post "$url" "{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"tools/call\",\"params\":{\"name\":\"$tool\",\"arguments\":$args}}" \
		-H "Mcp-Session-Id: $sid" "$@"
}

# tl_session URL [CURL ARGS...]: initialize, then notifications/initialized;
# the session id in $TL_SESSION ("" when initialize failed).
tl_session() {
	local url=$1
	shift
	TL_SESSION=
	tl_post "$url" "$TL_INIT" "$@"
	[ "$TL_ST" = 200 ] && grep -q '"protocolVersion":"2025-11-25"' "$TL_B" || return 1
	TL_SESSION=$(tl_sid)
	[ -n "$TL_SESSION" ] || return 1
	tl_post "$url" '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
		-H "Mcp-Session-Id: $TL_SESSION" "$@"
	[ "$TL_ST" = 202 ] || return 1
}

# tl_s_client HOST:PORT [openssl s_client options]: the server's
# certificate as PEM in $MG_TMP/peer.pem and the s_client output in
# $MG_TMP/s_client.out.
tl_s_client() {
	local addr=$1
	shift
	rm -f "$MG_TMP/peer.pem"
	timeout 10 openssl s_client -connect "$addr" "$@" < /dev/null > "$MG_TMP/s_client.out" 2>&1
	sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$MG_TMP/s_client.out" |
		awk '{ print } /-----END CERTIFICATE-----/ { exit }' > "$MG_TMP/peer.pem"
}

# The subject ("CN = localhost") or serial ("1002") of $MG_TMP/peer.pem.
tl_peer_subject() {
	openssl x509 -in "$MG_TMP/peer.pem" -noout -subject -nameopt oneline 2> /dev/null | sed 's/^subject= *//'
}
tl_peer_serial() {
	openssl x509 -in "$MG_TMP/peer.pem" -noout -serial 2> /dev/null | sed 's/^serial=//'
}

# tl_count FILE PATTERN: lines of FILE matching the extended regex PATTERN.
tl_count() {
	grep -cE "$2" "$1" 2> /dev/null || true
}

# tl_lines_after FILE N: the lines of FILE after its first N.
tl_lines_after() {
	tail -n "+$(($2 + 1))" "$1"
}

tl_nlines() {
	if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi
}
