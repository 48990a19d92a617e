/**
 * `pnpm --filter @scopeguard/fetch-node-api run serve`: the handler behind `node:http`, configured by
 * `SCOPEGUARD_ISSUER` and `SCOPEGUARD_AUDIENCE` (validated now), on `PORT` (default 3000) of 127.0.0.1,
 * until Ctrl-C.
 */
import { createHandler } from './api.js';
import { listen } from './node.js';

try {
  const server = await listen(createHandler(), Number(process.env['PORT'] ?? 3000));
  console.log(`fetch-node-api on ${server.url} (issuer ${process.env['SCOPEGUARD_ISSUER']})`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`fetch-node-api: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
