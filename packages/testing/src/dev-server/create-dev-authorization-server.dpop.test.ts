import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDpopKey, type DpopKey, type DpopProofOptions } from '../dpop.js';
import {
  createDevAuthorizationServer,
  type DevAuthorizationServer,
} from './create-dev-authorization-server.js';

const SECRET = 'dpop-client-s3cret';

describe('createDevAuthorizationServer: DPoP-bound tokens (RFC 9449 §5)', () => {
  let server: DevAuthorizationServer;
  let key: DpopKey;

  beforeAll(async () => {
    server = await createDevAuthorizationServer({
      clients: [{ client_id: 'dpop-client', client_secret: SECRET, scopes: ['orders:read'] }],
    });
    key = await createDpopKey();
  });
  afterAll(() => server.close());

  const verify = async (accessToken: string) =>
    (
      await jwtVerify(accessToken, createLocalJWKSet(server.publicJwks()), {
        issuer: server.issuer,
        audience: 'api://default',
      })
    ).payload;

  const requestToken = (dpop?: string | string[]) => {
    const headers = new Headers({
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`dpop-client:${SECRET}`).toString('base64')}`,
    });
    for (const value of typeof dpop === 'string' ? [dpop] : (dpop ?? [])) headers.append('dpop', value);
    return fetch(server.tokenEndpoint, { method: 'POST', headers, body: 'grant_type=client_credentials' });
  };
  const proof = (options?: DpopProofOptions, url = server.tokenEndpoint, method = 'POST') =>
    key.proof({ method, url }, options);

  it('advertises dpop_signing_alg_values_supported in its metadata', async () => {
    const metadata = (await (await fetch(server.metadataUrl)).json()) as Record<string, unknown>;
    expect(metadata['dpop_signing_alg_values_supported']).toEqual(
      expect.arrayContaining(['ES256', 'EdDSA', 'RS256', 'PS256']),
    );
    expect(metadata['dpop_signing_alg_values_supported']).not.toContain('HS256');
  });

  it('binds the token to the proof key: token_type DPoP and cnf.jkt', async () => {
    const response = await requestToken(await proof());
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    expect(body['token_type']).toBe('DPoP');
    expect(await verify(body['access_token']!)).toMatchObject({ cnf: { jkt: key.jkt }, cid: 'dpop-client' });
  });

  it('still issues bearer tokens without cnf when no proof is sent', async () => {
    const body = (await (await requestToken()).json()) as Record<string, string>;
    expect(body['token_type']).toBe('Bearer');
    expect(await verify(body['access_token']!)).not.toHaveProperty('cnf');
  });

  it.each([
    ['a proof for another URL', () => proof({}, 'https://evil.example/v1/token')],
    ['a proof for another method', () => proof({}, undefined, 'GET')],
    ['a stale proof', () => proof({ defect: 'stale-iat' })],
    ['a proof with a bad signature', () => proof({ defect: 'signature' })],
    ['a proof carrying a private key', () => proof({ defect: 'private-jwk' })],
    ['a proof with typ JWT', () => proof({ defect: 'typ' })],
    ['alg none', () => proof({ defect: 'alg-none' })],
    ['HS256', () => proof({ defect: 'alg-hs256' })],
  ])('refuses %s with 400 invalid_dpop_proof', async (_, make) => {
    const response = await requestToken(await make());
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('refuses a replayed proof, and two DPoP headers', async () => {
    const once = await proof();
    expect((await requestToken(once)).status).toBe(200);
    expect(await (await requestToken(once)).json()).toMatchObject({ error: 'invalid_dpop_proof' });
    expect(await (await requestToken([await proof(), await proof()])).json()).toMatchObject({
      error: 'invalid_dpop_proof',
    });
  });

  it("gets a DPoP-bound token through openid-client's DPoP support (client credentials)", async () => {
    const config = await client.discovery(
      new URL(server.issuer),
      'dpop-client',
      undefined,
      client.ClientSecretBasic(SECRET),
      { execute: [client.allowInsecureRequests] },
    );
    expect(config.serverMetadata().dpop_signing_alg_values_supported).toContain('ES256');
    const keyPair = await client.randomDPoPKeyPair('ES256');
    const DPoP = client.getDPoPHandle(config, keyPair);
    const tokens = await client.clientCredentialsGrant(config, { scope: 'orders:read' }, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    expect(await verify(tokens.access_token)).toMatchObject({ cnf: { jkt }, scp: ['orders:read'] });
  });
});
