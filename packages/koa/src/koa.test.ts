import { createRequire } from 'node:module';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { ConfigError, createVerifier, type Verifier } from '@scopeguard/core';
import { type AuthenticateOptions, authenticate, requireAnyScope, requireScope } from '@scopeguard/koa';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import KoaLatest, { type Context, type Middleware } from 'koa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeServers, type RawResponse, serve } from './test-support.js';

// The oldest Koa 3 the peer range claims is installed under the alias `koa300` (no types of its own):
// typed with the latest Koa's, which is what the adapter is written against anyway.
const Koa300 = createRequire(import.meta.url)('koa300') as typeof KoaLatest;
type Koa = KoaLatest;

const AUDIENCE = 'api://default';
const ENV_NAMES = [
  'SCOPEGUARD_ISSUER',
  'SCOPEGUARD_AUDIENCE',
  'SCOPEGUARD_CLIENT_IDS',
  'SCOPEGUARD_JWKS_URI',
];

/** Answers with what the adapter put on `ctx.state.auth`. */
const echo: Middleware = (ctx) => {
  const auth = ctx.state.auth;
  ctx.body =
    auth === undefined
      ? { auth: null }
      : {
          auth: {
            scopes: auth.scopes,
            clientId: auth.clientId ?? null,
            subject: auth.subject ?? null,
            iss: auth.claims.iss,
            kid: auth.header.kid,
            expiresAt: auth.expiresAt.toISOString(),
            tokenLength: auth.token.length,
          },
        };
};

/** Collects what reaches `app.on('error')` (and keeps Koa from printing it). */
function collectErrors(app: Koa): unknown[] {
  const seen: unknown[] = [];
  app.silent = true;
  app.on('error', (error: unknown) => seen.push(error));
  return seen;
}

function json(res: RawResponse): Record<string, unknown> {
  return JSON.parse(res.body) as Record<string, unknown>;
}

function challengeOf(res: RawResponse): string {
  return String(res.headers['www-authenticate'] ?? '');
}

let issuer: TestIssuer;
let verifier: Verifier;
/** `SCOPEGUARD_CONFIG` warnings emitted while this file runs. */
const configWarnings: Error[] = [];
const onWarning = (warning: Error) => {
  if ((warning as { code?: string }).code === 'SCOPEGUARD_CONFIG') configWarnings.push(warning);
};

beforeAll(async () => {
  process.on('warning', onWarning);
  issuer = await createTestIssuer({ audience: AUDIENCE });
  verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE });
});

afterAll(async () => {
  process.off('warning', onWarning);
  await issuer.close();
});

beforeEach(() => {
  for (const name of ENV_NAMES) vi.stubEnv(name, undefined);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await closeServers();
});

const versions = [
  { name: `Koa ${createRequire(import.meta.url)('koa/package.json').version}`, Koa: KoaLatest },
  { name: 'Koa 3.0.0 (the peer range floor)', Koa: Koa300 },
];

describe.each(versions)('$name', ({ Koa }) => {
  /** An app with `authenticate(options)` at app level and `GET /me` echoing `ctx.state.auth`. */
  async function appWith(options: Partial<AuthenticateOptions> = {}) {
    const app = new Koa();
    const errors = collectErrors(app);
    app.use(authenticate({ verifier, ...options } as AuthenticateOptions));
    const router = new Router();
    router.get('/me', echo);
    router.post('/me', echo);
    app.use(router.routes());
    return { app, errors, client: await serve(app) };
  }

  describe('authenticate', () => {
    it('sets ctx.state.auth from a valid token and calls the next middleware', async () => {
      const { client } = await appWith();
      const token = await issuer.mint({ cid: 'svc', sub: 'svc' }, { scopes: ['customScope'] });
      const res = await client.get('/me', token);
      expect(res.status).toBe(200);
      expect(json(res)).toEqual({
        auth: expect.objectContaining({
          scopes: ['customScope'],
          clientId: 'svc',
          subject: 'svc',
          iss: issuer.issuer,
          kid: issuer.activeKid,
          tokenLength: token.length,
        }),
      });
    });

    it('answers 401 with a bare challenge, no-store and a JSON body when there is no token', async () => {
      const { client } = await appWith();
      const res = await client.get('/me');
      expect(res.status).toBe(401);
      expect(res.lines('www-authenticate')).toEqual(['Bearer realm="api"']);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.body)));
      expect(json(res)).toEqual({ error: 'unauthorized', error_description: expect.any(String) });
    });

    it('uses the configured realm', async () => {
      const { client } = await appWith({ realm: 'orders' });
      expect(challengeOf(await client.get('/me'))).toBe('Bearer realm="orders"');
    });

    it('answers 400 invalid_request for a malformed Authorization header', async () => {
      const { client } = await appWith();
      const res = await client.send('/me', { headers: { authorization: 'Bearer a b' } });
      expect(res.status).toBe(400);
      expect(challengeOf(res)).toContain('error="invalid_request"');
      expect(json(res)['error']).toBe('invalid_request');
    });

    it('answers 400 to two Authorization headers over a real socket (ctx.headers keeps only the first)', async () => {
      // Attack: Basic + Bearer <valid>, or Bearer <u1> + Bearer <u2>: a proxy reading another line than
      // Node's req.headers would see another identity (issue 11, F5). Also under optional: true.
      const good = await issuer.mint({ sub: 'u1' });
      const other = await issuer.mint({ sub: 'u2' });
      for (const optional of [false, true]) {
        const { client } = await appWith({ optional });
        for (const pair of [
          ['Basic dXNlcjpwYXNz', `Bearer ${good}`],
          [`Bearer ${good}`, `Bearer ${other}`],
        ]) {
          const res = await client.send('/me', { headers: { authorization: pair } });
          expect(res.status).toBe(400);
          expect(json(res)).toMatchObject({ error: 'invalid_request' });
          expect(res.body).not.toContain(good);
        }
      }
    });

    it('answers 401 invalid_token for an expired, foreign-key or wrong-audience token, never echoing it', async () => {
      const { client } = await appWith();
      const cases = [
        { token: await issuer.mint({}, { expiresIn: -60 }), code: 'token_expired' },
        { token: await issuer.mint({}, { foreignKey: true }), code: 'signature_invalid' },
        { token: await issuer.mint({ aud: 'api://other' }), code: 'audience_invalid' },
        { token: 'not-a-jwt', code: 'token_malformed' },
      ];
      for (const { token, code } of cases) {
        const res = await client.get('/me', token);
        expect(res.status).toBe(401);
        expect(challengeOf(res)).toContain('error="invalid_token"');
        expect(String(json(res)['error_description'])).toMatch(new RegExp(`^${code}: `));
        // The configured audience is not told to the caller.
        expect(res.body).not.toContain(AUDIENCE);
        for (const part of token.split('.').filter((p) => p.length > 8)) {
          expect(res.body).not.toContain(part);
          expect(challengeOf(res)).not.toContain(part);
        }
      }
    });

    it('answers 503 with Retry-After and no challenge when the keys cannot be fetched (cold cache)', async () => {
      issuer.setJwksFault({ kind: 'status', status: 503 });
      try {
        const cold = createVerifier({
          issuer: issuer.issuer,
          audience: AUDIENCE,
          warnings: false,
          jwks: { unknownKidTimeout: 0 },
        });
        const { client } = await appWith({ verifier: cold, retryAfter: 7 });
        const res = await client.get('/me', await issuer.mint());
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe('7');
        expect(res.headers['www-authenticate']).toBeUndefined();
        expect(json(res)).toMatchObject({ error: 'temporarily_unavailable' });
      } finally {
        issuer.setJwksFault(null);
      }
    });

    it('does not call the next middleware on a refusal, and upstream middleware sees the answer and keeps its headers', async () => {
      const app = new Koa();
      const seenUpstream: number[] = [];
      const downstream = vi.fn();
      app.use(async (ctx, next) => {
        // Set before the adapter runs, as a CORS middleware does: a thrown HttpError would have Koa clear it.
        ctx.set('Access-Control-Allow-Origin', 'https://app.example');
        await next();
        seenUpstream.push(ctx.status);
        ctx.set('X-Seen-Status', String(ctx.status));
      });
      app.use(authenticate({ verifier }));
      app.use(downstream);
      const client = await serve(app);
      const res = await client.get('/anything');
      expect(res.status).toBe(401);
      expect(downstream).not.toHaveBeenCalled();
      expect(seenUpstream).toEqual([401]);
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(res.headers['x-seen-status']).toBe('401');
      expect(res.lines('www-authenticate')).toEqual(['Bearer realm="api"']);
    });

    it('answers a HEAD request with the status and headers, without a body', async () => {
      const { client } = await appWith();
      const res = await client.send('/me', { method: 'HEAD' });
      expect(res.status).toBe(401);
      expect(res.lines('www-authenticate')).toEqual(['Bearer realm="api"']);
      expect(res.body).toBe('');
    });

    it('reads only the Authorization header by default', async () => {
      const { client } = await appWith();
      const token = await issuer.mint();
      expect((await client.get(`/me?access_token=${token}`)).status).toBe(401);
    });

    it('reads the query when allowQueryToken is on, and refuses a token sent two ways', async () => {
      const { client } = await appWith({ allowQueryToken: true });
      const token = await issuer.mint({ sub: 'q' });
      const res = await client.get(`/me?access_token=${token}`);
      expect(res.status).toBe(200);
      expect(json(res)).toMatchObject({ auth: { subject: 'q' } });
      expect((await client.get(`/me?access_token=${token}`, token)).status).toBe(400);
    });

    it('accepts an existing verifier or verifier options', async () => {
      const app = new Koa();
      app.use(authenticate({ issuer: issuer.issuer, audience: AUDIENCE }));
      app.use(echo);
      const client = await serve(app);
      const res = await client.get('/', await issuer.mint({ sub: 'opts' }));
      expect(json(res)).toMatchObject({ auth: { subject: 'opts' } });
    });

    it('throws ConfigError at startup for a bad configuration', () => {
      expect(() => authenticate({ issuer: 'http://example.com', audience: AUDIENCE })).toThrow(ConfigError);
      expect(() => authenticate({ verifier, realm: 'a"b' })).toThrow(ConfigError);
      expect(() => authenticate(undefined as unknown as AuthenticateOptions)).toThrow(ConfigError);
      expect(() =>
        authenticate({
          verifier,
          issuer: issuer.issuer,
          audience: AUDIENCE,
        } as unknown as AuthenticateOptions),
      ).toThrow(ConfigError);
    });
  });

  describe('unexpected errors go to Koa error handling', () => {
    const boom = new Error('verifier exploded');
    const broken: Verifier = {
      issuer: 'https://issuer.example',
      audiences: [AUDIENCE],
      verify: () => Promise.reject(boom),
      refreshKeys: async () => {},
    };

    it("reach app.on('error') as they are, and Koa answers 500", async () => {
      const app = new Koa();
      const errors = collectErrors(app);
      app.use(authenticate({ verifier: broken }));
      app.use(echo);
      const client = await serve(app);
      const res = await client.get('/', await issuer.mint());
      expect(res.status).toBe(500);
      expect(res.body).toBe('Internal Server Error');
      expect(errors).toEqual([boom]);
    });

    it('reach an upstream try/await next()/catch error middleware first', async () => {
      const app = new Koa();
      const errors = collectErrors(app);
      const caught: unknown[] = [];
      app.use(async (ctx, next) => {
        try {
          await next();
        } catch (error) {
          caught.push(error);
          ctx.status = 500;
          ctx.body = { error: 'server_error' };
        }
      });
      app.use(authenticate({ verifier: broken }));
      app.use(echo);
      const client = await serve(app);
      const res = await client.get('/', await issuer.mint());
      expect(res.status).toBe(500);
      expect(json(res)).toEqual({ error: 'server_error' });
      expect(caught).toEqual([boom]);
      expect(errors).toEqual([]);
    });

    it('is not mistaken for a verification failure when thrown by a later middleware', async () => {
      const app = new Koa();
      const errors = collectErrors(app);
      const later = new Error('handler failed');
      app.use(authenticate({ verifier }));
      app.use(() => {
        throw later;
      });
      const client = await serve(app);
      const res = await client.get('/', await issuer.mint());
      expect(res.status).toBe(500);
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(errors).toEqual([later]);
    });

    it('reports a refusal it can no longer send (the head already went out) through app.on(error)', async () => {
      const app = new Koa();
      const errors = collectErrors(app);
      app.use(async (ctx, next) => {
        ctx.res.writeHead(200, { 'content-type': 'text/plain' });
        ctx.res.write('streaming');
        try {
          await next();
        } finally {
          // Koa leaves a response whose head went out to whoever started it.
          ctx.res.end();
        }
      });
      app.use(authenticate({ verifier }));
      const client = await serve(app);
      const res = await client.get('/');
      expect(res.status).toBe(200);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ headerSent: true });
    });
  });

  describe('optional', () => {
    it('lets a request without a token through with ctx.state.auth undefined', async () => {
      const { client } = await appWith({ optional: true });
      const res = await client.get('/me');
      expect(res.status).toBe(200);
      expect(json(res)).toEqual({ auth: null });
    });

    it('still verifies a token that is present', async () => {
      const { client } = await appWith({ optional: true });
      expect((await client.get('/me', await issuer.mint({}, { expiresIn: -60 }))).status).toBe(401);
      expect((await client.get('/me', 'Bearer')).status).toBe(401);
      const ok = await client.get('/me', await issuer.mint({ sub: 'present' }));
      expect(json(ok)).toMatchObject({ auth: { subject: 'present' } });
    });

    it('lets requireScope answer 401 (no error code) when there was no token', async () => {
      const app = new Koa();
      app.use(authenticate({ verifier, optional: true, realm: 'opt' }));
      const router = new Router();
      router.get('/public', echo);
      router.get('/private', requireScope('customScope'), echo);
      app.use(router.routes());
      const client = await serve(app);
      expect((await client.get('/public')).status).toBe(200);
      const res = await client.get('/private');
      expect(res.status).toBe(401);
      expect(challengeOf(res)).toBe('Bearer realm="opt"');
    });
  });

  describe('errorBody', () => {
    it('shapes the body with the failure and the Koa context, while status and challenge stay right', async () => {
      const { client } = await appWith({
        errorBody: (failure, ctx) => ({ problem: failure.error, path: (ctx as Context).path }),
      });
      const res = await client.get('/me');
      expect(res.status).toBe(401);
      expect(json(res)).toEqual({ problem: 'unauthorized', path: '/me' });
      expect(challengeOf(res)).toBe('Bearer realm="api"');
    });

    it('sends text, or nothing (still 401, not the 204 Koa gives a null body), when the hook says so', async () => {
      const text = await appWith({ errorBody: () => 'no entry' });
      const res = await text.client.get('/me');
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.body).toBe('no entry');

      const empty = await appWith({ errorBody: () => null });
      const none = await empty.client.get('/me');
      expect(none.status).toBe(401);
      expect(none.body).toBe('');
      expect(none.headers['content-length']).toBe('0');
      expect(none.headers['content-type']).toBeUndefined();
      expect(challengeOf(none)).toBe('Bearer realm="api"');
      expect(none.headers['cache-control']).toBe('no-store');
    });

    it('applies to 403 from requireScope too, with the scope attribute kept', async () => {
      const app = new Koa();
      app.use(authenticate({ verifier, errorBody: (failure) => ({ nope: failure.requiredScopes }) }));
      app.use(requireScope('customScope'));
      app.use(echo);
      const client = await serve(app);
      const res = await client.get('/', await issuer.mint({}, { scopes: ['other'] }));
      expect(res.status).toBe(403);
      expect(json(res)).toEqual({ nope: ['customScope'] });
      expect(challengeOf(res)).toContain('scope="customScope"');
    });
  });

  describe('requireScope after authenticate', () => {
    async function routed() {
      const app = new Koa();
      app.use(authenticate({ verifier }));
      const router = new Router();
      router.get('/all', requireScope('read', 'write'), echo);
      router.get('/any', requireAnyScope('read', 'write'), echo);
      router.get('/both', requireScope({ allOf: ['read'], anyOf: ['a', 'b'] }), echo);
      app.use(router.routes()).use(router.allowedMethods());
      return serve(app);
    }

    it('requires every scope of requireScope and one of requireAnyScope on @koa/router routes', async () => {
      const client = await routed();
      const read = await issuer.mint({}, { scopes: ['read'] });
      const readWrite = await issuer.mint({}, { scopes: ['read', 'write'] });
      const readB = await issuer.mint({}, { scopes: ['read', 'b'] });
      expect((await client.get('/all', read)).status).toBe(403);
      expect((await client.get('/all', readWrite)).status).toBe(200);
      expect((await client.get('/any', read)).status).toBe(200);
      expect((await client.get('/any', readB)).status).toBe(200);
      expect((await client.get('/both', read)).status).toBe(403);
      expect((await client.get('/both', readB)).status).toBe(200);
    });

    it('says in a 403 whether all of the scopes or one of them is needed', async () => {
      const client = await routed();
      const token = await issuer.mint({}, { scopes: ['other'] });
      const all = await client.get('/all', token);
      expect(all.status).toBe(403);
      expect(challengeOf(all)).toContain('error="insufficient_scope"');
      expect(challengeOf(all)).toContain('scope="read write"');
      expect(json(all)['error_description']).toBe('This resource requires all of these scopes: read, write');
      const any = await client.get('/any', token);
      expect(json(any)['error_description']).toBe('This resource requires one of these scopes: read, write');
    });

    it('guards nested routers with different scopes', async () => {
      const app = new Koa();
      app.use(authenticate({ verifier }));
      const orders = new Router({ prefix: '/orders' });
      orders.use(requireScope('orders:read'));
      orders.get('/', echo);
      const admin = new Router({ prefix: '/admin' });
      admin.use(requireScope({ allOf: ['admin'], realm: 'admin' }));
      admin.get('/', echo);
      app.use(orders.routes()).use(admin.routes());
      const client = await serve(app);
      const reader = await issuer.mint({}, { scopes: ['orders:read'] });
      expect((await client.get('/orders', reader)).status).toBe(200);
      const refused = await client.get('/admin', reader);
      expect(refused.status).toBe(403);
      // requireScope's own realm overrides the one of authenticate().
      expect(challengeOf(refused)).toContain('realm="admin"');
      expect((await client.get('/admin', await issuer.mint({}, { scopes: ['admin'] }))).status).toBe(200);
    });

    it('does not trust a ctx.state.auth it did not set', async () => {
      const app = new Koa();
      app.use(authenticate({ verifier, optional: true }));
      app.use(async (ctx, next) => {
        // Attack: application code (or a confused middleware) puts an identity with more scopes on the
        // state, over none or over the verified one.
        if (ctx.get('x-forge') !== '')
          ctx.state.auth = { scopes: ['admin'], claims: {}, token: 'x' } as never;
        await next();
      });
      app.use(requireScope('admin'));
      app.use(echo);
      const client = await serve(app);
      const forge = (token?: string) =>
        client.send('/', {
          headers: { 'x-forge': '1', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
        });
      expect((await forge()).status).toBe(401);
      expect((await forge(await issuer.mint({}, { scopes: ['other'] }))).status).toBe(401);
      // Without the forgery, the verified token is checked as it is.
      expect((await client.get('/', await issuer.mint({}, { scopes: ['other'] }))).status).toBe(403);
      expect((await client.get('/', await issuer.mint({}, { scopes: ['admin'] }))).status).toBe(200);
    });

    it('throws ConfigError at creation for invalid scopes', () => {
      expect(() => requireScope()).toThrow(ConfigError);
      expect(() => requireScope('read write')).toThrow("requireScope('read', 'write')");
      expect(() => requireAnyScope('a"b')).toThrow(ConfigError);
      expect(() => requireScope({})).toThrow(ConfigError);
    });
  });

  describe('form-body tokens (allowBodyToken) with @koa/bodyparser', () => {
    async function formApp(allowBodyToken: boolean) {
      const app = new Koa();
      app.use(bodyParser());
      app.use(authenticate({ verifier, allowBodyToken }));
      app.use(echo);
      return serve(app);
    }
    const form = (body: string, authorization?: string) => ({
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(authorization === undefined ? {} : { authorization }),
      },
      body,
    });

    it('reads access_token from ctx.request.body when enabled', async () => {
      const client = await formApp(true);
      const token = await issuer.mint({ sub: 'form' });
      const res = await client.send('/', form(`access_token=${token}&x=1`));
      expect(res.status).toBe(200);
      expect(json(res)).toMatchObject({ auth: { subject: 'form' } });
    });

    it('refuses a token sent both in the body and the header, and a repeated field', async () => {
      const client = await formApp(true);
      const token = await issuer.mint();
      expect((await client.send('/', form(`access_token=${token}`, `Bearer ${token}`))).status).toBe(400);
      expect((await client.send('/', form(`access_token=${token}&access_token=${token}`))).status).toBe(400);
    });

    it('ignores the body when allowBodyToken is off, and a JSON body in any case', async () => {
      const token = await issuer.mint();
      const off = await formApp(false);
      expect((await off.send('/', form(`access_token=${token}`))).status).toBe(401);
      const on = await formApp(true);
      const jsonBody = {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: token }),
      };
      expect((await on.send('/', jsonBody)).status).toBe(401);
    });
  });

  describe('requireScope on its own (environment configuration)', () => {
    function setEnv(values: Record<string, string>): void {
      for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
    }

    it('authenticates from SCOPEGUARD_* on a route, sets ctx.state.auth and checks the scope', async () => {
      setEnv({ SCOPEGUARD_ISSUER: issuer.issuer, SCOPEGUARD_AUDIENCE: `api://x, ${AUDIENCE}` });
      const app = new Koa();
      const router = new Router();
      router.get('/scoped', requireScope('customScope'), echo);
      app.use(router.routes());
      const client = await serve(app);
      expect((await client.get('/scoped')).status).toBe(401);
      expect((await client.get('/scoped', await issuer.mint({}, { scopes: ['other'] }))).status).toBe(403);
      const ok = await client.get('/scoped', await issuer.mint({ sub: 'env' }, { scopes: ['customScope'] }));
      expect(ok.status).toBe(200);
      expect(json(ok)).toMatchObject({ auth: { subject: 'env', scopes: ['customScope'] } });
    });

    it('throws at creation a ConfigError naming the missing variable when the environment is half set', () => {
      setEnv({ SCOPEGUARD_ISSUER: issuer.issuer });
      expect(() => requireScope('a')).toThrow(/SCOPEGUARD_AUDIENCE/);
    });

    it('without authenticate nor environment, throws a ConfigError naming SCOPEGUARD_ISSUER into Koa error handling', async () => {
      const app = new Koa();
      const errors = collectErrors(app);
      app.use(requireScope('customScope'));
      app.use(echo);
      const client = await serve(app);
      const res = await client.get('/', await issuer.mint({}, { scopes: ['customScope'] }));
      expect(res.status).toBe(500);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(ConfigError);
      expect((errors[0] as ConfigError).message).toMatch(/SCOPEGUARD_ISSUER/);
      expect((errors[0] as ConfigError).message).toMatch(/authenticate\(/);
      // Then the environment is set (dotenv.config() after import): the next request reads it.
      setEnv({ SCOPEGUARD_ISSUER: issuer.issuer, SCOPEGUARD_AUDIENCE: AUDIENCE });
      const ok = await client.get('/', await issuer.mint({}, { scopes: ['customScope'] }));
      expect(ok.status).toBe(200);
      await new Promise((resolve) => setImmediate(resolve));
      // Reported once per process, however many apps and requests hit it.
      expect(configWarnings.filter((w) => w.message.includes('SCOPEGUARD_ISSUER'))).toHaveLength(1);
    });

    it('prefers a prior authenticate over the environment', async () => {
      setEnv({
        SCOPEGUARD_ISSUER: 'https://elsewhere.example/oauth2/default',
        SCOPEGUARD_AUDIENCE: 'api://x',
      });
      const app = new Koa();
      app.use(authenticate({ verifier }));
      app.use(requireScope('customScope'));
      app.use(echo);
      const client = await serve(app);
      expect((await client.get('/', await issuer.mint({}, { scopes: ['customScope'] }))).status).toBe(200);
    });
  });

  describe('concurrency', () => {
    it('gives each of 200 parallel requests its own identity', async () => {
      const { client } = await appWith();
      const tokens = await Promise.all(
        Array.from({ length: 200 }, (_, i) => issuer.mint({ sub: `user-${i}`, cid: `client-${i}` })),
      );
      const answers = await Promise.all(tokens.map((token) => client.get('/me', token)));
      answers.forEach((res, i) => {
        expect(res.status).toBe(200);
        expect(json(res)).toMatchObject({ auth: { subject: `user-${i}`, clientId: `client-${i}` } });
      });
    });
  });
});
