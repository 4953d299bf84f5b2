// Load on mcpgw's MCP endpoint: N sessions at once, each making M
// tools/call echo requests over keep-alive connections, every request with
// an id unique in the whole run (strings and integers mixed) and a message
// unique to (session, call).  Proves that under concurrency every answer
// is HTTP 200, carries exactly the id that was sent (same type, same
// value), and echoes the message of its own request: an answer crossed
// between requests or sessions, or lost, fails the run.
//
// usage: node load.mjs URL [SESSIONS=200] [CALLS=50] [PARALLEL=2]
//   PARALLEL: requests in flight at once within one session.
// Prints "ok N - what" lines, counts, elapsed time and latencies;
// "FAIL: why" and exit 1 on any error.

const [url, nArg, mArg, pArg] = process.argv.slice(2);
if (!url) {
	console.log('usage: node load.mjs URL [SESSIONS] [CALLS] [PARALLEL]');
	process.exit(2);
}
const SESSIONS = Number(nArg || 200);
const CALLS = Number(mArg || 50);
const PARALLEL = Number(pArg || 2);
const VERSION = '2025-11-25';
const RUN = Math.random().toString(36).slice(2, 10);

let checks = 0;
function ok(what) {
	checks++;
	console.log(`ok ${checks} - ${what}`);
}
function fail(why) {
	console.log(`FAIL: ${why}`);
	process.exit(1);
}
const deadline = Math.max(60000, SESSIONS * CALLS * 20);
setTimeout(() => fail(`timeout: not done after ${deadline / 1000} s (${stats.done} calls answered)`), deadline).unref();

const stats = { done: 0, errors: [], latencies: [] };
function error(why) {
	stats.errors.push(why);
	if (stats.errors.length <= 10) console.log(`error: ${why}`);
}

const baseHeaders = {
	'content-type': 'application/json',
	accept: 'application/json, text/event-stream',
};

async function post(body, headers = {}) {
	const t0 = performance.now();
	const res = await fetch(url, {
		method: 'POST',
		headers: { ...baseHeaders, ...headers },
		body: JSON.stringify(body),
	});
	const text = await res.text();
	return { res, text, ms: performance.now() - t0 };
}

async function initialize(s) {
	const { res, text } = await post({
		jsonrpc: '2.0',
		id: `init-${RUN}-${s}`,
		method: 'initialize',
		params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: `load-${s}`, version: '1' } },
	});
	const sid = res.headers.get('mcp-session-id');
	let m = null;
	try {
		m = JSON.parse(text);
	} catch {
		m = null;
	}
	if (res.status !== 200 || !sid || !m || m.id !== `init-${RUN}-${s}` || !m.result ||
	    m.result.protocolVersion !== VERSION)
		throw new Error(`session ${s}: initialize: HTTP ${res.status} ${text.slice(0, 300)}`);
	const n = await post({ jsonrpc: '2.0', method: 'notifications/initialized' },
		{ 'mcp-session-id': sid, 'mcp-protocol-version': VERSION });
	if (n.res.status !== 202)
		throw new Error(`session ${s}: notifications/initialized: HTTP ${n.res.status} ${n.text.slice(0, 300)}`);
	return sid;
}

// Call c of session s: even calls carry an integer id, odd ones a string.
async function call(s, c, sid) {
	const id = c % 2 === 0 ? 1 + s * 1000000 + c : `s${s}-c${c}-${RUN}`;
	const message = `token ${RUN} session ${s} call ${c} ${Math.random().toString(36).slice(2)}`;
	const { res, text, ms } = await post(
		{ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message } } },
		{ 'mcp-session-id': sid, 'mcp-protocol-version': VERSION });
	stats.latencies.push(ms);
	const where = `session ${s} call ${c} (id ${JSON.stringify(id)})`;
	if (res.status !== 200)
		return error(`${where}: HTTP ${res.status} ${text.slice(0, 300)}`);
	const ct = res.headers.get('content-type') || '';
	if (!ct.startsWith('application/json'))
		return error(`${where}: content-type ${ct}: ${text.slice(0, 300)}`);
	let m;
	try {
		m = JSON.parse(text);
	} catch {
		return error(`${where}: not JSON: ${text.slice(0, 300)}`);
	}
	if (m.jsonrpc !== '2.0' || m.id !== id)
		return error(`${where}: answered with id ${JSON.stringify(m.id)}: ${text.slice(0, 300)}`);
	const got = m.result && Array.isArray(m.result.content) && m.result.content[0] && m.result.content[0].text;
	if (got !== `echo: ${message}`)
		return error(`${where}: crossed or wrong answer: sent "${message}", got ${text.slice(0, 300)}`);
	stats.done++;
}

async function session(s) {
	let sid;
	try {
		sid = await initialize(s);
	} catch (e) {
		return error(String(e.message || e));
	}
	let next = 0;
	const lane = async () => {
		while (next < CALLS) {
			const c = next++;
			try {
				await call(s, c, sid);
			} catch (e) {
				error(`session ${s} call ${c}: ${e.cause ? e.cause.code || e.cause.message : ''} ${e.message}`);
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(PARALLEL, CALLS) }, lane));
	try {
		const res = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': sid, 'mcp-protocol-version': VERSION } });
		await res.text();
		if (res.status < 200 || res.status > 299) error(`session ${s}: DELETE: HTTP ${res.status}`);
	} catch (e) {
		error(`session ${s}: DELETE: ${e.message}`);
	}
}

console.log(`# ${SESSIONS} sessions x ${CALLS} echo calls, ${PARALLEL} in flight per session, against ${url}`);
const t0 = performance.now();
await Promise.all(Array.from({ length: SESSIONS }, (_, s) => session(s)));
const elapsed = (performance.now() - t0) / 1000;
const total = SESSIONS * CALLS;
const lat = stats.latencies.sort((a, b) => a - b);
const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((lat.length * p) / 100))].toFixed(1) : '-');
console.log(`# ${stats.done}/${total} calls answered correctly, ${stats.errors.length} errors, ` +
	`${elapsed.toFixed(2)} s, ${(stats.done / elapsed).toFixed(0)} calls/s, ` +
	`latency p50 ${pct(50)} ms p99 ${pct(99)} ms max ${pct(100)} ms`);
if (stats.errors.length)
	fail(`${stats.errors.length} of ${total} calls failed (first: ${stats.errors[0]})`);
if (stats.done !== total)
	fail(`${stats.done} of ${total} calls answered`);
ok(`${SESSIONS} sessions initialized and deleted`);
ok(`${total} calls answered with HTTP 200, their own id (integer or string) and their own message, in ${elapsed.toFixed(2)} s`);
console.log(`${checks} passed, 0 failed`);
process.exit(0);
