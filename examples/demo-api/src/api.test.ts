import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from './api.js';
import { listen, type RunningServer } from './listen.js';

const AUDIENCE = 'api://default';
let issuer: TestIssuer;
let server: RunningServer;

beforeAll(async () => {
  // No socket for the issuer: the verifier reaches its metadata and JWKS through the in-process fetch.
  issuer = await createTestIssuer({ listen: false, audience: AUDIENCE });
  const app = createApi({ issuer: issuer.issuer, audience: AUDIENCE, fetch: issuer.fetch });
  server = await listen(app);
});

afterAll(async () => {
  await server?.close();
  await issuer?.close();
});

const api = () => request(server.url);
const mint = (scopes: string[], options: { expiresIn?: number; cid?: string } = {}) =>
  issuer.mint(
    { cid: options.cid ?? '0oademoclient' },
    { scopes, ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }) },
  );

describe('createApi', () => {
  it('serves /health without a token', async () => {
    const response = await api().get('/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('answers 401 with a bare Bearer challenge when no token is sent', async () => {
    const response = await api().get('/api/messages');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="demo-api"');
    expect(response.body.error).toBe('unauthorized');
  });

  it('answers 403 insufficient_scope when the token lacks customScope', async () => {
    const response = await api()
      .get('/api/messages')
      .set('authorization', `Bearer ${await mint(['profile:read'])}`);
    expect(response.status).toBe(403);
    expect(response.body.error).toBe('insufficient_scope');
    expect(response.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(response.headers['www-authenticate']).toContain('scope="customScope"');
  });

  it('lists the messages for a token with customScope', async () => {
    const response = await api()
      .get('/api/messages')
      .set('authorization', `Bearer ${await mint(['customScope'])}`);
    expect(response.status).toBe(200);
    expect(response.body.messages[0]).toMatchObject({ id: 1, author: 'system' });
  });

  it('needs messages:write to post, then stores the message under the client id', async () => {
    const reader = await mint(['customScope']);
    const refused = await api()
      .post('/api/messages')
      .set('authorization', `Bearer ${reader}`)
      .send({ text: 'hi' });
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toContain('scope="messages:write"');

    const writer = await mint(['customScope', 'messages:write'], { cid: '0oawriter' });
    const created = await api()
      .post('/api/messages')
      .set('authorization', `Bearer ${writer}`)
      .send({ text: '  hello  ' });
    expect(created.status).toBe(201);
    expect(created.body.message).toMatchObject({ text: 'hello', author: '0oawriter' });

    const listed = await api().get('/api/messages').set('authorization', `Bearer ${writer}`);
    expect(listed.body.messages.map((message: { text: string }) => message.text)).toContain('hello');
  });

  it('refuses an invalid message body with 400', async () => {
    const writer = await mint(['messages:write']);
    const empty = await api()
      .post('/api/messages')
      .set('authorization', `Bearer ${writer}`)
      .send({ text: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toBe('invalid_message');
    const malformed = await api()
      .post('/api/messages')
      .set('authorization', `Bearer ${writer}`)
      .set('content-type', 'application/json')
      .send('{"text":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toBe('invalid_request');
  });

  it('answers /api/whoami with the verified client', async () => {
    const token = await mint(['customScope', 'messages:write'], { cid: '0oawhoami' });
    const response = await api().get('/api/whoami').set('authorization', `Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      issuer: issuer.issuer,
      clientId: '0oawhoami',
      subject: '0oawhoami',
      scopes: ['customScope', 'messages:write'],
    });
    const expiresAt = Date.parse(response.body.expiresAt);
    expect(expiresAt).toBeGreaterThan(Date.now() + 3_500_000);
    expect(JSON.stringify(response.body)).not.toContain(token);
  });

  it('answers 401 invalid_token for an expired token', async () => {
    const token = await mint(['customScope'], { expiresIn: -60 });
    const response = await api().get('/api/messages').set('authorization', `Bearer ${token}`);
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_token');
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="demo-api", error="invalid_token"/);
  });

  it('answers 401 invalid_token for a token of another audience', async () => {
    const token = await issuer.mint({ aud: 'api://other' }, { scopes: ['customScope'] });
    const response = await api().get('/api/whoami').set('authorization', `Bearer ${token}`);
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_token');
  });

  it('answers 404 in JSON for unknown routes', async () => {
    const response = await api().get('/nope');
    expect(response.status).toBe(404);
    expect(response.body.error).toBe('not_found');
  });

  it('honours custom route scopes', async () => {
    const custom = await listen(
      createApi({
        issuer: issuer.issuer,
        audience: AUDIENCE,
        fetch: issuer.fetch,
        readScope: 'orders:read',
      }),
    );
    try {
      const token = await mint(['orders:read']);
      const response = await request(custom.url).get('/api/messages').set('authorization', `Bearer ${token}`);
      expect(response.status).toBe(200);
    } finally {
      await custom.close();
    }
  });

  it('throws at construction for a non-https, non-loopback issuer', () => {
    expect(() => createApi({ issuer: 'http://example.com/oauth2/default', audience: AUDIENCE })).toThrow(
      /issuer/,
    );
  });
});
