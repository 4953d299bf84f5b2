// Opens N MCP sessions and abandons them: each one initializes, sends
// notifications/initialized and one tools/call echo, and is never used or
// deleted again.  At most PARALLEL sessions are being opened at once.
// Every answer is checked; the session ids are written, one per line, to
// OUT (if given) so the caller can check they expire.
//
// usage: node abandon.mjs URL N [PARALLEL=50] [OUT]
// Prints "ok N - what"; "FAIL: why" and exit 1 on any error.

import { writeFileSync } from 'node:fs';

const [url, nArg, pArg, out] = process.argv.slice(2);
if (!url || !nArg) {
	console.log('usage: node abandon.mjs URL N [PARALLEL] [OUT]');
	process.exit(2);
}
const N = +nArg, PARALLEL = +(pArg || 50), V = '2025-11-25';
function fail(why) {
	console.log(`FAIL: ${why}`);
	process.exit(1);
}
setTimeout(() => fail('timeout: not done after 300 s'), 300000).unref();

const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
async function post(body, sid) {
	const h = sid ? { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': V } : headers;
	const res = await fetch(url, { method: 'POST', headers: h, body: JSON.stringify(body) });
	return { res, text: await res.text() };
}

const sids = [];
async function one(i) {
	const init = await post({ jsonrpc: '2.0', id: 1, method: 'initialize',
		params: { protocolVersion: V, capabilities: {}, clientInfo: { name: `abandon-${i}`, version: '1' } } });
	const sid = init.res.headers.get('mcp-session-id');
	if (init.res.status !== 200 || !sid)
		fail(`session ${i}: initialize: HTTP ${init.res.status} ${init.text.slice(0, 200)}`);
	const n = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sid);
	if (n.res.status !== 202)
		fail(`session ${i}: notifications/initialized: HTTP ${n.res.status} ${n.text.slice(0, 200)}`);
	const c = await post({ jsonrpc: '2.0', id: 2, method: 'tools/call',
		params: { name: 'echo', arguments: { message: `m${i}` } } }, sid);
	if (c.res.status !== 200 || !c.text.includes(`"echo: m${i}"`))
		fail(`session ${i}: echo: HTTP ${c.res.status} ${c.text.slice(0, 200)}`);
	sids.push(sid);
}

let next = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: PARALLEL }, async () => {
	while (next < N) await one(next++);
}));
if (out) writeFileSync(out, sids.join('\n') + '\n');
console.log(`ok 1 - ${N} sessions opened (initialize, initialized, echo) and abandoned in ` +
	`${((performance.now() - t0) / 1000).toFixed(1)} s`);
