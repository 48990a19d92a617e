/**
 * Hono on Node through `@hono/node-server` 2, over real HTTP on loopback. The server builds each
 * request's `Headers` from Node's `rawHeaders` (not `req.headers`, which keeps only the first
 * `Authorization`), joining a repeated header with `", "`: two `Authorization` field lines reach the
 * middleware as one joined value, and the layer refuses it with 400.
 */
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { createVerifier, type Verifier } from '@scopeguard/core';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireScope, type ScopeguardOptions, scopeguard } from './index.js';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request with each `[name, value]` sent as its own field line (arrays repeat the header). */
function raw(
  port: number,
  path: string,
  headers: Record<string, string | string[]>,
  form?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const method = form === undefined ? 'GET' : 'POST';
    const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    if (form !== undefined) req.setHeader('Content-Type', 'application/x-www-form-urlencoded');
    req.end(form);
  });
}

const servers: ServerType[] = [];

/** Serves a Hono app with @hono/node-server on 127.0.0.1, port 0. */
function listen(app: Hono): Promise<number> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
    servers.push(server);
  });
}

let issuer: TestIssuer;
let verifier: Verifier;

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false });
  verifier = createVerifier({ issuer: issuer.issuer, audience: 'api://default', fetch: issuer.fetch });
});

afterAll(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          (server as Server).closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
  await issuer.close();
});

function api(options: ScopeguardOptions): Hono {
  const app = new Hono();
  app.use('/api/*', scopeguard(options));
  app.on(['GET', 'POST'], '/api/me', (c) => {
    const auth = c.get('auth');
    return c.json({ subject: auth?.subject ?? null, client: auth?.clientId ?? null });
  });
  app.get('/api/scoped', requireScope('customScope'), (c) => c.json({ client: c.get('auth').clientId }));
  return app;
}

describe('Hono on @hono/node-server', () => {
  let strict: number;
  let optional: number;

  beforeAll(async () => {
    strict = await listen(api({ verifier, allowBodyToken: true }));
    optional = await listen(api({ verifier, optional: true }));
  });

  it('answers 200, 401 without a token, 403 without the scope', async () => {
    const token = await issuer.mint({ sub: 'u1', cid: 'c1' }, { scopes: ['other'] });
    const ok = await raw(strict, '/api/me', { Authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ subject: 'u1', client: 'c1' });
    const none = await raw(strict, '/api/me', {});
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(none.headers['cache-control']).toBe('no-store');
    const scoped = await raw(strict, '/api/scoped', { Authorization: `Bearer ${token}` });
    expect(scoped.status).toBe(403);
    expect(scoped.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="customScope"$/);
  });

  it.each(['strict', 'optional'] as const)(
    'answers 400 to two Authorization field lines, Basic + Bearer <valid> (%s mode)',
    async (mode) => {
      const token = await issuer.mint();
      const res = await raw(mode === 'strict' ? strict : optional, '/api/me', {
        Authorization: ['Basic dXNlcjpwYXNz', `Bearer ${token}`],
      });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_request' });
      expect(res.body).not.toContain(token);
    },
  );

  it('answers 400 to Bearer <u1> + Bearer <u2>, never as either identity', async () => {
    const u1 = await issuer.mint({ sub: 'u1' });
    const u2 = await issuer.mint({ sub: 'u2' });
    const res = await raw(strict, '/api/me', { Authorization: [`Bearer ${u1}`, `Bearer ${u2}`] });
    expect(res.status).toBe(400);
    expect(res.body).not.toContain('u1');
    expect(res.body).not.toContain('u2');
  });

  it('reads a form-body token', async () => {
    const token = await issuer.mint({ sub: 'poster' });
    const res = await raw(strict, '/api/me', {}, `access_token=${encodeURIComponent(token)}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ subject: 'poster' });
  });

  it('answers 200 parallel requests of different identities, none leaking into another', async () => {
    const tokens = await Promise.all(
      Array.from({ length: 200 }, (_, i) => issuer.mint({ sub: `user-${i}`, cid: `client-${i}` })),
    );
    const answers = await Promise.all(
      tokens.map((token) => raw(strict, '/api/me', { Authorization: `Bearer ${token}` })),
    );
    answers.forEach((answer, i) => {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ subject: `user-${i}`, client: `client-${i}` });
    });
  });
});
