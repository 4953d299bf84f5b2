// An MCP server over stdio for mcpgw's upstream-credentials test
// (tests/integration/upstream_cred.sh), written with the official
// TypeScript SDK (McpServer + StdioServerTransport).  Its one tool:
//   env {name}   the value of the environment variable NAME as this
//                process got it, or "(unset)"
// so that the test sees what environment the connector gave it.

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'mcpgw-env-test-server', version: '1.0.0' }, { capabilities: { tools: {} } });

server.registerTool(
	'env',
	{ description: 'The value of one environment variable.', inputSchema: { name: z.string() } },
	async ({ name }) => ({ content: [{ type: 'text', text: process.env[name] ?? '(unset)' }] })
);

await server.connect(new StdioServerTransport());
