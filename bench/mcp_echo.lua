-- wrk script for bench/run.sh: JSON-RPC "tools/call echo" over keep-alive
-- connections on an MCP session opened beforehand, every answer checked.
--
--   wrk -s bench/mcp_echo.lua URL -- SESSION_ID [PROTOCOL_VERSION [TOKEN]]
--
-- With TOKEN, every request carries "Authorization: Bearer TOKEN" (a route
-- behind auth_jwt).
--
-- Each wrk thread has its own Lua state.  Thread T sends request number N
-- with the id "tT-N" and the message "mT-N", and notes N as pending.  An
-- answer is good when its status is 200, its id is "tT-N" for this thread T
-- and a pending N, and its text is exactly "echo: mT-N" for the same N;
-- the N is then no longer pending, so an answer given twice, crossed with
-- another request's (id of one, text of another), lost, or from another
-- thread's requests counts as bad.  wrk's response() does not say which
-- connection it belongs to; with no pipelining a connection has one request
-- in flight, so after the run at most one request per connection may still
-- be pending (cut off by the end of the run), plus one: wrk calls request()
-- of the first thread once before the run, to look at the request it makes
-- (script_verify_request), and never sends that one.  bench/run.sh counts
-- more pending requests than connections + 1 as lost answers.
--
-- done() prints one line that bench/run.sh reads:
--   BENCH requests=... rps=... p50_us=... p99_us=... sent=... good=...
--         bad=... pending=... connect=... read=... write=... status=... timeout=...
-- and, when an answer was bad, the first one: "BENCH_BAD status body".

local threads = {}
local counter = 0

function setup(thread)
	counter = counter + 1
	thread:set("tid", counter)
	table.insert(threads, thread)
end

function init(args)
	local session = args[1]
	local version = args[2] or "2025-11-25"
	if session == nil or session == "" then
		error("usage: wrk -s mcp_echo.lua URL -- SESSION_ID [VERSION]")
	end
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json"
	wrk.headers["Accept"] = "application/json, text/event-stream"
	wrk.headers["MCP-Protocol-Version"] = version
	wrk.headers["Mcp-Session-Id"] = session
	if args[3] ~= nil and args[3] ~= "" then
		wrk.headers["Authorization"] = "Bearer " .. args[3]
	end
	n = 0
	sent = 0
	good = 0
	bad = 0
	pending = {}
	first_bad = ""
	prefix = "t" .. tid .. "-"
end

function request()
	n = n + 1
	sent = sent + 1
	pending[n] = true
	local body = '{"jsonrpc":"2.0","id":"' .. prefix .. n ..
		'","method":"tools/call","params":{"name":"echo","arguments":{"message":"m' ..
		prefix .. n .. '"}}}'
	return wrk.format(nil, nil, nil, body)
end

local function note_bad(status, body)
	bad = bad + 1
	if first_bad == "" then
		first_bad = status .. " " .. string.sub(body or "", 1, 300)
	end
end

function response(status, headers, body)
	if status ~= 200 or body == nil then
		return note_bad(status, body)
	end
	local t1, n1 = string.match(body, '"id":"t(%d+)%-(%d+)"')
	local t2, n2 = string.match(body, '"text":"echo: mt(%d+)%-(%d+)"')
	if t1 == nil or t2 == nil or t1 ~= t2 or n1 ~= n2 or tonumber(t1) ~= tid then
		return note_bad(status, body)
	end
	local k = tonumber(n1)
	if not pending[k] then
		return note_bad(status, body)
	end
	pending[k] = nil
	good = good + 1
end

function done(summary, latency, requests)
	local s, g, b, p, fb = 0, 0, 0, 0, ""
	for _, thread in ipairs(threads) do
		s = s + thread:get("sent")
		g = g + thread:get("good")
		b = b + thread:get("bad")
		local pend = thread:get("pending")
		for _ in pairs(pend) do
			p = p + 1
		end
		if fb == "" then
			fb = thread:get("first_bad")
		end
	end
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d " ..
		"sent=%d good=%d bad=%d pending=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
		summary.requests, summary.duration,
		summary.requests / (summary.duration / 1e6),
		latency:percentile(50), latency:percentile(99),
		s, g, b, p, e.connect, e.read, e.write, e.status, e.timeout))
	if fb ~= "" then
		io.write("BENCH_BAD " .. string.gsub(fb, "[\r\n]", " ") .. "\n")
	end
end
