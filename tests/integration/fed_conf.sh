#!/usr/bin/env bash
# A federated location (mcp_member) as an operator meets it before the
# serving part lands: -t accepts one (an HTTP member, a stdio member with
# its block, the separators) and refuses a bad one with its file:line; a
# reload from a plain configuration to a federated one starts the next
# generation, which serves.  What the names become
# is check_fedname.c's; the configuration's every refusal check_fed_conf.c's.
. "$(dirname "$0")/lib.sh"
mg_setup

MG_PORT=$(free_port)
conf=$MG_TMP/mcpgw.conf

# The members' lines on lines 9.. of $conf (the location on 8).
fed_conf() { # LOCATION-LINES...
	{
		printf 'worker_processes 1;\npid %s/mcpgw.pid;\nerror_log %s/error.log debug;\n' "$MG_TMP" "$MG_TMP"
		printf 'upstream demo { server http://127.0.0.1:%s/mcp/demo; }\n' "$MG_PORT"
		printf 'upstream everything { command /bin/cat; }\n'
		printf 'server {\n    listen 127.0.0.1:%s;\n' "$MG_PORT"
		printf '    location /all {\n'
		printf '        %s\n' "$@"
		printf '    }\n    location /mcp/demo { mcp_builtin demo; }\n}\n'
	} > "$conf"
}

t_ok() {
	local out
	out=$("$MCPGW" -t -c "$conf" 2>&1) || fail "-t refused a good file: $out"
	echo "$out" | grep -qxF "mcpgw: configuration file $conf test is successful" || fail "-t: $out"
}
t_refused() { # WANT LINE
	local out
	if out=$("$MCPGW" -t -c "$conf" 2>&1); then fail "-t passed; wanted: $1"; fi
	echo "$out" | grep -qxF "mcpgw: [emerg] $1 in $conf:$2" || fail "-t said: $out; wanted: $1 in $conf:$2"
}

fed_conf "mcp_member demo;" "mcp_member everything {" "prefix ev;" "tools_allow echo get-*;" \
	"tools_deny get-env;" "tool_rename echo say;" "}" "mcp_name_separator __;" \
	"mcp_uri_separator +;" "mcp_member_timeout 10s;"
t_ok
cp "$conf" "$MG_TMP/fed.conf"
ok "-t accepts a federated location (two members, a block, the separators)"

fed_conf "mcp_member demo;" "mcp_member nope;"
t_refused 'location "/all" has member "nope", which is no upstream' 10
fed_conf "mcp_member demo { prefix x; }" "mcp_member everything { prefix x; }"
t_refused 'members "demo" and "everything" have the same prefix "x"' 10
fed_conf "mcp_member demo;" "mcp_pass demo;"
t_refused 'location "/all" has "mcp_member" and "mcp_pass": one or the other' 9
ok "-t refuses an unknown member, a shared prefix, mcp_pass beside mcp_member, each with file:line"

fed_conf "mcp_pass demo;"
mg_start
[ "$(http_status "http://127.0.0.1:$MG_PORT/x")" = 404 ] || fail "not serving"
cp "$MG_TMP/fed.conf" "$conf"
kill -HUP "$MG_MASTER"
mg_wait 10 "grep -q 'generation 2 ready' '$MG_TMP/error.log'" || fail "the reload to a federated location did not start generation 2"
[ "$(http_status "http://127.0.0.1:$MG_PORT/x")" = 404 ] || fail "not serving after the reload"
ok "a reload to a federated location starts the next generation, which serves"

mg_done
