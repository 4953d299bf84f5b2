#!/bin/bash
# Policy per identity (mcp_allow, mcp_deny with conditions on who): two
# clients with bearer tokens signed here (alice: scope mcp:read, roles
# admin and dev; bob: scope mcp:read, role dev), one set of rules
# (included in each location), and what each may call and sees listed:
#  - a built-in server (demo), 2025-11-25 with a session and 2026-07-28;
#  - a proxy route to the SDK v1 upstream (tests/proxy/upstream_server.mjs)
#    with a 2025-11-25 client, and with a 2026-07-28 client over the
#    bridge ("protocol 2025-11-25"): tools, prompts, resources, templates;
#  - a proxy route to this gateway's own built-in route, as it comes
#    (2026-07-28 to 2026-07-28) and over the reverse bridge (a 2025
#    client, "protocol 2026-07-28");
#  - a plain mcp_deny, no identity: the refused tool is not listed.
# A refused call is 403 / -32003 and never reaches the upstream; the
# error log names the rule's file and line and the client.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"
px_setup
px_need_modules
px_start_upstream

MG_PORT=$(free_port)
V=2026-07-28
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$MG_TMP/rsa.pem" 2> /dev/null ||
	fail "openssl genpkey RSA"
"$PX_NODE" -e '
	const c = require("crypto"), fs = require("fs");
	const k = c.createPublicKey(fs.readFileSync(process.argv[1]));
	const j = Object.assign(k.export({ format: "jwk" }), { kid: "k1", use: "sig" });
	process.stdout.write(JSON.stringify({ keys: [j] }));
' "$MG_TMP/rsa.pem" > "$MG_TMP/jwks.json" || fail "node: JWK Set"
# jwt SUB SCOPE ROLES-JSON: an RS256 token for this gateway
jwt() {
	"$PX_NODE" -e '
		const c = require("crypto"), fs = require("fs");
		const [pem, sub, scope, roles] = process.argv.slice(1);
		const b = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
		const now = Math.floor(Date.now() / 1000);
		const h = b({ alg: "RS256", kid: "k1", typ: "JWT" });
		const p = b({ iss: "https://idp.test/", aud: "https://mcpgw.test/", sub, scope,
			roles: JSON.parse(roles), iat: now, exp: now + 600 });
		const s = c.sign("sha256", Buffer.from(h + "." + p), fs.readFileSync(pem));
		process.stdout.write(h + "." + p + "." + s.toString("base64url"));
	' "$MG_TMP/rsa.pem" "$@"
}
ALICE=$(jwt alice "mcp:read openid" '["admin","dev"]') || fail "node: alice's token"
BOB=$(jwt bob "mcp:read" '["dev"]') || fail "node: bob's token"

cat > "$MG_TMP/policy.rules" << 'RULES'
mcp_allow tools/call echo if scope=mcp:read;
mcp_allow tools/call test_simple_text if scope=mcp:read;
mcp_allow tools/call "*" if claim:roles=admin;
mcp_deny prompts/get test_prompt_with_image unless claim:roles=admin;
mcp_deny resources/read "test://static-binary" if sub=bob|carol;
mcp_deny resources/read "test://template/*" if kind=jwt sub=bob;
RULES
px_conf 1 "" "upstream v1 { server $UP_URL; protocol 2025-11-25; }
upstream self { server http://127.0.0.1:$MG_PORT/mcp/open; }
upstream selfrev { server http://127.0.0.1:$MG_PORT/mcp/open; protocol 2026-07-28; }
server {
    listen 127.0.0.1:$MG_PORT;
    access_log $MG_TMP/access.log;
    auth_jwt {
        issuer https://idp.test/;
        audience https://mcpgw.test/;
        jwks_file $MG_TMP/jwks.json;
    }
    location /mcp/demo { mcp_builtin demo; include $MG_TMP/policy.rules; }
    location /mcp/v1 { mcp_pass v1; include $MG_TMP/policy.rules; }
    location /mcp/self { mcp_pass self; include $MG_TMP/policy.rules; }
    location /mcp/rev { mcp_pass selfrev; include $MG_TMP/policy.rules; }
    location /mcp/open { mcp_builtin demo; auth_jwt off; }
    location /mcp/plain { mcp_builtin demo; auth_jwt off; mcp_deny tools/call sleep; }
}"
mg_start

# post PATH TOKEN BODY [curl args]: the answer in $MG_TMP/out, the status
# printed
post() {
	local path=$1 token=$2 body=$3
	shift 3
	curl -sS --max-time 10 -o "$MG_TMP/out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' ${token:+-H "Authorization: Bearer $token"} \
		"$@" --data-binary "$body" "http://127.0.0.1:$MG_PORT$path"
}
# names KEY FIELD: the FIELDs of result.KEY in $MG_TMP/out (JSON or SSE),
# sorted, one line
names() {
	"$PX_NODE" -e '
		const t = require("fs").readFileSync(process.argv[1], "utf8");
		const msgs = t.trimStart().startsWith("{") ? [t]
			: t.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).filter(Boolean);
		for (const m of msgs) {
			const j = JSON.parse(m);
			if (j.result && Array.isArray(j.result[process.argv[2]])) {
				console.log(j.result[process.argv[2]].map((x) => x[process.argv[3]]).sort().join(" "));
				process.exit(0);
			}
		}
		process.exit(1);
	' "$MG_TMP/out" "$@"
}
forbidden() { # ID WHAT
	grep -q "\"id\":$1,\"error\":{\"code\":-32003,\"message\":\"Forbidden: $2 is not allowed here\"}" "$MG_TMP/out"
}
what() { echo "$(head -c 600 "$MG_TMP/out")"; }

# ---- 2025-11-25, with a session ----------------------------------------
# init PATH TOKEN: the session id
init() {
	curl -sS --max-time 10 -D "$MG_TMP/h" -o /dev/null -X POST -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -H "Authorization: Bearer $2" \
		--data-binary '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
		"http://127.0.0.1:$MG_PORT$1"
	tr -d '\r' < "$MG_TMP/h" | awk -F': ' 'tolower($1) == "mcp-session-id" {print $2}'
}
# old PATH TOKEN SID ID METHOD PARAMS
old() {
	post "$1" "$2" "{\"jsonrpc\":\"2.0\",\"id\":$4,\"method\":\"$5\",\"params\":$6}" \
		-H "Mcp-Session-Id: $3" -H 'MCP-Protocol-Version: 2025-11-25'
}
# old_list PATH TOKEN SID METHOD KEY FIELD WANT
old_list() {
	local got
	[ "$(old "$1" "$2" "$3" 2 "$4" '{}')" = 200 ] && got=$(names "$5" "$6") && [ "$got" = "$7" ] ||
		fail "$4 at $1 for $(token_name "$2"): wanted \"$7\", got \"$(names "$5" "$6")\": $(what)"
}
token_name() { [ "$1" = "$ALICE" ] && echo alice || echo bob; }

for p in /mcp/demo /mcp/self /mcp/rev; do
	A=$(init $p "$ALICE")
	B=$(init $p "$BOB")
	[ -n "$A" ] && [ -n "$B" ] || fail "initialize at $p"
	old_list $p "$ALICE" "$A" tools/list tools name "echo progress sleep"
	old_list $p "$BOB" "$B" tools/list tools name "echo"
	[ "$(old $p "$BOB" "$B" 3 tools/call '{"name":"sleep","arguments":{"ms":1}}')" = 403 ] && forbidden 3 "tools/call sleep" ||
		fail "bob's tools/call sleep at $p: $(what)"
	[ "$(old $p "$ALICE" "$A" 4 tools/call '{"name":"sleep","arguments":{"ms":1}}')" = 200 ] && grep -q '"result"' "$MG_TMP/out" ||
		fail "alice's tools/call sleep at $p: $(what)"
	[ "$(old $p "$BOB" "$B" 5 tools/call '{"name":"echo","arguments":{"message":"b"}}')" = 200 ] &&
		grep -q 'echo: b' "$MG_TMP/out" || fail "bob's tools/call echo at $p: $(what)"
done
ok "2025-11-25 on the built-in server, a proxy route and over the reverse bridge: bob sees and calls echo only (403 for sleep), alice all"

A=$(init /mcp/v1 "$ALICE")
B=$(init /mcp/v1 "$BOB")
[ -n "$A" ] && [ -n "$B" ] || fail "initialize at /mcp/v1"
old_list /mcp/v1 "$BOB" "$B" tools/list tools name "echo test_simple_text"
old /mcp/v1 "$ALICE" "$A" 2 tools/list '{}' > /dev/null
all=$(names tools name)
case " $all " in *" test_image_content "*" test_simple_text "*) ;; *) fail "alice's tools at /mcp/v1: $(what)" ;; esac
old /mcp/v1 "$ALICE" "$A" 6 prompts/list '{}' > /dev/null
case " $(names prompts name) " in *" test_prompt_with_image "*) ;; *) fail "alice's prompts: $(what)" ;; esac
old /mcp/v1 "$BOB" "$B" 6 prompts/list '{}' > /dev/null
case " $(names prompts name) " in *" test_simple_prompt "*) ;; *) fail "bob's prompts: $(what)" ;; esac
case " $(names prompts name) " in *" test_prompt_with_image "*) fail "bob sees test_prompt_with_image: $(what)" ;; esac
old /mcp/v1 "$ALICE" "$A" 7 resources/list '{}' > /dev/null
case " $(names resources uri) " in *" test://static-binary "*) ;; *) fail "alice's resources: $(what)" ;; esac
old /mcp/v1 "$BOB" "$B" 7 resources/list '{}' > /dev/null
case " $(names resources uri) " in *" test://static-text "*) ;; *) fail "bob's resources: $(what)" ;; esac
case " $(names resources uri) " in *" test://static-binary "*) fail "bob sees test://static-binary: $(what)" ;; esac
old_list /mcp/v1 "$ALICE" "$A" resources/templates/list resourceTemplates uriTemplate "test://template/{id}/data"
old_list /mcp/v1 "$BOB" "$B" resources/templates/list resourceTemplates uriTemplate ""
calls=$(curl -sS --max-time 5 "$UP_STATS")
[ "$(old /mcp/v1 "$BOB" "$B" 8 tools/call '{"name":"test_image_content","arguments":{}}')" = 403 ] &&
	forbidden 8 "tools/call test_image_content" || fail "bob's tools/call test_image_content: $(what)"
[ "$(old /mcp/v1 "$BOB" "$B" 9 resources/read '{"uri":"test://static-binary"}')" = 403 ] &&
	forbidden 9 "resources/read test://static-binary" || fail "bob's resources/read: $(what)"
[ "$(curl -sS --max-time 5 "$UP_STATS")" = "$calls" ] || fail "the upstream saw bob's refused calls: $(curl -sS --max-time 5 "$UP_STATS")"
[ "$(old /mcp/v1 "$ALICE" "$A" 10 tools/call '{"name":"test_image_content","arguments":{}}')" = 200 ] &&
	grep -q '"type":"image"' "$MG_TMP/out" || fail "alice's tools/call test_image_content: $(what)"
[ "$(old /mcp/v1 "$BOB" "$B" 11 tools/call '{"name":"test_simple_text","arguments":{}}')" = 200 ] &&
	grep -q '"result"' "$MG_TMP/out" || fail "bob's tools/call test_simple_text: $(what)"
ok "2025-11-25 to the SDK upstream: tools, prompts, resources and templates listed per identity; bob's refused calls 403, never upstream"

# ---- 2026-07-28, stateless ---------------------------------------------
META="\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"$V\",\"io.modelcontextprotocol/clientCapabilities\":{}}"
# new PATH TOKEN ID METHOD NAME PARAMS
new() {
	post "$1" "$2" "{\"jsonrpc\":\"2.0\",\"id\":$3,\"method\":\"$4\",\"params\":{${6:+$6,}$META}}" \
		-H "MCP-Protocol-Version: $V" -H "Mcp-Method: $4" ${5:+-H "Mcp-Name: $5"}
}
new_list() { # PATH TOKEN WANT
	local got
	[ "$(new "$1" "$2" 12 tools/list "" "")" = 200 ] && got=$(names tools name) && [ "$got" = "$3" ] ||
		fail "2026-07-28 tools/list at $1 for $(token_name "$2"): wanted \"$3\": $(what)"
}
for p in /mcp/demo /mcp/self; do
	new_list $p "$ALICE" "echo progress sleep"
	new_list $p "$BOB" "echo"
	grep -q '"cacheScope":"private"' "$MG_TMP/out" || fail "a cut list at $p is not private: $(what)"
	[ "$(new $p "$BOB" 13 tools/call sleep '"name":"sleep","arguments":{"ms":1}')" = 403 ] &&
		forbidden 13 "tools/call sleep" || fail "bob's 2026-07-28 tools/call sleep at $p: $(what)"
	[ "$(new $p "$ALICE" 14 tools/call sleep '"name":"sleep","arguments":{"ms":1}')" = 200 ] &&
		grep -q '"result"' "$MG_TMP/out" || fail "alice's 2026-07-28 tools/call sleep at $p: $(what)"
done
new_list /mcp/v1 "$BOB" "echo test_simple_text"
new_list /mcp/v1 "$ALICE" "$all"
[ "$(new /mcp/v1 "$BOB" 15 tools/call test_image_content '"name":"test_image_content","arguments":{}')" = 403 ] &&
	forbidden 15 "tools/call test_image_content" || fail "bob's 2026-07-28 tools/call over the bridge: $(what)"
[ "$(new /mcp/v1 "$ALICE" 16 tools/call test_image_content '"name":"test_image_content","arguments":{}')" = 200 ] &&
	grep -q '"type":"image"' "$MG_TMP/out" || fail "alice's 2026-07-28 tools/call over the bridge: $(what)"
[ "$(new /mcp/v1 "$BOB" 17 prompts/list "" "")" = 200 ] && ! grep -q test_prompt_with_image "$MG_TMP/out" &&
	grep -q test_simple_prompt "$MG_TMP/out" || fail "bob's 2026-07-28 prompts/list over the bridge: $(what)"
ok "2026-07-28 on the built-in server, a proxy route and over the bridge to a 2025-11-25 upstream: listed and called per identity"

# ---- a plain mcp_deny hides what it refuses ----------------------------
[ "$(new /mcp/plain "" 18 tools/list "" "")" = 200 ] && [ "$(names tools name)" = "echo progress" ] ||
	fail "tools/list under mcp_deny tools/call sleep: $(what)"
ok "mcp_deny without conditions: the refused tool is not listed either"

# ---- the logs ----------------------------------------------------------
grep -q "/mcp/demo: tools/call sleep refused by mcp_allow in $MG_TMP/policy.rules:1 (no rule allows it) to jwt \"bob\"" "$MG_TMP/error.log" ||
	fail "the error log does not name the allow list and bob: $(grep refused "$MG_TMP/error.log" | head -n 3)"
grep -q "/mcp/v1: resources/read test://static-binary refused by mcp_deny in $MG_TMP/policy.rules:5 to jwt \"bob\"" "$MG_TMP/error.log" ||
	fail "the error log does not name the rule and bob: $(grep refused "$MG_TMP/error.log" | head -n 3)"
awk '$4 == "/mcp/v1" && $8 == "test_image_content" && $9 == 403 && $10 == -32003 && $14 == "\"jwt:bob\""' "$MG_TMP/access.log" | grep -q . ||
	fail "the access log does not show bob's refusal: $(grep test_image "$MG_TMP/access.log")"
px_no_child_died || fail "a process died: $(grep -E 'exited' "$MG_TMP/error.log")"
ok "the error log names the rule's file and line and the client; the access log the refusal and who"
mg_done
