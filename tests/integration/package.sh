#!/usr/bin/env bash
# The Debian package (docs/packaging.md) as an operator gets it: built by
# dpkg-buildpackage from a clean copy of the tree, lintian without errors
# or warnings, installed with apt-get, "mcpgw -t" on /etc/mcpgw/mcpgw.conf,
# started the way the installed unit starts it (its ExecStartPre and
# ExecStart, read from the unit, without systemd) so that its workers and
# connector run as the packaged user mcpgw, a tool called over the
# installed configuration's endpoint, the logs rotated by the packaged
# logrotate file (its postrotate is "mcpgw -s reopen"), stopped, purged,
# and nothing of it left.  Needs root, and dpkg-dev, debhelper, lintian,
# fakeroot and logrotate (tests/run-all.sh installs them); only the gcc
# leg of tests/run-all.sh runs it.  The checkout is never written.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deb_lib.sh"
mg_setup
SRC=${MG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}

[ "$(id -u)" = 0 ] || fail "needs root: it installs and purges the package"
for c in dpkg-buildpackage dh lintian fakeroot logrotate apt-get curl; do
	command -v "$c" > /dev/null ||
		fail "$c is missing (apt-get install dpkg-dev debhelper lintian fakeroot logrotate curl)"
done
if dpkg-query -W -f='${Status}' mcpgw 2>/dev/null | grep -q 'installed'; then
	fail "the package mcpgw is installed on this machine: this test would purge it; remove it first"
fi
# The packaged configuration listens on 127.0.0.1:8080, as shipped.
if (exec 3<> /dev/tcp/127.0.0.1/8080) 2>/dev/null; then
	fail "127.0.0.1:8080 is in use (by: $(ss -ltnp 'sport = :8080' 2>/dev/null | tail -n +2)); the packaged configuration listens there"
fi

# What is named mcpgw, or owned by its user, before: after the purge there
# must be nothing more.
leftovers() {
	{
		find /etc /var /run /usr /lib -xdev -name '*mcpgw*' \
			-not -path "$SRC/*" -not -path "${MG_BUILDDIR:-$SRC}/*" 2>/dev/null
		! id mcpgw > /dev/null 2>&1 || find /etc /var /run /usr /lib /tmp -xdev -user mcpgw 2>/dev/null
	} | sort
}
leftovers > "$MG_TMP/before"

INSTALLED=
POLICY=
# The purge keeps the system user, as Debian does; the test then removes
# it if it made it, so that every run sees the postinst create it.
NEW_USER=yes
! id mcpgw > /dev/null 2>&1 || NEW_USER=
mg_on_cleanup() {
	if [ -n "$INSTALLED" ]; then
		[ -z "$MG_MASTER" ] || kill -KILL "$MG_MASTER" $(mg_children "$MG_MASTER") 2>/dev/null
		MG_MASTER=
		dpkg --purge mcpgw > /dev/null 2>&1
	fi
	[ -z "$POLICY" ] || rm -f /usr/sbin/policy-rc.d
	[ -z "$NEW_USER" ] || ! id mcpgw > /dev/null 2>&1 || userdel mcpgw
}

t0=$SECONDS
status_before=$(git -C "$SRC" status --porcelain 2>/dev/null)
# A clean copy: the tree's files as git knows them (tracked and new, not
# ignored: no build, no node_modules), or the unpacked tarball as it is.
B=$MG_TMP/b
deb_copy_tree "$SRC" "$B"
tree_hash=$(deb_tree_hash "$B/mcpgw")
[ -f "$B/mcpgw/debian/rules" ] || fail "the copy of the tree has no debian/rules"
version=$(sed -n 's/^AC_INIT(\[mcpgw\], \[\([^]]*\)\].*/\1/p' "$SRC/configure.ac")
deb=$B/mcpgw_${version}_$(dpkg --print-architecture).deb
changes=$B/mcpgw_${version}_$(dpkg --print-architecture).changes
# not the make jobserver of "make check": dpkg-buildpackage runs its own
(cd "$B/mcpgw" && unset MAKEFLAGS MFLAGS MAKELEVEL &&
	DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) > "$MG_TMP/build.log" 2>&1 ||
	fail "dpkg-buildpackage failed: $(tail -n 40 "$MG_TMP/build.log")"
[ -f "$deb" ] || fail "no $(basename "$deb") (debian/changelog's version is not configure.ac's $version?): $(ls "$B")"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "the package's version is not configure.ac's $version"
grep -q '^PASS: tests/check_mcpgw' "$MG_TMP/build.log" || fail "the package build did not run the unit tests"
dpkg-deb -c "$deb" | awk '{print $6}' > "$MG_TMP/contents"
for f in ./usr/sbin/mcpgw ./usr/share/man/man8/mcpgw.8.gz ./usr/share/man/man5/mcpgw.conf.5.gz \
	./etc/mcpgw/mcpgw.conf ./lib/systemd/system/mcpgw.service ./usr/lib/sysusers.d/mcpgw.conf \
	./usr/lib/tmpfiles.d/mcpgw.conf ./etc/logrotate.d/mcpgw; do
	grep -qx "$f" "$MG_TMP/contents" || fail "the package lacks $f"
done
! grep -q '^\./run/\|^\./var/' "$MG_TMP/contents" || fail "the package ships /run or /var: $(grep '^\./run/\|^\./var/' "$MG_TMP/contents")"
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles | grep -qx /etc/mcpgw/mcpgw.conf ||
	fail "/etc/mcpgw/mcpgw.conf is not a conffile"
[ "$(git -C "$SRC" status --porcelain 2>/dev/null)" = "$status_before" ] ||
	fail "the package build changed the checkout: $(git -C "$SRC" status --porcelain)"
# kept for quickstart.sh, which installs the same tree's package (deb_lib.sh)
deb_cache_put "$tree_hash" "$deb"
ok "dpkg-buildpackage -us -uc -b: mcpgw_${version}, unit tests run, binary, man pages, conffile, unit, sysusers, tmpfiles, logrotate ($((SECONDS - t0)) s)"

t1=$SECONDS
lintian --fail-on error,warning "$changes" > "$MG_TMP/lintian.log" 2>&1 ||
	fail "lintian: $(grep -v 'root privileges' "$MG_TMP/lintian.log")"
ok "lintian on the .changes and .debs: no error, no warning ($((SECONDS - t1)) s)"

# Installed as an operator does; a machine whose systemd runs would start
# the unit now: policy-rc.d keeps it from doing so during the test.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	POLICY=yes
fi
INSTALLED=yes
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" > "$MG_TMP/install.log" 2>&1 ||
	fail "apt-get install: $(tail -n 30 "$MG_TMP/install.log")"
[ -z "$POLICY" ] || rm -f /usr/sbin/policy-rc.d
POLICY=
IFS=: read -r _ _ uid _ _ home shell <<< "$(getent passwd mcpgw)" || fail "no user mcpgw after the install"
[ "$uid" -lt 1000 ] && [ "$home" = /nonexistent ] && [ "$shell" = /usr/sbin/nologin ] ||
	fail "mcpgw is not a system user: $(getent passwd mcpgw)"
[ -d /run/mcpgw ] && [ -d /var/log/mcpgw ] || fail "no /run/mcpgw or /var/log/mcpgw after the install"
CONF=/etc/mcpgw/mcpgw.conf
# The packaged configuration is the shipped one with the paths and the user.
sed -e 's|^pid mcpgw\.pid;|pid /run/mcpgw/mcpgw.pid;|; s|^#user nobody nogroup;|user mcpgw;|' \
	-e 's|^error_log stderr info;|error_log /var/log/mcpgw/error.log info;\n\n# One line per HTTP request (docs/mcp.md, "The access log").\naccess_log /var/log/mcpgw/access.log;|' \
	"$SRC/conf/mcpgw.conf" | diff - "$CONF" > "$MG_TMP/conf.diff" ||
	fail "$CONF is not conf/mcpgw.conf with the package's pid, user and logs: $(cat "$MG_TMP/conf.diff")"
out=$(mcpgw -t -c "$CONF" 2>&1) || fail "mcpgw -t on $CONF: $out"
echo "$out" | grep -qx "mcpgw: configuration file $CONF test is successful" || fail "mcpgw -t: $out"
ok "apt-get install: system user mcpgw ($uid), /run/mcpgw and /var/log/mcpgw, $CONF is conf/mcpgw.conf with the package's pid, user and logs, and passes mcpgw -t"

# Started as the unit starts it, from the unit's own lines.
unit=$(dpkg -L mcpgw | grep '/mcpgw\.service$')
pre=$(sed -n 's/^ExecStartPre=//p' "$unit")
start=$(sed -n 's/^ExecStart=//p' "$unit")
[ "$pre" = "/usr/sbin/mcpgw -t -q -c $CONF" ] && [ "$start" = "/usr/sbin/mcpgw -F -c $CONF" ] ||
	fail "the unit's ExecStartPre/ExecStart: $pre / $start"
$pre || fail "ExecStartPre failed: $pre"
$start >> "$MG_TMP/stdout.log" 2>&1 &
MG_MASTER=$!
disown "$MG_MASTER"
LOG=/var/log/mcpgw/error.log
mg_wait 15 "grep -q 'generation 1 ready' $LOG 2>/dev/null" ||
	fail "the installed mcpgw did not become ready: $(cat "$MG_TMP/stdout.log"; tail -n 20 $LOG)"
[ "$(cat /run/mcpgw/mcpgw.pid)" = "$MG_MASTER" ] || fail "/run/mcpgw/mcpgw.pid does not name the master"
[ "$(ps -o user= -p "$MG_MASTER")" = root ] || fail "the master is not root's"
workers=$(mg_role_pids "$MG_MASTER" worker)
connector=$(mg_role_pids "$MG_MASTER" connector)
[ "$(mg_count "$workers")" = "$(nproc)" ] && [ "$(mg_count "$connector")" = 1 ] ||
	fail "not $(nproc) workers and a connector: $(ps -o pid,user,args --ppid "$MG_MASTER")"
for p in $workers $connector; do
	[ "$(ps -o user= -p "$p")" = mcpgw ] || fail "child $p runs as $(ps -o user= -p "$p"), not mcpgw"
done
ok "started by the unit's ExecStartPre and ExecStart: master root, $(mg_count "$workers") workers and the connector as mcpgw, pid file /run/mcpgw/mcpgw.pid"

# The README's session, on the installed configuration's endpoint, and the
# same through the connector ("mcp_pass self").
listen=$(sed -n 's/^ *listen \([0-9.:]*\);/\1/p' "$CONF")
[ "$listen" = 127.0.0.1:8080 ] || fail "the packaged listen: $listen"
session() { # URL: the README's initialize, initialized, tools/call echo, DELETE
	local U=$1 S
	mcp() { curl -s --max-time 5 "$U" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25' "$@"; }
	S=$(mcp -D - -o /dev/null -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}' | tr -d '\r' | sed -n 's/^mcp-session-id: //Ip')
	[ -n "$S" ] || fail "$U: no session id"
	[ "$(mcp -H "Mcp-Session-Id: $S" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}' -w '%{http_code}')" = 202 ] ||
		fail "$U: initialized not 202"
	body=$(mcp -H "Mcp-Session-Id: $S" -d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}}')
	[ "$body" = '{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"echo: hello"}]}}' ] ||
		fail "$U: tools/call echo: $body"
	[ "$(mcp -H "Mcp-Session-Id: $S" -X DELETE -w '%{http_code}')" = 204 ] || fail "$U: DELETE not 204"
}
session "http://$listen/mcp/demo"
session "http://$listen/mcp"
grep -q ' 127\.0\.0\.1 localhost /mcp/demo [^ ]* POST tools/call echo 200 ' /var/log/mcpgw/access.log ||
	fail "no access log line: $(tail -n 3 /var/log/mcpgw/access.log)"
ok "the README's session on http://$listen/mcp/demo and /mcp (through the connector): echo: hello, 202, 204; logged in /var/log/mcpgw/access.log"

# logrotate with the packaged file (its own state file: the machine's is
# not touched); postrotate's "mcpgw -s reopen" makes the master open new
# files, which the next request and the reopen line go to.
logrotate -f -s "$MG_TMP/logrotate.state" /etc/logrotate.d/mcpgw > "$MG_TMP/logrotate.log" 2>&1 ||
	fail "logrotate: $(cat "$MG_TMP/logrotate.log")"
grep -q '^[[:space:]]*if \[ -s /run/mcpgw/mcpgw.pid \]; then /usr/sbin/mcpgw -s reopen -c /etc/mcpgw/mcpgw.conf; fi$' /etc/logrotate.d/mcpgw ||
	fail "the logrotate file's postrotate is not mcpgw -s reopen: $(cat /etc/logrotate.d/mcpgw)"
[ -f /var/log/mcpgw/error.log.1 ] && [ -f /var/log/mcpgw/access.log.1 ] ||
	fail "logrotate rotated nothing: $(ls -l /var/log/mcpgw)"
mg_wait 5 "grep -q 'reopened the error log \"$LOG\"' $LOG 2>/dev/null" ||
	fail "no reopen after logrotate: $(ls -l /var/log/mcpgw)"
session "http://$listen/mcp/demo"
grep -q ' 127\.0\.0\.1 localhost /mcp/demo [^ ]* POST tools/call echo 200 ' /var/log/mcpgw/access.log ||
	fail "the new access.log gets no line after the rotation: $(ls -l /var/log/mcpgw)"
ok "logrotate -f /etc/logrotate.d/mcpgw: error.log.1 and access.log.1, the master reopened both (postrotate: mcpgw -s reopen)"

mcpgw -s quit -c "$CONF" || fail "mcpgw -s quit"
mg_wait 15 "! mg_alive $MG_MASTER" || fail "-s quit did not stop the installed master"
MG_MASTER=
[ ! -e /run/mcpgw/mcpgw.pid ] || fail "the pid file stayed behind"

dpkg --purge mcpgw > "$MG_TMP/purge.log" 2>&1 || fail "dpkg --purge: $(cat "$MG_TMP/purge.log")"
INSTALLED=
leftovers > "$MG_TMP/after"
diff "$MG_TMP/before" "$MG_TMP/after" > "$MG_TMP/left.diff" ||
	fail "left after the purge: $(cat "$MG_TMP/left.diff")"
id mcpgw > /dev/null 2>&1 || fail "the purge removed the user mcpgw (Debian keeps system users)"
ok "dpkg --purge: nothing named mcpgw or owned by mcpgw left in /etc /var /run /usr /lib; the system user stays ($((SECONDS - t0)) s in all)"

mg_done
