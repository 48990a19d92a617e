import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDevAuthorizationServer, type DevAuthorizationServer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from './api.js';

const CLIENTS = [
  { client_id: 'reader', client_secret: 'reader-secret', scopes: ['customScope'] },
  { client_id: 'writer', client_secret: 'writer-secret', scopes: ['customScope', 'messages:write'] },
  { client_id: 'nobody', client_secret: 'nobody-secret', scopes: ['profile:read'] },
];

let authServer: DevAuthorizationServer;
let server: Server;
let api: string;
const errors: unknown[] = [];

beforeAll(async () => {
  authServer = await createDevAuthorizationServer({ clients: CLIENTS });
  const app = createApi({ issuer: authServer.issuer, audience: authServer.audience });
  app.silent = true;
  app.on('error', (error: unknown) => errors.push(error));
  server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await authServer.close();
});

/** A token from the dev authorization server: the client-credentials grant, client_secret_basic. */
async function tokenFor(clientId: string): Promise<string> {
  const client = CLIENTS.find((c) => c.client_id === clientId)!;
  const response = await fetch(authServer.tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

function call(path: string, token?: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
  return fetch(`${api}${path}`, { ...init, headers });
}

describe('the Koa example API', () => {
  it('serves /health without a token', async () => {
    const response = await call('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers 401 with a bare Bearer challenge when no token is sent', async () => {
    const response = await call('/api/messages');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="koa-api"');
    expect(((await response.json()) as { error: string }).error).toBe('unauthorized');
  });

  it('answers 403 insufficient_scope when the token lacks customScope', async () => {
    const response = await call('/api/messages', await tokenFor('nobody'));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(response.headers.get('www-authenticate')).toContain('scope="customScope"');
  });

  it('lists the messages for a token with customScope', async () => {
    const response = await call('/api/messages', await tokenFor('reader'));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { messages: { id: number; author: string }[] };
    expect(body.messages[0]).toMatchObject({ id: 1, author: 'system' });
  });

  it('needs messages:write to post, then stores the message under the client id', async () => {
    const post = (token: string, body: string) =>
      call('/api/messages', token, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post(await tokenFor('reader'), '{"text":"hi"}')).status).toBe(403);
    const writer = await tokenFor('writer');
    const created = await post(writer, '{"text":"  hello  "}');
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ message: { text: 'hello', author: 'writer' } });
    expect((await post(writer, '{"text":')).status).toBe(400);
    expect((await post(writer, '{"text":""}')).status).toBe(400);
  });

  it('answers /api/whoami with the verified client, and 401 invalid_token for a tampered token', async () => {
    const token = await tokenFor('writer');
    const response = await call('/api/whoami', token);
    expect(await response.json()).toMatchObject({
      clientId: 'writer',
      scopes: ['customScope', 'messages:write'],
    });
    const tampered = `${token.slice(0, -4)}AAAA`;
    const refused = await call('/api/whoami', tampered);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('answers 404 as JSON for unknown routes, and nothing reached the error handler', async () => {
    const response = await call('/nope');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'not_found' });
    expect(errors).toEqual([]);
  });
});
