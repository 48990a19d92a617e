import { assertScopes, createVerifier, hasScopes, type Verifier } from '@scopeguard/core';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverySource, recordEvents } from './support/events.js';
import { type RunningOidcProvider, startOidcProvider } from './support/oidc-provider-issuer.js';

// oidc-provider (a certified OpenID Provider) issues RFC 9068 JWT access tokens for the client-credentials
// grant with resource indicators; openid-client (a certified relying party) requests them. Nobody in this
// repository wrote either side: scopeguard has to accept what they produce, as a resource server would.

const API = 'api://default';
const OTHER_API = 'api://other';
const PS256_API = 'api://ps256';
const ES256_API = 'api://es256';
const CLIENT_ID = 'inventory-service';
const CLIENT_SECRET = 'inventory-service-secret-0123456789';

let op: RunningOidcProvider;
let config: client.Configuration;

async function tokenFor(parameters: Record<string, string>): Promise<string> {
  const response = await client.clientCredentialsGrant(config, parameters);
  return response.access_token;
}

function decodeSegment(token: string, index: 0 | 1): Record<string, unknown> {
  const segment = token.split('.')[index] ?? '';
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
}

beforeAll(async () => {
  op = await startOidcProvider({
    resourceServers: {
      [API]: { audience: API, scope: 'customScope other' },
      [OTHER_API]: { audience: OTHER_API, scope: 'elsewhere' },
      [PS256_API]: { audience: PS256_API, scope: 'customScope', alg: 'PS256' },
      [ES256_API]: { audience: ES256_API, scope: 'customScope', alg: 'ES256' },
    },
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'customScope other elsewhere',
      },
    ],
  });
  config = await client.discovery(
    new URL(op.issuer),
    CLIENT_ID,
    CLIENT_SECRET,
    client.ClientSecretBasic(CLIENT_SECRET),
    {
      execute: [client.allowInsecureRequests],
    },
  );
});

afterAll(async () => {
  await op?.close();
});

describe('oidc-provider as the issuer (RFC 9068 JWT access tokens, client credentials)', () => {
  let verifier: Verifier;
  const recorded = recordEvents();

  beforeAll(() => {
    // No jwksUri: the verifier has to find the keys through the provider's discovery document.
    verifier = createVerifier({ issuer: op.issuer, audience: API, typ: 'strict', onEvent: recorded.onEvent });
  });

  it('issues what RFC 9068 describes: typ at+jwt, client_id, a space-delimited scope, aud = the resource', async () => {
    const token = await tokenFor({ scope: 'customScope other', resource: API });
    expect(decodeSegment(token, 0)).toMatchObject({ typ: 'at+jwt', alg: 'RS256', kid: op.kid });
    expect(decodeSegment(token, 1)).toMatchObject({
      iss: op.issuer,
      aud: API,
      client_id: CLIENT_ID,
      sub: CLIENT_ID,
      scope: 'customScope other',
    });
  });

  it('accepts its token in strict typ mode, finding the JWKS through discovery (no jwksUri configured)', async () => {
    const token = await tokenFor({ scope: 'customScope other', resource: API });

    const verified = await verifier.verify(token);

    expect(verified.header.typ).toBe('at+jwt');
    expect(verified.clientId).toBe(CLIENT_ID);
    expect(verified.subject).toBe(CLIENT_ID);
    expect(verified.scopes).toEqual(['customScope', 'other']);
    expect(verified.claims.iss).toBe(op.issuer);
    // oidc-provider 9 serves RFC 8414 metadata too, and scopeguard asks for that document first.
    expect(discoverySource(recorded.events)).toBe('oauth-authorization-server');
    expect(recorded.events).toContainEqual(
      expect.objectContaining({ type: 'discovery_completed', jwksUri: `${op.issuer}/jwks` }),
    );
  });

  it('falls back to /.well-known/openid-configuration when the provider serves only that document', async () => {
    op.serveOAuthMetadata(false);
    try {
      const events = recordEvents();
      const oidcOnly = createVerifier({
        issuer: op.issuer,
        audience: API,
        typ: 'strict',
        onEvent: events.onEvent,
      });

      const verified = await oidcOnly.verify(await tokenFor({ scope: 'customScope', resource: API }));

      expect(verified.scopes).toEqual(['customScope']);
      expect(discoverySource(events.events)).toBe('openid-configuration');
      expect(events.events).toContainEqual(
        expect.objectContaining({ type: 'discovery_completed', jwksUri: `${op.issuer}/jwks` }),
      );
    } finally {
      op.serveOAuthMetadata(true);
    }
  });

  it('enforces the scopes the provider granted: granted ones pass, others are insufficient_scope', async () => {
    const verified = await verifier.verify(await tokenFor({ scope: 'customScope', resource: API }));

    expect(verified.scopes).toEqual(['customScope']);
    expect(() => assertScopes(verified, { allOf: ['customScope'] })).not.toThrow();
    expect(hasScopes(verified, { anyOf: ['other', 'customScope'] })).toBe(true);
    expect(() => assertScopes(verified, { allOf: ['customScope', 'other'] })).toThrow(
      expect.objectContaining({
        name: 'TokenError',
        code: 'insufficient_scope',
        requiredScopes: ['customScope', 'other'],
      }),
    );
  });

  it('does not see scopes the provider kept for another resource server', async () => {
    // `elsewhere` belongs to api://other, so oidc-provider drops it from an api://default token.
    const verified = await verifier.verify(await tokenFor({ scope: 'customScope elsewhere', resource: API }));

    expect(verified.scopes).toEqual(['customScope']);
    expect(() => assertScopes(verified, { allOf: ['elsewhere'] })).toThrow(
      expect.objectContaining({ code: 'insufficient_scope' }),
    );
  });

  it('uses the default resource when the client names none', async () => {
    const verified = await verifier.verify(await tokenFor({ scope: 'other' }));

    expect(verified.claims.aud).toBe(API);
    expect(verified.scopes).toEqual(['other']);
  });

  it('refuses a genuine token issued for another resource server with audience_invalid', async () => {
    const token = await tokenFor({ scope: 'elsewhere', resource: OTHER_API });
    expect(decodeSegment(token, 1)).toMatchObject({ aud: OTHER_API, scope: 'elsewhere' });

    await expect(verifier.verify(token)).rejects.toMatchObject({
      name: 'TokenError',
      code: 'audience_invalid',
    });
  });

  it('accepts that same token at the resource server it was issued for', async () => {
    const otherApi = createVerifier({ issuer: op.issuer, audience: OTHER_API, typ: 'strict' });
    const verified = await otherApi.verify(await tokenFor({ scope: 'elsewhere', resource: OTHER_API }));

    expect(verified.claims.aud).toBe(OTHER_API);
    expect(() => assertScopes(verified, { allOf: ['elsewhere'] })).not.toThrow();
  });

  it('holds the client allowlist against the RFC 9068 client_id claim', async () => {
    const token = await tokenFor({ scope: 'customScope', resource: API });
    const allowed = createVerifier({
      issuer: op.issuer,
      audience: API,
      typ: 'strict',
      clientIds: [CLIENT_ID],
    });
    const others = createVerifier({
      issuer: op.issuer,
      audience: API,
      typ: 'strict',
      clientIds: ['someone-else'],
    });

    await expect(allowed.verify(token)).resolves.toMatchObject({ clientId: CLIENT_ID });
    await expect(others.verify(token)).rejects.toMatchObject({ code: 'client_not_allowed' });
  });

  it('refuses the token at a verifier configured for another issuer', async () => {
    const token = await tokenFor({ scope: 'customScope', resource: API });
    const wrongIssuer = createVerifier({
      issuer: `${op.issuer}/`,
      audience: API,
      jwksUri: `${op.issuer}/jwks`,
    });

    await expect(wrongIssuer.verify(token)).rejects.toMatchObject({ code: 'issuer_invalid' });
  });

  it.each([
    [PS256_API, 'PS256'],
    [ES256_API, 'ES256'],
  ] as const)(
    'refuses its %s tokens (%s) unless that algorithm is allowed; RS256 only by default',
    async (api, alg) => {
      const token = await tokenFor({ scope: 'customScope', resource: api });
      const byDefault = createVerifier({ issuer: op.issuer, audience: api, typ: 'strict' });
      const allowing = createVerifier({
        issuer: op.issuer,
        audience: api,
        typ: 'strict',
        algorithms: ['RS256', alg],
      });

      expect(decodeSegment(token, 0)).toMatchObject({ alg, kid: `${op.kid}-${alg.toLowerCase()}` });
      await expect(byDefault.verify(token)).rejects.toMatchObject({ code: 'alg_not_allowed' });
      await expect(allowing.verify(token)).resolves.toMatchObject({
        header: { alg },
        scopes: ['customScope'],
      });
    },
  );

  it('imports only the JWKs its allowlist can use from a key set that mixes RS256, PS256 and ES256', async () => {
    const events = recordEvents();
    const rs256Only = createVerifier({ issuer: op.issuer, audience: API, onEvent: events.onEvent });

    await rs256Only.refreshKeys();

    expect(events.events).toContainEqual(
      expect.objectContaining({ type: 'jwks_fetched', keys: 1, ignored: 2 }),
    );
    expect(
      events.events
        .filter((event) => event.type === 'jwk_ignored')
        .map((event) => event.type === 'jwk_ignored' && event.kid),
    ).toEqual([`${op.kid}-ps256`, `${op.kid}-es256`]);
  });
});
