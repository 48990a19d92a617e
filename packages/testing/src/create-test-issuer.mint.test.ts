import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from './create-test-issuer.js';

describe('TestIssuer.mint', () => {
  let issuer: TestIssuer;
  const verify = (token: string, issuerUnderTest = issuer) =>
    jwtVerify(token, createLocalJWKSet(issuerUnderTest.publicJwks()), {
      issuer: issuerUnderTest.issuer,
      audience: 'api://default',
    });

  beforeAll(async () => {
    issuer = await createTestIssuer();
  });
  afterAll(() => issuer.close());

  it('mints a token that verifies against the published JWKS', async () => {
    const { payload, protectedHeader } = await verify(await issuer.mint());
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: issuer.activeKid });
    expect(payload).toMatchObject({ ver: 1, iss: issuer.issuer, aud: 'api://default', scp: ['api:read'] });
    expect(payload.sub).toBe(payload['cid']);
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it.each(['ES256', 'EdDSA'] as const)('mints %s tokens on request', async (algorithm) => {
    const other = await createTestIssuer({ algorithm, listen: false });
    const { protectedHeader } = await verify(await other.mint(), other);
    expect(protectedHeader.alg).toBe(algorithm);
    await other.close();
  });

  it('applies claim overrides', async () => {
    const token = await issuer.mint({
      scp: ['orders:read', 'orders:write'],
      cid: '0oaCustom',
      aud: 'api://orders',
    });
    expect(decodeJwt(token)).toMatchObject({
      scp: ['orders:read', 'orders:write'],
      cid: '0oaCustom',
      sub: '0oaCustom',
      aud: 'api://orders',
    });
  });

  it('removes claims given as undefined', async () => {
    const payload = decodeJwt(await issuer.mint({ exp: undefined, cid: undefined }));
    expect(payload).not.toHaveProperty('exp');
    expect(payload).not.toHaveProperty('cid');
  });

  it('mints an expired token when expiresIn is in the past', async () => {
    const token = await issuer.mint({}, { expiresIn: -60 });
    await expect(verify(token)).rejects.toBeInstanceOf(errors.JWTExpired);
  });

  it('mints a not-yet-valid token when notBefore is in the future', async () => {
    const token = await issuer.mint({}, { notBefore: 300 });
    await expect(verify(token)).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'nbf',
    });
  });

  it('mints a token signed by a foreign key that keeps the published kid but does not verify', async () => {
    const token = await issuer.mint({}, { foreignKey: true });
    expect(decodeProtectedHeader(token).kid).toBe(issuer.activeKid);
    await expect(verify(token)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    expect(issuer.publicJwks().keys).toHaveLength(1);
  });

  it('sets typ and any header member on request, and removes header members given as undefined', async () => {
    const header = decodeProtectedHeader(
      await issuer.mint({}, { typ: 'at+jwt', header: { kid: undefined, jku: 'https://evil.example/keys' } }),
    );
    expect(header).toEqual({ alg: 'RS256', typ: 'at+jwt', jku: 'https://evil.example/keys' });
  });

  it('lets the header lie about alg while the signature stays the key’s own', async () => {
    const token = await issuer.mint({}, { header: { alg: 'RS512' } });
    expect(decodeProtectedHeader(token).alg).toBe('RS512');
    await expect(verify(token)).rejects.toThrow();
    const [header, payload, signature] = token.split('.');
    const publicKey = createPublicKey({ key: issuer.publicJwks().keys[0]!, format: 'jwk' });
    const signedAsRs256 = cryptoVerify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      publicKey,
      Buffer.from(signature!, 'base64url'),
    );
    expect(signedAsRs256).toBe(true);
  });

  it('mints an unsecured token (alg none, empty signature) on request', async () => {
    const token = await issuer.mint({}, { unsigned: true });
    expect(token.endsWith('.')).toBe(true);
    expect(decodeProtectedHeader(token).alg).toBe('none');
    await expect(verify(token)).rejects.toThrow();
  });

  it('mints an RFC 9068 token on request', async () => {
    const { payload, protectedHeader } = await verify(
      await issuer.mint({}, { profile: 'rfc9068', scopes: ['a', 'b'] }),
    );
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ scope: 'a b', client_id: payload.sub });
    expect(payload).not.toHaveProperty('scp');
    expect(payload).not.toHaveProperty('cid');
  });

  it('signs with a specific kid on request, and refuses unknown kids', async () => {
    const extra = await issuer.addKey({ kid: 'extra' });
    const token = await issuer.mint({}, { kid: 'extra' });
    expect(decodeProtectedHeader(token).kid).toBe('extra');
    await expect(verify(token)).resolves.toBeDefined();
    expect(extra.active).toBe(false);
    await expect(issuer.mint({}, { kid: 'missing' })).rejects.toThrow('no key with kid "missing"');
    issuer.removeKey('extra');
  });

  it('uses the issuer-wide audience and lifetime', async () => {
    const other = await createTestIssuer({ listen: false, audience: 'api://orders', tokenLifetime: 300 });
    const payload = decodeJwt(await other.mint());
    expect(payload.aud).toBe('api://orders');
    expect(payload.exp! - payload.iat!).toBe(300);
    await other.close();
  });
});
