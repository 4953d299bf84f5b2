// Make keys and JSON Web Tokens for mcpgw's auth tests, with nothing but
// Node's own crypto (an independent implementation of JOSE signing):
//
//   node jwt.mjs jwks KEY.pem[:KID[:ALG]] ...   the public JWK Set of keys
//   node jwt.mjs sign KEY.pem HEADER PAYLOAD    a compact JWS
//
// HEADER and PAYLOAD are JSON texts, used as they are (so a test can send
// a member twice or a malformed one on purpose).  The signature follows
// the header's alg: RS*, PS*, ES256/384 (raw r||s, RFC 7518 3.4), EdDSA,
// HS256 (KEY.pem's bytes as the secret, which is how the RS256-to-HS256
// forgery uses a public key), none (an empty signature).
import crypto from "node:crypto";
import fs from "node:fs";

const b64url = (b) => Buffer.from(b).toString("base64url");

function sign(keyFile, headerText, payloadText) {
	const header = JSON.parse(headerText);
	const input = `${b64url(headerText)}.${b64url(payloadText)}`;
	const alg = header.alg;
	const bits = { 256: "sha256", 384: "sha384", 512: "sha512" };
	let sig;
	if (alg === "none") return `${input}.`;
	const keyBytes = fs.readFileSync(keyFile);
	if (alg === "HS256") {
		sig = crypto.createHmac("sha256", keyBytes).update(input).digest();
	} else if (alg === "EdDSA") {
		sig = crypto.sign(null, Buffer.from(input), crypto.createPrivateKey(keyBytes));
	} else {
		const key = crypto.createPrivateKey(keyBytes);
		const hash = bits[alg.slice(2)];
		const opts = { key };
		if (alg.startsWith("PS")) {
			opts.padding = crypto.constants.RSA_PKCS1_PSS_PADDING;
			opts.saltLength = crypto.constants.RSA_PSS_SALTLEN_DIGEST;
		}
		if (alg.startsWith("ES")) opts.dsaEncoding = "ieee-p1363";
		sig = crypto.sign(hash, Buffer.from(input), opts);
	}
	return `${input}.${b64url(sig)}`;
}

function jwk(spec) {
	const [keyFile, kid, alg] = spec.split(":");
	const key = crypto.createPublicKey(fs.readFileSync(keyFile));
	const j = Object.assign(key.export({ format: "jwk" }), { use: "sig" });
	if (kid) j.kid = kid;
	if (alg) j.alg = alg;
	return j;
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === "sign") process.stdout.write(sign(args[0], args[1], args[2]));
else if (cmd === "jwks") process.stdout.write(JSON.stringify({ keys: args.map(jwk) }));
else {
	process.stderr.write("usage: jwt.mjs jwks KEY[:KID[:ALG]] ... | sign KEY HEADER PAYLOAD\n");
	process.exit(2);
}
