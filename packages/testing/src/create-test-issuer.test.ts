import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from './create-test-issuer.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const open: TestIssuer[] = [];
async function start(...args: Parameters<typeof createTestIssuer>): Promise<TestIssuer> {
  const issuer = await createTestIssuer(...args);
  open.push(issuer);
  return issuer;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((issuer) => issuer.close()));
});

describe('createTestIssuer', () => {
  it('listens on 127.0.0.1 with an Okta-style default issuer path', async () => {
    const issuer = await start();
    expect(issuer.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth2\/default$/);
    expect(issuer.jwksUri).toBe(`${issuer.issuer}/v1/keys`);
    expect(issuer.tokenEndpoint).toBe(`${issuer.issuer}/v1/token`);
    expect(issuer.metadataUrl).toBe(`${issuer.issuer}/.well-known/oauth-authorization-server`);
  });

  it('serves RFC 8414 metadata describing the issuer', async () => {
    const issuer = await start();
    const response = await fetch(issuer.metadataUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toMatchObject({
      issuer: issuer.issuer,
      jwks_uri: issuer.jwksUri,
      token_endpoint: issuer.tokenEndpoint,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: expect.arrayContaining([
        'client_secret_basic',
        'private_key_jwt',
      ]),
    });
  });

  it.each([
    '/oauth2/default/.well-known/oauth-authorization-server',
    '/oauth2/default/.well-known/openid-configuration',
    '/.well-known/oauth-authorization-server/oauth2/default',
    '/.well-known/openid-configuration/oauth2/default',
  ])('serves the same metadata at %s', async (path) => {
    const issuer = await start();
    const response = await fetch(`${issuer.origin}${path}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(issuer.metadata());
  });

  it('serves its documents under a configured issuer path', async () => {
    const issuer = await start({ issuerPath: '/oauth2/aus123/' });
    expect(issuer.issuer).toBe(`${issuer.origin}/oauth2/aus123`);
    expect(
      (await fetch(`${issuer.origin}/.well-known/oauth-authorization-server/oauth2/aus123`)).status,
    ).toBe(200);
    expect((await fetch(`${issuer.origin}/oauth2/aus123/v1/keys`)).status).toBe(200);
    expect((await fetch(`${issuer.origin}/oauth2/default/v1/keys`)).status).toBe(404);
  });

  it('can be an issuer at the root of its origin', async () => {
    const issuer = await start({ issuerPath: '' });
    expect(issuer.issuer).toBe(issuer.origin);
    expect((await fetch(`${issuer.origin}/.well-known/oauth-authorization-server`)).status).toBe(200);
    expect((await fetch(`${issuer.origin}/v1/keys`)).status).toBe(200);
  });

  it('applies metadata overrides and removes members given as undefined', async () => {
    const issuer = await start({
      metadata: { issuer: 'https://elsewhere.example', token_endpoint: undefined },
    });
    const metadata = (await (await fetch(issuer.metadataUrl)).json()) as Record<string, unknown>;
    expect(metadata['issuer']).toBe('https://elsewhere.example');
    expect(metadata).not.toHaveProperty('token_endpoint');
  });

  it.each(['RS256', 'ES256', 'EdDSA'] as const)(
    'publishes only public %s keys with kid, alg and use',
    async (algorithm) => {
      const issuer = await start({ algorithm });
      const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: Record<string, unknown>[] };
      expect(jwks.keys).toHaveLength(1);
      const [key] = jwks.keys;
      expect(key).toMatchObject({ kid: issuer.activeKid, alg: algorithm, use: 'sig' });
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
      expect(jwks).toEqual(issuer.publicJwks());
    },
  );

  it('adds configured headers to JWKS responses', async () => {
    const issuer = await start({ jwksHeaders: { 'cache-control': 'max-age=300, must-revalidate' } });
    expect((await fetch(issuer.jwksUri)).headers.get('cache-control')).toBe('max-age=300, must-revalidate');
  });

  it('uses a given kid for its first key', async () => {
    const issuer = await start({ kid: 'key-1' });
    expect(issuer.publicJwks().keys.map((key) => key.kid)).toEqual(['key-1']);
  });

  it('answers 404 for unknown paths and 405 for wrong methods', async () => {
    const issuer = await start();
    expect((await fetch(`${issuer.issuer}/v1/authorize`)).status).toBe(404);
    const wrongMethod = await fetch(issuer.jwksUri, { method: 'POST', body: '' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });

  it('answers HEAD like GET without a body', async () => {
    const issuer = await start();
    const response = await fetch(issuer.jwksUri, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('counts requests per route and per path', async () => {
    const issuer = await start();
    await fetch(issuer.metadataUrl);
    await fetch(issuer.jwksUri);
    await fetch(issuer.jwksUri);
    await fetch(`${issuer.issuer}/nope`);
    expect(issuer.requests.jwks).toBe(2);
    expect(issuer.requests.metadata).toBe(1);
    expect(issuer.requests.total).toBe(4);
    expect(issuer.requests.count('/oauth2/default/v1/keys')).toBe(2);
    expect(issuer.requests.countRoute('unknown')).toBe(1);
    expect(issuer.requests.all.map((entry) => entry.route)).toEqual(['metadata', 'jwks', 'jwks', 'unknown']);
    issuer.requests.reset();
    expect(issuer.requests.total).toBe(0);
  });

  it('serves extra routes under the issuer path', async () => {
    const issuer = await start({
      routes: [
        {
          name: 'hello',
          method: 'GET',
          path: '/v1/hello',
          handle: (_, self) => Response.json({ iss: self.issuer }),
        },
      ],
    });
    expect(await (await fetch(`${issuer.issuer}/v1/hello`)).json()).toEqual({ iss: issuer.issuer });
    expect(issuer.requests.countRoute('hello')).toBe(1);
  });

  it('answers 500 when an extra route throws', async () => {
    const issuer = await start({
      routes: [
        {
          name: 'broken',
          method: 'GET',
          path: '/broken',
          handle: () => {
            throw new Error('boom');
          },
        },
      ],
    });
    const response = await fetch(`${issuer.issuer}/broken`);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: 'server_error' });
  });

  it('closes idempotently, dropping idle keep-alive connections', async () => {
    const issuer = await start();
    const port = Number(new URL(issuer.origin).port);
    const socketClosed = new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: new URL(issuer.jwksUri).pathname,
          headers: { connection: 'keep-alive' },
        },
        (res) => {
          res.resume();
          res.on('end', () => req.socket?.once('close', () => resolve()));
        },
      );
      req.on('error', reject);
      req.end();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all([issuer.close(), issuer.close()]);
    await socketClosed;
    await expect(issuer.close()).resolves.toBeUndefined();
    await expect(fetch(issuer.jwksUri)).rejects.toThrow('fetch failed');
  });
});

describe('requests.count', () => {
  it('refuses a route name where a path is expected, instead of silently counting nothing', async () => {
    const issuer = await createTestIssuer({ listen: false });
    try {
      await issuer.fetch(issuer.jwksUri);
      expect(issuer.requests.count(new URL(issuer.jwksUri).pathname)).toBe(1);
      expect(issuer.requests.jwks).toBe(1);
      expect(() => issuer.requests.count('jwks')).toThrow(TypeError);
    } finally {
      await issuer.close();
    }
  });
});
