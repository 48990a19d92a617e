import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createGuard, type FetchGuard, type ScopeCheck } from '@scopeguard/fetch';
import { type ContractApp, type ContractConfig, type ContractTarget, meBody } from '../harness.js';

/**
 * A plain `node:http` server in front of a fetch-style handler, as `@scopeguard/fetch`'s README shows:
 * the request is converted from `rawHeaders` (every field line appended, so a repeated `Authorization`
 * arrives joined and is refused), the answer written back from the `Response`.
 */
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

async function send(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.end(Buffer.from(await response.arrayBuffer()));
}

const ROUTES: Readonly<Record<string, ScopeCheck | null>> = {
  'GET /me': null,
  'POST /me': null,
  'GET /scoped': { scopes: ['customScope'] },
  'GET /any-scope': { anyScopes: ['read', 'write'] },
};

/** The contract routes, written against fetch only. */
async function handle(guard: FetchGuard, request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (request.method === 'GET' && path === '/health') return Response.json({ ok: true });
  // RFC 9728: the metadata document when this is its request (and there is a resource).
  const document = guard.metadata(request);
  if (document !== undefined) return document;
  const check = ROUTES[`${request.method} ${path}`];
  if (check === undefined) return Response.json({ error: 'not_found' }, { status: 404 });
  const result = await guard(request, check ?? undefined);
  if (result instanceof Response) return result;
  return Response.json(meBody(result.auth));
}

export const target: ContractTarget = {
  name: 'fetch-node',
  start(config: ContractConfig): Promise<ContractApp> {
    const guard = createGuard(config);
    const server = createServer((req, res) => {
      handle(guard, toRequest(req))
        .catch(() => Response.json({ error: 'server_error' }, { status: 500 }))
        .then((response) => send(res, response))
        .catch(() => res.destroy());
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        resolve({
          url: `http://127.0.0.1:${port}`,
          close: () =>
            new Promise<void>((done) => {
              server.closeAllConnections();
              server.close(() => done());
            }),
        });
      });
    });
  },
};
