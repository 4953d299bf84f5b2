// sdk_auth_v2.mjs: the official MCP TypeScript SDK v2 client
// (@modelcontextprotocol/client 2.4.0) authorizing itself at a protected MCP
// route, as the MCP authorization specification says a client does.
//
// Usage: node sdk_auth_v2.mjs URL [--client-credentials ID:SECRET --issuer ISSUER] [--scope S] [--message M]
//        [--pin REVISION]
//
// Authorization code (default): the first request gets 401; the SDK reads
// resource_metadata from WWW-Authenticate, fetches the protected resource
// metadata (RFC 9728), discovers the authorization server, registers
// (RFC 7591), and sends the user agent to the authorization URL with PKCE
// S256 and resource=URL (RFC 8707); flow.mjs plays the user agent against
// issuer.mjs and catches the callback at the loopback redirect_uri;
// finishAuth(callback's search params) checks `iss` (RFC 9207) and redeems
// the code, and a second connect calls `echo`. The client negotiates its
// revision as it does by default (initialize, a 2025 revision), or speaks
// only --pin REVISION (2026-07-28: server/discover, then stateless
// requests); the output's "revision" says which.
// --client-credentials: the SDK's ClientCredentialsProvider gets its token by
// the client credentials grant after the same discovery.
//
// Prints one JSON line as sdk_auth_v1.mjs does ("sdk":"v2", plus "revision");
// exit 0 when the call answered "echo: MESSAGE". An overall timeout of 30 s fails it.

import { Client, ClientCredentialsProvider, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { TestOAuthProvider, describe, parseClientArgs, recordingFetch, report, textOf } from './flow.mjs';

const args = parseClientArgs(process.argv.slice(2), 'sdk_auth_v2.mjs');
const seen = {
    sdk: 'v2',
    mode: args.cc ? 'client_credentials' : 'authorization_code',
    ok: false,
    requests: [],
    challenges: []
};
const REDIRECT = 'http://127.0.0.1:47124/callback';
let provider;

function finish(error) {
    if (error) seen.error = describe(error);
    report(seen, provider?.tokens()?.access_token);
    process.exit(seen.ok ? 0 : 1);
}
setTimeout(() => finish(new Error('overall timeout of 30 s exceeded')), 30_000).unref();

function newClient() {
    const client = new Client(
        { name: 'mcpgw-auth-test-v2', version: '1.0.0' },
        args.pin ? { versionNegotiation: { mode: { pin: args.pin } } } : undefined
    );
    client.onerror = () => {}; // transport noise; the result says what matters
    return client;
}

async function connectAndCall(transport) {
    const client = newClient();
    await client.connect(transport);
    seen.revision = client.getNegotiatedProtocolVersion();
    const result = await client.callTool({ name: 'echo', arguments: { message: args.message } });
    seen.result = textOf(result);
    seen.ok = !result.isError && seen.result === `echo: ${args.message}`;
    await client.close();
}

async function main() {
    const fetchFn = recordingFetch(seen);
    const transport = () => new StreamableHTTPClientTransport(new URL(args.url), { authProvider: provider, fetch: fetchFn });
    if (args.cc) {
        const [clientId, clientSecret] = args.cc.split(':');
        provider = new ClientCredentialsProvider({ clientId, clientSecret, scope: args.scope, expectedIssuer: args.issuer });
        await connectAndCall(transport());
        return;
    }
    provider = new TestOAuthProvider(REDIRECT, seen);
    const first = transport();
    try {
        await newClient().connect(first);
        throw new Error('connected without authorization: the route is not protected');
    } catch (error) {
        if (!(error instanceof UnauthorizedError)) throw error;
    }
    if (!provider.callback) throw new Error('the SDK never sent the user agent to the authorization server');
    await first.finishAuth(provider.callback.searchParams);
    await connectAndCall(transport());
}

main().then(() => finish(), error => finish(error));
