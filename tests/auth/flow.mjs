// flow.mjs: what the SDK auth clients (sdk_auth_v1.mjs, sdk_auth_v2.mjs) share:
// a user agent without a person for the authorization code flow, a fetch that
// records what the client asked and got, the test's in-memory OAuth client
// provider, and the output line.
//
// The user agent follows the authorization URL's redirects with a cookie jar
// (issuer.mjs logs in and consents by itself) until one points at the
// client's redirect_uri: that Location is the callback, caught there, never
// fetched, so no listener is needed on the loopback redirect_uri.

// followAuthorization(URL, REDIRECT_URI) -> { callback: URL, hops: ["STATUS URL", ...] }
export async function followAuthorization(start, redirectUri) {
    const jar = new Map();
    const hops = [];
    const target = new URL(redirectUri);
    let url = new URL(start);
    for (let i = 0; i < 20; i++) {
        const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
        const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
        hops.push(`${res.status} ${url.pathname}`);
        for (const line of res.headers.getSetCookie()) {
            const [pair] = line.split(';');
            const eq = pair.indexOf('=');
            const name = pair.slice(0, eq).trim();
            const value = pair.slice(eq + 1).trim();
            if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
            else jar.set(name, value);
        }
        const location = res.headers.get('location');
        if (res.status < 300 || res.status >= 400 || !location) {
            const body = await res.text();
            throw new Error(`the authorization flow stopped at ${res.status} ${url.href}: ${body.slice(0, 300)}`);
        }
        await res.arrayBuffer().catch(() => {});
        const next = new URL(location, url);
        if (next.origin === target.origin && next.pathname === target.pathname) {
            return { callback: next, hops };
        }
        url = next;
    }
    throw new Error(`the authorization flow did not reach ${redirectUri} in 20 redirects: ${hops.join(', ')}`);
}

// A fetch that keeps "METHOD URL STATUS" of every request, and the
// WWW-Authenticate of every 401/403.
export function recordingFetch(seen) {
    return async (input, init) => {
        const res = await fetch(input, init);
        const url = typeof input === 'string' ? input : input.href ?? input.url;
        const method = init?.method ?? input?.method ?? 'GET';
        seen.requests.push(`${method} ${url} ${res.status}`);
        if (res.status === 401 || res.status === 403) {
            seen.challenges.push(res.headers.get('www-authenticate'));
        }
        return res;
    };
}

// The claims and header of a JWT (not verified: for the report).
export function decodeJwt(token) {
    const [h, p] = String(token).split('.');
    const part = s => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    try {
        return { header: part(h), claims: part(p) };
    } catch {
        return { header: undefined, claims: undefined, opaque: true };
    }
}

// The OAuth client provider of the tests: everything in memory; the
// authorization "redirect" is followAuthorization, its callback kept for
// finishAuth. Same shape for the SDK v1 and v2 (OAuthClientProvider).
export class TestOAuthProvider {
    constructor(redirectUrl, seen) {
        this._redirectUrl = redirectUrl;
        this._seen = seen;
        this.callback = undefined;
    }
    get redirectUrl() {
        return this._redirectUrl;
    }
    get clientMetadata() {
        return {
            client_name: 'mcpgw auth test client',
            redirect_uris: [this._redirectUrl],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'none'
        };
    }
    state() {
        this._state = Math.random().toString(36).slice(2);
        return this._state;
    }
    clientInformation() {
        return this._client;
    }
    saveClientInformation(info) {
        this._client = info;
        this._seen.client_id = info.client_id;
    }
    tokens() {
        return this._tokens;
    }
    saveTokens(tokens) {
        this._tokens = tokens;
        this._seen.tokens_saved = (this._seen.tokens_saved ?? 0) + 1;
    }
    async redirectToAuthorization(url) {
        this._seen.authorization = {
            resource: url.searchParams.get('resource'),
            scope: url.searchParams.get('scope'),
            code_challenge_method: url.searchParams.get('code_challenge_method')
        };
        const { callback, hops } = await followAuthorization(url, this._redirectUrl);
        this._seen.authorization.hops = hops;
        if (callback.searchParams.get('state') !== this._state) {
            throw new Error(`state mismatch in ${callback.href}`);
        }
        if (!callback.searchParams.get('code')) {
            throw new Error(`no code in the callback ${callback.href}`);
        }
        this.callback = callback;
    }
    saveDiscoveryState(state) {
        this._discovery = state;
    }
    discoveryState() {
        return this._discovery;
    }
    saveCodeVerifier(v) {
        this._verifier = v;
    }
    codeVerifier() {
        return this._verifier;
    }
}

export function textOf(result) {
    const block = Array.isArray(result?.content) ? result.content.find(b => b?.type === 'text') : undefined;
    return block?.text;
}

export function describe(error) {
    if (error === undefined || error === null) return String(error);
    const code = error.code !== undefined ? ` (code ${error.code})` : '';
    return `${error.name ?? 'Error'}${code}: ${error.message ?? String(error)}`;
}

// The one line a client prints: the record, with the token decoded.
export function report(seen, token) {
    if (token) {
        const { header, claims } = decodeJwt(token);
        seen.token = {
            kid: header?.kid, alg: header?.alg, iss: claims?.iss, aud: claims?.aud,
            scope: claims?.scope, sub: claims?.sub
        };
    }
    process.stdout.write(`${JSON.stringify(seen)}\n`);
}

// Options shared by the two scripts:
//   URL [--client-credentials ID:SECRET] [--issuer ISSUER] [--scope S] [--message M] [--pin REV]
// (--issuer: the authorization server client credentials may be sent to;
// --pin: the one revision the SDK v2 client speaks)
export function parseClientArgs(argv, name) {
    const out = { url: undefined, cc: undefined, issuer: undefined, scope: undefined, message: 'hello auth', pin: undefined };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === '--client-credentials') out.cc = argv[++i];
        else if (a === '--issuer') out.issuer = argv[++i];
        else if (a === '--scope') out.scope = argv[++i];
        else if (a === '--message') out.message = argv[++i];
        else if (a === '--pin') out.pin = argv[++i];
        else if (!out.url) out.url = a;
        else {
            console.error(`${name}: unexpected argument ${a}`);
            process.exit(2);
        }
    }
    if (!out.url) {
        console.error(`usage: node ${name} URL [--client-credentials ID:SECRET --issuer ISSUER] [--scope S] [--message M]`);
        process.exit(2);
    }
    return out;
}
