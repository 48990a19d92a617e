import { ConfigError, createVerifier, type Verifier } from '@scopeguard/core';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { readFileSync } from 'node:fs';
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { Hono as OldestHono } from 'hono-oldest';
import { cors as oldestCors } from 'hono-oldest/cors';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AuthInfo, requireAnyScope, requireScope, type ScopeguardOptions, scopeguard } from './index.js';

const AUDIENCE = 'api://default';

/** The lowest version a peer range admits (`^4.0.0` → `4.0.0`). */
function floor(range: string): string {
  const match = /^\^(\d+\.\d+\.\d+)$/.exec(range);
  if (!match) throw new Error(`cannot read the oldest Hono version from the peer range "${range}"`);
  return match[1] as string;
}

const manifest = (path: string) =>
  JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
    version: string;
    peerDependencies?: Record<string, string>;
  };
const peerRange = manifest('../package.json').peerDependencies?.['hono'] ?? '';
const oldestVersion = manifest('../node_modules/hono-oldest/package.json').version;

it('claims Hono from the oldest version these tests run on', () => {
  expect(floor(peerRange)).toBe(oldestVersion);
});

// The adapter never imports Hono at runtime: every test below runs on the workspace's Hono 4 and on the
// oldest Hono 4 the peer range claims (typed with the current one's API, which it must be compatible with).
const frameworks = [
  { name: `Hono ${manifest('../node_modules/hono/package.json').version}`, Hono, cors },
  {
    name: `Hono ${oldestVersion} (oldest claimed)`,
    Hono: OldestHono as unknown as typeof Hono,
    cors: oldestCors as unknown as typeof cors,
  },
];
const ENV_NAMES = [
  'SCOPEGUARD_ISSUER',
  'SCOPEGUARD_AUDIENCE',
  'SCOPEGUARD_CLIENT_IDS',
  'SCOPEGUARD_JWKS_URI',
];

let issuer: TestIssuer;
let verifier: Verifier;

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false, audience: AUDIENCE });
  verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, fetch: issuer.fetch });
});

afterAll(async () => {
  await issuer.close();
});

beforeEach(() => {
  for (const name of ENV_NAMES) vi.stubEnv(name, undefined);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe.each(frameworks)('$name', ({ Hono, cors }) => {
  /** What the routes answer: the context's auth, as a handler sees it. */
  function echo(c: Context) {
    const auth = c.get('auth');
    return c.json({
      auth: auth === undefined ? null : { subject: auth.subject, client: auth.clientId, scopes: auth.scopes },
    });
  }

  /** An app with scopeguard(options) on `/api/*`, `/api/me`, and the routes `setup` adds. */
  function appWith(options: ScopeguardOptions = { verifier }, setup?: (app: Hono) => void) {
    const app = new Hono();
    const errors: unknown[] = [];
    app.onError((error, c) => {
      errors.push(error);
      return c.json({ error: 'server_error' }, 500);
    });
    app.get('/health', (c) => c.json({ ok: true }));
    app.use('/api/*', scopeguard(options));
    setup?.(app);
    app.all('/api/me', echo);
    return { app, errors };
  }

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  describe('scopeguard()', () => {
    it('sets c.get("auth") to the verified token', async () => {
      const { app } = appWith();
      const token = await issuer.mint({ sub: 'u1', cid: 'c1' }, { scopes: ['customScope', 'other'] });
      const res = await app.request('/api/me', { headers: bearer(token) });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        auth: { subject: 'u1', client: 'c1', scopes: ['customScope', 'other'] },
      });
    });

    it('answers 401 with a bare challenge, no-store and the JSON body when there is no token', async () => {
      const { app } = appWith();
      const res = await app.request('/api/me');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({
        error: 'unauthorized',
        error_description: 'A bearer token is required',
      });
      expect((await app.request('/health')).status).toBe(200);
    });

    it('answers 400 invalid_request for a malformed header', async () => {
      const { app } = appWith();
      const res = await app.request('/api/me', { headers: { Authorization: 'Bearer a b' } });
      expect(res.status).toBe(400);
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_request"/);
    });

    // F5 through Hono: a fetch Headers joins the two field lines, the layer refuses the joined value.
    it.each(['strict', 'optional'] as const)(
      'answers 400 to two Authorization headers, Basic + Bearer <valid> (%s mode)',
      async (mode) => {
        const { app } = appWith({ verifier, optional: mode === 'optional' });
        const token = await issuer.mint();
        const headers = new Headers();
        headers.append('Authorization', 'Basic dXNlcjpwYXNz');
        headers.append('Authorization', `Bearer ${token}`);
        const res = await app.request('/api/me', { headers });
        expect(res.status).toBe(400);
        const text = await res.text();
        expect(JSON.parse(text)).toMatchObject({ error: 'invalid_request' });
        expect(text).not.toContain(token);
      },
    );

    it.each([
      ['expired', { expiresIn: -3600 }, 'token_expired'],
      ['not yet valid', { notBefore: 3600 }, 'token_not_yet_valid'],
      ['signed by an unknown key', { foreignKey: true }, 'signature_invalid'],
    ])('answers 401 invalid_token for a token %s, never echoing it', async (_label, options, code) => {
      const { app } = appWith();
      const token = await issuer.mint({}, options);
      const res = await app.request('/api/me', { headers: bearer(token) });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(
        new RegExp(`^Bearer realm="api", error="invalid_token", error_description="${code}: [^"]*"$`),
      );
      const text = await res.text();
      expect(text).not.toContain(token.split('.')[2]);
      expect(text).not.toContain(AUDIENCE);
    });

    it('answers 503 with Retry-After when the keys cannot be fetched (cold cache)', async () => {
      const down = await createTestIssuer({ listen: false });
      try {
        down.setJwksFault({ kind: 'status', status: 500 });
        const { app } = appWith({
          issuer: down.issuer,
          audience: AUDIENCE,
          fetch: down.fetch,
          retryAfter: 7,
          warnings: false,
        });
        const res = await app.request('/api/me', { headers: bearer(await down.mint()) });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('7');
        expect(res.headers.get('www-authenticate')).toBeNull();
        expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
      } finally {
        await down.close();
      }
    });

    it('keeps the headers other middleware set (the answer goes through c.body)', async () => {
      const app = new Hono();
      app.use('*', cors({ origin: 'https://app.example', exposeHeaders: ['WWW-Authenticate'] }));
      app.use('/api/*', scopeguard({ verifier, realm: 'orders' }));
      app.get('/api/me', echo);
      const res = await app.request('/api/me', { headers: { Origin: 'https://app.example' } });
      expect(res.status).toBe(401);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(res.headers.get('access-control-expose-headers')).toBe('WWW-Authenticate');
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="orders"');
    });

    it('lets errorBody shape the body with the Context, status and challenge unchanged', async () => {
      const { app } = appWith({
        verifier,
        errorBody: (failure, c) => ({ problem: failure.error, path: c.req.path }),
      });
      const res = await app.request('/api/me');
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ problem: 'unauthorized', path: '/api/me' });
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    });

    it("hands an unexpected verifier error to Hono's onError", async () => {
      const broken: Verifier = { ...verifier, verify: () => Promise.reject(new Error('boom')) };
      const { app, errors } = appWith({ verifier: broken });
      const res = await app.request('/api/me', { headers: bearer('abc.def.ghi') });
      expect(res.status).toBe(500);
      expect(errors).toEqual([new Error('boom')]);
    });

    it('throws ConfigError at creation for a bad configuration', () => {
      expect(() => scopeguard({ issuer: 'http://issuer.example', audience: AUDIENCE })).toThrow(ConfigError);
      expect(() => scopeguard({ verifier, realm: 'a "quoted" realm' })).toThrow(ConfigError);
      // A verifier that does not exist yet is a mistake, never a silent switch to SCOPEGUARD_*.
      expect(() => scopeguard({ verifier: undefined } as never)).toThrow(ConfigError);
    });

    describe('optional', () => {
      it('lets a request without a token through with c.get("auth") undefined, and verifies a present one', async () => {
        const { app } = appWith({ verifier, optional: true });
        expect(await (await app.request('/api/me')).json()).toEqual({ auth: null });
        const expired = await issuer.mint({}, { expiresIn: -60 });
        expect((await app.request('/api/me', { headers: bearer(expired) })).status).toBe(401);
        expect((await app.request('/api/me', { headers: { Authorization: 'Bearer' } })).status).toBe(400);
      });

      it('lets requireScope answer 401 with a bare challenge when there was no token', async () => {
        const { app } = appWith({ verifier, optional: true, realm: 'opt' }, (a) => {
          a.get('/api/private', requireScope('customScope'), echo);
        });
        const res = await app.request('/api/private');
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="opt"');
      });
    });

    describe('query and form-body tokens', () => {
      const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

      it('reads neither unless enabled', async () => {
        const { app } = appWith();
        const token = await issuer.mint();
        expect((await app.request(`/api/me?access_token=${encodeURIComponent(token)}`)).status).toBe(401);
        const body = new URLSearchParams({ access_token: token });
        expect((await app.request('/api/me', { method: 'POST', headers: form, body })).status).toBe(401);
      });

      it('reads them when enabled, leaves the parsed body to the handler, refuses two methods', async () => {
        const { app } = appWith({ verifier, allowQueryToken: true, allowBodyToken: true }, (a) => {
          a.post('/api/form', async (c) =>
            c.json({ form: await c.req.parseBody(), client: c.get('auth')?.clientId }),
          );
        });
        const token = await issuer.mint({ cid: 'poster' });
        const query = `access_token=${encodeURIComponent(token)}`;
        expect((await app.request(`/api/me?${query}`)).status).toBe(200);
        const posted = await app.request('/api/form', {
          method: 'POST',
          headers: form,
          body: `note=hi&${query}`,
        });
        expect(posted.status).toBe(200);
        expect(await posted.json()).toEqual({ form: { note: 'hi', access_token: token }, client: 'poster' });
        const both = await app.request(`/api/me?${query}`, { headers: bearer(token) });
        expect(both.status).toBe(400);
        expect(await both.json()).toEqual({
          error: 'invalid_request',
          error_description: 'The access token was sent by more than one method',
        });
        const twice = await app.request('/api/me', {
          method: 'POST',
          headers: form,
          body: `${query}&${query}`,
        });
        expect(twice.status).toBe(400);
      });
    });
  });

  describe('requireScope and requireAnyScope', () => {
    it('require every scope, or one of them, with 403 insufficient_scope and scope="…"', async () => {
      const { app } = appWith({ verifier }, (a) => {
        a.get('/api/all', requireScope('a', 'b'), echo);
        a.get('/api/any', requireAnyScope('a', 'b'), echo);
        a.get('/api/both', requireScope({ allOf: ['a'], anyOf: ['x', 'y'], realm: 'both' }), echo);
      });
      const a = await issuer.mint({}, { scopes: ['a'] });
      const ab = await issuer.mint({}, { scopes: ['a', 'b'] });
      const z = await issuer.mint({}, { scopes: ['z'] });
      const allFail = await app.request('/api/all', { headers: bearer(a) });
      expect(allFail.status).toBe(403);
      expect(allFail.headers.get('www-authenticate')).toBe(
        'Bearer realm="api", error="insufficient_scope", error_description="This resource requires all of these scopes: a, b", scope="a b"',
      );
      expect(allFail.headers.get('cache-control')).toBe('no-store');
      expect((await app.request('/api/all', { headers: bearer(ab) })).status).toBe(200);
      expect((await app.request('/api/any', { headers: bearer(a) })).status).toBe(200);
      const anyFail = await app.request('/api/any', { headers: bearer(z) });
      expect(anyFail.status).toBe(403);
      expect(anyFail.headers.get('www-authenticate')).toMatch(/one of these scopes: a, b", scope="a b"$/);
      const both = await app.request('/api/both', { headers: bearer(a) });
      expect(both.status).toBe(403);
      expect(both.headers.get('www-authenticate')).toMatch(/^Bearer realm="both", .*scope="a x y"$/);
    });

    it('trusts c.get("auth") only when scopeguard() set it (another middleware cannot forge it)', async () => {
      const forged = { scopes: ['admin'], claims: { iss: 'x' } } as unknown as AuthInfo;
      const { app } = appWith({ verifier, optional: true }, (a) => {
        a.use('/api/admin', async (c, next) => {
          c.set('auth', forged);
          await next();
        });
        a.get('/api/admin', requireScope('admin'), echo);
      });
      expect((await app.request('/api/admin')).status).toBe(401);
      // Even over a real token: the replaced auth is not the one verified, so the route sees none.
      const user = await issuer.mint({}, { scopes: ['user'] });
      const res = await app.request('/api/admin', { headers: bearer(user) });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    });

    it('throws ConfigError at creation for a bad scope, suggesting the fix', () => {
      expect(() => requireScope('read write')).toThrow(/requireScope\('read', 'write'\)/);
      expect(() => requireScope()).toThrow(ConfigError);
      expect(() => requireAnyScope('a"b')).toThrow(ConfigError);
    });

    describe('on its own, configured by SCOPEGUARD_*', () => {
      let local: TestIssuer;
      beforeAll(async () => {
        local = await createTestIssuer();
      });
      afterAll(async () => {
        await local.close();
      });

      function bare() {
        const app = new Hono();
        const errors: unknown[] = [];
        app.onError((error, c) => {
          errors.push(error);
          return c.json({ error: 'server_error' }, 500);
        });
        app.get('/orders', requireScope('orders:read'), (c) => c.json({ client: c.get('auth').clientId }));
        return { app, errors };
      }

      it('reads process.env, validated at creation when it is set', async () => {
        vi.stubEnv('SCOPEGUARD_ISSUER', local.issuer);
        expect(() => requireScope('orders:read')).toThrow(/SCOPEGUARD_AUDIENCE/);
        vi.stubEnv('SCOPEGUARD_AUDIENCE', AUDIENCE);
        const { app } = bare();
        expect((await app.request('/orders')).status).toBe(401);
        const reader = await local.mint({ cid: 'svc' }, { scopes: ['orders:read'] });
        const ok = await app.request('/orders', { headers: bearer(reader) });
        expect(await ok.json()).toEqual({ client: 'svc' });
        const other = await local.mint({}, { scopes: ['x'] });
        expect((await app.request('/orders', { headers: bearer(other) })).status).toBe(403);
      });

      it("reads a worker's bindings from c.env at the first request", async () => {
        const { app } = bare();
        const bindings = { SCOPEGUARD_ISSUER: local.issuer, SCOPEGUARD_AUDIENCE: AUDIENCE };
        const reader = await local.mint({ cid: 'worker' }, { scopes: ['orders:read'] });
        const ok = await app.request('/orders', { headers: bearer(reader) }, bindings);
        expect(ok.status).toBe(200);
        expect(await ok.json()).toEqual({ client: 'worker' });
      });

      it('sends a still missing configuration to onError (500), reported once, and retries at the next request', async () => {
        const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
        try {
          const { app, errors } = bare();
          const reader = await local.mint({}, { scopes: ['orders:read'] });
          expect((await app.request('/orders', { headers: bearer(reader) })).status).toBe(500);
          expect((await app.request('/orders', { headers: bearer(reader) })).status).toBe(500);
          expect(errors[0]).toBeInstanceOf(ConfigError);
          expect(String(errors[0])).toMatch(/no scopeguard\(\) ran before requireScope\(\)/);
          // Once per process and cause: the first framework's run reports it, the second finds it reported.
          expect(warnings).toHaveBeenCalledTimes(Hono === frameworks[0]?.Hono ? 1 : 0);
          vi.stubEnv('SCOPEGUARD_ISSUER', local.issuer);
          vi.stubEnv('SCOPEGUARD_AUDIENCE', AUDIENCE);
          expect((await app.request('/orders', { headers: bearer(reader) })).status).toBe(200);
        } finally {
          warnings.mockRestore();
        }
      });

      it('scopeguard() without verifier options reads the same environment', async () => {
        const app = new Hono();
        app.use('*', scopeguard({ optional: true }));
        app.get('/me', echo);
        const bindings = { SCOPEGUARD_ISSUER: local.issuer, SCOPEGUARD_AUDIENCE: AUDIENCE };
        expect(await (await app.request('/me', {}, bindings)).json()).toEqual({ auth: null });
        const token = await local.mint({ sub: 's' });
        const res = await app.request('/me', { headers: bearer(token) }, bindings);
        expect(await res.json()).toMatchObject({ auth: { subject: 's' } });
      });
    });
  });

  describe('concurrency', () => {
    it('answers 200 interleaved requests of different identities, each seeing its own auth', async () => {
      const { app } = appWith();
      const tokens = await Promise.all(
        Array.from({ length: 200 }, (_, i) => issuer.mint({ sub: `user-${i}`, cid: `client-${i}` })),
      );
      const bodies = await Promise.all(
        tokens.map(async (token) => (await app.request('/api/me', { headers: bearer(token) })).json()),
      );
      bodies.forEach((body, i) => {
        expect(body).toMatchObject({ auth: { subject: `user-${i}`, client: `client-${i}` } });
      });
    });
  });
});
