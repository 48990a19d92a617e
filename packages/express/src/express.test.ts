import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { ConfigError, createVerifier, type Verifier } from '@scopeguard/core';
import { authenticate, requireAnyScope, requireScope } from '@scopeguard/express';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import request, { type Response } from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

// Express 4 is installed under the alias `express4` and ships no types; its API is typed here with
// Express 5's, which is what the adapter must be compatible with anyway.
const express4 = createRequire(import.meta.url)('express4') as typeof express;

/** RFC 6750 §3: error_description = *( %x20-21 / %x23-5B / %x5D-7E ). */
const DESCRIPTION_CHARS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const ENV_NAMES = [
  'SCOPEGUARD_ISSUER',
  'SCOPEGUARD_AUDIENCE',
  'SCOPEGUARD_CLIENT_IDS',
  'SCOPEGUARD_JWKS_URI',
];

type App = ReturnType<typeof express>;

const frameworks = [
  { name: 'Express 5', create: (): App => express(), router: () => express.Router() },
  { name: 'Express 4', create: (): App => express4(), router: () => express4.Router() },
];

/** Echoes what the adapter put on `req.auth`. */
const echo: RequestHandler = (req, res) => {
  const auth = req.auth;
  res.json(
    auth === undefined
      ? { auth: null }
      : {
          auth: {
            scopes: auth.scopes,
            clientId: auth.clientId,
            subject: auth.subject,
            token: auth.token,
            iss: auth.claims.iss,
            kid: auth.header.kid,
            expiresAt: auth.expiresAt.toISOString(),
          },
        },
  );
};

/** Records errors handed to `next(error)` and answers 500. */
function errorHandler(seen: unknown[]): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    seen.push(error);
    res
      .status(500)
      .json({ error: 'server_error', message: error instanceof Error ? error.message : String(error) });
  };
}

const servers: Server[] = [];

/** Serves `app` on 127.0.0.1 (port 0) and returns a supertest agent bound to it. */
async function serve(app: App) {
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return request(`http://127.0.0.1:${port}`);
}

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

function clearEnv(): void {
  for (const name of ENV_NAMES) vi.stubEnv(name, undefined);
}

function expectSafeDescription(res: Response, token?: string): void {
  const header = res.headers['www-authenticate'] as string | undefined;
  const match = header === undefined ? null : /error_description="([^"]*)"/.exec(header);
  const description = match?.[1] ?? '';
  expect(description).toMatch(DESCRIPTION_CHARS);
  if (token !== undefined) {
    expect(header ?? '').not.toContain(token);
    expect(res.text).not.toContain(token);
    // Not even the signature part.
    const signature = token.split('.')[2] ?? '';
    if (signature.length > 0) expect(res.text).not.toContain(signature);
  }
}

describe.each(frameworks)('$name', ({ create, router }) => {
  let issuer: TestIssuer;
  let verifier: Verifier;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    verifier = createVerifier({ issuer: issuer.issuer, audience: 'api://default' });
  });

  afterAll(async () => {
    await issuer.close();
  });

  beforeEach(() => {
    clearEnv();
  });

  /** An app with `authenticate` at app level (extra options merged) and `/echo`. */
  async function appWith(options: Record<string, unknown> = {}, setup?: (app: App) => void) {
    const app = create();
    const seen: unknown[] = [];
    app.use(express.urlencoded({ extended: false }));
    app.use(authenticate({ verifier, ...options }));
    setup?.(app);
    app.all('/echo', echo);
    app.use(errorHandler(seen));
    return { agent: await serve(app), seen };
  }

  describe('authenticate', () => {
    it('sets req.auth from a valid token', async () => {
      const { agent } = await appWith();
      const token = await issuer.mint({}, { scopes: ['customScope', 'other'] });
      const res = await agent.get('/echo').set('Authorization', `Bearer ${token}`).expect(200);
      expect(res.body.auth).toMatchObject({
        scopes: ['customScope', 'other'],
        clientId: '0oatestclient0000001',
        subject: '0oatestclient0000001',
        token,
        iss: issuer.issuer,
        kid: issuer.activeKid,
      });
      expect(Date.parse(res.body.auth.expiresAt)).toBeGreaterThan(Date.now());
    });

    it('answers 401 without error code when there is no token', async () => {
      const { agent } = await appWith();
      const res = await agent.get('/echo').expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ error: 'unauthorized', error_description: 'A bearer token is required' });
    });

    it('uses the configured realm', async () => {
      const { agent } = await appWith({ realm: 'orders api' });
      const res = await agent.get('/echo').expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="orders api"');
    });

    it.each([
      ['lower-case scheme', (t: string) => `bearer ${t}`],
      ['upper-case scheme', (t: string) => `BEARER ${t}`],
      ['extra spaces', (t: string) => `Bearer     ${t}   `],
    ])('accepts a %s', async (_label, header) => {
      const { agent } = await appWith();
      const token = await issuer.mint();
      await agent.get('/echo').set('Authorization', header(token)).expect(200);
    });

    it.each([
      ['Bearer without a token', () => 'Bearer'],
      ['two tokens', (t: string) => `Bearer ${t} ${t}`],
      ['characters outside b64token', (t: string) => `Bearer ${t}$`],
      ['a quoted token', (t: string) => `Bearer "${t}"`],
      ['another scheme followed by junk', () => 'Basic a b c'],
      ['no scheme at all', () => '=abc'],
    ])('answers 400 invalid_request for %s', async (_label, header) => {
      const { agent } = await appWith();
      const token = await issuer.mint();
      const res = await agent.get('/echo').set('Authorization', header(token)).expect(400);
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="api", error="invalid_request", error_description="[^"]+"$/,
      );
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.error).toBe('invalid_request');
      expectSafeDescription(res, token);
    });

    it('treats a well-formed non-Bearer scheme as no bearer credentials (401, no error code)', async () => {
      const { agent } = await appWith();
      const res = await agent.get('/echo').set('Authorization', 'Basic dXNlcjpwYXNz').expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    });

    it.each([
      ['expired', { claims: {}, options: { expiresIn: -3600 } }, 'token_expired'],
      ['signed by an unknown key', { claims: {}, options: { foreignKey: true } }, 'signature_invalid'],
      ['for another audience', { claims: { aud: 'api://other' }, options: {} }, 'audience_invalid'],
      [
        'from another issuer',
        { claims: { iss: 'https://evil.example/oauth2/default' }, options: {} },
        'issuer_invalid',
      ],
      ['unsigned', { claims: {}, options: { unsigned: true } }, '(?:token_malformed|alg_not_allowed)'],
      ['not yet valid', { claims: {}, options: { notBefore: 3600 } }, 'token_not_yet_valid'],
    ])('answers 401 invalid_token for a token %s', async (_label, { claims, options }, code) => {
      const { agent } = await appWith();
      const token = await issuer.mint(claims, options);
      const res = await agent.get('/echo').set('Authorization', `Bearer ${token}`).expect(401);
      expect(res.headers['www-authenticate']).toMatch(
        new RegExp(`^Bearer realm="api", error="invalid_token", error_description="${code}: [^"]*"$`),
      );
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.error).toBe('invalid_token');
      expect(res.body.error_description).toMatch(new RegExp(`^${code}: `));
      expectSafeDescription(res, token);
    });

    it('answers 401 invalid_token for a token that is not a JWT', async () => {
      const { agent } = await appWith();
      const res = await agent.get('/echo').set('Authorization', 'Bearer not-a-jwt').expect(401);
      expect(res.body.error).toBe('invalid_token');
      expectSafeDescription(res, 'not-a-jwt');
    });

    it('answers 503 with Retry-After when the keys cannot be fetched', async () => {
      const down = await createTestIssuer();
      try {
        down.setJwksFault({ kind: 'status', status: 500 });
        const app = create();
        app.use(
          authenticate({
            issuer: down.issuer,
            audience: 'api://default',
            jwksUri: down.jwksUri,
            retryAfter: 30,
          }),
        );
        app.get('/echo', echo);
        const agent = await serve(app);
        const token = await down.mint();
        const res = await agent.get('/echo').set('Authorization', `Bearer ${token}`).expect(503);
        expect(res.headers['retry-after']).toBe('30');
        expect(res.headers['www-authenticate']).toBeUndefined();
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.body.error).toBe('temporarily_unavailable');
        expect(res.text).not.toContain('invalid_token');
      } finally {
        await down.close();
      }
    });

    it('reads only the Authorization header by default', async () => {
      const { agent } = await appWith();
      const token = await issuer.mint();
      await agent.get(`/echo?access_token=${encodeURIComponent(token)}`).expect(401);
      await agent.post('/echo').type('form').send({ access_token: token }).expect(401);
      // Present but disabled: ignored, so a header token still works alongside it.
      await agent
        .get(`/echo?access_token=${encodeURIComponent(token)}`)
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
    });

    it('reads the query and the form body when enabled, and refuses more than one method', async () => {
      const { agent } = await appWith({ allowQueryToken: true, allowBodyToken: true });
      const token = await issuer.mint();
      const query = `access_token=${encodeURIComponent(token)}`;
      await agent.get(`/echo?${query}`).expect(200);
      await agent.post('/echo').type('form').send({ access_token: token }).expect(200);
      const both = await agent.get(`/echo?${query}`).set('Authorization', `Bearer ${token}`).expect(400);
      expect(both.body).toEqual({
        error: 'invalid_request',
        error_description: 'The access token was sent by more than one method',
      });
      await agent
        .post('/echo')
        .type('form')
        .set('Authorization', `Bearer ${token}`)
        .send({ access_token: token })
        .expect(400);
      await agent.post(`/echo?${query}`).type('form').send({ access_token: token }).expect(400);
    });

    it('accepts an existing verifier or verifier options', async () => {
      const app = create();
      app.use(authenticate({ issuer: issuer.issuer, audience: ['api://other', 'api://default'] }));
      app.get('/echo', echo);
      const agent = await serve(app);
      await agent
        .get('/echo')
        .set('Authorization', `Bearer ${await issuer.mint()}`)
        .expect(200);
    });

    it('passes unexpected verifier failures to next(error)', async () => {
      const broken: Verifier = {
        issuer: issuer.issuer,
        audiences: ['api://default'],
        verify: () => Promise.reject(new Error('boom')),
        refreshKeys: () => Promise.resolve(),
      };
      const { agent, seen } = await appWith({ verifier: broken });
      const res = await agent.get('/echo').set('Authorization', 'Bearer abc.def.ghi').expect(500);
      expect(res.body.message).toBe('boom');
      expect(seen).toHaveLength(1);
    });

    it('throws ConfigError at startup for a bad configuration', () => {
      expect(() => authenticate({ issuer: 'http://issuer.example', audience: 'api://default' })).toThrow(
        ConfigError,
      );
      expect(() => authenticate({ verifier, realm: 'a "quoted" realm' })).toThrow(ConfigError);
      expect(() => authenticate({ verifier, retryAfter: -1 })).toThrow(ConfigError);
    });
  });

  describe('optional', () => {
    it('lets a request without a token through with req.auth undefined', async () => {
      const { agent } = await appWith({ optional: true });
      const res = await agent.get('/echo').expect(200);
      expect(res.body).toEqual({ auth: null });
    });

    it('still verifies a token that is present', async () => {
      const { agent } = await appWith({ optional: true });
      const good = await issuer.mint({}, { scopes: ['a'] });
      expect(
        (await agent.get('/echo').set('Authorization', `Bearer ${good}`).expect(200)).body.auth.scopes,
      ).toEqual(['a']);
      const expired = await issuer.mint({}, { expiresIn: -3600 });
      const res = await agent.get('/echo').set('Authorization', `Bearer ${expired}`).expect(401);
      expect(res.body.error).toBe('invalid_token');
      await agent.get('/echo').set('Authorization', 'Bearer').expect(400);
    });

    it('lets requireScope answer 401 (no error code) when there was no token', async () => {
      const { agent } = await appWith({ optional: true, realm: 'opt' }, (app) => {
        app.get('/public', echo);
        app.get('/private', requireScope('customScope'), echo);
      });
      await agent.get('/public').expect(200);
      const res = await agent.get('/private').expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="opt"');
    });
  });

  describe('errorBody', () => {
    it('shapes the body while status and challenge stay right', async () => {
      const { agent } = await appWith({
        errorBody: (failure: { status: number; error: string; code?: string }) => ({
          problem: failure.error,
          status: failure.status,
          reason: failure.code ?? null,
        }),
      });
      const missing = await agent.get('/echo').expect(401);
      expect(missing.body).toEqual({ problem: 'unauthorized', status: 401, reason: null });
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="api"');

      const expired = await issuer.mint({}, { expiresIn: -3600 });
      const bad = await agent.get('/echo').set('Authorization', `Bearer ${expired}`).expect(401);
      expect(bad.body).toEqual({ problem: 'invalid_token', status: 401, reason: 'token_expired' });
      expect(bad.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    });

    it('sends text, nothing, or the default body when the hook says so (or throws)', async () => {
      const text = await appWith({ errorBody: () => 'go away' });
      const res = await text.agent.get('/echo').expect(401);
      expect(res.text).toBe('go away');
      expect(res.headers['content-type']).toMatch(/^text\/plain/);

      const empty = await appWith({ errorBody: () => null });
      expect((await empty.agent.get('/echo').expect(401)).text).toBe('');

      const throwing = await appWith({
        errorBody: () => {
          throw new Error('formatter bug');
        },
      });
      const fallback = await throwing.agent.get('/echo').expect(401);
      expect(fallback.body.error).toBe('unauthorized');
      expect(fallback.headers['www-authenticate']).toBe('Bearer realm="api"');
    });

    it('applies to 403 from requireScope too, with the scope attribute kept', async () => {
      const { agent } = await appWith({ errorBody: () => ({ custom: true }) }, (app) => {
        app.get('/admin', requireScope('admin'), echo);
      });
      const token = await issuer.mint({}, { scopes: ['user'] });
      const res = await agent.get('/admin').set('Authorization', `Bearer ${token}`).expect(403);
      expect(res.body).toEqual({ custom: true });
      expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="admin"$/);
    });
  });

  describe('requireScope after authenticate', () => {
    it('app.use(requireScope(...)) only checks req.auth', async () => {
      const verify = vi.spyOn(verifier, 'verify');
      try {
        const { agent } = await appWith({}, (app) => app.use(requireScope('customScope')));
        const ok = await issuer.mint({}, { scopes: ['customScope'] });
        await agent.get('/echo').set('Authorization', `Bearer ${ok}`).expect(200);
        expect(verify).toHaveBeenCalledTimes(1);

        const lacking = await issuer.mint({}, { scopes: ['other'] });
        const res = await agent.get('/echo').set('Authorization', `Bearer ${lacking}`).expect(403);
        expect(res.headers['www-authenticate']).toMatch(
          /^Bearer realm="api", error="insufficient_scope", error_description="[^"]*", scope="customScope"$/,
        );
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.body.error).toBe('insufficient_scope');
        expectSafeDescription(res, lacking);
      } finally {
        verify.mockRestore();
      }
    });

    it('requires every scope of requireScope and one of requireAnyScope', async () => {
      const { agent } = await appWith({}, (app) => {
        app.get('/all', requireScope('a', 'b'), echo);
        app.get('/any', requireAnyScope('a', 'b'), echo);
        app.get('/both', requireScope({ allOf: ['a'], anyOf: ['x', 'y'], realm: 'both' }), echo);
      });
      const a = await issuer.mint({}, { scopes: ['a'] });
      const ab = await issuer.mint({}, { scopes: ['a', 'b'] });
      const ay = await issuer.mint({}, { scopes: ['a', 'y'] });
      const none = await issuer.mint({}, { scopes: ['z'] });

      const allFail = await agent.get('/all').set('Authorization', `Bearer ${a}`).expect(403);
      expect(allFail.headers['www-authenticate']).toMatch(/scope="a b"$/);
      await agent.get('/all').set('Authorization', `Bearer ${ab}`).expect(200);

      await agent.get('/any').set('Authorization', `Bearer ${a}`).expect(200);
      const anyFail = await agent.get('/any').set('Authorization', `Bearer ${none}`).expect(403);
      expect(anyFail.headers['www-authenticate']).toMatch(/scope="a b"$/);

      await agent.get('/both').set('Authorization', `Bearer ${ay}`).expect(200);
      const bothFail = await agent.get('/both').set('Authorization', `Bearer ${ab}`).expect(403);
      expect(bothFail.headers['www-authenticate']).toMatch(/^Bearer realm="both", .*scope="a x y"$/);
    });

    it('says in a 403 whether all of the scopes or one of them is needed', async () => {
      const { agent } = await appWith({}, (app) => {
        app.get('/all', requireScope('a', 'b'), echo);
        app.get('/any', requireAnyScope('a', 'b'), echo);
      });
      const none = `Bearer ${await issuer.mint({}, { scopes: ['z'] })}`;
      const all = await agent.get('/all').set('Authorization', none).expect(403);
      expect(all.body.error_description).toBe('This resource requires all of these scopes: a, b');
      const any = await agent.get('/any').set('Authorization', none).expect(403);
      expect(any.body.error_description).toBe('This resource requires one of these scopes: a, b');
      expect(any.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="insufficient_scope", error_description="This resource requires one of these scopes: a, b", scope="a b"',
      );
    });

    it("points requireScope('read write') to requireScope('read', 'write')", () => {
      expect(() => requireScope('read write')).toThrow(
        "to require several scopes, pass each one separately: requireScope('read', 'write')",
      );
      expect(() => requireAnyScope('read write')).toThrow("requireAnyScope('read', 'write')");
    });

    it('route-level use works the same', async () => {
      const app = create();
      app.get('/x', authenticate({ verifier }), requireScope('customScope'), echo);
      app.get('/open', echo);
      const agent = await serve(app);
      await agent.get('/open').expect(200);
      await agent.get('/x').expect(401);
      await agent
        .get('/x')
        .set('Authorization', `Bearer ${await issuer.mint({}, { scopes: ['customScope'] })}`)
        .expect(200);
      await agent
        .get('/x')
        .set('Authorization', `Bearer ${await issuer.mint({}, { scopes: ['nope'] })}`)
        .expect(403);
    });

    it('guards several routers with different scopes', async () => {
      const app = create();
      app.use(authenticate({ verifier }));
      const orders = router();
      orders.use(requireScope('orders:read'));
      orders.get('/', (_req, res) => {
        res.json({ route: 'orders' });
      });
      orders.post('/', requireScope('orders:write'), (_req, res) => {
        res.status(201).json({ route: 'orders:create' });
      });
      const admin = router();
      admin.use(requireAnyScope('admin', 'superuser'));
      admin.get('/', (_req, res) => {
        res.json({ route: 'admin' });
      });
      app.use('/orders', orders);
      app.use('/admin', admin);
      app.get('/me', (req, res) => {
        res.json({ scopes: req.auth?.scopes ?? [] });
      });
      const agent = await serve(app);

      const reader = `Bearer ${await issuer.mint({}, { scopes: ['orders:read'] })}`;
      const writer = `Bearer ${await issuer.mint({}, { scopes: ['orders:read', 'orders:write'] })}`;
      const superuser = `Bearer ${await issuer.mint({}, { scopes: ['superuser'] })}`;

      expect((await agent.get('/orders').set('Authorization', reader).expect(200)).body.route).toBe('orders');
      const denied = await agent.post('/orders').set('Authorization', reader).expect(403);
      expect(denied.headers['www-authenticate']).toMatch(/scope="orders:write"$/);
      await agent.post('/orders').set('Authorization', writer).expect(201);
      await agent.get('/admin').set('Authorization', writer).expect(403);
      await agent.get('/admin').set('Authorization', superuser).expect(200);
      await agent.get('/orders').set('Authorization', superuser).expect(403);
      expect((await agent.get('/me').set('Authorization', superuser).expect(200)).body.scopes).toEqual([
        'superuser',
      ]);
      await agent.get('/me').expect(401);
    });

    it('does not trust a req.auth it did not set', async () => {
      const { agent } = await appWith({ optional: true }, (app) => {
        app.use((req, _res, next) => {
          if (req.headers['x-forge'] !== undefined) {
            req.auth = { scopes: ['admin'] } as unknown as NonNullable<typeof req.auth>;
          }
          next();
        });
        app.get('/admin', requireScope('admin'), echo);
      });
      await agent.get('/admin').set('x-forge', '1').expect(401);
    });

    it('throws ConfigError at creation for invalid scopes', () => {
      expect(() => requireScope()).toThrow(ConfigError);
      expect(() => requireScope('two words')).toThrow(ConfigError);
      expect(() => requireScope('a"b')).toThrow(ConfigError);
      expect(() => requireAnyScope()).toThrow(ConfigError);
      expect(() => requireScope({})).toThrow(ConfigError);
      expect(() => requireScope({ allOf: [] })).toThrow(ConfigError);
    });
  });

  describe('requireScope on its own (environment configuration)', () => {
    function stubEnv(): void {
      vi.stubEnv('SCOPEGUARD_ISSUER', issuer.issuer);
      vi.stubEnv('SCOPEGUARD_AUDIENCE', 'api://other, api://default');
    }

    it('app.use(requireScope(...)) authenticates from SCOPEGUARD_* and checks the scope', async () => {
      stubEnv();
      const app = create();
      app.use(requireScope('customScope'));
      app.get('/echo', echo);
      const agent = await serve(app);
      const token = await issuer.mint({}, { scopes: ['customScope'] });
      expect(
        (await agent.get('/echo').set('Authorization', `Bearer ${token}`).expect(200)).body.auth.token,
      ).toBe(token);
      const lacking = await agent
        .get('/echo')
        .set('Authorization', `Bearer ${await issuer.mint({}, { scopes: ['other'] })}`)
        .expect(403);
      expect(lacking.headers['www-authenticate']).toMatch(/scope="customScope"$/);
      const missing = await agent.get('/echo').expect(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="api"');
      const expired = await agent
        .get('/echo')
        .set('Authorization', `Bearer ${await issuer.mint({ scp: ['customScope'] }, { expiresIn: -3600 })}`)
        .expect(401);
      expect(expired.body.error).toBe('invalid_token');
      await agent.get('/echo').set('Authorization', 'Bearer a b').expect(400);
    });

    it('route-level requireScope on its own, verifying once per request', async () => {
      stubEnv();
      const app = create();
      app.use(requireScope('a'));
      app.get('/ab', requireScope('b'), echo);
      const agent = await serve(app);
      await agent
        .get('/ab')
        .set('Authorization', `Bearer ${await issuer.mint({}, { scopes: ['a', 'b'] })}`)
        .expect(200);
      const res = await agent
        .get('/ab')
        .set('Authorization', `Bearer ${await issuer.mint({}, { scopes: ['a'] })}`)
        .expect(403);
      expect(res.headers['www-authenticate']).toMatch(/scope="b"$/);
    });

    it('honours SCOPEGUARD_CLIENT_IDS and SCOPEGUARD_JWKS_URI', async () => {
      stubEnv();
      vi.stubEnv('SCOPEGUARD_CLIENT_IDS', 'someone-else, another');
      vi.stubEnv('SCOPEGUARD_JWKS_URI', issuer.jwksUri);
      const app = create();
      app.use(requireScope('customScope'));
      app.get('/echo', echo);
      const agent = await serve(app);
      const token = await issuer.mint({}, { scopes: ['customScope'] });
      const res = await agent.get('/echo').set('Authorization', `Bearer ${token}`).expect(401);
      expect(res.body.error_description).toMatch(/^client_not_allowed: /);
      const allowed = await issuer.mint({ cid: 'another', sub: 'another' }, { scopes: ['customScope'] });
      await agent.get('/echo').set('Authorization', `Bearer ${allowed}`).expect(200);
    });

    it('throws at creation a ConfigError naming the missing variable', () => {
      vi.stubEnv('SCOPEGUARD_ISSUER', issuer.issuer);
      expect(() => requireScope('a')).toThrow(/SCOPEGUARD_AUDIENCE/);
      clearEnv();
      vi.stubEnv('SCOPEGUARD_AUDIENCE', 'api://default');
      const error = (() => {
        try {
          requireScope('a');
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).option).toBe('SCOPEGUARD_ISSUER');
      vi.stubEnv('SCOPEGUARD_ISSUER', 'http://issuer.example/oauth2/default');
      expect(() => requireScope('a')).toThrow(/^SCOPEGUARD_ISSUER: /);
    });

    it('without authenticate nor environment, passes a ConfigError naming SCOPEGUARD_ISSUER to next', async () => {
      const app = create();
      const seen: unknown[] = [];
      app.use(requireScope('a'));
      app.get('/echo', echo);
      app.use(errorHandler(seen));
      const agent = await serve(app);
      const res = await agent
        .get('/echo')
        .set('Authorization', `Bearer ${await issuer.mint()}`)
        .expect(500);
      expect(res.body.message).toMatch(/^SCOPEGUARD_ISSUER: /);
      expect(seen[0]).toBeInstanceOf(ConfigError);
    });

    it('prefers a prior authenticate over the environment', async () => {
      vi.stubEnv('SCOPEGUARD_ISSUER', issuer.issuer);
      vi.stubEnv('SCOPEGUARD_AUDIENCE', 'api://nobody');
      const { agent } = await appWith({}, (app) => app.use(requireScope('customScope')));
      await agent
        .get('/echo')
        .set('Authorization', `Bearer ${await issuer.mint({}, { scopes: ['customScope'] })}`)
        .expect(200);
    });

    it('reads SCOPEGUARD_* at the first request: import app, then dotenv.config(), works', async () => {
      // The app is built with no SCOPEGUARD_* set (as when it is imported before dotenv runs) …
      const app = create();
      app.use(requireScope('customScope'));
      app.get('/echo', echo);
      const agent = await serve(app);
      // … and the environment is filled afterwards.
      stubEnv();
      const token = await issuer.mint({}, { scopes: ['customScope'] });
      expect(
        (await agent.get('/echo').set('Authorization', `Bearer ${token}`).expect(200)).body.auth.token,
      ).toBe(token);
      await agent.get('/echo').expect(401);
    });

    it('answers a bad environment found at the first request with next(ConfigError), reported once, and recovers once fixed', async () => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      try {
        const app = create();
        const seen: unknown[] = [];
        app.use(requireScope('customScope'));
        app.get('/echo', echo);
        app.use(errorHandler(seen));
        const agent = await serve(app);
        // Reported once per process and cause: a host of its own for each run of this test.
        const bad = `http://issuer-${Math.random().toString(36).slice(2)}.invalid/oauth2/default`;
        vi.stubEnv('SCOPEGUARD_ISSUER', bad);
        vi.stubEnv('SCOPEGUARD_AUDIENCE', 'api://default');
        const token = await issuer.mint({}, { scopes: ['customScope'] });
        for (let i = 0; i < 2; i++) {
          const res = await agent.get('/echo').set('Authorization', `Bearer ${token}`).expect(500);
          expect(res.body.message).toMatch(/^SCOPEGUARD_ISSUER: /);
        }
        expect(seen).toHaveLength(2);
        expect(seen[0]).toBeInstanceOf(ConfigError);
        const reports = warn.mock.calls.filter(([message]) => String(message).includes(bad));
        expect(reports).toHaveLength(1);
        expect(reports[0]?.[1]).toMatchObject({ code: 'SCOPEGUARD_CONFIG' });
        stubEnv();
        await agent.get('/echo').set('Authorization', `Bearer ${token}`).expect(200);
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe('key rotation', () => {
    it('serves 50 concurrent requests signed with a new key after one extra JWKS fetch', async () => {
      const rotating = await createTestIssuer();
      try {
        const app = create();
        app.use(
          authenticate({
            issuer: rotating.issuer,
            audience: 'api://default',
            jwksUri: rotating.jwksUri,
            jwks: { cooldown: 100 },
          }),
        );
        app.use(requireScope('customScope'));
        app.get('/echo', echo);
        const agent = await serve(app);

        const before = await rotating.mint({}, { scopes: ['customScope'] });
        await agent.get('/echo').set('Authorization', `Bearer ${before}`).expect(200);
        const fetches = rotating.requests.jwks;
        expect(fetches).toBe(1);

        const oldKid = rotating.activeKid;
        await rotating.rotateKeys();
        expect(rotating.activeKid).not.toBe(oldKid);
        const tokens = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            rotating.mint({ jti: `rotation-${i}` }, { scopes: ['customScope'] }),
          ),
        );
        const results = await Promise.all(
          tokens.map((token) => agent.get('/echo').set('Authorization', `Bearer ${token}`)),
        );
        expect(results.map((res) => res.status)).toEqual(tokens.map(() => 200));
        expect(results.every((res) => res.body.auth.kid === rotating.activeKid)).toBe(true);
        expect(rotating.requests.jwks).toBe(fetches + 1);
      } finally {
        await rotating.close();
      }
    });
  });
});
