// The MCP server of configuration 4 of bench/run.sh, written with the
// official TypeScript SDK (@modelcontextprotocol/sdk, McpServer): one tool,
// echo {message}, whose result is the text content "echo: MESSAGE", as
// mcpgw's built-in demo server answers (bench/mcp_echo.lua checks it).
//
//   node echo_server.mjs --stdio        MCP over stdin/stdout (newline-
//                                       delimited JSON-RPC), as mcpgw (its
//                                       stdio upstream), mcp-proxy and
//                                       supergateway run it
//
// It exits when its stdin closes (the proxy that spawned it went away), on
// SIGTERM/SIGINT, and when the process that started it is gone (a proxy
// killed with SIGKILL leaves no orphan).

import { readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const usage = () => {
	console.error('usage: node echo_server.mjs --stdio');
	process.exit(2);
};

// newServer: the server of the process.
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

const [mode, arg] = process.argv.slice(2);
if (mode === '--stdio' && arg === undefined) {
	await serveStdio();
} else {
	usage();
}
