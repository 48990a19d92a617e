import { createRemoteJWKSet, customFetch, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from './create-test-issuer.js';

describe('TestIssuer.fetch (in-process, no socket)', () => {
  let issuer: TestIssuer;
  beforeEach(async () => {
    issuer = await createTestIssuer({ listen: false });
  });
  afterEach(() => issuer.close());

  it('serves the issuer at https://issuer.test by default when not listening', () => {
    expect(issuer.issuer).toBe('https://issuer.test/oauth2/default');
  });

  it('answers the issuer routes like the server would', async () => {
    const metadata = await issuer.fetch(issuer.metadataUrl);
    expect(await metadata.json()).toMatchObject({ issuer: issuer.issuer, jwks_uri: issuer.jwksUri });
    const jwks = await issuer.fetch(new URL(issuer.jwksUri));
    expect(jwks.url).toBe(issuer.jwksUri);
    expect(await jwks.json()).toEqual(issuer.publicJwks());
    expect((await issuer.fetch(new Request(`${issuer.issuer}/nope`))).status).toBe(404);
  });

  it('plugs into a verifier that accepts a custom fetch', async () => {
    const keys = createRemoteJWKSet(new URL(issuer.jwksUri), { [customFetch]: issuer.fetch });
    const { payload } = await jwtVerify(await issuer.mint(), keys, { issuer: issuer.issuer });
    expect(payload.iss).toBe(issuer.issuer);
    expect(issuer.requests.jwks).toBe(1);
  });

  it('uses a configured origin', async () => {
    const other = await createTestIssuer({ listen: false, origin: 'https://dev-123.okta.com/' });
    expect(other.issuer).toBe('https://dev-123.okta.com/oauth2/default');
    await other.close();
  });

  it('rejects like a network failure for other origins', async () => {
    await expect(issuer.fetch('https://other.test/oauth2/default/v1/keys')).rejects.toThrow(
      expect.objectContaining({ name: 'TypeError', message: 'fetch failed' }),
    );
  });

  it('rejects with the abort reason when the request is aborted', async () => {
    issuer.setJwksFault({ kind: 'hang' });
    const controller = new AbortController();
    const pending = issuer.fetch(issuer.jwksUri, { signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
    await expect(
      issuer.fetch(issuer.jwksUri, { signal: AbortSignal.abort(new Error('early')) }),
    ).rejects.toThrow('early');
  });

  it('rejects once the issuer is closed, hung requests included', async () => {
    issuer.setJwksFault({ kind: 'hang' });
    const pending = issuer.fetch(issuer.jwksUri);
    await issuer.close();
    await expect(pending).rejects.toThrow('fetch failed');
    await expect(issuer.fetch(issuer.metadataUrl)).rejects.toThrow('fetch failed');
  });

  it('is also available on a listening issuer, sharing its request log', async () => {
    const listening = await createTestIssuer();
    await listening.fetch(listening.jwksUri);
    await fetch(listening.jwksUri);
    expect(listening.requests.jwks).toBe(2);
    await listening.close();
  });
});
