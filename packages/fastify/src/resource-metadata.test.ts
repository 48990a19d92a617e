// RFC 9728 through the Fastify plugin, over a real loopback server.
import { ConfigError } from '@scopeguard/core';
import { requireAnyScope, scopeguard } from '@scopeguard/fastify';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const RESOURCE = 'http://127.0.0.1/api/';
const PATH = '/.well-known/oauth-protected-resource/api';
const METADATA_URL = `http://127.0.0.1${PATH}`;

let issuer: TestIssuer;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false });
});

afterAll(async () => {
  await issuer.close();
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(extra: Record<string, unknown> = {}): Promise<string> {
  const app = Fastify();
  apps.push(app);
  await app.register(scopeguard, {
    issuer: issuer.issuer,
    resource: RESOURCE,
    fetch: issuer.fetch,
    ...extra,
  });
  app.get('/api/orders', { config: { scopes: ['orders:read'] } }, async () => ({ ok: true }));
  app.get('/api/admin', { preHandler: requireAnyScope('admin', 'orders:write') }, async () => ({ ok: true }));
  return app.listen({ host: '127.0.0.1', port: 0 });
}

describe('the plugin serves RFC 9728 protected resource metadata', () => {
  it('at the metadata path, without a token, listing the scopes its routes require', async () => {
    const base = await start();
    const response = await fetch(`${base}${PATH}`);
    expect(response.status).toBe(200);
    // Fastify adds the charset parameter to a JSON string it sends.
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
    expect(head.headers.get('cache-control')).toBe('max-age=3600');
    // The resource's terminating slash kept, as oauth4webapi builds the path.
    expect((await fetch(`${base}${PATH}/`)).status).toBe(200);
  });

  it('puts resource_metadata on the 401 and 403 challenges', async () => {
    const base = await start();
    const none = await fetch(`${base}/api/orders`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe(
      `Bearer realm="api", resource_metadata="${METADATA_URL}"`,
    );
    const token = await issuer.mint({ aud: RESOURCE }, { scopes: ['profile'] });
    const forbidden = await fetch(`${base}/api/admin`, { headers: { authorization: `Bearer ${token}` } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('www-authenticate')).toContain(`resource_metadata="${METADATA_URL}"`);
  });

  it('serves nothing with resourceMetadata: false', async () => {
    const base = await start({ resourceMetadata: false });
    // No metadata route: the path is an unknown route, which the plugin's hook guards like any other.
    expect((await fetch(`${base}${PATH}`)).status).toBe(401);
    expect((await fetch(`${base}/api/orders`)).headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('refuses, at startup, to be registered under a prefix with the metadata on', async () => {
    const app = Fastify();
    apps.push(app);
    app.register(
      async (api) => {
        await api.register(scopeguard, { issuer: issuer.issuer, resource: RESOURCE, fetch: issuer.fetch });
      },
      { prefix: '/v2' },
    );
    await expect(app.ready()).rejects.toBeInstanceOf(ConfigError);
  });
});
