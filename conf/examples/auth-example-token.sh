#!/bin/sh
# Print a bearer token (a JWT signed RS256 by auth-example-signer.pem, the
# EXAMPLE ONLY key) that conf/examples/auth.conf accepts:
#
#   sh conf/examples/auth-example-token.sh [AUDIENCE [SCOPE [SUBJECT [SECONDS]]]]
#
# AUDIENCE is the URL the client calls (auth.conf's default audience is
# the route's own URL): http://127.0.0.1:8080/mcp unless given.  SCOPE
# defaults to mcp:tools, SUBJECT to alice, SECONDS (its lifetime) to 3600.
# Only openssl and a POSIX shell are needed.
set -e
dir=$(dirname "$0")
aud=${1:-http://127.0.0.1:8080/mcp}
scope=${2:-mcp:tools}
sub=${3:-alice}
exp=$(($(date +%s) + ${4:-3600}))

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
header=$(printf '{"alg":"RS256","typ":"at+jwt","kid":"example"}' | b64url)
payload=$(printf '{"iss":"https://auth.example.com/","sub":"%s","aud":"%s","scope":"%s","exp":%d}' \
	"$sub" "$aud" "$scope" "$exp" | b64url)
sig=$(printf '%s.%s' "$header" "$payload" |
	openssl dgst -sha256 -sign "$dir/auth-example-signer.pem" | b64url)
printf '%s.%s.%s\n' "$header" "$payload" "$sig"
