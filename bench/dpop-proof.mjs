// Micro-benchmark: the cost of a DPoP proof check (createDpopVerifier().verify: every RFC 9449 §4.3 check
// plus the in-memory replay store) against its floor, one bare ES256 crypto.verify of a proof.
// Usage: pnpm build && node bench/dpop-proof.mjs [rounds=300] [calls-per-round=100]
//
// Each round runs `calls` of each side back to back and reads the process's CPU time (user + system) per
// call: on a shared machine wall time also counts the time other processes held the core. Rounds are short
// and alternate, so that a busy moment hits both sides alike; the totals give the mean per call, and the
// per-round differences their median.
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { createDpopVerifier, createMemoryReplayStore, jwkThumbprint } from '@scopeguard/core';
import { median } from './lib/common.mjs';

const rounds = Number(process.argv[2] ?? 300);
const calls = Number(process.argv[3] ?? 100);
const URL = 'https://api.example.com/orders';
const b64 = (value) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
const jwk = { kty, crv, x, y };
const jkt = jwkThumbprint(jwk);
// An access token of a realistic size (an Okta RS256 token is about 900 characters).
const accessToken = `${b64({ alg: 'RS256', kid: 'k1' })}.${b64({ iss: 'https://issuer.example', cnf: { jkt }, pad: 'x'.repeat(500) })}.${randomBytes(256).toString('base64url')}`;
const ath = createHash('sha256').update(accessToken).digest('base64url');

// One distinct proof per call (a replay would be refused, and measure something else).
const count = (rounds + 6) * calls;
const header = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk });
const iat = Math.floor(Date.now() / 1000);
const proofs = [];
const inputs = [];
const signatures = [];
for (let i = 0; i < count; i++) {
  const input = `${header}.${b64({ jti: randomBytes(16).toString('base64url'), htm: 'GET', htu: URL, iat, ath })}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  inputs.push(Buffer.from(input));
  signatures.push(signature);
  proofs.push(`${input}.${signature.toString('base64url')}`);
}

const dpop = createDpopVerifier({ replayStore: createMemoryReplayStore({ maxEntries: count }) });
let nextFloor = 0;
let nextProof = 0;
let nextReference = 0;
const sides = {
  floor: () => {
    const at = nextFloor++ % count;
    if (!verify('sha256', inputs[at], { key: publicKey, dsaEncoding: 'ieee-p1363' }, signatures[at])) {
      throw new Error('bad signature');
    }
  },
  // What any check of a JWT proof must do at the least, with no rule at all: split, decode, JSON.parse,
  // crypto.verify (the `reference` row of pnpm bench, for proofs). JS work between two verifies also evicts
  // OpenSSL's P-256 tables from the cache, which the floor, verifying back to back, never pays.
  reference: () => {
    const proof = proofs[nextReference++ % count];
    const first = proof.indexOf('.');
    const second = proof.indexOf('.', first + 1);
    JSON.parse(Buffer.from(proof.slice(0, first), 'base64url').toString());
    JSON.parse(Buffer.from(proof.slice(first + 1, second), 'base64url').toString());
    const ok = verify(
      'sha256',
      Buffer.from(proof.slice(0, second)),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(proof.slice(second + 1), 'base64url'),
    );
    if (!ok) throw new Error('bad signature');
  },
  dpop: () =>
    dpop.verify({
      proofs: [proofs[nextProof++]],
      method: 'GET',
      url: `${URL}?page=2`,
      accessToken,
      boundJkt: jkt,
    }),
};

/** CPU microseconds per call of `fn` over `n` calls (each awaited, as a request handler would). */
async function cpuPerCall(fn, n) {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

const names = Object.keys(sides);
const results = Object.fromEntries(names.map((name) => [name, []]));
for (let round = -5; round < rounds; round++) {
  for (const name of names) {
    const us = await cpuPerCall(sides[name], calls);
    if (round >= 0) results[name].push(us); // the first five rounds warm up
  }
}
const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
const minus = (a, b) => results[a].map((us, i) => us - results[b][i]);
const line = (label, values) =>
  `${label.padEnd(36)} mean ${mean(values).toFixed(1).padStart(6)} µs   median ${median(values).toFixed(1).padStart(6)} µs`;
console.log(
  `node ${process.version}, ${rounds} alternating rounds × ${calls} calls per side, CPU time per call`,
);
console.log(line('ES256 crypto.verify (floor)', results.floor));
console.log(line('reference: parse + crypto.verify', results.reference));
console.log(line('createDpopVerifier().verify', results.dpop));
console.log(line('verify − floor (same round)', minus('dpop', 'floor')));
console.log(line('verify − reference (same round)', minus('dpop', 'reference')));
