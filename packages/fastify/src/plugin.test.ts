// What is specific to Fastify: encapsulation, decorators, route config checked at declaration, the reply
// path (hooks, serializers, error handler), environment configuration, and the module's shapes.
import { ConfigError, createVerifier, type Verifier } from '@scopeguard/core';
import scopeguardDefault, { requireScope, type ScopeguardOptions, scopeguard } from '@scopeguard/fastify';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { bearer, ENV_NAMES, echo } from './test-support.js';

let issuer: TestIssuer;
let verifier: Verifier;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
  verifier = createVerifier({ issuer: issuer.issuer, audience: 'api://default' });
});

afterAll(async () => {
  await issuer.close();
});

beforeEach(() => {
  for (const name of ENV_NAMES) vi.stubEnv(name, undefined);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** A Fastify app closed after the test; errors reaching its error handler are recorded and answered 500. */
function fastify(): FastifyInstance & { seen: unknown[] } {
  const app = Fastify() as unknown as FastifyInstance & { seen: unknown[] };
  app.seen = [];
  app.setErrorHandler((error, _request, reply) => {
    app.seen.push(error);
    reply.code(500).send({ error: 'server_error', message: error instanceof Error ? error.message : '' });
  });
  apps.push(app);
  return app;
}

async function get(app: FastifyInstance, url: string, token?: string, method: 'GET' | 'HEAD' = 'GET') {
  return app.inject({ method, url, headers: token === undefined ? {} : bearer(token) });
}

const scoped = (...scopes: string[]) => issuer.mint({}, { scopes });

describe('encapsulation', () => {
  it('protects the routes of the context it is registered in and of its children, nothing else', async () => {
    const app = fastify();
    app.get('/public', echo);
    await app.register(
      async (api) => {
        await api.register(scopeguard, { verifier });
        api.get('/me', echo);
        await api.register(async (nested) => nested.get('/me', echo), { prefix: '/nested' });
      },
      { prefix: '/api' },
    );
    await app.register(async (sibling) => sibling.get('/me', echo), { prefix: '/sibling' });
    await app.ready();

    expect((await get(app, '/api/me')).statusCode).toBe(401);
    expect((await get(app, '/api/nested/me')).statusCode).toBe(401);
    const token = await scoped('x');
    expect((await get(app, '/api/nested/me', token)).json().auth.token).toBe(token);
    // Parent and sibling contexts: not authenticated, and request.auth is not even decorated there.
    expect((await get(app, '/public')).json()).toEqual({ auth: 'undefined (not decorated)' });
    expect((await get(app, '/sibling/me', token)).json()).toEqual({ auth: 'undefined (not decorated)' });
  });

  it('decorates request.auth (null until verified) where it is registered, and its children only', async () => {
    const app = fastify();
    const seen: Record<string, boolean> = {};
    await app.register(async (api) => {
      await api.register(scopeguard, { verifier, optional: true });
      seen.api = api.hasRequestDecorator('auth');
      api.get('/me', echo);
      await api.register(async (child) => {
        seen.child = child.hasRequestDecorator('auth');
      });
    });
    await app.register(async (sibling) => {
      seen.sibling = sibling.hasRequestDecorator('auth');
    });
    await app.ready();
    seen.root = app.hasRequestDecorator('auth');
    expect(seen).toEqual({ api: true, child: true, sibling: false, root: false });
    expect((await get(app, '/me')).json()).toEqual({ auth: null });
  });

  it('registered at the root, protects every route, including those Fastify declared before it loaded', async () => {
    const app = fastify();
    app.register(scopeguard, { verifier });
    // Declared while the plugin is still pending (no await): Fastify still applies its hooks here.
    app.get('/early', echo);
    await app.after();
    app.get('/late', echo);
    await app.register(async (child) => child.get('/child', echo));
    for (const url of ['/early', '/late', '/child', '/no-such-route']) {
      expect((await get(app, url)).statusCode, url).toBe(401);
    }
  });

  it('refuses, at startup, a second registration in the same context or a child of it', async () => {
    const same = fastify();
    same.register(scopeguard, { verifier });
    same.register(scopeguard, { verifier });
    await expect(same.ready()).rejects.toThrow(/already registered in this context or an enclosing one/);

    const nested = fastify();
    nested.register(scopeguard, { verifier });
    nested.register(async (child) => {
      await child.register(scopeguard, { verifier, realm: 'child' });
    });
    const error = await nested.ready().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
  });

  it('lets sibling contexts each register it with their own options', async () => {
    const app = fastify();
    await app.register(
      async (a) => {
        await a.register(scopeguard, { issuer: issuer.issuer, audience: 'api://a', realm: 'a' });
        a.get('/me', echo);
      },
      { prefix: '/a' },
    );
    await app.register(
      async (b) => {
        await b.register(scopeguard, { issuer: issuer.issuer, audience: 'api://b', realm: 'b' });
        b.get('/me', echo);
      },
      { prefix: '/b' },
    );
    const forA = await issuer.mint({ aud: 'api://a' });
    expect((await get(app, '/a/me', forA)).statusCode).toBe(200);
    const refused = await get(app, '/b/me', forA);
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer realm="b", error="invalid_token"/);
  });
});

describe('route config', () => {
  it('checks config.scopes when the route is declared: a bad scope name fails at startup', async () => {
    const app = fastify();
    await app.register(scopeguard, { verifier });
    let error: unknown;
    try {
      app.get('/admin', { config: { scopes: ['read write'] } }, echo);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).option).toBe('config.scopes');
    expect((error as ConfigError).message).toContain("pass each one separately: scopes: ['read', 'write']");
    expect((error as ConfigError).message).toContain('(route GET /admin)');

    // Declared in a plugin: the plugin, hence ready() or listen(), fails.
    const other = fastify();
    other.register(scopeguard, { verifier });
    other.register(async (api) => {
      api.get('/x', { config: { anyScopes: [] } }, echo);
    });
    await expect(other.ready()).rejects.toThrow(
      /^config\.anyScopes: must be a non-empty list of scope names/,
    );

    const notAList = fastify();
    await notAList.register(scopeguard, { verifier });
    expect(() =>
      notAList.get('/x', { config: { scopes: 'customScope' as unknown as string[] } }, echo),
    ).toThrow(ConfigError);
  });

  it('enforces config.scopes on routes declared before it loaded, checked at their first request', async () => {
    const app = fastify();
    app.register(scopeguard, { verifier });
    // onRoute does not see these (the plugin has not loaded yet); the authentication hook still does.
    app.get('/early', { config: { scopes: ['customScope'] } }, echo);
    app.get('/broken', { config: { scopes: ['read write'] } }, echo);
    await app.ready();
    expect((await get(app, '/early', await scoped('other'))).statusCode).toBe(403);
    expect((await get(app, '/early', await scoped('customScope'))).statusCode).toBe(200);
    // Fails closed: a bad scope name is a ConfigError through the error handler, never an open route.
    const broken = await get(app, '/broken', await scoped('read', 'write'));
    expect(broken.statusCode).toBe(500);
    expect(app.seen[0]).toBeInstanceOf(ConfigError);
    expect((app.seen[0] as ConfigError).message).toContain('(route GET /broken)');
  });

  it('applies to the HEAD route Fastify adds to a GET route', async () => {
    const app = fastify();
    await app.register(scopeguard, { verifier });
    app.get('/scoped', { config: { scopes: ['customScope'] } }, echo);
    expect((await get(app, '/scoped', await scoped('other'), 'HEAD')).statusCode).toBe(403);
    expect((await get(app, '/scoped', await scoped('customScope'), 'HEAD')).statusCode).toBe(200);
  });

  it("leaves the application's config object untouched, and other config keys readable", async () => {
    const app = fastify();
    await app.register(scopeguard, { verifier });
    const config = { scopes: ['customScope'], rateLimit: 5 };
    app.get('/a', { config }, async (request) => ({ rateLimit: request.routeOptions.config.rateLimit }));
    app.get('/b', { config }, echo);
    expect(Object.getOwnPropertySymbols(config)).toEqual([]);
    expect(Object.keys(config)).toEqual(['scopes', 'rateLimit']);
    expect((await get(app, '/a', await scoped('customScope'))).json()).toEqual({ rateLimit: 5 });
  });
});

declare module 'fastify' {
  interface FastifyContextConfig {
    rateLimit?: number;
  }
}

describe('answers go through reply', () => {
  it('runs onSend and onResponse hooks on refusals', async () => {
    const app = fastify();
    const statuses: number[] = [];
    await app.register(scopeguard, { verifier });
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('x-on-send', 'yes');
      return payload;
    });
    app.addHook('onResponse', async (_request, reply) => {
      statuses.push(reply.statusCode);
    });
    app.get('/scoped', { config: { scopes: ['customScope'] } }, echo);
    const refused = await get(app, '/scoped', await scoped('other'));
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['x-on-send']).toBe('yes');
    expect((await get(app, '/scoped')).headers['x-on-send']).toBe('yes');
    expect(statuses).toEqual([403, 401]);
  });

  it("sends JSON bodies through the route's serializer (a response schema for the status applies)", async () => {
    const app = fastify();
    await app.register(scopeguard, { verifier });
    app.get(
      '/scoped',
      {
        config: { scopes: ['customScope'] },
        schema: { response: { 403: { type: 'object', properties: { error: { type: 'string' } } } } },
      },
      echo,
    );
    const res = await get(app, '/scoped', await scoped('other'));
    expect(res.statusCode).toBe(403);
    // The schema has no error_description: fast-json-stringify left it out, so Fastify serialized it.
    expect(res.json()).toEqual({ error: 'insufficient_scope' });
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
  });

  it('sends what errorBody returns: an object as JSON, a string as text, null as an empty body', async () => {
    for (const [errorBody, type, body] of [
      [
        (failure: { error: string }) => ({ problem: failure.error }),
        'application/json',
        '{"problem":"unauthorized"}',
      ],
      [() => 'go away', 'text/plain', 'go away'],
      [() => null, undefined, ''],
    ] as const) {
      const app = fastify();
      await app.register(scopeguard, { verifier, errorBody });
      app.get('/me', echo);
      const res = await get(app, '/me');
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(res.body).toBe(body);
      if (type === undefined) expect(res.headers['content-type']).toBeUndefined();
      else expect(res.headers['content-type']).toContain(type);
    }
  });

  it("hands an unexpected verifier failure to Fastify's error handler", async () => {
    const broken: Verifier = {
      issuer: issuer.issuer,
      audiences: ['api://default'],
      verify: () => Promise.reject(new Error('boom')),
      refreshKeys: () => Promise.resolve(),
      ready: () => Promise.resolve(),
    } as Verifier;
    const app = fastify();
    await app.register(scopeguard, { verifier: broken });
    app.get('/me', echo);
    const res = await get(app, '/me', 'abc.def.ghi');
    expect(res.statusCode).toBe(500);
    expect(res.json().message).toBe('boom');
    expect(app.seen).toHaveLength(1);
  });

  it('fails at startup with a ConfigError for a bad configuration', async () => {
    for (const options of [
      { issuer: 'http://issuer.example', audience: 'api://default' },
      { verifier, realm: 'a "quoted" realm' },
      { verifier, retryAfter: -1 },
      { verifier, issuer: issuer.issuer, audience: 'api://default' },
    ]) {
      const app = fastify();
      app.register(scopeguard, options as ScopeguardOptions);
      await expect(app.ready()).rejects.toBeInstanceOf(ConfigError);
    }
  });
});

describe('environment configuration', () => {
  function stubEnv(): void {
    vi.stubEnv('SCOPEGUARD_ISSUER', issuer.issuer);
    vi.stubEnv('SCOPEGUARD_AUDIENCE', 'api://other, api://default');
  }

  it('register(scopeguard) without options reads SCOPEGUARD_* when the plugin loads', async () => {
    stubEnv();
    const app = fastify();
    await app.register(scopeguard);
    app.get('/scoped', { config: { scopes: ['customScope'] } }, echo);
    expect((await get(app, '/scoped')).statusCode).toBe(401);
    expect((await get(app, '/scoped', await scoped('other'))).statusCode).toBe(403);
    expect((await get(app, '/scoped', await scoped('customScope'))).statusCode).toBe(200);
  });

  it('register(scopeguard) without options nor environment fails at startup, naming SCOPEGUARD_ISSUER', async () => {
    const app = fastify();
    app.register(scopeguard, { realm: 'api' });
    const error = await app.ready().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).option).toBe('SCOPEGUARD_ISSUER');
    expect((error as ConfigError).message).toContain('fastify.register(scopeguard, { ... })');

    vi.stubEnv('SCOPEGUARD_ISSUER', issuer.issuer);
    const partial = fastify();
    partial.register(scopeguard);
    await expect(partial.ready()).rejects.toThrow(/^SCOPEGUARD_AUDIENCE: /);
  });

  it('requireScope on its own authenticates from SCOPEGUARD_*, sets request.auth and checks the scope', async () => {
    stubEnv();
    const app = fastify();
    app.get('/scoped', { preHandler: requireScope('customScope') }, echo);
    const token = await scoped('customScope');
    expect((await get(app, '/scoped', token)).json().auth.token).toBe(token);
    const lacking = await get(app, '/scoped', await scoped('other'));
    expect(lacking.statusCode).toBe(403);
    expect(lacking.headers['www-authenticate']).toMatch(/scope="customScope"$/);
    expect((await get(app, '/scoped')).headers['www-authenticate']).toBe('Bearer realm="api"');
    const twice = await app.inject({
      url: '/scoped',
      // light-my-request sends a list as repeated field lines (its types say string only).
      headers: { authorization: [`Bearer ${token}`, 'Basic x'] } as unknown as Record<string, string>,
    });
    expect(twice.statusCode).toBe(400);
  });

  it('requireScope on its own reads the environment at the first request (dotenv after the routes)', async () => {
    const app = fastify();
    app.get('/scoped', { preHandler: requireScope('customScope') }, echo);
    await app.ready();
    stubEnv();
    expect((await get(app, '/scoped', await scoped('customScope'))).statusCode).toBe(200);
  });

  it("requireScope without the plugin nor environment sends a ConfigError to Fastify's error handler", async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const app = fastify();
      app.get('/scoped', { preHandler: requireScope('customScope') }, echo);
      const res = await get(app, '/scoped', await scoped('customScope'));
      expect(res.statusCode).toBe(500);
      expect(res.json().message).toMatch(/^SCOPEGUARD_ISSUER: is not set and scopeguard is not registered/);
      expect(app.seen[0]).toBeInstanceOf(ConfigError);
    } finally {
      warn.mockRestore();
    }
  });

  it('requireScope prefers the plugin of its context over the environment', async () => {
    vi.stubEnv('SCOPEGUARD_ISSUER', issuer.issuer);
    vi.stubEnv('SCOPEGUARD_AUDIENCE', 'api://nobody');
    const app = fastify();
    await app.register(scopeguard, { verifier });
    app.get('/scoped', { preHandler: requireScope('customScope') }, echo);
    expect((await get(app, '/scoped', await scoped('customScope'))).statusCode).toBe(200);
  });
});

describe('requireScope', () => {
  it('checks the token the plugin verified, never what application code put in request.auth', async () => {
    const app = fastify();
    await app.register(scopeguard, { verifier, optional: true });
    app.addHook('onRequest', async (request: FastifyRequest) => {
      request.auth = { scopes: ['admin'] } as unknown as NonNullable<FastifyRequest['auth']>;
    });
    app.get('/admin', { preHandler: requireScope('admin') }, echo);
    const res = await get(app, '/admin');
    expect(res.statusCode).toBe(401);
    expect((await get(app, '/admin', await scoped('other'))).statusCode).toBe(403);
  });

  it("answers with its own realm and error body when given, else the plugin's", async () => {
    const app = fastify();
    await app.register(scopeguard, { verifier, realm: 'plugin' });
    app.get(
      '/own',
      { preHandler: requireScope({ allOf: ['a'], realm: 'own', errorBody: () => 'no' }) },
      echo,
    );
    app.get('/inherited', { preHandler: requireScope('a') }, echo);
    const token = await scoped('other');
    const own = await get(app, '/own', token);
    expect(own.headers['www-authenticate']).toMatch(/^Bearer realm="own", error="insufficient_scope"/);
    expect(own.body).toBe('no');
    expect((await get(app, '/inherited', token)).headers['www-authenticate']).toMatch(
      /^Bearer realm="plugin"/,
    );
  });

  it("throws a ConfigError at creation for a bad scope name, pointing requireScope('read write') to requireScope('read', 'write')", () => {
    expect(() => requireScope('read write')).toThrow("requireScope('read', 'write')");
    expect(() => requireScope()).toThrow(ConfigError);
    expect(() => requireScope({})).toThrow(ConfigError);
  });
});

describe('other token locations (RFC 6750 §2.2, §2.3)', () => {
  it('with allowBodyToken, reads a form body (authenticating once it is parsed) and refuses a token sent twice', async () => {
    const app = fastify();
    await app.register(formbody);
    await app.register(scopeguard, { verifier, allowBodyToken: true });
    app.post('/me', echo);
    const token = await scoped('x');
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const ok = await app.inject({
      method: 'POST',
      url: '/me',
      headers: form,
      payload: `access_token=${token}`,
    });
    expect(ok.json().auth.token).toBe(token);
    const twice = await app.inject({
      method: 'POST',
      url: '/me',
      headers: { ...form, ...bearer(token) },
      payload: `access_token=${token}`,
    });
    expect(twice.statusCode).toBe(400);
  });

  it('reads the query only with allowQueryToken', async () => {
    const token = await scoped('x');
    for (const [allowQueryToken, status] of [
      [false, 401],
      [true, 200],
    ] as const) {
      const app = fastify();
      await app.register(scopeguard, { verifier, allowQueryToken });
      app.get('/me', echo);
      expect((await get(app, `/me?access_token=${token}`)).statusCode).toBe(status);
    }
  });
});

describe('module shapes', () => {
  it('exports the plugin as default and as scopeguard; register(import(...)) works', async () => {
    expect(scopeguardDefault).toBe(scopeguard);
    const app = fastify();
    await app.register(import('@scopeguard/fastify'), { verifier });
    app.get('/me', echo);
    expect((await get(app, '/me')).statusCode).toBe(401);
  });
});
