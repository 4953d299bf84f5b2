// One PromQL instant query through Prometheus's HTTP API (/api/v1/query),
// its result one line per series, for a shell test to read:
//   {label="value",...} VALUE        (a vector; labels sorted)
//   VALUE                            (a scalar)
// Exit 1 with "error: ..." when Prometheus refuses the query.
// With QUERY "-", one query per line of stdin, each answer after a line
// "= QUERY" (and "error: ..." lines instead of series when refused);
// exit 0.
//
// usage: node promq.mjs PROMETHEUS_URL QUERY|- [TIME (unix seconds)]
// Plain fetch (Node >= 18), no packages.

const [base, query, time] = process.argv.slice(2);
if (!base || !query) {
	console.log('usage: node promq.mjs PROMETHEUS_URL QUERY [TIME]');
	process.exit(2);
}
// The lines of one query's answer, or an "error: ..." line.
async function answer(q) {
	const form = new URLSearchParams({ query: q });
	if (time) form.set('time', time);
	let body;
	try {
		const res = await fetch(`${base}/api/v1/query`, { method: 'POST', body: form, signal: AbortSignal.timeout(10000) });
		body = await res.json();
	} catch (e) {
		return { error: `error: ${e.message}` };
	}
	if (body.status !== 'success') return { error: `error: ${body.errorType}: ${body.error}` };
	const r = body.data;
	if (r.resultType === 'scalar') return { lines: [r.result[1]] };
	if (r.resultType !== 'vector') return { error: `error: a ${r.resultType}, not a vector or scalar` };
	return {
		lines: r.result.map((s) => {
			const labels = Object.keys(s.metric).sort().map((k) => `${k}=${JSON.stringify(s.metric[k])}`);
			return `{${labels.join(',')}} ${s.value[1]}`;
		}),
	};
}

if (query === '-') {
	const fs = await import('node:fs');
	for (const q of fs.readFileSync(0, 'utf8').split('\n').filter((l) => l.trim())) {
		const a = await answer(q);
		console.log(`= ${q}`);
		console.log((a.error ? [a.error] : a.lines).join('\n'));
	}
} else {
	const a = await answer(query);
	if (a.error) {
		console.log(a.error);
		process.exit(1);
	}
	if (a.lines.length) console.log(a.lines.join('\n'));
}
