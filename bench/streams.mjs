// Holds N open GET streams (the session's server-to-client SSE stream) on
// an mcpgw MCP endpoint, over raw TCP sockets, SESSIONS sessions sharing
// them.  Each stream counts as open once its answer is "200" with
// text/event-stream and its priming event arrived.  Prints one line
// "STREAMS open=N failed=F" when all are open (or failed), then keeps them
// for HOLD seconds (the caller measures meanwhile) and closes them.
//
// usage: node streams.mjs HOST PORT PATH N [SESSIONS=100] [HOLD=5]

import net from 'node:net';

const [host, portArg, path, nArg, sArg, hArg] = process.argv.slice(2);
const N = +nArg, SESSIONS = +(sArg || 100), HOLD = +(hArg || 5), port = +portArg;
const V = '2025-11-25';

async function initialize() {
	const res = await fetch(`http://${host}:${port}${path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
		body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize',
			params: { protocolVersion: V, capabilities: {}, clientInfo: { name: 'streams', version: '1' } } }),
	});
	await res.text();
	const sid = res.headers.get('mcp-session-id');
	if (res.status !== 200 || !sid) throw new Error(`initialize: HTTP ${res.status}`);
	return sid;
}

function open(sid) {
	return new Promise((resolve) => {
		const s = net.connect(port, host);
		let got = '';
		s.setNoDelay(true);
		s.on('connect', () => s.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n` +
			`Accept: text/event-stream\r\nMcp-Session-Id: ${sid}\r\nMCP-Protocol-Version: ${V}\r\n\r\n`));
		const done = (ok) => { s.removeAllListeners('data'); resolve({ ok, s }); };
		s.on('data', (d) => {
			got += d.toString('latin1');
			if (/^HTTP\/1\.1 200/.test(got) && /text\/event-stream/i.test(got) && /\nid: [^\n]+\n/.test(got))
				done(true);
			else if (/^HTTP\/1\.1 [^2]/.test(got))
				done(false);
		});
		s.on('error', () => done(false));
	});
}

const sids = [];
for (let i = 0; i < SESSIONS; i++) sids.push(await initialize());
const sockets = [];
let failed = 0, next = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: 200 }, async () => {
	while (next < N) {
		const i = next++;
		const r = await open(sids[i % SESSIONS]);
		if (r.ok) sockets.push(r.s);
		else { failed++; r.s.destroy(); }
	}
}));
console.log(`STREAMS open=${sockets.length} failed=${failed} seconds=${((performance.now() - t0) / 1000).toFixed(1)}`);
setTimeout(() => {
	for (const s of sockets) s.destroy();
	process.exit(failed ? 1 : 0);
}, HOLD * 1000);
