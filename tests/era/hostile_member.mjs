// hostile_member.mjs: a member of 2026-07-28 that answers what a buggy or
// hostile MCP server may send, for mcpgw's federation_hostile.sh.  Plain
// node:http, no SDK: it serves server/discover and tools/list as a server
// of 2026-07-28 does, and acknowledges subscriptions/listen with a
// notifications/subscriptions/acknowledged whose params.notifications is
// ACK (JSON text; by default 5, not the object the revision wants), then
// keeps the stream open.
//
//   node hostile_member.mjs PORT [ACK]
//
// It prints `listening PORT` once it listens on 127.0.0.1.
import http from 'node:http';

const port = +process.argv[2];
const ack = JSON.parse(process.argv[3] ?? '5');
const complete = { resultType: 'complete' };

function answer(res, id, result) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id, result: { ...result, ...complete } }));
}

http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
        let m;
        try {
            m = JSON.parse(body);
        } catch {
            res.writeHead(400).end();
            return;
        }
        if (m.method === 'server/discover')
            answer(res, m.id, { supportedVersions: ['2026-07-28'], capabilities: { tools: {} },
                _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'hostile', version: '1' } } });
        else if (m.method === 'tools/list')
            answer(res, m.id, { tools: [{ name: 'x', inputSchema: { type: 'object' } }] });
        else if (m.method === 'subscriptions/listen') {
            res.writeHead(200, { 'Content-Type': 'text/event-stream' });
            res.write('data: ' + JSON.stringify({ jsonrpc: '2.0',
                method: 'notifications/subscriptions/acknowledged',
                params: { notifications: ack, _meta: { 'io.modelcontextprotocol/subscriptionId': m.id } } }) + '\n\n');
        } else if (m.id === undefined)
            res.writeHead(202).end();
        else {
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'Method not found' } }));
        }
    });
}).listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
