// The MCP server of configuration 4 of bench/run.sh, written with the
// official TypeScript SDK (@modelcontextprotocol/sdk, McpServer): one tool,
// echo {message}, whose result is the text content "echo: MESSAGE", as
// mcpgw's built-in demo server answers (bench/mcp_echo.lua checks it).
//
//   node echo_server.mjs --stdio        MCP over stdin/stdout (newline-
//                                       delimited JSON-RPC), as mcp-proxy
//                                       and supergateway run it
//   node echo_server.mjs --http PORT    Streamable HTTP on 127.0.0.1:PORT/mcp
//                                       (PORT 0: any free port), for mcpgw
//
// The same server code in both modes: a McpServer per session.  In HTTP
// mode, as in the SDK's examples, each session (initialize without
// Mcp-Session-Id) gets its own StreamableHTTPServerTransport and McpServer,
// with stateful session ids (Mcp-Session-Id, a UUID); a request with an
// unknown session id is answered 404, one without it (but initialize) 400;
// DELETE ends the session (the SDK answers 200).  The SDK's defaults are
// kept: answers as SSE streams (text/event-stream), Host header validation
// (DNS rebinding protection) on 127.0.0.1.  It prints "listening PORT" once
// it accepts connections.
//
// In stdio mode it exits when its stdin closes (the proxy that spawned it
// went away); in both modes it exits on SIGTERM/SIGINT, and when the process
// that started it is gone (a proxy killed with SIGKILL leaves no orphan).

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const usage = () => {
	console.error('usage: node echo_server.mjs --stdio | --http PORT');
	process.exit(2);
};

// newServer: the server of one session (HTTP) or of the process (stdio).
function newServer() {
	const server = new McpServer({ name: 'mcpgw-bench-echo', version: '1.0.0' });
	server.registerTool(
		'echo',
		{ description: 'Echoes the message back', inputSchema: { message: z.string() } },
		async ({ message }) => ({ content: [{ type: 'text', text: `echo: ${message}` }] })
	);
	return server;
}

// The pid of our parent now (process.ppid is read once, at start).
function parentPid() {
	try {
		return Number(readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
	} catch {
		return process.ppid;
	}
}

// watchParent: exit when the process that started us has gone (we are
// then the child of init or of a subreaper).
function watchParent(stop) {
	const parent = parentPid();
	setInterval(() => {
		if (parentPid() !== parent) stop();
	}, 1000).unref();
}

function rpcError(res, status, code, message) {
	res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

// serveStdio: one server on stdin/stdout.
async function serveStdio() {
	const server = newServer();
	const stop = () => process.exit(0);
	process.stdin.on('end', stop);
	process.stdin.on('close', stop);
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
	watchParent(stop);
	await server.connect(new StdioServerTransport());
}

// serveHttp: Streamable HTTP on 127.0.0.1:PORT/mcp, a transport and a
// server per session.
function serveHttp(port) {
	const sessions = new Map(); // session id -> transport
	const app = createMcpExpressApp({ host: '127.0.0.1' });

	app.post('/mcp', async (req, res) => {
		const sid = req.headers['mcp-session-id'];
		if (sid !== undefined) {
			const transport = sessions.get(sid);
			if (!transport) return rpcError(res, 404, -32001, 'Session not found');
			return transport.handleRequest(req, res, req.body);
		}
		if (!isInitializeRequest(req.body))
			return rpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
		const transport = new StreamableHTTPServerTransport({
			sessionIdGenerator: randomUUID,
			onsessioninitialized: (id) => sessions.set(id, transport),
			onsessionclosed: (id) => sessions.delete(id)
		});
		transport.onclose = () => {
			if (transport.sessionId) sessions.delete(transport.sessionId);
		};
		await newServer().connect(transport);
		await transport.handleRequest(req, res, req.body);
	});
	const other = async (req, res) => {
		const sid = req.headers['mcp-session-id'];
		if (sid === undefined) return rpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
		const transport = sessions.get(sid);
		if (!transport) return rpcError(res, 404, -32001, 'Session not found');
		await transport.handleRequest(req, res);
	};
	app.get('/mcp', other);
	app.delete('/mcp', other);

	const http = app.listen(port, '127.0.0.1', () => {
		console.log(`listening ${http.address().port}`);
	});
	http.on('error', (e) => {
		console.error(`echo_server: ${e.message}`);
		process.exit(1);
	});
	const stop = () => {
		for (const t of sessions.values()) t.close().catch(() => {});
		http.close();
		http.closeAllConnections?.();
		setTimeout(() => process.exit(0), 200).unref();
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
	watchParent(stop);
}

const [mode, arg] = process.argv.slice(2);
if (mode === '--stdio' && arg === undefined) {
	await serveStdio();
} else if (mode === '--http' && /^[0-9]+$/.test(arg ?? '') && Number(arg) <= 65535 && process.argv.length === 4) {
	serveHttp(Number(arg));
} else {
	usage();
}
