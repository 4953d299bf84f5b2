// An MCP server over stdio for mcpgw's stdio-upstream test
// (tests/integration/stdio.sh), written with the official TypeScript SDK
// (McpServer + StdioServerTransport): newline-delimited JSON-RPC on
// stdin/stdout, diagnostics on stderr.  mcpgw's connector runs one per
// gateway session:
//
//   upstream stdio { command /abs/node /abs/tests/proxy/stdio_server.mjs; }
//
// Writes "stdio test server ready" to stderr once it reads its stdin, and
// exits when its stdin closes.  Its tools:
//   echo {message}    "echo: MESSAGE"
//   progress {steps}  notifications/progress 1..steps (total steps) with the
//                     call's progressToken, 50 ms apart, then "done"
//   ask               elicitation/create to the client (a name); returns
//                     "Hello, NAME" (or "declined: ACTION")
//   crash             writes "crashing now" to stderr and exits with code 3
//   pid               this process's pid, as text
//   count             a counter of this process, one more per call, as text
//                     (state that lives as long as the process)
// and, with the argument --slow (tests/integration/timeouts.sh):
//   slow {ms, tag}    waits ms; a cancellation (the request's AbortSignal:
//                     notifications/cancelled) stops it, recorded under tag
//   was_cancelled {tag}
//                     what slow TAG saw: JSON {started, cancelled,
//                     finished, reason}

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const text = (t) => ({ content: [{ type: 'text', text: String(t) }] });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const server = new McpServer(
	{ name: 'mcpgw-stdio-test-server', version: '1.0.0' },
	{ capabilities: { tools: {} } }
);

server.registerTool(
	'echo',
	{ description: 'Echoes its message.', inputSchema: { message: z.string() } },
	async ({ message }) => text(`echo: ${message}`)
);

server.registerTool(
	'progress',
	{
		description: 'Sends STEPS progress notifications (with the call\'s progressToken), then answers "done".',
		inputSchema: { steps: z.number().int().min(0).max(1000) }
	},
	async ({ steps }, extra) => {
		const token = extra._meta?.progressToken;
		for (let i = 1; i <= steps; i++) {
			if (token !== undefined)
				await extra.sendNotification({
					method: 'notifications/progress',
					params: { progressToken: token, progress: i, total: steps, message: `step ${i}` }
				});
			await sleep(50);
		}
		return text('done');
	}
);

server.registerTool('ask', { description: 'Asks the client for a name (elicitation).' }, async (extra) => {
	const r = await server.server.elicitInput(
		{
			message: 'What is your name?',
			requestedSchema: {
				type: 'object',
				properties: { name: { type: 'string', description: 'Your name' } },
				required: ['name']
			}
		},
		{ relatedRequestId: extra.requestId }
	);
	if (r.action !== 'accept') return text(`declined: ${r.action}`);
	return text(`Hello, ${r.content?.name}`);
});

server.registerTool('crash', { description: 'Exits with code 3 at once.' }, async () => {
	process.stderr.write('crashing now\n', () => process.exit(3));
	// never answers
	return new Promise(() => {});
});

server.registerTool('pid', { description: "This process's pid." }, async () => text(process.pid));

let counter = 0;
server.registerTool('count', { description: 'A counter of this process.' }, async () => text(++counter));

const slowCalls = new Map(); // tag -> {started, cancelled, finished, reason}
if (process.argv.includes('--slow')) server.registerTool(
	'slow',
	{
		description: 'Waits ms milliseconds; a cancellation stops it and is recorded under tag.',
		inputSchema: { ms: z.number().int().min(0).max(600000), tag: z.string().optional() }
	},
	async ({ ms, tag }, extra) => {
		const rec = { started: Date.now(), cancelled: false, finished: false, reason: null };
		if (tag !== undefined) slowCalls.set(tag, rec);
		await new Promise((resolve) => {
			const t = setTimeout(resolve, ms);
			extra.signal.addEventListener(
				'abort',
				() => {
					clearTimeout(t);
					rec.cancelled = true;
					rec.reason = String(extra.signal.reason?.message ?? extra.signal.reason);
					resolve();
				},
				{ once: true }
			);
		});
		if (rec.cancelled) throw new Error('cancelled');
		rec.finished = true;
		return text(`slept ${ms} ms`);
	}
);
if (process.argv.includes('--slow')) server.registerTool(
	'was_cancelled',
	{ description: 'What the slow call with this tag saw.', inputSchema: { tag: z.string() } },
	async ({ tag }) => {
		const rec = slowCalls.get(tag);
		return text(JSON.stringify(rec ? { tag, ...rec } : { tag, started: null }));
	}
);

// The end of stdin is the end of the session.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));

await server.connect(new StdioServerTransport());
process.stderr.write('stdio test server ready\n');
