// sdk_auth_v1.mjs: the official MCP TypeScript SDK v1 client
// (@modelcontextprotocol/sdk 1.32.2, client/auth.js) authorizing itself at a
// protected MCP route, as the MCP authorization specification says a client does.
//
// Usage: node sdk_auth_v1.mjs URL [--client-credentials ID:SECRET --issuer ISSUER] [--scope S] [--message M]
//
// Authorization code (default): the first request gets 401; the SDK reads
// resource_metadata from WWW-Authenticate, fetches the protected resource
// metadata (RFC 9728), discovers the authorization server (RFC 8414 or
// OpenID), registers (RFC 7591), and sends the user agent to the
// authorization URL with PKCE S256 and resource=URL (RFC 8707); flow.mjs
// plays the user agent against issuer.mjs and catches the code at the
// loopback redirect_uri; finishAuth redeems it, and a second connect calls
// `echo`.
// --client-credentials: the SDK's ClientCredentialsProvider (auth-extensions.js)
// gets its token by the client credentials grant after the same discovery.
//
// Prints one JSON line: {"sdk":"v1","mode":..,"ok":..,"requests":["METHOD URL STATUS",..],
// "challenges":[WWW-Authenticate,..],"authorization":{..},"client_id":..,
// "token":{kid,alg,iss,aud,scope,sub},"result":TEXT,"error":..}; exit 0 when
// the call answered "echo: MESSAGE". An overall timeout of 30 s fails it.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { TestOAuthProvider, describe, parseClientArgs, recordingFetch, report, textOf } from './flow.mjs';

const args = parseClientArgs(process.argv.slice(2), 'sdk_auth_v1.mjs');
if (args.pin) {
    console.error('sdk_auth_v1.mjs: --pin is for the SDK v2 client');
    process.exit(2);
}
const seen = {
    sdk: 'v1',
    mode: args.cc ? 'client_credentials' : 'authorization_code',
    ok: false,
    requests: [],
    challenges: []
};
const REDIRECT = 'http://127.0.0.1:47123/callback';
let provider;

function finish(error) {
    if (error) seen.error = describe(error);
    report(seen, provider?.tokens()?.access_token);
    process.exit(seen.ok ? 0 : 1);
}
setTimeout(() => finish(new Error('overall timeout of 30 s exceeded')), 30_000).unref();

function newClient() {
    return new Client({ name: 'mcpgw-auth-test-v1', version: '1.0.0' });
}

async function callEcho(client) {
    const result = await client.callTool({ name: 'echo', arguments: { message: args.message } });
    seen.result = textOf(result);
    seen.ok = !result.isError && seen.result === `echo: ${args.message}`;
}

async function main() {
    const fetchFn = recordingFetch(seen);
    if (args.cc) {
        const [clientId, clientSecret] = args.cc.split(':');
        provider = new ClientCredentialsProvider({ clientId, clientSecret, scope: args.scope, expectedIssuer: args.issuer });
        const client = newClient();
        await client.connect(new StreamableHTTPClientTransport(new URL(args.url), { authProvider: provider, fetch: fetchFn }));
        await callEcho(client);
        await client.close();
        return;
    }
    provider = new TestOAuthProvider(REDIRECT, seen);
    const first = new StreamableHTTPClientTransport(new URL(args.url), { authProvider: provider, fetch: fetchFn });
    try {
        await newClient().connect(first);
        throw new Error('connected without authorization: the route is not protected');
    } catch (error) {
        if (!(error instanceof UnauthorizedError)) throw error;
    }
    if (!provider.callback) throw new Error('the SDK never sent the user agent to the authorization server');
    await first.finishAuth(provider.callback.searchParams.get('code'));
    const client = newClient();
    await client.connect(new StreamableHTTPClientTransport(new URL(args.url), { authProvider: provider, fetch: fetchFn }));
    await callEcho(client);
    await client.close();
}

main().then(() => finish(), error => finish(error));
