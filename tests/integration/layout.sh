#!/usr/bin/env bash
# The source layout that docs/architecture.md describes, checked on the
# tree itself: every file in a folder of a known layer, its job stated in
# an opening comment, at most MAX_LINES lines (exceptions listed below, with their reasons),
# includes only downwards (same folder or a lower layer), no connector
# file that includes the worker's or the agents' HTTP side, and no circle
# of includes between files.
#
#   tests/integration/layout.sh [SRCDIR]   (default: the tree of this script)
set -u
src=${1:-${MG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}}/src
MAX_LINES=800
fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# Layers, lowest first.  Folders of one rank are siblings and may not
# include each other.
declare -A rank=([core]=0 [conf]=1 [proto]=2 [net]=3 [ipc]=4
	[worker]=5 [connector]=5 [servers]=6 [master]=7 [.]=8)

# Longer than MAX_LINES on purpose, each for its reason (none today).
declare -A long_ok=()

# Headers a folder may not include although its rank would allow it.
declare -A banned=(
	[connector:http.h]="the agents' HTTP server (net/http.c); the shared vocabulary is proto/httpmsg.h"
	[connector:listen.h]="the master's listening sockets"
)

declare -A folder_of # header or source base name -> folder
files=()
while IFS= read -r f; do
	rel=${f#"$src"/}
	dir=${rel%/*}
	[ "$dir" = "$rel" ] && dir=.
	if [ -z "${rank[$dir]+x}" ]; then
		fail "$rel: folder \"$dir\" is not a layer (add it to this test and to docs/architecture.md)"
		continue
	fi
	base=${rel##*/}
	case $base in
	*.h)
		if [ -n "${folder_of[$base]+x}" ]; then
			fail "$rel: the name is also used in ${folder_of[$base]}/ (includes are by name)"
		fi
		folder_of[$base]=$dir
		;;
	esac
	files+=("$rel")
done < <(find "$src" -name '*.[ch]' | sort)
[ ${#files[@]} -gt 20 ] || fail "found only ${#files[@]} source files under $src"

# Every file is built and shipped: one missing from Makefile.am builds
# here and fails from the tarball (make distcheck).
am=$src/../Makefile.am
if [ -f "$am" ]; then
	for rel in "${files[@]}"; do
		grep -qF "src/$rel" "$am" || fail "$rel: not in Makefile.am (add it to its folder's block)"
	done
else
	fail "no Makefile.am beside $src"
fi

declare -A deps # module -> space-separated modules it includes
for rel in "${files[@]}"; do
	f=$src/$rel
	dir=${rel%/*}
	[ "$dir" = "$rel" ] && dir=.
	n=$(wc -l < "$f")
	if [ "$n" -gt $MAX_LINES ] && [ -z "${long_ok[$rel]+x}" ]; then
		fail "$rel: $n lines (at most $MAX_LINES: split it by job)"
	fi
	# the opening comment: the first line that is not blank
	first=$(grep -m1 -v '^[[:space:]]*$' "$f")
	case $first in
	"/*"*) ;;
	*) fail "$rel: no opening comment saying what the file is for" ;;
	esac
	mod=${rel%.[ch]}
	while IFS= read -r inc; do
		[ "$inc" = config.h ] && continue
		to=${folder_of[$inc]-}
		if [ -z "$to" ]; then
			fail "$rel: includes \"$inc\", which is not in src/"
			continue
		fi
		if [ -n "${banned[$dir:$inc]+x}" ]; then
			fail "$rel: includes \"$inc\": ${banned[$dir:$inc]}"
		fi
		if [ "$to" != "$dir" ] && [ "${rank[$to]}" -ge "${rank[$dir]}" ]; then
			fail "$rel: includes $to/$inc: $dir/ may include only its own folder and lower layers"
		fi
		[ "$to/${inc%.h}" = "$mod" ] || deps[$mod]="${deps[$mod]-} $to/${inc%.h}"
	done < <(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done

# Circles: a module (x.c with x.h) that reaches itself through includes.
# A header without a .c (a private header such as conf_int.h, shared by
# several files) is seen through: its includes count as its includer's.
declare -A has_c
for rel in "${files[@]}"; do
	case $rel in *.c) has_c[${rel%.c}]=1 ;; esac
done
declare -A seen_through
through() { # the modules with code that module $1's includes reach
	local m=$1 d out=""
	for d in ${deps[$m]-}; do
		if [ -n "${has_c[$d]+x}" ]; then
			out="$out $d"
		elif [ -z "${seen_through[$d]+x}" ]; then
			seen_through[$d]=1
			out="$out $(through "$d")"
		fi
	done
	echo "$out"
}
declare -A cdeps
for m in "${!deps[@]}"; do
	[ -n "${has_c[$m]+x}" ] || continue
	seen_through=()
	cdeps[$m]=$(for d in $(through "$m"); do [ "$d" != "$m" ] && echo "$d"; done | sort -u | tr '\n' ' ')
done
declare -A state # 1: on the path, 2: done
path=()
visit() {
	local m=$1 d
	state[$m]=1
	path+=("$m")
	for d in ${cdeps[$m]-}; do
		if [ "${state[$d]-0}" = 1 ]; then
			local cyc="" p on=0
			for p in "${path[@]}"; do
				[ "$p" = "$d" ] && on=1
				[ $on = 1 ] && cyc="$cyc$p -> "
			done
			fail "include circle: $cyc$d"
		elif [ "${state[$d]-0}" = 0 ]; then
			visit "$d"
		fi
	done
	unset 'path[${#path[@]}-1]'
	state[$m]=2
}
for m in "${!cdeps[@]}"; do
	[ "${state[$m]-0}" = 0 ] && visit "$m"
done

if [ $fails -gt 0 ]; then
	echo "layout: $fails problem(s) in $src"
	exit 1
fi
echo "ok - layout: ${#files[@]} files in ${#rank[@]} layers, includes downwards only, no circles"
