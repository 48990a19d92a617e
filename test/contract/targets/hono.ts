import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { protectedResourceMetadata, requireAnyScope, requireScope, scopeguard } from '@scopeguard/hono';
import { Hono } from 'hono';
import { type ContractApp, type ContractConfig, type ContractTarget, meBody } from '../harness.js';

/** The contract routes as `@scopeguard/hono`'s README writes them, served by `@hono/node-server` 2. */
function createApp(config: ContractConfig): Hono {
  const app = new Hono();
  app.onError((_error, c) => c.json({ error: 'server_error' }, 500));
  app.get('/health', (c) => c.json({ ok: true }));
  // RFC 9728, as the README shows it, when the configuration names a resource.
  if (config.resource !== undefined) app.use(protectedResourceMetadata(config, app));
  const auth = scopeguard(config);
  app.use('/me', auth);
  app.use('/scoped', auth);
  app.use('/any-scope', auth);
  // Form bodies: the middleware parses them with c.req.parseBody() when allowBodyToken is on.
  app.on(['GET', 'POST'], '/me', (c) => c.json(meBody(c.get('auth'))));
  app.get('/scoped', requireScope('customScope'), (c) => c.json(meBody(c.get('auth'))));
  app.get('/any-scope', requireAnyScope('read', 'write'), (c) => c.json(meBody(c.get('auth'))));
  return app;
}

export const target: ContractTarget = {
  name: 'hono',
  start(config: ContractConfig): Promise<ContractApp> {
    const app = createApp(config);
    return new Promise((resolve, reject) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              (server as Server).closeAllConnections();
              server.close(() => done());
            }),
        });
      });
      server.once('error', reject);
    });
  },
};
