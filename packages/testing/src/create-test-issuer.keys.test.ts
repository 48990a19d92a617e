import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from './create-test-issuer.js';

describe('TestIssuer keys', () => {
  let issuer: TestIssuer;
  const kids = () => issuer.publicJwks().keys.map((key) => key.kid);
  const verify = (token: string) =>
    jwtVerify(token, createLocalJWKSet(issuer.publicJwks()), { issuer: issuer.issuer });

  beforeEach(async () => {
    issuer = await createTestIssuer({ listen: false });
  });
  afterEach(() => issuer.close());

  it('rotateKeys publishes a new key with a new kid, keeps the old one and signs new tokens with the new one', async () => {
    const oldKid = issuer.activeKid;
    const oldToken = await issuer.mint();
    const rotated = await issuer.rotateKeys();
    expect(rotated.kid).not.toBe(oldKid);
    expect(issuer.activeKid).toBe(rotated.kid);
    expect(kids()).toEqual([oldKid, rotated.kid]);
    const newToken = await issuer.mint();
    expect(decodeProtectedHeader(newToken).kid).toBe(rotated.kid);
    await expect(verify(oldToken)).resolves.toBeDefined();
    await expect(verify(newToken)).resolves.toBeDefined();
  });

  it('rotateKeys with keepPrevious: false drops the old keys from the JWKS', async () => {
    const oldToken = await issuer.mint();
    const rotated = await issuer.rotateKeys({ keepPrevious: false });
    expect(kids()).toEqual([rotated.kid]);
    await expect(verify(oldToken)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
  });

  it('rotateKeys can switch algorithm', async () => {
    const rotated = await issuer.rotateKeys({ algorithm: 'ES256' });
    expect(rotated.alg).toBe('ES256');
    expect(decodeProtectedHeader(await issuer.mint()).alg).toBe('ES256');
  });

  it('addKey publishes a key without signing with it unless activated', async () => {
    const before = issuer.activeKid;
    const added = await issuer.addKey({ kid: 'spare' });
    expect(added).toMatchObject({ kid: 'spare', published: true, active: false });
    expect(kids()).toContain('spare');
    expect(issuer.activeKid).toBe(before);
    await issuer.addKey({ kid: 'next', activate: true });
    expect(issuer.activeKid).toBe('next');
  });

  it('addKey can hold an unpublished key, and refuses duplicate kids', async () => {
    await issuer.addKey({ kid: 'hidden', publish: false });
    expect(kids()).not.toContain('hidden');
    await expect(issuer.addKey({ kid: 'hidden' })).rejects.toThrow('already holds');
  });

  it('removeKey unpublishes a key, while tokens can still be signed with it', async () => {
    const kid = issuer.activeKid;
    expect(issuer.removeKey(kid)).toBe(true);
    expect(issuer.removeKey(kid)).toBe(false);
    expect(kids()).toEqual([]);
    await expect(verify(await issuer.mint())).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(issuer.keys()).toEqual([expect.objectContaining({ kid, published: false, active: true })]);
  });
});
