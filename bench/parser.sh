#!/usr/bin/env bash
# bench/parser.sh: what the system's http_parser (libhttp-parser, the
# Debian package mcpgw links) costs per byte of a request head, outside
# mcpgw: a small program, built here from the text below, feeds the same
# POST head 1000 times to http_parser_execute with callbacks that do
# nothing, once with an Authorization value of 1 byte and once of BYTES
# (default 574: the RS256 token of bench/auth.sh), under valgrind's
# callgrind.  It prints the instructions per request of each and the
# difference per byte: the floor of what receiving a bearer token costs
# any program that parses with this library, whatever it does with it.
#
#   bench/parser.sh [BYTES]
#
# Exit status 1 when a tool is missing (cc, valgrind, libhttp-parser-dev).
set -u -o pipefail

bytes=${1:-574}
case $bytes in
'' | *[!0-9]*) echo "usage: bench/parser.sh [BYTES]" >&2 && exit 2 ;;
esac
[ "$bytes" -ge 2 ] && [ "$bytes" -le 8000 ] || {
	echo "bench/parser.sh: BYTES must be 2 to 8000" >&2
	exit 2
}
for t in cc valgrind; do
	command -v "$t" > /dev/null || {
		echo "bench/parser.sh: $t is missing" >&2
		exit 1
	}
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mcpgw-parser.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/p.c" << 'EOF'
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
data(http_parser *p, const char *at, size_t len)
{
	(void)p, (void)at, (void)len;
	return 0;
}

static int
none(http_parser *p)
{
	(void)p;
	return 0;
}

int
main(int argc, char **argv)
{
	static char          tok[8192], req[10240];
	http_parser_settings s = { 0 };
	size_t               n = (size_t)atoi(argv[1]), len;

	memset(tok, 'a', n);
	len = (size_t)snprintf(req, sizeof(req),
	    "POST /mcp/auth HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
	    "Content-Type: application/json\r\n"
	    "Accept: application/json, text/event-stream\r\n"
	    "Authorization: Bearer %s\r\nContent-Length: 0\r\n\r\n", tok);
	s.on_url = s.on_header_field = s.on_header_value = data;
	s.on_headers_complete = s.on_message_complete = none;
	for (int i = 0; i < 1000; i++) {
		http_parser p;

		http_parser_init(&p, HTTP_REQUEST);
		if (http_parser_execute(&p, &s, req, len) != len)
			return 1;
	}
	(void)argc;
	return 0;
}
EOF
cc -O2 -o "$tmp/p" "$tmp/p.c" -lhttp_parser || {
	echo "bench/parser.sh: cannot build against libhttp-parser-dev" >&2
	exit 1
}
count() {
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1" "$tmp/p" "$1" \
		> /dev/null 2> "$tmp/vg.$1" || {
		echo "bench/parser.sh: the program failed: $(tail -n 3 "$tmp/vg.$1")" >&2
		exit 1
	}
	sed -n 's/.*refs: *//p' "$tmp/vg.$1" | tr -d ,
}
a=$(count 1)
b=$(count "$bytes")
lib=$(ls /usr/lib/*/libhttp_parser.so.* 2> /dev/null | head -n 1)
echo "http_parser ($(basename "${lib:-libhttp_parser}")), instructions per request head:"
printf '  %-36s %8d\n' "an Authorization value of 1 byte" $((a / 1000)) \
	"an Authorization value of $bytes bytes" $((b / 1000)) \
	"more per byte of the value" $(((b - a) / 1000 / (bytes - 1)))
