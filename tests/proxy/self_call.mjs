// The self-call guarantee of mcpgw, from the outside: routes whose upstream
// is the gateway itself.  One check per command; each prints "ok - WHAT"
// lines, or "FAIL: WHAT" with the evidence and exits 1.  Hard limit 60 s.
//
//   node self_call.mjs first   URL            (a) the first call through URL
//   node self_call.mjs burst   URL N          (b) N fresh sessions at once
//   node self_call.mjs chain   URL [INNER]    (c) a chain of gateway hops
//                                             (INNER: the second hop)
//   node self_call.mjs loop    URL            (d) a route to itself: 508
//   node self_call.mjs connector URL PID      (e) SIGKILL the connector PID
//                                             during a call
//
// URL is the gateway route (http://127.0.0.1:PORT/mcp ...).

import { answerTo, callBody, openSession, post, show, textOf, initBody } from './mcp_raw.mjs';

const hardStop = setTimeout(() => {
	console.log('FAIL: self_call.mjs did not finish within 60 s');
	process.exit(1);
}, 60000);

function fail(what) {
	console.log(`FAIL: ${what}`);
	process.exit(1);
}
const ok = (what) => console.log(`ok - ${what}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (ms) => `${ms.toFixed(1)} ms`;
const exchange = (r) =>
	r.status === 0 ? `no answer (${r.error}) after ${fmt(r.ms)}` : `HTTP ${r.status} ${r.ctype} after ${fmt(r.ms)}: ${r.raw.slice(0, 600)}`;

// An echo call through URL in session SID; the answer's text or a failure.
async function echo(url, sid, id, message) {
	const r = await post(url, callBody(id, 'echo', { message }), { sid });
	const a = answerTo(r, id);
	return { r, ok: r.status === 200 && textOf(a) === `echo: ${message}` && !a?.result?.isError };
}

const commands = {
	async first(url) {
		const t0 = performance.now();
		const s = await openSession(url);
		if (!s.sid) fail(`(a) initialize through ${url}: ${exchange(s.init)}`);
		if (s.result.serverInfo?.name !== 'mcpgw-demo')
			fail(`(a) initialize through ${url} was not answered by the demo server: ${show(s.result)}`);
		if (s.initialized.status !== 202) fail(`(a) notifications/initialized: ${exchange(s.initialized)}`);
		const e = await echo(url, s.sid, 2, 'first call');
		if (!e.ok) fail(`(a) the first tools/call echo through ${url}: ${exchange(e.r)}`);
		const total = performance.now() - t0;
		console.log(`# first initialize ${fmt(s.init.ms)}, notifications/initialized ${fmt(s.initialized.ms)}, first tools/call echo ${fmt(e.r.ms)}`);
		if (s.init.ms >= 1000) fail(`(a) the first initialize through ${url} took ${fmt(s.init.ms)} (limit 1000 ms)`);
		if (e.r.ms >= 1000) fail(`(a) the first tools/call echo through ${url} took ${fmt(e.r.ms)} (limit 1000 ms)`);
		ok(`(a) the very first tools/call echo through the self route answered in ${fmt(e.r.ms)} (< 1000 ms; initialize ${fmt(s.init.ms)}, all ${fmt(total)})`);
	},

	async burst(url, n) {
		n = Number(n);
		const t0 = performance.now();
		const one = async (i) => {
			const s = await openSession(url, { timeoutMs: 8000, name: `burst-${i}` });
			if (!s.sid) return { i, why: `initialize: ${exchange(s.init)}` };
			const e = await echo(url, s.sid, 2, `burst-${i}`);
			if (!e.ok) return { i, why: `tools/call: ${exchange(e.r)}` };
			return { i, ms: performance.now() - t0 };
		};
		const results = await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
		const elapsed = performance.now() - t0;
		const bad = results.filter((r) => r.why);
		console.log(`# ${n} sessions (initialize, initialized, first tools/call) at once: ${n - bad.length} succeeded, all done in ${fmt(elapsed)}; slowest session ${fmt(Math.max(...results.filter((r) => r.ms).map((r) => r.ms), 0))}`);
		if (bad.length) fail(`(b) ${bad.length} of ${n} fresh sessions failed; first: session ${bad[0].i}: ${bad[0].why}`);
		if (elapsed >= 5000) fail(`(b) ${n} fresh sessions took ${fmt(elapsed)} (limit 5000 ms)`);
		ok(`(b) ${n} fresh sessions making their first call at once all succeeded in ${fmt(elapsed)} (< 5000 ms)`);
	},

	async chain(url, inner) {
		// the session ids the first hop gets from the second, for the record
		if (inner) {
			const i = await openSession(inner);
			console.log(`# ${inner} hands out session ids of ${i.sid ? i.sid.length : '(none)'} characters`);
			if (i.sid)
				await fetch(inner, { method: 'DELETE', headers: { 'Mcp-Session-Id': i.sid }, signal: AbortSignal.timeout(5000) }).catch(() => {});
		}
		const s = await openSession(url);
		if (!s.sid) fail(`(c) initialize through the chain ${url}: ${exchange(s.init)}`);
		if (s.result.serverInfo?.name !== 'mcpgw-demo') fail(`(c) the chain's initialize was not answered by the demo server: ${show(s.result)}`);
		for (let i = 0; i < 3; i++) {
			const e = await echo(url, s.sid, 10 + i, `chain-${i}`);
			if (!e.ok) fail(`(c) tools/call echo ${i} through the chain: ${exchange(e.r)}`);
		}
		// progress notifications cross both hops, as a stream
		const r = await post(url, { ...callBody(20, 'progress', { steps: 3 }), params: { name: 'progress', arguments: { steps: 3 }, _meta: { progressToken: 'chain-p' } } }, { sid: s.sid });
		const notes = r.messages.filter((m) => m.method === 'notifications/progress' && m.params?.progressToken === 'chain-p');
		if (r.status !== 200 || r.ctype !== 'text/event-stream' || notes.length !== 3 || !answerTo(r, 20)?.result)
			fail(`(c) tools/call progress through the chain (3 notifications then the result on an SSE stream): ${exchange(r)}`);
		const d = await fetch(url, {
			method: 'DELETE',
			headers: { 'Mcp-Session-Id': s.sid, 'MCP-Protocol-Version': '2025-11-25' },
			signal: AbortSignal.timeout(5000)
		});
		if (d.status !== 204 && d.status !== 200) fail(`(c) DELETE through the chain: HTTP ${d.status}`);
		const after = await echo(url, s.sid, 30, 'after delete');
		if (after.r.status !== 404) fail(`(c) after DELETE through the chain, a call got ${exchange(after.r)} (expected 404)`);
		ok('(c) the chain /mcp/a -> /mcp/b -> /mcp/demo: initialize, 3 echo calls, a progress stream and DELETE all cross both hops');
	},

	async loop(url) {
		const r = await post(url, initBody(1), { timeoutMs: 5000 });
		const m = r.messages[0];
		console.log(`# a route to itself: ${exchange(r)}`);
		if (r.status !== 508) fail(`(d) a route that points at itself: expected HTTP 508, got ${exchange(r)}`);
		if (!m || m.jsonrpc !== '2.0' || typeof m.error?.code !== 'number' || !/max_hops/.test(m.error?.message ?? ''))
			fail(`(d) the 508 does not carry a JSON-RPC error mentioning max_hops: ${r.raw.slice(0, 400)}`);
		if (r.ms >= 1000) fail(`(d) the hop-limit error took ${fmt(r.ms)} (limit 1000 ms)`);
		ok(`(d) a route that points at itself: HTTP 508 with a JSON-RPC error (${m.error.code}: "${m.error.message}") in ${fmt(r.ms)}`);
	},

	async connector(url, pid) {
		pid = Number(pid);
		const s = await openSession(url);
		if (!s.sid) fail(`(e) initialize through ${url}: ${exchange(s.init)}`);
		const pre = await echo(url, s.sid, 2, 'before the kill');
		if (!pre.ok) fail(`(e) a call before the kill: ${exchange(pre.r)}`);
		const inflight = post(url, callBody(3, 'sleep', { ms: 3000 }), { sid: s.sid, timeoutMs: 10000 });
		await sleep(300);
		const tKill = performance.now();
		process.kill(pid, 'SIGKILL');
		const r = await inflight;
		const waited = performance.now() - tKill;
		const a = answerTo(r, 3);
		console.log(`# the sleep in flight when the connector was killed: ${exchange(r)}`);
		if (r.status === 0) fail(`(e) the call in flight got no answer after the connector was killed: ${exchange(r)}`);
		if (!a?.error) fail(`(e) the call in flight did not get a JSON-RPC error: ${exchange(r)}`);
		if (!/connector/i.test(a.error.message) || !/went away|gone|lost|died/i.test(a.error.message))
			fail(`(e) the error does not say the connector went away: ${show(a.error)}`);
		if (waited >= 1000) fail(`(e) the error came ${fmt(waited)} after the kill (limit 1000 ms)`);
		ok(`(e) the call in flight got a JSON-RPC error ${fmt(waited)} after the connector was killed: ${a.error.code} "${a.error.message}"`);
		// The master starts a new connector: a new request succeeds within
		// 2 s of the kill (retrying while it is not back yet).
		let last, tries = 0;
		for (;;) {
			tries++;
			const e = await echo(url, s.sid, 100 + tries, `after the kill ${tries}`);
			last = e.r;
			if (e.ok) break;
			if (performance.now() - tKill > 2000) break;
			await sleep(50);
		}
		const back = performance.now() - tKill;
		if (last.status !== 200 || !answerTo(last, 100 + tries)?.result)
			fail(`(e) no request through ${url} succeeded within 2 s of the kill (${tries} tries; last: ${exchange(last)})`);
		if (back > 2000) fail(`(e) the first request to succeed after the kill came ${fmt(back)} after it (limit 2000 ms)`);
		ok(`(e) the same session works again ${fmt(back)} after the kill (try ${tries})`);
		const s2 = await openSession(url);
		if (!s2.sid) fail(`(e) a new session after the kill: ${exchange(s2.init)}`);
		const e2 = await echo(url, s2.sid, 2, 'new session');
		if (!e2.ok) fail(`(e) a call in a new session after the kill: ${exchange(e2.r)}`);
		ok('(e) a new session through the self route works after the kill');
	}
};

const [cmd, ...args] = process.argv.slice(2);
if (!commands[cmd]) {
	console.error('usage: node self_call.mjs first|burst|chain|loop|connector URL [ARG]');
	process.exit(2);
}
commands[cmd](...args)
	.then(() => {
		clearTimeout(hardStop);
		process.exit(0);
	})
	.catch((e) => fail(`unexpected error: ${e?.stack ?? e}`));
