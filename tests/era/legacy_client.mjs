// legacy_client.mjs: an MCP client on an official TypeScript SDK, in front of mcpgw whose
// upstream is @modelcontextprotocol/server-everything in its legacy HTTP+SSE mode (revision
// 2024-11-05): the client does not know, and must not need to.
//
// Usage: node legacy_client.mjs v1|v2 URL [TAG]
//   v1: the SDK v1 (@modelcontextprotocol/sdk 1.x, a 2025-11-25 client with a session);
//   v2: the SDK v2 (@modelcontextprotocol/client 2.x) pinned to 2026-07-28 (stateless: mcpgw's
//       era bridge carries it to the 2024-11-05 server).
//   TAG goes into the echoed messages (two clients at once tell their answers apart).
//
// Checks: the revision negotiated; tools/list lists echo, get-sum and
// trigger-long-running-operation; echo returns its own message; get-sum 2+3 is 5; the long
// operation (3 steps) sends 3 progress notifications in order before its result; 20 echo
// calls at once each get their own message back.
// Output: `# revision REV`, one `ok - WHAT` per check; on a failure `FAIL: WHAT: details`
// and exit 1.  An overall timeout of 40 s fails.

const mode = process.argv[2];
const url = process.argv[3];
const tag = process.argv[4] ?? 'x';
if ((mode !== 'v1' && mode !== 'v2') || !url) {
    console.error('usage: node legacy_client.mjs v1|v2 URL [TAG]');
    process.exit(2);
}
const TIMEOUT = 15_000;
let current = 'startup';
const overall = setTimeout(() => {
    console.log(`FAIL: ${current}: overall timeout`);
    process.exit(1);
}, 40_000);

async function check(what, fn) {
    current = what;
    try {
        await fn();
    } catch (e) {
        console.log(`FAIL: ${what}: ${e?.stack ?? e}`);
        process.exit(1);
    }
    console.log(`ok - ${what}`);
}

// The SDK v1 takes (params, resultSchema, options), the v2 (params, options).
function call(params, schema, options) {
    return mode === 'v1' ? client.callTool(params, schema, options) : client.callTool(params, options);
}

function text(result) {
    return (result?.content ?? []).map(c => c.text ?? '').join('');
}

async function connect() {
    if (mode === 'v1') {
        const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
        const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
        const client = new Client({ name: 'mcpgw-legacy-v1', version: '1.0.0' });
        const transport = new StreamableHTTPClientTransport(new URL(url));
        await client.connect(transport, { timeout: TIMEOUT });
        return { client, transport, revision: transport.protocolVersion };
    }
    const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
    const client = new Client({ name: 'mcpgw-legacy-v2', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    client.onerror = () => {};
    const transport = new StreamableHTTPClientTransport(new URL(url));
    await client.connect(transport, { timeout: TIMEOUT });
    return { client, transport, revision: client.getNegotiatedProtocolVersion() };
}

let client, transport;
await check(`connect (${mode})`, async () => {
    const c = await connect();
    client = c.client;
    transport = c.transport;
    const revision = mode === 'v1' ? transport.protocolVersion : c.revision;
    console.log(`# revision ${revision}`);
    if (mode === 'v1' && !transport.sessionId) throw new Error('no Mcp-Session-Id');
    if (mode === 'v2' && revision !== '2026-07-28') throw new Error(`revision ${revision}`);
});

await check('tools/list', async () => {
    const { tools } = await client.listTools(undefined, { timeout: TIMEOUT });
    const names = tools.map(t => t.name);
    for (const want of ['echo', 'get-sum', 'trigger-long-running-operation']) {
        if (!names.includes(want)) throw new Error(`no ${want} in [${names.join(', ')}]`);
    }
});

await check('tools/call echo', async () => {
    const r = await call({ name: 'echo', arguments: { message: `hello ${tag}` } }, undefined, { timeout: TIMEOUT });
    if (text(r) !== `Echo: hello ${tag}`) throw new Error(JSON.stringify(r));
});

await check('tools/call get-sum 2+3', async () => {
    const r = await call({ name: 'get-sum', arguments: { a: 2, b: 3 } }, undefined, { timeout: TIMEOUT });
    if (!/\b5\b/.test(text(r))) throw new Error(JSON.stringify(r));
});

await check('long-running operation: 3 progress notifications, then the result', async () => {
    const seen = [];
    const r = await call(
        { name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } },
        undefined,
        { timeout: TIMEOUT, onprogress: p => seen.push(p) }
    );
    if (seen.length !== 3 || seen.some((p, i) => p.progress !== i + 1 || p.total !== 3)) {
        throw new Error(`progress ${JSON.stringify(seen)}`);
    }
    if (!/completed/.test(text(r))) throw new Error(JSON.stringify(r));
});

await check('20 echo calls at once, each its own answer', async () => {
    const msgs = Array.from({ length: 20 }, (_, i) => `${tag}-${i}`);
    const got = await Promise.all(msgs.map(m => call({ name: 'echo', arguments: { message: m } }, undefined, { timeout: TIMEOUT })));
    got.forEach((r, i) => {
        if (text(r) !== `Echo: ${msgs[i]}`) throw new Error(`#${i}: ${JSON.stringify(r)}`);
    });
});

current = 'close';
await client.close();
clearTimeout(overall);
process.exit(0);
