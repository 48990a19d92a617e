import { createVerifier, type FetchFunction, type TokenError } from '@scopeguard/core';
import { createDevAuthorizationServer, type DevAuthorizationServer } from '@scopeguard/testing';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningOidcProvider, startOidcProvider } from './support/oidc-provider-issuer.js';

// RFC 8707 resource indicators end to end: oidc-provider (a certified OpenID Provider nobody here wrote)
// issues a client-credentials token for the `resource` openid-client names, with that resource in `aud`.
// A scopeguard verifier configured with `resource` (the API's own identifier, RFC 9728) accepts the
// tokens issued for it and refuses those issued for another resource. Then the same API trusts two
// authorization servers at once, oidc-provider and our dev authorization server, and routes each token by
// its `iss` to its own keys.

const ORDERS = 'https://api.example.com/orders';
const BILLING = 'https://api.example.com/billing';
const CLIENT_ID = 'orders-service';
const CLIENT_SECRET = 'orders-service-secret-0123456789';

let op: RunningOidcProvider;
let devServer: DevAuthorizationServer;
let opConfig: client.Configuration;
let devConfig: client.Configuration;

beforeAll(async () => {
  [op, devServer] = await Promise.all([
    startOidcProvider({
      resourceServers: {
        [ORDERS]: { audience: ORDERS, scope: 'orders:read' },
        [BILLING]: { audience: BILLING, scope: 'billing:read' },
      },
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          token_endpoint_auth_method: 'client_secret_basic',
          scope: 'orders:read billing:read',
        },
      ],
    }),
    createDevAuthorizationServer({
      clients: [
        { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, scopes: ['orders:read'], resources: [ORDERS] },
      ],
    }),
  ]);
  const discover = (issuer: string) =>
    client.discovery(new URL(issuer), CLIENT_ID, undefined, client.ClientSecretBasic(CLIENT_SECRET), {
      execute: [client.allowInsecureRequests],
    });
  [opConfig, devConfig] = await Promise.all([discover(op.issuer), discover(devServer.issuer)]);
});

afterAll(async () => {
  await Promise.all([op?.close(), devServer?.close()]);
});

const tokenFrom = async (config: client.Configuration, resource: string, scope: string) =>
  (await client.clientCredentialsGrant(config, { resource, scope })).access_token;

async function refusal(promise: Promise<unknown>): Promise<TokenError> {
  try {
    await promise;
  } catch (error) {
    return error as TokenError;
  }
  throw new Error('expected a refusal');
}

describe('oidc-provider with resource indicators, and a verifier configured with resource', () => {
  it('accepts a token issued for the resource it names (aud = resource, no audience configured)', async () => {
    const verifier = createVerifier({ issuer: op.issuer, resource: ORDERS, typ: 'strict' });
    const token = await tokenFrom(opConfig, ORDERS, 'orders:read');

    const verified = await verifier.verify(token);

    expect(verified.claims.aud).toBe(ORDERS);
    expect(verified).toMatchObject({ issuer: op.issuer, clientId: CLIENT_ID, scopes: ['orders:read'] });
    expect(verifier.resource).toBe(ORDERS);
  });

  it('refuses a genuine token issued for another resource with audience_invalid', async () => {
    const verifier = createVerifier({ issuer: op.issuer, resource: ORDERS, typ: 'strict' });
    const token = await tokenFrom(opConfig, BILLING, 'billing:read');

    expect((await refusal(verifier.verify(token))).code).toBe('audience_invalid');
    // The same token is good where it was meant to go.
    const billing = createVerifier({ issuer: op.issuer, resource: BILLING, typ: 'strict' });
    await expect(billing.verify(token)).resolves.toMatchObject({ scopes: ['billing:read'] });
  });

  it('does the same with the resource configured as the audience', async () => {
    const verifier = createVerifier({ issuer: op.issuer, audience: ORDERS });
    await expect(verifier.verify(await tokenFrom(opConfig, ORDERS, 'orders:read'))).resolves.toBeDefined();
    expect((await refusal(verifier.verify(await tokenFrom(opConfig, BILLING, 'billing:read')))).code).toBe(
      'audience_invalid',
    );
  });
});

describe('one API trusting two authorization servers (oidc-provider and the dev authorization server)', () => {
  it('routes each token by its iss to its issuer’s keys, and refuses the one issued for another resource', async () => {
    const urls: string[] = [];
    const recording: FetchFunction = (input, init) => {
      urls.push(String(input));
      return globalThis.fetch(input, init);
    };
    const verifier = createVerifier({
      issuers: [{ issuer: op.issuer, typ: 'strict' }, { issuer: devServer.issuer }],
      resource: ORDERS,
      fetch: recording,
    });
    const fromOp = await tokenFrom(opConfig, ORDERS, 'orders:read');
    const fromDev = await tokenFrom(devConfig, ORDERS, 'orders:read');

    await expect(verifier.verify(fromOp)).resolves.toMatchObject({ issuer: op.issuer, clientId: CLIENT_ID });
    await expect(verifier.verify(fromDev)).resolves.toMatchObject({
      issuer: devServer.issuer,
      clientId: CLIENT_ID,
    });
    expect((await refusal(verifier.verify(await tokenFrom(opConfig, BILLING, 'billing:read')))).code).toBe(
      'audience_invalid',
    );
    // Each issuer's keys came from its own discovery.
    expect(urls.some((url) => url.startsWith(`${op.issuer}/`))).toBe(true);
    expect(urls.some((url) => url.startsWith(`${devServer.issuer}/`))).toBe(true);
  });

  it('asks the dev authorization server for a resource the client is not registered for: invalid_target', async () => {
    await expect(tokenFrom(devConfig, BILLING, 'orders:read')).rejects.toMatchObject({
      error: 'invalid_target',
    });
  });
});
