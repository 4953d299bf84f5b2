// The built-in "everything" server's list changes, to the streams that
// asked for them, on a running mcpgw (worker_processes 2: a change made
// on one worker reaches the streams every worker holds):
//  - 2026-07-28 subscriptions/listen: the acknowledgement agrees to
//    toolsListChanged and promptsListChanged (the server declares
//    listChanged), not resourcesListChanged (its resources never change),
//    and of resourceSubscriptions to the URIs of its resources; after the
//    runner's hook test_trigger_tool_change (test_trigger_prompt_change)
//    each stream that asked gets notifications/tools/list_changed
//    (prompts/) tagged with its subscription id, a stream that did not ask
//    gets none, and tools/list (prompts/list) shows the change;
//  - 2025-11-25: a session's GET stream gets the same changes;
//  - the demo server's list never changes: its listen agrees to nothing.
// Every message is checked against its revision's schema (wire_schema.mjs).
//   node list_changes.mjs BASE-URL     (/mcp/everything, /mcp/demo)
import { wireErrors } from './wire_schema.mjs';

const base = process.argv[2];
const V26 = '2026-07-28';
const V25 = '2025-11-25';
const META = { 'io.modelcontextprotocol/protocolVersion': V26,
  'io.modelcontextprotocol/clientCapabilities': {} };
const SUB = 'io.modelcontextprotocol/subscriptionId';
let failures = 0;

function ok(what) { console.log(`ok - ${what}`); }
function fail(what) { failures++; console.log(`not ok - ${what}`); }
function check(cond, what, detail) { cond ? ok(what) : fail(`${what}: ${detail}`); }
function valid(rev, m, method) {
  const e = wireErrors(rev, m, method);
  if (e.length) fail(`schema ${rev}: ${e.join('; ')} - message: ${JSON.stringify(m)}`);
}

// A stream that stays open, its messages collected as they come.
function open(path, init) {
  const ctl = new AbortController();
  const s = { msgs: [], status: 0, close: () => ctl.abort() };
  s.ready = fetch(`${base}${path}`, { ...init, signal: ctl.signal }).then(async (r) => {
    s.status = r.status;
    const dec = new TextDecoder();
    let buf = '';
    for await (const chunk of r.body) {
      buf += dec.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const data = buf.slice(0, i).split('\n').filter(l => l.startsWith('data:'))
          .map(l => l.slice(5).trim()).join('\n');
        buf = buf.slice(i + 2);
        if (data) s.msgs.push(JSON.parse(data));
      }
    }
  }).catch(() => {});
  return s;
}

async function until(pred, ms = 3000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise(r => setTimeout(r, 25));
  }
  return pred();
}

function h26(method, name) {
  return { Accept: 'application/json, text/event-stream', 'Content-Type': 'application/json',
    'MCP-Protocol-Version': V26, 'Mcp-Method': method, ...(name ? { 'Mcp-Name': name } : {}) };
}
async function call26(path, method, params = {}, name) {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: h26(method, name),
    body: JSON.stringify({ jsonrpc: '2.0', id: 99, method, params: { ...params, _meta: META } }) });
  const m = await r.json();
  valid(V26, m, method);
  return m;
}
function listen(path, id, notifications) {
  return open(path, { method: 'POST', headers: h26('subscriptions/listen'),
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'subscriptions/listen',
      params: { notifications, _meta: META } }) });
}
const trigger = (what) => call26('/mcp/everything', 'tools/call',
  { name: `test_trigger_${what}_change`, arguments: {} }, `test_trigger_${what}_change`);
const names = async (kind) => (await call26('/mcp/everything', `${kind}/list`))
  .result[kind].map(x => x.name);

// ---- 2026-07-28 ------------------------------------------------------
const disc = await call26('/mcp/everything', 'server/discover');
const caps = disc.result.capabilities;
check(caps.tools?.listChanged === true && caps.prompts?.listChanged === true &&
  caps.resources?.subscribe === true && !caps.resources?.listChanged,
  'discover: tools and prompts listChanged, resources subscribe', JSON.stringify(caps));

// four streams of each kind: with two workers, some on each
const all = [], promptsOnly = [];
for (let i = 0; i < 4; i++) {
  all.push(listen('/mcp/everything', `all-${i}`, { toolsListChanged: true, promptsListChanged: true,
    resourcesListChanged: true, resourceSubscriptions: ['test://static-text', 'test://no-such'] }));
  promptsOnly.push(listen('/mcp/everything', 100 + i, { promptsListChanged: true }));
}
const streams = [...all, ...promptsOnly];
await until(() => streams.every(s => s.msgs.length >= 1));
for (const s of streams) for (const m of s.msgs) valid(V26, m);
const ack = all[0].msgs[0];
check(ack?.method === 'notifications/subscriptions/acknowledged' &&
  JSON.stringify(ack.params.notifications) ===
  JSON.stringify({ toolsListChanged: true, promptsListChanged: true, resourceSubscriptions: ['test://static-text'] }) &&
  ack.params._meta[SUB] === 'all-0',
  'listen: agreed to tools and prompts list changes and test://static-text, not to resourcesListChanged nor an unknown URI',
  JSON.stringify(ack));
check(promptsOnly.every((s, i) => JSON.stringify(s.msgs[0]?.params?.notifications) ===
  JSON.stringify({ promptsListChanged: true }) && s.msgs[0].params._meta[SUB] === 100 + i),
  'listen: a stream that asked for prompts only is agreed prompts only',
  JSON.stringify(promptsOnly.map(s => s.msgs[0])));

const before = await names('tools');
await trigger('tool');
const toolChange = (s) => s.msgs.find(m => m.method === 'notifications/tools/list_changed');
check(await until(() => all.every(toolChange)),
  'test_trigger_tool_change: every listen stream that asked got notifications/tools/list_changed',
  JSON.stringify(all.map(s => s.msgs)));
check(all.every((s, i) => toolChange(s)?.params?._meta?.[SUB] === `all-${i}`),
  'each list_changed carries its stream\'s subscription id', JSON.stringify(all.map(toolChange)));
await new Promise(r => setTimeout(r, 400));
check(promptsOnly.every(s => !toolChange(s)),
  'a stream that asked for prompts only got no tools/list_changed', JSON.stringify(promptsOnly.map(s => s.msgs)));
const after = [];
for (let i = 0; i < 4; i++) after.push(await names('tools'));
check(before.includes('test_dynamic_tool') !== after[0].includes('test_dynamic_tool') &&
  after.every(a => JSON.stringify(a) === JSON.stringify(after[0])),
  'tools/list changed, the same on every worker', `${before.length} -> ${after.map(a => a.length)}`);
if (after[0].includes('test_dynamic_tool')) {
  const r = await call26('/mcp/everything', 'tools/call', { name: 'test_dynamic_tool', arguments: {} }, 'test_dynamic_tool');
  check(r.result?.content?.[0]?.text === 'test_dynamic_tool ran', 'the tool that came is callable', JSON.stringify(r));
}

const pBefore = await names('prompts');
await trigger('prompt');
const promptChange = (s) => s.msgs.find(m => m.method === 'notifications/prompts/list_changed');
check(await until(() => streams.every(promptChange)),
  'test_trigger_prompt_change: every stream got notifications/prompts/list_changed',
  JSON.stringify(streams.map(s => s.msgs)));
check(JSON.stringify(await names('prompts')) !== JSON.stringify(pBefore), 'prompts/list changed', '');
for (const s of streams) for (const m of s.msgs) valid(V26, m);
for (const s of streams) s.close();

// the demo server's one list never changes
{
  const s = listen('/mcp/demo', 7, { toolsListChanged: true });
  await until(() => s.msgs.length >= 1);
  check(JSON.stringify(s.msgs[0]?.params?.notifications) === '{}',
    'demo: listen agrees to nothing (listChanged false)', JSON.stringify(s.msgs));
  s.close();
}

// ---- 2025-11-25: a session's GET stream --------------------------------
{
  const H = { Accept: 'application/json, text/event-stream', 'Content-Type': 'application/json',
    'MCP-Protocol-Version': V25 };
  const r = await fetch(`${base}/mcp/everything`, { method: 'POST', headers: H,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: V25,
      capabilities: {}, clientInfo: { name: 'list_changes', version: '1' } } }) });
  const sid = r.headers.get('mcp-session-id');
  const init = await r.json();
  valid(V25, init, 'initialize');
  check(init.result.capabilities.tools?.listChanged === true && init.result.capabilities.prompts?.listChanged === true,
    '2025 initialize: tools and prompts listChanged', JSON.stringify(init.result.capabilities));
  const S = { ...H, 'Mcp-Session-Id': sid };
  await fetch(`${base}/mcp/everything`, { method: 'POST', headers: S,
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  const gets = [];
  gets.push(open('/mcp/everything', { method: 'GET', headers: { Accept: 'text/event-stream',
      'MCP-Protocol-Version': V25, 'Mcp-Session-Id': sid } }));
  await new Promise(r2 => setTimeout(r2, 300));
  await trigger('tool');
  check(await until(() => gets.every(toolChange)),
    '2025: the session\'s GET stream got notifications/tools/list_changed',
    JSON.stringify(gets.map(g => [g.status, g.msgs])));
  for (const g of gets) for (const m of g.msgs) valid(V25, m);
  for (const g of gets) g.close();
}

console.log(`# ${failures} failure(s)`);
process.exit(failures ? 1 : 0);
