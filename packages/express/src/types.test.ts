import type { VerifiedToken } from '@scopeguard/core';
import {
  type AuthInfo,
  authenticate,
  type Middleware,
  requireAnyScope,
  requireScope,
} from '@scopeguard/express';
import express, { type Request, type RequestHandler } from 'express';
import { describe, expectTypeOf, it } from 'vitest';

// Type-level checks: this file must compile under the root `tsc` (strict); the runtime part is trivial.
describe('types', () => {
  it('merges req.auth into Express.Request', () => {
    expectTypeOf<Request['auth']>().toEqualTypeOf<AuthInfo | undefined>();
    expectTypeOf<NonNullable<Request['auth']>['scopes']>().toEqualTypeOf<readonly string[]>();
    expectTypeOf<NonNullable<Request['auth']>['token']>().toEqualTypeOf<string>();
    expectTypeOf<AuthInfo>().toExtend<VerifiedToken>();

    const handler: RequestHandler = (req, res) => {
      expectTypeOf(req.auth?.scopes).toEqualTypeOf<readonly string[] | undefined>();
      const scopes: readonly string[] = req.auth?.scopes ?? [];
      const clientId: string | undefined = req.auth?.clientId;
      const expiresAt: Date | undefined = req.auth?.expiresAt;
      res.json({ scopes, clientId, expiresAt });
    };
    expectTypeOf(handler).toBeFunction();
  });

  it('returns middleware Express accepts at app, router and route level', () => {
    const app = express();
    const router = express.Router();
    const verifier = {
      issuer: '',
      audiences: [],
      verify: async () => ({}) as VerifiedToken,
      refreshKeys: async () => {},
    };
    const auth: Middleware = authenticate({ verifier, optional: true });
    // Only compiled, never registered at runtime:
    const register = () => {
      app.use(auth);
      app.use(requireScope('customScope'));
      app.use('/x', requireAnyScope('a', 'b'));
      router.use(requireScope({ allOf: ['a'], anyOf: ['b'] }));
      app.get('/y', auth, requireScope('a'), (req, res) => {
        res.json(req.auth?.scopes);
      });
    };
    expectTypeOf(register).toBeFunction();
  });
});
