import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { authenticate, protectedResourceMetadata, requireAnyScope, requireScope } from '@scopeguard/koa';
import Koa, { type Middleware } from 'koa';
import { type ContractTarget, meBody } from '../harness.js';

/** Answers what the adapter put on `ctx.state.auth` (typed through Koa's DefaultState). */
const me: Middleware = (ctx) => {
  ctx.body = meBody(ctx.state.auth);
};

/**
 * Koa 3 with `@koa/router` and `@koa/bodyparser`, built as `packages/koa/README.md` shows: a public
 * router first, then `app.use(authenticate(config))`, then the guarded routes with `requireScope` /
 * `requireAnyScope`. Unexpected errors reach an upstream `try { await next() } catch` middleware, Koa's
 * usual error handling, which answers 500 `{ "error": "server_error" }`.
 */
export const target: ContractTarget = {
  name: 'koa',
  async start(config) {
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        if (typeof status === 'number' && status >= 400 && status < 500) {
          // A body the parser refused: the client's fault.
          ctx.status = status;
          ctx.body = { error: 'invalid_request' };
          return;
        }
        ctx.status = 500;
        ctx.body = { error: 'server_error' };
      }
    });
    app.use(bodyParser());

    const open = new Router();
    open.get('/health', (ctx) => {
      ctx.body = { ok: true };
    });
    app.use(open.routes());

    // RFC 9728, as the README shows it, when the configuration names a resource.
    if (config.resource !== undefined) app.use(protectedResourceMetadata(config));
    app.use(authenticate(config));
    const api = new Router();
    api.get('/me', me);
    api.post('/me', me);
    api.get('/scoped', requireScope('customScope'), me);
    api.get('/any-scope', requireAnyScope('read', 'write'), me);
    app.use(api.routes()).use(api.allowedMethods());

    const server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          server.closeAllConnections();
        }),
    };
  },
};
