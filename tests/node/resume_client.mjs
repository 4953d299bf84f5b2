// The official MCP TypeScript SDK client resuming streams through mcpgw:
// a small TCP relay between the SDK and the gateway cuts each POST stream
// of a "progress" call after some progress notifications, as a broken
// network would.  The SDK then reconnects on its own with GET and
// Last-Event-ID; the test checks that the call still returns its result
// and that the client saw every progress notification exactly once, in
// order, and that the reconnections really went over the wire.
//
// usage: node resume_client.mjs URL CALLS STEPS CUT_AFTER
// Prints "ok N - what" per check, "FAIL: why" and exits 1 on a failure.

import net from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

let checks = 0;
function ok(what) {
	checks++;
	console.log(`ok ${checks} - ${what}`);
}
function fail(why) {
	console.log(`FAIL: ${why}`);
	process.exit(1);
}
function check(cond, why) {
	if (!cond) fail(why);
}
setTimeout(() => fail('timeout: the whole test took more than 90 s'), 90000).unref();
process.on('unhandledRejection', (e) => fail(`unhandled rejection: ${e && e.stack ? e.stack : e}`));

const [url, callsArg, stepsArg, cutArg] = process.argv.slice(2);
if (!url || !cutArg) {
	console.log('usage: node resume_client.mjs URL CALLS STEPS CUT_AFTER');
	process.exit(2);
}
const CALLS = +callsArg, STEPS = +stepsArg, CUT_AFTER = +cutArg;
const target = new URL(url);

// The relay: each connection is piped both ways; one that carries a POST
// of a progress call is cut once CUT_AFTER progress notifications went
// back to the client.
let cuts = 0;
const resumes = []; // Last-Event-ID of every GET that went through
const relay = net.createServer((client) => {
	const up = net.connect(+target.port, target.hostname);
	let armed = false, seen = 0;
	client.on('data', (d) => {
		const text = d.toString('latin1');
		if (/^POST /m.test(text))
			armed = text.includes('"name":"progress"');
		const m = /^GET [^\r\n]*\r\n(?:[^\r\n]+\r\n)*?last-event-id: *([^\r\n]*)\r\n/im.exec(text);
		if (m) {
			armed = false;
			resumes.push(m[1]);
		}
		up.write(d);
	});
	up.on('data', (d) => {
		client.write(d);
		if (!armed)
			return;
		seen += (d.toString('latin1').match(/notifications\/progress/g) || []).length;
		if (seen >= CUT_AFTER) {
			armed = false;
			cuts++;
			client.destroy();
			up.destroy();
		}
	});
	client.on('error', () => up.destroy());
	up.on('error', () => client.destroy());
	client.on('close', () => up.destroy());
	up.on('close', () => client.destroy());
});
await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve));
const relayUrl = new URL(target);
relayUrl.host = `127.0.0.1:${relay.address().port}`;

const transport = new StreamableHTTPClientTransport(relayUrl, {
	reconnectionOptions: { initialReconnectionDelay: 50, maxReconnectionDelay: 500,
		reconnectionDelayGrowFactor: 1.5, maxRetries: 5 },
});
const client = new Client({ name: 'mcpgw-resume-test', version: '1.0.0' });
client.onerror = () => {}; // the cuts are reported as "SSE stream disconnected"
await client.connect(transport);

for (let i = 0; i < CALLS; i++) {
	const seen = [];
	const r = await client.callTool({ name: 'progress', arguments: { steps: STEPS } }, undefined, {
		onprogress: (p) => seen.push(p.progress),
		timeout: 30000,
	});
	check(r.content && r.content[0].text === `progress: ${STEPS} steps`,
		`call ${i}: result ${JSON.stringify(r)}`);
	check(seen.length === STEPS && seen.every((p, k) => p === k + 1),
		`call ${i}: progress seen ${JSON.stringify(seen)}, expected 1..${STEPS} once each`);
}
check(cuts === CALLS, `${cuts} streams were cut, expected ${CALLS}`);
check(resumes.length >= CALLS && resumes.every((id) => /^[0-9a-f]{16}-[0-9]+$/.test(id)),
	`GETs with Last-Event-ID: ${JSON.stringify(resumes)}`);
ok(`SDK client: ${CALLS} progress calls, each stream cut after ${CUT_AFTER} of ${STEPS} notifications, ` +
	`resumed by the SDK with GET + Last-Event-ID (${resumes.length} GETs): every notification once, in order, then the result`);
await client.close();
relay.close();
