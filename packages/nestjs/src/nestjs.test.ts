import { type IncomingHttpHeaders, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ArgumentsHost,
  Catch,
  Controller,
  type ExceptionFilter,
  ForbiddenException,
  Get,
  HttpCode,
  HttpException,
  type INestApplication,
  Module,
  type ModuleMetadata,
  Post,
  type Type,
  UnauthorizedException,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ConfigError, createVerifier, type Verifier } from '@scopeguard/core';
import { authenticate, requireAnyScope, requireScope } from '@scopeguard/express';
import {
  Auth,
  type AuthInfo,
  Public,
  RequireAnyScope,
  RequireScope,
  ScopeguardException,
  ScopeguardGuard,
  ScopeguardModule,
  type ScopeguardModuleOptions,
} from '@scopeguard/nestjs';
import type { AuthRefused } from '@scopeguard/http';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { scopeguardException } from './exception.js';

/** What a guarded route answers: the `@Auth()` value, as the contract's `MeBody`. */
function me(auth: AuthInfo | undefined) {
  return { auth: auth ? { clientId: auth.clientId ?? null, scopes: [...auth.scopes] } : null };
}

@Controller()
class HealthController {
  @Get('health')
  @Public()
  health() {
    return { ok: true };
  }
}

@Controller()
class MeController {
  @Get('me')
  get(@Auth() auth: AuthInfo | undefined) {
    return me(auth);
  }

  @Post('me')
  @HttpCode(200)
  post(@Auth() auth: AuthInfo | undefined) {
    return me(auth);
  }

  @Get('scoped')
  @RequireScope('customScope')
  scoped(@Auth() auth: AuthInfo) {
    return me(auth);
  }

  @Get('any-scope')
  @RequireAnyScope('read', 'write')
  anyScope(@Auth() auth: AuthInfo) {
    return me(auth);
  }

  @Get('client')
  client(@Auth('clientId') clientId: string | undefined, @Auth('scopes') scopes: readonly string[]) {
    return { clientId, scopes };
  }
}

@Controller('admin')
@RequireScope('admin')
class AdminController {
  @Get()
  classOnly() {
    return { ok: true };
  }

  @Get('audit')
  @RequireScope('audit')
  classAndHandler() {
    return { ok: true };
  }
}

@Controller('guarded')
@UseGuards(ScopeguardGuard)
class GuardedController {
  @Get()
  get(@Auth() auth: AuthInfo) {
    return me(auth);
  }

  @Get('scoped')
  @RequireScope('customScope')
  scoped(@Auth() auth: AuthInfo) {
    return me(auth);
  }

  @Get('open')
  @Public()
  open(@Auth() auth: AuthInfo | undefined) {
    return { auth: auth ?? null };
  }
}

@Controller('unguarded')
class UnguardedController {
  @Get()
  get() {
    return { ok: true };
  }

  @Get('auth')
  auth(@Auth() auth: AuthInfo | undefined) {
    return me(auth);
  }
}

const platforms = ['express', 'fastify'] as const;
type Platform = (typeof platforms)[number];

const apps: INestApplication[] = [];

/** Starts a Nest app of `imports` + `controllers` on 127.0.0.1:0 and returns its base URL. */
async function start(
  platform: Platform,
  imports: NonNullable<ModuleMetadata['imports']>,
  controllers: Type[],
  setup?: (app: INestApplication) => void,
): Promise<string> {
  @Module({ imports, controllers })
  class AppModule {}
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(AppModule, adapter, { logger: false });
  apps.push(app);
  setup?.(app);
  await app.listen(0, '127.0.0.1');
  return baseUrl(app.getHttpServer() as Server);
}

function baseUrl(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every `WWW-Authenticate` field line, as received. */
  challenges: string[];
  body: string;
}

/**
 * One request over a fresh socket, each `[name, value]` sent as its own header field line (a list sends
 * one line per value: the only way to send a repeated header).
 */
function call(
  url: string,
  path: string,
  headers: Record<string, string | string[]> = {},
  options: { method?: string; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: options.method ?? 'GET',
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => {
          const challenges: string[] = [];
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            if (res.rawHeaders[i]?.toLowerCase() === 'www-authenticate')
              challenges.push(res.rawHeaders[i + 1] as string);
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, challenges, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    req.end(options.body);
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const json = (answer: Answer): unknown => JSON.parse(answer.body);

let issuer: TestIssuer;
let options: ScopeguardModuleOptions;

beforeAll(async () => {
  issuer = await createTestIssuer();
  options = { issuer: issuer.issuer, audience: 'api://default' };
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

afterAll(async () => {
  await issuer.close();
});

describe('the same answers as @scopeguard/express', () => {
  let expressUrl: string;
  let expressServer: Server;
  let down: TestIssuer;

  beforeAll(async () => {
    down = await createTestIssuer();
    down.setJwksFault({ kind: 'status', status: 500 });
    const app = express();
    const guard = authenticate({ issuer: issuer.issuer, audience: 'api://default' });
    app.get('/me', guard, (req, res) => res.json(me(req.auth)));
    app.get('/scoped', guard, requireScope('customScope'), (req, res) => res.json(me(req.auth)));
    app.get('/any-scope', guard, requireAnyScope('read', 'write'), (req, res) => res.json(me(req.auth)));
    expressServer = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => expressServer.once('listening', resolve));
    expressUrl = baseUrl(expressServer);
  });

  afterAll(async () => {
    expressServer.closeAllConnections();
    await new Promise((resolve) => expressServer.close(resolve));
    await down.close();
  });

  /** Status, every challenge line, the caching and retry headers, the content type and the body. */
  const shape = (answer: Answer) => ({
    status: answer.status,
    challenges: answer.challenges,
    cacheControl: answer.headers['cache-control'],
    retryAfter: answer.headers['retry-after'],
    contentType: answer.headers['content-type'],
    body: answer.body,
  });

  it.for(platforms)(
    'on %s: no token, malformed, two headers, bad, expired, foreign, scopes, success',
    async (platform) => {
      const nest = await start(
        platform,
        [ScopeguardModule.forRoot({ ...options, globalGuard: true })],
        [MeController],
      );
      const good = await issuer.mint({ scp: ['customScope', 'write'], cid: 'svc' });
      const cases: [string, Record<string, string | string[]>][] = [
        ['/me', {}],
        ['/me', { authorization: 'Basic dXNlcjpwYXNz' }],
        ['/me', { authorization: 'Bearer' }],
        ['/me', { authorization: 'Bearer a b' }],
        ['/me', { authorization: ['Basic dXNlcjpwYXNz', `Bearer ${good}`] }],
        ['/me', { authorization: [`Bearer ${good}`, `Bearer ${good}`] }],
        ['/me', bearer('not-a-jwt')],
        ['/me', bearer(await issuer.mint({}, { expiresIn: -60 }))],
        ['/me', bearer(await issuer.mint({}, { foreignKey: true }))],
        ['/me', bearer(await issuer.mint({ aud: 'api://other' }))],
        ['/scoped', bearer(await issuer.mint({ scp: ['other'] }))],
        ['/any-scope', bearer(await issuer.mint({ scp: ['other'] }))],
        ['/scoped', bearer(good)],
        ['/any-scope', bearer(good)],
        ['/me', bearer(good)],
      ];
      const statuses: number[] = [];
      for (const [path, headers] of cases) {
        const [fromNest, fromExpress] = await Promise.all([
          call(nest, path, headers),
          call(expressUrl, path, headers),
        ]);
        expect(shape(fromNest), `${path} ${JSON.stringify(headers)}`).toEqual(shape(fromExpress));
        statuses.push(fromNest.status);
      }
      expect(statuses).toEqual([401, 401, 400, 400, 400, 400, 401, 401, 401, 401, 403, 403, 200, 200, 200]);
    },
  );

  it.for(platforms)(
    'on %s: 503 with Retry-After when the keys cannot be fetched (cold cache)',
    async (platform) => {
      const config = { issuer: down.issuer, audience: 'api://default', retryAfter: 30 };
      const nest = await start(
        platform,
        [ScopeguardModule.forRoot({ ...config, globalGuard: true })],
        [MeController],
      );
      const app = express().get('/me', authenticate(config), (req, res) => res.json(me(req.auth)));
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      try {
        const headers = bearer(await down.mint());
        const [fromNest, fromExpress] = await Promise.all([
          call(nest, '/me', headers),
          call(baseUrl(server), '/me', headers),
        ]);
        expect(fromNest.status).toBe(503);
        expect(fromNest.headers['retry-after']).toBe('30');
        expect(fromNest.challenges).toEqual([]);
        expect(json(fromNest)).toMatchObject({ error: 'temporarily_unavailable' });
        expect(shape(fromNest)).toEqual(shape(fromExpress));
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  );

  it.for(platforms)('on %s: a text or empty errorBody is sent as the layer renders it', async (platform) => {
    const text = await start(
      platform,
      [
        ScopeguardModule.forRoot({
          ...options,
          globalGuard: true,
          errorBody: (failure) => `refused: ${failure.error}`,
        }),
      ],
      [MeController],
    );
    const answer = await call(text, '/me');
    expect(answer).toMatchObject({
      status: 401,
      body: 'refused: unauthorized',
      challenges: ['Bearer realm="api"'],
    });
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-store');
    await Promise.all(apps.splice(0).map((app) => app.close()));

    const empty = await start(
      platform,
      [ScopeguardModule.forRoot({ ...options, globalGuard: true, errorBody: () => null })],
      [MeController],
    );
    const none = await call(empty, '/me', bearer('not-a-jwt'));
    expect(none).toMatchObject({ status: 401, body: '' });
    expect(none.challenges).toEqual([expect.stringContaining('error="invalid_token"')]);
    expect(none.headers['content-length']).toBe('0');
    expect(none.headers['content-type']).toBeUndefined();
  });
});

describe.for(platforms)('on Nest with %s', (platform) => {
  it('guards every route with globalGuard, except @Public() ones', async () => {
    const url = await start(
      platform,
      [ScopeguardModule.forRoot({ ...options, globalGuard: true })],
      [HealthController, MeController],
    );
    expect(await call(url, '/health')).toMatchObject({ status: 200, body: '{"ok":true}' });
    const refused = await call(url, '/me');
    expect(refused.status).toBe(401);
    expect(refused.challenges).toEqual(['Bearer realm="api"']);
    const token = await issuer.mint({ scp: ['a', 'b'], cid: 'svc' });
    const ok = await call(url, '/me', bearer(token));
    expect(json(ok)).toEqual({ auth: { clientId: 'svc', scopes: ['a', 'b'] } });
    // A public route reads no token, even a bad one.
    expect((await call(url, '/health', bearer('not-a-jwt'))).status).toBe(200);
  });

  it('guards the routes of a controller with @UseGuards(ScopeguardGuard) only', async () => {
    const url = await start(
      platform,
      [ScopeguardModule.forRoot(options)],
      [GuardedController, UnguardedController],
    );
    expect((await call(url, '/unguarded')).status).toBe(200);
    expect((await call(url, '/guarded')).status).toBe(401);
    expect(await call(url, '/guarded/open')).toMatchObject({ status: 200, body: '{"auth":null}' });
    const token = await issuer.mint({ scp: ['other'], cid: 'svc' });
    expect(json(await call(url, '/guarded', bearer(token)))).toEqual({
      auth: { clientId: 'svc', scopes: ['other'] },
    });
    const scoped = await call(url, '/guarded/scoped', bearer(token));
    expect(scoped.status).toBe(403);
    expect(scoped.challenges).toEqual([
      'Bearer realm="api", error="insufficient_scope", error_description="This resource requires the scope: customScope", scope="customScope"',
    ]);
  });

  it('checks a @RequireScope route even without a global guard or @UseGuards', async () => {
    const url = await start(platform, [ScopeguardModule.forRoot(options)], [MeController, AdminController]);
    expect((await call(url, '/scoped')).status).toBe(401);
    expect((await call(url, '/any-scope', bearer(await issuer.mint({ scp: ['other'] })))).status).toBe(403);
    expect((await call(url, '/admin')).status).toBe(401);
    expect((await call(url, '/admin', bearer(await issuer.mint({ scp: ['admin'] })))).status).toBe(200);
    const token = await issuer.mint({ scp: ['customScope'], cid: 'svc' });
    expect(json(await call(url, '/scoped', bearer(token)))).toEqual({
      auth: { clientId: 'svc', scopes: ['customScope'] },
    });
  });

  it("works as the application's own APP_GUARD provider (useClass)", async () => {
    @Module({ providers: [{ provide: APP_GUARD, useClass: ScopeguardGuard }] })
    class GuardModule {}
    const url = await start(
      platform,
      [ScopeguardModule.forRoot({ ...options, realm: 'own' }), GuardModule],
      [HealthController, MeController],
    );
    expect((await call(url, '/health')).status).toBe(200);
    expect((await call(url, '/me')).challenges).toEqual(['Bearer realm="own"']);
    const token = await issuer.mint({ scp: [], cid: 'svc' });
    expect(json(await call(url, '/me', bearer(token)))).toEqual({ auth: { clientId: 'svc', scopes: [] } });
  });

  it('@RequireScope needs every scope; class and handler rules both apply', async () => {
    const url = await start(
      platform,
      [ScopeguardModule.forRoot({ ...options, globalGuard: true })],
      [MeController, AdminController],
    );
    const token = (scp: string[]) => issuer.mint({ scp });
    expect((await call(url, '/scoped', bearer(await token(['customScope'])))).status).toBe(200);
    const missing = await call(url, '/scoped', bearer(await token(['customScope2'])));
    expect(missing.status).toBe(403);
    expect(json(missing)).toEqual({
      error: 'insufficient_scope',
      error_description: 'This resource requires the scope: customScope',
    });
    expect((await call(url, '/admin', bearer(await token(['admin'])))).status).toBe(200);
    const adminOnly = await call(url, '/admin/audit', bearer(await token(['admin'])));
    expect(adminOnly.status).toBe(403);
    expect(adminOnly.challenges[0]).toContain('scope="audit"');
    const auditOnly = await call(url, '/admin/audit', bearer(await token(['audit'])));
    expect(auditOnly.status).toBe(403);
    expect(auditOnly.challenges[0]).toContain('scope="admin"');
    expect((await call(url, '/admin/audit', bearer(await token(['audit', 'admin'])))).status).toBe(200);
  });

  it('@RequireAnyScope needs one of the scopes and says so', async () => {
    const url = await start(
      platform,
      [ScopeguardModule.forRoot({ ...options, globalGuard: true })],
      [MeController],
    );
    expect((await call(url, '/any-scope', bearer(await issuer.mint({ scp: ['write'] })))).status).toBe(200);
    expect((await call(url, '/any-scope', bearer(await issuer.mint({ scp: ['read'] })))).status).toBe(200);
    const none = await call(url, '/any-scope', bearer(await issuer.mint({ scp: ['admin'] })));
    expect(none.status).toBe(403);
    expect(json(none)).toEqual({
      error: 'insufficient_scope',
      error_description: 'This resource requires one of these scopes: read, write',
    });
    expect(none.challenges[0]).toContain('scope="read write"');
  });

  it('@Auth() gives the verified token, @Auth(property) one of its fields', async () => {
    const url = await start(
      platform,
      [ScopeguardModule.forRoot({ ...options, globalGuard: true })],
      [MeController],
    );
    const token = await issuer.mint({ scp: ['x', 'y'], cid: 'client-1' });
    expect(json(await call(url, '/client', bearer(token)))).toEqual({
      clientId: 'client-1',
      scopes: ['x', 'y'],
    });
  });

  it('@Auth() on a route no ScopeguardGuard protects is an error (500), not an anonymous request', async () => {
    const url = await start(platform, [ScopeguardModule.forRoot(options)], [UnguardedController]);
    const token = await issuer.mint();
    const answer = await call(url, '/unguarded/auth', bearer(token));
    expect(answer.status).toBe(500);
    expect(answer.body).not.toContain(token);
  });

  it('with optional, lets a request without a token through, and still refuses bad tokens', async () => {
    const url = await start(
      platform,
      [ScopeguardModule.forRoot({ ...options, optional: true, globalGuard: true })],
      [MeController],
    );
    expect(await call(url, '/me')).toMatchObject({ status: 200, body: '{"auth":null}' });
    const scoped = await call(url, '/scoped');
    expect(scoped.status).toBe(401);
    expect(scoped.challenges).toEqual(['Bearer realm="api"']);
    expect((await call(url, '/me', bearer('not-a-jwt'))).status).toBe(401);
    expect((await call(url, '/me', { authorization: 'Bearer' })).status).toBe(400);
    const good = await issuer.mint({ cid: 'svc', scp: ['s'] });
    expect(
      (await call(url, '/me', { authorization: ['Basic dXNlcjpwYXNz', `Bearer ${good}`] })).status,
      'two Authorization headers are malformed, also when optional',
    ).toBe(400);
    expect(json(await call(url, '/me', bearer(good)))).toEqual({ auth: { clientId: 'svc', scopes: ['s'] } });
  });

  it('answers 400 to two Authorization headers (F5): Basic + valid Bearer, and two Bearer tokens', async () => {
    const url = await start(
      platform,
      [ScopeguardModule.forRoot({ ...options, globalGuard: true })],
      [MeController],
    );
    const [u1, u2] = await Promise.all([issuer.mint({ cid: 'u1' }), issuer.mint({ cid: 'u2' })]);
    for (const authorization of [
      ['Basic dXNlcjpwYXNz', `Bearer ${u1}`],
      [`Bearer ${u1}`, `Bearer ${u2}`],
      [`Bearer ${u1}`, `Bearer ${u1}`],
    ]) {
      const answer = await call(url, '/me', { authorization });
      expect(answer.status).toBe(400);
      expect(json(answer)).toMatchObject({ error: 'invalid_request' });
      expect(answer.challenges[0]).toContain('error="invalid_request"');
      expect(answer.body).not.toContain('u1');
    }
  });

  it('reads a form-body token with allowBodyToken, and only then', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const token = await issuer.mint({ cid: 'svc', scp: [] });
    const body = `access_token=${encodeURIComponent(token)}`;
    const off = await start(
      platform,
      [ScopeguardModule.forRoot({ ...options, globalGuard: true })],
      [MeController],
    );
    expect((await call(off, '/me', form, { method: 'POST', body })).status).toBe(401);
    await Promise.all(apps.splice(0).map((app) => app.close()));
    const on = await start(
      platform,
      [ScopeguardModule.forRoot({ ...options, allowBodyToken: true, globalGuard: true })],
      [MeController],
    );
    expect(json(await call(on, '/me', form, { method: 'POST', body }))).toEqual({
      auth: { clientId: 'svc', scopes: [] },
    });
    expect((await call(on, '/me', { ...form, ...bearer(token) }, { method: 'POST', body })).status).toBe(400);
  });

  it("lets the user's own exception filters see a meaningful exception, challenges kept", async () => {
    const seen: unknown[] = [];
    @Catch(HttpException)
    class MyFilter implements ExceptionFilter {
      catch(exception: HttpException, host: ArgumentsHost) {
        seen.push(exception);
        const response = host.switchToHttp().getResponse<{ status?: unknown; code?: unknown }>();
        const reply = (typeof response.code === 'function' ? response.code : response.status) as (
          this: unknown,
          status: number,
        ) => { send(body: string): void };
        reply.call(response, exception.getStatus()).send(`mine: ${exception.message}`);
      }
    }
    @Controller()
    @UseFilters(MyFilter)
    class FilteredController {
      @Get('scoped')
      @RequireScope('customScope')
      scoped() {
        return { ok: true };
      }
    }
    const url = await start(
      platform,
      [ScopeguardModule.forRoot({ ...options, globalGuard: true })],
      [FilteredController],
    );
    const answer = await call(url, '/scoped', bearer(await issuer.mint({ scp: ['other'] })));
    expect(answer.status).toBe(403);
    expect(answer.body).toBe('mine: This resource requires the scope: customScope');
    expect(answer.challenges).toEqual([expect.stringContaining('error="insufficient_scope"')]);
    expect(answer.headers['cache-control']).toBe('no-store');

    const unauthorized = await call(url, '/scoped', bearer('not-a-jwt'));
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.challenges).toEqual([expect.stringContaining('error="invalid_token"')]);

    const [forbidden, invalid] = seen;
    expect(forbidden).toBeInstanceOf(ScopeguardException);
    expect(forbidden).toBeInstanceOf(ForbiddenException);
    expect(invalid).toBeInstanceOf(UnauthorizedException);
    const exception = forbidden as ScopeguardException;
    expect(exception.getStatus()).toBe(403);
    expect(exception.getResponse()).toEqual({
      error: 'insufficient_scope',
      error_description: 'This resource requires the scope: customScope',
    });
    expect(exception.failure).toMatchObject({ code: 'insufficient_scope', requiredScopes: ['customScope'] });
    expect(exception.answer.status).toBe(403);
    expect((invalid as ScopeguardException).failure.code).toBe('token_malformed');
    expect((invalid as ScopeguardException).cause).toMatchObject({
      name: 'TokenError',
      code: 'token_malformed',
    });
  });

  it('a global filter of the application (useGlobalFilters) sees the exception before the module', async () => {
    const seen: unknown[] = [];
    @Catch()
    class CatchAll implements ExceptionFilter {
      catch(exception: unknown, host: ArgumentsHost) {
        seen.push(exception);
        const response = host.switchToHttp().getResponse<{ status?: unknown; code?: unknown }>();
        const reply = (typeof response.code === 'function' ? response.code : response.status) as (
          this: unknown,
          status: number,
        ) => { send(body: string): void };
        reply.call(response, 418).send('teapot');
      }
    }
    const url = await start(
      platform,
      [ScopeguardModule.forRoot({ ...options, globalGuard: true })],
      [MeController],
      (app) => app.useGlobalFilters(new CatchAll()),
    );
    const answer = await call(url, '/me');
    expect(answer).toMatchObject({ status: 418, body: 'teapot', challenges: ['Bearer realm="api"'] });
    expect(seen[0]).toBeInstanceOf(ScopeguardException);
  });

  it('takes its options from ConfigService through forRootAsync', async () => {
    const url = await start(
      platform,
      [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          load: [() => ({ OKTA_ISSUER: issuer.issuer, OKTA_AUDIENCE: 'api://default', REALM: 'orders' })],
        }),
        ScopeguardModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            issuer: config.getOrThrow<string>('OKTA_ISSUER'),
            audience: config.getOrThrow<string>('OKTA_AUDIENCE'),
            realm: config.getOrThrow<string>('REALM'),
          }),
          globalGuard: true,
        }),
      ],
      [HealthController, MeController],
    );
    expect((await call(url, '/health')).status).toBe(200);
    expect((await call(url, '/me')).challenges).toEqual(['Bearer realm="orders"']);
    const token = await issuer.mint({ cid: 'svc', scp: ['customScope'] });
    expect(json(await call(url, '/scoped', bearer(token)))).toEqual({
      auth: { clientId: 'svc', scopes: ['customScope'] },
    });
  });

  it('fails at startup on a bad configuration from the factory', async () => {
    @Module({
      imports: [
        ScopeguardModule.forRootAsync({
          useFactory: async () => ({ issuer: 'http://issuer.example.com', audience: 'api://default' }),
        }),
      ],
    })
    class BadModule {}
    await expect(
      NestFactory.create(BadModule, platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), {
        logger: false,
        abortOnError: false,
      }),
    ).rejects.toThrow(ConfigError);
  });

  it('reads SCOPEGUARD_ISSUER / SCOPEGUARD_AUDIENCE with forRoot() and no verifier options', async () => {
    vi.stubEnv('SCOPEGUARD_ISSUER', issuer.issuer);
    vi.stubEnv('SCOPEGUARD_AUDIENCE', 'api://other, api://default');
    const url = await start(platform, [ScopeguardModule.forRoot({ globalGuard: true })], [MeController]);
    expect((await call(url, '/me')).status).toBe(401);
    const token = await issuer.mint({ cid: 'svc', scp: [] });
    expect(json(await call(url, '/me', bearer(token)))).toEqual({ auth: { clientId: 'svc', scopes: [] } });
  });

  it('reads the environment in a @UseGuards(ScopeguardGuard) without any ScopeguardModule', async () => {
    vi.stubEnv('SCOPEGUARD_ISSUER', issuer.issuer);
    vi.stubEnv('SCOPEGUARD_AUDIENCE', 'api://default');
    const url = await start(platform, [], [GuardedController]);
    const token = await issuer.mint({ cid: 'svc', scp: ['customScope'] });
    expect(json(await call(url, '/guarded/scoped', bearer(token)))).toEqual({
      auth: { clientId: 'svc', scopes: ['customScope'] },
    });
    const missing = await call(url, '/guarded/scoped', bearer(await issuer.mint({ scp: [] })));
    expect(missing.status).toBe(403);
    expect(missing.challenges[0]).toContain('scope="customScope"');
    expect(json(missing)).toMatchObject({ error: 'insufficient_scope' });
  });

  it('verifies the token once when a global guard and @UseGuards both run', async () => {
    const verifier = createVerifier({ issuer: issuer.issuer, audience: 'api://default' });
    const verify = vi.spyOn(verifier, 'verify');
    const url = await start(
      platform,
      [ScopeguardModule.forRoot({ verifier, globalGuard: true })],
      [GuardedController],
    );
    const token = await issuer.mint({ scp: ['customScope'], cid: 'svc' });
    expect((await call(url, '/guarded/scoped', bearer(token))).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it("hands an unexpected verifier error to Nest's exception layer (500), never a 401", async () => {
    const broken: Verifier = {
      ...createVerifier({ issuer: issuer.issuer, audience: 'api://default' }),
      verify: () => Promise.reject(new TypeError('boom')),
    };
    const url = await start(
      platform,
      [ScopeguardModule.forRoot({ verifier: broken, globalGuard: true })],
      [MeController],
    );
    const answer = await call(url, '/me', bearer(await issuer.mint()));
    expect(answer.status).toBe(500);
    expect(answer.challenges).toEqual([]);
  });
});

describe.for(platforms)("the module's exception filter on %s", (platform) => {
  it('sends several challenges as separate WWW-Authenticate field lines', async () => {
    // Today the layer sends one challenge; DPoP (RFC 9449 §7.1) adds a second one. This refusal is built by hand.
    const challenges = ['Bearer realm="api"', 'DPoP algs="ES256", error="invalid_token"'];
    const refused: AuthRefused = {
      ok: false,
      failure: { status: 401, error: 'invalid_token', description: 'The token has expired' },
      answer: {
        status: 401,
        headers: {
          'WWW-Authenticate': challenges,
          'Cache-Control': 'no-store',
          'Content-Type': 'application/json; charset=utf-8',
        },
        body: '{"error":"invalid_token"}',
      },
    };
    @Controller()
    class ThrowingController {
      @Get('twice')
      twice() {
        throw scopeguardException(refused);
      }
    }
    const url = await start(platform, [ScopeguardModule.forRoot(options)], [ThrowingController]);
    const answer = await call(url, '/twice');
    expect(answer).toMatchObject({ status: 401, challenges, body: '{"error":"invalid_token"}' });
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  });
});

describe('configuration read at the first request', () => {
  it('answers 500 through Nest, warns once, and works once the environment is set', async () => {
    vi.stubEnv('SCOPEGUARD_ISSUER', '');
    vi.stubEnv('SCOPEGUARD_AUDIENCE', '');
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const url = await start('express', [ScopeguardModule.forRoot({ globalGuard: true })], [MeController]);
    const token = await issuer.mint({ cid: 'svc', scp: [] });
    expect((await call(url, '/me', bearer(token))).status).toBe(500);
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining('SCOPEGUARD_ISSUER: is not set and ScopeguardModule got no verifier options'),
      expect.objectContaining({ code: 'SCOPEGUARD_CONFIG' }),
    );
    vi.stubEnv('SCOPEGUARD_ISSUER', issuer.issuer);
    vi.stubEnv('SCOPEGUARD_AUDIENCE', 'api://default');
    expect((await call(url, '/me', bearer(token))).status).toBe(200);
  });

  it('throws a ConfigError at startup when a SCOPEGUARD_* variable is set but incomplete', async () => {
    vi.stubEnv('SCOPEGUARD_ISSUER', issuer.issuer);
    vi.stubEnv('SCOPEGUARD_AUDIENCE', '');
    expect(() => ScopeguardModule.forRoot()).not.toThrow();
    @Module({ imports: [ScopeguardModule.forRoot()] })
    class EnvModule {}
    await expect(NestFactory.create(EnvModule, { logger: false, abortOnError: false })).rejects.toThrow(
      /SCOPEGUARD_AUDIENCE/,
    );
  });
});

describe('scope decorators', () => {
  it('refuse invalid scope names when the class is defined, suggesting the fix', () => {
    expect(() => RequireScope('read write')).toThrow(/@RequireScope\('read', 'write'\)/);
    expect(() => RequireAnyScope()).toThrow(ConfigError);
    expect(() => RequireScope({})).toThrow(ConfigError);
    expect(() => RequireScope('a"b')).toThrow(ConfigError);
  });
});
