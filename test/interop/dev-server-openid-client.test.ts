import { assertScopes, createVerifier, type VerifiedToken } from '@scopeguard/core';
import { createDevAuthorizationServer, type DevAuthorizationServer } from '@scopeguard/testing';
import type { JWK } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverySource, recordEvents } from './support/events.js';
import { type RunningOidcProvider, startOidcProvider } from './support/oidc-provider-issuer.js';
import {
  CLIENT_AUTH_METHODS,
  type ClientAuthMethod,
  type ClientCredentials,
  clientCredentialsToken,
  clientKeyPair,
  discoverClient,
  grantError,
} from './support/openid-client-credentials.js';

// openid-client (a certified relying party nobody here wrote) obtains client-credentials tokens with each
// client authentication method, from our dev authorization server and from oidc-provider alike: the same
// client code works against both, which proves the dev server against a real client. scopeguard then
// verifies every token and enforces its scopes.

const API = 'api://default';
const SECRETS: Record<Exclude<ClientAuthMethod, 'private_key_jwt'>, string> = {
  client_secret_basic: 'basic-secret-0123456789abcdef',
  client_secret_post: 'post-secret-0123456789abcdef',
};
/** Characters RFC 6749 §2.3.1 makes clients form-encode before Basic authentication. */
const ODD_CLIENT_ID = 'ops:α+svc';
const ODD_SECRET = 'p@ss:w+rd/=%&ü é';
const clientIdFor = (method: ClientAuthMethod) => `svc-${method.replaceAll('_', '-')}`;

let jwtKey: Awaited<ReturnType<typeof clientKeyPair>>;

function credentialsFor(method: ClientAuthMethod): ClientCredentials {
  const clientId = clientIdFor(method);
  return method === 'private_key_jwt'
    ? { clientId, method, privateKey: jwtKey.privateKey, kid: jwtKey.publicJwk.kid }
    : { clientId, method, secret: SECRETS[method] };
}

/** A registration per method: `secret` or `jwk`, in the vocabulary each server speaks. */
function registration(method: ClientAuthMethod): { secret?: string; jwk?: JWK } {
  return method === 'private_key_jwt' ? { jwk: jwtKey.publicJwk } : { secret: SECRETS[method] };
}

beforeAll(async () => {
  jwtKey = await clientKeyPair('svc-private-key-jwt-key-1');
});

describe('openid-client against the dev authorization server (Okta-shaped tokens)', () => {
  let server: DevAuthorizationServer;

  beforeAll(async () => {
    server = await createDevAuthorizationServer({
      clients: [
        ...CLIENT_AUTH_METHODS.map((method) => {
          const { secret, jwk } = registration(method);
          return {
            client_id: clientIdFor(method),
            ...(secret === undefined ? {} : { client_secret: secret }),
            ...(jwk === undefined ? {} : { jwk }),
            token_endpoint_auth_method: method,
            scopes: ['orders:read', 'orders:write'],
            default_scopes: ['orders:read'],
          };
        }),
        ...(['client_secret_basic', 'client_secret_post'] as const).map((method) => ({
          client_id: `${ODD_CLIENT_ID}/${method}`,
          client_secret: ODD_SECRET,
          token_endpoint_auth_method: method,
          scopes: ['orders:read'],
        })),
      ],
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  describe.each(CLIENT_AUTH_METHODS)('%s', (method) => {
    let config: client.Configuration;

    beforeAll(async () => {
      config = await discoverClient(server.issuer, credentialsFor(method));
    });

    it('obtains a token that scopeguard verifies (keys found by discovery) and whose scopes it enforces', async () => {
      const events = recordEvents();
      const verifier = createVerifier({
        issuer: server.issuer,
        audience: API,
        clientIds: [clientIdFor(method)],
        onEvent: events.onEvent,
      });

      const token = await clientCredentialsToken(config, { scope: 'orders:read' });
      const verified = await verifier.verify(token);

      expect(verified).toMatchObject({ clientId: clientIdFor(method), scopes: ['orders:read'] });
      expect(verified.claims).toMatchObject({ iss: server.issuer, aud: API, cid: clientIdFor(method) });
      expect(discoverySource(events.events)).toBe('oauth-authorization-server');
      expect(() => assertScopes(verified, { allOf: ['orders:read'] })).not.toThrow();
      expect(() => assertScopes(verified, { allOf: ['orders:write'] })).toThrow(
        expect.objectContaining({ name: 'TokenError', code: 'insufficient_scope' }),
      );
    });

    it('gets the default scopes when it asks for none, and every scope it may have when it asks', async () => {
      const verifier = createVerifier({ issuer: server.issuer, audience: API, jwksUri: server.jwksUri });

      const byDefault = await verifier.verify(await clientCredentialsToken(config));
      const both = await verifier.verify(
        await clientCredentialsToken(config, { scope: 'orders:read orders:write' }),
      );

      expect(byDefault.scopes).toEqual(['orders:read']);
      expect(both.scopes).toEqual(['orders:read', 'orders:write']);
      expect(() => assertScopes(both, { allOf: ['orders:read', 'orders:write'] })).not.toThrow();
    });

    it('is refused a scope it was not registered for (invalid_scope)', async () => {
      expect(await grantError(config, { scope: 'orders:read admin' })).toMatchObject({
        error: 'invalid_scope',
        status: 400,
      });
    });
  });

  it('is also found by RFC 8414 discovery (the metadata URL with the issuer path inserted)', async () => {
    const config = await client.discovery(
      new URL(server.issuer),
      clientIdFor('client_secret_basic'),
      undefined,
      client.ClientSecretBasic(SECRETS.client_secret_basic),
      { algorithm: 'oauth2', execute: [client.allowInsecureRequests] },
    );
    const verifier = createVerifier({ issuer: server.issuer, audience: API });

    expect(config.serverMetadata().token_endpoint).toBe(server.tokenEndpoint);
    await expect(verifier.verify(await clientCredentialsToken(config))).resolves.toMatchObject({
      scopes: ['orders:read'],
    });
    expect(
      server.requests.count(`/.well-known/oauth-authorization-server${new URL(server.issuer).pathname}`),
    ).toBe(1);
  });

  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    '%s: client ids and secrets with ":", "+", "%%", spaces and non-ASCII survive the encoding (RFC 6749 §2.3.1)',
    async (method) => {
      const clientId = `${ODD_CLIENT_ID}/${method}`;
      const config = await discoverClient(server.issuer, { clientId, method, secret: ODD_SECRET });
      const verifier = createVerifier({ issuer: server.issuer, audience: API, clientIds: [clientId] });

      await expect(verifier.verify(await clientCredentialsToken(config))).resolves.toMatchObject({
        clientId,
      });
    },
  );

  it('refuses a client presenting the wrong secret (invalid_client)', async () => {
    const config = await discoverClient(server.issuer, {
      ...credentialsFor('client_secret_basic'),
      secret: 'not-the-secret',
    });

    expect(await grantError(config)).toEqual({ error: 'invalid_client', status: 401, challenge: 'basic' });
  });

  it('refuses a client authenticating with another method than it registered (invalid_client)', async () => {
    const config = await discoverClient(server.issuer, {
      ...credentialsFor('client_secret_basic'),
      method: 'client_secret_post',
    });

    expect(await grantError(config)).toMatchObject({ error: 'invalid_client', status: 401 });
  });

  it('refuses a private_key_jwt assertion signed by a key the client did not register (invalid_client)', async () => {
    const stranger = await clientKeyPair(jwtKey.publicJwk.kid!);
    const config = await discoverClient(server.issuer, {
      ...credentialsFor('private_key_jwt'),
      privateKey: stranger.privateKey,
    });

    expect(await grantError(config)).toMatchObject({ error: 'invalid_client', status: 401 });
  });
});

describe('openid-client against the dev authorization server (RFC 9068 profile)', () => {
  let server: DevAuthorizationServer;

  beforeAll(async () => {
    server = await createDevAuthorizationServer({
      tokenProfile: 'rfc9068',
      clients: [
        { client_id: 'svc-9068', client_secret: SECRETS.client_secret_basic, scopes: ['orders:read'] },
      ],
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('issues at+jwt tokens that scopeguard accepts in strict typ mode', async () => {
    const config = await discoverClient(server.issuer, {
      clientId: 'svc-9068',
      method: 'client_secret_basic',
      secret: SECRETS.client_secret_basic,
    });
    const verifier = createVerifier({
      issuer: server.issuer,
      audience: API,
      typ: 'strict',
      clientIds: ['svc-9068'],
    });

    const verified = await verifier.verify(await clientCredentialsToken(config, { scope: 'orders:read' }));

    expect(verified.header.typ).toBe('at+jwt');
    expect(verified.claims).toMatchObject({ client_id: 'svc-9068', scope: 'orders:read' });
    expect(verified.scopes).toEqual(['orders:read']);
  });
});

describe('the same openid-client code against oidc-provider', () => {
  let op: RunningOidcProvider;

  beforeAll(async () => {
    op = await startOidcProvider({
      resourceServers: { [API]: { audience: API, scope: 'orders:read orders:write' } },
      clients: CLIENT_AUTH_METHODS.map((method) => {
        const { secret, jwk } = registration(method);
        return {
          client_id: clientIdFor(method),
          ...(secret === undefined ? {} : { client_secret: secret }),
          ...(jwk === undefined ? {} : { jwks: { keys: [jwk] } }),
          token_endpoint_auth_method: method,
          scope: 'orders:read orders:write',
        };
      }),
    });
  });

  afterAll(async () => {
    await op?.close();
  });

  it.each(CLIENT_AUTH_METHODS)(
    '%s: obtains an RFC 9068 token that scopeguard verifies and scope-checks',
    async (method) => {
      const config = await discoverClient(op.issuer, credentialsFor(method));
      const verifier = createVerifier({
        issuer: op.issuer,
        audience: API,
        typ: 'strict',
        clientIds: [clientIdFor(method)],
      });

      const verified: VerifiedToken = await verifier.verify(
        await clientCredentialsToken(config, { scope: 'orders:read', resource: API }),
      );

      expect(verified).toMatchObject({ clientId: clientIdFor(method), scopes: ['orders:read'] });
      expect(() => assertScopes(verified, { allOf: ['orders:read'] })).not.toThrow();
      expect(() => assertScopes(verified, { allOf: ['orders:write'] })).toThrow(
        expect.objectContaining({ code: 'insufficient_scope' }),
      );
    },
  );

  it('refuses the wrong secret there too (invalid_client)', async () => {
    const config = await discoverClient(op.issuer, {
      ...credentialsFor('client_secret_post'),
      secret: 'nope',
    });

    expect(await grantError(config, { resource: API })).toMatchObject({
      error: 'invalid_client',
      status: 401,
    });
  });
});
