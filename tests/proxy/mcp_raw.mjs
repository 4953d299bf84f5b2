// MCP Streamable HTTP by hand (fetch), for checks the SDK would hide:
// exact statuses, timings, either answer form (JSON or SSE).

export const VERSION = '2025-11-25';

// Parse an SSE body: the data of each event that has data, as JSON.
export function sseMessages(text) {
	const out = [];
	let data = [];
	for (const line of text.split(/\r\n|\r|\n/)) {
		if (line === '') {
			if (data.length && data.join('\n') !== '') {
				const d = data.join('\n');
				try {
					out.push(JSON.parse(d));
				} catch {
					out.push({ unparsable: d });
				}
			}
			data = [];
			continue;
		}
		if (line.startsWith(':')) continue;
		const i = line.indexOf(':');
		const field = i < 0 ? line : line.slice(0, i);
		let value = i < 0 ? '' : line.slice(i + 1);
		if (value.startsWith(' ')) value = value.slice(1);
		if (field === 'data') data.push(value);
	}
	if (data.length && data.join('\n') !== '') {
		try {
			out.push(JSON.parse(data.join('\n')));
		} catch {
			out.push({ unparsable: data.join('\n') });
		}
	}
	return out;
}

// POST one JSON-RPC message.  Resolves {status, ctype, sid, messages, raw,
// ms} when the answer is complete (or fails: {status: 0, error}).
export async function post(url, message, { sid, version = VERSION, headers = {}, timeoutMs = 10000 } = {}) {
	const h = {
		'Content-Type': 'application/json',
		Accept: 'application/json, text/event-stream',
		...headers
	};
	if (sid) h['Mcp-Session-Id'] = sid;
	if (sid && version) h['MCP-Protocol-Version'] = version;
	const t0 = performance.now();
	try {
		const r = await fetch(url, {
			method: 'POST',
			headers: h,
			body: typeof message === 'string' ? message : JSON.stringify(message),
			signal: AbortSignal.timeout(timeoutMs)
		});
		const raw = await r.text();
		const ms = performance.now() - t0;
		const ctype = (r.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
		let messages = [];
		if (ctype === 'text/event-stream') messages = sseMessages(raw);
		else if (raw.length) {
			try {
				messages = [JSON.parse(raw)];
			} catch {
				messages = [{ unparsable: raw }];
			}
		}
		return { status: r.status, ctype, sid: r.headers.get('mcp-session-id'), messages, raw, ms };
	} catch (e) {
		return { status: 0, error: String(e?.cause?.message ?? e?.message ?? e), ms: performance.now() - t0, messages: [], raw: '' };
	}
}

// The answer to request ID among the messages, or undefined.
export const answerTo = (res, id) => res.messages.find((m) => m && m.id === id && ('result' in m || 'error' in m));

export function initBody(id = 1, name = 'mcpgw-proxy-tests') {
	return {
		jsonrpc: '2.0',
		id,
		method: 'initialize',
		params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name, version: '1.0.0' } }
	};
}

// initialize + notifications/initialized: {sid, init, initialized} (sid
// null when it failed; init is the initialize exchange).
export async function openSession(url, opts = {}) {
	const init = await post(url, initBody(1, opts.name), opts);
	const result = answerTo(init, 1);
	if (init.status !== 200 || !init.sid || !result?.result) return { sid: null, init };
	const initialized = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { ...opts, sid: init.sid });
	return { sid: init.sid, init, initialized, result: result.result };
}

export function callBody(id, name, args) {
	return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } };
}

export const textOf = (m) => (m?.result?.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('');

export const show = (v) => JSON.stringify(v)?.slice(0, 800);
