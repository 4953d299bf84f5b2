// upstream_ndjson.mjs: a 2026-07-28 MCP upstream that streams its answers
// as a chunked application/json body, one JSON-RPC message a line (the
// framing the conformance repository's reference server uses for
// subscriptions/listen), for mcpgw's test of streamed JSON bodies
// (tests/integration/proxy_jsonseq.sh).  Only node:http.
//
// It serves http://127.0.0.1:PORT/mcp (loopback only):
//   server/discover        plain JSON (one object, no newline)
//   tools/list             plain JSON
//   subscriptions/listen   the acknowledgement line at once, then the stream
//                          held open: a blank line every 250 ms (whitespace
//                          a reader skips), notifications/tools/list_changed
//                          LATER_MS (--later=MS, default 1000) after the
//                          acknowledgement, and on every list change;
//                          with the param "x-ack-without-newline": true
//                          the acknowledgement has no newline after it
//                          until the next message
//   tools/call with name
//     test_trigger_tool_change / test_trigger_prompt_change
//                          a list change to every listen that asked for it
//     lines                a plain request answered by several lines: two
//                          notifications/progress, then the result
//     pretty               one result object written over many lines, in
//                          chunks, with no newline after it
//     garbage              a progress line, then a line of garbage
//     long                 a progress line, then a line of --long=BYTES
//     cut                  a progress line, half a line, then the socket
//                          closed (the chunked body never ends)
//     nonewline            --long=BYTES without a newline, then held open
// Every tools/call writes "call NAME" on stdout, every listen "listen ID
// open" and "listen ID closed", for the test to follow.
//
// Run:   node upstream_ndjson.mjs PORT [--later=MS] [--long=BYTES]
// It prints `listening PORT` once it listens and exits on SIGTERM/SIGINT.

import http from 'node:http';

const port = Number(process.argv[2]);
const opt = (name, def) => {
    const a = process.argv.find((s) => s.startsWith(`--${name}=`));
    return a ? Number(a.slice(name.length + 3)) : def;
};
const LATER_MS = opt('later', 1000);
const LONG = opt('long', 70000);
const VERSION = '2026-07-28';
const SUB = 'io.modelcontextprotocol/subscriptionId';
const listens = new Set();
let toolsVersion = 0;

const line = (m) => JSON.stringify({ jsonrpc: '2.0', ...m }) + '\n';

function plain(res, status, msg) {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', ...msg }));
}

function error(res, status, id, code, message) {
    plain(res, status, { id, error: { code, message } });
}

// A chunked application/json answer, written line by line.
function stream(res) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
}

function notifyListChanged(kind) {
    for (const l of listens)
        if (l.filter[`${kind}ListChanged`])
            l.res.write(line({ method: `notifications/${kind}/list_changed`,
                params: { _meta: { [SUB]: l.id } } }));
}

function listen(req, res, id, params) {
    const asked = params.notifications ?? {};
    const filter = {};
    for (const k of ['toolsListChanged', 'promptsListChanged'])
        if (asked[k] === true) filter[k] = true;
    const l = { id, filter, res };
    stream(res);
    const ack = line({ method: 'notifications/subscriptions/acknowledged',
        params: { notifications: filter, _meta: { [SUB]: id } } });
    res.write(params['x-ack-without-newline'] === true ? ack.trimEnd() : ack);
    listens.add(l);
    console.log(`listen ${JSON.stringify(id)} open`);
    const blank = setInterval(() => res.write('\n'), params['x-ack-without-newline'] ? 2000 : 250);
    const later = setTimeout(() => {
        if (filter.toolsListChanged)
            res.write('\n' + line({ method: 'notifications/tools/list_changed',
                params: { _meta: { [SUB]: id } } }));
    }, LATER_MS);
    res.on('close', () => {
        clearInterval(blank);
        clearTimeout(later);
        listens.delete(l);
        console.log(`listen ${JSON.stringify(id)} closed`);
    });
}

const progress = (n) => line({ method: 'notifications/progress',
    params: { progressToken: 'p', progress: n, total: 2 } });
const text = (t) => ({ resultType: 'complete', content: [{ type: 'text', text: t }] });

function call(req, res, id, name) {
    console.log(`call ${name}`);
    switch (name) {
    case 'test_trigger_tool_change':
        toolsVersion++;
        notifyListChanged('tools');
        return plain(res, 200, { id, result: text('tools changed') });
    case 'test_trigger_prompt_change':
        notifyListChanged('prompts');
        return plain(res, 200, { id, result: text('prompts changed') });
    case 'lines':
        stream(res);
        res.write(progress(1));
        setTimeout(() => {
            res.write(progress(2));
            setTimeout(() => res.end(line({ id, result: text('after two lines') })), 100);
        }, 100);
        return;
    case 'pretty': {
        const body = JSON.stringify({ jsonrpc: '2.0', id, result: text('pretty\nprinted') }, null, 2);
        stream(res);
        res.write(body.slice(0, 20));
        setTimeout(() => res.end(body.slice(20)), 100);
        return;
    }
    case 'garbage':
        stream(res);
        res.write(progress(1));
        setTimeout(() => res.write('this is not JSON\n'), 100);
        return;
    case 'long':
        stream(res);
        res.write(progress(1));
        res.write(line({ method: 'notifications/message',
            params: { level: 'info', data: 'x'.repeat(LONG) } }));
        return;
    case 'cut':
        stream(res);
        res.write(progress(1));
        res.write('{"jsonrpc":"2.0","id":');
        setTimeout(() => res.socket.destroy(), 100);
        return;
    case 'nonewline':
        stream(res);
        res.write('{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"');
        res.write('y'.repeat(LONG));
        return;
    default:
        return error(res, 404, id, -32601, `no tool ${name}`);
    }
}

function tools() {
    const names = ['test_trigger_tool_change', 'test_trigger_prompt_change',
        'lines', 'pretty', 'garbage', 'long', 'cut', 'nonewline'];
    return names.map((n) => ({ name: n, description: `${n} (version ${toolsVersion})`,
        inputSchema: { type: 'object', properties: {} } }));
}

function handle(req, res, msg) {
    const { id, method, params = {} } = msg;
    const meta = params._meta ?? {};
    const header = req.headers['mcp-protocol-version'];
    if (id === undefined)
        return error(res, 400, null, -32600, 'only requests are served here');
    if (!header || req.headers['mcp-method'] !== method)
        return error(res, 400, id, -32020, 'MCP-Protocol-Version or Mcp-Method header missing or not the body\'s');
    if (meta['io.modelcontextprotocol/protocolVersion'] === undefined ||
        meta['io.modelcontextprotocol/clientCapabilities'] === undefined)
        return error(res, 400, id, -32602, 'Invalid params: missing _meta keys');
    if (meta['io.modelcontextprotocol/protocolVersion'] !== header)
        return error(res, 400, id, -32020, 'MCP-Protocol-Version does not match _meta');
    if (header !== VERSION)
        return plain(res, 400, { id, error: { code: -32022, message: 'Unsupported protocol version',
            data: { supported: [VERSION], requested: header } } });
    switch (method) {
    case 'server/discover':
        return plain(res, 200, { id, result: { resultType: 'complete', ttlMs: 0, cacheScope: 'private',
            supportedVersions: [VERSION],
            capabilities: { tools: { listChanged: true }, prompts: { listChanged: true } },
            _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'upstream-ndjson', version: '1.0.0' } } } });
    case 'tools/list':
        return plain(res, 200, { id, result: { resultType: 'complete', ttlMs: 0, cacheScope: 'private', tools: tools() } });
    case 'tools/call':
        return call(req, res, id, params.name);
    case 'subscriptions/listen':
        return listen(req, res, id, params);
    default:
        return error(res, 404, id, -32601, `Method not found: ${method}`);
    }
}

const server = http.createServer((req, res) => {
    if (req.url !== '/mcp')
        return error(res, 404, null, -32601, 'not the MCP endpoint');
    if (req.method !== 'POST') {
        res.writeHead(405, { Allow: 'POST' });
        return res.end();
    }
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
        let msg;
        try {
            msg = JSON.parse(body);
        } catch {
            return error(res, 400, null, -32700, 'Parse error');
        }
        handle(req, res, msg);
    });
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
for (const sig of ['SIGTERM', 'SIGINT'])
    process.on(sig, () => process.exit(0));
