// MCP load at a known, steady rate: each stream of the spec sends
// tools/call requests on a fixed schedule (call i at start + i / rate,
// whether or not earlier calls were answered: an open loop, so that the
// rate sent is the rate asked for), round robin over its own sessions,
// and counts what it sent and how each call was answered.  A test then
// compares these counts with the gateway's metrics.
//
// usage: node rate_load.mjs SPEC.json OUT.json
//   SPEC: {"seconds": S, "stop": FILE (optional: end early once it exists),
//          "streams": [{"name", "url", "rate" (calls/s), "sessions",
//                       "tool", "args" (object), "expect"}]}
//   expect: "result" (a result, isError absent or false), "tool_error"
//   (a result with isError true) or "rpc_error" (a JSON-RPC error).
//   OUT: {"t0", "t1" (first and last call sent, ms since the epoch),
//         "streams": {NAME: {"sent", "answered", "expected", "other":
//         [examples]}}}; "answered" counts HTTP 200 answers with this
//         call's id, "expected" those of the expected kind.
// Sessions are opened (initialize, notifications/initialized) before the
// clock starts.  Exit 0 once every call has ended (each has 10 s), 1 if a
// session could not be opened.  Plain fetch (Node >= 18), no packages.

import fs from 'node:fs';

const VERSION = '2025-11-25';
const HDRS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const RUN = Math.random().toString(36).slice(2, 10);

const [specFile, outFile] = process.argv.slice(2);
if (!specFile || !outFile) {
	console.log('usage: node rate_load.mjs SPEC.json OUT.json');
	process.exit(2);
}
const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'));

async function post(url, body, headers, ms = 10000) {
	const res = await fetch(url, {
		method: 'POST',
		headers: { ...HDRS, ...headers },
		body: JSON.stringify(body),
		signal: AbortSignal.timeout(ms),
	});
	return { res, text: await res.text() };
}

// The JSON-RPC message answering ID: a JSON body, or the SSE event with it.
function answerOf(ct, text, id) {
	if (ct.startsWith('application/json')) return JSON.parse(text);
	for (const block of text.split(/\r?\n\r?\n/)) {
		const data = block.split(/\r?\n/).filter((l) => l.startsWith('data:'))
			.map((l) => l.slice(5).replace(/^ /, '')).join('\n');
		if (!data) continue;
		const m = JSON.parse(data);
		if (m.id === id) return m;
	}
	throw new Error('no response in the stream');
}

async function openSession(url, name) {
	const id = `init-${RUN}-${name}`;
	const { res, text } = await post(url, { jsonrpc: '2.0', id, method: 'initialize',
		params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'rate_load', version: '1' } } }, {}, 30000);
	const sid = res.headers.get('mcp-session-id');
	if (res.status !== 200 || !sid) throw new Error(`${name}: initialize: HTTP ${res.status} ${text.slice(0, 300)}`);
	const h = { 'mcp-session-id': sid, 'mcp-protocol-version': VERSION };
	const n = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, h);
	if (n.res.status !== 202) throw new Error(`${name}: notifications/initialized: HTTP ${n.res.status}`);
	return h;
}

function kindOf(m) {
	if (m.error) return 'rpc_error';
	if (m.result && m.result.isError === true) return 'tool_error';
	if (m.result) return 'result';
	return 'none';
}

async function call(st, c, h) {
	const id = `${RUN}-${st.name}-${c}`;
	const r = st.result;
	r.sent++;
	let why;
	try {
		const { res, text } = await post(st.url,
			{ jsonrpc: '2.0', id, method: 'tools/call', params: { name: st.tool, arguments: st.args || {} } }, h);
		if (res.status === 200) {
			const m = answerOf(res.headers.get('content-type') || '', text, id);
			if (m.id === id) {
				r.answered++;
				const k = kindOf(m);
				if (k === st.expect) r.expected++;
				else why = `${k}: ${text.slice(0, 200)}`;
			} else why = `another id: ${text.slice(0, 200)}`;
		} else why = `HTTP ${res.status}: ${text.slice(0, 200)}`;
	} catch (e) {
		why = `${e.message}${e.cause ? ': ' + (e.cause.code || e.cause.message) : ''}`;
	}
	if (why && r.other.length < 5) r.other.push(`${Date.now()} ${why}`);
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, Math.max(0, ms)));

async function pace(st, start, until, pending) {
	const period = 1000 / st.rate;
	for (let c = 0; ; c++) {
		const due = start + c * period;
		if (due >= until) break;
		await sleep(due - Date.now());
		if (spec.stop && fs.existsSync(spec.stop)) break;
		const t = Date.now();
		out.t0 = Math.min(out.t0, t);
		out.t1 = Math.max(out.t1, t);
		pending.push(call(st, c, st.headers[c % st.headers.length]));
	}
}

const out = { t0: Infinity, t1: 0, streams: {} };
const streams = spec.streams.map((s) => ({ ...s, headers: [],
	result: (out.streams[s.name] = { sent: 0, answered: 0, expected: 0, other: [] }) }));
try {
	await Promise.all(streams.map(async (st) => {
		for (let i = 0; i < (st.sessions || 1); i++) st.headers.push(await openSession(st.url, `${st.name}-${i}`));
	}));
} catch (e) {
	console.log(`FAIL: ${e.message}`);
	process.exit(1);
}
const start = Date.now() + 100;
const pending = [];
await Promise.all(streams.map((st) => pace(st, start, start + spec.seconds * 1000, pending)));
await Promise.all(pending);
fs.writeFileSync(outFile, JSON.stringify(out));
for (const [name, r] of Object.entries(out.streams))
	console.log(`# ${name}: ${r.sent} sent, ${r.answered} answered, ${r.expected} as expected${r.other.length ? '; ' + r.other[0] : ''}`);
