import { authenticate, protectedResourceMetadata, requireAnyScope, requireScope } from '@scopeguard/express';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { type ContractConfig, type ContractTarget, meBody } from '../harness.js';
import { serveOnLoopback } from '../node-server.js';

/**
 * The contract app for `@scopeguard/express`, written as its README shows: `protectedResourceMetadata(config)`
 * when there is a resource, `authenticate(config)` at app level, `requireScope` / `requireAnyScope` per route, `express.urlencoded()` for form-body tokens, and
 * an error handler answering 500. Express 4 (`express4.ts`) builds the very same app with its own
 * `express` function.
 */
export function expressTarget(name: string, createExpress: typeof express): ContractTarget {
  return {
    name,
    start(config: ContractConfig) {
      const app = createExpress();
      const me: RequestHandler = (req, res) => {
        res.json(meBody(req.auth));
      };
      const serverError: ErrorRequestHandler = (_error, _req, res, _next) => {
        res.status(500).json({ error: 'server_error' });
      };

      app.get('/health', (_req, res) => {
        res.json({ ok: true });
      });
      app.use(createExpress.urlencoded({ extended: false }));
      // RFC 9728, as the README shows it, when the configuration names a resource.
      if (config.resource !== undefined) app.use(protectedResourceMetadata(config));
      app.use(authenticate(config));
      app.get('/me', me);
      app.post('/me', me);
      app.get('/scoped', requireScope('customScope'), me);
      app.get('/any-scope', requireAnyScope('read', 'write'), me);
      app.use(serverError);
      return serveOnLoopback(app);
    },
  };
}

export const target: ContractTarget = expressTarget('express5', express);
