// Scrape a Prometheus text exposition HZ times a second until STOP exists,
// and watch what a scraper must be able to rely on: every scrape answers
// 200 within TIMEOUT ms, and no counter goes down between two scrapes
// (the counters' samples: TYPE counter, and a histogram's _bucket, _count
// and _sum), nor disappears once seen.  A reset would show in Prometheus
// as a rate spike.
//
// usage: node scrape_watch.mjs URL HZ STOP OUT.json [TIMEOUT_MS=2000]
//   OUT: {"scrapes", "failed": [{"t", "why"}], "slowest" (ms),
//         "decreased": [{"t", "series", "from", "to"}], "vanished":
//         [{"t", "series"}], "series" (counter samples in the last scrape)}
// Each scrape is a new connection (Connection: close), so that a killed
// worker's idle keep-alive connection is not counted against the daemon.
// Plain fetch (Node >= 18), no packages.

import fs from 'node:fs';

const [url, hzArg, stop, outFile, toArg] = process.argv.slice(2);
if (!url || !hzArg || !stop || !outFile) {
	console.log('usage: node scrape_watch.mjs URL HZ STOP OUT.json [TIMEOUT_MS]');
	process.exit(2);
}
const period = 1000 / Number(hzArg);
const timeout = Number(toArg || 2000);

// name{labels} -> value for the samples of counters and histograms
function counters(text) {
	const types = new Map();
	const out = new Map();
	for (const line of text.split('\n')) {
		if (line.startsWith('# TYPE ')) {
			const [, , name, type] = line.split(' ');
			types.set(name, type);
			continue;
		}
		if (line === '' || line.startsWith('#')) continue;
		const cut = line.lastIndexOf(' ');
		const series = line.slice(0, cut);
		const name = series.replace(/\{.*$/, '');
		const base = name.replace(/_(bucket|count|sum)$/, '');
		const type = types.get(name) || types.get(base);
		if (type === 'counter' || (type === 'histogram' && base !== name))
			out.set(series, Number(line.slice(cut + 1)));
	}
	return out;
}

const res = { scrapes: 0, failed: [], slowest: 0, decreased: [], vanished: [], series: 0 };
const seen = new Map(); // every counter sample seen, with its last value
const gone = new Set();
const sleep = (ms) => new Promise((ok) => setTimeout(ok, Math.max(0, ms)));
const start = Date.now();
for (let i = 0; !fs.existsSync(stop); i++) {
	await sleep(start + i * period - Date.now());
	const t = Date.now();
	let text;
	try {
		const r = await fetch(url, { headers: { connection: 'close' }, signal: AbortSignal.timeout(timeout) });
		text = await r.text();
		if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${text.slice(0, 200)}`);
	} catch (e) {
		res.failed.push({ t, why: `${e.message}${e.cause ? ': ' + (e.cause.code || e.cause.message) : ''}` });
		continue;
	} finally {
		res.scrapes++;
		res.slowest = Math.max(res.slowest, Date.now() - t);
	}
	const now = counters(text);
	for (const [series, from] of seen) {
		const to = now.get(series);
		if (to === undefined) {
			if (!gone.has(series)) res.vanished.push({ t, series });
			gone.add(series);
		} else if (to < from) res.decreased.push({ t, series, from, to });
	}
	for (const [series, v] of now) seen.set(series, v);
	res.series = now.size;
}
res.decreased = res.decreased.slice(0, 50);
res.vanished = res.vanished.slice(0, 50);
fs.writeFileSync(outFile, JSON.stringify(res));
