# Shared by the integration tests: start the real daemon on a free loopback
# port with a configuration written for the test, look at its processes,
# and always stop everything it started, even when the test fails.
#
# Each test script sources this, calls mg_setup, and uses the helpers.
# A failed check prints "FAIL: why" and exits 1; the EXIT trap cleans up.

set -u

: "${MCPGW:?MCPGW must name the mcpgw binary}"
: "${MGTEST:?MGTEST must name the mgtest helper}"

MG_TMP=
MG_MASTER=
MG_TESTS=0
MG_BG_PIDS=

mg_cleanup() {
	local rc=$?
	# a test's own peers first (nginx must take its workers down itself)
	declare -F mg_on_cleanup > /dev/null && mg_on_cleanup
	if [ -n "$MG_MASTER" ]; then
		local kids
		kids=$(mg_children "$MG_MASTER")
		kill -KILL "$MG_MASTER" $kids 2>/dev/null
	fi
	# Anything still running that this test started (old generations,
	# orphans of a killed master), checked by title against pid reuse.
	if [ -n "$MG_TMP" ]; then
		for p in $(mg_pids_with_arg "$MG_TMP") $(cat "$MG_TMP/seen" 2>/dev/null); do
			case "$(mg_title "$p")" in
			mcpgw:*) kill -KILL "$p" 2>/dev/null ;;
			esac
		done
	fi
	for p in $MG_BG_PIDS; do kill -KILL "$p" 2>/dev/null; done
	# A sanitizer report from any process of the daemon fails the test.
	if [ -n "$MG_TMP" ] && grep -lsE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
		"$MG_TMP"/*.log > /dev/null; then
		echo "FAIL: sanitizer report:"
		grep -hsE -A 30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$MG_TMP"/*.log | head -n 80
		rc=1
	fi
	if [ $rc -ne 0 ] && [ -n "$MG_TMP" ] && [ -f "$MG_TMP/error.log" ]; then
		echo "--- error.log (last 40 lines) ---"
		tail -n 40 "$MG_TMP/error.log"
	fi
	[ -n "$MG_TMP" ] && rm -rf "$MG_TMP"
	exit $rc
}

mg_setup() {
	MG_TMP=$(mktemp -d /tmp/mcpgw-test.XXXXXX)
	trap mg_cleanup EXIT
	trap 'exit 1' INT TERM
}

fail() {
	echo "FAIL: $*"
	exit 1
}

ok() {
	MG_TESTS=$((MG_TESTS + 1))
	echo "ok $MG_TESTS - $*"
}

mg_done() {
	echo "$MG_TESTS passed, 0 failed"
}

free_port() {
	"$MGTEST" freeport "${1:-1}"
}

# The parent pid of PID, from /proc (the comm field may hold spaces).
# (builtins only: these run in tight polling loops)
mg_ppid() {
	local stat
	read -r stat 2>/dev/null < "/proc/$1/stat" || return 1
	stat=${stat##*) }
	set -- $stat
	echo "$2"
}

mg_title() {
	local parts
	mapfile -d "" parts 2>/dev/null < "/proc/$1/cmdline" || return 1
	echo "${parts[*]}"
}

mg_children() {
	local d stat fields master=$1
	for d in /proc/[0-9]*; do
		read -r stat 2>/dev/null < "$d/stat" || continue
		stat=${stat##*) }
		read -r -a fields <<< "$stat"
		if [ "${fields[1]}" = "$master" ]; then
			echo "${d#/proc/}"
			echo "${d#/proc/}" >> "$MG_TMP/seen"
		fi
	done
}

# Pids of processes whose command line mentions ARG (our temp dir).
mg_pids_with_arg() {
	local d
	for d in /proc/[0-9]*; do
		[ "${d#/proc/}" = "$$" ] && continue
		case "$(mg_title "${d#/proc/}")" in
		*"$1"*) echo "${d#/proc/}" ;;
		esac
	done
}

# Children of MASTER with the given role: worker or connector.
mg_role_pids() {
	local p
	for p in $(mg_children "$1"); do
		case "$(mg_title "$p")" in
		"mcpgw: $2 process"*) echo "$p" ;;
		esac
	done
}

mg_count() {
	set -- $1
	echo $#
}

mg_first() {
	set -- $1
	echo "${1:-}"
}

# Does the list (words) hold PID?
mg_has() {
	case " $(echo $2) " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# MASTER has COUNT children of ROLE, and OLD is not one of them.
mg_replaced() {
	local now
	now=$(mg_role_pids "$1" "$2")
	[ "$(mg_count "$now")" = "$3" ] && ! mg_has "$4" "$now"
}

# Wait up to SECONDS for the shell condition CMD to hold.
mg_wait() {
	local secs=$1 i=0
	shift
	while ! eval "$@"; do
		i=$((i + 1))
		[ $i -ge $((secs * 20)) ] && return 1
		sleep 0.05
	done
	return 0
}

# Write the test configuration: mg_conf WORKERS [extra main-context lines]
mg_conf() {
	local workers=$1
	shift
	cat > "$MG_TMP/mcpgw.conf" <<CONF
worker_processes $workers;
pid $MG_TMP/mcpgw.pid;
error_log $MG_TMP/error.log debug;
shutdown_timeout 5s;
$*
server {
    listen 127.0.0.1:$MG_PORT;
    location /mcp { mcp_builtin demo; }
}
CONF
}

# Start the daemon in the foreground on $MG_TMP/mcpgw.conf and wait until
# the master says its generation serves.
mg_start() {
	local gen=${1:-1}
	"$MCPGW" -F -c "$MG_TMP/mcpgw.conf" >> "$MG_TMP/stdout.log" 2>&1 &
	MG_MASTER=$!
	disown "$MG_MASTER" # no job notice when the cleanup kills it
	mg_wait 10 "grep -q 'generation $gen ready' '$MG_TMP/error.log' 2>/dev/null" ||
		fail "mcpgw did not become ready within 10 s"
}

mg_alive() {
	kill -0 "$1" 2>/dev/null && [ "$(mg_ppid "$1")" != "" ] &&
		! grep -qs "^State:.*Z" "/proc/$1/status"
}

http_status() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"
}
