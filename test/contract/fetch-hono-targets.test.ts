/**
 * The main rows of the contract (harness.ts) played against the `hono` and `fetch-node` targets, until the
 * shared runner (`contract.test.ts`) runs every target; real HTTP on 127.0.0.1.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractApp, ContractConfig, ContractTarget } from './harness.js';
import { target as fetchNode } from './targets/fetch-node.js';
import { target as hono } from './targets/hono.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(
  base: string,
  path: string,
  headers: Record<string, string | string[]> = {},
  form?: string,
): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path, method: form === undefined ? 'GET' : 'POST', agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    if (form !== undefined) req.setHeader('Content-Type', 'application/x-www-form-urlencoded');
    req.end(form);
  });
}

const AUDIENCE = 'api://default';

describe.each([hono, fetchNode])('contract target $name', (target: ContractTarget) => {
  let issuer: TestIssuer;
  const apps: ContractApp[] = [];
  let base: string;

  async function start(config: Partial<ContractConfig> = {}): Promise<string> {
    const app = await target.start({ issuer: issuer.issuer, audience: AUDIENCE, ...config });
    apps.push(app);
    return app.url;
  }

  beforeAll(async () => {
    issuer = await createTestIssuer();
    base = await start({ allowBodyToken: true });
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await issuer.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it('serves /health, and /me with the MeBody of a valid token', async () => {
    expect(JSON.parse((await send(base, '/health')).body)).toEqual({ ok: true });
    const token = await issuer.mint({ sub: 's1', cid: 'c1' }, { scopes: ['x'] });
    const me = await send(base, '/me', bearer(token));
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body)).toEqual({
      auth: { subject: 's1', clientId: 'c1', scopes: ['x'], issuer: issuer.issuer },
    });
  });

  it('answers 401 without an error code when there are no credentials', async () => {
    const res = await send(base, '/me');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers 400 to a malformed header and to two Authorization headers', async () => {
    expect((await send(base, '/me', { Authorization: 'Bearer a b' })).status).toBe(400);
    const token = await issuer.mint();
    const two = await send(base, '/me', { Authorization: ['Basic dXNlcjpwYXNz', `Bearer ${token}`] });
    expect(two.status).toBe(400);
    expect(JSON.parse(two.body)).toMatchObject({ error: 'invalid_request' });
  });

  it('answers 401 invalid_token to an expired token, never echoing it', async () => {
    const token = await issuer.mint({}, { expiresIn: -600 });
    const res = await send(base, '/me', bearer(token));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(res.body).not.toContain(token.split('.')[2]);
    expect(JSON.stringify(res.headers)).not.toContain(token.split('.')[2]);
  });

  it('answers 403 with scope="…" on /scoped and /any-scope', async () => {
    const token = await issuer.mint({}, { scopes: ['other'] });
    const scoped = await send(base, '/scoped', bearer(token));
    expect(scoped.status).toBe(403);
    expect(scoped.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="customScope"$/);
    const any = await send(base, '/any-scope', bearer(token));
    expect(any.status).toBe(403);
    expect(any.headers['www-authenticate']).toMatch(/scope="read write"$/);
    const write = await issuer.mint({}, { scopes: ['write', 'customScope'] });
    expect((await send(base, '/any-scope', bearer(write))).status).toBe(200);
    expect((await send(base, '/scoped', bearer(write))).status).toBe(200);
  });

  it('reads a form-body token on POST /me when allowBodyToken is on', async () => {
    const token = await issuer.mint({ sub: 'poster' });
    const res = await send(base, '/me', {}, `access_token=${encodeURIComponent(token)}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).auth.subject).toBe('poster');
  });

  it('answers 503 with Retry-After when the JWKS is down on a cold cache', async () => {
    const down = await createTestIssuer();
    try {
      down.setJwksFault({ kind: 'status', status: 500 });
      const app = await target.start({
        issuer: down.issuer,
        audience: AUDIENCE,
        retryAfter: 12,
        warnings: false,
      });
      apps.push(app);
      const res = await send(app.url, '/me', bearer(await down.mint()));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('12');
    } finally {
      await down.close();
    }
  });

  it('lets a request without credentials through in optional mode, but not past a scope', async () => {
    const url = await start({ optional: true });
    expect(JSON.parse((await send(url, '/me')).body)).toEqual({ auth: null });
    expect((await send(url, '/scoped')).status).toBe(401);
  });

  it('answers 200 parallel requests with different identities, none leaking', async () => {
    const tokens = await Promise.all(
      Array.from({ length: 200 }, (_, i) => issuer.mint({ sub: `s${i}`, cid: `c${i}` })),
    );
    const answers = await Promise.all(tokens.map((token) => send(base, '/me', bearer(token))));
    answers.forEach((answer, i) => {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).auth).toMatchObject({ subject: `s${i}`, clientId: `c${i}` });
    });
  });
});
