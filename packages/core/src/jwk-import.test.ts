import { constants, generateKeyPairSync, type JsonWebKey, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Algorithm, SUPPORTED_ALGORITHMS } from './algorithms.js';
import { describeUnusable, importJwk, importJwks } from './jwk-import.js';
import { verifySignature } from './signature.js';
import type { ImportedKey } from './types.js';

type Pair = { publicKey: KeyObject; privateKey: KeyObject };

const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
const ed25519 = generateKeyPairSync('ed25519');
const ed448 = generateKeyPairSync('ed448');
const x25519 = generateKeyPairSync('x25519');

const ALL = SUPPORTED_ALGORITHMS;

function jwkOf(pair: Pair, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(pair.publicKey.export({ format: 'jwk' }) as JsonWebKey), ...extra };
}

function imported(result: ImportedKey | { ignored: string }): ImportedKey {
  if ('ignored' in result) throw new Error(`expected an imported key, got ignored: ${result.ignored}`);
  return result;
}

function ignoredReason(result: ImportedKey | { ignored: string }): string {
  if (!('ignored' in result))
    throw new Error(`expected the key to be ignored, it was bound to ${result.alg}`);
  return result.ignored;
}

describe('importJwk: binding each key to exactly one algorithm', () => {
  it('binds EC keys without alg by curve: P-256→ES256, P-384→ES384, P-521→ES512', () => {
    expect(imported(importJwk(jwkOf(p256), ALL)).alg).toBe('ES256');
    expect(imported(importJwk(jwkOf(p384), ALL)).alg).toBe('ES384');
    expect(imported(importJwk(jwkOf(p521), ALL)).alg).toBe('ES512');
  });

  it('binds an Ed25519 key without alg to EdDSA', () => {
    expect(imported(importJwk(jwkOf(ed25519), ALL)).alg).toBe('EdDSA');
  });

  it('binds an RSA key without alg to the first RSA algorithm in the allowlist order', () => {
    expect(imported(importJwk(jwkOf(rsa2048), ['ES256', 'PS384', 'RS256'])).alg).toBe('PS384');
    expect(imported(importJwk(jwkOf(rsa2048), ['RS512', 'PS256'])).alg).toBe('RS512');
  });

  it('uses the JWK alg when present and allowed', () => {
    expect(imported(importJwk(jwkOf(rsa2048, { alg: 'PS256' }), ['RS256', 'PS256'])).alg).toBe('PS256');
    expect(imported(importJwk(jwkOf(p256, { alg: 'ES256' }), ['ES256'])).alg).toBe('ES256');
  });

  it('keeps the kid, and allows keys without one', () => {
    expect(imported(importJwk(jwkOf(rsa2048, { kid: 'k1' }), ['RS256'])).kid).toBe('k1');
    expect(imported(importJwk(jwkOf(rsa2048), ['RS256'])).kid).toBeUndefined();
  });

  it('ignores a key whose alg is outside the allowlist (an RS512 key cannot verify RS256 tokens)', () => {
    expect(ignoredReason(importJwk(jwkOf(rsa2048, { alg: 'RS512' }), ['RS256']))).toMatch(
      /not in the allowed/,
    );
  });

  it('ignores a key whose bound algorithm is not allowed (EC key, RS256-only allowlist)', () => {
    expect(ignoredReason(importJwk(jwkOf(p256), ['RS256']))).toMatch(/ES256 is not in the allowed/);
    expect(ignoredReason(importJwk(jwkOf(rsa2048), ['ES256']))).toMatch(/no RSA algorithm is allowed/);
  });

  it('stops algorithm confusion: an alg that does not fit kty/crv is ignored, never re-bound', () => {
    expect(ignoredReason(importJwk(jwkOf(rsa2048, { alg: 'ES256' }), ALL))).toMatch(/needs a EC key/);
    expect(ignoredReason(importJwk(jwkOf(p256, { alg: 'ES384' }), ALL))).toMatch(/needs curve P-384/);
    expect(ignoredReason(importJwk(jwkOf(p256, { alg: 'RS256' }), ALL))).toMatch(/needs a RSA key/);
    expect(ignoredReason(importJwk(jwkOf(ed25519, { alg: 'ES256' }), ALL))).toMatch(/needs a EC key/);
  });

  it('stops HMAC/none downgrades: alg HS256 or none on a public key is ignored', () => {
    expect(ignoredReason(importJwk(jwkOf(rsa2048, { alg: 'HS256' }), ALL))).toMatch(/not a supported/);
    expect(ignoredReason(importJwk(jwkOf(rsa2048, { alg: 'none' }), ALL))).toMatch(/not a supported/);
    expect(ignoredReason(importJwk(jwkOf(rsa2048, { alg: 'rs256' }), ALL))).toMatch(/not a supported/);
  });
});

describe('importJwk: keys that must never verify a token', () => {
  it('ignores encryption keys (use: "enc") and keys whose key_ops lack verify', () => {
    expect(ignoredReason(importJwk(jwkOf(rsa2048, { use: 'enc' }), ALL))).toMatch(/"use" is "enc"/);
    expect(ignoredReason(importJwk(jwkOf(rsa2048, { key_ops: ['encrypt'] }), ALL))).toMatch(/key_ops/);
    expect(ignoredReason(importJwk(jwkOf(rsa2048, { key_ops: 'verify' }), ALL))).toMatch(/key_ops/);
    expect(imported(importJwk(jwkOf(rsa2048, { use: 'sig', key_ops: ['verify'] }), ALL)).alg).toBe('RS256');
  });

  it('stops HMAC key confusion: a symmetric ("oct") key is ignored', () => {
    const oct = { kty: 'oct', k: Buffer.from('secret-secret-secret').toString('base64url'), alg: 'HS256' };
    expect(ignoredReason(importJwk(oct, ALL))).toMatch(/symmetric/);
  });

  it('ignores a published private key (RSA or EC JWK with "d"): a misconfigured JWKS', () => {
    const rsaPrivate = rsa2048.privateKey.export({ format: 'jwk' });
    const ecPrivate = p256.privateKey.export({ format: 'jwk' });
    expect(ignoredReason(importJwk(rsaPrivate, ALL))).toMatch(/private key member "d"/);
    expect(ignoredReason(importJwk(ecPrivate, ALL))).toMatch(/private key member "d"/);
    expect(ignoredReason(importJwk(jwkOf(rsa2048, { qi: 'AQ' }), ALL))).toMatch(/"qi"/);
  });

  it('stops weak-key forgery: an RSA modulus under 2048 bits is ignored', () => {
    expect(ignoredReason(importJwk(jwkOf(rsa1024), ALL))).toMatch(/1024 bits, under the 2048-bit minimum/);
  });

  it('stops the e=1 forgery (signature = message) and refuses even exponents', () => {
    expect(ignoredReason(importJwk(jwkOf(rsa2048, { e: 'AQ' }), ALL))).toMatch(/odd and at least 3/);
    expect(ignoredReason(importJwk(jwkOf(rsa2048, { e: 'AAE' }), ALL))).toMatch(/odd and at least 3/);
    expect(ignoredReason(importJwk(jwkOf(rsa2048, { e: 'AQAA' }), ALL))).toMatch(/odd and at least 3/);
    expect(imported(importJwk(jwkOf(rsa2048, { e: 'Aw' }), ALL)).alg).toBe('RS256'); // e = 3 is legal
  });

  it('stops invalid-curve attacks: a point that is not on its curve is ignored', () => {
    const jwk = jwkOf(p256);
    expect(ignoredReason(importJwk({ ...jwk, y: jwk['x'] }, ALL))).toMatch(/not a valid EC public key/);
  });

  it('ignores wrong and unknown curves (P-256 point labelled P-384, secp256k1, Ed448, X25519)', () => {
    expect(ignoredReason(importJwk({ ...jwkOf(p256), crv: 'P-384' }, ALL))).toMatch(
      /48 base64url-encoded bytes/,
    );
    expect(ignoredReason(importJwk(jwkOf(secp256k1), ALL))).toMatch(/unsupported curve "secp256k1"/);
    expect(ignoredReason(importJwk(jwkOf(ed448), ALL))).toMatch(/unsupported curve "Ed448"/);
    expect(ignoredReason(importJwk(jwkOf(x25519), ALL))).toMatch(/unsupported curve "X25519"/);
    expect(ignoredReason(importJwk({ ...jwkOf(p256), crv: 'Ed25519' }, ALL))).toMatch(/unsupported curve/);
  });

  it('ignores malformed base64url instead of letting Node decode it leniently', () => {
    const jwk = jwkOf(rsa2048);
    const n = jwk['n'] as string;
    expect(ignoredReason(importJwk({ ...jwk, n: `${n}!!` }, ALL))).toMatch(/"n" is missing or not base64url/);
    expect(ignoredReason(importJwk({ ...jwk, n: `${n}==` }, ALL))).toMatch(/"n"/);
    const standardBase64 = Buffer.from(n, 'base64url').toString('base64');
    expect(ignoredReason(importJwk({ ...jwk, n: standardBase64 }, ALL))).toMatch(/"n"/);
    // "Ax" decodes to 0x03 like "Aw", but with non-zero padding bits: one key must have one spelling.
    expect(ignoredReason(importJwk({ ...jwk, e: 'Ax' }, ALL))).toMatch(/"e" is missing or not base64url/);
    expect(ignoredReason(importJwk({ ...jwk, e: 42 }, ALL))).toMatch(/"e"/);
    expect(ignoredReason(importJwk({ ...jwkOf(ed25519), x: 'A' }, ALL))).toMatch(/"x" must be 32/);
  });

  it('ignores things that are not JWKs: non-objects, unknown kty, a non-string kid', () => {
    expect(ignoredReason(importJwk(null, ALL))).toMatch(/not a JSON object/);
    expect(ignoredReason(importJwk('key', ALL))).toMatch(/not a JSON object/);
    expect(ignoredReason(importJwk([], ALL))).toMatch(/not a JSON object/);
    expect(ignoredReason(importJwk({ kty: 'DSA' }, ALL))).toMatch(/unsupported "kty"/);
    expect(ignoredReason(importJwk(jwkOf(rsa2048, { kid: 7 }), ALL))).toMatch(/"kid" is not a string/);
  });

  it('never trusts x5c/x5u or unknown members: only n/e (or crv/x/y) make the key', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const x5c = [other.publicKey.export({ format: 'der', type: 'spki' }).toString('base64')];
    const key = imported(
      importJwk(jwkOf(rsa2048, { x5c, x5u: 'https://evil.example/cert', ext: true, foo: { bar: 1 } }), ALL),
    );
    expect(key.key.equals(rsa2048.publicKey)).toBe(true);
    expect(key.key.equals(other.publicKey)).toBe(false);
  });
});

describe('importJwk: imported keys verify real signatures', () => {
  const input = Buffer.from('header.payload');
  const cases: [Algorithm, Pair, () => Buffer][] = [
    ['RS256', rsa2048, () => sign('sha256', input, rsa2048.privateKey)],
    [
      'PS256',
      rsa2048,
      () =>
        sign('sha256', input, {
          key: rsa2048.privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        }),
    ],
    ['ES256', p256, () => sign('sha256', input, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' })],
    ['ES512', p521, () => sign('sha512', input, { key: p521.privateKey, dsaEncoding: 'ieee-p1363' })],
    ['EdDSA', ed25519, () => sign(null, input, ed25519.privateKey)],
  ];
  for (const [alg, pair, signature] of cases) {
    it(`verifies an ${alg} signature with the key imported from its public JWK`, () => {
      const key = imported(importJwk(jwkOf(pair), [alg]));
      expect(key.alg).toBe(alg);
      expect(verifySignature(alg, key.key, input, signature())).toBe(true);
      expect(verifySignature(alg, key.key, Buffer.from('tampered'), signature())).toBe(false);
    });
  }
});

describe('importJwks: a whole key set', () => {
  it('throws a clear error for documents that are not a JWK Set', () => {
    expect(() => importJwks('<html>', ALL)).toThrow(/not a JWK Set: expected a JSON object/);
    expect(() => importJwks(null, ALL)).toThrow(/not a JWK Set/);
    expect(() => importJwks([], ALL)).toThrow(/not a JWK Set/);
    expect(() => importJwks({}, ALL)).toThrow(/"keys" is undefined, expected an array/);
    expect(() => importJwks({ keys: 'x' }, ALL)).toThrow(/"keys" is "x", expected an array/);
  });

  it('keeps usable keys and reports each ignored one with its kid and reason', () => {
    const result = importJwks(
      {
        keys: [
          jwkOf(rsa2048, { kid: 'good', use: 'sig' }),
          jwkOf(rsa1024, { kid: 'weak' }),
          jwkOf(rsa2048, { kid: 'enc', use: 'enc' }),
          jwkOf(p256, { kid: 'ec' }),
          'garbage',
        ],
      },
      ['RS256', 'ES256'],
    );
    expect(result.keys.map((key) => [key.kid, key.alg])).toEqual([
      ['good', 'RS256'],
      ['ec', 'ES256'],
    ]);
    expect(result.ignored.map((entry) => entry.kid)).toEqual(['weak', 'enc', undefined]);
    expect(result.ignored[0]?.reason).toMatch(/1024 bits/);
  });

  it('stops kid ambiguity: every usable key sharing a kid is ignored', () => {
    const result = importJwks(
      {
        keys: [jwkOf(rsa2048, { kid: 'dup' }), jwkOf(p256, { kid: 'dup' }), jwkOf(ed25519, { kid: 'solo' })],
      },
      ALL,
    );
    expect(result.keys.map((key) => key.kid)).toEqual(['solo']);
    expect(result.ignored).toEqual([
      { kid: 'dup', reason: expect.stringMatching(/duplicate kid: 2 usable keys/) },
      { kid: 'dup', reason: expect.stringMatching(/duplicate kid/) },
    ]);
  });

  it('does not let an unusable key (use: enc) knock out the signing key that shares its kid', () => {
    const result = importJwks(
      {
        keys: [
          jwkOf(rsa2048, { kid: 'k' }),
          jwkOf(generateKeyPairSync('rsa', { modulusLength: 2048 }), { kid: 'k', use: 'enc' }),
        ],
      },
      ['RS256'],
    );
    expect(result.keys).toHaveLength(1);
    expect(result.keys[0]?.key.equals(rsa2048.publicKey)).toBe(true);
  });

  it('accepts an empty key set (the cache decides what to do with it)', () => {
    expect(importJwks({ keys: [] }, ALL)).toEqual({ keys: [], ignored: [] });
  });
});

describe('describeUnusable: why a well-formed set left no usable key', () => {
  const why = (keys: unknown[], algorithms: readonly Algorithm[]) =>
    describeUnusable(importJwks({ keys }, algorithms), algorithms);

  it('an empty set', () => {
    expect(why([], ['RS256']).why).toBe('the JWK Set is empty ({"keys": []})');
  });

  it('only keys of algorithms outside the allowlist: names them and what to add', () => {
    expect(why([jwkOf(p256, { kid: 'a' }), jwkOf(p256, { kid: 'b', alg: 'ES256' })], ['RS256'])).toEqual({
      why: 'the issuer publishes only ES256 keys; this verifier allows RS256',
      fix: 'if your tokens are signed with ES256, add ES256 to the algorithms option',
    });
    expect(why([jwkOf(rsa2048, { kid: 'r' })], ['ES256'])).toEqual({
      why: 'the issuer publishes only RSA keys; this verifier allows ES256',
      fix: 'if your tokens are signed with RS256, add RS256 to the algorithms option',
    });
  });

  it('other reasons: lists the first three, counts the rest, suggests nothing', () => {
    const keys = ['a', 'b', 'c', 'd'].map((kid) => jwkOf(p256, { kid, use: 'enc' }));
    const result = why(keys, ['ES256']);
    expect(result.why).toBe(
      'none of its 4 keys is usable with ES256 (kid "a": "use" is "enc", not "sig"; kid "b": "use" is "enc", not "sig"; kid "c": "use" is "enc", not "sig"; and 1 more)',
    );
    expect(result.fix).toBeUndefined();
  });
});
