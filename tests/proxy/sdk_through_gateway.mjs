// The official MCP TypeScript SDK client (StreamableHTTPClientTransport)
// through mcpgw to the SDK upstream server (upstream_server.mjs):
//
//   node sdk_through_gateway.mjs GATEWAY_URL UPSTREAM_STATS_URL [basic|resume]
//
// With "basic", only a short session: initialize, three calls, DELETE
// (for an upstream with unusual session ids).  With "resume", a call whose
// SSE stream the upstream closes before the result (SEP-1699 polling: the
// client resumes with GET and Last-Event-ID).
//
// Prints "ok - WHAT" for every check that holds; on the first that does
// not, "FAIL: WHAT" with the evidence, and exits 1.  Never runs longer
// than 90 s (then it fails).

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
	CallToolResultSchema,
	ElicitRequestSchema,
	LoggingMessageNotificationSchema
} from '@modelcontextprotocol/sdk/types.js';

const [url, statsUrl, mode] = process.argv.slice(2);
if (!url || !statsUrl) {
	console.error('usage: node sdk_through_gateway.mjs GATEWAY_URL UPSTREAM_STATS_URL');
	process.exit(2);
}

const hardStop = setTimeout(() => {
	console.log('FAIL: sdk_through_gateway.mjs did not finish within 90 s');
	process.exit(1);
}, 90000);

const clients = [];
function fail(what) {
	console.log(`FAIL: ${what}`);
	process.exit(1);
}
function ok(what) {
	console.log(`ok - ${what}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const show = (v) => JSON.stringify(v)?.slice(0, 800);
const textOf = (r) => (r?.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('');

async function stats() {
	const r = await fetch(statsUrl, { signal: AbortSignal.timeout(5000) });
	return r.json();
}

// A connected SDK client with elicitation; handlers are set by the caller.
async function connect(name, onElicit) {
	const client = new Client(
		{ name, version: '1.0.0' },
		{ capabilities: { elicitation: {}, sampling: {} } }
	);
	client.setRequestHandler(ElicitRequestSchema, async (req) => onElicit(req));
	const logs = [];
	client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push({ at: Date.now(), params: n.params }));
	const transport = new StreamableHTTPClientTransport(new URL(url));
	const errors = [];
	client.onerror = (e) => errors.push(String(e?.message ?? e));
	await client.connect(transport, { timeout: 10000 });
	clients.push(client);
	return { client, transport, logs, errors };
}

async function main() {
	const before = await stats();

	// ---- initialize --------------------------------------------------------
	const elicited = [];
	let answer = null;
	const a = await connect('mcpgw-proxy-sdk-test', async (req) => {
		elicited.push(req.params);
		return answer;
	});
	const sid = a.transport.sessionId;
	if (!sid) fail('initialize through the gateway: no Mcp-Session-Id');
	const info = a.client.getServerVersion();
	if (info?.name !== 'mcpgw-test-upstream')
		fail(`initialize: serverInfo is not the upstream's: ${show(info)}`);
	const caps = a.client.getServerCapabilities();
	if (!caps?.tools || !caps?.resources || !caps?.prompts || !caps?.logging)
		fail(`initialize: the upstream's capabilities did not come through: ${show(caps)}`);
	const afterInit = await stats();
	if (afterInit.initialize !== before.initialize + 1)
		fail(`initialize: the upstream saw ${afterInit.initialize - before.initialize} initialize requests, expected 1`);
	const fresh = afterInit.ids.filter((i) => !before.ids.includes(i));
	if (fresh.length !== 1) fail(`initialize: the upstream has ${fresh.length} new sessions, expected 1`);
	if (sid.includes(fresh[0])) fail(`initialize: the gateway handed out the upstream's own session id (${fresh[0]}) in ${sid}`);
	ok(`initialize through the gateway: its session id (${sid.slice(0, 12)}...) wraps a new upstream session (${fresh[0].slice(0, 8)}...) without showing it; serverInfo ${info.name} ${info.version}`);

	// ---- tools/list ----------------------------------------------------------
	const list = await a.client.listTools();
	const names = list.tools.map((t) => t.name);
	for (const n of ['echo', 'slow', 'was_cancelled', 'ask', 'progress_steps', 'test_simple_text'])
		if (!names.includes(n)) fail(`tools/list: ${n} missing from ${show(names)}`);
	const slowTool = list.tools.find((t) => t.name === 'slow');
	if (slowTool.inputSchema?.properties?.ms?.type !== 'integer' && slowTool.inputSchema?.properties?.ms?.type !== 'number')
		fail(`tools/list: the slow tool's inputSchema was not relayed intact: ${show(slowTool.inputSchema)}`);
	ok(`tools/list: the upstream's ${names.length} tools, with their input schemas`);

	const echo = await a.client.callTool({ name: 'echo', arguments: { message: 'héllo through mcpgw ✓' } });
	if (textOf(echo) !== 'echo: héllo through mcpgw ✓') fail(`tools/call echo: ${show(echo)}`);
	ok('tools/call echo: the answer (non-ASCII text) comes back intact');

	// ---- progress: in order, as they happen, before the result -------------
	const steps = 5, delay = 200;
	const progress = [];
	const t0 = Date.now();
	const pres = await a.client.callTool(
		{ name: 'progress_steps', arguments: { steps, delay_ms: delay } },
		CallToolResultSchema,
		{ onprogress: (p) => progress.push({ at: Date.now() - t0, ...p }), timeout: 20000 }
	);
	const tResult = Date.now() - t0;
	if (textOf(pres) !== `done ${steps} steps`) fail(`progress_steps: result ${show(pres)}`);
	if (progress.length !== steps)
		fail(`progress_steps: ${progress.length} progress notifications before the result, expected ${steps}: ${show(progress)}`);
	for (let i = 0; i < steps; i++)
		if (progress[i].progress !== i + 1 || progress[i].total !== steps)
			fail(`progress_steps: notification ${i} out of order or wrong: ${show(progress)}`);
	// Each step is sent delay ms after the previous: a relay that buffers
	// the stream delivers them all at once, with the result.
	const spread = progress[steps - 1].at - progress[0].at;
	if (spread < (steps - 1) * delay * 0.6 || tResult - progress[0].at < (steps - 1) * delay * 0.6)
		fail(`progress_steps: the notifications were not relayed as they were sent (first at ${progress[0].at} ms, last at ${progress[steps - 1].at} ms, result at ${tResult} ms; sent ${delay} ms apart)`);
	ok(`progress: ${steps} notifications in order, relayed as sent (at ${progress.map((p) => p.at).join(', ')} ms), before the result (${tResult} ms)`);

	// ---- elicitation: upstream -> client -> upstream -----------------------
	const secret = `forty-two-${Math.random().toString(36).slice(2, 10)}`;
	answer = { action: 'accept', content: { answer: secret } };
	const asked = await a.client.callTool({ name: 'ask', arguments: { message: 'What is the answer?' } }, CallToolResultSchema, {
		timeout: 20000
	});
	if (elicited.length !== 1 || elicited[0].message !== 'What is the answer?')
		fail(`ask: the elicitation request did not reach the client as sent: ${show(elicited)}`);
	if (elicited[0].requestedSchema?.properties?.answer?.type !== 'string')
		fail(`ask: the elicitation's requestedSchema was altered: ${show(elicited[0])}`);
	let got;
	try {
		got = JSON.parse(textOf(asked));
	} catch {
		fail(`ask: the tool's answer is not the JSON it returns: ${show(asked)}`);
	}
	if (got.action !== 'accept' || got.content?.answer !== secret)
		fail(`ask: the upstream did not get the client's answer: tool returned ${show(got)}, client answered ${show(answer)}`);
	ok(`elicitation: the upstream's elicitation/create reached the client and its answer ("${secret}") reached the upstream`);

	answer = { action: 'decline' };
	const declined = await a.client.callTool({ name: 'ask', arguments: { message: 'Again?' } }, CallToolResultSchema, {
		timeout: 20000
	});
	if (JSON.parse(textOf(declined)).action !== 'decline') fail(`ask (decline): ${show(declined)}`);
	ok('elicitation: a declined answer reaches the upstream too');

	// ---- cancellation: abort -> notifications/cancelled upstream ------------
	const tag = `cancel-${process.pid}-${Date.now()}`;
	const ac = new AbortController();
	const tc = Date.now();
	const slow = a.client.callTool({ name: 'slow', arguments: { ms: 20000, tag } }, CallToolResultSchema, {
		signal: ac.signal,
		timeout: 30000
	});
	// wait until the upstream runs it
	let rec = null;
	for (let i = 0; i < 100; i++) {
		const r = await a.client.callTool({ name: 'was_cancelled', arguments: { tag } });
		rec = JSON.parse(textOf(r));
		if (rec.started) break;
		await sleep(50);
	}
	if (!rec?.started) fail(`cancellation: the slow call never reached the upstream: ${show(rec)}`);
	ac.abort('test aborts the slow call');
	let rejected = false;
	try {
		await slow;
	} catch (e) {
		rejected = true;
	}
	if (!rejected) fail('cancellation: the aborted call still resolved');
	for (let i = 0; i < 60; i++) {
		const r = await a.client.callTool({ name: 'was_cancelled', arguments: { tag } });
		rec = JSON.parse(textOf(r));
		if (rec.cancelled || rec.finished) break;
		await sleep(50);
	}
	if (!rec.cancelled)
		fail(`cancellation: the upstream did not see notifications/cancelled within 3 s of the abort: ${show(rec)}`);
	if (!String(rec.reason).includes('test aborts the slow call'))
		fail(`cancellation: the reason did not come through: ${show(rec)}`);
	ok(`cancellation: aborting the call sent notifications/cancelled through the gateway; the upstream stopped it after ${Date.now() - tc} ms (reason "${rec.reason}")`);

	// ---- a notification on the GET stream -----------------------------------
	const note = `standalone-${Date.now()}`;
	const sent = await a.client.callTool({ name: 'notify_standalone', arguments: { text: note } }, CallToolResultSchema, {
		timeout: 20000
	});
	if (sent.isError) fail(`GET stream: ${show(sent)}`);
	for (let i = 0; i < 60 && !a.logs.some((l) => l.params.data === note); i++) await sleep(50);
	if (!a.logs.some((l) => l.params.data === note))
		fail(`GET stream: the upstream's notification outside any request never reached the client (logs: ${show(a.logs)})`);
	ok('GET stream: a notification the upstream sends outside any request reaches the client on its GET stream');

	// ---- the upstream forgets the session: the gateway opens it again -------
	const beforeForget = await stats();
	const forgot = await a.client.callTool({ name: 'forget_me', arguments: {} });
	if (forgot.isError) fail(`forget_me: ${show(forgot)}`);
	for (let i = 0; i < 40 && (await stats()).forgotten === beforeForget.forgotten; i++) await sleep(25);
	if ((await stats()).forgotten !== beforeForget.forgotten + 1) fail('forget_me: the upstream did not forget the session');
	const again = await a.client.callTool({ name: 'echo', arguments: { message: 'after the upstream forgot' } });
	if (textOf(again) !== 'echo: after the upstream forgot')
		fail(`the upstream forgot the session: the next call got ${show(again)} (the gateway should open the session again)`);
	const reopened = await stats();
	if (reopened.initialize !== beforeForget.initialize + 1)
		fail(`the upstream forgot the session: ${reopened.initialize - beforeForget.initialize} new initialize requests upstream, expected 1`);
	const p = reopened.lastInit;
	if (p?.clientInfo?.name !== 'mcpgw-proxy-sdk-test' || !p?.capabilities?.elicitation)
		fail(`the session was opened again without the client's own initialize params: ${show(p)}`);
	answer = { action: 'accept', content: { answer: 'still here' } };
	const askAgain = await a.client.callTool({ name: 'ask', arguments: { message: 'Still there?' } }, CallToolResultSchema, {
		timeout: 20000
	});
	if (JSON.parse(textOf(askAgain) || '{}').content?.answer !== 'still here')
		fail(`elicitation in the reopened upstream session: ${show(askAgain)}`);
	ok(`the upstream forgot the session (as after a restart): the gateway opened it again with the client's own initialize params (client ${p.clientInfo.name}, capabilities ${Object.keys(p.capabilities).join(', ')}), invisibly to the client`);

	// ---- two sessions, same JSON-RPC ids, at once ---------------------------
	const b = await connect('mcpgw-proxy-sdk-test-b', async () => ({ action: 'cancel' }));
	if (b.transport.sessionId === sid) fail('a second client got the same session id');
	const calls = [];
	for (let i = 0; i < 20; i++) {
		calls.push(a.client.callTool({ name: 'echo', arguments: { message: `a-${i}` } }).then((r) => [`a-${i}`, r]));
		calls.push(b.client.callTool({ name: 'echo', arguments: { message: `b-${i}` } }).then((r) => [`b-${i}`, r]));
	}
	for (const [m, r] of await Promise.all(calls))
		if (textOf(r) !== `echo: ${m}`) fail(`concurrent calls: ${m} answered ${show(r)} (answers crossed)`);
	ok('40 concurrent calls from two sessions whose JSON-RPC ids coincide: every answer reached its own caller');
	await b.transport.terminateSession();

	// ---- DELETE --------------------------------------------------------------
	const beforeDelete = await stats();
	await a.transport.terminateSession();
	const afterDelete = await stats();
	if (afterDelete.deleted !== beforeDelete.deleted + 1)
		fail(`DELETE: the upstream did not end its session (deleted ${beforeDelete.deleted} -> ${afterDelete.deleted})`);
	const raw = await fetch(url, {
		method: 'POST',
		headers: {
			'Content-Type': 'application/json',
			Accept: 'application/json, text/event-stream',
			'Mcp-Session-Id': sid,
			'MCP-Protocol-Version': '2025-11-25'
		},
		body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list', params: {} }),
		signal: AbortSignal.timeout(5000)
	});
	const body = await raw.text();
	if (raw.status !== 404)
		fail(`DELETE: a request with the ended session id got HTTP ${raw.status}, expected 404: ${body.slice(0, 300)}`);
	ok(`DELETE: terminateSession ended the session here and upstream; the old id now gets 404 (${body.slice(0, 120)})`);

	if (a.errors.length) console.log(`# client A reported: ${a.errors.join(' | ').slice(0, 600)}`);
}

// A short session through the gateway: initialize, calls, DELETE.
async function basic() {
	const st = await stats();
	let a, step = 'connecting (initialize, then notifications/initialized)';
	const why = async (e) => {
		const now = await stats();
		const issued = now.ids.filter((i) => !st.ids.includes(i)).map((i) => i.length);
		const unknown = now.unknown.slice(st.unknown.length).map((u) => u.length);
		return `${step} through the gateway failed: ${String(e?.message ?? e).slice(0, 300)}; the upstream issued session ids of ${show(issued)} characters and was sent unknown ids of ${show(unknown)} characters`;
	};
	try {
		a = await connect('mcpgw-proxy-sdk-basic', async () => ({ action: 'cancel' }));
		for (let i = 0; i < 3; i++) {
			step = `tools/call ${i}`;
			const r = await a.client.callTool({ name: 'echo', arguments: { message: `basic-${i}` } });
			if (textOf(r) !== `echo: basic-${i}`) fail(`call ${i}: ${show(r)}`);
		}
	} catch (e) {
		fail(await why(e));
	}
	const idLen = (await stats()).ids.filter((i) => !st.ids.includes(i))[0]?.length;
	const sid = a.transport.sessionId;
	const before = await stats();
	await a.transport.terminateSession();
	const after = await stats();
	if (after.deleted !== before.deleted + 1) fail('DELETE did not end the upstream session');
	const raw = await fetch(url, {
		method: 'POST',
		headers: {
			'Content-Type': 'application/json',
			Accept: 'application/json, text/event-stream',
			'Mcp-Session-Id': sid,
			'MCP-Protocol-Version': '2025-11-25'
		},
		body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} }),
		signal: AbortSignal.timeout(5000)
	});
	if (raw.status !== 404) fail(`after DELETE the old id got HTTP ${raw.status}, expected 404`);
	ok(`initialize, 3 calls and DELETE through the gateway with an upstream whose session ids are ${idLen} characters long`);
}

// The upstream closes the call's SSE stream before its result; the SDK
// client resumes (GET with Last-Event-ID) and gets the result.
async function resume() {
	const a = await connect('mcpgw-proxy-sdk-resume', async () => ({ action: 'cancel' }));
	const t0 = Date.now();
	let r;
	try {
		r = await a.client.callTool({ name: 'test_reconnection', arguments: {} }, CallToolResultSchema, { timeout: 10000 });
	} catch (e) {
		fail(`a call whose SSE stream the upstream closes before the result (the client resumes with GET and Last-Event-ID): no result after ${Date.now() - t0} ms: ${e.message}; the client reported: ${a.errors.join(' | ').slice(0, 500)}`);
	}
	if (!textOf(r).startsWith('Reconnection test completed successfully')) fail(`test_reconnection: ${show(r)}`);
	ok(`a call whose SSE stream the upstream closed before the result: the client resumed (GET with Last-Event-ID) and got the result after ${Date.now() - t0} ms`);
}

(mode === 'basic' ? basic() : mode === 'resume' ? resume() : main())
	.then(async () => {
		for (const c of clients) await c.close().catch(() => {});
		clearTimeout(hardStop);
		process.exit(0);
	})
	.catch((e) => fail(`unexpected error: ${e?.stack ?? e}`));
