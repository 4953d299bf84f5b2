// issuer.mjs: a real OAuth 2.0 authorization server for mcpgw's auth tests:
// oidc-provider 9 (a certified OpenID Connect implementation) on loopback,
// issuing JWT access tokens bound to a resource (RFC 8707) that mcpgw checks
// as a resource server.
//
// Usage: node issuer.mjs --jwks FILE [--port PORT] [--scopes "S1 S2"] [--ttl SECONDS]
//                        [--tls-cert PEM --tls-key PEM]
//   PORT: where to listen on 127.0.0.1 (default: a free port)
//   FILE: where the public JWK Set is written (atomically: a temporary file
//         renamed over it), for mcpgw's `jwks_file`; rewritten on rotation
//   --scopes: what a resource may be granted (default "mcp:tools mcp:read mcp:admin")
//   --ttl: access token lifetime (default 600)
//   --tls-cert/--tls-key: serve https (for a resource server that fetches
//         the jwks_uri over TLS only; clients then need the CA, e.g.
//         NODE_EXTRA_CA_CERTS for Node)
// Prints `ready ISSUER` (ISSUER = http[s]://127.0.0.1:PORT, no trailing slash)
// once it serves, then one line per event worth seeing in a test log.
//
// What it offers:
//  - clients registered at start:
//      mcpgw-cc / mcpgw-cc-secret        client_credentials, tokens signed RS256
//      mcpgw-cc-es / mcpgw-cc-es-secret  client_credentials, tokens signed ES256
//      mcpgw-public (no secret)          authorization_code + PKCE S256, redirect
//                                        http://127.0.0.1/callback (any port: loopback)
//  - dynamic client registration (open), as the MCP SDK clients use it;
//  - an authorization code flow without a person: /interaction/UID logs in the
//    account "mcp-test-user" and grants every scope and resource asked for
//    (devInteractions off); a client follows the redirects with a cookie jar;
//  - resourceIndicators: an access token for `resource=URL` (any http(s) URL)
//    is a JWT with aud = URL, scope = the requested scopes that are in
//    --scopes, iss = ISSUER, sub = the account (or the client id);
//  - its metadata at /.well-known/oauth-authorization-server (RFC 8414) and
//    /.well-known/openid-configuration, both served by oidc-provider;
//  - key rotation on demand: POST /test/rotate (answers {"kids":[...]} once
//    the JWKS file holds the new keys) or SIGUSR2. New RSA and EC keys sign
//    from then on; the old ones stay published. The answer's "signing" names
//    the kids that sign now.
// Nothing here is fit for anything but a test on loopback.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import Provider from 'oidc-provider';

const ACCOUNT = 'mcp-test-user';

function parseArgs(argv) {
    const opts = { port: 0, jwks: undefined, scopes: 'mcp:tools mcp:read mcp:admin', ttl: 600, cert: undefined, key: undefined };
    for (let i = 0; i < argv.length; i++) {
        const name = argv[i];
        const value = argv[++i];
        if (value === undefined) usage(`${name} needs a value`);
        if (name === '--port') opts.port = Number(value);
        else if (name === '--jwks') opts.jwks = value;
        else if (name === '--scopes') opts.scopes = value;
        else if (name === '--ttl') opts.ttl = Number(value);
        else if (name === '--tls-cert') opts.cert = value;
        else if (name === '--tls-key') opts.key = value;
        else usage(`unknown option ${name}`);
    }
    if (!opts.jwks) usage('--jwks FILE is required');
    if (!opts.cert !== !opts.key) usage('--tls-cert and --tls-key go together');
    return opts;
}

function usage(why) {
    console.error(`issuer.mjs: ${why}\nusage: node issuer.mjs --jwks FILE [--port PORT] [--scopes "S1 S2"] [--ttl SECONDS] [--tls-cert PEM --tls-key PEM]`);
    process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const SCOPES = opts.scopes.split(' ').filter(Boolean);

// --- keys -------------------------------------------------------------------

let generation = 0;
// Every key ever made, newest first: [{ private: JWK, public: JWK }]
const keys = [];
// The kids that sign access tokens now, by algorithm.
const signing = {};

function makeKey(kind, alg) {
    const pair = kind === 'rsa'
        ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
        : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = `${kind}-${generation}-${crypto.randomBytes(4).toString('hex')}`;
    const meta = { kid, alg, use: 'sig' };
    return {
        private: { ...pair.privateKey.export({ format: 'jwk' }), ...meta },
        public: { ...pair.publicKey.export({ format: 'jwk' }), ...meta }
    };
}

function newKeys() {
    generation++;
    const rsa = makeKey('rsa', 'RS256');
    const ec = makeKey('ec', 'ES256');
    keys.unshift(rsa, ec);
    signing.RS256 = rsa.private.kid;
    signing.ES256 = ec.private.kid;
}

// The public JWK Set, written whole or not at all (mcpgw may read it any time).
function writeJwks() {
    const tmp = `${opts.jwks}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify({ keys: keys.map(k => k.public) }, null, 2) + '\n');
    fs.renameSync(tmp, opts.jwks);
}

// --- the provider -----------------------------------------------------------

let issuer;
let provider;

// A resource server is whatever URL a client names: its tokens are JWTs for
// that audience, signed by the current key of the client's algorithm.
async function getResourceServerInfo(ctx, resourceIndicator, client) {
    const url = URL.parse(resourceIndicator);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
        throw new Provider.errors.InvalidTarget(`not an http(s) resource: ${resourceIndicator}`);
    }
    const alg = client.clientId === 'mcpgw-cc-es' ? 'ES256' : 'RS256';
    return {
        scope: SCOPES.join(' '),
        audience: resourceIndicator,
        accessTokenTTL: opts.ttl,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg, kid: signing[alg] } }
    };
}

function configuration() {
    return {
        clients: [
            {
                client_id: 'mcpgw-cc',
                client_secret: 'mcpgw-cc-secret',
                grant_types: ['client_credentials'],
                response_types: [],
                redirect_uris: []
            },
            {
                client_id: 'mcpgw-cc-es',
                client_secret: 'mcpgw-cc-es-secret',
                grant_types: ['client_credentials'],
                response_types: [],
                redirect_uris: []
            },
            {
                client_id: 'mcpgw-public',
                application_type: 'native',
                token_endpoint_auth_method: 'none',
                grant_types: ['authorization_code', 'refresh_token'],
                response_types: ['code'],
                redirect_uris: ['http://127.0.0.1/callback']
            }
        ],
        jwks: { keys: keys.map(k => k.private) },
        cookies: { keys: ['mcpgw-test-cookie-key'] },
        // Resource scopes are listed too: the SDK clients register with the
        // scope the protected resource asked for, and registration accepts
        // only scopes the server lists.
        scopes: ['openid', 'offline_access', ...SCOPES],
        claims: { openid: ['sub'] },
        findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
        interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
        features: {
            devInteractions: { enabled: false },
            clientCredentials: { enabled: true },
            registration: { enabled: true },
            revocation: { enabled: true },
            introspection: { enabled: true },
            resourceIndicators: {
                enabled: true,
                // a client naming one resource gets its token without
                // repeating it at the token endpoint
                defaultResource: async (_ctx, _client, oneOf) => oneOf,
                useGrantedResource: async () => true,
                getResourceServerInfo
            }
        },
        ttl: { AccessToken: opts.ttl, ClientCredentials: opts.ttl },
        // Refresh tokens for public clients whatever the scope (the SDKs keep them).
        issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
        renderError: async (ctx, out) => {
            ctx.type = 'application/json';
            ctx.body = out;
        }
    };
}

function makeProvider() {
    const p = new Provider(issuer, configuration());
    for (const ev of ['server_error', 'authorization.error', 'grant.error', 'registration_create.error',
        'introspection.error', 'interaction.error']) {
        p.on(ev, (...args) => {
            const err = args.find(a => a instanceof Error);
            log(`${ev}: ${err?.message ?? ''}${err?.error_description ? ` (${err.error_description})` : ''}`);
        });
    }
    p.on('registration_create.success', (_ctx, client) => log(`registered client ${client.clientId}`));
    p.on('grant.success', ctx => log(`token for client ${ctx.oidc.client?.clientId}`));
    return p;
}

function log(line) {
    process.stdout.write(`${line}\n`);
}

// --- the automatic interaction ----------------------------------------------

// Logs in ACCOUNT (prompt login), then grants every scope and resource the
// request asked for (prompt consent): the client sees two 303s per prompt.
async function interaction(req, res) {
    const details = await provider.interactionDetails(req, res);
    const { prompt, params, session } = details;
    if (prompt.name === 'login') {
        await provider.interactionFinished(req, res, { login: { accountId: ACCOUNT } }, { mergeWithLastSubmission: false });
        return;
    }
    const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session?.accountId ?? ACCOUNT, clientId: params.client_id });
    const missing = prompt.details ?? {};
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    const consent = details.grantId ? {} : { grantId };
    await provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
}

// --- rotation ---------------------------------------------------------------

// New keys sign from now on; the provider is rebuilt around the new key set
// (oidc-provider's storage is per process, so clients, grants and sessions
// survive the swap); the file is rewritten before anyone is told.
function rotate() {
    newKeys();
    provider = makeProvider();
    writeJwks();
    const answer = { kids: keys.map(k => k.public.kid), signing: { ...signing } };
    log(`rotated ${JSON.stringify(answer)}`);
    return answer;
}

// --- the server -------------------------------------------------------------

function sendJson(res, status, body) {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
}

async function serve(req, res) {
    const path = req.url.split('?')[0];
    try {
        if (path.startsWith('/interaction/')) return await interaction(req, res);
        if (path === '/test/rotate' && req.method === 'POST') return sendJson(res, 200, rotate());
        if (path === '/test/keys') return sendJson(res, 200, { kids: keys.map(k => k.public.kid), signing });
        return provider.callback()(req, res);
    } catch (error) {
        log(`error on ${req.method} ${path}: ${error.message}`);
        if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: error.message });
        else res.end();
    }
}

newKeys();
writeJwks();
const server = opts.cert
    ? https.createServer({ cert: fs.readFileSync(opts.cert), key: fs.readFileSync(opts.key) }, serve)
    : http.createServer(serve);
server.listen(opts.port, '127.0.0.1', () => {
    issuer = `${opts.cert ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;
    provider = makeProvider();
    process.on('SIGUSR2', () => rotate());
    log(`ready ${issuer}`);
});
server.on('error', error => {
    console.error(`issuer.mjs: ${error.message}`);
    process.exit(1);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
