import { type CryptoKey, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDevAuthorizationServer,
  type DevAuthorizationServer,
} from './create-dev-authorization-server.js';

describe('createDevAuthorizationServer with openid-client', () => {
  let server: DevAuthorizationServer;
  let clientKey: CryptoKey;
  const secret = 'basic s3cret with :/+% and ü';

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    clientKey = pair.privateKey;
    server = await createDevAuthorizationServer({
      clients: [
        { client_id: 'basic-client', client_secret: secret, scopes: ['orders:read', 'orders:write'] },
        {
          client_id: 'post-client',
          client_secret: 'p0st',
          scopes: ['orders:read'],
          token_endpoint_auth_method: 'client_secret_post',
        },
        {
          client_id: 'jwt-client',
          jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'jwt-1', alg: 'RS256' }] },
          scopes: ['admin'],
        },
      ],
    });
  });
  afterAll(() => server.close());

  const discover = (
    clientId: string,
    auth: client.ClientAuth,
    options: client.DiscoveryRequestOptions = {},
  ) =>
    client.discovery(new URL(server.issuer), clientId, undefined, auth, {
      execute: [client.allowInsecureRequests],
      ...options,
    });

  const verify = async (accessToken: string) =>
    (
      await jwtVerify(accessToken, createLocalJWKSet(server.publicJwks()), {
        issuer: server.issuer,
        audience: 'api://default',
      })
    ).payload;

  it('discovers the server from its issuer URL', async () => {
    const config = await discover('basic-client', client.ClientSecretBasic(secret));
    expect(config.serverMetadata()).toMatchObject({
      issuer: server.issuer,
      token_endpoint: server.tokenEndpoint,
    });
  });

  it('gets a token with client_secret_basic', async () => {
    const config = await discover('basic-client', client.ClientSecretBasic(secret));
    const tokens = await client.clientCredentialsGrant(config, { scope: 'orders:write' });
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 3600, scope: 'orders:write' });
    expect(await verify(tokens.access_token)).toMatchObject({ cid: 'basic-client', scp: ['orders:write'] });
  });

  it('gets a token with client_secret_post', async () => {
    const config = await discover('post-client', client.ClientSecretPost('p0st'));
    const tokens = await client.clientCredentialsGrant(config, { scope: 'orders:read' });
    expect(await verify(tokens.access_token)).toMatchObject({ cid: 'post-client', scp: ['orders:read'] });
  });

  it('gets a token with private_key_jwt', async () => {
    const config = await discover('jwt-client', client.PrivateKeyJwt({ key: clientKey, kid: 'jwt-1' }));
    const first = await client.clientCredentialsGrant(config);
    const second = await client.clientCredentialsGrant(config, { scope: 'admin' });
    expect(await verify(first.access_token)).toMatchObject({ cid: 'jwt-client', scp: ['admin'] });
    expect(second.scope).toBe('admin');
  });

  it('surfaces a rejected client as a Basic challenge with invalid_client', async () => {
    const config = await discover('basic-client', client.ClientSecretBasic('wrong'));
    const error = await client
      .clientCredentialsGrant(config, { scope: 'orders:read' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(client.WWWAuthenticateChallengeError);
    const challenge = error as client.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause[0]?.scheme).toBe('basic');
    expect(await challenge.response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('surfaces invalid_scope as a response body error', async () => {
    const config = await discover('basic-client', client.ClientSecretBasic(secret));
    await expect(client.clientCredentialsGrant(config, { scope: 'admin' })).rejects.toMatchObject({
      error: 'invalid_scope',
      status: 400,
    });
  });

  it('works without a socket through the in-process fetch', async () => {
    const offline = await createDevAuthorizationServer({
      listen: false,
      clients: [{ client_id: 'svc', client_secret: 's', scopes: ['a'] }],
    });
    const config = await client.discovery(
      new URL(offline.issuer),
      'svc',
      undefined,
      client.ClientSecretBasic('s'),
      {
        [client.customFetch]: offline.fetch,
      },
    );
    const tokens = await client.clientCredentialsGrant(config);
    expect(tokens.scope).toBe('a');
    expect(offline.requests.countRoute('token')).toBe(1);
    await offline.close();
  });
});
