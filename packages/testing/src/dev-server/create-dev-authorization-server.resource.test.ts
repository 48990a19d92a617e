import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDevAuthorizationServer,
  type DevAuthorizationServer,
} from './create-dev-authorization-server.js';
import { validateDevClients } from './dev-clients.js';

// RFC 8707 resource indicators at the dev authorization server's token endpoint.
const ORDERS = 'https://api.example.com/orders';
const BILLING = 'https://api.example.com/billing';
const LOCAL = 'http://localhost:3000';

describe('createDevAuthorizationServer: resource indicators (RFC 8707)', () => {
  let server: DevAuthorizationServer;

  beforeAll(async () => {
    server = await createDevAuthorizationServer({
      clients: [
        { client_id: 'orders-svc', client_secret: 'o', scopes: ['read'], resources: [ORDERS, LOCAL] },
        { client_id: 'billing-svc', client_secret: 'b', scopes: ['read'], resources: [BILLING, ORDERS] },
        { client_id: 'plain-svc', client_secret: 'p', scopes: ['read'] },
      ],
    });
  });
  afterAll(() => server.close());

  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  const SECRETS: Record<string, string> = { 'orders-svc': 'o', 'billing-svc': 'b', 'plain-svc': 'p' };

  /** POSTs a client-credentials request with these `resource` parameters (repeated as given). */
  const requestToken = (clientId: string, resources: readonly string[]) => {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    for (const resource of resources) form.append('resource', resource);
    return fetch(server.tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(clientId, SECRETS[clientId] as string),
      },
      body: form.toString(),
    });
  };

  async function audienceOf(response: Response): Promise<unknown> {
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string };
    const { payload } = await jwtVerify(body.access_token, createLocalJWKSet(server.publicJwks()), {
      issuer: server.issuer,
    });
    return payload.aud;
  }

  async function expectInvalidTarget(response: Response) {
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ error: 'invalid_target', error_description: expect.any(String) });
    expect(body).not.toHaveProperty('access_token');
  }

  it('puts a resource the client may use in aud', async () => {
    expect(await audienceOf(await requestToken('orders-svc', [ORDERS]))).toBe(ORDERS);
    expect(await audienceOf(await requestToken('orders-svc', [LOCAL]))).toBe(LOCAL);
  });

  it('puts several requested resources in aud, as an array (RFC 8707 §2: resource may be repeated)', async () => {
    expect(await audienceOf(await requestToken('billing-svc', [BILLING, ORDERS]))).toEqual([BILLING, ORDERS]);
  });

  it('keeps the default audience when no resource is requested, and allows requesting it by name', async () => {
    expect(await audienceOf(await requestToken('plain-svc', []))).toBe('api://default');
    expect(await audienceOf(await requestToken('plain-svc', ['api://default']))).toBe('api://default');
  });

  it('refuses a resource the client may not use with invalid_target, and issues nothing', async () => {
    await expectInvalidTarget(await requestToken('orders-svc', [BILLING]));
    await expectInvalidTarget(await requestToken('plain-svc', [ORDERS]));
    // One refused resource among allowed ones refuses the whole request.
    await expectInvalidTarget(await requestToken('orders-svc', [ORDERS, BILLING]));
  });

  it.each([
    ['a relative reference', '/orders'],
    ['a bare word', 'orders'],
    ['an empty value', ''],
    ['a fragment', `${ORDERS}#part`],
    ['an empty fragment', `${ORDERS}#`],
    ['surrounding spaces', ` ${ORDERS}`],
  ])('refuses %s as a resource with invalid_target', async (_, resource) => {
    await expectInvalidTarget(await requestToken('orders-svc', [resource]));
  });

  it('still refuses other repeated parameters', async () => {
    const response = await fetch(server.tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('orders-svc', 'o'),
      },
      body: 'grant_type=client_credentials&scope=read&scope=read',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('lists the resources in its metadata as protected_resources (RFC 9728 §4)', async () => {
    const metadata = (await (await fetch(server.metadataUrl)).json()) as Record<string, unknown>;
    expect(metadata['protected_resources']).toEqual([ORDERS, LOCAL, BILLING]);
    expect(metadata).not.toHaveProperty('resource_indicators_supported');
  });

  it('advertises no protected_resources when no client has any', async () => {
    const plain = await createDevAuthorizationServer({
      clients: [{ client_id: 'c', client_secret: 's', scopes: ['x'] }],
      listen: false,
    });
    try {
      expect(plain.metadata()).not.toHaveProperty('protected_resources');
    } finally {
      await plain.close();
    }
  });

  describe('with openid-client 6 (an independent client library)', () => {
    const configFor = (clientId: string) =>
      client.discovery(
        new URL(server.issuer),
        clientId,
        undefined,
        client.ClientSecretBasic(SECRETS[clientId] as string),
        { execute: [client.allowInsecureRequests] },
      );

    it('gets a token for the resource it names', async () => {
      const tokens = await client.clientCredentialsGrant(await configFor('orders-svc'), { resource: ORDERS });
      expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: ORDERS, cid: 'orders-svc' });
    });

    it('surfaces invalid_target for a resource the client may not use', async () => {
      const refused = client.clientCredentialsGrant(await configFor('orders-svc'), { resource: BILLING });
      await expect(refused).rejects.toMatchObject({ error: 'invalid_target', status: 400 });
    });
  });
});

describe('validateDevClients: resources', () => {
  it('keeps the resources a client may request, once each', () => {
    const [registered] = validateDevClients([
      { client_id: 'a', client_secret: 's', scopes: [], resources: [ORDERS, ORDERS, 'urn:example:api'] },
    ]);
    expect(registered?.resources).toEqual([ORDERS, 'urn:example:api']);
  });

  it.each([
    ['not an array', 'https://api.example.com'],
    ['a relative reference', ['/orders']],
    ['a fragment', [`${ORDERS}#x`]],
    ['not strings', [42]],
  ])('refuses resources that are %s, naming the client', (_, resources) => {
    expect(() => validateDevClients([{ client_id: 'a', client_secret: 's', scopes: [], resources }])).toThrow(
      /Invalid dev client #0: .*resource/,
    );
  });
});
