import type { INestApplication } from '@nestjs/common';
import { createDevAuthorizationServer, type DevAuthorizationServer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, type Platform } from './app.js';

// DEV ONLY: clients of the dev authorization server these tests start; the secrets protect nothing.
const clients = [
  { client_id: 'reader', client_secret: 'dev-only-reader-secret', scopes: ['customScope'] },
  { client_id: 'writer', client_secret: 'dev-only-writer-secret', scopes: ['customScope', 'messages:write'] },
  { client_id: 'no-scope', client_secret: 'dev-only-no-scope-secret', scopes: ['profile:read'] },
].map((client) => ({ ...client, token_endpoint_auth_method: 'client_secret_basic' as const }));

let server: DevAuthorizationServer;
const tokens: Record<string, string> = {};

/** A token from the dev authorization server, with the Client Credentials grant (RFC 6749 §4.4). */
async function clientCredentials(clientId: string, secret: string): Promise<string> {
  const response = await fetch(server.tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

beforeAll(async () => {
  server = await createDevAuthorizationServer({ clients });
  for (const client of clients)
    tokens[client.client_id] = await clientCredentials(client.client_id, client.client_secret);
});

afterAll(async () => {
  await server.close();
});

describe.for<Platform>(['express', 'fastify'])('the NestJS API on %s', (platform) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    // What `.env` would hold, read by ConfigService in ScopeguardModule.forRootAsync.
    vi.stubEnv('SCOPEGUARD_ISSUER', server.issuer);
    vi.stubEnv('SCOPEGUARD_AUDIENCE', 'api://default');
    app = await createApp(platform, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
    vi.unstubAllEnvs();
  });

  const get = (path: string, token?: string) =>
    fetch(`${url}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  it('serves /health without a token', async () => {
    const response = await get('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers 401 with a bare Bearer challenge when no token is sent', async () => {
    const response = await get('/api/messages');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="nestjs-api"');
    expect(await response.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('answers 403 insufficient_scope when the token lacks customScope', async () => {
    const response = await get('/api/messages', tokens['no-scope']);
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('scope="customScope"');
  });

  it('answers 401 invalid_token for a forged token', async () => {
    const response = await get('/api/whoami', await server.mint({}, { foreignKey: true }));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('lists the messages for a token with customScope, and tells who is calling', async () => {
    const response = await get('/api/messages', tokens['reader']);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { messages: unknown[] }).messages[0]).toMatchObject({
      id: 1,
      author: 'system',
    });
    expect(await (await get('/api/whoami', tokens['reader'])).json()).toMatchObject({
      clientId: 'reader',
      scopes: ['customScope'],
    });
  });

  it('needs messages:write to post, then stores the message under the client id', async () => {
    const post = (token: string | undefined, body: unknown) =>
      fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const refused = await post(tokens['reader'], { text: 'hi' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('scope="messages:write"');
    const created = await post(tokens['writer'], { text: '  hello  ' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ message: { text: 'hello', author: 'writer' } });
    expect((await post(tokens['writer'], { text: '' })).status).toBe(400);
  });
});
