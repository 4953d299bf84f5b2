// trace_upstream.mjs: the upstream of mcpgw's trace context test
// (tests/integration/trace.sh), an MCP server built on the official
// TypeScript SDK v2 (createMcpHandler: the 2026-07-28 revision, and 2025
// clients served by the SDK's stateless fallback), with a hook in front of
// it that records the trace context of every HTTP request it gets.
//
//   node trace_upstream.mjs PORT NAME
//
// Serves http://127.0.0.1:PORT/mcp (bound to 127.0.0.1), with one tool:
//   echo {message}   "NAME: MESSAGE"
// and, not MCP, GET /seen: the requests so far as a JSON array of
//   {http, method, tag, traceparent, tracestate, meta_traceparent,
//    meta_tracestate, hops}
// (headers as they came, null when absent; tag: the echo's message;
// meta_*: params._meta's, as the body came).  Prints "listening PORT" once
// it listens; exits on SIGTERM/SIGINT.

import http from 'node:http';
import * as z from 'zod';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';

const port = Number(process.argv[2]);
const name = process.argv[3] ?? 'upstream';
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error('usage: node trace_upstream.mjs PORT NAME');
    process.exit(2);
}

function buildServer() {
    const mcp = new McpServer({ name: `trace-${name}`, version: '1.0.0' }, { capabilities: {} });
    mcp.registerTool('echo', { description: 'Echoes the message back', inputSchema: z.object({ message: z.string() }) }, ({ message }) => ({
        content: [{ type: 'text', text: `${name}: ${message}` }]
    }));
    return mcp;
}

const handler = createMcpHandler(buildServer, { legacy: 'stateless' });
const seen = [];

// The hook: what the request says of its trace, before the SDK sees it.
function record(req, body) {
    let msg = null;
    try {
        msg = body.length ? JSON.parse(body.toString()) : null;
    } catch {
        msg = null;
    }
    const meta = msg?.params?._meta ?? {};
    const one = (h) => (Array.isArray(h) ? h.join(',') : (h ?? null));
    seen.push({
        http: req.method,
        method: msg?.method ?? null,
        tag: msg?.params?.arguments?.message ?? null,
        traceparent: one(req.headers.traceparent),
        tracestate: one(req.headers.tracestate),
        meta_traceparent: meta.traceparent ?? null,
        meta_tracestate: meta.tracestate ?? null,
        hops: req.headers['mcp-gateway-hops'] ?? null
    });
}

async function serve(req, res) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    if (req.url === '/seen') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(seen));
    }
    record(req, body);
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    const init = { method: req.method, headers };
    if (req.method !== 'GET' && req.method !== 'HEAD') init.body = body;
    const response = await handler.fetch(new Request(new URL(req.url, `http://127.0.0.1:${port}`), init));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(response.body ? Buffer.from(await response.arrayBuffer()) : undefined);
}

const server = http.createServer((req, res) =>
    serve(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
    })
);
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
