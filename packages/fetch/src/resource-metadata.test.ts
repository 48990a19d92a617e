// RFC 9728 through the fetch guard (`guard.metadata(request)`), served on loopback by @hono/node-server's
// request listener (a plain fetch handler on node:http).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { getRequestListener } from '@hono/node-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, type FetchGuard } from './index.js';

const RESOURCE = 'http://127.0.0.1/api';
const PATH = '/.well-known/oauth-protected-resource/api';
const METADATA_URL = `http://127.0.0.1${PATH}`;

let issuer: TestIssuer;
const servers: Server[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false });
});

afterAll(async () => {
  await issuer.close();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function start(guard: FetchGuard): Promise<string> {
  const handler = async (request: Request): Promise<Response> => {
    const document = guard.metadata(request);
    if (document !== undefined) return document;
    const result = await guard(request, { scopes: ['orders:read'] });
    if (result instanceof Response) return result;
    return Response.json({ ok: true });
  };
  const server = createServer(getRequestListener(handler));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const options = () => ({ issuer: issuer.issuer, resource: RESOURCE, fetch: issuer.fetch });

describe('guard.metadata (fetch)', () => {
  it('answers GET and HEAD of the metadata path with the document, and nothing else', async () => {
    const guard = createGuard({ ...options(), resourceMetadata: { scopesSupported: ['orders:read'] } });
    const base = await start(guard);
    const response = await fetch(`${base}${PATH}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('max-age=3600');
    expect(await response.json()).toEqual({
      resource: RESOURCE,
      authorization_servers: [issuer.issuer],
      scopes_supported: ['orders:read'],
      bearer_methods_supported: ['header'],
    });
    const head = await fetch(`${base}${PATH}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(guard.metadata(new Request(`${base}${PATH}`, { method: 'POST' }))).toBeUndefined();
    expect(guard.metadata(new Request(`${base}/api/orders`))).toBeUndefined();
  });

  it('puts resource_metadata on the 401 and 403 challenges', async () => {
    const base = await start(createGuard(options()));
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

  it('is off with resourceMetadata: false', async () => {
    const guard = createGuard({ ...options(), resourceMetadata: false });
    const base = await start(guard);
    expect(guard.metadata(new Request(`${base}${PATH}`))).toBeUndefined();
    expect((await fetch(`${base}/api/orders`)).headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });
});
