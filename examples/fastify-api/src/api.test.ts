import type { AddressInfo } from 'node:net';
import { ConfigError } from '@scopeguard/core';
import { createDevAuthorizationServer, type DevAuthorizationServer } from '@scopeguard/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApi } from './api.js';

// DEV ONLY: throwaway clients of the dev authorization server this test starts.
const CLIENTS = [
  { client_id: 'reader', client_secret: 'reader-secret', scopes: ['customScope'] },
  { client_id: 'no-scope', client_secret: 'no-scope-secret', scopes: ['profile:read'] },
  { client_id: 'writer', client_secret: 'writer-secret', scopes: ['customScope', 'messages:write'] },
];

let server: DevAuthorizationServer;
let app: FastifyInstance;
let base: string;

/** An access token from the dev authorization server: client credentials, client_secret_basic. */
async function token(clientId: string): Promise<string> {
  const client = CLIENTS.find((c) => c.client_id === clientId)!;
  const response = await fetch(server.tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: client.scopes.join(' ') }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

function call(path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token !== undefined) headers.set('authorization', `Bearer ${init.token}`);
  return fetch(`${base}${path}`, { ...init, headers });
}

beforeAll(async () => {
  server = await createDevAuthorizationServer({ clients: CLIENTS, audience: 'api://default' });
  app = await createApi({ issuer: server.issuer, audience: 'api://default' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  await server?.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the Fastify example API', () => {
  it('serves /health without a token', async () => {
    const response = await call('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers 401 with a bare Bearer challenge when no token is sent', async () => {
    const response = await call('/api/messages');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="fastify-api"');
    expect(((await response.json()) as { error: string }).error).toBe('unauthorized');
  });

  it('answers 403 insufficient_scope when the token lacks customScope', async () => {
    const response = await call('/api/messages', { token: await token('no-scope') });
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="customScope"');
  });

  it('lists the messages for a token with customScope, and says who is calling', async () => {
    const reader = await token('reader');
    const listed = await call('/api/messages', { token: reader });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { messages: { author: string }[] }).messages[0]).toMatchObject({
      author: 'system',
    });
    const whoami = await call('/api/whoami', { token: reader });
    expect(await whoami.json()).toMatchObject({ clientId: 'reader', scopes: ['customScope'] });
  });

  it('needs messages:write to post, refuses before reading the body, then stores the message', async () => {
    const json = { 'content-type': 'application/json' };
    const anonymous = await call('/api/messages', { method: 'POST', headers: json, body: '{not json' });
    expect(anonymous.status).toBe(401);
    const reader = await call('/api/messages', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ text: 'hi' }),
      token: await token('reader'),
    });
    expect(reader.status).toBe(403);
    expect(reader.headers.get('www-authenticate')).toContain('scope="messages:write"');

    const writer = await token('writer');
    const created = await call('/api/messages', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ text: '  hello  ' }),
      token: writer,
    });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { message: unknown }).message).toMatchObject({
      text: 'hello',
      author: 'writer',
    });
    const invalid = await call('/api/messages', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ text: '' }),
      token: writer,
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: string }).error).toBe('invalid_message');
  });

  it('answers 401 invalid_token to a forged token, and 404 to an unknown route', async () => {
    const forged = await server.mint({}, { foreignKey: true, scopes: ['customScope'] });
    const response = await call('/api/messages', { token: forged });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
    expect((await call('/nowhere')).status).toBe(404);
  });

  it('is configured by SCOPEGUARD_* when given no verifier options, and refuses to start without them', async () => {
    vi.stubEnv('SCOPEGUARD_ISSUER', server.issuer);
    vi.stubEnv('SCOPEGUARD_AUDIENCE', 'api://default');
    const fromEnv = await createApi();
    try {
      const response = await fromEnv.inject({
        url: '/api/messages',
        headers: { authorization: `Bearer ${await token('reader')}` },
      });
      expect(response.statusCode).toBe(200);
    } finally {
      await fromEnv.close();
    }
    vi.stubEnv('SCOPEGUARD_ISSUER', undefined);
    vi.stubEnv('SCOPEGUARD_AUDIENCE', undefined);
    await expect(createApi()).rejects.toBeInstanceOf(ConfigError);
  });
});
