// Serves the example API, configured by the environment: SCOPEGUARD_ISSUER, SCOPEGUARD_AUDIENCE (and
// optional SCOPEGUARD_CLIENT_IDS, SCOPEGUARD_JWKS_URI), on HOST (default 127.0.0.1) and PORT (default 3000).
//   SCOPEGUARD_ISSUER=https://example.okta.com/oauth2/default SCOPEGUARD_AUDIENCE=api://default pnpm serve
import { createApi } from './api.js';

const app = await createApi();
const address = await app.listen({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
});
console.log(`fastify-api listening on ${address}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close();
  });
}
