/**
 * `pnpm --filter @scopeguard/nestjs-api start [-- --fastify]`: runs the API until Ctrl-C, configured by
 * `SCOPEGUARD_ISSUER`, `SCOPEGUARD_AUDIENCE` (in the environment or `.env`), `PORT` (default 3000) and
 * `HOST` (default 127.0.0.1).
 */
import { createApp } from './app.js';

try {
  const app = await createApp(process.argv.includes('--fastify') ? 'fastify' : 'express');
  app.enableShutdownHooks();
  await app.listen(Number(process.env['PORT'] ?? 3000), process.env['HOST'] ?? '127.0.0.1');
  const url = await app.getUrl();
  console.log(`nestjs-api on ${url}`);
  console.log(`  GET  ${url}/health`);
  console.log(`  GET  ${url}/api/messages   needs customScope`);
  console.log(`  POST ${url}/api/messages   needs messages:write`);
  console.log(`  GET  ${url}/api/whoami     any valid token`);
} catch (error) {
  console.error(`nestjs-api: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
