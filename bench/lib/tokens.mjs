// Tokens and keys for the benchmark: distinct tokens minted by the test kit, the public KeyObject that
// verifies them (for the crypto.verify floor), and look-alike tokens with random unknown `kid`s.
import { createPublicKey, randomBytes, verify as cryptoVerify } from 'node:crypto';

/** Claims every benchmark token carries: Okta's `scp` array and the RFC 9068 `scope` string, which agree. */
export const SCOPE = 'customScope';
export const BENCH_CLAIMS = Object.freeze({ scp: [SCOPE], scope: SCOPE });

/** Mints `count` distinct tokens (unique `jti`, `uid`) with the issuer's active key, `parallel` at a time. */
export async function mintDistinct(issuer, count, { parallel = 32, claims = {} } = {}) {
  const tokens = new Array(count);
  for (let start = 0; start < count; start += parallel) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + parallel); i++) {
      batch.push(
        issuer
          .mint({ ...BENCH_CLAIMS, uid: `00u${i.toString(36).padStart(8, '0')}`, ...claims })
          .then((token) => {
            tokens[i] = token;
          }),
      );
    }
    await Promise.all(batch);
  }
  return tokens;
}

/** The public KeyObject of the issuer's active key (imported once, as a resource server would). */
export function activePublicKey(issuer) {
  const info = issuer.keys().find((key) => key.active);
  return {
    kid: info.kid,
    alg: info.alg,
    key: createPublicKey({ key: { ...info.publicJwk }, format: 'jwk' }),
  };
}

/** The arguments `crypto.verify` needs for a token: hash, signing input, key options and signature. */
export function floorInputs(tokens, alg, key) {
  const hash = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`;
  const keyArg = alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' } : key;
  return tokens.map((token) => {
    const dot = token.lastIndexOf('.');
    return {
      hash,
      keyArg,
      data: Buffer.from(token.slice(0, dot), 'ascii'),
      signature: Buffer.from(token.slice(dot + 1), 'base64url'),
    };
  });
}

/**
 * The check-free reference pipeline on `tokens`: what no verifier that reads the claims can skip (split the
 * token, decode the signing input, the signature and the payload, `JSON.parse` the payload,
 * `crypto.verify`), with no checks at all. `hash` and `keyArg` as `floorInputs` gives them.
 */
export function referenceVerify(tokens, hash, keyArg) {
  const n = tokens.length;
  return (i) => {
    const token = tokens[i % n];
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    const claims = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString());
    const data = Buffer.from(token.slice(0, second), 'latin1');
    const signature = Buffer.from(token.slice(second + 1), 'base64url');
    if (!cryptoVerify(hash, data, keyArg, signature) || typeof claims.exp !== 'number') {
      throw new Error('reference');
    }
  };
}

/** Sanity check: the floor really verifies (a floor that returns false would be meaningless). */
export function assertFloorVerifies(inputs) {
  for (const input of inputs.slice(0, 4)) {
    if (!cryptoVerify(input.hash, input.data, input.keyArg, input.signature)) {
      throw new Error('crypto.verify floor: a minted token does not verify with the published key');
    }
  }
}

/**
 * Tokens that look like the issuer's (same payload and signature) but name a random `kid` nobody
 * publishes: every verifier must go to its key lookup, none can reach the signature check.
 */
export function randomKidTokens(template, alg, count) {
  const [, payload, signature] = template.split('.');
  const tokens = new Array(count);
  for (let i = 0; i < count; i++) {
    const header = Buffer.from(JSON.stringify({ alg, kid: randomBytes(16).toString('base64url') })).toString(
      'base64url',
    );
    tokens[i] = `${header}.${payload}.${signature}`;
  }
  return tokens;
}
