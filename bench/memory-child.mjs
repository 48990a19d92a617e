// Memory row, in its own process (started by bench/sections/memory.mjs with --expose-gc) so that RSS
// reflects only the verifier: N distinct, validly signed Ed25519 tokens (signed here with node:crypto,
// much faster than minting RS256) verified one after another through scopeguard, whose verified-token
// cache is on (`cache` argument: "default" = maxEntries 10,000, or "off").
// argv: <N> <cache: default|off>. Sends the result to the parent over IPC.
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { createVerifier } from '@scopeguard/core';

const total = Number(process.argv[2] ?? 200_000);
const cacheMode = process.argv[3] ?? 'default';
const gc = globalThis.gc ?? (() => {});

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'bench-ed25519', alg: 'EdDSA', use: 'sig' };
const body = JSON.stringify({ keys: [jwk] });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}/oauth2/default`;
const audience = 'api://default';
const verifier = createVerifier({
  issuer,
  audience,
  jwksUri: `${issuer}/v1/keys`,
  algorithms: ['EdDSA'],
  ...(cacheMode === 'off' ? { cache: false } : {}),
});

const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: jwk.kid })).toString('base64url');
const iat = Math.floor(Date.now() / 1000);
/** An Okta-shaped client-credentials token, distinct through `jti` and `uid`. */
function token(i) {
  const payload = {
    ver: 1,
    jti: `AT.${i.toString(36).padStart(10, '0')}${'x'.repeat(22)}`,
    iss: issuer,
    aud: audience,
    iat,
    exp: iat + 3600,
    cid: '0oatestclient0000001',
    uid: `00u${i.toString(36).padStart(8, '0')}`,
    scp: ['customScope'],
    sub: '0oatestclient0000001',
  };
  const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

function sample(verified) {
  gc();
  const m = process.memoryUsage();
  return {
    verified,
    rssMiB: m.rss / 2 ** 20,
    heapUsedMiB: m.heapUsed / 2 ** 20,
    externalMiB: m.external / 2 ** 20,
  };
}

await verifier.verify(token(0)); // loads the JWKS
const tokenLength = token(1).length;
const samples = [sample(1)];
const checkpoints = new Set([10_000, Math.round(total / 4), Math.round(total / 2), total]);
const started = performance.now();
for (let i = 1; i <= total; i++) {
  await verifier.verify(token(i));
  if (checkpoints.has(i)) samples.push(sample(i));
}
const seconds = (performance.now() - started) / 1000;
server.close();
process.send?.({ total, cacheMode, tokenLength, seconds, opsPerSec: total / seconds, samples });
