import { assertScopes, createVerifier, type Verifier } from '@scopeguard/core';
import { type MutableToken, OAuth2Server } from 'oauth2-mock-server';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverySource, recordEvents } from './support/events.js';

// oauth2-mock-server is a second issuer nobody here wrote: its own keys, metadata, token endpoint and
// token shape (typ "JWT", an `nbf`, `scope` as a string, `aud` only when the client asks for one).

const API = 'api://default';

let server: OAuth2Server;
let issuer: string;

beforeAll(async () => {
  server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  // Its default issuer is http://localhost:PORT; name the address it listens on instead.
  issuer = `http://127.0.0.1:${server.address().port}`;
  server.issuer.url = issuer;
});

afterAll(async () => {
  if (server?.listening) await server.stop();
});

/** A token from the mock's own signing code, shaped by `transform` (claims as an API gateway's client would get). */
function buildToken(transform: (token: MutableToken) => void, expiresIn?: number): Promise<string> {
  return server.issuer.buildToken({
    expiresIn,
    scopesOrTransform: (header, payload) => transform({ header, payload }),
  });
}

const forApi = ({ payload }: MutableToken) => {
  payload['aud'] = API;
  payload['client_id'] = 'mock-client';
  payload['scope'] = 'reports:read reports:export';
};

describe('oauth2-mock-server as the issuer', () => {
  let verifier: Verifier;
  const recorded = recordEvents();

  beforeAll(() => {
    verifier = createVerifier({ issuer, audience: API, onEvent: recorded.onEvent, jwks: { cooldown: 50 } });
  });

  it('accepts its tokens, finding the keys through its /.well-known/openid-configuration', async () => {
    const verified = await verifier.verify(await buildToken(forApi));

    expect(verified).toMatchObject({ clientId: 'mock-client', scopes: ['reports:read', 'reports:export'] });
    expect(verified.header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    // The mock serves no RFC 8414 document (404), so discovery fell through to OpenID Connect's.
    expect(discoverySource(recorded.events)).toBe('openid-configuration');
    expect(recorded.events).toContainEqual(
      expect.objectContaining({ type: 'discovery_completed', jwksUri: `${issuer}/jwks` }),
    );
  });

  it('enforces the scopes of its tokens', async () => {
    const verified = await verifier.verify(await buildToken(forApi));

    expect(() =>
      assertScopes(verified, { allOf: ['reports:read'], anyOf: ['reports:export'] }),
    ).not.toThrow();
    expect(() => assertScopes(verified, { allOf: ['reports:delete'] })).toThrow(
      expect.objectContaining({
        name: 'TokenError',
        code: 'insufficient_scope',
        requiredScopes: ['reports:delete'],
      }),
    );
  });

  it('accepts a token from its token endpoint, requested by openid-client, shaped by beforeTokenSigning', async () => {
    server.service.once('beforeTokenSigning', (token: MutableToken) => {
      token.payload['client_id'] = 'gateway';
    });
    const config = await client.discovery(new URL(issuer), 'gateway', undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });

    const response = await client.clientCredentialsGrant(config, { scope: 'reports:read', aud: API });
    const verified = await verifier.verify(response.access_token);

    expect(verified).toMatchObject({ clientId: 'gateway', scopes: ['reports:read'] });
    expect(verified.claims.aud).toBe(API);
  });

  it('refuses its expired tokens with token_expired', async () => {
    const expired = await buildToken(forApi, -60);

    await expect(verifier.verify(expired)).rejects.toMatchObject({
      name: 'TokenError',
      code: 'token_expired',
    });
  });

  it('refuses its tokens for another audience, or for none, with audience_invalid', async () => {
    const otherAudience = await buildToken((token) => {
      forApi(token);
      token.payload['aud'] = 'api://payments';
    });
    const noAudience = await server.issuer.buildToken({ scopesOrTransform: 'reports:read' });

    await expect(verifier.verify(otherAudience)).rejects.toMatchObject({ code: 'audience_invalid' });
    await expect(verifier.verify(noAudience)).rejects.toMatchObject({ code: 'audience_invalid' });
  });

  it('refuses its tokens in strict typ mode, because it labels access tokens "JWT", not "at+jwt"', async () => {
    const strict = createVerifier({ issuer, audience: API, typ: 'strict' });
    const relabelled = await buildToken((token) => {
      forApi(token);
      token.header['typ'] = 'at+jwt';
    });

    await expect(strict.verify(await buildToken(forApi))).rejects.toMatchObject({
      code: 'claim_invalid',
      claim: 'header.typ',
    });
    await expect(strict.verify(relabelled)).resolves.toMatchObject({ header: { typ: 'at+jwt' } });
  });

  it('follows its key rotation: a token signed by a newly generated key is accepted after one JWKS refetch', async () => {
    await verifier.verify(await buildToken(forApi)); // keys cached
    const fresh = await server.issuer.keys.generate('RS256');
    await new Promise((resolve) => setTimeout(resolve, 60)); // past the 50 ms refetch cooldown

    const verified = await verifier.verify(
      await server.issuer.buildToken({
        kid: fresh.kid,
        scopesOrTransform: (h, p) => forApi({ header: h, payload: p }),
      }),
    );

    expect(verified.header.kid).toBe(fresh.kid);
    expect(recorded.events).toContainEqual(
      expect.objectContaining({ type: 'jwks_fetched', reason: 'unknown_kid' }),
    );
  });

  it('refuses its ES256 tokens unless ES256 is allowed (RS256 only by default)', async () => {
    const ecKey = await server.issuer.keys.generate('ES256');
    const token = await server.issuer.buildToken({
      kid: ecKey.kid,
      scopesOrTransform: (header, payload) => forApi({ header, payload }),
    });
    const es256 = createVerifier({ issuer, audience: API, algorithms: ['ES256'] });

    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'alg_not_allowed' });
    await expect(es256.verify(token)).resolves.toMatchObject({ header: { alg: 'ES256', kid: ecKey.kid } });
  });
});

describe('oauth2-mock-server with a trailing-slash issuer ("http://127.0.0.1:PORT/")', () => {
  let slashed: OAuth2Server;
  let slashedIssuer: string;

  beforeAll(async () => {
    slashed = new OAuth2Server(undefined, undefined, { shouldIssuerUrlBeSuffixedWithATralingSlash: true });
    await slashed.issuer.keys.generate('RS256');
    await slashed.start(0, '127.0.0.1');
    slashed.issuer.url = `http://127.0.0.1:${slashed.address().port}`; // the mock appends the slash
    slashedIssuer = slashed.issuer.url;
  });

  afterAll(async () => {
    if (slashed?.listening) await slashed.stop();
  });

  it('is matched exactly: accepted when configured with the slash, issuer_invalid without it', async () => {
    expect(slashedIssuer.endsWith('/')).toBe(true);
    const token = await slashed.issuer.buildToken({
      scopesOrTransform: (header, payload) => forApi({ header, payload }),
    });
    const events = recordEvents();
    const withSlash = createVerifier({ issuer: slashedIssuer, audience: API, onEvent: events.onEvent });
    const withoutSlash = createVerifier({
      issuer: slashedIssuer.slice(0, -1),
      audience: API,
      jwksUri: `${slashedIssuer}jwks`,
    });

    await expect(withSlash.verify(token)).resolves.toMatchObject({ claims: { iss: slashedIssuer } });
    expect(events.events).toContainEqual(
      expect.objectContaining({
        type: 'discovery_completed',
        source: 'openid-configuration',
        jwksUri: `${slashedIssuer}jwks`,
      }),
    );
    await expect(withoutSlash.verify(token)).rejects.toMatchObject({ code: 'issuer_invalid' });
  });
});
