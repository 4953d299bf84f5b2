// Load for a rate limit: LOOPS clients at once, for SECONDS, each sending
// tools/call echo requests one after the other at most every PACE ms, half
// of them in a 2025-11-25 session, half as stateless 2026-07-28 requests
// (routing headers, no session).  Counts what a client sees: admitted (HTTP
// 200 with the echo of its own message), refused (HTTP 429 with a
// Retry-After header and the JSON-RPC error -32004 carrying the request's
// id), unavailable (HTTP 503, the limit store unreachable with
// fail=closed) and anything else (an error: printed, and the run fails).
//
// usage: node limit_load.mjs URL [LOOPS=8] [SECONDS=10] [PACE=20]
// Prints one JSON line: {"admitted":N,"refused":N,"unavailable":N,
// "other":N,"seconds":S,"first":MS,"last":MS}, where first and last are
// the times (ms from the start) of the first and last admitted answers;
// exit 1 when any answer was other.

const [url, lArg, sArg, pArg] = process.argv.slice(2);
if (!url) {
	console.log('usage: node limit_load.mjs URL [LOOPS] [SECONDS] [PACE]');
	process.exit(2);
}
const LOOPS = Number(lArg || 8);
const SECONDS = Number(sArg || 10);
const PACE = Number(pArg || 20);
const OLD = '2025-11-25';
const NEW = '2026-07-28';
const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const stats = { admitted: 0, refused: 0, unavailable: 0, other: 0 };
let first = -1, last = -1, seq = 0;
const t0 = performance.now();

function other(why) {
	stats.other++;
	if (stats.other <= 5) console.error(`other: ${why}`);
}

async function session() {
	const res = await fetch(url, {
		method: 'POST', headers: base,
		body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: {
			protocolVersion: OLD, capabilities: {}, clientInfo: { name: 'limit_load', version: '1' } } }),
	});
	await res.text();
	const sid = res.headers.get('mcp-session-id');
	if (res.status !== 200 || !sid) throw new Error(`initialize: HTTP ${res.status}`);
	return sid;
}

async function call(sid) {
	const id = ++seq, message = `m${id}`;
	const params = { name: 'echo', arguments: { message } };
	const headers = { ...base };
	if (sid) {
		headers['mcp-session-id'] = sid;
		headers['mcp-protocol-version'] = OLD;
	} else {
		headers['mcp-protocol-version'] = NEW;
		headers['mcp-method'] = 'tools/call';
		headers['mcp-name'] = 'echo';
		params._meta = { 'io.modelcontextprotocol/protocolVersion': NEW,
			'io.modelcontextprotocol/clientCapabilities': {} };
	}
	const res = await fetch(url, { method: 'POST', headers,
		body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }) });
	const text = await res.text();
	let m = null;
	try { m = JSON.parse(text.startsWith('{') ? text : text.replace(/^[\s\S]*?data: /m, '')); } catch { /* other */ }
	const now = performance.now() - t0;
	if (res.status === 200 && m && m.id === id && JSON.stringify(m.result || {}).includes(`echo: ${message}`)) {
		stats.admitted++;
		if (first < 0) first = now;
		last = now;
	} else if (res.status === 429 && m && m.id === id && m.error && m.error.code === -32004 &&
		Number(res.headers.get('retry-after')) >= 1)
		stats.refused++;
	else if (res.status === 503 && m && m.error && m.error.code === -32004)
		stats.unavailable++;
	else
		other(`${sid ? OLD : NEW} call ${id}: HTTP ${res.status} ${text.slice(0, 200)}`);
}

async function loop(i) {
	const sid = i % 2 === 0 ? await session() : null;
	const end = t0 + SECONDS * 1000;
	while (performance.now() < end) {
		const start = performance.now();
		try { await call(sid); } catch (e) { other(e.message); }
		const wait = PACE - (performance.now() - start);
		if (wait > 0) await new Promise((r) => setTimeout(r, wait));
	}
}

try {
	await Promise.all(Array.from({ length: LOOPS }, (_, i) => loop(i)));
} catch (e) {
	other(e.message);
}
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ ...stats, seconds: +seconds.toFixed(3), first: Math.round(first), last: Math.round(last) }));
process.exit(stats.other ? 1 : 0);
