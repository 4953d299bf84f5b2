// Every kind of message mcpgw writes itself, provoked on a running
// mcpgw and checked against the JSON schema of the request's revision
// with the conformance runner's own wire-schema validator
// (wire_schema.mjs): the built-in servers' results (initialize,
// server/discover), the subscriptions/listen acknowledgement and the
// list changes it carries, and each JSON-RPC error the worker writes.
// Each probe also checks the status and code it is there for, so that a
// probe that stopped provoking its error fails instead of passing.
//
//   node wire_check.mjs BASE-URL
// BASE-URL serves (tests/integration/wire_schema.sh writes the config):
//   /mcp/demo, /mcp/everything  the built-in servers
//   /mcp/deny                   demo with "mcp_deny tools/call echo;"
//   /mcp/small                  demo with "client_max_body_size 64;"
//   /mcp/dead                   a proxy route to an upstream nobody serves
//   no location at /nowhere
// Prints one line per probe; exit 1 with the runner's words for each
// message that does not validate or probe that went otherwise.
import { wireErrors, conformanceVersion } from './wire_schema.mjs';

const base = process.argv[2];
const V26 = '2026-07-28';
const V25 = '2025-11-25';
const META = { 'io.modelcontextprotocol/protocolVersion': V26,
  'io.modelcontextprotocol/clientCapabilities': {} };
const failures = [];
let checked = 0;

function fail(what, why) {
  failures.push(`${what}: ${why}`);
  console.log(`not ok - ${what}: ${why}`);
}

// The validator must be able to say no: a discover result without its
// required fields is refused, or every probe below would pass vacuously.
if (wireErrors(V26, { jsonrpc: '2.0', id: 1, result: { resultType: 'complete' } },
  'server/discover').length === 0) {
  console.log('not ok - the runner\'s validator accepts an empty discover result');
  process.exit(1);
}

// The messages of a body: one JSON message, or each data: of an SSE
// stream (events may span several data lines).
function messages(type, text) {
  if (!/text\/event-stream/.test(type || ''))
    return text.length ? [JSON.parse(text)] : [];
  const out = [];
  for (const ev of text.split(/\r?\n\r?\n/)) {
    const data = ev.split(/\r?\n/).filter(l => l.startsWith('data:'))
      .map(l => l.slice(5).replace(/^ /, '')).join('\n');
    if (data.length) out.push(JSON.parse(data));
  }
  return out;
}

// Validate each message of an answer against REV; METHOD: the request
// it answers.
function validate(what, rev, method, msgs) {
  let valid = true;
  for (const m of msgs) {
    checked++;
    const errs = wireErrors(rev, m, m.method ? undefined : method);
    if (errs.length) {
      valid = false;
      fail(what, `(${rev}) ${errs.join('; ')} - message: ${JSON.stringify(m)}`);
    }
  }
  return valid;
}

async function send(path, { method = 'POST', headers = {}, body, raw, sse = 0 } = {}) {
  const h = { Accept: 'application/json, text/event-stream',
    'Content-Type': 'application/json', ...headers };
  const ctl = new AbortController();
  const r = await fetch(`${base}${path}`, { method, headers: h, signal: ctl.signal,
    body: raw !== undefined ? raw : body !== undefined ? JSON.stringify(body) : undefined });
  let text = '';
  if (sse) {
    // a stream that stays open: read until SSE events have come
    const rd = r.body.getReader();
    const dec = new TextDecoder();
    const until = Date.now() + 3000;
    while ((text.match(/\n\n/g) || []).length < sse && Date.now() < until) {
      const t = setTimeout(() => ctl.abort(), Math.max(1, until - Date.now()));
      const { value, done } = await rd.read().catch(() => ({ done: true }));
      clearTimeout(t);
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
    ctl.abort();
  } else {
    text = await r.text();
  }
  return { status: r.status, type: r.headers.get('content-type'), headers: r.headers,
    msgs: messages(r.headers.get('content-type'), text), text };
}

// PROBE: what, rev, path, request, expectation {status, code}
async function probe(what, rev, path, req, want, method) {
  let a;
  try {
    a = await send(path, req);
  } catch (e) {
    fail(what, `request failed: ${e.message}`);
    return null;
  }
  const m = a.msgs[0];
  if (a.status !== want.status || !m)
    return fail(what, `expected HTTP ${want.status}, got ${a.status}: ${a.text.slice(0, 300)}`), a;
  if (want.code !== undefined && m.error?.code !== want.code)
    return fail(what, `expected code ${want.code}, got ${JSON.stringify(m).slice(0, 300)}`), a;
  if (want.ok && !m.result && !m.method)
    return fail(what, `expected a result, got ${JSON.stringify(m).slice(0, 300)}`), a;
  if (!validate(what, rev, method ?? req.body?.method, a.msgs)) return a;
  console.log(`ok - ${what} (${rev}: HTTP ${a.status}${m.error ? `, ${m.error.code}` : ''}, ${a.msgs.length} message(s))`);
  return a;
}

// A 2026-07-28 request as a well-formed client sends it.
function r26(method, params = {}, { name, id = 1, headers = {}, meta = META } = {}) {
  return { body: { jsonrpc: '2.0', id, method, params: { ...params, ...(meta ? { _meta: meta } : {}) } },
    headers: { 'MCP-Protocol-Version': V26, 'Mcp-Method': method,
      ...(name ? { 'Mcp-Name': name } : {}), ...headers } };
}

// ---- 2026-07-28 ------------------------------------------------------
for (const p of ['demo', 'everything'])
  await probe(`server/discover on /mcp/${p}`, V26, `/mcp/${p}`,
    r26('server/discover'), { status: 200, ok: 1 });
await probe('subscriptions/listen acknowledgement', V26, '/mcp/everything',
  { ...r26('subscriptions/listen', { notifications: { toolsListChanged: true,
    promptsListChanged: true, resourcesListChanged: true,
    resourceSubscriptions: ['test://static-text'] } }), sse: 1 },
  { status: 200 }, 'subscriptions/listen');
await probe('subscriptions/listen without params.notifications', V26, '/mcp/everything',
  r26('subscriptions/listen'), { status: 400, code: -32602 });
await probe('unsupported version in _meta and header', V26, '/mcp/demo',
  r26('tools/list', {}, { meta: { ...META, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' },
    headers: { 'MCP-Protocol-Version': '2099-01-01' } }), { status: 400 });
await probe('header and body disagree (Mcp-Method)', V26, '/mcp/demo',
  r26('tools/list', {}, { headers: { 'Mcp-Method': 'prompts/list' } }), { status: 400, code: -32020 });
await probe('header and body disagree (MCP-Protocol-Version)', V26, '/mcp/demo',
  r26('tools/list', {}, { meta: { ...META, 'io.modelcontextprotocol/protocolVersion': V25 } }),
  { status: 400, code: -32020 });
await probe('Mcp-Name disagrees with params.name', V26, '/mcp/demo',
  r26('tools/call', { name: 'echo', arguments: { text: 'x' } }, { name: 'sleep' }),
  { status: 400, code: -32020 });
await probe('_meta missing', V26, '/mcp/demo',
  r26('tools/list', {}, { meta: null }), { status: 400, code: -32602 });
await probe('missing client capability', V26, '/mcp/everything',
  r26('tools/call', { name: 'test_missing_capability', arguments: {} }, { name: 'test_missing_capability' }),
  { status: 400, code: -32021 });
await probe('method removed in 2026-07-28', V26, '/mcp/demo',
  r26('resources/subscribe', { uri: 'test://static-text' }), { status: 404, code: -32601 });
await probe('method unknown to the built-in server', V26, '/mcp/demo',
  r26('no/such/method'), { status: 404, code: -32601 });
await probe('tool unknown to the built-in server', V26, '/mcp/demo',
  r26('tools/call', { name: 'nope', arguments: {} }, { name: 'nope' }), { status: 200 });
await probe('refused by policy (mcp_deny)', V26, '/mcp/deny',
  r26('tools/call', { name: 'echo', arguments: { text: 'x' } }, { name: 'echo' }), { status: 403, code: -32003 });
await probe('a batch on 2026-07-28', V26, '/mcp/demo',
  { raw: JSON.stringify([r26('tools/list').body]), headers: r26('tools/list').headers },
  { status: 400, code: -32600 });
await probe('GET on 2026-07-28', V26, '/mcp/demo',
  { method: 'GET', headers: { 'MCP-Protocol-Version': V26 } }, { status: 405, code: -32600 });
await probe('DELETE on 2026-07-28', V26, '/mcp/demo',
  { method: 'DELETE', headers: { 'MCP-Protocol-Version': V26 } }, { status: 405, code: -32600 });
await probe('no location at this path', V26, '/nowhere', r26('tools/list'), { status: 404 });
await probe('upstream unreachable (the connector\'s error)', V26, '/mcp/dead',
  r26('tools/list'), { status: 200, code: -32000 });
await probe('parse error', V26, '/mcp/demo',
  { raw: '{"jsonrpc":', headers: r26('tools/list').headers }, { status: 400, code: -32700 });
await probe('oversized body', V26, '/mcp/small',
  { ...r26('tools/call', { name: 'echo', arguments: { text: 'x'.repeat(200) } }, { name: 'echo' }) },
  { status: 413 });
await probe('Accept without text/event-stream', V26, '/mcp/demo',
  { ...r26('tools/list'), headers: { ...r26('tools/list').headers, Accept: 'application/json' } },
  { status: 406 });
await probe('Content-Type not JSON', V26, '/mcp/demo',
  { ...r26('tools/list'), headers: { ...r26('tools/list').headers, 'Content-Type': 'text/plain' } },
  { status: 415 });
await probe('Origin refused', V26, '/mcp/demo',
  { ...r26('tools/list'), headers: { ...r26('tools/list').headers, Origin: 'http://evil.example' } },
  { status: 403 });

// ---- 2025-11-25 ------------------------------------------------------
const h25 = (sid) => ({ 'MCP-Protocol-Version': V25, ...(sid ? { 'Mcp-Session-Id': sid } : {}) });
const req25 = (method, params, id = 1) => ({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const init = { protocolVersion: V25, capabilities: {}, clientInfo: { name: 'wire_check', version: '1' } };
const sids = {};
for (const p of ['demo', 'everything']) {
  const a = await probe(`initialize on /mcp/${p}`, V25, `/mcp/${p}`,
    { body: req25('initialize', init) }, { status: 200, ok: 1 });
  sids[p] = a?.headers.get('mcp-session-id');
  await send(`/mcp/${p}`, { headers: h25(sids[p]),
    body: { jsonrpc: '2.0', method: 'notifications/initialized' } });
}
await probe('initialize without params.protocolVersion', V25, '/mcp/demo',
  { body: req25('initialize', {}) }, { status: 400, code: -32602 });
await probe('method unknown to the built-in server', V25, '/mcp/demo',
  { headers: h25(sids.demo), body: req25('no/such/method') }, { status: 200, code: -32601 });
await probe('unknown session', V25, '/mcp/demo',
  { headers: h25('nosuchsession'), body: req25('tools/list') }, { status: 404 });
await probe('missing session', V25, '/mcp/demo',
  { headers: h25(), body: req25('tools/list') }, { status: 400 });
await probe('unsupported MCP-Protocol-Version', V25, '/mcp/demo',
  { headers: { 'MCP-Protocol-Version': '1999-01-01' }, body: req25('tools/list') }, { status: 400 });
await probe('refused by policy (mcp_deny)', V25, '/mcp/deny',
  { headers: h25(), body: req25('initialize', init) }, { status: 200, ok: 1 });
{
  const a = await send('/mcp/deny', { headers: h25(), body: req25('initialize', init) });
  await probe('refused by policy (mcp_deny), in a session', V25, '/mcp/deny',
    { headers: h25(a.headers.get('mcp-session-id')),
      body: req25('tools/call', { name: 'echo', arguments: { text: 'x' } }) }, { status: 403, code: -32003 });
}
await probe('no location at this path', V25, '/nowhere',
  { headers: h25(sids.demo), body: req25('tools/list') }, { status: 404 });
await probe('GET without Accept: text/event-stream', V25, '/mcp/demo',
  { method: 'GET', headers: { ...h25(sids.demo), Accept: 'application/json' } }, { status: 406 });
await probe('upstream unreachable (the connector\'s error)', V25, '/mcp/dead',
  { body: req25('initialize', init) }, { status: 200, code: -32000 });
await probe('a batch on 2025-11-25', V25, '/mcp/demo',
  { headers: h25(sids.demo), raw: JSON.stringify([req25('tools/list')]) }, { status: 400, code: -32600 });
await probe('parse error', V25, '/mcp/demo',
  { headers: h25(sids.demo), raw: '{"jsonrpc":' }, { status: 400, code: -32700 });
await probe('oversized body', V25, '/mcp/small',
  { headers: h25(), body: req25('initialize', { ...init, pad: 'x'.repeat(200) }) }, { status: 413 });
await probe('Accept without text/event-stream', V25, '/mcp/demo',
  { headers: { ...h25(sids.demo), Accept: 'application/json' }, body: req25('tools/list') }, { status: 406 });
await probe('Origin refused', V25, '/mcp/demo',
  { headers: { ...h25(sids.demo), Origin: 'http://evil.example' }, body: req25('tools/list') }, { status: 403 });

console.log(`# conformance ${conformanceVersion}: ${checked} message(s) validated, ${failures.length} failure(s)`);
process.exit(failures.length ? 1 : 0);
