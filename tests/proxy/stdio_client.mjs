// The official MCP TypeScript SDK v1 client (StreamableHTTPClientTransport)
// through mcpgw to a stdio upstream: the gateway runs stdio_server.mjs, one
// process per session (tests/integration/stdio.sh).
//
//   node stdio_client.mjs GATEWAY_URL
//
// It declares elicitation and accepts every elicitation with the name "Ada".
// The scenario: initialize; tools/list (the server's 6 tools); echo;
// progress (3 notifications to onprogress, then "done"); ask (the server's
// elicitation/create reaches the client, its answer the server: "Hello,
// Ada"); count twice (1 then 2: one process keeps the session's state);
// pid; crash (the server exits: the call ends with an error); pid again (a
// new process under the same session: the gateway started it and
// initialized it with the client's params); echo; count (1 again: the old
// process's state is gone); terminateSession (DELETE).
//
// Prints "# session ID" and "# pid before|after the crash N" (for the
// test's process checks), one "ok - WHAT" per check that holds, and
// "FAIL: WHAT" for each that does not (the scenario goes on when it can);
// exits 1 if any failed.  Never runs longer than 60 s.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const url = process.argv[2];
if (!url) {
	console.error('usage: node stdio_client.mjs GATEWAY_URL');
	process.exit(2);
}

const TOOLS = ['echo', 'progress', 'ask', 'crash', 'pid', 'count'];
let failures = 0;

setTimeout(() => {
	console.log('FAIL: stdio_client.mjs did not finish within 60 s');
	process.exit(1);
}, 60000).unref();

function ok(what) {
	console.log(`ok - ${what}`);
}
function failed(what) {
	failures++;
	console.log(`FAIL: ${what}`);
}
const show = (v) => JSON.stringify(v)?.slice(0, 600);
const describe = (e) => `${e?.name ?? 'Error'}${e?.code !== undefined ? ` (code ${e.code})` : ''}: ${e?.message ?? e}`;
const textOf = (r) => (r?.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('');

// step WHAT FN: one check; an exception is its failure (the scenario goes
// on).  Returns FN's value, or undefined.
async function step(what, fn) {
	try {
		return await fn();
	} catch (e) {
		failed(`${what}: ${describe(e)}`);
		return undefined;
	}
}

const elicited = [];
const client = new Client({ name: 'mcpgw-stdio-test-client', version: '1.0.0' }, { capabilities: { elicitation: {} } });
client.setRequestHandler(ElicitRequestSchema, async (req) => {
	elicited.push(req.params);
	return { action: 'accept', content: { name: 'Ada' } };
});
const transportErrors = [];
client.onerror = (e) => transportErrors.push(String(e?.message ?? e));
const transport = new StreamableHTTPClientTransport(new URL(url));

const call = (name, args = {}, options = {}) =>
	client.callTool({ name, arguments: args }, CallToolResultSchema, { timeout: 15000, ...options });

async function main() {
	// ---- initialize ----------------------------------------------------------
	try {
		await client.connect(transport, { timeout: 15000 });
	} catch (e) {
		failed(`initialize through the gateway: ${describe(e)}`);
		return; // nothing else can run
	}
	const sid = transport.sessionId;
	const info = client.getServerVersion();
	if (!sid) failed('initialize: no Mcp-Session-Id');
	else if (info?.name !== 'mcpgw-stdio-test-server') failed(`initialize: serverInfo is not the stdio server's: ${show(info)}`);
	else {
		console.log(`# session ${sid}`);
		ok(`initialize: session ${sid.slice(0, 12)}..., serverInfo ${info.name} ${info.version}, protocol ${transport.protocolVersion ?? '?'}`);
	}

	// ---- tools/list ----------------------------------------------------------
	await step('tools/list', async () => {
		const names = (await client.listTools()).tools.map((t) => t.name);
		const missing = TOOLS.filter((n) => !names.includes(n));
		if (missing.length || names.length !== TOOLS.length) failed(`tools/list: ${show(names)}, expected ${show(TOOLS)}`);
		else ok(`tools/list: the server's ${names.length} tools (${names.join(', ')})`);
	});

	await step('tools/call echo', async () => {
		const r = await call('echo', { message: 'héllo over stdio ✓' });
		if (textOf(r) !== 'echo: héllo over stdio ✓') failed(`tools/call echo: ${show(r)}`);
		else ok('tools/call echo: the answer (non-ASCII) comes back intact');
	});

	// ---- progress --------------------------------------------------------------
	await step('tools/call progress', async () => {
		const steps = 3;
		const seen = [];
		const r = await call('progress', { steps }, { onprogress: (p) => seen.push(p) });
		if (textOf(r) !== 'done') failed(`progress: result ${show(r)}`);
		else if (seen.length !== steps || seen.some((p, i) => p.progress !== i + 1 || p.total !== steps))
			failed(`progress: ${seen.length} notifications before the result, expected 1..${steps}: ${show(seen)}`);
		else ok(`progress: ${steps} notifications in order (${seen.map((p) => p.progress).join(', ')} of ${steps}) before "done"`);
	});

	// ---- elicitation -----------------------------------------------------------
	await step('tools/call ask', async () => {
		const r = await call('ask');
		if (elicited.length !== 1 || elicited[0].message !== 'What is your name?')
			failed(`ask: the elicitation did not reach the client once as sent: ${show(elicited)}`);
		else if (textOf(r) !== 'Hello, Ada') failed(`ask: the server did not get the client's answer: ${show(r)}`);
		else ok('elicitation: the server\'s elicitation/create reached the client, its answer the server ("Hello, Ada")');
	});

	// ---- state in one process ------------------------------------------------
	await step('tools/call count', async () => {
		const c1 = textOf(await call('count'));
		const c2 = textOf(await call('count'));
		if (c1 !== '1' || c2 !== '2') failed(`count: ${c1} then ${c2}, expected 1 then 2 (one process per session)`);
		else ok('count: 1 then 2 (the session\'s state lives in its one process)');
	});

	const pid1 = await step('tools/call pid', async () => {
		const p = textOf(await call('pid'));
		if (!/^[0-9]+$/.test(p)) failed(`pid: ${show(p)}`);
		else {
			console.log(`# pid before the crash ${p}`);
			ok(`pid: the server runs as pid ${p}`);
		}
		return p;
	});

	// ---- crash and transparent restart --------------------------------------
	let crashed;
	try {
		const r = await call('crash');
		crashed = r.isError ? `an error result: ${textOf(r)}` : null;
		if (!crashed) failed(`crash: a result that is not an error: ${show(r)}`);
	} catch (e) {
		crashed = `an error: ${describe(e)}`;
	}
	if (crashed) ok(`crash: the call ended with ${crashed.slice(0, 200)}`);

	const pid2 = await step('tools/call pid after the crash', async () => {
		const p = textOf(await call('pid'));
		if (!/^[0-9]+$/.test(p) || p === pid1) failed(`pid after the crash: ${show(p)} (before: ${pid1})`);
		else {
			console.log(`# pid after the crash ${p}`);
			ok(`pid after the crash: ${p}, not ${pid1} (a new process, same session ${transport.sessionId === sid ? 'id' : 'id CHANGED'})`);
		}
		return p;
	});
	if (transport.sessionId !== sid) failed(`the session id changed across the restart: ${transport.sessionId} (was ${sid})`);

	await step('tools/call echo after the crash', async () => {
		const r = await call('echo', { message: 'still here' });
		if (textOf(r) !== 'echo: still here') failed(`echo after the crash: ${show(r)}`);
		else ok('echo after the crash: the restarted server answers');
	});

	await step('tools/call count after the crash', async () => {
		const c = textOf(await call('count'));
		if (c !== '1') failed(`count after the crash: ${c}, expected 1 (a new process has a new counter)`);
		else ok('count after the crash: 1 (the old process\'s state is gone with it)');
	});

	// ---- DELETE ----------------------------------------------------------------
	await step('terminateSession', async () => {
		await transport.terminateSession();
		if (transport.sessionId !== undefined) failed(`terminateSession: the transport kept its session id ${transport.sessionId}`);
		else ok('terminateSession: DELETE of the session answered');
	});
	void pid2;
}

main()
	.catch((e) => failed(`unexpected error: ${e?.stack ?? e}`))
	.finally(async () => {
		await client.close().catch(() => {});
		if (transportErrors.length) console.log(`# transport errors: ${show(transportErrors)}`);
		process.exit(failures ? 1 : 0);
	});
