import { createRequire } from 'node:module';
import { ConfigError } from '@scopeguard/core';
import { authenticate, protectedResourceMetadata, requireAnyScope, requireScope } from '@scopeguard/express';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const express4 = createRequire(import.meta.url)('express4') as typeof express;
type App = ReturnType<typeof express>;

const RESOURCE = 'http://127.0.0.1/api';
const PATH = '/.well-known/oauth-protected-resource/api';
const URL_OF_METADATA = `http://127.0.0.1${PATH}`;

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false });
});

afterAll(async () => {
  await issuer.close();
});

const frameworks = [
  { name: 'Express 5', create: (): App => express(), router: () => express.Router() },
  { name: 'Express 4', create: (): App => express4(), router: () => express4.Router() },
];

describe.each(frameworks)('protectedResourceMetadata ($name)', ({ create, router }) => {
  const options = () => ({ issuer: issuer.issuer, resource: RESOURCE, fetch: issuer.fetch });

  function app(extra: Record<string, unknown> = {}): App {
    const a = create();
    a.use(protectedResourceMetadata({ ...options(), ...extra }));
    a.use(authenticate({ ...options(), ...extra }));
    a.get('/api/orders', requireScope('orders:read'), (_req, res) => res.json({ ok: true }));
    const admin = router();
    admin.use(requireAnyScope('admin', 'orders:write'));
    admin.get('/x', (_req, res) => res.json({ ok: true }));
    a.use('/api/admin', admin);
    return a;
  }

  it('serves the document at the RFC 9728 path, with the routes’ scopes, JSON and Cache-Control', async () => {
    const response = await request(app()).get(PATH);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['cache-control']).toBe('max-age=3600');
    expect(response.body).toEqual({
      resource: RESOURCE,
      authorization_servers: [issuer.issuer],
      scopes_supported: ['admin', 'orders:read', 'orders:write'],
      bearer_methods_supported: ['header'],
    });
  });

  it('answers HEAD with the headers and no body, and leaves other methods to the app', async () => {
    const head = await request(app()).head(PATH);
    expect(head.status).toBe(200);
    expect(head.headers['cache-control']).toBe('max-age=3600');
    expect(head.text).toBeUndefined();
    // POST goes on to authenticate, which answers 401.
    const post = await request(app()).post(PATH);
    expect(post.status).toBe(401);
  });

  it('puts resource_metadata on the 401 and 403 challenges of authenticate and requireScope', async () => {
    const a = app();
    const none = await request(a).get('/api/orders');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe(
      `Bearer realm="api", resource_metadata="${URL_OF_METADATA}"`,
    );
    const token = await issuer.mint({ aud: RESOURCE }, { scopes: ['profile'] });
    const forbidden = await request(a).get('/api/orders').set('Authorization', `Bearer ${token}`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers['www-authenticate']).toContain(
      `scope="orders:read", resource_metadata="${URL_OF_METADATA}"`,
    );
    const allowed = await request(a)
      .get('/api/orders')
      .set('Authorization', `Bearer ${await issuer.mint({ aud: RESOURCE }, { scopes: ['orders:read'] })}`);
    expect(allowed.status).toBe(200);
  });

  it('takes what the user chose to advertise', async () => {
    const response = await request(
      app({
        allowQueryToken: true,
        resourceMetadata: {
          scopesSupported: ['orders:read'],
          authorizationServers: ['https://login.example.com'],
          resourceName: 'Orders',
          maxAge: 60,
        },
      }),
    ).get(PATH);
    expect(response.headers['cache-control']).toBe('max-age=60');
    expect(response.body).toEqual({
      resource: RESOURCE,
      authorization_servers: ['https://login.example.com'],
      scopes_supported: ['orders:read'],
      bearer_methods_supported: ['header', 'query'],
      resource_name: 'Orders',
    });
  });

  it('is off with resourceMetadata: false: no document, no resource_metadata', async () => {
    const a = app({ resourceMetadata: false });
    expect((await request(a).get(PATH)).status).toBe(401);
    const none = await request(a).get('/api/orders');
    expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('throws ConfigError at startup without a resource', () => {
    expect(() => protectedResourceMetadata({ issuer: issuer.issuer, audience: 'api://default' })).toThrow(
      ConfigError,
    );
  });
});
