import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FetchJsonError, fetchJson } from './fetch-json.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const servers: { close: () => Promise<void> }[] = [];

/** A real HTTP server on 127.0.0.1, port 0; closed after each test. */
async function serve(handler: Handler): Promise<{ url: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((request, response) => {
    requests.push(request);
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  servers.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return { url: `http://127.0.0.1:${port}`, requests };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const options = { fetch: globalThis.fetch, timeoutMs: 2_000, maxBytes: 1_024 };

async function failure(promise: Promise<unknown>): Promise<FetchJsonError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FetchJsonError);
    return error as FetchJsonError;
  }
  throw new Error('expected fetchJson to fail');
}

describe('fetchJson', () => {
  it('GETs with Accept: application/json and returns the parsed body', async () => {
    const { url, requests } = await serve((_, response) => {
      response.setHeader('content-type', 'application/json');
      response.end('{"keys":[]}');
    });
    await expect(fetchJson(`${url}/jwks`, options)).resolves.toEqual({ keys: [] });
    expect(requests[0]?.method).toBe('GET');
    expect(requests[0]?.headers.accept).toBe('application/json');
  });

  it('follows a redirect', async () => {
    const { url } = await serve((request, response) => {
      if (request.url === '/old') {
        response.writeHead(302, { location: '/new' }).end();
      } else {
        response.end('{"moved":true}');
      }
    });
    await expect(fetchJson(`${url}/old`, options)).resolves.toEqual({ moved: true });
  });

  it('refuses a non-2xx status, naming the URL and status but not the body', async () => {
    const { url } = await serve((_, response) => {
      response.writeHead(404).end('{"error":"SECRET-INTERNAL-DETAIL"}');
    });
    const error = await failure(fetchJson(`${url}/jwks`, options));
    expect(error.reason).toBe('status');
    expect(error.status).toBe(404);
    expect(error.message).toBe(`GET ${url}/jwks answered HTTP 404`);
    expect(error.message).not.toContain('SECRET');
  });

  it('times out when the server never answers', async () => {
    const { url } = await serve(() => {});
    const started = Date.now();
    const error = await failure(fetchJson(`${url}/hang`, { ...options, timeoutMs: 100 }));
    expect(error.reason).toBe('timeout');
    expect(error.message).toBe(`GET ${url}/hang timed out after 100 ms`);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('times out when the headers arrive but the body trickles forever (slowloris)', async () => {
    const { url } = await serve((_, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"keys":');
    });
    const started = Date.now();
    const error = await failure(fetchJson(`${url}/slow`, { ...options, timeoutMs: 150 }));
    expect(error.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('refuses a body whose Content-Length exceeds maxBytes before reading it', async () => {
    const { url } = await serve((_, response) => {
      response.writeHead(200, { 'content-length': '5000' });
      response.write('x'.repeat(100)); // never finishes: only the header can end this quickly
    });
    const error = await failure(fetchJson(url, options));
    expect(error.reason).toBe('too_large');
    expect(error.message).toContain('Content-Length 5000 exceeds the 1024-byte limit');
  });

  it('stops reading a chunked body (no Content-Length) as soon as it exceeds maxBytes', async () => {
    const { url } = await serve((_, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = 'a'.repeat(64 * 1024);
      for (let i = 0; i < 160; i++) response.write(chunk); // 10 MB
      response.end();
    });
    const error = await failure(fetchJson(url, { ...options, maxBytes: 512 * 1024 }));
    expect(error.reason).toBe('too_large');
    expect(error.message).toBe(`GET ${url}: response body exceeds 524288 bytes`);
  });

  it('refuses a non-JSON body, quoting only a short sanitised excerpt', async () => {
    const { url } = await serve((_, response) => {
      response.end(`<html>\n<body>Sign in ${'x'.repeat(80)} PRIVATE-TAIL</body></html>`);
    });
    const error = await failure(fetchJson(url, options));
    expect(error.reason).toBe('invalid_json');
    expect(error.message).toMatch(/response is not JSON \(starts with "<html>\?<body>Sign in x+…"\)$/);
    expect(error.message).not.toContain('PRIVATE-TAIL');
    expect(error.cause).toBeUndefined();
  });

  it('refuses an empty body and invalid UTF-8 as invalid_json', async () => {
    const { url } = await serve((request, response) => {
      response.end(request.url === '/empty' ? '' : Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    });
    expect((await failure(fetchJson(`${url}/empty`, options))).message).toContain('an empty body');
    expect((await failure(fetchJson(`${url}/bytes`, options))).reason).toBe('invalid_json');
  });

  it('reports a refused connection as a network failure', async () => {
    const { url } = await serve(() => {});
    await Promise.all(servers.splice(0).map((server) => server.close()));
    const error = await failure(fetchJson(url, options));
    expect(error.reason).toBe('network');
    expect(error.message).toMatch(new RegExp(`^GET ${url} failed: .*ECONNREFUSED`));
  });

  it('reports a throwing custom fetch as a network failure', async () => {
    const broken = (() => Promise.reject(new TypeError('proxy exploded'))) as typeof fetch;
    const error = await failure(fetchJson('https://issuer.example/keys', { ...options, fetch: broken }));
    expect(error.reason).toBe('network');
    expect(error.message).toBe('GET https://issuer.example/keys failed: proxy exploded');
  });

  it('stops a TLS downgrade: an https URL redirected to plain http (not loopback) is refused', async () => {
    const downgraded = (async () => {
      const response = new Response('{"keys":[]}', { status: 200 });
      Object.defineProperty(response, 'redirected', { value: true });
      Object.defineProperty(response, 'url', { value: 'http://issuer.example/keys' });
      return response;
    }) as typeof fetch;
    const error = await failure(fetchJson('https://issuer.example/keys', { ...options, fetch: downgraded }));
    expect(error.reason).toBe('network');
    expect(error.message).toContain('redirected to insecure http://issuer.example/keys');
  });
});
