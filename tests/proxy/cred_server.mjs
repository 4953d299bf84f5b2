// The peers of mcpgw's upstream-credentials test
// (tests/integration/upstream_cred.sh), in plain node:http on 127.0.0.1:
// an OAuth 2.0 token endpoint (client credentials, RFC 6749 4.4) and an
// MCP upstream that records the Authorization header of every request.
//
//   node cred_server.mjs PORT CLIENT_ID CLIENT_SECRET [TLS_PORT CERT KEY]
//
// Prints "listening PORT" once it accepts connections, and with TLS_PORT
// serves the same over https there (CERT and KEY: PEM files), printing
// "listening-tls TLS_PORT".
//
//   POST /token    client_secret_basic (or _post) with CLIENT_ID and
//                  CLIENT_SECRET, grant_type=client_credentials: answers
//                  {"access_token": "tok-N", "token_type": "Bearer",
//                  "expires_in": E}; a wrong client gets 401
//                  invalid_client.  Each request's form is recorded.
//                  grant_type token-exchange (RFC 8693), with a
//                  subject_token of type access_token that is a JWT:
//                  answers {"access_token": "xt-N-SUB", "issued_token_type":
//                  access_token, "token_type": "Bearer", "expires_in": E},
//                  SUB the subject token's sub (not verified: a test
//                  peer); a subject whose sub is "refused" gets 401
//                  invalid_grant.
//   POST /mcp      a small MCP server (JSON answers, one session id):
//                  initialize, notifications (202), tools/list, and the
//                  tool whoami, whose text is the Authorization header it
//                  got.  With a token revoked (below), a request bearing
//                  it gets 401.
//   POST /set?expires=E   expires_in of the tokens issued from now on
//                         (default 3600; "none" leaves it out)
//   POST /revoke   every token issued so far is refused from now on
//   GET /stats     {"tokens": N, "exchanges": X, "forms": [...], "auths":
//                  [...]}: tokens issued by each grant, the forms and
//                  Basic headers of the token requests, the Authorization
//                  headers /mcp saw

import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const [port, clientId, clientSecret] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
if (!Number.isInteger(port) || !clientId || !clientSecret) {
	console.error('usage: node cred_server.mjs PORT CLIENT_ID CLIENT_SECRET');
	process.exit(2);
}

let issued = 0;
let exchanged = 0;
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
let revokedBelow = 0; // tokens tok-1 .. tok-(revokedBelow) are refused
let expires = 3600;
const forms = [];
const basics = [];
const auths = [];

const send = (res, status, obj, headers = {}) => {
	const body = obj === undefined ? '' : JSON.stringify(obj);
	res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
	res.end(body);
};

const decodeForm = (s) => decodeURIComponent(s.replace(/\+/g, ' '));

function token(req, res, body) {
	const form = new URLSearchParams(body);
	forms.push(body);
	basics.push(req.headers.authorization ?? '');
	let id = form.get('client_id');
	let secret = form.get('client_secret');
	const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
	if (basic) {
		const plain = Buffer.from(basic[1], 'base64').toString();
		const colon = plain.indexOf(':');
		id = decodeForm(plain.slice(0, colon));
		secret = decodeForm(plain.slice(colon + 1));
	}
	if (req.headers['content-type'] !== 'application/x-www-form-urlencoded')
		return send(res, 400, { error: 'invalid_request', error_description: 'not a form' });
	if (id !== clientId || secret !== clientSecret)
		return send(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed' });
	if (form.get('grant_type') === EXCHANGE) return exchange(res, form);
	if (form.get('grant_type') !== 'client_credentials')
		return send(res, 400, { error: 'unsupported_grant_type' });
	issued++;
	const answer = { access_token: `tok-${issued}`, token_type: 'Bearer' };
	if (expires !== 'none') answer.expires_in = expires;
	send(res, 200, answer, { 'Cache-Control': 'no-store' });
}

// RFC 8693 2.2: a token for the upstream, derived from the subject's sub
function exchange(res, form) {
	const subject = form.get('subject_token') ?? '';
	if (form.get('subject_token_type') !== ACCESS || form.get('requested_token_type') !== ACCESS)
		return send(res, 400, { error: 'invalid_request', error_description: 'wrong token types' });
	let sub;
	try {
		sub = JSON.parse(Buffer.from(subject.split('.')[1], 'base64url').toString()).sub;
	} catch {
		sub = undefined;
	}
	if (typeof sub !== 'string' || sub === 'refused')
		return send(res, 401, { error: 'invalid_grant', error_description: 'subject token refused' });
	exchanged++;
	const answer = { access_token: `xt-${exchanged}-${sub}`, issued_token_type: ACCESS, token_type: 'Bearer' };
	if (expires !== 'none') answer.expires_in = expires;
	send(res, 200, answer, { 'Cache-Control': 'no-store' });
}

function mcp(req, res, body) {
	const auth = req.headers.authorization ?? '';
	auths.push(auth);
	const m = /^Bearer tok-(\d+)$/.exec(auth);
	if (m && Number(m[1]) <= revokedBelow)
		return send(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
	let msg;
	try {
		msg = JSON.parse(body);
	} catch {
		return send(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
	}
	if (msg.id === undefined) return send(res, 202);
	const result = (r) => send(res, 200, { jsonrpc: '2.0', id: msg.id, result: r }, { 'Mcp-Session-Id': 'cred-session-1' });
	switch (msg.method) {
	case 'initialize':
		return result({
			protocolVersion: msg.params?.protocolVersion ?? '2025-06-18',
			capabilities: { tools: {} },
			serverInfo: { name: 'mcpgw-cred-test-server', version: '1.0.0' }
		});
	case 'tools/list':
		return result({ tools: [{ name: 'whoami', description: 'The Authorization header it got.', inputSchema: { type: 'object' } }] });
	case 'tools/call':
		return result({ content: [{ type: 'text', text: auth === '' ? '(none)' : auth }] });
	default:
		return send(res, 200, { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
	}
}

const handle = (req, res) => {
	let body = '';
	req.setEncoding('utf8');
	req.on('data', (d) => (body += d));
	req.on('end', () => {
		const url = new URL(req.url, 'http://x');
		if (req.method === 'POST' && url.pathname === '/token') return token(req, res, body);
		if (req.method === 'POST' && url.pathname === '/mcp') return mcp(req, res, body);
		if (req.method === 'POST' && url.pathname === '/set') {
			const e = url.searchParams.get('expires');
			expires = e === 'none' ? 'none' : Number(e);
			return send(res, 200, { expires });
		}
		if (req.method === 'POST' && url.pathname === '/revoke') {
			revokedBelow = issued;
			return send(res, 200, { revokedBelow });
		}
		if (req.method === 'GET' && url.pathname === '/stats') return send(res, 200, { tokens: issued, exchanges: exchanged, forms, basics, auths });
		send(res, 404, { error: 'not found' });
	});
};
const server = http.createServer(handle);
server.listen(port, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
if (process.argv[5]) {
	const tls = https.createServer({ cert: readFileSync(process.argv[6]), key: readFileSync(process.argv[7]) }, handle);
	tls.listen(Number(process.argv[5]), '127.0.0.1', () => console.log(`listening-tls ${tls.address().port}`));
}
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
