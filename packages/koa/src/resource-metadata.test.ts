// RFC 9728 through the Koa adapter, over a real loopback server.
import Router from '@koa/router';
import { ConfigError } from '@scopeguard/core';
import { authenticate, protectedResourceMetadata, requireAnyScope, requireScope } from '@scopeguard/koa';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeServers, serve } from './test-support.js';

const RESOURCE = 'http://127.0.0.1/api';
const PATH = '/.well-known/oauth-protected-resource/api';
const METADATA_URL = `http://127.0.0.1${PATH}`;

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false });
});

afterAll(async () => {
  await issuer.close();
});

afterEach(closeServers);

function app(extra: Record<string, unknown> = {}) {
  const options = { issuer: issuer.issuer, resource: RESOURCE, fetch: issuer.fetch, ...extra };
  const koa = new Koa();
  koa.use(protectedResourceMetadata(options));
  koa.use(authenticate(options));
  const router = new Router();
  router.get('/api/orders', requireScope('orders:read'), (ctx) => {
    ctx.body = { ok: true };
  });
  const nested = new Router();
  nested.get('/x', requireAnyScope('admin', 'orders:write'), (ctx) => {
    ctx.body = { ok: true };
  });
  router.use('/api/admin', nested.routes());
  koa.use(router.routes());
  return serve(koa);
}

describe('protectedResourceMetadata (Koa)', () => {
  it('serves the document with the routes’ scopes, JSON and Cache-Control, HEAD without a body', async () => {
    const client = await app();
    const response = await client.get(PATH);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['cache-control']).toBe('max-age=3600');
    expect(JSON.parse(response.body)).toEqual({
      resource: RESOURCE,
      authorization_servers: [issuer.issuer],
      scopes_supported: ['admin', 'orders:read', 'orders:write'],
      bearer_methods_supported: ['header'],
    });
    const head = await client.send(PATH, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    // Other methods go on to authenticate.
    expect((await client.send(PATH, { method: 'POST' })).status).toBe(401);
  });

  it('puts resource_metadata on the 401 and 403 challenges', async () => {
    const client = await app();
    const none = await client.get('/api/orders');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe(`Bearer realm="api", resource_metadata="${METADATA_URL}"`);
    const forbidden = await client.get(
      '/api/orders',
      await issuer.mint({ aud: RESOURCE }, { scopes: ['x'] }),
    );
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers['www-authenticate']).toContain(
      `scope="orders:read", resource_metadata="${METADATA_URL}"`,
    );
  });

  it('is off with resourceMetadata: false, and refuses to start without a resource', async () => {
    const client = await app({ resourceMetadata: false });
    expect((await client.get(PATH)).status).toBe(401);
    expect((await client.get('/api/orders')).headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(() => protectedResourceMetadata({ issuer: issuer.issuer, audience: 'api://default' })).toThrow(
      ConfigError,
    );
  });
});
