import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

/**
 * Node's `IncomingMessage` as a WHATWG `Request`. Headers come from `rawHeaders`, one `append` per field
 * line: `req.headers` keeps only the first of two `Authorization` headers, which would hide the repeat
 * that the guard must refuse (the joined `Basic …, Bearer …` is a 400). The body is streamed, not read.
 */
export function toRequest(req: IncomingMessage, origin = 'http://127.0.0.1'): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(new URL(req.url ?? '/', origin), {
    method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : null,
    duplex: 'half',
  } as RequestInit);
}

/** Writes a `Response` to Node's `ServerResponse`. */
export async function send(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.end(Buffer.from(await response.arrayBuffer()));
}

/** A running server. */
export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves a fetch-style handler with `node:http` on `host:port` (default 127.0.0.1, any free port). */
export function listen(
  handler: (request: Request) => Promise<Response>,
  port = 0,
  host = '127.0.0.1',
): Promise<RunningServer> {
  const server = createServer((req, res) => {
    handler(toRequest(req))
      .catch((error: unknown) => {
        console.error('fetch-node-api: unexpected error', error);
        return Response.json({ error: 'server_error', error_description: 'Internal error' }, { status: 500 });
      })
      .then((response) => send(res, response))
      .catch(() => res.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${bound}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
