import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FetchJsonError, fetchJson, MAX_REDIRECTS } from './fetch-json.js';

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
    const error = await failure(fetchJson(`${url}/jwks`, { ...options, maxBytes: 512 * 1024 }));
    expect(error.reason).toBe('too_large');
    expect(error.message).toBe(`GET ${url}/jwks: response body exceeds 524288 bytes`);
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
    const error = await failure(fetchJson(`${url}/jwks`, options));
    expect(error.reason).toBe('network');
    expect(error.message).toMatch(new RegExp(`^GET ${url}/jwks failed: .*ECONNREFUSED`));
  });

  it('reports a throwing custom fetch as a network failure', async () => {
    const broken = (() => Promise.reject(new TypeError('proxy exploded'))) as typeof fetch;
    const error = await failure(fetchJson('https://issuer.example/keys', { ...options, fetch: broken }));
    expect(error.reason).toBe('network');
    expect(error.message).toBe('GET https://issuer.example/keys failed: proxy exploded');
  });

  it('refuses the answer of a fetch that followed redirects itself (its hops could not be checked)', async () => {
    const followed = (async () => {
      const response = new Response('{"keys":[]}', { status: 200 });
      Object.defineProperty(response, 'redirected', { value: true });
      Object.defineProperty(response, 'url', { value: 'http://issuer.example/keys' });
      return response;
    }) as typeof fetch;
    const error = await failure(fetchJson('https://issuer.example/keys', { ...options, fetch: followed }));
    expect(error.reason).toBe('redirect');
    expect(error.message).toContain('followed a redirect itself (to http://issuer.example/keys)');
  });
});

/** A fetch answering from a table of canonical URLs; records what it was asked for and how. */
function tableFetch(table: Record<string, () => Response>) {
  const calls: { url: string; redirect: RequestInit['redirect'] }[] = [];
  const fetch = (async (input: string, init?: RequestInit) => {
    calls.push({ url: input, redirect: init?.redirect });
    const answer = table[input];
    if (!answer) throw new TypeError('fetch failed');
    return answer();
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const moved =
  (location: string, status = 302) =>
  () =>
    new Response(null, { status, headers: { location } });
const body = (text: string) => () => new Response(text, { status: 200 });

describe('fetchJson: redirects are followed by hand, each hop checked before it is requested', () => {
  it('asks fetch for redirect: "manual" and follows a relative Location, resolved against the current URL', async () => {
    const { fetch, calls } = tableFetch({
      'https://issuer.example/a/keys': moved('../b/keys', 307),
      'https://issuer.example/b/keys': body('{"ok":1}'),
    });
    await expect(fetchJson('https://issuer.example/a/keys', { ...options, fetch })).resolves.toEqual({
      ok: 1,
    });
    expect(calls).toEqual([
      { url: 'https://issuer.example/a/keys', redirect: 'manual' },
      { url: 'https://issuer.example/b/keys', redirect: 'manual' },
    ]);
  });

  it.each([
    [
      'https: to http:',
      'https://issuer.example/keys',
      'http://issuer.example/keys',
      /https: to http: would drop TLS/,
    ],
    ['https: to http: on loopback', 'https://issuer.example/keys', 'http://127.0.0.1/keys', /drop TLS/],
    [
      'loopback to another host',
      'http://127.0.0.1:8080/keys',
      'http://evil.example/keys',
      /loopback URL may only redirect to a loopback host/,
    ],
    [
      'loopback to another host over https',
      'http://localhost/keys',
      'https://evil.example/keys',
      /loopback host/,
    ],
    [
      'to a data: URL',
      'https://issuer.example/keys',
      'data:application/json,{"keys":[]}',
      /data: is not http: or https:/,
    ],
    ['to a file: URL', 'http://127.0.0.1/keys', 'file:///etc/passwd', /file: is not http: or https:/],
    [
      'to javascript:',
      'https://issuer.example/keys',
      'javascript:alert(1)',
      /javascript: is not http: or https:/,
    ],
  ])('refuses a redirect %s without requesting it, naming the hop', async (_name, from, to, why) => {
    const { fetch, calls } = tableFetch({ [from]: moved(to), [new URL(to).href]: body('{"keys":[]}') });
    const error = await failure(fetchJson(from, { ...options, fetch }));
    expect(error.reason).toBe('redirect');
    expect(error.message).toContain(`GET ${from} redirected to ${new URL(to).href}, which was not followed`);
    expect(error.message).toMatch(why);
    expect(calls.map((call) => call.url)).toEqual([from]);
  });

  it('checks every hop, not only the last: https → https → http → https is refused at the http hop', async () => {
    const { fetch, calls } = tableFetch({
      'https://issuer.example/keys': moved('https://cdn.example/keys'),
      'https://cdn.example/keys': moved('http://evil.example/hop'),
      'http://evil.example/hop': moved('https://evil.example/keys'),
      'https://evil.example/keys': body('{"keys":[]}'),
    });
    const error = await failure(fetchJson('https://issuer.example/keys', { ...options, fetch }));
    expect(error.message).toBe(
      'GET https://cdn.example/keys (redirected from https://issuer.example/keys) redirected to http://evil.example/hop, which was not followed: a redirect from https: to http: would drop TLS',
    );
    expect(calls.map((call) => call.url)).toEqual([
      'https://issuer.example/keys',
      'https://cdn.example/keys',
    ]);
  });

  it(`gives up after ${MAX_REDIRECTS} redirects`, async () => {
    const table: Record<string, () => Response> = {};
    for (let i = 0; i <= MAX_REDIRECTS + 1; i++) table[`https://issuer.example/${i}`] = moved(`/${i + 1}`);
    const { fetch, calls } = tableFetch(table);
    const error = await failure(fetchJson('https://issuer.example/0', { ...options, fetch }));
    expect(error.reason).toBe('redirect');
    expect(error.message).toMatch(/more than 5 redirects/);
    expect(calls).toHaveLength(MAX_REDIRECTS + 1);
  });

  it('refuses a redirect without a usable Location', async () => {
    const { fetch } = tableFetch({
      'https://issuer.example/keys': () => new Response(null, { status: 302 }),
    });
    const error = await failure(fetchJson('https://issuer.example/keys', { ...options, fetch }));
    expect(error.message).toBe(
      'GET https://issuer.example/keys answered HTTP 302 without a usable Location (none)',
    );
  });

  it('treats 300 and 304 as statuses, not redirects', async () => {
    const { fetch, calls } = tableFetch({
      'https://issuer.example/keys': moved('https://evil.example/', 300),
    });
    expect((await failure(fetchJson('https://issuer.example/keys', { ...options, fetch }))).reason).toBe(
      'status',
    );
    expect(calls).toHaveLength(1);
  });

  it.each(['HTTPS://Issuer.example/keys', ' https://issuer.example/keys', 'ht\ttps://issuer.example/keys'])(
    'requests %j in canonical form, and judges it parsed',
    async (url) => {
      const { fetch, calls } = tableFetch({
        'https://issuer.example/keys': moved('http://evil.example/keys'),
        'http://evil.example/keys': body('{"keys":[]}'),
      });
      expect((await failure(fetchJson(url, { ...options, fetch }))).reason).toBe('redirect');
      expect(calls.map((call) => call.url)).toEqual(['https://issuer.example/keys']);
    },
  );

  it('refuses to fetch a URL that is neither https: nor http: on loopback, without calling fetch', async () => {
    const { fetch, calls } = tableFetch({});
    for (const url of ['http://issuer.example/keys', 'ftp://127.0.0.1/keys', 'not a url']) {
      expect((await failure(fetchJson(url, { ...options, fetch }))).reason).toBe('insecure');
    }
    expect(calls).toEqual([]);
  });
});
