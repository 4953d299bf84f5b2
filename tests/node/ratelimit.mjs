// Load on limit_req and limit_conn (tests/integration/limit_req.sh).
//
// node ratelimit.mjs load LIMITED_URL SECONDS CONNS RATE
//   CONNS keep-alive connections call tools/call on LIMITED_URL for
//   SECONDS, each RATE times a second.  Every answer is checked: 200 with
//   the echo, or 429 with Retry-After and a JSON-RPC error that carries
//   the request's id.  Prints one JSON line of counts.
// node ratelimit.mjs probe URL SECONDS
//   One echo call after another on URL (5 ms apart) for SECONDS, in a
//   process of its own: prints the count, p99 latency and failures.
// node ratelimit.mjs conn URL N MS
//   N sleep calls of MS ms at once: prints how many were answered 200 and
//   how many 429.
// Requests are 2026-07-28 (stateless), so no session is needed.
import http from 'node:http';

const V = '2026-07-28';
const META = {
	'io.modelcontextprotocol/protocolVersion': V,
	'io.modelcontextprotocol/clientCapabilities': {},
};

function call(agent, url, id, tool, args) {
	const body = JSON.stringify({
		jsonrpc: '2.0', id, method: 'tools/call',
		params: { name: tool, arguments: args, _meta: META },
	});
	return new Promise((resolve, reject) => {
		const t0 = performance.now();
		const req = http.request(url, {
			method: 'POST', agent,
			headers: {
				'content-type': 'application/json',
				accept: 'application/json, text/event-stream',
				'mcp-protocol-version': V,
				'mcp-method': 'tools/call',
				'mcp-name': tool,
				'content-length': Buffer.byteLength(body),
			},
		}, (res) => {
			let text = '';
			res.setEncoding('utf8');
			res.on('data', (d) => { text += d; });
			res.on('end', () => resolve({
				status: res.statusCode, headers: res.headers, text,
				ms: performance.now() - t0,
			}));
		});
		req.on('error', reject);
		req.end(body);
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function p99(a) {
	const s = [...a].sort((x, y) => x - y);
	return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] : 0;
}

// one request after another on URL until STOP() says so
async function probe(url, stop) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
	const lat = [];
	let id = 0, bad = 0;
	while (!stop()) {
		const r = await call(agent, url, `p${id++}`, 'echo', { message: 'probe' });
		if (r.status !== 200) bad++;
		lat.push(r.ms);
		await sleep(5);
	}
	agent.destroy();
	return { n: lat.length, p99: p99(lat), bad };
}

function check429(r, id, stats) {
	let ok = false;
	try {
		const m = JSON.parse(r.text);
		ok = m.id === id && m.error && m.error.message === 'rate limit exceeded' &&
			Number.isInteger(m.error.code) && /^[1-9][0-9]*$/.test(r.headers['retry-after'] || '');
	} catch { /* not JSON */ }
	if (!ok && stats.bad.length < 5) stats.bad.push(`${r.status} ${r.headers['retry-after']} ${r.text}`);
	return ok;
}

async function load(limited, seconds, conns, rate) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
	const stats = { admitted: 0, refused: 0, bad: [], other: 0 };
	const t0 = performance.now();
	const end = t0 + seconds * 1000;
	const worker = async (c) => {
		let n = 0;
		// the connections take turns: arrivals evenly spread, not in
		// waves of CONNS at once (which a burst of 0 would cut to one)
		for (let next = t0 + (c * 1000) / rate / conns; next < end; next += 1000 / rate) {
			const wait = next - performance.now();
			if (wait > 0) await sleep(wait);
			const id = c * 1000000 + n++;
			const r = await call(agent, limited, id, 'echo', { message: `m${id}` });
			if (r.status === 200 && r.text.includes(`"echo: m${id}"`)) stats.admitted++;
			else if (r.status === 429 && check429(r, id, stats)) stats.refused++;
			else {
				stats.other++;
				if (stats.bad.length < 5) stats.bad.push(`${r.status} ${r.text}`);
			}
		}
	};
	await Promise.all(Array.from({ length: conns }, (_, c) => worker(c)));
	const elapsed = (performance.now() - t0) / 1000;
	agent.destroy();
	console.log(JSON.stringify({
		admitted: stats.admitted, refused: stats.refused, other: stats.other,
		bad: stats.bad, elapsed,
	}));
}

async function conn(url, n, ms) {
	const agent = new http.Agent({ keepAlive: false, maxSockets: n });
	const rs = await Promise.all(Array.from({ length: n }, (_, i) =>
		call(agent, url, i, 'sleep', { ms })));
	const c = { ok: 0, refused: 0, other: 0 };
	for (const r of rs) {
		if (r.status === 200 && r.text.includes(`slept ${ms} ms`)) c.ok++;
		else if (r.status === 429 && r.text.includes('concurrency limit exceeded')) c.refused++;
		else c.other++;
	}
	console.log(JSON.stringify(c));
}

const [mode, ...a] = process.argv.slice(2);
if (mode === 'load') await load(a[0], Number(a[1]), Number(a[2]), Number(a[3]));
else if (mode === 'probe') {
	const end = Date.now() + Number(a[1]) * 1000;
	console.log(JSON.stringify(await probe(a[0], () => Date.now() > end)));
}
else if (mode === 'conn') await conn(a[0], Number(a[1]), Number(a[2]));
else { console.log('usage: see the opening comment'); process.exit(2); }
