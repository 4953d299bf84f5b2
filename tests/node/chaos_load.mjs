// Steady MCP load on mcpgw while its processes are reloaded and killed,
// with a record of every request, so that a test can tell the failures
// a killed process caused (its requests in flight) from any other.
//
// usage:
//   node chaos_load.mjs run SECONDS OUT.jsonl SESSIONS URL...
//     For each URL (a route: built-in or mcp_pass), SESSIONS sessions, each
//     with two lanes of tools/call echo, one lane of tools/call sleep
//     (100 to 900 ms) and one GET stream that is opened again, on the same
//     session, whenever it ends.  For SECONDS, or until OUT.jsonl.stop
//     exists; then one last echo per session and a DELETE.  Every request
//     is one line of OUT.jsonl:
//       {k, u, s, sid, t0, t1, st, cls, err}
//     k: init, call, sleep, get, last, delete; u: route index; s: session;
//     t0, t1: sent and ended (ms since the epoch, as `date +%s%3N`); st:
//     HTTP status (0 if none); cls: ok, net (no HTTP answer: refused,
//     reset), rpc (a JSON-RPC error), http (another status), lost (404 or
//     400: the session is gone), wrong (an answer not to this request).
//     An ended GET stream is a line {k: "getend", t1, err}.
//   node chaos_load.mjs check OUT.jsonl EVENTS GRACE_MS WINDOW_MS
//     EVENTS: lines "WHAT MS" (kill-worker, kill-connector, reload, ...;
//     phase-kills: the reload phase ends, the first kill is sent next).
//     A failed request is excused when it was in flight at a kill (the
//     stamp is taken once the process is dead): sent before it, or at
//     most GRACE_MS after it (the client and the workers see the death
//     a little later: a worker may still relay a request on the link it
//     has not yet found closed), ended at most WINDOW_MS after it, and an
//     error of a process gone: a JSON-RPC -32000 or HTTP 502/503 (but not
//     "the connector process is not available": a request must wait for
//     the new connector), or a broken connection to a killed worker.
//     Prints "name value" lines for the test to judge, and examples of
//     what is not excused.
//
// Plain fetch (Node >= 18), no packages.

import fs from 'node:fs';

const VERSION = '2025-11-25';
const RUN = Math.random().toString(36).slice(2, 10);
const HDRS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

// ---- run -----------------------------------------------------------------

function record(out, r) {
	out.push(JSON.stringify(r));
	if (out.length >= 200) flush(out);
}
function flush(out) {
	if (out.length) fs.appendFileSync(out.file, out.join('\n') + '\n');
	out.length = 0;
}

// The one JSON-RPC message of an answer: a JSON body, or the SSE event
// that carries the response to ID.
function answerOf(ct, text, id) {
	if (ct.startsWith('application/json')) return JSON.parse(text);
	for (const block of text.split(/\r?\n\r?\n/)) {
		const data = block.split(/\r?\n/).filter((l) => l.startsWith('data:'))
			.map((l) => l.slice(5).replace(/^ /, '')).join('\n');
		if (!data) continue;
		const m = JSON.parse(data);
		if (m.id === id) return m;
	}
	throw new Error('no response in the stream');
}

async function post(url, body, headers) {
	const res = await fetch(url, { method: 'POST', headers: { ...HDRS, ...headers }, body: JSON.stringify(body) });
	const text = await res.text();
	return { res, text };
}

// One request: its line says when, how it ended and why.
async function request(out, line, fn) {
	line.t0 = Date.now();
	try {
		const r = await fn();
		Object.assign(line, r);
	} catch (e) {
		line.st = 0;
		line.cls = 'net';
		line.err = `${e.message}${e.cause ? ': ' + (e.cause.code || e.cause.message) : ''}`;
	}
	line.t1 = Date.now();
	record(out, line);
	return line.cls === 'ok';
}

// Judge a tools/call answer: CHECK(result) says whether it is this call's.
function judge(res, text, id, check) {
	const st = res.status;
	if (st === 404 || st === 400) return { st, cls: 'lost', err: text.slice(0, 200) };
	if (st !== 200) return { st, cls: 'http', err: text.slice(0, 200) };
	let m;
	try {
		m = answerOf(res.headers.get('content-type') || '', text, id);
	} catch (e) {
		return { st, cls: 'wrong', err: `${e.message}: ${text.slice(0, 200)}` };
	}
	if (m.id !== id) return { st, cls: 'wrong', err: `id ${JSON.stringify(m.id)}: ${text.slice(0, 200)}` };
	if (m.error) return { st, cls: 'rpc', err: `${m.error.code} ${m.error.message}` };
	if (!check(m.result)) return { st, cls: 'wrong', err: text.slice(0, 200) };
	return { st, cls: 'ok', err: null };
}

function textOf(result) {
	return result && Array.isArray(result.content) && result.content[0] && result.content[0].text;
}

class Session {
	constructor(out, url, u, s) {
		Object.assign(this, { out, url, u, s, n: 0, sid: null, abort: new AbortController() });
	}
	headers() {
		return { 'mcp-session-id': this.sid, 'mcp-protocol-version': VERSION };
	}
	async init() {
		const id = `init-${RUN}-${this.u}-${this.s}`;
		return request(this.out, { k: 'init', u: this.u, s: this.s }, async () => {
			const { res, text } = await post(this.url, { jsonrpc: '2.0', id, method: 'initialize',
				params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'chaos', version: '1' } } }, {});
			const j = judge(res, text, id, (r) => r && r.protocolVersion === VERSION);
			this.sid = res.headers.get('mcp-session-id');
			if (j.cls !== 'ok' || !this.sid) return j.cls === 'ok' ? { ...j, cls: 'wrong', err: 'no session id' } : j;
			const n = await post(this.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, this.headers());
			if (n.res.status !== 202) return { st: n.res.status, cls: 'http', err: `initialized: ${n.text.slice(0, 200)}` };
			return { ...j, sid: this.sid };
		});
	}
	async call(kind, name, args, expect) {
		const c = this.n++;
		const id = c % 2 ? `${RUN}-${this.u}-${this.s}-${c}` : this.u * 1e9 + this.s * 1e6 + c;
		return request(this.out, { k: kind, u: this.u, s: this.s, sid: this.sid, id }, async () => {
			const { res, text } = await post(this.url,
				{ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }, this.headers());
			return judge(res, text, id, (r) => textOf(r) === expect);
		});
	}
	echo(kind = 'call') {
		const msg = `${RUN} ${this.u}/${this.s} ${this.n} ${Math.random().toString(36).slice(2)}`;
		return this.call(kind, 'echo', { message: msg }, `echo: ${msg}`);
	}
	sleep() {
		const ms = 100 + Math.floor(Math.random() * 800);
		return this.call('sleep', 'sleep', { ms }, `slept ${ms} ms`);
	}
	// The GET stream, open until the run ends: opened again on its end.
	async stream(going) {
		while (going()) {
			let res = null;
			const line = { k: 'get', u: this.u, s: this.s, sid: this.sid };
			await request(this.out, line, async () => {
				res = await fetch(this.url, { method: 'GET', signal: this.abort.signal,
					headers: { accept: 'text/event-stream', ...this.headers() } });
				const ct = res.headers.get('content-type') || '';
				if (res.status === 404 || res.status === 400)
					return { st: res.status, cls: 'lost', err: (await res.text()).slice(0, 200) };
				if (res.status !== 200 || !ct.startsWith('text/event-stream'))
					return { st: res.status, cls: 'http', err: `${ct} ${(await res.text()).slice(0, 200)}` };
				return { st: 200, cls: 'ok', err: null };
			});
			if (line.cls !== 'ok') {
				await new Promise((r) => setTimeout(r, 50));
				continue;
			}
			let err = null;
			try {
				for await (const chunk of res.body) void chunk;
			} catch (e) {
				err = e.name === 'AbortError' ? null : `${e.message}${e.cause ? ': ' + (e.cause.code || e.cause.message) : ''}`;
			}
			record(this.out, { k: 'getend', u: this.u, s: this.s, t1: Date.now(), err });
		}
	}
}

async function run(seconds, file, sessions, urls) {
	const out = [];
	out.file = file;
	fs.writeFileSync(file, '');
	const all = [];
	urls.forEach((url, u) => {
		for (let s = 0; s < sessions; s++) all.push(new Session(out, url, u, s));
	});
	await Promise.all(all.map((x) => x.init()));
	let until = Date.now() + seconds * 1000;
	const stop = setInterval(() => {
		if (fs.existsSync(`${file}.stop`)) until = Math.min(until, Date.now());
	}, 100);
	console.log(`# ${all.length} sessions on ${urls.length} routes, ${seconds} s`);
	const going = () => Date.now() < until;
	const lane = async (fn) => {
		while (going()) if (!(await fn())) await new Promise((r) => setTimeout(r, 20));
	};
	const live = all.filter((x) => x.sid);
	const streams = live.map((x) => x.stream(going));
	await Promise.all(live.flatMap((x) => [lane(() => x.echo()), lane(() => x.echo()), lane(() => x.sleep())]));
	clearInterval(stop);
	for (const x of live) x.abort.abort();
	await Promise.all(streams);
	// every session is still there, under the id it was given
	await Promise.all(live.map((x) => x.echo('last')));
	await Promise.all(live.map((x) => request(out, { k: 'delete', u: x.u, s: x.s, sid: x.sid }, async () => {
		const res = await fetch(x.url, { method: 'DELETE', headers: x.headers() });
		await res.text();
		return res.status >= 200 && res.status < 300 ? { st: res.status, cls: 'ok', err: null }
			: { st: res.status, cls: res.status === 404 ? 'lost' : 'http', err: `DELETE: HTTP ${res.status}` };
	})));
	flush(out);
	console.log(`# done: ${live.length}/${all.length} sessions started`);
}

// ---- check ---------------------------------------------------------------

function check(file, events, grace, window) {
	const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
	const ev = fs.readFileSync(events, 'utf8').split('\n').filter(Boolean).map((l) => {
		const [what, t] = l.split(/\s+/);
		return { what, t: +t };
	});
	const kills = ev.filter((e) => e.what.startsWith('kill'));
	const firstKill = kills.length ? Math.min(...kills.map((k) => k.t)) : Infinity;
	const reqs = lines.filter((l) => l.k !== 'getend');
	const failed = reqs.filter((l) => l.cls !== 'ok');
	const gone = (l, k) => !/not available/.test(l.err) &&
		((l.cls === 'rpc' && /^-32000 /.test(l.err)) || (l.cls === 'http' && [502, 503].includes(l.st)) ||
		 (l.cls === 'net' && k.what === 'kill-worker'));
	const excused = (l) => kills.some((k) => l.t0 <= k.t + grace && l.t1 >= k.t - 100 && l.t1 <= k.t + window &&
		gone(l, k));
	const bad = failed.filter((l) => !excused(l));
	// the reload phase: what ended before the first kill was sent
	const phase = ev.find((e) => e.what === 'phase-kills');
	const phaseEnd = phase ? phase.t : firstKill;
	const before = reqs.filter((l) => l.t0 < phaseEnd && l.t1 < phaseEnd);
	const say = (name, v) => console.log(`${name} ${v}`);
	say('requests', reqs.length);
	say('proxied', reqs.filter((l) => l.u > 0).length);
	say('reload_phase_requests', before.length);
	say('reload_phase_failed', before.filter((l) => l.cls !== 'ok').length);
	say('reload_phase_failed_proxied', before.filter((l) => l.cls !== 'ok' && l.u > 0).length);
	say('reload_phase_get_failed', before.filter((l) => l.cls !== 'ok' && l.k === 'get').length);
	const kinds = {};
	for (const l of before.filter((x) => x.cls !== 'ok')) {
		const kind = l.cls === 'rpc' ? `rpc${l.err.split(' ')[0]}` : l.cls === 'http' ? `http${l.st}` : l.cls;
		kinds[kind] = (kinds[kind] || 0) + 1;
	}
	say('reload_phase_kinds', Object.entries(kinds).map(([k, n]) => `${k}:${n}`).join(',') || '-');
	for (const l of before.filter((x) => x.cls !== 'ok').slice(0, 12))
		console.log(`# reload phase: ${l.k} route ${l.u} session ${l.s} sent ${l.t0} ended ${l.t1} ` +
			`(+${l.t1 - l.t0} ms) ${l.cls} ${l.st} ${l.err}`);
	say('failed', failed.length);
	say('excused', failed.length - bad.length);
	say('unexcused', bad.length);
	say('lost', reqs.filter((l) => l.cls === 'lost').length);
	say('wrong', reqs.filter((l) => l.cls === 'wrong').length);
	// every session kept its id to the end and its stream was reopened
	const sids = new Map(), gets = new Map(), ends = new Map();
	let changed = 0;
	for (const l of reqs) {
		const key = `${l.u}/${l.s}`;
		if (l.k === 'init') sids.set(key, l.sid);
		else if (l.sid && sids.get(key) !== l.sid) changed++;
		if (l.k === 'get' && l.cls === 'ok') gets.set(key, (gets.get(key) || 0) + 1);
	}
	for (const l of lines) if (l.k === 'getend') ends.set(`${l.u}/${l.s}`, (ends.get(`${l.u}/${l.s}`) || 0) + 1);
	const last = reqs.filter((l) => l.k === 'last');
	say('sessions', sids.size);
	say('sessions_started', [...sids.values()].filter(Boolean).length);
	say('session_id_changed', changed);
	say('last_calls_ok', last.filter((l) => l.cls === 'ok').length);
	say('deletes_ok', reqs.filter((l) => l.k === 'delete' && l.cls === 'ok').length);
	say('get_opens', [...gets.values()].reduce((a, b) => a + b, 0));
	say('get_ends', [...ends.values()].reduce((a, b) => a + b, 0));
	say('sessions_get_reopened', [...gets.values()].filter((n) => n >= 2).length);
	say('sessions_get_min_opens', sids.size ? Math.min(...[...sids.keys()].map((k) => gets.get(k) || 0)) : 0);
	for (const l of bad.slice(0, 12))
		console.log(`# not excused: ${l.k} route ${l.u} session ${l.s} sent ${l.t0} ended ${l.t1} (+${l.t1 - l.t0} ms) ` +
			`${l.cls} HTTP ${l.st}: ${l.err}`);
	const near = (t) => ev.filter((e) => Math.abs(e.t - t) < 3000).map((e) => `${e.what}@${e.t}`).join(' ');
	for (const l of bad.slice(0, 3)) console.log(`#   events near ${l.t0}: ${near(l.t0)}`);
}

const [cmd, ...args] = process.argv.slice(2);
setTimeout(() => {
	console.log('FAIL: chaos_load.mjs did not end within its bound');
	process.exit(1);
}, cmd === 'run' ? (+args[0] + 30) * 1000 : 30000).unref();
if (cmd === 'run' && args.length >= 4) await run(+args[0], args[1], +args[2], args.slice(3));
else if (cmd === 'check' && args.length === 4) check(args[0], args[1], +args[2], +args[3]);
else {
	console.log('usage: node chaos_load.mjs run SECONDS OUT SESSIONS URL... | check OUT EVENTS GRACE_MS WINDOW_MS');
	process.exit(2);
}
