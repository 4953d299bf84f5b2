// pool_client.mjs: many sessions through mcpgw to an upstream pool
// (tests/integration/pool.sh), each with the official TypeScript SDK v1
// client: initialize, tools/list, tools/call echo, ping, tools/call echo,
// tools/call echo, with a pause between requests, SESSIONS sessions,
// CONCURRENCY at a time, while the test kills and restarts a member.
//
//   node pool_client.mjs URL SESSIONS CONCURRENCY PAUSE_MS
//
// Output: "# started N" as sessions begin (the test times its kill by
// them), one line per failed request "# error METHOD: MESSAGE", and last a
// line "result {json}" with counts by method of the requests that
// answered (ok) and failed (errors), and "sessions" that answered every
// request.  Exit 0 when it ran to the end (failures are the test's to
// judge), 1 on a usage error or after its 60 s limit.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, nArg, cArg, pArg] = process.argv.slice(2);
const total = Number(nArg), conc = Number(cArg), pause = Number(pArg);
if (!url || !(total > 0) || !(conc > 0) || !(pause >= 0)) {
	console.error('usage: node pool_client.mjs URL SESSIONS CONCURRENCY PAUSE_MS');
	process.exit(1);
}
setTimeout(() => {
	console.log('FAIL: pool_client ran for 60 s');
	process.exit(1);
}, 60_000).unref();

const ok = {}, errors = {};
let sessionsOk = 0, started = 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function step(method, fn) {
	try {
		await fn();
		ok[method] = (ok[method] ?? 0) + 1;
		return true;
	} catch (e) {
		errors[method] = (errors[method] ?? 0) + 1;
		console.log(`# error ${method}: ${String(e?.message ?? e).slice(0, 200)}`);
		return false;
	}
}

async function echo(client, text) {
	const r = await client.callTool({ name: 'echo', arguments: { message: text } }, undefined, { timeout: 10_000 });
	const got = r.content?.[0]?.text;
	if (got !== `echo: ${text}`) throw new Error(`echo answered ${JSON.stringify(r).slice(0, 120)}`);
}

async function session(i) {
	const client = new Client({ name: 'pool-client', version: '1.0.0' });
	const transport = new StreamableHTTPClientTransport(new URL(url));
	let all = true;

	console.log(`# started ${++started}`);
	all = (await step('initialize', () => client.connect(transport, { timeout: 10_000 }))) && all;
	if (!all) return;
	await sleep(pause);
	all = (await step('tools/list', () => client.listTools(undefined, { timeout: 10_000 }))) && all;
	all = (await step('tools/call', () => echo(client, `s${i}-1`))) && all;
	await sleep(pause);
	all = (await step('ping', () => client.ping({ timeout: 10_000 }))) && all;
	all = (await step('tools/call', () => echo(client, `s${i}-2`))) && all;
	await sleep(pause);
	all = (await step('tools/call', () => echo(client, `s${i}-3`))) && all;
	if (all) sessionsOk++;
	await transport.close().catch(() => {});
}

let next = 0;
async function worker() {
	while (next < total) await session(next++);
}
await Promise.all(Array.from({ length: conc }, worker));
console.log(`result ${JSON.stringify({ sessions: sessionsOk, ok, errors })}`);
process.exit(0);
