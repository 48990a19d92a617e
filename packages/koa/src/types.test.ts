import type { VerifiedToken } from '@scopeguard/core';
import {
  type AuthInfo,
  authenticate,
  type ErrorBodyFormatter,
  requireAnyScope,
  requireScope,
  type ScopeguardMiddleware,
  type ScopeguardState,
} from '@scopeguard/koa';
import Router from '@koa/router';
import Koa, { type Context, type DefaultState, type Middleware, type ParameterizedContext } from 'koa';
import { describe, expectTypeOf, it } from 'vitest';

// Type-level checks: this file must compile under the root `tsc` (strict); the runtime part is trivial.
const verifier = {
  issuer: '',
  audiences: [],
  verify: async () => ({}) as VerifiedToken,
  refreshKeys: async () => {},
};

describe('types', () => {
  it("adds auth to Koa's DefaultState, so ctx.state.auth is typed in a default app", () => {
    expectTypeOf<DefaultState['auth']>().toEqualTypeOf<AuthInfo | undefined>();
    expectTypeOf<Context['state']['auth']>().toEqualTypeOf<AuthInfo | undefined>();
    expectTypeOf<AuthInfo>().toExtend<VerifiedToken>();
    const handler: Middleware = (ctx) => {
      expectTypeOf(ctx.state.auth?.scopes).toEqualTypeOf<readonly string[] | undefined>();
      const clientId: string | undefined = ctx.state.auth?.clientId;
      const expiresAt: Date | undefined = ctx.state.auth?.expiresAt;
      ctx.body = { clientId, expiresAt };
    };
    expectTypeOf(handler).toBeFunction();
  });

  it('types ctx.state.auth through ParameterizedContext<ScopeguardState> and explicit app states', () => {
    const handler = (ctx: ParameterizedContext<ScopeguardState>) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<AuthInfo | undefined>();
      ctx.body = { client: ctx.state.auth?.clientId };
    };
    interface AppState {
      requestId: string;
    }
    const app = new Koa<AppState>();
    const register = () => {
      const typed = app.use(authenticate({ verifier }));
      typed.use((ctx) => {
        expectTypeOf(ctx.state.requestId).toEqualTypeOf<string>();
        expectTypeOf(ctx.state.auth).toEqualTypeOf<AuthInfo | undefined>();
      });
      const router = new Router<AppState & ScopeguardState>();
      router.get('/me', requireScope('a'), (ctx) => {
        expectTypeOf(ctx.state.auth).toEqualTypeOf<AuthInfo | undefined>();
        expectTypeOf(ctx.state.requestId).toEqualTypeOf<string>();
      });
      router.get('/h', handler);
      typed.use(router.routes());
    };
    expectTypeOf(register).toBeFunction();
  });

  it('returns middleware Koa and @koa/router accept at app, router and route level', () => {
    const app = new Koa();
    const router = new Router();
    const auth: ScopeguardMiddleware = authenticate({ verifier, optional: true });
    const errorBody: ErrorBodyFormatter = (failure, ctx) => ({ error: failure.error, path: ctx.path });
    // Only compiled, never registered at runtime:
    const register = () => {
      app.use(auth);
      app.use(authenticate({ issuer: 'https://example.com', audience: 'api://x', errorBody }));
      app.use(requireScope('customScope'));
      router.use(requireAnyScope('a', 'b'));
      router.use('/x', requireScope({ allOf: ['a'], anyOf: ['b'], realm: 'x' }));
      router.get('/y', auth, requireScope('a'), (ctx) => {
        ctx.body = ctx.state.auth?.scopes;
      });
      router.post('/z', requireAnyScope('a'), (ctx: Context) => {
        ctx.body = { sub: ctx.state.auth?.subject };
      });
      app.use(router.routes()).use(router.allowedMethods());
    };
    expectTypeOf(register).toBeFunction();
  });
});
