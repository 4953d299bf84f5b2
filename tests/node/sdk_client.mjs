// The official MCP TypeScript SDK (Client + StreamableHTTPClientTransport)
// against mcpgw's built-in demo server: proves that an independent,
// widely used client negotiates 2025-11-25, gets a session, lists and calls
// the tools, receives progress notifications streamed in order before the
// result, is served other requests while a tool sleeps, pings, and ends
// the session with DELETE, after which the old id gets 404.
//
// usage: node sdk_client.mjs URL        (e.g. http://127.0.0.1:8080/mcp/demo)
// Prints "ok N - what" per check, "FAIL: why" and exits 1 on a failure.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { EmptyResultSchema, LATEST_PROTOCOL_VERSION, McpError } from '@modelcontextprotocol/sdk/types.js';

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
setTimeout(() => fail('timeout: the whole test took more than 60 s'), 60000).unref();
process.on('unhandledRejection', (e) => fail(`unhandled rejection: ${e && e.stack ? e.stack : e}`));

const url = process.argv[2];
if (!url) {
	console.log('usage: node sdk_client.mjs URL');
	process.exit(2);
}

// Every HTTP exchange the SDK makes, so the test can see what went over
// the wire (methods, statuses, media types), not only what the SDK says.
const exchanges = [];
async function recordingFetch(input, init = {}) {
	const res = await fetch(input, init);
	let rpc = null;
	if (typeof init.body === 'string') {
		try {
			rpc = JSON.parse(init.body);
		} catch {
			rpc = null;
		}
	}
	exchanges.push({
		method: init.method || 'GET',
		status: res.status,
		contentType: res.headers.get('content-type') || '',
		rpc,
	});
	return res;
}
const lastPost = (pred) => exchanges.filter((e) => e.method === 'POST' && e.rpc && pred(e.rpc)).pop();

const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: recordingFetch });
const errors = [];
const client = new Client({ name: 'mcpgw-sdk-test', version: '1.0.0' });
client.onerror = (e) => errors.push(e);

try {
	await client.connect(transport);
} catch (e) {
	fail(`initialize through the SDK failed: ${e.stack || e}`);
}
check(transport.protocolVersion === LATEST_PROTOCOL_VERSION,
	`negotiated protocol version ${transport.protocolVersion}, expected ${LATEST_PROTOCOL_VERSION}`);
check(typeof transport.sessionId === 'string' && /^[\x21-\x7e]+$/.test(transport.sessionId),
	`session id not set or not visible ASCII: ${JSON.stringify(transport.sessionId)}`);
const info = client.getServerVersion();
const caps = client.getServerCapabilities();
check(info && typeof info.name === 'string' && typeof info.version === 'string',
	`serverInfo: ${JSON.stringify(info)}`);
check(caps && typeof caps.tools === 'object', `capabilities without tools: ${JSON.stringify(caps)}`);
ok(`SDK ${LATEST_PROTOCOL_VERSION} initialize: server ${info.name} ${info.version}, session id set, tools capability`);

const tools = await client.listTools();
for (const name of ['echo', 'sleep', 'progress']) {
	const t = tools.tools.find((x) => x.name === name);
	check(t, `tools/list lacks ${name}: ${JSON.stringify(tools)}`);
	check(t.inputSchema && t.inputSchema.type === 'object' && typeof t.inputSchema.properties === 'object',
		`${name} has no object inputSchema: ${JSON.stringify(t)}`);
}
const props = (n) => Object.keys(tools.tools.find((x) => x.name === n).inputSchema.properties);
check(props('echo').includes('message') && props('sleep').includes('ms') && props('progress').includes('steps'),
	`tool arguments: echo ${props('echo')}, sleep ${props('sleep')}, progress ${props('progress')}`);
ok('tools/list: echo {message}, sleep {ms}, progress {steps}, each with an object inputSchema');

const echoed = await client.callTool({ name: 'echo', arguments: { message: 'hello from the SDK ✓' } });
check(Array.isArray(echoed.content) && echoed.content.length === 1 && echoed.content[0].type === 'text' &&
	echoed.content[0].text === 'echo: hello from the SDK ✓' && echoed.isError !== true,
	`echo result: ${JSON.stringify(echoed)}`);
const echoPost = lastPost((m) => m.method === 'tools/call' && m.params.name === 'echo');
check(echoPost && echoPost.status === 200 && echoPost.contentType.startsWith('application/json'),
	`echo was not answered with 200 application/json: ${JSON.stringify(echoPost)}`);
ok('tools/call echo: "echo: hello from the SDK ✓" as application/json');

const STEPS = 5;
const seen = [];
let resolved = false;
const progressResult = await client.callTool({ name: 'progress', arguments: { steps: STEPS } }, undefined, {
	onprogress: (p) => {
		check(!resolved, `progress ${JSON.stringify(p)} arrived after the result`);
		seen.push(p);
	},
});
resolved = true;
const atResult = seen.length;
check(atResult === STEPS, `${atResult} progress notifications before the result, expected ${STEPS}: ${JSON.stringify(seen)}`);
seen.forEach((p, i) => check(p.progress === i + 1 && p.total === STEPS,
	`progress notification ${i}: ${JSON.stringify(p)}, expected progress ${i + 1} of ${STEPS}`));
check(Array.isArray(progressResult.content) && progressResult.isError !== true,
	`progress result: ${JSON.stringify(progressResult)}`);
const progressPost = lastPost((m) => m.method === 'tools/call' && m.params.name === 'progress');
check(progressPost && progressPost.status === 200 && progressPost.contentType.startsWith('text/event-stream'),
	`progress with a token was not answered as text/event-stream: ${JSON.stringify(progressPost)}`);
check(progressPost.rpc.params._meta && progressPost.rpc.params._meta.progressToken !== undefined,
	'the SDK did not send a progressToken');
ok(`tools/call progress: ${STEPS} notifications/progress in order 1..${STEPS} (total ${STEPS}), all before the result, over SSE`);
await new Promise((r) => setTimeout(r, 200));
check(seen.length === STEPS, `progress notifications after the result: ${JSON.stringify(seen.slice(STEPS))}`);

// A slow tool does not hold up the session's other requests.
const t0 = Date.now();
let echoAt = 0;
const slow = client.callTool({ name: 'sleep', arguments: { ms: 800 } });
const quick = client.callTool({ name: 'echo', arguments: { message: 'meanwhile' } }).then((r) => {
	echoAt = Date.now() - t0;
	return r;
});
const [slept, meanwhile] = await Promise.all([slow, quick]);
const sleptAt = Date.now() - t0;
check(slept.content[0].text === 'slept 800 ms', `sleep result: ${JSON.stringify(slept)}`);
check(meanwhile.content[0].text === 'echo: meanwhile', `echo result: ${JSON.stringify(meanwhile)}`);
check(echoAt < 500 && sleptAt >= 750, `echo answered at ${echoAt} ms, sleep 800 at ${sleptAt} ms`);
ok(`a sleep of 800 ms answered at ${sleptAt} ms; an echo sent beside it at ${echoAt} ms`);

try {
	await client.request({ method: 'no/such/method', params: {} }, EmptyResultSchema);
	fail('an unknown method succeeded');
} catch (e) {
	check(e instanceof McpError && e.code === -32601, `unknown method: ${e.stack || e}`);
}
ok('an unknown method rejects with McpError -32601');

const pong = await client.ping();
check(pong && typeof pong === 'object' && Object.keys(pong).length === 0, `ping: ${JSON.stringify(pong)}`);
ok('ping: an empty result');

const oldSession = transport.sessionId;
await transport.terminateSession();
const del = exchanges.filter((e) => e.method === 'DELETE').pop();
check(del && del.status >= 200 && del.status < 300, `DELETE of the session: ${JSON.stringify(del)}`);
check(transport.sessionId === undefined, 'the SDK still holds a session id after terminateSession');
ok(`terminateSession(): DELETE answered ${del.status}`);

const res = await fetch(url, {
	method: 'POST',
	headers: {
		'content-type': 'application/json',
		accept: 'application/json, text/event-stream',
		'mcp-session-id': oldSession,
		'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
	},
	body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }),
});
const body = await res.text();
check(res.status === 404, `a request with the deleted session id: HTTP ${res.status} ${body}`);
let parsed = null;
try {
	parsed = JSON.parse(body);
} catch {
	parsed = null;
}
check(parsed && parsed.jsonrpc === '2.0' && parsed.error && typeof parsed.error.code === 'number',
	`404 without a JSON-RPC error body: ${body}`);
ok('a raw request with the deleted session id gets 404 with a JSON-RPC error');

// The SDK opens the GET stream after notifications/initialized; if it did,
// the server must have accepted it.
const gets = exchanges.filter((e) => e.method === 'GET');
for (const g of gets)
	check(g.status === 200 && g.contentType.startsWith('text/event-stream'), `the SDK's GET stream: ${JSON.stringify(g)}`);
ok(gets.length ? `the GET stream the SDK opened after initialization got 200 text/event-stream (${gets.length})`
	: 'the SDK opened no GET stream');

await client.close();
const real = errors.filter((e) => !/abort/i.test(String(e && (e.name + e.message))));
check(real.length === 0, `the SDK reported errors: ${real.map((e) => e.stack || e).join('\n')}`);
ok('the SDK reported no transport errors');
console.log(`${checks} passed, 0 failed`);
process.exit(0);
