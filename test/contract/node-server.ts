import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContractApp } from './harness.js';

/**
 * Serves a Node request listener (an Express app, Koa's `app.callback()`, `@hono/node-server`'s
 * listener, …) on 127.0.0.1, port 0, as a {@link ContractApp} whose `close()` also ends idle
 * keep-alive connections. For targets whose framework does not listen by itself.
 */
export async function serveOnLoopback(listener: RequestListener): Promise<ContractApp> {
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
