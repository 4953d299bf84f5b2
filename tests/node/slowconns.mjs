// Slow clients: opens N connections from one source address and sends on
// each only the first lines of a request head, then one more header line
// every 5 s, as a client that trickles its headers does.  The server's
// answer to each is recorded: still open (waiting for the rest of the
// head), or closed, with the status line it sent first, if any.
//
// usage: node slowconns.mjs HOST PORT N [SOURCE] [HOLD_SECONDS=60]
//   SOURCE: the local address to connect from (e.g. 127.0.0.3).
// Once every connection is open or refused, and 500 ms later, prints
//   SLOW open=X closed=Y statuses=429:Z,...
// then holds the open ones for HOLD_SECONDS (or until killed), and prints
// the same line again when a connection is closed later.

import net from 'node:net';

const [host, portArg, nArg, source, holdArg] = process.argv.slice(2);
if (!host || !portArg || !nArg) {
	console.log('usage: node slowconns.mjs HOST PORT N [SOURCE] [HOLD_SECONDS]');
	process.exit(2);
}
const N = Number(nArg);
const HOLD = Number(holdArg || 60) * 1000;
const conns = [];
let settled = false;

function report() {
	const open = conns.filter((c) => !c.closed).length;
	const statuses = {};
	for (const c of conns)
		if (c.closed && c.status) statuses[c.status] = (statuses[c.status] || 0) + 1;
	const s = Object.entries(statuses).map(([k, v]) => `${k}:${v}`).join(',');
	console.log(`SLOW open=${open} closed=${conns.length - open} statuses=${s || '-'}`);
}

function open(i) {
	return new Promise((resolve) => {
		const c = { closed: false, status: null, data: '' };
		const opts = { host, port: Number(portArg) };
		if (source) opts.localAddress = source;
		const sock = net.connect(opts);
		c.sock = sock;
		conns.push(c);
		sock.on('connect', () => {
			sock.write(`POST /mcp HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${i}\r\n`);
			resolve();
		});
		sock.on('data', (d) => {
			c.data += d.toString('latin1');
			const m = /^HTTP\/1\.[01] (\d{3})/.exec(c.data);
			if (m) c.status = m[1];
		});
		const gone = () => {
			if (c.closed) return;
			c.closed = true;
			resolve();
			if (settled) report();
		};
		sock.on('close', gone);
		sock.on('error', gone);
	});
}

// 50 connects in flight at once: the listen queue is not the point.
for (let i = 0; i < N; i += 50) {
	const batch = [];
	for (let j = i; j < Math.min(N, i + 50); j++) batch.push(open(j));
	await Promise.all(batch);
}
await new Promise((r) => setTimeout(r, 500));
settled = true;
report();

let k = 0;
const trickle = setInterval(() => {
	k++;
	for (const c of conns) if (!c.closed) c.sock.write(`X-Trickle-${k}: ${k}\r\n`);
}, 5000);
setTimeout(() => {
	clearInterval(trickle);
	for (const c of conns) c.sock.destroy();
	process.exit(0);
}, HOLD);
