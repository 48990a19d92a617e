import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from './create-test-issuer.js';

describe('JWKS endpoint failure modes', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer();
  });
  beforeEach(() => {
    issuer.setJwksFault(null);
    issuer.requests.reset();
  });
  afterAll(() => issuer.close());

  it('answers with an error status', async () => {
    issuer.setJwksFault({ kind: 'status', status: 503 });
    const response = await fetch(issuer.jwksUri);
    expect(response.status).toBe(503);
    expect(issuer.requests.jwks).toBe(1);
  });

  it('answers with a custom error body', async () => {
    issuer.setJwksFault({ kind: 'status', status: 404, body: 'Not Found', contentType: 'text/plain' });
    const response = await fetch(issuer.jwksUri);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('Not Found');
  });

  it('answers 200 with garbage that is not JSON', async () => {
    issuer.setJwksFault({ kind: 'garbage' });
    const response = await fetch(issuer.jwksUri);
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow(SyntaxError);
  });

  it('answers 200 with a given body that is JSON but not a JWKS', async () => {
    issuer.setJwksFault({ kind: 'garbage', body: '{"keys":"nope"}' });
    expect(await (await fetch(issuer.jwksUri)).json()).toEqual({ keys: 'nope' });
  });

  it('answers normally but slowly', async () => {
    issuer.setJwksFault({ kind: 'delay', ms: 200 });
    const started = Date.now();
    const response = await fetch(issuer.jwksUri);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(await response.json()).toEqual(issuer.publicJwks());
  });

  it('hangs until the client gives up', async () => {
    issuer.setJwksFault({ kind: 'hang' });
    await expect(fetch(issuer.jwksUri, { signal: AbortSignal.timeout(200) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(issuer.requests.jwks).toBe(1);
  });

  it('drops the connection without answering', async () => {
    issuer.setJwksFault({ kind: 'drop' });
    await expect(fetch(issuer.jwksUri)).rejects.toThrow('fetch failed');
    await expect(issuer.fetch(issuer.jwksUri)).rejects.toThrow('fetch failed');
  });

  it('misbehaves only for the next N requests when times is given', async () => {
    issuer.setJwksFault({ kind: 'status', status: 500, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(issuer.jwksUri)).status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it('recovers when the fault is cleared, and leaves other routes alone', async () => {
    issuer.setJwksFault({ kind: 'status', status: 500 });
    expect((await fetch(issuer.metadataUrl)).status).toBe(200);
    issuer.setJwksFault(null);
    expect((await fetch(issuer.jwksUri)).status).toBe(200);
  });
});
