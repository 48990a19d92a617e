import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from './create-test-issuer.js';
import { createDpopKey, DPOP_PROOF_DEFECTS, type DpopKey, mintDpopBoundToken } from './dpop.js';

const URL = 'https://api.example.com/orders';
const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

let issuer: TestIssuer;
let key: DpopKey;
beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false });
  key = await createDpopKey();
});
afterAll(() => issuer.close());

/** Verifies a proof's signature with jose (an implementation independent of @scopeguard/core). */
const joseVerify = (proof: string) =>
  jwtVerify(proof, EmbeddedJWK, {
    typ: 'dpop+jwt',
    algorithms: ['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'],
  });

describe('createDpopKey().proof (RFC 9449 §4.2)', () => {
  it('makes a proof jose verifies, with the claims of §4.2 and the public jwk', async () => {
    const proof = await key.proof({ method: 'GET', url: `${URL}?q=1#f`, accessToken: 'tok', nonce: 'n-1' });
    const { payload, protectedHeader } = await joseVerify(proof);
    expect(protectedHeader).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk });
    expect(payload).toEqual({
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      htm: 'GET',
      htu: URL,
      iat: expect.any(Number),
      ath: ath('tok'),
      nonce: 'n-1',
    });
    expect(key.jkt).toBe(await calculateJwkThumbprint(key.publicJwk));
    expect(Object.keys(key.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
  });

  it.each(['ES384', 'EdDSA', 'PS256', 'RS256'] as const)('makes %s proofs too', async (alg) => {
    const other = await createDpopKey(alg);
    const { protectedHeader } = await joseVerify(await other.proof({ method: 'POST', url: URL }));
    expect(protectedHeader.alg).toBe(alg);
  });

  it('gives every proof a fresh jti unless one is given (to make replays)', async () => {
    const a = decodeJwt(await key.proof({ method: 'GET', url: URL }));
    const b = decodeJwt(await key.proof({ method: 'GET', url: URL }));
    expect(a.jti).not.toBe(b.jti);
    expect(decodeJwt(await key.proof({ method: 'GET', url: URL }, { jti: 'fixed' })).jti).toBe('fixed');
  });

  it('applies header and claim overrides last; undefined removes a member', async () => {
    const proof = await key.proof(
      { method: 'GET', url: URL },
      { header: { typ: undefined }, claims: { htm: 'PUT', extra: 1 } },
    );
    expect(decodeProtectedHeader(proof).typ).toBeUndefined();
    expect(decodeJwt(proof)).toMatchObject({ htm: 'PUT', extra: 1 });
  });
});

describe('createDpopKey().proof: broken proofs', () => {
  const request = { method: 'GET', url: URL, accessToken: 'tok', nonce: 'n-1' };

  it.each([
    ['typ', (h: Record<string, unknown>) => expect(h['typ']).toBe('JWT')],
    ['alg-hs256', (h: Record<string, unknown>) => expect(h['alg']).toBe('HS256')],
    ['private-jwk', (h: Record<string, unknown>) => expect(h['jwk']).toHaveProperty('d')],
    ['no-jwk', (h: Record<string, unknown>) => expect(h['jwk']).toBeUndefined()],
  ] as const)('breaks the header for %s', async (defect, check) => {
    check(decodeProtectedHeader(await key.proof(request, { defect })) as Record<string, unknown>);
  });

  it('makes alg "none" proofs with an empty signature', async () => {
    const proof = await key.proof(request, { defect: 'alg-none' });
    expect(proof.endsWith('.')).toBe(true);
    expect(decodeProtectedHeader(proof).alg).toBe('none');
  });

  it('makes a signature over other content that jose refuses, and a foreign-key proof jose accepts', async () => {
    await expect(joseVerify(await key.proof(request, { defect: 'signature' }))).rejects.toThrow();
    const foreign = await key.proof(request, { defect: 'foreign-key' });
    const { protectedHeader } = await joseVerify(foreign);
    expect(await calculateJwkThumbprint(protectedHeader.jwk!)).not.toBe(key.jkt);
  });

  it.each([
    ['htm', { htm: 'DELETE' }],
    ['htu', { htu: 'https://attacker.example/orders' }],
    ['ath', { ath: ath('not-tok') }],
  ] as const)('changes only %s', async (defect, expected) => {
    const payload = decodeJwt(await key.proof(request, { defect }));
    expect(payload).toMatchObject(expected);
  });

  it.each(['jti', 'htm', 'htu', 'iat', 'ath', 'nonce'])('leaves out %s for missing-%s', async (claim) => {
    const payload = decodeJwt(await key.proof(request, { defect: `missing-${claim}` as 'missing-jti' }));
    expect(payload).not.toHaveProperty(claim);
  });

  it('moves iat an hour away for stale-iat and future-iat, and replaces the nonce for nonce', async () => {
    const iat = 2_000_000_000;
    expect(decodeJwt(await key.proof(request, { defect: 'stale-iat', iat })).iat).toBe(iat - 3600);
    expect(decodeJwt(await key.proof(request, { defect: 'future-iat', iat })).iat).toBe(iat + 3600);
    expect(decodeJwt(await key.proof(request, { defect: 'nonce' })).nonce).not.toBe('n-1');
  });

  it('lists every defect once', () => {
    expect(new Set(DPOP_PROOF_DEFECTS).size).toBe(DPOP_PROOF_DEFECTS.length);
  });
});

describe('mintDpopBoundToken', () => {
  it("mints the issuer's token with cnf.jkt of the key", async () => {
    const token = await mintDpopBoundToken(issuer, key, { scp: ['orders:read'] });
    expect(decodeJwt(token)).toMatchObject({
      cnf: { jkt: key.jkt },
      scp: ['orders:read'],
      iss: issuer.issuer,
    });
    expect(decodeJwt(await mintDpopBoundToken(issuer, 'some-jkt')).cnf).toEqual({ jkt: 'some-jkt' });
  });
});
