import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from './in-process-fetch.js';

/** A running loopback HTTP server. */
export interface LoopbackServer {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** Stops listening and destroys every open connection, idle keep-alive ones included. Idempotent. */
  close(): Promise<void>;
}

async function toRequest(req: IncomingMessage, origin: string, signal: AbortSignal): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const method = req.method ?? 'GET';
  let body: Buffer | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    body = Buffer.concat(chunks);
  }
  return new Request(new URL(req.url ?? '/', origin), { method, headers, body, signal });
}

async function handle(
  handler: RequestHandler,
  origin: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const aborted = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) aborted.abort(new Error('client went away'));
  });
  try {
    const response = await handler(await toRequest(req, origin, aborted.signal));
    const body = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(body);
  } catch {
    // Dropped on purpose (ConnectionDropped), client gone, or a bug: in every case, hang up.
    req.socket.destroy();
  }
}

/** Serves `handler` on 127.0.0.1 (port 0 = any free port). */
export function listenOnLoopback(handler: RequestHandler, port = 0): Promise<LoopbackServer> {
  return new Promise((resolve, reject) => {
    let origin = '';
    const server = createServer((req, res) => void handle(handler, origin, req, res));
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      let closing: Promise<void> | undefined;
      resolve({
        origin,
        close() {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
          return closing;
        },
      });
    });
  });
}
