import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running HTTP server. */
export interface RunningServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops every open connection (keep-alive ones included). Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `handler` (e.g. an Express app) on `host` (default 127.0.0.1) and `port` (default 0: any free
 * port), resolving once it listens.
 */
export function listen(handler: RequestListener, port = 0, host = '127.0.0.1'): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://${hostPart}:${address.port}`,
        port: address.port,
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
