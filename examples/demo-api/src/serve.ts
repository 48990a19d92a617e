/**
 * `pnpm --filter @scopeguard/demo-api run serve`: runs the demo API alone, configured by the
 * environment (`SCOPEGUARD_ISSUER`, `SCOPEGUARD_AUDIENCE`, `PORT`, ...; see README.md), until Ctrl-C.
 */
import { createApi } from './api.js';
import { readApiConfig } from './config.js';
import { listen } from './listen.js';

try {
  const config = readApiConfig();
  const { verifier, readScope, writeScope } = config;
  const server = await listen(createApi({ ...verifier, readScope, writeScope }), config.port, config.host);
  console.log(`demo API on ${server.url} (issuer ${verifier.issuer})`);
  console.log(`  GET  ${server.url}/health`);
  console.log(`  GET  ${server.url}/api/messages   needs ${readScope}`);
  console.log(`  POST ${server.url}/api/messages   needs ${writeScope}`);
  console.log(`  GET  ${server.url}/api/whoami     any valid token`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`demo-api: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
