// RFC 9728 through ScopeguardModule, on Nest with Express and with Fastify, over real loopback HTTP.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  Auth,
  type AuthInfo,
  RequireAnyScope,
  RequireScope,
  ScopeguardModule,
  type ScopeguardModuleOptions,
} from '@scopeguard/nestjs';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const RESOURCE = 'http://127.0.0.1/api';
const PATH = '/.well-known/oauth-protected-resource/api';
const METADATA_URL = `http://127.0.0.1${PATH}`;

@Controller('orders')
@RequireScope('orders:read')
class OrdersController {
  @Get()
  list(@Auth() auth: AuthInfo) {
    return { client: auth.clientId ?? null };
  }

  @Get('admin')
  @RequireAnyScope('admin', 'orders:write')
  admin(@Auth() auth: AuthInfo) {
    return { client: auth.clientId ?? null };
  }
}

let issuer: TestIssuer;
const apps: INestApplication[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false });
});

afterAll(async () => {
  await issuer.close();
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(platform: 'express' | 'fastify', extra: Partial<ScopeguardModuleOptions> = {}) {
  const options = {
    issuer: issuer.issuer,
    resource: RESOURCE,
    fetch: issuer.fetch,
    globalGuard: true,
    ...extra,
  };
  @Module({
    imports: [ScopeguardModule.forRoot(options as ScopeguardModuleOptions)],
    controllers: [OrdersController],
  })
  class AppModule {}
  const app = await NestFactory.create(
    AppModule,
    platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    { logger: false },
  );
  apps.push(app);
  app.setGlobalPrefix('v1');
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
}

describe.for(['express', 'fastify'] as const)(
  'ScopeguardModule serves RFC 9728 metadata on %s',
  (platform) => {
    it('at the metadata path (outside the global prefix, no token), with the controllers’ scopes', async () => {
      const base = await start(platform);
      const response = await fetch(`${base}${PATH}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json(;|$)/);
      expect(response.headers.get('cache-control')).toBe('max-age=3600');
      expect(await response.json()).toEqual({
        resource: RESOURCE,
        authorization_servers: [issuer.issuer],
        scopes_supported: ['admin', 'orders:read', 'orders:write'],
        bearer_methods_supported: ['header'],
      });
      const head = await fetch(`${base}${PATH}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    });

    it('puts resource_metadata on the 401 and 403 challenges', async () => {
      const base = await start(platform);
      const none = await fetch(`${base}/v1/orders`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe(
        `Bearer realm="api", resource_metadata="${METADATA_URL}"`,
      );
      const token = await issuer.mint({ aud: RESOURCE }, { scopes: ['orders:read'] });
      const forbidden = await fetch(`${base}/v1/orders/admin`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers.get('www-authenticate')).toContain(`resource_metadata="${METADATA_URL}"`);
      expect(
        (await fetch(`${base}/v1/orders`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(200);
    });

    it('serves nothing with resourceMetadata: false', async () => {
      const base = await start(platform, { resourceMetadata: false });
      expect((await fetch(`${base}${PATH}`)).status).toBe(404);
      expect((await fetch(`${base}/v1/orders`)).headers.get('www-authenticate')).toBe('Bearer realm="api"');
    });
  },
);
