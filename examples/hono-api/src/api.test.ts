import type { Server } from 'node:http';
import { type ServerType, serve } from '@hono/node-server';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from './api.js';

const AUDIENCE = 'api://default';
let issuer: TestIssuer;
let server: ServerType;
let base: string;

beforeAll(async () => {
  // No socket for the issuer: the verifier reaches its metadata and JWKS through the in-process fetch.
  issuer = await createTestIssuer({ listen: false, audience: AUDIENCE });
  const app = createApi({ issuer: issuer.issuer, audience: AUDIENCE, fetch: issuer.fetch });
  base = await new Promise<string>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve(`http://127.0.0.1:${info.port}`),
    );
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    (server as Server).closeAllConnections();
    server.close(() => resolve());
  });
  await issuer.close();
});

const mint = (scopes: string[], cid = '0oahonoclient') => issuer.mint({ cid }, { scopes });
const get = (path: string, token?: string) =>
  fetch(`${base}${path}`, { headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } });

describe('the Hono example API over HTTP', () => {
  it('serves /health without a token, and answers 404 as JSON', async () => {
    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await get('/nowhere')).status).toBe(404);
  });

  it('answers 401 with a bare challenge when no token is sent', async () => {
    const res = await get('/api/messages');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="hono-api"');
    expect(await res.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('answers 403 insufficient_scope when the token lacks customScope, 200 with it', async () => {
    const refused = await get('/api/messages', await mint(['profile:read']));
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('scope="customScope"');
    const ok = await get('/api/messages', await mint(['customScope']));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ messages: [{ id: 1, author: 'system' }] });
  });

  it('needs messages:write to post, and stores the message under the client id', async () => {
    const post = async (token: string, body: unknown) =>
      fetch(`${base}/api/messages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post(await mint(['customScope']), { text: 'hi' })).status).toBe(403);
    const writer = await mint(['customScope', 'messages:write'], '0oawriter');
    const created = await post(writer, { text: '  hello  ' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ message: { text: 'hello', author: '0oawriter' } });
    expect((await post(writer, { text: '' })).status).toBe(400);
  });

  it('answers /api/whoami with the verified client, and 401 invalid_token for an expired token', async () => {
    const token = await mint(['customScope'], '0oawhoami');
    const res = await get('/api/whoami', token);
    expect(await res.json()).toMatchObject({ clientId: '0oawhoami', scopes: ['customScope'] });
    const expired = await issuer.mint({}, { expiresIn: -60 });
    const refused = await get('/api/whoami', expired);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_token' });
  });
});
