#!/usr/bin/env bash
# docs/quickstart.md, followed as written: every ```sh block of the guide
# that starts with "# quickstart: STEP" runs in order, as a script of its
# own (bash -e), in one scratch home directory, and after each the test
# checks what the guide says it prints or does.  The steps must be the
# ones this test knows, in its order: a guide that changes its steps
# fails here until the test follows.
#
# Changed from the guide (docs/quickstart.md, "The test of this guide"
# lists them for readers): mcp.example.com is localhost; systemctl is a
# function that does what systemd would from the units' own lines
# (systemd is not PID 1 in CI); sudo runs the command (we are root);
# apt-get update and apt-get install of named packages only check that
# they are installed (apt's network); dpkg-buildpackage takes
# package.sh's .deb of the same tree when it is there (deb_lib.sh);
# "npm install @modelcontextprotocol/sdk@V" links tests/era's modules
# (the same V).  npm install -g, npx (the Inspector) and the .deb's
# install and purge run for real.  Needs root; only the gcc leg of tests/run-all.sh runs it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deb_lib.sh"
mg_setup
SRC=${MG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
GUIDE=$SRC/docs/quickstart.md
ERA=${MG_ERA_NODE_MODULES:-$SRC/tests/era/node_modules}
STEPS="build stdio-server http-server certificate api-key configure start curl sdk-client inspector reload observe remove"
t0=$SECONDS
# npm's cache stays the machine's (root's), where CI's npm ci put these
# packages: the guide's HOME is a scratch directory
NPM_CACHE=$HOME/.npm

[ "$(id -u)" = 0 ] || fail "needs root: it installs and purges the package"
for c in dpkg-buildpackage dh fakeroot apt-get curl openssl node npm npx setpriv sha256sum; do
	command -v "$c" > /dev/null || fail "$c is missing"
done
[ -d "$ERA/@modelcontextprotocol/sdk" ] || fail "no $ERA/@modelcontextprotocol/sdk (npm ci in tests/era)"
dpkg-query -W -f='${Status}' mcpgw 2> /dev/null | grep -q installed &&
	fail "the package mcpgw is installed on this machine: this test would purge it; remove it first"
for p in 443 3001 8080; do
	! (exec 3<> /dev/tcp/127.0.0.1/$p) 2> /dev/null ||
		fail "port $p is in use (by: $(ss -ltnp "sport = :$p" 2> /dev/null | tail -n +2)): the guide's mcpgw or server-everything listens there"
done
# what the guide creates, which its step "remove" removes
MADE="/etc/mcpgw /srv/docs /etc/systemd/system/mcp-everything.service /usr/local/lib/mcp-loopback.cjs
/usr/local/bin/mcp-server-filesystem /usr/local/bin/mcp-server-everything
/usr/local/lib/node_modules/@modelcontextprotocol/server-filesystem
/usr/local/lib/node_modules/@modelcontextprotocol/server-everything"
for f in $MADE; do
	[ ! -e "$f" ] || fail "$f exists already: the guide would make it and its last step remove it"
done

# The guide's steps, from its marked blocks.
mkdir -p "$MG_TMP/steps"
awk -v dir="$MG_TMP/steps" '
	/^```sh$/ { insh = 1; first = 1; next }
	insh && /^```$/ { insh = 0; close(f); next }
	insh && first {
		first = 0
		if ($0 !~ /^# quickstart: [a-z-]+$/) { print "UNMARKED " NR; exit 1 }
		n++; name = $3; print name; f = sprintf("%s/%02d-%s.sh", dir, n, name)
	}
	insh { print > f }
' "$GUIDE" > "$MG_TMP/steps.list" || fail "a \`\`\`sh block of $GUIDE does not start with \"# quickstart: STEP\": $(tail -n 1 "$MG_TMP/steps.list")"
[ "$(echo $(cat "$MG_TMP/steps.list"))" = "$STEPS" ] ||
	fail "the guide's steps are \"$(echo $(cat "$MG_TMP/steps.list"))\", not the \"$STEPS\" this test follows: update the test"
sed -i 's/mcp\.example\.com/localhost/g' "$MG_TMP"/steps/*.sh
ok "$GUIDE: $(wc -w < "$MG_TMP/steps.list") marked steps, the ones this test knows ($STEPS)"

# --- what stands in for systemd, sudo and apt's network (fake.sh) ---
QS=$MG_TMP/state # a unit's pid and log: QS/NAME.pid, QS/NAME.log
mkdir -p "$QS" "$MG_TMP/home"
sudo() { "$@"; }
qs_unit_file() {
	if [ -f "/etc/systemd/system/$1.service" ]; then
		echo "/etc/systemd/system/$1.service"
	else
		dpkg -L mcpgw 2> /dev/null | grep "/$1\.service$"
	fi
}
qs_key() { sed -n "s/^$2=//p" "$1"; } # qs_key UNITFILE KEY: its values
qs_alive() { kill -0 "$1" 2> /dev/null && ! grep -qs '^State:.*Z' "/proc/$1/status"; }
qs_start() {
	local u f line envs=() as=() pid n
	u=$1
	f=$(qs_unit_file "$u") && [ -n "$f" ] || { echo "fake systemctl: no unit $u" >&2; return 1; }
	[ ! -s "$QS/$u.pid" ] || ! qs_alive "$(cat "$QS/$u.pid")" || return 0
	while read -r line; do
		[ -z "$line" ] && continue
		$line || { echo "fake systemctl: ExecStartPre failed: $line" >&2; return 1; }
	done <<< "$(qs_key "$f" ExecStartPre)"
	while read -r line; do
		[ -z "$line" ] && continue
		case "$line" in
		*[\ \"\']*) echo "fake systemctl: Environment=$line: one plain KEY=VALUE a line, please" >&2; return 1 ;;
		esac
		envs+=("$line")
	done <<< "$(qs_key "$f" Environment)"
	[ "$(qs_key "$f" DynamicUser)" != yes ] || as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	n=$(grep -c 'generation [0-9]* ready' /var/log/mcpgw/error.log 2> /dev/null)
	# shellcheck disable=SC2046
	env "${envs[@]}" "${as[@]}" $(qs_key "$f" ExecStart) >> "$QS/$u.log" 2>&1 &
	pid=$!
	echo "$pid" > "$QS/$u.pid"
	[ "$(qs_key "$f" Type)" = notify ] || return 0
	# Type=notify: systemctl returns once the master is ready
	for _ in $(seq 150); do
		[ "$(grep -c 'generation [0-9]* ready' /var/log/mcpgw/error.log 2> /dev/null)" -gt "${n:-0}" ] && return 0
		qs_alive "$pid" || break
		sleep 0.1
	done
	echo "fake systemctl: $u did not become ready: $(tail -n 5 "$QS/$u.log")" >&2
	return 1
}
qs_stop() {
	local u=$1 pid sig f
	[ -s "$QS/$u.pid" ] || return 0
	pid=$(cat "$QS/$u.pid")
	f=$(qs_unit_file "$u")
	sig=$(qs_key "$f" KillSignal)
	kill -s "${sig:-SIGTERM}" "$pid" 2> /dev/null
	for _ in $(seq 200); do
		qs_alive "$pid" || { rm -f "$QS/$u.pid"; return 0; }
		sleep 0.1
	done
	echo "fake systemctl: $u (pid $pid) did not stop on ${sig:-SIGTERM}" >&2
	return 1
}
systemctl() {
	local verb=$1 now= u
	shift
	[ "${1:-}" != --now ] || { now=yes; shift; }
	case "$verb" in
	daemon-reload) return 0 ;;
	enable) [ -z "$now" ] || for u; do qs_start "$u" || return 1; done ;;
	disable) [ -z "$now" ] || for u; do qs_stop "$u" || return 1; done ;;
	restart) for u; do qs_stop "$u" && qs_start "$u" || return 1; done ;;
	reload)
		for u; do
			f=$(qs_unit_file "$u") && $(qs_key "$f" ExecReload) || return 1
		done
		;;
	*) echo "fake systemctl: the test does not know \"systemctl $verb $*\"" >&2; return 1 ;;
	esac
}
apt-get() {
	local p
	case "$1 ${2:-}" in
	"update ") echo "(quickstart.sh: apt-get update left out: apt's network)" ;;
	"install -y")
		shift 2
		case "$*" in
		*/*)
			printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
			DEBIAN_FRONTEND=noninteractive command apt-get install -y -q "$@"
			p=$?
			rm -f /usr/sbin/policy-rc.d
			return $p
			;;
		esac
		for p; do
			dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'ok installed' ||
				{ echo "(quickstart.sh) $p is not installed: install it first (CI does)" >&2; return 1; }
		done
		echo "(quickstart.sh: apt-get install left out, all installed: $*)"
		;;
	"purge -y") DEBIAN_FRONTEND=noninteractive command apt-get "$@" ;;
	*) echo "fake apt-get: the test does not know \"apt-get $*\"" >&2; return 1 ;;
	esac
}
dpkg-buildpackage() {
	[ "$*" = "-us -uc -b" ] || { echo "the guide's dpkg-buildpackage $* is not package.sh's -us -uc -b" >&2; return 1; }
	if [ -n "$QS_CACHED" ]; then
		cp "$QS_CACHED"/mcpgw_*.deb .. && echo "(quickstart.sh: package.sh's .deb of this same tree: $(ls "$QS_CACHED"))"
	else
		(unset MAKEFLAGS MFLAGS MAKELEVEL && command dpkg-buildpackage "$@")
	fi
}
npm() {
	case "$*" in
	"install @modelcontextprotocol/sdk@"*)
		[ "$*" = "install @modelcontextprotocol/sdk@$QS_SDK" ] ||
			{ echo "the guide's SDK is not tests/era's $QS_SDK: $*" >&2; return 1; }
		ln -sfn "$ERA" node_modules && echo "(quickstart.sh: the SDK $QS_SDK of tests/era/node_modules)"
		;;
	*) command npm "$@" ;;
	esac
}
# The package: package.sh's, when it built this same tree in this build
# directory; else the step builds it.
B=$MG_TMP/b
deb_copy_tree "$SRC" "$B"
hash=$(deb_tree_hash "$B/mcpgw")
QS_CACHED=$(deb_cache "$hash")
if ls "$QS_CACHED"/mcpgw_*.deb > /dev/null 2>&1; then
	how="package.sh's .deb of the same tree $hash"
else
	QS_CACHED=
	how="built here"
fi
QS_SDK=$(node -p "require('$ERA/@modelcontextprotocol/sdk/package.json').version")
{
	declare -f sudo qs_unit_file qs_key qs_alive qs_start qs_stop systemctl apt-get dpkg-buildpackage npm
	printf 'QS=%q ERA=%q QS_SDK=%q QS_CACHED=%q\n' "$QS" "$ERA" "$QS_SDK" "$QS_CACHED"
} > "$MG_TMP/fake.sh"

# step NAME [DIR]: run the guide's step NAME in DIR (the scratch home),
# its output in $MG_TMP/NAME.out
step() {
	local f
	f=$(ls "$MG_TMP"/steps/*-"$1".sh)
	(cd "${2:-$MG_TMP/home}" && HOME=$MG_TMP/home npm_config_update_notifier=false \
		npm_config_cache=$NPM_CACHE npm_config_prefer_offline=true \
		bash -e -c ". '$MG_TMP/fake.sh'; . '$f'") > "$MG_TMP/$1.out" 2>&1 ||
		fail "the guide's step \"$1\" failed: $(tail -n 30 "$MG_TMP/$1.out")"
}
out() { cat "$MG_TMP/$1.out"; }
has() { # has STEP TEXT: the step's output has TEXT
	grep -qF -- "$2" "$MG_TMP/$1.out" || fail "step \"$1\" did not print \"$2\": $(tail -n 30 "$MG_TMP/$1.out")"
}

# Nothing of the guide left after it: before and after.
leftovers() {
	find /etc /var /run /usr /lib /srv -xdev \( -name '*mcpgw*' -o -name 'mcp-everything*' \
		-o -name 'mcp-server-*' -o -name 'mcp-loopback*' -o -name '@modelcontextprotocol' \) \
		-not -path "$SRC/*" -not -path "${MG_BUILDDIR:-$SRC}/*" 2> /dev/null | sort
	! id mcpgw > /dev/null 2>&1 || find /etc /var /run /usr /lib /srv /tmp -xdev -user mcpgw 2> /dev/null | sort
	ls -d /usr/local/lib/node_modules 2> /dev/null
}
leftovers > "$MG_TMP/before"
NEW_USER=yes
! id mcpgw > /dev/null 2>&1 || NEW_USER=
REMOVED=
STARTED=
mg_on_cleanup() {
	[ -n "$STARTED" ] || return 0
	if [ -z "$REMOVED" ]; then
		# the guide's own last step, then whatever it could not remove
		(cd "$MG_TMP/home" && HOME=$MG_TMP/home bash -c ". '$MG_TMP/fake.sh'; . $MG_TMP/steps/*-remove.sh") > /dev/null 2>&1
		for u in mcpgw mcp-everything; do
			[ ! -s "$QS/$u.pid" ] || kill -KILL "$(cat "$QS/$u.pid")" $(mg_children "$(cat "$QS/$u.pid")") 2> /dev/null
		done
		dpkg --purge mcpgw > /dev/null 2>&1
		npm uninstall -g --prefix /usr/local @modelcontextprotocol/server-filesystem @modelcontextprotocol/server-everything > /dev/null 2>&1
		rm -rf $MADE
		rmdir /usr/local/lib/node_modules/@modelcontextprotocol /usr/local/lib/node_modules 2> /dev/null
		rm -f /usr/sbin/policy-rc.d
	fi
	[ -z "$NEW_USER" ] || ! id mcpgw > /dev/null 2>&1 || userdel mcpgw
}

# 1. build: in a clean copy of the tree, as package.sh does
STARTED=yes
t1=$SECONDS
step build "$B/mcpgw"
dpkg-query -W -f='${Status}' mcpgw 2> /dev/null | grep -q 'ok installed' || fail "mcpgw is not installed after the step build"
[ -f /etc/mcpgw/mcpgw.conf ] && id mcpgw > /dev/null 2>&1 || fail "no /etc/mcpgw/mcpgw.conf or user mcpgw after the install"
ok "step build: dpkg-buildpackage -us -uc -b ($how), apt-get install -y ../mcpgw_*.deb: installed ($((SECONDS - t1)) s)"

# 2. stdio-server
t1=$SECONDS
step stdio-server
[ "$(out stdio-server | sed -n 's/^v\([0-9]*\)\..*/\1/p' | head -n 1)" -ge 20 ] 2> /dev/null ||
	fail "node --version: $(out stdio-server | head -n 1), not 20 or later, which the guide asks for"
[ -x /usr/local/bin/mcp-server-filesystem ] || fail "no /usr/local/bin/mcp-server-filesystem after npm install -g"
[ "$(cat /srv/docs/hello.txt)" = "Hello from /srv/docs." ] || fail "/srv/docs/hello.txt: $(cat /srv/docs/hello.txt)"
ok "step stdio-server: npm install -g server-filesystem in /usr/local/bin (node $(node --version)), /srv/docs/hello.txt ($((SECONDS - t1)) s)"

# 3. http-server: its unit, started from its own lines; loopback only
t1=$SECONDS
step http-server
mg_wait 15 "grep -qE '^ *[0-9]+: 0100007F:0BB9 [0-9A-F:]+ 0A' /proc/net/tcp" ||
	fail "server-everything does not listen on 127.0.0.1:3001: $(tail -n 20 "$QS/mcp-everything.log")"
[ "$(grep -cE '^ *[0-9]+: [0-9A-F]+:0BB9 [0-9A-F:]+ 0A' /proc/net/tcp /proc/net/tcp6 | awk -F: '{s += $NF} END {print s}')" = 1 ] ||
	fail "server-everything listens beyond 127.0.0.1:3001: $(grep -E ':0BB9 ' /proc/net/tcp /proc/net/tcp6)"
[ "$(ps -o user= -p "$(cat "$QS/mcp-everything.pid")")" = nobody ] || fail "server-everything does not run as nobody"
ok "step http-server: the unit mcp-everything's ExecStart (as nobody for DynamicUser=yes) listens on 127.0.0.1:3001 only ($((SECONDS - t1)) s)"

# 4. certificate
step certificate
openssl x509 -in /etc/mcpgw/tls/fullchain.pem -noout -ext subjectAltName | grep -q 'DNS:localhost' ||
	fail "the certificate is not for localhost"
[ "$(stat -c %a /etc/mcpgw/tls/privkey.pem)" = 600 ] || fail "privkey.pem is not mode 600"
ok "step certificate: self-signed for DNS:localhost, key mode 600"

# 5. api-key
step api-key
key=$(cat "$MG_TMP/home/mcpgw.key")
[ "$(cat /etc/mcpgw/api.keys)" = "me $(printf %s "$key" | sha256sum | cut -d' ' -f1)" ] ||
	fail "/etc/mcpgw/api.keys is not \"me\" and the key's SHA-256: $(cat /etc/mcpgw/api.keys)"
ok "step api-key: ~/mcpgw.key (${#key} hex digits), /etc/mcpgw/api.keys holds its SHA-256"

# 6. configure
step configure
[ "$(out configure | tail -n 1)" = "mcpgw: configuration file /etc/mcpgw/mcpgw.conf test is successful" ] ||
	fail "mcpgw -t: $(out configure)"
ok "step configure: /etc/mcpgw/mcpgw.conf written, mcpgw -t: test is successful"

# 7. start
step start
has start "generation 1 ready"
master=$(cat "$QS/mcpgw.pid")
[ "$(cat /run/mcpgw/mcpgw.pid)" = "$master" ] || fail "/run/mcpgw/mcpgw.pid does not name the master $master"
for p in $(mg_children "$master"); do
	[ "$(ps -o user= -p "$p")" = mcpgw ] || fail "child $p runs as $(ps -o user= -p "$p"), not mcpgw"
done
(exec 3<> /dev/tcp/127.0.0.1/443) 2> /dev/null || fail "nothing listens on port 443"
ok "step start: the unit's ExecStartPre and ExecStart; master $master, its children as mcpgw, port 443 and 127.0.0.1:8080"

# 8. clients
step curl
[ "$(out curl | head -n 1)" = 401 ] || fail "curl without the key: $(out curl | head -n 1), not 401"
has curl "HTTP/1.1 200"
grep -qi '^mcp-session-id: ' "$MG_TMP/curl.out" || fail "no Mcp-Session-Id: $(out curl)"
has curl '"protocolVersion":"2025-11-25"'
ok "step curl: https://localhost/mcp/files without the key 401, with it initialize 200 and a session id"

t1=$SECONDS
step sdk-client
has sdk-client "Hello from /srv/docs."
has sdk-client "Echo: hello"
has sdk-client "Echo: hello, both"
has sdk-client "files__read_text_file"
has sdk-client "everything__echo"
ok "step sdk-client: the SDK $QS_SDK over https (NODE_EXTRA_CA_CERTS): read_text_file on /mcp/files, echo on /mcp/everything and everything__echo on /mcp/all ($((SECONDS - t1)) s)"

t1=$SECONDS
step inspector
has inspector '"name": "files__list_directory"'
has inspector '"name": "everything__get-sum"'
has inspector '[FILE] hello.txt'
ok "step inspector: npx @modelcontextprotocol/inspector@1.0.3 --cli tools/list on /mcp/all, tools/call list_directory on /mcp/files ($((SECONDS - t1)) s)"

# 9. reload
step reload
[ "$(out reload | tail -n 1)" = 200 ] || fail "the second key after the reload: $(out reload | tail -n 1), not 200"
grep -q 'generation 2 ready' /var/log/mcpgw/error.log || fail "no generation 2 after systemctl reload"
ok "step reload: a second key, mcpgw -t, the unit's ExecReload: generation 2, the new key answered 200"

# 10. observe
step observe
has observe '"key:me"'
has observe '"key:ci"'
has observe 'mcpgw_tool_calls_total{'
has observe 'reload'
has observe '"version"'
ok "step observe: the access log names key:me and key:ci, the metrics count the tool calls, the status page answers JSON"

# 11. remove
t1=$SECONDS
step remove
REMOVED=yes
[ ! -s "$QS/mcpgw.pid" ] && [ ! -s "$QS/mcp-everything.pid" ] || fail "a unit still runs after the step remove"
dpkg-query -W -f='${Status}' mcpgw 2> /dev/null | grep -q 'ok installed' && fail "mcpgw is still installed"
leftovers > "$MG_TMP/after"
diff "$MG_TMP/before" "$MG_TMP/after" > "$MG_TMP/left.diff" || fail "left after the step remove: $(cat "$MG_TMP/left.diff")"
[ -z "$(ls -A "$MG_TMP/home")" ] || fail "left in the home directory: $(ls -A "$MG_TMP/home")"
ok "step remove: both units stopped, the package purged, the npm servers uninstalled, nothing of the guide left ($((SECONDS - t1)) s; $((SECONDS - t0)) s in all)"

mg_done
