import {
  type CryptoKey,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_BEARER_ASSERTION_TYPE } from './authenticate-client.js';
import {
  createDevAuthorizationServer,
  type DevAuthorizationServer,
} from './create-dev-authorization-server.js';

const BASIC_ID = 'svc:basic';
const BASIC_SECRET = 'b4sic s3cret:+/%é';
const basicAuth = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('createDevAuthorizationServer', () => {
  let server: DevAuthorizationServer;
  let clientKey: CryptoKey;
  let strangerKey: CryptoKey;

  beforeAll(async () => {
    ({ privateKey: strangerKey } = await generateKeyPair('ES256'));
    const clientPair = await generateKeyPair('ES256');
    clientKey = clientPair.privateKey;
    server = await createDevAuthorizationServer({
      clients: {
        clients: [
          {
            client_id: BASIC_ID,
            client_secret: BASIC_SECRET,
            scopes: ['orders:read', 'orders:write'],
            default_scopes: ['orders:read'],
          },
          {
            client_id: 'post-client',
            client_secret: 'p0st',
            scopes: ['orders:read'],
            token_endpoint_auth_method: 'client_secret_post',
          },
          {
            client_id: 'jwt-client',
            jwk: { ...(await exportJWK(clientPair.publicKey)), kid: 'c1' },
            scopes: ['admin'],
          },
          {
            client_id: 'code-only',
            client_secret: 'c0de',
            scopes: ['a'],
            grant_types: ['authorization_code'],
          },
        ],
      },
    });
  });
  afterAll(() => server.close());

  const requestToken = (form: Record<string, string> | string, headers: Record<string, string> = {}) =>
    fetch(server.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
    });

  const assertion = (claims: JWTPayload = {}, key: CryptoKey = clientKey, alg = 'ES256') => {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: 'jwt-client',
      sub: 'jwt-client',
      aud: server.tokenEndpoint,
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 60,
      ...claims,
    };
    return new SignJWT(payload).setProtectedHeader({ alg, kid: 'c1' }).sign(key);
  };

  const jwtForm = async (extra: Record<string, string> = {}, claims?: JWTPayload) => ({
    grant_type: 'client_credentials',
    client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
    client_assertion: await assertion(claims),
    ...extra,
  });

  async function expectError(response: Response, status: number, error: string) {
    expect(response.status).toBe(status);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ error, error_description: expect.any(String) });
    return body;
  }

  async function expectToken(response: Response, scope: string, clientId: string) {
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope });
    const { payload } = await jwtVerify(
      body['access_token'] as string,
      createLocalJWKSet(server.publicJwks()),
      {
        issuer: server.issuer,
        audience: 'api://default',
      },
    );
    expect(payload).toMatchObject({ cid: clientId, sub: clientId, scp: scope.split(' ') });
    expect(payload.exp! - payload.iat!).toBe(3600);
    return payload;
  }

  describe('metadata', () => {
    it('advertises the token endpoint, the client authentication methods and the scopes', async () => {
      const metadata = await (await fetch(server.metadataUrl)).json();
      expect(metadata).toMatchObject({
        issuer: server.issuer,
        token_endpoint: `${server.issuer}/v1/token`,
        jwks_uri: `${server.issuer}/v1/keys`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: [
          'client_secret_basic',
          'client_secret_post',
          'private_key_jwt',
        ],
        scopes_supported: ['orders:read', 'orders:write', 'admin', 'a'],
      });
    });
  });

  describe('success', () => {
    it('issues a token to a client_secret_basic client for the requested scopes', async () => {
      const response = await requestToken(
        { grant_type: 'client_credentials', scope: 'orders:write orders:read' },
        { authorization: basicAuth(BASIC_ID, BASIC_SECRET) },
      );
      await expectToken(response, 'orders:write orders:read', BASIC_ID);
    });

    it('grants the default scopes when none are requested', async () => {
      const response = await requestToken(
        { grant_type: 'client_credentials' },
        { authorization: basicAuth(BASIC_ID, BASIC_SECRET) },
      );
      await expectToken(response, 'orders:read', BASIC_ID);
    });

    it('issues a token to a client_secret_post client', async () => {
      const response = await requestToken({
        grant_type: 'client_credentials',
        client_id: 'post-client',
        client_secret: 'p0st',
      });
      await expectToken(response, 'orders:read', 'post-client');
      expect(server.requests.countRoute('token')).toBeGreaterThan(0);
    });

    it('issues a token to a private_key_jwt client whose assertion names the token endpoint', async () => {
      await expectToken(
        await requestToken(await jwtForm({ client_id: 'jwt-client' })),
        'admin',
        'jwt-client',
      );
    });

    it('accepts a private_key_jwt assertion addressed to the issuer', async () => {
      await expectToken(await requestToken(await jwtForm({}, { aud: server.issuer })), 'admin', 'jwt-client');
    });

    it('accepts a charset parameter on the form content type', async () => {
      const response = await requestToken(
        { grant_type: 'client_credentials' },
        {
          authorization: basicAuth(BASIC_ID, BASIC_SECRET),
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        },
      );
      expect(response.status).toBe(200);
    });
  });

  describe('request errors', () => {
    it('answers 405 to anything but POST', async () => {
      expect((await fetch(server.tokenEndpoint)).status).toBe(405);
    });

    it('rejects a body that is not form-encoded with invalid_request', async () => {
      const response = await requestToken(JSON.stringify({ grant_type: 'client_credentials' }), {
        'content-type': 'application/json',
      });
      await expectError(response, 400, 'invalid_request');
    });

    it('rejects repeated parameters with invalid_request', async () => {
      await expectError(
        await requestToken('grant_type=client_credentials&scope=a&scope=b'),
        400,
        'invalid_request',
      );
    });

    it('rejects a missing grant_type with invalid_request', async () => {
      await expectError(
        await requestToken({ client_id: 'post-client', client_secret: 'p0st' }),
        400,
        'invalid_request',
      );
    });

    it('rejects other grants with unsupported_grant_type', async () => {
      const response = await requestToken(
        { grant_type: 'password', username: 'u', password: 'p' },
        { authorization: basicAuth(BASIC_ID, BASIC_SECRET) },
      );
      await expectError(response, 400, 'unsupported_grant_type');
    });

    it('rejects several client authentication methods at once with invalid_request', async () => {
      const response = await requestToken(
        { grant_type: 'client_credentials', client_id: BASIC_ID, client_secret: BASIC_SECRET },
        { authorization: basicAuth(BASIC_ID, BASIC_SECRET) },
      );
      await expectError(response, 400, 'invalid_request');
    });

    it('rejects a body client_id that differs from the Basic one with invalid_request', async () => {
      const response = await requestToken(
        { grant_type: 'client_credentials', client_id: 'post-client' },
        { authorization: basicAuth(BASIC_ID, BASIC_SECRET) },
      );
      await expectError(response, 400, 'invalid_request');
    });
  });

  describe('client authentication errors', () => {
    it('rejects a request without client authentication with invalid_client (401)', async () => {
      const response = await requestToken({ grant_type: 'client_credentials', client_id: BASIC_ID });
      await expectError(response, 401, 'invalid_client');
      expect(response.headers.get('www-authenticate')).toBeNull();
    });

    it.each([
      ['a wrong secret', basicAuth(BASIC_ID, 'wrong')],
      ['an unknown client', basicAuth('nobody', BASIC_SECRET)],
      ['malformed credentials', 'Basic not-base64!'],
      [
        'credentials not form-encoded',
        `Basic ${Buffer.from(`${BASIC_ID}:${BASIC_SECRET}`).toString('base64')}`,
      ],
    ])('rejects Basic with %s as invalid_client (401) with a Basic challenge', async (_, authorization) => {
      const response = await requestToken({ grant_type: 'client_credentials' }, { authorization });
      await expectError(response, 401, 'invalid_client');
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="[^"]+"/);
    });

    it('rejects a wrong client_secret_post secret with invalid_client (401), without a challenge', async () => {
      const response = await requestToken({
        grant_type: 'client_credentials',
        client_id: 'post-client',
        client_secret: 'nope',
      });
      await expectError(response, 401, 'invalid_client');
      expect(response.headers.get('www-authenticate')).toBeNull();
    });

    it('rejects client_secret_post without client_id with invalid_client', async () => {
      await expectError(
        await requestToken({ grant_type: 'client_credentials', client_secret: 'p0st' }),
        401,
        'invalid_client',
      );
    });

    it('holds clients to their registered method', async () => {
      const response = await requestToken({
        grant_type: 'client_credentials',
        client_id: BASIC_ID,
        client_secret: BASIC_SECRET,
      });
      const body = await expectError(response, 401, 'invalid_client');
      expect(body['error_description']).toContain('client_secret_basic');
      const asBasic = await requestToken(
        { grant_type: 'client_credentials' },
        { authorization: basicAuth('post-client', 'p0st') },
      );
      await expectError(asBasic, 401, 'invalid_client');
    });
  });

  describe('private_key_jwt errors', () => {
    it('rejects an unknown client_assertion_type with invalid_request', async () => {
      await expectError(
        await requestToken(await jwtForm({ client_assertion_type: 'urn:example:other' })),
        400,
        'invalid_request',
      );
    });

    it('rejects a missing client_assertion with invalid_request', async () => {
      const response = await requestToken({
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
      });
      await expectError(response, 400, 'invalid_request');
    });

    it('rejects an assertion that is not a JWT', async () => {
      await expectError(
        await requestToken(await jwtForm({ client_assertion: 'not-a-jwt' })),
        401,
        'invalid_client',
      );
    });

    it('rejects an assertion signed by a key the client did not register', async () => {
      const form = await jwtForm({ client_assertion: await assertion({}, strangerKey) });
      await expectError(await requestToken(form), 401, 'invalid_client');
    });

    it.each([
      ['another audience', { aud: 'https://elsewhere.example/token' }],
      ['an issuer other than the client', { iss: 'someone-else' }],
      ['an expiry in the past', { exp: Math.floor(Date.now() / 1000) - 120 }],
      ['no jti', { jti: undefined }],
    ])('rejects an assertion with %s', async (_, claims) => {
      await expectError(await requestToken(await jwtForm({}, claims as JWTPayload)), 401, 'invalid_client');
    });

    it('rejects a client_id that differs from the assertion subject', async () => {
      await expectError(
        await requestToken(await jwtForm({ client_id: 'post-client' })),
        401,
        'invalid_client',
      );
    });

    it('rejects a replayed assertion (same jti within its lifetime)', async () => {
      const form = await jwtForm();
      expect((await requestToken(form)).status).toBe(200);
      const body = await expectError(await requestToken(form), 401, 'invalid_client');
      expect(body['error_description']).toContain('replayed');
    });

    it('rejects an HMAC assertion (client_secret_jwt is not offered)', async () => {
      const hmac = new TextEncoder().encode('a-shared-secret-that-is-long-enough-for-hs256');
      const form = await jwtForm({
        client_assertion: await assertion({}, hmac as unknown as CryptoKey, 'HS256'),
      });
      await expectError(await requestToken(form), 401, 'invalid_client');
    });

    it('rejects an assertion from a client registered for secrets', async () => {
      const form = await jwtForm({}, { iss: BASIC_ID, sub: BASIC_ID });
      await expectError(await requestToken(form), 401, 'invalid_client');
    });
  });

  describe('grant errors', () => {
    it('rejects a client not allowed the client_credentials grant with unauthorized_client', async () => {
      const response = await requestToken(
        { grant_type: 'client_credentials' },
        { authorization: basicAuth('code-only', 'c0de') },
      );
      await expectError(response, 400, 'unauthorized_client');
    });

    it('rejects scopes beyond the client’s with invalid_scope', async () => {
      const response = await requestToken(
        { grant_type: 'client_credentials', scope: 'orders:read admin' },
        { authorization: basicAuth(BASIC_ID, BASIC_SECRET) },
      );
      const body = await expectError(response, 400, 'invalid_scope');
      expect(body['error_description']).toContain('admin');
    });
  });

  describe('options', () => {
    it('issues tokens with the configured audience, lifetime and shape, through the in-process fetch', async () => {
      const dev = await createDevAuthorizationServer({
        listen: false,
        audience: 'api://orders',
        tokenLifetime: 120,
        tokenProfile: 'rfc9068',
        issuerPath: '/oauth2/aus-orders',
        clients: [
          {
            client_id: 'svc',
            client_secret: 's',
            scopes: ['orders:read'],
            token_endpoint_auth_method: 'client_secret_post',
          },
        ],
      });
      const response = await dev.fetch(`${dev.issuer}/v1/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'svc', client_secret: 's' }),
      });
      const body = (await response.json()) as { access_token: string; expires_in: number };
      expect(body.expires_in).toBe(120);
      const { payload, protectedHeader } = await jwtVerify(
        body.access_token,
        createLocalJWKSet(dev.publicJwks()),
        {
          issuer: 'https://issuer.test/oauth2/aus-orders',
          audience: 'api://orders',
          typ: 'at+jwt',
        },
      );
      expect(protectedHeader.typ).toBe('at+jwt');
      expect(payload).toMatchObject({ client_id: 'svc', sub: 'svc', scope: 'orders:read' });
      expect(payload.exp! - payload.iat!).toBe(120);
      expect(dev.clients.map((client) => client.client_id)).toEqual(['svc']);
      await dev.close();
    });

    it('refuses to start with invalid clients', async () => {
      await expect(
        createDevAuthorizationServer({ clients: [{ client_id: '', scopes: [] }] }),
      ).rejects.toThrow('client_id');
    });
  });
});
