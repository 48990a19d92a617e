import { request as httpRequest } from 'node:http';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from './api.js';
import { listen, type RunningServer } from './node.js';

const AUDIENCE = 'api://default';
let issuer: TestIssuer;
let server: RunningServer;

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false, audience: AUDIENCE });
  server = await listen(createHandler({ issuer: issuer.issuer, audience: AUDIENCE, fetch: issuer.fetch }));
});

afterAll(async () => {
  await server?.close();
  await issuer?.close();
});

const mint = (scopes: string[], cid = '0oafetchclient') => issuer.mint({ cid }, { scopes });
const get = (path: string, token?: string) =>
  fetch(`${server.url}${path}`, { headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } });

describe('the fetch example API behind node:http', () => {
  it('serves /health without a token, and 404 as JSON', async () => {
    expect(await (await get('/health')).json()).toEqual({ status: 'ok' });
    expect((await get('/nowhere')).status).toBe(404);
  });

  it('answers 401 without a token, 403 without customScope, 200 with it', async () => {
    const none = await get('/api/messages');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="fetch-api"');
    const refused = await get('/api/messages', await mint(['profile:read']));
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('scope="customScope"');
    const ok = await get('/api/messages', await mint(['customScope']));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ messages: [{ id: 1, author: 'system' }] });
  });

  it('needs messages:write to post, reading the JSON body after the guard', async () => {
    const post = async (token: string, body: unknown) =>
      fetch(`${server.url}/api/messages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post(await mint(['customScope']), { text: 'hi' })).status).toBe(403);
    const created = await post(await mint(['messages:write'], '0oawriter'), { text: ' hello ' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ message: { text: 'hello', author: '0oawriter' } });
  });

  it('answers /api/whoami, and 401 invalid_token for an expired token', async () => {
    expect(await (await get('/api/whoami', await mint(['x'], '0oawho'))).json()).toMatchObject({
      clientId: '0oawho',
      scopes: ['x'],
    });
    const refused = await get('/api/whoami', await issuer.mint({}, { expiresIn: -60 }));
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('answers 400 to two Authorization field lines (converted from rawHeaders)', async () => {
    const token = await mint(['customScope']);
    const { url } = server;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${url}/api/whoami`, { agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.setHeader('Authorization', ['Basic dXNlcjpwYXNz', `Bearer ${token}`]);
      req.end();
    });
    expect(status).toBe(400);
  });
});
