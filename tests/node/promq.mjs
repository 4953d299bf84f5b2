// One PromQL instant query through Prometheus's HTTP API (/api/v1/query),
// its result one line per series, for a shell test to read:
//   {label="value",...} VALUE        (a vector; labels sorted)
//   VALUE                            (a scalar)
// Exit 1 with "error: ..." when Prometheus refuses the query.
//
// usage: node promq.mjs PROMETHEUS_URL QUERY [TIME (unix seconds)]
// Plain fetch (Node >= 18), no packages.

const [base, query, time] = process.argv.slice(2);
if (!base || !query) {
	console.log('usage: node promq.mjs PROMETHEUS_URL QUERY [TIME]');
	process.exit(2);
}
const form = new URLSearchParams({ query });
if (time) form.set('time', time);
let body;
try {
	const res = await fetch(`${base}/api/v1/query`, { method: 'POST', body: form, signal: AbortSignal.timeout(10000) });
	body = await res.json();
} catch (e) {
	console.log(`error: ${e.message}`);
	process.exit(1);
}
if (body.status !== 'success') {
	console.log(`error: ${body.errorType}: ${body.error}`);
	process.exit(1);
}
const r = body.data;
if (r.resultType === 'scalar') console.log(r.result[1]);
else if (r.resultType === 'vector')
	for (const s of r.result) {
		const labels = Object.keys(s.metric).sort().map((k) => `${k}=${JSON.stringify(s.metric[k])}`);
		console.log(`{${labels.join(',')}} ${s.value[1]}`);
	}
else {
	console.log(`error: a ${r.resultType}, not a vector or scalar`);
	process.exit(1);
}
