// A burst of MCP initializes at once, as many clients arriving together:
// node fd_burst.mjs N TIMEOUT_MS URL...  sends N POSTs of initialize
// spread over the URLs, all at once, each on its own connection, and
// waits for every answer (any HTTP status is an answer; a JSON-RPC result
// or error in the body is noted).  Prints one JSON line per URL:
// {"url","sent","answered","ok","errors","lost","statuses","max_ms"}:
// ok are 200s with a result, errors are answers with an HTTP error status
// or a JSON-RPC error, lost are requests with no answer within TIMEOUT_MS
// (or a connection broken without one), with the first such reason.
import http from 'node:http';

const [n, timeout, ...urls] = process.argv.slice(2);
const N = Number(n), T = Number(timeout);
const body = JSON.stringify({
	jsonrpc: '2.0', id: 1, method: 'initialize',
	params: { protocolVersion: '2025-11-25', capabilities: {},
		clientInfo: { name: 'fd_burst', version: '1' } },
});

function one(url) {
	const t0 = Date.now();
	return new Promise((resolve) => {
		let done = false;
		const finish = (r) => {
			if (done) return;
			done = true;
			r.ms = Date.now() - t0;
			resolve(r);
		};
		const req = http.request(url, {
			method: 'POST', agent: false,
			headers: { 'content-type': 'application/json',
				accept: 'application/json, text/event-stream',
				'content-length': Buffer.byteLength(body) },
		}, (res) => {
			let text = '';
			res.setEncoding('utf8');
			// an SSE answer: the stream may stay open after the
			// answer; the answer is enough
			res.on('data', (d) => {
				text += d;
				if (/"(result|error)"/.test(text) && res.headers['content-type']?.startsWith('text/event-stream')) {
					req.destroy();
					finish({ status: res.statusCode, text });
				}
			});
			res.on('end', () => finish({ status: res.statusCode, text }));
			res.on('error', (e) => finish({ lost: 'response: ' + e.code }));
		});
		req.on('error', (e) => finish({ lost: e.code || String(e) }));
		req.setTimeout(T, () => {
			finish({ lost: `no answer within ${T} ms` });
			req.destroy();
		});
		req.end(body);
	});
}

const all = [];
for (let i = 0; i < N; i++)
	all.push(one(urls[i % urls.length]).then((r) => ({ url: urls[i % urls.length], ...r })));
const rs = await Promise.all(all);
for (const url of urls) {
	const mine = rs.filter((r) => r.url === url);
	const s = { url, sent: mine.length, answered: 0, ok: 0, errors: 0, lost: 0,
		statuses: {}, max_ms: 0, why: '' };
	for (const r of mine) {
		s.max_ms = Math.max(s.max_ms, r.ms);
		if (r.lost) {
			s.lost++;
			s.why ||= r.lost;
			continue;
		}
		s.answered++;
		s.statuses[r.status] = (s.statuses[r.status] || 0) + 1;
		if (r.status === 200 && /"result"/.test(r.text)) s.ok++;
		else s.errors++;
	}
	console.log(JSON.stringify(s));
}
