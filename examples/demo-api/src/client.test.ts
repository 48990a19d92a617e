import { createDevAuthorizationServer, type DevAuthorizationServer } from '@scopeguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  allowsInsecureLoopback,
  type ClientKeyPair,
  createClientCredentialsClient,
  generateClientKeyPair,
  TokenRequestError,
} from './client.js';

const BASIC_SECRET = 'basic-secret-for-client-tests-0001';
const POST_SECRET = 'post-secret-for-client-tests-0002';
let server: DevAuthorizationServer;
let keys: ClientKeyPair;

beforeAll(async () => {
  keys = await generateClientKeyPair();
  server = await createDevAuthorizationServer({
    clients: [
      { client_id: 'basic', client_secret: BASIC_SECRET, scopes: ['customScope'] },
      {
        client_id: 'post',
        client_secret: POST_SECRET,
        token_endpoint_auth_method: 'client_secret_post',
        scopes: ['customScope', 'messages:write'],
      },
      { client_id: 'jwt', jwk: keys.publicJwk, scopes: ['customScope', 'messages:write'] },
    ],
  });
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  server.requests.reset();
});

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

const basicClient = (now?: () => number) =>
  createClientCredentialsClient({
    issuer: server.issuer,
    clientId: 'basic',
    scope: 'customScope',
    auth: { method: 'client_secret_basic', clientSecret: BASIC_SECRET },
    now,
  });

describe('createClientCredentialsClient', () => {
  it('gets a token with client_secret_basic', async () => {
    const token = await basicClient().getToken();
    expect(token.scope).toBe('customScope');
    expect(token.expiresIn).toBe(3600);
    expect(claims(token.accessToken)).toMatchObject({
      cid: 'basic',
      scp: ['customScope'],
      iss: server.issuer,
    });
  });

  it('gets a token with client_secret_post', async () => {
    const client = createClientCredentialsClient({
      issuer: server.issuer,
      clientId: 'post',
      scope: 'customScope messages:write',
      auth: { method: 'client_secret_post', clientSecret: POST_SECRET },
    });
    expect(claims(await client.getAccessToken())).toMatchObject({
      cid: 'post',
      scp: ['customScope', 'messages:write'],
    });
  });

  it('gets a token with private_key_jwt and a generated key pair', async () => {
    const client = createClientCredentialsClient({
      issuer: server.issuer,
      clientId: 'jwt',
      scope: 'messages:write',
      auth: { method: 'private_key_jwt', privateKey: keys.privateKey, kid: keys.publicJwk.kid },
    });
    expect(claims(await client.getAccessToken())).toMatchObject({ cid: 'jwt', scp: ['messages:write'] });
    // A second client assertion (new jti) works too: the cache was bypassed on purpose.
    client.invalidate();
    await client.getAccessToken();
    expect(server.requests.countRoute('token')).toBe(2);
  });

  it('sends one token request for concurrent callers and reuses the token afterwards', async () => {
    const client = basicClient();
    const tokens = await Promise.all(Array.from({ length: 8 }, () => client.getAccessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(await client.getAccessToken()).toBe(tokens[0]);
    expect(server.requests.countRoute('token')).toBe(1);
    expect(client.tokenRequests).toBe(1);
  });

  it('asks for a new token shortly before the cached one expires', async () => {
    let now = Date.now();
    const client = basicClient(() => now);
    const first = await client.getToken();
    now = first.expiresAt - 61_000;
    expect((await client.getToken()).accessToken).toBe(first.accessToken);
    expect(server.requests.countRoute('token')).toBe(1);
    now = first.expiresAt - 59_000; // still valid for 59 s, but inside the refresh margin
    const second = await client.getToken();
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(server.requests.countRoute('token')).toBe(2);
    expect(client.tokenRequests).toBe(2);
  });

  it('discovers the issuer once', async () => {
    const client = basicClient();
    await client.getAccessToken();
    client.invalidate();
    await client.getAccessToken();
    expect(server.requests.metadata).toBe(1);
    expect(await client.tokenEndpoint()).toBe(server.tokenEndpoint);
  });

  it('reports a refused client without echoing its secret, and retries on the next call', async () => {
    const wrong = 'wrong-secret-that-must-not-leak-123';
    const client = createClientCredentialsClient({
      issuer: server.issuer,
      clientId: 'basic',
      auth: { method: 'client_secret_basic', clientSecret: wrong },
    });
    const error = await client.getToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error).toMatchObject({ error: 'invalid_client', status: 401 });
    expect((error as Error).message).toMatch(/^token request refused: invalid_client/);
    expect((error as Error).message).not.toContain(wrong);
    await expect(client.getToken()).rejects.toThrow(TokenRequestError);
    expect(server.requests.countRoute('token')).toBe(2);
  });

  it('reports a scope the client may not request as invalid_scope', async () => {
    const client = createClientCredentialsClient({
      issuer: server.issuer,
      clientId: 'basic',
      scope: 'messages:write',
      auth: { method: 'client_secret_basic', clientSecret: BASIC_SECRET },
    });
    await expect(client.getToken()).rejects.toMatchObject({ error: 'invalid_scope', status: 400 });
  });

  it('prints its token request as curl with the secret redacted', async () => {
    const line = await basicClient().tokenRequestCurl();
    expect(line).toContain(`--url ${server.tokenEndpoint}`);
    expect(line).toContain(`--data 'grant_type=client_credentials&scope=customScope'`);
    expect(line).not.toContain(BASIC_SECRET);
    expect(line).not.toContain(Buffer.from(`basic:${BASIC_SECRET}`).toString('base64'));
  });
});

describe('allowsInsecureLoopback', () => {
  it('allows plain http only on loopback hosts', () => {
    expect(allowsInsecureLoopback(new URL('https://example.okta.com/oauth2/default'))).toBe(false);
    expect(allowsInsecureLoopback(new URL('http://127.0.0.1:8080/oauth2/default'))).toBe(true);
    expect(allowsInsecureLoopback(new URL('http://localhost:8080/oauth2/default'))).toBe(true);
    expect(() => allowsInsecureLoopback(new URL('http://example.okta.com/oauth2/default'))).toThrow(/https/);
  });

  it('makes the client refuse a plain-http issuer off loopback at creation', () => {
    expect(() =>
      createClientCredentialsClient({
        issuer: 'http://example.okta.com/oauth2/default',
        clientId: 'x',
        auth: { method: 'client_secret_basic', clientSecret: 'y' },
      }),
    ).toThrow(/https/);
  });
});
