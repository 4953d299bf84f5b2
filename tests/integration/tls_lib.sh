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

# ---- tables -------------------------------------------------------------------
#
# tl_table ROW-FUNCTION < TABLE: ROW-FUNCTION is called once per row of
# TABLE with the row's fields as arguments.  Fields are separated by " | "
# (a space on each side, so "a|b" inside a regex stays one field); empty
# lines and lines that start with "#" are skipped.  The rows run in the
# current shell (ok and check_failed count), with stdin from /dev/null.
tl_table() {
	local line fields
	while IFS= read -r -u 9 line; do
		case $line in "" | "#"*) continue ;; esac
		fields=()
		while [[ $line == *" | "* ]]; do
			fields+=("${line%%" | "*}")
			line=${line#*" | "}
		done
		fields+=("$line")
		"$1" "${fields[@]}" < /dev/null
	done 9<&0
}

# tl_subst TEXT: $TL_S is TEXT with each @NAME@ replaced by the value of
# $NAME (a variable, not output: no subshell per field).
tl_subst() {
	TL_S=$1
	while [[ $TL_S =~ @([A-Za-z_][A-Za-z0-9_]*)@ ]]; do
		[ -n "${!BASH_REMATCH[1]+set}" ] || fail "a table names @${BASH_REMATCH[1]}@, which is not set: $1"
		TL_S=${TL_S//"${BASH_REMATCH[0]}"/"${!BASH_REMATCH[1]}"}
	done
}

# ---- probe tables ---------------------------------------------------------------
#
# A probe row is WHAT | REQUEST | EXPECT | EXPECT ...: one check, "ok WHAT"
# when every EXPECT holds.  REQUEST is a shell command line (evaluated, so
# "$U" and "${CA[@]}" work) naming one of the requests below without its
# tl_req_ prefix; "-" checks the previous request again (one request, two
# checks).  The logs' lengths are noted before each request, so that
# expectations about log lines see only the lines the request caused.

declare -A TL_LOG=() TL_N0=()
TL_REQ=
TL_METHOD=
TL_ROUTE=

# the logs a probe can look at, by the short names EXPECTs use
tl_logs() {
	TL_LOG=([a.access]=$MG_TMP/access.log [a.error]=$MG_TMP/error.log
		[b.access]=$MG_TMP/gw_b.access [b.error]=$MG_TMP/gw_b.log
		[c.error]=$MG_TMP/gw_c.log)
}

# (one wc for all of them: this runs before every request)
tl_mark() {
	local k n f
	declare -A at=()
	for k in "${!TL_LOG[@]}"; do
		TL_N0[$k]=0
		at[${TL_LOG[$k]}]=$k
	done
	while read -r n f; do
		[ -n "${at[$f]:-}" ] && TL_N0[${at[$f]}]=$n
	done < <(wc -l "${TL_LOG[@]}" 2> /dev/null)
}

# Requests.  ping/init URL [CURL ARGS]: one POST.  echo URL MESSAGE [CURL
# ARGS]: initialize, notifications/initialized, tools/call echo MESSAGE
# (the session stays in $TL_SESSION).  s_client HOST:PORT [OPTIONS]: a
# handshake, the peer's certificate kept.  sni PORT [OPTIONS]: s_client to
# 127.0.0.1:PORT with the test CA.  upinit ROUTE: initialize through A's
# plain-HTTP route /up/ROUTE, timed ($UP_MS).  log: nothing; the
# expectations see the whole logs.  conftest FILE: mcpgw -t -c FILE.
tl_req_ping() {
	TL_METHOD=ping
	tl_post "$1" "$TL_PING" "${@:2}"
}
tl_req_init() {
	TL_METHOD=initialize
	tl_post "$1" "$TL_INIT" "${@:2}"
}
tl_req_echo() {
	local url=$1 msg=$2
	shift 2
	TL_METHOD=tools/call
	if ! tl_session "$url" "$@"; then
		TL_ST="(initialize: $TL_ST)"
		return
	fi
	tl_call "$url" "$TL_SESSION" 3 echo "{\"message\":\"$msg\"}" "$@"
}
tl_req_s_client() {
	tl_s_client "$@"
}
tl_req_sni() {
	tl_s_client "127.0.0.1:$1" "${@:2}" -CAfile "$TL_PKI/ca.pem"
}
tl_req_upinit() {
	local t0=$EPOCHREALTIME
	TL_ROUTE=up_$1 TL_METHOD=initialize
	tl_post "http://127.0.0.1:$MG_PORT/up/$1" "$TL_INIT"
	UP_MS=$(((${EPOCHREALTIME/./} - ${t0/./}) / 1000))
}
tl_req_log() {
	local k
	for k in "${!TL_N0[@]}"; do TL_N0[$k]=0; done
}
# raw PORT SNI HOST [OPTIONS]: a ping in HTTP/1.1 written over openssl
# s_client -ign_eof (output in $MG_TMP/raw.out): for resumed sessions.
tl_req_raw() {
	local port=$1 sni=$2 host=$3 body=$TL_PING
	shift 3
	TL_METHOD=ping
	(
		printf 'POST /mcp/demo HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
			"$host" "${#body}" "$body"
		sleep 1
	) | timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$sni" -CAfile "$TL_PKI/ca.pem" \
		-ign_eof "$@" > "$MG_TMP/raw.out" 2>&1
}
tl_req_conftest() {
	TL_CURL_RC=0
	"$MCPGW" -t -c "$1" > "$MG_TMP/t.out" 2>&1 || TL_CURL_RC=$?
}

# The first line of A's access log written for the last request (its
# method), waited for up to 3 s.
tl_req_line() {
	mg_wait 3 "tl_lines_after '$MG_TMP/access.log' ${TL_N0[a.access]} | grep -q ' POST $TL_METHOD '"
	tl_lines_after "$MG_TMP/access.log" "${TL_N0[a.access]}" | grep " POST $TL_METHOD " | head -n 1
}

# tl_rpc_error CAUSE: the answer to upinit is, at once (< 3 s), a -32000
# error for id 1 whose message names the upstream and matches CAUSE.
tl_rpc_error() {
	local msg
	msg=$("$PX_NODE" -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		if (m.error && m.error.code === -32000 && m.id === 1) console.log(m.error.message);' "$TL_B" 2> /dev/null)
	[ "$TL_ST" = 200 ] && echo "$msg" | grep -q "^upstream \"$TL_ROUTE\": " &&
		echo "$msg" | grep -qiE "$1" && [ "$UP_MS" -lt 3000 ]
}

# tl_log_count LOG REGEX OP N: the lines LOG got since the request that
# match REGEX number N (OP "=") or more than N (OP ">"); waits up to 3 s
# for the first one.
tl_log_count() {
	local f=${TL_LOG[$1]} n0=${TL_N0[$1]} re=$2 got
	[ "$3$4" = "=0" ] ||
		mg_wait 3 '[ "$(tl_lines_after "$f" "$n0" | grep -cE -- "$re")" -gt 0 ]'
	got=$(tl_lines_after "$f" "$n0" | grep -cE -- "$re")
	if [ "$3" = = ]; then [ "$got" = "$4" ]; else [ "$got" -gt "$4" ]; fi
}

# tl_expect EXPECT: does it hold for the last request?  (@NAME@ in EXPECT
# is $NAME.)
#   status=RE       the HTTP status matches RE whole (000: no answer)
#   curl=N, curl=!0 curl's exit status is N, is not 0
#   body=TEXT       the body holds TEXT
#   curl.v=RE       curl -v's output matches RE
#   s_client=RE     openssl s_client's output matches RE
#   peer.subject=S  the server's certificate has subject S ("CN = x")
#   peer.serial=N   ... serial N
#   host=NAME       A's access log line of the request names server NAME
#   subject=S       ... has the client subject S (or -) before the identity
#   b.subject=S     B's first access log line of a tools/call echo has
#                   S before the identity
#   rpc.error=RE    (upinit) an immediate -32000 error naming the upstream
#                   and matching RE, case ignored
#   a.warn=RE       A's error log has a [warn] line naming the upstream of
#                   the last upinit and matching RE, case ignored
#   raw=RE, raw!=RE (raw) the s_client output matches RE, does not
#   exit=N          (conftest) mcpgw -t exited with N
#   out=RE          (conftest) its output matches RE
#   LOG~RE=N, LOG~RE>N  new lines of LOG (a.access, a.error, b.access,
#                   b.error, c.error) matching RE: N, more than N
tl_expect() {
	local e v line
	tl_subst "$1"
	e=$TL_S
	v=${e#*=}
	case $e in
	status=*) [[ $TL_ST =~ ^($v)$ ]] ;;
	curl=!0) [ "$TL_CURL_RC" != 0 ] ;;
	curl=*) [ "$TL_CURL_RC" = "$v" ] ;;
	body=*) grep -qF -- "$v" "$TL_B" ;;
	curl.v=*) grep -qE -- "$v" "$TL_V" ;;
	s_client=*) grep -qE -- "$v" "$MG_TMP/s_client.out" ;;
	peer.subject=*) [ "$(tl_peer_subject)" = "$v" ] ;;
	peer.serial=*) [ "$(tl_peer_serial)" = "$v" ] ;;
	host=*) [ "$(tl_req_line | awk '{ print $3 }')" = "$v" ] ;;
	subject=*) [ "$(tl_req_line | sed -E 's/^([^ ]+ ){11}[^ ]+ //; s/ (-|"[^"]*")$//')" = "$v" ] ;;
	b.subject=*)
		line=$(tl_lines_after "${TL_LOG[b.access]}" "${TL_N0[b.access]}" | grep ' tools/call echo ' | head -n 1)
		[ -n "$line" ] && [ "${line%" $v -"}" != "$line" ]
		;;
	rpc.error=*) tl_rpc_error "$v" ;;
	a.warn=*) grep -E "\[warn\].*upstream \"$TL_ROUTE\".*" "$MG_TMP/error.log" | grep -qiE -- "$v" ;;
	raw=*) grep -qE -- "$v" "$MG_TMP/raw.out" ;;
	raw!=*) ! grep -qE -- "${e#raw!=}" "$MG_TMP/raw.out" ;;
	exit=*) [ "$TL_CURL_RC" = "$v" ] ;;
	out=*) grep -qE -- "$v" "$MG_TMP/t.out" ;;
	*~*)
		[[ $e =~ ^([a-z.]+)~(.*)([=>])([0-9]+)$ ]] || fail "bad expectation: $e"
		tl_log_count "${BASH_REMATCH[@]:1:4}"
		;;
	*) fail "unknown expectation: $e" ;;
	esac
}

# What the last request got, for a failure message.
tl_probe_what() {
	case $TL_REQ in
	s_client* | sni*)
		echo "certificate \"$(tl_peer_subject)\" serial \"$(tl_peer_serial)\"; $(grep -E 'Verify return|error|ALPN' "$MG_TMP/s_client.out" | head -n 3 | tr '\n' '|')"
		;;
	raw*) echo "$(grep -E '^(Reused|New)|^HTTP/' "$MG_TMP/raw.out" | tr '\n' '|') A's access log since: $(tl_lines_after "$MG_TMP/access.log" "${TL_N0[a.access]}" | head -n 1)" ;;
	conftest*) echo "mcpgw -t exit $TL_CURL_RC: $(cat "$MG_TMP/t.out")" ;;
	log*) ;;
	*)
		echo "$(tl_what)${UP_MS:+ (upinit: $UP_MS ms)}; A's access log since: $(tl_lines_after "$MG_TMP/access.log" "${TL_N0[a.access]}" | head -n 2 | tr '\n' '|')"
		;;
	esac
}

# tl_probe WHAT REQUEST [EXPECT...]: one row of a probe table (@NAME@ in
# WHAT is $NAME too).
tl_probe() {
	local what req=$2 e failed=
	tl_subst "$1"
	what=$TL_S
	shift 2
	if [ "$req" != - ]; then
		TL_REQ=$req UP_MS=
		tl_mark
		eval "tl_req_$req"
	fi
	for e in "$@"; do
		tl_expect "$e" || failed="$failed [$e]"
	done
	if [ -z "$failed" ]; then
		case $TL_REQ in
		ping* | init* | echo*) what="$what (status $TL_ST, curl exit $TL_CURL_RC)" ;;
		upinit*) what="$what (${UP_MS} ms)" ;;
		esac
		ok "$what"
	else
		check_failed "$what: not as expected:$failed; request: $TL_REQ; got: $(tl_probe_what)"
	fi
}

# ---- bad certificate files on reload ---------------------------------------------
#
# tl_bad_reload WHAT PREPARE DIRECTIVE FILE: one row of the bad-reload
# table.  PREPARE (evaluated) spoils A's live.pem/live.key; then SIGHUP
# fails naming FILE and the server block ($A_SRV_LINE of mcpgw.conf), the
# running certificate (serial 1002) keeps serving, and mcpgw -t fails the
# same way.
tl_bad_reload() {
	local what=$1 prepare=$2 directive=$3 file want
	tl_subst "$4"
	file=$TL_S
	want="cannot load $directive \"$file\" (.*) in $MG_TMP/mcpgw.conf:$A_SRV_LINE"
	eval "$prepare"
	TL_ROW=$what TL_WANT=$want
	tl_table tl_probe <<'ROWS'
@TL_ROW@: the reload fails | reload | a.error~\[error\].*reload failed, keeping the running configuration: @TL_WANT@$=1
@TL_ROW@: the running certificate keeps serving | sni "$A_TLS" -servername localhost | peer.serial=1002
@TL_ROW@: https after the failed reload | ping "$U" "${CA[@]}" | status=200
@TL_ROW@: mcpgw -t exits 1 | conftest "$MG_TMP/mcpgw.conf" | exit=1 | out=@TL_WANT@ | out=test failed
ROWS
}

# reload: SIGHUP to A, and wait for its "reload failed" line
tl_req_reload() {
	kill -HUP "$MG_MASTER"
	mg_wait 10 '[ "$(tl_lines_after "$MG_TMP/error.log" "${TL_N0[a.error]}" | grep -c "reload failed")" -gt 0 ]'
}

tl_garbage_cert() {
	printf -- '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n' > "$1"
}

# ---- failed handshakes ------------------------------------------------------------
#
# tl_handshake NAME CLIENT EXIT MIN-MAX LOG-RE WHAT: one row of the
# failed-handshake table, against gateway C ($C_HS, log $MG_TMP/gw_c.log).
# CLIENT (evaluated) connects and misbehaves; its exit status must pass
# EXIT (words: N is "= N", !N is "!= N"); it must be done MIN ms or more
# and less than MAX ms after it started; and C logs exactly one info line
# (and no other non-debug line) matching LOG-RE.
tl_handshake() {
	local name=$1 client=$2 want=$3 min=${4%-*} max=${4#*-} re=$5 what=$6
	local n0 rc=0 ms w good=yes
	n0=$(tl_nlines "$MG_TMP/gw_c.log")
	TL_T0=$EPOCHREALTIME
	eval "$client" || rc=$?
	ms=$(tl_ms_since "$TL_T0")
	for w in $want; do
		case $w in
		!*) [ "$rc" != "${w#!}" ] || good=no ;;
		*) [ "$rc" = "$w" ] || good=no ;;
		esac
	done
	if [ $good = yes ] && [ "$ms" -ge "$min" ] && [ "$ms" -lt "$max" ]; then
		ok "$what (${ms} ms, exit $rc)"
	else
		check_failed "$what: client exit $rc (want $want) after ${ms} ms (want $min to $max ms)"
	fi
	tl_one_line "$n0" "$re" "$name"
}

# tl_c_lines_since N: the lines of C's log after line N that are not debug
tl_c_lines_since() {
	tl_lines_after "$MG_TMP/gw_c.log" "$1" | grep -v '\[debug\]'
}

# tl_one_line N REGEX WHAT: exactly one non-debug line since N, matching REGEX
tl_one_line() {
	local got
	mg_wait 3 "[ -n \"\$(tl_c_lines_since $1)\" ]"
	sleep 0.3 # anything more would come now
	got=$(tl_c_lines_since "$1")
	if [ "$(echo "$got" | grep -c .)" = 1 ] && echo "$got" | grep -qE "\[info\].*$2"; then
		ok "$3: one info line: ${got#*worker: }"
	else
		check_failed "$3: expected exactly one info line /$2/ in C's log, got: $(echo "$got" | tr '\n' '|')"
	fi
}

# elapsed ms since T0 ($EPOCHREALTIME)
tl_ms_since() {
	echo $(((${EPOCHREALTIME/./} - ${1/./}) / 1000))
}

# The clients.  tl_hs_send BYTES: connect, send BYTES (printf escapes), read
# until the server closes.  tl_hs_plain: curl over plain HTTP.
# tl_hs_silent: connect and say nothing, while an https request to the
# same (only) worker must be answered, which is a check of its own.
tl_hs_send() {
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "$2" >&3; cat <&3 > /dev/null 2>&1; exit 0' _ "$C_HS" "$1"
}
tl_hs_plain() {
	local rc=0
	curl -sS --max-time 5 -o "$MG_TMP/plain.out" "http://127.0.0.1:$C_HS/mcp/demo" 2> "$MG_TMP/plain.err" || rc=$?
	echo "# curl: $(head -n 1 "$MG_TMP/plain.err")"
	return $rc
}
tl_hs_silent() {
	local silent pms still_open=no
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; cat <&3 > /dev/null' _ "$C_HS" > /dev/null 2>&1 &
	silent=$!
	MG_BG_PIDS="$MG_BG_PIDS $silent"
	sleep 0.2
	tl_post "https://localhost:$C_HS/mcp/demo" "$TL_PING" --cacert "$TL_PKI/ca.pem"
	pms=$(tl_ms_since "$TL_T0")
	kill -0 "$silent" 2> /dev/null && still_open=yes
	if [ "$TL_ST" = 200 ] && grep -q '"result":{}' "$TL_B" && [ "$still_open" = yes ]; then
		ok "while a silent client holds a connection, an https request on the same (only) worker is answered (after ${pms} ms, the silent one still open)"
	else
		check_failed "https while a silent client waits: (${pms} ms, silent client still open: $still_open) $(tl_what)"
	fi
	wait "$silent"
}
