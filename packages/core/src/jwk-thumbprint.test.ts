import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwkThumbprint } from './jwk-thumbprint.js';

describe('jwkThumbprint (RFC 7638)', () => {
  it('gives the thumbprint of the RFC 7638 §3.1 example RSA key', () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it.each(['ES256', 'ES384', 'ES512', 'EdDSA', 'RS256', 'PS256'] as const)(
    'agrees with jose for a %s key, whatever other members the JWK carries',
    async (alg) => {
      const { publicKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = await exportJWK(publicKey);
      const expected = await calculateJwkThumbprint(jwk, 'sha256');
      expect(jwkThumbprint(jwk)).toBe(expected);
      expect(jwkThumbprint({ ...jwk, kid: 'k1', alg, use: 'sig', key_ops: ['verify'] })).toBe(expected);
    },
  );

  it('has no thumbprint for symmetric keys, unknown key types or missing members', () => {
    expect(jwkThumbprint({ kty: 'oct', k: 'c2VjcmV0' })).toBeUndefined();
    expect(jwkThumbprint({ kty: 'toString' })).toBeUndefined();
    expect(jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'AAAA' })).toBeUndefined();
    expect(jwkThumbprint({ kty: 'RSA', n: 'AAAA', e: 3 })).toBeUndefined();
  });
});
