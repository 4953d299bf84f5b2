// An upstream MCP server for mcpgw's proxy tests, written with the official
// TypeScript SDK (McpServer + StreamableHTTPServerTransport, one stateful
// session per client, resumable SSE streams through an in-memory event
// store), bound to 127.0.0.1 and protected against DNS rebinding (the SDK's
// Host header validation).
//
//   node upstream_server.mjs PORT [SID_LENGTH]
//
// PORT 0: any free port.  SID_LENGTH: the length of the session ids it
// hands out (default 36, a UUID; longer ids are a UUID padded with
// visible ASCII, as the transport allows any length).
//
// Prints "listening PORT" once it accepts connections.  SIGTERM/SIGINT stop
// it, and so does the end of the process that started it.  GET /stats
// (not MCP) answers counters and the open session ids as JSON.
//
// It offers everything the server scenarios of @modelcontextprotocol/
// conformance call for, each as the scenario checks it:
//   tools      test_simple_text, test_image_content, test_audio_content,
//              test_embedded_resource, test_multiple_content_types,
//              test_tool_with_logging, test_tool_with_progress,
//              test_error_handling, test_sampling, test_elicitation,
//              test_elicitation_sep1034_defaults,
//              test_elicitation_sep1330_enums, json_schema_2020_12_tool,
//              test_reconnection
//              and, for the input-required-result-* scenarios of the
//              2026-07-28 revision (SEP-2322) played through mcpgw's bridge:
//              test_input_required_result_elicitation, _sampling,
//              _list_roots, _request_state, _multiple_inputs, _multi_round,
//              _tampered_state, _capabilities, test_missing_capability
//   resources  test://static-text, test://static-binary,
//              test://watched-resource (subscribe/unsubscribe),
//              template test://template/{id}/data
//   prompts    test_simple_prompt, test_prompt_with_arguments (arg1 with
//              completion), test_prompt_with_embedded_resource,
//              test_prompt_with_image, test_input_required_result_prompt
//   logging    logging/setLevel (log notifications honour the level)
//   completion completion/complete
// and the tools of the integration tests:
//   echo {message}               "echo: MESSAGE"
//   slow {ms, tag}               waits ms, stops when cancelled (the request's
//                                AbortSignal) and records it under tag
//   was_cancelled {tag}          what slow TAG saw: JSON {started, cancelled,
//                                finished, reason}
//   ask {message}                elicitation/create to the client; returns
//                                the client's answer as JSON text
//   progress_steps {steps, delay_ms}
//                                notifications/progress 1..steps (when the
//                                call has a progressToken), then the result
//   test_trigger_tool_change, test_trigger_prompt_change
//                                notifications/tools|prompts/list_changed on
//                                the session's GET stream
//   touch_resource {uri}         notifications/resources/updated for uri, if
//                                subscribed, on the GET stream
//   notify_standalone {text}     a log notification outside any request: it
//                                travels on the client's GET stream
//   forget_me                    answers, then forgets its session as a
//                                restarted server would (later requests
//                                with its id get 404)
//
// Server-to-client requests and notifications of a tool call are sent with
// the call as related request, so they travel on that POST's SSE stream.
//
// The test_input_required_result_* fixtures do what a 2025 server does: the
// handler sends real requests to the client (elicitation/create,
// sampling/createMessage, roots/list) and waits for the answers.  Each
// request's params carry _meta {"mcpgw/inputKey": KEY}, the name mcpgw's
// bridge gives it in the inputRequests of the input_required result it
// returns to a 2026-07-28 client (the scenario's key: user_name,
// capital_question, client_roots, confirm, greeting, step1, step2,
// user_context).  requestState and its integrity check are the gateway's
// business, not this server's.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import {
	CreateMessageResultSchema,
	ElicitResultSchema,
	ListRootsResultSchema,
	SetLevelRequestSchema,
	SubscribeRequestSchema,
	UnsubscribeRequestSchema,
	isInitializeRequest
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const port = Number(process.argv[2] ?? 0);
const sidLength = Number(process.argv[3] ?? 36);
if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isInteger(sidLength) || sidLength < 36 || sidLength > 4096) {
	console.error('usage: node upstream_server.mjs PORT [SID_LENGTH]');
	process.exit(2);
}
// visible ASCII (0x21-0x7E), "~" included so that no layer can take it
// for base64
const newSessionId = () => {
	const id = randomUUID();
	let pad = '';
	for (let i = 0; pad.length < sidLength - id.length; i++) pad += '~!#$%&*+-.^_|'[i % 13];
	return id + pad;
};

// A 1x1 red PNG and a minimal WAV file.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WAV = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

const JSON_SCHEMA_2020_12 = {
	$schema: 'https://json-schema.org/draft/2020-12/schema',
	type: 'object',
	$defs: {
		address: {
			type: 'object',
			properties: { street: { type: 'string' }, city: { type: 'string' } }
		}
	},
	properties: {
		name: { type: 'string' },
		address: { $ref: '#/$defs/address' }
	},
	additionalProperties: false
};

// The _meta key naming a request to the client for mcpgw's bridge.
const INPUT_KEY = 'mcpgw/inputKey';

const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

// ---- state shared by all sessions -------------------------------------------

const stats = { sessions: 0, open: 0, initialize: 0, requests: 0, deleted: 0, forgotten: 0, cancelled: 0, unknown: [], lastInit: null };
const slowCalls = new Map(); // tag -> {started, cancelled, finished, reason}
const sessions = new Map(); // session id -> {transport, server, getStreams}

const sleep = (ms, signal) =>
	new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
		const t = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		const onAbort = () => {
			clearTimeout(t);
			reject(signal.reason ?? new Error('aborted'));
		};
		signal?.addEventListener('abort', onAbort, { once: true });
	});

// Events kept for resumption (Last-Event-ID), per session.  An event id
// names its stream: "STREAM:SEQ".
function eventStore() {
	const events = [];
	let seq = 0;
	return {
		async storeEvent(streamId, message) {
			const eventId = `${streamId}:${String(++seq).padStart(8, '0')}`;
			events.push({ eventId, streamId, message });
			return eventId;
		},
		async getStreamIdForEventId(eventId) {
			return events.find((e) => e.eventId === eventId)?.streamId;
		},
		async replayEventsAfter(lastEventId, { send }) {
			const at = events.findIndex((e) => e.eventId === lastEventId);
			if (at < 0) throw new Error(`unknown event id ${lastEventId}`);
			const streamId = events[at].streamId;
			for (const e of events.slice(at + 1))
				if (e.streamId === streamId && Object.keys(e.message).length > 0)
					await send(e.eventId, e.message);
			return streamId;
		}
	};
}

// ---- one MCP server per session ---------------------------------------------

function newServer(session) {
	const mcp = new McpServer(
		{ name: 'mcpgw-test-upstream', version: '1.0.0' },
		{
			capabilities: {
				tools: { listChanged: true },
				resources: { subscribe: true, listChanged: true },
				prompts: { listChanged: true },
				logging: {},
				completions: {}
			}
		}
	);
	const server = mcp.server;
	let level = null; // set by logging/setLevel
	const subscriptions = new Set();

	// A log notification on the stream of the call EXTRA, if the level
	// the client set lets it through.
	const log = (extra, lvl, data) => {
		if (level !== null && LEVELS.indexOf(lvl) < LEVELS.indexOf(level)) return Promise.resolve();
		return extra.sendNotification({
			method: 'notifications/message',
			params: { level: lvl, logger: 'mcpgw-test-upstream', data }
		});
	};
	const needCapability = (what) => {
		if (!server.getClientCapabilities()?.[what])
			throw new Error(`the client did not declare the ${what} capability`);
	};
	const elicit = async (extra, params) => {
		needCapability('elicitation');
		return extra.sendRequest({ method: 'elicitation/create', params }, ElicitResultSchema);
	};
	const text = (t) => ({ content: [{ type: 'text', text: t }] });
	// A request to the client named KEY for mcpgw's bridge (its key in
	// inputRequests).
	const keyed = (key, params) => ({ ...params, _meta: { ...params._meta, [INPUT_KEY]: key } });
	const sample = async (extra, key, prompt, maxTokens) => {
		needCapability('sampling');
		return extra.sendRequest(
			{
				method: 'sampling/createMessage',
				params: keyed(key, { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens })
			},
			CreateMessageResultSchema
		);
	};
	const listRoots = async (extra, key) => {
		needCapability('roots');
		return extra.sendRequest({ method: 'roots/list', params: keyed(key, {}) }, ListRootsResultSchema);
	};
	const askName = (extra, key, message) =>
		elicit(
			extra,
			keyed(key, {
				message,
				requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }
			})
		);
	const askConfirm = (extra) =>
		elicit(
			extra,
			keyed('confirm', {
				message: 'Please confirm',
				requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] }
			})
		);
	// What an answer says, in a line of text.
	const answered = (r, field) => (r.action === 'accept' ? String(r.content?.[field]) : `(${r.action})`);
	const sampled = (r) => {
		const blocks = Array.isArray(r.content) ? r.content : [r.content];
		const t = blocks.filter((b) => b?.type === 'text').map((b) => b.text);
		return t.length > 0 ? t.join('') : JSON.stringify(r.content);
	};
	const uris = (r) => r.roots.map((root) => root.uri).join(', ') || '(none)';

	server.setRequestHandler(SetLevelRequestSchema, async (req) => {
		level = req.params.level;
		return {};
	});
	server.setRequestHandler(SubscribeRequestSchema, async (req) => {
		subscriptions.add(req.params.uri);
		return {};
	});
	server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
		subscriptions.delete(req.params.uri);
		return {};
	});

	// ---- conformance tools ----

	mcp.registerTool(
		'test_simple_text',
		{ description: 'Returns simple text content' },
		async () => text('This is a simple text response for testing.')
	);
	mcp.registerTool('test_image_content', { description: 'Returns image content' }, async () => ({
		content: [{ type: 'image', data: PNG, mimeType: 'image/png' }]
	}));
	mcp.registerTool('test_audio_content', { description: 'Returns audio content' }, async () => ({
		content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }]
	}));
	mcp.registerTool('test_embedded_resource', { description: 'Returns an embedded resource' }, async () => ({
		content: [
			{
				type: 'resource',
				resource: {
					uri: 'test://embedded-resource',
					mimeType: 'text/plain',
					text: 'This is an embedded resource content.'
				}
			}
		]
	}));
	mcp.registerTool(
		'test_multiple_content_types',
		{ description: 'Returns text, image and resource content' },
		async () => ({
			content: [
				{ type: 'text', text: 'Multiple content types test:' },
				{ type: 'image', data: PNG, mimeType: 'image/png' },
				{
					type: 'resource',
					resource: {
						uri: 'test://mixed-content-resource',
						mimeType: 'application/json',
						text: JSON.stringify({ test: 'data', value: 123 })
					}
				}
			]
		})
	);
	mcp.registerTool(
		'test_tool_with_logging',
		{ description: 'Sends three log notifications while it runs', inputSchema: {} },
		async (_args, extra) => {
			await log(extra, 'info', 'Tool execution started');
			await sleep(50);
			await log(extra, 'info', 'Tool processing data');
			await sleep(50);
			await log(extra, 'info', 'Tool execution completed');
			return text('Tool with logging executed successfully');
		}
	);
	mcp.registerTool(
		'test_tool_with_progress',
		{ description: 'Reports progress 0, 50, 100 of 100', inputSchema: {} },
		async (_args, extra) => {
			const token = extra._meta?.progressToken;
			for (const progress of [0, 50, 100]) {
				if (token !== undefined)
					await extra.sendNotification({
						method: 'notifications/progress',
						params: { progressToken: token, progress, total: 100 }
					});
				if (progress < 100) await sleep(50);
			}
			return text(`Tool with progress executed (token ${String(token)})`);
		}
	);
	mcp.registerTool('test_error_handling', { description: 'Always fails' }, async () => {
		throw new Error('This tool intentionally returns an error for testing');
	});
	mcp.registerTool(
		'test_sampling',
		{
			description: 'Asks the client for an LLM completion (sampling/createMessage)',
			inputSchema: { prompt: z.string().describe('The prompt to send to the LLM') }
		},
		async ({ prompt }, extra) => {
			needCapability('sampling');
			const r = await extra.sendRequest(
				{
					method: 'sampling/createMessage',
					params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 }
				},
				CreateMessageResultSchema
			);
			return text(`LLM response: ${r.content?.type === 'text' ? r.content.text : JSON.stringify(r.content)}`);
		}
	);
	mcp.registerTool(
		'test_elicitation',
		{
			description: 'Asks the user for input (elicitation/create)',
			inputSchema: { message: z.string().describe('The message to show the user') }
		},
		async ({ message }, extra) => {
			const r = await elicit(extra, {
				message,
				requestedSchema: {
					type: 'object',
					properties: {
						username: { type: 'string', description: "User's response" },
						email: { type: 'string', description: "User's email address" }
					},
					required: ['username', 'email']
				}
			});
			return text(`User response: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
		}
	);
	mcp.registerTool(
		'test_elicitation_sep1034_defaults',
		{ description: 'Elicitation with defaults for every primitive type (SEP-1034)', inputSchema: {} },
		async (_args, extra) => {
			const r = await elicit(extra, {
				message: 'Please review and update the form fields with defaults',
				requestedSchema: {
					type: 'object',
					properties: {
						name: { type: 'string', description: 'User name', default: 'John Doe' },
						age: { type: 'integer', description: 'User age', default: 30 },
						score: { type: 'number', description: 'User score', default: 95.5 },
						status: {
							type: 'string',
							description: 'User status',
							enum: ['active', 'inactive', 'pending'],
							default: 'active'
						},
						verified: { type: 'boolean', description: 'Verification status', default: true }
					},
					required: []
				}
			});
			return text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
		}
	);
	mcp.registerTool(
		'test_elicitation_sep1330_enums',
		{ description: 'Elicitation with the five enum schema variants (SEP-1330)', inputSchema: {} },
		async (_args, extra) => {
			const r = await elicit(extra, {
				message: 'Please select options from the enum fields',
				requestedSchema: {
					type: 'object',
					properties: {
						untitledSingle: {
							type: 'string',
							description: 'Untitled single-select',
							enum: ['option1', 'option2', 'option3']
						},
						titledSingle: {
							type: 'string',
							description: 'Titled single-select',
							oneOf: [
								{ const: 'value1', title: 'First Option' },
								{ const: 'value2', title: 'Second Option' },
								{ const: 'value3', title: 'Third Option' }
							]
						},
						legacyEnum: {
							type: 'string',
							description: 'Legacy titled enum (enumNames)',
							enum: ['opt1', 'opt2', 'opt3'],
							enumNames: ['Option One', 'Option Two', 'Option Three']
						},
						untitledMulti: {
							type: 'array',
							description: 'Untitled multi-select',
							items: { type: 'string', enum: ['option1', 'option2', 'option3'] }
						},
						titledMulti: {
							type: 'array',
							description: 'Titled multi-select',
							items: {
								anyOf: [
									{ const: 'value1', title: 'First Choice' },
									{ const: 'value2', title: 'Second Choice' },
									{ const: 'value3', title: 'Third Choice' }
								]
							}
						}
					},
					required: []
				}
			});
			return text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
		}
	);
	// Listed with JSON_SCHEMA_2020_12 verbatim (see the tools/list hook in
	// serve()); the zod shape only validates the call.
	mcp.registerTool(
		'json_schema_2020_12_tool',
		{
			description: 'Tool with JSON Schema 2020-12 features',
			inputSchema: {
				name: z.string().optional(),
				address: z.object({ street: z.string().optional(), city: z.string().optional() }).optional()
			}
		},
		async (args) => text(`json_schema_2020_12_tool: ${JSON.stringify(args)}`)
	);
	mcp.registerTool(
		'test_reconnection',
		{
			description:
				'Closes its SSE stream mid-call (SEP-1699); the result waits in the event store for the client to resume with Last-Event-ID',
			inputSchema: {}
		},
		async (_args, extra) => {
			// An event with an id first, so the client has a Last-Event-ID
			// to resume from (its first event when the version sends no
			// priming event).
			await log(extra, 'info', 'test_reconnection: closing the stream');
			session.transport.closeSSEStream(extra.requestId);
			await sleep(100);
			return text('Reconnection test completed successfully: the result was sent after the stream closed.');
		}
	);

	// ---- input-required-result-* (SEP-2322), the 2025 way ----

	mcp.registerTool(
		'test_input_required_result_elicitation',
		{ description: 'Asks the user for their name (elicitation/create, key user_name)', inputSchema: {} },
		async (_args, extra) => {
			const r = await askName(extra, 'user_name', 'What is your name?');
			if (r.action !== 'accept') return text(`No name given: the user chose ${r.action}`);
			return text(`Hello, ${r.content?.name}!`);
		}
	);
	mcp.registerTool(
		'test_input_required_result_sampling',
		{ description: 'Asks the client for a completion (sampling/createMessage, key capital_question)', inputSchema: {} },
		async (_args, extra) => text(sampled(await sample(extra, 'capital_question', 'What is the capital of France?', 100)))
	);
	mcp.registerTool(
		'test_input_required_result_list_roots',
		{ description: "Asks for the client's roots (roots/list, key client_roots)", inputSchema: {} },
		async (_args, extra) => text(`Client roots: ${uris(await listRoots(extra, 'client_roots'))}`)
	);
	mcp.registerTool(
		'test_input_required_result_request_state',
		{ description: 'Asks for a confirmation (elicitation/create, key confirm)', inputSchema: {} },
		async (_args, extra) => text(`state-ok: confirmed=${answered(await askConfirm(extra), 'ok')}`)
	);
	mcp.registerTool(
		'test_input_required_result_multiple_inputs',
		{
			description:
				'Asks for a name (key user_name), a completion (key greeting) and the roots (key client_roots), all at once',
			inputSchema: {}
		},
		async (_args, extra) => {
			const [name, greeting, roots] = await Promise.all([
				askName(extra, 'user_name', 'What is your name?'),
				sample(extra, 'greeting', 'Generate a greeting', 50),
				listRoots(extra, 'client_roots')
			]);
			return text(`name=${answered(name, 'name')}; greeting=${sampled(greeting)}; roots=${uris(roots)}`);
		}
	);
	mcp.registerTool(
		'test_input_required_result_multi_round',
		{ description: 'Asks two questions, the second once the first is answered (keys step1, step2)', inputSchema: {} },
		async (_args, extra) => {
			const name = await askName(extra, 'step1', 'Step 1: What is your name?');
			const color = await elicit(
				extra,
				keyed('step2', {
					message: 'Step 2: What is your favorite color?',
					requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] }
				})
			);
			return text(`Multi-round complete for ${answered(name, 'name')} who likes ${answered(color, 'color')}`);
		}
	);
	mcp.registerTool(
		'test_input_required_result_tampered_state',
		{ description: 'Asks for a confirmation (elicitation/create, key confirm)', inputSchema: {} },
		async (_args, extra) => text(`state-ok: confirmed=${answered(await askConfirm(extra), 'ok')}`)
	);
	// Both requests go out; the one for a capability the (2026) client
	// lacks fails (mcpgw answers it -32601), which is no error here.
	mcp.registerTool(
		'test_input_required_result_capabilities',
		{
			description: 'Asks for a name (key user_name) and a completion (key capital_question); reports which failed',
			inputSchema: {}
		},
		async (_args, extra) => {
			const [name, capital] = await Promise.allSettled([
				askName(extra, 'user_name', 'What is your name?'),
				sample(extra, 'capital_question', 'What is the capital of France?', 100)
			]);
			const ok = [];
			const failed = [];
			if (name.status === 'fulfilled') ok.push(`user_name=${answered(name.value, 'name')}`);
			else failed.push(`user_name (${name.reason?.message ?? name.reason})`);
			if (capital.status === 'fulfilled') ok.push(`capital_question=${sampled(capital.value)}`);
			else failed.push(`capital_question (${capital.reason?.message ?? capital.reason})`);
			return text(`answered: ${ok.join(', ') || 'none'}; failed: ${failed.join(', ') || 'none'}`);
		}
	);
	// server-stateless (2026-07-28) calls it without the sampling
	// capability and wants -32021: a 2025 server cannot see the client's
	// per-request capabilities, so it asks, the gateway refuses it, and
	// the tool fails (the gateway then answers -32021 naming sampling)
	mcp.registerTool(
		'test_missing_capability',
		{ description: 'Needs sampling: asks the client for a completion (key completion) and fails without one', inputSchema: {} },
		async (_args, extra) => {
			const r = await sample(extra, 'completion', 'Say hello', 20);
			return text(`sampled: ${sampled(r)}`);
		}
	);

	// what the runner's server-stateless calls to change the lists, and a
	// resource update for a subscribed URI: notifications outside any
	// request, on the session's GET stream (the bridge's, for 2026-07-28
	// clients, fanned out to their subscriptions/listen streams)
	mcp.registerTool(
		'test_trigger_tool_change',
		{ description: 'Sends notifications/tools/list_changed', inputSchema: {} },
		async () => {
			mcp.sendToolListChanged();
			return text('tools/list_changed sent');
		}
	);
	mcp.registerTool(
		'test_trigger_prompt_change',
		{ description: 'Sends notifications/prompts/list_changed', inputSchema: {} },
		async () => {
			mcp.sendPromptListChanged();
			return text('prompts/list_changed sent');
		}
	);
	mcp.registerTool(
		'touch_resource',
		{ description: 'Sends notifications/resources/updated for uri if it is subscribed', inputSchema: { uri: z.string() } },
		async ({ uri }) => {
			if (!subscriptions.has(uri)) return text(`not subscribed: ${uri}`);
			await server.sendResourceUpdated({ uri });
			return text(`updated: ${uri}`);
		}
	);

	// ---- tools of the integration tests ----

	mcp.registerTool(
		'echo',
		{ description: 'Answers its message', inputSchema: { message: z.string() } },
		async ({ message }) => text(`echo: ${message}`)
	);
	mcp.registerTool(
		'slow',
		{
			description: 'Waits ms milliseconds; a cancellation stops it and is recorded under tag',
			inputSchema: { ms: z.number().int().min(0).max(600000), tag: z.string().optional() }
		},
		async ({ ms, tag }, extra) => {
			const rec = { started: Date.now(), cancelled: false, finished: false, reason: null };
			if (tag !== undefined) slowCalls.set(tag, rec);
			try {
				await sleep(ms, extra.signal);
			} catch (e) {
				rec.cancelled = true;
				rec.reason = String(extra.signal.reason?.message ?? extra.signal.reason ?? e);
				stats.cancelled++;
				throw e;
			}
			rec.finished = true;
			return text(`slept ${ms} ms`);
		}
	);
	mcp.registerTool(
		'was_cancelled',
		{ description: 'What the slow call with this tag saw', inputSchema: { tag: z.string() } },
		async ({ tag }) => {
			const rec = slowCalls.get(tag);
			return text(JSON.stringify(rec ? { tag, ...rec } : { tag, started: null }));
		}
	);
	mcp.registerTool(
		'ask',
		{ description: 'Asks the client (elicitation/create) and returns its answer', inputSchema: { message: z.string() } },
		async ({ message }, extra) => {
			const r = await elicit(extra, {
				message,
				requestedSchema: {
					type: 'object',
					properties: { answer: { type: 'string', description: 'Your answer' } },
					required: ['answer']
				}
			});
			return text(JSON.stringify({ action: r.action, content: r.content ?? null }));
		}
	);
	mcp.registerTool(
		'progress_steps',
		{
			description: 'Sends notifications/progress 1..steps, delay_ms apart, then answers',
			inputSchema: {
				steps: z.number().int().min(1).max(1000),
				delay_ms: z.number().int().min(0).max(10000).optional()
			}
		},
		async ({ steps, delay_ms }, extra) => {
			const token = extra._meta?.progressToken;
			for (let i = 1; i <= steps; i++) {
				if (token !== undefined)
					await extra.sendNotification({
						method: 'notifications/progress',
						params: { progressToken: token, progress: i, total: steps, message: `step ${i} of ${steps}` }
					});
				await sleep(delay_ms ?? 20);
			}
			return text(`done ${steps} steps`);
		}
	);
	mcp.registerTool(
		'notify_standalone',
		{
			description: 'Sends a log notification outside any request (on the GET stream), once one is open',
			inputSchema: { text: z.string() }
		},
		async ({ text: t }) => {
			for (let i = 0; i < 100 && session.getStreams === 0; i++) await sleep(50);
			if (session.getStreams === 0) throw new Error('no GET stream open on this session after 5 s');
			await server.notification({
				method: 'notifications/message',
				params: { level: 'notice', logger: 'mcpgw-test-upstream', data: t }
			});
			return text(`sent on the GET stream: ${t}`);
		}
	);

	mcp.registerTool(
		'forget_me',
		{ description: 'Answers, then forgets this session (as a restarted server would)', inputSchema: {} },
		async () => {
			setTimeout(() => {
				const id = session.transport.sessionId;
				if (sessions.get(id) !== session) return;
				sessions.delete(id);
				stats.forgotten++;
				session.transport.close().catch(() => {});
			}, 20);
			return text('this session will be forgotten');
		}
	);

	// ---- resources ----

	mcp.registerResource(
		'static-text',
		'test://static-text',
		{ description: 'A static text resource', mimeType: 'text/plain' },
		async (uri) => ({
			contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }]
		})
	);
	mcp.registerResource(
		'static-binary',
		'test://static-binary',
		{ description: 'A static binary resource (a PNG)', mimeType: 'image/png' },
		async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG }] })
	);
	mcp.registerResource(
		'watched-resource',
		'test://watched-resource',
		{ description: 'A resource that can be subscribed to', mimeType: 'text/plain' },
		async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content' }] })
	);
	mcp.registerResource(
		'template',
		new ResourceTemplate('test://template/{id}/data', { list: undefined }),
		{ description: 'A resource template with an id parameter', mimeType: 'application/json' },
		async (uri, { id }) => ({
			contents: [
				{
					uri: uri.href,
					mimeType: 'application/json',
					text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` })
				}
			]
		})
	);

	// ---- prompts ----

	mcp.registerPrompt('test_simple_prompt', { description: 'A prompt without arguments' }, async () => ({
		messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }]
	}));
	mcp.registerPrompt(
		'test_prompt_with_arguments',
		{
			description: 'A prompt with two arguments',
			argsSchema: {
				arg1: completable(z.string().describe('First test argument'), (value) =>
					['paris', 'park', 'party', 'testValue1'].filter((v) => v.startsWith(value ?? ''))
				),
				arg2: z.string().describe('Second test argument')
			}
		},
		async ({ arg1, arg2 }) => ({
			messages: [
				{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }
			]
		})
	);
	mcp.registerPrompt(
		'test_prompt_with_embedded_resource',
		{
			description: 'A prompt that embeds a resource',
			argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') }
		},
		async ({ resourceUri }) => ({
			messages: [
				{
					role: 'user',
					content: {
						type: 'resource',
						resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' }
					}
				},
				{ role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } }
			]
		})
	);
	mcp.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' }, async () => ({
		messages: [
			{ role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
			{ role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } }
		]
	}));
	mcp.registerPrompt(
		'test_input_required_result_prompt',
		{ description: 'A prompt that asks the user for its context (elicitation/create, key user_context)' },
		async (extra) => {
			const r = await elicit(
				extra,
				keyed('user_context', {
					message: 'What context should the prompt use?',
					requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] }
				})
			);
			return {
				messages: [
					{ role: 'user', content: { type: 'text', text: `Prompt with context: ${answered(r, 'context')}` } }
				]
			};
		}
	);

	return mcp;
}

// ---- HTTP -----------------------------------------------------------------------

// A session id we never issued (or ended): its length is kept for the
// tests (the last 20).
function unknownSession(res, sid) {
	stats.unknown.push({ length: sid.length, prefix: sid.slice(0, 40) });
	if (stats.unknown.length > 20) stats.unknown.shift();
	return rpcError(res, 404, -32001, 'Session not found');
}

function rpcError(res, status, code, message) {
	res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

function serve() {
	const app = createMcpExpressApp({ host: '127.0.0.1' }); // Host validation

	app.get('/stats', (_req, res) => res.json({ ...stats, open: sessions.size, ids: [...sessions.keys()] }));

	app.post('/mcp', async (req, res) => {
		stats.requests++;
		const sid = req.headers['mcp-session-id'];
		if (sid !== undefined) {
			const s = sessions.get(sid);
			if (!s) return unknownSession(res, sid);
			return s.transport.handleRequest(req, res, req.body);
		}
		if (!isInitializeRequest(req.body))
			return rpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
		stats.initialize++;
		stats.lastInit = req.body.params ?? null;
		const session = { transport: null, server: null, getStreams: 0 };
		const transport = new StreamableHTTPServerTransport({
			sessionIdGenerator: newSessionId,
			eventStore: eventStore(),
			retryInterval: 500,
			onsessioninitialized: (id) => {
				sessions.set(id, session);
				stats.sessions++;
			},
			onsessionclosed: (id) => {
				sessions.delete(id);
				stats.deleted++;
			}
		});
		transport.onclose = () => {
			if (transport.sessionId) sessions.delete(transport.sessionId);
		};
		// json_schema_2020_12_tool is listed with its JSON Schema exactly
		// as written (McpServer would rewrite it from the zod shape).
		const send = transport.send.bind(transport);
		transport.send = (message, options) => {
			const tools = message?.result?.tools;
			if (Array.isArray(tools))
				for (const t of tools) if (t.name === 'json_schema_2020_12_tool') t.inputSchema = JSON_SCHEMA_2020_12;
			return send(message, options);
		};
		session.transport = transport;
		session.server = newServer(session);
		await session.server.connect(transport);
		await transport.handleRequest(req, res, req.body);
	});

	const other = async (req, res) => {
		stats.requests++;
		const sid = req.headers['mcp-session-id'];
		if (sid === undefined) return rpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
		const s = sessions.get(sid);
		if (!s) return unknownSession(res, sid);
		if (req.method === 'GET') {
			s.getStreams++;
			res.on('close', () => s.getStreams--);
		}
		await s.transport.handleRequest(req, res);
	};
	app.get('/mcp', other);
	app.delete('/mcp', other);

	const http = app.listen(port, '127.0.0.1', () => {
		console.log(`listening ${http.address().port}`);
	});
	http.on('error', (e) => {
		console.error(`upstream_server: ${e.message}`);
		process.exit(1);
	});
	const stop = () => {
		for (const s of sessions.values()) s.transport.close().catch(() => {});
		http.close();
		http.closeAllConnections?.();
		setTimeout(() => process.exit(0), 200).unref();
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
	// A test that was killed cannot stop us: go when our parent does.
	// (process.ppid is read once, at start: ask the kernel)
	const ppid = () => {
		try {
			return Number(readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
		} catch {
			return process.ppid;
		}
	};
	const parent = ppid();
	setInterval(() => {
		if (ppid() !== parent) stop();
	}, 500).unref();
}

serve();
