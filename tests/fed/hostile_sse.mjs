// hostile_sse.mjs: a misbehaving server of the 2024-11-05 HTTP+SSE transport, for
// tests/integration/legacy_sse.sh (Node's http module only).
// Usage: node hostile_sse.mjs PORT [CERT KEY]
// It listens on 127.0.0.1:PORT (https with CERT and KEY); each GET path is one way to fail:
//   /elsewhere  the endpoint event names another host (http://127.0.0.2:PORT/message);
//   /scheme     the endpoint event names the same host and port over http (another
//               scheme when the server is https);
//   /silent     no endpoint event ever (keep-alive comments only);
//   /cut        a good endpoint; the answer to a request is cut off mid-event, the stream
//               closed;
//   /big        a good endpoint; the answer to a request is a 4 KB event (JSON);
//   /garbage    a good endpoint; before each answer: an event that is not JSON, an unknown
//               event type, a JSON array, a message with no id nor method; then the answer
//               (an initialize's result, else {"ok":true}).
// POST /message?s=PATH takes a message: 202, and the answer on that stream.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const port = Number(process.argv[2]);
const streams = new Map(); // path -> response of its GET stream

function answer(msg) {
    if (msg.method === 'initialize') {
        return { jsonrpc: '2.0', id: msg.id, result: { protocolVersion: '2024-11-05', capabilities: {}, serverInfo: { name: 'hostile', version: '1' } } };
    }
    return { jsonrpc: '2.0', id: msg.id, result: { ok: true } };
}

const tls = process.argv[3] ? { cert: fs.readFileSync(process.argv[3]), key: fs.readFileSync(process.argv[4]) } : null;
const handler = (req, res) => {
    const url = new URL(req.url, `http://127.0.0.1:${port}`);
    if (req.method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
        const path = url.pathname;
        streams.set(path, res);
        if (path === '/elsewhere') res.write(`event: endpoint\ndata: http://127.0.0.2:${port}/message?s=${path}\n\n`);
        else if (path === '/scheme') res.write(`event: endpoint\ndata: http://127.0.0.1:${port}/message?s=${path}\n\n`);
        else if (path === '/silent') {
            const t = setInterval(() => res.write(': still here\n\n'), 200);
            res.on('close', () => clearInterval(t));
        } else res.write(`event: endpoint\ndata: /message?s=${path}\n\n`);
        return;
    }
    if (req.method === 'POST' && url.pathname === '/message') {
        let body = '';
        req.on('data', d => (body += d));
        req.on('end', () => {
            res.writeHead(202).end('Accepted');
            const s = streams.get(url.searchParams.get('s'));
            let msg;
            try {
                msg = JSON.parse(body);
            } catch {
                return;
            }
            if (!s || msg.id === undefined || !msg.method) return;
            const text = JSON.stringify(answer(msg));
            if (url.searchParams.get('s') === '/cut' && msg.method !== 'initialize') {
                s.write(`event: message\ndata: ${text.slice(0, 20)}`);
                setTimeout(() => s.destroy(), 50);
                return;
            }
            if (url.searchParams.get('s') === '/big' && msg.method !== 'initialize') {
                s.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { pad: 'x'.repeat(4096) } })}\n\n`);
                return;
            }
            if (url.searchParams.get('s') === '/garbage') {
                s.write('event: message\ndata: this is not JSON\n\n');
                s.write('event: surprise\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n');
                s.write('event: message\ndata: [1,2,3]\n\n');
                s.write('event: message\ndata: {"jsonrpc":"2.0"}\n\n');
            }
            s.write(`event: message\ndata: ${text}\n\n`);
        });
        return;
    }
    res.writeHead(404).end();
};
const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
server.listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
