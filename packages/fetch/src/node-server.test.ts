/**
 * The fetch guard behind a plain `node:http` server, over real HTTP on loopback: the request is converted
 * from Node's `IncomingMessage` to a WHATWG `Request` first, by a few lines of our own (from
 * `rawHeaders`) and by `@hono/node-server`'s `getRequestListener`. Both keep a repeated `Authorization`
 * header as one `", "`-joined value, which the guard refuses with 400; a conversion from `req.headers`
 * would keep only the first line (shown below), which is why the conversion must read `rawHeaders`.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createVerifier, type Verifier } from '@scopeguard/core';
import { createTestIssuer, type TestIssuer } from '@scopeguard/testing';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, type FetchGuard } from './index.js';

/** IncomingMessage → Request: every header field line appended (repeats kept), the body streamed. */
function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(new URL(req.url ?? '/', 'http://127.0.0.1'), {
    method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : null,
    duplex: 'half',
  } as RequestInit);
}

/** Response → ServerResponse. */
async function send(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.end(Buffer.from(await response.arrayBuffer()));
}

type Handler = (request: Request) => Promise<Response>;

/** The app, written against fetch only. */
function app(guard: FetchGuard): Handler {
  return async (request) => {
    const path = new URL(request.url).pathname;
    if (path === '/health') return Response.json({ ok: true });
    const check = path === '/scoped' ? { scopes: ['customScope'] } : undefined;
    const result = await guard(request, check);
    if (result instanceof Response) return result;
    const auth = result.auth;
    const form =
      request.method === 'POST' ? Object.fromEntries(new URLSearchParams(await request.text())) : null;
    return Response.json({ subject: auth?.subject ?? null, client: auth?.clientId ?? null, form });
  };
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request with each `[name, value]` of `headers` sent as its own field line (arrays repeat). */
function raw(
  port: number,
  path: string,
  headers: Record<string, string | string[]>,
  body?: { type: string; text: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const method = body === undefined ? 'GET' : 'POST';
    const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    if (body !== undefined) req.setHeader('Content-Type', body.type);
    req.end(body?.text);
  });
}

const servers: Server[] = [];

async function listen(listener: RequestListener): Promise<number> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

let issuer: TestIssuer;
let verifier: Verifier;

beforeAll(async () => {
  issuer = await createTestIssuer({ listen: false });
  verifier = createVerifier({ issuer: issuer.issuer, audience: 'api://default', fetch: issuer.fetch });
});

afterAll(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
  await issuer.close();
});

describe.each([
  {
    name: 'node:http + rawHeaders conversion',
    serve: (handler: Handler) =>
      listen((req, res) => {
        handler(toRequest(req)).then(
          (response) => send(res, response),
          () => send(res, Response.json({ error: 'server_error' }, { status: 500 })),
        );
      }),
  },
  {
    name: "node:http + @hono/node-server's getRequestListener",
    serve: (handler: Handler) => listen(getRequestListener(handler)),
  },
])('$name', ({ serve }) => {
  let strict: number;
  let optional: number;

  beforeAll(async () => {
    strict = await serve(app(createGuard({ verifier, allowBodyToken: true })));
    optional = await serve(app(createGuard({ verifier, optional: true })));
  });

  it('answers 200 with the verified identity, 401 without a token, 403 without the scope', async () => {
    const token = await issuer.mint({ sub: 'u1', cid: 'c1' }, { scopes: ['other'] });
    const ok = await raw(strict, '/me', { Authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ subject: 'u1', client: 'c1', form: null });
    const none = await raw(strict, '/me', {});
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(none.headers['cache-control']).toBe('no-store');
    const scoped = await raw(strict, '/scoped', { Authorization: `Bearer ${token}` });
    expect(scoped.status).toBe(403);
    expect(scoped.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="customScope"$/);
    expect((await raw(strict, '/health', {})).status).toBe(200);
  });

  it.each(['strict', 'optional'] as const)(
    'answers 400 to two Authorization field lines, Basic + Bearer <valid> (%s mode)',
    async (mode) => {
      const token = await issuer.mint();
      const res = await raw(mode === 'strict' ? strict : optional, '/me', {
        Authorization: ['Basic dXNlcjpwYXNz', `Bearer ${token}`],
      });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_request' });
      expect(res.body).not.toContain(token);
    },
  );

  it('answers 400 to Bearer <u1> + Bearer <u2>, never as either identity', async () => {
    const u1 = await issuer.mint({ sub: 'u1' });
    const u2 = await issuer.mint({ sub: 'u2' });
    const res = await raw(strict, '/me', { Authorization: [`Bearer ${u1}`, `Bearer ${u2}`] });
    expect(res.status).toBe(400);
    expect(res.body).not.toContain('u1');
    expect(res.body).not.toContain('u2');
  });

  it('reads a form-body token from a clone, leaving the body to the handler', async () => {
    const token = await issuer.mint({ sub: 'poster' });
    const text = `note=hello&access_token=${encodeURIComponent(token)}`;
    const res = await raw(strict, '/me', {}, { type: 'application/x-www-form-urlencoded', text });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      subject: 'poster',
      client: '0oatestclient0000001',
      form: { note: 'hello', access_token: token },
    });
  });

  it('answers 200 parallel requests of different identities, none leaking into another', async () => {
    const tokens = await Promise.all(
      Array.from({ length: 200 }, (_, i) => issuer.mint({ sub: `user-${i}`, cid: `client-${i}` })),
    );
    const answers = await Promise.all(
      tokens.map((token) => raw(strict, '/me', { Authorization: `Bearer ${token}` })),
    );
    answers.forEach((answer, i) => {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ subject: `user-${i}`, client: `client-${i}`, form: null });
    });
  });
});

describe('converting from req.headers instead of rawHeaders', () => {
  it('would lose the second Authorization line, which is why the conversion reads rawHeaders', async () => {
    const port = await listen((req, res) => {
      const naive = new Headers(req.headers as Record<string, string>).get('authorization');
      const fromRaw = toRequest(req).headers.get('authorization');
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ naive, fromRaw }));
    });
    const res = await raw(port, '/', { Authorization: ['Basic dXNlcjpwYXNz', 'Bearer abc'] });
    expect(JSON.parse(res.body)).toEqual({
      naive: 'Basic dXNlcjpwYXNz',
      fromRaw: 'Basic dXNlcjpwYXNz, Bearer abc',
    });
  });
});
