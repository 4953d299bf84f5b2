// paged_server.mjs: an MCP server over stdio that answers its lists in
// pages, for mcpgw's federation test of merged lists (the reference
// servers never paginate).  Written with the official TypeScript SDK v1's
// low-level Server (its list handlers take the cursor), newline-delimited
// JSON-RPC on stdin/stdout.
//
//   node paged_server.mjs NAME
//
// Tools NAME_t0 .. NAME_t9 (tools/list: 3 a page; each returns "NAME tN"),
// resources NAME://r0 .. NAME://r4 (resources/list: 2 a page; read returns
// "NAME rN").  Its cursors are "page-N"; any other cursor is -32602.

import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
    CallToolRequestSchema,
    ListResourcesRequestSchema,
    ListToolsRequestSchema,
    McpError,
    ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

const name = process.argv[2] ?? 'paged';
const tools = Array.from({ length: 10 }, (_, i) => ({
    name: `${name}_t${i}`,
    description: `tool ${i} of ${name}`,
    inputSchema: { type: 'object', properties: {} },
}));
const resources = Array.from({ length: 5 }, (_, i) => ({
    uri: `${name}://r${i}`,
    name: `r${i}`,
}));

function page(items, cursor, size) {
    let at = 0;
    if (cursor !== undefined) {
        const m = /^page-(\d+)$/.exec(cursor);
        if (!m || +m[1] >= items.length) throw new McpError(-32602, `bad cursor ${cursor}`);
        at = +m[1];
    }
    const out = { items: items.slice(at, at + size) };
    if (at + size < items.length) out.nextCursor = `page-${at + size}`;
    return out;
}

const server = new Server({ name: `paged-${name}`, version: '1.0.0' },
    { capabilities: { tools: {}, resources: {} } });
server.setRequestHandler(ListToolsRequestSchema, async (req) => {
    const p = page(tools, req.params?.cursor, 3);
    return { tools: p.items, ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) };
});
server.setRequestHandler(ListResourcesRequestSchema, async (req) => {
    const p = page(resources, req.params?.cursor, 2);
    return { resources: p.items, ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) };
});
server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const t = tools.find((x) => x.name === req.params.name);
    if (!t) throw new McpError(-32602, `Unknown tool: ${req.params.name}`);
    return { content: [{ type: 'text', text: `${name} ${t.name.slice(name.length + 1)}` }] };
});
server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    const r = resources.find((x) => x.uri === req.params.uri);
    if (!r) throw new McpError(-32602, `Unknown resource: ${req.params.uri}`);
    return { contents: [{ uri: r.uri, text: `${name} ${r.name}` }] };
});
await server.connect(new StdioServerTransport());
