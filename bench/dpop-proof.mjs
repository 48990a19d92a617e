// Micro-benchmark: the cost of a DPoP proof check (createDpopVerifier().verify, every RFC 9449 §4.3 check
// plus the in-memory replay store) against the floor, one bare ES256 crypto.verify of the same proof.
// Usage: pnpm build && node bench/dpop-proof.mjs [rounds=7] [ms-per-side=300]
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { createDpopVerifier, jwkThumbprint } from '@scopeguard/core';
import { awaitedRate, median, syncRate } from './lib/common.mjs';

const rounds = Number(process.argv[2] ?? 7);
const ms = Number(process.argv[3] ?? 300);
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

// Enough distinct proofs that none is ever replayed (a replay would be refused, and measure something else).
const count = Math.ceil(rounds * (ms / 1000) * 40_000);
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

const dpop = createDpopVerifier();
let next = 0;
const floor = (i) => {
  const at = i % count;
  if (!verify('sha256', inputs[at], { key: publicKey, dsaEncoding: 'ieee-p1363' }, signatures[at]))
    throw new Error('bad');
};
const check = () => {
  if (next >= count) throw new Error('ran out of distinct proofs: raise count');
  return dpop.verify({
    proofs: [proofs[next++]],
    method: 'GET',
    url: `${URL}?page=2`,
    accessToken,
    boundJkt: jkt,
  });
};

// Warm-up, then round-robin so that drift on a shared machine hits both sides alike.
syncRate(floor, 200);
await awaitedRate(check, 200);
const floorUs = [];
const dpopUs = [];
for (let round = 0; round < rounds; round++) {
  floorUs.push(1e6 / syncRate(floor, ms));
  dpopUs.push(1e6 / (await awaitedRate(check, ms)));
}
const extra = dpopUs.map((us, i) => us - floorUs[i]);
const fmt = (us) => `${us.toFixed(2)} µs`;
console.log(`node ${process.version}, ${rounds} rounds × ${ms} ms per side, ${next} distinct proofs checked`);
console.log(
  `ES256 crypto.verify (floor)        median ${fmt(median(floorUs))}  (${floorUs.map((v) => v.toFixed(1)).join(', ')})`,
);
console.log(
  `createDpopVerifier().verify        median ${fmt(median(dpopUs))}  (${dpopUs.map((v) => v.toFixed(1)).join(', ')})`,
);
console.log(
  `verify − floor, per round          median ${fmt(median(extra))}  (${extra.map((v) => v.toFixed(1)).join(', ')})`,
);
