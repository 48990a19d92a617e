// Helpers for this package's tests only (never exported; `src/index.ts` is the public API): a Koa app on
// 127.0.0.1:0 and one raw HTTP request at a time, so repeated header field lines go out and come back as
// they are on the wire.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

/** A response as received: status, parsed headers, raw header lines, body text. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Node's `[name, value, …]` as received. */
  readonly rawHeaders: readonly string[];
  readonly body: string;
  /** The values of every field line named `name` (lower case), in order. */
  lines(name: string): string[];
}

/** Options of one request. */
export interface RawRequest {
  method?: string;
  /** An array value is sent as one field line per entry (the only way to repeat a header). */
  headers?: Record<string, string | string[]>;
  body?: string;
}

const servers: Server[] = [];

/** Serves `app` on 127.0.0.1, port 0; resolves with a client bound to it. */
export async function serve(app: Pick<Koa, 'callback'>) {
  const server = createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    send: (path: string, options: RawRequest = {}) => send(port, path, options),
    /** A GET with `Authorization: Bearer <token>` when a token is given. */
    get: (path: string, token?: string) =>
      send(port, path, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }),
  };
}

/** Closes every server `serve` started, with its idle connections. */
export async function closeServers(): Promise<void> {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
}

function send(port: number, path: string, options: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('error', reject);
        res.on('end', () => {
          const rawHeaders = res.rawHeaders;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders,
            body,
            lines: (name) => {
              const values: string[] = [];
              for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
                if ((rawHeaders[i] as string).toLowerCase() === name)
                  values.push(rawHeaders[i + 1] as string);
              }
              return values;
            },
          });
        });
      },
    );
    req.on('error', reject);
    for (const [name, value] of Object.entries(options.headers ?? {})) req.setHeader(name, value);
    req.end(options.body);
  });
}
