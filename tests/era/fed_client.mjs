// fed_client.mjs: a scripted MCP client on the official TypeScript SDK, v1
// (@modelcontextprotocol/sdk, 2025-11-25) or v2 (@modelcontextprotocol/client,
// pinned to 2026-07-28), for mcpgw's federation tests.
//
// Usage: node fed_client.mjs URL v1|v2 PLAN.json
//
// PLAN is an array of steps, run in order:
//   {"op":"list","what":"tools|prompts|resources|resourceTemplates",
//    "has":[names or URIs], "lacks":[...], "min":N}
//       every page is read (nextCursor followed); "has" must all be there,
//       "lacks" none, at least "min" items in all (exactly "count"), none twice
//   {"op":"call","name":T,"args":{...},"text":SUBSTRING}   a tool's text content
//   {"op":"call","name":T,"args":{...},"error":SUBSTRING}  refused: the error (or an
//       isError result) must contain SUBSTRING
//   {"op":"prompt","name":P,"args":{...},"text":SUBSTRING}
//   {"op":"read","uri":U,"text":SUBSTRING}
//   {"op":"level","level":"info"}                        logging/setLevel (v1 only)
//   {"op":"progress","name":T,"args":{...},"min":N}      at least N progress notifications
//
// Output: one `ok - WHAT` per step; on the first failure `FAIL: WHAT: details` and
// exit 1. An overall timeout of 60 s fails.

import { readFileSync } from 'node:fs';

const [url, sdk, planFile] = process.argv.slice(2);
if (!url || !planFile || (sdk !== 'v1' && sdk !== 'v2')) {
    console.error('usage: node fed_client.mjs URL v1|v2 PLAN.json');
    process.exit(2);
}
const plan = JSON.parse(readFileSync(planFile, 'utf8'));
const fail = (what, details) => {
    process.stdout.write(`FAIL: ${what}: ${details}\n`);
    process.exit(1);
};
const ok = (what) => process.stdout.write(`ok - ${what}\n`);
setTimeout(() => fail('overall', 'no end within 60 s'), 60_000).unref();

let client;
if (sdk === 'v1') {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StreamableHTTPClientTransport } = await import(
        '@modelcontextprotocol/sdk/client/streamableHttp.js');
    client = new Client({ name: 'fed-client-v1', version: '1.0.0' }, { capabilities: {} });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
} else {
    const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
    client = new Client({ name: 'fed-client-v2', version: '1.0.0' },
        { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
}
ok(`connected with SDK ${sdk}`);

const lister = {
    tools: [(p) => client.listTools(p), 'tools', (x) => x.name],
    prompts: [(p) => client.listPrompts(p), 'prompts', (x) => x.name],
    resources: [(p) => client.listResources(p), 'resources', (x) => x.uri],
    resourceTemplates: [(p) => client.listResourceTemplates(p), 'resourceTemplates',
        (x) => x.uriTemplate],
};

function textOf(result) {
    const parts = [];
    for (const c of result.content ?? result.contents ?? result.messages ?? []) {
        if (typeof c.text === 'string') parts.push(c.text);
        if (c.content && typeof c.content.text === 'string') parts.push(c.content.text);
        if (c.resource && typeof c.resource.text === 'string') parts.push(c.resource.text);
    }
    if (result.structuredContent) parts.push(JSON.stringify(result.structuredContent));
    return parts.join('\n');
}

async function step(s) {
    const what = `${s.op} ${s.what ?? s.name ?? s.uri ?? s.level ?? ''}`.trim();
    if (s.op === 'list') {
        const [fn, key, nameOf] = lister[s.what];
        const names = [];
        let cursor, pages = 0;
        do {
            const r = await fn(cursor ? { cursor } : {});
            for (const x of r[key]) names.push(nameOf(x));
            cursor = r.nextCursor;
            if (++pages > 100) fail(what, 'more than 100 pages');
        } while (cursor);
        for (const n of s.has ?? [])
            if (!names.includes(n)) fail(what, `${n} missing from ${JSON.stringify(names)}`);
        for (const n of s.lacks ?? [])
            if (names.includes(n)) fail(what, `${n} listed: ${JSON.stringify(names)}`);
        if (s.min !== undefined && names.length < s.min)
            fail(what, `${names.length} items, fewer than ${s.min}`);
        if (s.count !== undefined && names.length !== s.count)
            fail(what, `${names.length} items, not ${s.count}`);
        if (new Set(names).size !== names.length)
            fail(what, `listed twice: ${names.filter((n, i) => names.indexOf(n) !== i)}`);
        ok(`${what}: ${names.length} items in ${pages} page(s)`);
        return;
    }
    if (s.op === 'call' || s.op === 'progress') {
        let r, err, progress = 0;
        try {
            // (v1: callTool(params, resultSchema, options); v2: callTool(params, options))
            const opts = s.op === 'progress' ? { onprogress: () => progress++ } : undefined;
            r = sdk === 'v1'
                ? await client.callTool({ name: s.name, arguments: s.args ?? {} }, undefined, opts)
                : await client.callTool({ name: s.name, arguments: s.args ?? {} }, opts);
        } catch (e) {
            err = e;
        }
        if (s.error !== undefined) {
            const got = err ? String(err.message) : (r && r.isError ? textOf(r) : null);
            if (got === null) fail(what, `not refused: ${JSON.stringify(r)}`);
            if (!got.includes(s.error)) fail(what, `error "${got}" lacks "${s.error}"`);
            ok(`${what}: refused (${got.slice(0, 80)})`);
            return;
        }
        if (err) fail(what, String(err.message ?? err));
        if (r.isError) fail(what, `isError: ${textOf(r)}`);
        if (s.text !== undefined && !textOf(r).includes(s.text))
            fail(what, `text ${JSON.stringify(textOf(r))} lacks ${JSON.stringify(s.text)}`);
        if (s.op === 'progress' && progress < (s.min ?? 1))
            fail(what, `${progress} progress notifications`);
        ok(`${what}${s.op === 'progress' ? ` (${progress} progress notifications)` : ''}`);
        return;
    }
    if (s.op === 'prompt') {
        const r = await client.getPrompt({ name: s.name, arguments: s.args ?? {} });
        if (s.text !== undefined && !textOf(r).includes(s.text))
            fail(what, `text ${JSON.stringify(textOf(r))} lacks ${JSON.stringify(s.text)}`);
        ok(what);
        return;
    }
    if (s.op === 'read') {
        const r = await client.readResource({ uri: s.uri });
        if (s.text !== undefined && !textOf(r).includes(s.text))
            fail(what, `text ${JSON.stringify(textOf(r))} lacks ${JSON.stringify(s.text)}`);
        ok(what);
        return;
    }
    if (s.op === 'level') {
        await client.setLoggingLevel(s.level);
        ok(what);
        return;
    }
    fail(what, 'unknown op');
}

for (const s of plan) {
    try {
        await step(s);
    } catch (e) {
        fail(`${s.op} ${s.what ?? s.name ?? s.uri ?? ''}`, String(e?.message ?? e));
    }
}
await client.close();
process.exit(0);
