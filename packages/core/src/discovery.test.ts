import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverJwksUri, validateJwksUri } from './discovery.js';
import type { ScopeguardEvent } from './events.js';
import { FetchJsonError } from './fetch-json.js';

type Route = (response: ServerResponse, origin: string) => void;

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A loopback issuer whose routes the test controls; unknown paths answer 404. Records request paths. */
async function issuerServer(routes: Record<string, Route>) {
  const paths: string[] = [];
  let origin = '';
  const server = createServer((request, response) => {
    const path = request.url ?? '';
    paths.push(path);
    const route = routes[path];
    if (route) route(response, origin);
    else response.writeHead(404, { 'content-type': 'application/json' }).end('{"errorCode":"E0000022"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  closers.push(close);
  return { origin, issuer: `${origin}/oauth2/default`, paths, close };
}

function json(body: unknown, status = 200): Route {
  return (response) =>
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function discover(issuer: string, timeoutMs = 2_000) {
  const events: ScopeguardEvent[] = [];
  const result = discoverJwksUri({
    issuer,
    fetch: globalThis.fetch,
    timeoutMs,
    maxBytes: 64 * 1024,
    emit: (event) => events.push(event),
  });
  return { result, events };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected discovery to fail');
}

describe('discoverJwksUri', () => {
  it('reads jwks_uri from RFC 8414 metadata under the issuer path (where Okta serves it), in one request', async () => {
    const server = await issuerServer({
      '/oauth2/default/.well-known/oauth-authorization-server': (response, origin) =>
        json({ issuer: `${origin}/oauth2/default`, jwks_uri: `${origin}/oauth2/default/v1/keys` })(
          response,
          origin,
        ),
    });
    const { result, events } = discover(server.issuer);
    await expect(result).resolves.toBe(`${server.issuer}/v1/keys`);
    expect(server.paths).toEqual(['/oauth2/default/.well-known/oauth-authorization-server']);
    expect(events).toEqual([
      {
        type: 'discovery_completed',
        issuer: server.issuer,
        jwksUri: `${server.issuer}/v1/keys`,
        source: 'oauth-authorization-server',
      },
    ]);
  });

  it('falls back to openid-configuration when the RFC 8414 document is 404', async () => {
    const server = await issuerServer({
      '/oauth2/default/.well-known/openid-configuration': (response, origin) =>
        json({ issuer: `${origin}/oauth2/default`, jwks_uri: 'https://keys.example/jwks' })(response, origin),
    });
    const { result, events } = discover(server.issuer);
    await expect(result).resolves.toBe('https://keys.example/jwks');
    expect(events[0]).toMatchObject({ type: 'discovery_completed', source: 'openid-configuration' });
  });

  it("falls back to Okta's <issuer>/v1/keys when neither metadata document exists", async () => {
    const server = await issuerServer({});
    const { result, events } = discover(server.issuer);
    await expect(result).resolves.toBe(`${server.issuer}/v1/keys`);
    expect(server.paths).toEqual([
      '/oauth2/default/.well-known/oauth-authorization-server',
      '/oauth2/default/.well-known/openid-configuration',
    ]);
    expect(events[0]).toMatchObject({ type: 'discovery_completed', source: 'okta-default' });
  });

  it('does not double a trailing slash of the issuer, yet compares the metadata issuer exactly', async () => {
    const server = await issuerServer({
      '/oauth2/default/.well-known/oauth-authorization-server': (response, origin) =>
        json({ issuer: `${origin}/oauth2/default/`, jwks_uri: `${origin}/keys` })(response, origin),
    });
    await expect(discover(`${server.issuer}/`).result).resolves.toBe(`${server.origin}/keys`);
    expect(server.paths).toEqual(['/oauth2/default/.well-known/oauth-authorization-server']);
    // Fallback path without a doubled slash either.
    const bare = await issuerServer({});
    await expect(discover(`${bare.issuer}/`).result).resolves.toBe(`${bare.issuer}/v1/keys`);
  });

  it('stops key-trust redirection: metadata naming another issuer is refused, with no fallback', async () => {
    const server = await issuerServer({
      '/oauth2/default/.well-known/oauth-authorization-server': json({
        issuer: 'https://evil.example',
        jwks_uri: 'https://evil.example/keys',
      }),
    });
    const { result, events } = discover(server.issuer);
    const error = await rejection(result);
    expect(error.message).toContain('metadata "issuer" is "https://evil.example", expected exactly');
    expect(server.paths).toHaveLength(1);
    expect(events).toEqual([{ type: 'discovery_failed', issuer: server.issuer, error: expect.any(String) }]);
  });

  it('stops plaintext key fetching: an http: jwks_uri on a non-loopback host is refused', async () => {
    const server = await issuerServer({
      '/oauth2/default/.well-known/oauth-authorization-server': (response, origin) =>
        json({ issuer: `${origin}/oauth2/default`, jwks_uri: 'http://keys.example/jwks' })(response, origin),
    });
    expect((await rejection(discover(server.issuer).result)).message).toMatch(/must be https:/);
  });

  it('refuses metadata without a usable jwks_uri, or that is not an object', async () => {
    const server = await issuerServer({
      '/oauth2/default/.well-known/oauth-authorization-server': (response, origin) =>
        json({ issuer: `${origin}/oauth2/default` })(response, origin),
    });
    expect((await rejection(discover(server.issuer).result)).message).toMatch(
      /"jwks_uri" undefined is not an absolute URL/,
    );
    const list = await issuerServer({ '/oauth2/default/.well-known/oauth-authorization-server': json([1]) });
    expect((await rejection(discover(list.issuer).result)).message).toMatch(/not a JSON object/);
  });

  it('does not fall back on a network error: the caller must retry later, not pin /v1/keys', async () => {
    const server = await issuerServer({});
    await server.close();
    const { result, events } = discover(server.issuer);
    const error = await rejection(result);
    expect(error).toBeInstanceOf(FetchJsonError);
    expect((error as FetchJsonError).reason).toBe('network');
    expect(events[0]?.type).toBe('discovery_failed');
  });

  it('does not fall back on a timeout', async () => {
    const server = await issuerServer({ '/oauth2/default/.well-known/oauth-authorization-server': () => {} });
    const error = await rejection(discover(server.issuer, 1_000).result);
    expect((error as FetchJsonError).reason).toBe('timeout');
    expect(server.paths).toHaveLength(1);
  });

  it('does not fall back on a 5xx answer (a transient outage must not pin the wrong JWKS URI)', async () => {
    const server = await issuerServer({
      '/oauth2/default/.well-known/oauth-authorization-server': json({ error: 'down' }, 503),
    });
    const error = await rejection(discover(server.issuer).result);
    expect((error as FetchJsonError).status).toBe(503);
    expect(server.paths).toHaveLength(1);
  });

  it('refuses a 2xx answer that is not JSON (e.g. an HTML catch-all page)', async () => {
    const server = await issuerServer({
      '/oauth2/default/.well-known/oauth-authorization-server': (response) =>
        response.end('<html>app</html>'),
    });
    expect(((await rejection(discover(server.issuer).result)) as FetchJsonError).reason).toBe('invalid_json');
  });
});

describe('validateJwksUri', () => {
  it('accepts https anywhere and http only on loopback hosts', () => {
    expect(validateJwksUri('https://example.okta.com/oauth2/default/v1/keys', 'm')).toBe(
      'https://example.okta.com/oauth2/default/v1/keys',
    );
    expect(validateJwksUri('http://localhost:8080/keys', 'm')).toBe('http://localhost:8080/keys');
    expect(validateJwksUri('http://127.0.0.1/keys', 'm')).toBe('http://127.0.0.1/keys');
    expect(validateJwksUri('http://[::1]:3000/keys', 'm')).toBe('http://[::1]:3000/keys');
    expect(validateJwksUri(' HTTPS://Example.okta.com/keys', 'm')).toBe('https://example.okta.com/keys');
    expect(validateJwksUri('ht\ttps://example.okta.com/keys', 'm')).toBe('https://example.okta.com/keys');
    for (const bad of [
      'http://example.com/keys',
      ' HTTP://example.com/keys',
      'ftp://example.com/keys',
      'javascript:alert(1)',
      '/v1/keys',
      42,
    ]) {
      expect(() => validateJwksUri(bad, 'metadata')).toThrow(/jwks_uri/);
    }
  });
});
