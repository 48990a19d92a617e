/**
 * `pnpm --filter @scopeguard/hono-api run serve`: the API on `@hono/node-server`, configured by
 * `SCOPEGUARD_ISSUER` and `SCOPEGUARD_AUDIENCE` (validated now), on `PORT` (default 3000) of 127.0.0.1,
 * until Ctrl-C.
 */
import { serve } from '@hono/node-server';
import { createApi } from './api.js';

try {
  const app = createApi();
  const port = Number(process.env['PORT'] ?? 3000);
  const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
    console.log(`hono-api on http://127.0.0.1:${info.port} (issuer ${process.env['SCOPEGUARD_ISSUER']})`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`hono-api: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
