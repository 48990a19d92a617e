import type { VerifiedToken } from '@scopeguard/core';
import { type Context, Hono } from 'hono';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AuthInfo,
  type OptionalScopeguardEnv,
  requireAnyScope,
  requireScope,
  type ScopeguardEnv,
  scopeguard,
} from './index.js';

// Type-level checks: this file must compile under the root `tsc` (strict). The apps are built, never served.
describe('types', () => {
  const options = { issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default' };

  it('types c.get("auth") in every app through ContextVariableMap', () => {
    const app = new Hono();
    app.get('/x', (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthInfo | undefined>();
      expectTypeOf(c.var.auth).toEqualTypeOf<AuthInfo | undefined>();
      return c.json({ scopes: c.get('auth')?.scopes ?? [] });
    });
    expectTypeOf<AuthInfo>().toExtend<VerifiedToken>();
    expectTypeOf<AuthInfo['token']>().toEqualTypeOf<string>();
  });

  it('narrows auth to AuthInfo behind scopeguard() and requireScope, not behind optional', () => {
    expectTypeOf(scopeguard(options)).toExtend<
      (c: Context<ScopeguardEnv>, next: () => Promise<void>) => unknown
    >();
    expectTypeOf(scopeguard({ ...options, optional: true })).toExtend<
      (c: Context<OptionalScopeguardEnv>, next: () => Promise<void>) => unknown
    >();
    const chained = new Hono().use(scopeguard(options));
    chained.get('/x', (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthInfo>();
      return c.json({ client: c.get('auth').clientId ?? null });
    });
    const app = new Hono();
    app.get('/y', requireScope('a'), (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthInfo>();
      return c.json({ scopes: c.get('auth').scopes });
    });
    app.get('/z', requireAnyScope('a', 'b'), (c) => c.json({ subject: c.var.auth.subject ?? null }));
    const optional = new Hono().use(scopeguard({ ...options, optional: true }));
    optional.get('/o', (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthInfo | undefined>();
      return c.json({});
    });
  });

  it('passes the Context to errorBody, and refuses issuer options without an audience', () => {
    scopeguard({
      ...options,
      errorBody: (failure, c) => {
        expectTypeOf(c).toEqualTypeOf<Context>();
        return { error: failure.error, path: c.req.path };
      },
    });
    // @ts-expect-error: issuer without audience is neither verifier options nor environment configuration
    expectTypeOf(scopeguard).toBeCallableWith({ issuer: 'https://example.okta.com/oauth2/default' });
  });
});
