// RFC 9728 through the Hono adapter, served by @hono/node-server on loopback.
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@scopeguard/core';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { protectedResourceMetadata, requireAnyScope, requireScope, scopeguard } from './index.js';

const RESOURCE = 'http://127.0.0.1/api';
const PATH = '/.well-known/oauth-protected-resource/api';
const METADATA_URL = `http://127.0.0.1${PATH}`;

let issuer: TestIssuer;
const servers: ServerType[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false });
});

afterAll(async () => {
  await issuer.close();
});

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(() => resolve(undefined)))),
  );
});

async function start(extra: Record<string, unknown> = {}, passApp = true): Promise<string> {
  const options = { issuer: issuer.issuer, resource: RESOURCE, fetch: issuer.fetch, ...extra };
  const app = new Hono();
  app.use(protectedResourceMetadata(options, passApp ? app : undefined));
  app.use('/api/*', scopeguard(options));
  app.get('/api/orders', requireScope('orders:read'), (c) => c.json({ ok: true }));
  const admin = new Hono();
  admin.get('/x', requireAnyScope('admin', 'orders:write'), (c) => c.json({ ok: true }));
  app.route('/api/admin', admin);
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
      resolve(`http://127.0.0.1:${info.port}`),
    );
    servers.push(server);
  });
}

describe('protectedResourceMetadata (Hono)', () => {
  it('serves the document with the scopes of the app’s routes, JSON and Cache-Control', async () => {
    const base = await start();
    const response = await fetch(`${base}${PATH}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
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

  it('advertises only configured scopes when the app is not passed', async () => {
    const base = await start({}, false);
    expect((await (await fetch(`${base}${PATH}`)).json()) as object).not.toHaveProperty('scopes_supported');
  });

  it('puts resource_metadata on the 401 and 403 challenges', async () => {
    const base = await start();
    const none = await fetch(`${base}/api/orders`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe(
      `Bearer realm="api", resource_metadata="${METADATA_URL}"`,
    );
    const token = await issuer.mint({ aud: RESOURCE }, { scopes: ['x'] });
    const forbidden = await fetch(`${base}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('www-authenticate')).toContain(`resource_metadata="${METADATA_URL}"`);
  });

  it('is off with resourceMetadata: false, and refuses to start without a resource', async () => {
    const base = await start({ resourceMetadata: false });
    expect((await fetch(`${base}${PATH}`)).status).toBe(404);
    expect((await fetch(`${base}/api/orders`)).headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(() => protectedResourceMetadata({ issuer: issuer.issuer, audience: 'api://default' })).toThrow(
      ConfigError,
    );
  });
});
